#!/usr/bin/env bash
# System V objects belong to their sandbox (issue 7): while sandbox A runs
# with a queue, a semaphore set and a segment under key 0x7e57 (made by a
# child that has exited since, with a message left in the queue),
# `graphenectl ns show sysv` lists them; a second sandbox, started in an
# IPC namespace where the host has a queue under 0x7e58, sees neither key
# and ipcs lists nothing; the host does not see A's key; a limit A sets
# (msgmax) is neither B's nor the host's; and the message is still there
# for A's pid 1. The app and the test hand over through
# fifos in the scratch mount: no sleeps.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test sysv
CTL=bin/graphenectl
echo "1..11"
n=0
check() { # check NAME EXPECTED ACTUAL
    n=$((n + 1))
    if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# expected: $2"; echo "# got: $3"; fi
}
if [ "$(id -u)" != 0 ] || ! unshare --ipc true 2>/dev/null; then
    for i in $(seq 11); do echo "ok $i # SKIP needs root for a host IPC namespace"; done
    exit 0
fi
NSD_PID=
trap '[ -z "$NSD_PID" ] || kill "$NSD_PID"; cat "$T"/*.err >&2; rm -rf "$T"' EXIT
chmod 711 "$T"
bin/nsd --socket "$T/nsd.sock" --journal "$T/nsd.db" 2>"$T/nsd.log" &
NSD_PID=$!
for _ in $(seq 100); do
    $CTL --nsd "$T/nsd.sock" nsd status >/dev/null 2>&1 && break
    sleep 0.05
done
host_msgmax=$(cat /proc/sys/kernel/msgmax)
mkdir "$T/s"
mkfifo "$T/s/ready" "$T/s/go"
cat > "$T/s/a.sh" <<'SH'
perl -e 'use IPC::SysV qw(IPC_CREAT); my $q = msgget(0x7e57, IPC_CREAT | 0600) // die "msgget: $!";
    semget(0x7e57, 2, IPC_CREAT | 0640) // die "semget: $!"; shmget(0x7e57, 8192, IPC_CREAT | 0600) // die;
    msgsnd($q, pack("l! a*", 1, "left"), 0) or die "msgsnd: $!"' || exit 1
echo 123 > /proc/sys/kernel/msgmax
echo ready > /tmp/ready
read x < /tmp/go
perl -e 'use IPC::SysV qw(IPC_NOWAIT); my $q = msgget(0x7e57, 0); my $m;
    msgrcv($q, $m, 64, 0, IPC_NOWAIT) or die "msgrcv: $!"; print "a reads: ", substr($m, 8), "\n"'
SH
cat > "$T/s/b.sh" <<'SH'
ipcs -q -s -m | grep -c 0x00007e5
perl -e 'for my $k (0x7e57, 0x7e58) { printf "b: key %x %s\n", $k, defined(msgget($k, 0)) ? "seen" : "unknown" }'
cat /proc/sys/kernel/msgmax
SH
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$T/s" > "$T/m.toml"
$G run --nsd "$T/nsd.sock" --sandbox sysv-a "$T/m.toml" -- /tmp/a.sh > "$T/a.out" 2>"$T/a.err" &
apid=$!
read -r x < "$T/s/ready"
show=$($CTL --nsd "$T/nsd.sock" ns show sysv --sandbox sysv-a)
echo "$show" | sed 's/^/# /'
row() { awk -v k="$1" '$2 == k && $3 == "0x00007e57" { print $4, $7, $10 }' <<<"$show"; }
check "ns show sysv: the queue (id, mode, size)" "0 0600 0" "$(row msg)"
check "ns show sysv: the semaphore set, its 2 semaphores" "0 0640 2" "$(row sem)"
check "ns show sysv: the segment, its 8192 bytes" "0 0600 8192" "$(row shm)"
# The host's own key lives in a new IPC namespace, so nothing on the machine is touched.
b=$(unshare --ipc perl -e 'use IPC::SysV qw(IPC_CREAT); msgget(0x7e58, IPC_CREAT | 0600) // die; exec @ARGV' \
    $G run --nsd "$T/nsd.sock" --sandbox sysv-b "$T/m.toml" -- /tmp/b.sh 2>"$T/b.err")
check "sandbox B: ipcs lists none of A's objects nor the host's" "0" "$(head -1 <<<"$b")"
check "sandbox B: A's key is unknown" "b: key 7e57 unknown" "$(sed -n 2p <<<"$b")"
check "sandbox B: the host's key is unknown" "b: key 7e58 unknown" "$(sed -n 3p <<<"$b")"
check "sandbox B has its own limits, not the msgmax A set" "8192" "$(sed -n 4p <<<"$b")"
check "the host's msgmax is not the one A set" "$host_msgmax" "$(cat /proc/sys/kernel/msgmax)"
check "the host does not see A's key" "unknown" \
    "$(perl -e 'print defined(msgget(0x7e57, 0)) ? "seen" : "unknown"')"
echo go > "$T/s/go"
wait $apid
check "A reads the message its exited child left" "a reads: left" "$(cat "$T/a.out")"
# nsd ends the sandbox once it sees its launcher gone: look until it has.
for _ in $(seq 100); do
    left=$($CTL --nsd "$T/nsd.sock" ns show sysv --sandbox sysv-a | grep 0x00007e57)
    [ -z "$left" ] && break
    sleep 0.05
done
check "A's objects are gone with it" "" "$left"
