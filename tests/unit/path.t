#!/bin/bash
# Lexical sandbox path logic of the libos (libos/fs/path.c), through the
# native driver: canonicalization, mount matching, virtual parent
# directories and symlink splicing. Each line: expected | driver arguments.
# Intermediate results must fit the buffer too (canon-small / /a/.. 2).
T=${PATHTOOL:-$(dirname "$0")/../../build/tests/unit/pathtool}
[ -x "$T" ] || { echo "1..0 # SKIP $T not built (make $T)"; exit 0; }

cases=$(cat <<'CASES'
/                | canon / /
/a/b             | canon / /a/b
/a/b             | canon / //a///b//
/a/b             | canon / /a/./b/.
/a               | canon / /a/b/..
/                | canon / /..
/                | canon / /../../..
/etc/shadow      | canon / /../../etc/shadow
/etc/shadow      | canon /usr/lib ../../../../etc/shadow
/usr/lib/x       | canon /usr/lib x
/usr/lib         | canon /usr/lib .
/usr             | canon /usr/lib ..
/                | canon / .
/b               | canon /a ../b/
/a/...           | canon / /a/...
/a/..b           | canon / /a/..b
/abs             | canon /cwd /abs
error 36         | canon-small / /abcdef 5
/abc             | canon-small / /abc 5
error 36         | canon-small / /a/.. 2
yes              | wantsdir /a/
1                | dots a/.
2                | dots /a/..
2                | dots ..
0                | dots a/..b
0                | dots a/./
yes              | wantsdir /a/.
yes              | wantsdir ..
yes              | wantsdir .
no               | wantsdir /a/b
no               | wantsdir /a/..b
(self)           | under /usr /usr
lib              | under /usr /usr/lib
lib/x            | under /usr /usr/lib/x
(no)             | under /usr /usrx
(no)             | under /usr/lib /usr
usr              | under / /usr
(self)           | under / /
/usr/lib         | longest /usr/lib/x / /usr /usr/lib /usr/libx
/usr             | longest /usr/libx /usr/lib /usr
/                | longest /etc / /usr
(none)           | longest /etc /usr /lib
(none)           | longest /usrx /usr
/usr             | longest /usr /usr /usr/lib
usr              | child / /usr/lib
lib              | child /usr /usr/lib/x
(no)             | child /usr /usr
(no)             | child /usr /etc/x
(no)             | child /usr /usrx/a
/|               | split /
/|a              | split /a
/a/b|c           | split /a/b/c
/x/y/rest        | splice /a/link /x/y rest
/a/t/r/s         | splice /a/link t r/s
/r               | splice /a/link ../../.. r
/b/c             | splice /a/link ../b/c ""
/                | splice /link / ""
/etc/shadow      | splice /m/l ../../../../etc/shadow ""
/m/z             | splice /m/d/l ../z ""
CASES
)

n=$(printf '%s\n' "$cases" | wc -l)
echo "1..$n"
i=0
while IFS='|' read -r expect args; do
	i=$((i + 1))
	expect=$(printf '%s' "$expect" | sed 's/ *$//')
	# split: the expected value itself contains '|', rejoin it
	if [[ $args == *'|'* ]]; then expect="$expect|${args%%|*}"; expect=$(printf '%s' "$expect" | sed 's/ *$//'); args=${args#*|}; fi
	args=${args# }
	eval "set -- $args"
	got=$("$T" "$@")
	if [ "$got" = "$expect" ]; then
		echo "ok $i - $args"
	else
		echo "not ok $i - $args: expected '$expect', got '$got'"
	fi
done <<<"$cases"
