#!/bin/bash
# The template mount namespace (tools/confine.c): with the embedded nsd up,
# a root launcher's sandbox namespace is a copy of the template (one empty
# read-only tmpfs) held by a process of its own, with the sandbox's tmpfs
# stacked on it and chrooted into. Attacked here: the sandbox's host-side
# mount table holds its own mounts only, escaping its root shows nothing
# (the template is empty and stays so), a forged name of the template is
# not joined, and everything goes with nsd.
. "$(dirname "$0")/../nsd/lib.sh"
. "$ROOT/tests/lib/sandbox.sh"
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (the template is for root launchers)"; exit 0; }
[ -f "$ROOT/lib/libos" ] || { echo "1..0 # SKIP lib/libos not built"; exit 0; }
cd "$D"
unset GRAPHENE_NSD
export GRAPHENE_RUNTIME_DIR=$D/rt GRAPHENE_NSD_LOG=$D/embedded.log GRAPHENE_LOG=info
RT=$GRAPHENE_RUNTIME_DIR
G=$ROOT/bin/graphene
echo "1..11"
sandbox_manifest /bin/sh /bin=/usr/bin > "$D/sh.toml"

# up NAME: a run of sh that says "up" and waits for its stdin's EOF; its
# host pid (the launcher execs into the picoprocess) in UP_NAME.
up() {
    mkfifo "$D/$1.in" "$D/$1.out"
    "$G" run "$D/sh.toml" -- -c 'echo up; read x' <"$D/$1.in" >"$D/$1.out" 2>"$D/$1.err" &
    eval "UP_$1=$!"
    exec {fd}>"$D/$1.in"; eval "IN_$1=$fd"
    local line
    read -r line <"$D/$1.out"
    [ "$line" = up ]
}
down() { local v=IN_$1 p=UP_$1; eval "exec ${!v}>&-"; wait "${!p}"; }
# wait_gone PID: PID has exited (a pidfd, 10 s at most).
wait_gone() {
    python3 -c 'import os, select, sys
try: fd = os.pidfd_open(int(sys.argv[1]))
except ProcessLookupError: sys.exit(0)
sys.exit(0 if select.select([fd], [], [], 10)[0] else 1)' "$1"
}

# The process a forged name names (below), in a mount namespace of its own;
# started first, so it holds no end of the runs' fifos.
mkfifo "$D/forged"
unshare -m sh -c 'echo ready; exec sleep 600' > "$D/forged" & forged=$!
PIDS+=("$forged")
read -r _ < "$D/forged"

up first; ok $? "a first run is up (it started nsd: no template for it)"
! grep -q "template" "$D/first.err"; ok $? "the run that started nsd made no template"
up second; ok $? "a second run, with nsd up, is up"
grep -q "over the template namespace" "$D/second.err"; ok $? "its root is over the template namespace"
holder=$(cut -d' ' -f1 "$RT/mntns.pid" 2>/dev/null)
[ -n "$holder" ] && [ "$(cat /proc/"$holder"/comm 2>/dev/null)" = graphene-mntns ] &&
    [ "$(stat -L -c %i /proc/"$holder"/ns/mnt)" = "$(cut -d' ' -f2 "$RT/mntns.pid")" ]
ok $? "mntns.pid names the holder and its namespace"

# The picoprocess's mount table, seen from the host: its root is its own
# tmpfs, and every mount point is one the launcher made.
P=$UP_second
# (mount point and file system type: the field after "-")
mounts() { awk '{for (i = 7; i < NF; i++) if ($i == "-") {print $5, $(i + 1); break}}' /proc/"$1"/mountinfo; }
want=$(printf '%s\n' / /usr /usr/lib /usr/lib64 /usr/bin "$RT" /proc /dev/null /dev/zero /dev/full \
       /dev/random /dev/urandom /dev/tty /dev/pts | sort)
[ "$(mounts "$P" | cut -d' ' -f1 | sort)" = "$want" ] && [ "$(mounts "$P" | grep '^/ ')" = "/ tmpfs" ]
ok $? "the sandbox's mount table holds its root and its mounts only"
# Its whole namespace, seen from the namespace keeper (rooted at the
# namespace's root, below the chroot): the template's root and the same.
keeper=$(for k in $(pgrep -x graphene-nskeep); do
             [ "$(stat -L -c %i /proc/$k/ns/mnt)" = "$(stat -L -c %i /proc/"$P"/ns/mnt)" ] && echo "$k"; done)
[ -n "$keeper" ] && [ "$(mounts "$keeper" | sort)" = "$(sort <(mounts "$P") <(echo "/ tmpfs"))" ]
ok $? "its namespace holds the template's root besides: nothing of the host"
# ".." at the sandbox's root leads back to it (the sandbox's tmpfs is
# stacked on the template's root), even from the host; the template's root,
# below, is empty and read-only.
[ "$(stat -c %d:%i /proc/"$P"/root/..)" = "$(stat -c %d:%i /proc/"$P"/root/)" ] &&
    [ -z "$(ls -A /proc/"$holder"/root)" ] && ! touch /proc/"$holder"/root/x 2>/dev/null
ok $? "no way up from the sandbox's root; the template below is empty and read-only"
down second

# A forged name (the pid of a process in another mount namespace, the
# inode of none) is not joined: the next launcher makes a holder anew.
echo "$forged 1" > "$RT/mntns.pid"
up third
grep -q "over the template namespace" "$D/third.err" && [ "$(cut -d' ' -f1 "$RT/mntns.pid")" != "$forged" ] &&
    [ "$(stat -L -c %i /proc/"$UP_third"/ns/mnt)" != "$(stat -L -c %i /proc/$forged/ns/mnt)" ]
ok $? "a forged mntns.pid is not joined (a new holder is made)"
holder=$(cut -d' ' -f1 "$RT/mntns.pid")
nsd=$("$CTL" nsd status | awk '$1 == "leader" {print $3}')
down third; down first

# The end: nsd ends with its last sandbox, the holder with nsd, and the
# runtime directory goes.
wait_gone "$nsd" && [ ! -e "$RT" ]; ok $? "nsd's end removes the runtime directory, mntns.pid with it"
wait_gone "$holder"; ok $? "the holder exits with nsd"
[ "$NFAIL" = 0 ]
