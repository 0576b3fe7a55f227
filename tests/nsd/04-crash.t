#!/bin/bash
# kill -9 of nsd in the middle of 10,000 acknowledged operations, then a
# restart: every acknowledged operation is in the journal, none twice.
. "$(dirname "$0")/lib.sh"
NCLIENT=4
OPS=2500
start_nsd a
wait_leader; ok $? "nsd leads"
secret=$("$CTL" --nsd "$SOCK" sandbox create crash)
LOGS=()
for i in $(seq $NCLIENT); do
    "$TC" "$SOCK" load crash "$secret" $OPS "$D/load$i" > "$D/load$i.out" 2>&1 &
    LOADS+=($!)
    LOGS+=("$D/load$i")
done
wait_acked 3000 "${LOGS[@]}"; ok $? "clients are busy ($(acked "${LOGS[@]}") acknowledged)"
kill -9 "$PID_a"
echo "# killed nsd after $(acked "${LOGS[@]}") acknowledged operations"
start_nsd b
wait_acked 6500 "${LOGS[@]}"; ok $? "restarted nsd serves the same clients"
kill -9 "$PID_b"
echo "# killed nsd again after $(acked "${LOGS[@]}") acknowledged operations"
start_nsd c
fails=0
for p in "${LOADS[@]}"; do wait "$p" || fails=$((fails + 1)); done
ok $fails "all $NCLIENT clients finished their work"
total=$(acked "${LOGS[@]}")
[ "$total" = $((NCLIENT * OPS)) ]; ok $? "$total operations acknowledged"
for i in $(seq $NCLIENT); do
    verify_acks "$D/load$i" crash; ok $? "client $i: every acknowledged operation is in the journal, none twice"
done
dups=$(sqlite3 "$DB" "SELECT count(*) FROM (SELECT 1 FROM oplog WHERE seq IS NOT NULL GROUP BY sandbox, client, seq HAVING count(*) > 1)")
[ "$dups" = 0 ]; ok $? "no request id journaled twice"
sqlite3 "$DB" "PRAGMA integrity_check" | grep -qx ok; ok $? "journal integrity_check ok"
check_replay
done_testing
