#!/bin/bash
# The web app's benchmark (issue 15): headless Chromium against `serve` on
# loopback, a library of 500 photos over 50 clients.
#
#   bench/web.sh [--photos 500] [--clients 50] [--page 60] [--size 3000x4000]
#                [--runs 3] [--workdir DIR] [--keep]
#
#   --photos N    photos in the library (12 MP-ish JPEGs made from the sample
#                 face; cached in the workdir between runs)
#   --clients N   clients they are spread over
#   --page N      photos of the measured client C-001 (its page's thumbnails)
#   --size WxH    the fake camera's frame for the capture round trip (12 MP)
#   --runs N      warm page loads and capture round trips measured
#   --workdir D   default bench/.work/web (gitignored)
#   --keep        keep the library of the run
#   BA=path       the beforeafter binary (default build/beforeafter)
#
# Measures (bench/web_bench.py has the details):
#   a) navigation to C-001's page -> every thumbnail on it decoded
#      (performance.now() when the last <img>.decode() resolved), on the
#      first visit after the batch ingest (which made the thumbnails) and
#      warm; target < 1 s.
#   b) capture -> saved -> aligned for a 12 MP frame: from the click on
#      "Save photo" to the role=status with the photo and its alignment
#      score; target < 3 s.
# Exits non-zero only when a tool fails, never because a target is missed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "bench/web.sh: $*" >&2; exit 2; }
PHOTOS=500 CLIENTS=50 PAGE=60 SIZE=3000x4000 RUNS=3 WORK=$ROOT/bench/.work/web KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
        --photos) PHOTOS=${2:?}; shift 2 ;;
        --clients) CLIENTS=${2:?}; shift 2 ;;
        --page) PAGE=${2:?}; shift 2 ;;
        --size) SIZE=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --workdir) WORK=${2:?}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
for v in "$PHOTOS" "$CLIENTS" "$PAGE" "$RUNS"; do
    case $v in ''|*[!0-9]*|0) die "counts are positive integers" ;; esac
done
[ "$PAGE" -le "$PHOTOS" ] && [ "$CLIENTS" -ge 2 ] || die "--page <= --photos, --clients >= 2"
case $SIZE in [0-9]*x[0-9]*) ;; *) die "--size must be WxH" ;; esac
BA=${BA:-$ROOT/build/beforeafter}
[ -x "$BA" ] || die "beforeafter binary '$BA' not found (build it or set BA=...)"
for tool in /usr/bin/chromium /usr/bin/chromedriver openssl; do
    command -v "$tool" >/dev/null || die "'$tool' not found; run scripts/install-deps.sh"
done
PY=/usr/bin/python3
$PY -c 'import selenium, PIL, numpy' || die "python3-selenium/pil/numpy missing; run scripts/install-deps.sh"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
rm -rf "$WORK/run"
mkdir -p "$WORK/run"
export VIPS_WARNING=0 KEEP
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the source tree
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
echo "web benchmark: $PHOTOS photos over $CLIENTS clients, a $PAGE-photo page, a $SIZE capture"
echo "  host: ${cpu:-?}, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
HOME=$WORK/run TMPDIR=$WORK/run "$PY" "$ROOT/bench/web_bench.py" "$BA" "$WORK" "$ROOT/samples" \
    "$PHOTOS" "$CLIENTS" "$PAGE" "$SIZE" "$RUNS"
