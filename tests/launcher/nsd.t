#!/bin/bash
# The launcher and nsd: `graphene run --nsd ADDRESS [--sandbox NAME]` creates
# or joins the sandbox as admin and hands its name, secret and nsd's address
# to the libos in the config blob (read here by the dump_blob stand-in).
. "$(dirname "$0")/../nsd/lib.sh"
make -s -C "$ROOT" bin/graphene build/tests/launcher/dump_blob >&2 || { echo "Bail out! build"; exit 1; }
G=$ROOT/bin/graphene
export GRAPHENE_LIBOS=$ROOT/build/tests/launcher/dump_blob
cd "$D"
printf 'libos.entrypoint = "/usr/bin/true"\nfs.mounts = [ { path = "/usr", uri = "file:/usr" } ]\n' > m.toml
rec() { grep "^$1=" | cut -d= -f2-; }   # rec KEY < blob dump

start_nsd a
wait_leader; ok $? "nsd leads"

out=$("$G" run --nsd "$SOCK" m.toml); ok $? "run --nsd: exit 0"
[ "$(echo "$out" | rec nsd)" = "$SOCK" ]; ok $? "blob: nsd= the socket"
sb=$(echo "$out" | rec sandbox)
[[ $sb =~ ^run-[0-9]+-[0-9a-f]{8}$ ]]; ok $? "blob: a fresh unique sandbox name ($sb)"
[[ $(echo "$out" | rec secret) =~ ^[0-9a-f]{64}$ ]]; ok $? "blob: secret= 64 hex digits"
"$CTL" --nsd "$SOCK" sandbox ls | grep -q "^$sb "; ok $? "the sandbox exists in nsd"
sb2=$("$G" run --nsd "$SOCK" m.toml | rec sandbox)
[ -n "$sb2" ] && [ "$sb2" != "$sb" ]; ok $? "a second run gets another sandbox ($sb2)"

s1=$("$G" run --nsd "$SOCK" --sandbox shared m.toml | rec secret)
s2=$(GRAPHENE_NSD=$SOCK "$G" run --sandbox shared m.toml | rec secret)
[ -n "$s1" ] && [ "$s1" = "$s2" ]; ok $? "--sandbox NAME creates it, a second run joins it (same secret)"
secret=$("$CTL" --nsd "$SOCK" sandbox create made)
[ "$("$G" run --nsd "$SOCK" --sandbox made m.toml | rec secret)" = "$secret" ]
ok $? "--sandbox joins a sandbox made by graphenectl"
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
done_testing
