#!/usr/bin/env bash
# Launched by an unprivileged user (here nobody), the picoprocess keeps that
# user's uid, for it cannot take another, but holds no inheritable or
# ambient capability and has no_new_privs (tools/confine.c). Its read-only
# mounts then have no read-only host mount behind them: the libos answers
# EROFS and, at the libos's own syscall site, Landlock refuses the write.
# Which of issue 9's attacks each test answers: see the header of site.t.
N=12
. "$(dirname "$0")/lib.sh"
RUN="setpriv --reuid=65534 --regid=65534 --clear-groups"
chmod 755 "$T"
# nobody may write both directories, so only the sandbox can stop a write
chown -R 65534:65534 "$T/w" "$T/ro"
# nobody's launcher starts an embedded nsd of its own, in a runtime
# directory of its own (make test's is root's)
mkdir -m 700 "$T/run" && chown 65534:65534 "$T/run"
export GRAPHENE_RUNTIME_DIR=$T/run

hold a "$T/m.toml"
A=$HELD
is "$(field Uid $A) / $(field Gid $A)" "65534 65534 65534 65534 / 65534 65534 65534 65534" \
   "the picoprocess runs as the launching user"
is "$(field CapInh $A) $(field CapAmb $A) $(field CapPrm $A) $(field CapEff $A)" \
   "0000000000000000 0000000000000000 0000000000000000 0000000000000000" "no capability to inherit or use"
is "$(field NoNewPrivs $A)" 1 "no_new_privs is set"
rofd=$(root_fd $A "$T/ro")
out=$("$SITECALL" $A "$(site $A)" "257,$rofd,s:new,0101,0644" 2>&1)
is "$(cut -d' ' -f2- <<<"$out") / $(ls "$T/ro")" "Permission denied / file" \
   "from the libos's site, creating a file in the read-only mount (root fd $rofd) is refused by Landlock"
release a

out=$($RUN "$G" run "$T/m.toml" -- -c 'echo x > /ro/file; touch /ro/new; rm /ro/file; echo hello > /w/new
    id -u; cp /usr/bin/true /w/su; chmod 4755 /w/su' 2>&1)
is "$(grep -c 'Read-only file system' <<<"$out") $(cat "$T/ro/file") $(ls "$T/ro")" "3 original file" \
   "writes, creation and unlink in the read-only mount are EROFS from the libos; nothing changed"
is "$(tail -1 <<<"$out") $(stat -c '%u %s' "$T/w/new")" "65534 65534 6" \
   "the writable mount is written as the launching user"
is "$(stat -c %a "$T/w/su")" 755 "chmod 4755 leaves no set-uid bit"
mode=$(stat -c %a "$T/ro/file")
is "$($RUN "$G" run "$T/m.toml" -- -c "$P fchmod /ro/file 0777; touch -c /ro/file 2>&1 | grep -c Read-only") $(stat -c %a "$T/ro/file")" \
   "Read-only file system
1 $mode" "fchmod of an fd, and utimes, in the read-only mount are EROFS (Landlock does not cover them)"
exec 5<"$T/ro/file"
is "$($RUN "$G" run "$T/m.toml" -- -c "$P fd 5")" closed "an inherited fd (5) is not open inside"
exec 5<&-
# A devpts of the sandbox's own (in a user namespace of the launcher's): a
# pty inside, and a host pty of the same user (held open here) is not in
# its /dev/pts, neither by the emulated open nor from the libos's site.
coproc HOSTPTY { $RUN /usr/bin/python3 -c 'import os, sys
m, s = os.openpty()
print(os.ttyname(s), flush=True)
sys.stdin.read()'; }
read -r host_pts <&"${HOSTPTY[0]}"
out=$($RUN "$G" run "$T/m.toml" -- -c "script -qec 'tty; echo hi' /dev/null; ls /dev/pts; cat $host_pts 2>&1" |
      tr -d '\r')
is "$out" "/dev/pts/0
hi
ptmx
cat: $host_pts: No such file or directory" "launched by a user: a pty inside; the user's host pty $host_pts is not there"
hold c "$T/m.toml"
C=$HELD
out=$("$SITECALL" $C "$(site $C)" "257,-100,s:$host_pts,2" "257,-100,s:/dev/ptmx,2" 2>&1)
is "$(cut -d' ' -f2- <<<"$out")" "No such file or directory
Permission denied" "from the libos's site, the user's host pty is not there and the host's /dev/ptmx is refused"
is "$(field CapInh $C) $(field CapPrm $C) $(field CapEff $C) $(field CapBnd $C)" \
   "0000000000000000 0000000000000000 0000000000000000 0000000000000000" \
   "no capability of the user namespace is left (bounding set empty)"
release c
exec {HOSTPTY[1]}>&-
wait "$HOSTPTY_PID" 2>/dev/null
