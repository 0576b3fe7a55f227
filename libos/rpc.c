/* The RPC stream (rpc.h, proto/rpc.proto): one unix socket per picoprocess,
 * a helper thread serving it, and the client side that an app thread runs
 * inside a syscall.
 *
 * Addresses. <nsd's stream directory>/<launch token>-<host pid>: the parent
 * of a fork knows its child's address (it registers the child), and a
 * launch's picoprocesses share the random token. A process listens at the
 * address's abstract name (a NUL, then the address): no file to make or
 * remove, and gone with its socket. Any host process may connect to it;
 * only a peer that proves the sandbox's secret is served. Landlock's scope
 * keeps the picoprocesses of other launches (other domains) from it: nsd,
 * unconfined, connects for them (dial). If another process holds the name,
 * the process listens at the file instead, as all did before (listen_at):
 * the directory is sticky, so another launch's uid could neither take nor
 * remove our files, and a file a killed process left behind is ours to
 * replace. The socket is 0777.
 *
 * The helper thread is no app thread: it is in no thread list (the app's
 * /proc, execve's ending of the other threads and signal routing never see
 * it), blocks every host signal and uses only libos memory, so it outlives
 * execve. It runs only while there are connections (helper_main). It
 * serves one connection at a time, with a time limit on each read and
 * write, so a stalled or hostile peer delays others by at most that long
 * and never blocks the app. */
#include <asm/errno.h>
#include <asm/fcntl.h>
#include <linux/fcntl.h>
#include <linux/un.h>
#include <linux/futex.h>
#include <linux/poll.h>
#include <linux/time_types.h>
#include "arena.h"
#include "config.h"
#include "fdtable.h"
#include "fs.h"
#include "identity.h"
#include "host/host.h"
#include "log.h"
#include "process.h"
#include "rpc.h"
#include "rpc_wire.h"
#include "sha512.h"
#include "sitepolicy.h"

#define SOCK_CLOEXEC 02000000
#define MSG_NOSIGNAL 0x4000
#define SOL_SOCKET 1
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#define SO_PEERCRED 17
#define RPC_TIMEOUT_S 2
/* connects 2 ms apart: a running process's address is awaited 2 s */
#define LISTEN_WAIT_TRIES 1000
#define HELPER_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
                      CLONE_CHILD_CLEARTID)

static char dir[UNIX_PATH_MAX];
static char token[17];
static char my_addr[UNIX_PATH_MAX] __fork_hot;
static int listen_fd __fork_hot = -1;
static bool listen_file __fork_hot; /* at the file my_addr, not at its abstract name */
static struct thread *helper;
static char *helper_stack;

const char *rpc_dir(void)
{
	if (!dir[0] && config.nsd[0] == '/') {
		const char *slash = strrchr(config.nsd, '/');
		size_t n = (size_t)(slash - config.nsd);
		if (n + sizeof("/rpc/") + sizeof(token) + 12 < sizeof(dir)) {
			memcpy(dir, config.nsd, n);
			memcpy(dir + n, "/rpc", 5);
		}
	}
	return dir[0] ? dir : NULL;
}

void rpc_address(int host_pid, char *buf, size_t size)
{
	buf[0] = 0;
	if (!rpc_dir())
		return;
	if (!token[0]) {
		uint8_t r[8];
		nsd_random(r, sizeof(r));
		for (int i = 0; i < 8; i++)
			snprintf(token + 2 * i, 3, "%02x", r[i]);
	}
	snprintf(buf, size, "%s/%s-%d", dir, token, host_pid);
}

bool rpc_is_stream_name(const char *name, size_t len)
{
	const char *d = rpc_dir();
	size_t n = d ? strlen(d) : 0;
	return d && len > n && !memcmp(name, d, n) && name[n] == '/';
}

static int timeouts(int fd)
{
	struct __kernel_timespec tv = { RPC_TIMEOUT_S, 0 }; /* __kernel_sock_timeval's layout */
	long r = host(__NR_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO_NEW, &tv, sizeof(tv));
	if (r == 0)
		r = host(__NR_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO_NEW, &tv, sizeof(tv));
	return (int)r;
}

/* Plain host calls retried on EINTR, as for nsd: the app never sees them. */
static int io_full(int fd, void *buf, size_t n, bool out)
{
	for (size_t done = 0; done < n;) {
		long r = out ? host(__NR_sendto, fd, (char *)buf + done, n - done, MSG_NOSIGNAL, NULL, 0)
		             : host(__NR_read, fd, (char *)buf + done, n - done);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return r ? (int)r : -EPIPE;
		done += (size_t)r;
	}
	return 0;
}

