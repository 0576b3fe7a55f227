#!/bin/bash
# Differential tests: coreutils (dynamically linked glibc programs).
. "$(dirname "$0")/lib.sh"
diff_setup

# Fixture used by the file-reading tests: fixed content, fixed mtimes.
make_files() {
    printf 'pear\napple\nfig\nbanana\napple\n' >"$SCRATCH/fruit.txt"
    seq 1 2000 >"$SCRATCH/numbers.txt"
    mkdir -p "$SCRATCH/dir/sub"
    printf 'alpha\n' >"$SCRATCH/dir/a"
    printf 'beta beta\n' >"$SCRATCH/dir/b"
    ln -s a "$SCRATCH/dir/link-to-a"
    chmod 600 "$SCRATCH/dir/b"
    # ls -la shows mtimes, ".." included: pin every one of them.
    touch -h -d '2020-01-02 03:04:05 UTC' "$SCRATCH/dir/sub" "$SCRATCH/dir/a" "$SCRATCH/dir/b" \
        "$SCRATCH/dir/link-to-a" "$SCRATCH/dir" "$SCRATCH"
}
printf 'zeta\nalpha\nmu\nalpha\n' >"$WORK/sort.in"

diff_run -- /usr/bin/true
diff_run -s 1 -- /usr/bin/false
diff_run -- /usr/bin/echo hello "two  spaces" '$literal'
diff_run -p make_files -- /usr/bin/cat fruit.txt dir/a
diff_run -n "sort stdin" -i "$WORK/sort.in" -- /usr/bin/sort
diff_run -p make_files -- /usr/bin/sort -u fruit.txt
diff_run -p make_files -- /usr/bin/wc fruit.txt numbers.txt
diff_run -p make_files -- /usr/bin/sha256sum numbers.txt fruit.txt
diff_run -s 1 -p make_files -- /usr/bin/cat no-such-file
# ls runs inside the directory: the host and sandbox paths of it differ.
diff_run -p make_files -C dir -- /usr/bin/ls -la .
diff_run -p make_files -- /usr/bin/ls -R dir
diff_run -p make_files -- /usr/bin/stat -c '%n %s %a %F %Y' dir dir/a dir/b dir/link-to-a
# Real-time clock only at day granularity (flips only at midnight UTC).
diff_run -- /usr/bin/date -u +%Y-%m-%d
diff_run -- /usr/bin/date -d @0 '+%Y-%m-%d %H:%M:%S %Z'
diff_run -- /usr/bin/date -d '2020-02-29 12:34:56' '+%s %A %j'
diff_run -p make_files -- /usr/bin/head -n 3 numbers.txt
diff_run -p make_files -- /usr/bin/tail -n 2 fruit.txt
diff_run -p make_files -- /usr/bin/cp -r dir dir2
# The app must see exactly the manifest's variables (order aside).
diff_run -- /usr/bin/printenv PATH LC_ALL TZ
diff_run -n "environment has nothing else" -- /usr/bin/python3 -c 'import os; print(sorted(os.environ))'
diff_run -- /usr/bin/uname -s
diff_run -- /usr/bin/readlink -f /proc/self/fd/0
# tail -f (inotify): the reader appends the second line only after it has
# read the first, so tail is following by then; tail ends when the reader
# closes the pipe. Nothing waits on time.
diff_run -n "tail -f follows an append" -- /bin/sh -c 'echo one > log
tail -f log | { read a; echo "got $a"; echo two >> log; read b; echo "got $b"; }
echo "tail ended"'
# Scheduling policy and affinity (util-linux's chrt and taskset).
diff_run -n "chrt -b, chrt -p" -- /bin/sh -c 'chrt -b 0 sh -c "exec chrt -p \$\$" | sed "s/pid [0-9]*/pid N/"'
diff_run -n "ionice -c 3, ionice" -- /usr/bin/ionice -c 3 /usr/bin/ionice
diff_run -n "taskset -c 0, taskset -p" -- /bin/sh -c 'taskset -c 0 sh -c "exec taskset -p \$\$" | sed "s/pid [0-9]*/pid N/"'
done_testing
