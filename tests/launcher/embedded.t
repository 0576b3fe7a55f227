#!/bin/bash
# The embedded nsd: `graphene run` with no nsd answering at the default
# address starts `nsd --embedded` in the runtime directory, runs every
# launch on that one nsd, and the nsd ends with its last sandbox, leaving
# nothing behind (no files, no process).
. "$(dirname "$0")/../nsd/lib.sh"
. "$(dirname "$0")/hold.sh"
cd "$D"
unset GRAPHENE_NSD
export GRAPHENE_RUNTIME_DIR=$D/rt GRAPHENE_NSD_LOG=$D/embedded.log
RT=$GRAPHENE_RUNTIME_DIR
# nsd processes started for our runtime directory (by environment, not name).
our_nsds() { grep -lsz "^GRAPHENE_RUNTIME_DIR=$RT\$" /proc/[0-9]*/environ | grep -v self |
             while read -r f; do p=${f#/proc/}; p=${p%/environ}
                 [ "$(readlink /proc/$p/exe)" = "$ROOT/bin/nsd" ] && echo "$p"; done; }
leader_pid() { "$CTL" nsd status | awk '$1 == "leader" {print $3}'; }

hold a; ok $? "a run with no nsd anywhere is up"
[ "$(rec nsd < a.blob)" = "$RT/nsd.sock" ]; ok $? "its nsd= is the runtime directory's socket"
[ "$(stat -c %a "$RT")" = 711 ]; ok $? "runtime dir mode 0711 ($(stat -c %a "$RT"))"
[ "$(stat -c %A "$RT/nsd.sock")" = srw-rw-rw- ]; ok $? "socket connectable by any uid (MAC authenticates)"
[ "$(stat -c %a "$RT/nsd.db" "$RT/nsd.db-wal" "$RT/nsd.lock" | sort -u)" = 600 ]
ok $? "journal, its WAL and the lock file: 0600 (they hold the secrets)"
"$CTL" sandbox ls | grep -q "^$(rec sandbox < a.blob) "; ok $? "graphenectl finds the embedded nsd without flags"
P=$(leader_pid); [ -n "$P" ] && kill -0 "$P"; ok $? "nsd status names the embedded nsd's pid ($P)"
hold b; ok $? "a second run"
[ "$(leader_pid)" = "$P" ] && [ "$("$CTL" sandbox ls | grep -c '^run-')" = 2 ]
ok $? "the second run uses the same embedded nsd"
release a; ok $? "first run done"
kill -0 "$P"; ok $? "nsd stays while a sandbox is left"
release b
wait_gone "$P"; ok $? "the last sandbox ended: the embedded nsd exits"
[ ! -e "$RT" ]; ok $? "and leaves nothing: no socket, journal, -wal, -shm, lock, directory"

# Two launchers at once end up on one nsd.
BARRIER=$D/barrier; exec {lk}>"$BARRIER"; flock -x $lk   # then let all three go at once
for i in 1 2 3; do hold_start c$i; done
flock -u $lk; exec {lk}>&-; BARRIER=
hold_up c1 && hold_up c2 && hold_up c3; ok $? "three launchers started at once are up"
[ "$(our_nsds | wc -l)" = 1 ] && [ "$("$CTL" sandbox ls | grep -c '^run-')" = 3 ]
ok $? "on one embedded nsd (the others that started left at once): $(our_nsds | tr '\n' ' ')"
P=$(leader_pid); release c1; release c2; release c3
wait_gone "$P" && [ ! -e "$RT" ] && [ -z "$(our_nsds)" ]; ok $? "which ended with them, leaving nothing"

hold k; P=$(leader_pid)
kill -9 "$HOLD_k"; wait "$HOLD_k" 2>/dev/null
wait_gone "$P" && [ ! -e "$RT" ]; ok $? "a run killed by SIGKILL ends its sandbox; the nsd leaves nothing"

# An embedded nsd killed by SIGKILL: the next run takes over its journal
# (once the dead leader's lease has expired) and ends the dead sandbox.
hold c1; P=$(leader_pid)
kill -9 "$P"; wait_gone "$P"
hold c2; ok $? "after kill -9 of the embedded nsd, the next run starts another"
P2=$(leader_pid); [ -n "$P2" ] && [ "$P2" != "$P" ]; ok $? "a new leader ($P -> $P2)"
release c1; release c2
wait_gone "$P2" && [ -z "$(ls -A "$RT" 2>/dev/null)" ]
ok $? "which ends the dead nsd's sandbox and its own, leaving no files (the directory was not its own)"
rmdir "$RT"

out=$(env -u GRAPHENE_LIBOS "$G" run "$ROOT/manifests/bash.toml" -- -c 'echo hi'); rc=$?
[ "$out" = hi ] && [ $rc = 0 ]; ok $? "a real picoprocess under the embedded nsd"
until_ok eval '[ ! -e "$RT" ] && [ -z "$(our_nsds)" ]'; ok $? "and after it nothing is left"

# With the launcher's stdio closed, the pipe nsd reports on may be made at
# fd 0-3 (a run that found nsd gone used to fail, and leave an nsd behind).
out=$(env -u GRAPHENE_LIBOS "$G" run "$ROOT/manifests/bash.toml" -- -c 'echo hi' <&-); rc=$?
[ "$out" = hi ] && [ $rc = 0 ]; ok $? "stdin closed: the run starts its nsd (rc $rc, out '$out')"
until_ok eval '[ ! -e "$RT" ] && [ -z "$(our_nsds)" ]'; ok $? "which ends, leaving nothing"
env -u GRAPHENE_LIBOS "$G" run "$ROOT/manifests/bash.toml" -- -c 'exit 7' <&- >&- 2>&-; rc=$?
[ $rc = 7 ]; ok $? "stdin, stdout and stderr closed: the run starts its nsd (rc $rc)"
until_ok eval '[ ! -e "$RT" ] && [ -z "$(our_nsds)" ]'; ok $? "which ends, leaving nothing"

mkdir -m 777 "$D/open"
out=$(GRAPHENE_RUNTIME_DIR=$D/open "$G" run m.toml 2>&1); rc=$?
[ $rc = 127 ] && [[ $out == *"not a directory of ours that only we may write"* ]] && [ -z "$(ls "$D/open")" ]
ok $? "a runtime dir others may write is refused, with the reason ($out)"
done_testing
