#!/bin/sh
# Invariant 1, "no metadata leaves": photos carrying EXIF GPS, serial numbers,
# owner/artist names, XMP, IPTC, an EXIF thumbnail, a JPEG comment, an ICC
# profile and PNG text/eXIf chunks are ingested; every master must list only
# file-structure tags in exiftool, hold none of the secrets in its bytes, and
# the catalog must hold none of them either -- while the camera make/model
# and capture date that are meant to be kept are kept.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-1

xt() { exiftool -q -q -m -overwrite_original "$@" || fail "exiftool could not write $*"; }

# The secrets.  Coordinates are distinctive decimals so that any rendering of
# them (decimal degrees, D M S, decimal minutes) can be searched for.
OWNER="Dr Secret Owner"
SERIAL="SN-7781-SECRETSERIAL"
BODY="BODY-5544-SECRETBODY"
LENSSN="LENS-3322-SECRETLENS"
CITY="Secretville"
# GPS: 43.296482 N 5.369780 E, altitude 1234.5 m  (43 deg 17' 47.335")
# XMP GPS: 48.858370 N 2.294481 E ; PNG comment GPS: 45.764043, 4.835659
SECRETS="Secret|SN-7781|BODY-5544|LENS-3322|$CITY|43.296|5.3697|47.33|17.788|1234.5|48.858|2.29448|45.764|4.8356"

exif_args() { # FILE DATE
    cat >"$1" <<EOF
-IFD0:Make=Canon
-IFD0:Model=EOS R5 Test
-IFD0:Artist=$OWNER
-IFD0:Copyright=(c) $OWNER
-IFD0:ImageDescription=Patient Jane Secret
-IFD0:CameraSerialNumber=$SERIAL
-ExifIFD:DateTimeOriginal=$2
-ExifIFD:OffsetTimeOriginal=+02:00
-ExifIFD:OwnerName=$OWNER
-ExifIFD:SerialNumber=$BODY
-ExifIFD:LensSerialNumber=$LENSSN
-ExifIFD:UserComment=$OWNER at $CITY
-ExifIFD:FocalLength=50
-ExifIFD:FNumber=2.8
-ExifIFD:ISO=200
-GPS:GPSLatitude=43.296482
-GPS:GPSLatitudeRef=N
-GPS:GPSLongitude=5.369780
-GPS:GPSLongitudeRef=E
-GPS:GPSAltitude=1234.5
-GPS:GPSAltitudeRef=Above Sea Level
EOF
}
xmp_args() {
    cat >"$1" <<EOF
-XMP-dc:Creator=$OWNER
-XMP-dc:Rights=(c) $OWNER
-XMP-photoshop:City=$CITY
-XMP-aux:SerialNumber=$SERIAL
-XMP-exif:GPSLatitude=48.858370 N
-XMP-exif:GPSLongitude=2.294481 E
EOF
}
iptc_args() {
    cat >"$1" <<EOF
-IPTC:By-line=$OWNER
-IPTC:City=$CITY
-IPTC:Caption-Abstract=Patient Jane Secret
-IPTC:Keywords=$SERIAL
EOF
}
exif_args "$T/exif1.args" "2025:07:14 09:30:00"
xmp_args "$T/xmp.args"
iptc_args "$T/iptc.args"

# --- fixtures ---------------------------------------------------------------
# JPEG: everything, plus a Display P3 ICC profile, an EXIF thumbnail, a comment.
vips crop "$ASTRO" "$T/crop.png" 40 30 360 270
vips icc_transform "$T/crop.png" "$F/m-jpeg.jpg" p3 --input-profile srgb
vips thumbnail "$T/crop.png" "$T/thumb.jpg" 96
xt -@ "$T/exif1.args" -@ "$T/xmp.args" -@ "$T/iptc.args" \
    "-Comment=$OWNER, GPS 45.764043, 4.835659" "-ThumbnailImage<=$T/thumb.jpg" "$F/m-jpeg.jpg"

# PNG: tEXt (Author, Comment with a GPS position), iTXt (non-Latin-1 text and
# XMP) and an eXIf chunk with GPS.
vips crop "$ASTRO" "$F/m-png.png[strip]" 50 40 360 270
exif_args "$T/exif2.args" "2025:07:15 10:00:00"
xt -@ "$T/exif2.args" -@ "$T/xmp.args" "-PNG:Author=$OWNER" \
    "-PNG:Comment=GPS 45.764043, 4.835659" "-PNG:Description=$OWNER ✓ photographed in $CITY" \
    "$F/m-png.png"
chunks=$($PY - "$F/m-png.png" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
i, seen = 8, []
while i + 8 <= len(d):
    n, t = struct.unpack('>I4s', d[i:i+8]); seen.append(t.decode('latin1')); i += 12 + n
print(' '.join(sorted(set(seen))))
EOF
)
for c in tEXt iTXt eXIf; do
    case " $chunks " in *" $c "*) ;; *) fail "fixture PNG: expected a $c chunk, got chunks: $chunks" ;; esac
done
ok "fixture PNG carries tEXt, iTXt and eXIf chunks ($chunks)"

