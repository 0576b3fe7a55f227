/* The fd table: app fd N is host fd N (so I/O passes straight through); the
 * libos adds one record per fd for what the host cannot tell it, indexed by
 * the fd number. The libos's own fds live at and above libos_fd_base. */
#include "locks.h"
#include "fdrecord.h"
#include "../host/host.h"
#include "log.h"
#include <asm/fcntl.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/resource.h>

/* Room kept above the app's range for the libos's own fds. */
#define LIBOS_FDS 256

struct vdir {
	int refs;
	size_t pos; /* shared by dups, like an open file description's offset */
	struct dirlist list;
};

struct fd_rec {
	enum fd_kind kind;
	char *path;
	struct vdir *vdir;
};

int libos_fd_base __ro_after_init;
/* The app's RLIMIT_NOFILE (virtual: the host's covers the libos's fds too). */
static uint64_t app_soft_limit, app_hard_limit;
static struct fd_rec *recs; /* libos_fd_base entries, allocated on first use */
struct lock fd_lock __fork_hot = LOCK_INIT;

/* Raises the host's RLIMIT_NOFILE to its hard limit, so the app can have
 * up to libos_fd_base fds and the libos its own LIBOS_FDS above them.
 *
 * The base is fixed, not the app's soft limit nor the top of the range:
 * the kernel's fd table grows to the highest fd in use and every fork
 * copies it (dup_fd), so libos fds at a starting soft limit of 20000 cost
 * each fork ~50 us of copying and freeing a table that size, and near a
 * hard limit of, say, 524288 megabytes.
 *
 * The app's limits are the host's as they were (what Linux would show);
 * its fds stop at libos_fd_base whatever its soft limit (EMFILE there). A
 * small hard limit, which a process may well start under, is shared: the
 * libos takes the upper half, at most LIBOS_FDS. */
#define APP_FDS 4096
void fd_init(void)
{
	struct rlimit64 lim;
	if (host(__NR_prlimit64, 0, RLIMIT_NOFILE, NULL, &lim) < 0)
		libos_fatal("fd table: cannot read RLIMIT_NOFILE");
	uint64_t orig_soft = lim.rlim_cur;
	lim.rlim_cur = lim.rlim_max;
	host(__NR_prlimit64, 0, RLIMIT_NOFILE, &lim, NULL);
	uint64_t top = lim.rlim_max;
	libos_fd_base = (int)MIN(APP_FDS, top - MIN(LIBOS_FDS, top / 2));
	app_hard_limit = lim.rlim_max;
	app_soft_limit = orig_soft;
}

void fd_limits(uint64_t *soft, uint64_t *hard)
{
	*soft = __atomic_load_n(&app_soft_limit, __ATOMIC_RELAXED);
	*hard = __atomic_load_n(&app_hard_limit, __ATOMIC_RELAXED);
}

int fd_set_limits(uint64_t soft, uint64_t hard)
{
	if (soft > hard || hard > app_hard_limit)
		return -EPERM;
	__atomic_store_n(&app_soft_limit, soft, __ATOMIC_RELAXED);
	__atomic_store_n(&app_hard_limit, hard, __ATOMIC_RELAXED);
	return 0;
}

bool fd_below_limit(long fd)
{
	return fd_app_valid(fd) && (uint64_t)fd < __atomic_load_n(&app_soft_limit, __ATOMIC_RELAXED);
}

int fd_make_private(int fd)
{
	long r = host(__NR_fcntl, fd, F_DUPFD_CLOEXEC, libos_fd_base);
	host_close(fd);
	return (int)r;
}

static void vdir_put(struct vdir *v)
{
	if (v && --v->refs == 0) {
		dirlist_free(&v->list);
		free(v);
	}
}

/* Empties a record; called with fd_lock held. */
static void rec_clear(struct fd_rec *r)
{
	free(r->path);
	vdir_put(r->vdir);
	*r = (struct fd_rec){ 0 };
}

static bool recs_ready(void)
{
	if (!recs)
		__atomic_store_n(&recs, calloc(libos_fd_base, sizeof(*recs)), __ATOMIC_RELEASE);
	return recs != NULL;
}

/* An upper bound of the app's open fds, so that execve's close-on-exec
 * probes 0..fd_high instead of listing /proc/self/fd (a dentry and an inode
 * made per fd, the larger part of an exec's own cost). Every fd the app
 * gets comes through fd_install; those it was started with are found by
 * one listing, made at the first fork (fd_bound_prepare), which children
 * inherit. Only grows: too high is only probing closed fds. */
static int fd_high = -1;
static bool fd_high_known;

