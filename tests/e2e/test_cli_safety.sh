#!/bin/sh
# Issue 10, items 11 and 12 and the CLI/compose "Low" items; every case
# failed on d5612a8.
# - Bounded renders (DESIGN invariant 7): --width 20000, a 256 MP canvas,
#   --gutter 20000 and 2000000000, a height whose side-by-side width is over
#   the side limit, batch compare --width 20000: exit 2 at once, one line
#   naming the limit, nothing written, no GLib warnings.
# - Terminal injection: file names, treatments and client names with ESC,
#   newlines, C1 (U+009B CSI) and bytes that are not UTF-8 (also an export
#   destination, in the take-down lines) reach neither stdout nor stderr raw, one line per file stays one line, "é" stays "é";
#   --json lines stay valid JSON.
# - A missing master in compare: exit 1 naming the photo and 'verify'.
# - Out of range or contradictory options: --quality 0, --width 0, ghost
#   --opacity nan/inf/-0.1/1.5, --logo-opacity nan, compare 1 1, --date twice,
#   --library twice, --jobs 0/1000, --max-megapixels inf, --work-size 0:
#   exit 2, one line.
# - batch ingest --create-clients leaves no client whose only row failed.
# - A read-only library (tmpfs remounted ro) can be listed (list, show,
#   client list, area list, audit, ghost); writes exit 3 saying read-only,
#   and pending WAL content there is refused rather than silently ignored.
# Failures are counted, not fatal, so a run against an old binary lists
# every case that fails.
set -eu
. "$(dirname "$0")/lib.sh"

FAILS=0
fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}
# check NAME FUNCTION: run one case; "ok - NAME" when it failed nothing.
check() {
    before=$FAILS
    "$2"
    [ "$FAILS" -gt "$before" ] || ok "$1"
}
# no_raw WHAT FILE: FILE holds no ESC, no other C0 but newline, no DEL, no
# C1 in UTF-8 (C2 80..9F) and only valid UTF-8.
no_raw() {
    $PY - "$2" "$1" <<'EOF' || FAILS=$((FAILS + 1))
import re, sys
data = open(sys.argv[1], 'rb').read()
what = sys.argv[2]
bad = re.search(rb'[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]', data)
try:
    data.decode('utf-8')
    utf8 = True
except UnicodeDecodeError:
    utf8 = False
if bad or not utf8:
    print("FAIL: %s: raw control or non-UTF-8 bytes reach the terminal: %r" % (what, data[:300]))
    sys.exit(1)
EOF
}
# usage_line WHAT [NEEDLE]: after run_ba, exit 2 with one stderr line (containing NEEDLE).
usage_line() {
    [ "$RC" = 2 ] || fail "$1: expected exit 2, got $RC; stderr: $(head -c 300 "$T/err")"
    [ "$(nlines "$T/err")" = 1 ] || fail "$1: expected one stderr line, got: $(head -c 400 "$T/err")"
    if [ -n "${2:-}" ]; then
        grep -qiF -- "$2" "$T/err" || fail "$1: expected '$2' in: $(cat "$T/err")"
    fi
}
# timed_ba SECONDS ARGS...: run_ba under a time limit (an unbounded render is
# a failure, not a 40 s wait).
timed_ba() {
    lim=$1
    shift
    set +e
    timeout "$lim" "$BA" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    [ "$RC" != 124 ] || fail "beforeafter $*: still running after ${lim}s"
}

F=$T/in
mkdir -p "$F"
for i in 1 2 3 4; do
    vips gaussnoise "$F/n$i.jpg" 400 300 || { echo "FAIL: vips gaussnoise"; exit 1; }
done
L=$T/lib
new_library "$L" A B
for i in 1 2; do
    "$BA" --library "$L" -q ingest --client A --area neck --date "2026-0$i-01" "$F/n$i.jpg" ||
        { echo "FAIL: setup ingest"; exit 1; }
done
for i in 3 4; do
    "$BA" --library "$L" -q ingest --client B --area neck --date "2026-0$((i - 2))-01" "$F/n$i.jpg" ||
        { echo "FAIL: setup ingest"; exit 1; }
done
O=$T/outs
mkdir -p "$O"

