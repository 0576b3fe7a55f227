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
echo "1..8"
NSD_PID=
trap '[ -z "$NSD_PID" ] || kill "$NSD_PID"; rm -rf "$T"' EXIT
private_nsd
secret=$($CTL sandbox create big)
coproc MANY { "$TC" "$T/nsd.sock" many big "$secret" $N 8192; }
many_pid=$MANY_PID # bash unsets MANY_PID once the coprocess has ended
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
wait "$many_pid"

# Real processes: pid 1 starts K children whose command lines (8 KiB) take
# more than a frame, each says it is up through a fifo; then /proc lists
# them all and kill(-1) (nsd's Members, paged) reaches every one.
K=150
mkdir "$T/k" && chmod 777 "$T/k" && mkfifo -m 666 "$T/k/ready" "$T/k/never"
cat > "$T/k/app.sh" <<'SH'
a=$(printf "%8192s" "" | tr " " x)
exec 3<>/tmp/ready
i=0
while [ $i -lt $1 ]; do
    /bin/sh -c 'echo r > /tmp/ready; read x < /tmp/never' sh "$a" &
    echo $! >> /tmp/pids
    i=$((i + 1))
done
i=0
while [ $i -lt $1 ]; do read r <&3; i=$((i + 1)); done
ls /proc > /tmp/proc
kill -TERM -1; echo "kill -1: $?"
for p in $(cat /tmp/pids); do wait $p; echo $?; done > /tmp/status
sort /tmp/status | uniq -c
SH
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$T/k" > "$T/k.toml"
timeout 120 bin/graphene run --nsd "$T/nsd.sock" "$T/k.toml" -- /tmp/app.sh $K > "$T/kout" 2>&1
check "$K children with 8 KiB command lines: all started" $K "$(wc -l < "$T/k/pids")"
missing=$(sort "$T/k/pids" | comm -23 - <(grep '^[0-9]' "$T/k/proc" | sort))
check "ls /proc inside lists every child" "" "$missing"
check "kill(-1) reached every child (each ended by SIGTERM)" \
    "$(printf 'kill -1: 0\n    %d 143' $K)" "$(cat "$T/kout")"
