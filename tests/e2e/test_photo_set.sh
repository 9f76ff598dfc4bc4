#!/bin/sh
# Photo corrections (issue 12):
# - a photo tagged with three areas is listed under each, and a timeline of
#   each area (compare --client --area) picks it;
# - photo set of area, stage, view and date, each with its audit row (actor,
#   old -> new in JSON), and each refusal (unknown photo, unknown area, bad
#   stage/view/date, future date, nothing to change) writing nothing;
# - a date move creates the session, removes the emptied one and renumbers;
# - alignments and comparisons that used a corrected photo are marked stale;
#   export refuses a stale comparison, and one showing a retracted photo;
# - retract leaves list, picking, compare by id and align; restore undoes it;
# - a session date in the future is refused at ingest; one more than two
#   years from the client's other sessions is ingested with a warning.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-1
make_jpeg "$F/a.jpg" 60 40 360 280
make_jpeg "$F/b.jpg" 72 46 360 280
make_jpeg "$F/c.jpg" 66 52 360 280
make_jpeg "$F/d.jpg" 80 30 360 280
audit_count() { sqlite3 "$L/catalog.db" "SELECT count(*) FROM audit_log WHERE action = '$1';"; }
me=$(id -un)

# --- three areas ------------------------------------------------------------------
ba --library "$L" --json ingest --client C-1 --area forehead,cheeks,crows-feet --stage before \
    --date 2026-01-10 "$F/a.jpg"
P1=$(json_field photo_id <"$T/out")
ba --library "$L" --json ingest --client C-1 --area forehead,cheeks,crows-feet --stage after \
    --date 2026-03-10 "$F/b.jpg"
P2=$(json_field photo_id <"$T/out")
assert_eq "photo_areas rows" 6 "$(rows "$L" photo_areas)"
for a in forehead cheeks crows-feet; do
    ba --library "$L" --json list --area "$a"
    assert_eq "list --area $a" "$P1 $P2" "$(json_field photo_id <"$T/out" | tr '\n' ' ' | sed 's/ $//')"
    ba --library "$L" --json compare --client C-1 --area "$a" --no-align -o "$T/tl-$a.png"
    assert_eq "timeline of $a: photos" "[$P1, $P2]" "$(json_field photo_ids <"$T/out")"
done
ba --library "$L" --json list --area neck
assert_eq "list --area neck" "" "$(cat "$T/out")"
ba --library "$L" --json show "$P1"
assert_eq "show: areas" "['forehead', 'cheeks', 'crows-feet']" "$(json_field areas <"$T/out")"
assert_eq "show: primary area" forehead "$(json_field area <"$T/out")"
run_ba --library "$L" ingest --client C-1 --area forehead,nose "$F/c.jpg"
expect_rc "ingest with an unknown area in the list" 2
assert_contains "unknown area named" "$T/err" "unknown area 'nose'"
assert_eq "unknown area: no photo" 2 "$(rows "$L" photos)"
ok "a photo with three areas is listed, and picked for a timeline, under each of them"

# --- a comparison and its alignment, then a correction ------------------------------
ba --library "$L" --json compare "$P1" "$P2" --label-style none -o "$T/c1.png"
C1=$(json_field comparison_id <"$T/out")
assert_eq "alignment stored" 1 "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM alignments WHERE stale IS NULL;")"
ba --library "$L" export "$C1" --purpose clinical --to "$T/x0"
ok "comparison $C1 of photos $P1, $P2 rendered and exported while current"

# area
ba --library "$L" --json photo set "$P2" --area cheeks,neck
assert_eq "photo set --area: status" corrected "$(json_field status <"$T/out")"
assert_eq "photo set --area: areas" "['cheeks', 'neck']" "$(json_field areas <"$T/out")"
assert_eq "photo set: audit row" 1 "$(audit_count photo-set)"
d=$(sqlite3 "$L/catalog.db" "SELECT detail FROM audit_log WHERE action = 'photo-set' ORDER BY id DESC LIMIT 1;")
assert_eq "audit detail: old -> new areas" '[["forehead","cheeks","crows-feet"],["cheeks","neck"]]' \
    "$(sqlite3 "$L/catalog.db" "SELECT json_extract('$d', '\$.areas');")"
assert_eq "audit detail: stale comparisons (every one showing photo $P2)" \
    "$(sqlite3 "$L/catalog.db" "SELECT json_group_array(comparison_id) FROM (SELECT DISTINCT comparison_id FROM comparison_photos WHERE photo_id = $P2 ORDER BY comparison_id);")" \
    "$(sqlite3 "$L/catalog.db" "SELECT json_extract('$d', '\$.stale_comparisons');")"
