#!/bin/bash
# Range leasing under 50 concurrent clients; SysV key creation races.
. "$(dirname "$0")/lib.sh"
start_nsd a --snapshot-every 1000000   # the whole oplog, for the replay
wait_leader; ok $? "nsd leads and answers"
tap_run "$TC" "$SOCK" ranges 50 20
tap_run "$TC" "$SOCK" sysv 16 40
check_replay
done_testing
