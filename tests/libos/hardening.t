#!/usr/bin/env bash
# The libos's one syscall instruction meets the same narrow host allowlist
# whoever reaches it: host calls the libos never makes (execve, ptrace,
# mount, bpf, ...) are refused with EPERM there, ones it makes pass. And the
# kernel itself (Landlock) refuses host paths outside the mounts, even to a
# call made from that site with a host path the libos would never build.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/sandbox.sh"
SITECALL=$ROOT/build/tests/libos/sitecall
echo "1..9"
if ! command -v nm >/dev/null; then
    for i in 1 2 3 4 5 6 7 8 9; do echo "ok $i # SKIP nm (binutils) is missing"; done
    exit 0
fi
if [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -gt 1 ]; then
    for i in 1 2 3 4 5 6 7 8 9; do echo "ok $i # SKIP ptrace is restricted (yama ptrace_scope > 1)"; done
    exit 0
fi
work=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
sandbox_manifest /usr/bin/sleep > "$work/sleep.toml"
"$ROOT/bin/graphene" run "$work/sleep.toml" -- 30 &
pid=$!
base=""
for _ in $(seq 50); do
    base=$(awk -v img="$ROOT/lib/libos" '$6 == img { print $1; exit }' /proc/$pid/maps 2>/dev/null | cut -d- -f1)
    # Running the app: its own mappings are there besides the libos's.
    [ -n "$base" ] && grep -q /usr/bin/sleep /proc/$pid/maps 2>/dev/null && break
    sleep 0.1
done
off=$(nm "$ROOT/lib/libos" | awk '$3 == "host_syscall_site" { print $1 }')
if [ -z "$base" ] || [ -z "$off" ]; then
    for i in 1 2 3 4 5 6 7 8 9; do echo "not ok $i - could not find the libos syscall site (base '$base', offset '$off')"; done
    exit 1
fi
site=$(printf '0x%x' $((0x$base + 0x$off)))
# Host calls no libos needs, spread over the whole syscall range (execveat,
# ptrace, mount, bpf, io_uring, process_vm_*, modules, pivot_root, chroot,
# unshare, setns, keys, perf, userfaultfd, seccomp, prctl, reboot, clock
# setting, iopl, fsopen/fsmount, landlock, setuid, capset, sethostname,
# the host's System V IPC: shmget..shmctl, semget..msgctl, semtimedop).
DANGEROUS="59 322 101 165 166 321 425 426 311 310 246 175 313 176 155 161 272 308 250 248 249
298 323 317 157 135 163 167 168 169 164 227 172 173 154 312 303 304 300 179 153 438 442 430 432
429 428 444 446 105 106 126 170 171 29 30 31 64 65 66 67 68 69 70 71 220"
# shellcheck disable=SC2086
out=$("$SITECALL" "$pid" "$site" 39 257:/usr/bin/sleep 257:/etc/passwd $DANGEROUS)
check() { # check N NR EXPECT NAME
    if grep -qx "$2 $3" <<<"$out"; then echo "ok $1 - $4"; else echo "not ok $1 - $4"; echo "$out" | sed 's/^/# /'; fi
}
check 1 39 ok "getpid, which the libos makes, passes"
check 2 59 "Operation not permitted" "execve is refused at the libos's site"
check 3 101 "Operation not permitted" "ptrace is refused"
check 4 165 "Operation not permitted" "mount is refused"
check 5 321 "Operation not permitted" "bpf is refused"
check 6 425 "Operation not permitted" "io_uring_setup is refused"
check 7 257:/usr/bin/sleep ok "openat of a host path inside a mount passes"
if GRAPHENE_LOG=info "$ROOT/bin/graphene" run "$work/sleep.toml" -- 0 2>&1 | grep -q "Landlock is not available"; then
    echo "ok 8 # SKIP this kernel has no Landlock"
else
    # Launched by root the picoprocess's root holds only its mounts (the host
    # path is not there at all); otherwise Landlock refuses it.
    if [ "$(id -u)" = 0 ]; then
        check 8 257:/etc/passwd "No such file or directory" "a host path outside the mounts is not in the picoprocess's root"
    else
        check 8 257:/etc/passwd "Permission denied" "openat of a host path outside the mounts is refused by Landlock"
    fi
fi
denied=$(grep -cx "[0-9]* Operation not permitted" <<<"$out")
if [ "$denied" = "$(wc -w <<<"$DANGEROUS")" ]; then
    echo "ok 9 - all $denied dangerous host calls are refused at the libos site"
else
    echo "not ok 9 - only $denied of $(wc -w <<<"$DANGEROUS") dangerous host calls are refused"
fi
