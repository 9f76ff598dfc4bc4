#!/bin/sh
# Client, session and comparison corrections through the CLI (issue 12):
# - client codes are unique whatever their case ("already exists as C-0001",
#   exit 2, nothing added); show finds a client whatever the case;
# - client rename / set / session set: each writes one audit row with the
#   actor (the OS user) and old -> new; refusals change nothing;
#   audit --client NEW still lists the rows written under the old code;
# - client merge: a same-date conflict is refused (exit 1, row counts
#   unchanged); resolved, sessions join, photos and consents move, FROM goes;
# - comparison delete: the render file goes, lists drop it, the export made
#   from it is still recorded and listed by audit;
# - list --comparisons shows the client and the area.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-0001
B() { "$BA" --library "$L" "$@"; }
ME=$(id -un)
counts() { echo "clients=$(rows "$L" clients) sessions=$(rows "$L" sessions) photos=$(rows "$L" photos) consents=$(rows "$L" consents) audit=$(rows "$L" audit_log)"; }
last_audit() { sqlite3 "$L/catalog.db" "SELECT action || '|' || client || '|' || actor || '|' || detail FROM audit_log ORDER BY id DESC LIMIT 1;"; }

make_jpeg "$F/a1.jpg" 100 50 320 240 "2026:01:10 10:00:00"
make_jpeg "$F/a2.jpg" 104 52 320 240 "2026:03:10 10:00:00"
make_jpeg "$F/d1.jpg" 20 200 320 240 "2026:01:10 11:00:00"
make_jpeg "$F/d2.jpg" 24 204 320 240 "2026:02:10 11:00:00"
B -q ingest --client C-0001 --area cheeks --stage before --treatment filler "$F/a1.jpg" >/dev/null
B -q ingest --client C-0001 --area cheeks --stage after "$F/a2.jpg" >/dev/null

# --- case-insensitive codes ---------------------------------------------------------
c0=$(counts)
run_ba --library "$L" client add c-0001
expect_rc "client add c-0001 beside C-0001" 2
assert_eq "one line" 1 "$(nlines "$T/err")"
assert_contains "names the stored code" "$T/err" "client c-0001 already exists as C-0001"
assert_eq "nothing added" "$c0" "$(counts)"
ba --library "$L" --json client show c-0001
assert_eq "show finds C-0001 by c-0001" "C-0001" "$(json_field client <"$T/out")"
ba --library "$L" --json list --client c-0001
assert_eq "list --client in another case" 2 "$(nlines "$T/out")"
ok "client codes are unique whatever their case; show and list find them in any case"

# --- a comparison and an export under the first code --------------------------------
ba --library "$L" --json compare 1 2 --no-align -o "$T/c1.png"
C1=$(json_field comparison_id <"$T/out")
ba --library "$L" -q export "$C1" --purpose clinical --to "$T/ex1"
ba --library "$L" --json list --comparisons
assert_eq "list --comparisons: client" "C-0001" "$(json_field client <"$T/out")"
$PY -c 'import json,sys; o=json.loads(sys.stdin.readline()); assert o["areas"]==["cheeks"], o["areas"]; assert o["kind"]=="comparison"' <"$T/out" ||
    fail "list --comparisons: areas"
ba --library "$L" list --comparisons
assert_contains "text list shows the client" "$T/out" "C-0001"
assert_contains "text list shows the area" "$T/out" "cheeks"
ok "list --comparisons shows client and area"

