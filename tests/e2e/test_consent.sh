#!/bin/sh
# Consent, export and audit (docs/CONSENT.md):
# - bad consent input (unknown client, unknown scope, expiry before grant,
#   missing evidence) -> one stderr line, exit 2, nothing recorded;
# - image evidence is stored without metadata, a PDF byte for byte;
# - export without consent / with an expired one / with education consent for
#   marketing / with a revoked one -> refused, exit 1, naming client and scope,
#   nothing in the destination, a refusal row in audit_log;
# - a valid export writes <id>-<n>.png (exiftool: file structure only) and an
#   export.json (and its signature) without client code, name, file names or
#   camera, and appends an audit row (capture and session dates are in it:
#   the signed provenance of issue 13 dates the photos);
# - --deidentify eyes blackens exactly the documented eye region and changes
#   nothing else; half-letterbox half its height, on the eye line; a consent's allowed list
#   is enforced;
# - revoking after two exports lists exactly those two (revoke and audit);
# - --skip-refused exports the rest; clinical needs no consent;
# - UPDATE/DELETE on audit_log through sqlite3 fail.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" C-2
"$BA" --library "$L" -q client add C-7 --name "Jane Testperson" || fail "client add C-7"
B() { "$BA" --library "$L" "$@"; }

# --- fixtures -------------------------------------------------------------------
make_jpeg "$F/jane-before.jpg" 100 50 320 240 "2026:01:10 10:00:00"
make_jpeg "$F/jane-after.jpg" 104 52 320 240 "2026:03:10 10:00:00"
make_jpeg "$F/other-before.jpg" 20 200 320 240 "2026:01:11 10:00:00"
make_jpeg "$F/other-after.jpg" 24 204 320 240 "2026:03:11 10:00:00"
printf '%%PDF-1.4\n1 0 obj << /Title (consent) >> endobj\n%%%%EOF\n' >"$F/form.pdf"
make_jpeg "$F/scan.jpg" 0 0 200 150
exiftool -q -q -m -overwrite_original -GPS:GPSLatitude=43.5 -GPS:GPSLatitudeRef=N \
    -IFD0:Artist="Secret Owner" -XMP-dc:Creator="Secret Owner" "$F/scan.jpg" ||
    fail "exiftool -> scan.jpg"
exiftool -a -G1 -s "$F/scan.jpg" | grep -q "GPS" || fail "fixture scan.jpg: no GPS written"

B -q ingest --client C-7 --area cheeks --stage before "$F/jane-before.jpg" >/dev/null
B -q ingest --client C-7 --area cheeks --stage after "$F/jane-after.jpg" >/dev/null
B -q ingest --client C-2 --area cheeks --stage before "$F/other-before.jpg" >/dev/null
B -q ingest --client C-2 --area cheeks --stage after "$F/other-after.jpg" >/dev/null
# Synthetic pairs need not align: --no-align keeps the geometry simple and known.
CMP="--no-align --label-style none --gutter 0 --width 640"
# shellcheck disable=SC2086
ba --library "$L" --json compare 1 2 $CMP -o "$T/c1.png"
C1=$(json_field comparison_id <"$T/out")
# shellcheck disable=SC2086
ba --library "$L" --json compare 3 4 $CMP -o "$T/c2.png"
C2=$(json_field comparison_id <"$T/out")
ok "fixtures: comparison $C1 of C-7 (Jane Testperson), comparison $C2 of C-2"

audit_rows() { sqlite3 "$L/catalog.db" "SELECT count(*) FROM audit_log WHERE $1;"; }

# --- bad consent input: one line, exit 2, nothing recorded ---------------------
state() { echo "consents=$(rows "$L" consents) audit=$(rows "$L" audit_log) files=$(nfiles "$L/consents") tmp=$(nfiles "$L/tmp")"; }
bad() {
    what=$1 pat=$2
    shift 2
    before=$(state)
    run_ba --library "$L" consent grant "$@"
    expect_rc "$what" 2
    assert_eq "$what: stderr lines" 1 "$(nlines "$T/err")"
    grep -qiE -- "$pat" "$T/err" || fail "$what: expected /$pat/ on stderr, got: $(cat "$T/err")"
    assert_eq "$what: nothing recorded" "$before" "$(state)"
}
bad "unknown client" "C-99.*does not exist" C-99 --scope marketing --evidence "$F/form.pdf"
bad "unknown scope" "scope 'advertising'" C-7 --scope advertising --evidence "$F/form.pdf"
bad "expiry before grant" "expiry date 2025-12-31 is before the grant date 2026-01-01" \
    C-7 --scope marketing --granted 2026-01-01 --expires 2025-12-31 --evidence "$F/form.pdf"
