/* /proc as the sandbox sees it: its own process in full (sandbox pids,
 * paths, signal state) and, with nsd, every other process of the sandbox
 * from nsd's record and the host's view of it in sandbox terms. A file's contents are generated when it is opened,
 * into a host memfd, so read/lseek/fstat/close on it need nothing more. */
#include "arena.h"
#include "config.h"
#include "fdrecord.h"
#include "fs.h"
#include "identity.h"
#include "nsd.h"
#include "rpc.h"
#include "process.h"
#include "sysv.h"
#include "tty.h"
#include "uts.h"
#include "../host/host.h"
#include <asm/fcntl.h>
#include <linux/fcntl.h>
#include <linux/fs.h>

/* Host files shown unchanged (paths below /proc, written canonical so the
 * path.h functions apply): nothing in them identifies the host beyond what
 * uname already says. Their ancestors are directories. The names of the
 * sandbox (uts_names) are among them but made up. */
static const char *const passthrough[] = {
	"/cpuinfo", "/meminfo", "/stat", "/loadavg", "/uptime", "/version", "/filesystems",
	"/sys/kernel/osrelease", "/sys/kernel/ostype", "/sys/kernel/pid_max",
	"/sys/kernel/ngroups_max", "/sys/kernel/random/uuid", "/sys/kernel/random/boot_id",
	"/sys/kernel/tainted", "/sys/kernel/core_pattern", "/sys/vm/overcommit_memory",
	"/sys/kernel/hostname", "/sys/kernel/domainname",
	/* the sandbox's own (sys/sysv.c) */
	"/sysvipc/msg", "/sysvipc/sem", "/sysvipc/shm", "/sys/kernel/msgmax", "/sys/kernel/msgmnb",
	"/sys/kernel/msgmni", "/sys/kernel/sem", "/sys/kernel/shmmax", "/sys/kernel/shmall",
	"/sys/kernel/shmmni",
};
/* /proc/<pid>/ns: the sandbox's own namespaces, links "kind:[inode]"
 * (uts_ns_ino); the *_for_children ones name their kind's namespace. */
static const char *const ns_names[] = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
	                                "time", "time_for_children", "user", "uts" };
static const char *const pid_files[] = { "cmdline", "comm", "environ", "maps", "mountinfo",
	                                    "mounts", "stat", "statm", "status" };
/* The files of /proc/<pid>/task/<tid>: the process's own, for now. */
static const char *const task_files[] = { "cmdline", "comm", "stat", "status" };
static const char *const pid_links[] = { "cwd", "exe", "root" };

/* A growing text buffer for generated contents. */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = MAX(t->cap * 2, t->len + n + 4096);
		char *p = realloc(t->p, cap);
		if (!p) {
			t->oom = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = 0;
}

__attribute__((format(printf, 2, 3))) static void text_printf(struct text *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	text_add(t, line, MIN((size_t)n, sizeof(line) - 1));
}

