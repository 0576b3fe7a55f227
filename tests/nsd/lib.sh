# Shared helpers of the nsd .t scripts: TAP output, a private directory,
# nsd daemons that are killed on exit.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NSD=$ROOT/bin/nsd
CTL=$ROOT/bin/graphenectl
TC=$ROOT/build/tests/nsd/nsd_testclient
D=$(mktemp -d /tmp/nsd-test.XXXXXX)
SOCK=$D/nsd.sock
DB=$D/nsd.db
NTESTS=0
NFAIL=0
PIDS=()

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.01; done; done
    # GRAPHENE_TEST_KEEP=DIR keeps a failed script's logs and outputs.
    if [ "$NFAIL" != 0 ] && [ -n "${GRAPHENE_TEST_KEEP:-}" ]; then
        mkdir -p "$GRAPHENE_TEST_KEEP" && cp "$D"/*.log "$D"/*.out "$GRAPHENE_TEST_KEEP"/ 2>/dev/null
    fi
    rm -rf "$D"
}
trap cleanup EXIT

ok() {  # ok CONDITION-EXIT-STATUS DESCRIPTION
    NTESTS=$((NTESTS + 1))
    if [ "$1" = 0 ]; then echo "ok $NTESTS - $2"; else echo "not ok $NTESTS - $2"; NFAIL=$((NFAIL + 1)); fi
}

# Runs a driver that prints "ok - ..." lines; renumbers them into ours.
tap_run() {
    local line out
    out=$("$@" 2>"$D/tap_run.err"); local rc=$?
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) ok 0 "${line#ok - }" ;;
        "not ok - "*) ok 1 "${line#not ok - }" ;;
        *) echo "# $line" ;;
        esac
    done <<< "$out"
    ok $rc "$(basename "$1") ${*:2:2} exits 0"
    [ $rc = 0 ] || sed 's/^/# /' "$D/tap_run.err"
}

done_testing() {
    echo "1..$NTESTS"
    [ $NFAIL = 0 ]
}

# start_nsd NAME [nsd options]: background nsd on $SOCK/$DB, log in $D/NAME.log
start_nsd() {
    local name=$1; shift
    "$NSD" --socket "$SOCK" --journal "$DB" --node "$name" "$@" 2>>"$D/$name.log" &
    PIDS+=($!)
    eval "PID_$name=$!"
    disown $!   # killing it is part of the tests: no job messages
}

# Waits until some leader answers on $SOCK (up to 5 s).
wait_leader() {
    for _ in $(seq 100); do
        "$CTL" --nsd "$SOCK" nsd status >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}

now_ms() { date +%s%3N; }

# The journal's oplog, replayed through apply() on an empty journal, gives
# the same replies and the same namespace tables.
check_replay() {
    local out
    out=$("$ROOT/build/tests/nsd/nsd_replay" "$DB" "$D/replay.db" 2>"$D/replay.err")
    ok $? "deterministic apply: $out"
    sed 's/^/# /' "$D/replay.err"
}

# Sum of acknowledged operations in the load clients' logs.
acked() { cat "$@" 2>/dev/null | grep -vc '^pid' ; }

# wait_acked N FILES...: until the load clients have N acknowledgements (30 s max)
wait_acked() {
    local n=$1; shift
    for _ in $(seq 600); do
        [ "$(acked "$@")" -ge "$n" ] && return 0
        sleep 0.05
    done
    return 1
}

# verify_acks LOG SANDBOX: every operation the load client saw acknowledged
# is in the journal, and was applied exactly once (the SysV ids it created
# are exactly the acknowledged ones: a second apply would add an id).
verify_acks() {
    local log=$1 sb=$2 pid client
    read -r _ pid _ client < <(head -1 "$log")
    tail -n +2 "$log" | awk '{print $1}' | sort -n > "$D/acked.seq"
    # the queues it still holds: created ("seq id") and not removed ("seq -id")
    tail -n +2 "$log" | awk '$2 ~ /^-/ { delete held[substr($2, 2)]; next } { held[$2] = 1 }
                             END { for (i in held) print i }' | sort -n > "$D/acked.ids"
    sqlite3 "$DB" "SELECT o.seq FROM oplog o JOIN sandboxes s ON s.id = o.sandbox
                   WHERE s.name = '$sb' AND o.client = '$client' AND o.seq > 1 ORDER BY o.seq" > "$D/journal.seq"
    sqlite3 "$DB" "SELECT v.id FROM sysv v JOIN sandboxes s ON s.id = v.sandbox
                   WHERE s.name = '$sb' AND v.creator = $pid ORDER BY v.id" > "$D/journal.ids"
    [ -s "$D/acked.seq" ] && cmp -s "$D/acked.seq" "$D/journal.seq" && cmp -s "$D/acked.ids" "$D/journal.ids"
}

# Timestamp (ms) of the first "leader: term" line after time T in the logs.
takeover_ms() {
    local t=$1; shift
    cat "$@" | awk -v t="$t" '/leader: term/ && $1 >= t {print $1}' | sort -n | head -1
}

# ---- a raft group of three nodes on this host ($D/nI.sock, $D/nI.db, log $D/nI.log)
# (below the kernel's ephemeral ports, 32768 and up: a node's port taken
# by some outgoing connection failed its start, and a test hung)
RAFT_BASE=$((20000 + ($$ % 1200) * 10))
raft_addr() { echo "127.0.0.1:$((RAFT_BASE + $1))"; }
PEERS="1=$(raft_addr 1),2=$(raft_addr 2),3=$(raft_addr 3)"
CLUSTER=$D/n1.sock,$D/n2.sock,$D/n3.sock

KEY=$D/cluster.key
head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$KEY"

# start_node I [nsd options]
start_node() {
    local i=$1; shift
    "$NSD" --node "$i" --peers "$PEERS" --cluster-key "$KEY" --socket "$D/n$i.sock" --journal "$D/n$i.db" \
        "$@" 2>>"$D/n$i.log" &
    PIDS+=($!)
    eval "PID_$i=$!"
    disown $!
}

# The node that says it leads and serves ("leader: term" after its last
# "stepping down"), among the running ones; empty if none (yet).
leader_node() {
    local i
    for i in 1 2 3 4; do
        kill -0 "$(eval echo "\$PID_$i")" 2>/dev/null || continue
        "$CTL" --nsd "$D/n$i.sock" --json nsd status 2>/dev/null |
            grep -q "\"role\": \"leader\", \"node\": \"$i\", [^}]*\"self\": \"yes\"" && { echo "$i"; return 0; }
    done
    return 1
}

# wait_leader_node [EXCEPT]: a leader other than EXCEPT within 30 s; prints it
wait_leader_node() {
    local l
    for _ in $(seq 300); do
        l=$(leader_node)
        [ -n "$l" ] && [ "$l" != "$1" ] && { echo "$l"; return 0; }
        sleep 0.1
    done
    return 1
}

# Node I's journal: $D/nI.db unless JOURNAL_I names another.
journal() { eval echo "\${JOURNAL_$1:-$D/n$1.db}"; }
applied() { sqlite3 "$(journal "$1")" "SELECT v FROM meta WHERE k = 'applied'" 2>/dev/null; }

# wait_converged NODES...: their journals have applied the same index (60 s max)
wait_converged() {
    local a b i same
    for _ in $(seq 600); do
        same=1; a=$(applied "$1")
        for i in "$@"; do b=$(applied "$i"); [ -n "$a" ] && [ "$a" = "$b" ] || same=0; done
        [ $same = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# same_state I J [TABLES]: the namespace tables and the oplog of two journals
# are equal at one applied index.  The group may still commit after the
# clients stop (the leader's sweep reaps their rows), so a difference seen
# while an index moved is looked at again once both have applied the same.
same_state() {
    local t a differs
    for _ in $(seq 50); do
        wait_converged "$1" "$2" || return 1
        a=$(applied "$1") differs=
        for t in ${3:-sandboxes procs ranges sysv oplog leader}; do
            # sorted whole rows: ORDER BY 1, 2 left ties unordered (sysv's key
            # is (sandbox, kind, id): a queue and a semaphore may share an id)
            cmp -s <(sqlite3 "$(journal "$1")" "SELECT * FROM $t" | sort) \
                   <(sqlite3 "$(journal "$2")" "SELECT * FROM $t" | sort) || { differs=$t; break; }
        done
        [ -z "$differs" ] && return 0
        [ "$(applied "$1")" = "$a" ] && [ "$(applied "$2")" = "$a" ] && break
    done
    echo "# table $differs differs"
    return 1
}

# start_loads SANDBOX SECRET N: N load clients of SANDBOX on the group, run
# until stop_loads, logging to $D/loadI (in $LOADS and $LOGS).
start_loads() {
    local c
    for c in $(seq "$3"); do
        "$TC" "$CLUSTER" load "$1" "$2" 1000000 "$D/load$c" 2 > "$D/load$c.out" 2>&1 &
        LOADS+=($!); LOGS+=("$D/load$c")
    done
}

# progress N: the load clients acknowledge N more operations (30 s max)
progress() { wait_acked $(($(acked "${LOGS[@]}") + $1)) "${LOGS[@]}"; }

# stop_loads: ends the load clients in $LOADS (SIGTERM: each stops after its
# op in flight); the number of them that did not exit 0.
stop_loads() {
    local p fails=0
    for p in "${LOADS[@]}"; do kill -TERM "$p"; wait "$p" || fails=$((fails + 1)); done
    return $fails
}

# check_history SANDBOX NODES...: in each node's journal, every operation
# the load clients ($LOGS) saw acknowledged, none twice.
check_history() {
    local sb=$1 i l bad
    shift
    for i in "$@"; do
        bad=0
        for l in "${LOGS[@]}"; do
            DB=$(journal "$i") verify_acks "$l" "$sb" || { bad=1; echo "# node $i: $(basename "$l") differs"; }
        done
        ok $bad "node $i: every acknowledged operation of the ${#LOGS[@]} clients is in its journal, none twice"
    done
}
