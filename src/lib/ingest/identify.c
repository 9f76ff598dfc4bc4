/* Ingest, first stage: which format a file is, its header checked before any
 * pixel is decoded, and the words of every refusal and decode failure. */
#include "beforeafter/beforeafter.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

#include "ingest/internal.h"

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

/* Photos being decoded right now, in this process (batch runs several). */
gint ingest_decoding_now;

/* libvips' error buffer is one for the whole process.  With several photos
 * in flight, a failing photo must not take another's message: pick the last
 * line that comes from its own format's loader, and clear the buffer only
 * when no other photo is being decoded (or it is filling up). */
char *ingest_take_vips_error_for(const char *format)
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
    if (g_atomic_int_get(&ingest_decoding_now) <= 1 || strlen(vips_error_buffer()) > 4096)
        vips_error_clear();
    if (!pick)
        pick = g_strdup(*ba_last_warning() ? ba_last_warning() : "the decoder gave no detail");
    return pick;
}

char *ingest_take_vips_error(void)
{
    return ingest_take_vips_error_for(NULL);
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

char *ingest_decode_cause(const char *format, const unsigned char *data, size_t len)
{
    const char *cut = data ? truncation(format, data, len) : NULL;
    char *vips = ingest_take_vips_error_for(format);
    if (!cut)
        return vips;
    g_free(vips);
    return g_strdup(cut);
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
static void refuse_format(const ingest_job *j, const char *loader, ba_error *err)
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
int ingest_identify(ingest_job *j, const ba_ingest_options *o, VipsImage **header,
                    ba_error *err)
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
        char *why = ingest_decode_cause(j->format, j->data, j->len);
        ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot read the %s header: %s", j->name,
                     j->format, why);
        g_free(why);
        return -1;
    }
    double mp = (double)h->Xsize * (double)h->Ysize / 1e6;
    double limit = o->max_megapixels > 0 ? o->max_megapixels : BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    if (mp > limit) {
        ba_error_set(err, BA_ERR_TOO_LARGE,
                     "%s: %d x %d pixels (%.1f megapixels) exceeds the pixel limit of %g "
                     "megapixels; refused before decoding",
                     j->name, h->Xsize, h->Ysize, mp, limit);
        ba_error_hint(err, BA_HINT_RAISE_PIXEL_LIMIT);
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
void ingest_read_capture(ingest_job *j, VipsImage *h)
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