static int read_host_file(const char *path, struct text *t)
{
	long fd = host(__NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (int)fd;
	fd = fd_make_private((int)fd);
	char buf[4096];
	long n;
	while ((n = host_read((int)fd, buf, sizeof(buf))) > 0)
		text_add(t, buf, n);
	host_close(fd);
	return n < 0 ? (int)n : 0;
}

/* Calls fn on each line of text (without its newline, NUL-terminated in place). */
static void each_line(struct text *src, void (*fn)(char *line, struct text *out), struct text *out)
{
	char *p = src->p;
	while (p && *p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		fn(p, out);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* Splits a host stat line in place into fields 3.. (those after ") "). */
static int stat_fields(char *line, char *f[52])
{
	char *p = strrchr(line, ')');
	int n = 0;
	for (char *s = p ? p + 2 : line; *s && n < 52;) {
		f[n++] = s;
		while (*s && *s != ' ' && *s != '\n')
			s++;
		if (*s)
			*s++ = 0;
	}
	return n;
}

/* "N" (rel's first component) when it is our pid or the tid of one of
 * our threads (Linux's /proc/<tid>: reachable by path, not listed), else 0. */
static int our_tid(const char *s, size_t n)
{
	char buf[16];
	uint64_t v;
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!parse_u64(buf, &v) || v > INT32_MAX)
		return 0;
	return v == (uint64_t)proc.pid || thread_by_tid((int)v) ? (int)v : 0;
}

static bool in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

/* fd's /proc/self/fd link text: its sandbox path, or what the host says
 * (pipe:[ino], socket:[ino]...) translated back through the mounts. Only a
 * directory's recorded path is followed by name; anything else is followed
 * by reopening the fd itself (vn->reopen), so that a file unlinked or
 * replaced since it was opened is still the one the fd refers to. */
static int fd_link_text(int fd, struct vnode *vn)
{
	char *out = vn->link;
	size_t size = sizeof(vn->link);
	if (!fd_app_valid(fd) || host(__NR_fcntl, fd, F_GETFD) < 0)
		return -ENOENT;
	enum fd_kind k = fd_info(fd, out, size);
	vn->reopen = !((k == FD_DIR || k == FD_VDIR) && out[0]);
	char host_path[SANDBOX_PATH_MAX];
	long n = host_fd_readlink(fd, host_path, sizeof(host_path));
	if (out[0]) {
		/* Linux marks a file unlinked since it was opened (a /proc
		 * file's memfd is always unlinked on the host) */
		static const char deleted[] = " (deleted)";
		size_t len = strlen(out);
		if (n >= (long)sizeof(deleted) - 1 && !strcmp(host_path + n - (sizeof(deleted) - 1), deleted) &&
		    !vfs_tree(out) && len + sizeof(deleted) <= size)
			memcpy(out + len, deleted, sizeof(deleted));
		return 0;
	}
	if (n < 0)
		return (int)n;
	if (mount_host_to_sandbox(host_path, out, size) < 0)
		strlcpy(out, host_path, size);
	return 0;
}

/* ---- other processes of the sandbox: /proc/<pid> from nsd's record ---- */

static const char *const other_files[] = { "cmdline", "comm", "environ", "stat", "status" };

/* What another process tells about itself over its RPC stream (the
 * ProcRead files: procfs_self_file), NUL-terminated in *text; 0 or -errno. */
static int other_read(const Nsd__Proc *p, const char *file, char **text)
{
	size_t len;
	return rpc_proc_read(p, file, text, &len);
}

/* The line of "N\tTEXT" lines (fd and task listings) that starts with key;
 * its text (in lines, which it cuts) or NULL. */
static char *keyed_line(char *lines, const char *key)
{
	size_t kn = strlen(key);
	for (char *l = lines; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		if (!strncmp(l, key, kn) && (l[kn] == '\t' || !l[kn]))
			return l + kn + (l[kn] == '\t');
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Gone from /proc: a "lost" process (it died without its Exit: SIGKILL,
 * a crash) is, like a "zombie", its parent's to reap, and shown until then. */
static bool reaped(const Nsd__Proc *p)
{
	return !strcmp(p->state, "reaped");
}

/* nsd's record of the process named by rel's first component when it is
 * another live or zombie process of the sandbox (free with nsd_free). */
static Nsd__Frame *other_proc(const char *s, size_t n, int *id)
{
	char buf[16];
	uint64_t v;
	if (n == 0 || n >= sizeof(buf))
		return NULL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!parse_u64(buf, &v) || v == (uint64_t)proc.pid || v > INT32_MAX)
		return NULL;
	Nsd__Frame *rep = nsd_lookup((int)v);
	if (rep && reaped(rep->proc)) {
		nsd_free(rep);
		rep = NULL;
	}
	/* A thread of another process but its main one: reachable, not listed,
	 * as on Linux; its (live) process's record, and *id the tid. */
	if (!rep)
		rep = rpc_thread_process((int)v);
	if (id)
		*id = (int)v;
	return rep;
}

/* /proc/<pid>/... of another process: files from nsd's record and its
 * stat; links, fd/ and task/ from the process itself (its stream). */
static int other_lookup(const char *rel, size_t n, const char *slash, struct vnode *vn)
{
	Nsd__Frame *rep = other_proc(rel, n, NULL);
	if (!rep)
		return -ENOENT;
	const char *sub = slash ? slash + 1 : "";
	char *text = NULL;
	int r = 0;
	if (!*sub || !strcmp(sub, "fd") || !strcmp(sub, "task")) {
		vn->type = VN_DIR;
	} else if (in_list(other_files, ARRAY_SIZE(other_files), sub)) {
		vn->type = VN_FILE;
	} else if (!strcmp(sub, "root")) {
		vn->type = VN_LINK;
		strlcpy(vn->link, "/", sizeof(vn->link));
	} else if (!strcmp(sub, "exe") || !strcmp(sub, "cwd") || str_starts_with(sub, "fd/")) {
		r = other_read(rep->proc, sub[0] == 'f' ? "fd" : sub, &text);
		char *target = r < 0 ? NULL : sub[0] == 'f' ? keyed_line(text, sub + 3) : text;
		vn->type = VN_LINK;
		if (target)
			strlcpy(vn->link, target, sizeof(vn->link));
		else if (r == 0)
			r = -ENOENT;
	} else if (str_starts_with(sub, "task/")) {
		const char *tid = sub + 5, *file = strchr(tid, '/');
		char key[16];
		snprintf(key, sizeof(key), "%.*s", (int)(file ? (size_t)(file - tid) : strlen(tid)), tid);
		r = other_read(rep->proc, "task", &text);
		if (r == 0 && !keyed_line(text, key))
			r = -ENOENT;
		vn->type = file ? VN_FILE : VN_DIR;
		if (r == 0 && file && !in_list(task_files, ARRAY_SIZE(task_files), file + 1))
			r = -ENOENT;
	} else {
		r = -ENOENT;
	}
	free(text);
	nsd_free(rep);
	return r;
}

/* /proc itself: every live or zombie process (nsd's Ps, in pid order). */
static int list_sandbox(struct dirlist *dl)
{
	Nsd__Frame *rep = nsd_ps();
	if (!rep) {
		char name[16], path[32];
		snprintf(name, sizeof(name), "%d", proc.pid);
		snprintf(path, sizeof(path), "/proc/%d", proc.pid);
		return dirlist_add(dl, name, 4 /* DT_DIR */, vfs_ino(path));
	}
	int r = 0;
	for (size_t i = 0; !r && i < rep->proc_list->n_procs; i++) {
		const Nsd__Proc *p = rep->proc_list->procs[i];
		char name[16], path[32];
		if (reaped(p))
			continue;
		snprintf(name, sizeof(name), "%u", p->pid);
		snprintf(path, sizeof(path), "/proc/%u", p->pid);
		r = dirlist_add(dl, name, 4 /* DT_DIR */, vfs_ino(path));
	}
	nsd_free(rep);
	return r;
}

static int add_names(struct dirlist *dl, const char *dir, const char *const *names, size_t n,
                     unsigned char type)
{
	char path[SANDBOX_PATH_MAX];
	int r = 0;
	for (size_t i = 0; !r && i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%s/%s", dir, names[i]);
		r = dirlist_add(dl, names[i], type, vfs_ino(path));
	}
	return r;
}

/* An entry in dir for the first field (before a tab) of each line. */
static int add_lines(struct dirlist *dl, const char *dir, char *lines, unsigned char type)
{
	int r = 0;
	for (char *l = lines; r == 0 && l && *l;) {
		char *nl = strchr(l, '\n'), *tab = strchr(l, '\t');
		if (nl)
			*nl = 0;
		if (tab && (!nl || tab < nl))
			*tab = 0;
		const char *name = l;
		r = add_names(dl, dir, &name, 1, type);
		l = nl ? nl + 1 : NULL;
	}
	return r;
}

static void add_tid(struct thread *th, void *arg)
{
	text_printf(arg, "%d\n", th->tid);
}

static void add_tid_host(struct thread *th, void *arg)
{
	text_printf(arg, "%d %d\n", th->tid, th->host_tid);
}

/* /proc/<pid>, <pid>/fd, <pid>/task, <pid>/task/<tid> of another process. */
static int other_list(const char *rel, struct dirlist *dl)
{
	static const char *const dirs[] = { "fd", "task" };
	const char *slash = strchr(rel, '/');
	if (!slash) {
		int r = add_names(dl, rel, other_files, ARRAY_SIZE(other_files), 8 /* DT_REG */);
		if (!r)
			r = add_names(dl, rel, pid_links, ARRAY_SIZE(pid_links), 10 /* DT_LNK */);
		return r ? r : add_names(dl, rel, dirs, ARRAY_SIZE(dirs), 4 /* DT_DIR */);
	}
	if (str_starts_with(slash + 1, "task/"))
		return add_names(dl, rel, task_files, ARRAY_SIZE(task_files), 8);
	Nsd__Frame *rep = other_proc(rel, (size_t)(slash - rel), NULL);
	if (!rep)
		return -ENOENT;
	char *text = NULL;
	bool fds = !strcmp(slash + 1, "fd");
	int r = other_read(rep->proc, fds ? "fd" : "task", &text);
	nsd_free(rep);
	if (r == 0)
		r = add_lines(dl, rel, text, fds ? 10 /* DT_LNK */ : 4 /* DT_DIR */);
	free(text);
	return r;
}

/* Its name as the kernel's comm would be from nsd's record: argv[0]'s file
 * name, 15 bytes (a zombie's; a live one's is its host stat's). */
static void other_comm(const Nsd__Proc *p, char *comm)
{
	const char *a = p->n_argv ? p->argv[0] : "";
	const char *base = strrchr(a, '/');
	strlcpy(comm, base ? base + 1 : a, 16);
}

/* The host's stat of a live process, split (f: fields 3..); 0 fields when
 * there is none. From the host's /proc, or, for a process the host does
 * not show us (another launch, another host), its own stat over its RPC
 * stream (whose thread count is the app's); that of its thread tid (not
 * its pid) always from the process (only it knows its threads' host tids).
 * comm: the name in it (each libos keeps its host threads' names the
 * app's, thread_set_comm), else other_comm's. host_stat must be freed. */
static int other_host_stat(const Nsd__Proc *p, int tid, struct text *host_stat, char *f[52], char *comm)
{
	char path[32];
	other_comm(p, comm);
	if (strcmp(p->state, "live"))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", p->host_pid);
	if (tid != (int)p->pid) {
		snprintf(path, sizeof(path), "task/%d/stat", tid);
		other_read(p, path, &host_stat->p);
	} else if (!nsd_is_local(p) || read_host_file(path, host_stat) < 0 || !host_stat->p) {
		free(host_stat->p);
		*host_stat = (struct text){ 0 };
		other_read(p, "stat", &host_stat->p);
	}
	if (!host_stat->p)
		return 0;
	char *open = strchr(host_stat->p, '('), *close = strrchr(host_stat->p, ')');
	if (open && close > open)
		snprintf(comm, 16, "%.*s", (int)(close - open - 1), open + 1);
	int n = stat_fields(host_stat->p, f);
	return n >= 18 ? n : 0;
}

static void gen_other_stat(const Nsd__Proc *p, int tid, struct text *t)
{
	struct text hs = { 0 };
	char *f[52], comm[16];
	int n = other_host_stat(p, tid, &hs, f, comm);
	text_printf(t, "%d (%s) %s %u %u %u", tid, comm, n ? f[0] : "Z", p->ppid, p->pgid, p->sid);
	/* The rest is the host's (times, memory, threads); a zombie's is zeros,
	 * and so are the addresses (code, stack, data, arguments), as Linux
	 * shows them to a reader that may not ptrace the process. */
	for (int i = 4; i < (n ? n : 52); i++) {
		bool addr = (i >= 23 && i <= 27) || (i >= 42 && i <= 48);
		if (n && i == 5) /* tpgid, field 8 */
			text_printf(t, " %d", tty_stat_tpgid(f[5], f[2], (int)p->pgid));
		else
			text_printf(t, " %s", n && !addr ? f[i] : "0");
	}
	text_add(t, "\n", 1);
	free(hs.p);
}

/* status's word for a stat state letter */
static const char *state_name(char state)
{
	static const char *const names[] = { ['R'] = "running", ['S'] = "sleeping", ['D'] = "disk sleep",
		                             ['T'] = "stopped", ['t'] = "tracing stop", ['Z'] = "zombie",
		                             ['X'] = "dead", ['I'] = "idle" };
	return (unsigned char)state < ARRAY_SIZE(names) && names[(unsigned char)state]
	       ? names[(unsigned char)state] : "sleeping";
}

static void gen_other_status(const Nsd__Proc *p, int tid, struct text *t)
{
	struct text hs = { 0 };
	char *f[52], comm[16];
	int n = other_host_stat(p, tid, &hs, f, comm);
	char state = n ? f[0][0] : 'Z';
	const char *sname = state_name(state);
	text_printf(t, "Name:\t%s\nState:\t%c (%s)\nTgid:\t%u\nNgid:\t0\nPid:\t%u\nPPid:\t%u\n"
	               "TracerPid:\t0\n",
	            comm, state, sname, p->pid, tid, p->ppid);
	/* another process's ids from the sandbox's table (identity.h); one
	 * another launch forked is shown with the sandbox's initial ids */
	struct cred_view v = { .ids = { config.uid, config.uid, config.uid, config.uid, config.gid, config.gid,
	                                config.gid, config.gid } };
	cred_of((int)p->pid, &v);
	text_printf(t, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nThreads:\t%s\n", v.ids[0], v.ids[1],
	            v.ids[2], v.ids[3], v.ids[4], v.ids[5], v.ids[6], v.ids[7], n ? f[17] : "1");
	free(hs.p);
}

static int gen_other_file(const char *rel, const char *name, struct text *t)
{
	int r = 0, tid;
	Nsd__Frame *rep = other_proc(rel, (size_t)(name - 1 - rel), &tid);
	if (!rep)
		return -ENOENT;
	const Nsd__Proc *p = rep->proc;
	const char *file = str_starts_with(name, "task/") ? strchr(name + 5, '/') : NULL;
	if (file) { /* a thread's: its own stat and status, the rest the process's */
		char key[16];
		uint64_t v;
		snprintf(key, sizeof(key), "%.*s", (int)(file - name - 5), name + 5);
		if (!parse_u64(key, &v) || v > INT32_MAX) {
			nsd_free(rep);
			return -ENOENT;
		}
		tid = (int)v;
		name = file + 1;
	}
	if (!strcmp(name, "environ")) {
		char *text = NULL;
		size_t len = 0;
		r = rpc_proc_read(p, "environ", &text, &len);
		if (r == 0)
			text_add(t, text, len);
		free(text);
	} else if (!strcmp(name, "cmdline")) {
		for (size_t i = 0; i < p->n_argv; i++)
			text_add(t, p->argv[i], strlen(p->argv[i]) + 1);
	} else if (!strcmp(name, "comm")) {
		struct text hs = { 0 };
		char *f[52], comm[16];
		other_host_stat(p, tid, &hs, f, comm);
		free(hs.p);
		text_printf(t, "%s\n", comm);
	} else if (!strcmp(name, "stat")) {
		gen_other_stat(p, tid, t);
	} else if (!strcmp(name, "status")) {
		gen_other_status(p, tid, t);
	} else {
		r = -ENOENT;
	}
	nsd_free(rep);
	return r;
}

int procfs_lookup(const char *rel, struct vnode *vn)
{
	char name[SANDBOX_NAME_MAX + 1];
	vn->type = VN_DIR;
	if (!*rel)
		return 0;
	if (!strcmp(rel, "self")) {
		vn->type = VN_LINK;
		snprintf(vn->link, sizeof(vn->link), "%d", proc.pid);
		return 0;
	}
	if (!strcmp(rel, "mounts")) {
		vn->type = VN_LINK;
		strlcpy(vn->link, "self/mounts", sizeof(vn->link));
		return 0;
	}
	char abs[SANDBOX_PATH_MAX];
	snprintf(abs, sizeof(abs), "/%s", rel);
	for (size_t i = 0; i < ARRAY_SIZE(passthrough); i++) {
		if (!strcmp(abs, passthrough[i])) {
			vn->type = VN_FILE;
			return 0;
		}
		if (path_child_toward(abs, passthrough[i], name, sizeof(name)))
			return 0; /* an ancestor: a directory */
	}
	const char *slash = strchr(rel, '/');
	size_t n = slash ? (size_t)(slash - rel) : strlen(rel);
	if (!our_tid(rel, n))
		return other_lookup(rel, n, slash, vn);
	if (!slash)
		return 0;
	const char *sub = slash + 1;
	if (!strcmp(sub, "fd") || !strcmp(sub, "ns") || !strcmp(sub, "task"))
		return 0;
	uint64_t tid;
	if (str_starts_with(sub, "task/")) {
		const char *file = strchr(sub + 5, '/');
		char key[16];
		snprintf(key, sizeof(key), "%.*s", (int)(file ? (size_t)(file - sub - 5) : strlen(sub + 5)), sub + 5);
		if (!parse_u64(key, &tid) || tid > INT32_MAX || !thread_by_tid((int)tid))
			return -ENOENT;
		if (file && !in_list(task_files, ARRAY_SIZE(task_files), file + 1))
			return -ENOENT;
		vn->type = file ? VN_FILE : VN_DIR;
		return 0;
	}
	if (in_list(pid_files, ARRAY_SIZE(pid_files), sub)) {
		vn->type = VN_FILE;
		return 0;
	}
	vn->type = VN_LINK;
	if (!strcmp(sub, "exe") || !strcmp(sub, "cwd")) {
		lock(&proc.lock);
		strlcpy(vn->link, sub[0] == 'e' ? proc.exe : proc.cwd, sizeof(vn->link));
		unlock(&proc.lock);
		return 0;
	}
	if (!strcmp(sub, "root")) {
		strlcpy(vn->link, "/", sizeof(vn->link));
		return 0;
	}
	if (str_starts_with(sub, "ns/") && in_list(ns_names, ARRAY_SIZE(ns_names), sub + 3)) {
		const char *name = sub + 3, *us = strchr(name, '_');
		size_t i = 0, kind = us ? (size_t)(us - name) : strlen(name);
		while (strncmp(ns_names[i], name, kind) || ns_names[i][kind])
			i++; /* the kind's own entry: pid for pid_for_children */
		snprintf(vn->link, sizeof(vn->link), "%s:[%u]", ns_names[i], (unsigned)uts_ns_ino((unsigned)i));
		return 0;
	}
	uint64_t fd;
	if (str_starts_with(sub, "fd/") && parse_u64(sub + 3, &fd) && fd < (uint64_t)libos_fd_base) {
		vn->type = VN_FD;
		vn->fd = (int)fd;
		return fd_link_text((int)fd, vn);
	}
	return -ENOENT;
}

struct fd_lister {
	const char *dir;
	struct dirlist *dl;
};

static int list_fd(int fd, void *arg)
{
	struct fd_lister *l = arg;
	char name[16], path[SANDBOX_PATH_MAX];
	snprintf(name, sizeof(name), "%d", fd);
	snprintf(path, sizeof(path), "%s/%s", l->dir, name);
	return dirlist_add(l->dl, name, 10 /* DT_LNK */, vfs_ino(path));
}

static int list_fds(const char *dir, struct dirlist *dl)
{
	struct fd_lister l = { dir, dl };
	return fd_foreach_open(list_fd, &l);
}

int procfs_list(const char *rel, struct dirlist *dl)
{
	char name[SANDBOX_NAME_MAX + 1], path[SANDBOX_PATH_MAX], abs[SANDBOX_PATH_MAX];
	int r = 0;
	if (!*rel) {
		/* Every process of the sandbox in pid order, ours too. */
		r = list_sandbox(dl);
		if (!r)
			r = dirlist_add(dl, "self", 10 /* DT_LNK */, vfs_ino("/proc/self"));
		if (!r)
			r = dirlist_add(dl, "mounts", 10, vfs_ino("/proc/mounts"));
	}
	/* the passthrough files and directories right below rel */
	snprintf(abs, sizeof(abs), "/%s", rel);
	for (size_t i = 0; !r && i < ARRAY_SIZE(passthrough); i++) {
		if (!path_child_toward(abs, passthrough[i], name, sizeof(name)))
			continue;
		bool dir = strchr(path_under(abs, passthrough[i]), '/') != NULL;
		snprintf(path, sizeof(path), "/proc%s/%s", *rel ? abs : "", name);
		r = dirlist_add_once(dl, name, dir ? 4 : 8 /* DT_REG */, vfs_ino(path));
	}
	const char *slash = strchr(rel, '/');
	/* another process's /proc/<pid>/... (not /proc/sys or /proc/sysvipc) */
	if (!r && *rel >= '1' && *rel <= '9' && !our_tid(rel, slash ? (size_t)(slash - rel) : strlen(rel)))
		return other_list(rel, dl);
	if (r || !*rel || !our_tid(rel, slash ? (size_t)(slash - rel) : strlen(rel)))
		return r;
	if (!slash) { /* /proc/<pid> */
		static const char *const dirs[] = { "fd", "ns", "task" };
		const struct { const char *const *names; size_t n; unsigned char type; } groups[] = {
			{ dirs, ARRAY_SIZE(dirs), 4 },
			{ pid_files, ARRAY_SIZE(pid_files), 8 },
			{ pid_links, ARRAY_SIZE(pid_links), 10 },
		};
		for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
			for (size_t i = 0; !r && i < groups[g].n; i++) {
				snprintf(path, sizeof(path), "/proc/%s/%s", rel, groups[g].names[i]);
				r = dirlist_add(dl, groups[g].names[i], groups[g].type, vfs_ino(path));
			}
		}
		return r;
	}
	snprintf(path, sizeof(path), "/proc/%s", rel);
	if (!strcmp(slash + 1, "fd"))
		return list_fds(path, dl);
	if (str_starts_with(slash + 1, "task/"))
		return add_names(dl, rel, task_files, ARRAY_SIZE(task_files), 8 /* DT_REG */);
	if (!strcmp(slash + 1, "task")) {
		struct text tids = { 0 };
		thread_foreach(add_tid, &tids);
		r = add_lines(dl, rel, tids.p, 4 /* DT_DIR */);
		free(tids.p);
		return r;
	}
	for (size_t i = 0; !r && !strcmp(slash + 1, "ns") && i < ARRAY_SIZE(ns_names); i++) {
		char npath[SANDBOX_PATH_MAX];
		snprintf(npath, sizeof(npath), "%s/%s", path, ns_names[i]);
		r = dirlist_add(dl, ns_names[i], 10 /* DT_LNK */, vfs_ino(npath));
	}
	return r;
}

/* Host status lines that describe memory and scheduling, not identity. */
static void keep_host_status(char *line, struct text *out)
{
	static const char *const keep[] = { "Vm", "Rss", "Huge", "SigQ", "Cpus_allowed",
	                                    "Mems_allowed", "voluntary", "nonvoluntary" };
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		if (str_starts_with(line, keep[i])) {
			text_add(out, line, strlen(line));
			text_add(out, "\n", 1);
			return;
		}
	}
}

/* Thread tid's name (the process's is its main thread's): its
 * prctl(PR_SET_NAME) name, else the program's file name, at most 15 bytes
 * like the kernel's. */
static void comm_of(int tid, char *comm, size_t size)
{
	struct thread *th = thread_by_tid(tid);
	if (th && th->comm[0]) {
		strlcpy(comm, th->comm, MIN(size, 16));
		return;
	}
	lock(&proc.lock);
	const char *base = strrchr(proc.exe, '/');
	strlcpy(comm, base ? base + 1 : proc.exe, MIN(size, 16));
	unlock(&proc.lock);
}

/* The host's stat line of thread th as /proc/<tid>/stat shows it (the
 * process's times) or, with task, as task/<tid>/stat does (the thread's);
 * the process's for its main thread (or when th is gone). */
static int read_thread_stat(const struct thread *th, bool task, struct text *t)
{
	char path[48];
	if (!th || (th->tid == proc.pid && !task))
		return read_host_file("/proc/self/stat", t);
	snprintf(path, sizeof(path), task ? "/proc/self/task/%d/stat" : "/proc/%d/stat", th->host_tid);
	return read_host_file(path, t);
}

/* /proc/<tid>/status (or task/<tid>/status): the process's, with thread
 * tid's name, state, ids and signal state (the pid's: its main thread). */
static void gen_status(struct text *t, int tid)
{
	char comm[16], state = 'R'; /* the reader's own thread runs */
	struct text host_status = { 0 }, host_stat = { 0 };
	comm_of(tid, comm, sizeof(comm));
	struct thread *me = current(), *th = thread_by_tid(tid);
	if (th && th != me && read_thread_stat(th, true, &host_stat) == 0 && host_stat.p) {
		char *e = strrchr(host_stat.p, ')');
		if (e && e[1] == ' ' && e[2])
			state = e[2];
	}
	free(host_stat.p);
	if (!th)
		th = me;
	uint64_t ign = 0, cgt = 0;
	lock(&proc.lock);
	for (int sig = 1; sig <= NSIG_APP; sig++) {
		uintptr_t h = proc.sigactions[sig].handler;
		if (h == 1)
			ign |= 1ULL << (sig - 1);
		else if (h > 1)
			cgt |= 1ULL << (sig - 1);
	}
	uint64_t shd = sigq_bits(&proc.sigq);
	int umask = proc.umask;
	unlock(&proc.lock);
	text_printf(t, "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
	               "PPid:\t%d\nTracerPid:\t0\n",
	            comm, umask, state, state_name(state), proc.pid, tid, parent_pid());
	text_printf(t, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t64\nGroups:\t", cred.ruid,
	            cred.euid, cred.suid, cred.fsuid, cred.rgid, cred.egid, cred.sgid, cred.fsgid);
	for (int i = 0; i < cred.ngroups; i++)
		text_printf(t, "%u ", cred.groups[i]);
	text_printf(t, "\n");
	/* One level: the sandbox is the reader's PID namespace. */
	text_printf(t, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", proc.pid, tid, proc.pgid,
	            proc.sid);
	text_printf(t, "Threads:\t%d\n", thread_count());
	if (read_host_file("/proc/self/status", &host_status) == 0)
		each_line(&host_status, keep_host_status, t);
	free(host_status.p);
	text_printf(t, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\nCapAmb:\t%016llx\n",
	            (unsigned long long)cred.cap_inh, (unsigned long long)cred.cap_prm,
	            (unsigned long long)cred.cap_eff, (unsigned long long)cred.cap_bset,
	            (unsigned long long)cred.cap_amb);
	text_printf(t, "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n",
	            (unsigned long)sigq_bits(&th->sigq), (unsigned long)shd, (unsigned long)th->sigmask,
	            (unsigned long)ign, (unsigned long)cgt);
	/* The app's own: the libos's filter and no_new_privs are not the app's
	 * (it installs none: seccomp() is refused). */
	text_printf(t, "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n");
}

/* The host's stat line with the sandbox's identity and thread count, and
 * the app's addresses where the host's would be the libos's: the code,
 * stack, brk and argv/envp of the host process are the libos image's and
 * its start-up stack's, which the app must not learn. */
static void gen_stat(struct text *t, int tid, bool task)
{
	struct text host_stat = { 0 };
	char comm[16];
	comm_of(tid, comm, sizeof(comm));
	if (read_thread_stat(thread_by_tid(tid), task, &host_stat) < 0 || !host_stat.p)
		return;
	/* keep state, replace ppid/pgrp/session */
	char *f[52];
	int n = stat_fields(host_stat.p, f);
	if (n < 18) {
		free(host_stat.p);
		return;
	}
	text_printf(t, "%d (%s) %s %d %d %d", tid, comm, f[0], parent_pid(), proc.pgid, proc.sid);
	/* fields 26-30 (startcode .. kstkeip) and 45-51 (start_data .. env_end) */
	const uintptr_t app[] = { proc.start_code, proc.end_code, proc.start_stack, 0, 0 };
	const uintptr_t app_data[] = { 0, 0, proc.brk_start, proc.arg_start, proc.arg_end,
		                       proc.env_start, proc.env_end };
	for (int i = 4; i < n; i++) {
		if (i == 17) /* num_threads, field 20 */
			text_printf(t, " %d", thread_count());
		else if (i == 5) /* tpgid, field 8 */
			text_printf(t, " %d", tty_stat_tpgid(f[5], f[2], proc.pgid));
		else if (i >= 23 && i < 28)
			text_printf(t, " %lu", (unsigned long)app[i - 23]);
		else if (i >= 42 && i < 49)
			text_printf(t, " %lu", (unsigned long)app_data[i - 42]);
		else
			text_printf(t, " %s", f[i]);
	}
	text_add(t, "\n", 1);
	free(host_stat.p);
}

static bool parse_hex(const char *s, uint64_t *v, const char **end)
{
	*v = 0;
	const char *b = s;
	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
		if (d < 0)
			break;
		*v = *v * 16 + d;
	}
	*end = s;
	return s != b;
}

