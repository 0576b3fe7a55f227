/* The libos as a client of nsd: the protocol core (nsd/client/nsdc.c) with
 * host-call transport, the libos allocator and the libos's own MAC
 * (rt/sha512.c); registration at start-up and after fork; the pid lease;
 * Exit at the end.
 *
 * %fs. The protobuf-c runtime linked here (Debian's libprotobuf-c.a) was
 * built with the stack protector: protobuf_c_message_unpack and the packers
 * read a canary at %fs:0x28. Whatever %fs the app has (none at start-up or
 * right after execve, or an address that is not a TCB at all), the libos
 * must not depend on it: every entry into the client core points this
 * thread's %fs at a libos-owned scratch TCB and puts the app's value back
 * before returning. The app cannot observe it: the thread is inside the
 * libos for the whole window, %fs is per thread, and no app code (not even
 * a signal handler: delivery happens only at the syscall's exit or into app
 * code) runs before it is restored. */
#include <asm/errno.h>
#include <asm/prctl.h>
#include <asm/socket.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/un.h>
#include <linux/utsname.h>
#include <linux/time_types.h>
#include "config.h"
#include "fastpath.h"
#include "fdtable.h"
#include "kmsghdr.h"
#include "host/host.h"
#include "locks.h"
#include "log.h"
#include "nsd.h"
#include "nsdc.h"
#include "process.h"
#include "rpc.h"
#include "sha512.h"

#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_CLOEXEC 02000000
#define MSG_NOSIGNAL 0x4000
#define CLOCK_MONOTONIC 1
#define LEASE_COUNT 64 /* pids per lease (nsd's default range) */

struct lock nsd_lock __fork_hot = LOCK_INIT;
struct lock lease_lock __fork_hot = LOCK_INIT;

static struct nsdc client __fork_hot;
static int nsd_fd __fork_hot = -1;
static char host_name[65];

/* The pids this process may give to children and threads: the current
 * range and the next one, asked for when the current one is half used. */
struct range { uint32_t lo, hi; };
static struct range lease_cur __fork_hot = { 1, 0 }, lease_next __fork_hot = { 1, 0 };
static bool lease_asked __fork_hot; /* a LeaseRange (or our Register with a range) is out */
/* Tickets for the hellos of the next fork children (nsd.proto), under
 * lease_lock: fork holds it, so a ticket goes to exactly one child. Two are
 * kept: with one, the answer to the Ticket asked at a fork had often not
 * been read by the next (nsd answers it only after a Reap or Register
 * queued before it is journaled), and ~8% of the children of a fork loop
 * waited for nsd's server hello instead. */
#define TICKET_STOCK 2
static uint8_t tickets[TICKET_STOCK][NSD_NONCE_LEN] __fork_hot;
static int n_tickets __fork_hot, tickets_asked __fork_hot; /* held; requested, unanswered */
static bool tickets_served; /* nsd's HelloOk carried one: it knows Ticket */

static void ticket_take(const ProtobufCBinaryData *nonce, bool asked)
{
	lock(&lease_lock);
	if (asked && tickets_asked > 0)
		tickets_asked--;
	if (nonce->len == NSD_NONCE_LEN && n_tickets < TICKET_STOCK) {
		memcpy(tickets[n_tickets++], nonce->data, NSD_NONCE_LEN);
		if (!tickets_served) /* not rewritten: a copy-on-write fault after each fork */
			tickets_served = true;
	}
	unlock(&lease_lock);
}

/* %gs-relative would be nicer, but the canary is read through %fs:0x28. */
static uint64_t scratch_tcb[8] __attribute__((aligned(64)));

/* The kernel lets user space read and write the base itself (FSGSBASE):
 * two instructions instead of three arch_prctl calls per exchange with
 * nsd, of which a fork makes several. */
#define HWCAP2_FSGSBASE (1UL << 1)

unsigned long nsd_fs_enter(void)
{
	fastpath_sse_enter(); /* protobuf-c uses SSE registers too */
	unsigned long app_fs = 0;
	if (proc.hwcap2 & HWCAP2_FSGSBASE) {
		__asm__ volatile("rdfsbase %0" : "=r"(app_fs));
		__asm__ volatile("wrfsbase %0" : : "r"(scratch_tcb) : "memory");
		return app_fs;
	}
	host(__NR_arch_prctl, ARCH_GET_FS, &app_fs);
	host(__NR_arch_prctl, ARCH_SET_FS, scratch_tcb);
	return app_fs;
}

