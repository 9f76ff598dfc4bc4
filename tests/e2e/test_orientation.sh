#!/bin/sh
# Invariant 2, "upright": one non-square scene stored with each of the eight
# EXIF orientations -- the pixels stored with the inverse transform so that
# every file *displays* identically -- must give masters with the same size
# and the same pixels as the orientation-1 master (JPEG: PSNR >= 40 dB; PNG
# with an eXIf orientation, lossless: identical pixels).
#
# EXIF orientation N says how to transform the stored pixels for display
# (TIFF/EXIF 2.32, tag 0x0112: where row 0 / column 0 of the stored image are):
#   1 row0=top    col0=left    stored = U
#   2 row0=top    col0=right   stored = fliplr(U)        (display: mirror)
#   3 row0=bottom col0=right   stored = rot180(U)
#   4 row0=bottom col0=left    stored = flipud(U)
#   5 row0=left   col0=top     stored = transpose(U)
#   6 row0=right  col0=top     stored = U rotated 90 CCW (display: rotate 90 CW)
#   7 row0=right  col0=bottom  stored = transverse(U) = rot180(transpose(U))
#   8 row0=left   col0=bottom  stored = U rotated 90 CW  (display: rotate 90 CCW)
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-1

# U: the astronaut at 400x304 (non-square; multiples of 8 so that JPEG blocks
# map onto blocks under every flip/rotation).  JPEG sources at quality 100,
# 4:4:4; PNG sources lossless with an eXIf chunk.  Pillow writes the EXIF.
$PY - "$ASTRO" "$F" <<'EOF' || fail "generating the orientation fixtures"
import sys, numpy as np
from PIL import Image
from skimage import io, transform
src, out = sys.argv[1], sys.argv[2]
U = transform.resize(io.imread(src)[56:56 + 389, :, :3], (304, 400), anti_aliasing=True)
U = (U * 255).round().astype(np.uint8)
stored = {
    1: U,
    2: np.fliplr(U),
    3: np.rot90(U, 2),
    4: np.flipud(U),
    5: np.transpose(U, (1, 0, 2)),
    6: np.rot90(U, 1),    # counter-clockwise
    7: np.rot90(np.transpose(U, (1, 0, 2)), 2),
    8: np.rot90(U, -1),   # clockwise
}
# Self-check of the mapping against the spec's "row 0 / column 0" wording.
H, W = U.shape[:2]
assert (stored[5][0] == U[:, 0]).all() and (stored[5][:, 0] == U[0]).all()          # left / top
assert (stored[6][0] == U[:, -1]).all() and (stored[6][:, 0] == U[0, ::-1]).all()   # right / top
assert (stored[7][0] == U[::-1, -1]).all() and (stored[7][:, 0] == U[-1, ::-1]).all()  # right / bottom
assert (stored[8][0] == U[::-1, 0]).all() and (stored[8][:, 0] == U[-1]).all()      # left / bottom
io.imsave(out + '/../upright.png', U, check_contrast=False)
for n, a in stored.items():
    a = np.ascontiguousarray(a)
    im = Image.fromarray(a)
    ex = Image.Exif()
    ex[0x0112] = n
    ex[0x010F] = 'TestMake'
    im.save('%s/o%d.jpg' % (out, n), quality=100, subsampling=0, exif=ex.tobytes())
    im.save('%s/p%d.png' % (out, n), exif=ex.tobytes())
EOF

for n in 1 2 3 4 5 6 7 8; do
    got=$(exiftool -s -s -s -n -Orientation "$F/o$n.jpg")
    assert_eq "fixture o$n.jpg EXIF Orientation" "$n" "$got"
    got=$(exiftool -s -s -s -n -Orientation "$F/p$n.png")
    assert_eq "fixture p$n.png eXIf Orientation" "$n" "$got"
done
# The fixtures differ as stored (otherwise the test would prove nothing).
for n in 2 3 4; do
    p=$(psnr "$F/o1.jpg" "$F/o$n.jpg")
    case "$p" in inf | size*) fail "fixture o$n.jpg: expected stored pixels different from o1, got PSNR $p" ;; esac
    [ "$(echo "$p < 25" | bc)" = 1 ] || fail "fixture o$n.jpg: expected stored pixels far from o1 (PSNR < 25), got $p"
