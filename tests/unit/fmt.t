#!/bin/bash
# The libos's vsnprintf (libos/rt/fmt.c: log lines, the text of /proc
# files) against glibc's, over random formats of what it supports, into
# buffers of every size down to 0 (tests/unit/fmttool.c): same text, same
# return value. Fixed seeds, so a failure repeats.
T=${FMTTOOL:-$(dirname "$0")/../../build/tests/unit/fmttool}
[ -x "$T" ] || { echo "1..0 # SKIP $T not built (make $T)"; exit 0; }
echo "1..3"
n=0
for seed in 1 2 3; do
    n=$((n + 1))
    out=$("$T" "$seed" 200000)
    if [ $? = 0 ]; then echo "ok $n - seed $seed: $out formats as glibc does"; else echo "not ok $n - seed $seed"; echo "$out" | sed 's/^/# /'; fi
done