void nsd_fs_leave(unsigned long app_fs)
{
	if (proc.hwcap2 & HWCAP2_FSGSBASE)
		__asm__ volatile("wrfsbase %0" : : "r"(app_fs) : "memory");
	else
		host(__NR_arch_prctl, ARCH_SET_FS, app_fs);
	fastpath_sse_leave();
}

static void *pb_alloc(void *data, size_t n)
{
	(void)data;
	return malloc(n);
}

static void pb_free(void *data, void *p)
{
	(void)data;
	free(p);
}

ProtobufCAllocator nsd_pb_allocator = { pb_alloc, pb_free, NULL };

int nsd_unix_socket(const char *path, struct sockaddr_un *sa)
{
	long fd = host(__NR_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	/* In the libos's fd range: the app can neither see nor close it. */
	fd = fd_make_private((int)fd);
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	strlcpy(sa->sun_path, path, sizeof(sa->sun_path));
	return (int)fd;
}

/* config.nsd: the unix sockets of the nodes of nsd's group, tried in turn;
 * a Redirect names the leader's. A fork's child goes on where its parent
 * was in the list. */
static struct nsdc_addrs nsd_addrs;
/* In a group, a read or write on a connection gives up after this long
 * (then nsdc retries elsewhere): a stopped leader does not hold the
 * picoprocess. A lone nsd is waited for: there is nowhere else to go. */
#define NSD_IO_TIMEOUT_MS 500
static bool nsd_group;

static int t_connect(void *ctx)
{
	int *fdp = ctx;
	struct sockaddr_un sa;
	/* A lone nsd and no Redirect: the pick would give the same address
	 * again, and its writes cost every fork child a copy-on-write fault. */
	bool same = !nsd_group && !nsd_addrs.redirect[0] && !strcmp(nsd_addrs.addr, nsd_addrs.list);
	long fd = nsd_unix_socket(same ? nsd_addrs.addr : nsdc_addrs_pick(&nsd_addrs), &sa);
	if (fd < 0)
		return (int)fd;
	long r;
	do
		r = host(__NR_connect, fd, &sa, sizeof(sa));
	while (r == -EINTR);
	if (r < 0 && r != -EISCONN) {
		host_close((int)fd);
		return (int)r;
	}
	if (nsd_group) {
		struct __kernel_old_timeval tv = { 0, NSD_IO_TIMEOUT_MS * 1000 };
		host(__NR_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, sizeof(tv));
		host(__NR_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO_OLD, &tv, sizeof(tv));
	}
	*fdp = (int)fd;
	return 0;
}

static void t_redirect(void *ctx, const Nsd__Redirect *r)
{
	(void)ctx;
	nsdc_addrs_redirect(&nsd_addrs, r, host_name);
}

/* While corked, what the client core writes is gathered and goes out in
 * one write at the uncork, or before a read that would wait (a reply must
 * never wait on its own request): a fork's Ticket request and the child's
 * Register, and the child's hello and own Register, wake nsd once instead
 * of once each. Under nsd_lock, or in a fork child before its app runs; a
 * depth, since two threads may fork at once. */
static char cork_buf[768] __fork_hot;
static size_t cork_len __fork_hot;
static int corked __fork_hot;

static long cork_flush(int fd)
{
	size_t n = cork_len, off = 0;
	cork_len = 0;
	while (off < n) {
		long r = host(__NR_sendto, fd, cork_buf + off, n - off, MSG_NOSIGNAL, NULL, 0);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r; /* the client core sees it at its next write or read */
		off += (size_t)r;
	}
	return 0;
}

static int t_ready(void *ctx);

static long cork_before_read(int fd)
{
	return cork_len && !t_ready(&fd) ? cork_flush(fd) : 0;
}

static void cork(void)
{
	corked++;
}

static void uncork(void)
{
	if (--corked == 0)
		cork_flush(nsd_fd);
}

/* What one read took beyond what the client core asked for. nsd's replies
 * come in bursts (a Ticket's and a Register's, a hello's and a claim's),
 * and the core reads each frame as a header and a body, with a poll before
 * it: one read and no poll for the rest of what has come. Never while an
 * fd is awaited (read_fd reads exactly what is asked: a plain read of the
 * bytes it came with would make the kernel close it). */
static char rd_buf[256] __fork_hot;
static size_t rd_off __fork_hot, rd_len __fork_hot;

static void t_disconnect(void *ctx)
{
	int *fdp = ctx;
	if (*fdp >= 0)
		host_close(*fdp);
	*fdp = -1;
	cork_len = 0; /* a new connection sends every unanswered request again */
	rd_off = rd_len = 0; /* the rest of the old one's stream */
}

/* While nsd_call_fd waits for a reply that carries an fd (SCM_RIGHTS),
 * reads take it into fd_passed; a plain read would make the kernel close it. */
static bool fd_wanted;
static int fd_passed = -1;

static long read_fd(int fd, void *buf, size_t n)
{
	struct iovec iov = { buf, n };
	union {
		struct app_cmsghdr h;
		char b[sizeof(struct app_cmsghdr) + 8];
	} u;
	struct app_msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &u, .msg_controllen = sizeof(u) };
	long r = host(__NR_recvmsg, fd, &mh, 0x40000000 /* MSG_CMSG_CLOEXEC */);
	if (r > 0 && mh.msg_controllen >= sizeof(u.h) + sizeof(int) && u.h.cmsg_level == SOL_SOCKET &&
	    u.h.cmsg_type == SCM_RIGHTS) {
		if (fd_passed >= 0)
			host_close(fd_passed);
		memcpy(&fd_passed, u.h.data, sizeof(int));
	}
	return r;
}

