#!/bin/sh
# Installs every Debian package that building, the demo, the tests and the
# benchmarks need. Idempotent; safe to run on a fresh Debian bookworm machine.
set -eu
PKGS="build-essential cmake pkg-config git
libvips-dev libvips-tools libwebp-dev libssl-dev libexif-dev libsqlite3-dev sqlite3 libpng-dev
libjson-glib-dev libcmocka-dev liblcms2-dev libcsv-dev libvlfeat-dev libsodium-dev libsoup-3.0-dev glib-networking
libimage-exiftool-perl fonts-dejavu-core python3-skimage
clang libclang-rt-14-dev valgrind imagemagick libheif-examples time parallel bc e2fsprogs wrk nginx-light
python3-opencv python3-jsonschema
chromium chromium-driver python3-selenium python3-pil python3-numpy
libopencv-objdetect-dev libopencv-imgproc-dev libopencv-core-dev opencv-data"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
