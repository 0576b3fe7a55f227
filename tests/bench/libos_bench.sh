#!/bin/bash
# libos benchmarks, graphene next to native in the same run (not a test):
#   syscall   ns per trapped getppid(2) (bench_getppid; median of 3 runs)
#   startup   median wall time of fork+exec+wait of /bin/true (runtime, 30 runs),
#             with the embedded nsd already running, and when each run must
#             start its own
#   rss       peak RSS of hello world, dynamic and static (ru_maxrss via wait4)
#   processes fork+exit+wait, fork+exec+wait, signal and pipe round trips
#             between two processes (bench_proc; medians of single operations)
# Each figure is printed as "name: graphene X, native Y, ratio Z".
# Manifests and mounts come from the differential-test harness so that the
# benchmarks run programs exactly the way the tests do.
. "$(dirname "$0")/../diff/lib.sh"
diff_setup

RUNTIME=$ROOT/build/tests/bench/runtime
SYSCALLS=${BENCH_SYSCALLS:-300000}
STARTS=${BENCH_STARTS:-30}
failed=0

for f in "$RUNTIME" "$PROGS/bench_getppid" "$PROGS/bench_proc" "$PROGS/hello" "$PROGS/hello-static"; do
    [ -x "$f" ] || { echo "libos_bench: $f missing (make test-progs)" >&2; exit 1; }
done
have_graphene=1
# Every run creates its sandbox on the embedded nsd of a private runtime
# directory, not on whatever answers at the machine's default address.
export GRAPHENE_RUNTIME_DIR=$WORK/rt
unset GRAPHENE_NSD
[ -x "$GRAPHENE" ] || { have_graphene=0; echo "libos_bench: $GRAPHENE not built; native figures only"; }

# manifest_for ENTRY: path of a manifest (start dir /tmp) running ENTRY.
manifest_for() {
    local m=$WORK/$(basename "$1").toml
    write_manifest "$1" /tmp
    cp "$MANIFEST" "$m"
    echo "$m"
}

# report NAME UNIT GRAPHENE_VALUE NATIVE_VALUE
report() {
    if [ "$have_graphene" = 1 ]; then
        awk -v n="$1" -v u="$2" -v g="$3" -v s="$4" 'BEGIN {
            r = (s > 0 && g ~ /^[0-9.]+$/) ? sprintf("%.2f", g / s) : "n/a"
            printf "%s: graphene %s %s, native %s %s, ratio %s\n", n, g, u, s, u, r }'
    else
        echo "$1: graphene n/a, native $4 $2"
    fi
}

# median3 CMD...: median of the ns_per_call figure over three runs.
median3() {
    local i v vals=()
    for i in 1 2 3; do
        v=$("$@" 2>/dev/null | sed -n 's/^ns_per_call: //p')
        [ -n "$v" ] || { echo FAILED; return; }
        vals+=("$v")
    done
    printf '%s\n' "${vals[@]}" | sort -n | sed -n 2p
}

# field KEY: value of KEY=... in runtime's output (on stdin).
field() { sed -n "s/^$1=//p"; }

# Native runs share the environment the sandbox gets.
native() { env -i "${DIFF_ENV[@]}" "$@"; }

# --- trapped syscall cost
nat=$(median3 native "$PROGS/bench_getppid" "$SYSCALLS")
gra=n/a
if [ "$have_graphene" = 1 ]; then
    m=$(manifest_for /tests/bench_getppid)
    gra=$(median3 "$GRAPHENE" run "$m" -- "$SYSCALLS")
fi
[ "$gra" != FAILED ] && [ "$nat" != FAILED ] || failed=1
report "syscall getppid (median of 3)" ns/call "$gra" "$nat"

# --- start-up time and peak RSS via the timing driver
# measure ENTRY RUNS: sets nat_us nat_kb gra_us gra_kb.
measure() {
    local entry=$1 runs=$2 out m
    # The driver itself runs under env -i so the child inherits the clean
    # environment without an extra exec (which would also inflate maxrss).
    out=$(native "$RUNTIME" "$runs" "$(host_path "$entry")")
    nat_us=$(field median_us <<<"$out"); nat_kb=$(field maxrss_kb <<<"$out")
    [ "$(field failures <<<"$out")" = 0 ] || failed=1
    gra_us=n/a; gra_kb=n/a
    if [ "$have_graphene" = 1 ]; then
        m=$(manifest_for "$entry")
        out=$("$RUNTIME" "$runs" "$GRAPHENE" run "$m")
        gra_us=$(field median_us <<<"$out"); gra_kb=$(field maxrss_kb <<<"$out")
        if [ "$(field failures <<<"$out")" != 0 ]; then
            failed=1
            gra_us="FAILED($(field failures <<<"$out")/$runs runs)"
        fi
    fi
}

# A sandbox made with graphenectl keeps the embedded nsd up meanwhile.
if [ "$have_graphene" = 1 ]; then
    "$GRAPHENE" run "$(manifest_for /usr/bin/sleep)" -- 60 & sleeper=$!
    "$ROOT/bin/graphenectl" sandbox create bench-keepalive >/dev/null || failed=1
    kill "$sleeper"; wait "$sleeper" 2>/dev/null
fi
measure /usr/bin/true "$STARTS"
report "startup /bin/true, embedded nsd running (median of $STARTS)" us "$gra_us" "$nat_us"
[ "$have_graphene" = 1 ] && "$ROOT/bin/graphenectl" sandbox rm bench-keepalive
RUNTIME_FRESH_DIR=$WORK/fresh measure /usr/bin/true "$STARTS"
report "startup /bin/true, starting the embedded nsd (median of $STARTS)" us "$gra_us" "$nat_us"
measure /tests/hello 10
report "peak RSS hello (dynamic)" KB "$gra_kb" "$nat_kb"
measure /tests/hello-static 10
report "peak RSS hello (static)" KB "$gra_kb" "$nat_kb"

# --- processes: one run each side, every figure a median inside bench_proc
nat_out=$(native "$PROGS/bench_proc") || failed=1
gra_out=""
if [ "$have_graphene" = 1 ]; then
    gra_out=$("$GRAPHENE" run "$(manifest_for /tests/bench_proc)") || failed=1
fi
for k in fork_exit_wait fork_exec_wait signal_roundtrip pipe_roundtrip; do
    g=$(sed -n "s/^${k}_us: //p" <<<"$gra_out")
    report "$k (median)" us "${g:-n/a}" "$(sed -n "s/^${k}_us: //p" <<<"$nat_out")"
done

# Graphene's start-up time and RSS include the launcher itself.
[ "$failed" = 0 ] || { echo "libos_bench: some runs failed; figures above are not meaningful" >&2; exit 1; }
