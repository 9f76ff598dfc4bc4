#!/bin/sh
# backup / restore (issue 12): a backup taken while a batch ingest of 40
# photos runs in another process is consistent — verify passes on it, its
# catalog's photo rows equal the masters its MANIFEST lists, every file
# matches its hash (sha256sum -c) — and restore makes a new library from it
# that verifies clean; a damaged backup is refused with nothing written;
# a backup inside a library is refused.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
$PY "$E2E_DIR/fixtures/gen_photos.py" "$T/in/C-1/cheeks/2026-03-01/before" 40 --prefix b \
    --size 640 480 || fail "generating photos"
ba --library "$L" init
ba --library "$L" client add C-1
ba --library "$L" ingest --client C-1 --area neck --date 2026-01-01 "$T/in/C-1/cheeks/2026-03-01/before/b0000.jpg"
$PY "$E2E_DIR/fixtures/gen_photos.py" "$T/extra" 2 --prefix z --size 160 120 || fail "generating photos"
ba --library "$L" ingest --client C-1 --area neck --date 2026-02-01 "$T/extra/z0000.jpg"
ba --library "$L" compare 1 2 --no-align -o "$T/c.png"
printf '%%PDF-1.4\n%% form\n%%%%EOF\n' >"$T/form.pdf"
ba --library "$L" consent grant C-1 --scope clinical --granted 2026-01-05 --evidence "$T/form.pdf"

# A batch ingest in the background, one photo at a time so it runs a while.
(
    set +e
    "$BA" --library "$L" -q batch ingest "$T/in" --layout "{client}/{area}/{date}/{stage}" -j 1 \
        >"$T/batch.out" 2>"$T/batch.err"
    echo $? >"$T/batch.rc"
) &
BATCH=$!
# Wait until it has committed a few photos, then back up while it goes on.
i=0
while [ "$(rows "$L" photos 2>/dev/null || echo 0)" -lt 4 ] && [ $i -lt 600 ]; do
    sleep 0.05
    i=$((i + 1))
done
t0=$(now_ms)
run_ba --library "$L" --json backup --to "$T/bk"
t1=$(now_ms)
expect_rc "backup during the batch" 0
during=$(rows "$L" photos)
wait $BATCH || true
assert_eq "batch exit" 0 "$(cat "$T/batch.rc")"
final=$(rows "$L" photos)
assert_eq "all photos ingested (b0000 was already there)" 41 "$final"
bk_photos=$(json_field photos <"$T/out")
echo "# backup of $bk_photos photos ($(json_field bytes <"$T/out") bytes) in $((t1 - t0)) ms while the batch ran (it had $during when the backup ended, $final at the end)"
[ "$bk_photos" -lt "$final" ] || echo "# note: the batch had finished before the snapshot"

# The copy: consistent and complete.
assert_eq "backup: photo rows = the --json count" "$bk_photos" "$(rows "$T/bk" photos)"
assert_eq "backup: masters in MANIFEST = photo rows" "$bk_photos" "$(grep -c '  masters/' "$T/bk/MANIFEST")"
assert_eq "backup: masters on disk = photo rows" "$bk_photos" "$(nfiles "$T/bk/masters")"
(cd "$T/bk" && sha256sum -c --quiet MANIFEST) || fail "MANIFEST does not match the files"
assert_eq "backup: MANIFEST lines = files" "$(($(nfiles "$T/bk") - 1))" "$(nlines "$T/bk/MANIFEST")"
grep -q '  consents/' "$T/bk/MANIFEST" || fail "the consent form is not in the backup"
grep -q '  renders/' "$T/bk/MANIFEST" || fail "the render is not in the backup"
run_ba --library "$T/bk" verify
expect_rc "verify on the backup ($(head -3 "$T/out"))" 0
(cd "$T/bk" && sha256sum -c --quiet MANIFEST) || fail "verify changed the backup's files"
ok "backup during a running batch: $bk_photos photos, MANIFEST = rows = files, every hash matches, verify clean"

# Restore into a new library.
ba --library "$L" backup --to "$T/bk2"
run_ba --json restore --from "$T/bk2" --to "$T/restored"
expect_rc "restore" 0
assert_eq "restore --json: photos" 41 "$(json_field photos <"$T/out")"
assert_eq "restored photos" 41 "$(rows "$T/restored" photos)"
run_ba --library "$T/restored" verify
expect_rc "verify on the restored library ($(head -3 "$T/out"))" 0
ba --library "$T/restored" ingest --client C-1 --area neck --date 2026-05-01 "$T/extra/z0001.jpg"
ok "restore: a new library with all 41 photos; verify clean; it can be written"

# A damaged backup is refused; nothing is written.
m=$(grep '  masters/' "$T/bk2/MANIFEST" | head -1 | cut -c67-)
printf 'x' >>"$T/bk2/$m"
run_ba restore --from "$T/bk2" --to "$T/restored2"
[ "$RC" != 0 ] || fail "restore of a damaged backup succeeded"
assert_contains "damaged: names the file" "$T/err" "$m"
[ ! -e "$T/restored2" ] || fail "restore of a damaged backup wrote $T/restored2"
if ls -a "$T" | grep -q '\.tmp-'; then fail "a temporary folder was left: $(ls -a "$T")"; fi
# Never inside a library, never over a non-empty folder.
run_ba --library "$L" backup --to "$L/bk"
expect_rc "backup inside the library" 2
[ ! -e "$L/bk" ] || fail "backup inside the library wrote something"
run_ba --library "$L" backup --to "$T/bk"
expect_rc "backup over a non-empty folder" 2
ok "a damaged backup is refused with nothing written; backups inside a library or over a non-empty folder are refused"

# A deleted comparison's render is gone: a backup (and a client export)
# copies what current rows hold and does not trip over it.
D=$T/deleted
new_library "$D"
make_jpeg "$T/d1.jpg" 10 20 320 240
make_jpeg "$T/d2.jpg" 30 20 320 240
run_ba --library "$D" -q ingest --client C-1 --area cheeks --stage before --date 2026-01-02 "$T/d1.jpg"
run_ba --library "$D" -q ingest --client C-1 --area cheeks --stage after --date 2026-02-02 "$T/d2.jpg"
ba --library "$D" -q compare 1 2 --no-align -o "$T/dc.png"
ba --library "$D" -q comparison delete 1
run_ba --library "$D" backup --to "$T/bk-deleted"
expect_rc "backup after a comparison delete" 0
run_ba restore --from "$T/bk-deleted" --to "$T/restored-deleted"
expect_rc "restore after a comparison delete" 0
run_ba --library "$D" client export C-1 --to "$T/exp-deleted"
expect_rc "client export after a comparison delete" 0
ok "backup, restore and client export after a comparison delete"
