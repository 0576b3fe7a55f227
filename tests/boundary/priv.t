#!/usr/bin/env bash
# A picoprocess launched by root holds no host privilege (tools/confine.c):
# seen from outside, in the host's /proc, it runs as a sandbox uid of its
# own with no capabilities and no_new_privs; its writable mounts stay
# writable (idmapped: what it creates is root's on disk), its read-only
# mounts refuse writes in the libos and in the kernel (from the libos's own
# syscall site too), it can plant no set-id bit or file capability for host
# users, nsd does not take it for root, inherited fds do not reach it, and
# sys.max_processes stops a fork bomb.
# Which of issue 9's attacks each test answers: see the header of site.t.
N=32
. "$(dirname "$0")/lib.sh"
echo data > "$T/w/capfile"

# outside every mount: root's, 0644, in a directory the sandbox uid may enter
chmod 755 "$T"
echo secret > "$T/outside"
outside_before=$(stat -c '%a %u %g %Y' "$T/outside")
# a host process of root's: its CPU limit, nice value and CPUs
sleep infinity &
victim=$!
disown $victim # killed at exit, without a job message
PIDS+=($victim)
victim_state() {
    echo "$(grep 'Max cpu time' /proc/$victim/limits | awk '{ print $4 }') $(awk '{ print $19 }' /proc/$victim/stat)" \
         "$(grep Cpus_allowed_list /proc/$victim/status)"
}
victim_before=$(victim_state)

# --- the host identity, from outside ------------------------------------
hold a "$T/m.toml" 'exec 7<>/w/capfile;'
A=$HELD
U=$(field Uid $A | awk '{ print $1 }')
is "$(field Uid $A) / $(field Gid $A) / $(field Groups $A)" "$U $U $U $U / $U $U $U $U / " \
   "real, effective, saved and fs uid and gid are one sandbox uid; no supplementary groups"
[ "$U" -ge $((1 << 31)) ] 2>/dev/null
ok $? "the sandbox uid ($U) is from the range no account uses (2^31 and up)"
is "$(for c in CapInh CapPrm CapEff CapBnd CapAmb; do echo "$c $(field $c $A)"; done | tr '\n' ' ')" \
   "CapInh 0000000000000000 CapPrm 0000000000000000 CapEff 0000000000000000 CapBnd 0000000000000000 CapAmb 0000000000000000 " \
   "no capability in any set, bounding set empty"
is "$(field NoNewPrivs $A)" 1 "no_new_privs is set"

hold b "$T/m.toml"
B=$HELD
UB=$(field Uid $B | awk '{ print $1 }')
[ -n "$UB" ] && [ "$UB" != "$U" ] && [ "$UB" -ge $((1 << 31)) ]
ok $? "a second sandbox gets another uid ($UB, the first has $U)"

# --- from the libos's own syscall site -----------------------------------
rofd=$(root_fd $A "$T/ro")
# openat(the read-only mount's root, "new", O_WRONLY|O_CREAT, 0644);
# fsetxattr(7, "security.capability", v2 data with cap_setuid, 20, 0)
out=$("$SITECALL" $A "$(site $A)" "257,$rofd,s:new,0101,0644" \
      "190,7,s:security.capability,x:0100000280000000000000000000000000000000,20,0" 2>&1)
is "$(grep ^257 <<<"$out" | cut -d' ' -f2-) / $(ls "$T/ro")" "Read-only file system / file" \
   "from the libos's site, creating a file in the read-only mount (root fd $rofd) is refused by the kernel"
is "$(grep ^190 <<<"$out" | cut -d' ' -f2-)" "Operation not permitted" \
   "from the libos's site, fsetxattr security.capability is refused by the kernel (no CAP_SETFCAP)"

# Host objects Landlock does not govern, reached from the site: a file of
# host root outside every mount, host processes' /proc, device nodes, and a
# host process of root's (the test's own). Only the host identity stops them.
refused() { # refused NR: the site call NR failed
    grep "^$1[,:]" <<<"$out" | grep -vq ' ok$'
}
out=$("$SITECALL" $A "$(site $A)" "268,-100,s:$T/outside,04777" "260,-100,s:$T/outside,65534,65534,0" \
      "280,-100,s:$T/outside,0,0" "257:/proc/1/environ" "259,-100,s:$T/w/kmsg,020666,267" \
      "302,$victim,0,x:01000000000000000100000000000000,0" "141,0,$victim,19" \
      "203,$victim,8,x:0100000000000000" 2>&1)
