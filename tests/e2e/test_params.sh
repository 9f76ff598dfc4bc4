#!/bin/sh
# Render parameters are real JSON (issue 12):
# - a 5,000-character caption mixing Greek, Arabic and emoji is stored whole
#   (json_valid = 1, read back byte for byte equal);
# - an export of that comparison reproduces it exactly: its pixels equal the
#   comparison render's (so the caption, a non-white background and the label
#   style survived), and the background and label style are checked apart;
# - the same photos with the same parameters rendered again give the same
#   comparison ("existing comparison N", one row), other parameters a new one;
# - stored parameters that cannot be read (an old hand-escaped row) make the
#   export refuse with one line and write nothing, never render defaults.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-1
B() { "$BA" --library "$L" "$@"; }

make_jpeg "$F/before.jpg" 100 50 320 240 "2026:01:10 10:00:00"
make_jpeg "$F/after.jpg" 104 52 320 240 "2026:03:10 10:00:00"
B -q ingest --client C-1 --area cheeks --stage before "$F/before.jpg" >/dev/null
B -q ingest --client C-1 --area cheeks --stage after "$F/after.jpg" >/dev/null

# 5,000 characters: Greek, Arabic and emoji (and a quote, a backslash, a newline).
$PY - "$T/caption.txt" <<'EOF'
import sys
parts = ["Αποτελέσματα μετά από 4 συνεδρίες ", "النتائج بعد أربع جلسات ", "😀🎉✨ ",
         "\"quoted\" back\\slash ", "Résultats après 4 séances\n"]
s = ""
i = 0
while len(s) < 5000:
    s += parts[i % len(parts)]
    i += 1
s = s[:5000]
assert len(s) == 5000
open(sys.argv[1], "w", encoding="utf-8").write(s)
EOF
CAP=$(cat "$T/caption.txt"; printf x)
CAP=${CAP%x}
OPTS="--label-style date --background #204060 --gutter 6 --width 900"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $OPTS --caption "$CAP" -o "$T/c1.png"
C1=$(json_field comparison_id <"$T/out")
[ -n "$C1" ] && [ "$C1" != null ] || fail "compare: no comparison id"

assert_eq "parameters are valid JSON" 1 \
    "$(sqlite3 "$L/catalog.db" "SELECT json_valid(parameters) FROM comparisons WHERE id = $C1;")"
$PY - "$L/catalog.db" "$C1" "$T/caption.txt" <<'EOF' || fail "caption does not round-trip"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
p = json.loads(db.execute("SELECT parameters FROM comparisons WHERE id = ?", (int(sys.argv[2]),)).fetchone()[0])
want = open(sys.argv[3], encoding="utf-8").read()
assert p["caption"] == want, "caption differs: %d vs %d characters" % (len(p["caption"] or ""), len(want))
assert p["background"] == [0x20, 0x40, 0x60], p["background"]
assert p["labels"] == "date", p["labels"]
assert p["gutter"] == 6, p["gutter"]
EOF
ok "a 5,000-character Greek/Arabic/emoji caption is stored as valid JSON and read back equal"

# --- the export reproduces the comparison exactly --------------------------------
ba --library "$L" --json export "$C1" --purpose clinical --to "$T/ex1"
EX=$(find "$T/ex1" -name '*.png' | head -1)
[ -n "$EX" ] || fail "export wrote no image"
RENDER=$L/$(sqlite3 "$L/catalog.db" "SELECT render FROM comparisons WHERE id = $C1;")
cmp_pixels() {
    $PY - "$1" "$2" <<'EOF'
import sys, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert('RGB')).astype(np.int32)
b = np.asarray(Image.open(sys.argv[2]).convert('RGB')).astype(np.int32)
if a.shape != b.shape:
    print("size %s vs %s" % (a.shape, b.shape)); sys.exit(0)
print(int((a != b).any(axis=2).sum()))
EOF
}
assert_eq "export pixels equal the comparison's (pixels that differ)" 0 "$(cmp_pixels "$RENDER" "$EX")"
assert_eq "export pixels equal the file compare wrote" 0 "$(cmp_pixels "$T/c1.png" "$EX")"
# The background survives: the bottom-left pixel (caption band) is #204060.
$PY - "$EX" <<'EOF' || fail "exported background is not #204060"
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB')
px = im.getpixel((1, im.height - 2))
assert px == (0x20, 0x40, 0x60), px
EOF
ok "export reproduces the comparison pixel for pixel (caption, background, label style)"

