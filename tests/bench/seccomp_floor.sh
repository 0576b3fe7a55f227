#!/bin/bash
# The seccomp floor under a passthrough call (ARCHITECTURE.md, "Passthrough
# calls"; not a test, not in make test or make bench): ns per 1-byte write(2)
# to /dev/null natively with no filter, under a 2-instruction filter that
# reads only the number (nr2) or the instruction pointer (ip2), under a
# 22-instruction one that reads the instruction pointer (ip22), and under
# graphene with the fast path on (bench_syscall write). ROUNDS rounds (9),
# each running every case once in turn so that load changes hit all alike;
# the median and the least of each run's mean (on a loaded machine the least
# is the nearer the floor), and the least of the runs' least blocks of 10000
# calls (steadier still: blocks no other process interrupted).
# FLOOR_LIBOS="name=image ..." adds graphene runs with other libos images
# (A/B builds of libos/host/fastpath.S, measured beside each other).
# usage: tests/bench/seccomp_floor.sh [ROUNDS [N]]
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
    for v in ${FLOOR_LIBOS:-}; do
        cases="$cases $v"
    done
fi
for _ in $(seq "$ROUNDS"); do
    for c in $cases; do
        if [ "$c" = graphene ]; then
            v=$(GRAPHENE_FAST_PATH=1 "$GRAPHENE" run "$WORK/b.toml" -- "$N" write 2>/dev/null)
        elif [ "${c#*=}" != "$c" ]; then
            v=$(GRAPHENE_LIBOS=${c#*=} GRAPHENE_FAST_PATH=1 "$GRAPHENE" run "$WORK/b.toml" -- "$N" write 2>/dev/null)
            c=${c%%=*}
        else
            v=$("$WORK/seccomp_floor" "$N" "$c")
        fi
        echo "$c $(sed -n 's/^ns_per_call: //p' <<<"$v") $(sed -n 's/^ns_least_block: //p' <<<"$v")"
    done
done | awk '{ v[$1] = v[$1] " " $2; if (!($1 in b) || $3 + 0 < b[$1] + 0) b[$1] = $3 }
    END { for (c in v) print c, b[c] v[c] }' | while read -r c block vals; do
    tr ' ' '\n' <<<"$vals" | sort -n | awk -v c="$c" -v b="$block" '{ a[NR] = $1 } END {
        printf "%s: median %s, least %s ns/call, least block %s (%d runs)\n", c, a[int((NR + 1) / 2)], a[1], b, NR }'
done | sort
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
