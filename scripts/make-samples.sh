#!/bin/sh
# Regenerates the sample photos in samples/ from public-domain / CC0 images
# shipped in Debian's python3-skimage, and writes synthetic but realistic
# camera metadata into them with exiftool (GPS, serial number, owner, dates,
# orientation, XMP, IPTC, comment, EXIF thumbnail, ICC profile).
#
#   sh scripts/make-samples.sh          # from the repository root
#
# Needs: vips (libvips-tools), convert (imagemagick), exiftool
# (libimage-exiftool-perl), python3-skimage.  See scripts/install-deps.sh.
# Deterministic for a given set of tool versions and idempotent: every run
# rebuilds the same files from scratch and replaces them atomically.
#
# Outputs (all for the fictitious client C-0042, see samples/manifest.csv):
#   before-cheeks.jpg    600x800 portrait stored as 800x600 pixels rotated
#                        90 deg counter-clockwise + EXIF Orientation 6, sRGB
#   after-cheeks.jpg     same portrait moved/scaled/rotated/brightened,
#                        Orientation 1, Display P3 ICC profile
#   progress-cheeks.png  PNG with an eXIf chunk, tEXt Author/Comment, XMP
#   forehead.heic        HEIC with EXIF + XMP, Display P3 ICC profile
set -eu

cd "$(dirname "$0")/.."
SKDATA=${SKIMAGE_DATA:-/usr/lib/python3/dist-packages/skimage/data}
SRC=$SKDATA/astronaut.png
OUT=samples

for tool in vips convert exiftool; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "make-samples: '$tool' not found; run scripts/install-deps.sh" >&2
        exit 1
    }
