#!/bin/sh
# Rules packs at export (issue 13, point 6), one check per rule:
# - disclosure: a pack refuses an image without caption when the library has
#   no disclosure text; with 'settings disclosure TEXT' that text is added
#   (footer and export.json);
# - prescription-only: captions, labels and the destination's name that name
#   a botulinum toxin (brand or generic; any case, separators, diacritics)
#   are refused naming the rule and the word; 'au' also refuses "anti-wrinkle
#   injections" and "dermal fillers", which 'uk' lets through;
# - before-first: a comparison with the after photo first is refused;
# - adults-only: a marketing export of a client under 18 on the export date
#   (client set --birth-date) is refused; 18 today passes;
# - the library default ('settings rules uk') applies to marketing exports,
#   '--rules none' overrides it; export.json records the pack and the rules;
# - every refusal exits 1, writes nothing and appends a refusal audit row.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
before_after_library "$L"
B() { "$BA" --library "$L" "$@"; }
make_jpeg "$F/scan.jpg" 0 0 200 150
B -q consent grant C-1 --scope marketing --evidence "$F/scan.jpg" >/dev/null
CMP="--no-align --label-style none --gutter 0 --width 640"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $CMP -o "$T/plain.png"
C=$(json_field comparison_id <"$T/out")
# shellcheck disable=SC2086
ba --library "$L" --json compare 2 1 $CMP -o "$T/reversed.png"
REV=$(json_field comparison_id <"$T/out")

refused_rows() { sqlite3 "$L/catalog.db" "SELECT count(*) FROM audit_log WHERE action='export' AND result='refused';"; }
n=0
# refused WHAT MESSAGE-PART ARGS...: exit 1, the message, nothing written, one more audit row.
refused() {
    what=$1 msg=$2
    shift 2
    before=$(refused_rows)
    n=$((n + 1))
    run_ba --library "$L" export "$@" --to "$T/r$n"
    expect_rc "$what" 1
    assert_contains "$what" "$T/err" "$msg"
    [ "$(nlines "$T/err")" = 1 ] || fail "$what: more than one line: $(cat "$T/err")"
    [ ! -e "$T/r$n" ] || [ "$(nfiles "$T/r$n")" = 0 ] || fail "$what: files written"
    [ "$(refused_rows)" -gt "$before" ] || fail "$what: no refusal audit row"
}

# --- disclosure ------------------------------------------------------------------
refused "uk without caption nor library text" \
    "rules uk: a disclosure caption is required" "$C" --purpose marketing --rules uk
ba --library "$L" settings disclosure "Individual results vary. Photos unretouched."
ba --library "$L" export "$C" --purpose marketing --rules uk --to "$T/d1"
grep -q '"caption" *: *"Individual results vary. Photos unretouched."' "$T/d1/export.json" ||
    fail "library disclosure not in export.json"