/* A host maps line: dropped when it is the libos's, its file named by
 * sandbox path. */
static void map_line(char *line, struct text *out)
{
	uint64_t start, end;
	const char *s;
	if (!parse_hex(line, &start, &s) || *s != '-' || !parse_hex(s + 1, &end, &s))
		return;
	if (range_is_libos(start, end - start))
		return;
	char *path = line;
	for (int field = 0; field < 5 && *path; field++) {
		while (*path && *path != ' ')
			path++;
		while (*path == ' ')
			path++;
	}
	char sandbox[SANDBOX_PATH_MAX];
	if (*path == '/' && mount_host_to_sandbox(path, sandbox, sizeof(sandbox)) >= 0) {
		text_add(out, line, path - line);
		text_add(out, sandbox, strlen(sandbox));
	} else {
		text_add(out, line, strlen(line));
	}
	text_add(out, "\n", 1);
}

static void gen_maps(struct text *t)
{
	struct text host_maps = { 0 };
	if (read_host_file("/proc/self/maps", &host_maps) == 0)
		each_line(&host_maps, map_line, t);
	free(host_maps.p);
}

/* The sandbox's mounts: the manifest's, then the libos's trees; in
 * mountinfo form (ids from 2, all children of the root, id 1) or not. */
static void gen_mounts(struct text *t, bool info)
{
	static const char *const trees[][2] = { { "/proc", "proc" }, { "/dev", "devtmpfs" } };
	int n = config.nmounts + (int)ARRAY_SIZE(trees);
	for (int i = 0; i < n; i++) {
		bool tree = i >= config.nmounts;
		const char *path = tree ? trees[i - config.nmounts][0] : config.mounts[i].path;
		const char *type = tree ? trees[i - config.nmounts][1] : "graphene";
		const char *rw = !tree && config.mounts[i].readonly ? "ro" : "rw";
		if (info)
			text_printf(t, "%d 1 0:%d / %s %s,relatime - %s %s %s\n", i + 2, i + 2, path, rw, type, type, rw);
		else
			text_printf(t, "%s %s %s %s 0 0\n", type, path, type, rw);
	}
}

