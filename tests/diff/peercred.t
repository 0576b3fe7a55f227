#!/bin/bash
# Unix socket credentials in sandbox terms (issues 6 and 9): SO_PEERCRED and
# SCM_CREDENTIALS show sandbox pids and virtual ids, never the host pid or
# the sandbox's host uid (tests/progs/t_peercred, natively as root); a
# listener outside the sandbox shows as from another namespace (pid 0, the
# overflow ids); the sandbox has no pidfds; tmux, whose server compares its
# client's SO_PEERCRED uid with its own, works inside.
. "$(dirname "$0")/lib.sh"
diff_setup

if [ "$(id -u)" != 0 ]; then
    tap_skip "t_peercred" "needs root (a native child changes uid)"
else
    diff_run -n "t_peercred: SO_PEERCRED, SCM_CREDENTIALS, a child of another uid" -- /tests/t_peercred
fi

# A host listener reachable through the /tmp mount: a process outside.
outside() {
    reset_scratch
    local fifo=$WORK/ready
    rm -f "$fifo"
    mkfifo "$fifo"
    python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
c.recv(1)' "$SCRATCH/host.sock" >"$fifo" &
    local py=$! line
    read -r line <"$fifo"
    run_graphene outside /dev/null "" /tests/t_peercred connect /tmp/host.sock
    kill "$py" 2>/dev/null
    wait "$py" 2>/dev/null
    got=$(cat "$OUT/outside.out")
    [ "$status" = 0 ] && [ "$got" = "peer pid 0 uid 65534 gid 65534" ] ||
        diag "status $status, got: $got" "$(cat "$OUT/outside.err")"
    [ "$status" = 0 ] && [ "$got" = "peer pid 0 uid 65534 gid 65534" ]
}
outside
tap_ok $? "a host listener shows as pid 0, uid and gid 65534"

run_graphene pidfd /dev/null "" /tests/t_peercred pidfd
got=$(tr '\n' ' ' <"$OUT/pidfd.out")
[ "$got" = "SO_PEERPIDFD: ENOPROTOOPT SO_PASSPIDFD: ENOPROTOOPT " ] || diag "got: $got" "$(cat "$OUT/pidfd.err")"
tap_ok $([ "$got" = "SO_PEERPIDFD: ENOPROTOOPT SO_PASSPIDFD: ENOPROTOOPT " ]; echo $?) \
    "SO_PEERPIDFD and SO_PASSPIDFD are refused (no pidfds in the sandbox)"

# tmux: the server accepts its client only if their uids match
if ! command -v tmux >/dev/null; then
    tap_skip "tmux inside" "tmux not installed (make deps)"
else
    reset_scratch
    # one launch: the sandbox ends with its first process, and the server with it
    sandbox_manifest /bin/sh 'loader.log_level = "warning"' 'loader.env.PATH = "/usr/bin:/bin"' \
        'loader.env.TERM = "xterm"' 'fs.start_dir = "/tmp"' \
        ro:/bin=/usr/bin ro:/etc=/etc "/tmp=$SCRATCH" >"$MANIFEST"
    out=$(cd "$WORK" && timeout -k 5 "$DIFF_TIMEOUT" "$GRAPHENE" run "$MANIFEST" -- -c \
              "tmux -S /tmp/s new-session -d 'sleep 30' && tmux -S /tmp/s ls && tmux -S /tmp/s kill-server" \
              </dev/null 2>&1)
    rc=$?
    [ $rc = 0 ] && [[ $out == "0: 1 windows"* ]] || diag "status $rc:" "$out"
    tap_ok $([ $rc = 0 ] && [[ $out == "0: 1 windows"* ]]; echo $?) "tmux new-session, ls, kill-server inside"
fi
done_testing
