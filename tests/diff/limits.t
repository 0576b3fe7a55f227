#!/bin/bash
# Differential tests under small resource limits: the libos must start
# under any RLIMIT_NOFILE a process can start under, and show the app the
# limits Linux would.
. "$(dirname "$0")/lib.sh"
diff_setup

for n in 200 50; do
    ulimit -n $n # soft and hard: this script keeps the lowest from here on
    diff_run -n "t_ident under RLIMIT_NOFILE $n:$n" -- /tests/t_ident
done
diff_run -n "t_memlimit: RLIMIT_AS and RLIMIT_DATA on mmap, mremap, brk" -- /tests/t_memlimit
done_testing
