#!/bin/bash
# TOML parser: valid documents print as "path = type:value @line:col" (so
# values, types and recorded positions are all checked); invalid ones must
# fail with the expected line, column, key and reason.
. "$(dirname "$0")/lib.sh"

# valid|invalid NAME INPUT <<EXPECTED: driver output plus its exit status.
check() { is "$(printf '%s' "$2" | "$TOML_DUMP"; echo "rc=$?")" "$(cat)" "$1"; }
valid() { check "valid: $1" "$2"; }
invalid() { check "invalid: $1" "$2"; }

valid 'empty document' '' <<'EOF'
 = table:{} @1:1
rc=0
EOF
valid 'comments, blank lines, CRLF' $'# c\r\n\r\n  a = 1 # trailing\r\nb = 2\r\n' <<'EOF'
a = int:1 @3:7
b = int:2 @4:5
rc=0
EOF
valid 'basic string escapes' 'a = "q\" b\\ t\t n\n u\u00e9 U\U0001F600"' <<'EOF'
a = string:"q\" b\\ t\x09 n\x0a ué U😀" @1:5
rc=0
EOF
valid 'literal strings keep backslashes' $'a = \'C:\\x\\y\'\nb = \'\'' <<'EOF'
a = string:"C:\\x\\y" @1:5
b = string:"" @2:5
rc=0
EOF
valid 'multi-line basic: first newline trimmed, line-ending backslash, quotes before end' $'a = """\nx\n  y \\\n\n   z""""\nb = """"a""""' <<'EOF'
a = string:"x\x0a  y z\"" @1:5
b = string:"\"a\"" @6:5
rc=0
EOF
valid 'multi-line literal' $'a = \'\'\'\nno \\escape\n\'\'\'\nb = \'\'\'\'q\'\'\'\'\'' <<'EOF'
a = string:"no \\escape\x0a" @1:5
b = string:"'q''" @4:5
rc=0
EOF
valid 'integers in all bases with underscores' $'a = +1_000\nb = -17\nc = 0xDEAD_beef\nd = 0o755\ne = 0b1010\nf = 9223372036854775807\ng = -9223372036854775808\nh = 0\ni = -0' <<'EOF'
a = int:1000 @1:5
b = int:-17 @2:5
c = int:3735928559 @3:5
d = int:493 @4:5
e = int:10 @5:5
f = int:9223372036854775807 @6:5
g = int:-9223372036854775808 @7:5
h = int:0 @8:5
i = int:0 @9:5
rc=0
EOF
valid 'floats' $'a = 1.5\nb = -2e3\nc = 6.626E-34\nd = 1_0.2_5\ne = +inf\nf = -inf' <<'EOF'
a = float:1.5 @1:5
b = float:-2000 @2:5
c = float:6.6259999999999998e-34 @3:5
d = float:10.25 @4:5
e = float:inf @5:5
f = float:-inf @6:5
rc=0
EOF
valid 'booleans' $'t = true\nf = false' <<'EOF'
t = bool:true @1:5
f = bool:false @2:5
rc=0
EOF
valid 'arrays: nested, mixed, multi-line, trailing comma, empty' $'a = [ 1, "two", [3, [4]], ]\nb = [\n  1, # one\n\n  2,\n]\nc = []' <<'EOF'
a[0] = int:1 @1:7
a[1] = string:"two" @1:10
a[2][0] = int:3 @1:18
a[2][1][0] = int:4 @1:22
b[0] = int:1 @3:3
b[1] = int:2 @5:3
c = array:[] @7:5
rc=0
EOF
valid 'inline tables with dotted keys, nesting, empty' $'p = { x = 1, y.z = "s", q = { r = true } }\ne = {}' <<'EOF'
p.x = int:1 @1:11
p.y.z = string:"s" @1:20
p.q.r = bool:true @1:35
e = table:{} @2:5
rc=0
EOF
valid 'dotted and quoted keys' $'a.b.c = 1\na.b.d = 2\n"x y".\'z\' = 3\n1.2 = "k"' <<'EOF'
a.b.c = int:1 @1:9
a.b.d = int:2 @2:9
"x y".z = int:3 @3:13
1.2 = string:"k" @4:7
rc=0
EOF
valid 'tables: implicit parent defined later, whitespace in header' $'[a.b]\nc = 1\n[ a ]\nd = 2\n[e . "f g"]' <<'EOF'
a.b.c = int:1 @2:5
a.d = int:2 @4:5
e."f g" = table:{} @5:1
rc=0
EOF
valid 'header may extend a dotted-key table with a new sub-table' $'[fruit]\napple.color = "red"\n[fruit.apple.texture]\nsmooth = true' <<'EOF'
fruit.apple.color = string:"red" @2:15
fruit.apple.texture.smooth = bool:true @4:10
rc=0
EOF
valid 'arrays of tables with sub-tables' $'[[m]]\nn = 1\n[[m]]\nn = 2\n[m.sub]\nq = 3\n[[m.list]]\nr = 4' <<'EOF'
m[0].n = int:1 @2:5
m[1].n = int:2 @4:5
m[1].sub.q = int:3 @6:5
m[1].list[0].r = int:4 @8:5
rc=0
EOF
valid 'dotted key may enter a table a header created implicitly' $'[a.b.c]\n[a]\nb.d = 1' <<'EOF'
a.b.c = table:{} @1:1
a.b.d = int:1 @3:7
rc=0
EOF
invalid 'duplicate key' $'a = 1\nb = 2\na = 3' <<'EOF'
error 3:1 key 'a': duplicate key (first defined on line 1)
rc=1
EOF
# Tables of more than a few keys are indexed: duplicates, dotted keys and
# lookups must behave the same there (5000 keys, the index rebuilt often).
big=$(for i in $(seq 5000); do echo "k$i = $i"; done)
invalid 'duplicate key in a large table' "$big"$'\nk4321 = 0' <<'EOF'
error 5001:1 key 'k4321': duplicate key (first defined on line 4321)
rc=1
EOF
is "$(printf '%s\nt.k4999.x = 1\nt.k2.y = 2\n' "$(for i in $(seq 5000); do echo "t.k$i.v = $i"; done)" |
      "$TOML_DUMP" | grep -E '^t\.k(2|4999)\.'; echo "rc=${PIPESTATUS[1]}")" "t.k2.v = int:2 @2:10
