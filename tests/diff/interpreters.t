#!/bin/bash
# Differential tests: bash, python3, perl and make running real scripts.
. "$(dirname "$0")/lib.sh"
diff_setup

# bash with builtins only: one process; no $(...), pipes or external
# commands, which would need fork/exec.
diff_run -n "bash builtins: loops, arithmetic, functions, printf" -- /usr/bin/bash -c '
fib() { local a=0 b=1 i; for ((i = 0; i < $1; i++)); do ((b = a + b, a = b - a)); done; FIB=$a; }
for n in 1 10 50 90; do fib "$n"; printf "fib(%d) = %s\n" "$n" "$FIB"; done
declare -A h=([x]=1 [y]=2); echo "sum: $((h[x] + h[y])) count: ${#h[@]}"
s=""; i=0; while [ $i -lt 5 ]; do s="$s$i,"; i=$((i + 1)); done; echo "${s%,}"
case foo.tar.gz in *.gz) echo gz;; *) echo other;; esac
str="Hello, World"; echo "${str,,} ${str^^} ${#str} ${str/World/There}"
arr=(c a b); arr+=(d); echo "${#arr[@]} ${arr[1]} ${arr[*]:1:2}"
printf "%05.1f|%-4s|%x|%q\n" 3.14159 ab 255 "a b"
printf -v v "%03d" 7; echo "v=$v"
f() { return 3; }; f; echo "status $?"
true && echo and || echo or; false || echo fallback
read -r first rest <<< "one two three"; echo "$first/$rest"
echo "$((2 ** 40)) $((-7 / 2)) $((7 % -3)) $((1 << 62))"
'
diff_run -s 7 -- /usr/bin/bash -c 'echo before; exit 7'
diff_run -s 1 -- /usr/bin/bash -c 'set -e; echo start; false; echo not reached'
diff_run -n "bash: subshells, pipes, external commands" -- /usr/bin/bash -c '
echo "sub: $(echo inner | tr a-z A-Z)"
seq 1 100 | grep 7 | wc -l
(exit 4); echo "subshell exit $?"
x=$(/usr/bin/false); echo "false gave $?"
'
diff_run -n "bash killed by SIGABRT reports 134" -s 134 -- /usr/bin/bash -c 'kill -ABRT $$'

diff_run -- /usr/bin/python3 -c 'print(sum(i * i for i in range(10**5))); import sys; print(sys.version_info[0])'
diff_run -n "python3: 8 threads summing, joined" -- /usr/bin/python3 -c '
import threading
results = [0] * 8
def work(k):
    results[k] = sum(range(k * 100000, (k + 1) * 100000))
ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print(len(ts), sum(results), sum(range(800000)))
'
# Threads that each spawn a process: fork (vfork/posix_spawn) from a
# multi-threaded picoprocess, pipes, and timed futex waits the kernel
# restarts through restart_syscall.
diff_run -n "python3: 16 threads each run a subprocess" -- /usr/bin/python3 -c '
import subprocess, threading
def work(i):
    out = subprocess.run(["/usr/bin/echo", str(i)], capture_output=True).stdout
    assert out == (str(i) + "\n").encode(), out
threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]
print("16 subprocesses from 16 threads")'
diff_run -n "python3: json, hashlib, files in cwd" -- /usr/bin/python3 -c '
import json, hashlib, os
with open("data.json", "w") as f: json.dump({"k": list(range(10))}, f)
with open("data.json") as f: d = json.load(f)
print(d["k"][-1], hashlib.sha256(open("data.json", "rb").read()).hexdigest())
os.mkdir("d"); open("d/x", "w").close(); print(sorted(os.listdir(".")))
'
diff_run -s 3 -- /usr/bin/python3 -c 'import sys; print("bye"); sys.exit(3)'
diff_run -s 1 -- /usr/bin/python3 -c 'raise ValueError("expected")'

diff_run -- /usr/bin/perl -e 'my %h = map { $_ => $_ ** 2 } 1..10; print join(",", map { "$_=$h{$_}" } sort { $a <=> $b } keys %h), "\n"; printf "%.3f\n", atan2(1, 1) * 4'
diff_run -n "perl: regex, sprintf, file I/O" -- /usr/bin/perl -e '
open(my $f, ">", "p.txt") or die; print $f "line $_\n" for 1..50; close $f;
open($f, "<", "p.txt") or die; my @l = grep { /5/ } <$f>; close $f;
print scalar(@l), " ", join("", @l);
(my $s = "Hello World") =~ s/(\w+)/\u\L$1/g; print "$s\n";'
diff_run -s 9 -- /usr/bin/perl -e 'print "x\n"; exit 9'

# make: parses a Makefile, runs recipes through /bin/sh (fork+exec+wait),
# decides what is up to date from mtimes.
make_project() {
    printf 'int x;\n' >"$SCRATCH/a.src"
    printf 'int y;\n' >"$SCRATCH/b.src"
    cat >"$SCRATCH/Makefile" <<'MK'
OBJS := a.obj b.obj
all: out.bin
	@echo "built $$(cat out.bin | wc -l) lines"
out.bin: $(OBJS)
	cat $^ > $@
%.obj: %.src
	sed 's/int/long/' $< > $@
clean:
	rm -f *.obj out.bin
.PHONY: all clean
MK
}
diff_run -n "make -j2: pattern rules, recipes via sh" -p make_project -- /usr/bin/make -s -j2 all
diff_run -n "make: -n dry run" -p make_project -- /usr/bin/make -n all
diff_run -s 2 -p make_project -- /usr/bin/make no-such-target

# gcc: the driver runs cc1, as and ld (collect2) as child processes; then
# the new program runs and its exit status comes back through bash.
c_project() {
    cat >"$SCRATCH/prog.c" <<'C'
#include <stdio.h>
int main(int argc, char **argv) { printf("built and ran with %d args: %s\n", argc, argv[1]); return 3; }
C
}
diff_run -n "gcc compiles, links and runs a program" -s 3 -p c_project -- /usr/bin/bash -c \
    'gcc -O2 -o prog prog.c && ./prog hello'
done_testing
