#!/bin/bash
# Picoprocesses killed by SIGKILL (issue 6, items 3 and 8; no chance to say
# goodbye). (1) A long-running sandbox whose children are SIGKILLed by the
# hundred keeps no RPC stream listener of theirs (abstract names, gone with
# their sockets; the files of listen_at's fallback nsd removes as it learns
# of their ends: tests/nsd/11-streams.t); an embedded nsd leaves no file at
# its end.
# (2) SIGKILL at chosen moments of a picoprocess: during fork (before it
# registered with nsd), during exit, with a child; pid 1 with a child.
# Handshakes through fifos; waits for nsd's asynchronous work are bounded
# polls of its result, never sleeps as synchronization.
. "$(dirname "$0")/../nsd/lib.sh"
. "$ROOT/tests/lib/sandbox.sh"
cd "$ROOT"
[ -x bin/graphene ] && [ -f lib/libos ] || { echo "1..0 # SKIP bin/graphene or lib/libos not built"; exit 0; }
chmod 711 "$D" # picoprocesses reach nsd's socket as their sandbox's uid
# eventually CMD...: CMD succeeds within 60 s (nsd applies Exits, Reaps
# and dropped connections after the app goes on; on a loaded 2-core
# machine, 150 of them took more than 10 s).
eventually() {
    for _ in $(seq 1200); do "$@" && return 0; sleep 0.05; done
    return 1
}
start_nsd nsd
until "$CTL" --nsd "$SOCK" nsd status > /dev/null 2>&1; do sleep 0.05; done
mkdir -m 777 "$D/s"
mkfifo -m 666 "$D/s/up" "$D/s/ids" "$D/s/go"
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$D/s" > "$D/sh.toml"
RUN="bin/graphene run --nsd $SOCK"

# (1) 150 children, each killed by SIGKILL once it runs (it said so: its
# socket exists), reaped by the shell; then the shell waits.
STORM='i=0; while [ $i -lt 150 ]; do
    /bin/sh -c "echo > /tmp/up; exec /bin/sleep 1000" &
    read x < /tmp/up
    kill -9 $!
    wait $!; r=$?
    i=$((i + 1))
done
echo "$i killed, the last: $r" > /tmp/ids
read x < /tmp/go'
$RUN --sandbox storm "$D/sh.toml" -- -c "$STORM" > "$D/out" 2>"$D/err" &
g=$!
read -r res < "$D/s/ids"
[ "$res" = "150 killed, the last: 137" ]; ok $? "150 children killed by SIGKILL, reaped ($res)"
# RPC listeners: abstract names, which go with their sockets (libos/rpc.c).
sockets() { grep -c "@$D/rpc/" /proc/net/unix; }
eventually eval '[ "$(sockets)" = 1 ]'
ok $? "the sandbox lives on with one RPC listener left, its pid 1's ($(sockets))"
[ -z "$(ls "$D/rpc")" ]; ok $? "and no socket file in the stream directory ($(ls "$D/rpc"))"
echo go > "$D/s/go"
wait $g; ok $? "the shell exits 0"
eventually eval '[ "$(sockets)" = 0 ]'; ok $? "and no listener is left ($(grep "@$D/rpc/" /proc/net/unix))"

# The embedded nsd: a storm of kills in a run of its own, and pid 1 killed
# by SIGKILL from the host in a second one; its end leaves no file at all.
RT=$D/rt
GRAPHENE_RUNTIME_DIR=$RT bin/graphene run "$D/sh.toml" -- -c "${STORM/150/30}" > "$D/out" 2>"$D/err" &
g=$!
read -r res < "$D/s/ids"
[ "$res" = "30 killed, the last: 137" ]; ok $? "under the embedded nsd: 30 children killed ($res)"
P=$("$CTL" --nsd "$RT/nsd.sock" nsd status | awk '$1 == "leader" {print $3}')
GRAPHENE_RUNTIME_DIR=$RT bin/graphene run "$D/sh.toml" -- -c 'echo > /tmp/up; read x < /tmp/go' > "$D/out2" 2>"$D/err2" &
g2=$!
read -r x < "$D/s/up"
kill -9 $g2; { wait $g2; } 2>/dev/null; rc=$?
ok $(( rc != 137 )) "a second run, its pid 1 killed by SIGKILL from the host ($rc)"
echo go > "$D/s/go"
wait $g; ok $? "the first run exits 0"
eventually [ ! -e "$RT" ]; ok $? "the embedded nsd ended with its last sandbox and left nothing ($(ls -R "$RT" 2>&1 | tr '\n' ' '))"
[ -n "$P" ] && eventually eval '! kill -0 "$P" 2>/dev/null'; ok $? "its process ($P) is gone"

