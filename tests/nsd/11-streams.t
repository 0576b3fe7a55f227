#!/bin/bash
# nsd removes the RPC stream socket a process left when it learns of its
# end (nsd/streams.c): only a socket in its own stream directory that
# nobody listens on. Attack: a simulated picoprocess registers, as its
# stream address, a live process's socket, a file, a symlink, a socket
# outside the directory and a path that climbs out of it, then is killed
# by SIGKILL: each of those is left alone, while a stale
# socket it names is removed.
. "$(dirname "$0")/lib.sh"
make -s -C "$ROOT" build/tests/nsd/nsd_testclient >&2 || { echo "Bail out! build"; exit 1; }
start_nsd a
wait_leader; ok $? "nsd is up"
R=$D/rpc
[ "$(stat -c %a "$R")" = 1733 ]; ok $? "its stream directory $R (mode $(stat -c %a "$R"))"
# A socket bound by a process that is gone: nobody listens on it.
stale() { python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"; }
mkfifo "$D/listener.in" "$D/listener.up"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()
print("up", flush=True); sys.stdin.read()' "$R/live" < "$D/listener.in" > "$D/listener.up" &
exec {lin}>"$D/listener.in"
read -r up < "$D/listener.up"
echo x > "$R/file"
stale "$D/outside"
ln -s "$D/outside" "$R/link"
stale "$R/stale"

# claim NAME PATH: a simulated picoprocess of sandbox NAME registers with
# stream address PATH and holds (its stdin is a fifo nobody closes).
mkfifo "$D/hold.in"
exec {hin}<>"$D/hold.in"
claim() {
    local secret fout
    secret=$("$CTL" --nsd "$SOCK" sandbox create "$1") || return 1
    mkfifo "$D/$1.out"
    SIM_STREAM=$2 "$TC" "$SOCK" hold "$1" "$secret" <&$hin > "$D/$1.out" &
    eval "HOLD_$1=$!"
    exec {fout}<"$D/$1.out"
    read -r ready _ <&$fout
    exec {fout}<&-
    [ "$ready" = ready ] && "$CTL" --nsd "$SOCK" ps --sandbox "$1" | grep -q ' live '
}
# lost NAME: nsd took its processes for lost (killed by SIGKILL, they sent
# no Exit) at the drop of their connections or at its next sweep.
lost() {
    local ps
    for _ in $(seq 200); do
        ps=$("$CTL" --nsd "$SOCK" ps --sandbox "$1") && ! echo "$ps" | grep -q ' live ' && return 0
        sleep 0.05
    done
    return 1
}
CASES="live:$R/live file:$R/file link:$R/link out:$D/outside climb:$R/../outside stale:$R/stale"
for c in $CASES; do
    claim "${c%%:*}" "${c#*:}"; ok $? "a process of sandbox ${c%%:*} registered with stream address ${c#*:}"
done
for c in $CASES; do eval "kill -9 \$HOLD_${c%%:*}"; done
wait $(for c in $CASES; do eval "echo \$HOLD_${c%%:*}"; done) 2>/dev/null
for c in $CASES; do
    lost "${c%%:*}"; ok $? "killed by SIGKILL: nsd has no process of sandbox ${c%%:*} live"
done
[ -S "$R/live" ]; ok $? "the live process's socket is still there"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$R/live"; ok $? "and still listened on"
[ "$(cat "$R/file")" = x ]; ok $? "the file is still there"
[ -L "$R/link" ]; ok $? "the symlink is still there"
[ -S "$D/outside" ]; ok $? "the stale socket outside the directory is still there"
[ ! -e "$R/stale" ]; ok $? "the stale socket in the directory was removed"
exec {lin}>&- {hin}>&-
done_testing
