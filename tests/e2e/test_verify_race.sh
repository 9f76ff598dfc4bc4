#!/bin/sh
# Issue 10, item 2: verify --repair during an ingest deleted masters.  verify
# read the photo rows, hashed every master, then scanned masters/ unlocked:
# each photo committed meanwhile looked like an orphan and was unlinked (37 of
# 60 lost in one run), and plain verify reported false orphans.
#
# BA_RACE_ROUNDS rounds (default 4) on one library: one ingest of 64 distinct
# 1600x1200 photos (seconds, from the input size alone) runs while verify runs
# back to back, alternately plain and --repair, until the ingest ends.  Every
# verify during the ingest must exit 0 with no line at all (no false orphan,
# nothing removed); after each round the ingest exited 0, every photo row's
# master exists, rows = master files, and verify exits 0.  The masters verify
# hashes grow every round, so later rounds widen the window the old code had.
set -eu
. "$(dirname "$0")/lib.sh"

ROUNDS=${BA_RACE_ROUNDS:-4}
N=64
L=$T/lib
new_library "$L" C-1

# lost_masters: how many photo rows' masters are not files.
lost_masters() {
    sqlite3 "$L/catalog.db" "SELECT 'masters/' || substr(master_sha256, 1, 2) || '/' ||
        master_sha256 || '.jpg' FROM photos;" >"$T/rows"
    lost=0
    while read -r m; do
        [ -f "$L/$m" ] || lost=$((lost + 1))
    done <"$T/rows"
    echo "$lost"
}

total_verifies=0
total_repairs=0
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    d=$T/in$r
    $PY "$E2E_DIR/fixtures/gen_photos.py" "$d" "$N" --start $((r * N)) --size 1600 1200 \
        --prefix "r$r-" || fail "generating round $r"
    before=$(rows "$L" photos)
    rm -f "$T/ingest.rc"
    (
        set +e
        "$BA" --library "$L" --json ingest --client C-1 --area cheeks \
            --date "2026-03-$((10 + r))" "$d"/*.jpg >"$T/ingest.out" 2>"$T/ingest.err"
        echo $? >"$T/ingest.rc"
    ) &
    pid=$!
    v=0
    bad=0
    : >"$T/verify.out"
    while [ ! -e "$T/ingest.rc" ]; do
        if [ $((v % 2)) = 0 ]; then mode=--repair; else mode=; fi
        set +e
        # shellcheck disable=SC2086
        "$BA" --library "$L" --json verify $mode >"$T/v.out" 2>"$T/v.err"
        vrc=$?
        set -e
        # The verdict object ends every --json verify; the problems are the rest.
    { grep -v '^{"kind":"verify",' "$T/v.out" || true; cat "$T/v.err"; } >>"$T/verify.out"
        [ "$vrc" = 0 ] || bad=$((bad + 1))
        v=$((v + 1))
        [ -n "$mode" ] && total_repairs=$((total_repairs + 1))
    done
    wait "$pid" || true
    total_verifies=$((total_verifies + v))
    lost=$(lost_masters)
    removed=$(grep -c '"repaired":true' "$T/verify.out" || true)
    [ "$lost" = 0 ] && [ "$bad" = 0 ] ||
        fail "round $r: $lost of $(rows "$L" photos) photos lost their master; $bad of $v verify runs during the ingest exited non-zero, $(grep -c '"orphan"' "$T/verify.out" || true) orphan lines, $removed files removed: $(head -c 400 "$T/verify.out")"
    # One verify that started while the ingest ran already overlaps it (on a
    # loaded machine, or under ASan, one verify can outlast the ingest).
    [ "$v" -ge 1 ] || fail "round $r: the ingest ended before any verify ran (too fast to race)"
    assert_eq "round $r: ingest exit code (stderr: $(head -c 300 "$T/ingest.err"))" 0 "$(cat "$T/ingest.rc")"
    assert_eq "round $r: verify lines during the ingest (got: $(head -3 "$T/verify.out"))" 0 \
        "$(nlines "$T/verify.out")"
    assert_eq "round $r: photos added" "$N" $(($(rows "$L" photos) - before))
    assert_eq "round $r: rows = master files" "$(rows "$L" photos)" "$(nfiles "$L/masters")"
    run_ba --library "$L" verify
    expect_rc "round $r: verify after the ingest" 0
    ok "round $r: $N photos ingested beside $v verify runs ($(((v + 1) / 2)) with --repair): none lost, no false orphan, verify exits 0"
    rm -rf "$d"
    r=$((r + 1))
done
[ "$total_verifies" -gt "$ROUNDS" ] || fail "only $total_verifies verify runs in $ROUNDS rounds"
ok "$ROUNDS rounds: $((ROUNDS * N)) photos ingested, $total_verifies verify runs ($total_repairs --repair), 0 masters lost"
