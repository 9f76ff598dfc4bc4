#!/bin/sh
# Generate seed corpora for the fuzz targets into fuzz/.corpus/<target>/.
set -eu
cd "$(dirname "$0")/.."
OUT=fuzz/.corpus
PY=/usr/bin/python3
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp/exif" "$OUT.tmp/imgmeta" "$OUT.tmp/manifest" "$OUT.tmp/parsers" "$OUT.tmp/ingest"
T="$OUT.tmp"

# Small images of every accepted format, with and without EXIF.
SRC=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
vips thumbnail "$SRC" "$T/ingest/a.jpg[Q=70]" 48
vips thumbnail "$SRC" "$T/ingest/a.png" 32
vips thumbnail "$SRC" "$T/ingest/a.webp[Q=50]" 32
vips thumbnail "$SRC" "$T/ingest/a.tif" 24
vips thumbnail "$SRC" "$T/ingest/a.heic[Q=30]" 32 2>/dev/null || true
cp "$T/ingest/a.jpg" "$T/ingest/exif.jpg"
exiftool -q -overwrite_original -Orientation#=6 -Make=Canon -Model="EOS R6" \
    -DateTimeOriginal="2026:03:02 10:15:30" -OffsetTimeOriginal=+01:00 -FNumber=2.8 \
    -ExposureTime=1/125 -ISO=400 -Flash#=16 -WhiteBalance#=0 -FocalLength=50 \
    -GPSLatitude=48.1 -GPSLatitudeRef=N -SerialNumber=SN1 "$T/ingest/exif.jpg"
cp "$T/ingest/a.png" "$T/ingest/exif.png"
exiftool -q -overwrite_original -Orientation#=3 -Make=Apple "$T/ingest/exif.png"
# The same files seed the metadata reader; the EXIF blocks alone seed the EXIF reader.
cp "$T/ingest/"* "$T/imgmeta/"
cp "$T/ingest/exif.jpg" "$T/exif/"
$PY - "$T/ingest/exif.jpg" "$T/exif" <<'PYEOF'
import sys, struct
data = open(sys.argv[1], 'rb').read()
i = 2
while i + 4 <= len(data):
    marker, length = data[i + 1], struct.unpack('>H', data[i + 2:i + 4])[0]
    if marker == 0xE1 and data[i + 4:i + 10] == b'Exif\0\0':
        block = data[i + 4:i + 2 + length]
        open(sys.argv[2] + '/app1.bin', 'wb').write(block)
        open(sys.argv[2] + '/tiff.bin', 'wb').write(block[6:])
        open(sys.argv[2] + '/heif.bin', 'wb').write(b'\0\0\0\0' + block)
        break
    i += 2 + length
PYEOF

# Manifests.
printf 'file,client,area,stage,date,view,treatment\na.jpg,C-1,cheeks,before,2026-01-02,frontal,"microneedling, PRP"\n' > "$T/manifest/basic.csv"
printf '\357\273\277client,area,file\r\nC-2,neck,"x\r\ny.jpg"\r\n\r\n' > "$T/manifest/bom.csv"
printf 'file,client\nonly,two\n' > "$T/manifest/missing.csv"

# Dates and landmark points.
printf '2026-01-02' > "$T/parsers/date"
printf '2024-02-29' > "$T/parsers/leap"
printf '410,388 702,391 : 455,402 731,420' > "$T/parsers/points"
printf '1.5,2.5 3,4 5,6 : 7,8 9,10 11,12' > "$T/parsers/points3"
printf 'timeline' > "$T/parsers/layout"

rm -rf "$OUT"
mv "$T" "$OUT"
echo "corpora in $OUT"
