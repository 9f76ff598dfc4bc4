#!/bin/sh
# beforeafter align: two related photos in a library are aligned (matrix
# within a pixel of the truth, exit 0), a re-run replaces the stored row, a
# landmark alignment replaces it too, unrelated photos are refused (exit 1,
# one line that suggests --points, nothing stored), plain files work without
# a library and give bit-identical JSON on every run, and bad input gets one
# line and the documented exit code.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-1

# --- fixtures: the astronaut, and the astronaut seen through a known
# similarity M (after pixel -> before pixel, pixel centres at integers),
# darker and warmer; and an unrelated photo.
$PY - "$ASTRO" "$SKDATA/coffee.png" "$F" <<'EOF' || fail "making the fixtures"
import sys, math, numpy as np
from PIL import Image
astro, coffee, out = sys.argv[1:4]
src = np.asarray(Image.open(astro).convert('RGB')).astype(np.float64)
h, w = src.shape[:2]
s, th, dx, dy = 1.08, math.radians(6.0), 20.0, -12.0
c, sn = s * math.cos(th), s * math.sin(th)
cx, cy = (w - 1) / 2, (h - 1) / 2
M = np.array([[c, -sn, cx + dx - (c * cx - sn * cy)], [sn, c, cy + dy - (sn * cx + c * cy)]])
ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
X = M[0, 0] * xs + M[0, 1] * ys + M[0, 2]
Y = M[1, 0] * xs + M[1, 1] * ys + M[1, 2]
x0, y0 = np.floor(X).astype(int), np.floor(Y).astype(int)
fx, fy = (X - x0)[..., None], (Y - y0)[..., None]
def at(yy, xx):
    return src[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
img = ((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
       fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)))
img = img * np.array([0.85, 0.8, 0.72]) + 8
Image.fromarray(src.astype(np.uint8)).save(out + '/before.jpg', quality=95)
Image.fromarray(np.clip(img + 0.5, 0, 255).astype(np.uint8)).save(out + '/after.jpg', quality=90)
Image.open(coffee).convert('RGB').save(out + '/coffee.jpg', quality=92)
np.savetxt(out + '/truth.txt', M.reshape(1, 6))
EOF

# check_matrix WHAT: the JSON in $T/out maps the after photo within 1 px of the truth.
check_matrix() {
    $PY - "$F/truth.txt" "$T/out" "$1" <<'EOF' || exit 1
import json, sys, numpy as np
T = np.loadtxt(sys.argv[1]).reshape(2, 3)
r = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
want = {"kind", "reference_id", "photo_id", "matrix", "scale", "angle_deg", "tx", "ty", "inliers", "score", "method"}
if "reference_file" in r:
    want = (want - {"reference_id", "photo_id"}) | {"reference_file", "photo_file"}
if set(r) != want or r["kind"] != "alignment":
    print("FAIL: %s: JSON keys %s, expected %s" % (sys.argv[3], sorted(r), sorted(want))); sys.exit(1)
M = np.array(r["matrix"], dtype=float)
c = np.array([[0, 0, 1], [511, 0, 1], [511, 511, 1], [0, 511, 1]], float).T
err = float(np.mean(np.linalg.norm(M @ c - T @ c, axis=0)))
ok = (err < 1.0 and abs(r["scale"] - 1.08) < 0.005 and abs(r["angle_deg"] + 6.0) < 0.2
      and r["tx"] == M[0, 2] and r["ty"] == M[1, 2] and 0 <= r["score"] <= 1)
if not ok:
    print("FAIL: %s: corner error %.3f px, scale %s, angle %s, score %s" %
          (sys.argv[3], err, r["scale"], r["angle_deg"], r["score"])); sys.exit(1)
print("ok - %s: corner error %.3f px, %s inliers, score %.2f, %s" %
      (sys.argv[3], err, r["inliers"], r["score"], r["method"]))
EOF
}

ingest_id() { # ingest_id FILE STAGE -> photo id
    "$BA" --library "$L" --json ingest --client C-1 --area cheeks --date 2026-03-0"$3" \
        --stage "$2" "$1" >"$T/ing" || fail "ingest $1"
    json_field photo_id <"$T/ing"
}
B=$(ingest_id "$F/before.jpg" before 1)
A=$(ingest_id "$F/after.jpg" after 2)
C=$(ingest_id "$F/coffee.jpg" progress 3)

# --- photo ids: aligned and stored --------------------------------------------------
run_ba --library "$L" align "$A" --to "$B" --json
expect_rc "align $A --to $B" 0
[ ! -s "$T/err" ] || fail "align: expected empty stderr, got: $(cat "$T/err")"
assert_eq "one JSON line" 1 "$(nlines "$T/out")"
check_matrix "photo ids"
assert_eq "reference id" "$B" "$(json_field reference_id <"$T/out")"
assert_eq "photo id" "$A" "$(json_field photo_id <"$T/out")"
assert_eq "method" sift-ransac-lk "$(json_field method <"$T/out")"
[ "$(json_field inliers <"$T/out")" -ge 12 ] || fail "inliers: $(json_field inliers <"$T/out")"
assert_eq "alignment rows" 1 "$(rows "$L" alignments)"
assert_eq "stored pair" "$A|$B|sift-ransac-lk" \
    "$(sqlite3 "$L/catalog.db" 'SELECT photo_id, reference_id, method FROM alignments;')"
first=$(cat "$T/out")