static void fd_high_raise(int fd)
{
	int cur = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);
	while (fd > cur && !__atomic_compare_exchange_n(&fd_high, &cur, fd, true, __ATOMIC_RELAXED,
	                                                __ATOMIC_RELAXED))
		;
}

static int note_open(uint64_t fd, void *arg)
{
	(void)arg;
	if (fd_app_valid((long)fd))
		fd_high_raise((int)fd);
	return 0;
}

void fd_bound_prepare(void)
{
	if (!__atomic_load_n(&fd_high_known, __ATOMIC_ACQUIRE) &&
	    host_foreach_numbered("/proc/self/fd", note_open, NULL) == 0)
		__atomic_store_n(&fd_high_known, true, __ATOMIC_RELEASE);
}

long fd_install(long fd, enum fd_kind kind, const char *path, struct dirlist *list)
{
	if (fd < 0)
		return fd;
	if (!fd_below_limit(fd)) {
		host_close(fd);
		return -EMFILE;
	}
	fd_high_raise((int)fd);
	char *p = path ? strdup(path) : NULL;
	struct vdir *v = NULL;
	if (kind == FD_VDIR) {
		v = calloc(1, sizeof(*v));
		if (v) {
			v->refs = 1;
			v->list = *list;
			*list = (struct dirlist){ 0 };
		}
	}
	lock(&fd_lock);
	bool ok = recs_ready() && (p || !path) && (v || kind != FD_VDIR);
	if (ok) {
		rec_clear(&recs[fd]);
		recs[fd] = (struct fd_rec){ kind, p, v };
	}
	unlock(&fd_lock);
	if (!ok) {
		free(p);
		free(v);
		host_close(fd);
		return -ENOMEM;
	}
	return fd;
}