assert_eq "audit actor" "$me" "$(sqlite3 "$L/catalog.db" "SELECT actor FROM audit_log WHERE action = 'photo-set';")"
assert_eq "audit objects" "photo $P2" "$(sqlite3 "$L/catalog.db" "SELECT objects FROM audit_log WHERE action = 'photo-set';")"
assert_eq "audit client" "C-1" "$(sqlite3 "$L/catalog.db" "SELECT client FROM audit_log WHERE action = 'photo-set';")"
ba --library "$L" --json list --area forehead
assert_eq "forehead after retag" "$P1" "$(json_field photo_id <"$T/out")"
ok "photo set --area: areas replaced, audited by $me with old -> new"

# stale marks: the comparison and the alignment
assert_eq "comparison stale" "photo $P2 corrected" "$(sqlite3 "$L/catalog.db" "SELECT stale FROM comparisons WHERE id = $C1;")"
assert_eq "alignment stale" 1 "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM alignments WHERE stale IS NOT NULL;")"
run_ba --library "$L" export "$C1" --purpose clinical --to "$T/x1"
expect_rc "export of a stale comparison" 1
assert_contains "export refusal" "$T/err" "comparison $C1 is stale (photo $P2 corrected): it must be rendered again"
[ "$(nfiles "$T/x1")" = 0 ] || fail "stale export wrote files: $(ls "$T/x1")"
ba --library "$L" show "$P2"
assert_contains "show names the stale comparison" "$T/out" "$C1 (stale: photo $P2 corrected)"
ba --library "$L" --json list --comparisons
assert_contains "list --comparisons shows it stale" "$T/out" '"stale":"photo '"$P2"' corrected"'
ok "photo set marks comparison $C1 and its alignment stale (show, list --comparisons); export refuses it, writing nothing"

# stage, view
ba --library "$L" --json photo set "$P2" --stage progress --view left-45
assert_eq "stage" progress "$(json_field stage <"$T/out")"
assert_eq "view" left-45 "$(json_field view <"$T/out")"
d=$(sqlite3 "$L/catalog.db" "SELECT detail FROM audit_log WHERE action = 'photo-set' ORDER BY id DESC LIMIT 1;")
assert_eq "audit stage" '["after","progress"]' "$(sqlite3 "$L/catalog.db" "SELECT json_extract('$d', '\$.stage');")"
assert_eq "audit view" '["frontal","left-45"]' "$(sqlite3 "$L/catalog.db" "SELECT json_extract('$d', '\$.view');")"
ba --library "$L" photo set "$P2" --view frontal --stage after
ok "photo set --stage --view: changed and audited old -> new"

# date: a new session between the two, the old one goes, numbers follow dates
ba --library "$L" --json photo set "$P2" --date 2026-02-01
assert_eq "date moved" 2026-02-01 "$(json_field session_date <"$T/out")"
assert_eq "sessions after the move" "2026-01-10|1 2026-02-01|2" \
    "$(sqlite3 "$L/catalog.db" "SELECT date || '|' || number FROM sessions ORDER BY date;" | tr '\n' ' ' | sed 's/ $//')"
"$BA" --library "$L" -q ingest --client C-1 --area neck --date 2026-01-20 "$F/c.jpg" || fail "ingest c"
assert_eq "renumbered by date" "2026-01-10|1 2026-01-20|2 2026-02-01|3" \
    "$(sqlite3 "$L/catalog.db" "SELECT date || '|' || number FROM sessions ORDER BY date;" | tr '\n' ' ' | sed 's/ $//')"
d=$(sqlite3 "$L/catalog.db" "SELECT detail FROM audit_log WHERE action = 'photo-set' AND detail LIKE '%date%';")
assert_eq "audit date" '["2026-03-10","2026-02-01"]' "$(sqlite3 "$L/catalog.db" "SELECT json_extract('$d', '\$.date');")"
ok "photo set --date: session created, the emptied one removed, sessions renumbered, audited"

