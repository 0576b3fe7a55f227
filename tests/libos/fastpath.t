#!/usr/bin/env bash
# The syscall fast path (libos/fastpath.c): which sites it rewrites, that the
# manifest key and GRAPHENE_FAST_PATH turn it off, that a host where page 0
# cannot be mapped falls back to the trap with one info line, and that the
# app cannot change the trampoline. (Its semantics are checked by the
# differential test t_fastpath, and by the whole suite, which CI runs with
# the fast path on and off.)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/sandbox.sh"
G=$ROOT/bin/graphene
# This test chooses the fast path itself (CI runs the suite also with it off).
unset GRAPHENE_FAST_PATH
PROGS=$ROOT/build/tests/progs
echo "1..11"
work=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
chmod 755 "$work"
sandbox_manifest /tests/t_fastpath "/tests=$PROGS" > "$work/f.toml"
sandbox_manifest /tests/trampoline "/tests=$PROGS" > "$work/t.toml"
{ cat "$work/f.toml"; echo 'sys.syscall_fast_path = false'; } > "$work/off.toml"

failed=0
ok() { # ok N COND NAME [DIAG]
    if [ "$2" = 0 ]; then
        echo "ok $1 - $3"
    else
        echo "not ok $1 - $3"
        failed=1
        [ -z "${4:-}" ] || printf '%s\n' "$4" | sed 's/^/# /'
    fi
}

log=$(GRAPHENE_LOG=info "$G" run "$work/f.toml" -- report 2>&1 >"$work/report")
lines=$(grep -c "syscall fast path" <<<"$log")
ok 1 "$([ "$lines" = 1 ]; echo $?)" "exactly one info line says whether the fast path is on" "$log"
fast_on=1
grep -q "syscall fast path on" <<<"$log" || fast_on=0
if [ $fast_on = 1 ]; then
    want="raw_getppid rewritten
syscall() rewritten
dlopen rewritten
execve rewritten
raw_read rewritten
raw_recv rewritten
jit trapping
overlap trapping
redzone trapping
on_stack rewritten"
    ok 2 "$([ "$(cat "$work/report")" = "$want" ]; echo $?)" \
        "sites in the executable, libc (syscall(), execve) and a dlopen'ed library are rewritten, and the read and recvfrom sites the signal cases block on; JIT code, a syscall inside another instruction and one in a red-zone leaf are not" \
        "$(cat "$work/report")"
else
    echo "ok 2 # SKIP the fast path is not available here: $(grep "syscall fast path" <<<"$log")"
fi

all_trap="raw_getppid trapping
syscall() trapping
dlopen trapping
execve trapping
raw_read trapping
raw_recv trapping
jit trapping
overlap trapping
redzone trapping
on_stack trapping"
log=$(GRAPHENE_LOG=info "$G" run "$work/off.toml" -- report 2>&1 >"$work/report")
ok 3 "$([ "$(cat "$work/report")" = "$all_trap" ] && grep -q "syscall fast path off: turned off" <<<"$log"; echo $?)" \
    "sys.syscall_fast_path = false: every site traps, and the log says why" "$log
$(cat "$work/report")"
log=$(GRAPHENE_FAST_PATH=0 GRAPHENE_LOG=info "$G" run "$work/f.toml" -- report 2>&1 >"$work/report")
ok 4 "$([ "$(cat "$work/report")" = "$all_trap" ]; echo $?)" "GRAPHENE_FAST_PATH=0 overrides the manifest" "$(cat "$work/report")"
out=$(GRAPHENE_FAST_PATH=yes "$G" run "$work/f.toml" 2>&1; echo "rc=$?")
ok 5 "$(grep -q "GRAPHENE_FAST_PATH: expected 0 or 1" <<<"$out" && grep -q "rc=2" <<<"$out"; echo $?)" \
    "a bad GRAPHENE_FAST_PATH is an error" "$out"

# Without CAP_SYS_RAWIO the kernel maps nothing below vm.mmap_min_addr.
min=$(cat /proc/sys/vm/mmap_min_addr)
if [ "$min" = 0 ]; then
    echo "ok 6 # SKIP vm.mmap_min_addr is 0: page 0 can always be mapped"
