#!/bin/sh
# Ingest's data safety (issue 10: items 3 and 8, and the "low" ingest items).
# - An input truncated by another program while ingest or batch ingest reads
#   it: no crash (inputs were mapped: SIGBUS, exit 135), exit 0 or 1, at most
#   one stderr line naming the file; afterwards catalog rows = master files,
#   tmp/ empty, verify exit 0.  20 rounds on a 36 MB TIFF, the truncation
#   spread over the measured duration of one ingest (slow by input size).
# - A master overwritten with another client's master (valid JPEG bytes):
#   compare and export refuse it (one line, "no longer matches"), write no
#   image, no comparison and no export row; with its own bytes back both work.
# - 4096 NUL bytes and a PPM are described as what they are, not as "an
#   ImageMagick format".
# - A full disk under SQLite (tmpfs, skipped where mount is not permitted):
#   "disk full", not "disk I/O error".
# - kill -9 during an ingest leaves a tmp file; the next writer (a compare,
#   another ingest) removes it, so a plain verify exits 0.
set -eu
. "$(dirname "$0")/lib.sh"

MOUNTS=""
cleanup() {
    for m in $MOUNTS; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT

F=$T/in
mkdir -p "$F"
ING="ingest --client C-1 --area neck --date 2026-07-01"
sha() { sha256sum "$1" | cut -d' ' -f1; }
master_of() { # master_of LIB ID: the master file of photo ID
    m=$(sqlite3 "$1/catalog.db" "SELECT master_sha256 FROM photos WHERE id = $2;")
    echo "$1/masters/$(echo "$m" | cut -c1-2)/$m.jpg"
}
one_line() { # one_line WHAT: stderr is exactly one "beforeafter: " line
    assert_eq "$1: stderr lines (got: $(head -c 400 "$T/err"))" 1 "$(nlines "$T/err")"
    grep -q '^beforeafter: ' "$T/err" || fail "$1: expected 'beforeafter: ...', got: $(cat "$T/err")"
}
consistent() { # consistent LIB WHAT: rows = masters, tmp/ empty, verify exit 0
    assert_eq "$2: integrity" ok "$(sqlite3 "$1/catalog.db" "PRAGMA integrity_check;")"
    assert_eq "$2: master files = photo rows" "$(rows "$1" photos)" "$(nfiles "$1/masters")"
    assert_eq "$2: tmp/" 0 "$(nfiles "$1/tmp")"
    run_ba --library "$1" verify
    expect_rc "$2: verify ($(head -3 "$T/out"))" 0
}

# A 4000 x 3000 RGB noise TIFF, uncompressed (36 MB): the decoder reads the
# file's own bytes throughout the master's encoding, which noise makes slow.
for b in r g b; do vips gaussnoise "$F/$b.v" 4000 3000 --mean 128 --sigma 50 || fail "gaussnoise"; done
vips bandjoin "$F/r.v $F/g.v $F/b.v" "$F/n.v" && vips cast "$F/n.v" "$F/big.tif" uchar ||
    fail "making big.tif"
rm -f "$F"/*.v
SIZE=$(wc -c <"$F/big.tif")

# --- inputs truncated while being read ------------------------------------------------
L=$T/lib-race
new_library "$L" C-1
printf 'file,client,area,date\nf.tif,C-1,neck,2026-07-01\n' >"$F/m.csv"
t0=$(now_ms)
cp "$F/big.tif" "$F/f.tif"
ba --library "$L" -q $ING "$F/f.tif"
DUR=$(($(now_ms) - t0))
ROUNDS=20
crashes=0 ingested=0 changed=0 other=0
r=1
while [ $r -le $ROUNDS ]; do
    cp "$F/big.tif" "$F/f.tif"
    # a byte of the pixels differs each round: every round decodes afresh
    printf "\\$(printf %o $((r + 32)))" | dd of="$F/f.tif" bs=1 seek=$((SIZE / 2)) conv=notrunc 2>/dev/null
    if [ $((r % 2)) = 0 ]; then
        set -- --library "$L" -q batch ingest "$F/m.csv" --jobs 1
    else
        set -- --library "$L" -q $ING "$F/f.tif"
    fi
    "$BA" "$@" >"$T/out" 2>"$T/err" &
    pid=$!
    # the truncation lands anywhere from the start to the end of an ingest
    ms=$((DUR * ((r * 37) % 100) / 90))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    case $((r % 3)) in
    0) truncate -s $((SIZE / 3)) "$F/f.tif" ;;
    1) truncate -s $((SIZE * 9 / 10)) "$F/f.tif" ;;
    2) truncate -s 100 "$F/f.tif" ;;
    esac
    set +e
    wait $pid
    rc=$?
    set -e
    if [ $rc -ge 128 ]; then
        crashes=$((crashes + 1))
        echo "# round $r ($1 $2 $4 ...): killed by signal $((rc - 128)) after ${ms} ms"
    elif [ $rc = 0 ]; then
        [ ! -s "$T/err" ] || fail "round $r: exit 0 but stderr: $(cat "$T/err")"
        ingested=$((ingested + 1))
    else
        assert_eq "round $r: exit" 1 "$rc"
        one_line "round $r"
        assert_contains "round $r: names the file" "$T/err" "f.tif"
        if grep -q "changed while being read" "$T/err"; then changed=$((changed + 1)); else other=$((other + 1)); fi
    fi
    r=$((r + 1))
done
[ $crashes = 0 ] || fail "$crashes of $ROUNDS rounds crashed (an input truncated while being read)"
consistent "$L" "after $ROUNDS truncation rounds"
ok "$ROUNDS rounds of truncation during ingest/batch ingest (one ingest: $DUR ms): no crash; $ingested ingested, $changed 'changed while being read', $other refused as damaged; rows = masters, verify ok"

# --- misleading causes --------------------------------------------------------------
L=$T/lib
new_library "$L" C-1
head -c 4096 /dev/zero >"$F/zeros.jpg"
make_jpeg "$F/small.jpg" 0 0 64 48
vips copy "$F/small.jpg" "$F/p.ppm" || fail "making p.ppm"
for c in "zeros.jpg;only zero bytes" "p.ppm;PPM/PNM"; do
    f=${c%%;*} want=${c#*;}
    run_ba --library "$L" $ING "$F/$f"
    expect_rc "$f" 1
    one_line "$f"
    assert_contains "$f: says what it is" "$T/err" "$want"
    assert_contains "$f: names the file" "$T/err" "$f"
    assert_not_contains "$f: not a loader's name" "$T/err" "ImageMagick"
    ok "$f -> exit 1: $(cat "$T/err")"
done

# --- a master overwritten with another client's photo ------------------------------
L=$T/lib-consent
new_library "$L" C-A C-B
make_jpeg "$F/a1.jpg" 100 50 320 240
make_jpeg "$F/a2.jpg" 104 52 320 240
make_jpeg "$F/b1.jpg" 20 200 320 240
ba --library "$L" ingest --client C-A --area cheeks --stage before --date 2026-01-10 "$F/a1.jpg"
ba --library "$L" ingest --client C-A --area cheeks --stage after --date 2026-03-10 "$F/a2.jpg"
ba --library "$L" ingest --client C-B --area cheeks --stage before --date 2026-01-11 "$F/b1.jpg"
CMP="--no-align --label-style none --gutter 0 --width 640"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $CMP -o "$T/c1.png"
C1=$(json_field comparison_id <"$T/out")
printf '%%PDF-1.4\n1 0 obj << /Title (consent) >> endobj\n%%%%EOF\n' >"$F/form.pdf"
ba --library "$L" consent grant C-A --scope marketing --evidence "$F/form.pdf"
MA=$(master_of "$L" 1)
MB=$(master_of "$L" 3)
cp "$MA" "$T/a-master.jpg"
cp "$MB" "$MA"
cmp -s "$MA" "$MB" || fail "the overwrite did not take"
n_cmp=$(rows "$L" comparisons)
# shellcheck disable=SC2086
run_ba --library "$L" compare 1 2 $CMP -o "$T/c2.png"
[ "$RC" -ne 0 ] && [ "$RC" -lt 128 ] || fail "compare of an overwritten master: exit $RC: $(cat "$T/err")"
one_line "compare of an overwritten master"
assert_contains "compare: the cause" "$T/err" "no longer matches its recorded SHA-256"
[ ! -e "$T/c2.png" ] || fail "compare of an overwritten master wrote $T/c2.png"
assert_eq "compare: comparison rows" "$n_cmp" "$(rows "$L" comparisons)"
ok "compare of an overwritten master -> exit $RC, nothing written: $(cat "$T/err")"
run_ba --library "$L" export "$C1" --purpose marketing --to "$T/web" --caption "Unretouched."
[ "$RC" -ne 0 ] && [ "$RC" -lt 128 ] || fail "export of an overwritten master: exit $RC: $(cat "$T/err")"
one_line "export of an overwritten master"
assert_contains "export: the cause" "$T/err" "no longer matches its recorded SHA-256"
[ -z "$(find "$T/web" -type f 2>/dev/null)" ] || fail "export wrote: $(find "$T/web" -type f)"
assert_eq "export: export rows" 0 "$(rows "$L" exports)"
ok "export of an overwritten master -> exit $RC, no image, no export row: $(cat "$T/err")"
# The refusal is the mismatch's: with its own bytes back, both work.
cp "$T/a-master.jpg" "$MA"
ba --library "$L" --json export "$C1" --purpose marketing --to "$T/web2" --caption "Unretouched."
assert_eq "export with the master restored: rows" 1 "$(rows "$L" exports)"
ok "with the master's own bytes back, export works"

# --- a full disk under SQLite --------------------------------------------------------
mkdir -p "$T/probe"
if mount -t tmpfs -o size=1m tmpfs "$T/probe" 2>/dev/null; then
    umount "$T/probe"
    D=$T/full
    mkdir -p "$D"
    mount -t tmpfs -o size=2m tmpfs "$D" || fail "mount tmpfs"
    MOUNTS="$D $MOUNTS"
    L=$D/lib
    new_library "$L" C-1
    ba --library "$L" -q $ING "$F/small.jpg"
    # fill every byte left: SQLite cannot even set up its WAL index
    dd if=/dev/zero of="$D/filler" bs=4k 2>/dev/null || true
    make_jpeg "$F/small2.jpg" 10 10 64 48
    run_ba --library "$L" $ING "$F/small2.jpg"
    [ "$RC" -ne 0 ] && [ "$RC" -lt 128 ] || fail "full disk: exit $RC: $(cat "$T/err")"
    one_line "full disk"
    assert_contains "full disk: the cause" "$T/err" "disk full"
    assert_not_contains "full disk: not an I/O error" "$T/err" "disk I/O error"
    msg=$(cat "$T/err") frc=$RC
    rm "$D/filler"
    consistent "$L" "full disk, space again"
    ok "full disk -> exit $frc: $msg"
else
    ok "# SKIP mount -t tmpfs not permitted: the full-disk case is skipped"
fi

# --- kill -9 mid-ingest: the next writer sweeps tmp/ ------------------------------------
L=$T/lib-kill
new_library "$L" C-1
ba --library "$L" -q $ING "$F/small.jpg"
ba --library "$L" -q $ING "$F/a1.jpg"
# kill_mid_ingest: start ingesting big.tif, SIGKILL it once its tmp master exists
kill_mid_ingest() {
    "$BA" --library "$L" -q $ING "$F/big.tif" >/dev/null 2>&1 &
    pid=$!
    while kill -0 $pid 2>/dev/null && [ "$(nfiles "$L/tmp")" = 0 ]; do :; done
    kill -9 $pid 2>/dev/null || true
    set +e
    wait $pid 2>/dev/null
    krc=$?
    set -e
    assert_eq "$1: killed mid-ingest" 137 "$krc"
    assert_eq "$1: a stray tmp file" 1 "$(nfiles "$L/tmp")"
}
kill_mid_ingest "then compare"
# shellcheck disable=SC2086
ba --library "$L" compare 1 2 $CMP -o "$T/k.png"
consistent "$L" "kill -9, then compare"
ok "kill -9 mid-ingest, then a compare: the stray tmp file is gone, verify exit 0"
kill_mid_ingest "then ingest"
make_jpeg "$F/k2.jpg" 30 30 64 48
ba --library "$L" -q $ING "$F/k2.jpg"
consistent "$L" "kill -9, then ingest"
ok "kill -9 mid-ingest, then another ingest: verify exit 0"
