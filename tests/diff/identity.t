#!/bin/bash
# Identity inside as Linux (issue 9 item 5): tests/progs/t_identity drops
# from root to nobody and back as Linux allows (and the EPERM cases), checks
# file access by nobody against modes and owners (EACCES/EPERM cases of
# open, access, faccessat, execve, mkdir, unlink, chmod, chown, utimensat,
# truncate, sticky directories), the owner a chown or a creation by nobody
# leaves for a later stat, setgroups/getgroups, capget/capset, the bounding
# and ambient sets, PR_SET_KEEPCAPS, execve's capability rules for root and
# non-root, and kill permission between uids. Natively it needs real root.
. "$(dirname "$0")/lib.sh"
diff_setup

if [ "$(id -u)" != 0 ]; then
    tap_skip "t_identity" "needs root (a native run of set*id to other users)"
else
    diff_run -n "t_identity: ids, groups, capabilities, file permission, owners, kill" -- /tests/t_identity
fi
done_testing
