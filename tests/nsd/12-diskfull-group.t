#!/bin/bash
# Full disks in a raft group (root: a small tmpfs per node). The leader's
# disk fills under load from several clients: it steps down, a node with
# space takes over, the clients go on by themselves, and once space returns
# the same process catches up; no acknowledged operation is lost or
# doubled (the history check) and the three journals end the same. Then
# every node's disk fills: a write fails with ENOSPC (not ESTALE), reads
# of the status go on, and once space returns the group writes again.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (mounts a tmpfs)"; exit 0; fi
for i in 1 2 3; do
    mkdir "$D/full$i" && mount -t tmpfs -o size=64m tmpfs "$D/full$i" || { echo "1..0 # SKIP cannot mount a tmpfs"; exit 0; }
    eval "JOURNAL_$i=$D/full$i/n$i.db"
done
umount_full() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; sleep 0.2; for i in 1 2 3; do umount -l "$D/full$i"; done; cleanup; }
trap umount_full EXIT
fill() { dd if=/dev/zero of="$D/full$1/filler" bs=64k 2>/dev/null; sync; }
for i in 1 2 3; do start_node "$i" --journal "$(journal "$i")" --snapshot-every 1000000; done
L=$(wait_leader_node); ok $? "three nodes, each on its own small disk; node $L leads"
secret=$("$CTL" --nsd "$CLUSTER" sandbox create dfg); ok $? "a sandbox"
LOGS=() LOADS=()
start_loads dfg "$secret" 3
progress 300; ok $? "clients busy with node $L leading"

# The leader's disk fills.
t0=$(now_ms); fill "$L"
for _ in $(seq 300); do grep -q "restarting raft on this node" "$D/n$L.log" && break; sleep 0.1; done
grep -q "restarting raft on this node" "$D/n$L.log"
ok $? "node $L (leading) cannot write: $(grep -m1 "restarting raft on this node" "$D/n$L.log" | cut -d' ' -f3-)"
N=$(wait_leader_node "$L"); ok $? "node $N, with space, leads now"
logs=(); for i in 1 2 3; do [ "$i" != "$L" ] && logs+=("$D/n$i.log"); done
echo "# node $N serves $(( $(takeover_ms "$t0" "${logs[@]}") - t0 )) ms after node $L's disk filled"
progress 300; ok $? "clients go on with node $N"
"$CTL" --nsd "$D/n$L.sock" nsd status > "$D/st.out" 2>&1; ok $? "node $L answers its status"
rm -f "$D/full$L/filler"
progress 100; ok $? "space back on node $L: clients still busy"
stop_loads; ok $? "the clients ran through it by themselves ($(acked "${LOGS[@]}") acknowledged)"
wait_converged 1 2 3; ok $? "node $L caught up by itself (applied $(applied "$L"))"
[ "$(grep -c "started, journal" "$D/n$L.log")" = 1 ]; ok $? "the same node $L process throughout"
check_history dfg 1 2 3
# (the leader may still journal the stopped clients' ends meanwhile:
# compared again while an index moved during the comparison)
for _ in $(seq 20); do
    wait_converged 1 2 3; a=$(applied 1)
    same_state 1 2 > /dev/null && same_state 1 3 > /dev/null; same=$?
    [ $same = 0 ] || [ "$(applied 1)$(applied 2)$(applied 3)" = "$a$a$a" ] && break
done
ok $same "the three journals are the same"

# Every disk fills: the clients' write fails with ENOSPC (not ESTALE).
for i in 1 2 3; do fill "$i"; done
"$TC" "$CLUSTER" load dfg "$secret" 1000000 "$D/loadfull" > "$D/loadfull.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "No space left on device" "$D/loadfull.out"
ok $? "every disk full: a write fails with ENOSPC after $(acked "$D/loadfull") ($(tail -1 "$D/loadfull.out"))"
"$CTL" --nsd "$D/n1.sock" nsd status > "$D/st1.out" 2>&1; ok $? "node 1 answers its status ($(tail -1 "$D/st1.out"))"
for i in 1 2 3; do rm -f "$D/full$i/filler"; done
"$TC" "$CLUSTER" mark dfg "$secret" 1235 > "$D/mark2.out" 2>&1; ok $? "space back: the group writes again ($(tail -1 "$D/mark2.out"))"
done_testing
