/* The ingest pipeline: untrusted file -> stripped, upright, sRGB master + catalog row. */
#include "beforeafter/beforeafter.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "common/sha256.h"
#include "ingest/fault.h"
#include "ingest/load.h"

/* Loader nicknames we accept, by format.  Everything else is refused before
 * decoding (and blocked in libvips by ba_init()). */
static const struct {
    const char *loader;
    const char *format;
} ACCEPTED[] = {
    {"VipsForeignLoadJpegBuffer", "jpeg"}, {"VipsForeignLoadPngBuffer", "png"},
    {"VipsForeignLoadHeifBuffer", "heif"}, {"VipsForeignLoadTiffBuffer", "tiff"},
    {"VipsForeignLoadWebpBuffer", "webp"},
};

/* The JPEG format's limit on a side (libjpeg's JPEG_MAX_DIMENSION). */
#define JPEG_MAX_SIDE 65500

void ba_ingest_options_init(ba_ingest_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_megapixels = BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    o->master_quality = BA_INGEST_DEFAULT_QUALITY;
}

/* Remove dead writers' files from LIBRARY/tmp, the first time this process
 * writes to that library (defined with ba_ingest_clean_tmp()). */
static void sweep_tmp_once(const char *library_dir);

/* Photos being decoded right now, in this process (batch runs several). */
static gint decoding_now;

/* libvips' error buffer is one for the whole process.  With several photos
 * in flight, a failing photo must not take another's message: pick the last
 * line that comes from its own format's loader, and clear the buffer only
 * when no other photo is being decoded (or it is filling up). */
static char *take_vips_error_for(const char *format)
{
    static const char *const domains[][5] = {
        {"jpeg", "VipsJpeg", "jpegload", "VipsForeignLoadJpeg", NULL},
        {"png", "VipsForeignLoadPng", "pngload", "png2vips", "libpng"},
        {"heif", "heif", "VipsForeignLoadHeif", NULL, NULL},
        {"tiff", "tiff", "VipsForeignLoadTiff", NULL, NULL},
        {"webp", "webp", "VipsForeignLoadWebp", NULL, NULL},
    };
    const char *all = vips_error_buffer();
    char **lines = g_strsplit(all, "\n", -1);
    char *pick = NULL;
    int n = (int)g_strv_length(lines);
    for (int i = n - 1; i >= 0 && !pick; i--) {
        const char *l = g_strstrip(lines[i]);
        if (!*l)
            continue;
        if (!format) {
            pick = g_strdup(l);
            break;
        }
        for (size_t d = 0; d < G_N_ELEMENTS(domains) && !pick; d++) {
            if (strcmp(domains[d][0], format) != 0)
                continue;
            for (int k = 1; k < 5 && domains[d][k] && !pick; k++)
                if (g_ascii_strncasecmp(l, domains[d][k], strlen(domains[d][k])) == 0)
                    pick = g_strdup(l);
        }
    }
    g_strfreev(lines);
    if (g_atomic_int_get(&decoding_now) <= 1 || strlen(vips_error_buffer()) > 4096)
        vips_error_clear();
    if (!pick)
        pick = g_strdup(*ba_last_warning() ? ba_last_warning() : "the decoder gave no detail");
    return pick;
}

static char *take_vips_error(void)
{
    return take_vips_error_for(NULL);
}

/* A truncated file is the commonest damage, and it can be seen in the bytes
 * themselves: say so precisely and deterministically, whatever libvips' shared
 * error buffer holds at the moment.  NULL when the file looks whole. */
