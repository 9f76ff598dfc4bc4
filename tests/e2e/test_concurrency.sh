#!/bin/sh
# Two ingest processes on one library at the same time, each with 15 distinct
# JPEGs plus 3 shared by both: both exit 0, each distinct photo is in the
# catalog exactly once (rows = distinct files = masters), each shared file is
# "ingested" by one process and "duplicate" (same photo_id) in the other, no
# "database is locked", nothing left in tmp/, PRAGMA integrity_check = ok.
# When the two processes ingest for different clients (round 2), a shared file
# is "ingested" by one and an error in the other ("already stored as photo N
# of another client", issue 12), which then exits 1.
# Three rounds: same client and date (both race for one session), two
# clients, and EXIF dates.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
new_library "$L" C-1 C-2

N=15
S=3
# fixtures ROUND: $T/rR/{a,b,s}NN.jpg, every crop distinct over all rounds;
# round 3 gets EXIF DateTimeOriginal 2026-03-10/11/12 (by crop number mod 3).
fixtures() {
    r=$1
    d=$T/r$r
    mkdir -p "$d"
    k=0
    for set in a b s; do
        cnt=$N
        [ "$set" = s ] && cnt=$S
        i=0
        while [ "$i" -lt "$cnt" ]; do
            vips crop "$ASTRO" "$d/$set$i.jpg" $((k * 3)) $((r * 50 + k % 7)) 400 300 ||
                fail "vips crop $d/$set$i.jpg"
            echo "$d/$set$i.jpg" >>"$d/day$((k % 3))"
            i=$((i + 1))
            k=$((k + 1))
        done
    done
    if [ "$r" = 3 ]; then
        for day in 0 1 2; do
            exiftool -q -q -m -overwrite_original "-ExifIFD:DateTimeOriginal=2026:03:1$day 12:00:00" \
                -@ "$d/day$day" || fail "exiftool dates for round 3"
        done
    fi
}

