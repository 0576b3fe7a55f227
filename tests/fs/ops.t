#!/bin/bash
# Differential test: tests/fs/ops.py run natively and under bin/graphene (in
# a scratch directory mounted at /data) must print the same lines.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/sandbox.sh
sandbox_test ops
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
mkdir -p "$T/native" "$T/sandbox"
cp tests/fs/ops.py "$T/ops.py"
cp tests/fs/ops.py "$T/sandbox/ops.py"
sandbox_manifest /usr/bin/python3 'loader.env.PATH = "/usr/bin:/bin"' 'loader.env.LANG = "C.UTF-8"' \
    'loader.env.PYTHONDONTWRITEBYTECODE = "1"' 'fs.start_dir = "/data"' 'sys.brk.max_size = "1G"' \
    ro:/bin=/usr/bin ro:/etc=/etc "/data=$T/sandbox" > "$T/m.toml"
want=$(cd "$T/native" && python3 "$T/ops.py" 2>&1)
got=$(timeout 60 $G run "$T/m.toml" -- ops.py 2>&1)
n=$(printf '%s\n' "$want" | wc -l)
echo "1..$n"
for i in $(seq 1 "$n"); do
	w=$(printf '%s\n' "$want" | sed -n "${i}p")
	g=$(printf '%s\n' "$got" | sed -n "${i}p")
	if [ "$w" = "$g" ]; then echo "ok $i - $w"; else echo "not ok $i - native '$w', sandbox '$g'"; fi
done
