#!/bin/sh
# batch ingest (issue 6, docs/CLI.md "Batch"):
# - a 200-row manifest (columns in an unusual order; 4 clients x 3 dates x 4
#   areas; exact duplicate rows and byte-identical copies; broken files:
#   truncated JPEG/PNG, header-only, empty, text, random bytes, missing, a
#   folder; malformed rows: missing/extra column, empty client, bad date,
#   unknown area, bad stage, bad view; quoted fields with a comma and with ""
#   quotes) with --create-clients --jobs 4 --report: exit 1, exact counts of
#   photos/sessions/clients/masters, the report's statuses row by row (input
#   order), the summary line, progress lines on a non-tty stderr, one error
#   line per bad row naming the file or row and the cause;
# - the same batch again: all duplicate/error, nothing new (--json output);
# - --jobs 1 on a fresh library: identical catalog (ids, hashes, sessions);
# - without --create-clients an unknown client fails only its rows;
# - folder mode with --layout, fields from the path, a file at the wrong depth;
# - two batches with overlapping inputs on one library at once;
# - -q prints nothing on a fully successful run;
# - (last) each bad row's stderr line names its file or row, and with --jobs 4
#   48 decode errors carry the same causes as with --jobs 1.
set -eu
. "$(dirname "$0")/lib.sh"

F=$T/in
mkdir -p "$F"
GEN=$E2E_DIR/fixtures/gen_photos.py

# --- fixtures ---------------------------------------------------------------
$PY "$GEN" "$F" 190 --prefix p || fail "generating photos"
for k in 10 11 12 13 14; do cp "$F/p00$k.jpg" "$F/copy$k.jpg"; done
sz=$(wc -c <"$F/p0187.jpg")
head -c $((sz / 2)) "$F/p0187.jpg" >"$F/trunc.jpg"
head -c 100 "$F/p0188.jpg" >"$F/hdr.jpg"
: >"$F/empty.jpg"
echo "this is not a photo" >"$F/text.jpg"
$PY -c 'import random,sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(3000)))' >"$F/rnd.jpg"
$PY "$GEN" "$F" 1 --prefix png --start 189 --png
sz=$(wc -c <"$F/png0189.png")
head -c $((sz * 6 / 10)) "$F/png0189.png" >"$F/trunc.png"
mkdir "$F/adir.jpg"

