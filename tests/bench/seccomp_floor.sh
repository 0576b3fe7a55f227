#!/bin/bash
# The seccomp floor under a passthrough call (ARCHITECTURE.md, "Passthrough
# calls"; not a test, not in make test or make bench): ns per 1-byte write(2)
# to /dev/null natively with no filter, under a 2-instruction filter that
# reads only the number (nr2) or the instruction pointer (ip2), under a
# 22-instruction one that reads the instruction pointer (ip22), and under
# graphene with the fast path on (bench_syscall write). ROUNDS rounds (9),
# each running every case once in turn so that load changes hit all alike;
# the median and the least of each (on a loaded machine the least is the
# nearer the floor).  usage: tests/bench/seccomp_floor.sh [ROUNDS [N]]
. "$(dirname "$0")/../diff/lib.sh"
diff_setup
ROUNDS=${1:-9}
N=${2:-2000000}
cc -O2 -Wall -Wextra -o "$WORK/seccomp_floor" "$ROOT/tests/bench/seccomp_floor.c" || exit 1
export GRAPHENE_RUNTIME_DIR=$WORK/rt
unset GRAPHENE_NSD
cases="none nr2 ip2 ip22"
if [ -x "$GRAPHENE" ] && [ -x "$PROGS/bench_syscall" ]; then
    write_manifest /tests/bench_syscall /tmp
    cp "$MANIFEST" "$WORK/b.toml"
    cases="$cases graphene"
fi
for _ in $(seq "$ROUNDS"); do
    for c in $cases; do
        if [ "$c" = graphene ]; then
            v=$(GRAPHENE_FAST_PATH=1 "$GRAPHENE" run "$WORK/b.toml" -- "$N" write 2>/dev/null)
        else
            v=$("$WORK/seccomp_floor" "$N" "$c")
        fi
        echo "$c $(sed -n 's/^ns_per_call: //p' <<<"$v")"
    done
done | awk '{ v[$1] = v[$1] " " $2 } END { for (c in v) print c v[c] }' | while read -r c vals; do
    tr ' ' '\n' <<<"$vals" | sort -n | awk -v c="$c" '{ a[NR] = $1 } END {
        printf "%s: median %s, least %s ns/call (%d runs)\n", c, a[int((NR + 1) / 2)], a[1], NR }'
done | sort
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