# race ROUND ARGS_A -- ARGS_B: both processes wait on a barrier, then start.
total=0
race() {
    r=$1
    cross=${4:-}
    d=$T/r$r
    fixtures "$r"
    rm -f "$T/go"
    (
        while [ ! -e "$T/go" ]; do sleep 0.01; done
        # shellcheck disable=SC2086
        exec "$BA" --library "$L" --json ingest $2 "$d"/a*.jpg "$d"/s*.jpg >"$T/A.out" 2>"$T/A.err"
    ) &
    pa=$!
    (
        while [ ! -e "$T/go" ]; do sleep 0.01; done
        # shellcheck disable=SC2086
        exec "$BA" --library "$L" --json ingest $3 "$d"/s*.jpg "$d"/b*.jpg >"$T/B.out" 2>"$T/B.err"
    ) &
    pb=$!
    sleep 0.1
    touch "$T/go"
    set +e
    wait "$pa"
    ra=$?
    wait "$pb"
    rb=$?
    set -e
    if [ -z "$cross" ]; then
        assert_eq "round $r: process A exit code (stderr: $(head -c 400 "$T/A.err"))" 0 "$ra"
        assert_eq "round $r: process B exit code (stderr: $(head -c 400 "$T/B.err"))" 0 "$rb"
    fi
    for p in A B; do
        if grep -qi "locked\|busy" "$T/$p.err"; then
            fail "round $r: process $p: expected no 'database is locked', got: $(cat "$T/$p.err")"
        fi
        if [ -n "$cross" ]; then
            # Only "another client" errors, and exit 1 exactly when there is one.
            if grep -v 'already stored as photo [0-9]* of another client$' "$T/$p.err" | grep -q .; then
                fail "round $r: process $p: unexpected stderr: $(cat "$T/$p.err")"
            fi
            want=0
            [ ! -s "$T/$p.err" ] || want=1
            [ "$p" = A ] && got=$ra || got=$rb
            assert_eq "round $r: process $p exit code" "$want" "$got"
        else
            [ ! -s "$T/$p.err" ] || fail "round $r: process $p: expected empty stderr, got: $(cat "$T/$p.err")"
        fi
    done
    assert_eq "round $r: A result lines" $((N + S)) "$(nlines "$T/A.out")"
    assert_eq "round $r: B result lines" $((N + S)) "$(nlines "$T/B.out")"
    # Per file: status and id, both processes.
    cat "$T/A.out" "$T/B.out" | CROSS="$cross" $PY -c '
import json, os, sys, collections
by = collections.defaultdict(list)
for l in sys.stdin:
    o = json.loads(l)
    by[o["file"].rsplit("/", 1)[-1]].append((o["status"], o.get("photo_id")))
bad = []
for f, res in sorted(by.items()):
    st = sorted(s for s, _ in res)
    ids = set(i for s, i in res if s != "error")
    if f.startswith("s"):
        want = ["error", "ingested"] if os.environ.get("CROSS") else ["duplicate", "ingested"]
        if st != want or len(ids) != 1:
            bad.append("%s: expected %s with one photo_id, got %s" % (f, "+".join(want), res))
    elif st != ["ingested"]:
        bad.append("%s: expected ingested once, got %s" % (f, res))
if bad: print("\n".join(bad))' >"$T/bad"
    [ ! -s "$T/bad" ] || fail "round $r: $(cat "$T/bad")"
    total=$((total + 2 * N + S))
    assert_eq "round $r: photo rows" "$total" "$(rows "$L" photos)"
    assert_eq "round $r: distinct original hashes" "$total" \
        "$(sqlite3 "$L/catalog.db" 'SELECT count(DISTINCT original_sha256) FROM photos;')"
    assert_eq "round $r: master files" "$total" "$(nfiles "$L/masters")"
    assert_eq "round $r: tmp files" 0 "$(nfiles "$L/tmp")"
    # every row's master is on disk
    missing=$(sqlite3 "$L/catalog.db" 'SELECT master_sha256 FROM photos;' | while read -r h; do
        [ -f "$L/masters/$(echo "$h" | cut -c1-2)/$h.jpg" ] || echo "$h"
    done)
    [ -z "$missing" ] || fail "round $r: expected every master on disk, missing: $missing"
    assert_eq "round $r: integrity_check" ok "$(sqlite3 "$L/catalog.db" 'PRAGMA integrity_check;')"
    # Did the two runs overlap?  Their photo ids interleave when they did.
    inter=$(cat "$T/A.out" "$T/B.out" | $PY -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
a = [o["photo_id"] for o in rows[:len(rows)//2] if o["status"] == "ingested"]
b = [o["photo_id"] for o in rows[len(rows)//2:] if o["status"] == "ingested"]
print("yes" if a and b and min(a) < max(b) and min(b) < max(a) else "no")')
    echo "# round $r: photo ids of the two processes interleave: $inter"
    if [ -n "$cross" ]; then
        ok "round $r: 2 concurrent ingests for two clients ($N+$S each) -> $total photos once each, each shared file ingested once and refused for the other client (exit $ra/$rb), no lock errors"
    else
        ok "round $r: 2 concurrent ingests ($N+$S each) -> exit 0/0, $total photos once each, shared files ingested+duplicate, no lock errors"
    fi
}

race 1 "--client C-1 --area cheeks --date 2026-06-01" "--client C-1 --area cheeks --date 2026-06-01"
assert_eq "round 1: sessions (both processes share one)" 1 "$(rows "$L" sessions)"
race 2 "--client C-1 --area neck --date 2026-06-02" "--client C-2 --area neck --date 2026-06-02" cross
# the shared files belong to whichever process came first
assert_eq "round 2: sessions" 3 "$(rows "$L" sessions)"
race 3 "--client C-1 --area lips" "--client C-1 --area lips"
# EXIF dates 2026-03-10/11/12: three new sessions for C-1
assert_eq "round 3: sessions" 6 "$(rows "$L" sessions)"
dups=$(sqlite3 "$L/catalog.db" 'SELECT count(*) FROM (SELECT client_id, date FROM sessions GROUP BY 1, 2 HAVING count(*) > 1);')
assert_eq "duplicate (client, date) sessions" 0 "$dups"
nums=$(sqlite3 "$L/catalog.db" "SELECT group_concat(number, ' ') FROM (SELECT s.number FROM sessions s JOIN clients c ON c.id = s.client_id WHERE c.code = 'C-1' ORDER BY s.date);")
assert_eq "C-1 session numbers follow the dates" "1 2 3 4 5" "$nums"
ok "sessions: one per (client, date), numbered in date order"
