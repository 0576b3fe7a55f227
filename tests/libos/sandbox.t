#!/usr/bin/env bash
# A live sandbox seen from the host (issue 6): `graphenectl ps` shows the
# same pids the app prints (pid 1, its children, parents, host pids), and
# a picoprocess killed from the host by SIGKILL (no chance to say goodbye)
# is reported to its parent as killed by SIGKILL; an orphan adopted by a
# PR_SET_CHILD_SUBREAPER process shows it as parent, and its unreaped child
# as a zombie; kill(-1) inside reaches neither another sandbox nor a host
# process. The app and the test
# hand over through fifos in the scratch mount: no sleeps.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test sandbox
CTL=bin/graphenectl
echo "1..16"
n=0
check() { # check NAME EXPECTED ACTUAL
    n=$((n + 1))
    if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# expected: $2"; echo "# got: $3"; fi
}
NSD_PID=
trap '[ -z "$NSD_PID" ] || kill "$NSD_PID"; rm -rf "$T"' EXIT
private_nsd
mkdir "$T/s"
mkfifo "$T/s/ids" "$T/s/go"
cat > "$T/s/app.sh" <<'SH'
( read x < /tmp/go; exit 7 ) &
c1=$!
/bin/sleep 1000 &
c2=$!
echo "$$ $PPID $c1 $c2" > /tmp/ids
wait $c2; echo "c2 $?"
wait $c1; echo "c1 $?"
SH
sandbox_manifest /bin/sh /bin=/usr/bin "/tmp=$T/s" > "$T/m.toml"
$G run --nsd "$T/nsd.sock" --sandbox live "$T/m.toml" -- /tmp/app.sh > "$T/out" 2>"$T/err" &
gpid=$!
read -r me parent c1 c2 < "$T/s/ids"
check "the app is pid 1 with no parent" "1 0" "$me $parent"
# The app's nsd requests are sent without waiting (a fork does not wait for
# the journal): graphenectl may look before they are applied.
for _ in $(seq 100); do
    ps=$($CTL --nsd "$T/nsd.sock" ps --sandbox live)
    [ "$(echo "$ps" | grep -c ' live ')" -ge 3 ] && break
    sleep 0.05
done
row() { echo "$ps" | awk -v p="$1" '$2 == p { print $2, $3, $6 }'; }
hostpid() { echo "$ps" | awk -v p="$1" '$2 == p { print $8 }'; }
check "graphenectl ps: pid 1" "1 0 live" "$(row 1)"
check "graphenectl ps: the subshell the app started (pid $c1)" "$c1 1 live" "$(row "$c1")"
check "graphenectl ps: the sleep it started (pid $c2)" "$c2 1 live" "$(row "$c2")"
check "graphenectl ps: pid 1's host pid is the launcher's process" "$gpid" "$(hostpid 1)"
h2=$(hostpid "$c2")
[ -n "$h2" ] && [ "$h2" != "$gpid" ] && kill -9 "$h2"
echo go > "$T/s/go"
wait $gpid
check "exit status of pid 1" 0 "$?"
check "SIGKILL from the host: the parent's wait says 137; the other child exits 7" \
    "c2 137
c1 7" "$(cat "$T/out")"

# When pid 1 exits, the sandbox ends: every other process is killed and
# `graphene run` exits with pid 1's status.
printf '/bin/sleep 1000 &\necho "$!" > /tmp/ids\nread x < /tmp/go\nexit 3\n' > "$T/s/init.sh"
$G run --nsd "$T/nsd.sock" --sandbox ends "$T/m.toml" -- /tmp/init.sh > "$T/out" 2>"$T/err" &
gpid=$!
read -r sleeper < "$T/s/ids"
for _ in $(seq 100); do
    ps=$($CTL --nsd "$T/nsd.sock" ps --sandbox ends)
    hs=$(hostpid "$sleeper")
    [ -n "$hs" ] && break
    sleep 0.05
done
echo go > "$T/s/go"
wait $gpid
check "graphene run exits with pid 1's status" 3 "$?"
check "the sleeper had a host pid" yes "$([ -n "$hs" ] && echo yes)"
# SIGKILLed by pid 1's exit; reparented to the host's init, which reaps it.
for _ in $(seq 100); do
    [ -n "$hs" ] && kill -0 "$hs" 2>/dev/null || break
    sleep 0.05
done
check "pid 1's exit killed the other process of the sandbox" gone \
    "$([ -n "$hs" ] && kill -0 "$hs" 2>/dev/null && echo alive || echo gone)"

# PR_SET_CHILD_SUBREAPER in nsd's records: an orphan adopted by a subreaper
# (not pid 1) and that subreaper's unreaped zombie, while they are so.
rm -f "$T/s/ids" "$T/s/go"
mkfifo "$T/s/ids" "$T/s/go"
sandbox_manifest /tests/t_reaper /bin=/usr/bin "/tmp=$T/s" "/tests=$PWD/build/tests/progs" > "$T/m2.toml"
$G run --nsd "$T/nsd.sock" --sandbox reaper "$T/m2.toml" -- hold /tmp/ids /tmp/go > "$T/out" 2>"$T/err" &
gpid=$!
read -r sub orphan zombie < "$T/s/ids"
for _ in $(seq 100); do
    ps=$($CTL --nsd "$T/nsd.sock" ps --sandbox reaper)
    [ "$(row "$orphan")" = "$orphan $sub live" ] && [ "$(row "$zombie")" = "$zombie $sub zombie(1024)" ] && break
    sleep 0.05
done
check "graphenectl ps: the subreaper (pid $sub) is pid 1's child" "$sub 1 live" "$(row "$sub")"
check "graphenectl ps: its adopted orphan (pid $orphan) is live with it as parent" "$orphan $sub live" "$(row "$orphan")"
check "graphenectl ps: its unreaped child (pid $zombie) is a zombie (exit 4)" "$zombie $sub zombie(1024)" "$(row "$zombie")"
echo go > "$T/s/go"
wait $gpid

# kill(-1) from inside reaches only its own sandbox: pid 1 of another
# sandbox on the same nsd and a host process outside both live on. (Never
# run natively: there it would be the host's kill(-1).)
rm -f "$T/s/go"
mkfifo "$T/s/go"
/bin/sleep 1000 &
outside=$!
$G run --nsd "$T/nsd.sock" --sandbox victim "$T/m.toml" -- -c 'read x < /tmp/go' > "$T/out" 2>"$T/err" &
vpid=$!
for _ in $(seq 100); do
    ps=$($CTL --nsd "$T/nsd.sock" ps --sandbox victim)
    [ "$(row 1)" = "1 0 live" ] && break
    sleep 0.05
done
$G run --nsd "$T/nsd.sock" --sandbox killer "$T/m.toml" -- -c 'kill -TERM -1; echo "kill -1: $?"' > "$T/out2" 2>"$T/err2"
check "kill(-1) with no other process in its sandbox: ESRCH (status 1)" "kill -1: 1" "$(cat "$T/out2")"
ps=$($CTL --nsd "$T/nsd.sock" ps --sandbox victim)
check "kill(-1) did not reach pid 1 of another sandbox" "1 0 live" "$(row 1)"
check "kill(-1) did not reach a host process outside" alive "$(kill -0 "$outside" 2>/dev/null && echo alive || echo gone)"
kill "$outside"
echo go > "$T/s/go"
wait $vpid
