#!/bin/sh
# Bad inputs and usage errors: each is refused with exactly one stderr line
# naming the file (or the bad argument) and the cause, the documented exit
# code (file error 1, usage 2, library 3), no crash, and nothing changed in
# the library (photos/sessions rows, files under masters/ and tmp/).
# A header claiming 200000 x 200000 pixels is refused fast and in little memory.
# A mixed batch ingests the good files and reports the bad one.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-1

# --- fixtures ---------------------------------------------------------------
make_jpeg "$F/good1.jpg" 0 0 320 240 "2026:02:01 10:00:00"
make_jpeg "$F/good2.jpg" 100 50 320 240 "2026:02:01 10:05:00"
make_jpeg "$F/good3.jpg" 150 90 320 240 "2026:02:01 10:10:00"
make_jpeg "$F/nodate.jpg" 60 60 320 240            # no EXIF at all
vips crop "$ASTRO" "$F/real.png" 0 0 320 240
: >"$F/empty.jpg"
echo "this is not a photo" >"$F/x.jpg"
sz=$(wc -c <"$F/good1.jpg")
head -c $((sz * 6 / 10)) "$F/good1.jpg" >"$F/trunc.jpg"
sz=$(wc -c <"$F/real.png")
head -c $((sz * 6 / 10)) "$F/real.png" >"$F/trunc.png"
convert "$F/real.png" "$F/anim.gif"
mkdir "$F/folder.jpg"
# A valid PNG whose IHDR claims 200000 x 200000 RGB pixels (40 gigapixels),
# correct CRCs, a tiny IDAT; and a JPEG whose SOF0 claims 65000 x 65000.
$PY - "$F" <<'EOF' || fail "crafting the oversized headers"
import struct, sys, zlib
out = sys.argv[1]
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack('>IIBBBBB', 200000, 200000, 8, 2, 0, 0, 0)
open(out + '/huge.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) +
    chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b''))
d = bytearray(open(out + '/good2.jpg', 'rb').read())
i = d.index(b'\xff\xc0')
d[i + 5:i + 9] = struct.pack('>HH', 65000, 65000)
open(out + '/huge.jpg', 'wb').write(bytes(d))
EOF
assert_eq "fixture huge.png claimed size" "200000x200000" \
    "$(exiftool -s -s -s -ImageWidth "$F/huge.png")x$(exiftool -s -s -s -ImageHeight "$F/huge.png")"
assert_eq "fixture huge.jpg claimed size" "65000x65000" \
    "$(exiftool -s -s -s -ImageWidth "$F/huge.jpg")x$(exiftool -s -s -s -ImageHeight "$F/huge.jpg")"

# Something in the library to keep.
ba --library "$L" ingest --client C-1 --area cheeks "$F/good1.jpg"
ok "fixtures built; library holds 1 photo"

state() {
    echo "photos=$(rows "$L" photos) sessions=$(rows "$L" sessions) clients=$(rows "$L" clients) masters=$(nfiles "$L/masters") tmp=$(nfiles "$L/tmp")"
}

# refused WHAT RC "PATTERN1;PATTERN2..." ARGS... -- every pattern (extended
# regex, case-insensitive) must match the single stderr line.  ARGS starting
# with @ingest stand for a valid ingest command line (C-1, cheeks, a date).
refused() {
    what=$1 want=$2 pats=$3
    shift 3
    if [ "$1" = @ingest ]; then
        shift
        set -- --library "$L" ingest --client C-1 --area cheeks --date 2026-03-01 "$@"
    fi
    before=$(state)
    run_ba "$@"
    expect_rc "$what" "$want"
    n=$(nlines "$T/err")
    assert_eq "$what: stderr lines" 1 "$n"
    grep -q '^beforeafter: ' "$T/err" || fail "$what: expected 'beforeafter: ...' on stderr, got: $(cat "$T/err")"
    old_ifs=$IFS
    IFS=';'
    for p in $pats; do
        grep -qiE -- "$p" "$T/err" || { IFS=$old_ifs; fail "$what: expected stderr to match /$p/, got: $(cat "$T/err")"; }
    done
    IFS=$old_ifs
    after=$(state)
    assert_eq "$what: library state" "$before" "$after"
    ok "$what -> exit $want, one line: $(cat "$T/err")"
}

