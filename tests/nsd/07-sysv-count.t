#!/bin/bash
# nsd's reader of a sandbox's SysV memory (`ns show sysv` counts) against
# well-formed and corrupt memories, built with ASan/UBSan.
cd "$(dirname "$0")/../.."
seed=${NSD_FUZZ_SEED:-$RANDOM}
echo "# seed $seed (NSD_FUZZ_SEED=$seed to repeat)"
out=$(build/tests/nsd/nsd_sysv_count 20000 "$seed" 2>&1); rc=$?
n=$(grep -c '^ok\|^not ok' <<<"$out")
echo "1..$((n + 1))"
awk '/^(not )?ok/ { sub(/ - /, " " ++k " - "); print; next } { print "# " $0 }' <<<"$out"
[ $rc = 0 ]; echo "$([ $? = 0 ] && echo ok || echo not ok) $((n + 1)) - exit status 0 (no sanitizer report)"
