#!/bin/sh
# `kill -9` of `beforeafter serve` during uploads, 5 times, restarting it on
# the same library (issue 14): every upload answered 2xx is in the catalog,
# nothing is half there (masters present and hashing right, none stray,
# LIBRARY/tmp clean of the dead servers' files), `verify` clean
# (tests/e2e/serve_kill.py holds the steps).  KILLS=N changes the count.
set -eu
. "$(dirname "$0")/lib.sh"

# Distinct photos: 400x400 crops at different offsets of the astronaut
# enlarged to 1024 px (make_jpeg crops $ASTRO).
mkdir -p "$T/photos"
vips resize "$ASTRO" "$T/astro-1024.v" 2 || fail "vips resize"
n=0
for y in 0 89 178 267 356 445 534 624; do
    for x in 0 89 178 267 356 445 534 624; do
        n=$((n + 1))
        ASTRO=$T/astro-1024.v make_jpeg "$T/photos/$(printf 'k%02d' $n).jpg" "$x" "$y" 400 400
    done
done
$PY "$E2E_DIR/serve_kill.py" "$BA" "$T" "$T/photos" "${KILLS:-5}"
