#!/bin/sh
# Signed provenance (issue 13, point 8): every export's export.json is signed
# with the library's own Ed25519 key (export.json.sig), and 'export verify'
# checks the signature and that the folder holds exactly the listed images.
# - a good export verifies, with and without --library, and by hand with
#   OpenSSL (the documented recipe: docs/CONSENT.md, "Provenance");
# - the key files are 0600 in a 0700 folder, made once, never replaced;
# - one changed byte in an image or in export.json, a removed image, an
#   extra image, a .sig from another export, another library's key: each
#   fails with exit 1 and one line naming the export and the failure;
# - two concurrent first exports end with one key that signed both;
# - a .pub that is not the key's public half refuses the export, nothing
#   written.
set -eu
. "$(dirname "$0")/lib.sh"

L=$T/lib
F=$T/in
mkdir -p "$F"
new_library "$L" A
B() { "$BA" --library "$L" "$@"; }
make_jpeg "$F/a.jpg" 0 0 320 240
make_jpeg "$F/b.jpg" 8 6 320 240
make_jpeg "$F/c.jpg" 16 12 320 240
B -q ingest --client A --area cheeks --stage before --date 2026-01-01 "$F/a.jpg"
B -q ingest --client A --area cheeks --stage progress --date 2026-02-01 "$F/b.jpg"
B -q ingest --client A --area cheeks --stage after --date 2026-03-01 "$F/c.jpg"
B -q compare 1 2 -o "$T/c1.png"
B -q compare 1 3 -o "$T/c2.png"
B -q consent grant A --scope marketing

# ---- no key before the first export; two concurrent first exports: one key
[ ! -e "$L/keys" ] || fail "a key before any export: $(ls "$L/keys")"
B export 1 2 --purpose marketing --to "$T/e1" >"$T/o1" 2>&1 &
p1=$!
B export 1 --purpose marketing --to "$T/e2" >"$T/o2" 2>&1 &
p2=$!
wait $p1 || fail "concurrent export 1: $(cat "$T/o1")"
wait $p2 || fail "concurrent export 2: $(cat "$T/o2")"
assert_eq "key files" "export-ed25519.key export-ed25519.pub" "$(ls "$L/keys" | tr '\n' ' ' | sed 's/ $//')"
fp() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signature"]["key_fingerprint"])' "$1"; }
assert_eq "both exports signed by one key" "$(fp "$T/e1/export.json")" "$(fp "$T/e2/export.json")"
assert_eq "the key's creation audited once" 1 \
    "$(sqlite3 "$L/catalog.db" "SELECT count(*) FROM audit_log WHERE action='export-key'")"
ok "two concurrent first exports: one key, one audit row"
# Which export got which id depends on the race.
eid() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["export_id"])' "$1/export.json"; }
E1=$(eid "$T/e1")
E2=$(eid "$T/e2")

# ---- modes: private, like every file of a library
assert_eq "secret key mode" 600 "$(stat -c %a "$L/keys/export-ed25519.key")"
assert_eq "public key mode" 600 "$(stat -c %a "$L/keys/export-ed25519.pub")"
assert_eq "keys folder mode" 700 "$(stat -c %a "$L/keys")"
B verify >"$T/v" 2>&1 || fail "verify after the key was made: $(cat "$T/v")"
ok "key files 0600 in a 0700 folder; verify finds nothing wrong"

# ---- key shown, never replaced
B --json export key >"$T/key"
assert_eq "export key fingerprint" "$(fp "$T/e1/export.json")" "$(json_field key_fingerprint <"$T/key")"
assert_eq "export key not made again" false "$(json_field created <"$T/key")"
before=$(sha256sum "$L/keys/export-ed25519.key")
B -q export 2 --purpose marketing --to "$T/e3"
assert_eq "key unchanged by later exports" "$before" "$(sha256sum "$L/keys/export-ed25519.key")"
ok "export key shows the signing key; later exports keep it"

# ---- a good export verifies
run_ba export verify "$T/e1"
expect_rc "verify a good export" 0
assert_contains "verify says ok" "$T/out" "export $E1: ok (2 image(s)"
run_ba --library "$L" export verify "$T/e1"
expect_rc "verify a good export against its library" 0
assert_contains "verify names the library's key" "$T/out" "the library's own"
# By hand, as docs/CONSENT.md says: the public key from the manifest, as DER.
$PY -c 'import json,sys,base64
k=base64.b64decode(json.load(open(sys.argv[1]))["signature"]["public_key"])
sys.stdout.buffer.write(bytes.fromhex("302a300506032b6570032100")+k)' "$T/e1/export.json" >"$T/pub.der"
openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem"
base64 -d "$T/e1/export.json.sig" >"$T/sig.bin"
openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/e1/export.json" \
    -sigfile "$T/sig.bin" >"$T/ossl" 2>&1 || fail "openssl does not verify: $(cat "$T/ossl")"
ok "a good export verifies (alone, against its library, and with openssl)"

