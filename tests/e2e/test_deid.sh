#!/bin/sh
# De-identification that cannot fail silently (issue 13, points 1-3;
# docs/CONSENT.md "What is measured"):
# - the regression of the issue: eye centres that are not in what the
#   comparison shows (--eyes 2,2,30,2 on a comparison whose crop starts at
#   (172,242)) refuse: exit 1, one line naming the comparison, no files, a
#   "refused" audit row;
# - every mode measured on the output file by deid_measure.py (PIL/numpy),
#   with the eyes taken from 'detect' on the masters, not from the export:
#   eyes and half-letterbox are bar-black over both eyes / pupils in both
#   panels; blur-face and blur-outside leave < 10 % of the unredacted
#   Laplacian variance around the eyes; blur-outside keeps the treatment area
#   sharp; crop-to-area shows no eye;
# - without --eyes the eyes are detected per panel, and the manifest and
#   --json say so ("detected"); given eyes say "given";
# - a panel without a face refuses, naming the panel and asking for --eyes;
# - marketing still needs its consent with de-identification.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
new_library "$L" C-1
B() { "$BA" --library "$L" "$@"; }
MEASURE="$PY $E2E_DIR/deid_measure.py"
B -q ingest --client C-1 --area cheeks --stage before --date 2026-01-10 "$BA_SOURCE_DIR/samples/before-cheeks.jpg" >/dev/null
B -q ingest --client C-1 --area cheeks --stage after --date 2026-03-10 "$BA_SOURCE_DIR/samples/after-cheeks.jpg" >/dev/null
CMP="--label-style none --gutter 0 --width 800"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $CMP -o "$T/c.png"
C=$(json_field comparison_id <"$T/out")
printf '%%PDF-1.4\n%% form\n%%%%EOF\n' >"$T/form.pdf"
B -q consent grant C-1 --scope education --granted 2026-01-05 --evidence "$T/form.pdf" >/dev/null
# The eyes of the reference, as the detector finds them on its master
# (detect.h: pixel centres at +0.5; the manifest's reference px at integers).
ba --library "$L" --json detect 1
EYES=$($PY -c 'import json,sys
d=json.load(open(sys.argv[1]))
e=d["eyes"]
assert len(e)==2, d
print(",".join("%.1f" % (v - 0.5) for p in e for v in (p["x"], p["y"])))' "$T/out")
E4=$(echo "$EYES" | tr ',' ' ')
ba --library "$L" export "$C" --purpose education --to "$T/plain"
PLAIN=$T/plain/$(cd "$T/plain" && ls ./*.png | head -1)
ok "fixtures: comparison $C of samples/before-cheeks.jpg and after-cheeks.jpg, eyes of photo 1 at $EYES, a plain export"

# --- the regression of the issue ---------------------------------------------
make_jpeg "$T/wide.jpg" 0 0 512 512
make_jpeg "$T/part.jpg" 172 242 300 260
new_library "$T/lib2" C-2
B2() { "$BA" --library "$T/lib2" "$@"; }
B2 -q ingest --client C-2 --area cheeks --stage before --date 2026-01-10 "$T/wide.jpg" >/dev/null
B2 -q ingest --client C-2 --area cheeks --stage after --date 2026-03-10 "$T/part.jpg" >/dev/null
B2 -q consent grant C-2 --scope education --granted 2026-01-05 --evidence "$T/form.pdf" >/dev/null
run_ba --library "$T/lib2" --json compare 1 2 -o "$T/c2.png"
expect_rc "compare of a photo and a crop of it" 0
C2=$(json_field comparison_id <"$T/out")
B2 -q export "$C2" --purpose education --to "$T/p2" >/dev/null
crop=$($PY -c 'import json,sys; c=json.load(open(sys.argv[1]))["images"][0]["crop"]
print("yes" if abs(c["x"] - 172) <= 2 and abs(c["y"] - 242) <= 2 else c)' "$T/p2/export.json")
assert_eq "crop origin of the regression comparison within 2 px of (172,242)" "yes" "$crop"
a0=$(sqlite3 "$T/lib2/catalog.db" "SELECT count(*) FROM audit_log WHERE action='export' AND result='refused'")
run_ba --library "$T/lib2" export "$C2" --purpose education --deidentify eyes --eyes 2,2,30,2 --to "$T/r2"
expect_rc "eyes outside what the comparison shows" 1
assert_eq "one line" 1 "$(nlines "$T/err")"
assert_contains "names the comparison" "$T/err" "comparison $C2"
[ ! -e "$T/r2" ] || fail "refused export wrote $T/r2: $(ls -a "$T/r2")"
a1=$(sqlite3 "$T/lib2/catalog.db" "SELECT count(*) FROM audit_log WHERE action='export' AND result='refused'")
assert_eq "refusal audit rows" $((a0 + 1)) "$a1"
ok "regression: --eyes 2,2,30,2 on a crop starting at (172,242) refuses ($(cat "$T/err"))"

# --- every mode, measured on the output ----------------------------------------
for mode in eyes half-letterbox blur-face blur-outside crop-to-area; do
    ba --library "$L" --json export "$C" --purpose education --deidentify "$mode" --to "$T/$mode"
    $PY -c 'import json,sys
o=json.loads(open(sys.argv[1]).read())
p=o["panels"]
assert [x["panel"] for x in p]==[1,2], p
assert all(x["eyes_source"]=="detected" and len(x["eyes"])==2 for x in p), p' "$T/out" ||
        fail "$mode: --json panels: $(cat "$T/out")"
    out=$T/$mode/$(cd "$T/$mode" && ls ./*.png | head -1)
    # shellcheck disable=SC2086
    msg=$($MEASURE "$mode" "$out" "$PLAIN" "$T/$mode/export.json" $E4 2>&1) || fail "$mode: $msg"
    $PY -c 'import json,sys
d=json.load(open(sys.argv[1]))["images"][0]["deidentification"]
assert d["mode"]==sys.argv[2], d
assert all(p["eyes_source"]=="detected" for p in d["panels"]), d
if sys.argv[2] in ("crop-to-area","blur-outside"):
    assert d["region"]["source"].startswith("derived"), d' "$T/$mode/export.json" "$mode" ||
        fail "$mode: manifest: $(grep -A30 '"deidentification"' "$T/$mode/export.json")"
    ok "$mode (eyes detected per panel): $msg"
done

# Given eyes are recorded as given; a treatment area given with --roi is used.
# shellcheck disable=SC2086
ba --library "$L" --json export "$C" --purpose education --deidentify eyes --eyes "$EYES" --to "$T/given"
grep -q '"eyes_source":"given"' "$T/out" || fail "given eyes: $(cat "$T/out")"
ba --library "$L" --json export "$C" --purpose education --deidentify crop-to-area --roi 200,400,200,120 --to "$T/roi"
$PY -c 'import json,sys
d=json.load(open(sys.argv[1]))["images"][0]
r=d["deidentification"]["region"]
assert (r["x"],r["y"],r["width"],r["height"],r["source"])==(200,400,200,120,"given"), r
c=d["crop"]
assert (round(c["x"]),round(c["y"]),round(c["width"]),round(c["height"]))==(200,400,200,120), c' "$T/roi/export.json" ||
    fail "--roi: $(cat "$T/roi/export.json")"
ok "given eyes recorded as given; --roi 200,400,200,120 is the crop shown"

# A treatment area that shows the eyes is refused by the measurement.
run_ba --library "$L" export "$C" --purpose education --deidentify crop-to-area --roi 150,120,300,200 --to "$T/roi-eyes"
expect_rc "crop-to-area over the eyes" 1
assert_contains "names the panel" "$T/err" "comparison $C, panel 1 (before): an eye is shown"
[ ! -e "$T/roi-eyes" ] || fail "refused export wrote $T/roi-eyes"
ok "crop-to-area over the eyes refuses: $(cat "$T/err")"

# --- no face: refusal naming the panel, asking for coordinates ------------------
# The suit below the face: no face to find.
make_jpeg "$T/suit0.jpg" 0 320 320 190
make_jpeg "$T/suit1.jpg" 4 322 320 190
B -q ingest --client C-1 --area cheeks --stage before --date 2026-01-11 "$T/suit0.jpg" >/dev/null
B -q ingest --client C-1 --area cheeks --stage after --date 2026-03-11 "$T/suit1.jpg" >/dev/null
ba --library "$L" --json compare 3 4 --no-align -o "$T/c3.png"
C3=$(json_field comparison_id <"$T/out")
run_ba --library "$L" export "$C3" --purpose education --deidentify eyes --to "$T/noface"
expect_rc "no eyes found" 1
assert_eq "one line" 1 "$(nlines "$T/err")"
assert_contains "names the panel" "$T/err" "comparison $C3, panel 1 (before): no eyes found in photo 3"
assert_contains "asks for coordinates" "$T/err" "give --eyes X1,Y1,X2,Y2"
[ ! -e "$T/noface" ] || fail "refused export wrote $T/noface"
run_ba --library "$L" export "$C3" --purpose education --deidentify crop-to-area --to "$T/noface2"
expect_rc "crop-to-area without a face or --roi" 1
assert_contains "asks for the area" "$T/err" "--roi X,Y,W,H"
ok "no face: refused naming the panel and asking for --eyes (crop-to-area: --roi)"

# --- marketing still needs its consent --------------------------------------------
run_ba --library "$L" export "$C" --purpose marketing --deidentify blur-face --to "$T/mk"
expect_rc "marketing without consent, blurred" 1
assert_contains "consent" "$T/err" "marketing"
[ ! -e "$T/mk" ] || fail "refused export wrote $T/mk"
ok "de-identification does not relax consent: marketing refused without a marketing consent"
