#!/bin/bash
# A gcc build under graphene next to the same build natively (not a test):
# make -j2 compiles 24 generated C files (each parsing the usual libc
# headers) and links them; bash, make, gcc, cc1, as and ld all run as
# picoprocesses. Prints the median wall time of 3 builds per side, with the
# syscall fast path on and off.
. "$(dirname "$0")/../lib/sandbox.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
G=$ROOT/bin/graphene
work=$(mktemp -d /tmp/graphene-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
for i in $(seq 1 24); do
    cat > "$work/src/m$i.c" <<C
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
struct rec$i { int key; double val; char name[32]; };
static int cmp$i(const void *a, const void *b) { return ((const struct rec$i *)a)->key - ((const struct rec$i *)b)->key; }
double work$i(int n)
{
    struct rec$i *r = calloc(n, sizeof(*r));
    double s = 0;
    for (int k = 0; k < n; k++) { r[k].key = (k * 7919) % n; r[k].val = sqrt(k); snprintf(r[k].name, sizeof(r[k].name), "r%d", k); }
    qsort(r, n, sizeof(*r), cmp$i);
    for (int k = 0; k < n; k++) s += r[k].val + strlen(r[k].name);
    free(r);
    return s;
}
C
done
{
    echo '#include <stdio.h>'
    for i in $(seq 1 24); do echo "double work$i(int n);"; done
    echo 'int main(void) { double s = 0;'
    for i in $(seq 1 24); do echo "s += work$i(100);"; done
    echo 'printf("%.0f\n", s); return 0; }'
} > "$work/src/main.c"
cat > "$work/src/Makefile" <<'MK'
OBJS := $(patsubst %.c,%.o,$(wildcard *.c))
prog: $(OBJS)
	gcc -o $@ $^ -lm -pthread
%.o: %.c
	gcc -O2 -c $< -o $@
clean:
	rm -f prog *.o
MK
sandbox_manifest /usr/bin/make "ro:/bin=/usr/bin" "ro:/etc=$ROOT/manifests/etc" "ro:/etc/ld.so.cache=/etc/ld.so.cache" \
    "/tmp=$work" "/src=$work/src" \
    'loader.env.PATH = "/usr/bin:/bin"' 'fs.start_dir = "/src"' > "$work/make.toml"

median3() { sort -n | sed -n 2p; }
build() { # build native|graphene: prints seconds
    make -s -C "$work/src" clean
    local t0 t1
    t0=$(date +%s.%N)
    if [ "$1" = native ]; then
        make -s -j2 -C "$work/src" prog >/dev/null || return 1
    else
        "$G" run "$work/make.toml" -- -s -j2 prog >/dev/null || return 1
    fi
    t1=$(date +%s.%N)
    "$work/src/prog" >/dev/null || return 1
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
nat=$(for i in 1 2 3; do build native; done | median3)
for fp in 1 0; do
    gra=$(for i in 1 2 3; do GRAPHENE_FAST_PATH=$fp build graphene; done | median3)
    [ -n "$nat" ] && [ -n "$gra" ] || { echo "build_bench: a build failed" >&2; exit 1; }
    awk -v g="$gra" -v n="$nat" -v s="$([ $fp = 1 ] && echo on || echo off)" 'BEGIN {
        printf "gcc build (make -j2, 25 files, median of 3), fast path %s: graphene %.2f s, native %.2f s, ratio %.2f\n", s, g, n, g / n }'
done
