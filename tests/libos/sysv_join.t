#!/usr/bin/env bash
# Launches joined to a running sandbox (`graphene run --sandbox NAME` of an
# existing one) share its System V objects (issue 7): nsd keeps the
# sandbox's SysV memory from its pid 1 and hands it to each joiner. In a
# sandbox made by graphenectl, launch A (pid 1) makes a queue with three
# messages and a semaphore, then waits on the semaphore for B; B, joined,
# sees A's objects, answers with a message and the semaphore; A reads B's
# message. Once A's launch has exited (pid 1's exit ends every process of
# the sandbox, as a PID namespace's init), a third launch C still reads all
# three of A's messages from the memory nsd kept, which nsd lets go when
# the sandbox is removed. Handshakes go through fifos in the scratch
# mount: no sleeps.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test sysv-join
echo "1..10"
CTL=bin/graphenectl
NSD_PID=
trap '[ -z "$NSD_PID" ] || kill "$NSD_PID"; cat "$T"/*.err >&2; rm -rf "$T"' EXIT
private_nsd
mkdir "$T/s"
mkfifo "$T/s/ready" "$T/s/go"
chmod 777 "$T/s"
chmod 666 "$T/s/ready" "$T/s/go"
cp tests/libos/sysv_join/*.pl "$T/s/"
sandbox_manifest /usr/bin/perl "/tmp=$T/s" > "$T/m.toml"
memfds() { ls -l /proc/$NSD_PID/fd 2>/dev/null | grep -c 'memfd:graphene-sysv'; }
$CTL --nsd "$T/nsd.sock" sandbox create sysv-j >/dev/null
$G run --nsd "$T/nsd.sock" --sandbox sysv-j "$T/m.toml" -- /tmp/a.pl > "$T/a.out" 2>"$T/a.err" &
apid=$!
read -r x < "$T/s/ready"
check "nsd keeps the sandbox's SysV memory" "1" "$(memfds)"
$G run --nsd "$T/nsd.sock" --sandbox sysv-j "$T/m.toml" -- /tmp/b.pl > "$T/b.out" 2>"$T/b.err"
check "B, joined, exits 0" "0" "$?"
check "B sees A's objects" "b sees A's objects" "$(cat "$T/b.out")"
echo go > "$T/s/go"
wait $apid
check "A exits 0" "0" "$?"
check "A reads the message of the joined launch B" "a got: from b" "$(cat "$T/a.out")"
check "nsd still has the memory after the creating launch ended" "1" "$(memfds)"
$G run --nsd "$T/nsd.sock" --sandbox sysv-j "$T/m.toml" -- /tmp/c.pl > "$T/c.out" 2>"$T/c.err"
check "C, a later launch, exits 0" "0" "$?"
check "C reads every message A left" "c read: m1 m2 m3" "$(sed -n 1p "$T/c.out")"
check "C sees the semaphore A took" "c: semaphore 0" "$(sed -n 2p "$T/c.out")"
$CTL --nsd "$T/nsd.sock" sandbox rm sysv-j >/dev/null
check "nsd lets the memory go with the sandbox" "0" "$(memfds)"
