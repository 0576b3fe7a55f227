#!/bin/bash
# A follower forwards its clients to the leader over the sealed node link
# (nsd/server.c "forwarding"), across hosts: each node runs as a host of
# its own (a UTS namespace with its own hostname) and every launch runs on
# follower F's host (in its UTS namespace) given only F's unix socket. So
# the launcher's admin requests and the picoprocesses' go through F to the
# leader, while F keeps and hands out its host's SysV memory itself. The
# sandbox forks, kills (`kill` of a child found in /proc as ours) and reads
# /proc; `graphenectl ps` through F lists it; launch A (SysV queue and
# semaphore) holds while another run goes across a kill -9 of the leader;
# then launches C and B join A's objects through F. Handshakes through
# fifos, no sleeps as synchronization (a stuck step fails after 60 s).
. "$(dirname "$0")/../nsd/lib.sh"
. "$ROOT/tests/lib/sandbox.sh"
cd "$ROOT"
[ -x bin/graphene ] && [ -f lib/libos ] || { echo "1..0 # SKIP bin/graphene or lib/libos not built"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the nodes need hostnames of their own (unshare --uts): needs root"; exit 0; }
chmod 711 "$D" # picoprocesses reach the nodes' sockets as their sandbox's uid
export NSD_BIN=$NSD; NSD=$ROOT/tests/libos/hostname.sh
for i in 1 2 3; do NODE_HOST=node-host-$i start_node $i; done
L=$(wait_leader_node); ok $? "a leader is elected: node $L"
F=$(( L % 3 + 1 ))
onF() { nsenter --uts -t "$(eval echo "\$PID_$F")" -- "$@"; }   # on host F
[ "$(onF hostname)" = "node-host-$F" ]; ok $? "node $F is host node-host-$F"
# reads a line from fifo $1, or fails after 60 s (a launch that died)
await() { timeout 60 sh -c 'read -r x < "$1" && echo "$x"' sh "$1"; }
memfds() { ls -l "/proc/$(eval echo "\$PID_$1")/fd" 2>/dev/null | grep -c 'memfd:graphene-sysv'; }
mkdir -m 777 "$D/s"
cp tests/libos/sysv_join/*.pl "$D/s/"
mkfifo -m 666 "$D/s/ready" "$D/s/go"
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$D/s" > "$D/sh.toml"
sandbox_manifest /usr/bin/perl "/tmp=$D/s" > "$D/pl.toml"
# Each round: a fork (command substitution), a forking child killed by its
# parent once /proc shows it as the parent's, and the parent's wait for it.
# (A child shows in /proc once its registration is applied; one that forks
# re-sends it at once across the failover, a sleeping one would not until
# it next calls nsd.)
WORK='i=0; s=0; k=0
while [ $i -lt 30 ]; do
    s=$((s + $(/bin/echo $i)))
    ( while :; do /bin/true; done ) & p=$!
    n=0; until grep -q "^PPid:.$$\$" /proc/$p/status 2>/dev/null || [ $n = 200 ]; do n=$((n + 1)); done
    kill $p; wait $p; w=$?; [ $w = 143 ] && [ $n -lt 200 ] && k=$((k + 1)) || echo "round $i: $n tries, status $w" >&2
    i=$((i + 1))
    [ $i = 10 ] && [ -p /tmp/half ] && echo $i > /tmp/half
done
echo "$i rounds, sum $s, $k killed"'
REF="30 rounds, sum 435, 30 killed"
"$CTL" --nsd "$CLUSTER" sandbox create fwd > /dev/null; ok $? "a sandbox"
RUN="onF bin/graphene run --nsd $D/n$F.sock --sandbox fwd"

out=$($RUN "$D/sh.toml" -- -c "$WORK" 2>"$D/err1"); rc=$?
ok $rc "on host $F through follower $F only (leader $L): the sandbox exits 0"
[ "$out" = "$REF" ]; ok $? "forks, kills and reads /proc ($out)"
grep -q "forwarding clients to the leader, node $L " "$D/n$F.log"; ok $? "node $F forwarded it to node $L"
[ "$(memfds "$F")" = 1 ] && [ "$(memfds "$L")" = 0 ]
ok $? "node $F keeps the sandbox's SysV memory (its host's), the leader none"

# A picoprocess on host F killed by SIGKILL (no Exit), its parent not
# reaping it yet: only F can see the host process gone; it tells the
# leader on the client's link, and the leader records the process lost
# (a zombie, killed), not live. Then the parent's wait sees it killed.
mkfifo -m 666 "$D/s/reap"
$RUN "$D/sh.toml" -- -c '/bin/sleep 1000 & echo $! > /tmp/kpid; read x < /tmp/reap; wait $!; echo "status $?"' \
    > "$D/k.out" 2>"$D/k.err" &
kp=$!
row() { onF "$CTL" --nsd "$D/n$F.sock" ps --sandbox fwd 2>/dev/null | awk -v p="$1" '$2 == p { print $6, $8 }'; }
n=0; until kpid=$(cat "$D/s/kpid" 2>/dev/null) && [ -n "$kpid" ] && [ "$(row "$kpid" | cut -d' ' -f1)" = live ] ||
    [ $n = 600 ]; do sleep 0.1; n=$((n + 1)); done
kill -9 "$(row "$kpid" | cut -d' ' -f2)"
n=0; until [ "$(row "$kpid" | cut -d' ' -f1)" = "lost(9)" ] || [ $n = 600 ]; do sleep 0.1; n=$((n + 1)); done
[ "$(row "$kpid" | cut -d' ' -f1)" = "lost(9)" ]
ok $? "a process on host $F killed by SIGKILL is lost in the leader's record, before its parent's wait ($(row "$kpid"))"
grep -q "died on its host (its node says)" "$D/n$L.log"; ok $? "the leader has it from node $F"
echo go > "$D/s/reap"
wait $kp
[ "$(cat "$D/k.out")" = "status 137" ]; ok $? "its parent's wait: killed by SIGKILL ($(cat "$D/k.out"))"

# A: a queue with three messages and a semaphore, waited on.
$RUN "$D/pl.toml" -- /tmp/a.pl > "$D/a.out" 2>"$D/a.err" &
apid=$!
await "$D/s/ready" > /dev/null; ok $? "A made its SysV objects, through node $F"
onF "$CTL" --nsd "$D/n$F.sock" ps --sandbox fwd > "$D/ps" 2>&1
grep -q "node-host-$F" "$D/ps"; ok $? "graphenectl ps through node $F lists A on host node-host-$F"

# kill -9 of the leader at round 10 of a second run.
mkfifo -m 666 "$D/s/half"
$RUN "$D/sh.toml" -- -c "$WORK" > "$D/out" 2>"$D/err2" &
g=$!
at=$(await "$D/s/half")
kill -9 "$(eval echo "\$PID_$L")"
wait $g; rc=$?
ok $rc "with the leader ($L) killed at round $at: the sandbox exits 0"
[ "$(cat "$D/out")" = "$REF" ]; ok $? "the same output ($(cat "$D/out"))"
new=$(wait_leader_node "$L"); ok $? "node $new leads now"
[ "$new" = "$F" ] || grep -q "forwarding clients to the leader, node $new " "$D/n$F.log"
ok $? "node $F served it itself or forwarded it to the new leader"

$RUN "$D/pl.toml" -- /tmp/c.pl > "$D/c.out" 2>"$D/c.err"
ok $? "C, joined after the failover through node $F, exits 0"
[ "$(cat "$D/c.out")" = "c read: m1 m2 m3
c: semaphore 0" ]; ok $? "C reads A's three messages and its semaphore ($(tr '\n' ' ' < "$D/c.out"))"
$RUN "$D/pl.toml" -- /tmp/b.pl > "$D/b.out" 2>"$D/b.err"; brc=$?
ok $brc "B sees A's objects and answers ($(cat "$D/b.out"))"
[ $brc = 0 ] && echo go > "$D/s/go"
[ $brc = 0 ] || kill -9 $apid   # A would wait for B's semaphore forever
wait $apid; rc=$?
ok $rc "A exits 0"
[ "$(cat "$D/a.out")" = "a got: from b" ]; ok $? "A reads B's message ($(cat "$D/a.out"))"

# Two launches on follower G's host: one reaches the other through G's
# StreamConnect (G answers it itself: the fd is of its host). Then a client
# of G's host that dies while connected to no node (its link went with G,
# it was stopped, then killed): only G's own sweep can see it, and it
# reports it to the leader, which makes it lost.
NODE_HOST=node-host-$L start_node "$L"   # the old leader again: G may go for a while
mkfifo -m 666 "$D/s/greap"
grow() { "$CTL" --nsd "$CLUSTER" ps --sandbox fwd 2>/dev/null | awk -v p="$1" '$2 == p { print $6, $8 }'; }
# One try: 0 if G reported it and the leader took it, 1 if not, 2 if G came
# to lead meanwhile (its own leader's sweep did it then: tried again).
follower_case() {
    LD=$(wait_leader_node) && wait_converged 1 2 3 || return 1
    G=$(( LD % 3 + 1 ))
    local gpid n kpid="" hp rc=1
    gpid=$(eval echo "\$PID_$G")
    rm -f "$D/s/kpid"
    nsenter --uts -t "$gpid" -- bin/graphene run --nsd "$D/n$G.sock" --sandbox fwd "$D/sh.toml" -- \
        -c '/bin/sleep 1000 & echo $! > /tmp/kpid; read x < /tmp/greap; kill $! 2>/dev/null; wait $!; echo "status $?"' \
        > "$D/g.out" 2>"$D/g.err" &
    local gp=$!
    n=0; until kpid=$(cat "$D/s/kpid" 2>/dev/null) && [ -n "$kpid" ] && [ "$(grow "$kpid" | cut -d' ' -f1)" = live ] ||
        [ $n = 600 ]; do sleep 0.1; n=$((n + 1)); done
    hp=$(grow "$kpid" | cut -d' ' -f2)
    local logged=$(grep -c . "$D/n$G.log")
    nsenter --uts -t "$gpid" -- bin/graphene run --nsd "$D/n$G.sock" --sandbox fwd "$D/sh.toml" -- \
        -c "kill -0 $kpid; echo kill -0 \$?; cat /proc/$kpid/comm" > "$D/g2.out" 2>"$D/g2.err"
    if [ "${hp:-0}" -gt 1 ] 2>/dev/null && [ "$(tr '\n' ' ' < "$D/g2.out")" = "kill -0 0 sleep " ]; then
        kill -STOP "$hp"   # never a kill of no pid or of a group
        kill -9 "$gpid"
        # its journal's flock goes once the kernel has let go of its files
        n=0; until flock -n "$D/n$G.db" true || [ $n = 600 ]; do sleep 0.1; n=$((n + 1)); done
        NODE_HOST=node-host-$G start_node "$G"
        kill -9 "$hp"
        n=0; until [ "$(grow "$kpid" | cut -d' ' -f1)" = "lost(9)" ] || [ $n = 600 ]; do sleep 0.1; n=$((n + 1)); done
        if tail -n +"$logged" "$D/n$G.log" | grep -q "elected"; then
            rc=2
        elif [ "$(grow "$kpid" | cut -d' ' -f1)" = "lost(9)" ] &&
            tail -n +"$logged" "$D/n$G.log" | grep -q "reported .* of host node-host-$G to the leader" &&
            cat "$D"/n?.log | grep -q "vanished on its host (its node says)"; then
            rc=0
        fi
    fi
    timeout 60 sh -c 'echo go > "$1"' sh "$D/s/greap"
    wait $gp
    [ $rc != 0 ] || [ "$(cat "$D/g.out")" = "status 137" ] || rc=1
    return $rc
}
for try in 1 2 3; do follower_case; rc=$?; [ $rc = 2 ] || break; echo "# try $try: node $G came to lead"; done
ok $rc "on follower $G's host: another launch reached through $G ($(tr '\n' ' ' < "$D/g2.out")); a process that died unconnected: $G swept and reported it, the leader made it lost, its parent's wait saw it killed ($(cat "$D/g.out"))"
grep -hv "warning: unsupported\|Terminated" "$D"/err* "$D"/?.err | sed 's/^/# /' | head -5
done_testing
