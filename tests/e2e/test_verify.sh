#!/bin/sh
# verify [--repair] (issue 7, docs/CLI.md "Verify"). A library of 6 photos:
# clean -> exit 0 and no problem line. Then each inconsistency planted alone
# in a fresh copy, and verify must exit 1 with exactly one line naming it
# (text "KIND: ..." and --json {"problem","photo_id","path",...}):
#   a deleted master (missing), a stray file in masters/xx/ and one directly in
#   masters/ (foreign), a flipped byte (corrupt), a deleted photo row (its
#   master becomes an orphan), a deleted session row with foreign keys off
#   (catalog: foreign key), a stale tmp/ingest-99999999-abcdef.jpg (stray-tmp;
#   a tmp file of a live process is not one), EXIF injected with exiftool in
#   place (hash changes: corrupt), and masters that hash right but carry an
#   EXIF APP1 or a COM segment (metadata).
# Then all of them at once and verify --repair: orphans and stale files
# removed, foreign files moved to lost+found/, missing/corrupt photos marked
# (show --json master_problem), no photo row deleted; a second verify reports
# only the marked photos; a restored master loses its mark on the next --repair.
# Issue 10, items 9 and 10 (the library also holds two consents with evidence,
# a revocation -> 3 audit rows, and comparison 1 of photos 1-2):
#   audit log tampered with in sqlite3: a deleted middle row, a changed detail,
#   a deleted last row (each with its trigger dropped first), the same deletion
#   with the trigger put back exactly, a dropped trigger alone -> "audit" lines
#   naming the audit log (and the trigger), never "no problems";
#   a deleted or altered evidence file (evidence), a deleted or altered render
#   copy (render; --repair moves a damaged copy to lost+found/ and the next
#   identical compare stores a good one); a sub-folder, a symbolic link and a
#   wrongly named file in masters/xx/ (foreign): --repair moves them to
#   lost+found/ intact, and the next verify exits 0.
set -eu
. "$(dirname "$0")/lib.sh"
# Files this test puts into the library by hand are private like the
# library's own (0600/0700): verify's mode check is test_modes.sh's subject.
umask 077

F=$T/in
B=$T/base
$PY "$E2E_DIR/fixtures/gen_photos.py" "$F" 6 --prefix v --size 128 96 || fail "generating photos"
new_library "$B" C-1
run_ba --library "$B" ingest --client C-1 --area cheeks --date 2026-03-01 "$F"/v*.jpg
expect_rc "ingest 6 photos" 0
assert_eq "photos" 6 "$(rows "$B" photos)"
printf '%%PDF-1.4\n%% signed consent form (test)\n%%%%EOF\n' >"$T/form.pdf"
ba --library "$B" consent grant C-1 --scope clinical --granted 2026-01-05 --evidence "$T/form.pdf"
ba --library "$B" consent grant C-1 --scope marketing --granted 2026-01-05 --evidence "$F/v0003.jpg"
ba --library "$B" consent revoke C-1 --scope marketing
assert_eq "audit rows" 3 "$(rows "$B" audit_log)"
assert_eq "evidence files" 2 "$(nfiles "$B/consents")"
ba --library "$B" compare 1 2 --no-align -o "$T/cmp.png"
assert_eq "render copies" 1 "$(nfiles "$B/renders")"

# master ID: the master's path relative to the library
master() { sqlite3 "$L/catalog.db" "SELECT 'masters/' || substr(master_sha256, 1, 2) || '/' || master_sha256 || '.jpg' FROM photos WHERE id = $1;"; }
# flip_byte FILE OFFSET: change one byte in place (dd conv=notrunc)
flip_byte() {
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $(((b + 1) % 256)))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}
# fresh: L = a new copy of the clean library
n=0
fresh() {
    n=$((n + 1))
    L=$T/lib$n
    cp -a "$B" "$L"
}
# expect_problem WHAT KIND PATH [PHOTO_ID]: verify exits 1 with exactly one
# problem, of KIND, naming PATH (text and --json).
expect_problem() {
    run_ba --library "$L" verify
    expect_rc "$1: verify" 1
    assert_eq "$1: problem lines (got: $(cat "$T/out"))" 1 "$(nlines "$T/out")"
    grep -q "^$2: " "$T/out" || fail "$1: expected a '$2: ...' line, got: $(cat "$T/out")"
    assert_contains "$1: names the file" "$T/out" "$3"
    case $2 in missing | corrupt)
        grep -qw "photo $4" "$T/out" || fail "$1: the line should name photo $4: $(cat "$T/out")" ;;
    esac
    cp "$T/out" "$T/vline"
    # What the first verify removed as it opened the library, planted again.
    [ -z "${REPLANT:-}" ] || eval "$REPLANT"
    run_ba --library "$L" --json verify
    expect_rc "$1: verify --json" 1
    $PY - "$T/out" "$2" "$3" "${4:-}" <<'EOF' || fail "$1: verify --json: $(cat "$T/out")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert objs and objs[-1]['kind'] == 'verify', 'no verdict object last: %r' % objs[-1:]
