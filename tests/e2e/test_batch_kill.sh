#!/bin/sh
# A batch killed with SIGKILL at a random point, then run again (issue 6,
# DESIGN invariants 4 and 5). A manifest of 60 rows: 58 distinct photos, a
# byte-identical copy of one of them and a broken file. 12 rounds, each on a
# fresh library: 3 rounds with BA_FAULT_KILL at the steps that leave files
# behind (after-master-write, after-master-rename, after-commit), 5 with
# kill -9 a random 0-60 ms after a random number (1-45) of photos were
# committed, 3 with kill -9 after a random delay within the measured
# duration of a full run (so the kills land mid-batch whatever the
# build's speed; seed in $BA_KILL_SEED, printed). After each kill: PRAGMA
# integrity_check = ok and verify reports at most orphan/stray-tmp files
# (never a row without its master). After each re-run: exit 1 (only the
# broken file fails), integrity ok, verify exit 0, 58 rows = 58 distinct
# originals = 58 files under masters/ = the masters the rows name, tmp/ empty,
# and the report's statuses add up (58 photos, 1 duplicate, 1 error).
# A 12th round sends SIGINT after 10 results: exit 130, the library
# consistent without repair (verify exit 0 at once), the re-run finishes it.
set -eu
. "$(dirname "$0")/lib.sh"

F=$T/in
$PY "$E2E_DIR/fixtures/gen_photos.py" "$F" 58 --prefix k --size 160 120 || fail "generating photos"
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

# A full run, to time it.
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
objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(" ".join(sorted({o["problem"] for o in objs if o["kind"] == "problem"} - {"orphan", "stray-tmp"})))' "$T/vout")
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
    # (copy7.jpg, stored before as cheeks/before, is a duplicate with a warning: not an error)
    assert_eq "$2: stderr error lines" 1 "$(grep '^beforeafter: ' "$T/err" | grep -vc ': warning: ' || true)"
    run_ba --library "$1" verify
    expect_rc "$2: verify after the re-run ($(head -3 "$T/out"))" 0
}

partial=0
round=0
# (start and after-tmp-create are covered for one photo in test_faults.sh)
for step in after-master-write after-master-rename after-commit; do
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

# 8 more rounds, reproducible from the seed: 5 "after R results + J ms" (R in
# 1..45 lines of the report, which is written as each photo is committed; J
# in 0..60 ms, landing anywhere in the pipeline of the photos in flight) and
# 3 "after MS ms" (MS in 20 ms .. 95% of a full run, so also before the first
# commit or near the end).
SPECS=$($PY -c 'import random,sys
random.seed(int(sys.argv[1])); d = int(sys.argv[2])
s = ["n:%d:%d" % (random.randint(1, 45), random.randint(0, 60)) for _ in range(5)]
s += ["t:%d" % random.randint(20, max(40, d * 95 // 100)) for _ in range(3)]
print(" ".join(s))' "$SEED" "$DUR")
msec() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
# Lines of report FILE so far: a report is written to .FILE.tmp-* beside it
# and renamed over FILE when the batch ends.
report_lines() {
    cat "$(dirname "$1")/.$(basename "$1").tmp-"* "$1" 2>/dev/null | wc -l
}
for spec in $SPECS; do
    round=$((round + 1))
    L=$T/lib$round
    "$BA" --library "$L" -q init >/dev/null || fail "init"
    # $BA itself in the background (not a function: that would be a subshell,
    # and killing it would leave the real process running).
    "$BA" --library "$L" batch ingest "$F/m.csv" --create-clients --jobs 2 --report "$L.report" \
        >"$T/out" 2>"$T/err" &
    pid=$!
    case $spec in
    n:*)
        want=$(echo "$spec" | cut -d: -f2)
        jit=$(echo "$spec" | cut -d: -f3)
        how="kill -9 after $want results + $jit ms"
        while kill -0 $pid 2>/dev/null; do
            got=$(report_lines "$L.report")
            [ "$got" -lt "$want" ] || break
            sleep 0.005
        done
        sleep "$(msec "$jit")"
        ;;
    t:*)
        ms=${spec#t:}
        how="kill -9 after $ms ms"
        sleep "$(msec "$ms")"
        ;;
    esac
    kill -9 $pid 2>/dev/null || true
    set +e
    wait $pid 2>/dev/null
    krc=$?
    set -e
    n=$(rows "$L" photos)
    [ "$n" -le $GOOD ] || fail "round $round: $n rows after the kill"
    case $spec in
    n:*) [ $krc = 137 ] && [ "$n" -gt 0 ] && [ "$n" -lt $GOOD ] && partial=$((partial + 1)) ;;
    esac
    after_kill "$L" "round $round ($how)"
    set +e
    batch "$L" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    after_rerun "$L" "round $round ($how)"
    ok "round $round: $how (exit $krc, $n rows committed); re-run: $GOOD photos once, masters = rows, verify ok"
done
[ $partial -ge 3 ] || fail "only $partial of the 5 kills after R results landed mid-batch"
ok "$partial of 5 result-triggered kills interrupted the batch mid-way"

# Ctrl-C (SIGINT) after some results: the photos in flight finish, the rest
# are not started, exit 130, and the library is consistent as it stands (no
# repair needed: no orphan master, no tmp file); the re-run finishes it.
round=$((round + 1))
L=$T/lib$round
"$BA" --library "$L" -q init >/dev/null || fail "init"
# (an asynchronous command of a non-interactive shell starts with SIGINT
# ignored: give the binary the default disposition, as a terminal would)
$PY -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$BA" --library "$L" batch ingest "$F/m.csv" --create-clients \
    --jobs 2 --report "$L.report" >"$T/out" 2>"$T/err" &
pid=$!
while kill -0 $pid 2>/dev/null; do
    got=$(report_lines "$L.report")
    [ "$got" -lt 10 ] || break
    sleep 0.005
done
kill -INT $pid 2>/dev/null || true
set +e
wait $pid 2>/dev/null
irc=$?
set -e
n=$(rows "$L" photos)
assert_eq "SIGINT: exit (stdout: $(cat "$T/out"))" 130 "$irc"
[ "$n" -ge 9 ] && [ "$n" -lt $GOOD ] || fail "SIGINT after 10 results: $n rows"
grep -q 'interrupted' "$T/out" || fail "SIGINT: the summary should say interrupted: $(cat "$T/out")"
assert_eq "SIGINT: results reported = inputs finished" "$(nlines "$L.report")" \
    "$(($(grep -c '"status":"ingested"' "$L.report") + $(grep -c '"status":"duplicate"' "$L.report" || true) + $(grep -c '"status":"error"' "$L.report" || true)))"
assert_eq "SIGINT: rows = ingested results" "$(grep -c '"status":"ingested"' "$L.report")" "$n"
assert_eq "SIGINT: masters = rows" "$n" "$(nfiles "$L/masters")"
assert_eq "SIGINT: tmp/" 0 "$(nfiles "$L/tmp")"
run_ba --library "$L" verify
expect_rc "SIGINT: verify without repair ($(head -3 "$T/out"))" 0
set +e
batch "$L" >"$T/out" 2>"$T/err"
RC=$?
set -e
after_rerun "$L" "round $round (SIGINT)"
ok "round $round: SIGINT after 10 results -> exit 130 with $n photos committed, nothing to repair; re-run: $GOOD photos once, verify ok"