/* The app's environment strings as its memory holds them now (Linux
 * reads them from the process's memory too), through /proc/self/mem: the
 * app may have unmapped them, which must not fault the libos. */
static void gen_environ(struct text *t)
{
	size_t n = proc.env_end > proc.env_start ? proc.env_end - proc.env_start : 0;
	char *buf = n ? malloc(n) : NULL;
	long fd = buf ? host(__NR_openat, AT_FDCWD, "/proc/self/mem", O_RDONLY | O_CLOEXEC) : -ENOMEM;
	if (fd >= 0) {
		long r = host(__NR_pread64, fd, buf, n, proc.env_start);
		host_close((int)fd);
		if (r > 0)
			text_add(t, buf, (size_t)r);
	}
	free(buf);
}

/* File name of /proc/<tid> (tid: our pid or one of our threads' tids). */
static int gen_pid_file(int tid, const char *name, struct text *t)
{
	char comm[16];
	const char *file = str_starts_with(name, "task/") ? strchr(name + 5, '/') : NULL;
	bool task = file != NULL;
	if (task) { /* a thread's: its own stat, status and comm */
		tid = our_tid(name + 5, (size_t)(file - name - 5));
		if (!tid)
			return -ENOENT;
		name = file + 1;
	}
	if (!strcmp(name, "environ")) {
		gen_environ(t);
	} else if (!strcmp(name, "cmdline")) {
		text_add(t, proc.cmdline, proc.cmdline_len);
	} else if (!strcmp(name, "comm")) {
		comm_of(tid, comm, sizeof(comm));
		text_printf(t, "%s\n", comm);
	} else if (!strcmp(name, "status")) {
		gen_status(t, tid);
	} else if (!strcmp(name, "stat")) {
		gen_stat(t, tid, task);
	} else if (!strcmp(name, "statm")) {
		return read_host_file("/proc/self/statm", t);
	} else if (!strcmp(name, "maps")) {
		gen_maps(t);
	} else if (!strcmp(name, "mounts") || !strcmp(name, "mountinfo")) {
		gen_mounts(t, name[5] == 'i');
	} else {
		return -ENOENT;
	}
	return 0;
}