# --- rename ----------------------------------------------------------------------------
B -q client add C-0002 >/dev/null
c0=$(counts)
run_ba --library "$L" client rename C-0001 c-0002
expect_rc "rename onto another client's code (other case)" 2
assert_contains "rename refusal" "$T/err" "already exists as C-0002"
run_ba --library "$L" client rename NOPE X-1
expect_rc "rename of an unknown client" 2
assert_eq "refusals change nothing" "$c0" "$(counts)"
ba --library "$L" --json client rename C-0001 K-0001
assert_eq "rename prints the client" "K-0001" "$(json_field client <"$T/out")"
assert_eq "rename audit row" "client-rename|K-0001|$ME|{\"code\":{\"old\":\"C-0001\",\"new\":\"K-0001\"}}" "$(last_audit)"
run_ba --library "$L" client show C-0001
expect_rc "old code is gone" 2
ba --library "$L" --json audit --client K-0001
$PY - "$T/out" <<'EOF' || fail "audit --client K-0001 does not list the export made under C-0001"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
acts = [r.get("action") for r in rows if r.get("kind") == "audit"]
assert "export" in acts, acts
assert "client-rename" in acts, acts
EOF
ba --library "$L" --json audit --client k-0001
assert_contains "audit --client in another case" "$T/out" "\"action\":\"export\""
ok "client rename: audited with actor and old -> new; refusals change nothing; audit follows the rename"

# --- set ---------------------------------------------------------------------------------
ba --library "$L" client set K-0001 --name "Zoë Exämple" --birth-date 1980-02-29
assert_eq "set audit row (no personal data in it)" "client-set|K-0001|$ME|{\"name\":\"set\",\"birth_date\":\"set\"}" "$(last_audit)"
ba --library "$L" --json client show K-0001
assert_eq "name" "Zoë Exämple" "$(json_field name <"$T/out")"
assert_eq "birth date" "1980-02-29" "$(json_field birth_date <"$T/out")"
c0=$(counts)
run_ba --library "$L" client set K-0001 --birth-date 2999-01-01
expect_rc "future birth date" 2
assert_contains "says future" "$T/err" "future"
run_ba --library "$L" client set K-0001 --birth-date 1981-02-29
expect_rc "impossible birth date" 2
assert_eq "refused sets change nothing" "$c0" "$(counts)"
ok "client set --name/--birth-date: audited without the values; future and impossible dates refused"

# --- session set ---------------------------------------------------------------------------
ba --library "$L" --json client show K-0001
S1=$($PY -c 'import json,sys; o=json.loads(sys.stdin.readline()); print(o["sessions"][0]["session_id"])' <"$T/out")
ba --library "$L" --json session set "$S1" --treatment microneedling --provider "Dr A"
assert_eq "session set prints the session" "microneedling" "$(json_field treatment <"$T/out")"
assert_eq "session set audit row" "session-set|K-0001|$ME|{\"treatment\":{\"old\":\"filler\",\"new\":\"microneedling\"},\"provider\":{\"old\":null,\"new\":\"Dr A\"}}" "$(last_audit)"
# A different --treatment at ingest for an existing session is not dropped silently.
make_jpeg "$F/a3.jpg" 108 54 320 240 "2026:01:10 12:00:00"
run_ba --library "$L" ingest --client K-0001 --area cheeks --stage progress --treatment peel "$F/a3.jpg"
expect_rc "ingest with another treatment" 0
assert_contains "warns that the session keeps its treatment" "$T/err" "session $S1 (2026-01-10) keeps its treatment 'microneedling'; 'peel' was not recorded"
assert_contains "says how to correct it" "$T/err" "session set"
c0=$(counts)
run_ba --library "$L" session set 999 --treatment x
expect_rc "session set of an unknown session" 2
run_ba --library "$L" session set "$S1"
expect_rc "session set without a field" 2
assert_eq "session refusals change nothing" "$c0" "$(counts)"
ok "session set: audited old -> new; refusals change nothing"

