#!/bin/bash
# Pseudo-terminals and job control (issue 6 item 5), each run natively as
# pid 1 of a new PID namespace and under graphene as the sandbox's first
# process: tests/progs/ptyrun makes a pty (/dev/ptmx, /dev/pts/N) and runs
# a command as the session leader on it, typing only after the command
# printed a mark (a handshake, never a sleep); stdout and status must match.
# t_tty checks the terminal's groups, SIGTTIN/SIGTTOU, orphaned groups and
# SIGHUP; then bash job control (set -m, jobs, fg, bg, kill %1, wait -n, ^Z
# typed on the master, tostop), an interactive bash -i (also as graphene run
# on a terminal), ps, a hangup, script, python pty.fork and expect.
. "$(dirname "$0")/lib.sh"
diff_setup
if [ "$(id -u)" != 0 ] || ! unshare --pid --fork --mount-proc true 2>/dev/null; then
    tap_skip "ptys and job control" "needs root (a native PID namespace; the sandbox's own devpts)"
    done_testing
    exit
fi
DIFF_ENV+=(TERM=dumb 'PS1=$ ')

# (ptyrun's command is named by a path both sides have: a copy in scratch)
copy_t_tty() { cp "$PROGS/t_tty" "$SCRATCH/"; }
diff_run -P -p copy_t_tty -n "t_tty: foreground group, SIGTTIN/SIGTTOU, orphaned group, SIGHUP at the leader's exit" \
    -- /tests/ptyrun -- ./t_tty

