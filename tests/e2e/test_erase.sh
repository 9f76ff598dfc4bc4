#!/bin/sh
# client erase (issue 12): the client's masters, renders, evidence and rows go;
# not one byte of their code or name remains anywhere in the library folder
# (catalog.db, its WAL and SHM, free pages, every file); another client is
# intact; verify is clean; the audit log keeps a tombstone without personal
# data that lists the earlier exports to take down; the retention period
# refuses erasure unless overridden; --confirm must repeat the code.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
GEN=$E2E_DIR/fixtures/gen_photos.py
$PY "$GEN" "$T/in" 4 --prefix e --size 160 120 || fail "generating photos"
ba --library "$L" init
ba --library "$L" client add ZQ-7731 --name "Zelda Quixotic"
ba --library "$L" client add C-0002 --name "Bob Other"
ba --library "$L" ingest --client ZQ-7731 --area cheeks --stage before --date 2026-01-10 \
    --treatment "Zelda Quixotic peel" "$T/in/e0000.jpg"
ba --library "$L" ingest --client ZQ-7731 --area cheeks --stage after --date 2026-03-10 "$T/in/e0001.jpg"
ba --library "$L" ingest --client C-0002 --area cheeks --stage before --date 2026-01-12 "$T/in/e0002.jpg"
ba --library "$L" ingest --client C-0002 --area cheeks --stage after --date 2026-03-12 "$T/in/e0003.jpg"
ba --library "$L" compare 1 2 --no-align --caption "Zelda Quixotic, 2 sessions" -o "$T/zq.png"
ba --library "$L" compare 3 4 --no-align -o "$T/c2.png"
printf '%%PDF-1.4\n%% consent of ZQ-7731 Zelda Quixotic\n%%%%EOF\n' >"$T/form.pdf"
ba --library "$L" consent grant ZQ-7731 --scope marketing --granted 2026-01-05 --evidence "$T/form.pdf" \
    --note "Zelda Quixotic signed"
ba --library "$L" consent grant C-0002 --scope marketing --granted 2026-01-05 --evidence "$T/in/e0003.jpg"
ba --library "$L" export 1 --purpose clinical --to "$T/published"
ba --library "$L" export 2 --purpose clinical --to "$T/published-other"

