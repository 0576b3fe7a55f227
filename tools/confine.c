/* The launcher's half of the sandbox boundary (confine.h).
 *
 * Launched by root, the picoprocess runs as a host uid/gid of its own, U
 * (sandbox_host_uid), with no supplementary groups, no capabilities in any
 * set, an empty bounding set, SECBIT_NOROOT and SECBIT_NO_SETUID_FIXUP
 * locked and no_new_privs. So it owns nothing on the host, cannot act on
 * another sandbox's processes through same-uid rules, and no exec can give
 * it privilege back. The manifest's writable mounts stay writable for it:
 * each mount is a clone of the host tree, idmapped so that host uid/gid 0
 * appears as U (files of root look like the app's own; what it creates is
 * root's on disk), nosuid, nodev, read-only where the manifest says, and
 * attached over its own host path in a private mount namespace, so host
 * paths (in /proc/self/maps, fd links) keep their names for the libos's
 * translation back to sandbox paths. The launcher opens every mount root
 * (as root, before the drop: the host path's ancestors may be closed to U)
 * and hands the fds to the libos in the blob.
 *
 * Launched by another user, the picoprocess keeps that uid (it cannot take
 * another), loses its ambient and inheritable capabilities and gets
 * no_new_privs; read-only mounts are then enforced by Landlock and the libos.
 *
 * Either way, inherited fds other than 0, 1, 2 and loader.pass_fds are
 * closed: they could name host files outside every mount. The libos image
 * is opened before the drop and exec'd by fd, for the same reason as the
 * mount roots. */
#include "confine.h"
#include "memcg.h"

#include "../libos/config_blob.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Sandbox uids: 2^31 + k * 2^22 + the launcher's pid, for the first k that no
 * live process uses. No account has uids that high, pids stay below 2^22
 * (PID_MAX_LIMIT), so two live launchers never pick the same one, and k
 * steps over a uid still held by an earlier sandbox of the same pid. When
 * sandboxes get ids from nsd, this is the one function to change. */
#define SANDBOX_UID_BASE 0x80000000u
#define SANDBOX_UID_STEP (1u << 22)
#define SANDBOX_UID_TRIES 510 /* with its IDMAP_COUNT ids, below 2^32 - 1 (no uid) */

/* Does a live process of our PID namespace have real uid uid? The kernel
 * answers getpriority(PRIO_USER) from its own task list, with ESRCH when
 * none has: one call, where reading /proc took an fstatat per host process.
 * A sandbox's processes have real, effective and saved uid U and cannot
 * change them (no capabilities, no_new_privs). */
static bool uid_in_use(unsigned uid)
{
    return syscall(SYS_getpriority, PRIO_USER, uid) >= 0 || errno != ESRCH;
}

/* Only a launcher of this pid, this one, makes processes of these uids. */
unsigned sandbox_host_uid(void)
{
    unsigned uid = SANDBOX_UID_BASE + (unsigned)getpid();
    for (int k = 0; k < SANDBOX_UID_TRIES && uid_in_use(uid); k++)
        uid += SANDBOX_UID_STEP;
    return uid;
}