# The label style survives on its own: a render with labels none differs from
# the date-labelled one in the label band, and its export equals it.
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 --label-style none --background black -o "$T/c2.png"
C2=$(json_field comparison_id <"$T/out")
[ "$C2" != "$C1" ] || fail "other parameters must make another comparison"
ba --library "$L" -q export "$C2" --purpose clinical --to "$T/ex2"
EX2=$(find "$T/ex2" -name '*.png' | head -1)
assert_eq "label style none, black background: export equals the render" 0 \
    "$(cmp_pixels "$T/c2.png" "$EX2")"
ok "label style none and a black background survive export"

# --- the same render again is the same comparison -------------------------------
n_before=$(rows "$L" comparisons)
# shellcheck disable=SC2086
run_ba --library "$L" compare 1 2 $OPTS --caption "$CAP" -o "$T/c1-again.png"
expect_rc "same compare again" 0
assert_contains "same compare again says so" "$T/out" "existing comparison $C1"
assert_eq "no second row" "$n_before" "$(rows "$L" comparisons)"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $OPTS --caption "$CAP" -o "$T/c1-again2.png"
assert_eq "json: existing" "true" "$(json_field existing <"$T/out")"
assert_eq "json: the same id" "$C1" "$(json_field comparison_id <"$T/out")"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $OPTS --caption "another caption" -o "$T/c3.png"
assert_eq "another caption: a new comparison" "false" "$(json_field existing <"$T/out")"
assert_eq "another caption: one row more" "$((n_before + 1))" "$(rows "$L" comparisons)"
ok "the same photos and parameters give the existing comparison; others a new one"

# --- parameters that cannot be read: refused, nothing written --------------------
sqlite3 "$L/catalog.db" "UPDATE comparisons SET parameters = '{\"labels\":\"date\",\"caption\":\"R' || char(233) || 'sultats \\x' WHERE id = $C2;"
assert_eq "damaged row is invalid JSON" 0 \
    "$(sqlite3 "$L/catalog.db" "SELECT json_valid(parameters) FROM comparisons WHERE id = $C2;")"
exports_before=$(rows "$L" exports)
run_ba --library "$L" export "$C2" --purpose clinical --to "$T/ex3"
expect_rc "export of unreadable parameters" 1
assert_eq "one line" 1 "$(nlines "$T/err")"
assert_contains "names the comparison" "$T/err" "comparison $C2"
assert_contains "says why" "$T/err" "parameters"
assert_eq "no image written" 0 "$(find "$T/ex3" -name '*.png' 2>/dev/null | wc -l | tr -d ' ')"
assert_eq "no export recorded" "$exports_before" "$(rows "$L" exports)"
# Missing members are as bad as broken JSON: defaults are never rendered.
sqlite3 "$L/catalog.db" "UPDATE comparisons SET parameters = '{}' WHERE id = $C2;"
run_ba --library "$L" export "$C2" --purpose clinical --to "$T/ex4"
expect_rc "export of incomplete parameters" 1
assert_eq "incomplete: no image written" 0 "$(find "$T/ex4" -name '*.png' 2>/dev/null | wc -l | tr -d ' ')"
ok "unreadable or incomplete parameters: export refuses in one line, writes nothing"

# --- a logo is kept in the library: the export renders that copy, whatever
# becomes of the user's file (a changed library copy refuses: test_logo.sh) ----
make_jpeg "$F/logo.png" 0 0 80 40
ba --library "$L" --json compare 1 2 --logo "$F/logo.png" --logo-opacity 0.8 -o "$T/c4.png"
C4=$(json_field comparison_id <"$T/out")
ba --library "$L" -q export "$C4" --purpose clinical --to "$T/ex5"
EX5=$(find "$T/ex5" -name '*.png' | head -1)
assert_eq "logo: export equals the render" 0 "$(cmp_pixels "$T/c4.png" "$EX5")"
make_jpeg "$F/logo.png" 40 40 80 40
ba --library "$L" -q export "$C4" --purpose clinical --to "$T/ex6"
EX6=$(find "$T/ex6" -name '*.png' | head -1)
assert_eq "logo file changed: export still equals the render" 0 "$(cmp_pixels "$T/c4.png" "$EX6")"
ok "a logo survives export, from the library's copy, whatever becomes of the user's file"