refused "empty file" 1 "empty\.jpg;empty" @ingest "$F/empty.jpg"
refused "text file named x.jpg" 1 "x\.jpg;not a (JPEG|photo)" @ingest "$F/x.jpg"
refused "truncated JPEG (60 %)" 1 "trunc\.jpg;truncat|premature|corrupt" @ingest "$F/trunc.jpg"
refused "truncated PNG (60 %)" 1 "trunc\.png;truncat|corrupt" @ingest "$F/trunc.png"
refused "GIF (refused format)" 1 "anim\.gif;not a JPEG|gif" @ingest "$F/anim.gif"
refused "directory passed as a file" 1 "folder\.jpg;folder|director|not a regular file" @ingest "$F/folder.jpg"
refused "missing file" 1 "missing\.jpg;no such file|not found" @ingest "$F/missing.jpg"
refused "JPEG whose SOF claims 65000x65000" 1 "huge\.jpg;65000|megapixel;limit|too large" @ingest "$F/huge.jpg"
refused "JPEG without EXIF date and no --date" 1 "nodate\.jpg;--date" \
    --library "$L" ingest --client C-1 --area cheeks "$F/nodate.jpg"
refused "PNG without EXIF date and no --date" 1 "real\.png;--date" \
    --library "$L" ingest --client C-1 --area cheeks "$F/real.png"
# Cameras with an unset clock write "0000:00:00 00:00:00" or blanks: no date.
i=0
for d in "0000:00:00 00:00:00" "2026:13:45 10:00:00" "    :  :     :  :  " "2026:02:29 10:00:00" "2026:03:01"; do
    i=$((i + 1))
    make_jpeg "$F/baddate$i.jpg" $((i * 9)) 33 320 240
    exiftool -q -q -m -overwrite_original "-ExifIFD:DateTimeOriginal#=$d" "$F/baddate$i.jpg"
    exiftool -s -s -s -n -DateTimeOriginal "$F/baddate$i.jpg" | grep -q ':' ||
        fail "fixture baddate$i.jpg: expected DateTimeOriginal '$d' written, got none"
    refused "EXIF DateTimeOriginal '$d' and no --date" 1 "baddate$i\.jpg;--date" \
        --library "$L" ingest --client C-1 --area cheeks "$F/baddate$i.jpg"
done

# The 40-gigapixel PNG: refused before decoding, fast and small.
before=$(state)
t0=$(now_ms)
set +e
/usr/bin/time -f %M -o "$T/mem" "$BA" --library "$L" ingest --client C-1 --area cheeks \
    --date 2026-03-01 "$F/huge.png" >"$T/out" 2>"$T/err"
RC=$?
set -e
t1=$(now_ms)
expect_rc "200000x200000 PNG" 1
assert_eq "200000x200000 PNG: stderr lines" 1 "$(nlines "$T/err")"
grep -qiE 'huge\.png' "$T/err" && grep -qiE '200000|megapixel|limit' "$T/err" ||
    fail "200000x200000 PNG: expected the file and the size/limit on stderr, got: $(cat "$T/err")"
ms=$((t1 - t0))
# Decoding 40 gigapixels would take minutes: a bound far above a loaded
# machine's (or ASan's) start-up time still tells "refused before decoding";
# the memory bound below is the sharp test.
[ "$ms" -lt 10000 ] || fail "200000x200000 PNG: expected refusal in < 10 s, got $ms ms"
kb=$(tail -n 1 "$T/mem")
[ "$kb" -lt 200000 ] || fail "200000x200000 PNG: expected max RSS < 200000 KB, got $kb KB"
assert_eq "200000x200000 PNG: library state" "$before" "$(state)"
ok "200000x200000 PNG refused in $ms ms, max RSS $kb KB: $(cat "$T/err")"

