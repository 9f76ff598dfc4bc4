#!/bin/bash
# Batch benchmark: `beforeafter batch ingest` of a manifest at --jobs 1 and 2
# vs. the exiftool + ImageMagick pipeline a clinic would script, run with GNU
# parallel at -j1 and -j2, in the same run.
#
#   bench/batch.sh [--count N] [--runs R] [--size WxH] [--workdir DIR]
#                  [--skip-peer] [--keep]
#
#   --count N    number of input photos (default 500)
#   --runs R     repeat each measurement R times, report the median wall and
#                CPU time and the largest peak RSS (default 1)
#   --size WxH   photo size (default 4240x2832 = 12.0 MP)
#   --workdir D  where inputs, manifests and outputs go (default
#                bench/.work/batch, gitignored; generated inputs are cached
#                there between runs)
#   --skip-peer  measure only beforeafter
#   --keep       keep the libraries and peer outputs of the last run
#   BA=path      the beforeafter binary (default build/beforeafter)
#
# Inputs: distinct JPEGs (Q92, ~4 MB each, sensor-like noise) made from the
# public-domain skimage astronaut.png by bench/lib.sh, with iPhone-like EXIF:
# every other one stored rotated with Orientation 6, two thirds with GPS,
# DateTimeOriginal on the photo's session date. The manifest
# (file,client,area,stage,date,view,treatment) spreads them over 12 clients,
# 4 areas, up to 6 sessions each (before, progress..., after), 3 views and
# 3 treatments (one with a quoted comma); every 10th row leaves the date empty
# so that it comes from the EXIF DateTimeOriginal.
#
# Measured, one after the other, on warm page cache:
#   a) beforeafter --library NEW batch ingest manifest.csv --create-clients --jobs 1
#   b) the same with --jobs 2
#   c) peer, per file `exiftool -s3 -DateTimeOriginal f` then
#      `convert f -auto-orient -colorspace sRGB -strip -quality 95 out.jpg`
#      (as bench/ingest.sh), run by GNU parallel -j1 and -j2
#   d) b) on the first N/5 photos only: peak memory must not grow with N
# Peak memory is max RSS from /usr/bin/time (for the peer: max over files);
# CPU is user + system of the whole command (peer: parallel and its children).
# Each beforeafter catalog must hold exactly its photos (N rows, N masters,
# the same catalog at --jobs 1 and 2). Exits non-zero only when a tool fails
# or is wrong, never because a target is missed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GEN_VERSION=1   # bump when the generator or gen_day below change

die() { echo "bench/batch.sh: $*" >&2; exit 2; }