refused 268 && refused 260 && refused 280 &&
    [ "$(stat -c '%a %u %g %Y' "$T/outside")" = "$outside_before" ]
ok $? "from the site, chmod, chown and utimensat of host root's file outside the mounts are refused; it is unchanged" "$out"
refused 257
ok $? "from the site, /proc/1/environ (a host process's) cannot be opened" "$out"
refused 259 && [ ! -e "$T/w/kmsg" ]
ok $? "from the site, mknodat of a device node in a writable mount is refused (no CAP_MKNOD)" "$out"
refused 302 && refused 141 && refused 203 && [ "$(victim_state)" = "$victim_before" ]
ok $? "from the site, prlimit64, setpriority and sched_setaffinity of a host process are refused; it is unchanged" "$out"
cpu_b=$(grep 'Max cpu time' /proc/$B/limits)
out=$("$SITECALL" $A "$(site $A)" "302,$B,0,x:01000000000000000100000000000000,0" "141,0,$B,19" 2>&1)
refused 302 && refused 141 && [ "$(grep 'Max cpu time' /proc/$B/limits)" = "$cpu_b" ] &&
    [ "$(awk '{ print $19 }' /proc/$B/stat)" = 0 ]
ok $? "from sandbox A's site, prlimit64 and setpriority of sandbox B's picoprocess are refused (another uid)" "$out"
# The picoprocess's root holds only its mounts, /proc and a few /dev nodes:
# what Landlock cannot stop by path (stat, O_PATH; inotify_add_watch walks
# paths the same way) finds no host file outside the mounts, and its /proc
# shows no process of another uid (host init, sandbox B).
out=$("$SITECALL" $A "$(site $A)" "262,-100,s:$T/outside,b:144,0" "257,-100,s:/etc,0x200000" \
      "262,-100,s:/proc/1/stat,b:144,0" "262,-100,s:/proc/$B/stat,b:144,0" 2>&1)
[ "$(grep -c 'No such file or directory$' <<<"$out")" = 4 ]
ok $? "from the site, stat and O_PATH of host paths outside the mounts, and /proc of other uids' processes, find nothing" "$out"
release a
release b