static const char *truncation(const char *format, const unsigned char *d, size_t n)
{
    if (strcmp(format, "jpeg") == 0) {
        while (n > 2 && d[n - 1] == 0)
            n--; /* some writers pad */
        if (n < 4 || d[n - 2] != 0xff || d[n - 1] != 0xd9)
            return "the file ends before its end-of-image marker (truncated)";
    } else if (strcmp(format, "png") == 0) {
        static const unsigned char iend[8] = {'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
        if (n < 20 || memcmp(d + n - 8, iend, 8) != 0)
            return "the file ends before its IEND chunk (truncated)";
    } else if (strcmp(format, "webp") == 0) {
        if (n >= 12) {
            size_t riff = (size_t)d[4] | (size_t)d[5] << 8 | (size_t)d[6] << 16 |
                          (size_t)d[7] << 24;
            if (riff + 8 > n)
                return "the file is shorter than its RIFF header says (truncated)";
        }
    }
    return NULL;
}

/* The cause of a decode failure of job @j, for its message. */
static char *decode_cause(const char *format, const unsigned char *data, size_t len)
{
    const char *cut = data ? truncation(format, data, len) : NULL;
    char *vips = take_vips_error_for(format);
    if (!cut)
        return vips;
    g_free(vips);
    return g_strdup(cut);
}

/* ---- the master writer: a vips target that hashes while it writes ------- */

typedef struct master_writer {
    int fd;
    ba_sha256 *sha;
    int write_errno; /* first write error, 0 when none */
    gint64 bytes;
} master_writer;

static gint64 on_target_write(VipsTargetCustom *target, const void *data, gint64 length,
                              void *ud)
{
    (void)target;
    master_writer *w = ud;
    if (w->write_errno)
        return -1;
    if (ba_fault_write_fails()) {
        w->write_errno = ENOSPC;
        return -1;
    }
    const unsigned char *p = data;
    gint64 left = length;
    while (left > 0) {
        ssize_t n = write(w->fd, p, (size_t)left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->write_errno = errno;
            return -1;
        }
        p += n;
        left -= n;
    }
    ba_sha256_update(w->sha, data, (size_t)length);
    w->bytes += length;
    return length;
}

/* ---- one ingest --------------------------------------------------------- */

typedef struct job {
    const char *name;          /* file name as given, for messages */
    const unsigned char *data; /* the original bytes */
    size_t len;
    const char *format;        /* accepted format */
    ba_capture capture;
    char *tmp_path;            /* in-flight master, NULL once moved */
    char *final_path;          /* masters/ab/<sha>.jpg, absolute */
    bool final_existed;        /* the master was already on disk before store() */
} job;

static ba_code errno_code(int e)
{
    return (e == ENOSPC || e == EDQUOT || e == EFBIG) ? BA_ERR_NOSPACE : BA_ERR_IO;
}

/* "VipsForeignLoadGifBuffer" -> "Gif": the format a refused file was claimed as. */
static const char *loader_format(const char *loader)
{
    static const char prefix[] = "VipsForeignLoad";
    static _Thread_local char name[32];
    const char *s = g_str_has_prefix(loader, prefix) ? loader + sizeof prefix - 1 : loader;
    size_t n = strcspn(s, "BFS"); /* ...Buffer / File / Source */
    if (n == 0 || n >= sizeof name)
        return NULL;
    memcpy(name, s, n);
    name[n] = '\0';
    /* ImageMagick's loader claims nearly anything: naming it says nothing. */
    if (strcmp(name, "Magick") == 0)
        return NULL;
    /* libvips names its loaders after their libraries: say what the file is. */
    static const char *const known[][2] = {{"Nsgif", "GIF"}, {"Svg", "SVG"}, {"Pdf", "PDF"},
                                           {"Jp2k", "JPEG 2000"}, {"Openexr", "OpenEXR"},
                                           {"Fits", "FITS"}, {"Ppm", "PPM"},
                                           {"Rad", "Radiance HDR"}, {"Matrix", "a vips matrix"},
                                           {"Csv", "CSV"}, {"Vips", "a vips image"}};
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
        if (strcmp(name, known[i][0]) == 0)
            return known[i][1];
    return name;
}

/* ---- what a refused file is, for its message only ---------------------- */

/* The decision is the loader allow-list's alone.  These few magic numbers
 * only let the message say what the file is, rather than which libvips loader
 * would have claimed it (ImageMagick's claims zero bytes and PPMs alike). */
typedef enum sniffed_kind {
    SNIFF_UNKNOWN,
    SNIFF_ZEROS,    /* nothing but NUL bytes */
    SNIFF_IMAGE,    /* an image format we do not accept: convert it */
    SNIFF_OTHER,    /* not an image at all */
    SNIFF_DAMAGED,  /* the magic of a format we accept, yet no loader of ours takes it */
} sniffed_kind;

typedef struct sniffed {
    sniffed_kind kind;
    const char *what; /* "a GIF image" */
} sniffed;

static const struct {
    size_t offset, len;
    const char *bytes;
    sniffed_kind kind;
    const char *what;
} MAGIC[] = {
    {0, 6, "GIF87a", SNIFF_IMAGE, "a GIF image"},
    {0, 6, "GIF89a", SNIFF_IMAGE, "a GIF image"},
    {0, 4, "8BPS", SNIFF_IMAGE, "a Photoshop (PSD) image"},
    {0, 12, "\0\0\0\x0cjP  \r\n\x87\n", SNIFF_IMAGE, "a JPEG 2000 image"},
    {0, 4, "\xff\x4f\xff\x51", SNIFF_IMAGE, "a JPEG 2000 image"},
    {0, 4, "\x76\x2f\x31\x01", SNIFF_IMAGE, "an OpenEXR image"},
    {0, 10, "#?RADIANCE", SNIFF_IMAGE, "a Radiance HDR image"},
    {0, 6, "#?RGBE", SNIFF_IMAGE, "a Radiance HDR image"},
    {0, 9, "SIMPLE  =", SNIFF_IMAGE, "a FITS image"},
    {0, 4, "qoif", SNIFF_IMAGE, "a QOI image"},
    {0, 4, "<svg", SNIFF_OTHER, "an SVG drawing"},
    {0, 5, "<?xml", SNIFF_OTHER, "an XML (or SVG) document"},
    {0, 5, "%PDF-", SNIFF_OTHER, "a PDF document"},
    {0, 4, "%!PS", SNIFF_OTHER, "a PostScript document"},
    {0, 4, "PK\x03\x04", SNIFF_OTHER, "a ZIP archive"},
    {0, 2, "\x1f\x8b", SNIFF_OTHER, "a gzip archive"},
    {4, 8, "ftypcrx ", SNIFF_IMAGE, "a Canon raw (CR3) image"},
    {4, 8, "ftypqt  ", SNIFF_OTHER, "a QuickTime video"},
    {4, 8, "ftypisom", SNIFF_OTHER, "an MP4 video"},
    {4, 7, "ftypmp4", SNIFF_OTHER, "an MP4 video"},
    /* Formats we accept: their loader refused the file, so it is damaged. */
    {0, 3, "\xff\xd8\xff", SNIFF_DAMAGED, "JPEG"},
    {0, 8, "\x89PNG\r\n\x1a\n", SNIFF_DAMAGED, "PNG"},
    {0, 4, "II*\0", SNIFF_DAMAGED, "TIFF"},
    {0, 4, "MM\0*", SNIFF_DAMAGED, "TIFF"},
    {0, 4, "II+\0", SNIFF_DAMAGED, "TIFF"},
    {8, 4, "WEBP", SNIFF_DAMAGED, "WebP"},
    {4, 8, "ftypheic", SNIFF_DAMAGED, "HEIF"},
    {4, 8, "ftypheix", SNIFF_DAMAGED, "HEIF"},
    {4, 8, "ftypmif1", SNIFF_DAMAGED, "HEIF"},
    {4, 8, "ftypavif", SNIFF_DAMAGED, "HEIF"},
};

/* Text: no control characters but tab, CR, LF and FF in the first 4 KiB. */
static bool looks_like_text(const unsigned char *d, size_t n)
{
    n = MIN(n, 4096);
    for (size_t i = 0; i < n; i++)
        if ((d[i] < 0x20 && (d[i] == 0 || !strchr("\t\r\n\f", d[i]))) || d[i] == 0x7f)
            return false;
    return n > 0;
}

/* Netpbm: "P1".."P7" then whitespace (P1..P3 are text, so before the text test). */
static bool looks_like_pnm(const unsigned char *d, size_t n)
{
    return n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7' && g_ascii_isspace(d[2]);
}

static sniffed sniff(const unsigned char *d, size_t n)
{
    size_t zeros = 0;
    while (zeros < n && d[zeros] == 0)
        zeros++;
    if (zeros == n)
        return (sniffed){SNIFF_ZEROS, "only zero bytes"};
    if (looks_like_pnm(d, n))
        return (sniffed){SNIFF_IMAGE, "a PPM/PNM image"};
    for (size_t i = 0; i < G_N_ELEMENTS(MAGIC); i++)
        if (n >= MAGIC[i].offset + MAGIC[i].len &&
            memcmp(d + MAGIC[i].offset, MAGIC[i].bytes, MAGIC[i].len) == 0)
            return (sniffed){MAGIC[i].kind, MAGIC[i].what};
    if (looks_like_text(d, n))
        return (sniffed){SNIFF_OTHER, "a text file"};
    /* Two letters only: trusted once the file is known not to be text. */
    if (n >= 2 && d[0] == 'B' && d[1] == 'M')
        return (sniffed){SNIFF_IMAGE, "a BMP image"};
    return (sniffed){SNIFF_UNKNOWN, NULL};
}

/* The one-line refusal of a file no accepted loader takes (@loader: the one that would). */
static void refuse_format(const job *j, const char *loader, ba_error *err)
{
    sniffed s = sniff(j->data, j->len);
    const char *claimed = loader ? loader_format(loader) : NULL;
    switch (s.kind) {
    case SNIFF_ZEROS:
        ba_error_set(err, BA_ERR_FORMAT, "%s: not an image: only zero bytes", j->name);
        break;
    case SNIFF_IMAGE:
        ba_error_set(err, BA_ERR_FORMAT,
                     "%s: %s, which beforeafter does not accept (only JPEG, PNG, HEIC/HEIF, "
                     "TIFF and WebP); convert it to PNG or TIFF",
                     j->name, s.what);
        break;
    case SNIFF_OTHER:
        ba_error_set(err, BA_ERR_FORMAT,
                     "%s: not a JPEG, PNG, HEIC/HEIF, TIFF or WebP photo: it is %s", j->name,
                     s.what);
        break;
    case SNIFF_DAMAGED:
        ba_error_set(err, BA_ERR_CORRUPT,
                     "%s: starts like a %s file but cannot be read as one (truncated or "
                     "damaged)",
                     j->name, s.what);
        break;
    default:
        ba_error_set(err, BA_ERR_FORMAT,
                     "%s: not a JPEG, PNG, HEIC/HEIF, TIFF or WebP photo%s%s%s", j->name,
                     claimed ? " (it looks like " : "", claimed ? claimed : "",
                     claimed ? ")" : "");
    }
}

/* Check the container before any pixel is decoded. */
static int identify(job *j, const ba_ingest_options *o, VipsImage **header, ba_error *err)
{
    const char *loader = vips_foreign_find_load_buffer(j->data, j->len);
    for (size_t i = 0; loader && i < G_N_ELEMENTS(ACCEPTED); i++)
        if (strcmp(loader, ACCEPTED[i].loader) == 0)
            j->format = ACCEPTED[i].format;
    if (!j->format) {
        refuse_format(j, loader, err);
        return -1;
    }
    VipsImage *h = vips_image_new_from_buffer(j->data, j->len, "", "access",
                                              VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                              VIPS_FAIL_ON_TRUNCATED, NULL);
    if (!h) {
        char *why = decode_cause(j->format, j->data, j->len);
        ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot read the %s header: %s", j->name,
                     j->format, why);
        g_free(why);
        return -1;
    }
    double mp = (double)h->Xsize * (double)h->Ysize / 1e6;
    double limit = o->max_megapixels > 0 ? o->max_megapixels : BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    if (mp > limit) {
        ba_error_set(err, BA_ERR_TOO_LARGE,
                     "%s: %d x %d pixels (%.1f megapixels) exceeds the limit of %g megapixels "
                     "(--max-megapixels); refused before decoding",
                     j->name, h->Xsize, h->Ysize, mp, limit);
        g_object_unref(h);
        return -1;
    }
    if (h->Xsize > JPEG_MAX_SIDE || h->Ysize > JPEG_MAX_SIDE) {
        ba_error_set(err, BA_ERR_TOO_LARGE,
                     "%s: %d x %d pixels: masters are JPEG, which holds at most %d pixels on a "
                     "side",
                     j->name, h->Xsize, h->Ysize, JPEG_MAX_SIDE);
        g_object_unref(h);
        return -1;
    }
    *header = h;
    return 0;
}

