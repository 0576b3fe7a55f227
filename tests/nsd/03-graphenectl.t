#!/bin/bash
# graphenectl against a live nsd: ps, ns show, sandbox ls, nsd status, JSON,
# and the error when nsd is unreachable.
. "$(dirname "$0")/lib.sh"

out=$("$CTL" --nsd "$D/nowhere.sock" ps 2>&1); rc=$?
[ $rc = 1 ] && [ $(echo "$out" | wc -l) = 1 ] && [[ $out == *"$D/nowhere.sock"* ]]
ok $? "unreachable nsd: exit 1, one line naming the address ($out)"
GRAPHENE_NSD=$D/env.sock "$CTL" nsd status 2>&1 | grep -q "$D/env.sock"
ok $? "default address comes from \$GRAPHENE_NSD"

start_nsd a
wait_leader; ok $? "nsd leads"
C="$CTL --nsd $SOCK"
secret=$($C sandbox create web); ok $? "sandbox create prints the secret"
[[ $secret =~ ^[0-9a-f]{64}$ ]]; ok $? "secret is 32 bytes of hex"
$C sandbox create web 2>&1 | grep -q "exists"; ok $? "creating it twice: clear error"
$C sandbox create db >/dev/null

coproc HOLD { "$TC" "$SOCK" hold web "$secret"; }
read -r ready root kid <&"${HOLD[0]}"
[ "$ready" = ready ]; ok $? "simulated picoprocesses registered ($root, $kid)"

out=$($C ps); echo "$out" | sed 's/^/# /'
[ "$(echo "$out" | head -1 | awk '{print $1,$2,$3,$4,$5,$6,$7,$8,$9,$10}')" = "SANDBOX PID PPID PGID SID STATE HOST HOSTPID STARTED COMMAND" ]
ok $? "ps header"
[ "$(echo "$out" | grep -c '^web ')" = 2 ]; ok $? "ps lists the 2 processes"
echo "$out" | awk -v k="$kid" -v r="$root" '$2==k && $3==r && $4==k && $5==r && $6=="live" {f=1} END {exit !f}'
ok $? "child row: pid, ppid, own group, parent's session, live"
# columns are aligned: every line has the STATE column at the same offset
[ "$(echo "$out" | awk '{print index($0, $6)}' | sort -u | wc -l)" = 1 ]; ok $? "ps columns aligned"
$C ps --sandbox db | tail -n +2 | grep -q . ; [ $? = 1 ]; ok $? "ps --sandbox db shows none of web"
$C ps --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["procs"])==2 and d["procs"][0]["pid"]>0' 2>/dev/null
ok $? "ps --json parses and has the processes"

out=$($C ns show pid); echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "^Leader" && echo "$out" | grep -q "^PID ranges"; ok $? "ns show pid: leader and ranges"
echo "$out" | awk -v k="$kid" '$1=="web" && $5==k {f=1} END {exit !f}'; ok $? "ns show pid: range owned by the child"
out=$($C ns show sysv); echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "web *msg *0x00001234" && echo "$out" | grep -q "web *sem *0x00005678"; ok $? "ns show sysv: keys like ipcs"
out=$($C ns show pgrp --sandbox web); echo "$out" | sed 's/^/# /'
echo "$out" | awk -v k="$kid" -v r="$root" '$1=="web" && $2==r && $3==k && $4==k {f=1} END {exit !f}'
ok $? "ns show pgrp: child's group in the root's session"
$C ns show --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["nodes"][0]["role"]=="leader" and d["sysv"] and d["groups"] and d["ranges"]' 2>/dev/null
ok $? "ns show --json parses"
$C ns show bogus >/dev/null 2>&1; [ $? = 2 ]; ok $? "ns show of an unknown view: usage error"

out=$($C sandbox ls); echo "$out" | sed 's/^/# /'
echo "$out" | awk '$1=="web" && $3==2 {f=1} END {exit !f}'; ok $? "sandbox ls: web has 2 processes"
# One nsd per journal: a second one is refused, the first serves on.
"$NSD" --socket "$D/other.sock" --journal "$DB" --node b 2>"$D/b.log"; rc=$?
[ $rc = 1 ] && grep -q "in use by another nsd" "$D/b.log"; ok $? "a second nsd on the journal is refused: $(tail -1 "$D/b.log" | cut -d' ' -f3-)"
out=$($C nsd status); echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "^leader *a  *[0-9].* yes" && [ "$(echo "$out" | wc -l)" = 2 ]; ok $? "nsd status: a single node, the leader"
$C --json nsd status | python3 -c 'import json,sys; d=json.load(sys.stdin); n=d["nodes"][0]; assert n["role"]=="leader" and n["self"]=="yes" and n["applied"] > 0' 2>/dev/null
ok $? "nsd status --json: role, applied index"

exec {HOLD[1]}>&-
wait $HOLD_PID 2>/dev/null
$C sandbox rm db; ok $? "sandbox rm"
done_testing