bad "missing evidence" "nope.pdf.*does not exist" C-7 --scope marketing --evidence "$F/nope.pdf"
bad "malformed date" "2026-13-01" C-7 --scope marketing --expires 2026-13-01
bad "no scope" "--scope" C-7
assert_eq "no consent rows after bad input" 0 "$(rows "$L" consents)"
ok "bad consent input: one line, exit 2, nothing recorded (6 cases)"

# --- refusals: nothing written, a refusal row each ------------------------------
refused() {
    what=$1 pat=$2 dir=$3
    shift 3
    n0=$(audit_rows "action='export' AND result='refused' AND client='C-7'")
    x0=$(rows "$L" exports)
    run_ba --library "$L" export "$C1" --to "$dir" "$@"
    expect_rc "$what" 1
    assert_eq "$what: stderr lines" 1 "$(nlines "$T/err")"
    grep -qiE -- "$pat" "$T/err" || fail "$what: expected /$pat/ on stderr, got: $(cat "$T/err")"
    [ ! -e "$dir" ] || fail "$what: expected nothing written, got: $(ls -la "$dir")"
    assert_eq "$what: refusal rows" $((n0 + 1)) \
        "$(audit_rows "action='export' AND result='refused' AND client='C-7'")"
    assert_eq "$what: no export recorded" "$x0" "$(rows "$L" exports)"
}
refused "no consent" "client C-7 has no marketing consent" "$T/w0" --purpose marketing
ok "no consent -> refused: $(cat "$T/err")"

ba --library "$L" consent grant C-7 --scope marketing --granted 2020-01-01 --expires 2020-12-31 \
    --evidence "$F/form.pdf"
refused "expired consent" "C-7.*marketing.*expired on 2020-12-31" "$T/w0" --purpose marketing
ok "expired consent -> refused: $(cat "$T/err")"

ba --library "$L" consent grant C-7 --scope education --evidence "$F/scan.jpg"
refused "education consent, marketing purpose" "C-7.*marketing" "$T/w0" --purpose marketing
ok "education consent for a marketing export -> refused"

# Evidence: the PDF is kept byte for byte, the image without any metadata.
ba --library "$L" --json consent list C-7
pdf=$(sed -n 1p "$T/out" | json_field evidence)
img=$(sed -n 2p "$T/out" | json_field evidence)
cmp -s "$F/form.pdf" "$L/$pdf" || fail "PDF evidence: expected a byte-for-byte copy at $pdf"
assert_eq "PDF evidence name = its hash" "$(basename "$pdf" .pdf)" "$(sha256sum "$L/$pdf" | cut -c1-64)"
assert_eq "image evidence name = its hash" "$(basename "$img" .jpg)" "$(sha256sum "$L/$img" | cut -c1-64)"
assert_eq "image evidence original hash" "$(sha256sum "$F/scan.jpg" | cut -c1-64)" \
    "$(sed -n 2p "$T/out" | json_field evidence_original_sha256)"
exiftool -a -G1 -s "$L/$img" >"$T/ev.txt"
for g in "[GPS]" "[IFD0]" "[XMP" "Secret Owner" "[ExifIFD]"; do
    assert_not_contains "stored image evidence" "$T/ev.txt" "$g"
done
if grep -aq "Secret Owner" "$L/$img"; then fail "stored image evidence: owner name in its bytes"; fi
ok "evidence: PDF kept byte for byte, image re-encoded without GPS/EXIF/XMP, both named by hash"

# --- a valid export ------------------------------------------------------------
ba --library "$L" consent grant C-7 --scope marketing --evidence "$F/form.pdf" --note "signed"
W1=$T/web1
ba --library "$L" --json export "$C1" --purpose marketing --to "$W1" --caption "Unretouched. Results vary."
X1=$(json_field export_id <"$T/out")
assert_eq "export 1 files" "$X1-1.png export.json export.json.sig" "$(ls -A "$W1" | tr '\n' ' ' | sed 's/ $//')"
exiftool -a -G1 -s "$W1/$X1-1.png" >"$T/x.txt"
extra=$(awk '{ g = $1; gsub(/[][]/, "", g) } g !~ /^(ExifTool|System|File|PNG|PNG-pHYs|Composite)$/ { print }' "$T/x.txt")
[ -z "$extra" ] || fail "exported image: expected only file-structure tags, got: $extra"
for s in "C-7" "Jane" "Testperson" "jane-before" "jane-after" "TestMake" "TestModel"; do
    assert_not_contains "export.json" "$W1/export.json" "$s"
