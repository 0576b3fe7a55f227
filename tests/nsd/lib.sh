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
