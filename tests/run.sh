#!/usr/bin/env bash
# `make test`: runs the suite (prove, the .t files given) in both modes of
# the syscall fast path (libos/fastpath.c): once as the host allows it (on
# when vm.mmap_min_addr is 0, the only way a sandboxed picoprocess can map
# page 0), then once with GRAPHENE_FAST_PATH=0, every call on the trap path.
# With GRAPHENE_FAST_PATH already set, or when the host cannot have the
# fast path, one run. This never changes the sysctl; .ci/run does, as root.
# Each test file runs under a time limit (tests/lib/timed.sh).
set -u
min=$(cat /proc/sys/vm/mmap_min_addr 2>/dev/null || echo unknown)
if [ -n "${GRAPHENE_FAST_PATH+set}" ]; then
    echo "# one run: GRAPHENE_FAST_PATH=$GRAPHENE_FAST_PATH is set"
    exec prove -f --exec tests/lib/timed.sh "$@"
fi
if [ "$min" != 0 ]; then
    echo "# one run, on the trap path: vm.mmap_min_addr = $min (0 enables the fast path)"
    exec prove -f --exec tests/lib/timed.sh "$@"
fi
echo "# run 1 of 2: the fast path on"
prove -f --exec tests/lib/timed.sh "$@"
on=$?
echo "# run 2 of 2: the fast path off (GRAPHENE_FAST_PATH=0)"
GRAPHENE_FAST_PATH=0 prove -f --exec tests/lib/timed.sh "$@"
off=$?
[ $on = 0 ] || echo "# FAILED with the fast path on"
[ $off = 0 ] || echo "# FAILED with the fast path off"
[ $on = 0 ] && [ $off = 0 ]
