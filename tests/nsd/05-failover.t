#!/bin/bash
# A raft group of three nsd nodes under load from several clients: kill -9
# of the leader (then restarted with its journal), SIGSTOP of the leader for
# 2 s and for 20 s, with writes in flight.
# A new leader serves while the old one is gone or stopped, the clients go
# on by themselves, and afterwards every journal holds every acknowledged
# operation exactly once, and the three journals are the same.
# Takeover times are printed, not judged (generous bounds only).
. "$(dirname "$0")/lib.sh"
OPTS=(--snapshot-every 1000000)   # keep the whole oplog for the history check
for i in 1 2 3; do start_node $i "${OPTS[@]}"; done
L=$(wait_leader_node); ok $? "a leader is elected: node $L"
secret=$("$CTL" --nsd "$CLUSTER" sandbox create fo); ok $? "sandbox created through any node (redirected to the leader)"
LOGS=()
# Clients that run until told to stop (SIGTERM: after the op in flight).
start_loads fo "$secret" 4

takeovers=()
# takeover T0 OLD WHAT: a node other than OLD serves; prints and records the time
takeover() {
    local t0=$1 old=$2 new t1 logs=() i
    new=$(wait_leader_node "$old"); ok $? "$3: node $new leads while node $old is out"
    for i in 1 2 3; do [ "$i" != "$old" ] && logs+=("$D/n$i.log"); done
    t1=$(takeover_ms "$t0" "${logs[@]}")
    echo "# $3: node $new serves $((t1 - t0)) ms after the fault"
    takeovers+=("$3=$((t1 - t0))")
    NEW=$new
}

# kill -9, then a restart with its journal.
progress 800; ok $? "clients busy with node $L leading ($(acked "${LOGS[@]}") acknowledged)"
t0=$(now_ms); kill -9 "$(eval echo "\$PID_$L")"
takeover "$t0" "$L" "kill -9"
progress 300; ok $? "clients go on with node $NEW"
start_node "$L" "${OPTS[@]}"
echo "# node $L restarted with its journal: $(grep -c . "$D/n$L.log") log lines"

# stop_round SECONDS: SIGSTOP of the leader under load, then SIGCONT.
stop_round() {
    local L P t0 n
    L=$(wait_leader_node); progress 100
    P=$(eval echo "\$PID_$L"); n=$(grep -c "stepping down" "$D/n$L.log")
    t0=$(now_ms); kill -STOP "$P"
    takeover "$t0" "$L" "SIGSTOP ${1}s"
    progress 200; ok $? "clients go on while node $L is stopped"
    # A read sent to the stopped leader, of a SysV key the new one created:
    # on resuming it must not answer from its stale journal.
    local mark q key=$((0x5e1a0 + $1))
    mark=$("$TC" "$CLUSTER" mark fo "$secret" $key); ok $? "node $NEW created queue $mark (key $key)"
    "$TC" "$D/n$L.sock" lookup fo "$secret" $key > "$D/stale.out" 2>&1 &
    local reader=$!
    for _ in $(seq 100); do  # until the read waits in node $L's accept queue
        q=$(ss -xlH src "$D/n$L.sock" 2>/dev/null | awk '{print $3}')
        [ "${q:-0}" -gt 0 ] && break; sleep 0.02
    done
    while [ $(($(now_ms) - t0)) -lt $(($1 * 1000)) ]; do sleep 0.1; done
    kill -CONT "$P"
    wait $reader; [ "$(cat "$D/stale.out")" = "$mark" ]
    ok $? "a lookup of key $key sent to the stopped leader is answered current: $(cat "$D/stale.out")"
    for _ in $(seq 100); do [ "$(grep -c "stepping down" "$D/n$L.log")" -gt "$n" ] && break; sleep 0.1; done
    [ "$(grep -c "stepping down" "$D/n$L.log")" -gt "$n" ]
    ok $? "resumed node $L stepped down: $(grep "stepping down" "$D/n$L.log" | tail -1 | cut -d' ' -f3-)"
    progress 100; ok $? "clients still busy after node $L resumed"
}
stop_round 2
stop_round 20
stop_loads; rc=$?
ok $rc "the ${#LOADS[@]} clients ran through every fault by themselves ($(acked "${LOGS[@]}") acknowledged)"
[ $rc = 0 ] || tail -n 3 "$D"/load?.out | sed 's/^/# /'

wait_converged 1 2 3; ok $? "the three journals applied the same index ($(applied 1))"
check_history fo 1 2 3
same_state 1 2 && same_state 1 3; ok $? "the three journals hold the same namespace and oplog"
dups=$(sqlite3 "$D/n1.db" "SELECT count(*) FROM (SELECT 1 FROM oplog WHERE seq IS NOT NULL GROUP BY sandbox, client, seq HAVING count(*) > 1)")
[ "$dups" = 0 ]; ok $? "no request id journaled twice"
terms=$(cat "$D"/n?.log | awk '/leader: term/ {print $5}' | sort | uniq -d)
[ -z "$terms" ]; ok $? "no term with two leaders serving"
echo "# takeover times (ms): ${takeovers[*]}"
echo "# the clients' longest waits for an answer (ms): $(awk '/max_gap_ms/ {printf "%s ", $2}' "$D"/load?.out)"
DB=$D/n1.db check_replay
done_testing
