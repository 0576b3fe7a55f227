#!/bin/bash
# Manifest validation through bin/graphene: every bad manifest must exit 2
# with one line "graphene: FILE:LINE: key 'K': reason" naming the key and the
# line of the offending value. Usage errors exit 2 as well.
. "$(dirname "$0")/lib.sh"
cd "$scratch"
export GRAPHENE_LIBOS=$DUMP_BLOB

# A valid prefix most cases extend.
ok_head='libos.entrypoint = "/usr/bin/ls"
fs.mounts = [ { path = "/usr", uri = "file:/usr" } ]'

# bad NAME MANIFEST EXPECTED-STDERR [ARGS...]: runs `graphene run m.toml [-- ARGS]`.
bad() {
    local name=$1 text=$2 want=$3
    shift 3
    printf '%s\n' "$text" > m.toml
    is "$("$GRAPHENE" run m.toml ${1+--} "$@" 2>&1 >/dev/null; echo "rc=$?")" "$want
rc=2" "$name"
}

bad 'syntax error names line, column and key' 'libos.entrypoint = "/usr/bin/ls' \
    "graphene: m.toml:1:32: key 'libos.entrypoint': newline in single-line string"
bad 'wrong type' 'libos.entrypoint = 5' \
    "graphene: m.toml:1: key 'libos.entrypoint': expected a string, found an integer"
