/* Sockets. Internet and abstract unix sockets pass through; a unix socket
 * path is a file-system name, so it is resolved in the sandbox like any
 * path and handed to the host as /proc/self/fd/<dir fd>/<name>, which pins
 * the directory the libos checked. fds passed with SCM_RIGHTS must be the
 * app's both ways. Unix credentials (SO_PEERCRED, SCM_CREDENTIALS) are the
 * host's pid and sandbox uid U (tools/confine.c) on the host side and
 * sandbox pids and virtual ids on the app's. */
#include "fdrecord.h"
#include "fs.h"
#include "identity.h"
#include "kmsghdr.h"
#include "nsd.h"
#include "process.h"
#include "rpc.h"
#include "signal.h"
#include "sitepolicy.h"
#include "syscall.h"
#include "../host/host.h"
#include <linux/fcntl.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/un.h>

/* The kernel's user ABI beyond kmsghdr.h. */
#define SCM_CREDENTIALS 2
#define SO_PEERCRED 17
#define SO_DOMAIN 39
#define SO_PASSPIDFD 76
#define SO_PEERPIDFD 77
/* What Linux shows of an id or a pid from outside the namespace. */
#define OVERFLOW_ID 65534

struct app_ucred {
	int32_t pid;
	uint32_t uid, gid;
};

#define CMSG_ALIGN8(n) ALIGN_UP((n), sizeof(size_t))
#define MAX_CONTROL (1 << 20)

/* A unix socket address translated for the host; r keeps its directory
 * (and fd the socket to connect to) open until the host call is done. */
struct unix_addr {
	struct resolved r;
	long fd;
	struct sockaddr_un sun;
	int len;
	char given[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* the app's path */
};

static void unix_addr_release(struct unix_addr *ua)
{
	fs_release(&ua->r);
	if (ua->fd >= 0)
		host_close(ua->fd);
	ua->fd = -1;
}

/* Returns 1 when *ua holds the host's form of (uaddr, len) for socket
 * sock, 0 when the address passes unchanged (not a unix path, or a socket
 * of another family, for which the host gives Linux's errno), or -errno. */
static int unix_addr_translate(long sock, const void *uaddr, long len, bool create, struct unix_addr *ua)
{
	const struct sockaddr_un *sun = uaddr;
	const long path_off = offsetof(struct sockaddr_un, sun_path);
	ua->r.dirfd = -1;
	ua->r.own_dirfd = false;
	ua->fd = -1;
	if (!uaddr || len <= path_off || sun->sun_family != AF_UNIX)
		return 0;
	/* The RPC listeners' abstract names (rpc.c) are the libos's: the app
	 * can neither squat nor reach them. */
	if (sun->sun_path[0] == 0 && len <= (long)sizeof(*sun) &&
	    rpc_is_stream_name(sun->sun_path + 1, (size_t)(len - path_off - 1)))
		return create ? -EADDRINUSE : -ECONNREFUSED;
	if (sun->sun_path[0] == 0)
		return 0;
	int domain = 0, dlen = sizeof(domain);
	if (host(__NR_getsockopt, sock, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0 || domain != AF_UNIX)
		return 0;
	if (len > (long)sizeof(*sun))
		return -EINVAL;
	memcpy(ua->given, sun->sun_path, len - path_off);
	ua->given[len - path_off] = 0;
	int e = fs_resolve(AT_FDCWD, ua->given, create ? 0 : RES_FOLLOW, &ua->r);
	if (e < 0)
		return e;
	if (create)
		e = ua->r.exists ? -EADDRINUSE : ua->r.virt ? -EACCES : 0;
	else
		e = !ua->r.exists ? -ENOENT : ua->r.virt ? -ECONNREFUSED : 0;
	if (e == 0 && !create) {
		/* connect through the checked socket itself: by name, the host
		 * would follow a symlink swapped in since, out of the sandbox */
		ua->fd = fs_host_open(&ua->r, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
		e = ua->fd < 0 ? (int)ua->fd : 0;
	}
	if (e == 0) {
		ua->sun.sun_family = AF_UNIX;
		char dir[HOST_FD_LINK_MAX];
		bool at_dir = create && ua->r.name[0];
		int n = snprintf(ua->sun.sun_path, sizeof(ua->sun.sun_path), "%s%s%s",
		                 host_fd_link(dir, create ? ua->r.dirfd : (int)ua->fd), at_dir ? "/" : "",
		                 at_dir ? ua->r.name : "");
		if (n >= (int)sizeof(ua->sun.sun_path))
			e = -ENAMETOOLONG;
		ua->len = (int)path_off + n + 1;
	}
	if (e < 0) {
		unix_addr_release(ua);
		return e;
	}
	return 1;
}

SYS(socket)
{
	long e = socket_check((int)c->a[0], (int)c->a[1], (int)c->a[2]);
	if (e < 0)
		return e;
	return fd_install(host(__NR_socket, c->a[0], c->a[1], c->a[2]), FD_OTHER, NULL, NULL);
}

SYS(socketpair)
{
	int fds[2];
	long e = socket_check((int)c->a[0], (int)c->a[1], (int)c->a[2]);
	if (e < 0)
		return e;
	return fd_pair_result(host(__NR_socketpair, c->a[0], c->a[1], c->a[2], fds), fds, SYSCALL_ARG(3, int *));
}

/* bind and connect: the address may be a unix socket path. The socket
 * remembers it as the app gave it (as Linux shows it), for getsockname and
 * getpeername to show instead of the host's /proc/self/fd form. */
static long addr_call(struct sysctx *c, bool create)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	struct unix_addr *ua = malloc(sizeof(*ua));
	if (!ua)
		return -ENOMEM;
	long r = unix_addr_translate(c->a[0], SYSCALL_ARG(1, const void *), c->a[2], create, ua);
	if (r == 0) {
		r = host_blocking(c->nr, c->a[0], c->a[1], c->a[2]);
	} else if (r > 0) {
		r = host_blocking(c->nr, c->a[0], &ua->sun, ua->len);
		if (r == 0 || r == -EINPROGRESS)
			fd_set_path((int)c->a[0], ua->given);
	}
	unix_addr_release(ua);
	free(ua);
	return r;
}

SYS(bind)
{
	return addr_call(c, true);
}

SYS(connect)
{
	return addr_call(c, false);
}

SYS(listen)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	return host(__NR_listen, c->a[0], c->a[1]);
}

/* An accepted socket's own address is the listening socket's. */
static long do_accept(struct sysctx *c, long flags)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	long fd = fd_install(host_blocking(__NR_accept4, c->a[0], c->a[1], c->a[2], flags), FD_OTHER, NULL, NULL);
	if (fd >= 0)
		fd_copy((int)c->a[0], (int)fd);
	return fd;
}

