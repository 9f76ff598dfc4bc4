#!/bin/sh
# client export (issue 12, subject access / transfer of care): the folder holds
# exactly the client's objects — every master byte for byte as stored, every
# comparison render, the consent evidence, and a complete, self-describing
# record.json — and nothing of another client; it is placed whole or not at
# all, never inside a library, never over a non-empty folder; audited.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
$PY "$E2E_DIR/fixtures/gen_photos.py" "$T/in" 4 --prefix x --size 160 120 || fail "generating photos"
ba --library "$L" init
ba --library "$L" client add C-0001 --name "Ada Example"
ba --library "$L" client add C-0002 --name "Other Person"
ba --library "$L" ingest --client C-0001 --area forehead,cheeks --stage before --date 2026-01-10 "$T/in/x0000.jpg"
ba --library "$L" ingest --client C-0001 --area cheeks --stage after --date 2026-03-10 "$T/in/x0001.jpg"
ba --library "$L" ingest --client C-0002 --area cheeks --stage before --date 2026-01-12 "$T/in/x0002.jpg"
ba --library "$L" ingest --client C-0002 --area cheeks --stage after --date 2026-03-12 "$T/in/x0003.jpg"
ba --library "$L" compare 1 2 --no-align -o "$T/a.png"
ba --library "$L" compare 3 4 --no-align -o "$T/b.png"
printf '%%PDF-1.4\n%% signed form of C-0001\n%%%%EOF\n' >"$T/form.pdf"
ba --library "$L" consent grant C-0001 --scope marketing --granted 2026-01-05 --evidence "$T/form.pdf"
ba --library "$L" consent grant C-0002 --scope marketing --granted 2026-01-05 --evidence "$T/in/x0003.jpg"
ba --library "$L" export 1 --purpose clinical --to "$T/pub"

q() { sqlite3 "$L/catalog.db" "$1"; }
E=$T/exp
run_ba --library "$L" --json client export C-0001 --to "$E"
expect_rc "client export" 0
assert_eq "export --json: kind" client-export "$(json_field kind <"$T/out")"
assert_eq "export --json: masters" 2 "$(json_field masters <"$T/out")"

# Exactly the client's masters, byte for byte.
want=$(q "SELECT master_sha256 FROM photos WHERE id IN (1,2) ORDER BY 1" | tr '\n' ' ')
got=$(for f in "$E"/masters/*.jpg; do sha256sum "$f" | cut -d' ' -f1; done | sort | tr '\n' ' ')
assert_eq "masters in the export (by hash)" "$want" "$got"
for h in $(q "SELECT master_sha256 FROM photos WHERE id IN (1,2)"); do
    cmp -s "$E/masters/$h.jpg" "$L/masters/$(echo "$h" | cut -c1-2)/$h.jpg" ||
        fail "master $h differs from the stored one"
done
# The render and the form; nothing of the other client, by hash.
r1=$(q "SELECT sha256 FROM comparisons WHERE id = 1")
[ -f "$E/comparisons/$r1.png" ] || fail "the comparison render is missing: $(ls -R "$E")"
ev=$(q "SELECT evidence_sha256 FROM consents WHERE client_id = 1")
[ -f "$E/consents/$ev.pdf" ] || fail "the consent form is missing"
all=$(find "$E" -type f -exec sha256sum {} + | cut -d' ' -f1)
for h in $(q "SELECT master_sha256 FROM photos WHERE id IN (3,4) UNION SELECT sha256 FROM comparisons WHERE id = 2
              UNION SELECT evidence_sha256 FROM consents WHERE client_id = 2"); do
    if echo "$all" | grep -q "$h"; then fail "a file of the other client is in the export ($h)"; fi
done
assert_eq "files in the export" 5 "$(nfiles "$E")"
ok "client export: the client's 2 masters (byte-identical), its render and form, record.json; no file of the other client"

# record.json: complete and self-describing; no other client.
$PY - "$E" <<'PYEOF' || fail "record.json"
import json, sys, os, hashlib
d = sys.argv[1]
r = json.load(open(os.path.join(d, "record.json")))
assert r["format"] == "beforeafter-client-record" and r["version"] == 1 and r["kind"] == "client-record", r.keys()
assert r["client"] == "C-0001" and r["client_record"][0]["name"] == "Ada Example"
assert [s["date"] for s in r["sessions"]] == ["2026-01-10", "2026-03-10"], r["sessions"]
p = r["photos"]
assert [x["photo_id"] for x in p] == [1, 2], p
assert sorted(p[0]["areas"]) == ["cheeks", "forehead"] and p[0]["stage"] == "before" and p[0]["view"], p[0]
for x in p:
    assert os.path.exists(os.path.join(d, x["file"])) and len(x["master_sha256"]) == 64, x
c = r["comparisons"]
assert len(c) == 1 and c[0]["photos"] == [1, 2] and isinstance(c[0]["parameters"], dict), c
assert os.path.exists(os.path.join(d, c[0]["file"])), c
k = r["consents"]
assert len(k) == 1 and k[0]["scope"] == "marketing" and os.path.exists(os.path.join(d, k[0]["evidence_file"])), k
assert len(r["exports"]) == 1 and r["exports"][0]["items"][0]["comparison_id"] == 1, r["exports"]
assert any(a["action"] == "consent-grant" for a in r["audit"]), r["audit"]
assert all(a["client"] == "C-0001" for a in r["audit"]), r["audit"]
for f in r["files"]:
    data = open(os.path.join(d, f["file"]), "rb").read()
    assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"], f
text = open(os.path.join(d, "record.json")).read()
assert "C-0002" not in text and "Other Person" not in text, "another client in record.json"
PYEOF
ok "record.json: format/version, client, sessions, photos with areas, comparison, consent with its form, export, audit rows, file hashes; nothing of C-0002"

# Audited.
assert_eq "audit row" 1 "$(q "SELECT count(*) FROM audit_log WHERE action = 'client-export' AND client = 'C-0001'")"

# Refusals: nothing written.
run_ba --library "$L" client export C-0001 --to "$E"
expect_rc "export over a non-empty folder" 2
assert_eq "the earlier export untouched" 5 "$(nfiles "$E")"
run_ba --library "$L" client export C-0001 --to "$L/inside"
expect_rc "export inside the library" 2
[ ! -e "$L/inside" ] || fail "export inside the library wrote something"
run_ba --library "$L" client export C-0404 --to "$T/none"
[ "$RC" != 0 ] || fail "export of an unknown client succeeded"
[ ! -e "$T/none" ] || fail "export of an unknown client left a folder"
if ls -a "$T" | grep -q '\.tmp-'; then fail "a temporary export folder was left: $(ls -a "$T")"; fi
mkdir "$T/empty"
ba --library "$L" client export c-0001 --to "$T/empty"
assert_eq "export into an empty folder, code in another case" 5 "$(nfiles "$T/empty")"
ok "refused over a non-empty folder and inside the library (exit 2), for an unknown client; no temporary folder left; audited"