t.k2.y = int:2 @5002:10
t.k4999.v = int:4999 @4999:13
t.k4999.x = int:1 @5001:13
rc=0" 'dotted keys into a large table'
invalid 'duplicate key through dotted keys' $'a.b = 1\na.b = 2' <<'EOF'
error 2:1 key 'a.b': duplicate key (first defined on line 1)
rc=1
EOF
invalid 'table defined twice' $'[t]\n[x]\n[t]' <<'EOF'
error 3:1 key 't': table is already defined on line 1
rc=1
EOF
invalid 'header over a dotted-key table' $'a.b = 1\n[a]' <<'EOF'
error 2:1 key 'a': table is already defined on line 1
rc=1
EOF
invalid 'dotted key into a header-defined table' $'[a.b.c]\nz = 9\n[a]\nb.c.t = 1' <<'EOF'
error 4:1 key 'a.b.c.t': table 'c' (line 1) cannot be extended by a dotted key
rc=1
EOF
invalid 'header over an implicit table that dotted keys defined' $'[a.b.c]\n[a]\nb.d = 1\n[a.b]' <<'EOF'
error 4:1 key 'a.b': table is already defined on line 1
rc=1
EOF
invalid 'header over a value' $'a = 1\n[a]' <<'EOF'
error 2:1 key 'a': key is already defined as an integer on line 1
rc=1
EOF
invalid 'inline table cannot be extended by a header' $'x = { a = 1 }\n[x.b]' <<'EOF'
error 2:1 key 'x': inline table (line 1) cannot be extended
rc=1
EOF
invalid 'inline table cannot be extended by a dotted key' $'x = { a = 1 }\nx.b = 2' <<'EOF'
error 2:1 key 'x.b': table 'x' (line 1) cannot be extended by a dotted key
rc=1
EOF
invalid 'static array cannot be appended by [[...]]' $'x = [1]\n[[x]]' <<'EOF'
error 2:1 key 'x': key is already defined as an array on line 1
rc=1
EOF
invalid 'unterminated basic string' $'a = "abc\nb = 1' <<'EOF'
error 1:9 key 'a': newline in single-line string
rc=1
EOF
invalid 'newline in single-line string' $'a = \'abc\n\'' <<'EOF'
error 1:9 key 'a': newline in single-line string
rc=1
EOF
invalid 'unterminated multi-line string reports its start' $'\na = """abc\n\n' <<'EOF'
error 2:5 key 'a': unterminated string
rc=1
EOF
invalid 'invalid escape' 'a = "x\q"' <<'EOF'
error 1:7 key 'a': invalid escape sequence '\q'
rc=1
EOF
invalid 'surrogate escape' 'a = "\uD800"' <<'EOF'
error 1:6 key 'a': escape is not a Unicode scalar value
rc=1
EOF
invalid 'control character in string' $'a = "x\x01"' <<'EOF'
error 1:7 key 'a': control character 0x01 in string
rc=1
EOF
invalid 'leading zero' 'port = 08' <<'EOF'
error 1:8 key 'port': leading zeros are not allowed in '08'
rc=1
EOF
invalid 'double underscore' 'a = 1__0' <<'EOF'
error 1:5 key 'a': invalid number '1__0'
rc=1
EOF
invalid 'trailing underscore' 'a = 1_' <<'EOF'
error 1:5 key 'a': invalid number '1_'
rc=1
EOF
invalid 'integer overflow' 'a = 9223372036854775808' <<'EOF'
error 1:5 key 'a': integer '9223372036854775808' does not fit in 64 bits
rc=1
EOF
invalid 'signed hex' 'a = -0x10' <<'EOF'
error 1:5 key 'a': sign is not allowed on hex/octal/binary integers
rc=1
EOF
invalid 'float without fraction digits' 'a = 1.' <<'EOF'
error 1:5 key 'a': invalid float '1.'
rc=1
EOF
invalid 'dates are not supported' 'd = 1979-05-27' <<'EOF'
error 1:5 key 'd': dates and times are not supported
rc=1
EOF
invalid 'bare word value' 'mode = fast' <<'EOF'
error 1:8 key 'mode': invalid value 'fast' (strings must be quoted)
rc=1
EOF
invalid 'missing value' 'a =' <<'EOF'
error 1:4 key 'a': expected a value
rc=1
EOF
invalid 'missing equals' 'a 1' <<'EOF'
error 1:3 key 'a': expected '=' after key
rc=1
EOF
invalid 'two values on a line' 'a = 1 b = 2' <<'EOF'
error 1:7 key 'a': expected end of line, found 'b'
rc=1
EOF
invalid 'unclosed array, error inside names the element' $'a = [1,\n 2 3]' <<'EOF'
error 2:4 key 'a': expected ',' or ']' in array
rc=1
EOF
invalid 'nested error names the path' $'[s]\nx = [ { y = [1, nope] } ]' <<'EOF'
error 2:17 key 's.x[0].y[1]': invalid value 'nope' (strings must be quoted)
rc=1
EOF
invalid 'inline table must fit on one line' $'a = { x = 1,\n y = 2 }' <<'EOF'
error 1:13 key 'a': expected a key, found end of line
rc=1
EOF
invalid 'trailing comma in inline table' 'a = { x = 1, }' <<'EOF'
error 1:14 key 'a': trailing comma is not allowed in inline table
rc=1
EOF
invalid 'error after a value in an array-of-tables element names the element' $'[[a]]\n[[a]]\nx = 1 2' <<'EOF'
error 3:7 key 'a[1].x': expected end of line, found '2'
rc=1
EOF
invalid 'unclosed header' '[a' <<'EOF'
error 1:3 key 'a': expected ']' to close table header
rc=1
EOF
invalid 'empty key' '= 1' <<'EOF'
error 1:1 key '': expected a key, found '='
rc=1
EOF
invalid 'invalid UTF-8' $'# ok\nk = "\xff"' <<'EOF'
error 2:6 key '': invalid UTF-8
rc=1
EOF
invalid 'nesting too deep' "a = $(printf '[%.0s' {1..70})" <<'EOF'
error 1:69 key 'a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]': arrays/inline tables nested too deeply
rc=1
EOF

done_testing
