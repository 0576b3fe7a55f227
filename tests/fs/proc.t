#!/bin/bash
# /proc and /dev as the sandbox sees them, through real programs (ls, cat,
# find) under bin/graphene.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/sandbox.sh
sandbox_test proc
manifest() { # program
	sandbox_manifest "/usr/bin/$1" 'loader.env.LANG = "C"' 'fs.start_dir = "/"' ro:/etc=/etc > "$T/$1.toml"
	echo "$T/$1.toml"
}
run() { local p=$1; shift; timeout 20 $G run "$(manifest "$p")" -- "$@" 2>&1; }
n=0
check() { # description, condition status
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}
echo "1..8"
top=$(run ls /proc)
pids=$(printf '%s\n' "$top" | grep -c '^[0-9]*$')
check "/proc lists exactly one pid" $([ "$pids" = 1 ]; echo $?)
status=$(run cat /proc/self/status)
check "status names the program" $(printf '%s\n' "$status" | grep -q $'^Name:\tcat$'; echo $?)
check "status has signal masks" $(printf '%s\n' "$status" | grep -q '^SigCgt:'; echo $?)
maps=$(run cat /proc/self/maps)
check "maps show sandbox paths only" $(printf '%s\n' "$maps" | grep -q ' /usr/bin/cat$\| /lib/x86_64-linux-gnu/libc.so.6$' && ! printf '%s\n' "$maps" | grep -q 'libos'; echo $?)
fds=$(run ls -l /proc/self/fd/)
check "fd links name sandbox paths" $(printf '%s\n' "$fds" | grep -q -- '-> /proc/[0-9]*/fd$'; echo $?)
dev=$(run ls /dev)
# (ptmx and pts/: the sandbox's own devpts)
check "/dev has the harmless devices and ptys only" $([ "$(echo $dev)" = "fd full null ptmx pts random stderr stdin stdout tty urandom zero" ]; echo $?)
exe=$(run ls -l /proc/self/exe)
check "exe is the sandbox path" $(printf '%s\n' "$exe" | grep -q -- '-> /usr/bin/ls$'; echo $?)
found=$(run find /proc/sys -maxdepth 2 -type d)
check "find walks /proc/sys" $([ "$(echo $found)" = "/proc/sys /proc/sys/kernel /proc/sys/kernel/random /proc/sys/vm" ]; echo $?)
