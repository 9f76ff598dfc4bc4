#!/bin/sh
# The comparison's logo (issue 13, point 7; bug "logo dropped / grey box"):
# - compare --logo stores the logo in the library, content-addressed
#   (logos/ab/<sha>.png, 0600, RGBA, no metadata), and records its hash, not
#   the user's path;
# - a PNG logo with a transparent background leaves the pixels under its
#   transparent part exactly as a render without logo has them (no grey or
#   white box), and its opaque part shows;
# - export re-renders the logo from the library's copy even after the file the
#   user named is gone, with the same pixels as the comparison.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
before_after_library "$L"
B() { "$BA" --library "$L" "$@"; }

# 200 x 100, transparent but for an opaque red block in its middle (50..150 x 25..75);
# with EXIF/XMP text the library must not keep.
$PY - "$F/logo.png" <<'PYEOF'
import sys
from PIL import Image, PngImagePlugin
im = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
for y in range(25, 75):
    for x in range(50, 150):
        im.putpixel((x, y), (255, 0, 0, 255))
info = PngImagePlugin.PngInfo()
info.add_text("Author", "Secret Owner")
im.save(sys.argv[1], pnginfo=info)
PYEOF
cp "$F/logo.png" "$F/logo-kept.png"

CMP="--no-align --label-style none --gutter 0 --width 640"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $CMP -o "$T/plain.png"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $CMP --logo "$F/logo.png" --logo-opacity 1 -o "$T/logo.png"
C=$(json_field comparison_id <"$T/out")

# --- stored in the library, content-addressed ----------------------------------
stored=$(find "$L/logos" -type f -name '*.png')
[ "$(echo "$stored" | wc -l)" = 1 ] && [ -n "$stored" ] || fail "one stored logo expected, got: $stored"
sha=$(basename "$stored" .png)
assert_eq "logo file named by its hash" "$sha" "$(sha256sum "$stored" | cut -c1-64)"
case "$stored" in */logos/$(echo "$sha" | cut -c1-2)/$sha.png) ;; *) fail "logo path $stored" ;; esac
assert_eq "logo mode" 600 "$(stat -c %a "$stored")"
params=$(sqlite3 "$L/catalog.db" "SELECT parameters FROM comparisons WHERE id=$C")
echo "$params" | grep -q "\"sha256\":\"$sha\"" || fail "parameters lack the logo hash: $params"
echo "$params" | grep -q "$F" && fail "parameters name the user's logo path: $params"
exiftool -a -G1 -s "$stored" >"$T/exif"
grep -Eiv "^\[(ExifTool|System|File|PNG|PNG-pHYs|Composite)\]" "$T/exif" && fail "stored logo keeps metadata: $(cat "$T/exif")"
grep -qi "Secret" "$T/exif" && fail "stored logo keeps the author"
$PY -c 'import sys; from PIL import Image; im=Image.open(sys.argv[1]); sys.exit(0 if im.mode=="RGBA" else 1)' "$stored" ||
    fail "stored logo lost its alpha"
ok "the logo is stored as logos/ab/$sha.png (0600, RGBA, no metadata), its hash recorded"

# --- alpha: transparent part leaves pixels unchanged, opaque part shows -------
check_logo() {
    $PY - "$1" "$2" <<'PYEOF'
import sys, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert("RGB")).astype(int)
b = np.asarray(Image.open(sys.argv[2]).convert("RGB")).astype(int)
assert a.shape == b.shape, (a.shape, b.shape)
H, W = a.shape[:2]
tw = max(16, W // 8); s = tw / 200.0; th = round(100 * s)
m = max(4, W // 100)
x0, y0 = W - tw - m, H - th - m
d = np.abs(a - b).max(axis=2)
box = d[y0:y0 + th, x0:x0 + tw].copy()
# the opaque block, with 3 px for the resampling kernel
ix0, ix1 = int(50 * s) - 3, int(150 * s) + 3
iy0, iy1 = int(25 * s) - 3, int(75 * s) + 3
inner = b[y0 + iy0 + 6:y0 + iy1 - 6, x0 + ix0 + 6:x0 + ix1 - 6]
box[iy0:iy1, ix0:ix1] = 0
outside = d.copy(); outside[y0:y0 + th, x0:x0 + tw] = 0
print("transparent-part max diff %d, elsewhere %d, opaque mean RGB %s" %
      (box.max(), outside.max(), inner.reshape(-1, 3).mean(axis=0).round().tolist()))
red = inner[..., 0].mean() > 200 and inner[..., 1].mean() < 60 and inner[..., 2].mean() < 60
sys.exit(0 if box.max() <= 1 and outside.max() == 0 and red else 1)
PYEOF
}
check_logo "$T/plain.png" "$T/logo.png" >"$T/res" || fail "compare logo: $(cat "$T/res")"
ok "compare: $(cat "$T/res")"

# --- export renders it from the library's copy ----------------------------------
rm -f "$F/logo.png"
ba --library "$L" --json export "$C" --purpose clinical --to "$T/ex"
f=$(ls "$T/ex"/*.png)
check_logo "$T/plain.png" "$f" >"$T/res" || fail "export logo: $(cat "$T/res")"
ok "export (user's file removed): $(cat "$T/res")"
grep -q "\"logo\"" "$T/ex/export.json" || fail "export.json does not name the logo"

# A damaged library copy refuses the export, nothing written.
chmod 600 "$stored"
printf 'x' >>"$stored"
run_ba --library "$L" export "$C" --purpose clinical --to "$T/ex2"
expect_rc "export with a damaged logo" 1
assert_contains "damaged logo message" "$T/err" "logo"
[ "$(nfiles "$T/ex2")" = 0 ] || fail "files written despite the damaged logo"
ok "a changed library copy of the logo refuses the export, nothing written"
