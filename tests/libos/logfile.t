#!/usr/bin/env bash
# loader.log_file: the libos's messages go to that host file, not into the
# app's stderr; an unsupported call is reported once per name however often
# it is made. Without the key they go to stderr, as before.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test logfile
n=0
check() { # check GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; printf '# got: %s\n' "$1"; fi
}
sandbox_manifest /t/unsupported "/t=$PWD/build/tests/libos" 'loader.log_file = "libos.log"' > "$T/log.toml"
$G run "$T/log.toml" >"$T/out" 2>"$T/err"
check "$?:$(cat "$T/out")" "0:app stdout" "the app runs, its stdout untouched"
check "$(cat "$T/err")" "app stderr" "the app's stderr holds only its own output"
check "$(grep -c 'unsupported syscall acct' "$T/libos.log")" 1 "the log file has the warning, once for three calls"
check "$(stat -c %a "$T/libos.log")" 600 "the log file is created 0600"
$G run "$T/log.toml" >/dev/null 2>&1
check "$(grep -c 'unsupported syscall acct' "$T/libos.log")" 2 "a second run appends"

sandbox_manifest /t/unsupported "/t=$PWD/build/tests/libos" > "$T/plain.toml"
$G run "$T/plain.toml" >/dev/null 2>"$T/err2"
check "$(grep -c 'unsupported syscall acct' "$T/err2"):$(grep -c '^app stderr$' "$T/err2")" "1:1" \
    "without loader.log_file the warning is on stderr, once"

sandbox_manifest /t/unsupported "/t=$PWD/build/tests/libos" "loader.log_file = \"$T/no/such/dir/x.log\"" > "$T/bad.toml"
check "$($G run "$T/bad.toml" 2>&1; echo "rc=$?")" \
    "graphene: $T/bad.toml:2: key 'loader.log_file': directory '$T/no/such/dir' is not accessible: No such file or directory
rc=2" "a log file in a missing directory is a manifest error"
echo "1..$n"