# Re-run: the same answer, still one row.
run_ba --library "$L" align "$A" --to "$B" --json
expect_rc "re-run" 0
assert_eq "re-run gives the same JSON" "$first" "$(cat "$T/out")"
assert_eq "alignment rows after re-run" 1 "$(rows "$L" alignments)"
ok "re-run replaces: one row"

# Human output: one line with the numbers.
run_ba --library "$L" align "$A" --to "$B"
expect_rc "human output" 0
assert_eq "human output lines" 1 "$(nlines "$T/out")"
assert_contains "human output" "$T/out" "scale 1.08"
assert_contains "human output" "$T/out" "stored"
run_ba --library "$L" -q align "$A" --to "$B"
expect_rc "quiet" 0
assert_eq "quiet prints nothing" "" "$(cat "$T/out")"
ok "human and quiet output"

# Landmarks replace the automatic result: reference points : photo points.
pts=$($PY - "$F/truth.txt" <<'EOF'
import sys, numpy as np
M = np.loadtxt(sys.argv[1]).reshape(2, 3)
P = [(120.0, 150.0), (400.0, 330.0)]
R = [M @ np.array([x, y, 1.0]) for x, y in P]
print("%r,%r %r,%r : %r,%r %r,%r" % (R[0][0], R[0][1], R[1][0], R[1][1], P[0][0], P[0][1], P[1][0], P[1][1]))
EOF
)
run_ba --library "$L" align "$A" --to "$B" --points "$pts" --json
expect_rc "align --points" 0
check_matrix "--points"
assert_eq "points method" points "$(json_field method <"$T/out")"
assert_eq "points inliers" 0 "$(json_field inliers <"$T/out")"
assert_eq "stored method after --points" points \
    "$(sqlite3 "$L/catalog.db" 'SELECT method FROM alignments;')"
assert_eq "alignment rows after --points" 1 "$(rows "$L" alignments)"

# --- unrelated photos: refused, nothing stored --------------------------------------
run_ba --library "$L" align "$C" --to "$B" --json
expect_rc "unrelated photos" 1
assert_eq "refusal: no stdout" "" "$(cat "$T/out")"
assert_eq "refusal: one stderr line" 1 "$(nlines "$T/err")"
assert_contains "refusal names the photo" "$T/err" "photo $C"
assert_contains "refusal suggests landmarks" "$T/err" "--points"
assert_eq "alignment rows after refusal" 1 "$(rows "$L" alignments)"
ok "unrelated photos refused: $(cat "$T/err")"

# A photo rotated a quarter turn: found, but not plausible.
vips rot "$F/before.jpg" "$F/rot90.jpg" d90 || fail "vips rot"
run_ba align "$F/rot90.jpg" --to "$F/before.jpg"
expect_rc "quarter turn" 1
assert_contains "quarter turn" "$T/err" "rotated by"
assert_contains "quarter turn" "$T/err" "--points"
ok "quarter turn refused: $(cat "$T/err")"

# --- plain files, no library ------------------------------------------------------------
mkdir "$T/empty"
cd "$T/empty"
run_ba align "$F/after.jpg" --to "$F/before.jpg" --json
expect_rc "plain files" 0
check_matrix "plain files"
assert_eq "plain files: reference" "$F/before.jpg" "$(json_field reference_file <"$T/out")"
assert_eq "plain files: photo" "$F/after.jpg" "$(json_field photo_file <"$T/out")"
[ -z "$(ls -A "$T/empty")" ] || fail "plain files wrote into the current folder: $(ls -A "$T/empty")"
one=$(cat "$T/out")
run_ba align "$F/after.jpg" --to "$F/before.jpg" --json
assert_eq "plain files: bit-identical JSON" "$one" "$(cat "$T/out")"
ok "plain files work without a library, same JSON every run"

# --- bad input: one line, exit code ---------------------------------------------------
expect_one_line() { # expect_one_line WHAT CODE TEXT
    expect_rc "$1" "$2"
    assert_eq "$1: one stderr line" 1 "$(nlines "$T/err")"
    assert_contains "$1" "$T/err" "$3"
}
run_ba align "$A" --to "$B"
expect_one_line "ids without a library" 3 "catalog"
run_ba --library "$L" align 999 --to "$B"
expect_one_line "unknown photo id" 2 "999"
run_ba --library "$L" align "$A" --to "$A"
expect_one_line "photo onto itself" 2 "itself"
run_ba --library "$L" align "$A" --to "$B" --points "1,2 3,4"
expect_one_line "malformed --points" 2 "colon"
run_ba --library "$L" align "$A" --to "$B" --points "1,2 : 3,4"
expect_one_line "one landmark pair" 2 "two pairs"
run_ba --library "$L" align "$A" --to "$B" --roi "1,2,3"
expect_one_line "malformed --roi" 2 "region of interest"
run_ba --library "$L" align "$A" --to "$F/before.jpg"
expect_one_line "id and file mixed" 2 "not one of each"
run_ba --library "$L" align "$A"
expect_one_line "no --to" 2 "--to"
run_ba align "$F/missing.jpg" --to "$F/before.jpg"
expect_one_line "missing file" 2 "missing.jpg"
echo "not an image" >"$F/junk.jpg"
run_ba align "$F/junk.jpg" --to "$F/before.jpg"
expect_one_line "unreadable file" 1 "junk.jpg"
assert_eq "alignment rows at the end" 1 "$(rows "$L" alignments)"
ok "bad input: one line and the documented exit code"