# The manifest and, per row, the expected status and error pattern(s).
$PY - "$F" <<'EOF' || fail "writing the manifest"
import sys
out = sys.argv[1]
clients = ['C-A', 'C-B', 'C-C', 'C-D']
dates = ['2026-01-05', '2026-02-05', '2026-03-05']
areas = ['cheeks', 'neck', 'forehead', 'lips']
header = 'date,file,client,area,stage,treatment,view'
good = []
for k in range(175):
    c, d = clients[k % 4], dates[(k // 4) % 3]
    t = ''
    if c == 'C-D' and d == '2026-03-05':
        t = '"microneedling, PRP"'
    elif c == 'C-C' and d == '2026-02-05':
        t = '"laser ""fractional"""'
    good.append(('%s,p%04d.jpg,%s,%s,%s,%s,frontal' % (d, k, c, areas[(k // 12) % 4],
                 'before' if k % 2 else 'after', t), 'ingested', ''))
special = []
for k in range(5):            # exact duplicate rows
    special.append((good[k][0], 'duplicate', ''))
for k in range(10, 15):       # byte-identical copies, same client, other area (issue 12:
    # still a duplicate, with a warning; for another client it would be an error)
    special.append(('2026-01-05,copy%d.jpg,%s,hands,before,,frontal' % (k, clients[k % 4]),
                    'duplicate', ''))
for name, pat in [('trunc.jpg', 'truncated|corrupt|premature'),
                  ('hdr.jpg', 'header|truncated|premature'),
                  ('empty.jpg', 'empty'),
                  ('text.jpg', 'not a jpeg'),
                  ('rnd.jpg', 'not a jpeg'),
                  ('trunc.png', 'png|truncated|not enough'),
                  ('nothere.jpg', 'no such file'),
                  ('adir.jpg', 'folder|directory|regular file')]:
    special.append(('2026-01-05,%s,C-B,neck,before,,frontal' % name, 'error', pat))
special += [
    ('2026-01-05,p0180.jpg,C-A,neck,before,', 'error', 'fields'),              # missing column
    ('2026-01-05,p0181.jpg,,neck,before,,frontal', 'error', 'client'),         # empty client
    ('2026-13-45,p0182.jpg,C-A,neck,before,,frontal', 'error', '2026-13-45'),  # bad date
    ('2026-01-05,p0183.jpg,C-A,elbow,before,,frontal', 'error', 'elbow'),      # unknown area
    ('2026-01-05,p0184.jpg,C-A,neck,sideways,,frontal', 'error', 'sideways'),  # bad stage
    ('2026-01-05,p0185.jpg,C-A,neck,before,,upside', 'error', 'upside'),       # bad view
    ('2026-01-05,p0186.jpg,C-A,neck,before,,frontal,extra', 'error', 'fields'),  # extra column
]
assert len(good) + len(special) == 200
rows = []
s = 0
for i, g in enumerate(good):
    rows.append(g)
    if i % 7 == 3 and s < len(special):
        rows.append(special[s])
        s += 1
rows += special[s:]
with open(out + '/manifest.csv', 'w', newline='') as f:
    f.write(header + '\r\n')
    for line, _, _ in rows:
        f.write(line + '\r\n')
with open(out + '/expect', 'w') as f:
    for i, (line, st, pat) in enumerate(rows):
        name = line.split(',')[1]
        f.write('%d\t%s\t%s\t%s\n' % (i + 2, name, st, pat))   # header is row 1
EOF
assert_eq "manifest rows" 201 "$(nlines "$F/manifest.csv")"

# check_report REPORT EXPECT: the report has one line per input in input order
# with the expected status; errors carry their cause; ok lines a photo_id.
check_report() {
    $PY - "$1" "$2" <<'EOF'
import json, re, sys
rep = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
exp = [l.rstrip('\n').split('\t') for l in open(sys.argv[2])]
if len(rep) != len(exp):
    sys.exit('%d report lines for %d inputs' % (len(rep), len(exp)))
for r, (row, name, st, pat) in zip(rep, exp):
    if r.get('row') != int(row):
        sys.exit('report out of input order: expected row %s, got %s' % (row, json.dumps(r)))
    if r.get('status') != st:
        sys.exit('row %s (%s): expected %s, got %s' % (row, name, st, json.dumps(r)))
    if st == 'error':
        if not re.search(pat, r.get('error', ''), re.I):
            sys.exit('row %s (%s): error should say /%s/: %s' % (row, name, pat, json.dumps(r)))
        if 'photo_id' in r:
            sys.exit('row %s: error with a photo_id: %s' % (row, json.dumps(r)))
    elif not (isinstance(r.get('photo_id'), int) and r.get('master', '').startswith('masters/')):
        sys.exit('row %s: no photo_id/master: %s' % (row, json.dumps(r)))
EOF
}
# status_count REPORT STATUS
status_count() { grep -c "\"status\":\"$2\"" "$1" || true; }

catalog_dump() {
    sqlite3 "$1/catalog.db" "SELECT id, master_sha256, original_sha256, session_id FROM photos ORDER BY id;
        SELECT id, client_id, date, coalesce(treatment,'-'), number FROM sessions ORDER BY id;
        SELECT id, code FROM clients ORDER BY id;"
}

# --- 1. the 200-row manifest, --jobs 4 --------------------------------------
L=$T/lib4
"$BA" --library "$L" -q init >/dev/null || fail "init lib4"
run_ba --library "$L" batch ingest "$F/manifest.csv" --create-clients --jobs 4 --report "$T/rep4.jsonl"
cp "$T/err" "$T/err4"
expect_rc "batch with bad rows" 1
ok "batch of 200 rows with 15 bad ones -> exit 1"

assert_eq "photos" 175 "$(rows "$L" photos)"
assert_eq "sessions (4 clients x 3 dates)" 12 "$(rows "$L" sessions)"
assert_eq "clients" 4 "$(rows "$L" clients)"
assert_eq "client codes" "C-A C-B C-C C-D" "$(sqlite3 "$L/catalog.db" "SELECT group_concat(code, ' ') FROM (SELECT code FROM clients ORDER BY code);")"
assert_eq "masters" 175 "$(nfiles "$L/masters")"
assert_eq "tmp" 0 "$(nfiles "$L/tmp")"
assert_eq "distinct masters" 175 "$(sqlite3 "$L/catalog.db" "SELECT count(DISTINCT master_sha256) FROM photos;")"
ok "catalog: 175 photos, 12 sessions, 4 clients, 175 masters, tmp/ empty"

assert_eq "photos per area" "cheeks 48|forehead 43|lips 36|neck 48" \
    "$(sqlite3 "$L/catalog.db" "SELECT group_concat(n, '|') FROM (SELECT a.name || ' ' || count(*) AS n FROM photos p JOIN areas a ON a.id = p.area_id GROUP BY a.name ORDER BY a.name);")"
assert_eq "treatment with a quoted comma" "1|14" \
    "$(sqlite3 "$L/catalog.db" "SELECT count(DISTINCT s.id), count(*) FROM sessions s JOIN photos p ON p.session_id = s.id WHERE s.treatment = 'microneedling, PRP';")"
assert_eq "treatment with escaped quotes" "1|15" \
    "$(sqlite3 "$L/catalog.db" "SELECT count(DISTINCT s.id), count(*) FROM sessions s JOIN photos p ON p.session_id = s.id WHERE s.treatment = 'laser \"fractional\"';")"
assert_eq "stage split" "after 88|before 87" \
    "$(sqlite3 "$L/catalog.db" "SELECT group_concat(n, '|') FROM (SELECT stage || ' ' || count(*) AS n FROM photos GROUP BY stage ORDER BY stage);")"
ok "areas, stages and quoted treatments ('microneedling, PRP', 'laser \"fractional\"') as in the manifest"

assert_eq "report lines" 200 "$(nlines "$T/rep4.jsonl")"
assert_eq "report ingested" 175 "$(status_count "$T/rep4.jsonl" ingested)"
assert_eq "report duplicate" 10 "$(status_count "$T/rep4.jsonl" duplicate)"
assert_eq "report error" 15 "$(status_count "$T/rep4.jsonl" error)"
msg=$(check_report "$T/rep4.jsonl" "$F/expect" 2>&1) || fail "report: $msg"
ok "report: 200 lines in input order, 175 ingested / 10 duplicate / 15 error, each as expected"

# duplicates point at the photo of the original
assert_eq "duplicate photo ids" 0 "$($PY - "$T/rep4.jsonl" <<'EOF'
import json, sys
rep = [json.loads(l) for l in open(sys.argv[1])]
ids = {}
for r in rep:
    if r['status'] == 'ingested':
        ids[r['file'].rsplit('/', 1)[-1]] = r['photo_id']
bad = 0
for r in rep:
    if r['status'] == 'duplicate':
        n = r['file'].rsplit('/', 1)[-1].replace('copy', 'p00')
        bad += ids.get(n) != r['photo_id']
print(bad)
EOF
)"
ok "every duplicate row reports the photo_id of its original"

grep -qE '^175 ingested, 10 duplicate, 15 failed' "$T/out" ||
    fail "summary line: expected '175 ingested, 10 duplicate, 15 failed ...', got: $(cat "$T/out")"
grep -q '^progress: 200/200' "$T/err4" || fail "no final 'progress: 200/200' line on a non-tty stderr: $(head -5 "$T/err4")"
np=$(grep -c '^progress: ' "$T/err4" || true)
[ "$np" -ge 5 ] || fail "expected several progress lines on stderr, got $np"
assert_not_contains "non-tty stderr" "$T/err4" "$(printf '\r')"
assert_eq "error lines on stderr" 15 "$(grep '^beforeafter: ' "$T/err4" | grep -vc ': warning: ' || true)"
assert_eq "warning lines on stderr (copies filed under another area)" 5 \
    "$(grep -c '^beforeafter: .*copy[0-9]*\.jpg: warning: already stored as photo' "$T/err4" || true)"
assert_eq "other stderr lines" 0 "$(grep -vc -e '^beforeafter: ' -e '^progress: ' "$T/err4" || true)"
ok "stdout: '$(cat "$T/out")'; stderr: $np progress lines + 15 error lines"

# --- 2. the same batch again: nothing new ------------------------------------
before=$(catalog_dump "$L")
run_ba --library "$L" --json batch ingest "$F/manifest.csv" --create-clients --jobs 4 --report "$T/rep4b.jsonl"
expect_rc "re-run" 1
assert_eq "re-run: photos" 175 "$(rows "$L" photos)"
assert_eq "re-run: masters" 175 "$(nfiles "$L/masters")"
[ "$before" = "$(catalog_dump "$L")" ] || fail "re-run changed the catalog"
assert_eq "re-run: ingested" 0 "$(status_count "$T/rep4b.jsonl" ingested)"
assert_eq "re-run: duplicate" 185 "$(status_count "$T/rep4b.jsonl" duplicate)"
assert_eq "re-run: error" 15 "$(status_count "$T/rep4b.jsonl" error)"
assert_eq "re-run: --json lines" 200 "$(nlines "$T/out")"
assert_eq "re-run: --json output = report" "$(cat "$T/rep4b.jsonl")" "$(cat "$T/out")"
ok "re-run: 185 duplicate + 15 error, catalog unchanged, --json stdout = report"

# --- 3. --jobs 1 on a fresh library: the same catalog --------------------------
L1=$T/lib1
"$BA" --library "$L1" -q init >/dev/null || fail "init lib1"
run_ba --library "$L1" batch ingest "$F/manifest.csv" --create-clients --jobs 1 --report "$T/rep1.jsonl"
expect_rc "--jobs 1" 1
assert_eq "--jobs 1: photos" 175 "$(rows "$L1" photos)"
catalog_dump "$L" >"$T/dump4"
catalog_dump "$L1" >"$T/dump1"
cmp -s "$T/dump4" "$T/dump1" || fail "--jobs 1 and --jobs 4 catalogs differ: $(diff "$T/dump4" "$T/dump1" | head -5)"
(cd "$L/masters" && find . -type f | sort) >"$T/m4"
(cd "$L1/masters" && find . -type f | sort) >"$T/m1"
cmp -s "$T/m4" "$T/m1" || fail "--jobs 1 and --jobs 4 masters differ"
# (file, row, status, photo_id: error texts are compared in section 9)
sed 's/"master":"[^"]*"//; s/"error":".*"/"error"/' "$T/rep4.jsonl" >"$T/r4"
sed 's/"master":"[^"]*"//; s/"error":".*"/"error"/' "$T/rep1.jsonl" >"$T/r1"
cmp -s "$T/r4" "$T/r1" || fail "--jobs 1 and --jobs 4 reports differ: $(diff "$T/r4" "$T/r1" | head -4)"
ok "--jobs 1 and --jobs 4: identical (id, master_sha256, original_sha256, session_id), sessions, clients, masters, report statuses"

# --- 4. without --create-clients -----------------------------------------------
L2=$T/libnc
new_library "$L2" C-A C-B
cat >"$F/nc.csv" <<'EOF'
file,client,area,date
p0000.jpg,C-A,neck,2026-04-01
p0001.jpg,C-NEW,neck,2026-04-01
p0002.jpg,C-B,neck,2026-04-01
p0003.jpg,C-NEW,cheeks,2026-04-02
p0004.jpg,C-A,cheeks,2026-04-02
EOF
run_ba --library "$L2" batch ingest "$F/nc.csv" --report "$T/repnc.jsonl"
expect_rc "unknown client" 1
assert_eq "unknown client: photos" 3 "$(rows "$L2" photos)"
assert_eq "unknown client: clients" 2 "$(rows "$L2" clients)"
assert_eq "unknown client: statuses" "ingested error ingested error ingested" \
    "$(json_field status <"$T/repnc.jsonl" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "unknown client: error lines" 2 "$(grep -c '^beforeafter: .*C-NEW' "$T/err" || true)"
ok "without --create-clients: the 2 rows of unknown C-NEW fail (named), the other 3 are in, no client added"

# --- 5. folder mode -------------------------------------------------------------
D=$T/import
mkdir -p "$D/C-F/cheeks/2026-04-01/before" "$D/C-F/cheeks/2026-04-01/after" \
    "$D/C-F/neck/2026-04-02/before" "$D/C-G/lips/2026-04-03/progress" "$D/.hidden/x/y/z"
cp "$F/p0020.jpg" "$D/C-F/cheeks/2026-04-01/before/a.jpg"
cp "$F/p0021.jpg" "$D/C-F/cheeks/2026-04-01/after/b.jpg"
cp "$F/p0022.jpg" "$D/C-F/neck/2026-04-02/before/C.JPEG"
cp "$F/png0189.png" "$D/C-G/lips/2026-04-03/progress/d.png"
cp "$F/p0023.jpg" "$D/C-F/cheeks/wrong-depth.jpg"
cp "$F/p0024.jpg" "$D/.hidden/x/y/z/hidden.jpg"
echo "notes" >"$D/C-F/cheeks/2026-04-01/before/notes.txt"
LF=$T/libf
"$BA" --library "$LF" -q init >/dev/null || fail "init libf"
run_ba --library "$LF" batch ingest "$D" --layout "{client}/{area}/{date}/{stage}" --create-clients --report "$T/repf.jsonl"
expect_rc "folder batch with a misplaced file" 1
assert_eq "folder: report lines (photo files only)" 5 "$(nlines "$T/repf.jsonl")"
assert_eq "folder: photos" 4 "$(rows "$LF" photos)"
assert_eq "folder: clients" 2 "$(rows "$LF" clients)"
assert_eq "folder: sessions" 3 "$(rows "$LF" sessions)"
assert_eq "folder: fields from the path" \
    "C.JPEG C-F neck 2026-04-02 before|a.jpg C-F cheeks 2026-04-01 before|b.jpg C-F cheeks 2026-04-01 after|d.png C-G lips 2026-04-03 progress" \
    "$(sqlite3 "$LF/catalog.db" "SELECT group_concat(r, '|') FROM (SELECT p.original_name || ' ' || c.code || ' ' || a.name || ' ' || s.date || ' ' || p.stage AS r FROM photos p JOIN sessions s ON s.id = p.session_id JOIN clients c ON c.id = s.client_id JOIN areas a ON a.id = p.area_id ORDER BY p.original_name);")"
assert_eq "folder: error lines" 1 "$(grep -c '^beforeafter: ' "$T/err" || true)"
grep '^beforeafter: ' "$T/err" | grep -F 'wrong-depth.jpg' | grep -qi 'layout' ||
    fail "folder: the misplaced file's error should name it and the layout: $(grep '^beforeafter: ' "$T/err")"
assert_eq "folder: the error row" "error" "$(grep -F wrong-depth "$T/repf.jsonl" | json_field status)"
ok "folder mode: 4 photos with client/area/date/stage from the path, .txt and hidden folders skipped, wrong depth -> error: $(grep '^beforeafter: ' "$T/err")"

# --- 6. two batches at once on one library ----------------------------------------
LC=$T/libc
"$BA" --library "$LC" -q init >/dev/null || fail "init libc"
C=$T/conc
$PY "$GEN" "$C" 220 --prefix q --start 300 || fail "generating photos"
{
    echo "file,client,area,date,stage"
    k=300
    while [ $k -lt 520 ]; do
        # q300..q339 shared; q340..q429 only in A; q430..q519 only in B
        if [ $k -lt 430 ]; then
            echo "q0$k.jpg,C-$((k % 3)),neck,2026-05-0$((k % 5 + 1)),before"
        fi
        k=$((k + 1))
    done
} >"$C/a.csv"
{
    echo "file,client,area,date,stage"
    k=300
    while [ $k -lt 520 ]; do
        if [ $k -lt 340 ] || [ $k -ge 430 ]; then
            echo "q0$k.jpg,C-$((k % 3)),neck,2026-05-0$((k % 5 + 1)),before"
        fi
        k=$((k + 1))
    done
} >"$C/b.csv"
set +e
"$BA" --library "$LC" batch ingest "$C/a.csv" --create-clients --jobs 2 --report "$T/ra.jsonl" >"$T/oa" 2>"$T/ea" &
pa=$!
"$BA" --library "$LC" batch ingest "$C/b.csv" --create-clients --jobs 2 --report "$T/rb.jsonl" >"$T/ob" 2>"$T/eb" &
pb=$!
wait $pa
rca=$?
wait $pb
rcb=$?
set -e
assert_eq "concurrent batch A exit (stderr: $(grep -v '^progress' "$T/ea" | head -3))" 0 "$rca"
assert_eq "concurrent batch B exit (stderr: $(grep -v '^progress' "$T/eb" | head -3))" 0 "$rcb"
assert_not_contains "batch A stderr" "$T/ea" "locked"
assert_not_contains "batch B stderr" "$T/eb" "locked"
assert_eq "concurrent: photos" 220 "$(rows "$LC" photos)"
assert_eq "concurrent: distinct originals" 220 "$(sqlite3 "$LC/catalog.db" "SELECT count(DISTINCT original_sha256) FROM photos;")"
assert_eq "concurrent: masters" 220 "$(nfiles "$LC/masters")"
assert_eq "concurrent: tmp" 0 "$(nfiles "$LC/tmp")"
assert_eq "concurrent: clients" 3 "$(rows "$LC" clients)"
assert_eq "concurrent: sessions" 15 "$(rows "$LC" sessions)"
assert_eq "concurrent: report lines" "130 130" "$(nlines "$T/ra.jsonl") $(nlines "$T/rb.jsonl")"
assert_eq "concurrent: ingested in A+B" 220 $(($(status_count "$T/ra.jsonl" ingested) + $(status_count "$T/rb.jsonl" ingested)))
assert_eq "concurrent: duplicate in A+B" 40 $(($(status_count "$T/ra.jsonl" duplicate) + $(status_count "$T/rb.jsonl" duplicate)))
assert_eq "concurrent: integrity" ok "$(sqlite3 "$LC/catalog.db" "PRAGMA integrity_check;")"
run_ba --library "$LC" verify
expect_rc "verify after concurrent batches" 0
ok "two batches at once (130 rows each, 40 shared): both exit 0, 220 photos once each, shared ones ingested once and duplicate once, no 'locked', verify ok"

# --- 7. -q on a fully successful run ----------------------------------------------
LQ=$T/libq
"$BA" --library "$LQ" -q init >/dev/null || fail "init libq"
head -41 "$C/a.csv" >"$C/q.csv"
run_ba --library "$LQ" -q batch ingest "$C/q.csv" --create-clients --jobs 2
expect_rc "-q batch" 0
assert_eq "-q: stdout bytes" 0 "$(wc -c <"$T/out" | tr -d ' ')"
assert_eq "-q: stderr bytes" 0 "$(wc -c <"$T/err" | tr -d ' ')"
assert_eq "-q: photos" 40 "$(rows "$LQ" photos)"
ok "-q: a successful batch of 40 prints nothing at all"

# --- 8. each bad row's error line names its file or its line (manifest.csv:N:) and the cause ---------------
$PY - "$T/err4" "$F/expect" <<'EOF' || fail "error lines of the first batch (above)"
import re, sys
lines = [l.rstrip('\n') for l in open(sys.argv[1]) if l.startswith('beforeafter: ')]
bad = 0
for row, name, st, pat in (l.rstrip('\n').split('\t') for l in open(sys.argv[2])):
    if st != 'error':
        continue
    hits = [l for l in lines if re.search(pat, l, re.I) and
            (name in l or re.search(r'manifest\.csv:%s:' % row, l))]
    if len(hits) != 1:
        bad += 1
        cand = [l for l in lines if re.search(pat, l, re.I)]
        print('FAIL: row %s (%s): expected one stderr line naming "%s" or "manifest.csv:%s:" and /%s/; got %s'
              % (row, name, name, row, pat, cand or 'none'))
sys.exit(1 if bad else 0)
EOF
ok "every bad row's stderr line names its file or row and the cause"

# --- 9. in parallel, each error keeps its own cause -------------------------------------
# 24 JPEGs and 24 PNGs cut at 60% fail while decoding; with --jobs 4 each
# error must say what --jobs 1 says (libvips' error buffer is process-wide:
# a worker must not lose its message, nor take another file's).
P=$T/par
$PY "$GEN" "$P/src" 24 --prefix j --start 600 || fail "gen"
$PY "$GEN" "$P/src" 24 --prefix g --start 700 --png || fail "gen"
for f in "$P"/src/*; do
    sz=$(wc -c <"$f")
    head -c $((sz * 6 / 10)) "$f" >"$P/$(basename "$f")"
done
{
    echo "file,client,area,date"
    for f in "$P"/*.jpg "$P"/*.png; do echo "$(basename "$f"),C-A,neck,2026-09-01"; done
} >"$P/m.csv"
LP=$T/libpar
new_library "$LP" C-A
for j in 1 4; do
    run_ba --library "$LP" batch ingest "$P/m.csv" --jobs $j --report "$T/par$j.jsonl"
    expect_rc "48 truncated files, --jobs $j" 1
    assert_eq "48 truncated files, --jobs $j: errors" 48 "$(status_count "$T/par$j.jsonl" error)"
done
$PY - "$T/par1.jsonl" "$T/par4.jsonl" <<'EOF' || fail "--jobs 4 lost or mixed up error causes (above)"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
bad = [(x, y) for x, y in zip(a, b) if x['error'] != y['error']]
for x, y in bad[:4]:
    print('FAIL: %s\n  --jobs 1: %s\n  --jobs 4: %s' % (x['file'].rsplit('/', 1)[-1],
          x['error'].split(': ', 1)[1], y['error'].split(': ', 1)[1]))
if bad:
    print('FAIL: %d of %d errors differ between --jobs 1 and --jobs 4' % (len(bad), len(a)))
sys.exit(1 if bad else 0)
EOF
ok "48 decode errors: --jobs 4 gives each file the same cause as --jobs 1"