static __attribute__((format(printf, 2, 3))) void info(const struct manifest *m, const char *fmt, ...)
{
    if (m->log_level < LOG_INFO)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("graphene: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int fail(const char *what)
{
    fprintf(stderr, "graphene: cannot confine the sandbox: %s: %s\n", what, strerror(errno));
    return -1;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int close_inherited_fds(const struct manifest *m)
{
    int *keep = malloc((m->npass_fds + 1) * sizeof(*keep));
    if (!keep)
        return fail("out of memory");
    memcpy(keep, m->pass_fds, m->npass_fds * sizeof(*keep));
    qsort(keep, m->npass_fds, sizeof(*keep), cmp_int);
    unsigned lo = 3;
    int r = 0;
    for (size_t i = 0; r == 0 && i <= m->npass_fds; i++) {
        unsigned hi = i < m->npass_fds ? (unsigned)keep[i] : ~0u;
        if (hi > lo)
            r = (int)syscall(SYS_close_range, lo, hi - 1, 0);
        lo = hi + 1;
    }
    free(keep);
    return r ? fail("close_range") : 0;
}

int open_log_file(struct manifest *m)
{
    if (!m->log_file)
        return 0;
    /* no O_CLOEXEC: the libos image inherits it */
    m->log_fd = open(m->log_file, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0600);
    if (m->log_fd < 0) {
        fprintf(stderr, "graphene: cannot open the log file %s: %s\n", m->log_file, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_file(int dir, const char *path, const char *text)
{
    int fd = openat(dir, path, O_WRONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));
    if (fd >= 0)
        close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A user namespace mapping ids 0.. to uid.. (IDMAP_COUNT of them, so that
 * the libos can show files of other on-disk ids as they are): what the
 * idmapped mounts are made from. A child is cloned straight into a new one
 * (no unshare to wait for) and shares the launcher's memory (no page tables
 * to copy); the launcher writes its maps, keeps a handle on it and releases
 * the child, which reap_idmap_child reaps once the mounts are made, by when it
 * has long exited.
 *
 * Released, the child leaves behind the namespace keeper: a process detached
 * from the launcher (its parent exits at once, so the picoprocess never sees
 * it as a host child) that holds the sandbox's mount namespace (it shares
 * the launcher's, made by the unshare before) and, sharing its memory, the
 * launcher's own until the picoprocess that the launcher execs into has
 * exited; then it exits. So the namespace's last reference goes in the
 * keeper's exit, not in the picoprocess's: the teardown of its mounts waits
 * for an RCU grace period, and the caller's wait no longer waits for it (nor
 * for the unmapping of the launcher's memory, which its exec did before).
 * It keeps no fd but the pidfd it waits on (it is not to hold the caller's
 * stdout, nsd's connection, the mount clones), is root (the sandbox's uid
 * may not signal it) and in a session of its own (a terminal's ^C or ^Z to
 * the app's group is not for it). The child and the keeper share the
 * launcher's thread pointer, so they make no call that can fail and set
 * errno under it. */
static pid_t idmap_child = -1;

struct idmap_fds {
    int release; /* read end: EOF when the launcher is done with the child */
    int launcher; /* pidfd of the launcher */
};

static int keeper_main(void *arg)
{
    struct pollfd p = { .fd = ((struct idmap_fds *)arg)->launcher, .events = POLLIN };
    setsid();
    prctl(PR_SET_NAME, "graphene-nskeep");
    poll(&p, 1, -1);
    return 0;
}

static int idmap_child_main(void *arg)
{
    static char stack[8192] __attribute__((aligned(16)));
    struct idmap_fds *fds = arg;
    int lo = fds->release < fds->launcher ? fds->release : fds->launcher;
    int hi = fds->release ^ fds->launcher ^ lo;
    if (lo > 0)
        syscall(SYS_close_range, 0, lo - 1, 0);
    if (hi > lo + 1)
        syscall(SYS_close_range, lo + 1, hi - 1, 0);
    syscall(SYS_close_range, hi + 1, ~0u, 0);
    char c;
    read(fds->release, &c, 1);
    close(fds->release);
    /* no exit signal: it is reparented, and its new parent reaps it */
    clone(keeper_main, stack + sizeof(stack), CLONE_VM, fds);
    return 0;
}

/* proc: the host's /proc (the namespace may have none) */
static int idmap_userns(unsigned uid, int proc)
{
    static char stack[16384] __attribute__((aligned(16)));
    static struct idmap_fds fds;
    int release[2];
    if ((fds.launcher = (int)syscall(SYS_pidfd_open, getpid(), 0)) < 0)
        return -1;
    if (pipe2(release, O_CLOEXEC)) {
        close(fds.launcher);
        return -1;
    }
    fds.release = release[0];
    idmap_child = clone(idmap_child_main, stack + sizeof(stack), CLONE_VM | CLONE_NEWUSER | SIGCHLD, &fds);
    close(fds.launcher);
    close(release[0]);
    if (idmap_child < 0) {
        close(release[1]);
        return -1;
    }
    char path[64], map[64];
    snprintf(map, sizeof(map), "0 %u %u\n", uid, IDMAP_COUNT);
    snprintf(path, sizeof(path), "%d/uid_map", (int)idmap_child);
    int ok = write_file(proc, path, map) == 0;
    snprintf(path, sizeof(path), "%d/gid_map", (int)idmap_child);
    ok = ok && write_file(proc, path, map) == 0;
    snprintf(path, sizeof(path), "%d/ns/user", (int)idmap_child);
    int ns = ok ? openat(proc, path, O_RDONLY | O_CLOEXEC) : -1;
    close(release[1]);
    return ns;
}

/* Before the exec: an unreaped child would be the app's. */
static void reap_idmap_child(void)
{
    if (idmap_child > 0)
        waitpid(idmap_child, NULL, 0);
    idmap_child = -1;
}

/* A clone of mount mt's host tree (taken in the host's namespace), or
 * when the host allows none the tree itself, opened O_PATH and reached
 * through that fd only; *cloned says which. */
static int clone_mount(const struct manifest *m, const struct mount *mt, bool *cloned)
{
    int fd = open_tree(AT_FDCWD, mt->uri, OPEN_TREE_CLONE | AT_RECURSIVE);
    *cloned = fd >= 0;
    if (fd >= 0)
        return fd;
    info(m, "mount %s: cannot clone %s (%s): not idmapped%s", mt->path, mt->uri, strerror(errno),
         mt->readonly ? ", read-only by Landlock" : "");
    return open(mt->uri, O_PATH);
}

/* The sandbox's attributes on the clone fd of mount mt; false when the host
 * allows none (then the clone is not attached: it keeps the host's
 * attributes and is reached through its fd only, as an unclonable tree). */
static bool mount_attributes(const struct manifest *m, const struct mount *mt, int fd, int userns)
{
    struct mount_attr attr = {
        .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (mt->readonly ? MOUNT_ATTR_RDONLY : 0),
    };
    if (userns >= 0) {
        attr.attr_set |= MOUNT_ATTR_IDMAP;
        attr.userns_fd = (unsigned)userns;
        if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
            return true;
        /* e.g. a file system without idmap support: files of host root
         * stay root's, so this mount may not be writable for the app */
        info(m, "mount %s: %s cannot be idmapped (%s)", mt->path, mt->uri, strerror(errno));
        attr.attr_set &= ~(unsigned long long)MOUNT_ATTR_IDMAP;
    }
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
        return true;
    info(m, "mount %s: cannot set attributes on %s (%s)", mt->path, mt->uri, strerror(errno));
    return false;
}

/* Deeper host paths first: a mount attached later covers them, so each
 * sandbox mount shows its own host directory (with its own attributes),
 * never another sandbox mount nested in it. */
static int cmp_deeper_first(const void *a, const void *b)
{
    const struct mount *x = *(struct mount *const *)a, *y = *(struct mount *const *)b;
    size_t lx = strlen(x->uri), ly = strlen(y->uri);
    return lx < ly ? 1 : lx > ly ? -1 : 0;
}

/* The host device nodes the libos offers in /dev (libos/fs/devfs.c). */
static const char *const dev_nodes[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                         "/dev/urandom", "/dev/tty" };
#define NDEV (sizeof(dev_nodes) / sizeof(dev_nodes[0]))

/* The directories make_mount_point made in the new root: each mount point
 * shares its parents with others, and a mkdir that finds one costs a host
 * call as well. A mount attached over one later leaves a directory there. */
#define MADE_DIRS 64
static char *made_dirs[MADE_DIRS];
static size_t nmade_dirs;

static bool dir_made(const char *dir)
{
    for (size_t i = 0; i < nmade_dirs; i++)
        if (!strcmp(made_dirs[i], dir))
            return true;
    return false;
}

/* mkdir -p of path's directories (and of path itself unless it is to be a
 * file) inside the new root; then the mount point exists. */
static int make_mount_point(const char *path, bool is_file)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p && *p != '/')
            continue;
        char c = *p;
        *p = 0;
        bool last = c == 0;
        if (last && is_file)
            return mknod(buf, S_IFREG | 0644, 0) && errno != EEXIST ? -1 : 0;
        if (!dir_made(buf)) {
            if (mkdir(buf, 0755) && errno != EEXIST)
                return -1;
            if (nmade_dirs < MADE_DIRS && (made_dirs[nmade_dirs] = strdup(buf)))
                nmade_dirs++;
        }
        if (last)
            return 0;
        *p = c;
    }
}

/* path is dir or below it (both absolute, canonical). */
static bool is_within(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == 0 || (n == 1 && dir[0] == '/'));
}

static int attach(int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) || make_mount_point(path, !S_ISDIR(st.st_mode)) ||
        move_mount(fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH))
        return fail(path);
    return 0;
}