# tampered COPY WHAT EXPECTED...: verify the copy fails with exit 1, one line.
tampered() {
    run_ba export verify "$1"
    expect_rc "$2" 1
    assert_eq "$2: one line" 1 "$(nlines "$T/err")"
    shift 2
    for s in "$@"; do assert_contains "verify message" "$T/err" "$s"; done
}
fresh() { rm -rf "$T/x"; cp -a "$T/e1" "$T/x"; }
flip() { # flip FILE OFFSET: one byte changed
    $PY -c 'import sys
p,o=sys.argv[1],int(sys.argv[2])
b=bytearray(open(p,"rb").read()); b[o]^=1; open(p,"wb").write(b)' "$1" "$2"
}

fresh
flip "$T/x/$E1-2.png" 5000
tampered "$T/x" "one changed byte in an image" "export $E1: $E1-2.png does not match the manifest (sha256"
ok "one changed byte in an image: refused, named"

fresh
off=$(grep -bo '"purpose" : "marketing"' "$T/x/export.json" | cut -d: -f1)
flip "$T/x/export.json" $((off + 15))
tampered "$T/x" "one changed byte in export.json" "export $E1: export.json does not match its signature"
fresh
sed -i 's/"bytes" : \([0-9]*\)/"bytes" : 1\1/' "$T/x/export.json"
tampered "$T/x" "a size changed in export.json" "does not match its signature"
ok "one changed byte in export.json: refused"

fresh
rm "$T/x/$E1-1.png"
tampered "$T/x" "a removed image" "export $E1: $E1-1.png is missing"
fresh
cp "$T/e2/$E2-1.png" "$T/x/extra.png"
tampered "$T/x" "an extra image" "export $E1: extra.png is in the folder but not in the manifest"
fresh
cp "$T/e2/$E2-1.png" "$T/x/$E1-2.png" # comparison 1's image where comparison 2's was
tampered "$T/x" "an image of another comparison in its place" "$E1-2.png does not match the manifest"
ok "a removed, an extra or a swapped image: refused, named"

fresh
cp "$T/e2/export.json.sig" "$T/x/export.json.sig"
tampered "$T/x" "the .sig of another export" "export.json does not match its signature"
fresh
rm "$T/x/export.json.sig"
tampered "$T/x" "no signature" "export.json.sig is missing"
ok "a .sig from another export, or none: refused"

# ---- another library's key
L2=$T/lib2
new_library "$L2" A
"$BA" --library "$L2" -q export key
run_ba --library "$L2" export verify "$T/e1"
expect_rc "verify against another library" 1
assert_contains "another library's key" "$T/err" "not the library's own"
# Another library's export (its own public key inside) is consistent alone,
# but not this library's.
L3=$T/lib3
new_library "$L3" A
"$BA" --library "$L3" -q ingest --client A --area cheeks --stage before --date 2026-01-01 "$F/a.jpg"
"$BA" --library "$L3" -q ingest --client A --area cheeks --stage after --date 2026-03-01 "$F/c.jpg"
"$BA" --library "$L3" -q compare 1 2 -o "$T/c3.png"
"$BA" --library "$L3" -q export 1 --purpose clinical --to "$T/e4"
run_ba export verify "$T/e4"
expect_rc "the other library's export verifies alone" 0
run_ba --library "$L" export verify "$T/e4"
expect_rc "... but not against this library" 1
assert_contains "not this library's key" "$T/err" "not the library's own"
run_ba --library "$T/nolib" export verify "$T/e1"
expect_rc "verify against a folder with no key" 1
ok "another library's key: refused with --library"

# ---- a public key file that misdescribes the secret key: nothing signed
cp "$L/keys/export-ed25519.pub" "$T/pub.saved"
cp "$L2/keys/export-ed25519.pub" "$L/keys/export-ed25519.pub"
run_ba --library "$L" export 1 --purpose marketing --to "$T/e5"
expect_rc "export with a wrong .pub" 1
assert_contains "wrong .pub named" "$T/err" "export-ed25519.pub: is not the public half"
[ ! -e "$T/e5" ] || [ -z "$(ls -A "$T/e5")" ] || fail "files written with a wrong .pub: $(ls -A "$T/e5")"
cp "$T/pub.saved" "$L/keys/export-ed25519.pub"
ok "a .pub that is not the key's half refuses the export, nothing written"

# ---- backup and restore carry the key
B -q backup --to "$T/bk"
"$BA" -q restore --from "$T/bk" --to "$T/restored"
run_ba --library "$T/restored" export verify "$T/e1"
expect_rc "a restored library vouches for an earlier export" 0
assert_eq "restored key files" 600 "$(stat -c %a "$T/restored/keys/export-ed25519.key")"
ok "backup and restore keep the export key: earlier exports verify against the restored library"

# ---- the take-down lists name the signature too
B consent revoke A --scope marketing >"$T/revoke" 2>&1
assert_contains "take-down lists the .sig" "$T/revoke" "export.json.sig"
ok "take-down lists name export.json.sig"

# ---- JSON
fresh
rm "$T/x/export.json.sig"
run_ba --json export verify "$T/x"
expect_rc "--json verify of a broken export" 1
assert_eq "json ok" false "$(json_field ok <"$T/out")"
assert_contains "json problem" "$T/out" "export.json.sig is missing"
run_ba --library "$L" --json export verify "$T/e1"
expect_rc "--json verify" 0
assert_eq "json library_key" true "$(json_field library_key <"$T/out")"
assert_eq "json images" 2 "$(json_field images <"$T/out")"
ok "--json: ok, images, library_key, problem"
