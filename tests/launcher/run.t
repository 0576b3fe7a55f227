#!/bin/bash
# End to end: `graphene run` against the blob-dump stub standing in for the
# libos image; checks the exec contract (argv, empty environment, sealed
# memfd, checked by the stub) and the blob records, and that the stub's exit
# status or killing signal is what the caller sees.
. "$(dirname "$0")/lib.sh"
cd "$scratch"
export GRAPHENE_LIBOS=$DUMP_BLOB
dir=$(pwd -P)
mkdir rootfs data
ln -s data data-link

cat > m.toml <<'EOF'
libos.entrypoint = "/usr/bin/ls"
[loader]
env.LANG = "C.UTF-8"
env.FOO = { passthrough = true }
env.UNSET_HERE = { passthrough = true }
env.NOPE = { passthrough = false }
env.MULTI = """two
lines"""
[fs]
start_dir = "/data/./x/"
mounts = [
  { path = "/usr", uri = "file:/usr", readonly = true },
  { type = "chroot", path = "//data/", uri = "file:data-link", readonly = false },
  { path = "/", uri = "file:rootfs" },
]
[sys]
stack.size = "512K"
brk.max_size = 4096
syscall_fast_path = false
EOF

# The fd numbers of the mount roots and the idmap base depend on the host;
# (nsd=, sandbox=, secret= follow; tests/launcher/nsd.t checks them.)
rt_env=(${GRAPHENE_RUNTIME_DIR:+"GRAPHENE_RUNTIME_DIR=$GRAPHENE_RUNTIME_DIR"})
is "$(env -i "${rt_env[@]}" GRAPHENE_LIBOS="$DUMP_BLOB" FOO='bar baz' HOME=/root "$GRAPHENE" run m.toml -- -l "a b" '' |
      sed -E 's/(x1f[rw][ow]\\x1f)[0-9]+$/\1FD/; /^(idmap_base|devpts)=/d' | grep -Ev '^(nsd|sandbox|secret)='; echo "rc=${PIPESTATUS[0]}")" "version=1
log_level=1
entrypoint=/usr/bin/ls
start_dir=/data/x
stack_size=524288
brk_max=4096
network=none
fast_path=0
manifest=$dir/m.toml
uid=$(id -u)
gid=$(id -g)
arg=/usr/bin/ls
arg=-l
arg=a b
arg=
env=LANG=C.UTF-8
env=FOO=bar baz
env=MULTI=two\\x0alines
mount=chroot\\x1f/usr\\x1f/usr\\x1fro\\x1fFD
mount=chroot\\x1f/data\\x1f$dir/data\\x1frw\\x1fFD
mount=chroot\\x1f/\\x1f$dir/rootfs\\x1frw\\x1fFD
rc=0" 'blob: argv from -- ARGS, env passthrough only when set, normalized paths, resolved uris, sizes'

is "$(env -i "${rt_env[@]}" GRAPHENE_LIBOS="$DUMP_BLOB" "$GRAPHENE" run m.toml | grep -E '^(arg|env=FOO)'; echo "rc=$?")" "arg=/usr/bin/ls
rc=0" 'without ARGS argv is just the entrypoint; unset passthrough variable is left out'

cat > argv.toml <<'EOF'
libos.entrypoint = "/usr/bin/python3"
loader.argv = [ "python3", "-c", "print(1)" ]
loader.log_level = "debug"
fs.mounts = [ { path = "/usr/bin", uri = "file:/usr/bin" } ]
EOF
is "$("$GRAPHENE" run argv.toml | grep -E '^(arg|env|log_level|stack_size|brk_max|start_dir)='; echo "rc=$?")" "log_level=3
start_dir=/
brk_max=268435456
arg=python3
arg=-c
arg=print(1)
rc=0" 'loader.argv, log level, defaults (no stack_size: RLIMIT_STACK), and no env records without loader.env'

is "$(GRAPHENE_LOG=trace "$GRAPHENE" run argv.toml | grep '^log_level='; echo "rc=$?")" "log_level=4
rc=0" 'GRAPHENE_LOG overrides loader.log_level'

# The app's exit status and death by signal pass straight through (exec).
cat > exit.toml <<'EOF'
libos.entrypoint = "/usr/bin/true"
loader.env.DUMP_EXIT = "42"
fs.mounts = [ { path = "/usr", uri = "file:/usr" } ]
EOF
"$GRAPHENE" run exit.toml >/dev/null
is "rc=$?" "rc=42" 'exit status passes through'
sed 's/DUMP_EXIT = "42"/DUMP_SIGNAL = "9"/' exit.toml > kill.toml
is "$(bash -c '"$0" run kill.toml >/dev/null; echo "rc=$?"' "$GRAPHENE" 2>/dev/null)" "rc=137" 'death by SIGKILL passes through'

# With stdin closed the memfd must still land at fd >= 3 (the stub checks).
"$GRAPHENE" run exit.toml >/dev/null <&-
is "rc=$?" "rc=42" 'config fd is >= 3 even with stdin closed'

# Default image path: <dir of the graphene binary>/../lib/libos.
mkdir -p inst/bin inst/lib
cp "$GRAPHENE" "$root/bin/nsd" inst/bin/
is "$(env -u GRAPHENE_LIBOS inst/bin/graphene run exit.toml 2>&1; echo "rc=$?")" \
   "graphene: cannot exec the libos image $dir/inst/bin/../lib/libos: No such file or directory
rc=127" 'missing libos image: message and exit 127'
cp "$DUMP_BLOB" inst/lib/libos
is "$(env -u GRAPHENE_LIBOS inst/bin/graphene run exit.toml | head -1; echo "rc=${PIPESTATUS[0]}")" "version=1
rc=42" 'default libos image is found next to bin/'

# The example manifests validate on this host.
for m in "$root"/manifests/*.toml; do
    is "$("$GRAPHENE" run "$m" 2>&1 >/dev/null; echo "rc=$?")" "rc=0" "example manifest $(basename "$m") is valid"
done
# ... and mount host directories read-only, and not the host's /etc (its
# secrets): their /etc is their own (issue 9 item 4). Writable mounts are
# the manifests' own directories (relative uris).
for m in "$root"/manifests/*.toml; do
    is "$(grep -E 'uri = "file:/' "$m" | grep -v 'readonly = true'; grep -E 'uri = "file:/etc"' "$m")" "" \
       "example manifest $(basename "$m") mounts host directories read-only and no host /etc"
done

done_testing
