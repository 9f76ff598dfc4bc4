#!/bin/bash
# Comparison benchmark: a side-by-side of two >= 12-megapixel masters rendered
# 2400 px wide to PNG and JPEG, by beforeafter and, in the same run, by the
# ImageMagick equivalent (resize, +append, -annotate labels).
#
#   bench/compare.sh [--runs R]          BA=path (default build/beforeafter)
#
# Prints seconds (median of R runs) and peak memory (max RSS) of each, and
# the ratios. Targets: >= 4x faster than ImageMagick, peak memory < 300 MB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BA=${BA:-$ROOT/build/beforeafter}
RUNS=3
[ "${1:-}" = "--runs" ] && RUNS=$2
[ -x "$BA" ] || { echo "bench/compare.sh: no binary at $BA (build first)" >&2; exit 2; }
W=$ROOT/bench/.work/compare
mkdir -p "$W"
SRC=/usr/lib/python3/dist-packages/skimage/data/astronaut.png

# Two 4240x2832 (12 MP) photos of one scene, the second moved (scale, rotation, shift)
# and a little brighter, as a second session would be.
if [ ! -f "$W/before.jpg" ]; then
    vips resize "$SRC" "$W/big.v" 8.3
    vips extract_area "$W/big.v" "$W/before.jpg[Q=92]" 0 700 4240 2832
    vips similarity "$W/big.v" "$W/moved.v" --scale 1.05 --angle 3
    vips linear "$W/moved.v" "$W/bright.v" 1.06 0
    vips cast "$W/bright.v" "$W/bright8.v" uchar
    vips extract_area "$W/bright8.v" "$W/after.jpg[Q=92]" 150 900 4240 2832
    rm -f "$W"/*.v
fi
LIB=$W/lib
rm -rf "$LIB"
"$BA" --library "$LIB" init -q
"$BA" --library "$LIB" client add B-1 -q
"$BA" --library "$LIB" ingest -q --client B-1 --area cheeks --date 2026-01-01 --stage before "$W/before.jpg"
"$BA" --library "$LIB" ingest -q --client B-1 --area cheeks --date 2026-02-12 --stage after "$W/after.jpg"
"$BA" --library "$LIB" align 2 --to 1 -q   # alignment is computed once and stored
M1=$LIB/$("$BA" --library "$LIB" --json show 1 | sed -n 's/.*"master":"\([^"]*\)".*/\1/p')
M2=$LIB/$("$BA" --library "$LIB" --json show 2 | sed -n 's/.*"master":"\([^"]*\)".*/\1/p')

measure() { # label, command... -> "seconds maxrss_kb" (median seconds, max rss)
    local times=() rss=0 i
    for i in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" || {
            cat "$W/err" >&2; exit 1; }
        read -r t m <"$W/time"
        times+=("$t")
        [ "$m" -gt "$rss" ] && rss=$m
    done
    printf '%s\n' "${times[@]}" | sort -g | awk -v r="$rss" '{a[NR]=$1} END {print a[int((NR+1)/2)], r}'
}

im() { # out
    convert "$M1" "$M2" -resize 1194x -gravity south -background white -splice 0x60 \
        -font DejaVu-Sans -pointsize 30 -fill black \
        \( -clone 0 -annotate +0+12 'Before  2 Mar 2026' \) \( -clone 1 -annotate +0+12 'After  13 Apr 2026' \) \
        -delete 0,1 -bordercolor white -border 6x0 +append "$1"
}

printf '%-34s %10s %12s\n' "pipeline" "seconds" "peak MB"
declare -A T R
for ext in png jpg; do
    read -r T[ba_$ext] R[ba_$ext] < <(measure "$BA" --library "$LIB" compare 1 2 --width 2400 -o "$W/ba.$ext")
    read -r T[im_$ext] R[im_$ext] < <(measure bash -c "$(declare -f im); M1='$M1' M2='$M2' im '$W/im.$ext'")
    printf '%-34s %10s %12d\n' "beforeafter compare -> $ext" "${T[ba_$ext]}" $((R[ba_$ext] / 1024))
    printf '%-34s %10s %12d\n' "ImageMagick convert -> $ext" "${T[im_$ext]}" $((R[im_$ext] / 1024))
done
echo
for ext in png jpg; do
    awk -v a="${T[im_$ext]}" -v b="${T[ba_$ext]}" -v m="${R[ba_$ext]}" -v e="$ext" 'BEGIN {
        printf "%s: beforeafter is %.1fx faster than ImageMagick (target >= 4x), peak %d MB (target < 300 MB)\n",
            e, a / b, m / 1024 }'
done
echo "(inputs: two 4240x2832 masters; output 2400 px wide; median of $RUNS runs; $(nproc) cores)"
