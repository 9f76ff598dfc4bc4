/* The ingest pipeline: untrusted file -> stripped, upright, sRGB master + catalog row. */
#include "beforeafter/beforeafter.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
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

/* "VipsForeignLoadGifBuffer" -> "Gif": what a refused file looks like. */
static const char *loader_format(const char *loader)
{
    static const char prefix[] = "VipsForeignLoad";
    static _Thread_local char name[32];
    const char *s = g_str_has_prefix(loader, prefix) ? loader + sizeof prefix - 1 : loader;
    size_t n = strcspn(s, "BFS"); /* ...Buffer / File / Source */
    if (n == 0 || n >= sizeof name)
        return "another format";
    memcpy(name, s, n);
    name[n] = '\0';
    /* libvips names its loaders after their libraries: say what the file is. */
    static const char *const known[][2] = {{"Nsgif", "GIF"}, {"Svg", "SVG"}, {"Pdf", "PDF"},
                                           {"Jp2k", "JPEG 2000"}, {"Magick", "an ImageMagick format"},
                                           {"Openexr", "OpenEXR"}, {"Fits", "FITS"}, {"Ppm", "PPM"},
                                           {"Rad", "Radiance HDR"}, {"Matrix", "a vips matrix"},
                                           {"Csv", "CSV"}, {"Vips", "a vips image"}};
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
        if (strcmp(name, known[i][0]) == 0)
            return known[i][1];
    return name;
}

/* Check the container before any pixel is decoded. */
static int identify(job *j, const ba_ingest_options *o, VipsImage **header, ba_error *err)
{
    const char *loader = vips_foreign_find_load_buffer(j->data, j->len);
    for (size_t i = 0; loader && i < G_N_ELEMENTS(ACCEPTED); i++)
        if (strcmp(loader, ACCEPTED[i].loader) == 0)
            j->format = ACCEPTED[i].format;
    if (!j->format) {
        ba_error_set(err, BA_ERR_FORMAT,
                     "%s: not a JPEG, PNG, HEIC/HEIF, TIFF or WebP photo%s%s%s", j->name,
                     loader ? " (it looks like " : "", loader ? loader_format(loader) : "",
                     loader ? ")" : "");
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
    g_atomic_int_add(&decoding_now, 1);
    ba_ingest_job *jb = g_new0(ba_ingest_job, 1);
    jb->name = g_strdup(name ? name : "(buffer)");
    job *j = &jb->j;
    j->name = jb->name;
    j->data = data;
    j->len = len;
    ba_photo *p = &jb->p;
    VipsImage *header = NULL;
    int rc = -1;

    if (len == 0) {
        ba_error_set(err, BA_ERR_FORMAT, "%s: empty file", j->name);
        goto out;
    }
    /* Arguments first: a bad client, area, view or date fails fast. */
    const char *stage = opts->stage ? opts->stage : "progress";
    const char *view = opts->view ? opts->view : "frontal";
    if (!ba_stage_valid(stage)) {
        ba_error_set(err, BA_ERR_USAGE, "stage '%s' is not one of before, after, progress", stage);
        goto out;
    }
    if (!ba_view_valid(view)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "view '%s' is not one of frontal, left-45, right-45, left-90, right-90, other",
                     view);
        goto out;
    }
    if (opts->date && ba_date_check(opts->date, err))
        goto out;
    if (opts->treatment && (strlen(opts->treatment) >= BA_TEXT_MAX ||
                            !g_utf8_validate(opts->treatment, -1, NULL))) {
        ba_error_set(err, BA_ERR_USAGE, "treatment must be UTF-8 and under %d bytes", BA_TEXT_MAX);
        goto out;
    }
    ba_client client;
    if (ba_catalog_client_get(cat, opts->client, &client, err) ||
        ba_catalog_area_check(cat, opts->area, err))
        goto out;

    ba_fault_point("start");
    /* The original's hash: the same file again is a duplicate, decoded or not
     * (this is what makes a re-run after a crash cheap). */
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
    g_strlcpy(p->client, client.code, sizeof p->client);
    g_strlcpy(p->area, opts->area, sizeof p->area);
    g_strlcpy(p->view, view, sizeof p->view);
    g_strlcpy(p->stage, stage, sizeof p->stage);
    g_strlcpy(p->treatment, opts->treatment ? opts->treatment : "", sizeof p->treatment);
    char *base = g_path_get_basename(j->name);
    char *display = g_filename_display_name(base);
    g_strlcpy(p->original_name, display, sizeof p->original_name);
    g_free(display);
    g_free(base);
    p->capture = j->capture;
    j->data = NULL;
    j->len = 0;
    *out = jb;
    jb = NULL;
    rc = 0;
out:
    if (header)
        g_object_unref(header);
    /* Every failure names its file first, whichever check it came from. */
    if (rc && err && jb && strncmp(err->message, jb->name, strlen(jb->name)) != 0) {
        char msg[sizeof err->message];
        g_strlcpy(msg, err->message, sizeof msg);
        ba_error_set(err, err->code, "%s: %s", jb->name, msg);
    }
    ba_ingest_job_free(jb);
    g_atomic_int_add(&decoding_now, -1);
    return rc;
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
        /* Keep the file's name in front of the catalog's message. */
        if (err && strncmp(err->message, j->name, strlen(j->name)) != 0) {
            char msg[sizeof err->message];
            g_strlcpy(msg, err->message, sizeof msg);
            ba_error_set(err, err->code, "%s: %s", j->name, msg);
        }
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

/* Map @path read-only after checking it is a non-empty regular file. */
static GMappedFile *map_input(const char *path, ba_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        ba_error_set(err, e == ENOENT ? BA_ERR_NOT_FOUND : BA_ERR_IO, "%s: cannot open: %s", path,
                     g_strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ba_error_set(err, BA_ERR_FORMAT, "%s: not a regular file%s", path,
                     S_ISDIR(st.st_mode) ? " (it is a folder)" : "");
        close(fd);
        return NULL;
    }
    if (st.st_size == 0) {
        close(fd);
        ba_error_set(err, BA_ERR_FORMAT, "%s: empty file", path);
        return NULL;
    }
    /* Map, don't copy: the bytes we hash are exactly the bytes we decode. */
    GError *gerr = NULL;
    GMappedFile *map = g_mapped_file_new_from_fd(fd, FALSE, &gerr);
    close(fd);
    if (!map) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot read: %s", path, gerr->message);
        g_error_free(gerr);
    }
    return map;
}

