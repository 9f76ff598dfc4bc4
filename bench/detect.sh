#!/bin/bash
# Face and eye detector accuracy (bench/detect_accuracy.py says what and how):
# every image through our own binary, every cascade combination through the
# test hook BA_TEST_CASCADES (so BA must be a test build, the default one).
#
#   bench/detect.sh [--combos all|chosen] [--details]    BA=path (default build/beforeafter)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BA=${BA:-$ROOT/build/beforeafter}
[ -x "$BA" ] || { echo "bench/detect.sh: no binary at $BA (build first)" >&2; exit 2; }
# Debian's python3-opencv and python3-skimage live in the system python.
PY=/usr/bin/python3
start=$(date +%s.%N)
"$PY" "$ROOT/bench/detect_accuracy.py" --ba "$BA" --work "$ROOT/bench/.work/detect" "$@"
echo
echo "($(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s)"
