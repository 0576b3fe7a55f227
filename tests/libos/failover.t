#!/bin/bash
# Faults under a running sandbox (issue 6, item 8). (1) A raft group of
# three nsd nodes (unix sockets in one directory, given to the launcher as
# a list): kill -9 of the leader while a sandbox runs a shell loop of 200
# processes, and again (the node back) while it runs make -j2 of a C
# program; the loop's output and exit status are those of a run without
# the kill, the picoprocesses reconnect to the new leader by themselves
# (following the list and Redirects), and nsd's
# record of the sandbox ends with no process left live or lost. (2) SIGKILL
# of a picoprocess in fork-heavy work (a subshell forking in a loop): its
# parent sees it killed by SIGKILL, the work goes on, nothing hangs.
# Handshakes through fifos, no sleeps as synchronization.
. "$(dirname "$0")/../nsd/lib.sh"
. "$ROOT/tests/lib/sandbox.sh"
cd "$ROOT"
[ -x bin/graphene ] && [ -f lib/libos ] || { echo "1..0 # SKIP bin/graphene or lib/libos not built"; exit 0; }
chmod 711 "$D" # picoprocesses reach the nodes' sockets as their sandbox's uid
for i in 1 2 3; do start_node $i; done
L=$(wait_leader_node); ok $? "a leader is elected: node $L"
mkdir -m 777 "$D/s"
mkfifo -m 666 "$D/s/half"
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$D/s" > "$D/m.toml"
RUN="bin/graphene run --nsd $CLUSTER"
# 200 processes: a command substitution and an echo in each round.
LOOP='i=0; s=0
while [ $i -lt 200 ]; do
    s=$((s + $(/bin/echo $i)))
    i=$((i + 1))
    [ $i = 60 ] && [ -p /tmp/half ] && echo $i > /tmp/half
done
echo "$i rounds, sum $s"'

# Without a fault (no fifo: the loop does not stop at it).
rm "$D/s/half"
out=$($RUN "$D/m.toml" -- -c "$LOOP" 2>"$D/ref.err"); rc=$?
ok $(( rc != 0 )) "the loop without a fault exits 0"
[ "$out" = "200 rounds, sum 19900" ]; ok $? "and prints its sum ($out)"
ref=$out

# kill -9 of the leader when the loop is at round 60.
mkfifo -m 666 "$D/s/half"
"$CTL" --nsd "$CLUSTER" sandbox create fault > /dev/null
$RUN --sandbox fault "$D/m.toml" -- -c "$LOOP" > "$D/out" 2>"$D/err" &
g=$!
read -r at < "$D/s/half"
old=$(leader_node)
kill -9 "$(eval echo "\$PID_$old")"
wait $g; rc=$?
ok $rc "with the leader ($old) killed at round $at: the loop exits 0"
[ "$(cat "$D/out")" = "$ref" ]; ok $? "the same output ($(cat "$D/out"))"
new=$(wait_leader_node "$old"); ok $? "another node leads now ($new)"
# remaining REGEX: the rows of the sandbox in a state matching REGEX, once
# nsd has applied the last Exit and Reap (sent without waiting): up to 5 s.
remaining() {
    for _ in $(seq 100); do
        left=$("$CTL" --nsd "$CLUSTER" ps --sandbox fault | awk -v re="$1" 'NR > 1 && $6 ~ re')
        [ -z "$left" ] && return
        sleep 0.05
    done
}
remaining '^(live|lost)$'
[ -z "$left" ]; ok $? "no process of the sandbox is left live or lost in nsd ($left)"
grep -v 'warning: unsupported' "$D/err" | sed 's/^/# /' | head -5

# make -j2 of a small C project (gcc: driver, cc1, as, ld), kill -9 of
# the leader when the compile of the 4th of 7 files is done. A sleeper
# started before lives across the failover; every recipe's shell logs its
# pid. Same output as without the kill; then nsd has exactly pid 1 and the
# sleeper live (each once, at its own host pid), no recipe shell left, and
# no pid was given twice.
# The killed node comes back (its journal, as a follower): a group of
# three again, which survives another leader's death.
start_node "$old"
wait_converged 1 2 3; ok $? "node $old is back and caught up"
rm "$D/s/half"
mkdir -m 777 "$D/s/proj"
for i in 1 2 3 4 5 6; do
    printf 'int f%d(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %d; return s; }\n' $i $i > "$D/s/proj/m$i.c"
done
cat > "$D/s/proj/main.c" <<'C'
#include <stdio.h>
int f1(int), f2(int), f3(int), f4(int), f5(int), f6(int);
int main(void) { printf("%d %d %d %d %d %d\n", f1(10), f2(10), f3(10), f4(10), f5(10), f6(10)); return 0; }
C
cat > "$D/s/proj/Makefile" <<'MK'
OBJS := main.o m1.o m2.o m3.o m4.o m5.o m6.o
prog: $(OBJS)
	gcc -o $@ $(OBJS)
%.o: %.c
	@echo $$$$ >> /tmp/recipes; gcc -O1 -c $< -o $@
	@if [ $@ = m3.o ] && [ -p /tmp/half ]; then echo $@ > /tmp/half; fi
