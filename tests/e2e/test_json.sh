#!/bin/sh
# One JSON vocabulary (docs/JSON.md): every command of the command table is
# run with --json on a real library, and every line it prints is validated
# against docs/json/<kind>.json (JSON Schema 2020-12, python3-jsonschema).
# Fails on a line that is not one JSON object, on a kind with no schema, on
# a member the schema does not document, on a number with more decimals than
# its meaning (x-decimals; 6 at most anywhere: no 21.300000000000001), on an
# id that is not a number, and on a command of the table that this test does
# not run with --json.
#
# A new command: add a line 'j COMMAND ARGS...' below and a schema for each
# kind it prints (docs/json/KIND.json, listed in docs/JSON.md).
set -eu
. "$(dirname "$0")/lib.sh"

SCHEMAS=$BA_SOURCE_DIR/docs/json
$PY -c 'import jsonschema' 2>/dev/null || fail "python3-jsonschema is missing (scripts/install-deps.sh)"
L=$T/lib
S=$BA_SOURCE_DIR/samples
: >"$T/all"
: >"$T/covered"

# j COMMAND ARGS...: run 'beforeafter --library L --json COMMAND ARGS', exit
# code $J_RC (default 0), and keep each stdout line tagged with the command.
j() {
    run_ba --library "$L" --json "$@"
    expect_rc "--json $*" "${J_RC:-0}"
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\t%s\n' "$*" "$line" >>"$T/all"
    done <"$T/out"
    echo "$1" >>"$T/covered"
}
first_field() { # first_field FIELD: from the last j's stdout, first line
    head -1 "$T/out" | json_field "$1"
}

j init
j init                                         # exists
j init --timezone Europe/Vienna                # timezone-set
j client add C-1 --name "Ann Example"
j client add C-2
j client list
j client set C-1 --birth-date 1980-02-03
j client show C-1
j client rename C-2 C-3
j area add knee-left
j area list
make_jpeg "$T/a.jpg" 0 0 320 240
make_jpeg "$T/b.jpg" 8 6 320 240
make_jpeg "$T/c.jpg" 16 12 320 240
j ingest --client C-1 --area cheeks --stage before --date 2026-01-10 "$S/before-cheeks.jpg"
P1=$(first_field photo_id)
j ingest --client C-1 --area cheeks --stage after --date 2026-03-10 "$S/after-cheeks.jpg"
P2=$(first_field photo_id)
j ingest --client C-1 --area cheeks --stage after --date 2026-03-10 "$S/after-cheeks.jpg" # duplicate
j ingest --client C-3 --area forehead,cheeks --date 2026-02-01 "$T/a.jpg"
P3=$(first_field photo_id)
j list
j list --client C-1
j show "$P1"
j photo set "$P3" --stage before --view frontal
j photo retract "$P3" --reason "wrong client"
j photo restore "$P3"
j session show 1
j session set 1 --treatment microneedling --provider "Dr. A"
j align "$P2" --to "$P1"
j align "$S/after-cheeks.jpg" --to "$S/before-cheeks.jpg"
j compare "$P1" "$P2" -o "$T/cmp.png"
C1=$(first_field comparison_id)
j compare "$P1" "$P2" -o "$T/cmp2.jpg" --layout stacked --no-align
C2=$(first_field comparison_id)
j list --comparisons
j ghost "$P1" -o "$T/ghost.png"
j detect "$P1"
j detect "$S/before-cheeks.jpg"
j align "$P2" --to "$P1" --roi face
j consent grant C-1 --scope marketing --evidence "$S/before-cheeks.jpg" --allow-deidentify none,eyes,blur-face
j consent grant C-1 --scope education
j consent list
j export "$C1" --purpose marketing --to "$T/exp1"
j export "$C2" --purpose clinical --to "$T/exp2"
j export "$C1" --purpose clinical --deidentify eyes --to "$T/exp-deid" # eyes detected per panel
j export verify "$T/exp1"
j export key
printf 'x' >>"$T/exp2/export.json"
J_RC=1 j export verify "$T/exp2"                 # tampered: ok false, problem named
j consent revoke C-1 --scope marketing
j audit
j audit --client C-1
j audit --access
j verify
j settings
j settings retention-years 0
j settings rules uk
j settings disclosure "Individual results vary."
j backup --to "$T/backup"
j restore --from "$T/backup" --to "$T/restored"
j comparison delete "$C2"