# unchanged and refusals: nothing written
n_audit=$(rows "$L" audit_log)
ba --library "$L" --json photo set "$P2" --date 2026-02-01
assert_eq "same value: unchanged" unchanged "$(json_field status <"$T/out")"
before=$(sqlite3 "$L/catalog.db" "SELECT group_concat(id || session_id || stage || view || area_id) FROM photos;")
refuse() { # refuse WHAT RC MESSAGE ARGS...
    what=$1 code=$2 msg=$3
    shift 3
    run_ba --library "$L" photo set "$@"
    expect_rc "$what" "$code"
    assert_contains "$what: message" "$T/err" "$msg"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "$what: expected one line, got: $(cat "$T/err")"
}
refuse "unknown photo" 2 "photo 99 does not exist" 99 --stage after
refuse "unknown area" 2 "unknown area 'nose'" "$P2" --area cheeks,nose
refuse "bad stage" 2 "stage 'later'" "$P2" --stage later
refuse "bad view" 2 "view 'top'" "$P2" --view top
refuse "bad date" 2 "date '2026-02-30'" "$P2" --date 2026-02-30
refuse "future date" 2 "session date 2999-01-01 is in the future" "$P2" --date 2999-01-01
refuse "nothing to change" 2 "needs --area, --stage, --view or --date" "$P2"
assert_eq "refusals: audit rows" "$((n_audit))" "$(rows "$L" audit_log)"
assert_eq "refusals: photos unchanged" "$before" \
    "$(sqlite3 "$L/catalog.db" "SELECT group_concat(id || session_id || stage || view || area_id) FROM photos;")"
ok "photo set refusals (photo, area, stage, view, date, future, nothing) write nothing; same value is 'unchanged'"

# --- retract / restore ------------------------------------------------------------------
ba --library "$L" --json compare "$P1" "$P2" --label-style none -o "$T/c2.png"
C2=$(json_field comparison_id <"$T/out")
ba --library "$L" --json photo retract "$P1" --reason "wrong client's photo"
assert_eq "retract: status" retracted "$(json_field status <"$T/out")"
assert_eq "retract audit" "wrong client's photo" \
    "$(sqlite3 "$L/catalog.db" "SELECT json_extract(detail, '\$.reason') FROM audit_log WHERE action = 'photo-retract';")"
ba --library "$L" --json list
assert_not_contains "list without the retracted photo" "$T/out" "\"photo_id\":$P1,"
ba --library "$L" --json list --retracted
assert_eq "list --retracted" "$P1" "$(json_field photo_id <"$T/out")"
ba --library "$L" --json list --all
assert_eq "list --all" 3 "$(nlines "$T/out")"
run_ba --library "$L" compare "$P1" "$P2" -o "$T/c3.png"
expect_rc "compare with a retracted photo" 1
assert_contains "compare refusal" "$T/err" "photo $P1 is retracted"
[ ! -e "$T/c3.png" ] || fail "compare of a retracted photo wrote $T/c3.png"
run_ba --library "$L" align "$P2" --to "$P1"
[ "$RC" != 0 ] || fail "align onto a retracted photo succeeded"
assert_contains "align refusal" "$T/err" "photo $P1 is retracted"
run_ba --library "$L" ghost "$P1" -o "$T/g1.png"
[ "$RC" != 0 ] || fail "ghost of a retracted photo succeeded"
assert_contains "ghost refusal" "$T/err" "photo $P1 is retracted"
[ ! -e "$T/g1.png" ] || fail "ghost of a retracted photo wrote $T/g1.png"
run_ba --library "$L" --json compare --client C-1 --area cheeks --no-align -o "$T/tl2.png"
expect_rc "timeline of cheeks without the retracted photo" 1
assert_contains "picking leaves the retracted photo out" "$T/err" "has 1 session(s) with a frontal photo of cheeks"
run_ba --library "$L" export "$C2" --purpose clinical --to "$T/x2"
expect_rc "export of a comparison with a retracted photo" 1
assert_contains "export refusal (retracted)" "$T/err" "comparison $C2 is stale (photo $P1 retracted)"
[ -f "$L/$(sqlite3 "$L/catalog.db" "SELECT 'masters/' || substr(master_sha256,1,2) || '/' || master_sha256 || '.jpg' FROM photos WHERE id = $P1;")" ] ||
    fail "retracted photo's master is gone"
ba --library "$L" verify
run_ba --library "$L" photo retract "$P1" --reason again
expect_rc "retract twice" 1
assert_contains "retract twice" "$T/err" "already retracted"
ok "retracted photo $P1 leaves list, timeline, compare, align and export; kept on disk, verify clean"

ba --library "$L" --json photo restore "$P1"
assert_eq "restore: status" restored "$(json_field status <"$T/out")"
assert_eq "restore: audit" 1 "$(audit_count photo-restore)"
ba --library "$L" --json list --area forehead
assert_eq "restored photo listed" "$P1" "$(json_field photo_id <"$T/out")"
assert_eq "restore clears the retraction's stale mark" "" \
    "$(sqlite3 "$L/catalog.db" "SELECT stale FROM comparisons WHERE id = $C2;")"
