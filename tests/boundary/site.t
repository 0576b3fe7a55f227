#!/usr/bin/env python3
# The sandbox boundary at the libos's own syscall site and in the emulated
# calls (issue 9, items 2, 3 and 7): every attack below is refused.
#
# Through the site: a picoprocess (python3 under graphene, stdin a pty) is
# stopped with ptrace and tests/libos/sitecall makes host calls from the
# libos's one syscall instruction with real arguments, as an app that jumped
# there would. Through emulation: python3 under graphene makes the same
# calls as an app. Host-side targets (a sleep, listeners) are started here.
#
# Issue 9's attacks, one by one (E: through emulated calls, S: from the
# libos's site), and where each is refused:
#  - TIOCSTI into the terminal: E+S here (TIOCSTI, TIOCLINUX).
#  - chmod 4755 in a writable mount: E priv.t, unpriv.t; S here (chmod_suid,
#    creat_suid, openat2_creat). fsetxattr security.capability: E+S priv.t.
#  - chmod/chown/utimensat, stat and O_PATH of host files outside the
#    mounts: S priv.t; E tests/fs/escape.t, tests/diff/escape.t (ENOENT).
#  - nsd admin from inside: priv.t (SO_PEERCRED is the sandbox uid for any
#    connection, emulated or from the site); pathname unix connect outside
#    the mounts: E here, S priv.t (host paths outside find nothing).
#  - prlimit64 (RLIMIT_CPU), setpriority, sched_setaffinity of outside
#    processes: S here and priv.t (another sandbox too); E here (host pids,
#    groups, uids: ESRCH); setpriority(PRIO_PGRP/PRIO_USER, 0): E here;
#    sched_get*/set*, rr_get_interval, ioprio, getpriority: S+E here;
#    prctl other than PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG and
#    PR_SET_NAME: S here.
#  - netlink, AF_PACKET, raw and ping sockets, SIOCSIFMTU/SIOCSIFADDR:
#    E+S here; abstract unix sockets and TCP to host listeners: here.
#  - mknodat of devices: S here and priv.t, E here; clone with CLONE_NEW*:
#    E+S here; /proc of host processes (environ, maps, kallsyms): S
#    priv.t, E here; inherited fds: priv.t, unpriv.t.
#  - patching the syscall table / libos text (mprotect RWX): S+E here.
#  - example manifests with host /etc and rw system dirs:
#    tests/launcher/run.t; read-only mounts: priv.t, unpriv.t (E+S).
#  - a fork bomb as root: priv.t (sys.max_processes); memory: memory.t.
import ctypes, errno, grp, os, pty, re, select, signal, socket, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
G = os.path.join(ROOT, "bin", "graphene")
LIBOS = os.path.join(ROOT, "lib", "libos")
SITECALL = os.path.join(ROOT, "build", "tests", "libos", "sitecall")
EPERM = os.strerror(errno.EPERM)
n = 0
failed = False


def ok(cond, name, diag=""):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok"), n, "-", name, flush=True)
    if not cond:
        failed = True
        for line in str(diag).splitlines():
            print("#", line)


def skip(name, why):
    global n
    n += 1
    print(f"ok {n} # SKIP {name}: {why}", flush=True)


if not os.path.exists(G) or not os.path.exists(LIBOS):
    print("1..0 # SKIP bin/graphene or lib/libos not built")
    sys.exit(0)
try:
    if int(open("/proc/sys/kernel/yama/ptrace_scope").read()) > 1:
        print("1..0 # SKIP ptrace is restricted (yama ptrace_scope > 1)")
        sys.exit(0)
except OSError:
    pass

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
landlock_abi = libc.syscall(444, None, 0, 1)  # landlock_create_ruleset(VERSION)
root = os.geteuid() == 0

work = tempfile.mkdtemp(prefix="graphene-site.")
data = os.path.join(work, "data")
os.mkdir(data)
children = []


def manifest(name, *lines):
    path = os.path.join(work, name + ".toml")
    with open(path, "w") as f:
        f.write('libos.entrypoint = "/usr/bin/python3"\n'
                'loader.env.LANG = "C.UTF-8"\nloader.env.PYTHONDONTWRITEBYTECODE = "1"\n'
                'fs.start_dir = "/data"\nsys.brk.max_size = "1G"\n')
        for line in lines:
            f.write(line + "\n")
        f.write('fs.mounts = [\n  { path = "/usr", uri = "file:/usr" },\n'
                '  { path = "/lib", uri = "file:/usr/lib" },\n'
                '  { path = "/lib64", uri = "file:/usr/lib64" },\n'
                f'  {{ path = "/data", uri = "file:{data}" }},\n]\n')
    return path