const char *host_fd_link(char *buf, int fd)
{
	snprintf(buf, HOST_FD_LINK_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

long host_fd_readlink(int fd, char *buf, size_t size)
{
	char link[HOST_FD_LINK_MAX];
	long n = host(__NR_readlinkat, AT_FDCWD, host_fd_link(link, fd), buf, size - 1);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

void fd_set_path(int fd, const char *path)
{
	char *p = strdup(path);
	lock(&fd_lock);
	if (recs && fd_app_valid(fd) && p) {
		free(recs[fd].path);
		recs[fd].path = p;
		p = NULL;
	}
	unlock(&fd_lock);
	free(p);
}

void fd_paths_renamed(const char *from, const char *to)
{
	char path[SANDBOX_PATH_MAX];
	lock(&fd_lock);
	for (int fd = 0; recs && fd < libos_fd_base; fd++) {
		struct fd_rec *r = &recs[fd];
		/* a socket keeps the address it was bound to, as on Linux */
		const char *rest = r->path && r->kind != FD_OTHER ? path_under(from, r->path) : NULL;
		char *p = rest && path_canon(to, rest, path, sizeof(path)) >= 0 ? strdup(path) : NULL;
		if (p) {
			free(r->path);
			r->path = p;
		}
	}
	unlock(&fd_lock);
}

void fd_forget_range(int first, int last)
{
	lock(&fd_lock);
	if (recs)
		for (int fd = MAX(first, 0); fd <= last && fd < libos_fd_base; fd++)
			rec_clear(&recs[fd]);
	unlock(&fd_lock);
}

void fd_copy(int from, int to)
{
	lock(&fd_lock);
	if (recs_ready() && from != to) {
		rec_clear(&recs[to]);
		struct fd_rec *f = &recs[from];
		recs[to] = (struct fd_rec){ f->kind, f->path ? strdup(f->path) : NULL, f->vdir };
		if (f->path && !recs[to].path)
			recs[to].kind = FD_OTHER; /* out of memory: forget what it was */
		if (f->vdir)
			f->vdir->refs++;
	}
	unlock(&fd_lock);
}

enum fd_kind fd_kind_of(int fd)
{
	/* no lock: on the path of every read and write; recs, once set, stays */
	struct fd_rec *r = __atomic_load_n(&recs, __ATOMIC_ACQUIRE);
	return r && fd_app_valid(fd) ? __atomic_load_n(&r[fd].kind, __ATOMIC_RELAXED) : FD_OTHER;
}

#define FD_DATA_CASE(name, vdir_err, sysctl) case __NR_##name:
bool fd_data_passes(long nr, long fd)
{
	switch (nr) {
	FD_DATA_CALLS(FD_DATA_CASE)
		break;
	default:
		return false;
	}
	if (!fd_app_valid(fd))
		return false;
	enum fd_kind k = fd_kind_of((int)fd);
	return k != FD_VDIR && k != FD_SYSCTL;
}

enum fd_kind fd_info(int fd, char *path, size_t size)
{
	enum fd_kind k = FD_OTHER;
	if (size)
		path[0] = 0;
	lock(&fd_lock);
	if (recs && fd_app_valid(fd)) {
		k = recs[fd].kind;
		if (recs[fd].path)
			strlcpy(path, recs[fd].path, size);
	}
	unlock(&fd_lock);
	return k;
}

/* Whole records only: the kernel does the same for getdents64. The records
 * go through a libos buffer: writing app memory under fd_lock could fault
 * (-EFAULT, entry.c) and leave the lock held. */
long fd_vdir_getdents(int fd, void *buf, size_t n)
{
	long ret = -ENOTDIR;
	char *tmp = malloc(MIN(n, 1 << 16));
	if (!tmp)
		return -ENOMEM;
	n = MIN(n, 1 << 16);
	lock(&fd_lock);
	struct vdir *v = recs && fd_app_valid(fd) ? recs[fd].vdir : NULL;
	if (v) {
		size_t done = 0;
		while (v->pos < v->list.len) {
			unsigned short reclen;
			memcpy(&reclen, v->list.buf + v->pos + 16, sizeof(reclen));
			if (done + reclen > n)
				break;
			memcpy(tmp + done, v->list.buf + v->pos, reclen);
			done += reclen;
			v->pos += reclen;
		}
		ret = done || v->pos >= v->list.len ? (long)done : -EINVAL;
	}
	unlock(&fd_lock);
	if (ret > 0)
		memcpy(buf, tmp, ret);
	free(tmp);
	return ret;
}

long fd_vdir_seek(int fd, long off, int whence)
{
	long ret = -ENOTDIR;
	lock(&fd_lock);
	struct vdir *v = recs && fd_app_valid(fd) ? recs[fd].vdir : NULL;
	if (v) {
		long base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (long)v->pos : -1;
		/* Offsets are record boundaries the app got from us (d_off). */
		if (base < 0 || base + off < 0 || (size_t)(base + off) > v->list.len) {
			ret = -EINVAL;
		} else {
			v->pos = base + off;
			ret = (long)v->pos;
		}
	}
	unlock(&fd_lock);
	return ret;
}

int host_foreach_numbered(const char *path, int (*fn)(uint64_t n, void *arg), void *arg)
{
	long dir = host(__NR_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return (int)dir;
	dir = fd_make_private((int)dir);
	char buf[4096];
	long n;
	int r = 0;
	while (!r && (n = host(__NR_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; !r && off < n;) {
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof(reclen)); /* linux_dirent64.d_reclen */
			uint64_t v;
			if (parse_u64(buf + off + 19 /* d_name */, &v))
				r = fn(v, arg);
			off += reclen;
		}
	}
	host_close(dir);
	return r;
}

struct fd_visit {
	int (*fn)(int fd, void *arg);
	void *arg;
};

static int visit_app_fd(uint64_t fd, void *arg)
{
	struct fd_visit *v = arg;
	return fd_app_valid((long)fd) ? v->fn((int)fd, v->arg) : 0;
}

int fd_foreach_open(int (*fn)(int fd, void *arg), void *arg)
{
	struct fd_visit v = { fn, arg };
	return host_foreach_numbered("/proc/self/fd", visit_app_fd, &v);
}

static int close_if_cloexec(int fd, void *arg)
{
	(void)arg;
	if (host(__NR_fcntl, fd, F_GETFD) == FD_CLOEXEC && host_close(fd) == 0)
		fd_forget_range(fd, fd);
	return 0;
}

/* Beyond this many, one listing costs less than probing each number. */
#define FD_PROBE_MAX 1024

/* execve inside the libos replaces the program but not the host process, so
 * the kernel's close-on-exec never happens: do it for the app's fds. poll
 * tells which of a batch are open (POLLNVAL: not), in one host call. */
void fd_close_on_exec(void)
{
	int high = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&fd_high_known, __ATOMIC_ACQUIRE) || high >= FD_PROBE_MAX) {
		fd_foreach_open(close_if_cloexec, NULL);
		return;
	}
	struct pollfd p[64];
	for (int first = 0; first <= high; first += (int)ARRAY_SIZE(p)) {
		int n = MIN((int)ARRAY_SIZE(p), high + 1 - first);
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){ first + i, 0, 0 };
		if (host(__NR_poll, p, n, 0) < 0) {
			fd_foreach_open(close_if_cloexec, NULL);
			return;
		}
		for (int i = 0; i < n; i++)
			if (!(p[i].revents & POLLNVAL))
				close_if_cloexec(first + i, NULL);
	}
}
