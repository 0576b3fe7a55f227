#!/bin/bash
# graphenectl kill [-SIG] --sandbox S PID|-PGID on a live sandbox of the
# embedded nsd (found without flags): nsd signals the host process(es) of the
# target, in sandbox pids, and only in that sandbox.
. "$(dirname "$0")/../nsd/lib.sh"
make -s -C "$ROOT" all build/tests/nsd/nsd_testclient >&2 || { echo "Bail out! build"; exit 1; }
cd "$D"
unset GRAPHENE_NSD GRAPHENE_LIBOS
export GRAPHENE_RUNTIME_DIR=$D/rt
G=$ROOT/bin/graphene

# start NAME SCRIPT: bash SCRIPT in sandbox NAME, its output on fd OUT_NAME;
# returns once it printed its first line, "up ID" (ID in UP_NAME).
start() {
    local name=$1 fd up id; mkfifo "$name.out"
    ( exec timeout 30 "$G" run --sandbox "$name" "$ROOT/manifests/bash.toml" -- -c "$2" > "$name.out" 2>&1 ) &
    exec {fd}<"$name.out"; eval "OUT_$name=$fd"
    read -r up id <&$fd && [ "$up" = up ] && eval "UP_$name=$id"
}
rest() { local fd; eval "fd=\$OUT_$1"; cat <&$fd; }
# column C (2 pid, 4 pgid, 6 state) of process PID of sandbox S
col() { "$CTL" ps --sandbox "$1" | awk -v p="$2" -v c="$3" '$2 == p {print $c}'; }

start one 'sleep 100 & echo "up $!"; wait $!; echo "sleep: $?"'; ok $? "a sandbox with a background sleep"
start two 'sleep 200 & echo "up $!"; wait $!; echo "sleep: $?"'
pid=$UP_one
# (While sandboxes one and two keep the embedded nsd up.)
# A picoprocess that registers a host pid not its own (here: a host sleep
# outside every sandbox) cannot make nsd signal that process.
sleep 300 & victim=$!
secret=$("$CTL" sandbox create liar)
mkfifo liar.in liar.out
( SIM_HOST_PID=$victim exec "$TC" "$GRAPHENE_RUNTIME_DIR/nsd.sock" hold liar "$secret" <liar.in >liar.out ) &
exec {li}>liar.in {lo}<liar.out
read -r ready root _ <&$lo
[ "$ready" = ready ] && [ "$("$CTL" ps --sandbox liar | awk -v p="$root" '$2 == p {print $8}')" = "$victim" ]
ok $? "a simulated picoprocess registered host pid $victim, not its own"
out=$("$CTL" kill -KILL --sandbox liar "$root" 2>&1); rc=$?
[ $rc = 1 ] && kill -0 "$victim"; ok $? "graphenectl kill of it does not reach that host process ($out)"
exec {li}>&- {lo}<&-; wait $!
"$CTL" sandbox rm liar; kill "$victim"

[ "$(col one "$pid" 6)" = live ]; ok $? "graphenectl ps shows the sleep of sandbox one (pid $pid, as \$! said)"
out=$("$CTL" kill -KILL --sandbox one 99999 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"no live process 99999 in sandbox one"* ]]; ok $? "no such pid in that sandbox: ESRCH ($out)"
"$CTL" kill -TERM --sandbox one "$pid"; ok $? "kill -TERM --sandbox one PID"
[ "$(rest one)" = "sleep: 143" ]; ok $? "the sleep died of SIGTERM: its parent's wait says 143"
[ "$UP_two" = "$pid" ] && [ "$(col two "$pid" 6)" = live ]; ok $? "sandbox two's process of the same pid was not touched"
"$CTL" kill -SIGKILL --sandbox two "$UP_two"; ok $? "kill -SIGKILL by name"
[ "$(rest two | tail -1)" = "sleep: 137" ]; ok $? "... 137"

start grp 'set -m; sleep 300 | sleep 301 & echo "up $!"; wait $!; echo "pipeline: $?"'
pg=$(col grp "$UP_grp" 4)
[ -n "$pg" ] && [ "$pg" != 1 ] && [ "$("$CTL" ps --sandbox grp | awk -v g="$pg" '$4 == g' | wc -l)" = 2 ]
ok $? "a job's pipeline is one process group of 2 ($pg)"
"$CTL" kill -2 --sandbox grp "-$pg"; ok $? "kill -2 --sandbox grp -PGID"
[ "$(rest grp | tail -1)" = "pipeline: 130" ]; ok $? "the whole group died of SIGINT; the shell lives on"

"$CTL" kill -NOPE --sandbox grp 5 2>/dev/null; [ $? = 2 ]; ok $? "unknown signal: usage error"
"$CTL" kill 5 2>/dev/null; [ $? = 2 ]; ok $? "no --sandbox: usage error"
wait
done_testing