grep -q '"disclosure" *: *"library"' "$T/d1/export.json" || fail "rules.disclosure not library"
ba --library "$L" export "$C" --purpose marketing --rules uk --caption "Results vary" --to "$T/d2"
grep -q '"disclosure" *: *"given"' "$T/d2/export.json" || fail "rules.disclosure not given"
$PY - "$T/plain.png" "$T/d1"/*.png <<'PYEOF' || fail "the disclosure footer is not drawn"
import sys, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert("L")).astype(int)
b = np.asarray(Image.open(sys.argv[2]).convert("L")).astype(int)
# the export is taller by the caption band, and the band has dark text
band = b[a.shape[0]:]
sys.exit(0 if b.shape[0] > a.shape[0] and (band < 100).sum() > 50 else 1)
PYEOF
ok "disclosure: refused without one; the library's text is added and drawn; a given caption kept"

# --- prescription-only names --------------------------------------------------------
for cap in "Botox results" "BOTOX® after 2 weeks" "Our bo-tox special" "b.o.t.o.x" \
    "Bötox" "botulinum-toxin type A" "Dysport + Xeomin" "onabotulinumtoxinA"; do
    refused "caption '$cap'" "rules uk: the caption names a prescription-only medicine" \
        "$C" --purpose marketing --rules uk --caption "$cap"
done
refused "named product in the message" "(Botox)" "$C" --purpose marketing --rules uk --caption "Botox"
refused "au anti-wrinkle" "rules au: the caption names" "$C" --purpose marketing --rules au \
    --caption "Anti-wrinkle injections, results vary"
refused "au dermal filler" "(dermal filler)" "$C" --purpose marketing --rules au \
    --caption "Dermal filler, results vary"
ba --library "$L" export "$C" --purpose marketing --rules uk --caption "Anti-wrinkle injections, results vary" --to "$T/uk-aw"
ba --library "$L" export "$C" --purpose marketing --rules uk --caption "Botoxed is not a word we match" --to "$T/uk-bx"
ok "prescription-only: 8 spellings of botulinum toxin refused (uk); au also anti-wrinkle injections, dermal fillers"

n=$((n + 1))
before=$(refused_rows)
run_ba --library "$L" export "$C" --purpose marketing --rules uk --caption "Results vary" --to "$T/botox-campaign"
expect_rc "destination named Botox" 1
assert_contains "destination named Botox" "$T/err" "the destination folder's name names a prescription-only medicine"
[ ! -e "$T/botox-campaign" ] || fail "destination created"
[ "$(refused_rows)" -gt "$before" ] || fail "destination: no audit row"
if "$BA" compare --help 2>&1 | grep -q -- --label-after; then
    # shellcheck disable=SC2086
    ba --library "$L" --json compare 1 2 --no-align --gutter 0 --width 640 --label-style stage --label-after "After Xeomin" -o "$T/lab.png"
    LAB=$(json_field comparison_id <"$T/out")
    refused "label names a product" "the last panel's label names a prescription-only medicine (Xeomin)" \
        "$LAB" --purpose marketing --rules uk --caption "Results vary"
fi
ok "prescription-only: the destination's name and a label are checked too"

# --- before first -------------------------------------------------------------------
refused "after first" "rules uk: the before photo must come first" \
    "$REV" --purpose marketing --rules uk --caption "Results vary"
ok "before-first: a comparison showing the after photo first is refused"

# --- adults only ----------------------------------------------------------------------
today=$(B --json settings >/dev/null; date -u +%Y-%m-%d)
y=${today%%-*}
rest=${today#*-}
ba --library "$L" client set C-1 --birth-date "$((y - 17))-$rest"
refused "client 17" "rules uk: the client is 17" "$C" --purpose marketing --rules uk --caption "Results vary"
ba --library "$L" client set C-1 --birth-date "$((y - 18))-$rest"
ba --library "$L" export "$C" --purpose marketing --rules uk --caption "Results vary" --to "$T/adult"
ok "adults-only: 17 refused for marketing, 18 today exported"

# --- the library default, the manifest -------------------------------------------------
ba --library "$L" settings disclosure ""
ba --library "$L" settings rules au
refused "library default au" "rules au: a disclosure caption is required" "$C" --purpose marketing
ba --library "$L" export "$C" --purpose marketing --rules none --to "$T/none"
grep -q '"rules" *: *null' "$T/none/export.json" || fail "--rules none: manifest rules not null"
ba --library "$L" export "$C" --purpose clinical --to "$T/clin"
grep -q '"rules" *: *null' "$T/clin/export.json" || fail "clinical export took the marketing default"
ba --library "$L" export "$C" --purpose marketing --caption "Results vary" --to "$T/def"
$PY - "$T/def/export.json" <<'PYEOF' || fail "manifest rules: $(grep -A8 '"rules"' "$T/def/export.json")"
import json, sys
r = json.load(open(sys.argv[1]))["rules"]
sys.exit(0 if r["pack"] == "au" and r["applied"] == ["disclosure", "prescription-only", "before-first", "adults-only"] else 1)
PYEOF
sqlite3 "$L/catalog.db" "SELECT detail FROM audit_log WHERE action='settings' ORDER BY id DESC LIMIT 1" |
    grep -q '"export_rules":{"old":null,"new":"au"}' || fail "settings rules audit row"
run_ba --library "$L" settings rules eu
expect_rc "settings rules eu" 2
run_ba --library "$L" export "$C" --purpose marketing --rules eu --to "$T/eu"
expect_rc "export --rules eu" 2
ok "library default (au) applies to marketing only, --rules none overrides; export.json lists pack and rules; settings audited"
