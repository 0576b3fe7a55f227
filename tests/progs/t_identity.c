/* Identity as Linux keeps it (issue 9 item 5): real/effective/saved/fs ids,
 * supplementary groups, capabilities and their transitions on uid changes,
 * PR_SET_KEEPCAPS, the bounding and ambient sets, execve's transformation,
 * and file access by a non-root identity (mode and ownership), chown shown
 * by a later stat, kill permission between uids.
 *
 * Run as root (natively it needs real root). Every scenario runs in a child
 * of its own, so each starts from root. Capability sets are printed
 * relative to the initial effective set F ("full", "full-13", "10,11",
 * "none"), since a native root may lack a few (a container's bounding set). */
#include "testutil.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define NOBODY 65534

static uint64_t full;

static void caps(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d))
        DIE("capget");
    *eff = d[0].effective | (uint64_t)d[1].effective << 32;
    *prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
    *inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
}

static int set_caps(uint64_t eff, uint64_t prm, uint64_t inh)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = {
        { (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
        { (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
    };
    return (int)syscall(SYS_capset, &h, d);
}

static const char *capset_str(uint64_t v, char *buf)
{
    if (v == full)
        return "full";
    if (!v)
        return "none";
    /* the shorter of the two forms: F's bits the set lacks, or its own */
    char *p = buf;
    uint64_t missing = full & ~v;
    if (!(v & ~full) && __builtin_popcountll(missing) <= __builtin_popcountll(v)) {
        p += sprintf(p, "full");
        for (int i = 0; i < 64; i++)
            if (missing >> i & 1)
                p += sprintf(p, "-%d", i);
    } else {
        for (int i = 0; i < 64; i++)
            if (v >> i & 1)
                p += sprintf(p, "%s%d", p == buf ? "" : ",", i);
    }
    return buf;
}

static void show(const char *when)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    uint64_t eff, prm, inh;
    char b1[256], b2[256], b3[256];
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    caps(&eff, &prm, &inh);
    int amb = 0;
    for (int i = 0; i <= 40; i++)
        amb += prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0, 0) == 1;
    printf("%s: uid %u %u %u gid %u %u %u eff %s prm %s inh %s amb %d keepcaps %d\n", when, r, e, s, gr, ge,
           gs, capset_str(eff, b1), capset_str(prm, b2), capset_str(inh, b3), amb,
           prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
}

static const char *err(int r)
{
    return r == 0 ? "ok" : strerrorname_np(errno);
}

static int try_open(const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    if (fd >= 0)
        close(fd);
    return fd < 0 ? -1 : 0;
}

static void show_owner(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        printf("stat %s: %s\n", path, strerrorname_np(errno));
    else
        printf("%s: owner %u:%u mode %04o\n", path, st.st_uid, st.st_gid, st.st_mode & 07777);
}

/* Fixtures, made by root: a secret file, a public one, a root directory
 * with a file, a world-writable and a sticky directory, a root-only
 * script. */
static void fixtures(void)
{
    int fd = open("secret", O_CREAT | O_WRONLY, 0600);
    write(fd, "s\n", 2);
    close(fd);
    close(open("public", O_CREAT | O_WRONLY, 0644));
    mkdir("rootdir", 0755);
    close(open("rootdir/f", O_CREAT | O_WRONLY, 0644));
    mkdir("closed", 0700);
    close(open("closed/f", O_CREAT | O_WRONLY, 0644));
    mkdir("closed/sub", 0777);
    chmod("closed/sub", 0777);
    close(open("closed/sub/f", O_CREAT | O_WRONLY, 0666));
    mkdir("shared", 0777);
    chmod("shared", 0777);
    mkdir("sticky", 01777);
    chmod("sticky", 01777);
    close(open("sticky/rootfile", O_CREAT | O_WRONLY, 0666));
    chmod("sticky/rootfile", 0666);
    fd = open("script", O_CREAT | O_WRONLY, 0700);
    write(fd, "#!/bin/sh\nexit 0\n", 17);
    close(fd);
}

static void file_checks(const char *who)
{
    struct timespec ts[2] = { { 1000000, 0 }, { 1000000, 0 } };
    printf("%s open secret r: %s\n", who, err(try_open("secret", O_RDONLY)));
    printf("%s open public r: %s\n", who, err(try_open("public", O_RDONLY)));
    printf("%s open public w: %s\n", who, err(try_open("public", O_WRONLY)));
    printf("%s access secret R_OK: %s\n", who, err(access("secret", R_OK)));
    printf("%s faccessat secret R_OK eaccess: %s\n", who, err(faccessat(AT_FDCWD, "secret", R_OK, AT_EACCESS)));
    printf("%s access public W_OK: %s\n", who, err(access("public", W_OK)));
    printf("%s open closed/f: %s\n", who, err(try_open("closed/f", O_RDONLY)));
    printf("%s open closed/sub/f: %s\n", who, err(try_open("closed/sub/f", O_RDWR)));
    printf("%s create in closed/sub: %s\n", who, err(try_open("closed/sub/new", O_CREAT | O_WRONLY)));
    struct stat sst;
    printf("%s access closed/sub/f F_OK: %s\n", who, err(access("closed/sub/f", F_OK)));
    printf("%s stat closed/sub/f: %s\n", who, err(stat("closed/sub/f", &sst)));
    printf("%s stat closed/f: %s\n", who, err(stat("closed/f", &sst)));
    printf("%s stat closed: %s\n", who, err(stat("closed", &sst)));
    printf("%s chdir closed/sub: %s\n", who, err(chdir("closed/sub")));
    printf("%s chmod closed/sub/f: %s\n", who, err(chmod("closed/sub/f", 0666)));
    printf("%s unlink closed/sub/none: %s\n", who, err(unlink("closed/sub/none")));
    printf("%s unlink rootdir/none: %s\n", who, err(unlink("rootdir/none")));
    printf("%s utimensat closed/sub/f: %s\n", who, err(utimensat(AT_FDCWD, "closed/sub/f", NULL, 0)));
    printf("%s create in rootdir: %s\n", who, err(try_open("rootdir/new", O_CREAT | O_WRONLY)));
    printf("%s mkdir in rootdir: %s\n", who, err(mkdir("rootdir/d", 0755)));
    printf("%s unlink in rootdir: %s\n", who, err(unlink("rootdir/f")));
    printf("%s chmod public: %s\n", who, err(chmod("public", 0666)));
    printf("%s chown public: %s\n", who, err(chown("public", NOBODY, NOBODY)));
    printf("%s utimensat public now: %s\n", who, err(utimensat(AT_FDCWD, "public", NULL, 0)));
    printf("%s utimensat public explicit: %s\n", who, err(utimensat(AT_FDCWD, "public", ts, 0)));
    printf("%s truncate public: %s\n", who, err(truncate("public", 0)));
    printf("%s create in shared: %s\n", who, err(try_open("shared/mine", O_CREAT | O_WRONLY)));
    show_owner("shared/mine");
    printf("%s mkdir in shared: %s\n", who, err(mkdir("shared/mydir", 0700)));
    show_owner("shared/mydir");
    printf("%s chmod own: %s\n", who, err(chmod("shared/mine", 0640)));
    printf("%s utimensat own explicit: %s\n", who, err(utimensat(AT_FDCWD, "shared/mine", ts, 0)));
    printf("%s chown own to root: %s\n", who, err(chown("shared/mine", 0, -1)));
    printf("%s chgrp own to 0: %s\n", who, err(chown("shared/mine", -1, 0)));
    printf("%s unlink sticky/rootfile: %s\n", who, err(unlink("sticky/rootfile")));
    printf("%s create in sticky: %s\n", who, err(try_open("sticky/mine", O_CREAT | O_WRONLY)));
    printf("%s unlink own in sticky: %s\n", who, err(unlink("sticky/mine")));
    pid_t p = fork();
    if (p == 0) {
        execl("./script", "script", (char *)NULL);
        _exit(errno == EACCES ? 13 : 99);
    }
    int st;
    waitpid(p, &st, 0);
    printf("%s exec script: %s\n", who, WEXITSTATUS(st) == 0 ? "ok" : WEXITSTATUS(st) == 13 ? "EACCES" : "?");
}

/* Dropping for good, then trying to come back. */
static void drop_for_good(void)
{
    printf("setgroups 0: %s\n", err(setgroups(0, NULL)));
    printf("setgid nobody: %s\n", err(setgid(NOBODY)));
    printf("setuid nobody: %s\n", err(setuid(NOBODY)));
    show("dropped");
    printf("setuid 0: %s\n", err(setuid(0)));
    printf("seteuid 0: %s\n", err(seteuid(0)));
    printf("setresuid -1 0 -1: %s\n", err(setresuid(-1, 0, -1)));
    printf("setreuid 0 -1: %s\n", err(setreuid(0, -1)));
    printf("setgid 0: %s\n", err(setgid(0)));
    gid_t g = 0;
    printf("setgroups: %s\n", err(setgroups(1, &g)));
    printf("capset prm: %s\n", err(set_caps(0, 1ull << CAP_CHOWN, 0)));
    printf("bset drop: %s\n", err(prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0)));
    printf("setfsuid 0 answers %d\n", setfsuid(0));
    printf("setfsuid -1 answers %d\n", setfsuid(-1));
    file_checks("nobody");
    printf("kill root parent: %s\n", err(kill(getppid(), 0)));
    cpu_set_t cpus;
    sched_getaffinity(0, sizeof(cpus), &cpus);
    struct rlimit rl;
    printf("setpriority root parent: %s\n", err(setpriority(PRIO_PROCESS, getppid(), 10)));
    printf("sched_setaffinity root parent: %s\n", err(sched_setaffinity(getppid(), sizeof(cpus), &cpus)));
    printf("prlimit root parent: %s\n", err(prlimit(getppid(), RLIMIT_NOFILE, NULL, &rl)));
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    printf("kill own child: %s\n", err(kill(c, SIGTERM)));
    waitpid(c, NULL, 0);
}

/* Only the effective uid away: the saved uid brings root back. */
static void drop_for_a_while(void)
{
    printf("seteuid nobody: %s\n", err(seteuid(NOBODY)));
    show("euid nobody");
    printf("nobody open secret: %s\n", err(try_open("secret", O_RDONLY)));
    printf("nobody access secret (real root): %s\n", err(access("secret", R_OK)));
    printf("seteuid 0: %s\n", err(seteuid(0)));
    show("back");
    printf("setresuid nobody nobody 0: %s\n", err(setresuid(NOBODY, NOBODY, 0)));
    show("saved root");
    printf("setuid 0 (saved): %s\n", err(setuid(0)));
    show("euid root again");
    printf("setreuid -1 1000: %s\n", err(setreuid(-1, 1000)));
    show("setreuid");
    printf("setuid 0: %s\n", err(setuid(0)));
    printf("setreuid 1000 65534: %s\n", err(setreuid(1000, NOBODY)));
    show("swapped");
}

static void fsuid_checks(void)
{
    printf("setfsuid nobody answers %d\n", setfsuid(NOBODY));
    uint64_t eff, prm, inh;
    char b[256];
    caps(&eff, &prm, &inh);
    printf("eff after setfsuid %s\n", capset_str(eff, b));
    printf("fsuid nobody open secret: %s\n", err(try_open("secret", O_RDONLY)));
    printf("fsuid nobody create in shared: %s\n", err(try_open("shared/fsfile", O_CREAT | O_WRONLY)));
    show_owner("shared/fsfile");
    printf("setfsuid 0 answers %d\n", setfsuid(0));
    caps(&eff, &prm, &inh);
    printf("eff after setfsuid 0 %s\n", capset_str(eff, b));
    printf("fsuid root open secret: %s\n", err(try_open("secret", O_RDONLY)));
}

static void groups_checks(void)
{
    gid_t in[4] = { 300, 5, 100, 5 }, out[8];
    printf("setgroups 4: %s\n", err(setgroups(4, in)));
    int n = getgroups(0, NULL);
    printf("getgroups(0) %d\n", n);
    printf("getgroups(1): %s\n", getgroups(1, out) < 0 ? strerrorname_np(errno) : "ok");
    n = getgroups(8, out);
    printf("groups:");
    for (int i = 0; i < n; i++)
        printf(" %u", out[i]);
    printf("\n");
    printf("setgroups -1: %s\n", err(setgroups((size_t)-1, in)));
    /* a supplementary group grants its bits to nobody */
    chown("secret", 0, 100);
    chmod("secret", 0640);
    printf("setgid nobody: %s\n", err(setgid(NOBODY)));
    printf("setuid nobody: %s\n", err(setuid(NOBODY)));
    printf("nobody in group 100 open secret: %s\n", err(try_open("secret", O_RDONLY)));
    printf("nobody in group 100 write secret: %s\n", err(try_open("secret", O_WRONLY)));
}

static void caps_checks(const char *self)
{
    uint64_t eff, prm, inh;
    caps(&eff, &prm, &inh);
    struct __user_cap_header_struct h = { 0x12345678, 0 };
    struct __user_cap_data_struct d[2];
    int r = (int)syscall(SYS_capget, &h, NULL);
    printf("capget bad version, no data: %s, version now %#x\n", err(r), h.version);
    h.version = 0x12345678;
    r = (int)syscall(SYS_capget, &h, d);
    printf("capget bad version: %s, version now %#x\n", err(r), h.version);
    h.version = _LINUX_CAPABILITY_VERSION_1;
    r = (int)syscall(SYS_capget, &h, d);
    printf("capget v1: %s, eff word %s\n", err(r), d[0].effective == (uint32_t)full ? "full" : "other");
    printf("capset eff > prm: %s\n", err(set_caps(prm, prm & ~(1ull << CAP_KILL), 0)));
    printf("capset drop DAC_OVERRIDE from eff: %s\n", err(set_caps(eff & ~(1ull << CAP_DAC_OVERRIDE), prm, 0)));
    show("capset");
    printf("bset read CHOWN %d\n", prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0));
    printf("bset read 999: %s\n", err(prctl(PR_CAPBSET_READ, 999, 0, 0, 0)));
    printf("bset drop NET_RAW: %s\n", err(prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0)));
    printf("bset read NET_RAW %d\n", prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0));
    printf("ambient raise without inh: %s\n",
           err(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0)));
    printf("keepcaps 1: %s\n", err(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)));
    printf("setresuid nobody: %s\n", err(setresuid(NOBODY, NOBODY, NOBODY)));
    show("keepcaps nobody");
    caps(&eff, &prm, &inh);
    uint64_t bind = 1ull << CAP_NET_BIND_SERVICE;
    printf("capset eff=prm, inh NET_BIND: %s\n", err(set_caps(prm, prm, bind)));
    printf("nobody with caps open secret: %s\n", err(try_open("secret", O_RDONLY)));
    printf("ambient raise NET_BIND: %s\n", err(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0)));
    show("before exec");
    fflush(stdout);
    execl(self, self, "after-exec", (char *)NULL);
    printf("exec: %s\n", strerrorname_np(errno));
}

