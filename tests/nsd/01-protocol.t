#!/bin/bash
# Registration, leases, exit/reap/lost, process groups and sessions, and
# hostile input, with simulated picoprocess clients.
. "$(dirname "$0")/lib.sh"
start_nsd a
wait_leader; ok $? "nsd leads and answers"
tap_run "$TC" "$SOCK" basic
tap_run "$TC" "$SOCK" pgrp
tap_run "$TC" "$SOCK" bad
kill -0 "$PID_a"; ok $? "nsd survived the hostile clients"
grep -q "closing connection .*: oversized frame" "$D/a.log"; ok $? "reason for closing is logged"
done_testing
