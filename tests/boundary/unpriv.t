#!/usr/bin/env bash
# Launched by an unprivileged user (here nobody), the picoprocess keeps that
# user's uid, for it cannot take another, but holds no inheritable or
# ambient capability and has no_new_privs (tools/confine.c). Its read-only
# mounts then have no read-only host mount behind them: the libos answers
# EROFS and, at the libos's own syscall site, Landlock refuses the write.
N=10
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
# No private root to mount a devpts of the sandbox's own in, and the host's
# would open the user's other terminals (same uid): no ptys inside.
is "$($RUN "$G" run "$T/m.toml" -- -c 'ls /dev/ptmx /dev/pts 2>&1 | grep -c "No such file"')" 2 \
   "launched by a user: no /dev/ptmx and no /dev/pts"
