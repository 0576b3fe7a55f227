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

    # loader.uid/loader.gid: the app starts as nobody, as setpriv starts it
    nobody_id() {
        reset_scratch
        echo secret >"$SCRATCH/secret"
        chmod 600 "$SCRATCH/secret"
        want=$(cd "$SCRATCH" && setpriv --reuid=65534 --regid=65534 --clear-groups \
                   sh -c 'id; grep -E "^(Uid|Gid|CapEff|CapPrm)" /proc/self/status; cat secret' 2>&1)
        sandbox_manifest /bin/sh 'loader.uid = 65534' 'loader.gid = 65534' 'fs.start_dir = "/tmp"' \
            ro:/bin=/usr/bin ro:/etc=/etc "/tmp=$SCRATCH" >"$MANIFEST"
        got=$(cd "$WORK" && timeout 60 "$GRAPHENE" run "$MANIFEST" -- \
                  -c 'id; grep -E "^(Uid|Gid|CapEff|CapPrm)" /proc/self/status; cat secret' 2>&1)
        [ "$got" = "$want" ] || diag "native:" "$want" "graphene:" "$got"
        [ "$got" = "$want" ]
    }
    nobody_id
    tap_ok $? "loader.uid = 65534: id, /proc/self/status and a root 0600 file as setpriv shows them"

    # the owner record is the libos's: the app cannot forge or remove it
    forge() {
        reset_scratch
        sandbox_manifest /usr/bin/python3 'fs.start_dir = "/tmp"' "/tmp=$SCRATCH" >"$MANIFEST"
        got=$(cd "$WORK" && timeout 60 "$GRAPHENE" run "$MANIFEST" -- -c '
import os
open("f", "w").close()
os.chown("f", 123, 456)
for what, call in (("set", lambda: os.setxattr("f", "user.graphene.owner", bytes(8))),
                   ("fset", lambda: os.setxattr(os.open("f", os.O_RDONLY), "user.graphene.owner", bytes(8))),
                   ("fremove", lambda: os.removexattr(os.open("f", os.O_RDONLY), "user.graphene.owner"))):
    try:
        call()
        print(what, "ok")
    except OSError as e:
        print(what, e.errno)
st = os.stat("f")
print(st.st_uid, st.st_gid)' 2>&1 | tr '\n' ' ')
        [ "$got" = "set 95 fset 1 fremove 61 123 456 " ] || diag "got: $got"
        [ "$got" = "set 95 fset 1 fremove 61 123 456 " ]
    }
    forge
    tap_ok $? "the owner record cannot be set or removed by the app (EOPNOTSUPP by path, EPERM/ENODATA by fd)"
fi
done_testing
