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
echo "1..$((n + 3))"
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
# connect() to a socket in the sandbox while another thread keeps swapping
# a symlink to a host socket outside in its place: the host must never
# follow the symlink the libos did not check.
python3 - "$T/outside/s.sock" "$T/outside/count" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(64); s.settimeout(0.2)
n = 0
while not os.path.exists(sys.argv[2] + ".done"):
    try:
        s.accept()[0].close(); n += 1
    except OSError:
        pass
open(sys.argv[2], "w").write(str(n))
PY
server=$!
cat > "$T/data/race.py" <<PY
import os, socket, threading
real = socket.socket(socket.AF_UNIX); real.bind("real.sock"); real.listen(4096)
stop = False
def flip():
    while not stop:
        for f in (lambda: os.link("real.sock", "tmp"), lambda: os.symlink("$T/outside/s.sock", "tmp")):
            f(); os.rename("tmp", "sock")
threading.Thread(target=flip).start()
ok = 0
for i in range(3000):
    c = socket.socket(socket.AF_UNIX)
    try:
        c.connect("sock"); ok += 1
    except OSError:
        pass
    c.close()
    if i % 500 == 0:
        try:
            while True: real.setblocking(False); real.accept()[0].close()
        except OSError:
            pass
stop = True
print("connected" if ok else "never connected")
PY
sandbox_manifest /usr/bin/python3 'loader.env.LANG = "C"' 'fs.start_dir = "/data"' "/data=$T/data" > "$T/py.toml"
got=$(timeout 60 $G run "$T/py.toml" -- race.py 2>&1)
touch "$T/outside/count.done"
wait $server
if [ "$got" = connected ] && [ "$(cat "$T/outside/count" 2>/dev/null)" = 0 ]; then
	echo "ok $((n + 3)) - connect never follows a symlink swapped in after the check"
else
	echo "not ok $((n + 3)) - connect: '$got', reached a host socket outside $(cat "$T/outside/count" 2>/dev/null) times"
fi