done
$PY - "$W1" "$L" <<'EOF' || fail "export.json content"
import hashlib, json, os, sys
d, lib = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, 'export.json')))
assert m['purpose'] == 'marketing' and m['caption'] == 'Unretouched. Results vary.', m
assert m['tool']['name'] == 'beforeafter' and m['tool']['version'], m['tool']
(img,) = m['images']
data = open(os.path.join(d, img['file']), 'rb').read()
assert hashlib.sha256(data).hexdigest() == img['sha256'], 'image sha256'
for p in img['panels']:
    master = os.path.join(lib, 'masters', p['master_sha256'][:2], p['master_sha256'] + '.jpg')
    assert hashlib.sha256(open(master, 'rb').read()).hexdigest() == p['master_sha256'], master
    assert len(p['alignment']['matrix']) == 2
ops = [o['op'] for o in img['operations']]
assert ops[0] == 'decode' and 'crop' in ops and 'warp' in ops and ops[-1] == 'encode', ops
assert 'redact' not in ops, ops
assert img['retouching'] == 'none'
EOF
assert_eq "audit row for the export" 1 \
    "$(audit_rows "action='export' AND result='ok' AND client='C-7' AND objects LIKE 'export $X1;%'")"
ok "valid consent: $X1-1.png + export.json written, structure tags only, no personal data, audited"

# --- --deidentify eyes: the bar covers the documented region, nothing else -----
W2=$T/web2
EYES=140,80,200,80
ba --library "$L" --json export "$C1" --purpose marketing --to "$W2" --caption "Unretouched. Results vary." \
    --deidentify eyes --eyes $EYES
X2=$(json_field export_id <"$T/out")
# check_bar PLAIN REDACTED MANIFEST X1 Y1 X2 Y2 FRACTION: with d the eye distance,
# the bar is [xl - d/2, xr + d/2] x [yt - 0.3d F, yt - 0.3d F + F * (yb - yt + 0.6d)] (F = FRACTION)
# in reference px, mapped into both 320 px panels of the 640 px image.
check_bar() {
    $PY - "$@" <<'EOF'
import json, math, sys
import numpy as np
from PIL import Image
plain, red, manifest = sys.argv[1:4]
x1, y1, x2, y2, frac = map(float, sys.argv[4:9])
a = np.asarray(Image.open(plain).convert('RGB')).astype(int)
b = np.asarray(Image.open(red).convert('RGB')).astype(int)
assert a.shape == b.shape, (a.shape, b.shape)
img = json.load(open(manifest))['images'][0]
c = img['crop']
d = math.hypot(x2 - x1, y2 - y1)
rx, ry = min(x1, x2) - 0.5 * d, min(y1, y2) - 0.3 * d * frac  # half-letterbox: centred on the eye line
rw, rh = abs(x2 - x1) + d, (abs(y2 - y1) + 0.6 * d) * frac
red_ops = [o for o in img['operations'] if o['op'] == 'redact']
assert len(red_ops) == 1, red_ops
o = red_ops[0]
assert o['mode'] == 'bar' and o['colour'] == [0, 0, 0], o
assert abs(o['x'] - rx) < 1e-6 and abs(o['y'] - ry) < 1e-6, (o, rx, ry)
assert abs(o['width'] - rw) < 1e-6 and abs(o['height'] - rh) < 1e-6, (o, rw, rh)
W = a.shape[1]
pw = W // 2
k = pw / c['width']
x0, x1p = math.floor((rx - c['x']) * k), math.ceil((rx + rw - c['x']) * k)
y0, y1p = math.floor((ry - c['y']) * k), math.ceil((ry + rh - c['y']) * k)
inside = np.zeros(a.shape[:2], bool)
near = np.zeros(a.shape[:2], bool)
for off in (0, pw):
    inside[y0 + 1:y1p - 1, off + x0 + 1:off + x1p - 1] = True
    near[max(0, y0 - 1):y1p + 1, max(0, off + x0 - 1):off + x1p + 1] = True
assert (b[inside] == 0).all(), 'bar: pixels inside the region are not all black'
assert (a[inside] != 0).any(axis=1).mean() > 0.9, 'plain export was already black there'
assert (a[~near] == b[~near]).all(), 'pixels outside the region changed: %d' % (a[~near] != b[~near]).any(axis=1).sum()
print('bar %dx%d px per panel at (%d,%d); %d px outside unchanged' % (x1p - x0, y1p - y0, x0, y0, (~near).sum()))
EOF
}
msg=$(check_bar "$W1/$X1-1.png" "$W2/$X2-1.png" "$W2/export.json" 140 80 200 80 1 2>&1) ||
    fail "--deidentify eyes: $msg"
