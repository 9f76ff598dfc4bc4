#!/bin/sh
# The command-line contract (docs/CLI.md): global options before or after the
# command, $BEFOREAFTER_LIBRARY and "." as library, --version/--help, exit
# codes for unknown commands and unusable libraries, init's refusal of a
# non-empty folder, list filters, client/area commands, JSON fields, and
# session numbers that follow the dates whatever the ingest order.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"

# --- version and help -------------------------------------------------------------
ba --version
grep -qE '^beforeafter [0-9]+\.[0-9]+(\.[0-9]+)?' "$T/out" || fail "--version: expected 'beforeafter X.Y[.Z]', got: $(cat "$T/out")"
ok "--version prints $(cat "$T/out")"
ba --help
for c in init client area ingest list show; do
    grep -qE "^ +$c " "$T/out" || fail "--help: expected command '$c' listed, got: $(cat "$T/out")"
done
ok "--help exits 0 and lists every command"
for c in init client area ingest list show; do
    run_ba "$c" --help
    expect_rc "$c --help" 0
    grep -qi "usage" "$T/out" && grep -q "$c" "$T/out" ||
        fail "$c --help: expected a usage text naming '$c' on stdout, got: $(head -c 300 "$T/out")"
done
ok "COMMAND --help exits 0 with a usage text for init client area ingest list show"

run_ba frobnicate
expect_rc "unknown command" 2
assert_eq "unknown command: stderr lines" 1 "$(nlines "$T/err")"
assert_contains "unknown command: names it" "$T/err" "frobnicate"
ok "unknown command -> exit 2: $(cat "$T/err")"
run_ba
expect_rc "no command" 2
ok "no command -> exit 2 (help on stderr)"

# --- init ---------------------------------------------------------------------------
mkdir -p "$T/notlib/sub"
echo "precious" >"$T/notlib/notes.txt"
echo "more" >"$T/notlib/sub/x.txt"
(cd "$T/notlib" && find . -exec ls -ld --time-style=+%s.%N {} + | sort && cat notes.txt sub/x.txt) >"$T/before.lst"
run_ba --library "$T/notlib" init
expect_rc "init on a non-empty non-library folder" 3
assert_eq "init refusal: stderr lines" 1 "$(nlines "$T/err")"
(cd "$T/notlib" && find . -exec ls -ld --time-style=+%s.%N {} + | sort && cat notes.txt sub/x.txt) >"$T/after.lst"
cmp -s "$T/before.lst" "$T/after.lst" || fail "init refusal: expected the folder untouched, got: $(diff "$T/before.lst" "$T/after.lst")"
ok "init on a non-empty folder -> exit 3, folder untouched: $(cat "$T/err")"

mkdir "$T/emptydir"
ba --library "$T/emptydir" init
[ -f "$T/emptydir/catalog.db" ] || fail "init on an empty folder: expected catalog.db, got: $(ls -a "$T/emptydir")"
ba --library "$L" init
[ -f "$L/catalog.db" ] && [ -d "$L/masters" ] && [ -d "$L/tmp" ] ||
    fail "init: expected catalog.db, masters/, tmp/, got: $(ls -a "$L")"
ba --library "$L" client add C-1 --name "Alice Example"
ba --library "$L" client add C-2
sum1=$(sqlite3 "$L/catalog.db" 'SELECT count(*) FROM clients; SELECT count(*) FROM areas;' | tr '\n' ' ')
ba --library "$L" init
sum2=$(sqlite3 "$L/catalog.db" 'SELECT count(*) FROM clients; SELECT count(*) FROM areas;' | tr '\n' ' ')
assert_eq "init twice: clients and areas kept" "$sum1" "$sum2"
ok "init creates catalog.db, masters/, tmp/ (new or empty folder); init on a library again exits 0 and keeps it"

run_ba --library "$T/absent" list
expect_rc "list on a missing library" 3
assert_contains "missing library: names it" "$T/err" "$T/absent"
[ ! -e "$T/absent" ] || fail "missing library: expected nothing created, got $T/absent"
run_ba --library "$T/notlib" list
expect_rc "list on a non-library folder" 3
ok "missing or non-library folder -> exit 3"

# --- four photos, ingested out of date order ----------------------------------------
make_jpeg "$F/p1.jpg" 0 0 320 240
make_jpeg "$F/p2.jpg" 60 40 320 240
make_jpeg "$F/p3.jpg" 120 80 320 240
make_jpeg "$F/p4.jpg" 180 120 320 240
make_jpeg "$F/p5.jpg" 100 200 320 240
ba --library "$L" -q ingest --client C-1 --area cheeks --stage after --date 2026-03-10 --treatment microneedling "$F/p2.jpg"
[ ! -s "$T/out" ] || fail "-q ingest: expected no stdout, got: $(cat "$T/out")"
ba --library "$L" ingest --client C-1 --area cheeks --stage before --date 2026-01-05 "$F/p1.jpg" --view left-45
ba ingest --client C-1 --area forehead --date 2026-02-01 "$F/p3.jpg" --library "$L"
ba --library "$L" ingest --client C-2 --area cheeks --stage before --date 2026-02-01 "$F/p4.jpg"
assert_eq "photo rows" 4 "$(rows "$L" photos)"
ok "-q ingest is silent; options accepted before and after the files; 4 photos in"