# WebP, TIFF, HEIC with EXIF GPS (+ XMP where exiftool can write it).
fmt_list="jpeg png"
n=3
for ext in webp tif heic; do
    vips crop "$ASTRO" "$T/c$n.png" $((n * 10)) $((n * 7)) 360 270
    if ! vips copy "$T/c$n.png" "$F/m-${ext}.${ext}[strip]" 2>"$T/vips.err"; then
        echo "# SKIP $ext: vips cannot write it: $(head -1 "$T/vips.err")"
        continue
    fi
    exif_args "$T/exif$n.args" "2025:07:1$n 11:00:00"
    if ! exiftool -q -q -m -overwrite_original -@ "$T/exif$n.args" -@ "$T/xmp.args" \
        "$F/m-$ext.$ext" 2>"$T/xt.err"; then
        echo "# SKIP $ext: exiftool cannot write its metadata: $(head -1 "$T/xt.err")"
        rm -f "$F/m-$ext.$ext"
        continue
    fi
    exiftool -s -s -s -GPS:GPSLatitude "$F/m-$ext.$ext" | grep -q 43 ||
        fail "fixture $ext: exiftool wrote no GPS latitude"
    fmt_list="$fmt_list $ext"
    n=$((n + 1))
done
ok "fixtures written with EXIF GPS/serial/owner + XMP: $fmt_list"

# Every fixture really carries the secrets (or the test proves nothing).
for f in "$F"/*; do
    exiftool -a -G1 -s "$f" >"$T/fx.txt"
    assert_contains "fixture $(basename "$f") has GPS" "$T/fx.txt" "[GPS]"
    assert_contains "fixture $(basename "$f") has the owner" "$T/fx.txt" "$OWNER"
    assert_contains "fixture $(basename "$f") has the serial" "$T/fx.txt" "$SERIAL"
done
exiftool -a -G1 -s "$F/m-jpeg.jpg" >"$T/fx.txt"
for g in "[IPTC]" "[XMP-dc]" "[IFD1]" "ThumbnailImage" "[ICC_Profile]" "Comment"; do
    assert_contains "fixture JPEG carries $g" "$T/fx.txt" "$g"
done
ok "fixtures carry GPS, owner, serial (+ JPEG: IPTC, XMP, thumbnail, ICC, comment)"

# --- ingest -----------------------------------------------------------------
nfix=$(ls "$F" | wc -l | tr -d ' ')
run_ba --library "$L" --json ingest --client C-1 --area cheeks "$F"/*
expect_rc "ingest of $nfix metadata-laden photos" 0
ningested=$(grep -c '"status" *: *"ingested"' "$T/out" || true)
assert_eq "ingested results" "$nfix" "$ningested"
assert_eq "photo rows" "$nfix" "$(rows "$L" photos)"
assert_eq "master files" "$nfix" "$(nfiles "$L/masters")"
ok "$nfix photos ingested ($fmt_list), one master each"

# --- masters: exiftool sees only file structure ------------------------------
for m in $(find "$L/masters" -type f); do
    bad=$(metadata_tags "$m")
    [ -z "$bad" ] || fail "master $(basename "$m"): expected only file-structure tags, got: $bad"
    if grep -aqE "$SECRETS|Canon|EOS R5" "$m"; then
        fail "master $(basename "$m"): expected none of the secrets in its bytes, got: $(grep -aoE "$SECRETS|Canon|EOS R5" "$m" | head -3)"
    fi
done
ok "every master lists only System/File/Composite/ExifTool/JFIF tags and holds no secret bytes"

# --- catalog: no GPS, serial, owner ------------------------------------------
sqlite3 "$L/catalog.db" .dump >"$T/dump.sql"
if grep -qiE "$SECRETS" "$T/dump.sql"; then
    fail "catalog dump: expected no GPS/serial/owner/city, got: $(grep -oiE ".{0,30}($SECRETS).{0,30}" "$T/dump.sql" | head -3)"
fi
for s in "$OWNER" "$SERIAL" "$BODY" "$LENSSN" "$CITY" "Patient Jane"; do
    assert_not_contains "catalog dump" "$T/dump.sql" "$s"
done
# The WAL and any other file in the library folder (not only the .dump view).
for f in "$L"/catalog.db*; do
    if grep -aqE "$SECRETS" "$f"; then
        fail "$(basename "$f"): expected no secrets in the raw file, got: $(grep -aoE "$SECRETS" "$f" | head -3)"
    fi
done
ok "catalog (dump and raw db/wal files) holds none of GPS, serials, owner, city"

# --- what is kept: camera, capture date ---------------------------------------
ids=$(sqlite3 "$L/catalog.db" "SELECT id FROM photos ORDER BY id;")
for id in $ids; do
    ba --library "$L" show "$id" --json
    name=$(json_field original_name <"$T/out")
    assert_eq "show $id ($name) camera_make" "Canon" "$(json_field camera_make <"$T/out")"
    assert_eq "show $id ($name) camera_model" "EOS R5 Test" "$(json_field camera_model <"$T/out")"
    cap=$(json_field captured_at <"$T/out")
    case "$cap" in
        2025-07-1[1-9]T*) ;;
        *) fail "show $id ($name) captured_at: expected 2025-07-1xT..., got '$cap'" ;;
    esac
    sd=$(json_field session_date <"$T/out")
    assert_eq "show $id ($name) session_date from EXIF" "${cap%%T*}" "$sd"
    case "$name" in
        m-jpeg.jpg) assert_eq "show $id captured_at" "2025-07-14T09:30:00" "$cap"
                    assert_eq "show $id iso" "200" "$(json_field iso <"$T/out")" ;;
        m-png.png) assert_eq "show $id captured_at" "2025-07-15T10:00:00" "$cap" ;;
    esac
    # and the JSON itself leaks nothing
    if grep -qE "$SECRETS" "$T/out"; then fail "show $id --json: expected no secret, got: $(cat "$T/out")"; fi
done
ok "show --json keeps camera make/model and capture date for every format"
