#!/bin/bash
# System V IPC (issue 7): tests/progs/t_sysv_{msg,sem,shm}.c natively in a
# new IPC namespace (ids start at 0, as in a new sandbox) and as pid 1 of a
# new PID namespace, and under graphene, where nsd leads the keys and the
# objects live in memory shared by the sandbox's picoprocesses.
. "$(dirname "$0")/lib.sh"
diff_setup
if [ "$(id -u)" != 0 ] || ! unshare --ipc --pid --fork --mount-proc true 2>/dev/null; then
    tap_skip "t_sysv" "needs root for native IPC and PID namespaces"
    done_testing
    exit
fi
diff_run -I -P -n "t_sysv_msg: message queues, flags, processes" -- /tests/t_sysv_msg
diff_run -I -P -n "t_sysv_sem: semaphores, SEM_UNDO after exit/SIGKILL/crash, 4-process mutex" -- /tests/t_sysv_sem
diff_run -I -P -n "t_sysv_shm: shared memory, attach counts through fork/exit/SIGKILL, removal" -- /tests/t_sysv_shm
diff_run -I -P -n "t_sysv_shm_vma: munmap, mmap over and mprotect of attachments count as Linux" -- /tests/t_sysv_shm_vma
diff_run -I -P -n "t_sysv_stop: semop EINTR after a stop signal, msgrcv/msgsnd wait on" -- /tests/t_sysv_stop
diff_run -I -P -n "t_sysv_many: 300 semaphore sets and 300 segments at once" -- /tests/t_sysv_many
diff_run -I -P -n "t_sysv_sysctl: limits written, EINVAL at the write as Linux" -- /tests/t_sysv_sysctl
diff_run -I -P -n "t_sysv_big: messages and queues beyond 64 KiB, msgmax and msgmnb up to INT_MAX" -- /tests/t_sysv_big
# util-linux and the interpreters' bindings, scripts copied to the scratch dir (the cwd)
copy_scripts() { cp "$ROOT"/tests/diff/sysv/* "$SCRATCH/"; }
diff_run -I -P -p copy_scripts -n "ipcmk, ipcs, ipcrm, /proc/sysvipc and /proc/sys/kernel limits" -- \
    /bin/sh tools.sh
diff_run -I -P -p copy_scripts -n "perl IPC::SysV, IPC::Msg, IPC::Semaphore, IPC::SharedMem" -- \
    /usr/bin/perl sysv.pl
if /usr/bin/python3 -c 'import sysv_ipc' 2>/dev/null; then
    diff_run -I -P -p copy_scripts -n "python3 sysv_ipc" -- /usr/bin/python3 t_sysv_ipc.py
else
    tap_skip "python3 sysv_ipc" "python3-sysv-ipc is not installed (make deps)"
fi
done_testing
