#!/usr/bin/env bash
# paldaemon (paldaemon/): one sandbox on two "hosts" of this machine. Each
# host is a UTS namespace with its own name (what its picoprocesses
# register with nsd, the host column of graphenectl ps) and its paldaemon;
# hostB's paldaemon runs in a network namespace of its own, joined to the
# first by a veth pair (loopback when `ip netns` cannot be used). One nsd
# leads the sandbox. A process of hostB signals a process on hostA (kill 0,
# kill, tgkill and tkill to its second thread, sigqueue with a value, kill(-pgid) of
# its group) and reads its /proc; siginfo shows the sender's sandbox pid
# and uid; pid 1's end kills a process of hostB; hostA's root starts a
# program on hostB (paldaemon --spawn). Every stream goes through the two
# paldaemons (their logs say so), never the unix socket itself.
# Attacks: a paldaemon with another cluster key is refused, a peer of
# another sandbox or without the secret, or a request whose MAC fails, is
# cut off end to end, a route to any other socket of the host is refused,
# garbage on the unix socket and on TCP closes that connection, and both
# daemons go on serving; spawning needs root and a --manifests host, and a
# manifest name with a '/' is refused.
# Handshakes through fifos and --ready-fd; no sleeps.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (a host name per UTS namespace, network namespaces)"; exit 0; }
command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare(1)"; exit 0; }
sandbox_test pal
CTL=bin/graphenectl PAL=bin/paldaemon PEER=build/tests/rpc/rpc_peer
[ -x $PAL ] && [ -x $PEER ] && [ -x build/tests/progs/rpcpeer ] || { echo "1..0 # SKIP paldaemon or test tools not built"; exit 0; }
NSD_PID= A= C= K= PALS= NETNS= VETH=
cleanup() {
    for p in $A $C $K $PALS; do kill "$p" 2>/dev/null; done
    [ -z "$NSD_PID" ] || kill "$NSD_PID"
    wait 2>/dev/null
    [ -z "$VETH" ] || ip link del "$VETH" 2>/dev/null
    [ -z "$NETNS" ] || ip netns del "$NETNS" 2>/dev/null
    [ -n "${PAL_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
private_nsd
secret=$($CTL --nsd "$T/nsd.sock" sandbox create S)
key() { head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
key > "$T/key"; key > "$T/otherkey"

# The network between the hosts.
PORT_A=$((20000 + $$ % 20000)) PORT_B=$((20001 + $$ % 20000))
ADDR_A=127.0.0.1 ADDR_B=127.0.0.1 IN_B=
net=$((($$ % 250) + 1))
if ip netns add "gpal$$" 2>/dev/null; then
    NETNS=gpal$$
    if ip link add "gpa$$" type veth peer name "gpb$$" && VETH=gpa$$ && ip link set "gpb$$" netns "$NETNS" &&
       ip addr add "10.213.$net.1/30" dev "gpa$$" && ip link set "gpa$$" up &&
       ip -n "$NETNS" addr add "10.213.$net.2/30" dev "gpb$$" && ip -n "$NETNS" link set "gpb$$" up &&
       ip -n "$NETNS" link set lo up; then
        ADDR_A=10.213.$net.1 ADDR_B=10.213.$net.2 IN_B="ip netns exec $NETNS"
    fi
fi
if [ -n "$IN_B" ]; then echo "# hostB's paldaemon in network namespace $NETNS ($ADDR_B), hostA's at $ADDR_A"
else echo "# ip netns unavailable: both paldaemons on loopback"; fi

# start_pal NAME KEYFILE LISTEN PEERS [PREFIX...]: its pid in PAL_PID, once ready.
start_pal() {
    local name=$1 keyf=$2 listen=$3 peers=$4
    shift 4
    mkfifo "$T/ready.$name"
    "$@" $PAL --verbose --host "${name%%-*}" --socket "$T/pal-$name.sock" --rpc-dir "$T/rpc" --cluster-key "$keyf" \
        --listen "$listen" --peers "$peers" ${PAL_EXTRA:-} --ready-fd 3 3>"$T/ready.$name" 2>"$T/pal-$name.log" &
    PAL_PID=$!
    PALS="$PALS $PAL_PID"
    local r; read -r r < "$T/ready.$name"; [ "$r" = ready ] || { echo "Bail out! paldaemon $name did not start: $(cat "$T/pal-$name.log")"; exit 1; }
}
start_pal hostA "$T/key" "$ADDR_A:$PORT_A" "hostB=$ADDR_B:$PORT_B"
PAL_A=$PAL_PID
# hostB's paldaemon starts programs for hostA: on hostB (its name).
mkdir "$T/manifests"
PAL_EXTRA="--manifests $T/manifests" start_pal hostB "$T/key" "$ADDR_B:$PORT_B" "hostA=$ADDR_A:$PORT_A" $IN_B \
    unshare --uts sh -c 'hostname "$0" && exec "$@"' hostB
PAL_B=$PAL_PID

# onhost NAME CMD...: execs CMD on host NAME (its own UTS namespace and
# name); only in a subshell (&, $(...)), which it replaces.
# hostB's processes run in its paldaemon's network namespace: the
# picoprocesses' stream listeners are abstract names (libos/rpc.c), which
# belong to a network namespace.
onhost() {
    local netns=
    [ "$1" = hostB ] && netns=$IN_B
    exec $netns unshare --uts sh -c 'hostname "$0" && exec "$@"' "$@"
}
mkdir -m 777 "$T/s"
mkfifo -m 666 "$T/s/ids" "$T/s/idsB" "$T/s/upK" "$T/s/upC" "$T/s/go" "$T/tid"
# waitfor FIFO VAR...: a line from a process (a fifo of its own each); a
# process that never writes fails the test instead of hanging it.
# (opened read-write: the open does not block, the read has a limit).
waitfor() {
    local f=$1 fd rc
    shift
    exec {fd}<>"$T/s/$f"
    read -t 300 -r "$@" <&$fd
    rc=$?
    exec {fd}<&-
    [ $rc = 0 ] || { echo "Bail out! nothing came on $f"; exit 1; }
}
sandbox_manifest /p/rpcpeer /bin=/usr/bin "/tmp=$T/s" "ro:/p=$PWD/build/tests/progs" > "$T/m.toml"
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$T/s" > "$T/sh.toml"
RUN="$G run --nsd $T/nsd.sock --sandbox S"

# pid 1 on hostA, until told; the target (another launch on hostA: its own
# group), a process of hostB.
onhost hostA $RUN "$T/sh.toml" -- -c 'echo up > /tmp/upK; read x < /tmp/go' > /dev/null 2>&1 &
K=$!
waitfor upK up
onhost hostA $RUN "$T/m.toml" -- wait /tmp/ids <<<go > "$T/outA" 2>"$T/errA" &
A=$!
waitfor ids pa ua ta
onhost hostB $RUN "$T/sh.toml" -- -c 'echo up > /tmp/upC; exec /bin/sleep 1000' > /dev/null 2>&1 &
C=$!
waitfor upC up
ps_out=$($CTL --nsd "$T/nsd.sock" ps --sandbox S 2>/dev/null)
check "graphenectl ps: pid 1 and the target ($pa) on hostA, a process of hostB" "1 hostA
$pa hostA
hostB" "$(awk 'NR > 1 && $0 ~ /sleep/ { print $7; next } NR > 1 { print $2, $7 }' <<<"$ps_out")"

# /proc of the remote process, read through its stream.
out=$(onhost hostB $RUN "$T/sh.toml" -- -c "ps -o pid=,stat=,comm= -p $pa; cut -d' ' -f1-5 /proc/$pa/stat; grep Threads /proc/$pa/status" 2>/dev/null)
check "from hostB: ps, /proc/$pa/stat and status of the process on hostA (its state and the app's threads)" "$pa S rpcpeer
$pa (rpcpeer) S 0 $pa
Threads:	2" "$(awk 'NR == 1 { print $1, substr($2, 1, 1), $3; next } { print }' <<<"$out")"

out=$(onhost hostC $RUN "$T/sh.toml" -- -c "kill -0 $pa 2>&1; echo status \$?" 2>/dev/null)
check "from hostC, which has no paldaemon, the process on hostA is unreachable (EHOSTUNREACH)" \
    "kill: No route to host
status 1" "$(grep -o 'kill: No route to host\|status .*' <<<"$out")"

# Attacks, against hostA's paldaemon and pid 1's stream behind it.
hpa=$(awk -v p="$pa" '$2 == p { print $8 }' <<<"$ps_out")
sockA=$(awk -v dir="@$T/rpc/" -v end="-$hpa" 'index($8, dir) == 1 && substr($8, length($8) - length(end) + 1) == end { print substr($8, 2); exit }' /proc/net/unix)
via="pal:$T/pal-hostB.sock:hostA"
check "a peer with the secret is served through both paldaemons (kill 0)" "reply 0" "$($PEER "$via:$sockA" S "$secret" $pa good 2>&1)"
for mode in badmac sandbox tamper; do
    check "through the relay, a peer sending $mode is cut off by pid 1 itself" closed "$($PEER "$via:$sockA" S "$secret" $pa $mode 2>&1)"
done
check "a route to a socket outside hostA's stream directory is refused (EACCES)" "route 13" \
    "$($PEER "$via:$T/nsd.sock" S "$secret" $pa good 2>&1)"
check "a route to a host no paldaemon knows is refused (EHOSTUNREACH)" "route 113" \
    "$($PEER "pal:$T/pal-hostB.sock:hostC:$sockA" S "$secret" $pa good 2>&1)"
start_pal hostB-wrongkey "$T/otherkey" "$ADDR_B:$((PORT_B + 2))" "hostA=$ADDR_A:$PORT_A" $IN_B
check "a paldaemon with another cluster key gets no stream through (EHOSTUNREACH)" "route 113" \
    "$($PEER "pal:$T/pal-hostB-wrongkey.sock:hostA:$sockA" S "$secret" $pa good 2>&1)"
grep -q "pal link: dropping a connection that failed authentication" "$T/pal-hostA.log"
check "hostA's paldaemon dropped it: its frames failed authentication" 0 $?
for mode in garbage oversized early; do
    check "a picoprocess's connection sending $mode to the paldaemon is closed" closed \
        "$($PEER "$T/pal-hostB.sock" S "$secret" $pa $mode 2>&1)"
done
tcp_garbage() { # bytes that are no handshake, to hostA's TCP port; the reply until it closes
    exec {g}<>"/dev/tcp/$ADDR_A/$PORT_A" || return 1
    head -c 4096 /dev/urandom >&$g
    head -c 100000 <&$g | wc -c
    exec {g}>&-
}
got=$(tcp_garbage)
[ -n "$got" ] && [ "$got" -le 56 ]
check "garbage on TCP: hostA's paldaemon closes the connection (having sent at most its nonce and header: $got bytes)" 0 $?
check "hostA's paldaemon dropped the other key's link and the TCP garbage" 2 \
    "$(grep -c 'failed authentication' "$T/pal-hostA.log")"
check "hostB's paldaemon closed the three bad local connections" 3 "$(grep -c 'closing connection local' "$T/pal-hostB.log")"
kill -0 $PAL_A $PAL_B
check "both paldaemons still run" 0 $?
check "and serve: a good peer is served again" "reply 0" "$($PEER "$via:$sockA" S "$secret" $pa good 2>&1)"

# Signals from hostB to pid 1 on hostA: the sender holds on a fifo for the
# target thread's tid.
exec {tidw}<>"$T/tid"
onhost hostB $RUN "$T/m.toml" -- send $pa /tmp/idsB group < "$T/tid" > "$T/outB" 2>"$T/errB" &
B=$!
waitfor idsB pb ub
echo "$ta" >&$tidw
wait $B
check "from hostB: kill 0, kill, tgkill, tkill, sigqueue, kill(-pgid) of its group succeed; no one is ESRCH" "kill 0: 0
kill SIGUSR1: 0
tgkill SIGUSR2: 0
tkill SIGRTMIN+1: 0
sigqueue SIGRTMIN 42: 0
kill -$pa SIGWINCH: 0
kill of no one: -1 ESRCH
tgkill of a tid of no one: -1 ESRCH
tkill of a tid of no one: -1 ESRCH" "$(cat "$T/outB")"
exec {tidw}>&-
wait $A
check "the target got the five and exited 0" 0 $?
A=
got() { echo "$1 code=$2 pid=$pb uid=$ub value=$3${4:+ $4}"; } # what the target prints of a signal
check "siginfo in sandbox terms: code, the remote sender's sandbox pid and uid, the value, the thread" \
    "$(got SIGRTMIN -1 42; got SIGRTMIN+1 -6 0 thread; got SIGUSR1 0 0; got SIGUSR2 -6 0 thread; got SIGWINCH 0 0)" "$(sort "$T/outA")"
# A program started on hostB by hostA's root through the paldaemons, in
# the sandbox: its output and exit status come back.
cp "$T/sh.toml" "$T/manifests/sh.toml"
out=$($PAL --socket "$T/pal-hostA.sock" --spawn hostB --sandbox S sh.toml -c \
    'uname -n; kill -0 1 && echo pid 1 reachable; echo to stderr >&2; exit 3' 2>"$T/spawn.err")
rc=$?
check "paldaemon --spawn from hostA: the program runs on hostB in the sandbox; stdout, stderr, status" "hostB
pid 1 reachable
to stderr
3" "$out
$(grep -v '^\[libos' "$T/spawn.err")
$rc"
check "hostA's paldaemon starts nothing (no --manifests): EPERM" \
    "paldaemon: --spawn sh.toml on hostA: Operation not permitted" \
    "$($PAL --socket "$T/pal-hostB.sock" --spawn hostA --sandbox S sh.toml 2>&1)"
check "a client that is not root may not spawn: EPERM" \
    "paldaemon: --spawn sh.toml on hostB: Operation not permitted" \
    "$(setpriv --reuid=65534 --regid=65534 --clear-groups $PAL --socket "$T/pal-hostA.sock" --spawn hostB --sandbox S sh.toml 2>&1)"
check "a manifest outside the directory is no Spawn: the connection is closed" \
    "paldaemon: --spawn: the connection ended before the program's status" \
    "$($PAL --socket "$T/pal-hostA.sock" --spawn hostB --sandbox S ../sh.toml 2>&1)"

echo go > "$T/s/go"
{ wait $K; } 2>/dev/null
check "pid 1 exited 0" 0 $?
K=
{ wait $C; } 2>/dev/null
check "pid 1's exit killed the process of hostB (SIGKILL through the paldaemons)" 137 $?
C=
opened=$(grep -c "stream local:hostA/$pa of sandbox S open" "$T/pal-hostB.log")
[ "$opened" -ge 10 ]
check "hostB's paldaemon relayed every stream to hostA ($opened)" 0 $?
[ "$(grep -c "of sandbox S open" "$T/pal-hostA.log")" -ge 1 ]
check "hostA's paldaemon relayed hostA's stream to hostB (pid 1's SIGKILL)" 0 $?
echo "1..$n"
