#!/bin/bash
# Unix socket credentials in sandbox terms (issues 6 and 9): SO_PEERCRED and
# SCM_CREDENTIALS show sandbox pids and virtual ids, never the host pid or
# the sandbox's host uid (tests/progs/t_peercred, natively as root); a
# listener outside the sandbox shows as from another namespace (pid 0, the
# overflow ids) and has no SO_PEERPIDFD; SO_PASSPIDFD is refused; tmux, whose server compares its
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
    want="peer pid 0 uid 65534 gid 65534 SO_PEERPIDFD: ENODATA "
    got=$(tr '\n' ' ' <"$OUT/outside.out")
    [ "$status" = 0 ] && [ "$got" = "$want" ] || diag "status $status, got: $got" "$(cat "$OUT/outside.err")"
    [ "$status" = 0 ] && [ "$got" = "$want" ]
}
outside
tap_ok $? "a host listener shows as pid 0, uid and gid 65534, without a pidfd (ENODATA)"

run_graphene passpidfd /dev/null "" /tests/t_peercred passpidfd
got=$(cat "$OUT/passpidfd.out")
[ "$got" = "SO_PASSPIDFD: ENOPROTOOPT" ] || diag "got: $got" "$(cat "$OUT/passpidfd.err")"
tap_ok $([ "$got" = "SO_PASSPIDFD: ENOPROTOOPT" ]; echo $?) "SO_PASSPIDFD is refused (SCM_PIDFD would bring host pidfds)"

# tmux: the server accepts a client only if their uids match (SO_PEERCRED).
# One launch: the sandbox ends with its first process, and the server with it.
# A runtime directory of its own: its embedded nsd is this tree's, not one
# another graphene on the machine started.
tmux_run() { # tmux_run SCRIPT: sh -c SCRIPT inside, its output and status
    sandbox_manifest /bin/sh 'loader.log_level = "warning"' 'loader.env.PATH = "/usr/bin:/bin"' \
        'loader.env.TERM = "xterm"' 'fs.start_dir = "/tmp"' \
        ro:/bin=/usr/bin ro:/etc=/etc "/tmp=$SCRATCH" >"$MANIFEST"
    (cd "$WORK" && GRAPHENE_RUNTIME_DIR=$WORK/run timeout -k 5 "$DIFF_TIMEOUT" "$GRAPHENE" run "$MANIFEST" \
        -- -c "$1" </dev/null 2>&1)
}
tmux_ok() { # tmux_ok NAME [TODO]: the output of the last tmux_run is ls's
    [ $rc = 0 ] && [[ $out == "0: 1 windows"* ]] || diag "status $rc:" "$out"
    tap_ok $([ $rc = 0 ] && [[ $out == "0: 1 windows"* ]]; echo $?) "$@"
}
if ! command -v tmux >/dev/null; then
    tap_skip "tmux inside" "tmux not installed (make deps)"
    tap_skip "tmux inside, daemonized server" "tmux not installed (make deps)"
else
    # The server in the foreground (-D); it is up once ls reaches it.
    reset_scratch
    out=$(tmux_run 'tmux -S /tmp/s -f /dev/null -D </dev/null >/dev/null 2>&1 &
server=$!
until out=$(tmux -S /tmp/s ls 2>&1) || [ "$out" = "no sessions" ]; do
    case $out in "no server running"* | "error connecting"*) ;; *) echo "$out"; kill $server; exit 1 ;; esac
    kill -0 $server || exit 1
done
tmux -S /tmp/s new-session -d "sleep 30" && tmux -S /tmp/s ls && tmux -S /tmp/s kill-server && wait $server ||
    { kill $server; exit 1; }')
    rc=$?
    tmux_ok "tmux new-session, ls, kill-server inside"
    # As a user starts it: new-session daemonizes the server (fork, fork,
    # setsid in the grandchild while its parent is reaped).
    reset_scratch
    out=$(tmux_run "tmux -S /tmp/s new-session -d 'sleep 30' && tmux -S /tmp/s ls && tmux -S /tmp/s kill-server")
    rc=$?
    tmux_ok "tmux new-session -d starting the server itself"
fi
done_testing
