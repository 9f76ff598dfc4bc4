#!/bin/sh
# Labels that tell the truth (issue 13, point 4): the catalogued stage decides
# the word (a mid-course progress photo is never "After"), the session
# ordinal is the client's for that area, the sessions and time between the
# photos, --label-before/--label-after (rendered, recorded, re-rendered by
# export), month names from LC_TIME, and a warning (refused by --strict)
# when the elapsed time is implausible.
set -eu
. "$(dirname "$0")/lib.sh"

S=$BA_SOURCE_DIR/samples
L=$T/lib
new_library "$L" C-0042
ba --library "$L" ingest --client C-0042 --area cheeks --stage before --date 2026-03-02 "$S/before-cheeks.jpg"
ba --library "$L" ingest --client C-0042 --area cheeks --stage after --date 2026-04-13 "$S/after-cheeks.jpg"
ba --library "$L" ingest --client C-0042 --area cheeks --stage progress --date 2026-05-25 "$S/progress-cheeks.png"
# A session of another area in between: not one of the cheeks' sessions.
make_jpeg "$T/forehead.jpg" 100 0 320 200
ba --library "$L" ingest --client C-0042 --area forehead --stage before --date 2026-03-20 "$T/forehead.jpg"

labels() { # the labels of the compare --json line in $T/out, one per line
    $PY -c 'import json,sys
for p in json.loads(open(sys.argv[1]).read())["panels"]: print(p["label"])' "$T/out"
}

# The bug: a mid-course progress photo was labelled "After".
run_ba --library "$L" --json compare 1 3 -o "$T/p.png" --label-style stage
expect_rc "compare before + progress" 0
labels >"$T/l"
assert_eq "before label" "Before" "$(sed -n 1p "$T/l")"
assert_eq "progress label" "Progress · session 3" "$(sed -n 2p "$T/l")"
ok "a progress photo is labelled 'Progress · session 3', not 'After'"

# The session ordinal counts the client's sessions of this area only (the
# forehead session of 20 March is the client's 2nd session, not a cheeks one).
assert_eq "sessions of the client" 4 "$(sqlite3 "$L/catalog.db" \
    "SELECT count(*) FROM sessions WHERE client_id = (SELECT id FROM clients WHERE code='C-0042')")"
run_ba --library "$L" --json compare 1 2 3 -o "$T/t.png" --layout timeline
expect_rc "timeline" 0
labels >"$T/l"
assert_eq "timeline 1" "Before  ·  2 March 2026" "$(sed -n 1p "$T/l")"
assert_eq "timeline 2" "After  ·  13 April 2026  ·  1 session, 6 weeks" "$(sed -n 2p "$T/l")"
assert_eq "timeline 3" "Progress · session 3  ·  25 May 2026  ·  2 sessions, 12 weeks" \
    "$(sed -n 3p "$T/l")"
ok "full labels: stage, date (LC_TIME), sessions and weeks since the first, singular and plural"

# --label-before/--label-after: rendered, and recorded for export.
run_ba --library "$L" --json compare 1 3 -o "$T/own.png" --label-style stage \
    --label-before "Week 0" --label-after "Week 12"
expect_rc "own labels" 0
labels >"$T/l"
assert_eq "own before" "Week 0" "$(sed -n 1p "$T/l")"
assert_eq "own after" "Week 12" "$(sed -n 2p "$T/l")"
cid=$(json_field comparison_id <"$T/out")
assert_eq "recorded label_after" "Week 12" \
    "$(sqlite3 "$L/catalog.db" "SELECT json_extract(parameters, '\$.label_after') FROM comparisons WHERE id = $cid")"
# The label band differs from the default one (the text reaches the pixels).
h=$(vipsheader -f height "$T/own.png")
w=$(vipsheader -f width "$T/own.png")
vips extract_area "$T/own.png" "$T/band-own.png" $((w / 2)) $((h - 20)) $((w / 2)) 20
vips extract_area "$T/p.png" "$T/band-def.png" $((w / 2)) $((h - 20)) $((w / 2)) 20
[ "$(psnr "$T/band-own.png" "$T/band-def.png")" != inf ] || fail "--label-after did not change the label band"
ok "--label-before/--label-after replace the stage words, are rendered and recorded"

# Export re-renders the comparison with its recorded labels: the same pixels.
run_ba --library "$L" export "$cid" --purpose clinical --to "$T/exp"
if [ "$RC" = 0 ]; then
    png=$(find "$T/exp" -name '*.png' | head -1)
    assert_eq "exported labels" inf "$(psnr "$png" "$T/own.png")"
    ok "export re-renders the recorded --label-before/--label-after"
else
    echo "# export skipped: $(head -c 200 "$T/err")"
fi

# Month names come from LC_TIME (a German locale built into our own LOCPATH).
mkdir -p "$T/loc"
if localedef -i de_DE -f UTF-8 "$T/loc/de_DE.UTF-8" >/dev/null 2>&1 ||
    [ -d "$T/loc/de_DE.UTF-8" ]; then
    LOCPATH=$T/loc LC_TIME=de_DE.UTF-8 run_ba --library "$L" --json compare 1 3 -o "$T/de.png" \
        --label-style date
    expect_rc "compare, German months" 0
    labels >"$T/l"
    assert_eq "German month" "2 März 2026" "$(sed -n 1p "$T/l")"
    assert_eq "German month 2" "25 Mai 2026" "$(sed -n 2p "$T/l")"
    LC_TIME=C run_ba --library "$L" --json compare 1 3 -o "$T/c.png" --label-style date
    labels >"$T/l"
    assert_eq "C month" "2 March 2026" "$(sed -n 1p "$T/l")"
    ok "month names follow LC_TIME (de_DE: März, C: March)"
else
    echo "# skipped: localedef cannot build de_DE.UTF-8"
fi

# Implausible elapsed time: more than two years, or a later panel dated before
# the first.  A warning in --json, and --strict refuses writing nothing.
vips copy "$S/before-cheeks.jpg" "$T/old.jpg[Q=90]" # the same scene, other bytes
ba --library "$L" ingest --client C-0042 --area cheeks --stage before --date 2023-01-10 "$T/old.jpg"
old=$(sqlite3 "$L/catalog.db" "SELECT max(id) FROM photos")
run_ba --library "$L" --json compare "$old" 2 -o "$T/long.png"
expect_rc "compare over three years" 0
assert_contains "three-year warning" "$T/out" "elapsed time: photo 2 is 3.3 years after photo $old"
n=$(rows "$L" comparisons)
run_ba --library "$L" compare "$old" 2 -o "$T/long-strict.png" --strict
expect_rc "--strict over three years" 1
assert_contains "strict names the measure" "$T/err" "elapsed time"
[ ! -e "$T/long-strict.png" ] || fail "--strict refusal wrote its output"
assert_eq "nothing recorded" "$n" "$(rows "$L" comparisons)"
run_ba --library "$L" --json compare 2 1 -o "$T/back.png"
expect_rc "compare after-before" 0
assert_contains "dated-before warning" "$T/out" "photo 1 (2026-03-02) is dated 42 days before photo 2"
ok "an elapsed time over 2 years or backwards warns; --strict refuses it"
