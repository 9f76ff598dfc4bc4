#!/bin/sh
# Interrupted writers leave nothing behind (issue 12): after an ingest killed
# (kill -9) with its temporary master in LIBRARY/tmp, one more ingest — any
# process that opens the library for writing — removes the dead writer's
# file, so the next verify reports no stray temporary file and exits 0.
# Temporary names carry the host: a file of another host (a library on a
# shared file system) is never removed nor judged; a live writer's file is
# never touched.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
umask 077 # the files this test puts into tmp/ by hand are private like the library's
$PY "$E2E_DIR/fixtures/gen_photos.py" "$T/in" 4 --prefix d --size 160 120 || fail "generating photos"
new_library "$L" C-1
ING="ingest --client C-1 --area neck --date 2026-07-01"

for step in after-tmp-create after-master-write; do
    f=$T/in/d000$([ $step = after-tmp-create ] && echo 0 || echo 1).jpg
    (
        set +e
        BA_FAULT_KILL=$step "$BA" --library "$L" $ING "$f" >/dev/null 2>&1
        echo $? >"$T/rc"
    ) 2>/dev/null
    assert_eq "$step: killed" 137 "$(cat "$T/rc")"
    left=$(ls "$L/tmp")
    [ -n "$left" ] || fail "$step: the kill left no temporary file (nothing to test)"
    case $left in
    ingest-[0-9]*@*-*) ;;
    *) fail "$step: temporary name without pid and host: $left" ;;
    esac
    host=$(echo "$left" | sed 's/^ingest-[0-9]*@\([^-]*\)-.*/\1/')
    # Another host's file with a pid that is dead here, and a live writer's.
    touch "$L/tmp/ingest-99999999@not$host-abcdef.jpg" "$L/tmp/ingest-$$@$host-livefi.jpg"
    # One more ingest, of another photo.
    ba --library "$L" $ING "$T/in/d000$([ $step = after-tmp-create ] && echo 2 || echo 3).jpg"
    [ ! -e "$L/tmp/$left" ] || fail "$step: the dead writer's file is still there after one more ingest"
    [ -e "$L/tmp/ingest-99999999@not$host-abcdef.jpg" ] || fail "$step: another host's file was removed"
    [ -e "$L/tmp/ingest-$$@$host-livefi.jpg" ] || fail "$step: a live writer's file was removed"
    run_ba --library "$L" verify
    expect_rc "$step: verify after one more ingest ($(cat "$T/out"))" 0
    assert_not_contains "$step: no stray-tmp" "$T/out" "stray-tmp"
    rm -f "$L/tmp/ingest-99999999@not$host-abcdef.jpg" "$L/tmp/ingest-$$@$host-livefi.jpg"
    ok "kill -9 at $step left $left; one more ingest removed it (not another host's, not a live writer's); verify clean"
done

# Without a writer in between, verify itself reports what it found.
(
    set +e
    BA_FAULT_KILL=after-tmp-create "$BA" --library "$L" $ING "$T/in/d0000.jpg" >/dev/null 2>&1
) 2>/dev/null || true
run_ba --library "$L" verify
expect_rc "verify right after a kill" 1
assert_contains "verify right after a kill: reported" "$T/out" "stray-tmp"
assert_eq "tmp/ empty" 0 "$(nfiles "$L/tmp")"
run_ba --library "$L" verify
expect_rc "verify again" 0
ok "verify right after a kill reports the stray file (removed as it opened the library); the next verify is clean"
