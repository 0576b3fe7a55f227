# Held runs for the launcher's nsd tests (sourced after tests/nsd/lib.sh):
# `graphene run` of the dump_blob stand-in with DUMP_HOLD, which stays up
# like a running picoprocess until its stdin is closed. No polling: the
# records are read from a fifo as it writes them.
G=$ROOT/bin/graphene
export GRAPHENE_LIBOS=$ROOT/build/tests/launcher/dump_blob
make -s -C "$ROOT" bin/graphene bin/nsd build/tests/launcher/dump_blob >&2 || { echo "Bail out! build"; exit 1; }
printf 'libos.entrypoint = "/usr/bin/true"\nfs.mounts = [ { path = "/usr", uri = "file:/usr" } ]\n' > "$D/m.toml"
printf 'libos.entrypoint = "/usr/bin/true"\nloader.env.DUMP_HOLD = "1"\nfs.mounts = [ { path = "/usr", uri = "file:/usr" } ]\n' > "$D/hold.toml"

rec() { grep "^$1=" | cut -d= -f2-; }   # rec KEY < blob dump

# hold NAME [graphene run options]: starts a held run; once it is up, its
# blob is in $D/NAME.blob and its pid in HOLD_NAME. Fails if it exited.
# hold_start + hold_up do the same in two steps; with $BARRIER set, the run
# starts once nobody holds an exclusive flock on that file.
hold() { hold_start "$@" && hold_up "$1"; }
hold_start() {
    local name=$1; shift
    rm -f "$D/$name.in" "$D/$name.out"; mkfifo "$D/$name.in" "$D/$name.out"
    # Without the other held runs' fifo ends, so each sees its own EOF.
    ( for v in ${!HOLDIN_@} ${!HOLDOUT_@}; do eval "exec ${!v}>&-"; done
      [ -z "$BARRIER" ] || flock -s "$BARRIER" true
      exec "$G" run "$@" "$D/hold.toml" <"$D/$name.in" >"$D/$name.out" 2>"$D/$name.err" ) &
    eval "HOLD_$name=$!"
}
hold_up() {
    local name=$1 line fd
    exec {fd}>"$D/$name.in"; eval "HOLDIN_$name=$fd"
    exec {fd}<"$D/$name.out"; eval "HOLDOUT_$name=$fd"
    : > "$D/$name.blob"
    while IFS= read -r line <&$fd; do
        echo "$line" >> "$D/$name.blob"
        [[ $line == secret=* ]] && return 0
    done
    return 1
}

# release NAME: lets it exit, waits for it; its exit status.
release() {
    local name=$1 in out pid
    eval "in=\$HOLDIN_$name out=\$HOLDOUT_$name pid=\$HOLD_$name"
    exec {in}>&- {out}<&-
    wait "$pid"
}

# wait_gone PID: blocks until the process exits (a pidfd, no polling), 10 s max.
wait_gone() {
    python3 -c 'import os, select, sys
try: fd = os.pidfd_open(int(sys.argv[1]))
except ProcessLookupError: sys.exit(0)
sys.exit(0 if select.select([fd], [], [], 10)[0] else 1)' "$1"
}

# until_ok CMD...: CMD succeeds within 5 s (for what nsd does after a
# process it watches has exited: asynchronous by nature).
until_ok() {
    for _ in $(seq 100); do "$@" && return 0; sleep 0.05; done
    return 1
}