ok "--deidentify eyes: $msg"

# --- revocation after two exports lists exactly those two -------------------------
ba --library "$L" --json consent revoke C-7 --scope marketing
grep '"take-down"' "$T/out" | json_field export_id | sort -n >"$T/td.txt"
assert_eq "revoke: exports to take down" "$X1 $X2" "$(tr '\n' ' ' <"$T/td.txt" | sed 's/ $//')"
grep -q "\"destination\":\"$W1\"" "$T/out" && grep -q "\"destination\":\"$W2\"" "$T/out" ||
    fail "revoke: expected both destinations, got: $(cat "$T/out")"
ba --library "$L" --json audit --client C-7
assert_eq "audit: exports to take down" "$X1 $X2" \
    "$(grep '"take-down"' "$T/out" | json_field export_id | sort -n | tr '\n' ' ' | sed 's/ $//')"
grep '"kind":"audit"' "$T/out" | grep -q '"action":"consent-revoke"' ||
    fail "audit: expected the revocation row"
ok "revoking after two exports lists exactly exports $X1 and $X2 (revoke and audit)"

refused "revoked consent" "C-7.*marketing.*revoked" "$T/w0" --purpose marketing
ok "revoked consent -> refused: $(cat "$T/err")"

# --- a consent's allowed de-identification is enforced ---------------------------
ba --library "$L" consent grant C-7 --scope marketing --allow-deidentify half-letterbox
run_ba --library "$L" export "$C1" --purpose marketing --to "$T/w3" --deidentify eyes --eyes $EYES
expect_rc "eyes under a half-letterbox-only consent" 1
assert_contains "names the allowed list" "$T/err" "half-letterbox"
[ ! -e "$T/w3" ] || fail "refused export wrote $T/w3"
W3=$T/web3
ba --library "$L" --json export "$C1" --purpose marketing --to "$W3" --caption "Unretouched. Results vary." \
    --deidentify half-letterbox --eyes $EYES
X3=$(json_field export_id <"$T/out")
msg=$(check_bar "$W1/$X1-1.png" "$W3/$X3-1.png" "$W3/export.json" 140 80 200 80 0.5 2>&1) ||
    fail "--deidentify half-letterbox: $msg"
ok "consent allowing only half-letterbox: eyes refused; half-letterbox $msg"

# --- --skip-refused, all or nothing, clinical ------------------------------------
r0=$(audit_rows "client='C-2' AND result='refused'")
run_ba --library "$L" export "$C1" "$C2" --purpose education --to "$T/e0"
expect_rc "education export with one client lacking consent" 1
assert_contains "names C-2" "$T/err" "C-2"
[ ! -e "$T/e0" ] || fail "all-or-nothing export wrote $T/e0"
run_ba --library "$L" --json export "$C1" "$C2" --purpose education --to "$T/edu" --skip-refused
expect_rc "education export --skip-refused" 1
grep '"kind":"refused"' "$T/out" | grep -q '"client":"C-2"' || fail "--skip-refused: expected C-2 refused, got: $(cat "$T/out")"
assert_eq "--skip-refused: files (image, manifest, signature)" 3 "$(nfiles "$T/edu")"
assert_eq "refusal rows for C-2 (all or nothing, then skipped)" $((r0 + 2)) \
    "$(audit_rows "client='C-2' AND result='refused'")"
ba --library "$L" export "$C2" --purpose clinical --to "$T/clin"
assert_eq "clinical export files (image, manifest, signature)" 3 "$(nfiles "$T/clin")"
ok "all or nothing by default; --skip-refused exports the rest (exit 1); clinical needs no consent"

# --- the audit log is append-only -------------------------------------------------
n=$(rows "$L" audit_log)
for sql in "UPDATE audit_log SET result='ok'" "DELETE FROM audit_log" \
    "DELETE FROM audit_log WHERE id=(SELECT max(id) FROM audit_log)" \
    "REPLACE INTO audit_log(id, at, action, result) VALUES(1,'x','y','z')"; do
    if sqlite3 "$L/catalog.db" "$sql" 2>"$T/sql.err"; then fail "sqlite3 '$sql' succeeded"; fi
    assert_contains "sqlite3 '$sql'" "$T/sql.err" "append-only"
done
assert_eq "audit rows unchanged" "$n" "$(rows "$L" audit_log)"
ok "UPDATE/DELETE/REPLACE on audit_log through sqlite3 fail; $n rows kept"