/* Root's execve: the bounding set (less NET_RAW) becomes permitted and
 * effective again, whatever the effective set was. */
static void root_exec(const char *self)
{
    uint64_t eff, prm, inh;
    caps(&eff, &prm, &inh);
    printf("bset drop NET_RAW: %s\n", err(prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0)));
    printf("capset eff none: %s\n", err(set_caps(0, prm, 0)));
    show("root before exec");
    fflush(stdout);
    execl(self, self, "after-exec", (char *)NULL);
}

/* glibc makes every thread repeat each set*id call: with three more
 * threads alive, the transitions are still those of one thread. */
static pthread_barrier_t threads_done;

static void *idle_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&threads_done);
    return NULL;
}

static void threaded(void)
{
    pthread_t t[3];
    pthread_barrier_init(&threads_done, NULL, 4);
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, idle_thread, NULL);
    printf("setresuid nobody nobody 0: %s\n", err(setresuid(NOBODY, NOBODY, 0)));
    show("threads, saved root");
    printf("setuid 0 (saved): %s\n", err(setuid(0)));
    show("threads, euid root");
    printf("setuid 0 again (now capable): %s\n", err(setuid(0)));
    show("threads, all root");
    gid_t g[2] = { 7, 3 };
    printf("setgroups 2: %s\n", err(setgroups(2, g)));
    printf("setgid nobody: %s\n", err(setgid(NOBODY)));
    printf("setuid nobody: %s\n", err(setuid(NOBODY)));
    show("threads, nobody");
    printf("setuid 0: %s\n", err(setuid(0)));
    pthread_barrier_wait(&threads_done);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
}