MK
chmod 666 "$D/s/proj"/*
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$D/s" 'loader.env.PATH = "/usr/bin:/bin"' > "$D/mk.toml"
MAKE='/bin/sleep 1000 & s=$!
cd /tmp/proj && make -s -j2 && ./prog; r=$?
echo "sleeper $s" > /tmp/mkids
read x < /tmp/mkids
kill $s; wait $s 2>/dev/null; echo "make and prog: $r"'
mkfifo -m 666 "$D/s/mkids"
# run_make SANDBOX OUT: the workload in a clean tree; its output in OUT.
run_make() {
    rm -f "$D/s/proj"/*.o "$D/s/proj/prog" "$D/s/recipes"
    $RUN --sandbox "$1" "$D/mk.toml" -- -c "$MAKE" > "$2" 2>"$2.err" &
    g=$!
}
run_make mkref "$D/mkref.out"
read -r _ s < "$D/s/mkids"; echo go > "$D/s/mkids"
wait $g; ok $? "make -j2 without a fault exits 0"
ref=$(cat "$D/mkref.out")
[ "$ref" = "$(printf '%s\n' "45 90 135 180 225 270" "make and prog: 0")" ]
ok $? "and builds and runs the program ($(tr '\n' '|' < "$D/mkref.out"))"
mkfifo -m 666 "$D/s/half"
"$CTL" --nsd "$CLUSTER" sandbox create mkfault > /dev/null
run_make mkfault "$D/mk.out"
read -r at < "$D/s/half"
old=$(leader_node)
kill -9 "$(eval echo "\$PID_$old")"
read -r _ s < "$D/s/mkids"
new=$(wait_leader_node "$old"); ok $? "with the leader ($old) killed after $at: another node leads ($new)"
# live: the sandbox's live rows (pid, host pid), once the last Exits and
# Reaps are applied; other rows (zombie, lost) must not remain.
for _ in $(seq 200); do
    rows=$("$CTL" --nsd "$CLUSTER" ps --sandbox mkfault | awk '$1 == "mkfault" { print $2, $6, $8 }' | sort -n)
    [ "$(echo "$rows" | awk '{print $1, $2}' | tr '\n' ' ')" = "1 live $s live " ] && break
    sleep 0.05
done
[ "$(echo "$rows" | awk '{print $1, $2}' | tr '\n' ' ')" = "1 live $s live " ]
ok $? "nsd's record of the sandbox: pid 1 and the sleeper ($s), live, nothing else ($(echo "$rows" | tr '\n' ' '))"
hs=$(echo "$rows" | awk -v p="$s" '$1 == p { print $3 }')
h1=$(echo "$rows" | awk '$1 == 1 { print $3 }')
[ -n "$hs" ] && [ "$h1" = "$g" ] && [ "$(awk '{print $4}' "/proc/$hs/stat" 2>/dev/null)" = "$h1" ]
ok $? "each at its own host process: pid 1 at the launcher's ($h1), the sleeper at its child ($hs)"
[ "$(wc -l < "$D/s/recipes")" = 7 ] && [ "$(sort -u "$D/s/recipes" | wc -l)" = 7 ]
ok $? "7 recipe shells, 7 distinct pids ($(sort -n "$D/s/recipes" | tr '\n' ' '))"
echo go > "$D/s/mkids"
wait $g; ok $? "make -j2 with the leader killed exits 0"
[ "$(cat "$D/mk.out")" = "$ref" ]; ok $? "with the same output"
grep -v 'warning: unsupported' "$D/mk.out.err" | sed 's/^/# /' | head -5

# SIGKILL of a subshell that forks in a loop; its parent waits for it.
mkfifo -m 666 "$D/s/ids"
WORK='( while :; do /bin/true; done ) & p=$!
echo $p > /tmp/ids
read x < /tmp/ids
wait $p; echo "forker: $?"
i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i + 1)); done; echo "then $i more"'
$RUN --sandbox fault "$D/m.toml" -- -c "$WORK" > "$D/out2" 2>"$D/err2" &
g=$!
read -r p < "$D/s/ids"
# Its host pid from nsd (once its registration, sent without waiting, is
# in); it forks all along, so kill it while it does.
for _ in $(seq 200); do
    hp=$("$CTL" --nsd "$CLUSTER" ps --sandbox fault | awk -v p="$p" '$1 == "fault" && $2 == p && $6 == "live" { print $8 }')
    [ -n "$hp" ] && break
    sleep 0.05
done
[ -n "$hp" ] && kill -9 "$hp"
echo go > "$D/s/ids"
wait $g; rc=$?
ok $rc "the shell whose forking child was killed exits 0"
[ "$(cat "$D/out2")" = "forker: 137
then 20 more" ]; ok $? "its parent saw it killed by SIGKILL and went on ($(tr '\n' ' ' < "$D/out2"))"
remaining '^live$'
[ -z "$left" ]; ok $? "no process of the sandbox is left live ($left)"
done_testing
