#!/bin/sh
# A batch killed with SIGKILL at a random point, then run again (issue 6,
# DESIGN invariants 4 and 5). A manifest of 60 rows: 58 distinct photos, a
# byte-identical copy of one of them and a broken file. 15 rounds, each on a
# fresh library: 5 rounds with BA_FAULT_KILL at each step of the ingest
# pipeline, 10 rounds with kill -9 after a random delay within the measured
# duration of a full run (so the kills land mid-batch whatever the build's
# speed; seed in $BA_KILL_SEED, printed). After each kill: PRAGMA
# integrity_check = ok and verify reports at most orphan/stray-tmp files
# (never a row without its master). After each re-run: exit 1 (only the
# broken file fails), integrity ok, verify exit 0, 58 rows = 58 distinct
# originals = 58 files under masters/ = the masters the rows name, tmp/ empty,
# and the report's statuses add up (58 photos, 1 duplicate, 1 error).
set -eu
. "$(dirname "$0")/lib.sh"

F=$T/in
$PY "$E2E_DIR/fixtures/gen_photos.py" "$F" 58 --prefix k --size 320 240 || fail "generating photos"
cp "$F/k0007.jpg" "$F/copy7.jpg"
sz=$(wc -c <"$F/k0030.jpg")
head -c $((sz / 3)) "$F/k0030.jpg" >"$F/broken.jpg"
{
    echo "file,client,area,date,stage"
    i=0
    for f in "$F"/k*.jpg; do
        echo "$(basename "$f"),C-$((i % 3)),cheeks,2026-06-0$((i % 4 + 1)),before"
        i=$((i + 1))
        [ $i = 20 ] && echo "broken.jpg,C-0,neck,2026-06-01,after"
        [ $i = 40 ] && echo "copy7.jpg,C-1,neck,2026-06-01,after"
    done
} >"$F/m.csv"
assert_eq "manifest rows" 61 "$(nlines "$F/m.csv")"
GOOD=58

SEED=${BA_KILL_SEED:-$$}
echo "# kill seed: $SEED (BA_KILL_SEED=$SEED to repeat)"

batch() { # batch LIB [env assignments via the caller]
    "$BA" --library "$1" batch ingest "$F/m.csv" --create-clients --jobs 2 --report "$1.report"
}

# A full run, to time it (the second of two: warm caches, like the rounds).
"$BA" --library "$T/warm" -q init >/dev/null || fail "init"
batch "$T/warm" >/dev/null 2>&1 || true
L=$T/lib0
"$BA" --library "$L" -q init >/dev/null || fail "init"
t0=$(now_ms)
set +e
batch "$L" >"$T/out" 2>"$T/err"
RC=$?
set -e
DUR=$(($(now_ms) - t0))
expect_rc "uninterrupted batch" 1
assert_eq "uninterrupted: photos" $GOOD "$(rows "$L" photos)"
ok "uninterrupted batch: $GOOD photos in ${DUR} ms, exit 1 for the broken file"

