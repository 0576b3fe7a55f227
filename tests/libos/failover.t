#!/bin/bash
# Faults under a running sandbox (issue 6, item 8). (1) A raft group of
# three nsd nodes (unix sockets in one directory, given to the launcher as
# a list): kill -9 of the leader while a sandbox runs a shell loop of 200
# processes; the loop's output and exit status are those of a run without
# the kill, the picoprocesses reconnect to the new leader by themselves
# (following the list and Redirects), and nsd's
# record of the sandbox ends with no process left live or lost. (2) SIGKILL
# of a picoprocess in fork-heavy work (a subshell forking in a loop): its
# parent sees it killed by SIGKILL, the work goes on, nothing hangs.
# Handshakes through fifos, no sleeps as synchronization.
. "$(dirname "$0")/../nsd/lib.sh"
. "$ROOT/tests/lib/sandbox.sh"
cd "$ROOT"
[ -x bin/graphene ] && [ -f lib/libos ] || { echo "1..0 # SKIP bin/graphene or lib/libos not built"; exit 0; }
chmod 711 "$D" # picoprocesses reach the nodes' sockets as their sandbox's uid
for i in 1 2 3; do start_node $i; done
L=$(wait_leader_node); ok $? "a leader is elected: node $L"
mkdir -m 777 "$D/s"
mkfifo -m 666 "$D/s/half"
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$D/s" > "$D/m.toml"
RUN="bin/graphene run --nsd $CLUSTER"
# 200 processes: a command substitution and an echo in each round.
LOOP='i=0; s=0
while [ $i -lt 200 ]; do
    s=$((s + $(/bin/echo $i)))
    i=$((i + 1))
    [ $i = 60 ] && [ -p /tmp/half ] && echo $i > /tmp/half
done
echo "$i rounds, sum $s"'

# Without a fault (no fifo: the loop does not stop at it).
rm "$D/s/half"
out=$($RUN "$D/m.toml" -- -c "$LOOP" 2>"$D/ref.err"); rc=$?
ok $(( rc != 0 )) "the loop without a fault exits 0"
[ "$out" = "200 rounds, sum 19900" ]; ok $? "and prints its sum ($out)"
ref=$out

# kill -9 of the leader when the loop is at round 60.
mkfifo -m 666 "$D/s/half"
"$CTL" --nsd "$CLUSTER" sandbox create fault > /dev/null
$RUN --sandbox fault "$D/m.toml" -- -c "$LOOP" > "$D/out" 2>"$D/err" &
g=$!
read -r at < "$D/s/half"
old=$(leader_node)
kill -9 "$(eval echo "\$PID_$old")"
wait $g; rc=$?
ok $rc "with the leader ($old) killed at round $at: the loop exits 0"
[ "$(cat "$D/out")" = "$ref" ]; ok $? "the same output ($(cat "$D/out"))"
new=$(wait_leader_node "$old"); ok $? "another node leads now ($new)"
# remaining REGEX: the rows of the sandbox in a state matching REGEX, once
# nsd has applied the last Exit and Reap (sent without waiting): up to 5 s.
remaining() {
    for _ in $(seq 100); do
        left=$("$CTL" --nsd "$CLUSTER" ps --sandbox fault | awk -v re="$1" 'NR > 1 && $6 ~ re')
        [ -z "$left" ] && return
        sleep 0.05
    done
}
remaining '^(live|lost)$'
[ -z "$left" ]; ok $? "no process of the sandbox is left live or lost in nsd ($left)"
grep -v 'warning: unsupported' "$D/err" | sed 's/^/# /' | head -5

# SIGKILL of a subshell that forks in a loop; its parent waits for it.
mkfifo -m 666 "$D/s/ids"
WORK='( while :; do /bin/true; done ) & p=$!
echo $p > /tmp/ids
read x < /tmp/ids
wait $p; echo "forker: $?"
i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i + 1)); done; echo "then $i more"'
$RUN --sandbox fault "$D/m.toml" -- -c "$WORK" > "$D/out2" 2>"$D/err2" &
g=$!
read -r p < "$D/s/ids"
# Its host pid from nsd; it forks all along, so kill it while it does.
hp=$("$CTL" --nsd "$CLUSTER" ps --sandbox fault | awk -v p="$p" '$2 == p { print $8 }')
[ -n "$hp" ] && kill -9 "$hp"
echo go > "$D/s/ids"
wait $g; rc=$?
ok $rc "the shell whose forking child was killed exits 0"
[ "$(cat "$D/out2")" = "forker: 137
then 20 more" ]; ok $? "its parent saw it killed by SIGKILL and went on ($(tr '\n' ' ' < "$D/out2"))"
remaining '^live$'
[ -z "$left" ]; ok $? "no process of the sandbox is left live ($left)"
done_testing
