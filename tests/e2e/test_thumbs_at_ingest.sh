#!/bin/sh
# Thumbnails made at ingest (issue 15: a client page's first visit must not
# wait on decoding 12 MP masters).  After `ingest` and after
# `batch ingest --jobs 2` every new photo's 320 px thumbnail is in
# LIBRARY/previews/320/ab/<master>.jpg: 0600, <= 320 px, metadata-free, the
# same bytes from ingest and from batch ingest, and the image `serve` makes
# on demand (GET ...image?size=thumb) once it is gone: the same size, PSNR
# >= 40 dB (ingest makes it from the master's box sums, the server from the
# master decoded at 1/8).  A duplicate adds none; a kill before the commit leaves
# none in previews/ (only a tmp/ file the next writer sweeps) and verify and
# a re-run are clean.
set -eu
. "$(dirname "$0")/lib.sh"

# Photos: the two samples, and a 3072 px astronaut (its thumbnail's scale is
# 1/8) carrying GPS, camera and owner metadata, also stored rotated (EXIF
# orientation 6: its master is encoded from rotated tiles).
F=$T/in
mkdir -p "$F"
cp "$BA_SOURCE_DIR/samples/before-cheeks.jpg" "$F/a.jpg"
cp "$BA_SOURCE_DIR/samples/after-cheeks.jpg" "$F/b.jpg"
vips resize "$ASTRO" "$F/c.jpg[Q=90]" 6 || fail "vips resize -> c.jpg"
exiftool -q -q -m -overwrite_original "-ExifIFD:DateTimeOriginal=2026:02:03 10:00:00" \
    -IFD0:Make=TestMake -IFD0:Model=TestModel -ExifIFD:OwnerName="Patient Owner" \
    -GPSLatitude=43.1 -GPSLatitudeRef=N -GPSLongitude=5.9 -GPSLongitudeRef=E \
    -XMP-dc:Creator="Dr Secret" "$F/c.jpg" || fail "exiftool -> c.jpg"
cp "$F/c.jpg" "$F/d.jpg"
exiftool -q -q -m -overwrite_original -IFD0:Orientation#=6 "$F/d.jpg" || fail "exiftool -> d.jpg"
exiftool -q -q -m -overwrite_original "-ExifIFD:DateTimeOriginal=2026:02:03 10:00:00" \
    "$F/a.jpg" "$F/b.jpg" || fail "exiftool -> a.jpg b.jpg"

# thumb_of LIB SHA: the thumbnail path of master SHA
thumb_of() { echo "$1/previews/320/$(echo "$2" | cut -c1-2)/$2.jpg"; }
shas() { sqlite3 "$1/catalog.db" "SELECT master_sha256 FROM photos ORDER BY id;"; }

# check_thumbs LIB WHAT: every photo of LIB has its thumbnail, as promised
check_thumbs() {
    n=0
    for sha in $(shas "$1"); do
        t=$(thumb_of "$1" "$sha")
        [ -f "$t" ] || fail "$2: no thumbnail $t for master $sha"
        assert_eq "$2: mode of $(basename "$t")" 600 "$(stat -c %a "$t")"
        edge=$(identify -format '%[fx:max(w,h)]' "$t")
        [ "$edge" -le 320 ] || fail "$2: thumbnail $(basename "$t") is $edge px on its long edge"
        bad=$(metadata_tags "$t")
        [ -z "$bad" ] || fail "$2: thumbnail $(basename "$t") carries metadata: $bad"
        if grep -aqE 'TestMake|TestModel|Patient Owner|Dr Secret' "$t"; then
            fail "$2: thumbnail $(basename "$t") holds metadata bytes"
        fi
        n=$((n + 1))
    done
    assert_eq "$2: thumbnails in previews/" "$n" "$(nfiles "$1/previews")"
    assert_eq "$2: files left in tmp/" 0 "$(nfiles "$1/tmp")"
}

# --- one file at a time ------------------------------------------------------------
L1=$T/lib1
new_library "$L1"
for f in a b c d; do
    ba --library "$L1" ingest --client C-1 --area cheeks "$F/$f.jpg"
done
assert_eq "ingest: photos" 4 "$(rows "$L1" photos)"
check_thumbs "$L1" "ingest"
ok "ingest: each photo's thumbnail in previews/320/, 0600, <= 320 px, no EXIF/XMP/IPTC/ICC/GPS"

ba --library "$L1" ingest --client C-1 --area cheeks "$F/c.jpg"
assert_contains "the same file again" "$T/out" "duplicate"
check_thumbs "$L1" "after a duplicate"
ok "a duplicate adds no thumbnail"