/* A frame of one body of kind: every member of the oneof is a message
 * pointer, so any one of them holds it. */
static Rpc__Frame frame_of(Rpc__Frame__BodyCase kind, void *body)
{
	Rpc__Frame f = RPC__FRAME__INIT;
	f.body_case = kind;
	f.hello = body;
	return f;
}

static void frame_free(Rpc__Frame *f)
{
	unsigned long fs = nsd_fs_enter();
	rpc__frame__free_unpacked(f, &nsd_pb_allocator);
	nsd_fs_leave(fs);
}

/* After the handshake each request and reply is followed by an Auth frame:
 * MAC(session key, 'q' or 'r', the frame's body), so that no relay on the
 * way (paldaemon) can alter or swap them. The direction byte keeps a reply
 * from passing for a request. */
static char direction(Rpc__Frame__BodyCase kind)
{
	return kind == RPC__FRAME__BODY_REPLY ? 'r' : 'q';
}

static int send_mac(int fd, const uint8_t *msg, size_t n, const uint8_t sk[RPC_MAC_LEN]);

/* sk: the session key (frames after the handshake), or NULL. */
static int send_frame(int fd, const Rpc__Frame *f, const uint8_t *sk)
{
	uint8_t *buf = malloc(RPC_FRAME_MAX + 4);
	if (!buf)
		return -ENOMEM;
	unsigned long fs = nsd_fs_enter();
	size_t n = rpc_encode(f, buf, RPC_FRAME_MAX + 4);
	nsd_fs_leave(fs);
	int r = n ? io_full(fd, buf, n, true) : -EMSGSIZE;
	if (r == 0 && sk) {
		buf[3] = (uint8_t)direction(f->body_case); /* the header is sent: the MAC's input */
		r = send_mac(fd, buf + 3, n - 3, sk);
	}
	free(buf);
	return r;
}

static bool mac_ok(const ProtobufCBinaryData *got, const uint8_t want[RPC_MAC_LEN]);

/* The next frame, decoded and checked, of kind want (any kind for
 * RPC__FRAME__BODY__NOT_SET), its MAC checked with sk; NULL for anything
 * else (the caller closes the stream). */
static Rpc__Frame *recv_frame(int fd, Rpc__Frame__BodyCase want, const uint8_t *sk)
{
	uint8_t hdr[4];
	if (io_full(fd, hdr, sizeof(hdr), false) < 0)
		return NULL;
	long n = rpc_frame_len(hdr);
	if (n < 0) {
		log_debug("rpc: oversized frame, closing the stream");
		return NULL;
	}
	uint8_t *body = malloc((size_t)n + 1);
	Rpc__Frame *f = NULL, *auth = NULL;
	bool ok = body && io_full(fd, body + 1, (size_t)n, false) == 0;
	if (ok && sk) {
		uint8_t mac[RPC_MAC_LEN];
		body[0] = (uint8_t)direction(want);
		hmac_sha512_256(mac, body, (size_t)n + 1, sk);
		auth = recv_frame(fd, RPC__FRAME__BODY_AUTH, NULL);
		ok = auth && mac_ok(&auth->auth->mac, mac);
		if (auth)
			frame_free(auth);
		if (!ok)
			log_debug("rpc: a frame that fails its MAC, closing the stream");
	}
	if (ok) {
		unsigned long fs = nsd_fs_enter();
		f = rpc_decode(body + 1, (size_t)n, &nsd_pb_allocator);
		if (f && want && f->body_case != want) {
			rpc__frame__free_unpacked(f, &nsd_pb_allocator);
			f = NULL;
		}
		nsd_fs_leave(fs);
		if (!f)
			log_debug("rpc: malformed or unexpected frame, closing the stream");
	}
	free(body);
	return f;
}

/* MAC(secret, label a b): what each side proves of the other's nonce. */
static void mac_of(uint8_t out[RPC_MAC_LEN], const char *label, const uint8_t *a, const uint8_t *b)
{
	uint8_t msg[32 + 2 * RPC_NONCE_LEN];
	size_t l = strlen(label);
	memcpy(msg, label, l);
	memcpy(msg + l, a, RPC_NONCE_LEN);
	memcpy(msg + l + RPC_NONCE_LEN, b, RPC_NONCE_LEN);
	hmac_sha512_256(out, msg, l + 2 * RPC_NONCE_LEN, config.secret);
}

