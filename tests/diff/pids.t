#!/bin/bash
# Sandbox pids (issue 6): tests/progs/t_pids.c prints getpid/getppid/gettid
# of a fork tree and threads, wait statuses, SIGCHLD's fields, the si_pid a
# signalled child sees, kill(-pgid) and kill(0) to a group of 3, setpgid/
# setsid rules and an orphan reparented to pid 1; t_daemon, setsid in
# daemon()'s grandchild while its parent is reaped (registration races).
# Natively it runs as pid 1 of a new PID namespace (so its kill(0) stays
# inside it), under graphene as the sandbox's first process; the output
# must be the same. Then procps
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
(cd "$ROOT" && T=$WORK && . tests/lib/sandbox.sh && private_nsd && echo "$NSD_PID" > "$WORK/nsd.pid")
NSD_PID=$(cat "$WORK/nsd.pid")
export GRAPHENE_NSD=$WORK/nsd.sock
diff_run -P -n "t_pids: pids, wait, SIGCHLD, signals, groups, orphans" -- /tests/t_pids
diff_run -P -n "t_reaper: PR_SET_CHILD_SUBREAPER, orphans to the nearest subreaper" -- /tests/t_reaper
diff_run -P -n "t_wait: wait4/waitpid/waitid idtypes, options and siginfo" -- /tests/t_wait
diff_run -P -n "t_killall: kill(-1), kill(0), ESRCH, zombies from a child" -- /tests/t_killall
diff_run -P -n "t_pdeath: PR_SET_PDEATHSIG" -- /tests/t_pdeath
diff_run -P -n "t_daemon: setsid in a daemon()'s orphaned grandchild, 50 times" -- /tests/t_daemon
# procps over the sandbox's /proc: the shell (pid 1) and ps (its child).
diff_run -P -n "ps -eo pid,ppid,comm lists the sandbox's processes" -- /bin/sh -c \
    'ps -eo pid,ppid,comm; ps -o pid= -p 1; cat /proc/1/comm'
# procps and psmisc over a tree in a session of its own.
TREE=$(cat <<'EOF_TREE'
# A tree in a session of its own (this shell: S): a sleeper A, a subshell B
# with a sleeper C. Then procps over it; pids are printed as those names
# (sandbox pids come from leases: the same tree has other numbers than
# natively), and only the tree's own rows are shown: those of ps, pgrep
# and top themselves depend on the moment, and so, under graphene, do the
# just-reaped processes of the pipeline before (see ARCHITECTURE.md, "A
# /proc read").
/bin/sleep 1000 & a=$!
( /bin/sleep 1000 & echo $! > c; wait ) & b=$!
until read c 2>/dev/null < c && read x 2>/dev/null < /proc/$c/comm && [ "$x" = sleep ]; do :; done
until read x 2>/dev/null < /proc/$a/comm && [ "$x" = sleep ]; do :; done
names() { tr -s ' ' | awk -v m="$$=S $a=A $b=B $c=C" 'BEGIN { n = split(m, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); map[p[1]] = p[2] } }
  { out = ""; s = $0; while (match(s, /[0-9]+/)) { t = substr(s, RSTART, RLENGTH); out = out substr(s, 1, RSTART - 1) (t in map ? map[t] : t); s = substr(s, RSTART + RLENGTH) } print out s }'; }
ours() { awk -v col="$1" -v p=" $$ $a $b $c " 'NR == 1 || index(p, " " $col " ")'; }
# This shell's own state is the moment's (R while it has not yet blocked in
# its wait for ps, natively too): its letter is not compared.
ps -eo pid,ppid,pgid,sid,stat,comm > o; echo "== ps -eo pid,ppid,pgid,sid,stat,comm"
ours 1 < o | awk -v s=$$ '$1 == s { $5 = "." substr($5, 2) } 1' | names
ps -ef > o; echo "== ps -ef"; ours 2 < o | awk '{ print $1, $2, $3, $8, $9, $10 }' | names
echo "== pgrep"; pgrep sleep > o; names < o; pgrep -l -P $$ > o; names < o | grep -v '[0-9]'
pgrep -c -s $$ sleep; pgrep -x nosuch; echo "rc=$?"
top -b -n1 > o; echo "== top -b -n1"; awk '/PID +USER/ { f = 1 } f { print $1, $2, $NF }' o | ours 1 | sort | names | sort
pstree -p $b > o; pstree -p $a >> o; echo "== pstree -p"; names < o
echo "== pkill"; pkill -TERM -P $b sleep; wait $b; echo "B=$?"; pkill -x sleep; wait $a; echo "A=$?"
EOF_TREE
)
diff_run -P -n "procps ps -ef, ps -eo, pgrep, pkill, top -b, psmisc pstree over a tree" -- \
    /bin/sh -c 'setsid /bin/sh -c "$0"' "$TREE"
done_testing
