#!/bin/sh
# Export formats and presets (issue 13, point 7; bugs "1080x1080 with 40 %
# blank, content pinned to the top" and "only full-size PNG"):
# - --preset square|portrait|story gives exactly 1080x1080, 1080x1350,
#   1080x1920 and FILLS it: the rows of pure background at the top and at the
#   bottom are each < 5 % of the height, and the content is centred (its
#   bounding box's centre within 12 px of the canvas's);
# - tall presets stack the panels (the manifest says "stacked");
# - compare --width 1080 --height 1080 centres the content instead of pinning
#   it to the top (regression), and fills the canvas when stacked;
# - --format png|jpg|webp: the file is that format with that extension, the
#   manifest names the encoding and quality (JPEG 90, WebP 85), and exiftool
#   finds no EXIF/XMP/IPTC/ICC/text in any of them; sizes are printed;
# - --width W [--height H]; bad combinations are usage errors that write nothing.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
before_after_library "$L"
B() { "$BA" --library "$L" "$@"; }
ba --library "$L" --json compare 1 2 --no-align --caption "Individual results vary" -o "$T/c.png"
C=$(json_field comparison_id <"$T/out")

# fill IMAGE W H: checks size, blank rows top/bottom < 5 %, bbox centred.
fill() {
    $PY - "$@" <<'PYEOF'
import sys, numpy as np
from PIL import Image
path, W, H = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = np.asarray(Image.open(path).convert("RGB")).astype(int)
h, w = a.shape[:2]
if (w, h) != (W, H):
    print("size %dx%d, not %dx%d" % (w, h, W, H)); sys.exit(1)
bg = np.array([255, 255, 255])
# lossy formats: "background" within 6 levels of white
content = np.abs(a - bg).max(axis=2) > 6
rows = np.where(content.any(axis=1))[0]
cols = np.where(content.any(axis=0))[0]
top, bottom = rows[0], h - 1 - rows[-1]
left, right = cols[0], w - 1 - cols[-1]
cy, cx = (rows[0] + rows[-1]) / 2 - (h - 1) / 2, (cols[0] + cols[-1]) / 2 - (w - 1) / 2
print("%s: blank top %d, bottom %d rows (%.1f%%, %.1f%%), left %d, right %d; centre off by %.0f,%.0f px"
      % (path.split("/")[-1], top, bottom, 100.0 * top / h, 100.0 * bottom / h, left, right, cx, cy))
ok = top < 0.05 * h and bottom < 0.05 * h and abs(cx) <= 12 and abs(cy) <= 12
sys.exit(0 if ok else 1)
PYEOF
}

