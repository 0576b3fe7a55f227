#!/bin/bash
# `make run`, part two: starts the shell workload in a sandbox of its own,
# shows `graphenectl ps` of it from the host while it runs, then lets it
# finish. With no nsd running, graphene starts its embedded nsd and
# graphenectl finds it at the same default address.
set -e
cd "$(dirname "$0")/../.."
sandbox=demo-$$
fifo=$(mktemp -u /tmp/graphene-demo.XXXXXX)
mkfifo "$fifo"
trap 'rm -f "$fifo"' EXIT
exec {to}<> "$fifo"                 # the workload's stdin: "go" when the host is done
# A pipeline, not a process substitution: the reader must have printed
# everything before the status line below.
bin/graphene run --sandbox "$sandbox" manifests/demo-shell.toml <&$to |
    while IFS= read -r line; do
        if [ "$line" = READY ]; then
            echo "graphenectl ps --sandbox $sandbox (from the host, while it runs):"
            bin/graphenectl ps --sandbox "$sandbox" | sed 's/^/  /'
            echo go >&$to
        else
            echo "$line"
        fi
    done
echo "graphene run exited with status ${PIPESTATUS[0]}"
