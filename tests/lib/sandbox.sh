# Shared by the tests that run host programs under bin/graphene; sourced.

# sandbox_manifest ENTRYPOINT [[ro:]SANDBOX_PATH=HOST_PATH | TOML_LINE]...
# Prints a manifest that runs ENTRYPOINT with the host's /usr, /lib and /lib64
# mounted read-only (what any dynamically linked host program needs), then
# one mount for each argument that starts with '/' (read-only with "ro:"
# before it). Every other argument is a line of TOML with a dotted key, e.g.
# 'loader.env.LANG = "C"'.
sandbox_manifest() {
    local entry=$1 arg mounts=(ro:/usr=/usr ro:/lib=/usr/lib ro:/lib64=/usr/lib64) ro
    shift
    printf 'libos.entrypoint = "%s"\n' "$entry"
    for arg; do
        case $arg in
            /* | ro:/*) mounts+=("$arg") ;;
            *)  printf '%s\n' "$arg" ;;
        esac
    done
    echo 'fs.mounts = ['
    for arg in "${mounts[@]}"; do
        ro=false
        [[ $arg == ro:* ]] && ro=true arg=${arg#ro:}
        printf '  { path = "%s", uri = "file:%s", readonly = %s },\n' "${arg%%=*}" "${arg#*=}" $ro
    done
    echo ']'
}

# sandbox_test NAME: the start of a test run from the top of the tree. Skips
# it unless bin/graphene and lib/libos are built; sets G to the launcher and T
# to a scratch directory /tmp/graphene-NAME.*, removed on exit.
sandbox_test() {
    G=bin/graphene
    [ -x $G ] && [ -f lib/libos ] || { echo "1..0 # SKIP bin/graphene or lib/libos not built"; exit 0; }
    T=$(mktemp -d "/tmp/graphene-$1.XXXXXX")
    trap 'rm -rf "$T"' EXIT
}

# private_nsd: starts bin/nsd on $T/nsd.sock (journal $T/nsd.db, log
# $T/nsd.log), sets NSD_PID and returns once it answers. $T is made 0711:
# picoprocesses reach nsd's socket as their sandbox's uid (tools/confine.c).
private_nsd() {
    chmod 711 "$T"
    bin/nsd --socket "$T/nsd.sock" --journal "$T/nsd.db" 2>"$T/nsd.log" &
    NSD_PID=$!
    for _ in $(seq 100); do
        bin/graphenectl --nsd "$T/nsd.sock" nsd status >/dev/null 2>&1 && return
        sleep 0.05
    done
}

# check NAME EXPECTED ACTUAL: one TAP line, numbered by $n.
n=0
check() {
    n=$((n + 1))
    if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "# expected: $2"; echo "# got: $3"; fi
}