static int add_fd_line(int fd, void *arg)
{
	struct vnode vn;
	if (fd_link_text(fd, &vn) == 0) {
		text_printf(arg, "%d\t", fd);
		text_add(arg, vn.link, strlen(vn.link));
		text_add(arg, "\n", 1);
	}
	return 0;
}

/* For a ProcRead on the RPC helper: the SIGIO that started the helper
 * interrupted the app's thread, which may not be back yet in the call it
 * sleeps in (runnable, state R: for milliseconds on a busy CPU), and a
 * reader would see the app running where it sleeps. Up to 5 ms for it. */
static void settle_leader(void)
{
	for (int i = 0; i < 20; i++) {
		struct text st = { 0 };
		if (read_host_file("/proc/self/stat", &st) < 0 || !st.p)
			return;
		char *e = strrchr(st.p, ')');
		bool running = e && e[1] == ' ' && e[2] == 'R';
		free(st.p);
		if (!running)
			return;
		struct __kernel_timespec ts = { 0, 250 * 1000 };
		host(__NR_nanosleep, &ts, NULL);
	}
}

int procfs_self_file(const char *name, uint32_t uid, char **text, size_t *len)
{
	struct text t = { 0 };
	int r = 0;
	/* Linux's ptrace-read rule for these: the reader's fsuid is each of
	 * our uids (or root's). */
	bool own = uid == 0 || (uid == cred.ruid && uid == cred.euid && uid == cred.suid);
	const char *tfile = str_starts_with(name, "task/") ? strchr(name + 5, '/') : NULL;
	if (!strcmp(name, "stat")) {
		settle_leader();
		r = gen_pid_file(proc.pid, name, &t);
	} else if (tfile && !strcmp(tfile, "/stat")) {
		/* one thread's, for a peer's task/<tid>/stat and status */
		r = gen_pid_file(proc.pid, name, &t);
	} else if (!strcmp(name, "task")) {
		thread_foreach(add_tid, &t);
	} else if (!strcmp(name, "task-host")) {
		/* for a peer's pidfd_open(PIDFD_THREAD) of one of ours (sys/signal.c) */
		thread_foreach(add_tid_host, &t);
	} else if (!strcmp(name, "environ") || !strcmp(name, "exe") || !strcmp(name, "cwd") ||
	           !strcmp(name, "fd")) {
		if (!own) {
			r = -EACCES;
		} else if (name[0] == 'e' && name[1] == 'n') {
			gen_environ(&t);
		} else if (name[0] == 'f') {
			r = fd_foreach_open(add_fd_line, &t);
		} else {
			lock(&proc.lock);
			const char *s = name[0] == 'e' ? proc.exe : proc.cwd;
			text_add(&t, s, strlen(s));
			unlock(&proc.lock);
		}
	} else {
		r = -ENOENT;
	}
	if (r == 0 && !t.p)
		text_add(&t, "", 0);
	if (r == 0 && t.oom)
		r = -ENOMEM;
	if (r < 0)
		free(t.p);
	*text = r < 0 ? NULL : t.p;
	*len = r < 0 ? 0 : t.len;
	return r;
}

