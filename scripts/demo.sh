#!/bin/sh
# Install dependencies, build, and run the demo: a library in ./demo holding
# the sample photos, listed, and proof that their GPS, serial and owner are gone.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
BA="$PWD/build/beforeafter"
LIB="$PWD/demo"
# Outputs go outside the library: no output path may resolve into one.
OUT="$PWD/demo-out"

rm -rf "$LIB" "$OUT"
mkdir -p "$OUT"
echo "== a new library in ./demo"
"$BA" --library "$LIB" init
"$BA" --library "$LIB" client add C-0042 --name "Demo Client"

echo
echo "== ingest samples/ from its manifest (clients, areas, stages, dates per row)"
"$BA" --library "$LIB" batch ingest samples/manifest.csv --jobs 2

echo
echo "== what the catalog holds"
"$BA" --library "$LIB" list
echo
"$BA" --library "$LIB" show 1

echo
echo "== privacy: what the original sample carries (exiftool)"
exiftool -s -GPSPosition -SerialNumber -OwnerName -Artist -Orientation samples/before-cheeks.jpg
master=$("$BA" --library "$LIB" --json show 1 | sed -n 's/.*"master":"\([^"]*\)".*/\1/p')
echo
echo "== and what its master carries (exiftool -a -G1 $master):"
exiftool -a -G1 -s "$LIB/$master" | grep -v -E '^\[(System|File|Composite|ExifTool)\]' || true
echo "(nothing above this line but file-structure tags: no EXIF, GPS, serial, XMP, IPTC, ICC)"
if exiftool -s -GPSPosition -SerialNumber -OwnerName "$LIB/$master" | grep -q .; then
    echo "demo: metadata leaked into $master" >&2
    exit 1
fi
echo
echo "== the catalog holds no GPS, serial or owner either:"
if sqlite3 "$LIB/catalog.db" .dump | grep -i -E 'SN-4242|Example Owner|GPS'; then
    echo "demo: private data found in the catalog" >&2
    exit 1
fi
echo "sqlite3 catalog.db .dump: no GPS, serial number or owner name"
echo
echo "== aligned comparisons of the cheeks: first vs last session, and the timeline"
"$BA" --library "$LIB" compare --client C-0042 --area cheeks --first --last -o "$OUT/cheeks.png" \
    --caption "Individual results may vary. Unretouched photos."
"$BA" --library "$LIB" compare --client C-0042 --area cheeks --layout timeline -o "$OUT/timeline.jpg"
echo
"$BA" --library "$LIB" verify

echo
echo "== accounts for the web app: a provider and a marketing user (random passwords)"
pw() { od -An -N15 -tx1 /dev/urandom | tr -d ' \n'; }
PROVIDER_PW=$(pw)
MARKETING_PW=$(pw)
printf '%s\n' "$PROVIDER_PW" | "$BA" --library "$LIB" user add provider --role provider --password-stdin
printf '%s\n' "$MARKETING_PW" | "$BA" --library "$LIB" user add marketing --role marketing --password-stdin
# The certificate the server will use (self-signed, made now if there is none):
# its fingerprint is what people compare with the browser's before trusting it.
fp=$("$BA" --library "$LIB" serve --print-fingerprint)
[ -n "$fp" ] || { echo "demo: serve did not print its fingerprint" >&2; exit 1; }
echo
echo "== the web app"
echo "  provider  / $PROVIDER_PW   (capture, clients, compare, consent)"
echo "  marketing / $MARKETING_PW   (consented comparisons, marketing exports)"
echo "  start it:  build/beforeafter --library demo serve"
echo "  open:      https://127.0.0.1:8443/"
echo "  the browser will warn about the self-signed certificate; trust it only if it shows"
echo "  SHA-256 fingerprint $fp"