/* The EXIF block: JPEG from the file itself, other containers via libvips'
 * extraction of the untouched block, bare TIFF from the file's own IFDs. */
static void read_capture(job *j, VipsImage *h)
{
    ba_capture_init(&j->capture);
    if (strcmp(j->format, "jpeg") == 0 || strcmp(j->format, "tiff") == 0) {
        ba_ingest_read_exif(j->data, j->len, &j->capture);
        return;
    }
    const void *blob = NULL;
    size_t blob_len = 0;
    if (vips_image_get_typeof(h, VIPS_META_EXIF_NAME) &&
        vips_image_get_blob(h, VIPS_META_EXIF_NAME, &blob, &blob_len) == 0)
        ba_ingest_read_exif(blob, blob_len, &j->capture);
    vips_error_clear();
}

/* Apply EXIF orientation 1..8 (0 and anything else: none). */
static int orient(VipsImage *in, int orientation, VipsImage **out)
{
    VipsImage *t = NULL;
    int rc = 0;
    switch (orientation) {
    case 2:
        return vips_flip(in, out, VIPS_DIRECTION_HORIZONTAL, NULL);
    case 3:
        return vips_rot(in, out, VIPS_ANGLE_D180, NULL);
    case 4:
        return vips_flip(in, out, VIPS_DIRECTION_VERTICAL, NULL);
    case 5: /* transpose */
        rc = vips_rot(in, &t, VIPS_ANGLE_D90, NULL) ||
             vips_flip(t, out, VIPS_DIRECTION_HORIZONTAL, NULL);
        break;
    case 6:
        return vips_rot(in, out, VIPS_ANGLE_D90, NULL);
    case 7: /* transverse */
        rc = vips_rot(in, &t, VIPS_ANGLE_D270, NULL) ||
             vips_flip(t, out, VIPS_DIRECTION_HORIZONTAL, NULL);
        break;
    case 8:
        return vips_rot(in, out, VIPS_ANGLE_D270, NULL);
    default:
        g_object_ref(in);
        *out = in;
        return 0;
    }
    if (t)
        g_object_unref(t);
    return rc ? -1 : 0;
}