# Even with the pixel limit lifted, the lying header must not make it
# allocate the claimed 120 GB: it fails on the data, fast and small.  (The
# address-space cap only protects the machine if it tries.)
before=$(state)
t0=$(now_ms)
set +e
(
    # AddressSanitizer reserves terabytes of address space for its shadow
    # memory, so a virtual-memory cap only works on uninstrumented builds.
    [ -n "${BA_UNDER_ASAN:-}" ] || ulimit -v 4000000 2>/dev/null || true
    exec /usr/bin/time -f %M -o "$T/mem" timeout 30 "$BA" --library "$L" ingest --client C-1 \
        --area cheeks --date 2026-03-01 --max-megapixels 100000 "$F/huge.png"
) >"$T/out" 2>"$T/err"
RC=$?
set -e
t1=$(now_ms)
expect_rc "200000x200000 PNG with --max-megapixels 100000" 1
assert_eq "lifted limit: stderr lines" 1 "$(grep -vc '^Command exited' "$T/err")"
assert_contains "lifted limit: names the file" "$T/err" "huge.png"
kb=$(tail -n 1 "$T/mem")
[ "$kb" -lt 200000 ] || fail "lifted limit: expected max RSS < 200000 KB, got $kb KB"
[ $((t1 - t0)) -lt 5000 ] || fail "lifted limit: expected a refusal within 5 s, got $((t1 - t0)) ms"
assert_eq "lifted limit: library state" "$before" "$(state)"
ok "200000x200000 PNG with the limit lifted still fails in $((t1 - t0)) ms, $kb KB: $(grep -v '^Command exited' "$T/err")"

# --- usage errors -----------------------------------------------------------
refused "unknown area" 2 "nosuch-area;cheeks;forehead;glabella" \
    --library "$L" ingest --client C-1 --area nosuch-area --date 2026-03-01 "$F/good2.jpg"
refused "unknown client" 2 "C-404;client" \
    --library "$L" ingest --client C-404 --area cheeks --date 2026-03-01 "$F/good2.jpg"
refused "--date 2026-13-45" 2 "2026-13-45;date" \
    --library "$L" ingest --client C-1 --area cheeks --date 2026-13-45 "$F/good2.jpg"
refused "--date 03/02/2026" 2 "03/02/2026;date" \
    --library "$L" ingest --client C-1 --area cheeks --date 03/02/2026 "$F/good2.jpg"
for d in 2026-02-29 2026-1-5 2026-01-01x 2026-01-01T10:00 ""; do
    refused "--date '$d'" 2 "date" \
        --library "$L" ingest --client C-1 --area cheeks --date "$d" "$F/good2.jpg"
done
refused "no --client" 2 "--client" \
    --library "$L" ingest --area cheeks --date 2026-03-01 "$F/good2.jpg"
refused "no --area" 2 "--area" \
    --library "$L" ingest --client C-1 --date 2026-03-01 "$F/good2.jpg"
refused "bad --stage" 2 "--stage|stage;sideways" \
    --library "$L" ingest --client C-1 --area cheeks --stage sideways --date 2026-03-01 "$F/good2.jpg"
refused "bad --view" 2 "view;upside" \
    --library "$L" ingest --client C-1 --area cheeks --view upside --date 2026-03-01 "$F/good2.jpg"
refused "unknown option" 2 "--frobnicate" \
    --library "$L" ingest --client C-1 --area cheeks --frobnicate "$F/good2.jpg"

# --- no library ---------------------------------------------------------------
run_ba --library "$T/nolib" ingest --client C-1 --area cheeks --date 2026-03-01 "$F/good2.jpg"
expect_rc "ingest into a missing library" 3
assert_eq "missing library: stderr lines" 1 "$(nlines "$T/err")"
assert_contains "missing library: names the folder" "$T/err" "$T/nolib"
[ ! -e "$T/nolib" ] || fail "missing library: expected nothing created at $T/nolib, got $(ls -a "$T/nolib")"
ok "missing library -> exit 3, one line, nothing created: $(cat "$T/err")"