/* Plain host calls, not host_blocking: an app signal must not turn the
 * libos's own exchange into EINTR; nsdc retries EINTR itself. */
static long t_read(void *ctx, void *buf, size_t n)
{
	if (rd_off < rd_len) {
		size_t k = rd_len - rd_off < n ? rd_len - rd_off : n;
		memcpy(buf, rd_buf + rd_off, k);
		rd_off += k;
		return (long)k;
	}
	long r = cork_before_read(*(int *)ctx);
	if (r < 0)
		return r;
	if (fd_wanted)
		return read_fd(*(int *)ctx, buf, n);
	if (n >= sizeof(rd_buf))
		return host(__NR_read, *(int *)ctx, buf, n);
	r = host(__NR_read, *(int *)ctx, rd_buf, sizeof(rd_buf));
	if (r <= 0)
		return r;
	rd_off = r < (long)n ? (size_t)r : n;
	rd_len = (size_t)r;
	memcpy(buf, rd_buf, rd_off);
	return (long)rd_off;
}

/* MSG_NOSIGNAL: a vanished nsd is an error to retry, not a SIGPIPE for the app. */
static long t_write(void *ctx, const void *buf, size_t n)
{
	if (corked && cork_len + n <= sizeof(cork_buf)) {
		memcpy(cork_buf + cork_len, buf, n);
		cork_len += n;
		return (long)n;
	}
	long r = cork_flush(*(int *)ctx);
	if (r < 0)
		return r;
	return host(__NR_sendto, *(int *)ctx, buf, n, MSG_NOSIGNAL, NULL, 0);
}

static int t_ready(void *ctx)
{
	if (rd_off < rd_len)
		return 1;
	struct pollfd p = { *(int *)ctx, POLLIN, 0 };
	return host(__NR_poll, &p, 1, 0) > 0;
}

static void t_mac(void *ctx, uint8_t *out, const uint8_t *msg, size_t len, const uint8_t *key)
{
	(void)ctx;
	hmac_sha512_256(out, msg, len, key);
}

void nsd_random(void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		long r = host(__NR_getrandom, (char *)buf + got, n - got, 0);
		if (r > 0)
			got += (size_t)r;
		else if (r != -EINTR)
			libos_fatal("getrandom failed (%ld)", r);
	}
}

static void t_random(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	nsd_random(buf, n);
}

static void t_sleep_ms(void *ctx, unsigned ms)
{
	(void)ctx;
	struct __kernel_timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	host(__NR_nanosleep, &ts, NULL);
}