/* Another process's ids and capabilities, as /proc/PID/status and capget
 * show them to its parent. */
static void status_ids(pid_t pid, const char *key, char *out, size_t size)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    *out = 0;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, key, strlen(key)))
            snprintf(out, size, "%s", line + strlen(key));
    if (f)
        fclose(f);
    out[strcspn(out, "\n")] = 0;
}

static volatile sig_atomic_t chld_uid = -1;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    chld_uid = (sig_atomic_t)si->si_uid;
}

static void other_process(void)
{
    struct sigaction sa = { .sa_sigaction = on_chld, .sa_flags = SA_SIGINFO };
    sigaction(SIGCHLD, &sa, NULL);
    int up[2], down[2];
    pipe(up);
    pipe(down);
    pid_t child = fork();
    if (child == 0) {
        setresgid(NOBODY, NOBODY, NOBODY);
        setresuid(1000, NOBODY, 0);
        write(up[1], "x", 1);
        char c;
        read(down[0], &c, 1);
        _exit(0);
    }
    char c, uids[128], gids[128], b1[256], b2[256];
    read(up[0], &c, 1);
    status_ids(child, "Uid:", uids, sizeof(uids));
    status_ids(child, "Gid:", gids, sizeof(gids));
    printf("child's status: Uid:%s Gid:%s\n", uids, gids);
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, child };
    struct __user_cap_data_struct d[2];
    int r = (int)syscall(SYS_capget, &h, d);
    printf("capget child: %s eff %s prm %s\n", err(r), capset_str(d[0].effective | (uint64_t)d[1].effective << 32, b1),
           capset_str(d[0].permitted | (uint64_t)d[1].permitted << 32, b2));
    write(down[1], "x", 1);
    siginfo_t si;
    printf("waitid: %s\n", err(waitid(P_PID, child, &si, WEXITED)));
    printf("waitid si_uid %u, SIGCHLD si_uid %d\n", si.si_uid, (int)chld_uid);
}