ba --library "$L" export "$C2" --purpose clinical --to "$T/x3"
run_ba --library "$L" photo restore "$P1"
expect_rc "restore twice" 1
assert_contains "restore twice" "$T/err" "is not retracted"
ok "restore puts photo $P1 back in list and exports; a second restore is refused"

# --- dates at ingest ------------------------------------------------------------------------
n=$(rows "$L" photos)
run_ba --library "$L" ingest --client C-1 --area neck --date 2999-05-01 "$F/d.jpg"
expect_rc "ingest with a future date" 2
assert_contains "future date refused" "$T/err" "session date 2999-05-01 is in the future"
make_jpeg "$F/e.jpg" 10 10 320 240 "2999:01:01 10:00:00"
run_ba --library "$L" ingest --client C-1 --area neck "$F/e.jpg"
expect_rc "ingest with a future EXIF date" 1
assert_contains "future EXIF date refused" "$T/err" "in the future"
assert_eq "future dates: no photo" "$n" "$(rows "$L" photos)"
ba --library "$L" --json ingest --client C-1 --area neck --date 2020-06-01 "$F/d.jpg"
assert_eq "far date: ingested" ingested "$(json_field status <"$T/out")"
assert_contains "far date: JSON warning" "$T/out" "session date 2020-06-01 is 67 months from the client's other sessions"
$PY -c 'import json,sys; w=json.loads(open(sys.argv[1]).read())["warnings"]; assert isinstance(w, list) and len(w)==1, w' "$T/out" ||
    fail "far date: warnings is not a one-entry list: $(cat "$T/out")"
make_jpeg "$F/f.jpg" 20 20 320 240
run_ba --library "$L" ingest --client C-1 --area neck --date 2018-01-01 "$F/f.jpg"
expect_rc "far date, text" 0
assert_contains "far date: text warning" "$T/err" "warning: session date 2018-01-01 is 29 months from the client's other sessions (an old camera clock?)"
ok "future session dates refused (given or EXIF); one over two years away ingested with a warning (text and JSON)"

# --- batch: a manifest's area column takes the same list; batch compare renders
# a group for each area a photo shows ------------------------------------------------
M=$T/lib2
new_library "$M" C-9
make_jpeg "$F/m1.jpg" 60 40 360 280
make_jpeg "$F/m2.jpg" 72 46 360 280
printf 'file,client,area,date\n%s,C-9,"forehead,neck",2026-01-05\n%s,C-9,"forehead,neck",2026-02-05\n' \
    "$F/m1.jpg" "$F/m2.jpg" >"$T/areas.csv"
ba --library "$M" --json batch ingest "$T/areas.csv"
assert_eq "manifest with an area list: ingested" "ingested ingested" \
    "$(json_field status <"$T/out" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "manifest with an area list: photo_areas" 4 "$(rows "$M" photo_areas)"
ba --library "$M" --json batch compare --out "$T/bc"
assert_eq "batch compare: one group per area" "forehead neck" \
    "$(json_field area <"$T/out" | sort | tr '\n' ' ' | sed 's/ $//')"
ok "a manifest's quoted area list tags each photo with both; batch compare renders forehead and neck"

# --- export --client --area: by any area every photo of a comparison shows; other
# areas' stale comparisons do not block it -----------------------------------------
ba --library "$M" --json compare 1 2 --no-align --label-style none -o "$T/m12.png"
ba --library "$M" export --client C-9 --area neck --purpose clinical --to "$T/xm"
[ "$(ls "$T/xm" | grep -c '\.png$')" -ge 1 ] || fail "export --area neck (a secondary area): no image"
make_jpeg "$F/l1.jpg" 30 30 360 280
make_jpeg "$F/l2.jpg" 36 34 360 280
"$BA" --library "$M" -q ingest --client C-9 --area lips --date 2026-03-05 "$F/l1.jpg" || fail "ingest l1"
"$BA" --library "$M" -q ingest --client C-9 --area lips --date 2026-04-05 "$F/l2.jpg" || fail "ingest l2"
ba --library "$M" --json compare 3 4 --no-align --label-style none -o "$T/m34.png"
ba --library "$M" photo set 4 --stage after
ba --library "$M" export --client C-9 --area neck --purpose clinical --to "$T/xm2"
run_ba --library "$M" export --client C-9 --area lips --purpose clinical --to "$T/xm3"
expect_rc "export --area lips with its comparison stale" 1
assert_contains "export --area lips: stale" "$T/err" "is stale (photo 4 corrected)"
ok "export --client --area: by a secondary area too; another area's stale comparison does not block it, its own does"
