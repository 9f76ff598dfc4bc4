#!/bin/sh
# Fault injection (issue 7; DESIGN invariant 5 "Atomic"): after each fault a
# clear one-line error, the catalog consistent (integrity ok, verify exit 0
# after --repair), nothing committed lost.
# - BA_FAULT_KILL at each step (start, after-tmp-create, after-master-write,
#   after-master-rename, after-commit) of one `ingest`: killed (exit 137); the
#   row count unchanged before the commit (+1 after it); verify sees exactly
#   the leftovers of that step (nothing / a stray tmp file; a master placed
#   but not recorded is removed by the next writer, from its note in tmp/);
#   verify --repair, then ingest again: the photo once, verify exit 0.
# - BA_FAULT_WRITE=enospc: exit 1, one line naming the file and "No space left
#   on device", no row, no master, no tmp file (also for a 3-file batch).
# - an immutable catalog (chattr +i): exit 3, a line saying read-only,
#   catalog bytes and masters unchanged.
# - an immutable masters/ (chattr +i), masters/XX replaced by a regular file,
#   an immutable tmp/: a line naming the file and cause, no row, no master.
# - a real full disk (2 MB tmpfs): ingest until it fails: exit 1, "No space
#   left on device" / "disk is full", verify exit 0, earlier photos intact.
# - a read-only file system (tmpfs remounted ro): exit 3, a line saying
#   read-only, nothing changed.
# The chattr and mount parts are skipped (with a message) where unsupported.
set -eu
. "$(dirname "$0")/lib.sh"

MOUNTS=""
cleanup() {
    for m in $MOUNTS; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    chattr -R -i "$T" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

F=$T/in
GEN=$E2E_DIR/fixtures/gen_photos.py
$PY "$GEN" "$F" 20 --prefix f --size 128 96 || fail "generating photos"
L=$T/lib
new_library "$L" C-1
ING="ingest --client C-1 --area neck --date 2026-07-01"

run_ba --library "$L" $ING "$F/f0000.jpg"
expect_rc "first ingest" 0
FIRST_MASTER=$(sqlite3 "$L/catalog.db" "SELECT master_sha256 FROM photos WHERE id = 1;")

sha() { sha256sum "$1" | cut -d' ' -f1; }
# times_in FILE: how many photo rows have FILE as their original
times_in() { sqlite3 "$L/catalog.db" "SELECT count(*) FROM photos WHERE original_sha256 = '$(sha "$1")';"; }
# consistent WHAT: integrity ok, verify exit 0, masters = rows, tmp empty,
# the first photo's master intact.
consistent() {
    assert_eq "$1: integrity" ok "$(sqlite3 "$L/catalog.db" "PRAGMA integrity_check;")"
    run_ba --library "$L" verify
    expect_rc "$1: verify ($(head -3 "$T/out"))" 0
    assert_eq "$1: masters = rows" "$(rows "$L" photos)" "$(nfiles "$L/masters")"
    assert_eq "$1: tmp/" 0 "$(nfiles "$L/tmp")"
    m=$FIRST_MASTER
    assert_eq "$1: the first photo's master" "$m" "$(sha "$L/masters/$(echo "$m" | cut -c1-2)/$m.jpg")"
}
# verify_kinds: the sorted problem kinds verify reports (space separated)
verify_kinds() {
    run_ba --library "$L" verify
    [ "$RC" -lt 2 ] || fail "verify: exit $RC: $(cat "$T/err")"
    cut -d: -f1 "$T/out" | grep -v '^library ' | sort | tr '\n' ' ' | sed 's/ $//'
}
# one_line WHAT: stderr is exactly one line
one_line() {
    assert_eq "$1: stderr lines (got: $(cat "$T/err"))" 1 "$(nlines "$T/err")"
}

# --- killed at each step ------------------------------------------------------------------
k=1
for step in start after-tmp-create after-master-write after-master-rename after-commit; do
    f=$F/f000$k.jpg
    before=$(rows "$L" photos)
    before_masters=$(nfiles "$L/masters")
    (
        set +e
        BA_FAULT_KILL=$step "$BA" --library "$L" $ING "$f" >"$T/out" 2>"$T/err"
        echo $? >"$T/rc"
    ) 2>/dev/null # no "Killed" from the shell
    assert_eq "BA_FAULT_KILL=$step: exit (SIGKILL)" 137 "$(cat "$T/rc")"
    after=$(rows "$L" photos)
    case $step in
    after-commit) assert_eq "$step: rows right after the kill" $((before + 1)) "$after" ;;
    *) assert_eq "$step: rows right after the kill" "$before" "$after" ;;
    esac
    assert_eq "$step: integrity right after the kill" ok "$(sqlite3 "$L/catalog.db" "PRAGMA integrity_check;")"
    case $step in
    after-tmp-create | after-master-write) want=stray-tmp ;;
    # after-master-rename: the dead writer's note names its master, and the next
    # writer to open the library removed it (catalog/recover.c); what is found is
    # the new photo's thumbnail, made while preparing, that waited in tmp/ for
    # the commit (after-commit: it was never moved to previews/, and is made on
    # demand)
    after-master-rename | after-commit) want=stray-tmp ;;
    *) want="" ;;
    esac
    if [ "$step" = after-master-rename ]; then
        [ "$(nfiles "$L/masters")" = "$((before_masters + 1))" ] ||
            fail "$step: the kill should leave the placed master ($(nfiles "$L/masters") files)"
        ls "$L/tmp" | grep -q '^master-' || fail "$step: no note of the master in tmp/"
    fi
    got=$(verify_kinds)
    if [ "$step" != after-commit ]; then
        assert_eq "$step: masters after the next open" "$before_masters" "$(nfiles "$L/masters")"
    fi
    assert_eq "$step: what verify finds after the kill (got: $(cat "$T/out"))" "$want" "$got"
    run_ba --library "$L" verify --repair
    [ "$RC" -lt 2 ] || fail "$step: verify --repair: exit $RC: $(cat "$T/err")"
    run_ba --library "$L" --json $ING "$f"
    expect_rc "$step: ingest again" 0
    st=$(json_field status <"$T/out")
    case $step in
    after-commit) assert_eq "$step: status of the re-run" duplicate "$st" ;;
    *) assert_eq "$step: status of the re-run" ingested "$st" ;;
    esac
    assert_eq "$step: the photo's rows" 1 "$(times_in "$f")"
    assert_eq "$step: rows" $((before + 1)) "$(rows "$L" photos)"
    consistent "$step"
    ok "BA_FAULT_KILL=$step: killed, rows $before -> $after, verify found '${want:-nothing}'; repair + re-run: the photo once ($st), verify ok"
    k=$((k + 1))