static int64_t t_now_ms(void *ctx)
{
	(void)ctx;
	struct __kernel_timespec ts;
	host(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct nsdc_ops ops = {
	.ctx = &nsd_fd,
	.connect = t_connect,
	.disconnect = t_disconnect,
	.read = t_read,
	.write = t_write,
	.mac = t_mac,
	.random = t_random,
	.sleep_ms = t_sleep_ms,
	.now_ms = t_now_ms,
	.alloc = &nsd_pb_allocator,
	.redirect = t_redirect,
	.ready = t_ready,
};

static bool range_empty(const struct range *r) { return r->lo > r->hi; }

static void lease_add(const Nsd__PidRange *pr)
{
	lock(&lease_lock);
	struct range r = { pr->lo, pr->hi };
	if (range_empty(&lease_cur))
		lease_cur = r;
	else
		lease_next = r;
	lease_asked = false;
	unlock(&lease_lock);
}

/* nsd_start's Register until nsd_started, and its answer. */
static uint64_t start_req;
static int start_err = -EPROTO;
static int start_pid, start_ppid, start_pgid, start_sid;

/* Replies nobody waited for: a lease (LeaseRange, or a child's Register
 * with its range) or a Ticket (also in a HelloOk) is taken; so is the
 * answer to nsd_start's Register; the rest (Reap, Exit) needs nothing. */
static void on_push(struct nsdc *c, const Nsd__Frame *f, void *arg)
{
	(void)c;
	(void)arg;
	if (start_req && f->req_id == start_req) {
		start_req = 0;
		if (f->body_case == NSD__FRAME__BODY_IDS) {
			start_pid = (int)f->ids->pid;
			start_ppid = (int)f->ids->ppid;
			start_pgid = (int)f->ids->pgid;
			start_sid = (int)f->ids->sid;
			start_err = 0;
		} else if (f->body_case == NSD__FRAME__BODY_ERROR) {
			strlcpy(c->err, f->error->msg, sizeof(c->err));
			start_err = f->error->errnum ? -(int)f->error->errnum : -EPROTO;
		} else {
			log_error("nsd answered the registration with message %d", f->body_case);
		}
	}
	if (f->body_case == NSD__FRAME__BODY_RANGE)
		lease_add(f->range);
	else if (f->body_case == NSD__FRAME__BODY_IDS && f->ids->range)
		lease_add(f->ids->range);
	else if (f->body_case == NSD__FRAME__BODY_TICKET)
		ticket_take(&f->ticket->nonce, true);
	else if (f->body_case == NSD__FRAME__BODY_HELLO_OK)
		ticket_take(&f->hello_ok->ticket, false);
	else if (f->body_case == NSD__FRAME__BODY_ERROR)
		log_debug("nsd: request %lu refused: %s", (unsigned long)f->req_id, f->error->msg);
}

/* Every member of the frame's oneof is a message pointer, so any one of
 * them holds the body. */
Nsd__Frame nsd_frame(Nsd__Frame__BodyCase kind, void *body)
{
	Nsd__Frame f = NSD__FRAME__INIT;
	f.body_case = kind;
	f.reap = body;
	return f;
}

static void client_init(void)
{
	nsdc_init(&client, &ops, NSD__ROLE__ROLE_PICO, config.sandbox, config.secret);
	client.on_push = on_push;
}

/* Children the host reaped by itself, for nsd; written by host signal
 * handlers (a slot is claimed atomically), drained under nsd_lock. */
#define HOST_REAPS 64
static int host_reaps[HOST_REAPS];

void nsd_reaped_by_host(int pid)
{
	for (int i = 0; i < HOST_REAPS; i++) {
		int zero = 0;
		if (__atomic_compare_exchange_n(&host_reaps[i], &zero, pid, false, __ATOMIC_RELEASE,
		                                __ATOMIC_RELAXED))
			return;
	}
	/* Full: nsd keeps that zombie until this process ends. */
}

static void send_reap(int pid)
{
	Nsd__Reap rp = NSD__REAP__INIT;
	rp.caller = (uint32_t)proc.pid;
	rp.pid = (uint32_t)pid;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_REAP, &rp);
	f.nowait = true;
	nsdc_send(&client, &f);
}

/* With nsd_lock held and %fs switched. */
static void drain_host_reaps(void)
{
	for (int i = 0; i < HOST_REAPS; i++) {
		/* Read first: a write to every slot at each call would cost this
		 * page a copy-on-write fault after every fork. */
		int pid = __atomic_load_n(&host_reaps[i], __ATOMIC_RELAXED) ?
		          __atomic_exchange_n(&host_reaps[i], 0, __ATOMIC_ACQUIRE) : 0;
		if (pid) {
			pid_map_forget(pid);
			send_reap(pid);
		}
	}
}

void nsd_reap(int pid)
{
	pid_map_forget(pid);
	lock(&nsd_lock);
	unsigned long fs = nsd_fs_enter();
	drain_host_reaps();
	send_reap(pid);
	nsd_fs_leave(fs);
	unlock(&nsd_lock);
}

/* The host tid of the thread that holds nsd_lock through its exit (pid 1's
 * kill_sandbox asks nsd for stream connections meanwhile). */
static int exit_tid;

/* With nsd_lock held and %fs switched. */
static int call_locked(Nsd__Frame *req, Nsd__Frame **reply, int *fd)
{
	drain_host_reaps();
	fd_wanted = fd != NULL;
	int r = nsdc_call(&client, req, reply);
	if (r < 0)
		log_debug("nsd: request %d failed (%d): %s", req->body_case, r, client.err);
	fd_wanted = false;
	if (fd)
		*fd = fd_passed;
	fd_passed = -1;
	return r;
}

static int call(Nsd__Frame *req, Nsd__Frame **reply, int *fd)
{
	if (exit_tid && exit_tid == host(__NR_gettid))
		return call_locked(req, reply, fd);
	lock(&nsd_lock);
	unsigned long fs = nsd_fs_enter();
	int r = call_locked(req, reply, fd);
	nsd_fs_leave(fs);
	unlock(&nsd_lock);
	return r;
}

int nsd_call(Nsd__Frame *req, Nsd__Frame **reply) { return call(req, reply, NULL); }

int nsd_call_fd(Nsd__Frame *req, Nsd__Frame **reply, int *fd) { return call(req, reply, fd); }

int nsd_stream_connect(int pid)
{
	Nsd__StreamConnect sc = NSD__STREAM_CONNECT__INIT;
	sc.pid = (uint32_t)pid;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_STREAM_CONNECT, &sc), *rep = NULL;
	int fd = -1, r = call(&f, &rep, &fd);
	if (r == 0)
		nsd_free(rep);
	if (r == 0 && fd < 0)
		r = -EPROTO;
	if (r < 0 && fd >= 0)
		host_close(fd);
	return r < 0 ? r : fd;
}

