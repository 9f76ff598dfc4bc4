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
