#!/usr/bin/env bash
# A launch joined to a running sandbox (`graphene run --sandbox NAME` of an
# existing one) shares its System V objects (issue 7): nsd keeps the
# sandbox's SysV memory from its pid 1 and hands it to the joiner. Launch A
# makes a queue with three messages and a semaphore, then waits on the
# semaphore for B; B, joined, sees A's objects, answers with a message and
# the semaphore; A reads B's message and exits; then B, the sandbox's last
# launch, still reads all three of A's messages. Handshakes go through
# fifos in the scratch mount: no sleeps.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test sysv-join
echo "1..8"
sandbox_nsd
mkdir "$T/s"
mkfifo "$T/s/ready" "$T/s/go"
chmod 777 "$T/s"
chmod 666 "$T/s/ready" "$T/s/go"
cat > "$T/s/a.pl" <<'PL'
use IPC::SysV qw(IPC_CREAT);
my $q = msgget(0x7e60, IPC_CREAT | 0666) // die "a: msgget: $!";
my $s = semget(0x7e60, 1, IPC_CREAT | 0666) // die "a: semget: $!";
msgsnd($q, pack("l! a*", 1, "m$_"), 0) or die "a: msgsnd: $!" for 1 .. 3;
open(my $r, ">", "/tmp/ready") or die; print $r "ready\n"; close $r;
semop($s, pack("s!3", 0, -1, 0)) or die "a: semop: $!";
my $m;
msgrcv($q, $m, 64, 2, 0) or die "a: msgrcv: $!";
print "a got: ", substr($m, length(pack("l!", 0))), "\n";
PL
cat > "$T/s/b.pl" <<'PL'
use IPC::SysV qw(IPC_NOWAIT GETVAL);
my $q = msgget(0x7e60, 0) // die "b: msgget: $!";
my $s = semget(0x7e60, 0, 0) // die "b: semget: $!";
print "b sees A's objects\n";
msgsnd($q, pack("l! a*", 2, "from b"), 0) or die "b: msgsnd: $!";
semop($s, pack("s!3", 0, 1, 0)) or die "b: semop: $!";
open(my $g, "<", "/tmp/go") or die; <$g>; close $g;
my @got;
for (1 .. 3) {
    my $m;
    msgrcv($q, $m, 64, 1, IPC_NOWAIT) or die "b: msgrcv: $!";
    push @got, substr($m, length(pack("l!", 0)));
}
print "b read: @got\n";
print "b: semaphore ", 0 + semctl($s, 0, GETVAL, 0), "\n";
PL
sandbox_manifest /usr/bin/perl "/tmp=$T/s" > "$T/m.toml"
$G run --nsd "$T/nsd.sock" --sandbox sysv-j "$T/m.toml" -- /tmp/a.pl > "$T/a.out" 2>"$T/a.err" &
apid=$!
read -r x < "$T/s/ready"
$G run --nsd "$T/nsd.sock" --sandbox sysv-j "$T/m.toml" -- /tmp/b.pl > "$T/b.out" 2>"$T/b.err" &
bpid=$!
memfds() { ls -l /proc/$NSD_PID/fd 2>/dev/null | grep -c 'memfd:graphene-sysv'; }
check "nsd keeps the sandbox's SysV memory" "1" "$(memfds)"
wait $apid
check "A exits 0" "0" "$?"
check "A reads the message of the joined launch B" "a got: from b" "$(cat "$T/a.out")"
echo go > "$T/s/go"
wait $bpid
check "B exits 0" "0" "$?"
check "B, joined, sees A's objects" "b sees A's objects" "$(sed -n 1p "$T/b.out")"
check "B reads every message A left after A's launch exited" "b read: m1 m2 m3" "$(sed -n 2p "$T/b.out")"
check "B sees the semaphore A took" "b: semaphore 0" "$(sed -n 3p "$T/b.out")"
# nsd closes it when the sandbox ends (once it sees the last launch gone)
for _ in $(seq 100); do
    $CTL --nsd "$T/nsd.sock" sandbox ls | grep -q '^sysv-j ' || break
    sleep 0.05
done
check "nsd lets the memory go with the sandbox" "0" "$(memfds)"
