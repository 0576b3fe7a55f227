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
done_testing
