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

# (below the kernel's ephemeral ports, 32768 and up: a node's port taken
# by some outgoing connection failed its start, and a test hung)
RAFT_BASE=$((20000 + ($$ % 1200) * 10))
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
KEY=$D/cluster.key
head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$KEY"
kill -9 "$PID_n0"

echo "== nsd: operations, a raft group of 3 nodes on this host (journals synchronous=NORMAL, raft log fsynced)"
for i in 1 2 3; do start_node $i; done
L=$(wait_leader_node) || { echo "no raft leader"; exit 1; }
"$BENCH" "$D/n$L.sock" 1000 1 8 || exit 1

# failover FAULT: 5 rounds under load; from the fault to the new leader's
# "leader: term" line, and the load client's longest wait for an answer
# (the takeover as a client sees it: its I/O timeout, the redirects).
failover() {
    local fault=$1 times=() gaps=() i t0 t1 L N gap
    for i in 1 2 3 4 5; do
        L=$(wait_leader_node) || { echo "no raft leader"; return 1; }
        # (a sandbox each: one holds at most 32768 SysV ids)
        secret=$("$CTL" --nsd "$CLUSTER" sandbox create "fo-$fault$i")
        "$TC" "$CLUSTER" load "fo-$fault$i" "$secret" 100000 "$D/load" 2 > "$D/load.out" 2>&1 &
        load=$!
        sleep 0.5
        t0=$(now_ms)
        if [ "$fault" = kill ]; then eval kill -9 "\$PID_$L"; else eval kill -STOP "\$PID_$L"; fi
        N=$(wait_leader_node "$L")
        t1=$(cat "$D"/n?.log | awk -v t="$t0" '/leader: term/ && $1 >= t {print $1}' | sort -n | head -1)
        wait_acked "$D/load" 100   # (the client is served again)
        kill "$load" 2>/dev/null; wait "$load" 2>/dev/null
        gap=$(awk '/max_gap_ms/ {printf "%d", $2}' "$D/load.out")
        times+=($((${t1:-99999} - t0))); gaps+=(${gap:-99999})
        echo "$fault $i: node $N serves $((${t1:-99999} - t0)) ms after the fault to node $L; the client waited ${gap:-?} ms at most"
        if [ "$fault" = kill ]; then start_node "$L"; else eval kill -CONT "\$PID_$L"; fi
    done
    sorted=($(printf '%s\n' "${times[@]}" | sort -n)); g=($(printf '%s\n' "${gaps[@]}" | sort -n))
    echo "failover after $fault: median ${sorted[2]} ms (min ${sorted[0]}, max ${sorted[4]}); as the client saw it: median ${g[2]} ms (min ${g[0]}, max ${g[4]}) (raft election timeout ${ELECTION_MS} ms, randomized to [${ELECTION_MS}, $((2 * ELECTION_MS))))"
}
# wait_acked LOG N: the load client logged N more answers (10 s max)
wait_acked() {
    local n=$(($(wc -l < "$1") + $2))
    for _ in $(seq 200); do [ "$(wc -l < "$1")" -ge "$n" ] && return 0; sleep 0.05; done
}
# Elections without a fault: 4 clients for 30 s; every election but none is spurious.
spurious() {
    local before after i
    before=$(cat "$D"/n?.log | grep -c "elected in term")
    for i in 1 2 3 4; do   # (a sandbox each: one holds at most 32768 SysV ids)
        secret=$("$CTL" --nsd "$CLUSTER" sandbox create "sp$i")
        "$TC" "$CLUSTER" load "sp$i" "$secret" 1000000 "$D/sp$i" 0 > /dev/null 2>&1 & loads+=($!)
    done
    sleep 30
    kill "${loads[@]}" 2>/dev/null; wait "${loads[@]}" 2>/dev/null
    after=$(cat "$D"/n?.log | grep -c "elected in term")
    echo "elections without a fault: $((after - before)) in 30 s under 4 clients ($(cat "$D"/sp? | grep -vc '^pid') operations)"
}
echo "== nsd: failover of the raft leader under load (5 times each)"
failover kill
failover stop
spurious