# --- item 11: bounded renders ------------------------------------------------------------------
bounds_width() {
    timed_ba 10 --library "$L" compare 1 2 --no-align -o "$O/w.png" --width 20000
    usage_line "--width 20000" "16383"
    [ ! -e "$O/w.png" ] || fail "--width 20000: an output was written"
}
bounds_pixels() {
    timed_ba 10 --library "$L" compare 1 2 --no-align -o "$O/p.png" --width 16000 --height 16000
    usage_line "--width 16000 --height 16000" "megapixels"
}
bounds_gutter() {
    timed_ba 10 --library "$L" compare 1 2 --no-align -o "$O/g.png" --gutter 20000
    usage_line "--gutter 20000" "1000 px"
    timed_ba 10 --library "$L" compare 1 2 --no-align -o "$O/g.png" --gutter 2000000000
    usage_line "--gutter 2000000000" "1000 px"
    assert_not_contains "--gutter 2000000000: GLib warnings" "$T/err" "GLib"
    [ ! -e "$O/g.png" ] || fail "--gutter: an output was written"
}
bounds_computed() {
    # Within the side limit itself, but side by side it is 2 x 16383 wide.
    timed_ba 10 --library "$L" compare 1 2 --no-align -o "$O/h.png" --height 16383
    usage_line "--height 16383 (computed width)" "16383"
    [ ! -e "$O/h.png" ] || fail "--height 16383: an output was written"
}
bounds_batch() {
    timed_ba 20 --library "$L" batch compare --out "$O/batch" --width 20000
    usage_line "batch compare --width 20000" "16383"
    [ "$(nfiles "$O/batch")" = 0 ] || fail "batch compare --width 20000: files were rendered"
}
bounds_fine() {
    timed_ba 30 --library "$L" compare 1 2 --no-align -o "$O/ok.png" --width 1200 --gutter 1000
    [ "$RC" = 0 ] || fail "--width 1200 --gutter 1000: expected exit 0, got $RC: $(cat "$T/err")"
    [ "$RC" != 0 ] || assert_eq "--width 1200: width" 1200 "$(vipsheader -f width "$O/ok.png")"
}
check "item 11: --width 20000 -> exit 2 at once naming 16383 px, nothing written" bounds_width
check "item 11: a 16000 x 16000 canvas -> exit 2 naming the 100 megapixel limit" bounds_pixels
check "item 11: --gutter 20000 and 2000000000 -> exit 2 naming 1000 px, no GLib warnings" bounds_gutter
check "item 11: the planned size is bounded too (--height 16383 side by side -> exit 2)" bounds_computed
check "item 11: batch compare --width 20000 -> exit 2 before any render" bounds_batch
check "item 11: within the limits still renders (--width 1200 --gutter 1000)" bounds_fine

