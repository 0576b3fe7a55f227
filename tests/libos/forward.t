#!/bin/bash
# A follower forwards its picoprocesses' connections to the leader over the
# sealed node link (nsd/raftlink.c): a sandbox given only a follower's unix
# socket forks, kills and reads /proc with the leader elsewhere, and goes on
# across a kill -9 of the leader (the follower fails what it forwarded, the
# libos retries the same request ids at the same socket, forwarded anew).
# Handshakes through fifos, no sleeps as synchronization.
. "$(dirname "$0")/../nsd/lib.sh"
. "$ROOT/tests/lib/sandbox.sh"
cd "$ROOT"
[ -x bin/graphene ] && [ -f lib/libos ] || { echo "1..0 # SKIP bin/graphene or lib/libos not built"; exit 0; }
# A node forwards only to a leader on another host: each node runs as a
# host of its own (a UTS namespace with its own hostname).
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the nodes need hostnames of their own (unshare --uts): needs root"; exit 0; }
chmod 711 "$D" # picoprocesses reach the nodes' sockets as their sandbox's uid
export NSD_BIN=$NSD; NSD=$ROOT/tests/libos/hostname.sh
for i in 1 2 3; do NODE_HOST=node-host-$i start_node $i; done
L=$(wait_leader_node); ok $? "a leader is elected: node $L"
F=$(( L % 3 + 1 ))
mkdir -m 777 "$D/s"
mkfifo -m 666 "$D/s/half"
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$D/s" > "$D/m.toml"
# Each round: a fork (command substitution), a forking child killed by its
# parent once /proc shows it as the parent's, and the parent's wait for it.
# (A child shows in /proc once its registration is applied; one that forks
# re-sends it at once across the failover, a sleeping one would not until
# it next calls nsd.)
WORK='i=0; s=0; k=0
while [ $i -lt 30 ]; do
    s=$((s + $(/bin/echo $i)))
    ( while :; do /bin/true; done ) & p=$!
    n=0; until grep -q "^PPid:.$$\$" /proc/$p/status 2>/dev/null || [ $n = 200 ]; do n=$((n + 1)); done
    kill $p; wait $p; w=$?; [ $w = 143 ] && [ $n -lt 200 ] && k=$((k + 1)) || echo "round $i: $n tries, status $w" >&2
    i=$((i + 1))
    [ $i = 10 ] && [ -p /tmp/half ] && echo $i > /tmp/half
done
echo "$i rounds, sum $s, $k killed"'
REF="30 rounds, sum 435, 30 killed"
"$CTL" --nsd "$CLUSTER" sandbox create fwd > /dev/null; ok $? "a sandbox"
RUN="bin/graphene run --nsd $D/n$F.sock --sandbox fwd"

rm "$D/s/half"
out=$($RUN "$D/m.toml" -- -c "$WORK" 2>"$D/err1"); rc=$?
ok $rc "through follower $F only (leader $L): the sandbox exits 0"
[ "$out" = "$REF" ]; ok $? "forks, kills and reads /proc ($out)"
grep -q "forwarding clients to the leader, node $L " "$D/n$F.log"; ok $? "node $F forwarded it to node $L"

# kill -9 of the leader at round 10.
mkfifo -m 666 "$D/s/half"
$RUN "$D/m.toml" -- -c "$WORK" > "$D/out" 2>"$D/err2" &
g=$!
read -r at < "$D/s/half"
kill -9 "$(eval echo "\$PID_$L")"
wait $g; rc=$?
ok $rc "with the leader ($L) killed at round $at: the sandbox exits 0"
[ "$(cat "$D/out")" = "$REF" ]; ok $? "the same output ($(cat "$D/out"))"
new=$(wait_leader_node "$L"); ok $? "node $new leads now"
[ "$new" = "$F" ] || grep -q "forwarding clients to the leader, node $new " "$D/n$F.log"
ok $? "node $F served it itself or forwarded it to the new leader"
grep -hv "warning: unsupported\|Terminated" "$D/err1" "$D/err2" | sed 's/^/# /' | head -5
done_testing
