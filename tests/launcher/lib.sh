# Shared helpers for the launcher's TAP tests (sourced, not run). Builds the
# drivers first so the tests also work right after `make all`.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
make -s -C "$root" bin/graphene build/tests/launcher/toml_dump build/tests/launcher/dump_blob >&2 ||
    { echo "Bail out! cannot build the launcher test drivers"; exit 1; }
GRAPHENE=$root/bin/graphene
TOML_DUMP=$root/build/tests/launcher/toml_dump
DUMP_BLOB=$root/build/tests/launcher/dump_blob
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

tap_n=0
tap_failed=0

# is GOT EXPECTED NAME: one test point, with a diff on failure.
is() {
    tap_n=$((tap_n + 1))
    if [ "$1" == "$2" ]; then
        echo "ok $tap_n - $3"
    else
        echo "not ok $tap_n - $3"
        diff <(printf '%s\n' "$2") <(printf '%s\n' "$1") | sed 's/^/# /'
        tap_failed=1
    fi
}

done_testing() {
    echo "1..$tap_n"
    exit $tap_failed
}
