#!/usr/bin/env bash
# A host process holds the abstract name of a picoprocess's RPC listener
# before the process binds it (the names are listed in /proc/net/unix):
# the process listens at its stream address's file instead (libos/rpc.c
# listen_at, logged) and stays reachable, from its own launch and from
# another (Landlock refuses both the squatter's name; nsd, asked, finds its
# holder is not the process; then the file), and removes the file at its
# exit. Runs in a PID namespace of its own, so that the fork child's host
# pid is among the names squatted: pids there go, in order, to this test's
# processes only. Handshakes through fifos; no sleeps.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (launches as different host uids)"; exit 0; }
if [ -z "${RPCSQUAT_NS:-}" ]; then
    command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare(1)"; exit 0; }
    RPCSQUAT_NS=1 exec unshare --pid --fork --mount-proc "$0"
fi
sandbox_test rpcsquat
CTL=bin/graphenectl
NSD_PID= A= SQ=
trap '[ -z "$A" ] || kill -9 "$A"; [ -z "$SQ" ] || kill "$SQ"; [ -z "$NSD_PID" ] || kill "$NSD_PID"; rm -rf "$T"' EXIT
private_nsd
$CTL --nsd "$T/nsd.sock" sandbox create S > /dev/null
mkdir -m 777 "$T/s"
mkfifo -m 666 "$T/s/cmd" "$T/s/out" "$T/sq.in" "$T/sq.out"
sandbox_manifest /bin/sh 'loader.log_level = "info"' /bin=/usr/bin "/tmp=$T/s" > "$T/sh.toml"
RUN="$G run --nsd $T/nsd.sock --sandbox S"
# ask CMD: A's shell (pid 1) runs CMD; its output.
exec {cmdw}<>"$T/s/cmd"
ask() { echo "$1" >&$cmdw; cat "$T/s/out"; }
$RUN "$T/sh.toml" -- -c 'echo up > /tmp/out; while read -r c < /tmp/cmd; do eval "$c" > /tmp/out 2>&1; done' 2>"$T/errA" &
A=$!
read -r up < "$T/s/out"
name=$(awk -v dir="@$T/rpc/" -v end="-$A" 'index($8, dir) == 1 && substr($8, length($8) - length(end) + 1) == end { print substr($8, 2); exit }' /proc/net/unix)
token=${name##*/}
token=${token%-*}
check "pid 1 listens at its abstract name" 1 "$([ -n "$token" ] && echo 1)"

# The squatter binds the names of this launch's next 300 host pids.
python3 -c '
import socket, sys
last = int(open("/proc/sys/kernel/ns_last_pid").read())
held = []
for pid in range(last + 1, last + 301):
    s = socket.socket(socket.AF_UNIX)
    s.bind("\0%s/%s-%d" % (sys.argv[1], sys.argv[2], pid))
    s.listen()
    held.append(s)
print(last + 1, last + 300, flush=True)
sys.stdin.read()' "$T/rpc" "$token" < "$T/sq.in" > "$T/sq.out" &
SQ=$!
exec {sqw}>"$T/sq.in"
read -r lo hi < "$T/sq.out"

cp=$(ask '/bin/sh -c "exec /bin/sleep 1000" > /dev/null 2>&1 & echo $!')
hcp=$($CTL --nsd "$T/nsd.sock" ps --sandbox S | awk -v p="$cp" '$2 == p { print $8 }')
check "A forked a child ($cp, host pid $hcp) whose abstract name was held" 1 "$([ -n "$hcp" ] && [ "$hcp" -ge "$lo" ] && [ "$hcp" -le "$hi" ] && echo 1)"
check "it listens at its stream address's file" 1 "$([ -S "$T/rpc/$token-$hcp" ] && echo 1)"
check "and said so" 1 "$(grep -c "the abstract name of $T/rpc/$token-$hcp is taken: listening on the file" "$T/errA")"
check "its own launch reaches it (/proc/$cp/exe through its stream)" /bin/sleep "$(ask "readlink /proc/$cp/exe")"
out=$($RUN "$T/sh.toml" -- -c "readlink /proc/$cp/exe; kill -0 $cp && echo signalled" 2>/dev/null)
check "another launch reaches it (its exe, kill 0)" "/bin/sleep
signalled" "$out"
check "nsd found the name held by the squatter, not by the child" 1 \
    "$(grep -c "the abstract name of stream $T/rpc/$token-$hcp is held by host pid $SQ, not by $hcp" "$T/nsd.log" | sed 's/^[1-9][0-9]*$/1/')"
ask "kill $cp; wait $cp" > /dev/null
check "it removed its file as it exited" "" "$(ls "$T/rpc")"
exec {sqw}>&-
wait $SQ
SQ=
exec {cmdw}>&-
wait $A
A=
echo "1..$n"
