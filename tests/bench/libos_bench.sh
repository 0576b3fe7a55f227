#!/bin/bash
# libos benchmarks, graphene next to native in the same run (not a test):
#   syscall   ns per emulated getppid(2) and per passthrough 1-byte write(2)
#             to /dev/null (bench_syscall); medians of 3 runs;
#             with the syscall fast path on and off (GRAPHENE_FAST_PATH)
#   startup   median wall time of fork+exec+wait of /bin/true (runtime, 30 runs),
#             of sh running /bin/true 200 times, of python3 -c pass; fast
#             path on and off; /bin/true also with the embedded nsd already
#             running, and when each run must start its own
#   rss       peak RSS of hello world, dynamic and static (ru_maxrss via wait4)
#   processes fork+exit+wait, fork+exec+wait, signal and pipe round trips
#             between two processes, kill(-pgid) to a group of 8 (bench_proc;
#             medians of single operations)
#   sysv      System V message round trip and semaphore ping-pong between two
#             processes, shmat+shmdt of an existing segment (bench_sysv);
#             fast path on and off
# Each figure is printed as "name: graphene X, native Y, ratio Z".
# Manifests and mounts come from the differential-test harness so that the
# benchmarks run programs exactly the way the tests do.
. "$(dirname "$0")/../diff/lib.sh"
diff_setup

RUNTIME=$ROOT/build/tests/bench/runtime
SYSCALLS=${BENCH_SYSCALLS:-300000}
STARTS=${BENCH_STARTS:-30}
failed=0

for f in "$RUNTIME" "$PROGS/bench_syscall" "$PROGS/bench_proc" "$PROGS/bench_sysv" "$PROGS/hello" "$PROGS/hello-static"; do
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

# --- syscall cost: emulated (getppid) and passthrough (write), fast path on and off
# fast_path_state: "on", or "off: why" (as the libos logs it).
fast_path_state() {
    [ "$have_graphene" = 1 ] || { echo n/a; return; }
    GRAPHENE_LOG=info "$GRAPHENE" run "$(manifest_for /tests/hello)" 2>&1 >/dev/null |
        sed -n 's/.*syscall fast path \(.*\)/\1/p'
}
echo "syscall fast path: $(fast_path_state)"
for call in getppid write; do
    nat=$(median3 native "$PROGS/bench_syscall" "$SYSCALLS" $call)
    for fp in 1 0; do
        gra=n/a
        if [ "$have_graphene" = 1 ]; then
            m=$(manifest_for /tests/bench_syscall)
            gra=$(GRAPHENE_FAST_PATH=$fp median3 "$GRAPHENE" run "$m" -- "$SYSCALLS" $call)
        fi
        [ "$gra" != FAILED ] && [ "$nat" != FAILED ] || failed=1
        label=$([ $call = getppid ] && echo "syscall getppid" || echo "syscall write 1 byte to /dev/null")
        report "$label, fast path $([ $fp = 1 ] && echo on || echo off) (median of 3)" ns/call "$gra" "$nat"
    done
done

# --- start-up time and peak RSS via the timing driver
# measure ENTRY RUNS [ARGS...]: sets nat_us nat_kb gra_us gra_kb.
measure() {
    local entry=$1 runs=$2 out m
    shift 2
    # The driver itself runs under env -i so the child inherits the clean
    # environment without an extra exec (which would also inflate maxrss).
    out=$(native "$RUNTIME" "$runs" "$(host_path "$entry")" "$@")
    nat_us=$(field median_us <<<"$out"); nat_kb=$(field maxrss_kb <<<"$out")
    [ "$(field failures <<<"$out")" = 0 ] || failed=1
    gra_us=n/a; gra_kb=n/a
    if [ "$have_graphene" = 1 ]; then
        m=$(manifest_for "$entry")
        out=$("$RUNTIME" "$runs" "$GRAPHENE" run "$m" ${1+--} "$@")
        gra_us=$(field median_us <<<"$out"); gra_kb=$(field maxrss_kb <<<"$out")
        if [ "$(field failures <<<"$out")" != 0 ]; then
            failed=1
            gra_us="FAILED($(field failures <<<"$out")/$runs runs)"
        fi
    fi
}

for fp in 1 0; do
    export GRAPHENE_FAST_PATH=$fp
    state=$([ $fp = 1 ] && echo on || echo off)
    measure /usr/bin/true "$STARTS"
    report "startup /bin/true, fast path $state (median of $STARTS)" us "$gra_us" "$nat_us"
    measure /usr/bin/sh 10 -c 'i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done'
    report "sh loop of 200 /bin/true, fast path $state (median of 10)" us "$gra_us" "$nat_us"
    measure /usr/bin/python3 10 -c pass
    report "python3 -c pass, fast path $state (median of 10)" us "$gra_us" "$nat_us"
done
unset GRAPHENE_FAST_PATH
# A sandbox made with graphenectl keeps the embedded nsd up meanwhile.
if [ "$have_graphene" = 1 ]; then
    # The manifest first: a kill of a background subshell still inside
    # manifest_for would run its EXIT trap, which removes $WORK.
    m=$(manifest_for /usr/bin/sleep)
    "$GRAPHENE" run "$m" -- 60 & sleeper=$!
    created=0
    for _ in $(seq 100); do # until the sleeper's launcher has started nsd
        "$ROOT/bin/graphenectl" sandbox create bench-keepalive >/dev/null 2>&1 && { created=1; break; }
        sleep 0.1
    done
    [ "$created" = 1 ] || failed=1
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
# kill(-pgid) to a group of 8: natively in a PID namespace of its own, so
# that the group it signals can only be its own.
nat=$(native unshare --pid --fork --mount-proc "$PROGS/bench_proc" kill_group | sed -n 's/^kill_group_us: //p')
gra=n/a
[ "$have_graphene" = 1 ] &&
    gra=$("$GRAPHENE" run "$(manifest_for /tests/bench_proc)" -- kill_group | sed -n 's/^kill_group_us: //p')
[ -n "$gra" ] && [ -n "$nat" ] || failed=1
report "kill(-pgid) to a group of 8 and 8 answers (median)" us "${gra:-n/a}" "${nat:-n/a}"

# --- System V IPC (bench_sysv): natively in a new IPC namespace when root
sysv_ns=""
[ "$(id -u)" = 0 ] && unshare --ipc true 2>/dev/null && sysv_ns="unshare --ipc"
nat_out=$($sysv_ns env -i "${DIFF_ENV[@]}" "$PROGS/bench_sysv") || failed=1
for fp in 1 0; do
    gra_out=""
    if [ "$have_graphene" = 1 ]; then
        gra_out=$(GRAPHENE_FAST_PATH=$fp "$GRAPHENE" run "$(manifest_for /tests/bench_sysv)") || failed=1
    fi
    for k in sysv_msg_roundtrip sysv_sem_pingpong sysv_shm_attach_detach; do
        g=$(sed -n "s/^${k}_us: //p" <<<"$gra_out")
        report "$k, fast path $([ $fp = 1 ] && echo on || echo off) (median)" us "${g:-n/a}" \
            "$(sed -n "s/^${k}_us: //p" <<<"$nat_out")"
    done
done

# Graphene's start-up time and RSS include the launcher itself.
[ "$failed" = 0 ] || { echo "libos_bench: some runs failed; figures above are not meaningful" >&2; exit 1; }