void nsd_free(Nsd__Frame *f)
{
	unsigned long fs = nsd_fs_enter();
	nsdc_free(&client, f);
	nsd_fs_leave(fs);
}

void nsd_send(Nsd__Frame *req)
{
	lock(&nsd_lock);
	unsigned long fs = nsd_fs_enter();
	if (nsdc_send(&client, req) < 0)
		log_debug("nsd: cannot send request %d", req->body_case);
	nsd_fs_leave(fs);
	unlock(&nsd_lock);
}

int nsd_flush(void)
{
	lock(&nsd_lock);
	unsigned long fs = nsd_fs_enter();
	int r = nsdc_flush(&client);
	nsd_fs_leave(fs);
	unlock(&nsd_lock);
	return r;
}

/* proc.cmdline split back into strings for Register.argv (points into it);
 * before the app is loaded, the launch's argv. */
static char **cmdline_argv(size_t *n)
{
	if (!proc.cmdline) {
		size_t k = 0;
		while (config.argv[k])
			k++;
		char **v = malloc((k + 1) * sizeof(*v));
		*n = v ? k : 0;
		for (size_t i = 0; v && i < k; i++)
			v[i] = (char *)config.argv[i];
		return v;
	}
	size_t count = 0;
	for (size_t i = 0; i < proc.cmdline_len; i++)
		count += proc.cmdline[i] == 0;
	char **v = malloc((count + 1) * sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; v && i < proc.cmdline_len; i += strlen(proc.cmdline + i) + 1)
		v[k++] = proc.cmdline + i;
	*n = v ? k : 0;
	return v;
}

static void free_register(Nsd__Register *rg)
{
	free(rg->argv);
	free(rg->stream);
}

static void fill_register(Nsd__Register *rg, Nsd__Frame *f, int pid, int ppid, int host_pid,
                          uint32_t want_range)
{
	nsd__register__init(rg);
	rg->pid = (uint32_t)pid;
	rg->ppid = (uint32_t)ppid;
	rg->host = host_name;
	rg->host_pid = host_pid;
	rg->argv = cmdline_argv(&rg->n_argv);
	rg->want_range = want_range;
	rg->stream = malloc(UNIX_PATH_MAX);
	if (rg->stream)
		rpc_address(host_pid, rg->stream, UNIX_PATH_MAX);
	*f = nsd_frame(NSD__FRAME__BODY_REGISTER, rg);
}

