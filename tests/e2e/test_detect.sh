#!/bin/sh
# beforeafter detect and align --roi face: the face and both eyes of
# samples/before-cheeks.jpg are found on its master (stored rotated +
# Orientation 6: the master is upright 600x800, the eyes level and in its
# upper half) with the documented JSON; align --roi face aligns on that face
# and records it ("+face-roi"), a reference without a face is refused with
# one line and nothing stored; compare on a facial area aligns on the face.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
S=$BA_SOURCE_DIR/samples
new_library "$L" C-1
B() { "$BA" --library "$L" "$@"; }
B -q ingest --client C-1 --area cheeks --stage before --date 2026-01-10 "$S/before-cheeks.jpg" >/dev/null
B -q ingest --client C-1 --area cheeks --stage after --date 2026-03-10 "$S/after-cheeks.jpg" >/dev/null
$PY -c "
from PIL import Image
Image.open('$SKDATA/coffee.png').convert('RGB').save('$T/coffee.jpg', quality=92)"
B -q ingest --client C-1 --area cheeks --stage after --date 2026-03-11 "$T/coffee.jpg" >/dev/null

# --- detect on the master: face box and two eyes, in master pixels.
run_ba --library "$L" --json detect 1
expect_rc "detect 1" 0
$PY - "$T/out" <<'EOF' || fail "detect 1 --json: $(cat "$T/out")"
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["kind"] == "detection" and d["photo_id"] == 1, d
f = d["face"]
assert f and set(f) == {"x", "y", "w", "h", "confidence"}, f
assert 0 < f["confidence"] <= 1
W, H = 600, 800  # the upright master
assert 0 <= f["x"] and f["x"] + f["w"] <= W and 0 <= f["y"] and f["y"] + f["h"] <= H, f
eyes = d["eyes"]
assert len(eyes) == 2, eyes
assert all(set(e) == {"x", "y", "radius"} for e in eyes)
(l, r) = eyes
assert l["x"] < r["x"], "eyes[0] has the smaller x"
# level (an upright master: a sideways one would have them one above the other)
assert abs(l["y"] - r["y"]) < 0.2 * (r["x"] - l["x"]), eyes
for e in eyes:
    assert f["x"] < e["x"] < f["x"] + f["w"] and f["y"] < e["y"] < f["y"] + f["h"] * 0.6, e
    assert 5 < e["radius"] < 0.3 * f["w"], e
assert 0 < d["eyes_confidence"] <= 1
EOF
ok "detect 1: a face and two level eyes in the upright master, documented JSON"

run_ba --library "$L" detect 3
expect_rc "detect on a photo without a face" 0
assert_contains "detect 3" "$T/out" "no face found"
run_ba --library "$L" --json detect 3
expect_rc "detect 3 --json" 0
assert_eq "no face: face null" "null" "$(json_field face <"$T/out")"
assert_eq "no face: no eyes" "[]" "$(json_field eyes <"$T/out")"
ok "detect 3 (coffee): nothing found is not an error"

run_ba --library "$L" detect 99
expect_rc "detect 99" 2
run_ba detect "$T/nothing.jpg"
expect_rc "detect of a missing file" 2
ok "unknown photo and missing file: exit 2"

# --- align --roi face
run_ba --library "$L" --json align 2 --to 1 --roi face
expect_rc "align --roi face" 0
assert_eq "method" "sift-ransac-lk+face-roi" "$(json_field method <"$T/out")"
assert_eq "roi" "face" "$(json_field roi <"$T/out")"
assert_eq "stored method" "sift-ransac-lk+face-roi" \
    "$(sqlite3 "$L/catalog.db" "SELECT method FROM alignments WHERE photo_id=2 AND reference_id=1")"
ok "align --roi face: aligned on the face, recorded as +face-roi"

before=$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM alignments")
run_ba --library "$L" align 2 --to 3 --roi face
expect_rc "align onto a reference without a face" 1
assert_eq "one line" 1 "$(nlines "$T/err")"
assert_contains "refusal" "$T/err" "photo 3: no face found"
assert_eq "nothing stored" "$before" "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM alignments")"
ok "align --roi face onto a photo without a face: refused in one line, nothing stored"

# --- compare on a facial area (cheeks) aligns on the face when none is stored.
L2=$T/lib2
new_library "$L2" C-1
"$BA" --library "$L2" -q ingest --client C-1 --area cheeks --stage before --date 2026-01-10 "$S/before-cheeks.jpg" >/dev/null
"$BA" --library "$L2" -q ingest --client C-1 --area cheeks --stage after --date 2026-03-10 "$S/after-cheeks.jpg" >/dev/null
run_ba --library "$L2" compare 1 2 -o "$T/cmp.png"
expect_rc "compare 1 2" 0
assert_eq "compare's alignment" "sift-ransac-lk+face-roi" \
    "$(sqlite3 "$L2/catalog.db" "SELECT method FROM alignments WHERE photo_id=2 AND reference_id=1")"
ok "compare on cheeks: aligned on the face found on the before photo"