assert objs[-1]['problems'] == len(objs) - 1 and objs[-1]['clean'] is False, objs[-1]
lines = objs[:-1]
assert len(lines) == 1, 'expected one object, got %d' % len(lines)
o = lines[0]
assert o['kind'] == 'problem', o
assert set(o) >= {'problem', 'photo_id', 'path', 'message', 'repaired'}, 'fields: %s' % sorted(o)
assert o['problem'] == sys.argv[2], 'problem %r' % o['problem']
assert sys.argv[3] in o['path'] or sys.argv[3] in o['message'], 'path %r' % o['path']
if sys.argv[4]:
    assert o['photo_id'] == int(sys.argv[4]), 'photo_id %r' % o['photo_id']
# (a dead writer's tmp file is removed as the library is opened for writing)
assert o['repaired'] is (sys.argv[2] == 'stray-tmp'), 'repaired %r' % o['repaired']
EOF
}

# --- clean ---------------------------------------------------------------------
L=$B
run_ba --library "$L" verify
expect_rc "verify on a clean library" 0
assert_eq "clean: stderr" "" "$(cat "$T/err")"
grep -qi 'no problems' "$T/out" || fail "clean: expected 'no problems', got: $(cat "$T/out")"
cleanmsg=$(cat "$T/out")
run_ba --library "$L" --json verify
expect_rc "verify --json on a clean library" 0
assert_eq "clean: --json output is the verdict" "verify 0 True" "$($PY -c 'import json,sys
o = [json.loads(l) for l in open(sys.argv[1])]
assert len(o) == 1, o
print(o[0]["kind"], o[0]["problems"], o[0]["clean"])' "$T/out")"
ok "clean library: verify exits 0 ($cleanmsg), --json prints one verdict object"

# --- one problem at a time ---------------------------------------------------------------
fresh
m=$(master 2)
rm "$L/$m"
expect_problem "deleted master" missing "$m" 2
ok "deleted master -> $(cat "$T/vline")"

fresh
sub=$(dirname "$(master 3)")
cp "$F/v0000.jpg" "$L/$sub/stray.jpg"
expect_problem "stray file in $sub" foreign "$sub/stray.jpg"
ok "stray file -> $(cat "$T/vline")"

fresh
echo junk >"$L/masters/junk.txt"
expect_problem "stray file in masters/" foreign "masters/junk.txt"
ok "stray file directly in masters/ -> $(cat "$T/vline")"

fresh
m=$(master 4)
flip_byte "$L/$m" 600
cmp -s "$L/$m" "$B/$m" && fail "the byte flip did not change $m"
expect_problem "flipped byte" corrupt "$m" 4
ok "one changed byte -> $(cat "$T/vline")"

fresh
m=$(master 5)
# (its areas too: a photo_areas row left behind would be a second problem,
# the foreign key check's, since schema 7)
sqlite3 "$L/catalog.db" "DELETE FROM photo_areas WHERE photo_id = 5; DELETE FROM photos WHERE id = 5;"
assert_eq "row deleted" 5 "$(rows "$L" photos)"
expect_problem "deleted photo row" orphan "$m"
ok "deleted photo row -> $(cat "$T/vline")"

fresh
sqlite3 "$L/catalog.db" "PRAGMA foreign_keys = OFF; DELETE FROM sessions;"
run_ba --library "$L" verify
expect_rc "deleted session row: verify" 1
grep -q '^catalog: ' "$T/out" || fail "deleted session: expected a 'catalog: ...' line, got: $(cat "$T/out")"
grep -qi 'foreign' "$T/out" || fail "deleted session: the line should say 'foreign key': $(cat "$T/out")"
assert_eq "deleted session: one catalog line per dangling photo" 6 "$(grep -c '^catalog: .*foreign' "$T/out" || true)"
ok "deleted session row (foreign keys off) -> $(head -1 "$T/out") (6 such lines)"
LFK=$L # checked again at the end: its masters belong to photo rows