static bool mac_ok(const ProtobufCBinaryData *got, const uint8_t want[RPC_MAC_LEN])
{
	uint8_t d = got->len != RPC_MAC_LEN;
	for (size_t i = 0; !d && i < RPC_MAC_LEN; i++)
		d |= got->data[i] ^ want[i];
	return !d;
}

static int send_mac(int fd, const uint8_t *msg, size_t n, const uint8_t sk[RPC_MAC_LEN])
{
	uint8_t mac[RPC_MAC_LEN];
	hmac_sha512_256(mac, msg, n, sk);
	Rpc__Auth a = RPC__AUTH__INIT;
	a.mac = (ProtobufCBinaryData){ RPC_MAC_LEN, mac };
	Rpc__Frame f = frame_of(RPC__FRAME__BODY_AUTH, &a);
	return send_frame(fd, &f, NULL);
}

static int send_hello(int fd, uint8_t nonce[RPC_NONCE_LEN], uint8_t *mac)
{
	Rpc__Hello h = RPC__HELLO__INIT;
	h.sandbox = (char *)config.sandbox;
	h.pid = (uint32_t)proc.pid;
	h.nonce = (ProtobufCBinaryData){ RPC_NONCE_LEN, nonce };
	if (mac)
		h.mac = (ProtobufCBinaryData){ RPC_MAC_LEN, mac };
	Rpc__Frame f = frame_of(RPC__FRAME__BODY_HELLO, &h);
	return send_frame(fd, &f, NULL);
}

static int send_reply(int fd, const uint8_t *sk, int error, const void *data, size_t len)
{
	Rpc__Reply rp = RPC__REPLY__INIT;
	rp.error = error;
	rp.data = (ProtobufCBinaryData){ len, (uint8_t *)data };
	Rpc__Frame f = frame_of(RPC__FRAME__BODY_REPLY, &rp);
	return send_frame(fd, &f, sk);
}

/* ---- the server: the helper thread ------------------------------------- */

/* A signal from peer pid: queued to ourselves on the host, marked, so the
 * host handler delivers it as it does a host-carried one from a picoprocess
 * of our launch (init's rules, the target thread: signal.c). */
static int serve_signal(const Rpc__Signal *s, int peer)
{
	/* Linux's check_kill_permission against our uids (the sender's libos
	 * cannot check a process of another launch: identity.c). */
	bool root = s->euid == 0, own = s->uid == cred.ruid || s->uid == cred.suid ||
	                              s->euid == cred.ruid || s->euid == cred.suid;
	/* A thread named (tgkill, tkill, a probe) must be ours; Linux finds
	 * the task before it checks the permission. */
	if (s->tid && !thread_by_tid((int)s->tid))
		return -ESRCH;
	if (!root && !own)
		return -EPERM;
	if (!s->sig)
		return 0;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (s->info.len == RPC_INFO_LEN) {
		memcpy(&si, s->info.data, sizeof(si));
	} else {
		si.si_pid = peer;
		si.si_uid = s->uid;
	}
	si.si_signo = s->sig;
	si.si_errno = s->code;
	si.si_code = SI_GRAPHENE;
	SIG_TARGET_TID(&si) = (int)s->tid;
	return (int)host(__NR_rt_sigqueueinfo, proc.host_pid, s->sig, &si);
}

static int serve_proc_read(int fd, const uint8_t *sk, const Rpc__ProcRead *pr)
{
	size_t len = 0;
	char *text = NULL;
	int r = procfs_self_file(pr->file, pr->uid, &text, &len);
	r = r < 0 ? send_reply(fd, sk, -r, NULL, 0) : send_reply(fd, sk, 0, text, len);
	free(text);
	return r;
}

static int serve_sched(int fd, const uint8_t *sk, const Rpc__Sched *s)
{
	uint8_t out[RPC_SCHED_MAX];
	memset(out, 0, sizeof(out));
	struct sched_req r = { (int)s->nr, (int)s->which, (int)s->who, s->arg, s->data.data, s->data.len,
		               out, s->out_len, s->ruid, s->euid, s->rgid, s->caps };
	long v = sched_serve(&r);
	Rpc__Reply rp = RPC__REPLY__INIT;
	rp.error = v < 0 ? (int)-v : 0;
	rp.value = v < 0 ? 0 : v;
	if (v >= 0)
		rp.data = (ProtobufCBinaryData){ s->out_len, out };
	Rpc__Frame f = frame_of(RPC__FRAME__BODY_REPLY, &rp);
	return send_frame(fd, &f, sk);
}

