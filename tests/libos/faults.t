#!/bin/bash
# Picoprocesses killed by SIGKILL (issue 6, items 3 and 8; no chance to say
# goodbye). (1) A long-running sandbox whose children are SIGKILLed by the
# hundred keeps no RPC stream socket of theirs: nsd removes what each left
# as it learns of its end; an embedded nsd leaves no file at its end.
# Handshakes through fifos; waits for nsd's asynchronous work are bounded
# polls of its result, never sleeps as synchronization.
. "$(dirname "$0")/../nsd/lib.sh"
. "$ROOT/tests/lib/sandbox.sh"
cd "$ROOT"
[ -x bin/graphene ] && [ -f lib/libos ] || { echo "1..0 # SKIP bin/graphene or lib/libos not built"; exit 0; }
chmod 711 "$D" # picoprocesses reach nsd's socket as their sandbox's uid
# eventually CMD...: CMD succeeds within 10 s (nsd applies Exits, Reaps
# and dropped connections after the app goes on).
eventually() {
    for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done
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
sockets() { find "$D/rpc" -type s | wc -l; }
eventually [ "$(sockets)" = 1 ]
ok $? "the sandbox lives on with one RPC socket left, its pid 1's ($(sockets))"
echo go > "$D/s/go"
wait $g; ok $? "the shell exits 0"
eventually [ "$(sockets)" = 0 ]; ok $? "and nothing is left in the stream directory ($(ls "$D/rpc"))"

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
kill -9 $g2; wait $g2; rc=$?
ok $(( rc != 137 )) "a second run, its pid 1 killed by SIGKILL from the host ($rc)"
echo go > "$D/s/go"
wait $g; ok $? "the first run exits 0"
eventually [ ! -e "$RT" ]; ok $? "the embedded nsd ended with its last sandbox and left nothing ($(ls -R "$RT" 2>&1 | tr '\n' ' '))"
[ -n "$P" ] && eventually eval '! kill -0 "$P" 2>/dev/null'; ok $? "its process ($P) is gone"

done_testing
