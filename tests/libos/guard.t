#!/usr/bin/env bash
# The app cannot unmap, re-protect, map over or discard libos memory: calls
# that cover the whole address space are refused and the picoprocess lives.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test guard
sandbox_manifest /t/guard "/t=$PWD/build/tests/libos" > "$T/guard.toml"
out=$($G run "$T/guard.toml" 2>&1)
echo "1..5"
n=0
for want in "munmap: Invalid argument" "mprotect: Cannot allocate memory" \
            "mmap MAP_FIXED: Cannot allocate memory" "madvise DONTNEED: Invalid argument" "still running"; do
    n=$((n + 1))
    if grep -qxF "$want" <<<"$out"; then echo "ok $n - $want"; else echo "not ok $n - $want"; sed 's/^/# /' <<<"$out"; fi
done
