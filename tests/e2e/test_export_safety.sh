#!/bin/sh
# Exports that cannot escape their record (issue 10, items 4-7):
# - item 4: a kill at each step of an export (fault points), and kill -9 /
#   Ctrl-C at random instants, never leave a final-named image that no export
#   record lists; the record is pending, `audit` and `verify` list it with its
#   files, `verify --repair` marks it interrupted and removes the temporary
#   folder; export ids are never reused;
# - item 5: a revocation racing an export either refuses the export (nothing
#   written) or lists it for take-down — never "no exports to take down" with
#   images in the destination;
# - item 6: the library's time zone decides "today", whatever TZ says;
# - item 7: eye points a few pixels apart, and a region to hide that lies
#   outside what the comparison shows, are refused with nothing written.
# Slowness comes from the photos' size (12 MP), never from sleeps in the code.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
D=$T/dst
mkdir -p "$F" "$D"
new_library "$L" A
B() { "$BA" --library "$L" "$@"; }
today=$($PY -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).date())')
yesterday=$($PY -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1))')
tomorrow=$($PY -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1))')
B -q init --timezone UTC
assert_eq "library time zone" "UTC" "$(sqlite3 "$L/catalog.db" "SELECT value FROM settings WHERE key='timezone'")"

# Big photos: rendering an export of them takes long enough to be interrupted.
vips resize "$ASTRO" "$F/big.v" 8
vips crop "$F/big.v" "$F/b1.jpg" 0 0 4000 3000
vips crop "$F/big.v" "$F/b2.jpg" 40 30 4000 3000
vips crop "$F/big.v" "$F/b3.jpg" 80 60 4000 3000
rm -f "$F/big.v"
B -q ingest --client A --area cheeks --stage before --date 2026-01-01 "$F/b1.jpg"
B -q ingest --client A --area cheeks --stage progress --date 2026-02-01 "$F/b2.jpg"
B -q ingest --client A --area cheeks --stage after --date 2026-03-01 "$F/b3.jpg"
B -q compare 1 2 -o "$T/c1.png" --width 3000
B -q compare 1 3 -o "$T/c2.png" --width 3000
B -q compare 1 2 3 --layout timeline -o "$T/c3.png" --width 3000
B -q consent grant A --scope marketing
COMPS="1 2 3"
# Fewer rounds under ASan/UBSan, where each export takes several times longer.
KILL_ROUNDS=12
RACE_ROUNDS=8
if [ -n "${BA_UNDER_ASAN:-}" ]; then KILL_ROUNDS=5; RACE_ROUNDS=4; fi