# after_kill LIB WHAT: the state a kill left is consistent.
after_kill() {
    assert_eq "$2: integrity after the kill" ok "$(sqlite3 "$1/catalog.db" "PRAGMA integrity_check;")"
    set +e
    "$BA" --library "$1" --json verify >"$T/vout" 2>"$T/verr"
    vrc=$?
    set -e
    [ $vrc -lt 2 ] || fail "$2: verify after the kill: exit $vrc: $(head -c 400 "$T/verr")"
    bad=$($PY -c 'import json,sys
print(" ".join(sorted({json.loads(l)["problem"] for l in open(sys.argv[1]) if l.strip()} - {"orphan", "stray-tmp"})))' "$T/vout")
    [ -z "$bad" ] || fail "$2: after the kill verify finds more than orphan/stray files: $(head -c 600 "$T/vout")"
}

# after_rerun LIB WHAT: the re-run finished the batch exactly once.
after_rerun() {
    expect_rc "$2: re-run" 1
    assert_eq "$2: integrity" ok "$(sqlite3 "$1/catalog.db" "PRAGMA integrity_check;")"
    assert_eq "$2: photos" $GOOD "$(rows "$1" photos)"
    assert_eq "$2: distinct originals" $GOOD "$(sqlite3 "$1/catalog.db" "SELECT count(DISTINCT original_sha256) FROM photos;")"
    assert_eq "$2: files under masters/" $GOOD "$(nfiles "$1/masters")"
    assert_eq "$2: files under tmp/" 0 "$(nfiles "$1/tmp")"
    sqlite3 "$1/catalog.db" "SELECT 'masters/' || substr(master_sha256, 1, 2) || '/' || master_sha256 || '.jpg' FROM photos ORDER BY 1;" >"$T/want"
    (cd "$1" && find masters -type f | sort) >"$T/have"
    cmp -s "$T/want" "$T/have" || fail "$2: masters on disk differ from the rows: $(diff "$T/want" "$T/have" | head -4)"
    assert_eq "$2: report lines" 60 "$(nlines "$1.report")"
    assert_eq "$2: report errors" 1 "$(grep -c '"status":"error"' "$1.report" || true)"
    grep '"status":"error"' "$1.report" | grep -q 'broken.jpg' || fail "$2: the error is not the broken file: $(grep '"status":"error"' "$1.report")"
    assert_eq "$2: stderr error lines" 1 "$(grep -c '^beforeafter: ' "$T/err" || true)"
    run_ba --library "$1" verify
    expect_rc "$2: verify after the re-run ($(head -3 "$T/out"))" 0
}

partial=0
round=0
for step in start after-tmp-create after-master-write after-master-rename after-commit; do
    round=$((round + 1))
    L=$T/lib$round
    "$BA" --library "$L" -q init >/dev/null || fail "init"
    # (in a subshell with stderr muted: no "Killed" from the shell)
    (
        set +e
        BA_FAULT_KILL=$step batch "$L" >"$T/out" 2>"$T/err"
        echo $? >"$T/rc"
    ) 2>/dev/null
    RC=$(cat "$T/rc")
    assert_eq "round $round: BA_FAULT_KILL=$step exit (killed)" 137 "$RC"
    n=$(rows "$L" photos)
    if [ $step = after-commit ]; then
        assert_eq "round $round: rows after a kill after the first commit" 1 "$n"
    else
        assert_eq "round $round: rows after a kill at $step" 0 "$n"
    fi
    after_kill "$L" "round $round ($step)"
    set +e
    batch "$L" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    after_rerun "$L" "round $round ($step)"
    ok "round $round: BA_FAULT_KILL=$step -> killed with $n rows; re-run: $GOOD photos once, masters = rows, verify ok"
done

# Random kill delays in [20 ms, 95% of a full run], reproducible from the seed.
DELAYS=$($PY -c 'import random,sys
random.seed(int(sys.argv[1])); d = int(sys.argv[2])
print(" ".join(str(random.randint(20, max(40, d * 95 // 100))) for _ in range(10)))' "$SEED" "$DUR")
for ms in $DELAYS; do
    round=$((round + 1))
    L=$T/lib$round
    "$BA" --library "$L" -q init >/dev/null || fail "init"
    # $BA itself in the background (not a function: that would be a subshell,
    # and killing it would leave the real process running).
    "$BA" --library "$L" batch ingest "$F/m.csv" --create-clients --jobs 2 --report "$L.report" \
        >"$T/out" 2>"$T/err" &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 $pid 2>/dev/null || true
    set +e
    wait $pid 2>/dev/null
    krc=$?
    set -e
    n=$(rows "$L" photos)
    [ "$n" -le $GOOD ] || fail "round $round: $n rows after the kill"
    [ $krc = 137 ] && [ "$n" -gt 0 ] && [ "$n" -lt $GOOD ] && partial=$((partial + 1))
    after_kill "$L" "round $round (kill after $ms ms)"
    set +e
    batch "$L" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    after_rerun "$L" "round $round (kill after $ms ms)"
    ok "round $round: kill -9 after $ms ms (exit $krc, $n rows committed); re-run: $GOOD photos once, masters = rows, verify ok"
done
[ $partial -ge 2 ] || fail "only $partial of 10 random kills landed mid-batch (full run: $DUR ms)"
ok "$partial of 10 random kills interrupted the batch mid-way"
