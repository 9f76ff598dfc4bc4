#!/bin/sh
# Standard input and output: 'ingest - --name NAME' stores the photo read
# from stdin exactly as the file would be (same master, NAME as original
# name), bounded like a file, and writes nothing when it fails;
# 'compare ... -o -' puts the PNG and nothing else on stdout, and still
# records the comparison (the bytes on stdout hash to the recorded sha256).
set -eu
. "$(dirname "$0")/lib.sh"

S=$BA_SOURCE_DIR/samples
L=$T/lib
R=$T/ref
new_library "$L" C-1
new_library "$R" C-1

# The same photo, once as a file (reference library), once through stdin.
ba --library "$R" --json ingest --client C-1 --area cheeks --date 2026-01-10 "$S/before-cheeks.jpg"
want=$(json_field master <"$T/out")
set +e
"$BA" --library "$L" --json ingest --client C-1 --area cheeks --date 2026-01-10 - --name "front view.jpg" \
    <"$S/before-cheeks.jpg" >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc "ingest -" 0
assert_eq "ingest -: one line" 1 "$(nlines "$T/out")"
assert_eq "ingest -: status" ingested "$(json_field status <"$T/out")"
assert_eq "ingest -: file" "front view.jpg" "$(json_field file <"$T/out")"
assert_eq "ingest -: the master of the same file" "$want" "$(json_field master <"$T/out")"
assert_eq "ingest -: original name" "front view.jpg" \
    "$(sqlite3 "$L/catalog.db" 'SELECT original_name FROM photos;')"
cmp -s "$L/$want" "$R/$want" || fail "ingest -: master bytes differ from the file's"
assert_eq "ingest -: tmp/ empty" 0 "$(nfiles "$L/tmp")"
ok "ingest - --name: the file's master, NAME as original name, one JSON line"

# Again: a duplicate, not a second photo.
set +e
"$BA" --library "$L" ingest --client C-1 --area cheeks --date 2026-01-10 - --name again.jpg \
    <"$S/before-cheeks.jpg" >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc "ingest - twice" 0
assert_contains "ingest - twice" "$T/out" "duplicate again.jpg"
assert_eq "photos after the duplicate" 1 "$(rows "$L" photos)"

# Refusals write nothing.
before=$(sha256sum "$L/catalog.db" | cut -d' ' -f1)
check_nothing() {
    assert_eq "$1: photos" 1 "$(rows "$L" photos)"
    assert_eq "$1: masters" 1 "$(nfiles "$L/masters")"
    assert_eq "$1: tmp/" 0 "$(nfiles "$L/tmp")"
}
set +e
"$BA" --library "$L" ingest --client C-1 --area cheeks --date 2026-01-10 - <"$S/after-cheeks.jpg" >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc "ingest - without --name" 2
assert_contains "ingest - without --name" "$T/err" "beforeafter: ingest: "
check_nothing "without --name"
head -c 3000 "$S/after-cheeks.jpg" >"$T/trunc.jpg"
set +e
"$BA" --library "$L" ingest --client C-1 --area cheeks --date 2026-01-10 - --name cut.jpg <"$T/trunc.jpg" >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc "truncated stdin" 1
assert_contains "truncated stdin" "$T/err" "cut.jpg"
check_nothing "truncated stdin"
# Bounded: 0.01 megapixels allow 8 bytes a pixel + 16 MiB; 20 MB are refused.
set +e
head -c 20000000 /dev/zero | "$BA" --library "$L" ingest --client C-1 --area cheeks --date 2026-01-10 \
    --max-megapixels 0.01 - --name big.jpg >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc "oversized stdin" 1
assert_contains "oversized stdin" "$T/err" "larger than"
check_nothing "oversized stdin"
ok "ingest -: no --name (exit 2), truncated (1), over the size bound (1): nothing written"

# compare -o -: the PNG on stdout, the record in the catalog, JSON on stderr.
ba --library "$L" -q ingest --client C-1 --area cheeks --date 2026-03-10 "$S/after-cheeks.jpg"
set +e
"$BA" --library "$L" --json compare 1 2 -o - >"$T/stdout.png" 2>"$T/err"
RC=$?
set -e
expect_rc "compare -o -" 0
assert_eq "compare -o -: PNG on stdout" "89504e470d0a1a0a" "$(head -c 8 "$T/stdout.png" | od -An -tx1 | tr -d ' \n')"
sha=$(sha256sum "$T/stdout.png" | cut -d' ' -f1)
grep -q '"kind":"comparison"' "$T/err" || fail "compare -o -: the JSON result should be on stderr: $(cat "$T/err")"
assert_eq "compare -o -: recorded sha256 = stdout bytes" "$sha" "$(json_field sha256 <"$T/err")"
assert_eq "compare -o -: comparison rows" 1 "$(rows "$L" comparisons)"
assert_eq "compare -o -: recorded hash" "$sha" "$(sqlite3 "$L/catalog.db" 'SELECT sha256 FROM comparisons;')"
only=$(identify -format '%m %wx%h' "$T/stdout.png")
case $only in PNG\ *) ;; *) fail "compare -o -: stdout is not one PNG: $only" ;; esac
# Text mode: the message goes to stderr too.
set +e
"$BA" --library "$L" compare 1 2 -o - >"$T/stdout2.png" 2>"$T/err"
RC=$?
set -e
expect_rc "compare -o - (text)" 0
cmp -s "$T/stdout.png" "$T/stdout2.png" || fail "compare -o -: text mode put something else on stdout"
assert_contains "compare -o - (text)" "$T/err" "comparison 1"
# Plain files, no library.
(cd "$T" && "$BA" compare "$S/before-cheeks.jpg" "$S/after-cheeks.jpg" -o - >"$T/files.png" 2>"$T/err") ||
    fail "compare files -o -: $(cat "$T/err")"
assert_eq "compare files -o -: PNG" PNG "$(identify -format '%m' "$T/files.png")"
[ ! -e "$T/-" ] || fail "compare -o - wrote a file named '-'"
ok "compare -o -: one PNG on stdout ($only), hashing to the recorded comparison; messages on stderr"
