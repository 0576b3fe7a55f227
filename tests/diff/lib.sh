# Differential-test harness, sourced by tests/diff/*.t.
#
# A differential test runs the same program natively and under graphene, with
# the same environment, the same arguments, the same stdin and the same
# working directory (a fresh scratch dir, which graphene mounts at /tmp), and
# requires the same stdout and the same exit status.  Output is TAP.
#
# GRAPHENE_DIFF_NATIVE_ONLY=1 replaces the graphene run by a second native
# run.  That validates the harness and the tests without a libos: every
# expected exit status is still checked, and the second run catches output
# that is not deterministic (pids, addresses, timings), which would make the
# real comparison flaky.
#
# Typical use:
#   . "$(dirname "$0")/lib.sh"
#   diff_setup
#   diff_run -n "sort stdin" -i "$WORK/input" -- /usr/bin/sort
#   diff_run -s 1 -- /usr/bin/false
#   done_testing

set -u
umask 022
# Natively, a program killed by SIGABRT/SIGSEGV must not leave core files in
# the scratch dir (they would also change what ls shows).
ulimit -c 0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/lib/sandbox.sh"
PROGS=$ROOT/build/tests/progs
GRAPHENE=${GRAPHENE:-$ROOT/bin/graphene}
NATIVE_ONLY=${GRAPHENE_DIFF_NATIVE_ONLY:-0}
# Per-run limit: generous for a loaded 2-core machine; only hangs hit it.
DIFF_TIMEOUT=${GRAPHENE_DIFF_TIMEOUT:-60}

# The whole environment of the program on both sides.  The manifest gets the
# same variables (the app sees only loader.env there), natively `env -i`.
DIFF_ENV=(PATH=/usr/bin:/bin LC_ALL=C TZ=UTC)

# ---------------------------------------------------------------- TAP output

_tap_n=0
_tap_failed=0

# To stderr, which prove shows without -v: a failure's diagnosis (a hang's
# thread states included) then reaches CI's log.
diag() {
    local line
    for line in "$@"; do
        printf '%s\n' "$line" | sed 's/^/# /' >&2
    done
}

tap_ok() {   # tap_ok COND_STATUS NAME [TODO_REASON]: COND_STATUS 0 = pass
    _tap_n=$((_tap_n + 1))
    local todo=${3:+ # TODO $3}
    if [ "$1" -eq 0 ]; then
        echo "ok $_tap_n - $2$todo"
    else
        echo "not ok $_tap_n - $2$todo"
        [ -n "$todo" ] || _tap_failed=$((_tap_failed + 1))
    fi
}

tap_skip() { # tap_skip NAME REASON
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $1 # SKIP $2"
}

done_testing() {
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
}

# ---------------------------------------------------------------- setup

# diff_setup: creates $WORK (removed on exit), holding
#   $SCRATCH  the directory mounted at /tmp and used as cwd on both sides
#   $OUT      captured stdout/stderr of each run
#   $MANIFEST written afresh by each graphene run
diff_setup() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/graphene-diff.XXXXXX")
    # mktemp makes it 0700; programs under a virtualised uid must still
    # be able to traverse into the mounts below it.
    chmod 755 "$WORK"
    trap 'rm -rf "$WORK"' EXIT
    SCRATCH=$WORK/scratch
    OUT=$WORK/out
    MANIFEST=$WORK/manifest.toml
    mkdir -p "$SCRATCH" "$OUT"
    if [ ! -d "$PROGS" ]; then
        diag "$PROGS missing: build the test programs first (make test-progs)"
    fi
    if [ "$NATIVE_ONLY" != 1 ] && [ ! -x "$GRAPHENE" ]; then
        # Not a skip: `make test` builds bin/graphene, so its absence is a
        # failure.  Every graphene run below fails with this reason.
        diag "$GRAPHENE not built; run make (or GRAPHENE_DIFF_NATIVE_ONLY=1 to check the harness alone)"
    fi
}

# reset_scratch: empty scratch dir, so no run sees state left by another.
reset_scratch() {
    rm -rf "$SCRATCH"
    mkdir -p "$SCRATCH"
}

