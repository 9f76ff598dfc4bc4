#!/bin/sh
# Run every libFuzzer target for SECONDS (default 60) each; fail on any crash.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-"exif imgmeta manifest parsers ingest"}
if [ ! -x build-fuzz/fuzz/fuzz_exif ] || [ -n "${BA_FUZZ_REBUILD:-}" ]; then
    CC=clang cmake -S . -B build-fuzz -DBA_FUZZ=ON -DBA_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build-fuzz -j"$(nproc)" >/dev/null
[ -d fuzz/.corpus ] || sh fuzz/make-corpus.sh >/dev/null
mkdir -p fuzz/.artifacts
status=0
for t in $TARGETS; do
    mkdir -p "fuzz/.corpus/$t"
    log="fuzz/.artifacts/$t.log"
    echo "== fuzz_$t for ${SECONDS_EACH}s"
    if ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        VIPS_CONCURRENCY=1 \
        "build-fuzz/fuzz/fuzz_$t" "fuzz/.corpus/$t" -dict=fuzz/beforeafter.dict \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=20 \
        -artifact_prefix="fuzz/.artifacts/$t-" -print_final_stats=1 >"$log" 2>&1; then
        grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|cov:" "$log" | tail -3
    else
        echo "fuzz_$t FAILED: see $log" >&2
        tail -40 "$log" >&2
        status=1
    fi
done
exit $status
