#!/usr/bin/env bash
# A sandbox whose process table is larger than one nsd frame (1 MiB): 300
# processes (simulated ones, registered by tests/nsd/nsd_testclient) with
# 8 KiB command lines. nsd answers Ps and Members a page at a time;
# graphenectl ps, the Members count and /proc inside the sandbox see every
# one of them.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test pspages
TC=build/tests/nsd/nsd_testclient
[ -x $TC ] || { echo "1..0 # SKIP $TC not built"; exit 0; }
CTL="bin/graphenectl --nsd $T/nsd.sock"
N=300
echo "1..5"
NSD_PID=
trap '[ -z "$NSD_PID" ] || kill "$NSD_PID"; rm -rf "$T"' EXIT
private_nsd
secret=$($CTL sandbox create big)
coproc MANY { "$TC" "$T/nsd.sock" many big "$secret" $N 8192; }
: > "$T/pids"
while read -r line <&"${MANY[0]}"; do
    case $line in
        ready*) ready=$line; break ;;
        *) echo "$line" >> "$T/pids" ;;
    esac
done
check "Members (all) pages through every process" "ready $N" "${ready:-}"
$CTL ps --sandbox big > "$T/ps" 2>&1
check "graphenectl ps lists all $N (more than one frame holds)" $N "$(grep -c '^big ' "$T/ps")"
check "graphenectl ps: each at most once, in pid order" "$(sort -n "$T/pids")" \
    "$(awk '$1=="big" {print $2}' "$T/ps")"
$CTL ns show pid --sandbox big > "$T/ns" 2>&1
check "graphenectl ns show pid: its PIDs table lists all $N" $N \
    "$(awk '/^PIDs/ {p=1; next} p && $1=="big"' "$T/ns" | wc -l)"
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$T" > "$T/m.toml"
bin/graphene run --nsd "$T/nsd.sock" --sandbox big "$T/m.toml" -- -c 'ls /proc > /tmp/proc' \
    > "$T/out" 2>&1
[ -s "$T/proc" ] || cat "$T/out" >&2
missing=$(sort "$T/pids" | comm -23 - <(grep '^[0-9]' "$T/proc" | sort))
check "ls /proc inside lists every one of them" "" "$missing"
exec {MANY[1]}>&-
wait "$MANY_PID"
