#!/bin/bash
# nsd benchmark (run by `make bench`): throughput and latency of register,
# lease and lookup; takeover time after kill -9 of the leader (median of
# several kills). Figures only: nothing here passes or fails on time.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NSD=$ROOT/bin/nsd
CTL=$ROOT/bin/graphenectl
BENCH=$ROOT/build/tests/bench/nsd_bench
TC=$ROOT/build/tests/nsd/nsd_testclient
D=$(mktemp -d /tmp/nsd-bench.XXXXXX)
SOCK=$D/nsd.sock
DB=$D/nsd.db
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

echo "== nsd: operations (journal synchronous=FULL on $(df --output=fstype "$D" | tail -1); mutations group-committed)"
start_nsd n0
wait_leader || { echo "nsd did not start"; exit 1; }
"$BENCH" "$SOCK" 1000 1 8 || exit 1

echo "== nsd: failover (leader + standby, kill -9 of the leader, 5 times)"
start_nsd s1 --standby
secret=$("$CTL" --nsd "$SOCK" sandbox create fo)
times=()
leader=n0
for i in 1 2 3 4 5; do
    "$TC" "$SOCK" load fo "$secret" 100000 "$D/load" 2 > "$D/load.out" 2>&1 &
    load=$!
    sleep 0.5
    t0=$(now_ms)
    eval kill -9 "\$PID_$leader"
    t1=""
    for _ in $(seq 150); do
        t1=$(cat "$D"/*.log | awk -v t="$t0" '/leader: term/ && $1 >= t {print $1}' | sort -n | head -1)
        [ -n "$t1" ] && break
        sleep 0.02
    done
    leader=$(sqlite3 "$DB" "SELECT holder FROM lease")
    sleep 0.3
    kill "$load" 2>/dev/null; wait "$load" 2>/dev/null
    times+=($((${t1:-99999} - t0)))
    echo "kill $i: $leader leads $((${t1:-99999} - t0)) ms after kill -9"
    start_nsd "s$((i + 1))" --standby
    sleep 0.2
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "failover: median ${sorted[2]} ms (min ${sorted[0]}, max ${sorted[4]}; lease ${LEASE_MS:-300} ms, poll 50 ms)"