# ------------------------------------------------------ input generation ---
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# What photo INDEX (1-based) shows; depends on INDEX only, so cached inputs
# and manifests stay valid for any --count.
CLIENTS=12
AREAS=(cheeks forehead neck lips)
VIEWS=(frontal left-45 right-45)
TREATMENTS=("hyaluronic acid filler" "botulinum toxin, 20 U" "fractional laser")
# photo_fields INDEX : sets P_CLIENT P_AREA P_STAGE P_DAYS P_VIEW P_TREATMENT
photo_fields() {
    local c=$((($1 - 1) % CLIENTS)) k=$((($1 - 1) / CLIENTS)) s
    s=$((k / 2 % 6))
    P_CLIENT=$(printf 'C-%02d' $((c + 1)))
    P_AREA=${AREAS[$(((c + k % 2) % ${#AREAS[@]}))]}
    P_VIEW=${VIEWS[$(((c + k) % ${#VIEWS[@]}))]}
    P_TREATMENT=${TREATMENTS[$((c % ${#TREATMENTS[@]}))]}
    P_DAYS=$((c * 4 + s * 35))   # session date: days after 2025-09-01
    case $s in 0) P_STAGE=before ;; 5) P_STAGE=after ;; *) P_STAGE=progress ;; esac
}
day_of() { date -u -d "2025-09-01 + $1 days" "+$2"; }
# shellcheck disable=SC2317  # called by gen_set (bench/lib.sh): the day of the photo's DateTimeOriginal
gen_day() { photo_fields "$1"; day_of "$P_DAYS" '%Y:%m:%d'; }

csv_field() {
    case $1 in
        *[,\"]*) printf '"%s"' "${1//\"/\"\"}" ;;
        *) printf '%s' "$1" ;;
    esac
}
# write_manifest OUT K : the first K photos; file paths relative to OUT
write_manifest() {
    local out=$1 k=$2 i d
    {
        echo "file,client,area,stage,date,view,treatment"
        for ((i = 1; i <= k; i++)); do
            photo_fields "$i"
            d=$(day_of "$P_DAYS" '%Y-%m-%d')
            [ $((i % 10)) -ne 0 ] || d=""
            printf '%s,%s,%s,%s,%s,%s,%s\n' \
                "$(csv_field "$INREL/$(printf 'in-%03d.jpg' "$i")")" \
                "$(csv_field "$P_CLIENT")" "$(csv_field "$P_AREA")" "$P_STAGE" \
                "$d" "$P_VIEW" "$(csv_field "$P_TREATMENT")"
        done
    } >"$out.tmp"
    mv -f "$out.tmp" "$out"
}

# ------------------------------------------------------------- options -----
COUNT=500 RUNS=1 SIZE=4240x2832 WORK=$ROOT/bench/.work/batch SKIP_PEER=0 KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
        --count) COUNT=${2:?--count needs a number}; shift 2 ;;
        --count=*) COUNT=${1#*=}; shift ;;
        --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --size) SIZE=${2:?--size needs WxH}; shift 2 ;;
        --size=*) SIZE=${1#*=}; shift ;;
        --workdir) WORK=${2:?--workdir needs a directory}; shift 2 ;;
        --workdir=*) WORK=${1#*=}; shift ;;
        --skip-peer) SKIP_PEER=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
case $COUNT in ''|*[!0-9]*|0) die "--count must be a positive integer" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "--runs must be a positive integer" ;; esac
case $SIZE in [0-9]*x[0-9]*) ;; *) die "--size must be WxH" ;; esac
W=${SIZE%x*} H=${SIZE#*x}
SMALL=$((COUNT / 5)); [ "$SMALL" -ge 1 ] || SMALL=1

BA=${BA:-$ROOT/build/beforeafter}
for tool in vips vipsheader exiftool awk date; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found; run scripts/install-deps.sh"
done
if [ "$SKIP_PEER" = 0 ]; then
    for tool in convert parallel; do
        command -v "$tool" >/dev/null 2>&1 ||
            die "'$tool' not found (apt-get install imagemagick parallel, or pass --skip-peer)"
    done
fi
[ -x /usr/bin/time ] || die "/usr/bin/time not found; apt-get install time"
[ -x "$BA" ] || die "beforeafter binary '$BA' not found (build it or set BA=...)"

SRC=${BENCH_SOURCE:-/usr/lib/python3/dist-packages/skimage/data/astronaut.png}
if [ ! -r "$SRC" ]; then
    SRC=$ROOT/samples/after-cheeks.jpg
    [ -r "$SRC" ] || die "no source image (install python3-skimage or run scripts/make-samples.sh)"
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)   # for generation only

INREL=inputs-v$GEN_VERSION-${W}x$H
IN=$WORK/$INREL
gen_set "$IN" "$W" "$H" 1 "$COUNT"
FILES=()
for ((i = 1; i <= COUNT; i++)); do FILES+=("$IN/$(printf 'in-%03d.jpg' "$i")"); done
MANIFEST=$WORK/manifest-v$GEN_VERSION-${W}x$H-$COUNT.csv
MANIFEST_SMALL=$WORK/manifest-v$GEN_VERSION-${W}x$H-$SMALL.csv
write_manifest "$MANIFEST" "$COUNT"
write_manifest "$MANIFEST_SMALL" "$SMALL"

RUN=$WORK/run
rm -rf "$RUN"
mkdir -p "$RUN"
# warm the page cache so every contender reads from memory
cat "${FILES[@]}" >/dev/null

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b - a}'; }
# FAILED is checked at the end; the runs happen in subshells, hence a file
fail() { echo "bench/batch.sh: FAILED: $*" >&2; : >"$RUN/FAILED"; }
# rss_cpu TIMEFILE : "max_rss_kb cpu_s" from a /usr/bin/time -f '%M %U %S' file
# (on failure time writes "Command exited with non-zero status" first)
rss_cpu() { tail -n 1 "$1" | awk '{printf "%d %.3f\n", $1, $2 + $3}'; }
LAST=0
# drop DIR... : delete outputs, except those of the last run with --keep
drop() { if [ "$KEEP" = 0 ] || [ "$LAST" = 0 ]; then rm -rf "$@"; fi; }

# --- a, b, d) beforeafter batch ingest ---------------------------------------
# run_ba LABEL MANIFEST N JOBS -> prints "wall rss_kb cpu_s"
run_ba() {
    local label=$1 manifest=$2 n=$3 jobs=$4
    local lib=$RUN/lib-$label log=$RUN/$label.log t0 t1 rc=0 rows masters sum
    rm -rf "$lib"
    "$BA" --library "$lib" init -q >"$log" 2>&1 ||
        { cat "$log" >&2; fail "$label: beforeafter init"; return 1; }
    t0=$(now)
    /usr/bin/time -f '%M %U %S' -o "$RUN/$label.time" \
        "$BA" --library "$lib" batch ingest "$manifest" --create-clients \
        --jobs "$jobs" >>"$log" 2>&1 || rc=$?
    t1=$(now)
    if [ "$rc" != 0 ]; then
        tail -n 20 "$log" >&2
        fail "$label: beforeafter batch ingest exited with $rc"
        return 1
    fi
    # the summary line: "N ingested, 0 duplicate, 0 failed in S s (R photos/s)"
    sum=$(grep -E '^[0-9]+ ingested, ' "$log" | tail -n 1 || true)
    case $sum in
        "$n ingested, 0 duplicate, 0 failed "*) ;;
        *) fail "$label: summary '$sum', expected $n ingested"; return 1 ;;
    esac
    if command -v sqlite3 >/dev/null 2>&1; then
        rows=$(sqlite3 "$lib/catalog.db" 'SELECT count(*) FROM photos;')
    else
        rows=$("$BA" --library "$lib" --json list | grep -c '"photo_id"' || true)
    fi
    masters=$(find "$lib/masters" -type f 2>/dev/null | wc -l)
    echo "$label $rows $masters" >>"$RUN/rows"
    if [ "$rows" != "$n" ] || [ "$masters" != "$n" ]; then
        fail "$label: catalog has $rows photo rows and $masters masters for $n inputs"
        return 1
    fi
    # catalog contents without the ingestion time, to compare --jobs 1 and 2
    "$BA" --library "$lib" --json list |
        sed 's/"ingested_at":"[^"]*"//' >"$RUN/$label.list"
    drop "$lib"
    echo "$(elapsed "$t0" "$t1") $(rss_cpu "$RUN/$label.time")"
}

# --- c) exiftool + convert per file, under GNU parallel ----------------------
cat >"$RUN/peer-one.sh" <<'EOF'
#!/bin/bash
# peer-one.sh FILE OUT STATS : what a clinic's script does with one photo
set -euo pipefail
d=$(/usr/bin/time -f '%M %U %S' -o "$3.exif" exiftool -s3 -DateTimeOriginal "$1")
: "$d"   # a clinic script would file the photo under this date
/usr/bin/time -f '%M %U %S' -o "$3.conv" \
    convert "$1" -auto-orient -colorspace sRGB -strip -quality 95 "$2"
EOF
# run_peer JOBS FILES... -> prints "wall max_rss_kb cpu_s"
run_peer() {
    local jobs=$1; shift
    local od=$RUN/peer-j$jobs log=$RUN/peer-j$jobs.log t0 t1 rc=0 n rss cpu
    rm -rf "$od"; mkdir -p "$od"
    t0=$(now)
    printf '%s\n' "$@" |
        /usr/bin/time -f '%M %U %S' -o "$RUN/peer-j$jobs.time" \
        parallel -j "$jobs" --halt now,fail=1 -q \
        bash "$RUN/peer-one.sh" {} "$od/{#}.jpg" "$od/{#}" >"$log" 2>&1 || rc=$?
    t1=$(now)
    if [ "$rc" != 0 ]; then
        tail -n 20 "$log" >&2
        fail "peer -j$jobs: parallel exited with $rc"
        return 1
    fi
    n=$(find "$od" -name '*.jpg' | wc -l)
    [ "$n" -eq $# ] || { fail "peer -j$jobs: $n outputs for $# inputs"; return 1; }
    rss=$(for f in "$od"/*.exif "$od"/*.conv; do tail -n 1 "$f"; done |
        awk '$1 > m {m = $1} END {print m + 0}')
    cpu=$(rss_cpu "$RUN/peer-j$jobs.time" | cut -d' ' -f2)
    drop "$od"
    echo "$(elapsed "$t0" "$t1") $rss $cpu"
}

# median of the first field over lines, max of the second, median of third
aggregate() {
    sort -n -k1,1 | awk '{w[NR] = $1; c[NR] = $3; if ($2 > m) m = $2}
        END {k = int((NR + 1) / 2); printf "%s %d %s\n", w[k], m, c[k]}'
}

ba_ver=$("$BA" --version 2>/dev/null | head -n 1 || echo "?")
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mp=$(awk -v w="$W" -v h="$H" 'BEGIN{printf "%.1f", w * h / 1e6}')
insize=$(du -cb "${FILES[@]}" | tail -n 1 | awk '{printf "%.0f", $1 / 1048576}')
ncl=$(tail -n +2 "$MANIFEST" | cut -d, -f2 | sort -u | wc -l)
nar=$(tail -n +2 "$MANIFEST" | cut -d, -f3 | sort -u | wc -l)
nses=$(for ((i = 1; i <= COUNT; i++)); do photo_fields "$i"; echo "$P_CLIENT $P_AREA $P_DAYS"; done |
    sort -u | wc -l)
peer_ver=""
[ "$SKIP_PEER" = 1 ] ||
    peer_ver="; $(convert -version | head -n 1 | cut -d' ' -f2-3); exiftool $(exiftool -ver); parallel $(parallel --version 2>/dev/null | head -n 1 | awk '{print $NF}')"

echo "batch benchmark: $COUNT photos ${W}x$H ($mp MP, $insize MB of JPEG), $ncl clients, $nar areas, $nses client/area/date sessions; runs=$RUNS"
echo "  host: ${cpu:-?}, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; beforeafter: $ba_ver; $(vips --version)$peer_ver"
echo "  manifest: $MANIFEST"
echo

for label in j1 j2 small pj1 pj2; do : >"$RUN/$label.runs"; done
for ((r = 1; r <= RUNS; r++)); do
    [ "$r" = "$RUNS" ] && LAST=1
    : >"$RUN/rows"   # the catalog counts of the last run are printed
    [ "$RUNS" = 1 ] || echo "run $r/$RUNS ..." >&2
    if res=$(run_ba j1 "$MANIFEST" "$COUNT" 1); then echo "$res" >>"$RUN/j1.runs"; fi
    if res=$(run_ba j2 "$MANIFEST" "$COUNT" 2); then echo "$res" >>"$RUN/j2.runs"; fi
    if res=$(run_ba small "$MANIFEST_SMALL" "$SMALL" 2); then echo "$res" >>"$RUN/small.runs"; fi
    if [ "$SKIP_PEER" = 0 ]; then
        if res=$(run_peer 1 "${FILES[@]}"); then echo "$res" >>"$RUN/pj1.runs"; fi
        if res=$(run_peer 2 "${FILES[@]}"); then echo "$res" >>"$RUN/pj2.runs"; fi
    fi
done
declare -A RES=()
for label in j1 j2 small pj1 pj2; do
    RES[$label]=""
    if [ -s "$RUN/$label.runs" ]; then RES[$label]=$(aggregate <"$RUN/$label.runs"); fi
done
# the catalog must not depend on --jobs (docs/CLI.md, Batch)
SAME="n/a"
if [ -s "$RUN/j1.list" ] && [ -s "$RUN/j2.list" ]; then
    if cmp -s "$RUN/j1.list" "$RUN/j2.list"; then SAME=yes; else
        SAME=NO; fail "the catalogs of --jobs 1 and --jobs 2 differ (diff $RUN/j1.list $RUN/j2.list)"
    fi
fi

# row LABEL KEY N
row() {
    local res=${RES[$2]}
    if [ -z "$res" ]; then
        printf '%-40s %10s\n' "$1" "$([ "$SKIP_PEER" = 1 ] && [ "${2:0:1}" = p ] && echo skipped || echo failed)"
        return
    fi
    awk -v l="$1" -v n="$3" '{
        printf "%-40s %10.2f %9.2f %9.2f %8.2f %13.0f\n", l, n / $1, $1, $3, $3 / $1, $2 / 1024
    }' <<<"$res"
}
printf '%-40s %10s %9s %9s %8s %13s\n' "pipeline" "photos/s" "wall s" "CPU s" "CPU/wall" "peak RSS MB"
printf '%-40s %10s %9s %9s %8s %13s\n' "----------------------------------------" \
    "----------" "---------" "---------" "--------" "-------------"
row "a) beforeafter batch --jobs 1" j1 "$COUNT"
row "b) beforeafter batch --jobs 2" j2 "$COUNT"
row "c1) exiftool + convert, parallel -j1" pj1 "$COUNT"
row "c2) exiftool + convert, parallel -j2" pj2 "$COUNT"
row "d) beforeafter batch --jobs 2, $SMALL photo(s)" small "$SMALL"
echo

thr() { [ -n "$1" ] && awk -v n="$2" '{printf "%.6f", n / $1}' <<<"$1"; }
j1_t=$(thr "${RES[j1]}" "$COUNT" || true) j2_t=$(thr "${RES[j2]}" "$COUNT" || true)
pj1_t=$(thr "${RES[pj1]}" "$COUNT" || true) pj2_t=$(thr "${RES[pj2]}" "$COUNT" || true)
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{
    ok = (op == ">=") ? v >= t : v <= t; print ok ? "ok" : "MISSED" }'; }
# ratio LABEL A B GOAL [context] : A / B against ">= GOAL"
ratio() {
    local v
    if [ -n "$2" ] && [ -n "$3" ]; then
        v=$(awk -v a="$2" -v b="$3" 'BEGIN{printf "%.2f", a / b}')
        if [ -n "$4" ]; then
            printf '%-48s %8sx  %-12s %s\n' "$1" "$v" ">= ${4}x" "$(verdict "$v" ">=" "$4")"
        else
            printf '%-48s %8sx\n' "$1" "$v"
        fi
    else
        printf '%-48s %9s  %-12s %s\n' "$1" "n/a" "${4:+>= ${4}x}" "-"
    fi
}
printf '%-48s %9s  %-12s %s\n' "target" "measured" "goal" "verdict"
printf '%-48s %9s  %-12s %s\n' "------------------------------------------------" \
    "---------" "------------" "-------"
ratio "beforeafter scaling, --jobs 2 / --jobs 1" "$j2_t" "$j1_t" 1.8
ratio "beforeafter / peer throughput, 1 job" "$j1_t" "$pj1_t" 4
ratio "beforeafter / peer throughput, 2 jobs" "$j2_t" "$pj2_t" 4
if [ -n "${RES[j2]}" ] && [ -n "${RES[small]}" ]; then
    read -r _ full_rss _ <<<"${RES[j2]}"
    read -r _ small_rss _ <<<"${RES[small]}"
    v=$(awk -v a="$full_rss" -v b="$small_rss" 'BEGIN{printf "%+.1f", (a - b) * 100 / b}')
    printf '%-48s %8s%%  %-12s %s\n' "peak RSS, $COUNT vs $SMALL photo(s), --jobs 2" "$v" "within 15%" \
        "$(verdict "${v#[+-]}" "<=" 15)"
else
    printf '%-48s %9s  %-12s %s\n' "peak RSS, $COUNT vs $SMALL photo(s), --jobs 2" "n/a" "within 15%" "-"
fi
ratio "(context) peer scaling, -j2 / -j1" "$pj2_t" "$pj1_t" ""
echo
printf 'catalogs: %s; same contents at --jobs 1 and 2: %s\n' \
    "$(awk '{printf "%s%s %s rows/%s masters", (NR > 1 ? ", " : ""), $1, $2, $3}
        END {if (NR == 0) printf "none checked"}' "$RUN/rows")" "$SAME"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(nproc) CPUs shared with other work: figures are noisy, use --runs 3 or more"

if [ -e "$RUN/FAILED" ]; then
    echo "bench/batch.sh: some pipeline failed (see messages above); logs in $RUN" >&2
    exit 1
fi
exit 0
