# Shared by the tests/boundary scripts; sourced after N (the plan) is set.
# Runs from the top of the tree with a scratch directory $T (w/ is mounted
# writable at /w, ro/ read-only at /ro, the test programs at /progs and
# bin/ at /gbin), TAP helpers, and held sandboxes for looking at from outside.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
. tests/lib/sandbox.sh
skip_all() {
    echo "1..$N"
    for i in $(seq "$N"); do echo "ok $i # SKIP $1"; done
    exit 0
}
[ "$(id -u)" = 0 ] || skip_all "needs root (to launch as root, or as another user)"
sandbox_test "$(basename "$0" .t)"
P=/progs/boundary
SITECALL=$ROOT/build/tests/libos/sitecall
mkdir "$T/w" "$T/ro"
echo original > "$T/ro/file"
echo "1..$N"
n=0
ok() { # ok CONDITION-STATUS NAME [DIAGNOSTIC]
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; [ -n "${3:-}" ] && echo "$3" | sed 's/^/# /'; fi
}
is() { # is GOT WANT NAME
    [ "$1" = "$2" ]
    ok $? "$3" "got:  $1
want: $2"
}

manifest() { # manifest FILE [TOML_LINE...]; the app is $ENTRY (bash by default)
    local f=$1
    shift
    sandbox_manifest "${ENTRY:-/usr/bin/bash}" /w="$T/w" ro:/ro="$T/ro" ro:/progs="$ROOT/build/tests/progs" \
        ro:/gbin="$ROOT/bin" "$@" > "$f"
}
manifest "$T/m.toml"

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# hold NAME MANIFEST [COMMANDS]: runs bash in the sandbox (through $RUN, a
# command prefix, if set); it runs COMMANDS, says "ready" on the fifo
# w/NAME.ready and waits for a line on w/NAME.go. Sets HELD to its host pid
# (graphene execs, so it is the launcher's).
hold() {
    mkfifo "$T/w/$1.ready" "$T/w/$1.go"
    chmod 666 "$T/w/$1.ready" "$T/w/$1.go"
    # read-write opens of a fifo never block, so neither side can hang here
    exec {ready_fd}<>"$T/w/$1.ready" {go_fd}<>"$T/w/$1.go"
    ${RUN:-} "$G" run "$2" -- -c "${3:-} echo ready > /w/$1.ready; read < /w/$1.go" &
    HELD=$!
    PIDS+=("$HELD")
    local line
    read -r -t 60 -u "$ready_fd" line
    [ "$line" = ready ] || echo "# $1 did not start"
    eval "GO_$1=$go_fd PID_$1=$HELD"
}
release() { # release NAME: lets the held sandbox exit and waits for it
    local fd pid
    eval "fd=\$GO_$1 pid=\$PID_$1"
    echo go >&"$fd"
    wait "$pid" 2>/dev/null
}
field() { awk -v k="$1:" '$1 == k { $1 = ""; print substr($0, 2) }' "/proc/$2/status"; }

# site PID: the address of the libos's syscall instruction in picoprocess PID
site() {
    local base off
    base=$(awk -v img="$ROOT/lib/libos" '$6 == img { print $1; exit }' "/proc/$1/maps" | cut -d- -f1)
    off=$(nm "$ROOT/lib/libos" | awk '$3 == "host_syscall_site" { print $1 }')
    printf '0x%x' $((0x$base + 0x$off))
}
# root_fd PID HOST_PATH: the picoprocess's fd of the mount root HOST_PATH
root_fd() {
    local f
    for f in /proc/$1/fd/*; do
        [ "$(readlink "$f")" = "$2" ] && echo "${f##*/}"
    done
}
