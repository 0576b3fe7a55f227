#!/bin/bash
# A network partition: three nsd nodes, each in a network namespace of its
# own joined by a bridge (root only). The leader's link is cut under load:
# it steps down (no quorum), the other two elect a leader, clients go on;
# once the link is back it rejoins as a follower and every journal holds
# every acknowledged operation once.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "1..0 # SKIP needs root and ip netns"
    exit 0
fi
NS=gnsd$$
netns_cleanup() {
    cleanup
    for n in 1 2 3 br; do ip netns del "$NS$n" 2>/dev/null; done
}
trap netns_cleanup EXIT
ip netns add "${NS}br" && ip -n "${NS}br" link add br0 type bridge && ip -n "${NS}br" link set br0 up
ok $? "a bridge in namespace ${NS}br"
PEERS=
for i in 1 2 3; do
    ip netns add "$NS$i" &&
    ip -n "$NS$i" link add v$i type veth peer name b$i netns "${NS}br" &&
    ip -n "${NS}br" link set b$i master br0 up &&
    ip -n "$NS$i" addr add 10.231.0.$i/24 dev v$i &&
    ip -n "$NS$i" link set v$i up && ip -n "$NS$i" link set lo up || break
    PEERS+="${PEERS:+,}$i=10.231.0.$i:7001"
done
ok $? "three hosts: namespaces ${NS}1..3 on the bridge"
for i in 1 2 3; do  # (unix sockets are paths: reachable from here)
    ip netns exec "$NS$i" "$NSD" --node "$i" --peers "$PEERS" --cluster-key "$KEY" --socket "$D/n$i.sock" --journal "$D/n$i.db" \
        --snapshot-every 1000000 2>>"$D/n$i.log" &
    PIDS+=($!); eval "PID_$i=$!"; disown $!
done
L=$(wait_leader_node); ok $? "node $L leads"
secret=$("$CTL" --nsd "$CLUSTER" sandbox create pt)
LOGS=()
start_loads pt "$secret" 3
progress 300; ok $? "clients busy with node $L leading"
t0=$(now_ms)
ip -n "$NS$L" link set v$L down
N=$(wait_leader_node "$L"); ok $? "node $N leads the majority side"
logs=(); for i in 1 2 3; do [ $i != "$L" ] && logs+=("$D/n$i.log"); done
echo "# partition: node $N serves $(($(takeover_ms "$t0" "${logs[@]}") - t0)) ms after the leader's link went down"
for _ in $(seq 100); do grep -q "stepping down" "$D/n$L.log" && break; sleep 0.1; done
grep -q "stepping down" "$D/n$L.log"; ok $? "the cut-off leader stepped down: $(grep "stepping down" "$D/n$L.log" | tail -1 | cut -d' ' -f3-)"
progress 300; ok $? "clients go on with node $N"
ip -n "$NS$L" link set v$L up
progress 300; ok $? "clients still busy once the link is back"

# A leader paused, cut off, and resumed still cut off: raft has heard from a
# quorum before the pause, so it takes itself for leader for up to another
# election timeout. A read sent to it meanwhile, of a key the new leader
# created, must not be answered from its journal (read index: it waits for
# a barrier it cannot commit, then says it is not leader any more).
L=$(wait_leader_node); P=$(eval echo "\$PID_$L"); downs=$(grep -c "stepping down" "$D/n$L.log")
kill -STOP "$P"; ip -n "$NS$L" link set v$L down
N=$(wait_leader_node "$L"); ok $? "node $L paused and cut off: node $N leads"
key=$((0x5e1a0))
mark=$("$TC" "$CLUSTER" mark pt "$secret" $key); ok $? "node $N created queue $mark (key $key)"
"$TC" "$D/n$L.sock" lookup pt "$secret" $key > "$D/stale.out" 2>&1 &
reader=$!
for _ in $(seq 100); do  # until the read waits in node $L's accept queue
    q=$(ss -xlH src "$D/n$L.sock" 2>/dev/null | awk '{print $3}')
    [ "${q:-0}" -gt 0 ] && break; sleep 0.02
done
kill -CONT "$P"
for _ in $(seq 100); do [ "$(grep -c "stepping down" "$D/n$L.log")" -gt "$downs" ] && break; sleep 0.1; done
ip -n "$NS$L" link set v$L up   # (the read is redirected once node $L hears of node $N)
wait $reader; [ "$(cat "$D/stale.out")" = "$mark" ]
ok $? "a lookup sent to the resumed cut-off leader is answered current: $(cat "$D/stale.out")"
progress 100; ok $? "clients go on"
stop_loads; ok $? "the clients ran through the partition by themselves ($(acked "${LOGS[@]}") acknowledged)"
wait_converged 1 2 3; ok $? "node $L rejoined: the three journals applied the same index ($(applied 1))"
check_history pt 1 2 3
same_state 1 2 && same_state 1 3; ok $? "the three journals are the same"
terms=$(cat "$D"/n?.log | awk '/leader: term/ {print $5}' | sort | uniq -d)
[ -z "$terms" ]; ok $? "no term with two leaders serving"
done_testing