# --- item 12: terminal injection ---------------------------------------------------------------
ESCNAME=$(printf 'x\033[31my\302\2332J\377\303\251.jpg') # ESC, C1 CSI, a non-UTF-8 byte, é
NLNAME=$(printf 'two\nlines.jpg')
# New photos (not copies: a duplicate keeps its first treatment); written
# under plain names first, as vips reads "[...]" in a name as options.
vips gaussnoise "$F/e1.jpg" 400 300 && mv "$F/e1.jpg" "$F/$ESCNAME"
vips gaussnoise "$F/e2.jpg" 400 300 && mv "$F/e2.jpg" "$F/$NLNAME"
esc_ingest() {
    run_ba --library "$L" ingest --client A --area neck --date 2026-03-01 \
        --treatment "$(printf 'bo\033[2Jtox\nline')" "$F/$ESCNAME" "$F/$NLNAME"
    [ "$RC" = 0 ] || fail "ingest of odd names: exit $RC: $(cat "$T/err")"
    no_raw "ingest stdout" "$T/out"
    no_raw "ingest stderr" "$T/err"
    # One line per file, plus the summary line.
    assert_eq "ingest: lines for 2 files + summary" 3 "$(nlines "$T/out")"
    grep -qF 'x\x1b[31my' "$T/out" || fail "ingest: ESC not shown as \\x1b: $(cat "$T/out")"
    grep -qF 'two\nlines.jpg' "$T/out" || fail "ingest: newline not shown as \\n: $(cat "$T/out")"
    grep -qF "$(printf '\303\251.jpg')" "$T/out" || fail "ingest: é not kept: $(cat "$T/out")"
}
esc_list_show() {
    run_ba --library "$L" list
    no_raw "list" "$T/out"
    assert_eq "list: header + 6 photos" 7 "$(nlines "$T/out")"
    run_ba --library "$L" show 5
    no_raw "show" "$T/out"
    grep -qF 'bo\x1b[2Jtox\nline' "$T/out" || fail "show: treatment not escaped: $(cat "$T/out")"
}
esc_client() {
    run_ba --library "$L" client add C-ESC --name "$(printf 'Jane\033]0;pwned\007 Do\302\233e')"
    [ "$RC" = 0 ] || fail "client add: exit $RC: $(cat "$T/err")"
    run_ba --library "$L" client list
    no_raw "client list" "$T/out"
    assert_eq "client list: one line per client" 3 "$(nlines "$T/out")"
}
esc_stderr() {
    run_ba --library "$L" ingest --client A --area neck --date 2026-03-01 \
        "$F/$(printf 'gone\302\233\033[2J.jpg')"
    [ "$RC" = 1 ] || fail "missing odd file: expected exit 1, got $RC"
    no_raw "stderr of a missing odd file" "$T/err"
    assert_eq "stderr: one line" 1 "$(nlines "$T/err")"
    run_ba --library "$L" list --client "$(printf 'no\302\233pe')"
    no_raw "stderr of an unknown odd client" "$T/err"
}
esc_json() {
    run_ba --library "$L" --json ingest --client A --area neck --date 2026-03-01 "$F/$ESCNAME"
    no_raw "ingest --json" "$T/out"
    $PY -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    json.loads(l)' "$T/out" 2>/dev/null || fail "ingest --json: not valid JSON: $(head -c 300 "$T/out")"
    run_ba --library "$L" --json list
    no_raw "list --json" "$T/out"
}
# The export destination comes back in the take-down lines of consent revoke
# and audit (cli_print_takedown) and in export's own summary.
esc_takedown() {
    L3=$T/lib3
    new_library "$L3" A
    for i in 1 2; do
        "$BA" --library "$L3" -q ingest --client A --area neck --date "2026-0$i-01" "$F/n$i.jpg"
    done
    "$BA" --library "$L3" -q compare 1 2 --no-align -o "$O/t.png" || fail "compare for the export"
    "$BA" --library "$L3" -q consent grant A --scope education || fail "consent grant"
    D=$T/$(printf 'exp\033[2J\302\233dir')
    run_ba --library "$L3" export 1 --purpose education --to "$D"
    [ "$RC" = 0 ] || fail "export to an odd folder: exit $RC: $(cat "$T/err")"
    no_raw "export" "$T/out"
    run_ba --library "$L3" consent revoke A --scope education
    no_raw "consent revoke (take-down lines)" "$T/out"
    grep -qF 'exp\x1b[2J\xc2\x9bdir' "$T/out" || fail "consent revoke: destination not escaped: $(cat "$T/out")"
    run_ba --library "$L3" audit
    no_raw "audit (take-down lines)" "$T/out"
    grep -qF 'exp\x1b[2J\xc2\x9bdir' "$T/out" || fail "audit: destination not escaped: $(cat "$T/out")"
}
check "item 12: ingest prints odd names escaped, one line per file, é kept" esc_ingest
check "item 12: export destinations are escaped in export, consent revoke and audit" esc_takedown
check "item 12: list and show escape names and treatments" esc_list_show
check "item 12: client list escapes display names (OSC, C1)" esc_client
check "item 12: stderr escapes C1 and ESC too" esc_stderr
check "item 12: --json lines stay valid JSON without raw C1 or non-UTF-8" esc_json
# "A name with a control character is printed twice in errors": ingest put
# the name in front of a message that already had it (with the control
# character blanked, so its prefix check missed).
esc_twice() {
    printf 'junk' >"$F/$(printf 'bad\nname.jpg')"
    run_ba --library "$L" ingest --client A --area neck --date 2026-03-01 "$F/$(printf 'bad\nname.jpg')"
    [ "$RC" = 1 ] || fail "a junk file with a newline in its name: expected exit 1, got $RC"
    assert_eq "a name with a newline: times named in the error" 1 "$(grep -o 'name\.jpg' "$T/err" | wc -l)"
}
check "item 12: a name with a newline is named once in errors" esc_twice

