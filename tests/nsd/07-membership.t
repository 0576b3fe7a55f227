#!/bin/bash
# A raft group changes: snapshots truncate the raft log and the oplog, a node
# added with `graphenectl nsd add-node` catches up from a snapshot, a node
# removed with `nsd remove-node` no longer counts; `nsd status` shows it all.
. "$(dirname "$0")/lib.sh"
OPTS=(--snapshot-every 40)
for i in 1 2 3; do start_node $i "${OPTS[@]}"; done
L=$(wait_leader_node); ok $? "a leader is elected: node $L"
secret=$("$CTL" --nsd "$CLUSTER" sandbox create mb)
"$TC" "$CLUSTER" load mb "$secret" 400 "$D/load1" > "$D/load1.out" 2>&1; ok $? "400 operations"
grep -q "raft: snapshot at" "$D/n$L.log"; ok $? "the leader took snapshots: $(grep -c "raft: snapshot at" "$D/n$L.log")"
n=$(sqlite3 "$D/n$L.db" "SELECT count(*) FROM oplog")
[ "$n" -lt 300 ]; ok $? "its oplog is trimmed ($n rows of 401 requests, the last $(grep -o 'OPLOG_KEEP_PER_CLIENT [0-9]*' "$ROOT/nsd/state.h" | cut -d' ' -f2) per client kept)"
last=$(tail -1 "$D/load1" | cut -d' ' -f1)
[ "$(sqlite3 "$D/n$L.db" "SELECT count(*) FROM oplog WHERE seq = $last")" = 1 ]; ok $? "the last request is still there for a retry"

# add-node: node 4 starts empty (--join) and is added as a voter.
"$NSD" --node 4 --peers "4=$(raft_addr 4)" --join --cluster-key "$KEY" --socket "$D/n4.sock" --journal "$D/n4.db" "${OPTS[@]}" 2>>"$D/n4.log" &
PIDS+=($!); PID_4=$!; disown $!
"$CTL" --nsd "$CLUSTER" nsd add-node 4 "$(raft_addr 4)"; ok $? "nsd add-node 4"
"$TC" "$CLUSTER,$D/n4.sock" load mb "$secret" 100 "$D/load2" > "$D/load2.out" 2>&1; ok $? "100 more operations"
wait_converged 1 2 3 4; ok $? "node 4 caught up (applied $(applied 4))"
grep -q "journal restored from a snapshot" "$D/n4.log"; ok $? "from a snapshot: $(grep "restored" "$D/n4.log" | cut -d' ' -f3-)"
same_state "$L" 4 "sandboxes procs ranges sysv leader"; ok $? "node 4 holds the leader's namespace"
st=$("$CTL" --nsd "$D/n$L.sock" --json nsd status)
echo "$st" | sed 's/^/# /'
[ "$(echo "$st" | grep -c '"role": "\(leader\|follower\)"')" = 4 ]; ok $? "nsd status: 4 nodes, a leader and 3 followers"
echo "$st" | python3 -c '
import json, sys
d = json.load(sys.stdin)
me = [n for n in d["nodes"] if n["self"] == "yes"][0]
assert me["role"] == "leader" and me["term"] > 0 and me["commit"] >= me["applied"] > 0
assert all(n["lag"] == 0 for n in d["nodes"]), d' 2>&1; ok $? "nsd status --json: term, commit and applied index, every lag 0 once caught up"

# remove-node: a follower leaves; the other three keep a quorum without it.
F=1; [ "$L" = 1 ] && F=2
"$CTL" --nsd "$CLUSTER" nsd remove-node $F; ok $? "nsd remove-node $F"
"$CTL" --nsd "$D/n$L.sock" nsd status | sed 's/^/# /'
! "$CTL" --nsd "$D/n$L.sock" --json nsd status | grep -q "\"node\": \"$F\""; ok $? "node $F is no longer listed"
"$CTL" --nsd "$CLUSTER" nsd remove-node 9 2>"$D/rm.err"; [ $? = 1 ]; ok $? "remove-node of an unknown node fails: $(cat "$D/rm.err")"
kill -9 "$(eval echo "\$PID_$F")"
t0=$(now_ms); kill -9 "$(eval echo "\$PID_$L")"
N=$(wait_leader_node "$L"); ok $? "after kill -9 of leader $L, node $N leads ($(($(takeover_ms "$t0" "$D"/n[1-4].log) - t0)) ms)"
"$TC" "$D/n4.sock,$CLUSTER" load mb "$secret" 50 "$D/load3" > "$D/load3.out" 2>&1; ok $? "and serves the clients"
# SIGTERM of the leader hands over at once (no election timeout to wait out).
start_node "$L" "${OPTS[@]}"   # the killed one is back: two voters remain after the SIGTERM
wait_converged "$N" "$L"
t0=$(now_ms); kill -TERM "$(eval echo "\$PID_$N")"
M=$(wait_leader_node "$N"); ok $? "SIGTERM of leader $N: node $M leads ($(($(takeover_ms "$t0" "$D"/n[1-4].log) - t0)) ms)"
grep -q "handing over leadership before exiting" "$D/n$N.log"; ok $? "node $N handed its leadership over"
for _ in $(seq 50); do kill -0 "$(eval echo "\$PID_$N")" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$(eval echo "\$PID_$N")" 2>/dev/null; ok $? "and exited"
done_testing
