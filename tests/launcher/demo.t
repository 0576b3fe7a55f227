#!/bin/bash
# The multi-process demo of `make run` (manifests/demo/run.sh) works: the
# pids `ps` shows inside the sandbox are the ones `graphenectl ps` shows
# from the host while it runs, and the group signal ends the job.
. "$(dirname "$0")/../nsd/lib.sh"
make -s -C "$ROOT" all >&2 || { echo "Bail out! build"; exit 1; }
export GRAPHENE_RUNTIME_DIR=$D/rt
unset GRAPHENE_NSD GRAPHENE_LIBOS
out=$(timeout 60 "$ROOT/manifests/demo/run.sh"); rc=$?
echo "$out" | sed 's/^/# /'
[ $rc = 0 ] && [ "$(echo "$out" | tail -1)" = "graphene run exited with status 0" ]; ok $? "the demo runs, exit 0"
inside=$(echo "$out" | sed -n '/^ps inside/,/^graphenectl/p' | awk '$5 == "sleep" {print $1, $2, $3}')
host=$(echo "$out" | awk '$NF ~ /^(60|61|30)$/ && $6 == "live" {print $2, $3, $4}')
[ -n "$inside" ] && [ "$inside" = "$host" ]; ok $? "the sleeps' pid, ppid, pgid: same inside (ps) and from the host (graphenectl ps)"
echo "$out" | grep -q "^shell: pid 1 " ; ok $? "the shell is the sandbox's pid 1"
echo "$out" | grep -q "^/proc/[0-9]*/status read by its parent: Name: sleep PPid: 1"
ok $? "the parent reads its child's /proc"
echo "$out" | grep -q "^kill -TERM -[0-9]*: the job's pipeline ended with status 143"; ok $? "a signal to the job's group"
until_gone() { for _ in $(seq 100); do [ ! -e "$GRAPHENE_RUNTIME_DIR" ] && return 0; sleep 0.05; done; return 1; }
until_gone; ok $? "the embedded nsd ended with it"
done_testing
