#!/bin/sh
# Decode once, fetch once (issue 11, item 10):
# - compare of three plain files (each decoded once, aligned from the decoded
#   images) renders an aligned comparison;
# - compare of library photos stores the alignment it computes (one row);
# - an export reads the catalog only: it adds no alignments row, and when a
#   comparison's alignment is gone it refuses (exit 1, naming the photos)
#   instead of aligning anew, with nothing written to the destination.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-1
make_jpeg "$F/a.jpg" 60 40 360 280 "2026:01:10 10:00:00"
make_jpeg "$F/b.jpg" 72 46 360 280 "2026:02:10 10:00:00"
make_jpeg "$F/c.jpg" 66 52 360 280 "2026:03:10 10:00:00"

# --- plain files --------------------------------------------------------------
ba --json compare "$F/a.jpg" "$F/b.jpg" "$F/c.jpg" -o "$T/files.png"
assert_eq "compare of three files: aligned" true "$(json_field aligned <"$T/out")"
[ -s "$T/files.png" ] || fail "compare of three files: no output"
ok "compare of three plain files: aligned, written"

# --- library photos: compare stores the alignment it computes -------------------
for f in a b; do
    "$BA" --library "$L" -q ingest --client C-1 --area cheeks "$F/$f.jpg" >/dev/null ||
        fail "ingest $f"
done
ba --library "$L" --json compare 1 2 --label-style none -o "$T/c1.png"
C1=$(json_field comparison_id <"$T/out")
assert_eq "compare: alignment stored" 1 "$(rows "$L" alignments)"
ok "compare of photos 1 and 2: comparison $C1, its alignment stored"

# --- export: reads, never writes an alignment ---------------------------------
ba --library "$L" export "$C1" --purpose clinical --to "$T/x1"
assert_eq "export: alignments unchanged" 1 "$(rows "$L" alignments)"
ls "$T/x1" | grep -q '\.png$' || fail "export: no image written"
ok "export of comparison $C1: written, no alignment row added"

sqlite3 "$L/catalog.db" "DELETE FROM alignments;"
run_ba --library "$L" export "$C1" --purpose clinical --to "$T/x2"
expect_rc "export without its alignment" 1
grep -q "photo 2 has no stored alignment onto photo 1" "$T/err" ||
    fail "export without its alignment: expected the photos named, got: $(cat "$T/err")"
assert_eq "export without its alignment: alignments" 0 "$(rows "$L" alignments)"
assert_eq "export without its alignment: files in the destination" 0 "$(nfiles "$T/x2")"
assert_eq "export without its alignment: exports recorded" 1 "$(rows "$L" exports)"
ok "export whose alignment is gone: refused, nothing written, no alignment stored"