/* Handshake (proto/rpc.proto), one request, one reply. Anything out of
 * order, malformed, oversized or unauthenticated ends the stream. */
static void serve(int fd)
{
	uint8_t nonce[RPC_NONCE_LEN], mac[RPC_MAC_LEN], sk[RPC_MAC_LEN];
	Rpc__Frame *hello = recv_frame(fd, RPC__FRAME__BODY_HELLO, NULL), *auth = NULL, *req = NULL;
	if (!hello || strcmp(hello->hello->sandbox, config.sandbox))
		goto out;
	nsd_random(nonce, sizeof(nonce));
	mac_of(mac, "graphene-rpc server", hello->hello->nonce.data, nonce);
	if (send_hello(fd, nonce, mac) < 0)
		goto out;
	auth = recv_frame(fd, RPC__FRAME__BODY_AUTH, NULL);
	mac_of(mac, "graphene-rpc client", nonce, hello->hello->nonce.data);
	if (!auth || !mac_ok(&auth->auth->mac, mac)) {
		log_debug("rpc: a peer that is not of sandbox %s, closing the stream", config.sandbox);
		goto out;
	}
	mac_of(sk, "graphene-rpc session", hello->hello->nonce.data, nonce);
	req = recv_frame(fd, RPC__FRAME__BODY__NOT_SET, sk);
	if (req && req->body_case == RPC__FRAME__BODY_SIGNAL)
		send_reply(fd, sk, -serve_signal(req->signal, (int)hello->hello->pid), NULL, 0);
	else if (req && req->body_case == RPC__FRAME__BODY_PROC_READ)
		serve_proc_read(fd, sk, req->proc_read);
	else if (req && req->body_case == RPC__FRAME__BODY_SCHED)
		serve_sched(fd, sk, req->sched);
	else if (req)
		log_debug("rpc: unexpected request %d, closing the stream", req->body_case);
out:
	if (req)
		frame_free(req);
	if (auth)
		frame_free(auth);
	if (hello)
		frame_free(hello);
}

/* The helper's life. It is started from the host SIGIO handler when the
 * listener has a connection (the kernel sends it, F_SETSIG with si_fd, see
 * rpc_wakeup), serves every connection that comes while it runs and ends
 * as soon as none is pending: a process that nobody calls pays no thread,
 * neither in its forks nor in RLIMIT_NPROC, which counts threads, and
 * others reading its host thread count (ps's 'l', NLWP) see the app's but
 * for the moment it serves. helper_state: IDLE,
 * RUNNING, or AGAIN (a wakeup came while it ran: it looks once more before
 * it may end). helper_alive is the host's clear-tid word of the thread, so
 * its stack is reused only once the host is done with it. */
enum { IDLE, RUNNING, AGAIN };
static int helper_state __fork_hot, helper_alive __fork_hot;

static void serve_pending(void)
{
	long fd;
	for (;;) {
		fd = host(__NR_accept4, listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -EINTR || fd == -ECONNABORTED)
			continue;
		if (fd < 0)
			return; /* EAGAIN: none left */
		fd = fd_make_private((int)fd);
		if (fd >= 0 && timeouts((int)fd) == 0)
			serve((int)fd);
		if (fd >= 0)
			host_close((int)fd);
	}
}