# (2) SIGKILL at chosen moments (tests/progs/t_killed.c as pid 1). The
# moment is held from outside: with nsd stopped (SIGSTOP; a lone nsd is
# waited for, never timed out), a fork child has sent its hello (over its
# parent's ticket) and Register and runs on, but nsd has taken neither, and
# a process with a child waits in its exit for nsd to take its Exit; the
# test sees it there and kills it.
sandbox_manifest /tests/t_killed "/tmp=$D/s" "/tests=$ROOT/build/tests/progs" > "$D/k.toml"
# rows SANDBOX: its processes in nsd's record as "pid ppid state host_pid".
rows() { "$CTL" --nsd "$SOCK" ps --sandbox "$1" | awk -v s="$1" '$1 == s { print $2, $3, $6, $8 }'; }
# blocked_on_socket HOSTPID: it sleeps in a read of a socket (nsd's).
blocked_on_socket() {
    local nr fd
    read -r nr fd _ < "/proc/$1/syscall" 2>/dev/null || return 1
    [ "$nr" = 0 ] && [[ $(readlink "/proc/$1/fd/$((fd))") == socket:* ]]
}
grep_fail() { ! grep -v '^ok ' "$1"; }
# passed FILE N: the program's output FILE is N ok lines and nothing else.
passed() { [ "$(grep -c '^ok ' "$1")" = "$2" ] && grep_fail "$1"; }
# asleep HOSTPID: it sleeps (state S: the fork child in its pause()).
asleep() { [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = S ]; }