SYS(accept)
{
	return do_accept(c, 0);
}

SYS(accept4)
{
	return do_accept(c, c->a[3]);
}

/* getsockname/getpeername: a unix address in the host's /proc/self/fd form
 * (see unix_addr_translate) shows as the sandbox path the socket recorded. */
static long sock_name(struct sysctx *c)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	void *ua = SYSCALL_ARG(1, void *);
	int *ulen = SYSCALL_ARG(2, int *);
	union {
		struct sockaddr_un sun;
		struct __kernel_sockaddr_storage any;
	} a;
	struct sockaddr_un *sun = &a.sun;
	int len = sizeof(a);
	long r = host_blocking(c->nr, c->a[0], &a, &len);
	if (r < 0)
		return r;
	if (!ua || !ulen)
		return -EFAULT;
	char path[SANDBOX_PATH_MAX];
	if (sun->sun_family == AF_UNIX && len > (int)offsetof(struct sockaddr_un, sun_path) &&
	    str_starts_with(sun->sun_path, "/proc/self/fd/") && fd_info((int)c->a[0], path, sizeof(path)) == FD_OTHER &&
	    path[0] && strlen(path) < sizeof(sun->sun_path)) {
		memset(sun->sun_path, 0, sizeof(sun->sun_path));
		strlcpy(sun->sun_path, path, sizeof(sun->sun_path));
		len = (int)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	}
	memcpy(ua, &a, MIN((size_t)len, MIN(sizeof(a), (size_t)(*ulen < 0 ? 0 : *ulen))));
	*ulen = len;
	return 0;
}

SYS(getsockname)
{
	return sock_name(c);
}

SYS(getpeername)
{
	return sock_name(c);
}