void nsd_start(void)
{
	struct new_utsname u;
	if (host(__NR_uname, &u) == 0)
		strlcpy(host_name, u.nodename, sizeof(host_name));
	nsdc_addrs_init(&nsd_addrs, config.nsd);
	nsd_group = strchr(config.nsd, ',') != NULL;
	client_init();
	Nsd__Frame f = NSD__FRAME__INIT;
	Nsd__Register rg;
	fill_register(&rg, &f, 0, 0, proc.host_pid, LEASE_COUNT);
	nsd_send(&f);
	start_req = f.req_id;
	free_register(&rg);
}

/* Does proc.cmdline hold exactly the launch's argv? */
static bool cmdline_is_launch(void)
{
	size_t off = 0;
	for (size_t i = 0; config.argv[i]; i++) {
		size_t n = strlen(config.argv[i]) + 1;
		if (off + n > proc.cmdline_len || memcmp(proc.cmdline + off, config.argv[i], n))
			return false;
		off += n;
	}
	return off == proc.cmdline_len;
}

int nsd_started(void)
{
	int r = nsd_flush();
	if (r == 0)
		r = start_err;
	start_req = 0;
	if (r < 0) {
		log_error("cannot register with nsd at %s (sandbox %s): %s", config.nsd, config.sandbox,
		          client.err[0] ? client.err : "error");
		return r;
	}
	proc.pid = start_pid;
	proc.ppid = start_ppid;
	proc.pgid = start_pgid;
	proc.sid = start_sid;
	log_debug("nsd: registered in sandbox %s as pid %d", config.sandbox, proc.pid);
	if (!cmdline_is_launch())
		nsd_exec_done();
	return 0;
}

void nsd_child_start(void)
{
	/* The parent's connection is the parent's: nsd takes its drop for
	 * the parent's death, so the child's copy must go at once. */
	if (nsd_fd >= 0)
		host_close(nsd_fd);
	nsd_fd = -1;
	nsd_lock = (struct lock)LOCK_INIT;
	cork_len = 0; /* another thread's, copied in the middle of its cork */
	rd_off = rd_len = 0; /* what the parent read of its replies */
	corked = 1;
	lease_cur = lease_next = (struct range){ 1, 0 };
	lease_asked = true; /* the Register below asks for a range */
	client_init();
	/* Its own connection (nsd knows a picoprocess by the peer of its
	 * socket). With the parent's ticket the hello needs no wait at all;
	 * without, one: for the server hello, not for the answer to ours,
	 * which is read later as the first frame. */
	int with_ticket = n_tickets; /* the parent dropped tickets[n_tickets - 1] */
	n_tickets = tickets_asked = 0; /* the rest are the parent's */
	unsigned long fs = nsd_fs_enter();
	if (t_connect(&nsd_fd) < 0 ||
	    (with_ticket ? nsdc_hello_ticket(&client, tickets[with_ticket - 1]) : nsdc_hello_nowait(&client)) < 0)
		log_debug("nsd: cannot connect after fork: %s", client.err);
	nsd_fs_leave(fs);
	Nsd__Frame f = NSD__FRAME__INIT;
	Nsd__Register rg;
	fill_register(&rg, &f, proc.pid, proc.ppid, proc.host_pid, LEASE_COUNT);
	rg.claim = true;
	/* Not awaited: the app runs while nsd journals the registration. This
	 * one claims the row the parent made (nsd/apply.c) and leases the
	 * child its own range. */
	f.nowait = true;
	nsd_send(&f);
	free_register(&rg);
	uncork();
	rpc_start();
}

void nsd_exec_done(void)
{
	Nsd__Frame f = NSD__FRAME__INIT;
	Nsd__Register rg;
	fill_register(&rg, &f, proc.pid, proc.ppid, proc.host_pid, 0);
	f.nowait = true;
	nsd_send(&f);
	free_register(&rg);
}

void nsd_ask_ticket(void)
{
	lock(&lease_lock);
	bool unread = !n_tickets && tickets_asked;
	unlock(&lease_lock);
	if (unread) { /* its answer may have come */
		lock(&nsd_lock);
		unsigned long fs = nsd_fs_enter();
		nsdc_poll(&client);
		nsd_fs_leave(fs);
		unlock(&nsd_lock);
	}
	lock(&lease_lock);
	/* Not of an nsd that does not know the request: it would close. */
	bool ask = tickets_served && n_tickets + tickets_asked < TICKET_STOCK;
	tickets_asked += ask;
	unlock(&lease_lock);
	if (ask) {
		Nsd__Ticket t = NSD__TICKET__INIT;
		Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_TICKET, &t);
		nsd_send(&f);
	}
}

