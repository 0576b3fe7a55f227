#!/bin/bash
# The RPC stream's decoder (libos/rpc_wire.c) under hostile input, built
# with ASan/UBSan: random, mutated and truncated frames and bad headers; no
# crash, no sanitizer report, every accepted frame within the bounds the
# server relies on, and refused and oversized frames were seen. Then the
# same target under libFuzzer when clang can build it.
cd "$(dirname "$0")/../.."
FUZZ=build/tests/rpc/rpc_fuzz
[ -x $FUZZ ] || { echo "1..0 # SKIP $FUZZ not built"; exit 0; }
echo "1..2"
seed=${RPC_FUZZ_SEED:-$RANDOM}
echo "# seed $seed (RPC_FUZZ_SEED=$seed to repeat)"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
out=$($FUZZ 50000 "$seed" 2>"$d/log"); rc=$?
echo "# $out"
if [ $rc = 0 ]; then echo "ok 1 - 50000 inputs: accepted, refused and oversized frames, no crash or report"
else echo "not ok 1 - rpc_fuzz exit $rc"; tail -20 "$d/log" | sed 's/^/# /'; fi

echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' > "$d/p.c"
if ! "${FUZZ_CC:-clang}" -fsanitize=fuzzer,address "$d/p.c" -o "$d/p" 2>/dev/null; then
    echo "ok 2 # SKIP clang cannot build libFuzzer targets"
elif ! make -s build/fuzz/rpc_fuzz >&2; then
    echo "not ok 2 - the libFuzzer target builds"
else
    build/fuzz/rpc_fuzz -runs=20000 -seed="$seed" -max_len=4096 -artifact_prefix="$d/" >"$d/lf.log" 2>&1
    rc=$?
    if [ $rc = 0 ] && grep -q '^Done 20000 runs' "$d/lf.log"; then echo "ok 2 - libFuzzer: 20000 inputs, no crash or report"
    else echo "not ok 2 - libFuzzer exit $rc"; grep -A15 ERROR "$d/lf.log" | sed 's/^/# /'; fi
fi