# batch: a manifest with a broken row (exit 1), then the folder compare.
printf 'file,client,area,stage,date,view,treatment\n%s,C-3,cheeks,before,2026-01-05,frontal,\n\n%s,C-3,cheeks,after,2026-04-05,frontal,\nmissing.jpg,C-3,cheeks,after,2026-04-06,frontal,\n' \
    "$T/b.jpg" "$T/c.jpg" >"$T/manifest.csv"
printf 'file,client,area,date\n%s,C-3,cheeks,2026-01-05\n' "$T/b.jpg" >"$T/manifest2.csv"
J_RC=1 j batch ingest --dry-run "$T/manifest.csv"
J_RC=1 j batch ingest "$T/manifest.csv"
j -v batch ingest "$T/manifest2.csv"
j ingest --client C-3 --area cheeks --date 2026-05-01 - --name stdin.jpg <"$S/progress-cheeks.png"
j batch compare --out "$T/bc"
j client export C-3 --to "$T/record"
j client merge C-3 --into C-1
j client erase C-1 --confirm C-1

# Not JSON: help prints text (help --commands, help CMD) for people; serve
# runs the web server until stopped (its answers are HTTP, tested elsewhere).
echo help >>"$T/covered"
echo serve >>"$T/covered"
# The server's accounts.
j user add ann --role provider --password-stdin <<'EOF'
correct horse battery staple
EOF
j user list
j user role ann admin
j user passwd ann --password-stdin <<'EOF'
another long pass phrase
EOF
j user disable ann

"$BA" help --commands >"$T/commands"
$PY - "$T/all" "$SCHEMAS" "$T/commands" "$T/covered" <<'EOF'
import json, os, sys
from jsonschema import Draft202012Validator

lines, schemas, commands, covered = sys.argv[1:5]
fails = []
kinds = {}
# Every schema is a valid draft 2020-12 schema.
for f in sorted(os.listdir(schemas)):
    if f.endswith(".json"):
        try:
            Draft202012Validator.check_schema(json.load(open(os.path.join(schemas, f))))
        except Exception as e:
            fails.append("docs/json/%s is not a valid schema: %s" % (f, str(e)[:200]))
def walk_numbers(v, path, out):
    if isinstance(v, float):
        out.append((path, v))
    elif isinstance(v, dict):
        for k, x in v.items():
            walk_numbers(x, path + [k], out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk_numbers(x, path + [i], out)

def decimals(x):
    r = repr(x)
    return 0 if "." not in r or "e" in r else len(r.split(".")[1])

def check_ids(o, where):
    for k, v in o.items():
        if k.endswith("_id") and v is not None and not isinstance(v, int):
            fails.append("%s: %s is not a number: %r" % (where, k, v))
        if k.endswith("_ids") and not (isinstance(v, list) and all(isinstance(i, int) for i in v)):
            fails.append("%s: %s is not an array of numbers: %r" % (where, k, v))
        if k == "client" and v is not None and not isinstance(v, str):
            fails.append("%s: client is not a code: %r" % (where, v))

for n, raw in enumerate(open(lines), 1):
    cmd, _, text = raw.rstrip("\n").partition("\t")
    where = "'%s' line %d" % (cmd, n)
    try:
        o = json.loads(text)
    except ValueError as e:
        fails.append("%s: not JSON (%s): %s" % (where, e, text[:200])); continue
    if not isinstance(o, dict) or "kind" not in o:
        fails.append("%s: not an object with a kind: %s" % (where, text[:200])); continue
    path = os.path.join(schemas, o["kind"] + ".json")
    if not os.path.exists(path):
        fails.append("%s: kind '%s' has no schema (docs/json/%s.json)" % (where, o["kind"], o["kind"])); continue
    schema = json.load(open(path))
    v = Draft202012Validator(schema)
    for e in v.iter_errors(o):
        fails.append("%s (%s): %s at %s" % (where, o["kind"], e.message, list(e.path)))
    check_ids(o, where)
    nums = []
    walk_numbers(o, [], nums)
    for p, x in nums:
        want = 6
        if len(p) == 1:
            want = schema["properties"].get(p[0], {}).get("x-decimals", 6)
        if decimals(x) > want:
            fails.append("%s: %s = %r has more than %d decimals" % (where, ".".join(map(str, p)), x, want))
    kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1

table = [c.strip() for c in open(commands) if c.strip()]
ran = {c.strip() for c in open(covered)}
for c in table:
    if c not in ran:
        fails.append("command '%s' is not run with --json here (add a 'j %s ...' line)" % (c, c))
for f in fails:
    print("FAIL: " + f)
if fails:
    sys.exit(1)
print("ok - %d JSON lines of %d commands valid against docs/json: %s" %
      (sum(kinds.values()), len(table), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
EOF
