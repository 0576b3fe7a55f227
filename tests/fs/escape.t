#!/bin/bash
# The sandbox file system under bin/graphene: every way out of the mounts
# (.., symlinks planted in a writable mount pointing outside, /proc magic
# links, unix socket paths, dirfds) must fail like a missing file (ENOENT),
# while the same kinds of paths inside the mounts work.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/sandbox.sh
sandbox_test fs
mkdir -p "$T/data/sub" "$T/outside"
echo SECRET > "$T/outside/secret"
echo hello > "$T/data/f"
ln -s "$T/outside/secret" "$T/data/hostabs"          # absolute host path: means /tmp/... in the sandbox
ln -s ../outside/secret "$T/data/relesc"             # one level above the mount root
ln -s ../../../../../../../../..$T/outside/secret "$T/data/deeprel"
ln -s /proc/self/root$T/outside/secret "$T/data/procesc"
ln -s sub/../../outside "$T/data/sub/updir"          # a directory link leading out
ln -s /data/f "$T/data/sbxabs"                       # sandbox-absolute: fine
ln -s ../f "$T/data/sub/relok"
ln -s loop2 "$T/data/loop1"; ln -s loop1 "$T/data/loop2"
sandbox_manifest /usr/bin/bash 'loader.env.PATH = "/usr/bin:/bin"' 'loader.env.LANG = "C"' \
    'fs.start_dir = "/data"' /bin=/usr/bin "/data=$T/data" > "$T/m.toml"

# path | expected: content, or the error bash prints
cases=$(cat <<CASES
f|hello
/data/f|hello
sbxabs|hello
sub/relok|hello
/proc/self/root/data/f|hello
/data/sub/../f|hello
/usr/../data/f|hello
hostabs|No such file or directory
relesc|No such file or directory
deeprel|No such file or directory
procesc|No such file or directory
sub/updir/secret|No such file or directory
../outside/secret|No such file or directory
/../../outside/secret|No such file or directory
/data/../../outside/secret|No such file or directory
$T/outside/secret|No such file or directory
/proc/self/cwd/../outside/secret|No such file or directory
/dev/../outside/secret|No such file or directory
/proc/1/root/etc/passwd|No such file or directory
loop1|Too many levels of symbolic links
CASES
)
script=""
while IFS='|' read -r p _; do
	script+="if read -r x < '$p'; then echo \"\$x\"; fi; "
done <<<"$cases"
out=$(timeout 20 $G run "$T/m.toml" -- -c "$script" 2>&1)
n=$(printf '%s\n' "$cases" | wc -l)
echo "1..$((n + 2))"
i=0
while IFS='|' read -r p want; do
	i=$((i + 1))
	got=$(printf '%s\n' "$out" | sed -n "${i}p")
	if [[ $got == *"$want"* ]]; then echo "ok $i - $p: $want"; else echo "not ok $i - $p: expected '$want', got '$got'"; fi
done <<<"$cases"

# Writes through an escaping link must not land outside either.
timeout 20 $G run "$T/m.toml" -- -c 'echo pwned > relesc; echo pwned > sub/updir/new' >/dev/null 2>&1
if [ "$(cat "$T/outside/secret")" = SECRET ] && [ ! -e "$T/outside/new" ]; then
	echo "ok $((n + 1)) - writes through escaping links stay inside"
else
	echo "not ok $((n + 1)) - a write escaped the mount"
fi
# Listing the sandbox root shows the mount points and the libos's trees only.
got=$(timeout 20 $G run "$T/m.toml" -- -c 'cd /; echo *' 2>&1)
if [ "$got" = "bin data dev lib lib64 proc usr" ]; then
	echo "ok $((n + 2)) - / lists mount points, /proc and /dev"
else
	echo "not ok $((n + 2)) - / lists '$got'"
fi
