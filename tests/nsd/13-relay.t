#!/bin/bash
# StreamConnect (nsd/server.c stream_connect, nsd/streams.c): nsd connects
# to a picoprocess's RPC listener, at the abstract name of its stream
# address, for a picoprocess of another launch (whose Landlock domain keeps
# it from that name) and passes it the connection. Simulated picoprocesses
# listen as the libos does (nsd_testclient listen). A legitimate one is
# reached; attacks: a record naming an abstract socket outside nsd's stream
# directory (an X11-like host socket), one whose name a host process
# squats, one lying about its host pid, one naming another sandbox's
# process, and a pid of no one are refused, and nsd never passes a
# connection to anyone but the process itself.
. "$(dirname "$0")/lib.sh"
make -s -C "$ROOT" build/tests/nsd/nsd_testclient >&2 || { echo "Bail out! build"; exit 1; }
start_nsd a
wait_leader; ok $? "nsd is up"
R=$D/rpc
sS=$("$CTL" --nsd "$SOCK" sandbox create S) && sO=$("$CTL" --nsd "$SOCK" sandbox create O)
ok $? "sandboxes S and O"

# start_listener KEY SB SECRET NAME: nsd_testclient listen SB SECRET NAME,
# its host pid in LHOST_KEY and its sandbox pid in LPID_KEY.
start_listener() {
    local key=$1 w r ready pid
    shift
    mkfifo "$D/$key.in" "$D/$key.out"
    "$TC" "$SOCK" listen "$@" < "$D/$key.in" > "$D/$key.out" 2>"$D/$key.err" &
    PIDS+=($!)
    eval "LHOST_$key=$!"
    disown $!
    exec {w}>"$D/$key.in" {r}<"$D/$key.out"
    eval "LW_$key=$w LR_$key=$r"
    read -r ready pid <&$r
    eval "LPID_$key=$pid"
    [ "$ready" = ready ]
}
# came KEY: the connections listener KEY had so far, and what each sent.
came() {
    local w r line
    eval "w=\$LW_$1 r=\$LR_$1"
    echo >&$w
    read -r line <&$r
    echo "$line"
}
relay() { "$TC" "$SOCK" relay "$@" 2>&1; }

start_listener ok S "$sS" "$R/ok"; ok $? "a picoprocess of S listens at its address's abstract name"
check_eq() { [ "$2" = "$3" ]; ok $? "$1 (got: $3)"; }
check_eq "another picoprocess of S asks nsd for it: a connection is passed" passed "$(relay S "$sS" "$LPID_ok")"
check_eq "and it reached that process" "1 hello" "$(came ok)"

# A host socket outside the stream directory (as X11's or D-Bus's), named
# by a record of S.
start_listener x11 - - "$D/X0"; ok $? "a host process listens at an abstract name outside nsd's stream directory"
SIM_STREAM=$D/X0 start_listener fx S "$sS" "$D/fx"; ok $? "a process of S registers that name as its address"
check_eq "StreamConnect to it is refused (EPERM)" EPERM "$(relay S "$sS" "$LPID_fx")"
check_eq "and nsd did not connect to the host socket" 0 "$(came x11)"

# A host process holds a name of the stream directory that a record names.
start_listener sq - - "$R/sq"; ok $? "a host process squats an abstract name of the stream directory"
SIM_STREAM=$R/sq start_listener vq S "$sS" "$D/vq"; ok $? "a process of S registers that name"
check_eq "StreamConnect to it is refused: the listener is not that process (ECONNREFUSED)" ECONNREFUSED "$(relay S "$sS" "$LPID_vq")"
check_eq "nsd connected, checked its peer and passed nothing" "1 -" "$(came sq)"
grep -q "the abstract name of stream $R/sq is held by host pid $LHOST_sq, not by $LHOST_vq" "$D/a.log"
ok $? "nsd logged the squatter"
SIM_HOST_PID=$LHOST_sq SIM_STREAM=$R/sq start_listener liar S "$sS" "$D/liar"
ok $? "a process of S registers the squatter's name and host pid as its own"
check_eq "StreamConnect to it is refused: that host pid is no picoprocess of S (ECONNREFUSED)" ECONNREFUSED "$(relay S "$sS" "$LPID_liar")"
check_eq "and nsd did not even connect" "1 -" "$(came sq)"

# Another sandbox's process, named by a record of S.
start_listener oth O "$sO" "$R/oth"; ok $? "a picoprocess of O listens"
SIM_HOST_PID=$LHOST_oth SIM_STREAM=$R/oth start_listener fake S "$sS" "$D/fake"
ok $? "a process of S registers O's process's address and host pid"
check_eq "StreamConnect to it is refused (ECONNREFUSED)" ECONNREFUSED "$(relay S "$sS" "$LPID_fake")"
check_eq "O's process had no connection" 0 "$(came oth)"
check_eq "a pid of no one in S: ESRCH" ESRCH "$(relay S "$sS" 4000)"
check_eq "O's own picoprocesses reach it" passed "$(relay O "$sO" "$LPID_oth")"
check_eq "it got theirs only" "1 hello" "$(came oth)"
check_eq "nsd goes on serving: S's first process is reached again" passed "$(relay S "$sS" "$LPID_ok")"
check_eq "it got both" "2 hello hello" "$(came ok)"
[ -z "$(ls "$R")" ]; ok $? "no file was made in the stream directory"
done_testing