# host_path SANDBOX_PATH: where a sandbox path lives on the host, following
# the mount table written by write_manifest.  /usr, /bin, /lib, /lib64 and
# /etc are the host's own on a merged-/usr system.
host_path() {
    case $1 in
        /tests|/tests/*) echo "$PROGS${1#/tests}" ;;
        /tmp|/tmp/*)     echo "$SCRATCH${1#/tmp}" ;;
        *)               echo "$1" ;;
    esac
}

# write_manifest ENTRYPOINT START_DIR: the manifest for one graphene run.
write_manifest() {
    local entry=$1 start=$2 kv env=()
    for kv in "${DIFF_ENV[@]}"; do
        env+=("loader.env.${kv%%=*} = \"${kv#*=}\"")
    done
    sandbox_manifest "$entry" 'loader.log_level = "warning"' "${env[@]}" \
        "fs.start_dir = \"$start\"" 'sys.brk.max_size = "256M"' \
        'sys.network = "host"' \
        ro:/bin=/usr/bin ro:/etc=/etc "/tmp=$SCRATCH" "/tests=$PROGS" >"$MANIFEST"
}

# ---------------------------------------------------------------- running

# run_native TAG STDIN SUBDIR ENTRY [ARGS...]: runs ENTRY (a sandbox path)
# natively with cwd $SCRATCH/SUBDIR.  Sets $status; output in $OUT/TAG.{out,err}.
run_native() {
    local tag=$1 in=$2 sub=$3 entry=$4
    shift 4
    # The braces catch bash's own "Aborted"/"Segmentation fault" reports.
    {
        (cd "$SCRATCH/$sub" &&
            exec timeout -k 5 "$DIFF_TIMEOUT" ${NATIVE_IPCNS:+unshare --ipc} \
                ${NATIVE_PIDNS:+unshare --pid --fork --mount-proc} \
                env -i "${DIFF_ENV[@]}" "$(host_path "$entry")" "$@") \
            <"$in" >"$OUT/$tag.out" 2>"$OUT/$tag.err"
        status=$?
    } 2>/dev/null
}

# proc_tree PID: PID and its descendants.
proc_tree() {
    local c
    echo "$1"
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do proc_tree "$c"; done
}

# hang_state PID: what each thread of PID and of its descendants is doing
# (state, signal masks, the syscall it is in, wchan, kernel stack), kept
# from a run that outlived DIFF_TIMEOUT: a rare hang then leaves more than
# a timeout behind.
hang_state() {
    local p t
    for p in $(proc_tree "$1"); do
        echo "pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
        for t in /proc/"$p"/task/*; do
            echo "  tid ${t##*/}: $(grep -E '^(State|SigPnd|ShdPnd|SigBlk):' "$t/status" 2>/dev/null | tr '\t\n' '  ')"
            echo "    syscall $(cat "$t/syscall" 2>/dev/null), wchan $(cat "$t/wchan" 2>/dev/null)"
            sed 's/^/    /' "$t/stack" 2>/dev/null
        done
        # Where each thread is in user space; the libos's mappings turn
        # its addresses into lines (addr2line -e lib/libos OFFSET).
        grep -E ' r-xp .*/(libos|t_[a-z_]+)$' "/proc/$p/maps" 2>/dev/null | sed 's/^/  /'
        command -v gdb >/dev/null &&
            timeout 60 gdb -batch -nx -p "$p" -ex 'thread apply all bt 12' 2>&1 |
            grep -E '^(Thread|#)' | sed 's/^/  /'
    done
}

# run_graphene TAG STDIN SUBDIR ENTRY [ARGS...]: the same under graphene
# (start dir /tmp/SUBDIR).  The launcher runs from $WORK so that nothing can
# depend on the caller's cwd.  Past DIFF_TIMEOUT its state goes to
# $OUT/TAG.hang and it is killed (status 137).
run_graphene() {
    local tag=$1 in=$2 sub=$3 entry=$4 pid timer p
    shift 4
    rm -f "$OUT/$tag.hang"
    if [ ! -x "$GRAPHENE" ]; then
        echo "$GRAPHENE not built" >"$OUT/$tag.err"
        : >"$OUT/$tag.out"
        status=255
        return
    fi
    write_manifest "$entry" "/tmp${sub:+/$sub}"
    {
        (cd "$WORK" && exec "$GRAPHENE" run "$MANIFEST" -- "$@") \
            <"$in" >"$OUT/$tag.out" 2>"$OUT/$tag.err" &
        pid=$!
        sleep "$DIFF_TIMEOUT" &
        timer=$!
        wait -n "$pid" "$timer"
        if kill -0 "$pid"; then
            hang_state "$pid" >"$OUT/$tag.hang"
            for p in $(proc_tree "$pid"); do kill -9 "$p"; done
        fi
        kill "$timer"
        wait "$timer"
        wait "$pid"
        status=$?
    } 2>/dev/null
}

