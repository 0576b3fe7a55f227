#!/bin/bash
# Calls between two mounts under bin/graphene, with the results Linux gives
# for two mounts. Both mounts are on one host file system here, so the host
# alone would let rename and link through.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/sandbox.sh
sandbox_test mounts
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }
mkdir -p "$T/a/sub" "$T/b"
echo data > "$T/a/f"
sandbox_manifest /usr/bin/python3 'loader.env.LANG = "C"' 'fs.start_dir = "/"' \
    "/a=$T/a" "/b=$T/b" "/a/sub=$T/b" > "$T/m.toml"
cat > "$T/a/p.py" <<'PY'
import errno, os
def t(name, f):
    try:
        r = f()
    except OSError as e:
        r = "ERR " + errno.errorcode.get(e.errno, str(e.errno))
    print(name, r)
t("rename", lambda: os.rename("/a/f", "/b/f"))
t("link", lambda: os.link("/a/f", "/b/f"))
t("rename into nested mount", lambda: os.rename("/a/f", "/a/sub/f"))
t("rename within", lambda: (os.rename("/a/f", "/a/g"), os.rename("/a/g", "/a/f")))
t("link within", lambda: (os.link("/a/f", "/a/h"), os.unlink("/a/h")))
t("host untouched", lambda: os.listdir("/b"))
PY
want='rename ERR EXDEV
link ERR EXDEV
rename into nested mount ERR EXDEV
rename within (None, None)
link within (None, None)
host untouched []'
got=$(timeout 30 $G run "$T/m.toml" -- /a/p.py 2>&1)
echo "1..1"
if [ "$got" = "$want" ]; then echo "ok 1 - rename and link across mounts: EXDEV"; else
	echo "not ok 1 - rename and link across mounts: EXDEV"; printf '%s\n' "$got" | sed 's/^/# /'; fi