# What belongs to ZQ-7731, by hash.
q() { sqlite3 "$L/catalog.db" "$1"; }
ZQ_HASHES=$(q "SELECT master_sha256 FROM photos WHERE id IN (1,2)
               UNION SELECT sha256 FROM comparisons WHERE id = 1
               UNION SELECT evidence_sha256 FROM consents WHERE client_id = 1" | sort)
OTHER_HASHES=$(q "SELECT master_sha256 FROM photos WHERE id IN (3,4)
                  UNION SELECT sha256 FROM comparisons WHERE id = 2
                  UNION SELECT evidence_sha256 FROM consents WHERE client_id = 2" | sort)
assert_eq "hashes of the client to erase (2 masters, 1 render, 1 form)" 4 "$(echo "$ZQ_HASHES" | wc -l | tr -d ' ')"
file_hashes() { find "$L" -type f -exec sha256sum {} + | cut -d' ' -f1 | sort; }
# The grep that must find nothing afterwards finds the code and name now.
leaks() { grep -a -r -l -i -e 'ZQ-7731' -e 'Zelda' -e 'Quixotic' "$L" 2>/dev/null | wc -l | tr -d ' '; }
[ "$(leaks)" -gt 0 ] || fail "the leak check finds nothing even before the erase"

# --- confirmation and retention ------------------------------------------------------------
before=$(q "SELECT count(*) FROM photos")
run_ba --library "$L" client erase ZQ-7731
expect_rc "erase without --confirm" 2
run_ba --library "$L" client erase ZQ-7731 --confirm ZQ-7732
expect_rc "erase with the wrong --confirm" 2
assert_contains "wrong confirm: the hint" "$T/err" "--confirm"
ba --library "$L" settings retention-years 10
run_ba --library "$L" --json settings
assert_eq "settings --json: retention_years" 10 "$(json_field retention_years <"$T/out")"
run_ba --library "$L" client erase ZQ-7731 --confirm ZQ-7731
expect_rc "erase inside the retention period" 1
assert_contains "retention: the cause" "$T/err" "retention period of 10 years"
assert_contains "retention: the hint" "$T/err" "--override-retention"
assert_eq "retention refusal: nothing erased" "$before" "$(q "SELECT count(*) FROM photos")"
ba --library "$T/lib2" init --retention-years 3
run_ba --library "$T/lib2" --json settings
assert_eq "init --retention-years: the setting" 3 "$(json_field retention_years <"$T/out")"
run_ba --library "$T/lib3" init --retention-years 900
expect_rc "init --retention-years 900" 2
[ ! -e "$T/lib3" ] || fail "init with a bad retention created the library"
ok "erase refused without the right --confirm (exit 2) and inside the retention period (exit 1); nothing erased"

# --- the erasure ---------------------------------------------------------------------------
# Another process keeps the catalog open (idle) throughout, so catalog.db-wal
# and -shm still exist afterwards and are searched too.
mkfifo "$T/fifo"
sqlite3 "$L/catalog.db" <"$T/fifo" >"$T/reader.out" 2>&1 &
READER=$!
exec 3>"$T/fifo"
echo "SELECT count(*) FROM photos;" >&3
run_ba --library "$L" --json client erase ZQ-7731 --confirm ZQ-7731 \
    --override-retention "patient request under art. 17"
expect_rc "erase with an override" 0
[ -e "$L/catalog.db-wal" ] && [ -e "$L/catalog.db-shm" ] ||
    fail "expected catalog.db-wal and -shm while the reader has the catalog open: $(ls -a "$L")"
assert_eq "erase --json: kind" client-erase "$(json_field kind <"$T/out")"
assert_eq "erase --json: photos" 2 "$(json_field photos <"$T/out")"
assert_eq "erase --json: compacted" true "$(json_field compacted <"$T/out")"
assert_eq "erase --json: exports to take down" 1 "$(json_field exports_to_take_down <"$T/out")"

# Not one byte of the code or name, in any file (catalog.db, -wal, -shm included).
if [ "$(leaks)" != 0 ]; then
    fail "the code or name remains in: $(grep -a -r -l -i -e 'ZQ-7731' -e 'Zelda' -e 'Quixotic' "$L")"
fi
if find "$L" | grep -i -q -e 'ZQ-7731' -e zelda; then fail "a file name shows the client"; fi
echo ".quit" >&3
exec 3>&-
wait $READER || true
# No image or evidence file of the client; every file of the other client.
left=$(file_hashes)
for h in $ZQ_HASHES; do
    if echo "$left" | grep -q "$h"; then fail "a file of the erased client remains ($h)"; fi
done
for h in $OTHER_HASHES; do
    echo "$left" | grep -q "$h" || fail "a file of the other client is gone ($h)"
done
ok "not one byte of the code or name anywhere in the library; no file of the client; the other client's files intact"

# No row that shows them; the other client intact.
assert_eq "clients" "C-0002" "$(q "SELECT group_concat(code) FROM clients")"
assert_eq "photos" "3,4" "$(q "SELECT group_concat(id) FROM (SELECT id FROM photos ORDER BY id)")"
assert_eq "sessions of nobody" 0 "$(q "SELECT count(*) FROM sessions WHERE client_id NOT IN (SELECT id FROM clients)")"
assert_eq "comparisons" 2 "$(q "SELECT group_concat(id) FROM comparisons")"
assert_eq "consents" 2 "$(q "SELECT group_concat(client_id) FROM consents")"
assert_eq "photo_areas of erased photos" 0 "$(q "SELECT count(*) FROM photo_areas WHERE photo_id IN (1,2)")"
assert_eq "exports left: the other client's" 1 "$(q "SELECT count(*) FROM exports")"
ok "no row of the client; the other client's photos, comparison, consent and export intact"

# The tombstone: who, when, how many, what to take down; no personal data.
assert_eq "tombstone row" 1 "$(q "SELECT count(*) FROM audit_log WHERE action = 'client-erase' AND client IS NULL AND actor IS NOT NULL")"
q "SELECT detail FROM audit_log WHERE action = 'client-erase'" >"$T/tomb.json"
$PY - "$T/tomb.json" "$T/published" "$T/zq.png" <<'PYEOF' || fail "tombstone detail"
import json, sys
d = json.load(open(sys.argv[1]))
e = d["erased"]
assert e["photos"] == 2 and e["sessions"] == 2 and e["comparisons"] == 1 and e["consents"] == 1, e
assert e["exports"] == 1 and e["files"] == 4, e
x = d["exports_to_take_down"]
assert len(x) == 1 and x[0]["destination"] == sys.argv[2] and "1-1.png" in x[0]["files"], x
assert d["outputs_to_remove"] == [sys.argv[3]], d["outputs_to_remove"]
assert d["retention"]["years"] == 10 and d["retention"]["override"].startswith("patient request"), d
c = d["audit_chain"]
assert len(c["before"]["chain"]) == 64 and len(c["after_redaction"]["chain"]) == 64, c
PYEOF
assert_eq "redacted rows keep their action" 0 "$(q "SELECT count(*) FROM audit_log WHERE action IS NULL OR action = ''")"
ok "tombstone: by whom, counts of each kind, the export to take down, the override reason, chain heads; no code or name"

# verify is clean: hash chain re-computed, triggers as the schema made them.
run_ba --library "$L" verify
expect_rc "verify after the erase ($(cat "$T/out"))" 0
run_ba --library "$L" client erase ZQ-7731 --confirm ZQ-7731
[ "$RC" = 1 ] || [ "$RC" = 2 ] || fail "erase again: exit $RC"
assert_contains "erase again: not found" "$T/err" "does not exist"
# The append-only triggers are back: deleting a consent is still refused.
if sqlite3 "$L/catalog.db" "DELETE FROM consents;" 2>/dev/null; then fail "consents trigger lost"; fi
if sqlite3 "$L/catalog.db" "UPDATE audit_log SET detail = 'x';" 2>/dev/null; then fail "audit trigger lost"; fi
ba --library "$L" export 2 --purpose clinical --to "$T/published-again"
ok "verify clean after the erase; triggers still guard consents and the audit log; the other client still exports"
