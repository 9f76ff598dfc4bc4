#!/bin/sh
# Comparability with numbers (issue 13, point 5): colour cast (mean Δa*, Δb*
# in CIELAB), exposure (ΔL*) and sharpness (Laplacian variance) measured on
# the aligned overlap, in compare's warnings, its --json "panels" and the
# comparison's stored parameters; --strict refuses any of them, writing
# nothing.  The bug: a warm cast (blue x 0.88) passed compare --strict.
set -eu
. "$(dirname "$0")/lib.sh"

S=$BA_SOURCE_DIR/samples
L=$T/lib
new_library "$L" C-0042
ba --library "$L" ingest --client C-0042 --area cheeks --stage before --date 2026-03-02 "$S/before-cheeks.jpg"
ba --library "$L" ingest --client C-0042 --area cheeks --stage after --date 2026-04-13 "$S/after-cheeks.jpg"
# Variants of the after photo (its ICC profile is kept, so the pixels stay in P3).
vips linear "$S/after-cheeks.jpg" "$T/warm.jpg[Q=92]" "1 1 0.88" "0 0 0" --uchar
vips linear "$S/after-cheeks.jpg" "$T/dark.jpg[Q=92]" "0.7 0.7 0.7" "0 0 0" --uchar
vips gaussblur "$S/after-cheeks.jpg" "$T/blur.jpg[Q=92]" 2
for v in warm dark blur; do
    ba --library "$L" ingest --client C-0042 --area cheeks --stage after --date 2026-04-13 "$T/$v.jpg"
done
# photos: 1 before, 2 after, 3 warm, 4 dark, 5 blurred

measure() { # PHOTO FIELD: panel 2's comparability FIELD of the last compare --json
    $PY -c 'import json,sys
v=json.loads(open(sys.argv[1]).read())["panels"][1]["comparability"][sys.argv[2]]
print("null" if v is None else v)' "$T/out" "$1"
}
over() { $PY -c 'import sys; sys.exit(0 if abs(float(sys.argv[1])) > float(sys.argv[2]) else 1)' "$1" "$2"; }

# The normal sample pair: measured, and no colour warning.
run_ba --library "$L" --json compare 1 2 -o "$T/normal.png"
expect_rc "compare the sample pair" 0
assert_not_contains "sample pair: no colour warning" "$T/out" "colour cast"
cast=$(measure cast)
over "$cast" 3 && fail "the sample pair measures a cast of $cast"
[ "$(measure sharpness_ratio)" != null ] || fail "no sharpness ratio measured"
ok "the sample pair is measured (cast $cast, ΔL* $(measure delta_l)) and does not warn on colour"

# The warm cast: a warning with its numbers, and --strict refuses.
run_ba --library "$L" --json compare 1 3 -o "$T/warm.png"
expect_rc "compare the warm pair" 0
assert_contains "warm: a colour warning" "$T/out" "colour cast: photo 3 is warmer (yellower) than photo 1"
db=$(measure delta_b)
over "$db" 3 || fail "the warm photo's Δb* is only $db"
cid=$(json_field comparison_id <"$T/out")
stored=$(sqlite3 "$L/catalog.db" \
    "SELECT json_extract(parameters, '\$.comparability[1].delta_b') FROM comparisons WHERE id = $cid")
assert_eq "stored Δb*" "$db" "$stored"
n=$(rows "$L" comparisons)
run_ba --library "$L" compare 1 3 -o "$T/warm-strict.png" --strict
expect_rc "--strict on the warm pair" 1
assert_eq "one line" 1 "$(nlines "$T/err")"
assert_contains "strict names the measure and value" "$T/err" "colour cast: photo 3 is warmer (yellower) than photo 1 by ΔE"
[ ! -e "$T/warm-strict.png" ] || fail "--strict refusal wrote its output"
assert_eq "nothing recorded" "$n" "$(rows "$L" comparisons)"
ok "a warm cast (blue x 0.88, Δb* $db) warns, is stored, and --strict refuses it"

run_ba --library "$L" --json compare 1 4 -o "$T/dark.png"
expect_rc "compare the dark pair" 0
assert_contains "dark: exposure warning" "$T/out" "exposure: photo 4 is darker than photo 1"
assert_not_contains "dark: no sharpness warning" "$T/out" "sharpness:"
ok "a darker photo (x 0.7, ΔL* $(measure delta_l)) warns on exposure, not on sharpness"

run_ba --library "$L" --json compare 1 5 -o "$T/blur.png"
expect_rc "compare the blurred pair" 0
assert_contains "blur: sharpness warning" "$T/out" "sharpness: photo 5 is softer than photo 1"
assert_not_contains "blur: no colour warning" "$T/out" "colour cast"
ok "a blurred photo (σ 2 px, ratio $(measure sharpness_ratio)) warns on sharpness"

run_ba --library "$L" compare 1 5 -o "$T/blur-strict.png" --strict
expect_rc "--strict on the blurred pair" 1
assert_contains "strict blur" "$T/err" "sharpness"
[ ! -e "$T/blur-strict.png" ] || fail "--strict refusal wrote its output"
ok "--strict refuses a sharpness warning too"
