#!/bin/bash
# A sandbox's System V objects after an nsd failover (issue 7): the memfd
# that nsd keeps for joined launches is local to a node, so a new leader
# takes it again from a live picoprocess of the sandbox, by the tag the
# first node wrote into it (nsd/sysv.c). In a raft group of three nodes,
# launch A (pid 1) makes a queue with three messages and a semaphore, then
# waits on the semaphore; the leader is killed (-9); once another node
# leads, launch C joins the sandbox and reads A's three messages, then
# launch B answers with a message and the semaphore, and A reads B's
# message (the scripts of tests/libos/sysv_join.t). Handshakes through
# fifos, no sleeps as synchronization.
. "$(dirname "$0")/../nsd/lib.sh"
. "$ROOT/tests/lib/sandbox.sh"
cd "$ROOT"
[ -x bin/graphene ] && [ -f lib/libos ] || { echo "1..0 # SKIP bin/graphene or lib/libos not built"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP nsd takes the picoprocesses' fds (pidfd_getfd): needs root"; exit 0; }
chmod 711 "$D" # picoprocesses reach the nodes' sockets as their sandbox's uid
for i in 1 2 3; do start_node $i; done
L=$(wait_leader_node); ok $? "a leader is elected: node $L"
mkdir -m 777 "$D/s"
mkfifo -m 666 "$D/s/ready" "$D/s/go"
cp tests/libos/sysv_join/*.pl "$D/s/"
sandbox_manifest /usr/bin/perl "/tmp=$D/s" > "$D/m.toml"
RUN="bin/graphene run --nsd $CLUSTER --sandbox sysv-fo"
memfds() { ls -l "/proc/$(eval echo "\$PID_$1")/fd" 2>/dev/null | grep -c 'memfd:graphene-sysv'; }
"$CTL" --nsd "$CLUSTER" sandbox create sysv-fo > /dev/null
$RUN "$D/m.toml" -- /tmp/a.pl > "$D/a.out" 2>"$D/a.err" &
apid=$!
read -r _ < "$D/s/ready"
old=$(leader_node)
[ "$(memfds "$old")" = 1 ]; ok $? "the leader (node $old) keeps the sandbox's SysV memory"
kill -9 "$(eval echo "\$PID_$old")"
new=$(wait_leader_node "$old"); ok $? "another node leads now ($new)"
[ "$(memfds "$new")" = 0 ]; ok $? "and has no SysV memory of the sandbox yet"
$RUN "$D/m.toml" -- /tmp/c.pl > "$D/c.out" 2>"$D/c.err"; crc=$?
ok $crc "C, joined after the failover, exits 0"
[ "$(cat "$D/c.out")" = "c read: m1 m2 m3
c: semaphore 0" ]; ok $? "C reads A's three messages and its semaphore ($(tr '\n' ' ' < "$D/c.out"))"
$RUN "$D/m.toml" -- /tmp/b.pl > "$D/b.out" 2>"$D/b.err"; brc=$?
ok $brc "B, joined too, sees A's objects and answers ($(cat "$D/b.out"))"
if [ $brc != 0 ]; then # A would wait for B's semaphore forever
    hp=$("$CTL" --nsd "$CLUSTER" ps --sandbox sysv-fo | awk '$2 == 1 { print $8 }')
    [ -n "$hp" ] && kill -9 "$hp"
fi
held=0
for i in 1 2 3; do [ "$i" != "$old" ] && held=$((held + $(memfds "$i"))); done
[ "$held" -ge 1 ]; ok $? "a node that served the joins took the memory again from A's picoprocess ($held)"
[ $brc = 0 ] && echo go > "$D/s/go"
wait $apid; rc=$?
ok $rc "A exits 0"
[ "$(cat "$D/a.out")" = "a got: from b" ]; ok $? "A reads B's message ($(cat "$D/a.out"))"
[ $rc = 0 ] || sed 's/^/# /' "$D/a.err" "$D/b.err" "$D/c.err" | head -10
done_testing