# --- merge ----------------------------------------------------------------------------------
B -q client add DUP-1 >/dev/null
B -q ingest --client DUP-1 --area cheeks --stage before --treatment filler "$F/d1.jpg" >/dev/null
B -q ingest --client DUP-1 --area cheeks --stage progress "$F/d2.jpg" >/dev/null
B -q consent grant DUP-1 --scope education --granted 2026-01-01 >/dev/null
c0=$(counts)
run_ba --library "$L" client merge DUP-1 --into K-0001
expect_rc "merge with a same-date conflict" 1
assert_eq "one line" 1 "$(nlines "$T/err")"
assert_contains "names the field and date" "$T/err" "(both 2026-01-10) have different treatment"
assert_eq "refused merge changes nothing" "$c0" "$(counts)"
DS=$(sqlite3 "$L/catalog.db" "SELECT s.id FROM sessions s JOIN clients c ON c.id = s.client_id WHERE c.code = 'DUP-1' AND s.date = '2026-01-10';")
B -q session set "$DS" --treatment microneedling >/dev/null
ba --library "$L" --json client merge DUP-1 --into K-0001
assert_eq "joined" 1 "$(json_field sessions_joined <"$T/out")"
assert_eq "moved" 1 "$(json_field sessions_moved <"$T/out")"
assert_eq "photos" 2 "$(json_field photos <"$T/out")"
assert_eq "consents" 1 "$(json_field consents <"$T/out")"
# Comparison C1 showed sessions #1 and #2; the 03-10 session is #3 now.
assert_eq "stale comparisons" 1 "$(json_field comparisons_stale <"$T/out")"
sqlite3 "$L/catalog.db" "SELECT stale FROM comparisons WHERE id = $C1;" >"$T/stale"
assert_contains "C1 is stale" "$T/stale" "client DUP-1 was merged into K-0001: session numbers changed"
assert_eq "DUP-1 is gone" 0 "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM clients WHERE code = 'DUP-1';")"
assert_eq "K-0001 has 5 photos" 5 "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM photos p JOIN sessions s ON s.id = p.session_id JOIN clients c ON c.id = s.client_id WHERE c.code = 'K-0001';")"
assert_eq "sessions renumbered by date" "2026-01-10:1 2026-02-10:2 2026-03-10:3" \
    "$(sqlite3 "$L/catalog.db" "SELECT group_concat(date || ':' || number, ' ') FROM (SELECT s.date, s.number FROM sessions s JOIN clients c ON c.id = s.client_id WHERE c.code = 'K-0001' ORDER BY s.date);")"
assert_eq "the consent is K-0001's" "K-0001" "$(B --json consent list k-0001 | json_field client)"
last_audit >"$T/last"
assert_contains "merge audit row" "$T/last" "client-merge|K-0001|$ME|{\"from\":\"DUP-1\",\"into\":\"K-0001\",\"sessions_moved\":1,\"sessions_joined\":1,\"photos\":2,\"consents\":1"
ba --library "$L" verify
ok "client merge: a same-date conflict refused with nothing changed; then sessions join, photos and consents move"

# --- comparison delete ----------------------------------------------------------------------
RENDER=$L/$(sqlite3 "$L/catalog.db" "SELECT render FROM comparisons WHERE id = $C1;")
[ -f "$RENDER" ] || fail "render missing before delete"
ba --library "$L" --json comparison delete "$C1"
assert_eq "render removed" true "$(json_field render_removed <"$T/out")"
[ ! -e "$RENDER" ] || fail "comparison delete left the render"
assert_eq "delete audit row" "comparison-delete|K-0001|$ME" "$(last_audit | cut -d'|' -f1-3)"
ba --library "$L" --json list --comparisons
assert_eq "lists drop it" 0 "$(nlines "$T/out")"
assert_eq "the export still records it" 1 "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM export_items WHERE comparison_id = $C1;")"
[ "$(find "$T/ex1" -name '*.png' | wc -l)" -eq 1 ] || fail "the exported file must stay"
ba --library "$L" --json audit --client K-0001
assert_contains "audit still lists the export" "$T/out" "\"action\":\"export\""
run_ba --library "$L" comparison delete "$C1"
expect_rc "deleting it again" 2
assert_contains "says it was deleted" "$T/err" "comparison $C1 was deleted already"
ba --library "$L" verify
# Rendering it again makes a new comparison (a deleted one is never reused).
ba --library "$L" --json compare 1 2 --no-align -o "$T/c1b.png"
assert_eq "not the deleted one" false "$(json_field existing <"$T/out")"
# (Its labels count the sessions as they are now, after the merge above, so
# its render need not be the deleted one's bytes.)
C1B=$(json_field comparison_id <"$T/out")
[ -f "$L/$(sqlite3 "$L/catalog.db" "SELECT render FROM comparisons WHERE id = $C1B;")" ] ||
    fail "the new comparison's render is stored again"
ok "comparison delete: render gone, lists drop it, the export and its audit rows stay"