#define SOCK_PASSTHROUGH(name)                                                                \
	SYS(name)                                                                             \
	{                                                                                     \
		if (!fd_app_valid(c->a[0]))                                                   \
			return -EBADF;                                                        \
		return host(__NR_##name, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]); \
	}

SYS(recvfrom)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	return host_blocking(__NR_recvfrom, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

SOCK_PASSTHROUGH(shutdown)

/* The sandbox's one host uid and gid, which every picoprocess runs as. */
static uint32_t host_id(bool gid)
{
	static uint32_t ids[2] = { (uint32_t)-1, (uint32_t)-1 };
	if (ids[gid] == (uint32_t)-1)
		ids[gid] = (uint32_t)host(gid ? __NR_getgid : __NR_getuid);
	return ids[gid];
}

/* A host ucred as the app sees it: a picoprocess (the sandbox's host uid)
 * by its sandbox pid and real ids, as the kernel fills them in; anyone
 * else as from another namespace (pid 0, the overflow ids), and so are the
 * ids of a picoprocess not in the credential table (reaped). The ids are
 * the peer's now, not at connect as Linux keeps them. */
static void ucred_to_app(struct app_ucred *u)
{
	if (u->uid == (uint32_t)-1)
		return; /* no credentials (not a unix socket) */
	int pid = 0;
	if (u->uid == host_id(false) && u->pid > 0) {
		/* not cached: a host pid reused after the peer is gone would
		 * name another process */
		pid = pid_from_host(u->pid) ?: pid_from_host_lookup(u->pid);
	}
	struct cred_view v;
	if (pid == proc.pid) {
		u->uid = cred.ruid;
		u->gid = cred.rgid;
	} else if (pid && cred_of(pid, &v)) {
		u->uid = v.ids[0];
		u->gid = v.ids[4];
	} else {
		u->uid = u->gid = OVERFLOW_ID;
	}
	u->pid = pid;
}

SYS(setsockopt)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	/* SCM_PIDFD would put host pidfds in the app's fd table unrecorded, a
	 * host process's too: refused as a kernel before 6.5 does */
	if (c->a[1] == SOL_SOCKET && c->a[2] == SO_PASSPIDFD)
		return -ENOPROTOOPT;
	return host(__NR_setsockopt, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
}

SYS(getsockopt)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	if (c->a[1] != SOL_SOCKET || (c->a[2] != SO_PEERCRED && c->a[2] != SO_PEERPIDFD))
		return host(__NR_getsockopt, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
	void *uval = SYSCALL_ARG(3, void *);
	int *ulen = SYSCALL_ARG(4, int *);
	union {
		struct app_ucred u;
		int fd;
	} v;
	int len = sizeof(v.u);
	long r = host(__NR_getsockopt, c->a[0], SOL_SOCKET, SO_PEERCRED, &v.u, &len);
	if (r < 0)
		return r;
	if (!ulen || (*ulen > 0 && !uval))
		return -EFAULT;
	if (*ulen < 0)
		return -EINVAL;
	ucred_to_app(&v.u);
	if (c->a[2] == SO_PEERPIDFD) {
		/* the host's pidfd of a picoprocess, as pidfd_open gives
		 * (sys/signal.c); a peer outside has no pid here (Linux: no
		 * peer pid) */
		if (!v.u.pid)
			return -ENODATA;
		len = sizeof(v.fd);
		r = host(__NR_getsockopt, c->a[0], SOL_SOCKET, SO_PEERPIDFD, &v.fd, &len);
		if (r < 0)
			return r;
		v.fd = (int)fd_install(v.fd, FD_OTHER, NULL, NULL);
		if (v.fd < 0)
			return v.fd;
	}
	len = MIN(*ulen, len);
	memcpy(uval, &v, (size_t)len);
	*ulen = len;
	return 0;
}

SYS(sendto)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	struct unix_addr *ua = malloc(sizeof(*ua));
	if (!ua)
		return -ENOMEM;
	long r = unix_addr_translate(c->a[0], SYSCALL_ARG(4, const void *), c->a[5], false, ua);
	if (r == 0)
		r = host_blocking(__NR_sendto, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	else if (r > 0)
		r = host_blocking(__NR_sendto, c->a[0], c->a[1], c->a[2], c->a[3], &ua->sun, ua->len);
	unix_addr_release(ua);
	free(ua);
	return r;
}

/* Calls fn on each SOL_SOCKET message of the type in a control buffer;
 * stops at the first nonzero result. */
static int each_cmsg(void *control, size_t len, int type, int (*fn)(struct app_cmsghdr *cm, void *arg), void *arg)
{
	const size_t hdr = sizeof(struct app_cmsghdr);
	for (size_t off = 0; control && off + hdr <= len;) {
		struct app_cmsghdr *cm = (struct app_cmsghdr *)((char *)control + off);
		if (cm->cmsg_len < hdr || off + cm->cmsg_len > len)
			break;
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == type) {
			int e = fn(cm, arg);
			if (e)
				return e;
		}
		off += CMSG_ALIGN8(cm->cmsg_len);
	}
	return 0;
}

struct fd_visit {
	int (*fn)(int *fd, void *arg);
	void *arg;
};

static int visit_fds(struct app_cmsghdr *cm, void *arg)
{
	struct fd_visit *v = arg;
	int *fds = (int *)cm->data;
	for (size_t i = 0; i < (cm->cmsg_len - sizeof(*cm)) / sizeof(int); i++) {
		int e = v->fn(&fds[i], v->arg);
		if (e)
			return e;
	}
	return 0;
}

/* Calls fn on each SCM_RIGHTS fd of a control buffer; stops at the first
 * nonzero result. */
static int each_passed_fd(void *control, size_t len, int (*fn)(int *fd, void *arg), void *arg)
{
	struct fd_visit v = { fn, arg };
	return each_cmsg(control, len, SCM_RIGHTS, visit_fds, &v);
}

/* SCM_CREDENTIALS sent: Linux's checks (net/core/scm.c scm_check_creds) on
 * the app's ucred in sandbox terms, then the host's form of it, which the
 * host checks again (it refuses another pid: no host CAP_SYS_ADMIN). */
static int creds_to_host(struct app_cmsghdr *cm, void *arg)
{
	(void)arg;
	struct app_ucred u;
	if (cm->cmsg_len != sizeof(*cm) + sizeof(u))
		return -EINVAL;
	memcpy(&u, cm->data, sizeof(u));
	if (u.uid == (uint32_t)-1 || u.gid == (uint32_t)-1)
		return -EINVAL;
	bool uid_ok = u.uid == cred.ruid || u.uid == cred.euid || u.uid == cred.suid || capable(CAP_SETUID);
	bool gid_ok = u.gid == cred.rgid || u.gid == cred.egid || u.gid == cred.sgid || capable(CAP_SETGID);
	if ((u.pid != proc.pid && !capable(CAP_SYS_ADMIN)) || !uid_ok || !gid_ok)
		return -EPERM;
	int host_pid = pid_to_host(u.pid);
	if (host_pid < 0)
		return host_pid;
	u = (struct app_ucred){ host_pid, host_id(false), host_id(true) };
	memcpy(cm->data, &u, sizeof(u));
	return 0;
}

/* SCM_CREDENTIALS received (the sender's, or the kernel's for it). */
static int creds_to_app(struct app_cmsghdr *cm, void *arg)
{
	(void)arg;
	struct app_ucred u;
	if (cm->cmsg_len < sizeof(*cm) + sizeof(u))
		return 0;
	memcpy(&u, cm->data, sizeof(u));
	ucred_to_app(&u);
	memcpy(cm->data, &u, sizeof(u));
	return 0;
}

static int check_sent_fd(int *fd, void *arg)
{
	(void)arg;
	return fd_app_valid(*fd) ? 0 : -EBADF;
}

SYS(sendmsg)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	const struct app_msghdr *um = SYSCALL_ARG(1, const struct app_msghdr *);
	if (!um)
		return -EFAULT;
	struct app_msghdr m = *um;
	/* The host sends a copy of the control data that was checked: another
	 * app thread could otherwise swap a libos fd (a mount's root) in after
	 * the check and send it out of the sandbox. The kernel's own limit on
	 * control data (optmem_max) is below MAX_CONTROL. */
	if (m.msg_controllen > MAX_CONTROL)
		return -ENOBUFS;
	if (m.msg_controllen && !m.msg_control)
		return -EFAULT;
	void *control = m.msg_controllen ? malloc(m.msg_controllen) : NULL;
	struct unix_addr *ua = malloc(sizeof(*ua));
	long r = -ENOMEM;
	if (ua && (control || !m.msg_controllen)) {
		if (control)
			memcpy(control, m.msg_control, m.msg_controllen);
		m.msg_control = control;
		r = each_passed_fd(m.msg_control, m.msg_controllen, check_sent_fd, NULL);
		if (r == 0)
			r = each_cmsg(m.msg_control, m.msg_controllen, SCM_CREDENTIALS, creds_to_host, NULL);
	}
	if (r == 0) {
		r = unix_addr_translate(c->a[0], m.msg_name, m.msg_namelen, false, ua);
		if (r > 0) {
			m.msg_name = &ua->sun;
			m.msg_namelen = ua->len;
		}
		if (r >= 0)
			r = host_blocking(__NR_sendmsg, c->a[0], &m, c->a[2]);
		unix_addr_release(ua);
	}
	free(ua);
	free(control);
	return r;
}

/* Received fds become app fds; one the host put in the libos's range is
 * closed by fd_install, and then the others are closed too (-EMFILE). */
static int record_received_fd(int *fd, void *arg)
{
	long r = fd_install(*fd, FD_OTHER, NULL, NULL);
	if (r < 0) {
		*(long *)arg = r;
		*fd = -1;
	}
	return 0;
}

static int close_received_fd(int *fd, void *arg)
{
	(void)arg;
	if (*fd >= 0)
		host_close(*fd);
	return 0;
}

SYS(recvmsg)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	struct app_msghdr *um = SYSCALL_ARG(1, struct app_msghdr *);
	if (!um)
		return -EFAULT;
	long r = host_blocking(__NR_recvmsg, c->a[0], um, c->a[2]);
	if (r < 0)
		return r;
	long err = 0;
	each_cmsg(um->msg_control, um->msg_controllen, SCM_CREDENTIALS, creds_to_app, NULL);
	each_passed_fd(um->msg_control, um->msg_controllen, record_received_fd, &err);
	if (err) {
		each_passed_fd(um->msg_control, um->msg_controllen, close_received_fd, NULL);
		return err;
	}
	return r;
}