static void scenario(const char *name, void (*fn)(void))
{
    printf("--- %s\n", name);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        fn();
        fflush(stdout);
        _exit(tu_failures ? 1 : 0);
    }
    int st;
    waitpid(p, &st, 0);
    printf("--- %s: status %d\n", name, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static const char *self_path;

/* A real uid that is not the effective one makes a secure exec (glibc
 * then ignores LD_PRELOAD and friends). */
static void secure_exec(void)
{
    printf("setresuid nobody 0 0: %s\n", err(setresuid(NOBODY, 0, 0)));
    fflush(stdout);
    execl(self_path, self_path, "after-exec", (char *)NULL);
}
static void caps_scenario(void) { caps_checks(self_path); }
static void root_exec_scenario(void) { root_exec(self_path); }

int main(int argc, char **argv)
{
    uint64_t eff, prm, inh;
    if (argc > 1) {
        /* after an execve: the transformed sets, relative to the bounding
         * set with NET_RAW (which the caller may have dropped) */
        for (int i = 0; prctl(PR_CAPBSET_READ, i, 0, 0, 0) >= 0; i++)
            if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1 || i == CAP_NET_RAW)
                full |= 1ull << i;
        show("after exec");
        printf("AT_SECURE %lu\n", getauxval(AT_SECURE));
        return 0;
    }
    if (geteuid() != 0)
        DIE("must run as root");
    caps(&eff, &prm, &inh);
    full = eff;
    gid_t none = 0;
    CHECK(setgroups(0, &none) == 0, "setgroups none");
    show("start");
    printf("initial: prm %s, inh %s\n", prm == full ? "full" : "partial", inh ? "some" : "none");
    self_path = argv[0];
    fixtures();
    show_owner("secret");
    scenario("drop for good", drop_for_good);
    scenario("drop for a while", drop_for_a_while);
    scenario("fsuid", fsuid_checks);
    scenario("groups", groups_checks);
    scenario("capabilities and exec", caps_scenario);
    scenario("root exec", root_exec_scenario);
    scenario("threads", threaded);
    scenario("another process", other_process);
    scenario("secure exec", secure_exec);
    /* the owners the children left, as root sees them */
    show_owner("shared/mine");
    show_owner("shared/mydir");
    show_owner("shared/fsfile");
    show_owner("secret");
    printf("root chown public 123:456: %s\n", err(chown("public", 123, 456)));
    show_owner("public");
    /* however the libos keeps that owner, the file shows no xattr for it */
    int fd = open("public", O_RDONLY);
    char names[256], val[16];
    printf("flistxattr public: %zd\n", flistxattr(fd, names, sizeof(names)));
    printf("fgetxattr user.graphene.owner: %s\n",
           fgetxattr(fd, "user.graphene.owner", val, sizeof(val)) < 0 ? strerrorname_np(errno) : "found");
    close(fd);
    printf("root chown public back 0:0: %s\n", err(chown("public", 0, 0)));
    show_owner("public");
    return tu_failures ? 1 : 0;
}
