#!/bin/sh
# batch ingest --dry-run checks every row (files and their headers, clients,
# areas, dates -- future ones too --, duplicate rows) and writes nothing:
# catalog bytes unchanged, no file in masters/ or tmp/; exit 0 when every
# row would pass, 1 with every problem listed.  Text-mode errors name the
# manifest row by its physical line ("m.csv:7: ..."), blank lines counted,
# in a real run too.
set -eu
. "$(dirname "$0")/lib.sh"

S=$BA_SOURCE_DIR/samples
L=$T/lib
new_library "$L" C-1 C-2
cd "$T"
cp "$S/before-cheeks.jpg" a.jpg
cp "$S/after-cheeks.jpg" b.jpg
cp a.jpg a-copy.jpg
echo "not an image" >notes.txt
# Lines: 1 header, 2 ok, 3 blank, 4 future date, 5 missing file, 6 not an
# image, 7 same bytes as line 2 for another client, 8 unknown client,
# 9 unknown area, 10 bad date, 11 empty file, 12 ok, 13 same bytes as line
# 12 for the same client (a duplicate, not an error).
cat >m.csv <<'EOF'
file,client,area,stage,date,view,treatment
a.jpg,C-1,cheeks,before,2026-01-01,frontal,

b.jpg,C-1,cheeks,after,2099-01-01,frontal,
nope.jpg,C-1,cheeks,after,2026-02-01,,
notes.txt,C-1,cheeks,,2026-02-01,,
a-copy.jpg,C-2,cheeks,,2026-02-01,,
b.jpg,C-9,cheeks,,2026-02-01,,
b.jpg,C-1,kneecap,,2026-02-01,,
b.jpg,C-1,cheeks,,2026-13-01,,
,C-1,cheeks,,,,
b.jpg,C-1,cheeks,after,2026-02-01,,
b.jpg,C-1,cheeks,after,2026-02-01,,
EOF
db0=$(sha256sum "$L/catalog.db" | cut -d' ' -f1)
nothing_written() {
    assert_eq "$1: catalog bytes" "$db0" "$(sha256sum "$L/catalog.db" | cut -d' ' -f1)"
    assert_eq "$1: photos" 0 "$(rows "$L" photos)"
    assert_eq "$1: clients" 2 "$(rows "$L" clients)"
    assert_eq "$1: masters/" 0 "$(nfiles "$L/masters")"
    assert_eq "$1: tmp/" 0 "$(nfiles "$L/tmp")"
}

run_ba --library "$L" batch ingest --dry-run m.csv
expect_rc "dry run with problems" 1
nothing_written "dry run"
for want in "m.csv:4: ./b.jpg: session date 2099-01-01 is in the future" \
    "m.csv:5: ./nope.jpg: cannot open" "m.csv:6: ./notes.txt: not a JPEG" \
    "m.csv:7: ./a-copy.jpg: the same photo as line 2 (client C-1), for client C-2" \
    "m.csv:8: ./b.jpg: client 'C-9' does not exist" "m.csv:9: ./b.jpg: unknown area 'kneecap'" \
    "m.csv:10: ./b.jpg: date '2026-13-01'" "m.csv:11: empty 'file'"; do
    assert_contains "dry run lists" "$T/err" "beforeafter: $want"
done
assert_eq "dry run: one error line per bad row" 8 "$(grep -vc ': warning: ' "$T/err")"
assert_contains "dry run: the duplicate row's remark" "$T/err" "m.csv:13: ./b.jpg: warning: the same photo as line 12"
assert_contains "dry run: row 2 passes" "$T/out" "m.csv:2: ./a.jpg ok"
assert_contains "dry run: row 12 passes" "$T/out" "m.csv:12: ./b.jpg ok"
assert_contains "dry run: row 13 a duplicate of row 12" "$T/out" "m.csv:13: ./b.jpg would be a duplicate"
assert_contains "dry run: summary" "$T/out" "2 would be ingested, 1 duplicate, 8 with problems; nothing was written"
ok "dry run: 8 bad rows listed by line, exit 1, catalog bytes and masters/, tmp/ unchanged"

run_ba --library "$L" --json batch ingest -n m.csv
expect_rc "dry run --json" 1
nothing_written "dry run --json"
assert_eq "dry run --json: statuses by line" \
    "2:ok 4:error 5:error 6:error 7:error 8:error 9:error 10:error 11:error 12:ok 13:duplicate batch" \
    "$($PY -c 'import json,sys
out = []
for l in open(sys.argv[1]):
    o = json.loads(l)
    out.append("%s:%s" % (o["row"], o["status"]) if o["kind"] == "ingest" else o["kind"])
print(" ".join(out))' "$T/out")"
ok "dry run --json: one ingest object per row (status ok/duplicate/error), then the batch summary"

# The good rows alone pass, and the real run then does exactly that.
grep -v -e nope -e notes -e C-9 -e kneecap -e 2026-13 -e 2099 -e a-copy m.csv | sed '/^,C-1/d' >good.csv
run_ba --library "$L" batch ingest --dry-run good.csv
expect_rc "dry run of good rows" 0
nothing_written "dry run of good rows"
run_ba --library "$L" batch ingest good.csv
expect_rc "real run of good rows" 0
assert_eq "real run: photos" 2 "$(rows "$L" photos)"

# A real run names the failing rows by line too (blank line 3 counted).
printf 'file,client,area,date\n\n\nnope.jpg,C-1,cheeks,2026-02-01\n' >bad.csv
run_ba --library "$L" batch ingest bad.csv
expect_rc "real run of a bad row" 1
assert_contains "real run: the row's line" "$T/err" "beforeafter: bad.csv:4: ./nope.jpg: cannot open"
ok "good rows: dry run exits 0 and writes nothing; the real run ingests them; real-run errors name bad.csv:4"