fresh
cp "$F/v0001.jpg" "$L/tmp/ingest-99999999-abcdef.jpg"
cp "$F/v0001.jpg" "$L/tmp/ingest-$$-livefi.jpg" # this shell is alive: not stale
# Opening the library for writing removes a dead writer's file first; verify
# still reports it (as removed), once.
REPLANT='cp "$F/v0001.jpg" "$L/tmp/ingest-99999999-abcdef.jpg"'
expect_problem "stale tmp file" stray-tmp "tmp/ingest-99999999-abcdef.jpg"
REPLANT=
[ ! -e "$L/tmp/ingest-99999999-abcdef.jpg" ] || fail "stale tmp file: not removed as verify opened the library"
[ -e "$L/tmp/ingest-$$-livefi.jpg" ] || fail "stale tmp file: a live process's file was removed"
ok "stale tmp file -> $(cat "$T/vline") (a live process's tmp file is not reported)"
rm "$L/tmp/ingest-$$-livefi.jpg"

fresh
m=$(master 6)
cp "$L/$m" "$T/x.jpg"
exiftool -q -q -overwrite_original -Artist=x "$T/x.jpg" || fail "exiftool -Artist"
cp "$T/x.jpg" "$L/$m"
expect_problem "EXIF injected in place" corrupt "$m" 6
ok "EXIF injected in place (hash changed) -> $(cat "$T/vline")"

# plant_meta ID TAG: the master of photo ID replaced by a copy carrying TAG,
# stored under its own hash, the row pointing at it: only the metadata is wrong.
plant_meta() {
    old=$(master "$1")
    cp "$L/$old" "$T/meta.jpg"
    exiftool -q -q -overwrite_original "$2" "$T/meta.jpg" || fail "exiftool $2"
    sha=$(sha256sum "$T/meta.jpg" | cut -d' ' -f1)
    mkdir -p "$L/masters/$(echo "$sha" | cut -c1-2)"
    mv "$T/meta.jpg" "$L/masters/$(echo "$sha" | cut -c1-2)/$sha.jpg"
    rm "$L/$old"
    sqlite3 "$L/catalog.db" "UPDATE photos SET master_sha256 = '$sha' WHERE id = $1;"
    master "$1"
}
fresh
m=$(plant_meta 1 -Artist=x)
exiftool -s -s -s -Artist "$L/$m" | grep -qx x || fail "the planted master has no Artist tag"
expect_problem "EXIF APP1 in a master" metadata "$m" 1
ok "a master carrying EXIF (hash consistent) -> $(cat "$T/vline")"

fresh
m=$(plant_meta 2 -Comment=hello)
expect_problem "COM segment in a master" metadata "$m" 2
ok "a master carrying a JPEG comment -> $(cat "$T/vline")"

# --- everything at once, then --repair ----------------------------------------------
fresh
m1=$(master 1)
m2=$(master 2)
m5=$(master 5)
sub=$(dirname "$(master 3)")
rm "$L/$m1"                                                   # missing
flip_byte "$L/$m2" 600                                        # corrupt
cp "$F/v0000.jpg" "$L/$sub/stray.jpg"                         # foreign
echo junk >"$L/masters/junk.txt"                               # foreign
# (its areas too: a photo_areas row left behind would be a second problem,
# the foreign key check's, since schema 7)
sqlite3 "$L/catalog.db" "DELETE FROM photo_areas WHERE photo_id = 5; DELETE FROM photos WHERE id = 5;"    # orphan master
cp "$F/v0001.jpg" "$L/tmp/ingest-99999999-abcdef.jpg"          # stale
run_ba --library "$L" verify
expect_rc "all problems: verify" 1
assert_eq "all problems: lines (got: $(cat "$T/out"))" 6 "$(nlines "$T/out")"
assert_eq "all problems: kinds" "corrupt foreign foreign missing orphan stray-tmp" \
    "$(cut -d: -f1 "$T/out" | sort | tr '\n' ' ' | sed 's/ $//')"
ok "six planted problems at once -> six lines"