# --- writable and read-only mounts, set-id bits, file capabilities --------
out=$("$G" run "$T/m.toml" -- -c 'id -u; echo hello > /w/new; stat -c "%u %g" /w/new
    echo x > /ro/file; touch /ro/other; mkdir /ro/d; rm /ro/file; cat /ro/file
    cp /usr/bin/true /w/su; chmod 4755 /w/su; chmod g+s /w/su; '"$P"' fchmod /w/su 6755
    '"$P"' create /w/created 6755; '"$P"' mkdir /w/dir 2755; '"$P"' setcap /w/capfile' 2>&1)
is "$(sed -n 1,2p <<<"$out")" "0
0 0" "inside, the app is root (virtual) and owns what it creates"
is "$(stat -c '%u %g %s' "$T/w/new")" "0 0 6" "the file written in the writable mount is root's on the host"
touch "$T/w/owned" "$T/w/high"
chown 1000:1001 "$T/w/owned"
chown 70000:70000 "$T/w/high"
is "$("$G" run "$T/m.toml" -- -c 'stat -c "%u:%g" /w/owned /w/high')" "1000:1001
65534:65534" "owners on disk show as on the host through the idmap (those past 65535 as nobody)"
is "$(grep -c 'Read-only file system' <<<"$out") $(cat "$T/ro/file") $(ls "$T/ro")" "4 original file" \
   "writes, creation, mkdir and unlink in the read-only mount are EROFS; nothing changed"
is "$("$G" run "$T/m.toml" -- -c 'grep -E " /(ro|w) " /proc/self/mounts')" "graphene /w graphene rw 0 0
graphene /ro graphene ro 0 0" "/proc/self/mounts shows which mounts are read-only"
is "$(stat -c %a "$T/w/su") $(stat -c %a "$T/w/created") $(stat -c %a "$T/w/dir")" "755 755 755" \
   "chmod 4755, chmod g+s, fchmod 6755, open and mkdir with set-id bits leave no set-id bit on disk"
is "$(tail -1 <<<"$out")" "Operation not permitted" "fsetxattr security.capability is refused"
python3 -c 'import os, sys; os.getxattr(sys.argv[1], "security.capability")' "$T/w/capfile" 2>/dev/null
ok $((! $?)) "and the file has no capability on disk"

# devpts has no idmapped mounts: that mount is the host's own, one info line says so
manifest "$T/pts.toml" /pts=/dev/pts 'loader.log_level = "info"'
out=$("$G" run "$T/pts.toml" -- -c 'ls /pts/ptmx' 2>&1)
is "$(grep -c 'cannot be idmapped' <<<"$out") $(grep -v '^\[libos\|^graphene:' <<<"$out")" "1 /pts/ptmx" \
   "a mount the host cannot idmap (devpts) falls back to the plain mount with one info line"

# --- nsd does not take the picoprocess for root ---------------------------
"$ROOT/bin/nsd" --socket "$T/w/nsd.sock" --journal "$T/nsd.db" --node priv 2>"$T/nsd.log" &
PIDS+=($!)
nsd=$!
for _ in $(seq 200); do
    "$ROOT/bin/graphenectl" --nsd "$T/w/nsd.sock" sandbox ls >/dev/null 2>&1 && break
    sleep 0.05
done
"$ROOT/bin/graphenectl" --nsd "$T/w/nsd.sock" sandbox ls >/dev/null 2>&1
ok $? "root on the host is nsd's admin (graphenectl sandbox ls)"
out=$("$G" run "$T/m.toml" -- -c '/gbin/graphenectl --nsd /w/nsd.sock sandbox ls; echo "rc=$?"' 2>&1)
grep -q 'rc=[1-9]' <<<"$out" && grep -q "hello refused: admin peer uid is neither root nor nsd's" <<<"$out"
ok $? "the same from inside the sandbox is refused (SO_PEERCRED shows the sandbox uid)" "$out"
kill "$nsd"
wait "$nsd" 2>/dev/null

# --- inherited fds --------------------------------------------------------
exec 5<"$T/ro/file"
is "$("$G" run "$T/m.toml" -- -c "$P fd 5; $P fd 2")" "closed
open" "an fd inherited from the caller (5) is not open inside; stdio is"
manifest "$T/pass.toml" 'loader.pass_fds = [5]'
is "$("$G" run "$T/pass.toml" -- -c "$P fd 5; $P fd 6")" "open
closed" "loader.pass_fds = [5] passes fd 5, and only it"
exec 5<&-

# --- a fork bomb under sys.max_processes = 50 ------------------------------
ENTRY=$P manifest "$T/bomb.toml" 'sys.max_processes = 50'
manifest "$T/nproc.toml" 'sys.max_processes = 50'
is "$("$G" run "$T/nproc.toml" -- -c 'ulimit -u; ulimit -u 100 || echo refused; ulimit -u 10; ulimit -u' 2>/dev/null)" \
   "50
refused
10" "the app sees RLIMIT_NPROC 50, may lower it but not raise it"
mkfifo "$T/w/fb.ready" "$T/w/fb.go"
exec {fbr}<>"$T/w/fb.ready" {fbg}<>"$T/w/fb.go"
"$G" run "$T/bomb.toml" -- forkbomb /w/fb.ready /w/fb.go &
bomb=$!
PIDS+=($bomb)
read -r -t 120 -u $fbr forked err
UF=$(field Uid $bomb | awk '{ print $1 }')
count() { grep -l "^Uid:[[:space:]]$1[[:space:]]" /proc/[0-9]*/status 2>/dev/null | wc -l; }
# RLIMIT_NPROC counts the uid's tasks: processes and threads alike
tasks=$(grep -h "^Uid:[[:space:]]$UF[[:space:]]" /proc/[0-9]*/task/[0-9]*/status 2>/dev/null | wc -l)
[ "$err" = EAGAIN ] && [ "$forked" -ge 40 ] && [ "$forked" -lt 50 ]
ok $? "the fork bomb stops with EAGAIN after $forked forks ($tasks tasks of uid $UF on the host)"
[ "$tasks" -le 50 ]
ok $? "the host holds at most 50 tasks of the sandbox uid"
/usr/bin/true
ok $? "the host itself still forks"
echo go >&$fbg
wait $bomb
ok $? "the bomb's parent reaps its children and exits 0"
is "$(count "$UF")" 0 "no process of the sandbox uid is left"