# --- batch ingest --jobs 2: the workers make them --------------------------------------
L2=$T/lib2
new_library "$L2"
printf 'file,client,area\n%s,C-1,cheeks\n%s,C-1,cheeks\n%s,C-1,cheeks\n%s,C-1,cheeks\n' \
    "$F/a.jpg" "$F/b.jpg" "$F/c.jpg" "$F/d.jpg" >"$T/m.csv"
ba --library "$L2" batch ingest "$T/m.csv" --jobs 2
assert_eq "batch: photos" 4 "$(rows "$L2" photos)"
check_thumbs "$L2" "batch ingest --jobs 2"
for sha in $(shas "$L1"); do
    cmp "$(thumb_of "$L1" "$sha")" "$(thumb_of "$L2" "$sha")" ||
        fail "batch: thumbnail of $sha differs from the one ingest made"
done
ok "batch ingest --jobs 2: every thumbnail made, the same bytes as ingest's"

# --- the image the server makes on demand -------------------------------------------------
mkdir -p "$T/kept"
for sha in $(shas "$L2"); do
    mv "$(thumb_of "$L2" "$sha")" "$T/kept/$sha.jpg"
done
printf 'thumb passphrase 1\n' | "$BA" --library "$L2" -q user add ann --role provider \
    --password-stdin >/dev/null || fail "user add"
$PY - "$BA" "$L2" "$T" <<'EOF' || fail "the server's thumbnails"
import http.client, json, os, random, subprocess, sys, time
ba, lib, t = sys.argv[1:4]
for _ in range(20):
    port = random.randint(20000, 60000)
    log = open(os.path.join(t, "serve.log"), "w+")
    proc = subprocess.Popen([ba, "--library", lib, "serve", "--insecure-http", "--listen",
                             "127.0.0.1:%d" % port], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        time.sleep(0.05)
        if "listening on" in open(log.name).read() or proc.poll() is not None:
            break
    if proc.poll() is None:
        break
else:
    sys.exit("serve did not start: " + open(log.name).read())
try:
    def req(method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheader("Set-Cookie", ""), data
    s, cookie, data = req("POST", "/api/v1/session",
                          json.dumps({"username": "ann", "password": "thumb passphrase 1"}),
                          {"Content-Type": "application/json"})
    assert s == 200, "login: %d %r" % (s, data)
    h = {"Cookie": cookie.split(";")[0]}
    for pid in (1, 2, 3, 4):
        s, _, data = req("GET", "/api/v1/photos/%d/image?size=thumb" % pid, headers=h)
        assert s == 200, "photo %d thumb: %d" % (pid, s)
        open(os.path.join(t, "served-%d.jpg" % pid), "wb").write(data)
finally:
    proc.terminate()
    proc.wait()
EOF
i=1
for sha in $(shas "$L2"); do
    cmp "$T/served-$i.jpg" "$(thumb_of "$L2" "$sha")" ||
        fail "photo $i: the server answered other bytes than it kept"
    p=$(psnr "$T/kept/$sha.jpg" "$T/served-$i.jpg")
    case $p in
    size*) fail "photo $i: the thumbnail made at ingest and the server's differ in $p" ;;
    inf) ;;
    *) awk -v p="$p" 'BEGIN { exit !(p >= 40) }' ||
        fail "photo $i: thumbnail at ingest vs the server's: PSNR $p dB" ;;
    esac
    i=$((i + 1))
done
ok "the thumbnails made at ingest are the server's on demand (same size, PSNR >= 40 dB)"

# --- killed before the commit: nothing in previews/ ------------------------------------
L3=$T/lib3
new_library "$L3"
(
    set +e
    BA_FAULT_KILL=after-thumbnail "$BA" --library "$L3" batch ingest "$T/m.csv" --jobs 2 \
        >"$T/out" 2>"$T/err"
    echo $? >"$T/rc"
) 2>/dev/null
assert_eq "killed after the thumbnail: exit" 137 "$(cat "$T/rc")"
assert_eq "killed: photos" 0 "$(rows "$L3" photos)"
assert_eq "killed: thumbnails in previews/" 0 "$(nfiles "$L3/previews")"
run_ba --library "$L3" verify
[ "$RC" -lt 2 ] || fail "verify after the kill: exit $RC: $(cat "$T/err")"
assert_not_contains "verify after the kill" "$T/out" "previews"
assert_eq "killed: files in tmp/ once the library was opened again" 0 "$(nfiles "$L3/tmp")"
ba --library "$L3" batch ingest "$T/m.csv" --jobs 2
check_thumbs "$L3" "re-run after the kill"
run_ba --library "$L3" verify
expect_rc "verify after the re-run" 0
ok "killed after the thumbnail, before the commit: no row, no thumbnail in previews/, tmp/ swept; the re-run makes them all, verify ok"
