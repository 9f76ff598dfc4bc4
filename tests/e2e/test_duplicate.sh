#!/bin/sh
# Invariant 4, "idempotent": the same file twice in one run, and again in a
# later run (also under another name, and with another --date), adds one
# photo; the repeats are reported "duplicate" with the first photo_id and
# master, exit 0, and exactly one master file exists.  A copy whose pixels are
# the same but whose metadata differ (same master) is a duplicate too.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-1

make_jpeg "$F/a.jpg" 10 20 320 240 "2026:04:01 09:00:00"
make_jpeg "$F/b.jpg" 120 80 320 240 "2026:04:01 09:01:00"

# --- one run, same file twice ----------------------------------------------------
run_ba --library "$L" --json ingest --client C-1 --area cheeks "$F/a.jpg" "$F/a.jpg"
expect_rc "same file twice in one run" 0
assert_eq "one run: result lines" 2 "$(nlines "$T/out")"
assert_eq "one run: statuses" "ingested duplicate" "$(json_field status <"$T/out" | tr '\n' ' ' | sed 's/ $//')"
id1=$(sed -n 1p "$T/out" | json_field photo_id)
id2=$(sed -n 2p "$T/out" | json_field photo_id)
m1=$(sed -n 1p "$T/out" | json_field master)
m2=$(sed -n 2p "$T/out" | json_field master)
assert_eq "one run: duplicate's photo_id" "$id1" "$id2"
assert_eq "one run: duplicate's master" "$m1" "$m2"
[ -f "$L/$m1" ] || fail "one run: expected master $m1 on disk, got none"
assert_eq "one run: photo rows" 1 "$(rows "$L" photos)"
assert_eq "one run: sessions" 1 "$(rows "$L" sessions)"
assert_eq "one run: master files" 1 "$(nfiles "$L/masters")"
assert_eq "one run: tmp files" 0 "$(nfiles "$L/tmp")"
[ ! -s "$T/err" ] || fail "one run: expected empty stderr, got: $(cat "$T/err")"
ok "same file twice in one run: ingested + duplicate of photo $id1, 1 row, 1 master"