done

# --- injected ENOSPC ------------------------------------------------------------------------
before=$(rows "$L" photos)
export BA_FAULT_WRITE=enospc
run_ba --library "$L" $ING "$F/f0010.jpg"
unset BA_FAULT_WRITE
expect_rc "BA_FAULT_WRITE=enospc" 1
one_line "enospc"
msg=$(cat "$T/err")
assert_contains "enospc: names the file" "$T/err" "f0010.jpg"
assert_contains "enospc: the cause" "$T/err" "No space left on device"
assert_eq "enospc: rows" "$before" "$(rows "$L" photos)"
assert_eq "enospc: the photo's rows" 0 "$(times_in "$F/f0010.jpg")"
consistent "enospc"
ok "BA_FAULT_WRITE=enospc: exit 1, $msg; no row, no master, no tmp file"

printf 'file,client,area,date\nf0011.jpg,C-1,neck,2026-07-02\nf0012.jpg,C-1,neck,2026-07-02\nf0013.jpg,C-1,neck,2026-07-02\n' >"$F/e.csv"
export BA_FAULT_WRITE=enospc
run_ba --library "$L" -q batch ingest "$F/e.csv" --jobs 2
unset BA_FAULT_WRITE
expect_rc "enospc batch" 1
assert_eq "enospc batch: stderr lines (got: $(cat "$T/err"))" 3 "$(nlines "$T/err")"
assert_eq "enospc batch: lines with the cause" 3 "$(grep -c 'No space left on device' "$T/err" || true)"
for n in 11 12 13; do grep -q "f00$n.jpg" "$T/err" || fail "enospc batch: no line names f00$n.jpg"; done
assert_eq "enospc batch: rows" "$before" "$(rows "$L" photos)"
consistent "enospc batch"
ok "BA_FAULT_WRITE=enospc on a batch of 3: 3 lines naming each file, no row, verify ok"