static void add_line(void *t, const char *line)
{
	text_add(t, line, strlen(line));
}

long procfs_open(const char *rel)
{
	struct text t = { 0 };
	char host_path[SANDBOX_PATH_MAX];
	const char *slash = strchr(rel, '/');
	int r, tid;
	if (slash && (tid = our_tid(rel, slash - rel))) {
		r = gen_pid_file(tid, slash + 1, &t);
	} else if (!strcmp(rel, "sys/kernel/hostname") || !strcmp(rel, "sys/kernel/domainname")) {
		char name[UTS_NAME_LEN];
		uts_names(rel[11] == 'h' ? name : NULL, rel[11] == 'h' ? NULL : name);
		text_printf(&t, "%s\n", name);
		r = 0;
	} else if (slash && rel[0] >= '1' && rel[0] <= '9') {
		r = gen_other_file(rel, slash + 1, &t);
	} else if (sysv_proc_file(rel, add_line, &t)) {
		r = 0;
	} else if (!strcmp(rel, "sys/kernel/pid_max")) {
		/* The sandbox's pid space is nsd's, as a PID namespace's is its own. */
		text_printf(&t, "%d\n", SANDBOX_PID_MAX);
		r = 0;
	} else {
		snprintf(host_path, sizeof(host_path), "/proc/%s", rel);
		r = read_host_file(host_path, &t);
	}
	if (!r && t.oom)
		r = -ENOMEM;
	long fd = r < 0 ? r : host(__NR_memfd_create, "graphene-proc", 0);
	for (size_t off = 0; fd >= 0 && off < t.len;) {
		long n = host_write((int)fd, t.p + off, t.len - off);
		if (n <= 0) {
			host_close(fd);
			fd = n < 0 ? n : -EIO;
			break;
		}
		off += n;
	}
	if (fd >= 0)
		host(__NR_lseek, fd, 0, SEEK_SET);
	free(t.p);
	return fd;
}
