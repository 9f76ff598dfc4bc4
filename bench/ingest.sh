#!/bin/bash
# Ingest benchmark: beforeafter vs. the ImageMagick + exiftool pipeline a
# clinic would script today vs. the bare libvips floor.
#
#   bench/ingest.sh [--count N] [--runs R] [--size WxH] [--big WxH]
#                   [--workdir DIR] [--skip-ba] [--keep]
#
#   --count N    number of input photos (default 24)
#   --runs R     repeat each measurement R times, report the median (default 1)
#   --size WxH   input photo size (default 4240x2832 = 12.0 MP)
#   --big WxH    size of the single large photo used for the per-photo peak
#                memory figure (default 6000x4000 = 24 MP)
#   --workdir D  where inputs and outputs go (default bench/.work, gitignored;
#                generated inputs are cached there between runs)
#   --skip-ba    measure only the ImageMagick and libvips pipelines
#   --keep       keep the output files of the last run
#   BA=path      the beforeafter binary (default build/beforeafter)
#
# Inputs are distinct JPEGs (Q92, ~4 MB each, sensor-like noise) made from the
# public-domain skimage astronaut.png, with iPhone-like EXIF; every other one
# is stored rotated with Orientation 6, two thirds carry GPS.
#
# Measured, one after the other, on warm page cache:
#   a) beforeafter: one `ingest` process for all N files into a fresh library
#   b) peer: per file `exiftool -s3 -DateTimeOriginal f` then
#      `convert f -auto-orient -colorspace sRGB -strip -quality 95 out.jpg`
#   c) floor: per file `vips copy "f[autorotate]" "out.jpg[Q=95,strip]"`
#   (context, no target) the same vips copy run nproc files at a time
# Peak memory is max RSS from /usr/bin/time (for b and c: max over files).
# Exits non-zero only when a tool fails, never because a target is missed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GEN_VERSION=1

die() { echo "bench/ingest.sh: $*" >&2; exit 2; }

# ------------------------------------------------------ input generation ---
# gen_one (one photo) and gen_set (the missing ones of a set): bench/lib.sh
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

if [ "${1-}" = "--gen-one" ]; then
    shift
    gen_one "$@"
    exit 0
fi

# ------------------------------------------------------------- options -----
COUNT=24 RUNS=1 SIZE=4240x2832 BIG=6000x4000 WORK=$ROOT/bench/.work
SKIP_BA=0 KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
        --count) COUNT=${2:?--count needs a number}; shift 2 ;;
        --count=*) COUNT=${1#*=}; shift ;;
        --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --size) SIZE=${2:?--size needs WxH}; shift 2 ;;
        --size=*) SIZE=${1#*=}; shift ;;
        --big) BIG=${2:?--big needs WxH}; shift 2 ;;
        --big=*) BIG=${1#*=}; shift ;;
        --workdir) WORK=${2:?--workdir needs a directory}; shift 2 ;;
        --workdir=*) WORK=${1#*=}; shift ;;
        --skip-ba) SKIP_BA=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
case $COUNT in ''|*[!0-9]*|0) die "--count must be a positive integer" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "--runs must be a positive integer" ;; esac
case $SIZE in [0-9]*x[0-9]*) ;; *) die "--size must be WxH" ;; esac
case $BIG in [0-9]*x[0-9]*) ;; *) die "--big must be WxH" ;; esac
W=${SIZE%x*} H=${SIZE#*x} BW=${BIG%x*} BH=${BIG#*x}

BA=${BA:-$ROOT/build/beforeafter}
for tool in vips vipsheader convert exiftool awk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run scripts/install-deps.sh"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found; apt-get install time"
if [ "$SKIP_BA" = 0 ] && [ ! -x "$BA" ]; then
    die "beforeafter binary '$BA' not found (build it, set BA=..., or pass --skip-ba)"
fi

SRC=${BENCH_SOURCE:-/usr/lib/python3/dist-packages/skimage/data/astronaut.png}
if [ ! -r "$SRC" ]; then
    SRC=$ROOT/samples/after-cheeks.jpg
    [ -r "$SRC" ] || die "no source image (install python3-skimage or run scripts/make-samples.sh)"
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

IN=$WORK/inputs-v$GEN_VERSION-${W}x$H
BIGDIR=$WORK/inputs-v$GEN_VERSION-${BW}x$BH
gen_set "$IN" "$W" "$H" 1 "$COUNT"
gen_set "$BIGDIR" "$BW" "$BH" 2 2          # index 2: Orientation 6
FILES=()
for ((i = 1; i <= COUNT; i++)); do FILES+=("$IN/$(printf 'in-%03d.jpg' "$i")"); done
BIGFILE=$BIGDIR/in-002.jpg

RUN=$WORK/run
rm -rf "$RUN"
mkdir -p "$RUN"
# warm the page cache so every contender reads from memory
cat "${FILES[@]}" "$BIGFILE" >/dev/null

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b - a}'; }
FAILED=0
fail() { echo "bench/ingest.sh: FAILED: $*" >&2; FAILED=1; }