# --- presets fill their canvas --------------------------------------------------
for p in square:1080:1080 portrait:1080:1350 story:1080:1920; do
    name=${p%%:*}
    rest=${p#*:}
    w=${rest%%:*}
    h=${rest#*:}
    ba --library "$L" --json export "$C" --purpose clinical --to "$T/p-$name" --preset "$name"
    f=$(ls "$T/p-$name"/*.png)
    fill "$f" "$w" "$h" >"$T/res" || fail "preset $name: $(cat "$T/res")"
    ok "preset $name ${w}x$h: $(cat "$T/res")"
done
grep -q '"layout" *: *"stacked"' "$T/p-story/export.json" || fail "story is not stacked"
grep -q '"layout" *: *"stacked"' "$T/p-portrait/export.json" || fail "portrait is not stacked"
grep -q '"width" *: *1080' "$T/p-story/export.json" || fail "manifest lacks the width"
ok "tall presets stack the panels (export.json: layout stacked)"

# --- compare on a fixed canvas: centred (regression), filled when stacked ------
ba --library "$L" compare 1 2 --no-align --layout stacked --width 1080 --height 1080 -o "$T/sq-stacked.png"
fill "$T/sq-stacked.png" 1080 1080 >"$T/res" || fail "compare stacked 1080x1080: $(cat "$T/res")"
ok "compare --layout stacked 1080x1080: $(cat "$T/res")"
ba --library "$L" compare 1 2 --no-align --width 1080 --height 1080 -o "$T/sq-side.png"
$PY - "$T/sq-side.png" <<'PYEOF' >"$T/res" || fail "compare side-by-side 1080x1080 not centred: $(cat "$T/res")"
import sys, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert("RGB")).astype(int)
rows = np.where((np.abs(a - 255).max(axis=2) > 0).any(axis=1))[0]
top, bottom = rows[0], a.shape[0] - 1 - rows[-1]
print("blank top %d, bottom %d" % (top, bottom))
sys.exit(0 if abs(top - bottom) <= 0.05 * a.shape[0] and top > 0 else 1)
PYEOF
ok "compare side by side 1080x1080: centred, not pinned to the top ($(cat "$T/res"))"

# --- formats: type, extension, quality, no metadata -------------------------------
for fmt in png jpg webp; do
    ba --library "$L" --json export "$C" --purpose clinical --to "$T/f-$fmt" --format "$fmt" \
        --preset square
    f=$(ls "$T/f-$fmt"/*-1.*)
    case "$f" in *."$fmt") ;; *) fail "format $fmt: file $f" ;; esac
    grep -q "\"files\":\[\"[0-9]*-1.$fmt\"\]" "$T/out" || fail "--json files for $fmt: $(cat "$T/out")"
    kind=$($PY -c 'import sys; from PIL import Image; print(Image.open(sys.argv[1]).format)' "$f")
    want=$(echo "$fmt" | sed 's/jpg/JPEG/;s/png/PNG/;s/webp/WEBP/')
    assert_eq "format of $f" "$want" "$kind"
    exiftool -a -G1 -s "$f" >"$T/exif"
    if grep -Ev '^\[(ExifTool|System|File|PNG|PNG-pHYs|RIFF|Composite)\]' "$T/exif"; then
        fail "$fmt export carries metadata"
    fi
    grep -v '^\[ExifTool\]' "$T/exif" | grep -Eq 'Exif|XMP|IPTC|ICC|Profile|Comment' && fail "$fmt: metadata tag"
    fill "$f" 1080 1080 >"$T/res" || fail "format $fmt fill: $(cat "$T/res")"
    echo "  $fmt: $(stat -c %s "$f") bytes"
done
grep -q '"quality" *: *90' "$T/f-jpg/export.json" || fail "manifest: JPEG quality 90"
grep -q '"quality" *: *85' "$T/f-webp/export.json" || fail "manifest: WebP quality 85"
grep -q 'JPEG' "$T/f-jpg/export.json" || fail "manifest: JPEG encode"
[ "$(stat -c %s "$T/f-jpg"/*.jpg)" -lt "$(stat -c %s "$T/f-png"/*.png)" ] || fail "JPEG not smaller than PNG"
ok "png, jpg (q90), webp (q85): extension, format, no metadata (exiftool), manifest names the encoding"

# --- width and height ---------------------------------------------------------------
ba --library "$L" export "$C" --purpose clinical --to "$T/w" --width 800 --format jpg
assert_eq "width 800" 800 "$($PY -c 'import sys; from PIL import Image; print(Image.open(sys.argv[1]).size[0])' "$T/w"/*.jpg)"
ba --library "$L" export "$C" --purpose clinical --to "$T/wh" --width 600 --height 900
fill "$T/wh"/*.png 600 900 >"$T/res" || fail "600x900: $(cat "$T/res")"
ok "--width 800 and --width 600 --height 900: $(cat "$T/res")"

# --- bad combinations: usage errors, nothing written --------------------------------
for args in "--preset square --width 500" "--preset banner" "--height 500" "--format tiff" \
    "--width 999999"; do
    # shellcheck disable=SC2086
    run_ba --library "$L" export "$C" --purpose clinical --to "$T/bad" $args
    expect_rc "export $args" 2
    [ "$(nfiles "$T/bad")" = 0 ] || fail "export $args wrote files"
done
ok "a preset with a size, an unknown preset or format, a height alone, a huge width: exit 2, nothing written"
