# Shared helpers for the end-to-end tests of the beforeafter binary.
# Sourced (POSIX sh / dash) by every tests/e2e/test_*.sh:
#
#   . "$(dirname "$0")/lib.sh"
#
# Environment: BA (the binary; default $BA_SOURCE_DIR/build/beforeafter, else
# ../../build/beforeafter relative to this folder), BA_SOURCE_DIR (repo root).
# Gives: $T (a private temp dir, removed on exit), fail/ok/assert_* helpers,
# run_ba (captures stdout/stderr/exit code without tripping set -e), fixture
# generators (jpeg from the public-domain skimage astronaut) and catalog counts.

E2E_DIR=$(cd "$(dirname "$0")" && pwd)
: "${BA_SOURCE_DIR:=$(cd "$E2E_DIR/../.." && pwd)}"
if [ -z "${BA:-}" ]; then
    if [ -x "$BA_SOURCE_DIR/build/beforeafter" ]; then
        BA=$BA_SOURCE_DIR/build/beforeafter
    else
        BA=$E2E_DIR/../../build/beforeafter
    fi
fi
[ -x "$BA" ] || { echo "FAIL: binary not found or not executable: $BA (set BA=...)"; exit 1; }

# The system python with numpy + scikit-image (not the pyenv one on PATH).
PY=/usr/bin/python3
SKDATA=${SKIMAGE_DATA:-/usr/lib/python3/dist-packages/skimage/data}
ASTRO=$SKDATA/astronaut.png
[ -r "$ASTRO" ] || { echo "FAIL: fixture source $ASTRO missing (python3-skimage)"; exit 1; }

export VIPS_WARNING=0
export MAGICK_THREAD_LIMIT=1
unset BEFOREAFTER_LIBRARY || true

T=$(mktemp -d "${TMPDIR:-/tmp}/ba-e2e.XXXXXX")
# shellcheck disable=SC2064
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*"
    exit 1
}
ok() { echo "ok - $*"; }

# assert_eq WHAT EXPECTED GOT
assert_eq() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
# assert_contains WHAT FILE STRING (fixed string, case-insensitive)
assert_contains() {
    grep -qiF -- "$3" "$2" || fail "$1: expected '$3' in $(basename "$2"), got: $(head -c 600 "$2")"
}
# assert_not_contains WHAT FILE STRING
assert_not_contains() {
    if grep -qiF -- "$3" "$2"; then
        fail "$1: expected no '$3', got: $(grep -iF -- "$3" "$2" | head -3)"
    fi
}

# run_ba ARGS...: runs "$BA" ARGS with stdout in $T/out, stderr in $T/err,
# exit code in $RC; never aborts the script.
run_ba() {
    set +e
    "$BA" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
}
# expect_rc WHAT CODE: after run_ba, the exit code must be CODE (and < 128).
expect_rc() {
    [ "$RC" -lt 128 ] || fail "$1: crashed (exit $RC); stderr: $(head -c 600 "$T/err")"
    [ "$RC" = "$2" ] || fail "$1: expected exit $2, got $RC; stderr: $(head -c 600 "$T/err")"
}
# ba ARGS...: run and require exit 0.
ba() {
    run_ba "$@"
    expect_rc "beforeafter $*" 0
}

# Counting.
rows() { sqlite3 "$1/catalog.db" "SELECT count(*) FROM $2;"; }
nfiles() { if [ -d "$1" ]; then find "$1" -type f | wc -l | tr -d ' '; else echo 0; fi; }
nlines() { wc -l <"$1" | tr -d ' '; }

# new_library DIR [CLIENT...]: init + clients (default C-1).
new_library() {
    lib=$1
    shift
    "$BA" --library "$lib" -q init >/dev/null || fail "init $lib"
    [ $# -gt 0 ] || set -- C-1
    for c in "$@"; do
        "$BA" --library "$lib" -q client add "$c" >/dev/null || fail "client add $c"
    done
}

# before_after_library DIR: new_library DIR, then photo 1 (before, 2026-01-10) and
# photo 2 (after, 2026-03-10) of C-1's cheeks, two slightly shifted astronaut crops.
before_after_library() {
    new_library "$1"
    make_jpeg "$T/ba-before.jpg" 100 50 320 240 "2026:01:10 10:00:00"
    make_jpeg "$T/ba-after.jpg" 104 52 320 240 "2026:03:10 10:00:00"
    "$BA" --library "$1" -q ingest --client C-1 --area cheeks --stage before "$T/ba-before.jpg" \
        >/dev/null || fail "ingest before into $1"
    "$BA" --library "$1" -q ingest --client C-1 --area cheeks --stage after "$T/ba-after.jpg" \
        >/dev/null || fail "ingest after into $1"
}

# JSON field of a one-line object (numbers, strings, true/false/null).
json_field() {
    # json_field FIELD < line
    $PY -c 'import json,sys
f=sys.argv[1]
for l in sys.stdin:
    l=l.strip()
    if not l: continue
    v=json.loads(l).get(f)
    print("null" if v is None else (str(v).lower() if isinstance(v,bool) else v))' "$1"
}

# make_jpeg OUT [LEFT TOP W H] [EXIF DATE "YYYY:MM:DD HH:MM:SS"]:
# a crop of the astronaut as JPEG, optionally with DateTimeOriginal.
make_jpeg() {
    out=$1
    vips crop "$ASTRO" "$out" "${2:-0}" "${3:-0}" "${4:-320}" "${5:-240}" ||
        fail "vips crop -> $out"
    if [ -n "${6:-}" ]; then
        exiftool -q -q -m -overwrite_original "-ExifIFD:DateTimeOriginal=$6" \
            -IFD0:Make=TestMake -IFD0:Model=TestModel "$out" || fail "exiftool date -> $out"
    fi
}

# psnr A B: prints the PSNR in dB of two same-size images (inf if identical),
# or "size AxB vs CxD" when the sizes differ.  Stored pixels, as decoded:
# no EXIF orientation is applied (Pillow's open() does not rotate).
psnr() {
    $PY - "$1" "$2" <<'EOF'
import sys, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert('RGB')).astype(np.float64)
b = np.asarray(Image.open(sys.argv[2]).convert('RGB')).astype(np.float64)
if a.shape != b.shape:
    print("size %s vs %s" % ("x".join(map(str, a.shape)), "x".join(map(str, b.shape))))
    sys.exit(0)
mse = ((a - b) ** 2).mean()
print("inf" if mse == 0 else "%.2f" % (10 * np.log10(255.0 ** 2 / mse)))
EOF
}

# metadata_tags FILE: the exiftool tags of FILE beyond its file structure
# (System, File, JFIF, ExifTool's version, the image size), one a line, with
# anything naming GPS, a serial, owner, artist, creator, thumbnail, copyright
# or profile; empty for an image that carries no metadata (invariant 1).
metadata_tags() {
    exiftool -a -G1 -s "$1" | awk '
        { g = $1; gsub(/[][]/, "", g); t = $2 }
        g !~ /^(System|File|Composite|ExifTool|JFIF)$/ { print; next }
        g == "ExifTool" && t != "ExifToolVersion" { print; next }
        g == "Composite" && t !~ /^(ImageSize|Megapixels)$/ { print; next }
        t ~ /^(Comment|ExifByteOrder|CurrentIPTCDigest|Warning)$/ { print; next }
        t ~ /GPS|Serial|Owner|Artist|Creator|Thumbnail|Copyright|Profile/ { print }
    '
}

# Time in milliseconds (GNU date).
now_ms() { echo $(($(date +%s%N) / 1000000)); }