/* To 8-bit, 3-band sRGB flattened on white; the embedded profile is used, then dropped. */
static int to_srgb(VipsImage *in, VipsImage **out, char *warning, size_t wsize)
{
    VipsImage *c = NULL, *f = NULL;
    int ok = -1;
    bool converted = false;
    if (vips_image_get_typeof(in, VIPS_META_ICC_NAME)) {
        if (vips_icc_transform(in, &c, "srgb", "embedded", TRUE, "intent",
                               VIPS_INTENT_RELATIVE, "depth", 8, NULL) == 0) {
            converted = true;
        } else {
            char *why = take_vips_error();
            snprintf(warning, wsize, "embedded ICC profile unusable (%s); assumed sRGB", why);
            g_free(why);
        }
    }
    if (!converted && vips_colourspace(in, &c, VIPS_INTERPRETATION_sRGB, NULL))
        goto done;
    if (vips_image_hasalpha(c)) {
        double white[] = {255, 255, 255};
        VipsArrayDouble *bg = vips_array_double_new(white, 3);
        int rc = vips_flatten(c, &f, "background", bg, "max_alpha",
                              c->BandFmt == VIPS_FORMAT_USHORT ? 65535.0 : 255.0, NULL);
        vips_area_unref(VIPS_AREA(bg));
        if (rc)
            goto done;
        g_object_unref(c);
        c = f;
        f = NULL;
    }
    if (c->BandFmt != VIPS_FORMAT_UCHAR) {
        if (c->BandFmt == VIPS_FORMAT_USHORT) {
            if (vips_rshift_const1(c, &f, 8, NULL))
                goto done;
            g_object_unref(c);
            c = f;
            f = NULL;
        }
        if (vips_cast_uchar(c, &f, NULL))
            goto done;
        g_object_unref(c);
        c = f;
        f = NULL;
    }
    if (c->Bands != 3) {
        vips_error("beforeafter", "unsupported band layout (%d bands)", c->Bands);
        goto done;
    }
    *out = c;
    c = NULL;
    ok = 0;
done:
    if (c)
        g_object_unref(c);
    return ok;
}

/* The upright 8-bit sRGB pixels of the job (lazy: nothing decoded yet). */
static int upright_srgb(job *j, VipsImage *header, VipsImage **out, char *warning, size_t wsize,
                        ba_error *err)
{
    VipsImage *src = NULL, *up = NULL;
    /* Rotations and vertical flips need random access: only the cheap cases
     * stream.  libheif applies the container's own transforms, and the EXIF
     * orientation of a HEIF must not be applied a second time. */
    int orientation = strcmp(j->format, "heif") == 0 ? 1 : j->capture.orientation;
    bool streams = orientation <= 2;
    if (streams) {
        src = header;
        g_object_ref(src);
    } else {
        src = vips_image_new_from_buffer(j->data, j->len, "", "fail_on", VIPS_FAIL_ON_TRUNCATED,
                                         NULL);
    }
    int rc = (!src || orient(src, orientation, &up) || to_srgb(up, out, warning, wsize)) ? -1 : 0;
    if (src)
        g_object_unref(src);
    if (up)
        g_object_unref(up);
    if (rc) {
        char *why = decode_cause(j->format, j->data, j->len);
        ba_error_set(err, BA_ERR_CORRUPT, "%s: the %s image data is truncated or corrupt: %s",
                     j->name, j->format, why);
        g_free(why);
    }
    return rc;
}

/* Decode, orient, convert and encode to a temporary file in LIBRARY/tmp,
 * hashing the encoded bytes on the way. */
