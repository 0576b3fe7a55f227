#!/bin/bash
# nsd benchmark (run by `make bench`): throughput and latency of register,
# lease and lookup on one node and on a raft group of three; takeover time
# after kill -9 and after SIGSTOP of the raft leader (medians of 5). Figures only: nothing here passes or fails on time.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NSD=$ROOT/bin/nsd
CTL=$ROOT/bin/graphenectl
BENCH=$ROOT/build/tests/bench/nsd_bench
TC=$ROOT/build/tests/nsd/nsd_testclient
D=$(mktemp -d /tmp/nsd-bench.XXXXXX)
SOCK=$D/nsd.sock
DB=$D/nsd.db
ELECTION_MS=$(awk '/define RAFT_ELECTION_MS/ {print $3}' "$ROOT/nsd/replica.h")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$D"
}
trap cleanup EXIT
start_nsd() {   # NAME [options]
    local name=$1; shift
    "$NSD" --socket "$SOCK" --journal "$DB" --node "$name" "$@" 2>>"$D/$name.log" &
    PIDS+=($!)
    disown $!
    eval "PID_$name=$!"
}
wait_leader() {
    for _ in $(seq 100); do "$CTL" --nsd "$SOCK" nsd status >/dev/null 2>&1 && return 0; sleep 0.05; done
    return 1
}
now_ms() { date +%s%3N; }

echo "== nsd: operations, 1 node (journal synchronous=FULL on $(df --output=fstype "$D" | tail -1); mutations group-committed)"
start_nsd n0
wait_leader || { echo "nsd did not start"; exit 1; }
"$BENCH" "$SOCK" 1000 1 8 || exit 1

PEERS="1=127.0.0.1:$((RAFT_BASE + 1)),2=127.0.0.1:$((RAFT_BASE + 2)),3=127.0.0.1:$((RAFT_BASE + 3))"
CLUSTER=$D/n1.sock,$D/n2.sock,$D/n3.sock
start_node() {  # I [options]: node I of a raft group of three
    local i=$1; shift
    "$NSD" --node "$i" --peers "$PEERS" --cluster-key "$KEY" --socket "$D/n$i.sock" --journal "$D/n$i.db" "$@" 2>>"$D/n$i.log" &
    PIDS+=($!)
    disown $!
    eval "PID_$i=$!"
}
# The node that leads and serves, by its own status.
leader_node() {
    local i
    for i in 1 2 3; do
        "$CTL" --nsd "$D/n$i.sock" --json nsd status 2>/dev/null |
            grep -q "\"role\": \"leader\", \"node\": \"$i\", [^}]*\"self\": \"yes\"" && { echo "$i"; return 0; }
    done
    return 1
}
wait_leader_node() {  # [EXCEPT]
    local l
    for _ in $(seq 300); do l=$(leader_node); [ -n "$l" ] && [ "$l" != "$1" ] && { echo "$l"; return 0; }; sleep 0.05; done
    return 1
}
RAFT_BASE=$((20000 + ($$ % 4000) * 10))
KEY=$D/cluster.key
head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$KEY"
kill -9 "$PID_n0"

echo "== nsd: operations, a raft group of 3 nodes on this host (journals synchronous=NORMAL, raft log fsynced)"
for i in 1 2 3; do start_node $i; done
L=$(wait_leader_node) || { echo "no raft leader"; exit 1; }
"$BENCH" "$D/n$L.sock" 1000 1 8 || exit 1

# failover FAULT: 5 rounds under load; from the fault to the new leader's "leader: term" line
failover() {
    local fault=$1 times=() i t0 t1 L N
    for i in 1 2 3 4 5; do
        L=$(wait_leader_node) || { echo "no raft leader"; return 1; }
        "$TC" "$CLUSTER" load fo "$secret" 100000 "$D/load" 2 > "$D/load.out" 2>&1 &
        load=$!
        sleep 0.5
        t0=$(now_ms)
        if [ "$fault" = kill ]; then eval kill -9 "\$PID_$L"; else eval kill -STOP "\$PID_$L"; fi
        N=$(wait_leader_node "$L")
        t1=$(cat "$D"/n?.log | awk -v t="$t0" '/leader: term/ && $1 >= t {print $1}' | sort -n | head -1)
        kill "$load" 2>/dev/null; wait "$load" 2>/dev/null
        times+=($((${t1:-99999} - t0)))
        echo "$fault $i: node $N serves $((${t1:-99999} - t0)) ms after the fault to node $L"
        if [ "$fault" = kill ]; then start_node "$L"; else eval kill -CONT "\$PID_$L"; fi
    done
    sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    echo "failover after $fault: median ${sorted[2]} ms (min ${sorted[0]}, max ${sorted[4]}; raft election timeout ${ELECTION_MS} ms, randomized to [${ELECTION_MS}, $((2 * ELECTION_MS))))"
}
echo "== nsd: failover of the raft leader under load (5 times each)"
secret=$("$CTL" --nsd "$CLUSTER" sandbox create fo)
failover kill
failover stop