done
ok "16 fixtures (8 JPEG + 8 PNG/eXIf) with orientations 1..8, stored pixels transformed"

# Ingest the eight JPEGs, then the eight PNGs.  Identical master bytes make a
# later file a "duplicate" of an earlier one: accepted, it still has a master.
masters_of() { # KIND -> lines "file master status photo_id" in $T/$KIND.res
    $PY -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l); print(o["file"].rsplit("/",1)[-1], o.get("master","-"), o["status"], o.get("photo_id","-"))' \
        <"$T/out" >"$T/$1.res"
}
run_ba --library "$L" --json ingest --client C-1 --area cheeks --date 2026-01-10 \
    "$F"/o1.jpg "$F"/o2.jpg "$F"/o3.jpg "$F"/o4.jpg "$F"/o5.jpg "$F"/o6.jpg "$F"/o7.jpg "$F"/o8.jpg
expect_rc "ingest of the 8 oriented JPEGs" 0
masters_of jpg
run_ba --library "$L" --json ingest --client C-1 --area cheeks --date 2026-01-11 \
    "$F"/p1.png "$F"/p2.png "$F"/p3.png "$F"/p4.png "$F"/p5.png "$F"/p6.png "$F"/p7.png "$F"/p8.png
expect_rc "ingest of the 8 oriented PNGs" 0
masters_of png
cat "$T/jpg.res" "$T/png.res" >"$T/all.res"
assert_eq "result lines" 16 "$(nlines "$T/all.res")"
while read -r file master status id; do
    case "$status" in ingested | duplicate) ;; *) fail "$file: expected ingested or duplicate, got $status" ;; esac
    [ -f "$L/$master" ] || fail "$file: expected its master $master on disk, got none"
done <"$T/all.res"
nrows=$(rows "$L" photos)
nmasters=$(nfiles "$L/masters")
assert_eq "master files = photo rows" "$nrows" "$nmasters"
ok "16 files ingested or duplicate, each with a master on disk ($nrows photos, $nmasters masters)"

# Orientation recorded for the JPEGs that made their own row.
while read -r file master status id; do
    [ "$status" = ingested ] || continue
    n=${file#o}
    n=${n%.jpg}
    ba --library "$L" show "$id" --json
    assert_eq "show $id ($file) orientation" "$n" "$(json_field orientation <"$T/out")"
    w=$(json_field width <"$T/out")
    h=$(json_field height <"$T/out")
    assert_eq "show $id ($file) size" "400x304" "${w}x${h}"
done <"$T/jpg.res"
ok "catalog records each JPEG's EXIF orientation and the upright 400x304 size"

ref_jpg=$L/$(awk '$1 == "o1.jpg" { print $2 }' "$T/jpg.res")
ref_png=$L/$(awk '$1 == "p1.png" { print $2 }' "$T/png.res")
p=$(psnr "$T/upright.png" "$ref_jpg")
case "$p" in size*) fail "o1 master vs the upright scene: expected same size, got $p" ;; esac
[ "$p" = inf ] || [ "$(echo "$p >= 40" | bc)" = 1 ] || fail "o1 master vs upright scene: expected PSNR >= 40, got $p"
ok "orientation-1 JPEG master matches the scene (PSNR $p dB)"

while read -r file master status id; do
    p=$(psnr "$ref_jpg" "$L/$master")
    case "$p" in size*) fail "$file master vs o1 master: expected the same size, got $p" ;; esac
    [ "$p" = inf ] || [ "$(echo "$p >= 40" | bc)" = 1 ] ||
        fail "$file master vs o1 master: expected PSNR >= 40 dB, got $p dB"
    ok "$file ($status) master = o1 master (PSNR $p dB)"
done <"$T/jpg.res"

while read -r file master status id; do
    p=$(psnr "$ref_png" "$L/$master")
    assert_eq "$file master vs p1 master (lossless source): PSNR" inf "$p"
    ok "$file ($status) master pixels identical to p1 master"
done <"$T/png.res"
p=$(psnr "$ref_png" "$ref_jpg")
case "$p" in size*) fail "p1 master vs o1 master: expected same size, got $p" ;; esac
[ "$p" = inf ] || [ "$(echo "$p >= 40" | bc)" = 1 ] || fail "p1 master vs o1 master: expected PSNR >= 40, got $p"
ok "PNG and JPEG masters of the scene agree (PSNR $p dB)"
