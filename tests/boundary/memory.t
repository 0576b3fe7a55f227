#!/usr/bin/env bash
# sys.max_memory (issue 9 item 6): launched by root, the picoprocesses of a
# sandbox are in a memory cgroup of their own below the launcher's
# (tools/memcg.c), limited to the manifest's value and removed when the
# sandbox ends; an allocation loop past it is killed by the kernel while the
# host allocates freely. The sandbox cannot reach its cgroup files (neither
# through emulated calls nor from the libos's site: /sys is not in its
# root). Without a cgroup (an unprivileged launcher) the limit is the app's
# RLIMIT_AS, which the libos keeps (sys/memlimit.c).
N=11
. "$(dirname "$0")/lib.sh"
LIMIT=$((64 << 20))
ENTRY=/usr/bin/bash manifest "$T/m.toml" 'loader.log_level = "info"' 'sys.max_memory = "64M"'
cat >"$T/w/alloc.py" <<'EOF'
import sys
a = []
while True:
    a.append(bytearray(8 << 20))  # zero-filled: every page touched
    print(len(a), flush=True)
EOF

# the reaper's pid from the launcher's info line; waits for its exit
reaper_of() { sed -n 's/.*removed at the end by pid \([0-9]*\)).*/\1/p' "$1" | head -1; }
wait_reaper() {
    python3 -c 'import os, select, sys
try:
    fd = os.pidfd_open(int(sys.argv[1]))
except ProcessLookupError:
    sys.exit(0)
select.select([fd], [], [])' "$1"
}

exec 3>&2 2>"$T/held.err"
hold a "$T/m.toml"
exec 2>&3 3>&-
A=$HELD
memline=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/$A/cgroup)
if [ -n "$memline" ]; then
    cg=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)${memline##*:}
else
    cg=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)$(sed -n 's/^0:://p' /proc/$A/cgroup)
fi
if grep -q 'no memory cgroup' "$T/held.err"; then
    release a
    for i in $(seq 11); do ok 0 "cgroup test $i # SKIP the host offers no memory cgroup: $(grep -o 'no memory cgroup.*' "$T/held.err")"; done
    exit 0
fi
limit=$(cat "$cg/memory.limit_in_bytes" 2>/dev/null || cat "$cg/memory.max")
is "$(basename "$cg") $limit" "graphene-$(field Uid $A | awk '{ print $1 }') $LIMIT" \
   "the picoprocess is in a cgroup of its sandbox (graphene-U) limited to sys.max_memory ($cg)"
grep -qx "$A" "$cg/cgroup.procs"
ok $? "the cgroup holds the picoprocess (host pid $A)"
out=$("$SITECALL" $A "$(site $A)" "257,-100,s:$cg/cgroup.procs,01,0" 2>&1)
is "$(cut -d' ' -f2- <<<"$out")" "No such file or directory" \
   "from the libos's site, the cgroup's files are not in the picoprocess's root (open for writing)"
out=$("$SITECALL" $A "$(site $A)" "257,-100,s:/sys/fs/cgroup,0200000,0" 2>&1)
is "$(cut -d' ' -f2- <<<"$out")" "No such file or directory" "nor /sys/fs/cgroup at all"
release a
wait_reaper "$(reaper_of "$T/held.err")"
[ ! -e "$cg" ]
ok $? "the cgroup is removed when the sandbox ends (its reaper waited for)"

# pid 1 killed from outside leaves its child behind: the reaper kills it
exec 3>&2 2>"$T/held.err"
hold b "$T/m.toml" '/usr/bin/sleep 1000 & echo $! > /w/child;'
exec 2>&3 3>&-
B=$HELD
cgb=$(dirname "$cg")/graphene-$(field Uid $B | awk '{ print $1 }')
others=$(grep -vx "$B" "$cgb/cgroup.procs" | tr '\n' ' ')
kill -9 "$B"
wait "$B" 2>/dev/null
wait_reaper "$(reaper_of "$T/held.err")"
[ -n "$others" ] && [ ! -e "$cgb" ]
ok $? "pid 1 SIGKILLed from outside: the reaper kills what is left ($others) and removes the cgroup"
alive=""
for p in $others; do [ -e "/proc/$p" ] && grep -q "graphene-" "/proc/$p/cgroup" && alive="$alive $p"; done
is "$alive" "" "no process of the sandbox is left"

out=$(printf 'echo $$ > /sys/fs/cgroup/memory/cgroup.procs; echo $$ > %s/cgroup.procs; echo 1G > %s/memory.limit_in_bytes\n' "$cg" "$cg" |
      "$G" run "$T/m.toml" -- 2>&1 | grep -c 'No such file or directory')
is "$out" 3 "through emulated calls, no cgroup file can be written (leaving the cgroup, raising the limit)"

ENTRY=/usr/bin/python3 manifest "$T/py.toml" 'loader.log_level = "info"' 'sys.max_memory = "64M"'
# (the braces keep bash's own "Killed" report out of the TAP stream)
{ "$G" run "$T/py.toml" -- /w/alloc.py >"$T/alloc.out" 2>"$T/alloc.err"; st=$?; } 2>/dev/null
chunks=$(tail -1 "$T/alloc.out")
is "$st $([ "${chunks:-0}" -lt 8 ] && echo below)" "137 below" \
   "an allocation loop is killed (SIGKILL) before it holds 64M (it got $chunks chunks of 8M)"
wait_reaper "$(reaper_of "$T/alloc.err")"
python3 -c 'a = bytearray(256 << 20); print(len(a) >> 20)' >"$T/host.out"
is "$(cat "$T/host.out")" 256 "the host is unaffected: 256M allocated outside meanwhile"

# an unprivileged launcher: no cgroup; RLIMIT_AS instead
RUN="setpriv --reuid=65534 --regid=65534 --clear-groups"
chmod 755 "$T"
chown -R 65534:65534 "$T/w"
mkdir -m 700 "$T/run" && chown 65534:65534 "$T/run"
out=$(GRAPHENE_RUNTIME_DIR=$T/run $RUN "$G" run "$T/py.toml" -- -c '
import resource
print(resource.getrlimit(resource.RLIMIT_AS))
try:
    bytearray(128 << 20)
    print("128M allocated")
except MemoryError:
    print("MemoryError")' 2>&1)
is "$(grep -c 'no memory cgroup (only root can make a cgroup)' <<<"$out") $(grep -v '^graphene:\|^\[libos' <<<"$out" | tr '\n' ' ')" \
   "1 ($LIMIT, $LIMIT) MemoryError " \
   "launched by nobody: no cgroup (said at info level); RLIMIT_AS is sys.max_memory and holds"