# During fork: the child exists on the host, nsd has neither its parent's
# Register of it nor its own.
$RUN --sandbox kfork "$D/k.toml" -- fork /tmp/ids /tmp/go > "$D/kf.out" 2>"$D/kf.err" &
g=$!
read -r x < "$D/s/ids"
kill -STOP "$PID_nsd"
echo go > "$D/s/go"
read -r c < "$D/s/ids"
hc=$(cat /proc/$g/task/*/children | tr -d ' ')
eventually asleep "$hc"; ok $? "during fork: the child (pid $c, host $hc) runs while the stopped nsd has not taken its registration"
kill -9 "$hc"
kill -CONT "$PID_nsd"
read -r x < "$D/s/ids"
passed "$D/kf.out" 2
ok $? "killed there: its parent's SIGCHLD says CLD_KILLED, SIGKILL, and its wait killed by SIGKILL ($(tr '\n' '|' < "$D/kf.out"))"
eventually eval '[ "$(rows kfork)" = "1 0 live $g" ]'; ok $? "nsd's record: pid 1 alone, the child is gone ($(rows kfork | tr '\n' '|'))"
echo go > "$D/s/go"
wait $g; ok $? "the program exits 0"

# Killed before it sent its registration: the second of two children forked
# with nsd stopped waits for nsd's hello (no ticket left), the test kills it
# there. Its parent has not waited: nsd's sweep records it lost (its
# parent's zombie), never live, until the wait removes it.
$RUN --sandbox kunreg "$D/k.toml" -- unreg /tmp/ids /tmp/go > "$D/ku.out" 2>"$D/ku.err" &
g=$!
read -r x < "$D/s/ids"
kill -STOP "$PID_nsd"
echo go > "$D/s/go"
read -r c0 c1 < "$D/s/ids"
hc1=$(awk '{ print $2 }' /proc/$g/task/$g/children) # the kernel lists children in fork order
eventually blocked_on_socket "$hc1"
ok $? "before its registration: the second child (pid $c1, host $hc1) waits for the stopped nsd's hello"
kill -9 "$hc1"
kill -CONT "$PID_nsd"
eventually eval '[ "$(rows kunreg | awk -v p="$c1" '"'"'$1 == p'"'"')" = "$c1 1 lost(9) $hc1" ]'
ok $? "killed there, before its parent's wait: nsd records it lost, not live ($(rows kunreg | tr '\n' '|'))"
echo go > "$D/s/go"
read -r x < "$D/s/ids"
passed "$D/ku.out" 3
ok $? "its parent's SIGCHLD and wait say killed by SIGKILL ($(tr '\n' '|' < "$D/ku.out"))"
eventually eval '[ "$(rows kunreg)" = "1 0 live $g" ]'; ok $? "once reaped: pid 1 alone ($(rows kunreg | tr '\n' '|'))"
echo go > "$D/s/go"
wait $g; ok $? "the program exits 0"

# During exit, with a child: the parent (a subreaper) sees it killed,
# adopts its child and reaps it.
$RUN --sandbox kexit "$D/k.toml" -- exit /tmp/ids /tmp/go > "$D/ke.out" 2>"$D/ke.err" &
g=$!
read -r e c < "$D/s/ids"
# Their host pids, once their own registrations are in.
hostpid() { rows kexit | awk -v p="$1" '$1 == p && $3 == "live" { print $4 }'; }
eventually eval '[ -n "$(hostpid "$e")" ] && [ -n "$(hostpid "$c")" ]'
he=$(hostpid "$e") s=$(rows kexit | awk -v p="$e" '$1 == p { print $2 }')
kill -STOP "$PID_nsd"
echo go > "$D/s/go"
eventually blocked_on_socket "$he"; ok $? "during exit: the process (pid $e, host $he) with a child (pid $c) waits in its exit for the stopped nsd"
kill -9 "$he"
kill -CONT "$PID_nsd"
read -r x < "$D/s/ids"
[ "$x" = adopted ]; ok $? "its parent, a subreaper, saw it killed and adopted its child"
eventually eval '[ "$(rows kexit | grep -v "^1 ")" = "$s 1 live $(hostpid "$s")
$c $s live $(hostpid "$c")" ]'
ok $? "nsd's record: it is gone, its child is the subreaper's ($(rows kexit | tr '\n' '|'))"
echo go > "$D/s/go"
read -r x < "$D/s/ids"
eventually eval '[ "$(rows kexit)" = "1 0 live $g" ]'; ok $? "once the orphan is reaped: pid 1 alone ($(rows kexit | tr '\n' '|'))"
echo go > "$D/s/go"
wait $g; ok $? "the program exits 0"
passed "$D/ke.out" 7
ok $? "every check of the program passed ($(tr '\n' '|' < "$D/ke.out"))"

# pid 1 killed by SIGKILL with a child: no chance to end its sandbox
# itself, so nsd kills the rest of it, as a PID namespace ends with its init.
$RUN --sandbox kinit "$D/sh.toml" -- -c '/bin/sleep 1000 & echo $! > /tmp/ids; wait' > "$D/ki.out" 2>"$D/ki.err" &
g=$!
read -r c < "$D/s/ids"
hostpid() { rows kinit | awk -v p="$1" '$1 == p && $3 == "live" { print $4 }'; }
eventually eval '[ -n "$(hostpid "$c")" ]'
hc=$(hostpid "$c")
kill -9 $g; { wait $g; } 2>/dev/null; rc=$?
ok $(( rc != 137 )) "pid 1, with a child (pid $c, host $hc), killed by SIGKILL from the host ($rc)"
eventually eval '! kill -0 "$hc" 2>/dev/null'; ok $? "its child is killed too"
eventually eval '! rows kinit | grep -q live'; ok $? "and nsd has no process of the sandbox live ($(rows kinit | tr '\n' '|'))"

done_testing