# --- low: a missing master is not a usage error ------------------------------------------------
missing_master() {
    m=$(sqlite3 "$L/catalog.db" "SELECT master_sha256 FROM photos WHERE id = 4")
    mv "$L/masters/$(echo "$m" | cut -c1-2)/$m.jpg" "$T/saved.jpg"
    run_ba --library "$L" compare 3 4 --no-align -o "$O/m.png"
    mv "$T/saved.jpg" "$L/masters/$(echo "$m" | cut -c1-2)/$m.jpg"
    [ "$RC" = 1 ] || fail "missing master: expected exit 1, got $RC: $(cat "$T/err")"
    assert_contains "missing master: names the photo" "$T/err" "photo 4"
    assert_contains "missing master: points to verify" "$T/err" "verify"
}
check "low: a missing master in compare -> exit 1 naming photo 4 and verify" missing_master

# --- low: out-of-range and contradictory options ------------------------------------------------
opt_compare() {
    for a in "--quality 0" "--quality 101" "--width 0" "--width -5" "--height 0" "--gutter -3" \
        "--logo-opacity nan"; do
        # shellcheck disable=SC2086
        timed_ba 10 --library "$L" compare 1 2 --no-align -o "$O/o.jpg" $a
        usage_line "compare $a"
    done
    [ ! -e "$O/o.jpg" ] || fail "compare: an output was written for a refused option"
    run_ba --library "$L" compare 1 1 --no-align -o "$O/same.png"
    usage_line "compare 1 1" "twice"
}
opt_ghost() {
    for x in nan inf -0.1 1.5; do
        run_ba --library "$L" ghost 1 -o "$O/gh.png" --opacity "$x"
        usage_line "ghost --opacity $x" "opacity"
    done
    [ ! -e "$O/gh.png" ] || fail "ghost: an overlay was written for a refused opacity"
}
opt_twice() {
    run_ba --library "$L" ingest --client A --area neck --date 2026-01-01 --date 2026-05-01 "$F/n4.jpg"
    usage_line "ingest --date twice" "--date"
    run_ba --library "$L" ingest --client A --area neck --date=2026-01-01 --date 2026-01-01 "$F/n1.jpg"
    [ "$RC" = 0 ] || fail "the same --date twice: expected exit 0 (one value), got $RC: $(cat "$T/err")"
    run_ba --library "$L" list --library "$T/elsewhere"
    usage_line "--library twice" "--library"
    run_ba --library "$L" compare 1 2 -o "$O/a.png" -o "$O/b.png"
    usage_line "-o twice" "--output"
}
opt_numbers() {
    run_ba --library "$L" ingest --client A --area neck --date 2026-01-01 --jobs 0 "$F/n1.jpg"
    usage_line "ingest --jobs 0" "--jobs"
    run_ba --library "$L" ingest --client A --area neck --date 2026-01-01 --jobs 1000 "$F/n1.jpg"
    usage_line "ingest --jobs 1000" "--jobs"
    run_ba --library "$L" ingest --client A --area neck --date 2026-01-01 --max-megapixels inf "$F/n1.jpg"
    usage_line "ingest --max-megapixels inf" "--max-megapixels"
    run_ba --library "$L" batch compare --out "$O/bc" --width 0
    usage_line "batch compare --width 0"
    run_ba align "$F/n1.jpg" --to "$F/n2.jpg" --work-size 0
    usage_line "align --work-size 0" "--work-size"
}
check "low: compare --quality 0/101, --width 0/-5, --height 0, --gutter -3, --logo-opacity nan, 1 1 -> exit 2" opt_compare
check "low: ghost --opacity nan/inf/-0.1/1.5 -> exit 2" opt_ghost
check "low: --date, --library, -o given twice with different values -> exit 2; the same value is fine" opt_twice
check "low: --jobs 0/1000, --max-megapixels inf, batch compare --width 0, align --work-size 0 -> exit 2" opt_numbers

