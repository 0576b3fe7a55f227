#!/bin/bash
# Sandbox pids (issue 6): tests/progs/t_pids.c prints getpid/getppid/gettid
# of a fork tree and threads, wait statuses, SIGCHLD's fields, the si_pid a
# signalled child sees, kill(-pgid) and kill(0) to a group of 3, setpgid/
# setsid rules and an orphan reparented to pid 1. Natively it runs as pid 1
# of a new PID namespace (so its kill(0) stays inside it), under graphene
# as the sandbox's first process; the output must be the same. Then procps
# ps inside, over /proc of the whole sandbox.
. "$(dirname "$0")/lib.sh"
diff_setup
if [ "$(id -u)" != 0 ] || ! unshare --pid --fork --mount-proc true 2>/dev/null; then
    tap_skip "t_pids as pid 1" "needs root for a native PID namespace"
    done_testing
    exit
fi
# A private nsd for the graphene side (the launcher takes GRAPHENE_NSD).
NSD_PID=
trap '[ -z "$NSD_PID" ] || kill "$NSD_PID"; rm -rf "$WORK"' EXIT
# picoprocesses reach nsd's socket as their sandbox's uid (tools/confine.c)
chmod 711 "$WORK"
"$ROOT/bin/nsd" --socket "$WORK/nsd.sock" --journal "$WORK/nsd.db" 2>"$WORK/nsd.log" &
NSD_PID=$!
for _ in $(seq 100); do
    "$ROOT/bin/graphenectl" --nsd "$WORK/nsd.sock" nsd status >/dev/null 2>&1 && break
    sleep 0.05
done
export GRAPHENE_NSD=$WORK/nsd.sock
diff_run -P -n "t_pids: pids, wait, SIGCHLD, signals, groups, orphans" -- /tests/t_pids
diff_run -P -n "t_reaper: PR_SET_CHILD_SUBREAPER, orphans to the nearest subreaper" -- /tests/t_reaper
diff_run -P -n "t_wait: wait4/waitpid/waitid idtypes, options and siginfo" -- /tests/t_wait
diff_run -P -n "t_killall: kill(-1), kill(0), ESRCH, zombies from a child" -- /tests/t_killall
diff_run -P -n "t_pdeath: PR_SET_PDEATHSIG" -- /tests/t_pdeath
# procps over the sandbox's /proc: the shell (pid 1) and ps (its child).
diff_run -P -n "ps -eo pid,ppid,comm lists the sandbox's processes" -- /bin/sh -c \
    'ps -eo pid,ppid,comm; ps -o pid= -p 1; cat /proc/1/comm'
done_testing