# --- chattr: immutable catalog, masters/, tmp/ --------------------------------------------------
if touch "$T/chattr-probe" && chattr +i "$T/chattr-probe" 2>/dev/null; then
    chattr -i "$T/chattr-probe"
    snapshot() {
        sha "$L/catalog.db"
        (cd "$L" && find masters tmp -type f | sort)
    }
    # an immutable catalog file (root ignores modes, not this)
    s0=$(snapshot)
    chattr +i "$L/catalog.db"
    run_ba --library "$L" $ING "$F/f0014.jpg"
    chattr -i "$L/catalog.db"
    expect_rc "immutable catalog.db" 3
    one_line "immutable catalog.db"
    msg=$(cat "$T/err")
    grep -qiE 'read-?only|Operation not permitted|Permission denied' "$T/err" ||
        fail "immutable catalog.db: the error should say read-only: $(cat "$T/err")"
    [ "$s0" = "$(snapshot)" ] || fail "immutable catalog.db: the library changed"
    consistent "immutable catalog.db"
    ok "immutable catalog.db: exit 3, $msg; nothing changed"

    # an immutable masters/ (and its sub-folders): no new folder, no rename into it
    before=$(rows "$L" photos)
    chattr +i "$L/masters" "$L"/masters/*
    run_ba --library "$L" $ING "$F/f0015.jpg"
    chattr -i "$L/masters" "$L"/masters/*
    [ "$RC" = 1 ] || [ "$RC" = 3 ] || fail "immutable masters/: expected exit 1 or 3, got $RC: $(cat "$T/err")"
    one_line "immutable masters/"
    msg=$(cat "$T/err")
    rc=$RC
    assert_contains "immutable masters/: names the file" "$T/err" "f0015.jpg"
    assert_contains "immutable masters/: the cause" "$T/err" "Operation not permitted"
    assert_eq "immutable masters/: rows" "$before" "$(rows "$L" photos)"
    consistent "immutable masters/"
    ok "immutable masters/: exit $rc, $msg; no row, no master, no tmp file"

    # an immutable tmp/
    chattr +i "$L/tmp"
    run_ba --library "$L" $ING "$F/f0015.jpg"
    chattr -i "$L/tmp"
    [ "$RC" = 1 ] || [ "$RC" = 3 ] || fail "immutable tmp/: expected exit 1 or 3, got $RC: $(cat "$T/err")"
    one_line "immutable tmp/"
    msg=$(cat "$T/err")
    rc=$RC
    assert_contains "immutable tmp/: names the file" "$T/err" "f0015.jpg"
    assert_contains "immutable tmp/: the cause" "$T/err" "Operation not permitted"
    assert_eq "immutable tmp/: rows" "$before" "$(rows "$L" photos)"
    consistent "immutable tmp/"
    ok "immutable tmp/: exit $rc, $msg; no row"
else
    ok "# SKIP chattr +i not supported here: immutable catalog/masters/tmp sub-tests skipped"
fi

# masters/XX is a regular file: the master's folder cannot be made
S=$T/scratch
new_library "$S" C-1
"$BA" --library "$S" -q $ING "$F/f0016.jpg" || fail "scratch ingest"
xx=$(sqlite3 "$S/catalog.db" "SELECT substr(master_sha256, 1, 2) FROM photos;")
before=$(rows "$L" photos)
if [ -d "$L/masters/$xx" ]; then
    ok "# SKIP masters/$xx already exists in the library (hash prefix collision)"
else
    echo "not a folder" >"$L/masters/$xx"
    run_ba --library "$L" $ING "$F/f0016.jpg"
    [ "$RC" = 1 ] || [ "$RC" = 3 ] || fail "masters/$xx a file: expected exit 1 or 3, got $RC: $(cat "$T/err")"
    one_line "masters/$xx a file"
    msg=$(cat "$T/err")
    rc=$RC
    assert_contains "masters/$xx a file: names the file" "$T/err" "f0016.jpg"
    grep -qiE 'File exists|Not a directory' "$T/err" || fail "masters/$xx a file: the cause? $(cat "$T/err")"
    assert_eq "masters/$xx a file: rows" "$before" "$(rows "$L" photos)"
    assert_eq "masters/$xx a file: tmp/" 0 "$(nfiles "$L/tmp")"
    rm "$L/masters/$xx"
    consistent "masters/$xx a file"
    run_ba --library "$L" $ING "$F/f0016.jpg"
    expect_rc "masters/$xx a folder again: ingest" 0
    consistent "masters/$xx a folder again"
    ok "masters/$xx a regular file: exit $rc, $msg; no row; fine once it is a folder again"
fi

can_mount=0
mkdir -p "$T/probe"
if mount -t tmpfs -o size=1m tmpfs "$T/probe" 2>/dev/null; then
    umount "$T/probe"
    can_mount=1
fi

# --- a real full disk ---------------------------------------------------------------------------
if [ $can_mount = 1 ]; then
    $PY "$GEN" "$T/big" 60 --prefix n --size 256 256 --noise 40 || fail "generating noisy photos"
    D=$T/full
    mkdir -p "$D"
    mount -t tmpfs -o size=2m tmpfs "$D" || fail "mount tmpfs"
    MOUNTS="$D $MOUNTS"
    L=$D/lib
    new_library "$L" C-1
    "$BA" --library "$L" -q $ING "$T/big/n0000.jpg" || fail "first ingest on the tmpfs"
    FIRST_MASTER=$(sqlite3 "$L/catalog.db" "SELECT master_sha256 FROM photos WHERE id = 1;")
    good=1
    RC=0
    for f in "$T"/big/n00[0-5]*.jpg; do
        [ "$f" = "$T/big/n0000.jpg" ] && continue
        run_ba --library "$L" $ING "$f"
        [ "$RC" = 0 ] || break
        good=$((good + 1))
    done
    [ "$RC" != 0 ] || fail "full disk: 60 noisy photos fit in 2 MB? ($(df -k "$D" | tail -1))"
    expect_rc "full disk" 1
    one_line "full disk"
    assert_contains "full disk: names the file" "$T/err" "$(basename "$f")"
    grep -qiE 'No space left on device|disk is full' "$T/err" || fail "full disk: the cause? $(cat "$T/err")"
    fullmsg=$(cat "$T/err")
    assert_eq "full disk: rows" $good "$(rows "$L" photos)"
    assert_eq "full disk: the failed photo's rows" 0 "$(times_in "$f")"
    consistent "full disk"
    run_ba --library "$L" list
    expect_rc "full disk: list" 0
    assert_eq "full disk: list lines (header + photos)" $((good + 1)) "$(nlines "$T/out")"
    run_ba --library "$L" --json $ING "$T/big/n0001.jpg"
    expect_rc "full disk: a duplicate still answers" 0
    assert_eq "full disk: duplicate status" duplicate "$(json_field status <"$T/out")"
    ok "full disk after $good photos: exit 1, $fullmsg; verify ok, the $good earlier photos intact"
else
    ok "# SKIP mount -t tmpfs not permitted: full-disk and read-only file system sub-tests skipped"
fi

# --- a read-only file system ---------------------------------------------------------------------
if [ $can_mount = 1 ]; then
    D=$T/ro
    mkdir -p "$D"
    mount -t tmpfs -o size=4m tmpfs "$D" || fail "mount tmpfs"
    MOUNTS="$D $MOUNTS"
    L=$D/lib
    new_library "$L" C-1
    "$BA" --library "$L" -q $ING "$F/f0017.jpg" || fail "ingest on the tmpfs"
    s0=$(sha "$L/catalog.db")
    mount -o remount,ro "$D" || fail "remount ro"
    run_ba --library "$L" $ING "$F/f0018.jpg"
    mount -o remount,rw "$D" || fail "remount rw"
    expect_rc "read-only file system" 3
    one_line "read-only file system"
    assert_eq "read-only file system: catalog bytes" "$s0" "$(sha "$L/catalog.db")"
    assert_eq "read-only file system: rows" 1 "$(rows "$L" photos)"
    assert_eq "read-only file system: masters" 1 "$(nfiles "$L/masters")"
    grep -qiE 'read-?only' "$T/err" ||
        fail "read-only file system: exit 3 and nothing changed, but the error does not say read-only: $(cat "$T/err")"
    ok "read-only file system: exit 3, $(cat "$T/err"); nothing changed"
fi
