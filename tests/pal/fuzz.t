#!/bin/bash
# paldaemon's connections under hostile input (tests/pal/pal_fuzz.c, its
# core in-process with ASan/UBSan): raw bytes, random and mutated frames
# from picoprocesses, garbage on TCP, and random sealed chunks from a peer
# that holds the cluster key. No crash or sanitizer report; every bad first
# frame and every keyless garbage closes its connection.
cd "$(dirname "$0")/../.." || exit 1
fuzz=build/tests/pal/pal_fuzz seed=${PAL_FUZZ_SEED:-$RANDOM}
if ! [ -x "$fuzz" ]; then echo "1..0 # SKIP $fuzz not built"; exit 0; fi
printf '1..1\n# seed %s (PAL_FUZZ_SEED=%s to repeat)\n' "$seed" "$seed"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
out=$($fuzz 20000 "$seed" 2>"$log"); rc=$?
echo "# $out"
if [ $rc = 0 ]; then echo "ok 1 - 20000 connections: bad input closed them, no crash or report"
else echo "not ok 1 - pal_fuzz exit $rc"; grep -v '^[0-9]* nsd\[' "$log" | tail -20 | sed 's/^/# /'; fi