done
[ -r "$SRC" ] || {
    echo "make-samples: $SRC not found; install python3-skimage" >&2
    exit 1
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/make-samples.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"

# Keep ImageMagick and libvips from adding anything time- or host-dependent.
export MAGICK_THREAD_LIMIT=1
export VIPS_WARNING=0

# exiftool wrapper: quiet, in place, fail on any error.
xt() { exiftool -q -q -m -overwrite_original "$@"; }

# A Display P3 ICC profile (libvips' built-in "p3"), extracted once.
vips icc_transform "$SRC" "$TMP/p3probe.jpg" p3 --input-profile srgb
exiftool -q -b -ICC_Profile "$TMP/p3probe.jpg" >"$TMP/p3.icc"
[ -s "$TMP/p3.icc" ] || { echo "make-samples: could not extract P3 profile" >&2; exit 1; }

# exif_args FILE DATE(YYYY:MM:DD) TIME(HH:MM:SS) UTCTIME LAT LATREF LON LONREF ALT
# Writes an exiftool argument file with the iPhone-like EXIF/GPS block that
# all samples share.  One argument per line, so values may contain spaces.
exif_args() {
    f=$1 d=$2 t=$3 ut=$4 lat=$5 latref=$6 lon=$7 lonref=$8 alt=$9
    cat >"$f" <<EOF
-IFD0:Make=Apple
-IFD0:Model=iPhone 13
-IFD0:Software=17.3.1
-IFD0:HostComputer=iPhone 13
-IFD0:Artist=Dr Example Owner
-IFD0:Copyright=(c) 2026 Example Aesthetic Clinic
-IFD0:ImageDescription=C-0042 Jane Patient
-IFD0:ModifyDate=$d $t
-IFD0:XResolution=72
-IFD0:YResolution=72
-IFD0:ResolutionUnit=inches
-ExifIFD:DateTimeOriginal=$d $t
-ExifIFD:CreateDate=$d $t
-ExifIFD:OffsetTime=+01:00
-ExifIFD:OffsetTimeOriginal=+01:00
-ExifIFD:OffsetTimeDigitized=+01:00
-ExifIFD:SubSecTimeOriginal=123
-ExifIFD:SubSecTimeDigitized=123
-ExifIFD:OwnerName=Dr Example Owner
-ExifIFD:SerialNumber=SN-4242-TESTSERIAL
-ExifIFD:LensMake=Apple
-ExifIFD:LensModel=iPhone 13 back dual wide camera 5.1mm f/1.6
-ExifIFD:LensSerialNumber=LS-0000-TESTLENS
-ExifIFD:FocalLength=5.1
-ExifIFD:FocalLengthIn35mmFormat=26
-ExifIFD:ExposureTime=1/120
-ExifIFD:FNumber=1.6
-ExifIFD:ISO=100
-ExifIFD:ExposureProgram=Program AE
-ExifIFD:ExposureCompensation=0
-ExifIFD:MeteringMode=Multi-segment
-ExifIFD:Flash=Off, Did not fire
-ExifIFD:WhiteBalance=Auto
-ExifIFD:SceneCaptureType=Standard
-ExifIFD:ExifVersion=0232
-ExifIFD:SubjectArea=2015 1511 2217 1330
-GPS:GPSVersionID=2.2.0.0
-GPS:GPSLatitude=$lat
-GPS:GPSLatitudeRef=$latref
-GPS:GPSLongitude=$lon
-GPS:GPSLongitudeRef=$lonref
-GPS:GPSAltitude=$alt
-GPS:GPSAltitudeRef=Above Sea Level
-GPS:GPSSpeed=0
-GPS:GPSSpeedRef=km/h
-GPS:GPSImgDirection=182.5
-GPS:GPSImgDirectionRef=True North
-GPS:GPSHPositioningError=4.7
-GPS:GPSDateStamp=$d
-GPS:GPSTimeStamp=$ut
EOF
}

# xmp_iptc_args FILE DATE TIME CITY STAGE LAT LATREF LON LONREF
# XMP + IPTC blocks (JPEG only carries IPTC; the PNG/HEIC get the XMP part).
xmp_args() {
    f=$1 d=$2 t=$3 city=$4 stage=$5 lat=$6 latref=$7 lon=$8 lonref=$9
    cat >"$f" <<EOF
-XMP-dc:Creator=Dr Example Owner
-XMP-dc:Rights=(c) 2026 Example Aesthetic Clinic
-XMP-dc:Description=C-0042 Jane Patient, cheeks, $stage microneedling
-XMP-dc:Subject=microneedling
-XMP-dc:Subject=cheeks
-XMP-iptcExt:PersonInImage=Jane Patient
-XMP-photoshop:City=$city
-XMP-photoshop:Country=France
-XMP-photoshop:DateCreated=$d $t+01:00
-XMP-xmp:CreatorTool=17.3.1
-XMP-xmp:CreateDate=$d $t+01:00
-XMP-exif:GPSLatitude=$lat $latref
-XMP-exif:GPSLongitude=$lon $lonref
EOF
}
iptc_args() {
    f=$1 d=$2 t=$3 city=$4
    cat >"$f" <<EOF
-IPTC:CodedCharacterSet=UTF8
-IPTC:By-line=Dr Example Owner
-IPTC:CopyrightNotice=(c) 2026 Example Aesthetic Clinic
-IPTC:City=$city
-IPTC:Country-PrimaryLocationName=France
-IPTC:Keywords=microneedling
-IPTC:Keywords=cheeks
-IPTC:Keywords=C-0042
-IPTC:DateCreated=$d
-IPTC:TimeCreated=$t+01:00
-IPTC:Caption-Abstract=C-0042 Jane Patient
EOF
}

# ---------------------------------------------------------------- before ---
# Upright 600x800 portrait (crop of the 512x512 original, upscaled), then the
# stored pixels are rotated 90 deg counter-clockwise (800x600) and tagged
# Orientation 6 ("Rotate 90 CW"): a viewer honouring orientation shows it
# upright, one that ignores it shows the face lying on its side.
vips crop "$SRC" "$TMP/b-crop.v" 60 0 330 440
vips resize "$TMP/b-crop.v" "$TMP/b-up.v" 1.8182 --kernel lanczos3
vips crop "$TMP/b-up.v" "$TMP/b-upright.v" 0 0 600 800
vips rot "$TMP/b-upright.v" "$TMP/b-stored.v" d270
vips jpegsave "$TMP/b-stored.v" "$TMP/before-cheeks.jpg" --Q 88 --strip --optimize-coding
vips thumbnail "$TMP/before-cheeks.jpg" "$TMP/b-thumb.jpg[Q=70,strip]" 160 --no-rotate
exif_args "$TMP/b-exif.args" 2026:03:02 10:15:00 09:15:00 48.858370 N 2.294481 E 35.2
xmp_args "$TMP/b-xmp.args" 2026:03:02 10:15:00 Paris before 48.858370 N 2.294481 E
iptc_args "$TMP/b-iptc.args" 2026:03:02 10:15:00 Paris
xt -@ "$TMP/b-exif.args" -@ "$TMP/b-xmp.args" -@ "$TMP/b-iptc.args" \
   -IFD0:Orientation#=6 -ExifIFD:ColorSpace=sRGB \
   -ExifIFD:ExifImageWidth=800 -ExifIFD:ExifImageHeight=600 \
   "-Comment=C-0042 Jane Patient - cheeks - before microneedling" \
   "-ThumbnailImage<=$TMP/b-thumb.jpg" \
   "$TMP/before-cheeks.jpg"

# ----------------------------------------------------------------- after ---
# Same portrait, camera slightly closer (x1.05), tilted 3 deg, shifted, 6 %
# brighter; stored upright (Orientation 1) with a Display P3 profile.
convert "$SRC" -virtual-pixel edge -distort SRT '225,110 1.05 3 215,118' \
    -crop 330x440+60+0 +repage -brightness-contrast 6x0 \
    -define png:exclude-chunks=date,time "$TMP/a-crop.png"
vips resize "$TMP/a-crop.png" "$TMP/a-up.v" 1.8182 --kernel lanczos3
vips crop "$TMP/a-up.v" "$TMP/a-upright.v" 0 0 600 800
vips icc_transform "$TMP/a-upright.v" "$TMP/a-p3.v" "$TMP/p3.icc" --input-profile srgb
vips jpegsave "$TMP/a-p3.v" "$TMP/after-cheeks.jpg" --Q 88 --strip --optimize-coding
vips thumbnail "$TMP/after-cheeks.jpg" "$TMP/a-thumb.jpg[Q=70,strip]" 120 --no-rotate
exif_args "$TMP/a-exif.args" 2026:04:13 16:42:30 15:42:30 48.860611 N 2.337644 E 41.8
xmp_args "$TMP/a-xmp.args" 2026:04:13 16:42:30 Paris after 48.860611 N 2.337644 E
iptc_args "$TMP/a-iptc.args" 2026:04:13 16:42:30 Paris
xt -@ "$TMP/a-exif.args" -@ "$TMP/a-xmp.args" -@ "$TMP/a-iptc.args" \
   -IFD0:Orientation#=1 -ExifIFD:ColorSpace=Uncalibrated \
   -ExifIFD:ExifImageWidth=600 -ExifIFD:ExifImageHeight=800 \
   "-Comment=C-0042 Jane Patient - cheeks - after microneedling" \
   "-ICC_Profile<=$TMP/p3.icc" \
   "-ThumbnailImage<=$TMP/a-thumb.jpg" \
   "$TMP/after-cheeks.jpg"

# -------------------------------------------------------------- progress ---
# PNG 300x400: EXIF goes into an eXIf chunk, Author/Comment into tEXt, XMP
# into iTXt.  The tEXt Comment repeats the GPS position in plain text.
convert "$SRC" -virtual-pixel edge -distort SRT '225,110 0.97 -2 232,104' \
    -crop 330x440+60+0 +repage -brightness-contrast 3x0 \
    -define png:exclude-chunks=date,time "$TMP/p-crop.png"
vips resize "$TMP/p-crop.png" "$TMP/p-small.v" 0.9091 --kernel lanczos3
vips crop "$TMP/p-small.v" "$TMP/p-final.v" 0 0 300 400
vips pngsave "$TMP/p-final.v" "$TMP/progress-cheeks.png" --compression 9 --strip
exif_args "$TMP/p-exif.args" 2026:05:25 11:05:10 10:05:10 48.852968 N 2.349902 E 38.0
xmp_args "$TMP/p-xmp.args" 2026:05:25 11:05:10 Paris progress 48.852968 N 2.349902 E
xt -@ "$TMP/p-exif.args" -@ "$TMP/p-xmp.args" \
   -IFD0:Orientation#=1 -ExifIFD:ColorSpace=sRGB \
   -ExifIFD:ExifImageWidth=300 -ExifIFD:ExifImageHeight=400 \
   "-PNG:Author=Dr Example Owner" \
   "-PNG:Comment=C-0042 Jane Patient, GPS 48.852968 N 2.349902 E" \
   "-PNG:Copyright=(c) 2026 Example Aesthetic Clinic" \
   "-PNG:Software=17.3.1" \
   "$TMP/progress-cheeks.png"

# -------------------------------------------------------------- forehead ---
# HEIC 640x480 of the upper face, Display P3, EXIF + XMP.  Orientation is 1:
# HEIF carries rotation in its own irot box, EXIF orientation is advisory.
vips crop "$SRC" "$TMP/f-crop.v" 145 5 160 120
vips resize "$TMP/f-crop.v" "$TMP/f-up.v" 4 --kernel lanczos3
vips icc_transform "$TMP/f-up.v" "$TMP/f-p3.v" "$TMP/p3.icc" --input-profile srgb
vips heifsave "$TMP/f-p3.v" "$TMP/forehead.heic" --Q 50 --compression hevc
exif_args "$TMP/f-exif.args" 2026:03:02 10:17:45 09:17:45 48.858370 N 2.294481 E 35.2
xmp_args "$TMP/f-xmp.args" 2026:03:02 10:17:45 Paris before 48.858370 N 2.294481 E
xt -@ "$TMP/f-exif.args" -@ "$TMP/f-xmp.args" \
   -IFD0:Orientation#=1 -ExifIFD:ColorSpace=Uncalibrated \
   -ExifIFD:ExifImageWidth=640 -ExifIFD:ExifImageHeight=480 \
   "-XMP-dc:Description=C-0042 Jane Patient, forehead, before microneedling" \
   "$TMP/forehead.heic"

# -------------------------------------------------------------- manifest ---
cat >"$TMP/manifest.csv" <<'EOF'
file,client,area,stage,date,view,treatment
before-cheeks.jpg,C-0042,cheeks,before,2026-03-02,frontal,microneedling
after-cheeks.jpg,C-0042,cheeks,after,2026-04-13,frontal,microneedling
progress-cheeks.png,C-0042,cheeks,progress,2026-05-25,frontal,microneedling
forehead.heic,C-0042,forehead,before,2026-03-02,frontal,microneedling
EOF

FILES="before-cheeks.jpg after-cheeks.jpg progress-cheeks.png forehead.heic manifest.csv"
for f in $FILES; do
    chmod 644 "$TMP/$f"
    mv -f "$TMP/$f" "$OUT/$f"
done
echo "make-samples: wrote $FILES to $OUT/"
