#!/bin/bash
# Scheduling, priorities and limits of other sandbox processes (issue 9
# item 2): tests/progs/t_prio sets its child's nice value, affinity,
# policy, sched_attr, limits and I/O priority and the child reads them
# back, and another process's thread by its tid; a nobody child is refused (EPERM) where Linux refuses; setpriority/
# getpriority and ioprio_set/ioprio_get over a process group of 3 and over
# a uid. Natively as root in
# a PID namespace (PRIO_USER reaches only its processes).
. "$(dirname "$0")/lib.sh"
diff_setup

if [ "$(id -u)" != 0 ]; then
    tap_skip "t_prio" "needs root (set*id to other users, a native PID namespace)"
else
    diff_run -P -n "t_prio: another process's nice, affinity, policy, limits, ioprio; EPERM for nobody; PRIO_PGRP, PRIO_USER" -- /tests/t_prio
fi
done_testing