# (the verify above removed the stale file as it opened the library: again)
cp "$F/v0001.jpg" "$L/tmp/ingest-99999999-abcdef.jpg"
run_ba --library "$L" --json verify --repair
expect_rc "verify --repair" 1
assert_eq "--repair: lines (problems + the verdict)" 7 "$(nlines "$T/out")"
assert_eq "--repair: every problem repaired" "0 6" "$($PY -c 'import json,sys
o = [json.loads(l) for l in open(sys.argv[1])]
print(sum(1 for p in o[:-1] if not p["repaired"]), o[-1]["repaired"])' "$T/out")"
[ ! -e "$L/$sub/stray.jpg" ] || fail "--repair left the stray file"
[ ! -e "$L/masters/junk.txt" ] || fail "--repair left masters/junk.txt"
cmp -s "$F/v0000.jpg" "$L/lost+found/$sub/stray.jpg" || fail "--repair lost the stray file (not in lost+found/)"
assert_eq "--repair: junk.txt kept in lost+found/" junk "$(cat "$L/lost+found/masters/junk.txt")"
[ ! -e "$L/$m5" ] || fail "--repair left the orphan master of the deleted row"
assert_eq "--repair: tmp/" 0 "$(nfiles "$L/tmp")"
assert_eq "--repair: photo rows" 5 "$(rows "$L" photos)"
assert_eq "--repair: masters" 4 "$(nfiles "$L/masters")"
[ -e "$L/$m2" ] || fail "--repair deleted the corrupt master (it should only mark the photo)"
run_ba --library "$L" --json show 1
expect_rc "show 1" 0
assert_eq "photo 1 master_problem" missing "$(json_field master_problem <"$T/out")"
run_ba --library "$L" --json show 2
assert_eq "photo 2 master_problem" corrupt "$(json_field master_problem <"$T/out")"
run_ba --library "$L" --json show 3
assert_eq "photo 3 master_problem" null "$(json_field master_problem <"$T/out")"
run_ba --library "$L" show 1
expect_rc "show 1 (text)" 0
assert_contains "show prints the mark" "$T/out" "missing"
ok "--repair: orphan master and stale tmp removed, stray files moved to lost+found/, photos 1/2 marked missing/corrupt, 5 rows kept"

run_ba --library "$L" verify
expect_rc "verify after --repair" 1
assert_eq "after --repair: kinds" "corrupt missing" "$(cut -d: -f1 "$T/out" | sort | tr '\n' ' ' | sed 's/ $//')"
grep -q "$m1" "$T/out" && grep -q "$m2" "$T/out" || fail "after --repair: the marked photos should still be reported: $(cat "$T/out")"
ok "second verify: exit 1, still reports the 2 marked photos, no orphan, foreign or stale file"

cp "$B/$m1" "$L/$m1"
run_ba --library "$L" verify --repair
expect_rc "verify --repair with photo 1 restored" 1
run_ba --library "$L" --json show 1
assert_eq "restored photo 1 master_problem" null "$(json_field master_problem <"$T/out")"
run_ba --library "$L" verify
assert_eq "after the restore: kinds" "corrupt" "$(cut -d: -f1 "$T/out" | tr '\n' ' ' | sed 's/ $//')"
ok "a restored master loses its mark on the next --repair"

# --- photos whose session row is gone still own their masters ------------------------
# (the foreign-key problem is reported; but their masters are referenced by
# photo rows, so they are not orphans, and --repair must not delete them)
L=$LFK
run_ba --library "$L" verify
expect_rc "dangling photos: verify" 1
assert_eq "dangling photos: orphan lines (got: $(grep '^orphan' "$T/out" | head -2))" 0 "$(grep -c '^orphan: ' "$T/out" || true)"
run_ba --library "$L" verify --repair
expect_rc "dangling photos: verify --repair" 1
assert_eq "dangling photos: photo rows after --repair" 6 "$(rows "$L" photos)"
assert_eq "dangling photos: masters after --repair" 6 "$(nfiles "$L/masters")"
ok "photos whose session row is missing: masters not called orphans, --repair keeps all 6"