def sandbox(script, *lines, stdin=None, stdout=subprocess.PIPE):
    """Starts python3 under graphene running script (a file in /data)."""
    with open(os.path.join(data, "s.py"), "w") as f:
        f.write(script)
    p = subprocess.Popen([G, "run", manifest("m", *lines), "--", "s.py"], stdin=stdin,
                         stdout=stdout, stderr=subprocess.STDOUT, text=True)
    children.append(p)
    return p


def libos_layout(pid):
    """The libos image's [start, end) and the syscall site, from outside."""
    start = end = None
    for line in open(f"/proc/{pid}/maps"):
        f = line.split()
        if len(f) > 5 and f[5] == LIBOS:
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            start = lo if start is None else min(start, lo)
            end = hi if end is None else max(end, hi)
    return start, end


syms = {}
for line in subprocess.run(["nm", LIBOS], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if len(f) == 3:
        syms[f[2]] = int(f[0], 16)

try:
    # ---------------------------------------------------------------- site
    master, slave = pty.openpty()
    host_pts = os.ttyname(slave)
    target = subprocess.Popen(["sleep", "120"])  # a host process outside the sandbox
    children.append(target)
    pico = sandbox("import sys\nprint('ready', flush=True)\nsys.stdin.readline()\n", stdin=slave)
    os.close(slave)
    ready = pico.stdout.readline().strip()
    base, end = libos_layout(pico.pid)
    site = base + syms["host_syscall_site"]
    table = base + syms["syscall_table"]
    text_page = site & ~4095
    table_page = table & ~4095
    os.makedirs(os.path.join(data, "d"))
    chmod_file = os.path.join(data, "d", "f")
    open(chmod_file, "w").close()
    os.chmod(chmod_file, 0o644)
    # Host paths lead into the data mount through the scratch dir: let the
    # sandbox's host identity pass it, so that what refuses a call below is
    # the site's filter, not a directory's permissions.
    os.chmod(work, 0o711)
    pgid = os.getpgid(0)

    def limits_of(pid):
        return [l for l in open(f"/proc/{pid}/limits") if l.startswith("Max cpu time")][0]

    def nice_of(pid):
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[16]

    def affinity_of(pid):
        return [l for l in open(f"/proc/{pid}/status") if l.startswith("Cpus_allowed_list")][0]

    def policy_of(pid):
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[38]

    before = (limits_of(target.pid), nice_of(target.pid), affinity_of(target.pid), policy_of(target.pid))
    le64 = lambda *v: "x:" + b"".join(x.to_bytes(8, "little") for x in v).hex()
    calls = {
        "tiocsti": f"16,0,0x5412,{le64(0x78)}",
        "tiocgwinsz": "16,0,0x5413,b:8",
        "tioclinux": "16,0,0x541c,b:8",
        "siocsifmtu": "16,0,0x8922," + "x:" + (b"lo".ljust(16, b"\0") + (1280).to_bytes(4, "little")).hex(),
        "siocsifaddr": "16,0,0x8916,b:40",
        "tioccons": "16,0,0x541d,0",
        "tiocsetd": f"16,0,0x5423,{le64(2)}",
        "tiocvhangup": "16,0,0x5437,0",
        "tiocsig": "16,0,0x40045436,19",
        "tiocsctty": "16,0,0x540e,1",
        "tiocgptn": "16,0,0x80045430,b:4",
        "open_host_pts": f"257,-100,s:{host_pts},2",
        "open_host_ptmx": "257,-100,s:/dev/ptmx,2",
        "packet": "41,17,3,768",
        "netlink": "41,16,3,0",
        "raw": "41,2,3,1",
        "ping": "41,2,2,1",
        "pairnetlink": "53,16,3,0,b:8",
        "unix": "41,1,1,0",
        "inet_none": "41,2,1,0",
        "newuser": f"56,{0x10000011}",
        "newnet": f"56,{0x40000011}",
        "parent": f"56,{0x8000 | 17}",
        "clone3": "435," + le64(0x10000000, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0) + ",88",
        "prlimit": f"302,{target.pid},0,{le64(1, 1)},0",
        "setprio_pid": f"141,0,{target.pid},19",
        "setprio_pgrp": "141,1,0,19",
        "getprio_user": "140,2,0",
        "affinity": f"203,{target.pid},8,{le64(1)}",
        "getaffinity": f"204,{target.pid},8,b:8",
        "getsched": f"145,{target.pid}",
        "getparam": f"143,{target.pid},b:8",
        "setsched": f"144,{target.pid},3,{le64(0)}",  # SCHED_BATCH: the policy check below
        "setparam": f"142,{target.pid},{le64(0)}",
        "setattr": f"314,{target.pid},{le64(56, 0, 0, 19, 0, 0, 0)},0",
        "getprio_pid": f"140,0,{target.pid}",
        "getprio_pgrp": "140,1,0",
        "setprio_user": "141,2,0,19",
        "ioprio": f"251,1,{target.pid},{(3 << 13)}",
        "rr_interval": f"148,{target.pid},b:16",
        "kill_all": "62,-1,0",
        "kill_group": "62,0,0",
        "kill_pgid": f"62,{-pgid},0",
        "tgkill_group": f"234,{-pgid},1,0",
        "mknod_chr": f"259,-100,s:{data}/d/null,{0o20666},{0x103}",
        "mknod_fifo": f"259,-100,s:{data}/d/fifo,{0o10644},0",
        "chmod_suid": f"452,-100,s:{chmod_file},{0o4755},0",
        "chmod_sgid": f"452,-100,s:{chmod_file},{0o2755},0",
        "chmod_plain": f"452,-100,s:{chmod_file},{0o755},0",
        "creat_suid": f"257,-100,s:{data}/d/suid,{0x41},{0o4755}",
        "openat2_creat": f"437,-100,s:{data}/d/o2,{le64(0x41, 0o4755, 0)},24",
        "mprotect_text": f"10,{text_page},4096,7",
        "mprotect_table": f"10,{table_page},4096,3",
        "mprotect_below": f"10,{base - 4096},8192,7",
        "mprotect_all": f"10,0,{1 << 47},7",
        "munmap_image": f"11,{base},{end - base}",
        "mmap_fixed": f"9,{table_page},4096,3,{0x32},-1,0",
        "madvise_table": f"28,{table_page},4096,4",
        "mremap_text": f"25,{text_page},4096,4096,3,{1 << 45}",
        "mremap_onto": f"25,{1 << 45},4096,4096,3,{table_page}",
        "mmap_any": f"9,0,4096,3,{0x22},-1,0",
        "proc_mem": "257,-100,s:/proc/self/mem,2",
        "proc_exe": "257,-100,s:/proc/self/exe,2",
        "setown_group": f"72,0,8,{-pgid}",
        "setown_ex": f"72,0,15,{le64(2, pgid)}",
        "getfl": "72,0,3",
        "beyond_table": "1000",
        "x32_execve": str(0x40000000 | 520),
        "x32_getpid": str(0x40000000 | 39),
        "mseal": "462",
        "prctl_subreaper": "157,36,1",
        "prctl_subreaper_hi": f"157,{(1 << 32) | 36},1",
        "prctl_dumpable": "157,4,0",
        "prctl_pdeathsig": "157,1,0",
        "prctl_pdeathsig_hi": f"157,{(1 << 32) | 1},9",
        "prctl_name": "157,15,s:site-named",
        "prctl_name_hi": f"157,{(1 << 32) | 15},s:site-named",
    }
    if ready != "ready" or base is None:
        out = "picoprocess did not start: " + ready
    else:
        out = subprocess.run([SITECALL, str(pico.pid), hex(site)] + list(calls.values()),
                             capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        tok, _, r = line.partition(" ")
        res[tok] = r
    got = {k: res.get(v, "(no answer)") for k, v in calls.items()}

    def refused(keys, name):
        bad = {k: got[k] for k in keys if got[k] != EPERM}
        ok(not bad, name, bad or "")

    refused(["tiocsti", "tioclinux"], "site: TIOCSTI and TIOCLINUX on the app's tty are refused")
    refused(["siocsifmtu", "siocsifaddr"], "site: SIOCSIFMTU and SIOCSIFADDR (host interface settings) are refused")
    ok(got["tiocgwinsz"] == "ok", "site: TIOCGWINSZ (on the libos's list) passes", got["tiocgwinsz"])
    refused(["tioccons", "tiocsetd", "tiocvhangup", "tiocsig"],
            "site: TIOCCONS, TIOCSETD, TIOCVHANGUP and TIOCSIG are refused")
    # on the list, but the kernel's own rules hold: a terminal is stolen
    # (arg 1) only with CAP_SYS_ADMIN; TIOCGPTN is a master's
    ok(got["tiocsctty"] == EPERM and got["tiocgptn"] == os.strerror(errno.ENOTTY),
       "site: TIOCSCTTY cannot steal the app's tty (EPERM, no CAP_SYS_ADMIN); TIOCGPTN on it is ENOTTY",
       (got["tiocsctty"], got["tiocgptn"]))
    # /dev/pts is the sandbox's own devpts; /dev/ptmx is not there (root:
    # the private root) or refused by Landlock (a user's launch)
    no_ptmx = os.strerror(errno.ENOENT) if root else os.strerror(errno.EACCES)
    ok(got["open_host_pts"] == os.strerror(errno.ENOENT) and got["open_host_ptmx"] == no_ptmx,
       f"site: the host's pty {host_pts} is not there, the host's /dev/ptmx does not open",
       (got["open_host_pts"], got["open_host_ptmx"]))
    refused(["packet", "netlink", "raw", "ping", "pairnetlink"],
            "site: AF_PACKET, AF_NETLINK, raw and ICMP ping sockets are refused")
    ok(got["unix"] == "ok", "site: a unix socket passes", got["unix"])
    refused(["inet_none"], 'site: an IPv4 socket is refused with sys.network = "none"')
    refused(["newuser", "newnet", "parent", "clone3"],
            "site: clone with CLONE_NEWUSER/NEWNET/PARENT and clone3 are refused")
    refused(["prlimit"], "site: prlimit64 of a host process is refused")
    ok(target.poll() is None and limits_of(target.pid) == before[0],
       "the host process lives, its RLIMIT_CPU unchanged", limits_of(target.pid))
    refused(["setprio_pid", "setprio_pgrp", "getprio_user", "affinity"],
            "site: setpriority/getpriority of others, groups and users, sched_setaffinity of others are refused")
    refused(["getaffinity", "getsched", "getparam", "getprio_pid", "getprio_pgrp", "rr_interval"],
            "site: sched_getaffinity/getscheduler/getparam/rr_get_interval and getpriority of a host process or group are refused")
    refused(["setsched", "setparam", "setattr", "setprio_user", "ioprio"],
            "site: sched_setscheduler/setparam/setattr, setpriority(PRIO_USER) and ioprio_set of a host process are refused")
    ok((nice_of(target.pid), affinity_of(target.pid)) == before[1:3],
       "the host process's nice value and affinity are unchanged")
    ok(policy_of(target.pid) == before[3], "the host process's policy is unchanged", policy_of(target.pid))
    refused(["kill_all", "kill_group", "kill_pgid", "tgkill_group"],
            "site: kill(-1), kill(0), kill(-pgid), tgkill(-pgid) are refused")
    if root:
        refused(["mknod_chr"], "site: mknodat of a character device is refused (as root)")
        ok(not os.path.exists(os.path.join(data, "d", "null")), "no device node was made")
    else:
        skip("site: mknodat of a character device", "not root (the host refuses it anyway)")
        skip("no device node was made", "not root")
    ok(got["mknod_fifo"] == "ok", "site: mknodat of a fifo passes", got["mknod_fifo"])
    refused(["chmod_suid", "chmod_sgid", "creat_suid", "openat2_creat"],
            "site: chmod to setuid/setgid, openat O_CREAT 04755 and openat2 with the app's open_how are refused")
    mode = os.stat(chmod_file).st_mode & 0o7777
    ok(got["chmod_plain"] == "ok" and mode == 0o755 and not os.path.exists(os.path.join(data, "d", "suid"))
       and not os.path.exists(os.path.join(data, "d", "o2")),
       "a plain chmod passes; no setuid file exists", f"{got['chmod_plain']} mode {mode:o}")
    refused(["mprotect_text", "mprotect_table", "mprotect_below", "mprotect_all", "munmap_image",
             "mmap_fixed", "madvise_table", "mremap_text", "mremap_onto"],
            "site: mprotect/munmap/mmap(MAP_FIXED)/madvise/mremap of the libos image are refused")
    ok(got["mmap_any"] == "ok", "site: mmap of fresh memory passes", got["mmap_any"])
    if landlock_abi >= 1:
        no = (os.strerror(errno.EACCES), os.strerror(errno.ETXTBSY))  # Landlock, or a running image
        bad = {k: got[k] for k in ("proc_mem", "proc_exe") if got[k] not in no}
        ok(not bad, "site: /proc/self/mem and /proc/self/exe (the libos image) do not open for writing", bad)
    else:
        skip("site: /proc/self/mem for writing", "no Landlock")
    refused(["setown_group", "setown_ex"], "site: fcntl F_SETOWN to a group and F_SETOWN_EX are refused")
    ok(got["getfl"] == "ok", "site: fcntl F_GETFL passes", got["getfl"])
    # prctl only for PR_SET_CHILD_SUBREAPER (where the caller's own orphans
    # go), PR_SET_PDEATHSIG (a signal to the caller itself) and PR_SET_NAME
    # (the caller's own name)
    ok(got["prctl_subreaper"] == "ok" and got["prctl_pdeathsig"] == "ok" and got["prctl_name"] == "ok",
       "site: prctl(PR_SET_CHILD_SUBREAPER), prctl(PR_SET_PDEATHSIG) and prctl(PR_SET_NAME) pass",
       (got["prctl_subreaper"], got["prctl_pdeathsig"], got["prctl_name"]))
    refused(["prctl_subreaper_hi", "prctl_pdeathsig_hi", "prctl_name_hi", "prctl_dumpable"],
            "site: every other prctl is refused (PR_SET_DUMPABLE, the option's high half set)")
    refused(["beyond_table", "x32_execve", "x32_getpid", "mseal"],
            "site: numbers past the allowlist's last block and x32 numbers are refused")
    os.write(master, b"\n")
    pico.wait()
    target.kill()
    target.wait()

    # ---------------------------------------------------------- emulated
    script = r'''
import ctypes, errno, fcntl, os, resource, socket, termios
libc = ctypes.CDLL(None, use_errno=True)
def t(name, f):
    try:
        r = f()
        if r == -1:
            raise OSError(ctypes.get_errno(), "")
        print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
t("tiocsti", lambda: fcntl.ioctl(0, termios.TIOCSTI, b"x"))
t("tiocgwinsz", lambda: fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8))
t("tioclinux", lambda: fcntl.ioctl(0, 0x541c, b"\0" * 8))
t("mknod_chr", lambda: os.mknod("/data/emnull", 0o20666, os.makedev(1, 3)))
ifr = b"lo".ljust(16, b"\0") + (1280).to_bytes(4, "little") + bytes(20)
t("siocsifmtu", lambda: fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0x8922, ifr))
t("tioccons", lambda: fcntl.ioctl(0, termios.TIOCCONS, 0))
t("tiocsetd", lambda: fcntl.ioctl(0, termios.TIOCSETD, b"\2\0\0\0"))
t("tiocvhangup", lambda: fcntl.ioctl(0, 0x5437, 0))
t("tiocsig", lambda: fcntl.ioctl(0, 0x40045436, 19))
t("tiocsctty_steal", lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 1))
print("pts", ",".join(sorted(os.listdir("/dev/pts"))) if os.path.isdir("/dev/pts") else "none")
t("open_host_pts", lambda: os.open(os.environ["HOST_PTS"], os.O_RDWR))
def own_pty():
    import pty
    m, s = pty.openpty()
    st = os.fstat(s)
    print("own_pty", os.ttyname(s), st.st_uid, st.st_gid, oct(st.st_mode & 0o777))
    t("tiocsti_own", lambda: fcntl.ioctl(s, termios.TIOCSTI, b"x"))
t("openpty", own_pty)
t("packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0x300))
t("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
t("raw", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
t("ping", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP))
t("unix", lambda: socket.socket(socket.AF_UNIX))
t("inet", lambda: socket.socket(socket.AF_INET))
t("newuser", lambda: libc.syscall(56, 0x10000011, 0, 0, 0, 0))
t("newnet", lambda: libc.syscall(56, 0x40000011, 0, 0, 0, 0))
# (the app is the sandbox's pid 1: another pid is one no process has)
t("prlimit_other", lambda: libc.syscall(302, os.getpid() + 1000, 0, None, ctypes.create_string_buffer(16)))
t("setown_group", lambda: fcntl.fcntl(0, fcntl.F_SETOWN, -os.getpgid(0)))
t("setprio_pgrp", lambda: os.setpriority(os.PRIO_PGRP, 0, 19))
t("setprio_user", lambda: os.setpriority(os.PRIO_USER, 0, 19))
# host pids and groups of processes outside: not sandbox pids (the app is
# the sandbox's pid 1, its pids are small)
sib, pgid = SIB_PID, TEST_PGID
t("h_setprio", lambda: os.setpriority(os.PRIO_PROCESS, sib, 19))
t("h_getprio", lambda: os.getpriority(os.PRIO_PROCESS, sib))
t("h_setprio_pgrp", lambda: os.setpriority(os.PRIO_PGRP, pgid, 19))
t("h_getprio_pgrp", lambda: os.getpriority(os.PRIO_PGRP, pgid))
t("h_setprio_user0", lambda: os.setpriority(os.PRIO_USER, 12345, 19))
t("h_affinity", lambda: os.sched_setaffinity(sib, {0}))
t("h_getaffinity", lambda: os.sched_getaffinity(sib))
t("h_getsched", lambda: os.sched_getscheduler(sib))
t("h_getparam", lambda: os.sched_getparam(sib))
t("h_setsched", lambda: os.sched_setscheduler(sib, os.SCHED_OTHER, os.sched_param(0)))
t("h_prlimit", lambda: resource.prlimit(sib, resource.RLIMIT_CPU, (1, 1)))
t("h_setattr", lambda: libc.syscall(314, sib, (ctypes.c_uint32 * 14)(56, 0, 0, 0, 19), 0))
t("h_getattr", lambda: libc.syscall(315, sib, ctypes.create_string_buffer(56), 56, 0))
t("h_rr", lambda: libc.syscall(148, sib, ctypes.create_string_buffer(16)))
t("h_ioprio", lambda: libc.syscall(251, 1, sib, 3 << 13))
t("h_ioprio_get", lambda: libc.syscall(252, 1, sib))
t("h_setprio_user_host", lambda: os.setpriority(os.PRIO_USER, HOST_UID, 19))
t("s_setprio_pid2", lambda: os.setpriority(os.PRIO_PROCESS, 2, 19))
t("h_environ", lambda: open(f"/proc/{sib}/environ").read())
t("h_maps", lambda: open(f"/proc/{sib}/maps").read())
t("kallsyms", lambda: open("/proc/kallsyms").read())
print("myprio", os.getpriority(os.PRIO_PROCESS, 0))
import threading
def in_thread():
    tid = threading.get_native_id()
    t("thread_affinity", lambda: os.sched_setaffinity(tid, os.sched_getaffinity(0)))
    t("thread_prlimit", lambda: resource.prlimit(tid, resource.RLIMIT_NOFILE))
th = threading.Thread(target=in_thread)
th.start()
th.join()
'''
    master, slave = pty.openpty()
    sib = subprocess.Popen(["sleep", "120"])  # in this test's process group
    children.append(sib)
    nice_before, aff_before, limits_before = nice_of(sib.pid), affinity_of(sib.pid), limits_of(sib.pid)
    lo_mtu = open("/sys/class/net/lo/mtu").read().strip()
    script = script.replace("SIB_PID", str(sib.pid)).replace("TEST_PGID", str(os.getpgid(0)))
    script = script.replace("HOST_UID", str(os.getuid() or 12345))
    pico = sandbox(script, 'sys.network = "host"', f'loader.env.HOST_PTS = "{os.ttyname(slave)}"', stdin=slave)
    os.close(slave)
    out, _ = pico.communicate(timeout=60)
    em = dict(l.split(" ", 1) for l in out.splitlines() if " " in l)
    ok((em.get("tioccons"), em.get("tiocsetd"), em.get("tiocvhangup"), em.get("tiocsig"),
        em.get("tiocsctty_steal")) == ("EPERM", "ENOTTY", "ENOTTY", "ENOTTY", "EPERM"),
       "emulated: TIOCCONS EPERM; TIOCSETD, TIOCVHANGUP, TIOCSIG ENOTTY; TIOCSCTTY stealing EPERM", out)
    ok(em.get("open_host_pts") == "ENOENT", "emulated: the host's pty is not in the sandbox's /dev/pts", out)
    # root: a new slave is U's and U + tty's on the host, root:tty inside
    owner = f"0 {grp.getgrnam('tty').gr_gid}" if root else f"{os.getuid()} {os.getgid()}"
    ok(em.get("pts") == "ptmx" and em.get("openpty") == "ok" and
       em.get("own_pty") == f"/dev/pts/0 {owner} 0o620" and em.get("tiocsti_own") == "EPERM",
       f"emulated: /dev/pts lists only the sandbox's ptys; its own pty is /dev/pts/0, {owner} 0620 "
       "inside; TIOCSTI on it EPERM", out)
    ok(em.get("tiocsti") == "EPERM" and em.get("tioclinux") == "ENOTTY",
       "emulated: TIOCSTI is EPERM, TIOCLINUX (not on the list) ENOTTY", out)
    ok(em.get("tiocgwinsz") == "ok", "emulated: TIOCGWINSZ on a pty works", out)
    ok(em.get("mknod_chr") == "EPERM" and not os.path.exists(os.path.join(data, "emnull")),
       "emulated: mknod of a character device is EPERM; none was made", em.get("mknod_chr"))
    ok(em.get("siocsifmtu") in ("EPERM", "ENOTTY") and open("/sys/class/net/lo/mtu").read().strip() == lo_mtu,
       "emulated: SIOCSIFMTU of lo is refused; lo's MTU is unchanged", em.get("siocsifmtu"))
    ok((em.get("packet"), em.get("netlink"), em.get("raw"), em.get("ping")) ==
       ("EPERM", "EAFNOSUPPORT", "EPERM", "EACCES"),
       "emulated: AF_PACKET EPERM, AF_NETLINK EAFNOSUPPORT, raw EPERM, ICMP ping EACCES", out)
    ok(em.get("unix") == "ok" and em.get("inet") == "ok",
       'emulated: unix and (with sys.network = "host") IPv4 sockets work', out)
    ok(em.get("newuser") == "EPERM" and em.get("newnet") == "EPERM",
       "emulated: clone with CLONE_NEWUSER/CLONE_NEWNET is EPERM", out)
    ok(em.get("prlimit_other") == "ESRCH", "emulated: prlimit64 of another pid is ESRCH", out)
    ok(em.get("thread_affinity") == "ok" and em.get("thread_prlimit") == "ok",
       "emulated: a thread's own tid names it for sched_setaffinity, any tid the process for prlimit", out)
    ok(em.get("setown_group") == "EPERM", "emulated: fcntl F_SETOWN to a process group is EPERM", out)
    ok(em.get("setprio_pgrp") == "ok" and em.get("myprio") == "19" and nice_of(sib.pid) == nice_before,
       "emulated: setpriority(PRIO_PGRP/PRIO_USER, 0) renices the caller only, not the test's group",
       f"{out}sibling nice {nice_of(sib.pid)} (was {nice_before})")
    hostcalls = ["h_setprio", "h_getprio", "h_setprio_pgrp", "h_getprio_pgrp", "h_setprio_user0", "h_affinity",
                 "h_getaffinity", "h_getsched", "h_getparam", "h_prlimit", "h_setattr", "h_getattr", "h_rr",
                 "h_ioprio", "h_ioprio_get", "s_setprio_pid2"]
    bad = {k: em.get(k) for k in hostcalls if em.get(k) != "ESRCH"}
    ok(not bad, "emulated: setpriority/getpriority (pid, group, user), sched_set/getaffinity, sched_getscheduler/"
       "getparam/setattr/getattr/rr_get_interval, ioprio_set/get and prlimit64 with a host pid, group or uid, "
       "or a sandbox pid no process has, are ESRCH: not sandbox ids", bad or out)
    ok(em.get("h_setprio_user_host") in ("ESRCH", "ok"),
       "emulated: setpriority(PRIO_USER, the host uid) reaches sandbox processes only", em.get("h_setprio_user_host"))
    bad = {k: em.get(k) for k in ("h_environ", "h_maps", "kallsyms") if em.get(k) != "ENOENT"}
    ok(not bad, "emulated: /proc/HOSTPID/environ and maps of a host process, and /proc/kallsyms, do not exist", bad)
    ok(em.get("h_setsched") in ("ESRCH", "ENOSYS", "EPERM"), "emulated: sched_setscheduler of a host pid does not run",
       em.get("h_setsched"))
    ok((nice_of(sib.pid), affinity_of(sib.pid), limits_of(sib.pid)) == (nice_before, aff_before, limits_before),
       "the host process's nice value, affinity and limits are unchanged")
    sib.kill()
    sib.wait()

    # --------------------------------------------- libos self-protection
    script = r'''
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
print("STAT", open("/proc/self/stat").read().rsplit(")", 1)[1].strip(), flush=True)
print("MAPS", open("/proc/self/maps").read().replace("\n", ";"), flush=True)
addr = int(sys.stdin.readline(), 0)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
r = libc.mprotect(addr & ~4095, 4096, 3)
print("MPROTECT", r, ctypes.get_errno(), flush=True)
print("READ", ctypes.string_at(addr, 8) != bytes(8), flush=True)
ctypes.memmove(addr, bytes(8), 8)
print("STORED", flush=True)
'''
    pico = sandbox(script, stdin=subprocess.PIPE)
    stat = pico.stdout.readline().split(" ", 1)[1]
    maps = pico.stdout.readline()
    base, end = libos_layout(pico.pid)
    arena = []
    for line in open(f"/proc/{pico.pid}/maps"):
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if hi - lo >= 16 << 30:  # the libos arena reservation
            arena.append((lo, hi))
    leaks = [v for v in (int(x) for x in stat.split()[1:] if re.fullmatch(r"\d+", x))
             if base <= v < end or any(lo <= v < hi for lo, hi in arena)]
    ok(base is not None and not leaks, "/proc/self/stat shows no libos address", f"{leaks} in {stat}")
    ok(LIBOS not in maps and "libos" not in maps, "/proc/self/maps does not show the libos", maps[:300])
    pico.stdin.write(hex(base + syms["syscall_table"]) + "\n")
    pico.stdin.flush()
    out, _ = pico.communicate(timeout=60)
    ok(f"MPROTECT -1 {errno.ENOMEM}" in out and "READ True" in out,
       "emulated mprotect of the syscall table is ENOMEM; the table reads", out)
    ok("STORED" not in out and pico.returncode == -signal.SIGSEGV,
       "a plain store into the syscall table faults: the app dies of SIGSEGV",
       f"status {pico.returncode}: {out}")

    # ------------------------------------------- what is not a file
    client = r'''
import errno, socket, sys
kind, addr = sys.argv[1], sys.argv[2]
try:
    if kind == "abstract":
        s = socket.socket(socket.AF_UNIX)
        s.connect("\0" + addr)
    elif kind == "path":
        s = socket.socket(socket.AF_UNIX)
        s.connect(addr)
    else:
        s = socket.socket(socket.AF_INET)
        s.connect(("127.0.0.1", int(addr)))
    print("connected", s.recv(2).decode())
except OSError as e:
    print("refused", errno.errorcode.get(e.errno, e.errno))
'''
    with open(os.path.join(data, "c.py"), "w") as f:
        f.write(client)

    def connect(kind, addr, *lines):
        r = subprocess.run([G, "run", manifest("c", *lines), "--", "c.py", kind, str(addr)],
                           capture_output=True, text=True, timeout=60)
        return r.stdout.strip() + r.stderr.strip()

    abstract = socket.socket(socket.AF_UNIX)
    name = f"graphene-site-{os.getpid()}"
    abstract.bind("\0" + name)
    abstract.listen(4)
    if landlock_abi >= 6:
        r = connect("abstract", name, 'sys.network = "host"')
        ok(r == "refused EPERM", "an abstract unix socket of a host listener is not reachable", r)
    else:
        skip("abstract unix socket scope", f"Landlock ABI {landlock_abi} < 6")
    abstract.close()

    # a host listener by pathname outside every mount (Landlock does not
    # govern unix connect; the path is not in the sandbox's view)
    outside = socket.socket(socket.AF_UNIX)
    outside_path = os.path.join(work, "outside.sock")
    outside.bind(outside_path)
    outside.listen(4)
    r = connect("path", outside_path)
    ok(r == "refused ENOENT", "a pathname unix socket of a host listener outside the mounts is not reachable", r)
    outside.close()

    tcp = socket.socket(socket.AF_INET)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(4)
    port = tcp.getsockname()[1]
    r = connect("tcp", port)
    ok(r == "refused EACCES", 'sys.network = "none" (the default) cannot connect to a host TCP listener', r)
    ports = landlock_abi >= 4
    pid = os.fork()
    if pid == 0:  # serves the connections that should get through below
        try:
            tcp.settimeout(60)  # a connection that never comes fails its check
            for _ in range(2 if ports else 1):
                c, _ = tcp.accept()
                c.sendall(b"hi")
                c.close()
        finally:
            os._exit(0)
    r = connect("tcp", port, 'sys.network = "host"')
    ok(r == "connected hi", 'sys.network = "host" can', r)
    if ports:
        r = connect("tcp", port, 'sys.network = "host"', f"sys.net.connect = [{port}]")
        ok(r == "connected hi", "sys.net.connect = [PORT] can connect to that port", r)
        other = port + 1 if port < 65535 else port - 1
        r = connect("tcp", port, 'sys.network = "host"', f"sys.net.connect = [{other}]", "sys.net.bind = []")
        ok(r == "refused EACCES", "sys.net.connect without the port: refused by Landlock", r)
    else:
        skip("sys.net.connect port rules", f"Landlock ABI {landlock_abi} < 4")
        skip("sys.net.connect refusal", f"Landlock ABI {landlock_abi} < 4")
    os.waitpid(pid, 0)
    tcp.close()

    # ----------------------------------------------- image placement
    places = []
    for _ in range(6):
        pico = sandbox("import sys\nprint('ready', flush=True)\nsys.stdin.readline()\n",
                       stdin=subprocess.PIPE)
        pico.stdout.readline()
        base, _ = libos_layout(pico.pid)
        near = {}
        for line in open(f"/proc/{pico.pid}/maps"):
            f = line.split()
            if len(f) > 5 and f[5] in ("[vdso]", "[stack]") or "libc.so" in line:
                near.setdefault(f[5], int(f[0].split("-")[0], 16))
        pico.communicate("\n", timeout=60)
        places.append((base, tuple(sorted((k, v - base) for k, v in near.items()))))
    ok(len({b for b, _ in places}) == len(places) and len({o for _, o in places}) == len(places)
       and all(len(o) >= 3 for _, o in places),
       "the libos image is placed at random, apart from the vDSO, the stack and the app's libraries",
       "\n".join(f"{b:#x} {o}" for b, o in places))

    for lines, want in (
            (['sys.network = "lan"'], r"key 'sys\.network': unknown network policy 'lan'"),
            (["sys.net.connect = [80]"], r"key 'sys\.net': TCP port rules need sys\.network = \"host\""),
            (['sys.network = "host"', "sys.net.bind = [0]"], r"key 'sys\.net\.bind': port 0 is not in 1\.\.65535")):
        r = subprocess.run([G, "run", manifest("bad", *lines)], capture_output=True, text=True)
        ok(r.returncode == 2 and re.search(r"bad\.toml:\d+: " + want, r.stderr),
           f"manifest error names FILE:LINE and the key: {lines[-1]}", r.stderr)
finally:
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()
    subprocess.run(["rm", "-rf", work])
print(f"1..{n}")
sys.exit(1 if failed else 0)