# --- a second run: same file, a byte copy under another name, another --date --
cp "$F/a.jpg" "$F/copy-of-a.jpg"
run_ba --library "$L" --json ingest --client C-1 --area cheeks "$F/a.jpg" "$F/copy-of-a.jpg"
expect_rc "second run with the same bytes" 0
assert_eq "second run: statuses" "duplicate duplicate" "$(json_field status <"$T/out" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "second run: photo_ids" "$id1 $id1" "$(json_field photo_id <"$T/out" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "second run: masters" "$m1 $m1" "$(json_field master <"$T/out" | tr '\n' ' ' | sed 's/ $//')"
run_ba --library "$L" --json ingest --client C-1 --area cheeks --date 2026-09-09 "$F/a.jpg"
expect_rc "third run with another --date" 0
assert_eq "third run: status" duplicate "$(json_field status <"$T/out")"
assert_eq "third run: photo_id" "$id1" "$(json_field photo_id <"$T/out")"
assert_eq "after reruns: photo rows" 1 "$(rows "$L" photos)"
assert_eq "after reruns: sessions (no empty session for 2026-09-09)" 1 "$(rows "$L" sessions)"
assert_eq "after reruns: master files" 1 "$(nfiles "$L/masters")"
ok "reruns (same file, byte copy, other --date): duplicate of photo $id1, still 1 row/session/master"

# Human output says duplicate too.
run_ba --library "$L" ingest --client C-1 --area cheeks "$F/a.jpg"
expect_rc "human-readable rerun" 0
assert_contains "human-readable rerun" "$T/out" "duplicate"
assert_contains "human-readable rerun names the photo" "$T/out" "photo $id1"
ok "human-readable output reports 'duplicate ... photo $id1'"

# --- a new file next to a known one --------------------------------------------
run_ba --library "$L" --json ingest --client C-1 --area cheeks "$F/b.jpg" "$F/a.jpg" "$F/b.jpg"
expect_rc "new + known + new-again" 0
assert_eq "mixed statuses" "ingested duplicate duplicate" "$(json_field status <"$T/out" | tr '\n' ' ' | sed 's/ $//')"
idb=$(sed -n 1p "$T/out" | json_field photo_id)
[ "$idb" != "$id1" ] || fail "b.jpg: expected a new photo_id, got $idb (same as a.jpg)"
assert_eq "b.jpg again: photo_id" "$idb" "$(sed -n 3p "$T/out" | json_field photo_id)"
assert_eq "a.jpg again: photo_id" "$id1" "$(sed -n 2p "$T/out" | json_field photo_id)"
assert_eq "photo rows" 2 "$(rows "$L" photos)"
assert_eq "master files" 2 "$(nfiles "$L/masters")"
ok "b.jpg ingested once as photo $idb among duplicates of a.jpg"

# --- same pixels, different metadata (same master) ------------------------------
cp "$F/a.jpg" "$F/a-retagged.jpg"
exiftool -q -q -m -overwrite_original "-ExifIFD:UserComment=re-tagged" "$F/a-retagged.jpg"
cmp -s "$F/a.jpg" "$F/a-retagged.jpg" && fail "fixture a-retagged.jpg: expected different bytes from a.jpg"
run_ba --library "$L" --json ingest --client C-1 --area cheeks --date 2026-10-10 "$F/a-retagged.jpg"
expect_rc "same pixels, other metadata" 0
assert_eq "same pixels, other metadata: status" duplicate "$(json_field status <"$T/out")"
assert_eq "same pixels, other metadata: photo_id" "$id1" "$(json_field photo_id <"$T/out")"
assert_eq "photo rows" 2 "$(rows "$L" photos)"
assert_eq "sessions (no empty session for 2026-10-10)" 1 "$(rows "$L" sessions)"
assert_eq "master files" 2 "$(nfiles "$L/masters")"
assert_eq "tmp files" 0 "$(nfiles "$L/tmp")"
assert_eq "integrity_check" ok "$(sqlite3 "$L/catalog.db" 'PRAGMA integrity_check;')"
ok "same pixels with other metadata -> duplicate of photo $id1 (one master)"

# --- issue 12: never silently wrong ---------------------------------------------
# The same file for ANOTHER client: an error (exit 1), nothing changed, and the
# message does not name the other client.
"$BA" --library "$L" -q client add C-2 || fail "client add C-2"
counts() {
    for t in photos sessions photo_areas audit_log alignments comparisons clients; do
        printf '%s=%s ' "$t" "$(rows "$L" $t)"
    done
}
before=$(counts)
run_ba --library "$L" ingest --client C-2 --area cheeks "$F/a.jpg"
expect_rc "same file for another client" 1
assert_contains "another client: message" "$T/err" "already stored as photo $id1 of another client"
assert_not_contains "another client: the other client's code" "$T/err" "C-1"
assert_not_contains "another client: not a duplicate" "$T/out" "duplicate"
run_ba --library "$L" --json ingest --client C-2 --area cheeks "$F/a-retagged.jpg"
expect_rc "same master for another client" 1
assert_eq "another client (JSON): status" error "$(json_field status <"$T/out")"
printf 'file,client,area\n%s,C-2,cheeks\n%s,C-1,cheeks\n' "$F/a.jpg" "$F/b.jpg" >"$T/m.csv"
run_ba --library "$L" --json batch ingest "$T/m.csv"
expect_rc "batch: a row for another client" 1
assert_eq "batch rows" "error duplicate" "$(json_field status <"$T/out" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "another client: row counts unchanged" "$before" "$(counts)"
ok "the same file for another client: exit 1 (ingest, JSON, batch row), every row count unchanged"

# The same file with other facts: duplicate, exit 0, with a warning naming the
# stored facts (text and JSON "warnings"); nothing changed.
run_ba --library "$L" ingest --client C-1 --area neck --stage after "$F/a.jpg"
expect_rc "other facts" 0
assert_contains "other facts: duplicate" "$T/out" "duplicate"
assert_contains "other facts: text warning" "$T/err" "warning: already stored as photo $id1 with area cheeks, stage progress, view frontal (this time: area neck, stage after, view frontal)"
assert_contains "other facts: how to change them" "$T/err" "beforeafter photo set"
run_ba --library "$L" --json ingest --client C-1 --area cheeks --view left-45 "$F/a.jpg"
expect_rc "other view (JSON)" 0
assert_eq "other view: status" duplicate "$(json_field status <"$T/out")"
$PY -c 'import json,sys
o=json.loads(open(sys.argv[1]).read())
w=o["warnings"]
assert isinstance(w, list) and len(w)==1 and "view frontal" in w[0] and "left-45" in w[0], w' "$T/out" ||
    fail "other view: JSON warnings: $(cat "$T/out")"
run_ba --library "$L" --json ingest --client C-1 --area cheeks "$F/a.jpg"
assert_eq "same facts: no warnings" null "$(json_field warnings <"$T/out")"
assert_eq "other facts: row counts unchanged" "$before" "$(counts)"
ok "the same file with other area/stage/view: duplicate with a warning (text, JSON), nothing changed"

# --add-area adds the areas the stored photo lacks (audited).
ba --library "$L" --json ingest --client C-1 --area neck,lips --add-area "$F/a.jpg"
assert_eq "--add-area: status" duplicate "$(json_field status <"$T/out")"
ba --library "$L" --json show "$id1"
assert_eq "--add-area: areas" "['cheeks', 'lips', 'neck']" "$(json_field areas <"$T/out")"
assert_eq "--add-area: audit" '[["cheeks"],["cheeks","neck","lips"]]' \
    "$(sqlite3 "$L/catalog.db" "SELECT json_extract(detail, '\$.areas') FROM audit_log WHERE action = 'photo-add-area';")"
ba --library "$L" --json list --area lips
assert_eq "--add-area: listed under lips" "$id1" "$(json_field photo_id <"$T/out")"
ok "--add-area: photo $id1 now shows cheeks, lips, neck; audited photo-add-area"

# Repair by re-ingest: a deleted master is marked by verify --repair, the
# original's re-ingest writes it back and clears the mark, verify is clean.
rm "$L/$m1"
run_ba --library "$L" verify --repair
expect_rc "verify --repair with a master gone" 1
ba --library "$L" --json show "$id1"
assert_eq "marked" missing "$(json_field master_problem <"$T/out")"
run_ba --library "$L" --json ingest --client C-1 --area cheeks "$F/a.jpg"
expect_rc "re-ingest of the original" 0
assert_eq "re-ingest: status" duplicate "$(json_field status <"$T/out")"
assert_contains "re-ingest: says it repaired" "$T/out" "written again"
[ -f "$L/$m1" ] || fail "re-ingest: master $m1 not written back"
assert_eq "re-ingest: master hashes to its name" "$(basename "$m1" .jpg)" "$(sha256sum "$L/$m1" | cut -d' ' -f1)"
ba --library "$L" --json show "$id1"
assert_eq "mark cleared" null "$(json_field master_problem <"$T/out")"
assert_eq "repair audited" 1 "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM audit_log WHERE action = 'master-repair' AND objects = 'photo $id1';")"
ba --library "$L" verify
ok "repair by re-ingest: master written back, mark cleared (audited), verify clean"

