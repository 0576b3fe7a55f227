#!/usr/bin/env bash
# The app cannot take over the libos's fds, whatever its RLIMIT_NOFILE:
# raised to the hard limit, it dup2s onto and closes every fd number it does
# not hold; the libos keeps its mounts. Under a roomy and a small hard limit
# (50: the libos shares the range and hides its fds from the app).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test fdguard
sandbox_manifest /t/fdguard "/t=$PWD/build/tests/libos" > "$T/fdguard.toml"
n=0
check() { # check OUTPUT LINE LIMIT
    n=$((n + 1))
    if grep -qxF "$2" <<<"$1"; then echo "ok $n - $2 ($3)"; else echo "not ok $n - $2 ($3)"; sed 's/^/# /' <<<"$1"; fi
}
for lim in "" 50; do
    out=$( [ -z "$lim" ] || ulimit -n "$lim"; $G run "$T/fdguard.toml" 2>&1)
    for want in "raise soft limit: ok" "dup2/F_DUPFD onto the rest: done" \
                "open through the mount: ok" "still running"; do
        check "$out" "$want" "nofile ${lim:-default}"
    done
done
echo "1..$n"