# ps over /proc: the terminal, the session leader mark and the foreground
# mark ("+": tpgid, field 8 of stat, is the process's group, in sandbox
# terms); not the state letter (R or S, by timing) nor the pty's number
# (natively, the host's next free one).
diff_run -P -n "ps under a pty: TT, the foreground '+', tpgid of the shell and of its job" -- /tests/ptyrun -- \
    /bin/sh -c 'set -m; ps -o tty=,stat=,tpgid=,pgid=,comm= >ps.out
        awk "{sub(/[0-9]+\$/, \"N\", \$1); print \$1, substr(\$2, 2), \$5; t[\$5] = \$3; g[\$5] = \$4}
             END {print t[\"sh\"] == g[\"ps\"], t[\"ps\"] == g[\"ps\"]}" ps.out'

# The terminal goes away (ptyrun closes the master): its session leader
# gets SIGHUP.
hangup_script() {
    cp "$PROGS/ptyrun" "$SCRATCH/"
    cat >"$SCRATCH/hup.sh" <<'SH'
trap 'echo "got SIGHUP" >hup.txt; exit 0' HUP
echo READY
read x
echo "read returned $?" >hup.txt
SH
}
diff_run -P -p hangup_script -n "hangup of the master: SIGHUP to the session leader" -- /bin/sh -c \
    './ptyrun -h READY -- sh hup.sh; echo "status $?"; cat hup.txt'

jobs_script() {
    cat >"$SCRATCH/jc.sh" <<'SH'
set -m
echo start
sleep 100 &
jobs
kill %1
wait $!; echo "wait status $?"
sh -c 'echo READY; exec cat'
echo "stopped status $?"
jobs
bg
wait %1 2>/dev/null; echo "after bg status $?"  # (a job stopped before the wait: a warning)
jobs
stty -echo
echo FG-NOW
fg
echo "fg status $?"
stty tostop
sh -c 'echo out' &
wait %1 2>/dev/null; echo "tostop status $?"
jobs
stty -tostop
fg
echo "fg status $?"
(exit 3) & (exit 5) &
wait -n; a=$?; wait -n; b=$?; echo "wait -n: $((a + b))"
echo end
SH
}
diff_run -P -p jobs_script -n "bash set -m: jobs, kill %1, ^Z, bg (SIGTTIN), fg, tostop (SIGTTOU), wait -n" \
    -- /tests/ptyrun -e 'READY\n' '\032' -e FG-NOW 'hello\n\004' -- /bin/bash --norc --noprofile jc.sh

# An interactive shell, typed at its prompts (readline on; "[1] PID" has the pid masked).
interactive_script() {
    cat >"$SCRATCH/bi.sh" <<SH
P=/tests/ptyrun; [ -x \$P ] || P=$PROGS/ptyrun  # natively, the host's path
SH
    cat >>"$SCRATCH/bi.sh" <<'SH'
$P -e '$ ' 'sleep 100 &\n' -e '$ ' 'jobs\n' -e '$ ' 'kill %1; wait $!; echo st=$?\n' \
   -e '$ ' "sh -c 'echo RE\"\"ADY; exec cat'\n" -e 'READY\n' '\032' \
   -e '$ ' 'bg; wait %1 2>/dev/null; echo st=$?\n' -e '$ ' 'fg\n' -e "exec cat'" 'hello\n\004' \
   -e '$ ' "sh -c 'echo IN\"\"T; exec sleep 100'\n" -e 'INT\n' '\003' -e '$ ' 'echo st=$?\n' \
   -e '$ ' 'exit 7\n' -- ${SHELL_CMD:-bash} --norc --noprofile -i >out
st=$?
sed 's/\[1\] [0-9]*$/[1] PID/' out
exit $st
SH
}
diff_run -P -s 7 -p interactive_script -n "bash -i under a pty: jobs, kill %1, ^Z, bg, fg, ^C, exit" -- /bin/sh bi.sh

# graphene itself on a terminal: ptyrun, natively, makes a pty and runs
# `graphene run` of bash -i on it as the session leader, so the sandbox's
# pid 1 leads the host's session of that terminal. The same session as
# natively.
reset_scratch
interactive_script
NATIVE_PIDNS=1 run_native native /dev/null "" /bin/sh bi.sh
nat=$status
mv "$OUT/native.out" "$OUT/native-i.out"
reset_scratch
interactive_script
write_manifest /bin/bash /tmp
shell_cmd="$GRAPHENE run $MANIFEST --"
[ "$NATIVE_ONLY" = 1 ] && shell_cmd=bash
(cd "$SCRATCH" && exec timeout -k 5 "$DIFF_TIMEOUT" env -i "${DIFF_ENV[@]}" \
    ${GRAPHENE_RUNTIME_DIR:+"GRAPHENE_RUNTIME_DIR=$GRAPHENE_RUNTIME_DIR"} \
    "SHELL_CMD=$shell_cmd" /bin/sh bi.sh) >"$OUT/hostterm.out" 2>"$OUT/hostterm.err"
st=$?
[ "$nat" = 7 ] && [ "$st" = 7 ] && cmp -s "$OUT/native-i.out" "$OUT/hostterm.out"
ok=$?
[ $ok = 0 ] || diag "status: native $nat, graphene on the terminal $st" \
    "$(diff -u "$OUT/native-i.out" "$OUT/hostterm.out" | tail -n +3 | head -40)" "$(tail -5 "$OUT/hostterm.err")"
tap_ok $ok "graphene run of bash -i as a terminal's session leader: the same session as natively"

diff_run -P -s 3 -n "script -qec CMD /dev/null: a pty inside" -- /bin/script -qec \
    'tty | sed "s/[0-9]*$/N/"; stty -a | head -1 | cut -d";" -f1; echo hi; exit 3' /dev/null

diff_run -P -n "python pty.fork: the child leads a session on the pty" -- /usr/bin/python3 -c 'import os, pty
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", "tty | sed s/[0-9]*$/N/; echo $$ leads session $(ps -o sid= -p $$)"])
out = b""
while True:
    try:
        d = os.read(fd, 1024)
    except OSError:  # EIO: the child is gone
        break
    if not d:
        break
    out += d
print(out.decode().replace("\r", ""), end="")
print("exit", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))'

if [ -x /usr/bin/expect ]; then
    diff_run -P -n "expect: spawn, expect, send, wait" -- /bin/expect -c 'log_user 0
        spawn sh -c {echo READY; read x; echo "got $x"; exit 4}
        expect READY; send "hello\r"; expect "got hello"; puts matched
        expect eof; lassign [wait] pid spawnid os status; puts "status $status"'
else
    tap_skip "expect" "expect is not installed (make deps)"
fi
done_testing
