#!/bin/sh
# `beforeafter serve` under load (issue 14): 8 concurrent uploaders of
# distinct photos and 32 concurrent readers of thumbnails for 30 s over HTTPS
# on loopback; 0 errors, every photo in the catalog exactly once, the access
# log complete, `verify` clean, exit 0 on SIGTERM (tests/e2e/serve_load.py
# holds the steps).  LOAD_SECONDS=N shortens or lengthens the run.
set -eu
. "$(dirname "$0")/lib.sh"

# Distinct photos: 600x600 crops at different offsets of the astronaut
# enlarged to 1024 px (make_jpeg crops $ASTRO), and the real samples.
mkdir -p "$T/photos"
vips resize "$ASTRO" "$T/astro-1024.v" 2 || fail "vips resize"
n=0
for y in 0 84 168 252 336 424; do
    for x in 0 60 120 180 240 300 360 424; do
        n=$((n + 1))
        ASTRO=$T/astro-1024.v make_jpeg "$T/photos/$(printf 'p%02d' $n).jpg" "$x" "$y" 600 600
    done
done
cp "$BA_SOURCE_DIR/samples/before-cheeks.jpg" "$BA_SOURCE_DIR/samples/after-cheeks.jpg" "$T/photos/"
$PY "$E2E_DIR/serve_load.py" "$BA" "$T" "$T/photos" "${LOAD_SECONDS:-30}"
