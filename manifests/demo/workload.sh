# Runs inside the sandbox (manifests/demo-shell.toml): several picoprocesses
# of one sandbox, with sandbox pids led by nsd.
exec 2>&1                               # job notices in order with the rest
echo "shell: pid $$ (the sandbox's first process), parent $PPID"
echo "pipeline: $(seq 1 5 | tr '\n' ' ' | sed 's/ $//')"

set -m                                  # job control: each job its own process group
sleep 60 | sleep 61 &
job=$!
pgid=$(ps -o pgid= -p "$job" | tr -d ' ')
echo "background job: 'sleep 60 | sleep 61' in process group $pgid"

sleep 30 &
child=$!
# Until the child has exec'd, its name is still bash (nothing tells us when).
for _ in $(seq 200); do [ "$(cat /proc/$child/comm)" = sleep ] && break; sleep 0.01; done
echo "/proc/$child/status read by its parent: $(grep -E '^(Name|PPid):' /proc/$child/status | tr -s '\t\n' '  ')"
echo "ps inside the sandbox:"
ps -eo pid,ppid,pgid,stat,comm | sed 's/^/  /'

echo "READY"                            # the host shows graphenectl ps now
read -r _

kill -TERM -"$pgid"
wait "$job"
echo "kill -TERM -$pgid: the job's pipeline ended with status $?"
kill "$child"
wait "$child"
echo "kill $child: status $?"
echo "done"