run_ba --library "$F/good2.jpg" ingest --client C-1 --area cheeks --date 2026-03-01 "$F/good2.jpg"
expect_rc "--library pointing at a regular file" 3
assert_eq "library is a file: stderr lines" 1 "$(nlines "$T/err")"
assert_contains "library is a file: names it" "$T/err" "good2.jpg"
ok "--library naming a file -> exit 3: $(cat "$T/err")"

mkdir -p "$T/junk/masters" "$T/junk/tmp"
echo "not a database" >"$T/junk/catalog.db"
run_ba --library "$T/junk" ingest --client C-1 --area cheeks --date 2026-03-01 "$F/good2.jpg"
expect_rc "garbage catalog.db" 3
assert_eq "garbage catalog.db: stderr lines" 1 "$(nlines "$T/err")"
assert_contains "garbage catalog.db: names it" "$T/err" "catalog.db"
assert_eq "garbage catalog.db untouched" "not a database" "$(cat "$T/junk/catalog.db")"
assert_eq "garbage library: masters" 0 "$(nfiles "$T/junk/masters")"
ok "garbage catalog.db -> exit 3, left as it was: $(cat "$T/err")"

# A file name with a newline still gives one stderr line.
nl_name=$(printf 'bad\nname.jpg')
cp "$F/x.jpg" "$F/$nl_name"
refused "file name containing a newline" 1 "bad.name\.jpg;not a" @ingest "$F/$nl_name"

# --- mixed batch: 2 good + 1 bad -----------------------------------------------
before_photos=$(rows "$L" photos)
run_ba --library "$L" --json ingest --client C-1 --area cheeks "$F/good2.jpg" "$F/trunc.jpg" "$F/good3.jpg"
expect_rc "mixed batch (good, bad, good)" 1
statuses=$(json_field status <"$T/out" | tr '\n' ' ')
assert_eq "mixed batch --json statuses" "ingested error ingested " "$statuses"
files=$(json_field file <"$T/out" | sed 's|.*/||' | tr '\n' ' ')
assert_eq "mixed batch --json files" "good2.jpg trunc.jpg good3.jpg " "$files"
ids=$(json_field photo_id <"$T/out" | tr '\n' ' ')
case "$ids" in [0-9]*" null "[0-9]*) ;; *) fail "mixed batch photo_ids: expected 'N null M', got '$ids'" ;; esac
err=$(sed -n 2p "$T/out" | json_field error)
case "$err" in *trunc.jpg*) ;; *) fail "mixed batch: expected the error to name trunc.jpg, got '$err'" ;; esac
assert_eq "mixed batch: stderr lines" 1 "$(nlines "$T/err")"
assert_eq "mixed batch: photo rows" $((before_photos + 2)) "$(rows "$L" photos)"
assert_eq "mixed batch: masters" "$(rows "$L" photos)" "$(nfiles "$L/masters")"
assert_eq "mixed batch: tmp files" 0 "$(nfiles "$L/tmp")"
assert_eq "integrity_check" ok "$(sqlite3 "$L/catalog.db" 'PRAGMA integrity_check;')"
ok "mixed batch -> exit 1, good ones ingested, JSON statuses ingested/error/ingested"

# --- a valid but too-wide image ----------------------------------------------------
# A valid 70000 x 16 PNG (1.1 megapixels, under the limit) cannot become a
# JPEG master (65500 px per side): it must be refused with that cause, not
# called "truncated or corrupt" (an early build decoded it, then reported the
# JPEG encoder's failure as corruption of the PNG).
vips black "$F/wide.png" 70000 16 --bands 3
refused "valid 70000x16 PNG (JPEG master limit 65500 px)" 1 "wide\.png;65500|dimension|too wide|too large|side" \
    @ingest "$F/wide.png"
if grep -qiE "corrupt|truncat" "$T/err"; then
    fail "valid 70000x16 PNG: expected a cause about its size, not corruption, got: $(cat "$T/err")"
fi
ok "valid 70000x16 PNG refused for its size, not as corrupt"
