#!/bin/bash
# kill -9 of nsd in the middle of 10,000 acknowledged operations, then a
# restart: every acknowledged operation is in the journal, none twice.
. "$(dirname "$0")/lib.sh"
NCLIENT=4
OPS=2500
start_nsd a --snapshot-every 1000000   # (the whole oplog, for verify_acks and the replay)
wait_leader; ok $? "nsd leads"
secret=$("$CTL" --nsd "$SOCK" sandbox create crash)
# Two idle clients: one stays alive, one dies while no nsd is running.
# (hold keeps its processes until its stdin closes)
mkfifo "$D/idle.in" "$D/doomed.in"
"$TC" "$SOCK" hold crash "$secret" < "$D/idle.in" > "$D/idle.out" &
exec {IDLE_IN}>"$D/idle.in"
# (idle first: its root is the sandbox's pid 1, the reaper of orphans)
for _ in $(seq 100); do [ -s "$D/idle.out" ] && break; sleep 0.05; done
"$TC" "$SOCK" hold crash "$secret" < "$D/doomed.in" > "$D/doomed.out" &
DOOMED_PID=$!
disown $DOOMED_PID
exec {DOOMED_IN}>"$D/doomed.in"
for _ in $(seq 100); do [ -s "$D/idle.out" ] && [ -s "$D/doomed.out" ] && break; sleep 0.05; done
read -r _ idle_root idle_kid < "$D/idle.out"
read -r _ doomed_root doomed_kid < "$D/doomed.out"
LOGS=()
for i in $(seq $NCLIENT); do
    "$TC" "$SOCK" load crash "$secret" $OPS "$D/load$i" > "$D/load$i.out" 2>&1 &
    LOADS+=($!)
    LOGS+=("$D/load$i")
done
wait_acked 3000 "${LOGS[@]}"; ok $? "clients are busy ($(acked "${LOGS[@]}") acknowledged)"
kill -9 "$PID_a"
while kill -0 "$PID_a" 2>/dev/null; do sleep 0.01; done # (its lock on the journal)
echo "# killed nsd after $(acked "${LOGS[@]}") acknowledged operations"
start_nsd b --snapshot-every 1000000
wait_acked 6500 "${LOGS[@]}"; ok $? "restarted nsd serves the same clients"
kill -9 "$PID_b"
while kill -0 "$PID_b" 2>/dev/null; do sleep 0.01; done
echo "# killed nsd again after $(acked "${LOGS[@]}") acknowledged operations"
kill -9 "$DOOMED_PID"
start_nsd c --snapshot-every 1000000
t_restart=$(now_ms)
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
# The client that died while no leader ran is found lost by the new
# leader's sweep; the idle one, still alive, is left alone.
state() { "$CTL" --nsd "$SOCK" ps --sandbox crash | awk -v p="$1" '$2 == p {print $6}'; }
# (The root has no parent: it is reaped at once; its child, reparented to
# the sandbox's pid 1, stays as a lost zombie.)
for _ in $(seq 150); do [ "$(state "$doomed_kid")" = "lost(9)" ] && break; sleep 0.2; done
echo "# vanished client found lost $(( $(now_ms) - t_restart )) ms after the restart"
[ -z "$(state "$doomed_root")" ] && [ "$(state "$doomed_kid")" = "lost(9)" ]
ok $? "processes of a client that died between leaders are lost (root ${doomed_root}: reaped, child ${doomed_kid}: $(state "$doomed_kid"))"
[ "$(state "$idle_root")" = live ] && [ "$(state "$idle_kid")" = live ]
ok $? "an idle client that is still alive keeps its processes live"
exec {IDLE_IN}>&- {DOOMED_IN}>&-
check_replay

# A journal of schema version 4 (no procs.execed) is upgraded in place by
# the next nsd, which keeps its records.
before=$("$CTL" --nsd "$SOCK" ps --sandbox crash | wc -l)
kill -9 "$PID_c"
sqlite3 "$DB" "ALTER TABLE procs DROP COLUMN execed; UPDATE meta SET v = 4 WHERE k = 'schema'"
start_nsd d; wait_leader
[ "$(sqlite3 "$DB" "SELECT v FROM meta WHERE k = 'schema'")" = 5 ] &&
    [ "$("$CTL" --nsd "$SOCK" ps --sandbox crash | wc -l)" = "$before" ]
ok $? "a schema 4 journal is upgraded to 5 with its $before lines of ps kept ($(tail -1 "$D/d.log"))"
done_testing
