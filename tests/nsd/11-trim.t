#!/bin/bash
# A single nsd trims its oplog as a raft snapshot does (every
# --snapshot-every operations): per client it keeps the last requests a
# retry can name. Under load, with a kill -9 and a restart in the middle
# (the clients retry their requests in flight with the same ids), the oplog
# stays small and every acknowledged operation is applied exactly once.
. "$(dirname "$0")/lib.sh"
EVERY=200 NCLIENT=3 OPS=1000
start_nsd a --snapshot-every $EVERY
wait_leader; ok $? "nsd leads"
secret=$("$CTL" --nsd "$SOCK" sandbox create trim)
LOGS=()
for i in $(seq $NCLIENT); do
    "$TC" "$SOCK" load trim "$secret" $OPS "$D/load$i" > "$D/load$i.out" 2>&1 &
    LOADS+=($!); LOGS+=("$D/load$i")
done
wait_acked 1200 "${LOGS[@]}"; ok $? "clients are busy ($(acked "${LOGS[@]}") acknowledged)"
kill -9 "$PID_a"
while kill -0 "$PID_a" 2>/dev/null; do sleep 0.01; done   # (its lock on the journal)
start_nsd b --snapshot-every $EVERY
fails=0
for p in "${LOADS[@]}"; do wait "$p" || fails=$((fails + 1)); done
ok $fails "the $NCLIENT clients finished through the restart ($(acked "${LOGS[@]}") acknowledged)"
rows=$(sqlite3 "$DB" "SELECT count(*) FROM oplog")
# (at most EVERY since the last trim, the kept tail of each client, a few others)
[ "$rows" -le $((EVERY + 64 * (NCLIENT + 2) + 10)) ]; ok $? "the oplog holds $rows of $((NCLIENT * OPS)) operations"
for i in $(seq $NCLIENT); do
    read -r _ pid _ client < <(head -1 "$D/load$i")
    tail -n +2 "$D/load$i" | awk '{print $2}' | sort -n > "$D/acked.ids"
    sqlite3 "$DB" "SELECT v.id FROM sysv v JOIN sandboxes s ON s.id = v.sandbox
                   WHERE s.name = 'trim' AND v.creator = $pid ORDER BY v.id" > "$D/journal.ids"
    last=$(tail -1 "$D/load$i" | awk '{print $1}')
    kept=$(sqlite3 "$DB" "SELECT count(*) FROM oplog WHERE client = '$client' AND seq > $last - 64")
    cmp -s "$D/acked.ids" "$D/journal.ids" && [ "$kept" = 64 ]
    ok $? "client $i: its acknowledged operations applied once each; its last 64 request ids kept ($kept)"
done
sqlite3 "$DB" "PRAGMA integrity_check" | grep -qx ok; ok $? "journal integrity_check ok"

# Clients that are gone (their process exited and was reaped, as every fork
# child's does) retry nothing: their requests go too, once 64 trim periods
# of newer operations are journaled, not kept (64 each) for good.
if [ -x "$ROOT/bin/graphene" ] && [ -f "$ROOT/lib/libos" ]; then
    . "$ROOT/tests/lib/sandbox.sh"
    kill "$PID_b"
    while kill -0 "$PID_b" 2>/dev/null; do sleep 0.01; done
    EVERY=2 KIDS=200
    start_nsd c --snapshot-every $EVERY
    wait_leader
    chmod 711 "$D"   # picoprocesses reach nsd's socket as their sandbox's uid
    sandbox_manifest /bin/sh /bin=/usr/bin > "$D/sh.toml"
    (cd "$ROOT" && bin/graphene run --nsd "$SOCK" "$D/sh.toml" -- -c \
        "i=0; while [ \$i -lt $KIDS ]; do /bin/true; i=\$((i + 1)); done")
    ok $? "a shell ran $KIDS children"
    # Counted once nsd is done: the run's last Exit and Reaps may still be
    # on their way, and each commit's trim follows it in a transaction of
    # its own (under load a batch holds many forks: seen 384 rows between).
    kill "$PID_c"
    while kill -0 "$PID_c" 2>/dev/null; do sleep 0.01; done
    gone=$(sqlite3 "$DB" "SELECT count(*) FROM oplog o WHERE NOT EXISTS
                          (SELECT 1 FROM procs p WHERE p.client = o.client AND p.sandbox = o.sandbox)")
    # (those of the last 64 trim periods, and of the launcher)
    [ "$gone" -le $((64 * EVERY + EVERY + 64)) ]
    ok $? "the oplog keeps $gone rows of gone clients, not the $KIDS children's Registers and Exits"
else
    echo "ok 9 # SKIP bin/graphene or lib/libos not built"
    echo "ok 10 # SKIP bin/graphene or lib/libos not built"
fi
done_testing
