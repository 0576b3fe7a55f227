#!/bin/bash
# Registration, leases, exit/reap/lost, process groups and sessions, and
# hostile input, with simulated picoprocess clients.
. "$(dirname "$0")/lib.sh"
PORT=$((20000 + RANDOM % 20000))
start_nsd a --tcp 127.0.0.1:$PORT
wait_leader; ok $? "nsd leads and answers"
[ "$(stat -c %a "$DB")" = 600 ] && [ "$(stat -c %a "$SOCK")" = 666 ]
ok $? "journal (holds sandbox secrets) is private, socket open to all (MAC-authenticated)"
# A client that connects and never says hello (checked at the end).
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(20); t=time.time(); d=b"x"
while d: d=s.recv(4096)
print(round(time.time()-t,1))' "$SOCK" > "$D/silent.out" 2>&1 &
SILENT=$!
tap_run "$TC" "$SOCK" basic
tap_run "$TC" "$SOCK" pgrp
tap_run "$TC" "$SOCK" bad
tap_run "$TC" "$SOCK" ticket
tap_run "$TC" "$SOCK" pipeline "$PID_a"
kill -0 "$PID_a"; ok $? "nsd survived the hostile clients"

# TCP: picoprocesses authenticate by MAC as on the unix socket; admin is
# refused (no peer credentials).
secret=$("$CTL" --nsd "$SOCK" sandbox create tcpbox)
"$TC" "tcp:127.0.0.1:$PORT" load tcpbox "$secret" 50 "$D/tcpload" >/dev/null
ok $? "picoprocess over TCP registers and runs 50 operations"
verify_acks "$D/tcpload" tcpbox; ok $? "its operations are journaled once"
out=$("$CTL" --nsd "tcp:127.0.0.1:$PORT" ps 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"admin needs the local unix socket"* ]]; ok $? "admin over TCP refused: $out"
grep -q "closing connection .*: oversized frame" "$D/a.log"; ok $? "reason for closing is logged"
wait $SILENT
grep -q "closing connection .*: no hello in time" "$D/a.log"; ok $? "silent connection dropped after $(cat "$D/silent.out") s without hello"
# The protocol core must stay linkable into the freestanding libos.
extra=$(nm -u "$ROOT/build/nsd/client/nsdc.o" | awk '{print $2}' | grep -Ev '^(memcpy|memset|nsd__.*|protobuf_c_.*)$')
[ -z "$extra" ]; ok $? "client protocol core needs only memcpy/memset and protobuf-c${extra:+ (also: $extra)}"
done_testing