void nsd_fork_ticket(bool child)
{
	/* The child has it now (lease_lock is held for the fork). */
	if (!child && n_tickets)
		n_tickets--;
}

void nsd_register_child(int pid, int host_pid)
{
	Nsd__Frame f = NSD__FRAME__INIT;
	Nsd__Register rg;
	lock(&nsd_lock);
	cork();
	unlock(&nsd_lock);
	/* For the next child, first: nsd answers it at once, the Register
	 * once journaled. */
	nsd_ask_ticket();
	fill_register(&rg, &f, pid, proc.pid, host_pid, 0);
	/* On our connection, so that what we ask about the child next (setpgid,
	 * wait, a lookup) comes after it; not awaited. */
	f.nowait = true;
	nsd_send(&f);
	free_register(&rg);
	lock(&nsd_lock);
	uncork();
	unlock(&nsd_lock);
}

int nsd_take_pid(void)
{
	for (int tries = 0; tries < 3; tries++) {
		int pid = 0;
		bool ask = false;
		lock(&lease_lock);
		if (range_empty(&lease_cur) && !range_empty(&lease_next)) {
			lease_cur = lease_next;
			lease_next = (struct range){ 1, 0 };
		}
		if (!range_empty(&lease_cur)) {
			pid = (int)lease_cur.lo++;
			ask = range_empty(&lease_next) && lease_cur.hi + 1 - lease_cur.lo < LEASE_COUNT / 2;
		} else {
			ask = true;
		}
		ask = ask && !lease_asked;
		if (ask)
			lease_asked = true;
		unlock(&lease_lock);
		if (ask) {
			Nsd__LeaseRange lr = NSD__LEASE_RANGE__INIT;
			lr.caller = (uint32_t)proc.pid;
			lr.count = LEASE_COUNT;
			Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_LEASE_RANGE, &lr);
			nsd_send(&f);
		}
		if (pid)
			return pid;
		/* Dry: the one case in which a fork waits for nsd. */
		if (nsd_flush() < 0) {
			lock(&lease_lock);
			lease_asked = false;
			unlock(&lease_lock);
		}
	}
	return -EAGAIN;
}

/* A query whose reply must be of kind want; NULL otherwise. */
static Nsd__Frame *query(Nsd__Frame *f, Nsd__Frame__BodyCase want)
{
	Nsd__Frame *rep = NULL;
	if (nsd_call(f, &rep) < 0)
		return NULL;
	if (rep->body_case != want) {
		nsd_free(rep);
		return NULL;
	}
	return rep;
}

Nsd__Frame *nsd_lookup(int pid)
{
	Nsd__Lookup l = NSD__LOOKUP__INIT;
	l.pid = (uint32_t)pid;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_LOOKUP, &l);
	return query(&f, NSD__FRAME__BODY_PROC);
}

Nsd__Frame *nsd_lease_owner(int tid)
{
	Nsd__Lookup l = NSD__LOOKUP__INIT;
	l.pid = (uint32_t)tid;
	l.thread_owner = true;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_LOOKUP, &l);
	Nsd__Frame *rep = query(&f, NSD__FRAME__BODY_PROC);
	/* Not a process that has just taken the number (nsd names live
	 * holders only), nor ourselves. */
	if (rep && ((int)rep->proc->pid == tid || (int)rep->proc->pid == proc.pid)) {
		nsd_free(rep);
		rep = NULL;
	}
	return rep;
}

static Nsd__Frame members_frame(Nsd__Members *m, Nsd__Page *pg, int pgid, int sid)
{
	nsd__members__init(m);
	nsd__page__init(pg);
	m->pgid = (uint32_t)pgid;
	m->sid = (uint32_t)sid;
	m->all = !pgid && !sid;
	m->page = pg;
	return nsd_frame(NSD__FRAME__BODY_MEMBERS, m);
}

