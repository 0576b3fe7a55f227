#!/bin/bash
# Random, mutated and truncated frames into the decoder and the dispatch of
# a leading nsd (built with ASan/UBSan): no crash, no sanitizer report, and
# the journal stays consistent.
. "$(dirname "$0")/lib.sh"
FUZZ=$ROOT/build/tests/nsd/nsd_fuzz
seed=${NSD_FUZZ_SEED:-$RANDOM}
echo "# seed $seed (NSD_FUZZ_SEED=$seed to repeat)"
out=$("$FUZZ" "$DB" 30000 "$seed" 2>"$D/fuzz.log"); rc=$?
echo "# $out"
ok $rc "30000 fuzz inputs: no crash or sanitizer report"
[ $rc = 0 ] || tail -20 "$D/fuzz.log" | sed 's/^/# /'
grep -q "closing connection fuzz: undecodable frame" "$D/fuzz.log"; ok $? "undecodable frames were seen and refused"
grep -q "closing connection fuzz: oversized frame" "$D/fuzz.log"; ok $? "oversized frames were seen and refused"
sqlite3 "$DB" "PRAGMA integrity_check" | grep -qx ok; ok $? "journal integrity_check ok"

# The same target under libFuzzer: its setup (LLVMFuzzerInitialize) must run
# before the first input. A fixed number of runs, not a time budget.
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' > "$D/p.c"
if ! "${FUZZ_CC:-clang}" -fsanitize=fuzzer,address "$D/p.c" -o "$D/p" 2>/dev/null; then
    echo "ok $((NTESTS += 1)) # SKIP clang cannot build libFuzzer targets"
elif ! make -s -C "$ROOT" build/fuzz/nsd_fuzz >&2; then
    ok 1 "libFuzzer mode builds"
else
    NSD_FUZZ_JOURNAL=$D/libfuzzer.db "$ROOT/build/fuzz/nsd_fuzz" -runs=3000 -seed="$seed" \
        -artifact_prefix="$D/" >"$D/libfuzzer.log" 2>&1
    rc=$?
    grep -q '^Done 3000 runs' "$D/libfuzzer.log"
    ok $((rc + $?)) "libFuzzer mode: 3000 inputs after its setup, no crash or sanitizer report"
    [ $rc = 0 ] || grep -A15 ERROR "$D/libfuzzer.log" | sed 's/^/# /'
fi
done_testing