# timed OUTFILE CMD... : run CMD under /usr/bin/time, append "rss_kb cpu_s"
timed() {
    local out=$1; shift
    local tf=$RUN/.time
    local rc=0
    /usr/bin/time -f '%M %U %S' -o "$tf" "$@" || rc=$?
    # /usr/bin/time writes "Command exited with non-zero status" first on failure
    tail -n 1 "$tf" | awk '{printf "%d %.3f\n", $1, $2 + $3}' >>"$out"
    return $rc
}
# sum_stats FILE : "max_rss_kb total_cpu_s"
sum_stats() { awk '{if ($1 > m) m = $1; c += $2} END {printf "%d %.3f\n", m, c}' "$1"; }

# --- a) beforeafter --------------------------------------------------------
run_ba() {  # run_ba LIB FILES... -> prints "wall rss_kb cpu_s"
    local lib=$1; shift
    local st=$RUN/ba.stats t0 t1 n
    rm -rf "$lib" "$st"
    "$BA" --library "$lib" init >"$RUN/ba-init.log" 2>&1 ||
        { cat "$RUN/ba-init.log" >&2; fail "beforeafter init"; return 1; }
    "$BA" --library "$lib" client add C-1 >>"$RUN/ba-init.log" 2>&1 ||
        { cat "$RUN/ba-init.log" >&2; fail "beforeafter client add"; return 1; }
    # in case "cheeks" is not in the default vocabulary (harmless if it is)
    "$BA" --library "$lib" area add cheeks >>"$RUN/ba-init.log" 2>&1 || true
    t0=$(now)
    timed "$st" "$BA" --library "$lib" ingest --client C-1 --area cheeks \
        --date 2026-01-01 "$@" >"$RUN/ba-ingest.log" 2>&1 ||
        { tail -n 20 "$RUN/ba-ingest.log" >&2; fail "beforeafter ingest"; return 1; }
    t1=$(now)
    n=$(find "$lib/masters" -type f -name '*.jpg' 2>/dev/null | wc -l)
    if [ "$n" -ne $# ]; then
        fail "beforeafter ingest: $n masters for $# inputs"
        return 1
    fi
    echo "$(elapsed "$t0" "$t1") $(sum_stats "$st")"
}

# --- b) ImageMagick + exiftool, one file at a time ---------------------------
run_im() {
    local od=$RUN/im st=$RUN/im.stats t0 t1 f k=0 d
    rm -rf "$od" "$st"; mkdir -p "$od"
    t0=$(now)
    for f in "$@"; do
        k=$((k + 1))
        d=$(timed "$st" exiftool -s3 -DateTimeOriginal "$f") ||
            { fail "exiftool $f"; return 1; }
        : "$d"   # a clinic script would file the photo under this date
        timed "$st" convert "$f" -auto-orient -colorspace sRGB -strip \
            -quality 95 "$od/$k.jpg" || { fail "convert $f"; return 1; }
    done
    t1=$(now)
    echo "$(elapsed "$t0" "$t1") $(sum_stats "$st")"
}

# --- c) bare libvips, one file at a time ------------------------------------
run_vips() {
    local od=$RUN/vips st=$RUN/vips.stats t0 t1 f k=0
    rm -rf "$od" "$st"; mkdir -p "$od"
    t0=$(now)
    for f in "$@"; do
        k=$((k + 1))
        timed "$st" vips copy "${f}[autorotate]" "$od/$k.jpg[Q=95,strip]" ||
            { fail "vips copy $f"; return 1; }
    done
    t1=$(now)
    echo "$(elapsed "$t0" "$t1") $(sum_stats "$st")"
}

# --- c2) context: the same vips copy, $JOBS files at a time -----------------
run_vips_par() {
    local od=$RUN/vipsp t0 t1 n
    rm -rf "$od"; mkdir -p "$od"
    t0=$(now)
    # shellcheck disable=SC2016  # $1/$2 are expanded by the inner sh
    printf '%s\0' "$@" | xargs -0 -P "$JOBS" -I{} sh -c \
        'b=$(basename "$1"); /usr/bin/time -f "%M %U %S" -o "$2/$b.time" vips copy "$1[autorotate]" "$2/$b[Q=95,strip]"' \
        sh {} "$od" || { fail "parallel vips copy"; return 1; }
    t1=$(now)
    n=$(find "$od" -name '*.jpg' | wc -l)
    [ "$n" -eq $# ] || { fail "parallel vips copy: $n outputs for $# inputs"; return 1; }
    cat "$od"/*.time | awk '{printf "%d %.3f\n", $1, $2 + $3}' >"$RUN/vipsp.stats"
    echo "$(elapsed "$t0" "$t1") $(sum_stats "$RUN/vipsp.stats")"
}

# median of the first field over lines, max of the second, median of third
aggregate() {
    sort -n -k1,1 | awk '{w[NR] = $1; c[NR] = $3; if ($2 > m) m = $2}
        END {k = int((NR + 1) / 2); printf "%s %d %s\n", w[k], m, c[k]}'
}

ba_ver=n/a
[ "$SKIP_BA" = 1 ] || ba_ver=$("$BA" --version 2>/dev/null | head -n 1 || echo "?")
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mp=$(awk -v w="$W" -v h="$H" 'BEGIN{printf "%.1f", w * h / 1e6}')
bmp=$(awk -v w="$BW" -v h="$BH" 'BEGIN{printf "%.1f", w * h / 1e6}')
insize=$(du -cb "${FILES[@]}" | tail -n 1 | awk '{printf "%.1f", $1 / 1048576}')

echo "ingest benchmark: $COUNT photos ${W}x$H ($mp MP, $insize MB of JPEG), runs=$RUNS"
echo "  host: ${cpu:-?}, $JOBS CPUs; $(vips --version); $(convert -version | head -n 1 | cut -d' ' -f2-3); exiftool $(exiftool -ver); beforeafter: $ba_ver"
echo

BA_RES="" IM_RES="" VIPS_RES=""
: >"$RUN/ba.runs"; : >"$RUN/im.runs"; : >"$RUN/vips.runs"; : >"$RUN/vipsp.runs"
for ((r = 1; r <= RUNS; r++)); do
    [ "$RUNS" = 1 ] || echo "run $r/$RUNS ..." >&2
    if [ "$SKIP_BA" = 0 ]; then
        if res=$(run_ba "$RUN/ba-lib" "${FILES[@]}"); then echo "$res" >>"$RUN/ba.runs"; fi
    fi
    if res=$(run_im "${FILES[@]}"); then echo "$res" >>"$RUN/im.runs"; fi
    if res=$(run_vips "${FILES[@]}"); then echo "$res" >>"$RUN/vips.runs"; fi
    if res=$(run_vips_par "${FILES[@]}"); then echo "$res" >>"$RUN/vipsp.runs"; fi
done
[ -s "$RUN/ba.runs" ] && BA_RES=$(aggregate <"$RUN/ba.runs")
[ -s "$RUN/im.runs" ] && IM_RES=$(aggregate <"$RUN/im.runs")
[ -s "$RUN/vips.runs" ] && VIPS_RES=$(aggregate <"$RUN/vips.runs")
VIPSP_RES=""
[ -s "$RUN/vipsp.runs" ] && VIPSP_RES=$(aggregate <"$RUN/vipsp.runs")

# one 24 MP photo: peak RSS of a single-photo ingest (= one worker)
BA_BIG="" IM_BIG="" VIPS_BIG=""
if [ "$SKIP_BA" = 0 ]; then
    BA_BIG=$(run_ba "$RUN/ba-big" "$BIGFILE") || BA_BIG=""
fi
IM_BIG=$(run_im "$BIGFILE") || IM_BIG=""
VIPS_BIG=$(run_vips "$BIGFILE") || VIPS_BIG=""
# FAILED is set in subshells above; re-derive it from missing results
{ [ "$SKIP_BA" = 1 ] || { [ -n "$BA_RES" ] && [ -n "$BA_BIG" ]; }; } &&
    [ -n "$IM_RES" ] && [ -n "$VIPS_RES" ] && [ -n "$VIPSP_RES" ] && [ -n "$IM_BIG" ] && [ -n "$VIPS_BIG" ] ||
    FAILED=1

# row LABEL "wall rss cpu" "big_wall big_rss big_cpu"
row() {
    local label=$1 res=$2 big=$3
    if [ -z "$res" ]; then
        printf '%-34s %10s %9s %9s %13s %16s\n' "$label" "failed" "-" "-" "-" \
            "$([ -n "$big" ] && awk '{printf "%.0f", $2 / 1024}' <<<"$big" || echo -)"
        return
    fi
    awk -v l="$label" -v n="$COUNT" -v big="$big" '{
        bigrss = "-"; if (big != "") { split(big, b, " "); bigrss = sprintf("%.0f", b[2] / 1024) }
        printf "%-34s %10.2f %9.2f %9.2f %13.0f %16s\n", l, n / $1, $1, $3, $2 / 1024, bigrss
    }' <<<"$res"
}
printf '%-34s %10s %9s %9s %13s %16s\n' "pipeline" "photos/s" "wall s" "CPU s" \
    "peak RSS MB" "RSS MB, ${bmp} MP"
printf '%-34s %10s %9s %9s %13s %16s\n' "----------------------------------" \
    "----------" "---------" "---------" "-------------" "----------------"
if [ "$SKIP_BA" = 0 ]; then
    row "a) beforeafter ingest (1 process)" "$BA_RES" "$BA_BIG"
else
    printf '%-34s %10s\n' "a) beforeafter ingest (1 process)" "skipped"
fi
row "b) exiftool + convert, per file" "$IM_RES" "$IM_BIG"
row "c) vips copy (floor), per file" "$VIPS_RES" "$VIPS_BIG"
row "(context) vips copy, $JOBS at a time" "$VIPSP_RES" ""
echo

thr() { [ -n "$1" ] && awk -v n="$COUNT" '{printf "%.6f", n / $1}' <<<"$1"; }
ba_t=$(thr "$BA_RES" || true) im_t=$(thr "$IM_RES" || true) vips_t=$(thr "$VIPS_RES" || true)
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{
    ok = (op == ">=") ? v >= t : v < t; print ok ? "ok" : "MISSED" }'; }
printf '%-44s %9s  %-10s %s\n' "target" "measured" "goal" "verdict"
printf '%-44s %9s  %-10s %s\n' "--------------------------------------------" \
    "---------" "----------" "-------"
if [ -n "$ba_t" ] && [ -n "$im_t" ]; then
    v=$(awk -v a="$ba_t" -v b="$im_t" 'BEGIN{printf "%.2f", a / b}')
    printf '%-44s %8sx  %-10s %s\n' "beforeafter / ImageMagick throughput" "$v" ">= 4x" "$(verdict "$v" ">=" 4)"
else
    printf '%-44s %9s  %-10s %s\n' "beforeafter / ImageMagick throughput" "n/a" ">= 4x" "-"
fi
if [ -n "$ba_t" ] && [ -n "$vips_t" ]; then
    v=$(awk -v a="$vips_t" -v b="$ba_t" 'BEGIN{printf "%.2f", a / b}')
    printf '%-44s %8sx  %-10s %s\n' "libvips floor / beforeafter throughput" "$v" "< 1.3x" "$(verdict "$v" "<" 1.3)"
else
    printf '%-44s %9s  %-10s %s\n' "libvips floor / beforeafter throughput" "n/a" "< 1.3x" "-"
fi
if [ -n "$BA_BIG" ]; then
    v=$(awk '{printf "%.0f", $2 / 1024}' <<<"$BA_BIG")
    printf '%-44s %6s MB  %-10s %s\n' "beforeafter peak RSS, one $bmp MP photo" "$v" "< 300 MB" "$(verdict "$v" "<" 300)"
else
    printf '%-44s %9s  %-10s %s\n' "beforeafter peak RSS, one $bmp MP photo" "n/a" "< 300 MB" "-"
fi
if [ -n "$im_t" ] && [ -n "$vips_t" ]; then
    v=$(awk -v a="$vips_t" -v b="$im_t" 'BEGIN{printf "%.2f", a / b}')
    printf '%-44s %8sx  %-10s %s\n' "(context) libvips floor / ImageMagick" "$v" "" ""
fi
vp_t=$(thr "$VIPSP_RES" || true)
if [ -n "$vp_t" ] && [ -n "$ba_t" ]; then
    v=$(awk -v a="$vp_t" -v b="$ba_t" 'BEGIN{printf "%.2f", a / b}')
    printf '%-44s %8sx  %-10s %s\n' "(context) vips $JOBS at a time / beforeafter" "$v" "" ""
fi

[ "$KEEP" = 1 ] || rm -rf "$RUN/ba-lib" "$RUN/ba-big" "$RUN/im" "$RUN/vips" "$RUN/vipsp"
if [ "$FAILED" != 0 ]; then
    echo "bench/ingest.sh: some pipeline failed (see messages above); logs in $RUN" >&2
    exit 1
fi
exit 0
