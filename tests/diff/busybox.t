#!/bin/bash
# Differential tests: statically linked busybox (no ld.so, its own libc).
. "$(dirname "$0")/lib.sh"
diff_setup

BB=/usr/bin/busybox
# A dynamic busybox names its ELF interpreter; the static one does not.
if [ ! -x "$BB" ] || LC_ALL=C grep -q /lib64/ld-linux "$BB"; then
    # `make deps` installs busybox-static; without it there is nothing to run.
    tap_skip "busybox" "busybox-static not installed (make deps)"
    done_testing
    exit
fi

diff_run -- $BB echo hello from busybox
diff_run -s 1 -- $BB false
diff_run -n "busybox sh: builtins, loops, arithmetic" -- $BB sh -c '
i=0; s=0; while [ $i -lt 100 ]; do s=$((s + i)); i=$((i + 1)); done; echo "sum $s"
f() { echo "f got $# args: $*"; return 5; }; f a b c; echo "ret $?"
for w in one two three; do printf "%s-" "$w"; done; echo
'
diff_run -s 6 -- $BB sh -c 'echo x; exit 6'
diff_run -n "busybox sh: pipeline of applets" -- $BB sh -c \
    'busybox seq 1 500 | busybox grep 3 | busybox wc -l; echo "$(busybox echo sub)"'
mk_bb_files() { printf 'b\na\nc\n' >"$SCRATCH/in.txt"; }
diff_run -p mk_bb_files -- $BB sort -r in.txt
diff_run -p mk_bb_files -- $BB sha256sum in.txt
diff_run -p mk_bb_files -- $BB wc -c in.txt
diff_run -- $BB uname -s
done_testing
