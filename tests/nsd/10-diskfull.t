#!/bin/bash
# A full disk (root: a small tmpfs). A single nsd answers ENOSPC to the
# writes it cannot commit, keeps serving reads, and writes again once space
# returns. A raft node whose disk is full restarts its raft in-process
# every second (its journal consistent) while the other two go on; once
# space returns the same process catches up by itself.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (mounts a tmpfs)"; exit 0; fi
FULL=$D/full
mkdir "$FULL" && mount -t tmpfs -o size=64m tmpfs "$FULL"; ok $? "a 64 MB tmpfs"
umount_full() { cleanup_rc=0; for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; sleep 0.2; umount -l "$FULL"; cleanup; }
trap umount_full EXIT
fill() { dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null; sync; }

# A single node.
"$NSD" --socket "$D/one.sock" --journal "$FULL/one.db" --node one 2>>"$D/one.log" &
PIDS+=($!); disown $!
for _ in $(seq 100); do "$CTL" --nsd "$D/one.sock" nsd status >/dev/null 2>&1 && break; sleep 0.05; done
secret=$("$CTL" --nsd "$D/one.sock" sandbox create df1); ok $? "single node: a sandbox"
"$TC" "$D/one.sock" load df1 "$secret" 50 "$D/one-load1" > /dev/null 2>&1; ok $? "50 operations"
fill
"$TC" "$D/one.sock" load df1 "$secret" 5000 "$D/one-load2" > "$D/one-load2.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "No space left on device" "$D/one-load2.out"; ok $? "disk full: a write is refused: $(tail -1 "$D/one-load2.out")"
"$CTL" --nsd "$D/one.sock" sandbox ls | grep -q "^df1 "; ok $? "reads are still served"
rm -f "$FULL/filler"
"$TC" "$D/one.sock" load df1 "$secret" 50 "$D/one-load3" > /dev/null 2>&1; ok $? "space back: writes again"
DB=$FULL/one.db verify_acks "$D/one-load3" df1; ok $? "its operations are journaled once"

# A raft follower with the full disk.
JOURNAL_3=$FULL/n3.db
for i in 1 2; do start_node $i --snapshot-every 1000000; done
"$NSD" --node 3 --peers "$PEERS" --cluster-key "$KEY" --socket "$D/n3.sock" --journal "$FULL/n3.db" \
    --snapshot-every 1000000 2>>"$D/n3.log" &
PIDS+=($!); PID_3=$!; disown $!
L=$(wait_leader_node); ok $? "a raft group with node 3 on the small disk; node $L leads"
secret=$("$CTL" --nsd "$CLUSTER" sandbox create df3)
"$TC" "$CLUSTER" load df3 "$secret" 100 "$D/load1" > /dev/null 2>&1; ok $? "100 operations"
wait_converged 1 2 3; ok $? "node 3 applied them (index $(applied 3))"
fill
before=$(applied 3)
"$TC" "$CLUSTER" load df3 "$secret" 2000 "$D/load2" > "$D/load2.out" 2>&1; ok $? "2000 operations while node 3's disk is full"
for _ in $(seq 300); do grep -q "restarting raft on this node" "$D/n3.log" && break; sleep 0.1; done
grep -q "restarting raft on this node" "$D/n3.log"
ok $? "node 3 cannot write: $(grep -m1 "restarting raft on this node" "$D/n3.log" | cut -d' ' -f3-)"
kill -0 "$PID_3"; ok $? "node 3 runs on"
"$CTL" --nsd "$D/n3.sock" nsd status > "$D/st3.out" 2>&1; ok $? "and answers its status: $(grep -c . "$D/st3.out") lines"
rm -f "$FULL/filler"
"$TC" "$CLUSTER" load df3 "$secret" 20 "$D/load3" > /dev/null 2>&1
wait_converged 1 2 3; ok $? "space back: node 3 caught up by itself (applied $before -> $(applied 3))"
kill -0 "$PID_3" && [ "$(grep -c "started, journal" "$D/n3.log")" = 1 ]; ok $? "the same node 3 process throughout (started once)"
for c in 1 2 3; do DB=$FULL/n3.db verify_acks "$D/load$c" df3 || bad=1; done
ok ${bad:-0} "node 3 holds every acknowledged operation once"
same_state "$(wait_leader_node)" 3; ok $? "and the leader's namespace and oplog"
done_testing