int ba_ingest_prepare(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                      ba_ingest_job **job_out, ba_ingest_result *result, ba_error *err)
{
    *job_out = NULL;
    memset(result, 0, sizeof *result);
    GMappedFile *map = map_input(path, err);
    if (!map)
        return -1;
    int rc = ba_ingest_prepare_buffer(cat, path,
                                      (const unsigned char *)g_mapped_file_get_contents(map),
                                      g_mapped_file_get_length(map), opts, job_out, result, err);
    g_mapped_file_unref(map);
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
    GMappedFile *map = map_input(path, err);
    if (!map)
        return -1;
    job j = {.name = path,
             .data = (const unsigned char *)g_mapped_file_get_contents(map),
             .len = g_mapped_file_get_length(map)};
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
            /* The pixels come from the mapping: it lives as long as the image. */
            g_object_set_data_full(G_OBJECT(*out), "ba-mapped-file", g_mapped_file_ref(map),
                                   (GDestroyNotify)g_mapped_file_unref);
            rc = 0;
        }
    }
    if (header)
        g_object_unref(header);
    g_mapped_file_unref(map);
    return rc;
}

int ba_ingest_open_master(const char *library_dir, const char *master_sha256, VipsImage **out,
                          ba_error *err)
{
    char rel[96];
    ba_catalog_master_relpath(master_sha256, rel, sizeof rel);
    char *path = g_build_filename(library_dir, rel, NULL);
    *out = vips_image_new_from_file(path, "access", VIPS_ACCESS_RANDOM, "fail_on",
                                    VIPS_FAIL_ON_TRUNCATED, NULL);
    if (!*out) {
        char *why = take_vips_error();
        ba_error_set(err, g_file_test(path, G_FILE_TEST_EXISTS) ? BA_ERR_CORRUPT : BA_ERR_NOT_FOUND,
                     "%s: cannot open the master: %s", path, why);
        g_free(why);
        g_free(path);
        return -1;
    }
    g_free(path);
    return 0;
}

int ba_ingest_clean_tmp(ba_catalog *cat)
{
    char *tmpdir = g_build_filename(ba_catalog_dir(cat), "tmp", NULL);
    GDir *d = g_dir_open(tmpdir, 0, NULL);
    int removed = 0;
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d))) {
            int pid = 0;
            /* ingest-<pid>-XXXXXX.jpg: remove it only when <pid> is gone. */
            if (sscanf(n, "ingest-%d-", &pid) != 1 || pid <= 0)
                continue;
            if (pid == (int)getpid() || kill(pid, 0) == 0 || errno == EPERM)
                continue;
            char *path = g_build_filename(tmpdir, n, NULL);
            if (g_unlink(path) == 0)
                removed++;
            g_free(path);
        }
        g_dir_close(d);
    }
    g_free(tmpdir);
    return removed;
}