# --- the audit log (issue 10, item 9) ------------------------------------------------
# expect_audit WHAT NEEDLE...: verify exits 1, every line is an "audit:" line,
# one names the audit log, and each NEEDLE is in the output; --repair cannot
# clear it (it reports, exit 1, nothing repaired).
expect_audit() {
    what=$1
    shift
    run_ba --library "$L" verify
    expect_rc "$what: verify" 1
    [ "$(grep -vc '^audit: ' "$T/out" || true)" = 0 ] || fail "$what: only audit lines expected: $(cat "$T/out")"
    assert_contains "$what: names the audit log" "$T/out" "audit log"
    for needle in "$@"; do
        assert_contains "$what" "$T/out" "$needle"
    done
    cp "$T/out" "$T/vline"
    run_ba --library "$L" --json verify --repair
    expect_rc "$what: verify --repair" 1
    grep -q '"repaired":true' "$T/out" && fail "$what: --repair claims to have repaired the audit log"
    run_ba --library "$L" verify
    expect_rc "$what: verify after --repair" 1
}
fresh
sqlite3 "$L/catalog.db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 2;"
expect_audit "deleted audit row 2" "rows 2-2 are missing" "row 3 breaks the hash chain" "audit_log_no_delete"
ok "DROP TRIGGER + DELETE of audit row 2 -> $(head -1 "$T/vline") (+$(($(nlines "$T/vline") - 1)) lines)"

fresh
guard=$(sqlite3 "$L/catalog.db" "SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_delete';")
sqlite3 "$L/catalog.db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 2; $guard;"
assert_eq "trigger put back" 1 "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log_no_delete';")"
expect_audit "deleted audit row 2, trigger put back" "row 3 breaks the hash chain"
assert_not_contains "trigger put back: no trigger line" "$T/vline" "trigger"
ok "the same deletion with the trigger put back exactly -> still shows: $(tail -1 "$T/vline")"

fresh
sqlite3 "$L/catalog.db" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = 'nothing to see' WHERE id = 1;"
expect_audit "changed audit detail" "row 1 breaks the hash chain" "audit_log_no_update"
ok "DROP TRIGGER + UPDATE of a detail -> $(grep chain "$T/vline")"

fresh
sqlite3 "$L/catalog.db" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET client = NULL WHERE id = 2 AND client IS NOT NULL; UPDATE audit_log SET objects = '' WHERE id = 3;"
expect_audit "NULL/empty swaps" "row 2 breaks the hash chain (2 rows"
ok "a value set to NULL and a NULL set to '' both break the chain"

fresh
sqlite3 "$L/catalog.db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 3;"
expect_audit "deleted last audit row" "rows 3-3 are missing" "sqlite_sequence"
ok "DROP TRIGGER + DELETE of the last row -> $(grep sequence "$T/vline")"

fresh
sqlite3 "$L/catalog.db" "DROP TRIGGER audit_log_no_delete;"
expect_audit "dropped trigger" "trigger audit_log_no_delete is missing"
assert_eq "dropped trigger: one line" 1 "$(nlines "$T/vline")"
ok "a dropped trigger alone -> $(cat "$T/vline")"

fresh
sqlite3 "$L/catalog.db" "DROP TRIGGER consents_keep; CREATE TRIGGER consents_keep BEFORE DELETE ON consents BEGIN SELECT 1; END;"
expect_audit "defused trigger" "trigger consents_keep differs"
ok "a trigger replaced by a no-op of the same name -> $(cat "$T/vline")"

# --- consent evidence and render copies (issue 10, item 10) --------------------------
ev() { sqlite3 "$L/catalog.db" "SELECT evidence_path FROM consents WHERE id = $1;"; }
fresh
e=$(ev 1)
rm "$L/$e"
expect_problem "deleted evidence" evidence "$e"
assert_contains "deleted evidence: names the consent" "$T/vline" "consent 1"
run_ba --library "$L" verify --repair
expect_rc "deleted evidence: --repair" 1
assert_eq "deleted evidence: consent rows after --repair" 2 "$(rows "$L" consents)"
ok "deleted evidence file -> $(cat "$T/vline")"

fresh
e=$(ev 2)
flip_byte "$L/$e" 300
expect_problem "altered evidence" evidence "$e"
run_ba --library "$L" verify --repair
expect_rc "altered evidence: --repair" 1
[ -f "$L/$e" ] || fail "--repair moved or removed damaged evidence (it is still evidence)"
ok "altered evidence file -> $(cat "$T/vline"); --repair keeps it in place"

r=$(sqlite3 "$B/catalog.db" "SELECT render FROM comparisons WHERE id = 1;")
fresh
rm "$L/$r"
expect_problem "deleted render copy" render "$r"
ok "deleted render copy -> $(cat "$T/vline")"