# session numbers follow the dates
ba --library "$L" --json list --client C-1
got=$($PY -c 'import json,sys
r=[json.loads(l) for l in sys.stdin]
print(" ".join("%s:%s#%s" % (o["original_name"], o["session_date"], o["session_number"]) for o in sorted(r, key=lambda o: o["original_name"])))' <"$T/out")
assert_eq "C-1 session numbers" "p1.jpg:2026-01-05#1 p2.jpg:2026-03-10#3 p3.jpg:2026-02-01#2" "$got"
ba --library "$L" --json list --client C-2
assert_eq "C-2 session number" 1 "$(json_field session_number <"$T/out")"
ok "session numbers follow the dates although ingested 03-10, 01-05, 02-01 (C-1: 1,2,3; C-2: 1)"

# --- global options before/after, env, cwd ------------------------------------------
run_ba --json --library "$L" list
expect_rc "--json --library L list" 0
cp "$T/out" "$T/ref.json"
[ "$(nlines "$T/ref.json")" = 4 ] || fail "--json list: expected 4 lines, got $(nlines "$T/ref.json")"
for form in "list --library $L --json" "--library $L list --json" "--json list --library $L" "list --json --library=$L"; do
    # shellcheck disable=SC2086
    run_ba $form
    expect_rc "$form" 0
    cmp -s "$T/ref.json" "$T/out" || fail "'$form': expected the same output as '--json --library L list', got: $(diff "$T/ref.json" "$T/out" | head -5)"
done
ba --library "$L" list
cp "$T/out" "$T/ref.txt"
ba list --library "$L"
cmp -s "$T/ref.txt" "$T/out" || fail "human list: expected the same output with --library after the command"
ok "global options before or after the command give identical output (json and text)"

set +e
BEFOREAFTER_LIBRARY=$L "$BA" --json list >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc "BEFOREAFTER_LIBRARY=L list" 0
cmp -s "$T/ref.json" "$T/out" || fail "BEFOREAFTER_LIBRARY: expected the library's photos, got: $(head -c 300 "$T/out")"
set +e
BEFOREAFTER_LIBRARY=$T/absent "$BA" --json --library "$L" list >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc "--library overrides BEFOREAFTER_LIBRARY" 0
cmp -s "$T/ref.json" "$T/out" || fail "--library over env: expected the library's photos"
set +e
(cd "$L" && "$BA" --json list) >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc "list in the library folder without --library" 0
cmp -s "$T/ref.json" "$T/out" || fail "cwd library: expected the library's photos"
ok "BEFOREAFTER_LIBRARY used without --library, --library wins over it, else '.'"

# --- list filters ---------------------------------------------------------------------
names() { # list ARGS -> sorted original names
    run_ba --library "$L" --json list "$@"
    expect_rc "list $*" 0
    json_field original_name <"$T/out" | sort | tr '\n' ' ' | sed 's/ $//'
}
check() { # EXPECTED ARGS...
    want=$1
    shift
    assert_eq "list $*" "$want" "$(names "$@")"
}
check "p1.jpg p2.jpg p3.jpg p4.jpg"
check "p1.jpg p2.jpg p3.jpg" --client C-1
check "p4.jpg" --client C-2
check "p1.jpg p2.jpg p4.jpg" --area cheeks
check "p3.jpg" --area forehead
check "" --area neck
check "p2.jpg p3.jpg p4.jpg" --from 2026-02-01
check "p1.jpg p3.jpg p4.jpg" --to 2026-02-01
check "p3.jpg p4.jpg" --from 2026-02-01 --to 2026-02-01
check "p1.jpg" --to 2026-01-31
check "" --from 2026-03-11
check "p1.jpg p4.jpg" --stage before
check "p2.jpg" --stage after
check "p3.jpg" --stage progress
check "p1.jpg" --client C-1 --area cheeks --stage before
check "p2.jpg" --client C-1 --from 2026-02-02 --area cheeks
ok "list --client/--area/--from/--to/--stage (and combinations) return exactly the right photos"
for bad in "--stage sideways" "--from 2026-02-30" "--to 01/02/2026"; do
    # shellcheck disable=SC2086
    run_ba --library "$L" list $bad
    expect_rc "list $bad" 2
    assert_eq "list $bad: stderr lines" 1 "$(nlines "$T/err")"
done
ok "list with a bad stage or a malformed date -> exit 2"

# --- JSON fields (docs/CLI.md) -----------------------------------------------------------
id2=$(names --stage after >/dev/null; json_field photo_id <"$T/out")
ba --library "$L" --json show "$id2"
$PY - "$T/out" "$T/ref.json" <<'EOF' >"$T/bad"
import json, sys
show = json.loads(open(sys.argv[1]).read())
lst = [json.loads(l) for l in open(sys.argv[2])]
lf = ["photo_id","client","area","session_date","session_number","treatment","view","stage","width",
      "height","captured_at","camera_make","camera_model","master","original_name","ingested_at"]
sf = lf + ["master_sha256","original_sha256","capture_offset","orientation","focal_length_mm",
      "focal_length_35mm","exposure_time_s","f_number","iso","flash_fired","white_balance"]
bad = []
# Every documented field must be there; extra (newer, undocumented) fields
# are tolerated and reported on stderr.
for o in lst:
    if set(lf) - set(o): bad.append("list --json: documented fields missing: %s" % sorted(set(lf) - set(o)))
if set(sf) - set(show): bad.append("show --json: documented fields missing: %s" % sorted(set(sf) - set(show)))
extra = (set(show) - set(sf)) | set().union(*(set(o) - set(lf) for o in lst))
if extra: sys.stderr.write("# fields not in docs/CLI.md: %s\n" % sorted(extra))
want = {"client": "C-1", "area": "cheeks", "stage": "after", "session_date": "2026-03-10",
        "treatment": "microneedling", "view": "frontal", "width": 320, "height": 240,
        "original_name": "p2.jpg", "captured_at": None}
for k, v in want.items():
    if show.get(k) != v: bad.append("show %s: expected %r, got %r" % (k, v, show.get(k)))
if not show["master"].startswith("masters/" + show["master_sha256"][:2] + "/" + show["master_sha256"]):
    bad.append("show master %r does not match master_sha256" % show["master"])
if bad: print("\n".join(bad))
EOF
[ ! -s "$T/bad" ] || fail "JSON fields: $(cat "$T/bad")"
mfile=$L/$(json_field master <"$T/out")
[ "$(sha256sum "$mfile" | cut -d' ' -f1)" = "$(json_field master_sha256 <"$T/out")" ] ||
    fail "show: expected master_sha256 = sha256 of $mfile"
[ "$(sha256sum "$F/p2.jpg" | cut -d' ' -f1)" = "$(json_field original_sha256 <"$T/out")" ] ||
    fail "show: expected original_sha256 = sha256 of p2.jpg"
ba --library "$L" --json list --client C-1 --from 2026-01-05 --to 2026-01-05
assert_eq "p1 view" left-45 "$(json_field view <"$T/out")"
ok "list/show --json carry every documented field with the right values and hashes"
run_ba --library "$L" show 999
expect_rc "show of a missing photo" 2
run_ba --library "$L" show abc
expect_rc "show abc" 2
ok "show of a missing id / non-number -> exit 2"

# --- clients ---------------------------------------------------------------------------
ba --library "$L" --json client list
got=$($PY -c 'import json,sys
r=[json.loads(l) for l in sys.stdin]
print(" ".join("%s/%s/%s/%s" % (o["code"], o["name"], o["photos"], set(["client_id","code","name","created_at","photos"]) <= set(o)) for o in sorted(r, key=lambda o: o["code"])))' <"$T/out")
assert_eq "client list --json" "C-1/Alice Example/3/True C-2/None/1/True" "$got"
run_ba --library "$L" client add C-1
expect_rc "client add of an existing code" 2
run_ba --library "$L" client add "bad code!"
expect_rc "client add of an invalid code" 2
assert_eq "clients after refused adds" 2 "$(rows "$L" clients)"
ok "client list --json: codes, names, photo counts; duplicate/invalid codes -> exit 2"

# --- areas -------------------------------------------------------------------------------
ba --library "$L" area add jawline
ba --library "$L" --json area list
grep -q '"area" *: *"jawline"' "$T/out" || fail "area list --json: expected jawline, got: $(cat "$T/out")"
grep -q '"area" *: *"glabella"' "$T/out" || fail "area list --json: expected the seeded glabella"
run_ba --library "$L" area add cheeks
expect_rc "area add of an existing area" 2
ba --library "$L" --json ingest --client C-2 --area jawline --date 2026-04-01 "$F/p5.jpg"
assert_eq "ingest into the new area" ingested "$(json_field status <"$T/out")"
check "p5.jpg" --area jawline
ok "area add jawline, then ingest into it and list --area jawline work"

# --- docs/CLI.md gives exit 2 for an unknown client/area: an empty list would
# hide a mistyped client code (an early build printed nothing and exited 0). ---
for bad in "--client C-404" "--area nosuch"; do
    # shellcheck disable=SC2086
    run_ba --library "$L" list $bad
    expect_rc "list $bad (unknown client/area is a usage error per docs/CLI.md)" 2
    assert_eq "list $bad: stderr lines" 1 "$(nlines "$T/err")"
    grep -qE "C-404|nosuch" "$T/err" || fail "list $bad: expected the bad value named on stderr, got: $(cat "$T/err")"
done
ok "list with an unknown client or area -> exit 2, one line naming it"
