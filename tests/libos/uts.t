#!/usr/bin/env bash
# The sandbox's host name: sys.hostname sets it; sethostname inside (root
# inside) changes it for every picoprocess of the sandbox, parent and
# child alike, and never the host's. (The differential suite checks the
# default, the host's name, in tests/progs/t_ident.c.)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/sandbox.sh
sandbox_test uts
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP sethostname inside needs root inside (the host uid)"; exit 0; }
sandbox_manifest /bin/sh /bin=/usr/bin 'sys.hostname = "sandy"' > "$T/uts.toml"
before=$(hostname)
out=$($G run "$T/uts.toml" -- -c 'uname -n; cat /proc/sys/kernel/hostname; hostname inner; uname -n
    sh -c "hostname fromchild"; uname -n; cat /proc/sys/kernel/hostname' 2>&1)
n=0
check() {
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; printf '# got: %s\n' "$1"; fi
}
check "$(sed -n 1,2p <<<"$out" | tr '\n' ' ')" "sandy sandy " "sys.hostname: uname and /proc/sys/kernel/hostname"
check "$(sed -n 3p <<<"$out")" "inner" "sethostname inside"
check "$(sed -n 4,5p <<<"$out" | tr '\n' ' ')" "fromchild fromchild " "a child's sethostname is the parent's name too"
check "$(hostname)" "$before" "the host's name is untouched"
# Not root inside (the host uid): EPERM, as for a process without CAP_SYS_ADMIN.
chmod 755 "$T"; chmod 644 "$T/uts.toml"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if ! "${nobody[@]}" test -x "$G" -a -r lib/libos -a -r "$T/uts.toml"; then
    n=$((n + 1)); echo "ok $n # SKIP user 65534 cannot run this tree's bin/graphene"
else
    # nobody's launcher starts an embedded nsd of its own (make test's runtime dir is root's)
    mkdir -m 700 "$T/run" && chown 65534:65534 "$T/run"
    out=$(GRAPHENE_RUNTIME_DIR=$T/run "${nobody[@]}" $G run "$T/uts.toml" -- -c 'hostname other 2>/dev/null || echo refused; uname -n' 2>&1)
    check "$(tr '\n' ' ' <<<"$out")" "refused sandy " "sethostname as a non-root user inside: refused"
fi
echo "1..$n"
