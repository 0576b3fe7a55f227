#!/usr/bin/env bash
# The RPC stream (libos/rpc.c): two `graphene run --sandbox S` of one
# sandbox run as different host uids in different Landlock domains, so the
# host carries no signal between them and shows neither the other's /proc.
# Through the stream, one kills, tgkills, tkills (its second thread: nsd knows
# no tids, the process that has it answers), sigqueues and pidfd-signals the other with
# sandbox pids (siginfo checked: code, sender's sandbox pid and uid, value,
# the thread), and ps in a third launch lists the others' processes with
# their state; another launch renices, limits and affines pid 1. The
# listeners are abstract names (no file), which another launch reaches
# through nsd (StreamConnect: Landlock refuses it the name, also from its
# libos's own site). Bad input from a host process at pid 1's abstract
# name: a peer without the sandbox's secret, of another sandbox, or sending
# an oversized, undecodable or out-of-order frame is cut off, and the
# picoprocess goes on serving and running; the app can neither reach nor
# take the name.
# Handshakes through fifos; no sleeps.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (launches as different host uids)"; exit 0; }
sandbox_test rpc
CTL=bin/graphenectl
PEER=build/tests/rpc/rpc_peer
[ -x $PEER ] && [ -x build/tests/progs/rpcpeer ] || { echo "1..0 # SKIP test tools not built"; exit 0; }
n=0
check() { # check NAME EXPECTED ACTUAL
    n=$((n + 1))
    if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# expected: $2"; echo "# got: $3"; fi
}
NSD_PID= A=
trap '[ -z "$A" ] || kill "$A" 2>/dev/null; [ -z "$NSD_PID" ] || kill "$NSD_PID"; rm -rf "$T"' EXIT
private_nsd
secret=$($CTL --nsd "$T/nsd.sock" sandbox create S)
mkdir -m 777 "$T/s"
mkfifo -m 666 "$T/s/ids" "$T/tid" "$T/go"
sandbox_manifest /p/rpcpeer ${RPC_LOG:+'loader.log_level = "debug"'} /bin=/usr/bin "/tmp=$T/s" "ro:/p=$PWD/build/tests/progs" > "$T/m.toml"
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$T/s" > "$T/sh.toml"
# the sender's, which logs its streams' paths
sandbox_manifest /p/rpcpeer 'loader.log_level = "debug"' /bin=/usr/bin "/tmp=$T/s" "ro:/p=$PWD/build/tests/progs" > "$T/mb.toml"
RUN="$G run --nsd $T/nsd.sock --sandbox S"
hostuid() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }

# A exits when told: as pid 1, its exit kills the sender's launch.
exec {gow}<>"$T/go"
$RUN "$T/m.toml" -- wait /tmp/ids < "$T/go" > "$T/outA" 2>"$T/errA" &
A=$!
read -r pa ua ta < "$T/s/ids"
check "the first launch's process is pid 1 of the sandbox" 1 "$pa"

# ps in another launch: pid 1 (another host uid) with its state and threads.
out=$($RUN "$T/sh.toml" -- -c 'ps -o pid=,stat=,comm= -p 1; grep Threads /proc/1/status' 2>/dev/null)
check "ps in another launch shows pid 1 sleeping" "1 S rpcpeer" "$(head -1 <<<"$out" | awk '{ print $1, substr($2, 1, 1), $3 }')"
check "its /proc/1/status has the app's two threads (not the RPC helper)" "Threads:	2" "$(sed -n 2p <<<"$out")"
out=$($RUN "$T/sh.toml" -- -c 'ps -eo pid=,comm=' 2>/dev/null)
check "ps -e there lists pid 1 and the launch's own processes" "1 rpcpeer
sh
ps" "$(awk '$1 == 1 { print; next } { print $2 }' <<<"$out" | sed 's/^ *//')"

# Scheduling and limits across launches (sys/misc.c sched_serve): pid 1 makes
# the calls on itself, asked over its stream; the host shows them on A.
sandbox_manifest /bin/python3 /bin=/usr/bin "/tmp=$T/s" > "$T/py.toml"
out=$($RUN "$T/py.toml" -- -c '
import os, resource
os.setpriority(os.PRIO_PROCESS, 1, 19)
resource.prlimit(1, resource.RLIMIT_CORE, (0, 0))
os.sched_setaffinity(1, {0})
print(os.getpriority(os.PRIO_PROCESS, 1), resource.prlimit(1, resource.RLIMIT_CORE), sorted(os.sched_getaffinity(1)))' 2>&1)
check "another launch renices, limits and affines pid 1 and reads it back" "19 (0, 0) [0]" "$out"
check "on the host, A is at nice 19, RLIMIT_CORE 0, on cpu 0" "19 0 0 0" \
    "$(awk '{ print $19 }' "/proc/$A/stat") $(awk '/^Max core file size/ { print $5, $6 }' "/proc/$A/limits") $(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$A/status")"

# The sender, held on a fifo for its target thread: its host uid differs.
exec {tidw}<>"$T/tid"
$RUN "$T/mb.toml" -- send 1 /tmp/ids < "$T/tid" > "$T/outB" 2>"$T/errB" &
B=$!
read -r pb ub < "$T/s/ids"
uA=$(hostuid "$A") uB=$(hostuid "$B")
[ -n "$uA" ] && [ -n "$uB" ] && [ "$uA" != "$uB" ]
check "the two launches run as different host uids ($uA, $uB)" 0 $?
setpriv --reuid="$uB" --regid="$uB" --clear-groups kill -0 "$A" 2>/dev/null
check "the host does not let B's uid signal A" 1 $?