/* Every page of the paged query f (its cursor pg) in one ProcList. */
static Nsd__Frame *paged(Nsd__Frame *f, Nsd__Page *pg)
{
	Nsd__Frame *all = NULL;
	int more;
	do {
		Nsd__Frame *rep = query(f, NSD__FRAME__BODY_PROC_LIST);
		if (!rep) {
			nsd_free(all);
			return NULL;
		}
		unsigned long fs = nsd_fs_enter();
		more = nsdc_page(&client, &all, rep, pg);
		nsd_fs_leave(fs);
	} while (more > 0);
	return all;
}

Nsd__Frame *nsd_members(int pgid, int sid)
{
	Nsd__Members m;
	Nsd__Page pg;
	Nsd__Frame f = members_frame(&m, &pg, pgid, sid);
	return paged(&f, &pg);
}

Nsd__Frame *nsd_ps(void)
{
	Nsd__Ps ps = NSD__PS__INIT;
	Nsd__Page pg = NSD__PAGE__INIT;
	ps.sandbox = (char *)config.sandbox;
	ps.page = &pg;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_PS, &ps);
	return paged(&f, &pg);
}

bool nsd_is_gone(const Nsd__Proc *p)
{
	return !strcmp(p->state, "lost") || !strcmp(p->state, "reaped");
}

bool nsd_is_local(const Nsd__Proc *p)
{
	return p->host_pid > 0 && !strcmp(p->host, host_name);
}

const char *nsd_host(void)
{
	return host_name;
}

/* pid 1 is the sandbox's init: when it ends, so does every other process
 * of the sandbox, as in a PID namespace. By host pid, from nsd's list;
 * Landlock's signal scope keeps the kill inside this launch's domain, so
 * the processes of other launches get it through their RPC streams, unless
 * pid 1 dies by a signal: then this runs in a host signal handler, where
 * the stream's allocations may not be made. */
static void kill_sandbox(bool by_stream)
{
	Nsd__Members m;
	Nsd__Page pg;
	Nsd__Frame f = members_frame(&m, &pg, 0, 0), *rep, *all = NULL;
	/* nsd_lock is held already: paged() would take it. */
	int more = 1;
	while (more > 0 && nsdc_call(&client, &f, &rep) == 0) {
		if (rep->body_case != NSD__FRAME__BODY_PROC_LIST) {
			nsdc_free(&client, rep);
			break;
		}
		more = nsdc_page(&client, &all, rep, &pg);
	}
	for (size_t i = 0; all && i < all->proc_list->n_procs; i++) {
		const Nsd__Proc *p = all->proc_list->procs[i];
		if ((int)p->pid == proc.pid)
			continue;
		long r = nsd_is_local(p) ? host(__NR_kill, p->host_pid, 9 /* SIGKILL */) : -EPERM;
		if (r == -EPERM && by_stream)
			rpc_signal(p, 9, 0 /* SI_USER */, 0, NULL);
	}
	nsdc_free(&client, all);
}

void nsd_exit(int wstatus)
{
	/* A handler that interrupted a thread inside an nsd call gives up:
	 * the dropped connection then tells nsd (as "lost"). */
	rpc_end();
	if (!lock_try(&nsd_lock))
		return;
	corked = 0; /* another thread's cork ends here: the Exit goes out after it */
	unsigned long fs = nsd_fs_enter();
	drain_host_reaps();
	if (proc.pid == 1) {
		exit_tid = (int)host(__NR_gettid);
		kill_sandbox((wstatus & 0x7f) == 0);
		exit_tid = 0;
	}
	Nsd__Exit e = NSD__EXIT__INIT;
	e.pid = (uint32_t)proc.pid;
	e.status = wstatus;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_EXIT, &e);
	/* Sent, not awaited: nsd reads it before it sees the connection close.
	 * Awaited when children outlive us (daemon(): fork, exit): our parent
	 * may reap us as soon as we are gone, on its own connection, which nsd
	 * may read before ours; then our registrations of those children
	 * would come after our row is gone, and be refused. Not awaited in a
	 * group either, though a leader that dies before it commits this
	 * Exit (or a Reap before it) loses it: that cost one commit per exit
	 * (the 200-process loop 5x slower); nsd's sweeps repair the record
	 * (ARCHITECTURE.md, "Failover mid-call"). */
	bool kids = pid_map_has_children();
	f.nowait = !kids;
	nsdc_send(&client, &f);
	if (kids) {
		client.on_push = NULL; /* no lease is needed now, and its lock may be held here */
		nsdc_flush(&client);
	}
	nsd_fs_leave(fs);
	/* nsd_lock stays held: the process is ending. */
}