static void helper_main(void *arg)
{
	(void)arg;
	if (thread_bind(helper) < 0)
		libos_fatal("rpc: cannot bind the helper thread");
	for (;;) {
		serve_pending();
		int again = AGAIN;
		if (__atomic_compare_exchange_n(&helper_state, &again, RUNNING, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			continue;
		struct pollfd pfd = { listen_fd, POLLIN, 0 };
		if (host(__NR_poll, &pfd, 1, 0) > 0)
			continue;
		int running = RUNNING;
		if (__atomic_compare_exchange_n(&helper_state, &running, IDLE, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_ACQUIRE))
			break;
		__atomic_store_n(&helper_state, RUNNING, __ATOMIC_RELEASE); /* AGAIN meanwhile */
	}
	for (;;)
		host(__NR_exit, 0);
}

bool rpc_is_wakeup(int sig, const siginfo_t *si)
{
	return sig == SIGIO && si->si_code == POLL_IN && listen_fd >= 0 && si->si_fd == listen_fd;
}

void rpc_wakeup(void)
{
	for (;;) {
		int st = __atomic_load_n(&helper_state, __ATOMIC_ACQUIRE);
		if (st == AGAIN)
			return;
		int want = st == IDLE ? RUNNING : AGAIN;
		if (!__atomic_compare_exchange_n(&helper_state, &st, want, false, __ATOMIC_ACQ_REL,
		                                 __ATOMIC_ACQUIRE))
			continue;
		if (st == RUNNING)
			return;
		break;
	}
	/* The last helper has set IDLE and is on its way out: wait for the
	 * host to be done with its stack (a few instructions away). */
	int alive;
	while ((alive = __atomic_load_n(&helper_alive, __ATOMIC_ACQUIRE)))
		host_futex(&helper_alive, FUTEX_WAIT, alive, NULL, NULL, 0);
	helper_alive = 1;
	/* Every host signal stays blocked in the helper: they are the app's. */
	uint64_t old = host_sigmask_block(~0ULL);
	long r = host_clone_thread(HELPER_FLAGS, helper_stack + LIBOS_STACK_SIZE - 64, NULL,
	                           &helper_alive, 0, helper_main, NULL);
	host_sigmask_restore(old);
	if (r < 0) {
		/* No thread now (RLIMIT_NPROC): the next connection tries again. */
		helper_alive = 0;
		__atomic_store_n(&helper_state, IDLE, __ATOMIC_RELEASE);
	}
}

/* The abstract name of a stream address: a NUL, then the address. Its
 * length, or -ENAMETOOLONG. */
static long abstract_of(const char *addr, struct sockaddr_un *sa)
{
	size_t n = strlen(addr);
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (n + 1 > sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path + 1, addr, n);
	return (long)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

/* Listens at addr as listen_fd: 0, or -errno. At its abstract name, which
 * costs no inode to make nor to remove (a fork child's bind of a file
 * took ~60 us of ext4 work, its unlink and eviction more); only if another
 * process holds that name (the names are listed in /proc/net/unix for any
 * host user to squat) at the file addr, so it stays reachable. */
static int listen_at(const char *addr)
{
	struct sockaddr_un sa, an;
	long fd = nsd_unix_socket(addr, &sa);
	if (fd < 0)
		return (int)fd;
	long r = abstract_of(addr, &an);
	if (r > 0)
		r = host(__NR_bind, fd, &an, r);
	listen_file = r == -EADDRINUSE;
	if (listen_file) {
		log_info("rpc: the abstract name of %s is taken: listening on the file", addr);
		/* 0777: only one thread runs here (start-up, a fork child), so
		 * the host umask may be cleared for the bind. */
		long old = host(__NR_umask, 0);
		r = host(__NR_bind, fd, &sa, sizeof(sa));
		if (r == -EADDRINUSE) {
			/* Our own name, from a killed process of this launch: replace it. */
			host(__NR_unlinkat, AT_FDCWD, addr, 0);
			r = host(__NR_bind, fd, &sa, sizeof(sa));
		}
		host(__NR_umask, old);
	}
	/* A connection raises SIGIO (with si_fd: rpc_is_wakeup) at this
	 * process. All of it is set, and listen_fd known to the handler,
	 * before listen(): a fork child's parent connects as soon as the name
	 * accepts, and a connection that came earlier would raise no SIGIO
	 * (the caller waited out its time limit) or one taken for the app's
	 * (which killed the child). */
	if (r == 0)
		r = host(__NR_fcntl, fd, F_SETSIG, SIGIO);
	if (r == 0)
		r = host(__NR_fcntl, fd, F_SETOWN, proc.host_pid);
	if (r == 0)
		r = host(__NR_fcntl, fd, F_SETFL, O_NONBLOCK | FASYNC);
	if (r == 0) {
		__atomic_store_n(&listen_fd, (int)fd, __ATOMIC_RELEASE);
		r = host(__NR_listen, fd, 16);
	}
	if (r < 0) {
		__atomic_store_n(&listen_fd, -1, __ATOMIC_RELEASE);
		host_close((int)fd);
	}
	return (int)r;
}

void rpc_start(void)
{
	/* In a fork child: the parent's listener and helper are not ours. */
	if (listen_fd >= 0)
		host_close(listen_fd);
	listen_fd = -1;
	helper_state = IDLE;
	helper_alive = 0;
	rpc_address(proc.host_pid, my_addr, sizeof(my_addr));
	if (!my_addr[0])
		return;
	/* Made now, not in the signal handler that starts the helper. A fork
	 * child has its copy of the parent's. */
	if (!helper) {
		helper = thread_alloc();
		helper_stack = arena_alloc_pages(LIBOS_STACK_SIZE);
		if (!helper || !helper_stack)
			libos_fatal("rpc: no memory for the helper thread");
		helper->sigmask = ~0ULL;
	}
	int r = listen_at(my_addr);
	if (r < 0) {
		log_info("rpc: cannot listen at %s (%d): processes of other launches cannot reach this one",
		         my_addr, r);
		my_addr[0] = 0;
	}
}

void rpc_end(void)
{
	if (my_addr[0] && listen_file)
		host(__NR_unlinkat, AT_FDCWD, my_addr, 0);
}

/* ---- the client ---------------------------------------------------------- */

/* A process of another host is reached through this host's paldaemon, at
 * <nsd's directory>/pal-<host>.sock (proto/rpc.proto Route): the route is
 * nsd's record of p, never the app's. 0, or -errno (-ESRCH: p's socket is
 * gone on its host). */
static int route(int fd, const Nsd__Proc *p)
{
	Rpc__Route ro = RPC__ROUTE__INIT;
	ro.host = p->host;
	ro.sandbox = (char *)config.sandbox;
	ro.pid = p->pid;
	ro.stream = p->stream;
	Rpc__Frame f = frame_of(RPC__FRAME__BODY_ROUTE, &ro), *rep = NULL;
	int r = send_frame(fd, &f, NULL);
	if (r == 0)
		rep = recv_frame(fd, RPC__FRAME__BODY_REPLY, NULL);
	if (!rep)
		return r ? r : -EHOSTUNREACH;
	r = -rep->reply->error;
	frame_free(rep);
	return r == -ECONNREFUSED || r == -ENOENT ? -ESRCH : r;
}

static bool pal_address(char *buf, size_t size)
{
	const char *d = rpc_dir();
	if (!d)
		return false;
	size_t n = strlen(d) - 4; /* nsd's directory: without "/rpc" */
	memcpy(buf, d, n);
	return snprintf(buf + n, size - n, "/pal-%s.sock", nsd_host()) < (int)(size - n);
}

/* Can p still come to listen? It runs on this host (neither stopped nor
 * dead, nor a zombie): a fork child that the scheduler has not let reach
 * its listen() yet. */
static bool may_listen(const Nsd__Proc *p)
{
	if (!nsd_is_local(p))
		return false;
	char path[32], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", p->host_pid);
	long fd = host(__NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		fd = fd_make_private((int)fd);
	if (fd < 0)
		return false;
	long n = host(__NR_read, fd, buf, sizeof(buf) - 1);
	host_close((int)fd);
	buf[n > 0 ? n : 0] = 0;
	const char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] && strchr("RSD", paren[2]);
}

static long connect_to(long fd, const struct sockaddr_un *sa, long len)
{
	long r;
	do
		r = host(__NR_connect, fd, sa, len);
	while (r == -EINTR);
	return r;
}

/* A socket for a stream, sa the file path's address. Its time limits are
 * set before the connect, which waits while the listener's backlog is full. */
static long stream_socket(const char *path, struct sockaddr_un *sa)
{
	long fd = nsd_unix_socket(path, sa);
	long r = fd < 0 ? fd : timeouts((int)fd);
	if (r < 0 && fd >= 0)
		host_close((int)fd);
	return r < 0 ? r : fd;
}

/* A new socket connected to the file path: the fd, or -errno. */
static long dial_file(const char *path)
{
	struct sockaddr_un sa;
	long fd = stream_socket(path, &sa);
	long r = fd < 0 ? fd : connect_to(fd, &sa, sizeof(sa));
	if (r < 0 && fd >= 0)
		host_close((int)fd);
	return r < 0 ? r : fd;
}

/* SO_PEERCRED's pid: the host process that listens behind fd. */
static int peer_pid(long fd)
{
	struct { int pid, uid, gid; } cr = { 0, 0, 0 };
	int len = sizeof(cr);
	return host(__NR_getsockopt, fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 ? cr.pid : -1;
}

/* One try at the listener of p, a process of this host: the fd, or -errno
 * (-ENOENT or -ECONNREFUSED: nobody listens there yet). Its abstract name
 * first; a listener of another launch is in another Landlock domain, whose
 * abstract names ours may not connect to (EPERM), so nsd connects for us
 * (StreamConnect); and the file, where p listens if another process held
 * its abstract name (listen_at), which is then that process's, not p's. */
static long dial(const Nsd__Proc *p)
{
	struct sockaddr_un sa;
	long fd = stream_socket(p->stream, &sa);
	if (fd < 0)
		return fd;
	long r = abstract_of(p->stream, &sa);
	if (r > 0)
		r = connect_to(fd, &sa, r);
	if (r == 0 && peer_pid(fd) == p->host_pid)
		return fd;
	host_close((int)fd);
	if (r == -EPERM) {
		log_debug("rpc: pid %u is of another launch: connected through nsd", p->pid);
		fd = nsd_stream_connect(p->pid);
		if (fd >= 0)
			fd = fd_make_private((int)fd);
		if (fd >= 0 && (r = timeouts((int)fd)) < 0) {
			host_close((int)fd);
			fd = r;
		}
		/* Refused (not listening yet, or the name is another's), or
		 * nsd cannot pass fds (a TCP client): p may listen at its file. */
		if (fd != -ECONNREFUSED && fd != -EOPNOTSUPP)
			return fd;
	} else if (r < 0 && r != -ECONNREFUSED) {
		return r;
	}
	return dial_file(p->stream);
}

/* Connects to p's stream and runs the handshake: the fd and the session
 * key in sk, or -errno. */
static int open_stream(const Nsd__Proc *p, uint8_t sk[RPC_MAC_LEN])
{
	if (!p->stream[0])
		return -EPERM;
	char pal[UNIX_PATH_MAX];
	bool remote = p->host[0] && strcmp(p->host, nsd_host());
	if (remote && !pal_address(pal, sizeof(pal)))
		return -EHOSTUNREACH;
	/* A fork child's address is registered by its parent before the child
	 * listens: a live process's name may be missing or refuse for a moment,
	 * the longer on a loaded host. */
	long fd, r = 0;
	for (int tries = 0;; tries++) {
		fd = remote ? dial_file(pal) : dial(p);
		if ((fd == -ENOENT || fd == -ECONNREFUSED) && (tries < 50 || (tries < LISTEN_WAIT_TRIES && may_listen(p)))) {
			struct __kernel_timespec ts = { 0, 2000000 };
			host(__NR_nanosleep, &ts, NULL);
			continue;
		}
		break;
	}
	if (fd < 0) {
		log_debug("rpc: no stream to pid %u at %s (%ld)", p->pid, p->stream, fd);
		if (remote)
			return -EHOSTUNREACH; /* no paldaemon on this host */
		return fd == -ECONNREFUSED || fd == -ENOENT ? -ESRCH : (int)fd;
	}
	if (remote)
		r = route((int)fd, p);
	uint8_t nonce[RPC_NONCE_LEN], mac[RPC_MAC_LEN];
	nsd_random(nonce, sizeof(nonce));
	Rpc__Frame *hello = NULL;
	if (r == 0)
		r = send_hello((int)fd, nonce, NULL);
	if (r == 0)
		hello = recv_frame((int)fd, RPC__FRAME__BODY_HELLO, NULL);
	if (hello) {
		/* The server proves the secret first: a name squatted by anyone
		 * else learns nothing from us. */
		mac_of(mac, "graphene-rpc server", nonce, hello->hello->nonce.data);
		r = mac_ok(&hello->hello->mac, mac) && hello->hello->pid == p->pid ? 0 : -EPERM;
		if (r == 0) {
			Rpc__Auth a = RPC__AUTH__INIT;
			mac_of(mac, "graphene-rpc client", hello->hello->nonce.data, nonce);
			a.mac = (ProtobufCBinaryData){ RPC_MAC_LEN, mac };
			Rpc__Frame f = frame_of(RPC__FRAME__BODY_AUTH, &a);
			r = send_frame((int)fd, &f, NULL);
			mac_of(sk, "graphene-rpc session", nonce, hello->hello->nonce.data);
		}
		frame_free(hello);
	} else if (r == 0) {
		r = -EPERM;
	}
	if (r < 0) {
		log_debug("rpc: no stream to pid %u at %s (%ld)", p->pid, p->stream, r);
		host_close((int)fd);
		return r == -ECONNREFUSED || r == -ENOENT ? -ESRCH : (int)r;
	}
	return (int)fd;
}

/* One request to p; the reply (free with frame_free) or NULL (*err set:
 * -EPIPE when the stream ended after the request was sent: p ended while
 * it served it). */
static Rpc__Frame *call(const Nsd__Proc *p, const Rpc__Frame *req, int *err)
{
	uint8_t sk[RPC_MAC_LEN];
	int fd = open_stream(p, sk);
	*err = fd < 0 ? fd : 0;
	if (fd < 0)
		return NULL;
	Rpc__Frame *rep = NULL;
	*err = send_frame(fd, req, sk);
	if (*err == 0)
		rep = recv_frame(fd, RPC__FRAME__BODY_REPLY, sk);
	host_close(fd);
	if (!rep && *err == 0)
		*err = -EPIPE;
	return rep;
}

long rpc_signal(const Nsd__Proc *p, int sig, int code, int tid, const siginfo_t *uinfo)
{
	Rpc__Signal s = RPC__SIGNAL__INIT;
	s.sig = sig;
	s.code = code;
	s.tid = (uint32_t)tid;
	s.uid = cred.ruid;
	s.euid = cred.euid;
	if (uinfo)
		s.info = (ProtobufCBinaryData){ sizeof(*uinfo), (uint8_t *)uinfo };
	Rpc__Frame f = frame_of(RPC__FRAME__BODY_SIGNAL, &s);
	int err;
	Rpc__Frame *rep = call(p, &f, &err);
	/* The signal ended it before it could answer (its helper went with
	 * it): delivered, as Linux's kill to a process on its way out. */
	if (!rep)
		return err == -EPIPE ? 0 : err;
	long r = -rep->reply->error;
	frame_free(rep);
	return r;
}

long rpc_on_thread_owner(int tid, long (*fn)(const Nsd__Proc *p, void *arg), void *arg)
{
	Nsd__Frame *rep = nsd_lease_owner(tid);
	if (!rep)
		return -ESRCH;
	long v = fn(rep->proc, arg);
	nsd_free(rep);
	return v;
}

Nsd__Frame *rpc_thread_process(int tid)
{
	Nsd__Frame *rep = nsd_lease_owner(tid);
	/* A probe: signal 0 to the thread, which its process refuses (ESRCH)
	 * if it is not its own, before any permission check. */
	long r = rep ? rpc_signal(rep->proc, 0, SI_TKILL, tid, NULL) : 0;
	if (rep && r != 0 && r != -EPERM) {
		nsd_free(rep);
		rep = NULL;
	}
	return rep;
}

int rpc_proc_read(const Nsd__Proc *p, const char *file, char **text, size_t *len)
{
	Rpc__ProcRead pr = RPC__PROC_READ__INIT;
	pr.file = (char *)file;
	pr.uid = cred.fsuid;
	Rpc__Frame f = frame_of(RPC__FRAME__BODY_PROC_READ, &pr);
	int err;
	Rpc__Frame *rep = call(p, &f, &err);
	*text = NULL;
	*len = 0;
	if (!rep)
		return err == -EPIPE ? -ESRCH : err;
	err = -rep->reply->error;
	char *s = err ? NULL : malloc(rep->reply->data.len + 1);
	if (s) {
		memcpy(s, rep->reply->data.data, rep->reply->data.len);
		s[rep->reply->data.len] = 0;
		*text = s;
		*len = rep->reply->data.len;
	} else if (!err) {
		err = -ENOMEM;
	}
	frame_free(rep);
	return err;
}

long rpc_sched(const Nsd__Proc *p, struct sched_req *r)
{
	Rpc__Sched s = RPC__SCHED__INIT;
	s.nr = (uint32_t)r->nr;
	s.which = (uint32_t)r->which;
	s.who = (uint32_t)r->who;
	s.arg = r->arg;
	s.data = (ProtobufCBinaryData){ r->data_len, (uint8_t *)r->data };
	s.out_len = (uint32_t)r->out_len;
	s.ruid = cred.ruid;
	s.euid = cred.euid;
	s.rgid = cred.rgid;
	s.caps = cred.cap_eff;
	Rpc__Frame f = frame_of(RPC__FRAME__BODY_SCHED, &s);
	int err;
	Rpc__Frame *rep = call(p, &f, &err);
	if (!rep)
		return err == -EPIPE ? -ESRCH : err;
	long v = rep->reply->error ? -rep->reply->error : rep->reply->value;
	size_t n = rep->reply->data.len < r->out_len ? rep->reply->data.len : r->out_len;
	if (v >= 0)
		memcpy(r->out, rep->reply->data.data, n);
	frame_free(rep);
	return v;
}