# run_other: the side compared against the native run.
run_other() {
    if [ "$NATIVE_ONLY" = 1 ]; then
        run_native "$@"
    else
        run_graphene "$@"
    fi
}

# show_run TAG LABEL: stdout/stderr of one run as TAP diagnostics.
show_run() {
    diag "--- $2 stdout (first 40 lines):"
    diag "$(head -n 40 "$OUT/$1.out")"
    diag "--- $2 stderr (last 20 lines):"
    diag "$(tail -n 20 "$OUT/$1.err")"
}

# diff_run [-n NAME] [-s STATUS] [-i STDIN] [-C SUBDIR] [-p SETUP_FN] [-T REASON] [-P] -- ENTRY [ARGS...]
#
# One TAP test.  ENTRY is an absolute path inside the sandbox (/usr/bin/...,
# /tests/...).  Before each side runs, the scratch dir is emptied and
# SETUP_FN (if any) is called to create fixtures in it, so both sides start
# from identical state whatever the other did.  STATUS is the exit status
# the native run must have (default 0; 128+N for death by signal N); the
# other run must match native in stdout and status. -T marks a test of a
# feature not built yet (TAP TODO): it runs and reports, but does not fail.
# -P runs the native side as pid 1 of a new PID namespace (root only), as
# the program is in its sandbox: pids, kill(0) and kill(-1) then compare.
# -I runs the native side in a new IPC namespace (root only): System V ids
# start afresh, as in a new sandbox, and nothing of the host's is seen.
diff_run() {
    local name="" want=0 in=/dev/null sub="" setup="" todo="" _ok=0 nat_status
    local NATIVE_PIDNS="" NATIVE_IPCNS=""
    while [ $# -gt 0 ]; do
        case $1 in
            -n) name=$2; shift 2 ;;
            -s) want=$2; shift 2 ;;
            -i) in=$2; shift 2 ;;
            -C) sub=$2; shift 2 ;;
            -p) setup=$2; shift 2 ;;
            -T) todo=$2; shift 2 ;;
            -P) NATIVE_PIDNS=1; shift ;;
            -I) NATIVE_IPCNS=1; shift ;;
            --) shift; break ;;
            *) diag "diff_run: bad option $1"; return 1 ;;
        esac
    done
    [ -n "$name" ] || name="$*"
    local other=graphene
    [ "$NATIVE_ONLY" = 1 ] && other="native (again)"

    reset_scratch
    [ -z "$setup" ] || "$setup"
    run_native native "$in" "$sub" "$@"
    nat_status=$status

    reset_scratch
    [ -z "$setup" ] || "$setup"
    run_other other "$in" "$sub" "$@"

    if [ "$nat_status" -ne "$want" ]; then
        _ok=1
        diag "native exit status $nat_status, expected $want (test or host problem)"
        show_run native native
    fi
    if [ "$status" -ne "$nat_status" ]; then
        _ok=1
        diag "exit status: native $nat_status, $other $status"
    fi
    if ! cmp -s "$OUT/native.out" "$OUT/other.out"; then
        _ok=1
        diag "stdout differs (- native, + $other):"
        diag "$(diff -u "$OUT/native.out" "$OUT/other.out" | tail -n +3 | head -n 60)"
    fi
    if [ "$_ok" -ne 0 ]; then
        diag "--- $other stderr (last 20 lines):"
        diag "$(tail -n 20 "$OUT/other.err")"
        if [ -s "$OUT/other.hang" ]; then
            diag "--- $other was killed after ${DIFF_TIMEOUT} s; its state then:"
            diag "$(cat "$OUT/other.hang")"
        fi
        # GRAPHENE_DIFF_KEEP=DIR keeps a failed case's runs (both sides'
        # stdout and stderr, a hang's state) for a search over many suites.
        if [ -n "${GRAPHENE_DIFF_KEEP:-}" ]; then
            local keep
            keep=$GRAPHENE_DIFF_KEEP/$(date +%s)-$$-${name//[^A-Za-z0-9_.-]/_}
            mkdir -p "$keep" && cp -a "$OUT"/. "$keep"/ && echo "$nat_status $status" >"$keep/status"
        fi
    fi
    [ "$NATIVE_ONLY" = 1 ] && name="$name (native only)"
    tap_ok "$_ok" "$name" "$todo"
}