# A listens at the abstract name of its stream address (libos/rpc.c): no
# file. Bad input against it from a host process (unconfined: it may
# connect), then a good peer: A keeps serving.
sock=$(awk -v dir="@$T/rpc/" -v end="-$A" 'index($8, dir) == 1 && substr($8, length($8) - length(end) + 1) == end { print substr($8, 2); exit }' /proc/net/unix)
check "A listens at the abstract name of its stream address, and no file is made" "@$T/rpc/ " "${sock:+@${sock%/*}/} $(ls "$T/rpc")"
for mode in badmac sandbox tamper oversized garbage early; do
    check "a host process connecting to A's abstract name, sending $mode, is cut off" closed "$($PEER "@$sock" S "$secret" 1 $mode 2>&1)"
done
check "an app of the sandbox cannot name the stream socket (its path is no mount)" "connect: -1 ENOENT
unlink: -1 ENOENT" "$($RUN "$T/m.toml" -- connect "$sock" 2>/dev/null)"
check "nor reach or take its abstract name (the libos's own)" "connect: -1 ECONNREFUSED
bind: -1 EADDRINUSE" "$($RUN "$T/m.toml" -- connect "@$sock" 2>/dev/null)"
check "a peer with the secret is served (kill 0 through the stream)" "reply 0" "$($PEER "@$sock" S "$secret" 1 good 2>&1)"
check "and again by a new helper thread (the one that served it ended)" "reply 0" "$($PEER "@$sock" S "$secret" 1 good 2>&1)"

# The same through the libos's own syscall site of B (another launch: another
# host uid), as an app that jumped there would: A's abstract name cannot be
# connected to (Landlock's scope: another domain), its file name is no file
# (nothing to remove), and neither can the directory be read nor a socket be
# planted there under A's name.
SITECALL=build/tests/libos/sitecall
base=$(awk -v img="$PWD/lib/libos" '$6 == img { print $1; exit }' "/proc/$B/maps" | cut -d- -f1)
off=$(nm lib/libos 2>/dev/null | awk '$3 == "host_syscall_site" { print $1 }')
if [ -x $SITECALL ] && [ -n "$base" ] && [ -n "$off" ]; then
    site=$(printf '0x%x' $((0x$base + 0x$off)))
    name=0100$(printf '\0%s' "$sock" | od -An -tx1 | tr -d ' \n')
    out=$($SITECALL "$B" "$site" "41,1,1,0" "42,r:1,x:$name,$((3 + ${#sock}))" "3,r:1" "263,-100,s:$sock,0" "257:$T/rpc" "133,-100,s:$sock,0xc1ff,0" 2>&1 | cut -d' ' -f2-)
    check "from B's site: connecting to A's abstract name, unlinking its file name, reading the directory, mknod at its name are refused" \
"ok
Operation not permitted
ok
No such file or directory
Permission denied
Operation not permitted" "$out"
else
    n=$((n + 1)); echo "ok $n # SKIP no sitecall or nm"
fi

# A process of a third launch, to be ended with pid 1 (the sandbox's init).
$RUN "$T/sh.toml" -- -c 'echo up > /tmp/ids; exec /bin/sleep 1000' > /dev/null 2>&1 &
C=$!
read -r up < "$T/s/ids"

echo "$ta" >&$tidw
wait $B
sent="kill 0: 0
kill SIGUSR1: 0
tgkill SIGUSR2: 0
tkill SIGRTMIN+1: 0
sigqueue SIGRTMIN 42: 0
pidfd_send_signal SIGWINCH: 0
its pidfd readable while it runs: 0
pidfd_open of its second thread: ok
its thread pidfd, signal 0: 0
its thread pidfd readable while the thread runs: 0
kill of no one: -1 ESRCH
tgkill of a tid of no one: -1 ESRCH
tkill of a tid of no one: -1 ESRCH"
check "the sender's kill 0, kill, tgkill, tkill of the second thread, sigqueue, pidfd_send_signal and a thread pidfd of the second thread succeed; a pid or tid of no one is ESRCH" "$sent" "$(cat "$T/outB")"
relayed=$(grep -c "pid 1 is of another launch: connected through nsd" "$T/errB")
[ "$relayed" -ge 9 ]
check "B reached A through nsd's StreamConnect (Landlock refuses another domain's abstract name): $relayed times" 0 $?
# A waits for all five: one not sent would hold it forever.
[ "$(cat "$T/outB")" = "$sent" ] || kill -KILL "$A"
exec {tidw}>&-
echo go >&$gow
exec {gow}>&-
wait $A
check "A got the five and exited 0" 0 $?
A=
{ wait $C; } 2>/dev/null
check "pid 1's exit killed the process of the third launch (SIGKILL through its stream)" 137 $?
check "siginfo in sandbox terms: code, the sender's sandbox pid and uid, the value, the thread" \
"SIGRTMIN code=-1 pid=$pb uid=$ub value=42
SIGRTMIN+1 code=-6 pid=$pb uid=$ub value=0 thread
SIGUSR1 code=0 pid=$pb uid=$ub value=0
SIGUSR2 code=-6 pid=$pb uid=$ub value=0 thread
SIGWINCH code=0 pid=$pb uid=$ub value=0" "$(sort "$T/outA")"
# A killed process leaves its socket, for nsd to remove at its end (the
# embedded one does: tests/launcher/embedded.t).
check "no stream socket is left, not even the killed one's (abstract names go with their sockets)" "" "$(ls "$T/rpc"; grep -c "@$T/rpc/" /proc/net/unix | grep -vx 0)"
echo "1..$n"
