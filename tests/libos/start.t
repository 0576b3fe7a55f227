#!/usr/bin/env bash
# How a picoprocess starts: a #! script as the entrypoint (with its
# interpreter's argument and the script's own arguments), the exit status of
# a missing or non-executable entrypoint, and a static binary.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test start
echo "1..5"
check() { # check N NAME EXPECTED ACTUAL
    if [ "$3" = "$4" ]; then echo "ok $1 - $2"; else echo "not ok $1 - $2"; echo "# expected: $3"; echo "# got: $4"; fi
}
printf '#!/usr/bin/bash -e\necho "script $0 got $# args: $*"\nexit 4\n' > "$T/script.sh"
chmod +x "$T/script.sh"
sandbox_manifest /s/script.sh "/s=$T" > "$T/script.toml"
out=$($G run "$T/script.toml" -- one two 2>&1); st=$?
check 1 "#! script entrypoint runs with its arguments" "script /s/script.sh got 2 args: one two" "$out"
check 2 "#! script's exit status" 4 "$st"

sandbox_manifest /s/missing "/s=$T" > "$T/missing.toml"
$G run "$T/missing.toml" >/dev/null 2>&1
check 3 "missing entrypoint exits 127" 127 "$?"

printf 'not a program\n' > "$T/data"
chmod +x "$T/data"
sandbox_manifest /s/data "/s=$T" > "$T/data.toml"
$G run "$T/data.toml" >/dev/null 2>&1
check 4 "entrypoint that is no program exits 126" 126 "$?"

sandbox_manifest /p/hello-static "/p=$PWD/build/tests/progs" > "$T/static.toml"
out=$($G run "$T/static.toml" 2>&1)
check 5 "static binary" "hello, world" "$out"
