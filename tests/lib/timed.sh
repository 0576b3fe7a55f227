#!/usr/bin/env bash
# prove's --exec for every test file: runs it under a time limit, so a test
# that hangs (a lost quorum, a deadlock) fails with a message instead of
# holding the suite, and CI, until CI's own limit. timeout puts the test in
# a process group of its own and signals all of it.
limit=${GRAPHENE_TEST_LIMIT:-900}
timeout -k 10 "$limit" "$1"
rc=$?
if [ $rc = 124 ] || [ $rc = 137 ]; then
    echo "not ok - $1 was stopped after its time limit of $limit s (GRAPHENE_TEST_LIMIT)"
    echo "# $1: stopped after $limit s" >&2
fi
exit $rc
