#!/bin/bash
# A short (5 s) libFuzzer run over the TOML parser and manifest validation,
# seeded with the example manifests; `make fuzz` runs longer.
cd "$(dirname "$0")/../.."
probe=$(mktemp -d)
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' > "$probe/p.c"
if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
    echo "1..0 # SKIP clang not installed"; rm -rf "$probe"; exit 0
elif ! "${FUZZ_CC:-clang}" -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    echo "1..0 # SKIP clang cannot build libFuzzer targets"; rm -rf "$probe"; exit 0
fi
rm -rf "$probe"
. tests/launcher/lib.sh
make -s -C "$root" build/fuzz/fuzz_toml >&2 || { echo "Bail out! cannot build the fuzz target"; exit 1; }

mkdir "$scratch/corpus"
cp "$root"/manifests/*.toml "$scratch/corpus/"
"$root/build/fuzz/fuzz_toml" -max_total_time=5 -max_len=4096 -artifact_prefix="$scratch/" \
    "$scratch/corpus" > "$scratch/log" 2>&1
rc=$?
[ $rc = 0 ] || sed -n '/ERROR/,+15s/^/# /p' "$scratch/log"
is "rc=$rc" "rc=0" 'fuzz_toml: 5 s without crashes, leaks or sanitizer reports'
is "$(grep -c '^Done [0-9]* runs' "$scratch/log")" 1 'fuzz_toml ran to completion'

done_testing
