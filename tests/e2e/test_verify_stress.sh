#!/bin/sh
# Issue 10's stress test: verify --repair in a loop beside four concurrent
# ingest processes for BA_STRESS_SECONDS (default 60) loses nothing.
#
# Each of the four writers loops until the deadline: make 16 fresh, distinct
# 1024x768 photos (never seen before by any writer), ingest them (one
# process, its own session date), check its exit code.  Beside them verify
# --repair runs back to back.  Every verify must exit 0 and print nothing (no
# false orphan, nothing removed); every ingest exits 0; afterwards every
# photo row's master exists, rows = master files = photos the writers made,
# and verify exits 0.
set -eu
. "$(dirname "$0")/lib.sh"

SECONDS_=${BA_STRESS_SECONDS:-60}
CHUNK=16
L=$T/lib
new_library "$L" C-1

end=$(($(date +%s) + SECONDS_))
# writer K: photos K*2000 ... (gen_photos gives 8385 distinct 1024x768 crops)
writer() {
    k=$1
    j=0
    made=0
    while [ "$(date +%s)" -lt "$end" ] && [ $(((j + 1) * CHUNK)) -le 2000 ]; do
        d=$T/w$k
        rm -rf "$d"
        $PY "$E2E_DIR/fixtures/gen_photos.py" "$d" "$CHUNK" --start $((k * 2000 + j * CHUNK)) \
            --size 1024 768 --prefix "w$k-" >/dev/null || { echo "gen failed" >>"$T/w$k.fail"; break; }
        set +e
        "$BA" --library "$L" -q ingest --client C-1 --area cheeks --date "2026-04-0$((k + 1))" \
            "$d"/*.jpg >>"$T/w$k.out" 2>>"$T/w$k.err"
        rc=$?
        set -e
        [ "$rc" = 0 ] || echo "chunk $j: ingest exit $rc" >>"$T/w$k.fail"
        made=$((made + CHUNK))
        j=$((j + 1))
    done
    rm -rf "$T/w$k"
    echo "$made" >"$T/w$k.made"
}

for k in 0 1 2 3; do
    writer "$k" &
done

repairs=0
bad=0
: >"$T/verify.out"
while [ "$(date +%s)" -lt "$end" ]; do
    set +e
    "$BA" --library "$L" --json verify --repair >"$T/v.out" 2>"$T/v.err"
    vrc=$?
    set -e
    # The verdict object ends every --json verify; the problems are the rest.
    { grep -v '^{"kind":"verify",' "$T/v.out" || true; cat "$T/v.err"; } >>"$T/verify.out"
    [ "$vrc" = 0 ] || bad=$((bad + 1))
    repairs=$((repairs + 1))
done
wait

made=0
for k in 0 1 2 3; do
    [ -e "$T/w$k.made" ] || fail "writer $k did not finish"
    made=$((made + $(cat "$T/w$k.made")))
    [ ! -e "$T/w$k.fail" ] || fail "writer $k: $(head -3 "$T/w$k.fail"); stderr: $(head -c 300 "$T/w$k.err")"
done
sqlite3 "$L/catalog.db" "SELECT 'masters/' || substr(master_sha256, 1, 2) || '/' ||
    master_sha256 || '.jpg' FROM photos;" >"$T/rows"
lost=0
while read -r m; do
    [ -f "$L/$m" ] || lost=$((lost + 1))
done <"$T/rows"
[ "$lost" = 0 ] && [ "$bad" = 0 ] ||
    fail "$lost of $(rows "$L" photos) photos lost their master; $bad of $repairs verify --repair runs exited non-zero, $(grep -c '"repaired":true' "$T/verify.out" || true) files removed: $(head -c 400 "$T/verify.out")"
[ "$repairs" -ge 5 ] || fail "only $repairs verify --repair runs in ${SECONDS_} s"
assert_eq "verify --repair lines during the ingests (got: $(head -3 "$T/verify.out"))" 0 "$(nlines "$T/verify.out")"
assert_eq "photo rows = photos the writers made" "$made" "$(rows "$L" photos)"
assert_eq "rows = master files" "$made" "$(nfiles "$L/masters")"
assert_eq "tmp/ after the writers" 0 "$(nfiles "$L/tmp")"
run_ba --library "$L" verify
expect_rc "verify after the stress" 0
ok "${SECONDS_} s: 4 writers ingested $made photos beside $repairs verify --repair runs: 0 masters lost, no false orphan, verify exits 0"