/* The host's gid of the tty group (its /etc/group), or -1. */
static long tty_group(void)
{
    FILE *f = fopen("/etc/group", "re");
    char line[512];
    long gid = -1;
    while (f && gid < 0 && fgets(line, sizeof(line), f)) {
        char *p = strchr(line, ':');
        if (!strncmp(line, "tty:", 4) && p && (p = strchr(p + 1, ':')))
            gid = strtol(p + 1, NULL, 10);
    }
    if (f)
        fclose(f);
    return gid;
}

/* A new devpts instance attached at /dev/pts: its ptys are the sandbox's
 * only (the host's and other sandboxes' are in other instances), at most
 * 1024 of them; a new slave is mode 0620, of group gid (NULL: the
 * creator's), and ptmx in it, mode 0666, is the only way to make one.
 * false when the host cannot mount one (logged): no ptys inside. */
static bool attach_devpts(const struct manifest *m, const char *gid)
{
    int fs = fsopen("devpts", FSOPEN_CLOEXEC), mnt = -1;
    if (fs >= 0 && (!gid || !fsconfig(fs, FSCONFIG_SET_STRING, "gid", gid, 0)) &&
        !fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0620", 0) &&
        !fsconfig(fs, FSCONFIG_SET_STRING, "ptmxmode", "0666", 0) &&
        !fsconfig(fs, FSCONFIG_SET_STRING, "max", "1024", 0) &&
        !fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
    if (fs >= 0)
        close(fs);
    bool ok = mnt >= 0 && !make_mount_point("/dev/pts", false) &&
              !move_mount(mnt, "", AT_FDCWD, "/dev/pts", MOVE_MOUNT_F_EMPTY_PATH);
    if (!ok)
        info(m, "no devpts of the sandbox's own (%s): no pseudo-terminals inside", strerror(errno));
    if (mnt >= 0)
        close(mnt);
    return ok;
}

/* Root, in the sandbox's private root: slaves owned by U and U's "tty"
 * group, which the libos shows as root and tty (idmap_base), as on a host. */
static bool private_devpts(const struct manifest *m, unsigned uid, long tty)
{
    char gid[16];
    snprintf(gid, sizeof(gid), "%lu", uid + (unsigned long)(tty >= 0 && tty < IDMAP_COUNT ? tty : 0));
    return attach_devpts(m, gid);
}

/* Not root: a devpts of the sandbox's own needs a user namespace (the
 * launcher's own ids mapped to themselves, no other) owning a private mount
 * namespace, where the new instance covers the host's /dev/pts; the host's
 * /dev/ptmx then opens it. Every capability of that namespace is dropped
 * before the libos runs (drop_userns_caps), so the namespace gives the app
 * nothing but the mount. */
static bool user_devpts(const struct manifest *m)
{
    char map[64];
    unsigned uid = getuid(), gid = getgid();
    bool ok = unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0;
    if (ok) {
        snprintf(map, sizeof(map), "%u %u 1", uid, uid);
        ok = !write_file(AT_FDCWD, "/proc/self/uid_map", map) && !write_file(AT_FDCWD, "/proc/self/setgroups", "deny");
        snprintf(map, sizeof(map), "%u %u 1", gid, gid);
        ok = ok && !write_file(AT_FDCWD, "/proc/self/gid_map", map) &&
             !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    }
    if (!ok)
        info(m, "no user namespace for a devpts of the sandbox's own (%s): no pseudo-terminals inside",
             strerror(errno));
    return ok && attach_devpts(m, NULL);
}

/* What of the host the sandbox's root takes, opened in the host's mount
 * namespace (its paths are gone after): nsd's directory (not its socket
 * file: a node that restarts binds a new socket at the same path; the nodes
 * of a group, A,B,..., share it), the tty group, the /dev nodes. */
struct host_parts {
    char nsd_dir[PATH_MAX];
    bool trusted; /* nsd's directory is root's, no other may write it, no mount shows it */
    bool in_mount; /* a mount of the sandbox holds nsd's directory */
    int nsd;
    int proc; /* the host's /proc */
    long tty;
    int dev[NDEV];
};

static int host_parts(struct host_parts *h, const struct manifest *m, const char *nsd_socket)
{
    snprintf(h->nsd_dir, sizeof(h->nsd_dir), "%.*s", (int)strcspn(nsd_socket, ","), nsd_socket);
    char *slash = strrchr(h->nsd_dir, '/');
    if (h->nsd_dir[0] != '/' || slash == h->nsd_dir)
        return fail(nsd_socket);
    *slash = 0;
    size_t dl = strlen(h->nsd_dir);
    for (const char *a = nsd_socket; a; a = strchr(a, ',') ? strchr(a, ',') + 1 : NULL)
        if (strncmp(a, h->nsd_dir, dl) || a[dl] != '/' || memchr(a + dl + 1, '/', strcspn(a + dl + 1, ","))) {
            fprintf(stderr, "graphene: the sockets of nsd's nodes (%s) must be in one directory, %s\n",
                    nsd_socket, h->nsd_dir);
            return -1;
        }
    /* The picoprocess connects as the sandbox's uid: it must pass. */
    struct stat st;
    int sr = stat(h->nsd_dir, &st);
    if (sr == 0 && !(st.st_mode & S_IXOTH)) {
        fprintf(stderr, "graphene: the directory of nsd's socket, %s, is mode %04o: the sandbox's uid "
                        "cannot reach the socket (make it 0711, as nsd's default runtime directory is)\n",
                h->nsd_dir, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    h->in_mount = false;
    for (size_t i = 0; i < m->nmounts; i++)
        h->in_mount |= is_within(h->nsd_dir, m->mounts[i].uri);
    h->trusted = sr == 0 && st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH)) && !h->in_mount;
    if ((h->proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return fail("/proc");
    if ((h->nsd = open_tree(AT_FDCWD, h->nsd_dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
        return fail(h->nsd_dir);
    h->tty = tty_group();
    for (size_t i = 0; i < NDEV; i++)
        if ((h->dev[i] = open_tree(AT_FDCWD, dev_nodes[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
            return fail(dev_nodes[i]);
    return 0;
}

/* An empty tmpfs, made read-only with ro; -1 on failure. */
static int new_tmpfs(bool ro, unsigned attrs)
{
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), mnt = -1;
    if (fs >= 0 && fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) == 0 &&
        (!ro || fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) == 0) &&
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
    if (fs >= 0)
        close(fs);
    return mnt;
}

/* The tmpfs mnt stacked on "/" of a namespace of the calling process's own,
 * then pivoted into with the old root put on top of it and detached
 * (pivot_root(2)'s "." idiom: no directory is left behind). The detach waits
 * for an RCU grace period. */
static bool pivot_into(int mnt)
{
    return move_mount(mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) == 0 && fchdir(mnt) == 0 &&
           syscall(SYS_pivot_root, ".", ".") == 0 && umount2(".", MNT_DETACH) == 0 && chdir("/") == 0;
}

/* The template mount namespace of the nsd at the default address: one
 * mount, an empty read-only tmpfs, held by a process of its own (the
 * holder: root, detached, in a session of its own, no fd but a pidfd of nsd;
 * it exits when nsd does) and named by nsd_dir/mntns.pid ("PID INO": the
 * holder and its namespace's inode). A sandbox's namespace is a copy of it
 * (a copy of one mount, not of the host's every mount) with the sandbox's own
 * tmpfs stacked on that root and chrooted into: there is then nothing of
 * the host below to detach, and no grace period to wait for (what is below
 * is empty and read-only, and the app has no CAP_SYS_CHROOT). The first root
 * launcher of an nsd that it did not start itself makes it (it pays the
 * detach once; a run that starts its own nsd is often the only one). Only a
 * directory that is root's and no other may write names it (a root
 * launcher must not enter a namespace someone else put there), and not one
 * that a mount of the sandbox shows. */
#define TEMPLATE_FILE "mntns.pid"

static int holder_main(int ready, int nsd, int proc)
{
    int root = -1;
    struct stat st;
    bool ok = unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
              (root = new_tmpfs(true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                          MOUNT_ATTR_NOEXEC)) >= 0 &&
              pivot_into(root) && fstatat(proc, "self/ns/mnt", &st, 0) == 0;
    if (ok)
        dprintf(ready, "%d %llu\n", (int)getpid(), (unsigned long long)st.st_ino);
    close(ready);
    struct pollfd p = { .fd = nsd, .events = POLLIN };
    if (ok)
        poll(&p, 1, -1);
    return 0;
}

/* Into the holder's namespace named by path; 0 when there. The pidfd is
 * taken before the check of the namespace's inode, so a holder gone since
 * (its pid reused) fails the setns. */
static int enter_template(int proc, const char *path)
{
    char buf[64], rel[32];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    int pid;
    unsigned long long ino;
    if (n <= 0 || (buf[n] = 0, sscanf(buf, "%d %llu", &pid, &ino)) != 2 || pid <= 0)
        return -1;
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct stat st;
    snprintf(rel, sizeof(rel), "%d/ns/mnt", pid);
    bool ok = pfd >= 0 && fstatat(proc, rel, &st, 0) == 0 && st.st_ino == ino && setns(pfd, CLONE_NEWNS) == 0;
    if (pfd >= 0)
        close(pfd);
    return ok ? 0 : -1;
}

/* Starts a holder for nsd nsd_pid and names it at path; 0 when done. */
static int make_template(int proc, const char *path, pid_t nsd_pid)
{
    int nsd = (int)syscall(SYS_pidfd_open, nsd_pid, 0), p[2];
    if (nsd < 0 || pipe2(p, O_CLOEXEC)) {
        if (nsd >= 0)
            close(nsd);
        return -1;
    }
    pid_t child = fork();
    if (child == 0) {
        if (fork() == 0) {
            setsid();
            prctl(PR_SET_NAME, "graphene-mntns");
            if (dup2(p[1], 0) == 0 && dup2(nsd, 1) == 1 && dup2(proc, 2) == 2 &&
                syscall(SYS_close_range, 3, ~0u, 0) == 0)
                holder_main(0, 1, 2);
        }
        _exit(0);
    }
    close(nsd);
    close(p[1]);
    if (child > 0)
        waitpid(child, NULL, 0);
    char buf[64], tmp[PATH_MAX + 32];
    ssize_t n = child > 0 ? read(p[0], buf, sizeof(buf)) : -1;
    close(p[0]);
    /* a name of its own first: another launcher may be naming one too */
    snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
    int fd = n > 0 ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
    bool ok = fd >= 0 && write(fd, buf, (size_t)n) == n;
    if (fd >= 0)
        close(fd);
    ok = ok && rename(tmp, path) == 0;
    if (fd >= 0 && !ok)
        unlink(tmp);
    return ok ? 0 : -1;
}

/* Into a private mount namespace: a copy of the template (*templated), or
 * of the host's. 1: none (the host allows no unshare); -1: a failure that
 * must stop the launch (the caller would be left in the template itself). */
static int sandbox_namespace(const struct host_parts *h, pid_t nsd_pid, bool make, bool *templated)
{
    *templated = false;
    if (h->trusted && nsd_pid > 0) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof(path), "%s/" TEMPLATE_FILE, h->nsd_dir);
        *templated = enter_template(h->proc, path) == 0 ||
                     (make && make_template(h->proc, path, nsd_pid) == 0 && enter_template(h->proc, path) == 0);
    }
    if (unshare(CLONE_NEWNS))
        return *templated ? fail("unshare (a copy of the template namespace)") : 1;
    return *templated || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 ? 0 : 1;
}

/* The picoprocess's root becomes an empty tmpfs holding only the sandbox's
 * mounts (at their host paths, so host paths in /proc/self/maps and fd links
 * keep their names for the libos's translation), a /proc of its own that
 * shows no process of another uid (hidepid=invisible: with a uid per
 * sandbox, only the sandbox's), the /dev nodes the libos offers, and the
 * directory of nsd's socket (modes 0711 and 0666: the sandbox MAC is what
 * authenticates a picoprocess to nsd). A host
 * call made by path from the libos's site, which Landlock does not govern
 * (stat, O_PATH, chmod, inotify_add_watch...), thus finds nothing of the host
 * outside the mounts. */
static int private_root(struct manifest *m, unsigned uid, struct mount **order, const bool *cloned,
                        struct host_parts *h, bool templated)
{
    int root = new_tmpfs(false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (root < 0 || (templated ? move_mount(root, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) || fchdir(root) ||
                                     chroot(".") || chdir("/")
                               : !pivot_into(root)))
        return fail("a root of the sandbox's own");
    close(root);
    /* mount points the sandbox's uid must pass, whatever the caller's umask */
    mode_t mask = umask(0);
    /* nsd's directory first, so that a mount below it stays on top; none
     * when a mount already holds it */
    int r = h->in_mount ? 0 : attach(h->nsd, h->nsd_dir);
    close(h->nsd);
    for (size_t i = 0; r == 0 && i < m->nmounts; i++)
        if (cloned[i])
            r = attach(order[i]->fd, order[i]->uri);
    if (r == 0 && (mkdir("/proc", 0555) ||
                   mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible")))
        r = fail("/proc");
    for (size_t i = 0; i < NDEV; i++) {
        if (r == 0)
            r = attach(h->dev[i], dev_nodes[i]);
        close(h->dev[i]);
    }
    if (r == 0)
        m->devpts = private_devpts(m, uid, h->tty);
    umask(mask);
    info(m, "the sandbox's root holds its %zu mounts, /proc, %zu /dev nodes%s and %s%s", m->nmounts, NDEV,
         m->devpts ? ", /dev/pts" : "", h->nsd_dir, templated ? " (over the template namespace)" : "");
    while (nmade_dirs)
        free(made_dirs[--nmade_dirs]);
    return r;
}

/* Root only: in a private mount namespace, each mount's clone in a root of
 * the sandbox's own. The clones and the host's parts are taken first, in the
 * host's namespace; a mount the host cannot clone (or give the sandbox's
 * attributes) keeps the host's own tree, reached through its fd only. */
static int idmapped_mounts(struct manifest *m, unsigned uid, const char *nsd_socket, pid_t nsd_pid, bool make)
{
    struct mount **order = malloc((m->nmounts + 1) * sizeof(*order));
    bool *cloned = calloc(m->nmounts + 1, sizeof(*cloned));
    if (!order || !cloned) {
        free(order);
        return fail("out of memory");
    }
    for (size_t i = 0; i < m->nmounts; i++)
        order[i] = &m->mounts[i];
    qsort(order, m->nmounts, sizeof(*order), cmp_deeper_first);
    int r = 0;
    for (size_t i = 0; r == 0 && i < m->nmounts; i++)
        if ((order[i]->fd = clone_mount(m, order[i], &cloned[i])) < 0)
            r = fail(order[i]->uri);
    struct host_parts h;
    bool templated;
    if (r == 0 && (r = host_parts(&h, m, nsd_socket)) == 0 &&
        (r = sandbox_namespace(&h, nsd_pid, make, &templated)) > 0) {
        info(m, "no private mount namespace (%s): mounts are not idmapped", strerror(errno));
        memset(cloned, 0, (m->nmounts + 1) * sizeof(*cloned));
        close(h.nsd);
        close(h.proc);
        for (size_t i = 0; i < NDEV; i++)
            close(h.dev[i]);
        r = 0;
    } else if (r == 0) {
        /* the keeper it leaves holds the namespace just made */
        int userns = idmap_userns(uid, h.proc);
        if (userns < 0)
            info(m, "no user namespace for idmapped mounts (%s)", strerror(errno));
        for (size_t i = 0; i < m->nmounts; i++)
            cloned[i] = cloned[i] && mount_attributes(m, order[i], order[i]->fd, userns);
        if (userns >= 0) {
            close(userns);
            m->idmapped = true;
            m->idmap_base = uid;
        }
        r = private_root(m, uid, order, cloned, &h, templated);
        close(h.proc);
        reap_idmap_child();
    }
    free(order);
    free(cloned);
    return r;
}

/* The mount roots the libos uses, opened now: as U it might not reach them.
 * A clone's fd is already its root (attached, so the host names it). */
static int open_mount_roots(struct manifest *m)
{
    for (size_t i = 0; i < m->nmounts; i++) {
        struct mount *mt = &m->mounts[i];
        if (mt->fd < 0 && (mt->fd = open(mt->uri, O_PATH)) < 0)
            return fail(mt->uri);
    }
    return 0;
}

static int capset_zero(bool keep_effective_permitted)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct data[2] = { 0 };
    if (keep_effective_permitted && syscall(SYS_capget, &hdr, data))
        return -1;
    for (int i = 0; i < 2; i++) {
        data[i].inheritable = 0;
        if (!keep_effective_permitted)
            data[i].effective = data[i].permitted = 0;
    }
    return (int)syscall(SYS_capset, &hdr, data);
}

/* Empties the bounding set: every capability the kernel knows, EINVAL past
 * the last (one call each, no PR_CAPBSET_READ before it). */
static int drop_bounding_set(void)
{
    int cap = 0;
    while (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
        cap++;
    return errno != EINVAL || cap == 0 ? fail("PR_CAPBSET_DROP") : 0;
}

/* The user namespace's capabilities (all of them, in it), gone for good. */
static int drop_userns_caps(void)
{
    if (drop_bounding_set())
        return -1;
    return capset_zero(false) ? fail("capset") : 0;
}

/* Root: everything dropped, in the order the kernel needs (the bounding set
 * and securebits need CAP_SETPCAP, the ids CAP_SETUID/CAP_SETGID, the limit
 * is set while root may still raise it). */
static int drop_root(const struct manifest *m, unsigned uid)
{
    struct rlimit nproc = { m->max_processes, m->max_processes };
    if (setrlimit(RLIMIT_NPROC, &nproc))
        return fail("setrlimit(RLIMIT_NPROC)");
    if (drop_bounding_set())
        return -1;
    if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
              SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0))
        return fail("PR_SET_SECUREBITS");
    if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
        return fail("setting the sandbox uid");
    /* NO_SETUID_FIXUP kept the capabilities across setresuid */
    if (capset_zero(false))
        return fail("capset");
    info(m, "sandbox host uid/gid %u, RLIMIT_NPROC %llu", uid, (unsigned long long)m->max_processes);
    return 0;
}

/* sys.max_memory: a cgroup where the host offers one (root only, before
 * the launcher leaves the host's mount namespace); else the app's
 * RLIMIT_AS, which only the libos enforces (ARCHITECTURE.md). */
static void memory_limit(struct manifest *m, bool root, unsigned uid)
{
    char msg[4400] = "only root can make a cgroup";
    if (root && memcg_limit(m->max_memory, uid, msg, sizeof(msg)) == 0) {
        info(m, "sys.max_memory: %s", msg);
        return;
    }
    m->rlimit_as = m->max_memory;
    info(m, "sys.max_memory: no memory cgroup (%s): the limit is the app's RLIMIT_AS, kept by the libos", msg);
}

/* The sandbox's host uid, from confine_mounts to confine_drop. */
static unsigned host_uid;

int confine_mounts(struct manifest *m, const char *nsd_socket, pid_t nsd_pid, bool make_template)
{
    /* The app's initial ids: the manifest's, else the launcher's (root's 0
     * for a root launcher; an unprivileged launcher's own uid, the owner
     * the app sees on its files there, which have no idmap). */
    m->uid = m->loader_uid >= 0 ? (unsigned)m->loader_uid : getuid();
    m->gid = m->loader_gid >= 0 ? (unsigned)m->loader_gid : getgid();
    bool root = geteuid() == 0;
    unsigned uid = root ? sandbox_host_uid() : 0;
    host_uid = uid;
    if (m->max_memory)
        memory_limit(m, root, uid);
    if (root && idmapped_mounts(m, uid, nsd_socket, nsd_pid, make_template))
        return -1;
    if (!root)
        m->devpts = user_devpts(m);
    return open_mount_roots(m);
}

int confine_drop(const struct manifest *m)
{
    bool root = geteuid() == 0;
    if (root ? drop_root(m, host_uid) : m->devpts ? drop_userns_caps() : capset_zero(true) ? fail("capset") : 0)
        return -1;
    /* (for root a no-op: the ambient set went with the permitted one) */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
        return fail("PR_CAP_AMBIENT_CLEAR_ALL");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
        return fail("PR_SET_NO_NEW_PRIVS");
    return 0;
}
