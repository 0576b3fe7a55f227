#!/bin/bash
# The traffic between raft nodes is sealed with the cluster key: a node with
# another key gets nothing of the log, a stranger's bytes on a raft port are
# dropped, and the wire never carries what the journals hold in clear.
. "$(dirname "$0")/lib.sh"
start_node 1; start_node 2
head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$D/other.key"
"$NSD" --node 3 --peers "$PEERS" --cluster-key "$D/other.key" --socket "$D/n3.sock" --journal "$D/n3.db" 2>>"$D/n3.log" &
PIDS+=($!); PID_3=$!; disown $!
L=$(wait_leader_node); ok $? "nodes 1 and 2 elect a leader (node $L) without node 3"
"$CTL" --nsd "$CLUSTER" sandbox create sealed-sandbox-name >/dev/null; ok $? "a sandbox is created"
for _ in $(seq 50); do grep -q "failed authentication" "$D/n3.log" "$D/n1.log" "$D/n2.log" && break; sleep 0.1; done
grep -q "failed authentication" "$D/n1.log" "$D/n2.log" "$D/n3.log"; ok $? "connections between other keys fail authentication"
[ -z "$(applied 3)" ] && ! sqlite3 "$D/n3.db" "SELECT name FROM sandboxes" | grep -q sealed; ok $? "node 3 (another key) has applied nothing"
"$CTL" --nsd "$D/n3.sock" nsd status | grep -q "^follower *3\|^candidate *3\|^unavailable *3"; ok $? "and leads nothing"
# A stranger: garbage, then a well-formed nonce and header with a wrong key.
port=${PEERS#*1=127.0.0.1:}; port=${port%%,*}
python3 -c 'import socket,sys,os; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(os.urandom(32+24+4+100)); s.settimeout(10)
try:
    while s.recv(4096): pass
except Exception: pass' "$port"; ok $? "a stranger's connection to node 1's raft port is closed"
kill -0 "$PID_1" && kill -0 "$PID_2"; ok $? "the nodes survive it"
# What the leader sends on the wire: the plaintext (the sandbox name) never.
strace -f -yy -e trace=write,writev,sendmsg -s 65536 -xx -p "$(eval echo "\$PID_$L")" -o "$D/wire" 2>/dev/null &
ST=$!
sleep 0.5
"$CTL" --nsd "$CLUSTER" sandbox create another-sealed-name >/dev/null; ok $? "a second sandbox"
sleep 0.5; kill "$ST"; wait "$ST" 2>/dev/null
hex=$(printf 'another-sealed-name' | od -An -tx1 | tr -d ' \n' | sed 's/../\\\\x&/g')
tcp=$(grep -c "TCP:" "$D/wire"); plain=$(grep "UNIX" "$D/wire" | grep -c "$hex")
[ "$tcp" -gt 0 ] && [ "$plain" -gt 0 ] && ! grep "TCP:" "$D/wire" | grep -q "$hex"
ok $? "the name is in raft's own writes ($plain), in none of the leader's $tcp writes to TCP"
done_testing