elif [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    echo "ok 6 # SKIP needs root and setpriv to drop CAP_SYS_RAWIO"
else
    log=$(GRAPHENE_LOG=info setpriv --bounding-set=-sys_rawio "$G" run "$work/f.toml" 2>&1 >"$work/out")
    st=$?
    ok 6 "$([ $st = 0 ] && grep -q "syscall fast path off: page 0 cannot be mapped" <<<"$log" && [ "$(grep -c "syscall fast path" <<<"$log")" = 1 ]; echo $?)" \
        "page 0 not mappable (vm.mmap_min_addr = $min, no CAP_SYS_RAWIO): one info line, and everything works by the trap" "$log
$(grep -v '^ok' "$work/out")"
fi

if [ $fast_on = 0 ]; then
    echo "ok 7 # SKIP the fast path is not available here"
    echo "ok 8 # SKIP the fast path is not available here"
else
    out=$("$G" run "$work/t.toml" 2>&1)
    want="mprotect ENOMEM
munmap EINVAL
mmap-fixed ENOMEM
mremap EINVAL
madvise EINVAL"
    ok 7 "$([ "$(head -5 <<<"$out")" = "$want" ]; echo $?)" \
        "mprotect, munmap, mmap(MAP_FIXED), mremap and madvise over the trampoline are refused" "$out"
    ok 8 "$(grep -qx "write SIGSEGV" <<<"$out" && grep -qx "byte0 eb" <<<"$out"; echo $?)" \
        "the trampoline is not writable and stays intact" "$out"
fi

# Entering the trampoline by hand (ptrace), as a hijacked app could, reaches
# only the emulation: getppid answers the sandbox's 0 (the host's would be
# this shell), ptrace/mount/bpf/io_uring_setup/kexec_load are not host calls
# (the host would have PTRACE_TRACEME succeed).
if [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -gt 1 ]; then
    echo "ok 9 # SKIP ptrace is restricted (yama ptrace_scope > 1)"
else
    mkfifo "$work/fifo"
    "$G" run "$work/t.toml" -- spin > "$work/fifo" &
    pid=$!
    read -r site how < "$work/fifo"
    if [ "$how" != rewritten ]; then
        echo "ok 9 # SKIP the site was not rewritten ($how): the fast path is not available here"
    else
        out=$("$ROOT/build/tests/libos/fastcall" "$pid" "$site" 110 101 165 321 425 246 2>&1)
        want="110 = 0
101 Function not implemented
165 Function not implemented
321 Function not implemented
425 Function not implemented
246 Function not implemented"
        ok 9 "$([ "$out" = "$want" ]; echo $?)" \
            "calls entered through the trampoline are emulated, never made on the host" "$out"
    fi
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
fi
# t_fastpath in MODE (stepped, faultstepped) for exitstep: its pid, fd 3
# on its output, the handler and return address its first line gives, and
# the libos's load address (base).
stepped_start() {
    rm -f "$work/fifo"
    mkfifo "$work/fifo"
    "$G" run "$work/f.toml" -- "$1" > "$work/fifo" &
    pid=$!
    exec 3<"$work/fifo"
    read -r ready handler ret <&3
    base=$(awk -v img="$ROOT/lib/libos" '$6 == img { print $1; exit }' /proc/$pid/maps | cut -d- -f1)
}
stepped_end() {
    exec 3<&-
    # Not left running if exitstep failed before its SIGUSR1.
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
}
# A host signal at any instruction of the return to the app (stepped there
# with ptrace) reaches the app handler before the app goes on after the
# call, with every register intact.
if [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -gt 1 ] || ! command -v nm >/dev/null; then
    echo "ok 10 # SKIP needs ptrace and nm"
else
    stepped_start stepped
    if [ $fast_on = 0 ]; then
        echo "ok 10 # SKIP the fast path is not available here"
        kill -9 "$pid"
    else
        # Every instruction from fastpath_exit to the final jump, and of
        # the popfq way back (taken by the calls made with DF set).
        sym() { nm "$ROOT/lib/libos" | awk -v s="$1" '$3 == s { print $1 }'; }
        insns() {
            objdump -d --insn-width=16 --start-address=0x"$(sym "$1")" --stop-address=$((0x$(sym "$2") + 1)) "$ROOT/lib/libos" |
                sed -n 's/^ *\([0-9a-f]*\):\t[0-9a-f][0-9a-f] .*/\1/p' | while read -r a; do printf '0x%x ' $((0x$base + 0x$a)); done
        }
        addrs="$(insns fastpath_exit fastpath_exit_jump)$(insns fastpath_exit_popf fastpath_exit_popf_jump)"
        n=$(wc -w <<<"$addrs")
        # shellcheck disable=SC2086
        inj=$(timeout 120 "$ROOT/build/tests/libos/exitstep" "$pid" "$handler" "$ret" $addrs 2>&1)
        out=$(timeout 60 cat <&3)
        ok 10 "$([ "$n" -gt 30 ] && [ "$inj" = "injected $n" ] && [ "$out" = "registers kept after $n signals" ]; echo $?)" \
            "a signal at each of the $n instructions of the fast path's way back (by ret, by the jump, by popfq): its handler runs before the app goes on, registers kept" "$ready $handler $ret
$inj
$out"
    fi
    stepped_end
fi
# A host signal just after the last delivery check of a call served inside
# its own fault (fastpath_fault; stopped with ptrace at the fault handler's
# host sigreturn, the last libos instruction before the app goes on) reaches
# the app handler before the app goes on after the call.
if [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -gt 1 ] || ! command -v nm >/dev/null; then
    echo "ok 11 # SKIP needs ptrace and nm"
elif [ $fast_on = 0 ]; then
    echo "ok 11 # SKIP the fast path is not available here"
else
    stepped_start faultstepped
    at=$(nm "$ROOT/lib/libos" | awk '$3 == "host_sigreturn" { print $1 }')
    addrs=$(for _ in $(seq 10); do printf '0x%x ' $((0x$base + 0x$at)); done)
    # shellcheck disable=SC2086
    inj=$(timeout 120 "$ROOT/build/tests/libos/exitstep" "$pid" "$handler" "$ret" $addrs 2>&1)
    out=$(timeout 60 cat <&3)
    ok 11 "$([ "$inj" = "injected 10" ] && [ "$out" = "answers kept after 10 signals" ]; echo $?)" \
        "a signal as a call served inside its own fault returns: its handler runs before the app goes on" "$ready $handler $ret
$inj
$out"
    stepped_end
fi
exit $failed
