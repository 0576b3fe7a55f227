#!/bin/bash
# The launcher and a running nsd: `graphene run --nsd ADDRESS [--sandbox
# NAME]` creates or joins the sandbox as admin and hands its name, secret and
# nsd's address to the libos in the config blob (read here by the dump_blob
# stand-in); a sandbox a run created ends with it.
. "$(dirname "$0")/../nsd/lib.sh"
. "$(dirname "$0")/hold.sh"
cd "$D"
# picoprocesses reach nsd's socket as their sandbox's uid (tools/confine.c)
chmod 711 "$D"
unset GRAPHENE_NSD
C="$CTL --nsd $SOCK"
has_sandbox() { $C sandbox ls | grep -q "^$1 "; }

start_nsd a
wait_leader; ok $? "nsd leads"

out=$("$G" run --nsd "$SOCK" m.toml); ok $? "run --nsd: exit 0"
[ "$(echo "$out" | rec nsd)" = "$SOCK" ]; ok $? "blob: nsd= the socket"
sb=$(echo "$out" | rec sandbox)
[[ $sb =~ ^run-[0-9]+-[0-9a-f]{8}$ ]]; ok $? "blob: a fresh unique sandbox name ($sb)"
[[ $(echo "$out" | rec secret) =~ ^[0-9a-f]{64}$ ]]; ok $? "blob: secret= 64 hex digits"
until_ok eval '! has_sandbox "$sb"'; ok $? "the run's sandbox ended with it"

hold a1 --nsd "$SOCK"; ok $? "a held run is up"
sb=$(rec sandbox < a1.blob)
has_sandbox "$sb"; ok $? "its sandbox exists while it runs"
hold a2 --nsd "$SOCK"
[ "$(rec sandbox < a2.blob)" != "$sb" ]; ok $? "a second run gets another sandbox"
release a1; release a2
until_ok eval '! has_sandbox "$sb"'; ok $? "ended with the run"

hold s1 --nsd "$SOCK" --sandbox shared
has_sandbox shared; ok $? "--sandbox NAME creates NAME"
s2=$(GRAPHENE_NSD=$SOCK "$G" run --sandbox shared m.toml | rec secret)
[ "$(rec secret < s1.blob)" = "$s2" ]; ok $? "a second run (GRAPHENE_NSD) joins it: same secret"
has_sandbox shared; ok $? "the joiner's exit does not end it"
release s1
until_ok eval '! has_sandbox shared'; ok $? "it ends with the run that created it"
kill -0 "$PID_a"; ok $? "the nsd that was given keeps running"

secret=$($C sandbox create made)
[ "$("$G" run --nsd "$SOCK" --sandbox made m.toml | rec secret)" = "$secret" ]
ok $? "--sandbox joins a sandbox made by graphenectl"
has_sandbox made; ok $? "which is not the run's to end"

out=$(env -u GRAPHENE_LIBOS "$G" run --nsd "$SOCK" "$ROOT/manifests/bash.toml" -- -c \
      'ls -l /proc/self/fd/ | grep -c memfd; echo done')
[ "$out" = "0
done" ]; ok $? "under the libos the app has no config memfd open, so no secret ($out)"

"$G" run --nsd "$SOCK" -- m.toml >/dev/null 2>&1; [ $? = 2 ]; ok $? "usage error: exit 2"
out=$("$G" run --nsd "$SOCK" --sandbox 'bad name' m.toml 2>&1); rc=$?
[ $rc = 127 ] && [[ $out == *"sandbox name must be"* ]]; ok $? "bad sandbox name: nsd's reason, exit 127 ($out)"
out=$("$G" run --nsd "$D/nowhere.sock" m.toml 2>&1); rc=$?
[ $rc = 127 ] && [[ $out == *"$D/nowhere.sock"* ]]; ok $? "unreachable --nsd: names it, exit 127 ($out)"
out=$("$G" run --nsd tcp:127.0.0.1:1 m.toml 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"unix socket"* ]]; ok $? "a TCP address is refused: admin is local only ($out)"

# Admin (create, join: a sandbox's secret) is for root or nsd's own uid.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chmod 711 "$D"
    nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    out=$(nobody "$G" run --nsd "$SOCK" --sandbox made m.toml 2>&1); rc=$?
    [ $rc = 127 ] && [[ $out == *"neither root nor nsd's"* ]] && [[ $out != *secret=* ]]
    ok $? "a launcher of another uid is refused admin, gets no secret ($out)"
    out=$(nobody "$CTL" --nsd "$SOCK" sandbox create evil 2>&1); rc=$?
    [ $rc = 1 ] && ! has_sandbox evil; ok $? "graphenectl of another uid is refused ($out)"
else
    ok 0 "# SKIP admin refusal needs root and setpriv"
    ok 0 "# SKIP admin refusal needs root and setpriv"
fi
done_testing
