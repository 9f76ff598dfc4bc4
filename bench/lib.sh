#!/bin/bash
# Input generation shared by bench/ingest.sh and bench/batch.sh.
#
#   . bench/lib.sh                  defines gen_one and gen_set
#   bash bench/lib.sh --gen-one INDEX W H OUTFILE SRC [DATE]
#
# Photos are distinct JPEGs (Q92, ~4 MB at 12 MP, sensor-like noise) made from
# a source image (the public-domain skimage astronaut.png), with iPhone-like
# EXIF; even indexes are stored rotated with Orientation 6, two thirds carry
# GPS. Output depends only on the arguments: a cache of generated files stays
# valid as long as this code and the arguments do not change (bump the
# callers' GEN_VERSION when they do).
# Sourcing sets no shell options; the callers run with set -euo pipefail.

BENCH_LIB=${BASH_SOURCE[0]}

# gen_one INDEX W H OUTFILE SRC [DATE] : one deterministic, distinct photo of
# WxH pixels as shown (stored HxW + Orientation 6 for even INDEX).
# DATE (YYYY:MM:DD, default 2026:01:01) is the day of its DateTimeOriginal.
gen_one() {
    local i=$1 W=$2 H=$3 out=$4 src=$5 day=${6:-2026:01:01}
    # global, so the EXIT trap still sees it (gen_one runs in its own process)
    t=$(mktemp -d "$(dirname "$out")/.gen.XXXXXX")
    trap 'rm -rf "$t"' EXIT
    local sw sh cw ch cl ct cw_max ch_max ow oh orient=1
    sw=$(vipsheader -f width "$src")
    sh=$(vipsheader -f height "$src")
    # Even indexes: portrait shot, pixels stored rotated + Orientation 6.
    if [ $((i % 2)) -eq 0 ]; then orient=6; ow=$H; oh=$W; else ow=$W; oh=$H; fi
    # Largest crop of the source with the content's aspect ratio, then shrink
    # it a little and move it around so every file differs.
    if [ $((sw * oh)) -ge $((sh * ow)) ]; then
        ch_max=$sh; cw_max=$((sh * ow / oh))
    else
        cw_max=$sw; ch_max=$((sw * oh / ow))
    fi
    cw=$((cw_max - cw_max * (i % 6) / 40)); ch=$((cw * oh / ow))
    [ "$ch" -le "$ch_max" ] || ch=$ch_max
    cl=$(((sw - cw) * (i % 3) / 2)); ct=$(((sh - ch) * (i % 5) / 4))
    local hs vs gain off
    hs=$(awk -v a="$ow" -v b="$cw" 'BEGIN{printf "%.6f", a/b}')
    vs=$(awk -v a="$oh" -v b="$ch" 'BEGIN{printf "%.6f", a/b}')
    gain=$(awk -v i="$i" 'BEGIN{printf "%.3f", 0.86 + 0.02 * (i % 11)}')
    off=$((i % 7))   # non-negative: the vips CLI would read "-2" as an option
    vips crop "$src" "$t/c.v" "$cl" "$ct" "$cw" "$ch"
    vips resize "$t/c.v" "$t/r.v" "$hs" --vscale "$vs" --kernel cubic
    # resize may be off by a pixel; pin the exact size
    vips embed "$t/r.v" "$t/e.v" 0 0 "$ow" "$oh" --extend copy
    vips linear "$t/e.v" "$t/l.v" "$gain" "$off"
    vips gaussnoise "$t/n.v" "$ow" "$oh" --sigma 6 --mean 0 --seed $((i + 1))
    vips add "$t/l.v" "$t/n.v" "$t/s.v"
    vips cast "$t/s.v" "$t/u.v" uchar
    if [ "$orient" = 6 ]; then
        vips rot "$t/u.v" "$t/o.v" d270
    else
        mv "$t/u.v" "$t/o.v"
    fi
    vips jpegsave "$t/o.v" "$t/out.jpg" --Q 92 --strip
    local mm=$((i % 60)) hh=$((9 + i / 60 % 9))
    local -a gps=()
    if [ $((i % 3)) -ne 0 ]; then
        gps=("-GPSLatitude=48.85$((i % 10))370" -GPSLatitudeRef=N
             "-GPSLongitude=2.29$((i % 10))481" -GPSLongitudeRef=E
             -GPSAltitude=35 -GPSAltitudeRef=0)
    fi
    exiftool -q -q -overwrite_original -Make=Apple "-Model=iPhone 13" \
        "-DateTimeOriginal=$day $(printf '%02d:%02d:00' "$hh" "$mm")" \
        -OffsetTimeOriginal=+01:00 "-Orientation#=$orient" \
        "-ExifIFD:SerialNumber=SN-4242-BENCH" "-Artist=Dr Example Owner" \
        -FocalLength=5.1 -FNumber=1.6 -ExposureTime=1/120 -ISO=100 \
        ${gps[@]+"${gps[@]}"} "$t/out.jpg"
    mv -f "$t/out.jpg" "$out"
    rm -rf "$t"
}

# gen_set DIR W H FIRST LAST : make the missing inputs DIR/in-NNN.jpg, $JOBS
# at a time, from $SRC. If the caller defines gen_day INDEX (prints the
# YYYY:MM:DD of that photo's DateTimeOriginal), it is used; else 2026:01:01.
gen_set() {
    local dir=$1 w=$2 h=$3 first=$4 last=$5 i missing=()
    mkdir -p "$dir"
    for ((i = first; i <= last; i++)); do
        [ -s "$dir/$(printf 'in-%03d.jpg' "$i")" ] || missing+=("$i")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    echo "generating ${#missing[@]} input photo(s) of ${w}x${h} in $dir ..." >&2
    for i in "${missing[@]}"; do
        if declare -F gen_day >/dev/null; then
            echo "$i $(gen_day "$i")"
        else
            echo "$i"
        fi
    done | xargs -P "$JOBS" -L 1 bash "$BENCH_LIB" --gen-into "$dir" "$w" "$h" "$SRC"
    for i in "${missing[@]}"; do
        mv -f "$dir/in-$i.jpg.tmp" "$dir/$(printf 'in-%03d.jpg' "$i")"
    done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case ${1-} in
        --gen-one) shift; gen_one "$@" ;;
        # --gen-into DIR W H SRC INDEX [DATE] (gen_set's worker)
        --gen-into) gen_one "$6" "$3" "$4" "$2/in-$6.jpg.tmp" "$5" "${7-}" ;;
        *) echo "usage: bash bench/lib.sh --gen-one INDEX W H OUTFILE SRC [DATE]" >&2; exit 2 ;;
    esac
fi
