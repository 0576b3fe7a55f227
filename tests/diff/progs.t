#!/bin/bash
# Differential tests: our own C test programs (tests/progs/t_*.c), one per
# syscall family.  Each prints only deterministic lines and exits 0 when all
# its self-checks pass, so a libos bug shows up as an output diff naming the
# failed check and as an exit-status mismatch.
. "$(dirname "$0")/lib.sh"
diff_setup

# The list comes from the sources, not the build dir, so a program that
# failed to build is a failing test rather than a silently missing one.
for src in "$ROOT"/tests/progs/t_*.c; do
    prog=$(basename "$src" .c)
    case $prog in
        t_die) continue ;; # needs a mode argument, run below
        t_peercred) continue ;; # a native child changes uid (root): tests/diff/peercred.t
        t_sysv_*) continue ;; # natively in new IPC and PID namespaces: tests/diff/sysv.t
        t_pids|t_reaper|t_wait|t_killall|t_pdeath|t_daemon) continue ;; # pid 1 natively only in a PID namespace: tests/diff/pids.t
        t_tty) continue ;; # needs a pty of its own: tests/diff/tty.t
        t_killed) continue ;; # killed from outside at chosen moments: tests/libos/faults.t
        t_proc) diff_run -- "/tests/$prog" first "second arg" ;;
        *) diff_run -- "/tests/$prog" ;;
    esac
done
# Statically linked builds (no ld.so; see TPROG_STATIC in tests/tests.mk).
for prog in t_threads t_signals t_sigsegv t_auxv; do
    diff_run -- "/tests/$prog-static"
done

# The umask is the caller's, whatever it is.
umask 027
diff_run -n "t_ident under umask 027" -- /tests/t_ident
umask 022

# Exit statuses, including death by signal as 128+N.
diff_run -s 134 -- /tests/t_die abort
diff_run -s 139 -- /tests/t_die segv
diff_run -s 137 -- /tests/t_die kill
diff_run -s 42 -- /tests/t_die exit42
diff_run -s 3 -- /tests/t_die thread-exit
done_testing