# A mark that no longer holds (the master put back by hand) is reported by plain verify.
cp "$L/$m1" "$T/keep.jpg"
rm "$L/$m1"
run_ba --library "$L" verify --repair
expect_rc "verify --repair, master gone again" 1
cp "$T/keep.jpg" "$L/$m1"
run_ba --library "$L" verify
expect_rc "plain verify with a stale mark" 1
assert_contains "stale mark reported" "$T/out" "photo $id1 is marked missing but its master is present and whole: the mark no longer holds"
ba --library "$L" --json show "$id1"
assert_eq "plain verify keeps the mark" missing "$(json_field master_problem <"$T/out")"
run_ba --library "$L" verify --repair
ba --library "$L" verify
ok "plain verify reports a mark that no longer holds; --repair clears it"

# A re-ingest whose master does not hash to the recorded one (the decoder
# changed since) is refused: the mark stays, nothing is written.
real=$(sqlite3 "$L/catalog.db" "SELECT master_sha256 FROM photos WHERE id = $id1;")
fake=0000000000000000000000000000000000000000000000000000000000000000
sqlite3 "$L/catalog.db" "UPDATE photos SET master_sha256 = '$fake', master_problem = 'missing' WHERE id = $id1;"
n_audit=$(rows "$L" audit_log)
run_ba --library "$L" ingest --client C-1 --area cheeks "$F/a.jpg"
expect_rc "re-ingest that hashes otherwise" 1
assert_contains "decoder changed" "$T/err" "does not hash to the recorded one (the decoder changed): not repaired"
assert_eq "decoder changed: still marked" missing "$(sqlite3 "$L/catalog.db" "SELECT master_problem FROM photos WHERE id = $id1;")"
assert_eq "decoder changed: no audit row" "$n_audit" "$(rows "$L" audit_log)"
sqlite3 "$L/catalog.db" "UPDATE photos SET master_sha256 = '$real', master_problem = NULL WHERE id = $id1;"
ok "a re-ingest whose master hashes otherwise is refused; the mark stays"

# A duplicate of a retracted photo says so.
ba --library "$L" photo retract "$id1" --reason "test"
run_ba --library "$L" ingest --client C-1 --area cheeks "$F/a.jpg"
expect_rc "duplicate of a retracted photo" 0
assert_contains "duplicate of a retracted photo: warning" "$T/err" "photo $id1 is retracted (test)"
ok "a duplicate of a retracted photo warns that it is retracted"
