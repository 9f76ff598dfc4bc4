#!/bin/sh
# Private by default (issue 12, DESIGN invariant 9): under the usual umask 022
# every folder of a fresh library is 0700 and every file 0600 after ingest,
# compare, consent evidence (image and PDF) and export — catalog.db and its
# WAL and SHM included; verify reports a master made 0644 and a folder made
# 0755 (one "mode" line each, exit 1) and --repair tightens them.
set -eu
. "$(dirname "$0")/lib.sh"
umask 022

L=$T/lib
$PY "$E2E_DIR/fixtures/gen_photos.py" "$T/in" 3 --prefix m --size 160 120 || fail "generating photos"
mkdir "$L" # an empty folder the user made (0755): init makes it private
ba --library "$L" init
ba --library "$L" client add C-1
ba --library "$L" ingest --client C-1 --area cheeks --stage before --date 2026-01-10 "$T/in/m0000.jpg"
ba --library "$L" ingest --client C-1 --area cheeks --stage after --date 2026-03-10 "$T/in/m0001.jpg"
ba --library "$L" compare 1 2 --no-align -o "$T/cmp.png"
printf '%%PDF-1.4\n%% form\n%%%%EOF\n' >"$T/form.pdf"
ba --library "$L" consent grant C-1 --scope clinical --granted 2026-01-05 --evidence "$T/form.pdf"
ba --library "$L" consent grant C-1 --scope marketing --granted 2026-01-05 --evidence "$T/in/m0002.jpg"
ba --library "$L" export 1 --purpose clinical --to "$T/pub"
# A writer killed after its commit leaves catalog.db-wal and -shm behind.
(
    set +e
    BA_FAULT_KILL=after-commit "$BA" --library "$L" ingest --client C-1 --area neck --date 2026-04-01 \
        "$T/in/m0002.jpg" >/dev/null 2>&1
) 2>/dev/null || true
[ -e "$L/catalog.db-wal" ] && [ -e "$L/catalog.db-shm" ] || fail "expected catalog.db-wal and -shm after the kill: $(ls -a "$L")"
# It also leaves the new photo's thumbnail, which waited in tmp/ for the commit:
# the next command to open the library sweeps it (verify would report that
# sweep, which is not what this test is about).
"$BA" --library "$L" verify >/dev/null 2>&1 || true

bad=$(find "$L" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \) | while read -r p; do
    echo "$(stat -c %a "$p") ${p#"$L"/}"
done)
[ -z "$bad" ] || fail "not private: $bad"
n=$(find "$L" | wc -l | tr -d ' ')
for kind in masters renders consents tmp; do [ -d "$L/$kind" ] || fail "no $kind/"; done
ok "fresh library under umask 022: all $n folders (0700) and files (0600) private — catalog.db, -wal, -shm, masters, renders, evidence"

# verify reports what is open to others; --repair tightens it.
run_ba --library "$L" verify
expect_rc "verify of the private library ($(cat "$T/out"))" 0
m=$(find "$L/masters" -type f | head -1)
chmod 644 "$m"
chmod 755 "$L/renders"
run_ba --library "$L" verify
expect_rc "verify with a 0644 master" 1
assert_eq "mode lines" 2 "$(grep -c '^mode: ' "$T/out")"
assert_contains "names the master" "$T/out" "${m#"$L"/}: file is open to other users (mode 644"
assert_contains "names the folder" "$T/out" "renders: folder is open to other users (mode 755"
run_ba --library "$L" --json verify
assert_contains "json kind" "$T/out" '"problem":"mode"'
run_ba --library "$L" verify --repair
expect_rc "verify --repair" 1
assert_contains "repair says so" "$T/out" "tightened"
assert_eq "master mode after repair" 600 "$(stat -c %a "$m")"
assert_eq "folder mode after repair" 700 "$(stat -c %a "$L/renders")"
run_ba --library "$L" verify
expect_rc "verify after the repair" 0
ok "verify reports a 0644 master and a 0755 folder (exit 1), --repair tightens them to 0600/0700, verify clean again"