static int render_master(ba_catalog *cat, job *j, VipsImage *header, const ba_ingest_options *o,
                         ba_photo *p, char *warning, size_t wsize, ba_error *err)
{
    VipsImage *rgb = NULL;
    int rc = -1;
    master_writer w = {.fd = -1};
    if (upright_srgb(j, header, &rgb, warning, wsize, err))
        return -1;

    char *tmpdir = g_build_filename(ba_catalog_dir(cat), "tmp", NULL);
    char *base = g_strdup_printf("ingest-%d-XXXXXX.jpg", (int)getpid());
    j->tmp_path = g_build_filename(tmpdir, base, NULL);
    g_free(base);
    g_free(tmpdir);
    w.fd = g_mkstemp_full(j->tmp_path, O_WRONLY | O_CLOEXEC, 0644);
    if (w.fd < 0) {
        int e = errno;
        ba_error_set(err, errno_code(e), "%s: cannot create a temporary master in %s/tmp: %s",
                     j->name, ba_catalog_dir(cat), g_strerror(e));
        g_free(j->tmp_path);
        j->tmp_path = NULL;
        goto out;
    }
    ba_fault_point("after-tmp-create");
    w.sha = ba_sha256_new();
    VipsTargetCustom *target = vips_target_custom_new();
    g_signal_connect(target, "write", G_CALLBACK(on_target_write), &w);
    int q = o->master_quality > 0 ? o->master_quality : BA_INGEST_DEFAULT_QUALITY;
    int saved = vips_jpegsave_target(rgb, VIPS_TARGET(target), "Q", q, "strip", TRUE,
                                     "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_OFF, NULL);
    if (saved == 0)
        saved = vips_target_end(VIPS_TARGET(target));
    g_object_unref(target);
    if (saved != 0 || w.write_errno) {
        if (w.write_errno) {
            vips_error_clear();
            ba_error_set(err, errno_code(w.write_errno), "%s: cannot write the master: %s",
                         j->name, g_strerror(w.write_errno));
            goto out;
        }
        goto vips_failed;
    }
    if (fsync(w.fd) != 0 || close(w.fd) != 0) {
        int e = errno;
        w.fd = -1;
        ba_error_set(err, errno_code(e), "%s: cannot write the master: %s", j->name,
                     g_strerror(e));
        goto out;
    }
    w.fd = -1;
    ba_fault_point("after-master-write");
    ba_sha256_finish(w.sha, p->master_sha256);
    w.sha = NULL;
    p->width = rgb->Xsize;
    p->height = rgb->Ysize;
    rc = 0;
    goto out;

vips_failed: {
    char *why = decode_cause(j->format, j->data, j->len);
    ba_error_set(err, BA_ERR_CORRUPT, "%s: the %s image data is truncated or corrupt: %s",
                 j->name, j->format ? j->format : "image", why);
    g_free(why);
}
out:
    if (w.fd >= 0)
        close(w.fd);
    if (w.sha) {
        char unused[65];
        ba_sha256_finish(w.sha, unused);
    }
    if (rgb)
        g_object_unref(rgb);
    return rc;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Runs under the catalog's write lock: move the master into place. */
static int store_master(void *ud, ba_error *err)
{
    job *j = ud;
    char *dir = g_path_get_dirname(j->final_path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        ba_error_set(err, errno_code(e), "%s: cannot create %s: %s", j->name, dir, g_strerror(e));
        g_free(dir);
        return -1;
    }
    j->final_existed = g_file_test(j->final_path, G_FILE_TEST_EXISTS);
    if (rename(j->tmp_path, j->final_path) != 0) {
        int e = errno;
        ba_error_set(err, errno_code(e), "%s: cannot store the master: %s", j->name,
                     g_strerror(e));
        g_free(dir);
        return -1;
    }
    g_free(j->tmp_path);
    j->tmp_path = NULL;
    int synced = fsync_dir(dir);
    g_free(dir);
    if (synced != 0) {
        int e = errno;
        ba_error_set(err, errno_code(e), "%s: cannot sync the masters folder: %s", j->name,
                     g_strerror(e));
        return -1;
    }
    ba_fault_point("after-master-rename");
    return 0;
}

static void unstore_master(void *ud)
{
    job *j = ud;
    if (!j->final_existed)
        g_unlink(j->final_path);
}

struct ba_ingest_job {
    job j;      /* j.data is only valid during prepare */
    ba_photo p; /* the record to commit */
    char *name;
};

void ba_ingest_job_free(ba_ingest_job *jb)
{
    if (!jb)
        return;
    if (jb->j.tmp_path) {
        g_unlink(jb->j.tmp_path);
        g_free(jb->j.tmp_path);
    }
    g_free(jb->j.final_path);
    g_free(jb->name);
    g_free(jb);
}

/* Fill @result for the existing photo @id. */
static int report_duplicate(ba_catalog *cat, int64_t id, ba_ingest_result *result, ba_error *err)
{
    ba_photo old;
    if (ba_catalog_photo_get(cat, id, &old, err))
        return -1;
    result->status = BA_INGEST_DUPLICATE;
    result->photo_id = id;
    ba_catalog_master_relpath(old.master_sha256, result->master, sizeof result->master);
    return 0;
}

/* Put @name in front of the message unless it is already there: every
 * failure names its file first, whichever check it came from. */
static void name_first(ba_error *err, const char *name)
{
    if (!err)
        return;
    /* Compare with the name as messages show it (control characters blanked),
     * or a name with a newline in it is printed twice. */
    ba_error shown;
    ba_error_set(&shown, BA_OK, "%s", name);
    if (strncmp(err->message, shown.message, strlen(shown.message)) == 0)
        return;
    char msg[sizeof err->message];
    g_strlcpy(msg, err->message, sizeof msg);
    ba_error_set(err, err->code, "%s: %s", name, msg);
}

/* The arguments, checked before the file's bytes are touched: a bad client,
 * area, view or date fails fast, without reading a large file first. */
static int check_options(ba_catalog *cat, const ba_ingest_options *opts, ba_client *client,
                         ba_error *err)
{
    const char *stage = opts->stage ? opts->stage : "progress";
    const char *view = opts->view ? opts->view : "frontal";
    if (!ba_stage_valid(stage)) {
        ba_error_set(err, BA_ERR_USAGE, "stage '%s' is not one of before, after, progress", stage);
        return -1;
    }
    if (!ba_view_valid(view)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "view '%s' is not one of frontal, left-45, right-45, left-90, right-90, other",
                     view);
        return -1;
    }
    if (opts->date && ba_date_check(opts->date, err))
        return -1;
    if (opts->treatment && (strlen(opts->treatment) >= BA_TEXT_MAX ||
                            !g_utf8_validate(opts->treatment, -1, NULL))) {
        ba_error_set(err, BA_ERR_USAGE, "treatment must be UTF-8 and under %d bytes", BA_TEXT_MAX);
        return -1;
    }
    if (ba_catalog_client_get(cat, opts->client, client, err) ||
        ba_catalog_area_check(cat, opts->area, err))
        return -1;
    return 0;
}

/* The record of a prepared job, from the options and what the file said. */
static void fill_photo(ba_ingest_job *jb, const ba_ingest_options *opts, const ba_client *client)
{
    ba_photo *p = &jb->p;
    g_strlcpy(p->client, client->code, sizeof p->client);
    g_strlcpy(p->area, opts->area, sizeof p->area);
    g_strlcpy(p->view, opts->view ? opts->view : "frontal", sizeof p->view);
    g_strlcpy(p->stage, opts->stage ? opts->stage : "progress", sizeof p->stage);
    g_strlcpy(p->treatment, opts->treatment ? opts->treatment : "", sizeof p->treatment);
    char *base = g_path_get_basename(jb->name);
    char *display = g_filename_display_name(base);
    g_strlcpy(p->original_name, display, sizeof p->original_name);
    g_free(display);
    g_free(base);
    p->capture = jb->j.capture;
}

/* ba_ingest_prepare_buffer() once check_options() has passed.  @original_sha256
 * is the hash of @data when the caller computed it while reading, else NULL. */
static int prepare_checked(ba_catalog *cat, const char *name, const unsigned char *data,
                           size_t len, const char *original_sha256, const ba_ingest_options *opts,
                           const ba_client *client, ba_ingest_job **out,
                           ba_ingest_result *result, ba_error *err)
{
    g_atomic_int_add(&decoding_now, 1);
    ba_ingest_job *jb = g_new0(ba_ingest_job, 1);
    jb->name = g_strdup(name);
    job *j = &jb->j;
    j->name = jb->name;
    j->data = data;
    j->len = len;
    ba_photo *p = &jb->p;
    VipsImage *header = NULL;
    int rc = -1;

    sweep_tmp_once(ba_catalog_dir(cat));
    ba_fault_point("start");
    /* The original's hash: the same file again is a duplicate, decoded or not
     * (this is what makes a re-run after a crash cheap). */
    if (original_sha256)
        g_strlcpy(p->original_sha256, original_sha256, sizeof p->original_sha256);
    else
        ba_sha256_hex(data, len, p->original_sha256);
    int64_t existing = 0;
    int found = ba_catalog_photo_find_original(cat, p->original_sha256, &existing, err);
    if (found < 0)
        goto out;
    if (found) {
        rc = report_duplicate(cat, existing, result, err);
        goto out;
    }

    if (identify(j, opts, &header, err))
        goto out;
    read_capture(j, header);

    /* The session date: given, else when the photo was taken. */
    if (opts->date) {
        g_strlcpy(p->session_date, opts->date, sizeof p->session_date);
    } else if (j->capture.captured_at[0]) {
        g_strlcpy(p->session_date, j->capture.captured_at, sizeof p->session_date);
    } else {
        ba_error_set(err, BA_ERR_NO_DATE,
                     "%s: no capture date in its EXIF; pass the session date with --date "
                     "YYYY-MM-DD",
                     j->name);
        goto out;
    }

    if (render_master(cat, j, header, opts, p, result->warning, sizeof result->warning, err))
        goto out;

    char rel[96];
    ba_catalog_master_relpath(p->master_sha256, rel, sizeof rel);
    j->final_path = g_build_filename(ba_catalog_dir(cat), rel, NULL);
    fill_photo(jb, opts, client);
    j->data = NULL;
    j->len = 0;
    *out = jb;
    jb = NULL;
    rc = 0;
out:
    if (header)
        g_object_unref(header);
    if (rc && jb)
        name_first(err, jb->name);
    ba_ingest_job_free(jb);
    g_atomic_int_add(&decoding_now, -1);
    return rc;
}

int ba_ingest_prepare_buffer(ba_catalog *cat, const char *name, const unsigned char *data,
                             size_t len, const ba_ingest_options *opts, ba_ingest_job **out,
                             ba_ingest_result *result, ba_error *err)
{
    ba_ingest_options defaults;
    if (!opts) {
        ba_ingest_options_init(&defaults);
        opts = &defaults;
    }
    *out = NULL;
    memset(result, 0, sizeof *result);
    const char *shown = name ? name : "(buffer)";
    if (len == 0) {
        ba_error_set(err, BA_ERR_FORMAT, "%s: empty file", shown);
        return -1;
    }
    ba_client client;
    if (check_options(cat, opts, &client, err)) {
        name_first(err, shown);
        return -1;
    }
    return prepare_checked(cat, shown, data, len, NULL, opts, &client, out, result, err);
}

int ba_ingest_commit(ba_catalog *cat, ba_ingest_job *jb, ba_ingest_result *result, ba_error *err)
{
    job *j = &jb->j;
    ba_photo *p = &jb->p;
    ba_store_hooks hooks = {store_master, unstore_master, j};
    bool duplicate = false;
    result->photo_id = 0;
    result->master[0] = '\0';
    if (ba_catalog_photo_add(cat, p, &hooks, &duplicate, err)) {
        name_first(err, j->name); /* the file's name in front of the catalog's message */
        return -1;
    }
    ba_fault_point("after-commit");
    if (duplicate)
        return report_duplicate(cat, p->id, result, err);
    result->status = BA_INGEST_INGESTED;
    result->photo_id = p->id;
    ba_catalog_master_relpath(p->master_sha256, result->master, sizeof result->master);
    return 0;
}

int ba_ingest_buffer(ba_catalog *cat, const char *name, const unsigned char *data, size_t len,
                     const ba_ingest_options *opts, ba_ingest_result *result, ba_error *err)
{
    ba_ingest_job *jb = NULL;
    if (ba_ingest_prepare_buffer(cat, name, data, len, opts, &jb, result, err))
        return -1;
    if (!jb)
        return 0; /* a duplicate, known before decoding */
    int rc = ba_ingest_commit(cat, jb, result, err);
    ba_ingest_job_free(jb);
    return rc;
}

/* ---- reading a file whole ------------------------------------------------ */

/* Inputs are read into memory, not mapped: touching a mapping past the end
 * of a file that another program (a sync client, a camera import) truncated
 * meanwhile kills the process with SIGBUS.  Bytes in our own memory cannot
 * change under us, so the bytes hashed are exactly the bytes decoded. */

/* Reading in slices lets the hash take each slice while it is still in the
 * CPU's cache: reading and hashing are one pass over the bytes, not two. */
#define READ_SLICE ((size_t)1 << 20)
/* What the largest photo within the pixel limit may carry besides its
 * pixels (EXIF, ICC profile, embedded previews). */
#define METADATA_ALLOWANCE ((uint64_t)16 << 20)
/* 4 channels of 16 bits: the most an uncompressed photo takes per pixel. */
#define MAX_BYTES_PER_PIXEL 8.0
/* Masters are JPEGs we wrote, about 1 byte a pixel: a 100 MP master is
 * ~100 MB.  A larger file under masters/ is not one of ours. */
#define MASTER_MAX_BYTES ((uint64_t)4 << 30)

uint64_t ba_ingest_max_file_bytes(double max_megapixels)
{
    double mp = max_megapixels > 0 ? max_megapixels : BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    double bytes = mp * 1e6 * MAX_BYTES_PER_PIXEL + (double)METADATA_ALLOWANCE;
    return bytes >= 0x1p63 ? UINT64_MAX : (uint64_t)bytes;
}

typedef struct file_bytes {
    unsigned char *data; /* g_free() it */
    size_t len;
    char sha256[65];     /* of data, when asked for; else "" */
} file_bytes;

/* Open @path and check that it is a non-empty regular file; the fd or -1. */
static int open_regular(const char *path, struct stat *st, ba_error *err)
{
    /* O_NONBLOCK: a FIFO must not hang the open; it is refused just below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        ba_error_set(err, e == ENOENT ? BA_ERR_NOT_FOUND : BA_ERR_IO, "%s: cannot open: %s", path,
                     g_strerror(e));
        return -1;
    }
    if (fstat(fd, st) != 0) {
        int e = errno;
        ba_error_set(err, BA_ERR_IO, "%s: cannot read: %s", path, g_strerror(e));
    } else if (!S_ISREG(st->st_mode)) {
        ba_error_set(err, BA_ERR_FORMAT, "%s: not a regular file%s", path,
                     S_ISDIR(st->st_mode) ? " (it is a folder)" : "");
    } else if (st->st_size == 0) {
        ba_error_set(err, BA_ERR_FORMAT, "%s: empty file", path);
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

/* Read the @size bytes fstat() promised into @out->data, hashing when
 * @hash.  Fewer bytes (truncated meanwhile) or more (still being written)
 * mean the file changed while being read: refused, whatever part we saw. */
static int read_fd(int fd, const char *path, size_t size, bool hash, file_bytes *out,
                   ba_error *err)
{
    ba_sha256 *sha = hash ? ba_sha256_new() : NULL;
    size_t got = 0;
    int e = 0;
    while (got < size) {
        ssize_t n = read(fd, out->data + got, MIN(READ_SLICE, size - got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : 0;
            break;
        }
        if (sha)
            ba_sha256_update(sha, out->data + got, (size_t)n);
        got += (size_t)n;
    }
    unsigned char probe;
    bool grew = got == size && read(fd, &probe, 1) > 0;
    if (sha)
        ba_sha256_finish(sha, out->sha256);
    if (e) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot read: %s", path, g_strerror(e));
        return -1;
    }
    if (got < size || grew) {
        ba_error_set(err, BA_ERR_IO,
                     "%s: changed while being read (%s %zu bytes when opened); another "
                     "program is writing or truncating it",
                     path, got < size ? "it ended early, it had" : "it grew past the", size);
        return -1;
    }
    out->len = size;
    return 0;
}

/* Read the regular file @path whole into memory, refusing files over
 * @max_bytes before allocating; hash it on the way when @hash. */
static int read_file(const char *path, uint64_t max_bytes, bool hash, const char *too_large,
                     file_bytes *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    int fd = open_regular(path, &st, err);
    if (fd < 0)
        return -1;
    int rc = -1;
    uint64_t size = (uint64_t)st.st_size;
    if (size > max_bytes || size > SIZE_MAX) {
        ba_error_set(err, BA_ERR_TOO_LARGE,
                     "%s: %" G_GUINT64_FORMAT " bytes, more than %s (%" G_GUINT64_FORMAT
                     " bytes); refused before reading",
                     path, size, too_large, MIN(max_bytes, (uint64_t)SIZE_MAX));
        goto out;
    }
    out->data = g_try_malloc((size_t)size);
    if (!out->data) {
        ba_error_set(err, BA_ERR_NOMEM, "%s: not enough memory to read its %" G_GUINT64_FORMAT
                     " bytes", path, size);
        goto out;
    }
    rc = read_fd(fd, path, (size_t)size, hash, out, err);
    if (rc) {
        g_free(out->data);
        out->data = NULL;
    }
out:
    close(fd);
    return rc;
}

/* An input photo, within the byte bound of the pixel limit @max_megapixels. */
static int read_input(const char *path, double max_megapixels, bool hash, file_bytes *out,
                      ba_error *err)
{
    char what[96];
    double mp = max_megapixels > 0 ? max_megapixels : BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    g_snprintf(what, sizeof what, "a photo within the pixel limit of %g megapixels can take", mp);
    return read_file(path, ba_ingest_max_file_bytes(mp), hash, what, out, err);
}

/* The bytes live as long as the image that decodes them lazily. */
#define BYTES_KEY "ba-file-bytes"

static void keep_bytes(VipsImage *img, GBytes *bytes)
{
    g_object_set_data_full(G_OBJECT(img), BYTES_KEY, g_bytes_ref(bytes),
                           (GDestroyNotify)g_bytes_unref);
}

/* ---- the public entry points that read files -------------------------------- */

int ba_ingest_prepare(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                      ba_ingest_job **job_out, ba_ingest_result *result, ba_error *err)
{
    ba_ingest_options defaults;
    if (!opts) {
        ba_ingest_options_init(&defaults);
        opts = &defaults;
    }
    *job_out = NULL;
    memset(result, 0, sizeof *result);
    ba_client client;
    if (check_options(cat, opts, &client, err)) {
        name_first(err, path);
        return -1;
    }
    file_bytes in;
    if (read_input(path, opts->max_megapixels, true, &in, err))
        return -1;
    int rc = prepare_checked(cat, path, in.data, in.len, in.sha256, opts, &client, job_out,
                             result, err);
    g_free(in.data);
    return rc;
}

int ba_ingest_file(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                   ba_ingest_result *result, ba_error *err)
{
    ba_ingest_job *jb = NULL;
    if (ba_ingest_prepare(cat, path, opts, &jb, result, err))
        return -1;
    if (!jb)
        return 0; /* a duplicate, known before decoding */
    int rc = ba_ingest_commit(cat, jb, result, err);
    ba_ingest_job_free(jb);
    return rc;
}

int ba_ingest_load(const char *path, double max_megapixels, VipsImage **out,
                   ba_capture *capture, ba_error *err)
{
    *out = NULL;
    file_bytes in;
    if (read_input(path, max_megapixels, false, &in, err))
        return -1;
    GBytes *bytes = g_bytes_new_take(in.data, in.len);
    job j = {.name = path, .data = in.data, .len = in.len};
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.max_megapixels = max_megapixels;
    VipsImage *header = NULL;
    char warning[256] = "";
    int rc = -1;
    if (identify(&j, &o, &header, err) == 0) {
        read_capture(&j, header);
        if (capture)
            *capture = j.capture;
        if (upright_srgb(&j, header, out, warning, sizeof warning, err) == 0) {
            keep_bytes(*out, bytes);
            rc = 0;
        }
    }
    if (header)
        g_object_unref(header);
    g_bytes_unref(bytes);
    return rc;
}

/* Read the master at @path whole, hashing as it reads, and check the hash
 * against the catalog's: a master overwritten by anything (another client's
 * photo, a careless copy) must never be rendered or exported as this photo. */
static int read_master(const char *path, const char *master_sha256, GBytes **out,
                       ba_error *err)
{
    file_bytes in;
    if (read_file(path, MASTER_MAX_BYTES, true, "any master beforeafter writes", &in, err))
        return -1;
    if (g_ascii_strcasecmp(in.sha256, master_sha256) != 0) {
        ba_error_set(err, BA_ERR_CORRUPT,
                     "%s: the master of this photo no longer matches its recorded SHA-256 "
                     "(recorded %.12s..., now %.12s...); run verify",
                     path, master_sha256, in.sha256);
        g_free(in.data);
        return -1;
    }
    *out = g_bytes_new_take(in.data, in.len);
    return 0;
}

int ba_ingest_open_master(const char *library_dir, const char *master_sha256, VipsImage **out,
                          ba_error *err)
{
    *out = NULL;
    sweep_tmp_once(library_dir);
    char rel[96];
    ba_catalog_master_relpath(master_sha256, rel, sizeof rel);
    char *path = g_build_filename(library_dir, rel, NULL);
    GBytes *bytes = NULL;
    int rc = read_master(path, master_sha256, &bytes, err);
    if (rc == 0) {
        gsize len = 0;
        const void *data = g_bytes_get_data(bytes, &len);
        *out = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_RANDOM,
                                          "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
        if (*out) {
            keep_bytes(*out, bytes);
        } else {
            char *why = take_vips_error();
            ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot open the master: %s", path, why);
            g_free(why);
            rc = -1;
        }
        g_bytes_unref(bytes);
    }
    g_free(path);
    return rc;
}

int ba_ingest_master_shrink(VipsImage *master, int shrink, VipsAccess access, VipsImage **out)
{
    *out = NULL;
    GBytes *bytes = g_object_get_data(G_OBJECT(master), BYTES_KEY);
    if (!bytes) {
        vips_error("beforeafter", "%s", "not an image from ba_ingest_open_master()");
        return -1;
    }
    gsize len = 0;
    const void *data = g_bytes_get_data(bytes, &len);
    *out = vips_image_new_from_buffer(data, len, "", "shrink", shrink, "access", access,
                                      "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
    if (!*out)
        return -1;
    keep_bytes(*out, bytes);
    return 0;
}

/* ---- temporary files of dead writers ---------------------------------------- */

/* Remove LIBRARY/tmp/<kind>-<pid>-* files whose <pid> no longer runs. */
static int sweep_tmp(const char *library_dir)
{
    char *tmpdir = g_build_filename(library_dir, "tmp", NULL);
    GDir *d = g_dir_open(tmpdir, 0, NULL);
    int removed = 0;
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        int pid = 0;
        /* The in-flight files are named <kind>-<pid>-... (ingest-, and the
         * consent evidence's ingest-<pid>-consent-...). */
        if (sscanf(n, "%*[a-z]-%d-", &pid) != 1 || pid <= 0)
            continue;
        if (pid == (int)getpid() || kill(pid, 0) == 0 || errno == EPERM)
            continue;
        char *path = g_build_filename(tmpdir, n, NULL);
        if (g_unlink(path) == 0)
            removed++;
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_free(tmpdir);
    return removed;
}

/* Libraries whose tmp/ this process swept already.  Once per process is
 * enough: a file a dead writer left cannot come back, and a writer that dies
 * later is swept by the next process that writes. */
static GMutex swept_lock;
static GHashTable *swept;

static void sweep_tmp_once(const char *library_dir)
{
    g_mutex_lock(&swept_lock);
    if (!swept)
        swept = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    bool first = g_hash_table_add(swept, g_strdup(library_dir));
    g_mutex_unlock(&swept_lock);
    if (first)
        sweep_tmp(library_dir);
}

int ba_ingest_clean_tmp(ba_catalog *cat)
{
    return sweep_tmp(ba_catalog_dir(cat));
}
