#!/bin/bash
# Sandbox escape test (not differential).  Under graphene the program
# /tests/escape must be able to read a control file inside the /tmp mount,
# and every route to a host file outside the mounts must fail with ENOENT:
# absolute paths climbing above "/", ".." out of a mount, /proc/self/root and
# /proc/self/cwd, and symlinks planted in the /tmp mount (absolute and
# relative, to files and to directories).  EACCES or any other error is a
# failure too: the file must look like it does not exist.  Creating files
# through such routes must fail the same way and leave nothing on the host.
#
# With GRAPHENE_DIFF_NATIVE_ONLY=1 the program runs natively, where every
# route marked "native" below must REACH the secret: that proves the probes
# are real escape routes and that the program detects a successful one.
. "$(dirname "$0")/lib.sh"
diff_setup

SECRET=$WORK/secret.txt           # on the host, outside every mount
echo "TOP-SECRET" >"$SECRET"
rel_from() { realpath -m --relative-to="$1" "$SECRET"; }

plant() {
    echo "CONTROL-OK" >"$SCRATCH/control.txt"
    ln -s "$SECRET" "$SCRATCH/abs_link"
    ln -s ../secret.txt "$SCRATCH/rel_link"
    ln -s "$WORK" "$SCRATCH/dir_link"
    ln -s .. "$SCRATCH/up_link"
    ln -s "$ROOT" "$SCRATCH/repo_link"
    ln -s "$(rel_from "$SCRATCH")" "$SCRATCH/deep_rel_link"
}

# Routes that also reach the secret in an unconfined native run from the
# scratch dir (that is what makes them meaningful probes).
NATIVE_PROBES=(
    "/../..$SECRET"
    "../secret.txt"
    "../../../../../../../../..$SECRET"
    "/tmp/../../../..$SECRET"
    "/usr/../$(rel_from /)"
    "/proc/self/root$SECRET"
    "/proc/self/cwd/../secret.txt"
    "abs_link"
    "rel_link"
    "dir_link/secret.txt"
    "up_link/secret.txt"
    "deep_rel_link"
    "repo_link/Makefile"
    "w:dir_link/pwned-1"
    "w:/../..$WORK/pwned-2"
)
# Routes that only mean something inside the sandbox: a libos that joins the
# mount's host dir with the rest of the path would land on the secret.
SANDBOX_PROBES=(
    "/tmp/$(rel_from "$SCRATCH")"
    "/tests/$(rel_from "$PROGS")"
    "/lib/$(rel_from /usr/lib)"
    "/proc/1/root$SECRET"
    "w:/tmp/$(rel_from "$SCRATCH" | sed 's/secret.txt$/pwned-3/')"
)

reset_scratch
plant
if [ "$NATIVE_ONLY" = 1 ]; then
    run_native esc /dev/null "" /tests/escape control.txt CONTROL-OK "${NATIVE_PROBES[@]}"
    expect=REACHED
    probes=("${NATIVE_PROBES[@]}")
    side=native
else
    run_graphene esc /dev/null "" /tests/escape /tmp/control.txt CONTROL-OK \
        "${NATIVE_PROBES[@]}" "${SANDBOX_PROBES[@]}"
    expect=ENOENT
    probes=("${NATIVE_PROBES[@]}" "${SANDBOX_PROBES[@]}")
    side=graphene
fi

grep -qx "control: readable" "$OUT/esc.out" && [ "$status" -eq 0 ]
r=$?
[ $r -eq 0 ] || { diag "exit status $status"; show_run esc "$side"; }
tap_ok $r "$side: control file inside the /tmp mount is readable"

for p in "${probes[@]}"; do
    line=$(awk -v p="$p: " 'index($0, p) == 1 { print; exit }' "$OUT/esc.out")
    case $line in
        "$p: $expect"*) r=0 ;;
        *) r=1; diag "got: ${line:-<no output for this probe>}" ;;
    esac
    tap_ok $r "$side: $p -> $expect"
done

if [ "$NATIVE_ONLY" != 1 ]; then
    ls "$WORK"/pwned-* >/dev/null 2>&1
    r=$((!$?))
    [ $r -eq 0 ] || diag "created on the host: $(ls "$WORK"/pwned-*)"
    tap_ok $r "graphene: nothing was created outside the mounts"
fi
grep -qx TOP-SECRET "$SECRET"
tap_ok $? "secret file unchanged"
done_testing