# every_file_recorded DIR WHAT: each <id>-<n>.png / export.json in DIR is
# named by an export record of that destination.
every_file_recorded() {
    dest=$(cd "$1" && pwd -P)
    for f in "$1"/*; do
        [ -e "$f" ] || continue
        name=$(basename "$f")
        case "$name" in
        export.json | export.json.sig)
            n=$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM exports WHERE destination='$dest'") ;;
        *)
            n=$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM export_items i JOIN exports e
                 ON e.id = i.export_id WHERE e.destination='$dest' AND i.file='$name'") ;;
        esac
        [ "$n" -ge 1 ] || fail "$2: $name in $1 is in no export record"
    done
}

# --- item 4: a kill at each step ------------------------------------------------
prev_id=0
for step in export-recorded export-image-placed export-manifest-placed export-placed; do
    dir=$D/fault-$step
    set +e
    BA_FAULT_KILL=$step "$BA" --library "$L" export $COMPS --purpose marketing --to "$dir" \
        >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    assert_eq "kill at $step: exit" 137 "$RC"
    every_file_recorded "$dir" "kill at $step"
    id=$(sqlite3 "$L/catalog.db" "SELECT max(id) FROM exports")
    assert_eq "kill at $step: status" pending \
        "$(sqlite3 "$L/catalog.db" "SELECT status FROM exports WHERE id=$id")"
    [ "$id" -gt "$prev_id" ] || fail "kill at $step: export id $id reused"
    prev_id=$id
    run_ba --library "$L" audit
    expect_rc "audit after kill at $step" 0
    assert_contains "audit lists the unfinished export" "$T/out" "unfinished export $id"
    # Another writer runs first: its sweep of dead writers' tmp/ files must
    # leave the export's note, or the temporary folder could not be found.
    B -q compare 1 2 -o "$T/sweep-$step.png" --width 400
    run_ba --library "$L" verify
    expect_rc "verify after kill at $step" 1
    assert_contains "verify names the export" "$T/out" "export $id"
    run_ba --library "$L" verify --repair
    expect_rc "verify --repair after kill at $step" 1
    assert_eq "repaired: status" interrupted \
        "$(sqlite3 "$L/catalog.db" "SELECT status FROM exports WHERE id=$id")"
    [ -z "$(find "$dir" -name '.ba-export-*')" ] || fail "kill at $step: temporary folder left"
    B -q verify
    ok "kill at $step: export $id pending with its files, listed by audit and verify, repaired"
done

# --- item 4: kill -9 and Ctrl-C at random instants ------------------------------
t0=$(now_ms)
B -q export $COMPS --purpose marketing --to "$D/timed"
ms=$(($(now_ms) - t0))
every_file_recorded "$D/timed" "a whole export"
ok "one export of 3 comparisons takes $ms ms"
round=0
while [ $round -lt $KILL_ROUNDS ]; do
    round=$((round + 1))
    dir=$D/rand-$round
    delay=$($PY -c "import random; print('%.3f' % (random.uniform(0.3, 1.1) * $ms / 1000))")
    sig=KILL
    [ $((round % 3)) -eq 0 ] && sig=INT
    "$BA" --library "$L" export $COMPS --purpose marketing --to "$dir" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -s $sig $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    [ -d "$dir" ] && every_file_recorded "$dir" "round $round ($sig after $delay s)"
done
B -q verify --repair >/dev/null || true
B -q verify
dup=$(sqlite3 "$L/catalog.db" "SELECT count(*) - count(DISTINCT id) FROM exports")
assert_eq "export ids unique" 0 "$dup"
[ -z "$(find "$D" -name '.ba-export-*')" ] || fail "temporary export folders left after repair"
ok "$KILL_ROUNDS random kill -9 / Ctrl-C: no unrecorded image, ids never reused, verify clean after repair"

# --- item 5: revocation racing an export ----------------------------------------
round=0
while [ $round -lt $RACE_ROUNDS ]; do
    round=$((round + 1))
    dir=$D/race-$round
    B -q consent grant A --scope marketing
    delay=$($PY -c "import random; print('%.3f' % (random.uniform(0.1, 0.9) * $ms / 1000))")
    set +e
    "$BA" --library "$L" --json export $COMPS --purpose marketing --to "$dir" >"$T/exp.out" 2>"$T/exp.err" &
    pid=$!
    sleep "$delay"
    "$BA" --library "$L" consent revoke A --scope marketing >"$T/rev.out" 2>"$T/rev.err"
    rrc=$?
    wait $pid
    erc=$?
    set -e
    assert_eq "round $round: revoke exit" 0 "$rrc"
    if [ "$erc" = 0 ]; then
        id=$(json_field export_id <"$T/exp.out")
        assert_contains "round $round: export $id done before the revocation is listed" \
            "$T/rev.out" "take down export $id "
    else
        assert_eq "round $round: refused export exit" 1 "$erc"
        assert_contains "round $round: refusal" "$T/exp.err" "refused"
        n=$(find "$dir" -maxdepth 1 -type f 2>/dev/null | wc -l)
        assert_eq "round $round: refused export wrote nothing" 0 "$n"
    fi
done
ok "$RACE_ROUNDS revocations racing exports: each export refused or listed for take-down"

# --- item 6: the library's time zone, never TZ ----------------------------------
B -q consent grant A --scope education --granted "$yesterday" --expires "$yesterday"
run_ba --library "$L" consent list A
for tz in Etc/GMT+12 Etc/GMT-14 Pacific/Kiritimati; do
    n0=$(rows "$L" exports)
    set +e
    TZ=$tz "$BA" --library "$L" export 1 --purpose education --to "$D/tz-$n0" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    expect_rc "TZ=$tz: export under a consent that expired yesterday (UTC library)" 1
    assert_eq "TZ=$tz: nothing recorded" "$n0" "$(rows "$L" exports)"
    set +e
    TZ=$tz "$BA" --library "$L" consent grant A --scope education --granted "$tomorrow" \
        >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    expect_rc "TZ=$tz: a grant dated tomorrow" 2
done
TZ=Etc/GMT-14 B -q consent grant A --scope education --granted "$today"
ok "TZ cannot move consent dates: the library's zone (UTC) decides"

# --- item 7: eye points and regions that hide nothing ---------------------------
n0=$(rows "$L" exports)
run_ba --library "$L" export 1 --purpose clinical --to "$D/eyes-close" \
    --deidentify half-letterbox --eyes 3995,2995,3999,2999
expect_rc "eye points 5.7 px apart" 2
assert_contains "eye points 5.7 px apart" "$T/err" "apart"
[ ! -e "$D/eyes-close" ] || [ -z "$(ls -A "$D/eyes-close")" ] || fail "eye points: files written"
# Photo 4 is shifted by (2000,1500) from photo 1: comparison 4 shows only the
# lower right quarter of photo 1, so a bar on the upper left eyes hides nothing.
vips crop "$ASTRO" "$F/s1.png" 0 0 512 512
vips crop "$ASTRO" "$F/s2.png" 256 256 256 256
vips resize "$F/s2.png" "$F/s2b.png" 2
B -q ingest --client A --area lips --stage before --date 2026-01-05 "$F/s1.png"
B -q ingest --client A --area lips --stage after --date 2026-02-05 "$F/s2b.png"
p1=$(sqlite3 "$L/catalog.db" "SELECT max(id) - 1 FROM photos")
p2=$((p1 + 1))
B -q align $p2 --to $p1 --points "256,256 511,511 : 0,0 510,510"
B -q compare $p1 $p2 -o "$T/shift.png"
c4=$(sqlite3 "$L/catalog.db" "SELECT max(id) FROM comparisons")
run_ba --library "$L" export "$c4" --purpose clinical --to "$D/outside" --deidentify eyes \
    --eyes 20,20,80,20
expect_rc "a bar outside the comparison's crop" 1
assert_contains "a bar outside the crop" "$T/err" "outside the part of the photos shown"
assert_eq "bar outside: nothing recorded" "$n0" "$(rows "$L" exports)"
[ ! -e "$D/outside" ] || [ -z "$(ls -A "$D/outside")" ] || fail "bar outside: files written"
ok "eye points too close and a bar outside the crop are refused; nothing written"