fresh
cp "$L/$r" "$T/good-render"
flip_byte "$L/$r" 100
expect_problem "damaged render copy" render "$r"
run_ba --library "$L" --json verify --repair
expect_rc "damaged render copy: --repair" 1
grep -q '"repaired":true' "$T/out" || fail "damaged render copy: not repaired: $(cat "$T/out")"
[ ! -e "$L/$r" ] || fail "damaged render copy still in place after --repair"
[ -f "$L/lost+found/$r" ] || fail "damaged render copy not kept in lost+found/"
assert_eq "damaged render copy: comparison rows" 1 "$(rows "$L" comparisons)"
run_ba --library "$L" verify
expect_rc "after moving the damaged copy: verify" 1
grep -q '^render: .*missing' "$T/out" || fail "the moved render copy should be reported missing: $(cat "$T/out")"
ba --library "$L" compare 1 2 --no-align -o "$T/cmp2.png"
cmp -s "$L/$r" "$T/good-render" || fail "the next identical compare did not store a good copy"
run_ba --library "$L" verify
expect_rc "after the next compare: verify" 0
ok "damaged render copy -> --repair moves it to lost+found/, the next identical compare restores it, verify exits 0"

# --- foreign entries in masters/xx/ ---------------------------------------------------
fresh
sub=$(dirname "$(master 3)")
mkdir -p "$L/$sub/folder/inner"
echo keep >"$L/$sub/folder/inner/note.txt"
ln -s /etc/hostname "$L/$sub/link.jpg"
cp "$L/$(master 3)" "$L/$sub/$(basename "$(master 3)" .jpg).JPG"
run_ba --library "$L" verify
expect_rc "foreign entries: verify" 1
assert_eq "foreign entries: kinds" "foreign foreign foreign" "$(cut -d: -f1 "$T/out" | tr '\n' ' ' | sed 's/ $//')"
assert_contains "foreign entries: a folder" "$T/out" "folder in masters/"
assert_contains "foreign entries: a link" "$T/out" "symbolic link in masters/"
run_ba --library "$L" --json verify --repair
expect_rc "foreign entries: verify --repair" 1
assert_eq "foreign entries: all repaired" 0 "$(grep -c '"repaired":false' "$T/out" || true)"
assert_eq "foreign entries: note kept" keep "$(cat "$L/lost+found/$sub/folder/inner/note.txt")"
[ -L "$L/lost+found/$sub/link.jpg" ] || fail "the symbolic link was not kept in lost+found/"
run_ba --library "$L" verify
expect_rc "foreign entries: verify after --repair" 0
assert_eq "foreign entries: masters after --repair" 6 "$(find "$L/masters" -type f | wc -l | tr -d ' ')"
ok "a folder, a symbolic link and a wrongly named file in masters/xx/ -> foreign; --repair moves them to lost+found/; verify then exits 0"

# --- a library this process cannot write (chattr +i, so even root cannot) -------------
fresh
m=$(master 5)
# (its areas too: a photo_areas row left behind would be a second problem,
# the foreign key check's, since schema 7)
sqlite3 "$L/catalog.db" "DELETE FROM photo_areas WHERE photo_id = 5; DELETE FROM photos WHERE id = 5;"
if chattr +i "$L/catalog.db" "$L" "$L/masters" "$L/$(dirname "$m")" 2>/dev/null; then
    run_ba --library "$L" verify
    rc_ro=$RC
    cp "$T/out" "$T/ro.out"
    cp "$T/err" "$T/ro.err"
    run_ba --library "$L" verify --repair
    rc_rep=$RC
    chattr -i "$L/catalog.db" "$L" "$L/masters" "$L/$(dirname "$m")"
    RC=$rc_ro
    cp "$T/ro.err" "$T/err"
    expect_rc "read-only library: verify" 1
    assert_eq "read-only library: lines (got: $(cat "$T/ro.out"))" 1 "$(nlines "$T/ro.out")"
    grep -q "^orphan: $m" "$T/ro.out" || fail "read-only library: expected the orphan, got: $(cat "$T/ro.out")"
    [ -f "$L/$m" ] || fail "read-only library: the orphan is gone"
    RC=$rc_rep
    expect_rc "read-only library: verify --repair" 3
    ok "a library that cannot be written: verify checks it (orphan re-checked without the lock, kept), --repair exits 3"
else
    ok "SKIP read-only library: chattr +i is not supported here"
fi
