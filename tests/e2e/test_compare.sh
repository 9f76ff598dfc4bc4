#!/bin/sh
# compare, ghost, list --comparisons and batch compare through the binary:
# outputs carry no metadata (exiftool + an independent PNG chunk walk), sizes
# follow the options, refusals are clean, library renders are recorded.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
new_library "$L" C-1 C-2
# A before photo and an after photo of the same scene, moved and brighter.
vips resize "$ASTRO" "$T/big.v" 1.5
vips extract_area "$T/big.v" "$T/before.jpg[Q=95]" 60 40 640 520
vips similarity "$T/big.v" "$T/moved.v" --scale 1.06 --angle 4
vips extract_area "$T/moved.v" "$T/after.jpg[Q=95]" 90 70 640 520
exiftool -q -q -overwrite_original -ExifIFD:Flash#=0 -FocalLengthIn35mmFormat=26 "$T/before.jpg"
exiftool -q -q -overwrite_original -ExifIFD:Flash#=1 -FocalLengthIn35mmFormat=26 -GPSLatitude=48.1 \
    -GPSLatitudeRef=N -Artist="Secret Artist" "$T/after.jpg"
ba --library "$L" ingest --client C-1 --area cheeks --stage before --date 2026-03-02 "$T/before.jpg"
ba --library "$L" ingest --client C-1 --area cheeks --stage after --date 2026-04-13 "$T/after.jpg"
vips flip "$T/before.jpg" "$T/neck.jpg[Q=95]" horizontal
ba --library "$L" ingest --client C-2 --area neck --date 2026-04-13 "$T/neck.jpg"

png_chunks() {
    $PY -c 'import struct,sys
d=open(sys.argv[1],"rb").read(); i=8; seen=[]
while i < len(d):
    n,=struct.unpack(">I",d[i:i+4]); t=d[i+4:i+8].decode("latin1"); i+=12+n
    if t not in seen: seen.append(t)
print(" ".join(sorted(seen)))' "$1"
}
only_structure() { # exiftool lists nothing but file structure
    exiftool -a -G1 -s "$1" | grep -v -E '^\[(System|File|Composite|ExifTool|JFIF|PNG|PNG-pHYs|RIFF)\]' >"$T/leak" || true
    [ ! -s "$T/leak" ] || fail "$1 carries metadata: $(cat "$T/leak")"
}

for ext in png jpg webp; do
    run_ba --library "$L" --json compare 1 2 -o "$T/cmp.$ext" --width 900 --caption "Unretouched photos."
    expect_rc "compare -> $ext" 0
    assert_eq "width of $ext" 900 "$(vipsheader -f width "$T/cmp.$ext")"
    assert_eq "json width" 900 "$(json_field width <"$T/out")"
    assert_eq "aligned" true "$(json_field aligned <"$T/out")"
    only_structure "$T/cmp.$ext"
    ok "compare -> .$ext is 900 px wide and carries only structure tags"
done
assert_eq "PNG chunks" "IDAT IEND IHDR pHYs sRGB" "$(png_chunks "$T/cmp.png")"
ok "PNG holds exactly IHDR, sRGB, pHYs, IDAT, IEND"
# The flash fired in one photo only: a warning, and --strict refuses.
assert_contains "flash warning in --json" "$T/out" "flash"
run_ba --library "$L" compare 1 2 -o "$T/strict.png" --strict
expect_rc "compare --strict with a flash mismatch" 1
[ ! -e "$T/strict.png" ] || fail "--strict refusal still wrote its output"
assert_contains "strict message" "$T/err" "flash"
ok "--strict refuses a flash mismatch and writes nothing"

run_ba --library "$L" compare 1 2 --layout stacked --height 700 --label-style date -o "$T/st.png"
expect_rc "stacked" 0
assert_eq "stacked height" 700 "$(vipsheader -f height "$T/st.png")"
ok "--height sets the canvas height exactly"

rows_before=$(rows "$L" comparisons)
run_ba --library "$L" compare 1 3 -o "$T/mixed.png"
expect_rc "different clients" 1
assert_contains "different clients message" "$T/err" "--force"
[ ! -e "$T/mixed.png" ] || fail "refused comparison wrote a file"
run_ba --library "$L" compare 1 2 --layout mosaic -o "$T/x.png"
expect_rc "unknown layout" 2
run_ba --library "$L" compare 1 2 -o "$T/no/such/dir/x.png"
expect_rc "unwritable output" 1
[ "$(nlines "$T/err")" = 1 ] || fail "unwritable output: expected one stderr line, got $(cat "$T/err")"
assert_contains "unwritable output names the file" "$T/err" "x.png"
run_ba --library "$L" compare 1 2 -o "$T/x.gif"
expect_rc "unknown output format" 2
assert_eq "refusals recorded nothing" "$rows_before" "$(rows "$L" comparisons)"
[ -z "$(find "$T" -name '.*.tmp-*')" ] || fail "temporary output files left behind"
ok "refusals and bad arguments: clear errors, nothing written or recorded"

run_ba --library "$L" --json list --comparisons
expect_rc "list --comparisons" 0
assert_eq "comparisons listed" "$(rows "$L" comparisons)" "$(nlines "$T/out")"
render=$(head -1 "$T/out" | json_field render)
sha=$(head -1 "$T/out" | json_field sha256)
assert_eq "stored render hash" "$sha" "$(sha256sum "$L/$render" | cut -d' ' -f1)"
ok "renders are recorded with a stored copy that hashes to the recorded value"

# Plain files, no library.
run_ba compare "$T/before.jpg" "$T/after.jpg" -o "$T/files.jpg" --label-style none
expect_rc "compare files" 0
only_structure "$T/files.jpg"
ok "plain files compare without a library, no metadata"

run_ba --library "$L" ghost 1 -o "$T/ghost.png" --size 400
expect_rc "ghost" 0
assert_eq "ghost bands" 4 "$(vipsheader -f bands "$T/ghost.png")"
only_structure "$T/ghost.png"
ok "ghost writes an RGBA PNG without metadata"

run_ba --library "$L" batch compare --out "$T/renders" --report "$T/report.jsonl"
expect_rc "batch compare" 0
assert_eq "batch compare renders" 1 "$(find "$T/renders" -name '*.png' | wc -l | tr -d ' ')"
assert_eq "batch compare report" rendered "$(json_field status <"$T/report.jsonl")"
ok "batch compare renders one comparison per client/area with two sessions"