# --- low: --create-clients leaves nothing behind for a failed row -------------------------------
create_clients() {
    printf 'junk' >"$F/junk.jpg"
    printf 'file,client,area,date\njunk.jpg,NEWC,neck,2026-01-01\nn4.jpg,NEWD,neck,2026-01-01\n' \
        >"$F/m.csv"
    L2=$T/lib2
    new_library "$L2" A
    run_ba --library "$L2" -q batch ingest "$F/m.csv" --create-clients
    [ "$RC" = 1 ] || fail "--create-clients with a failing row: expected exit 1, got $RC"
    assert_eq "--create-clients: the failed row's client" 0 \
        "$(sqlite3 "$L2/catalog.db" "SELECT count(*) FROM clients WHERE code = 'NEWC'")"
    assert_eq "--create-clients: the good row's client" 1 \
        "$(sqlite3 "$L2/catalog.db" "SELECT count(*) FROM clients WHERE code = 'NEWD'")"
}
check "low: batch ingest --create-clients removes a client whose only row failed" create_clients

# --- low: a read-only library can be listed -------------------------------------------------------
MOUNTED=""
cleanup() {
    [ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/probe"
if mount -t tmpfs -o size=4m tmpfs "$T/probe" 2>/dev/null; then
    MOUNTED=$T/probe
    RL=$T/probe/lib
    new_library "$RL" A
    "$BA" --library "$RL" -q ingest --client A --area neck --date 2026-01-01 "$F/n1.jpg" ||
        fail "ingest on the tmpfs"
    s0=$(sha256sum "$RL/catalog.db" | cut -d' ' -f1)
    mount -o remount,ro "$MOUNTED" || fail "remount ro"
    readonly_reads() {
        for c in "list" "show 1" "client list" "area list" "audit" "list --comparisons" \
            "ghost 1 -o $O/ro-ghost.png"; do
            # shellcheck disable=SC2086
            run_ba --library "$RL" $c
            [ "$RC" = 0 ] || fail "read-only library: '$c' exit $RC: $(cat "$T/err")"
        done
        run_ba --library "$RL" client list
        assert_contains "read-only client list" "$T/out" "A"
    }
    readonly_writes() {
        run_ba --library "$RL" client add Z
        [ "$RC" = 3 ] || fail "read-only library: client add: expected exit 3, got $RC"
        grep -qiE 'read-?only' "$T/err" || fail "read-only library: client add: $(cat "$T/err")"
        assert_eq "read-only library: catalog bytes" "$s0" "$(sha256sum "$RL/catalog.db" | cut -d' ' -f1)"
    }
    check "low: a read-only library: list, show, client/area list, audit, ghost exit 0" readonly_reads
    check "low: a read-only library: a write exits 3 saying read-only, catalog unchanged" readonly_writes
    # A writer killed with changes only in catalog.db-wal, then the mount made
    # read-only without catalog.db-shm: refused, not read as if the WAL were empty.
    readonly_wal() {
        mount -o remount,rw "$MOUNTED"
        # (in a forking subshell: the shell's "Killed" notice goes nowhere)
        ($PY -c 'import os, signal, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("INSERT INTO clients(code, created_at) VALUES(?, ?)", ("WAL-ONLY", "2026-01-01T00:00:00Z"))
c.commit()
os.kill(os.getpid(), signal.SIGKILL)' "$RL/catalog.db" || true) 2>/dev/null
        rm -f "$RL/catalog.db-shm"
        mount -o remount,ro "$MOUNTED"
        run_ba --library "$RL" client list
        if [ "$RC" = 0 ]; then
            assert_contains "read-only + WAL: the WAL's client" "$T/out" "WAL-ONLY"
        else
            [ "$RC" = 3 ] || fail "read-only + WAL: expected exit 0 or 3, got $RC"
            assert_contains "read-only + WAL: says why" "$T/err" "catalog.db-wal"
        fi
    }
    check "low: a read-only library with pending WAL content: never read as if it were empty" readonly_wal
else
    ok "# SKIP mount -t tmpfs not permitted: read-only library cases skipped"
fi

[ "$FAILS" = 0 ] || {
    echo "FAIL: $FAILS check(s) failed"
    exit 1
}