bad 'unknown top-level key' "$ok_head
[loadr]
argv = [ \"ls\" ]" \
    "graphene: m.toml:3: key 'loadr': unknown key"
bad 'unknown key inside a mount' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [
  { path = "/usr", uri = "file:/usr" },
  { path = "/etc", uri = "file:/etc", typ = "chroot" },
]' \
    "graphene: m.toml:4: key 'fs.mounts[1].typ': unknown key"
bad 'unknown key under sys' "$ok_head
sys.stack.max = 1" \
    "graphene: m.toml:3: key 'sys.stack.max': unknown key"
bad 'missing entrypoint (no [libos] table: no line to name)' 'loader.argv = [ "ls" ]' \
    "graphene: m.toml: key 'libos.entrypoint': required key is missing"
bad 'missing entrypoint names the line of [libos]' '# x
[libos]' \
    "graphene: m.toml:2: key 'libos.entrypoint': required key is missing"
bad 'entrypoint must be absolute' 'libos.entrypoint = "ls"' \
    "graphene: m.toml:1: key 'libos.entrypoint': 'ls' is not an absolute path"
bad 'entrypoint must be inside a mount' 'libos.entrypoint = "/opt/x"
fs.mounts = [ { path = "/usr", uri = "file:/usr" } ]' \
    "graphene: m.toml:1: key 'libos.entrypoint': '/opt/x' is not inside any fs.mounts path"
bad 'strings with NUL are refused' 'libos.entrypoint = "/usr/bin/l\u0000s"' \
    "graphene: m.toml:1: key 'libos.entrypoint': string must not contain NUL bytes"
bad 'mount uri that does not exist' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [
  { path = "/usr", uri = "file:/usr" },
  { path = "/data", uri = "file:/nonexistent/data" },
]' \
    "graphene: m.toml:4: key 'fs.mounts[1].uri': host path '/nonexistent/data' is not accessible: No such file or directory"
bad 'relative mount uri resolves against the manifest directory' 'libos.entrypoint = "/usr/bin/ls"
[[fs.mounts]]
path = "/usr"
uri = "file:/usr"
[[fs.mounts]]
path = "/data"
uri = "file:data"' \
    "graphene: m.toml:7: key 'fs.mounts[1].uri': host path '$(pwd -P)/data' is not accessible: No such file or directory"
bad 'mount uri without file:' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [ { path = "/usr", uri = "/usr" } ]' \
    "graphene: m.toml:2: key 'fs.mounts[0].uri': '/usr' is not a file: uri (expected e.g. \"file:/usr\")"
bad 'mount without uri' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [ { path = "/usr" } ]' \
    "graphene: m.toml:2: key 'fs.mounts[0].uri': required key is missing"
bad 'mount path must be absolute' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [ { path = "usr", uri = "file:/usr" } ]' \
    "graphene: m.toml:2: key 'fs.mounts[0].path': 'usr' is not an absolute path"
bad 'mount path must not contain ..' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [ { path = "/usr/../etc", uri = "file:/usr" } ]' \
    "graphene: m.toml:2: key 'fs.mounts[0].path': '..' is not allowed in '/usr/../etc'"
bad 'duplicate key' "$ok_head
fs.mounts = 1" \
    "graphene: m.toml:3:1: key 'fs.mounts': duplicate key (first defined on line 2)"
bad 'duplicate mount path' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [
  { path = "/usr", uri = "file:/usr" },
  { path = "//usr/./", uri = "file:/etc" },
]' \
    "graphene: m.toml:4: key 'fs.mounts[1].path': duplicate mount path '/usr' (also fs.mounts[0])"
bad 'unsupported mount type' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [ { type = "tmpfs", path = "/tmp" } ]' \
    "graphene: m.toml:2: key 'fs.mounts[0].type': unsupported mount type 'tmpfs' (only \"chroot\")"
bad 'mounts must be an array' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = { path = "/usr" }' \
    "graphene: m.toml:2: key 'fs.mounts': expected an array, found a table"
bad 'a mount must be a table' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [ "file:/usr" ]' \
    "graphene: m.toml:2: key 'fs.mounts[0]': expected a table, found a string"
bad 'bad log level' "$ok_head
loader.log_level = \"verbose\"" \
    "graphene: m.toml:3: key 'loader.log_level': expected one of \"error\", \"warning\", \"info\", \"debug\", \"trace\""
bad 'log level of the wrong type' "$ok_head
loader.log_level = 3" \
    "graphene: m.toml:3: key 'loader.log_level': expected a string, found an integer"
bad 'bad size suffix' "$ok_head
sys.stack.size = \"8X\"" \
    "graphene: m.toml:3: key 'sys.stack.size': invalid size '8X' (expected a positive number of bytes, optionally with suffix K, M or G, e.g. \"8M\")"
bad 'size must be positive' "$ok_head
sys.brk.max_size = 0" \
    "graphene: m.toml:3: key 'sys.brk.max_size': size must be positive"
bad 'fast path switch of the wrong type' "$ok_head
sys.syscall_fast_path = \"no\"" \
    "graphene: m.toml:3: key 'sys.syscall_fast_path': expected a boolean, found a string"
bad 'size overflow' "$ok_head
sys.brk.max_size = \"99999999999G\"" \
    "graphene: m.toml:3: key 'sys.brk.max_size': invalid size '99999999999G' (expected a positive number of bytes, optionally with suffix K, M or G, e.g. \"8M\")"
bad 'size of the wrong type' "$ok_head
sys.stack.size = true" \
    "graphene: m.toml:3: key 'sys.stack.size': expected a size (integer or string like \"8M\"), found a boolean"
bad 'hostname too long' "$ok_head
sys.hostname = \"$(printf 'h%.0s' $(seq 65))\"" \
    "graphene: m.toml:3: key 'sys.hostname': must be 1 to 64 bytes long"
bad 'hostname empty' "$ok_head
sys.hostname = \"\"" \
    "graphene: m.toml:3: key 'sys.hostname': must be 1 to 64 bytes long"
bad 'argv element of the wrong type' "$ok_head
loader.argv = [
  \"ls\",
  7,
]" \
    "graphene: m.toml:5: key 'loader.argv[1]': expected a string, found an integer"
bad 'empty argv' "$ok_head
loader.argv = []" \
    "graphene: m.toml:3: key 'loader.argv': must not be empty (argv[0] is required)"
bad 'loader.argv and ARGS after -- conflict' "$ok_head
loader.argv = [ \"ls\" ]" \
    "graphene: m.toml:3: key 'loader.argv': the manifest fixes argv, so arguments after '--' are not allowed" -l
bad 'env value of the wrong type' "$ok_head
loader.env.N = 1" \
    "graphene: m.toml:3: key 'loader.env.N': expected a string, found an integer"
bad 'env passthrough must be a boolean' "$ok_head
loader.env.TERM = { passthrough = \"yes\" }" \
    "graphene: m.toml:3: key 'loader.env.TERM.passthrough': expected a boolean, found a string"
bad 'env table with an unknown key' "$ok_head
[loader.env]
TERM = { pass = true }" \
    "graphene: m.toml:4: key 'loader.env.TERM.pass': unknown key"
bad 'env name with =' "$ok_head
loader.env.\"A=B\" = \"x\"" \
    "graphene: m.toml:3: key 'loader.env.\"A=B\"': invalid environment variable name"
bad 'readonly must be a boolean' 'libos.entrypoint = "/usr/bin/ls"
fs.mounts = [
  { path = "/usr", uri = "file:/usr", readonly = "yes" },
]' \
    "graphene: m.toml:3: key 'fs.mounts[0].readonly': expected a boolean, found a string"
bad 'loader.pass_fds must be an array' "$ok_head
loader.pass_fds = 3" \
    "graphene: m.toml:3: key 'loader.pass_fds': expected an array, found an integer"
bad 'loader.pass_fds holds integers' "$ok_head
loader.pass_fds = [ 3, \"4\" ]" \
    "graphene: m.toml:3: key 'loader.pass_fds[1]': expected an integer, found a string"
bad 'loader.pass_fds: stdio is always passed' "$ok_head
loader.pass_fds = [
  2,
]" \
    "graphene: m.toml:4: key 'loader.pass_fds[0]': fd 2 out of range (3 to 1023; 0, 1 and 2 are always passed)"
bad 'loader.pass_fds: not among the libos fds' "$ok_head
loader.pass_fds = [ 5000 ]" \
    "graphene: m.toml:3: key 'loader.pass_fds[0]': fd 5000 out of range (3 to 1023; 0, 1 and 2 are always passed)"
bad 'sys.max_processes must be an integer' "$ok_head
sys.max_processes = \"50\"" \
    "graphene: m.toml:3: key 'sys.max_processes': expected an integer, found a string"
bad 'sys.max_processes must be positive' "$ok_head
[sys]
max_processes = 0" \
    "graphene: m.toml:4: key 'sys.max_processes': 0 out of range (1 to 4194304)"
bad 'sys.max_memory must be a size' "$ok_head
sys.max_memory = \"lots\"" \
    "graphene: m.toml:3: key 'sys.max_memory': invalid size 'lots' (expected a positive number of bytes, optionally with suffix K, M or G, e.g. \"8M\")"
bad 'loader.uid must be an integer' "$ok_head
loader.uid = \"nobody\"" \
    "graphene: m.toml:3: key 'loader.uid': expected an integer, found a string"
bad 'loader.gid must be a valid id' "$ok_head
loader.gid = 4294967295" \
    "graphene: m.toml:3: key 'loader.gid': 4294967295 out of range (0 to 4294967294)"

printf '%s\n' "$ok_head" > ok.toml
is "$(GRAPHENE_LOG=loud "$GRAPHENE" run ok.toml 2>&1 >/dev/null; echo "rc=$?")" \
   "graphene: GRAPHENE_LOG: unknown log level 'loud' (expected error, warning, info, debug or trace)
rc=2" 'bad GRAPHENE_LOG'
is "$("$GRAPHENE" run missing.toml 2>&1; echo "rc=$?")" \
   "graphene: missing.toml: No such file or directory
rc=2" 'missing manifest file'

is "$("$GRAPHENE" run . 2>&1; echo "rc=$?")" \
   "graphene: .: Is a directory
rc=2" 'manifest that is a directory'

# An endless or huge manifest is refused after 1 MiB, not read without bound
# (ulimit -v: a launcher that keeps reading /dev/zero dies instead of hanging).
is "$( (ulimit -v 262144; "$GRAPHENE" run /dev/zero 2>&1); echo "rc=$?")" \
   "graphene: /dev/zero: larger than the 1 MiB a manifest may have
rc=2" 'endless manifest (/dev/zero)'
{ printf '%s\n' "$ok_head"; head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '#'; } > big.toml
is "$("$GRAPHENE" run big.toml 2>&1; echo "rc=$?")" \
   "graphene: big.toml: larger than the 1 MiB a manifest may have
rc=2" 'manifest over 1 MiB'

# usage
usage_line='usage: graphene run [--nsd ADDRESS] [--sandbox NAME] MANIFEST [-- ARGS...]'
for args in '' 'run' 'frobnicate' 'run ok.toml extra' 'run ok.toml -x --' '--help extra'; do
    is "$("$GRAPHENE" $args 2>&1 >/dev/null | head -1; echo "rc=${PIPESTATUS[0]}")" "$usage_line
rc=2" "usage error: graphene $args"
done
is "$("$GRAPHENE" --help 2>/dev/null | head -1; echo "rc=${PIPESTATUS[0]}")" "$usage_line
rc=0" '--help prints usage on stdout and exits 0'

done_testing
