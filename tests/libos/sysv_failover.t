#!/bin/bash
# A sandbox's System V objects after an nsd failover (issue 7): the memfd
# that nsd keeps for joined launches is local to a node, so a new leader
# takes it again from a live picoprocess of the sandbox, by the tag the
# first node wrote into it (nsd/sysv.c). In a raft group of three nodes,
# launch A (pid 1) makes a queue with three messages and a semaphore, then
# waits on the semaphore; the leader is killed (-9); once another node
# leads, launch B joins the sandbox, reads A's three messages, answers with
# one of its own and the semaphore; A reads B's message. Handshakes through
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
cat > "$D/s/a.pl" <<'PL'
use IPC::SysV qw(IPC_CREAT);
my $q = msgget(0x7e61, IPC_CREAT | 0666) // die "a: msgget: $!";
my $s = semget(0x7e61, 1, IPC_CREAT | 0666) // die "a: semget: $!";
msgsnd($q, pack("l! a*", 1, "m$_"), 0) or die "a: msgsnd: $!" for 1 .. 3;
open(my $r, ">", "/tmp/ready") or die; print $r "ready\n"; close $r;
semop($s, pack("s!3", 0, -1, 0)) or die "a: semop: $!";
my $m;
msgrcv($q, $m, 64, 2, 0) or die "a: msgrcv: $!";
print "a got: ", substr($m, length(pack("l!", 0))), "\n";
open(my $g, "<", "/tmp/go") or die; <$g>; close $g;
PL
cat > "$D/s/b.pl" <<'PL'
use IPC::SysV qw(IPC_NOWAIT);
my $q = msgget(0x7e61, 0) // die "b: msgget: $!";
my $s = semget(0x7e61, 0, 0) // die "b: semget: $!";
my @got;
for (1 .. 3) {
    my $m;
    msgrcv($q, $m, 64, 1, IPC_NOWAIT) or die "b: msgrcv: $!";
    push @got, substr($m, length(pack("l!", 0)));
}
print "b read: @got\n";
msgsnd($q, pack("l! a*", 2, "from b"), 0) or die "b: msgsnd: $!";
semop($s, pack("s!3", 0, 1, 0)) or die "b: semop: $!";
PL
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
$RUN "$D/m.toml" -- /tmp/b.pl > "$D/b.out" 2>"$D/b.err"; brc=$?
ok $brc "B, joined after the failover, exits 0"
if [ $brc != 0 ]; then # A would wait for B's semaphore forever
    hp=$("$CTL" --nsd "$CLUSTER" ps --sandbox sysv-fo | awk '$2 == 1 { print $8 }')
    [ -n "$hp" ] && kill -9 "$hp"
fi
[ "$(cat "$D/b.out")" = "b read: m1 m2 m3" ]; ok $? "B reads A's three messages ($(cat "$D/b.out"))"
held=0
for i in 1 2 3; do [ "$i" != "$old" ] && held=$((held + $(memfds "$i"))); done
[ "$held" = 1 ]; ok $? "one node took the memory again from A's picoprocess"
[ $brc = 0 ] && echo go > "$D/s/go"
wait $apid; rc=$?
ok $rc "A exits 0"
[ "$(cat "$D/a.out")" = "a got: from b" ]; ok $? "A reads B's message ($(cat "$D/a.out"))"
[ $rc = 0 ] || sed 's/^/# /' "$D/a.err" "$D/b.err" | head -10
done_testing
