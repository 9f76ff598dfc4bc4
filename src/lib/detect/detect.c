/* Faces and eyes: the face on a small grey working copy, the eyes in the
 * upper part of the face at a fixed face width, the pair chosen by geometry
 * (detect.h says how, and how the confidences are derived). */
#include "beforeafter/beforeafter.h"
#include "beforeafter/detect.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "detect/internal.h"
#include "detect/loaded.h"
#include "ingest/load.h"

#define FACE_WORK_EDGE 640   /* long edge of the face search's working copy, px */
#define EYE_FACE_WIDTH 300.0 /* the face's width in the eye search, px */
#define MAX_FACES 16
#define MAX_EYES 24
#define DETECT_MAX_EDGE 1600 /* images are reduced to this long edge before detecting */

/* Below this many neighbours a face needs a pair of eyes of at least this
 * eyes_confidence to count. */
#define WEAK_FACE_NEIGHBOURS 12
#define WEAK_FACE_MIN_EYES 0.03

/* Pair geometry (fractions of the face width, degrees). */
#define PAIR_MIN_DIST 0.25
#define PAIR_MAX_DIST 0.65
#define PAIR_BEST_DIST 0.42
#define PAIR_MAX_TILT_DEG 20.0
#define PAIR_MAX_SIZE_RATIO 1.7

/* ---- cascades ----------------------------------------------------------- */

static char *cascade_path(const char *name)
{
    return strchr(name, '/') ? g_strdup(name) : g_build_filename(DT_CASCADE_DIR, name, NULL);
}

static dt_cascade *load_one(const char *name, ba_error *err)
{
    char *path = cascade_path(name);
    dt_cascade *c = NULL;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        ba_error_set(err, BA_ERR_NOT_FOUND,
                     "%s: the detector's cascade file is missing (Debian package opencv-data)",
                     path);
    } else {
        char why[256] = "";
        c = dt_cascade_load(path, why, sizeof why);
        if (!c)
            ba_error_set(err, BA_ERR_CORRUPT, "%s: %s (Debian package opencv-data)", path, why);
    }
    g_free(path);
    return c;
}

int dt_cascades_load(const char *face, const char *eye, dt_cascades *out, ba_error *err)
{
    out->face = load_one(face, err);
    if (!out->face)
        return -1;
    out->eye = load_one(eye, err);
    if (!out->eye) {
        dt_cascade_free(out->face);
        out->face = NULL;
        return -1;
    }
    return 0;
}

void dt_cascades_free(dt_cascades *cs)
{
    dt_cascade_free(cs->face);
    dt_cascade_free(cs->eye);
    cs->face = cs->eye = NULL;
}

/* The process's cascades, loaded once (a failure is remembered and given to
 * every caller: the files do not appear while the process runs). */
static dt_cascades g_cascades;
static ba_error g_load_error;

static gpointer load_default(gpointer unused)
{
    (void)unused;
    const char *face = DT_FACE_CASCADE, *eye = DT_EYE_CASCADE;
#ifdef BA_TEST_HOOKS
    /* Test builds only: BA_TEST_CASCADES=FACE.xml:EYE.xml (paths, or names in
     * DT_CASCADE_DIR) for the benchmark's comparison of cascades and the
     * tests of a missing file. */
    char **pair = NULL;
    const char *env = g_getenv("BA_TEST_CASCADES");
    if (env && *env) {
        pair = g_strsplit(env, ":", 2);
        if (pair[0] && pair[1]) {
            face = pair[0];
            eye = pair[1];
        }
    }
#endif
    ba_error_clear(&g_load_error);
    int rc = dt_cascades_load(face, eye, &g_cascades, &g_load_error);
#ifdef BA_TEST_HOOKS
    g_strfreev(pair);
#endif
    return GINT_TO_POINTER(rc == 0 ? 1 : 2);
}

static dt_cascades *default_cascades(ba_error *err)
{
    static GOnce once = G_ONCE_INIT;
    if (GPOINTER_TO_INT(g_once(&once, load_default, NULL)) != 1) {
        ba_error_copy(err, &g_load_error);
        return NULL;
    }
    return &g_cascades;
}

/* ---- choosing ------------------------------------------------------------- */

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* The plausibility (0..1, 0 = impossible) of boxes @a (left) and @b as the
 * eyes of face @f. */
static double pair_plausibility(const dt_box *a, const dt_box *b, const double f[4])
{
    double ax = a->x + a->w / 2, ay = a->y + a->h / 2, bx = b->x + b->w / 2, by = b->y + b->h / 2;
    double dx = bx - ax, dy = by - ay;
    if (dx <= 0)
        return 0;
    double ratio = MAX(a->w, b->w) / MIN(a->w, b->w);
    double tilt = fabs(atan2(dy, dx)) * 180 / G_PI;
    double dist = hypot(dx, dy) / f[2];
    double cx = f[0] + f[2] / 2;
    if (ratio > PAIR_MAX_SIZE_RATIO || tilt > PAIR_MAX_TILT_DEG || dist < PAIR_MIN_DIST ||
        dist > PAIR_MAX_DIST || ax > cx + 0.05 * f[2] || bx < cx - 0.05 * f[2])
        return 0;
    double span = dist < PAIR_BEST_DIST ? PAIR_BEST_DIST - PAIR_MIN_DIST
                                        : PAIR_MAX_DIST - PAIR_BEST_DIST;
    return clamp01(1 - fabs(dist - PAIR_BEST_DIST) / span) *
           clamp01(1 - tilt / PAIR_MAX_TILT_DEG) *
           clamp01(1 - (ratio - 1) / (PAIR_MAX_SIZE_RATIO - 1) * 0.5);
}

static double eye_hits(const dt_box *e)
{
    return clamp01(e->neighbours / 20.0);
}

/* A single eye where one belongs in face @f: beside the centre line, in the
 * upper half. */
static bool single_plausible(const dt_box *e, const double f[4])
{
    double off = fabs(e->x + e->w / 2 - (f[0] + f[2] / 2)) / f[2];
    double y = (e->y + e->h / 2 - f[1]) / f[3];
    return off >= 0.08 && off <= 0.35 && y >= 0.2 && y <= 0.55 && e->w <= 0.35 * f[2];
}

static void put_eye(ba_detection *out, int i, const dt_box *e, double k)
{
    out->eyes[i][0] = (e->x + e->w / 2) / k;
    out->eyes[i][1] = (e->y + e->h / 2) / k;
    out->eye_radius[i] = e->w / 2 / k;
}

static void choose_eyes(const dt_box *eyes, int n, const double face[4], double k,
                        ba_detection *out)
{
    double best = 0;
    int bi = -1, bj = -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (i == j)
                continue;
            double s = pair_plausibility(&eyes[i], &eyes[j], face) *
                       MIN(eye_hits(&eyes[i]), eye_hits(&eyes[j]));
            if (s > best) {
                best = s;
                bi = i;
                bj = j;
            }
        }
    if (bi >= 0) {
        out->n_eyes = 2;
        put_eye(out, 0, &eyes[bi], k);
        put_eye(out, 1, &eyes[bj], k);
        out->eyes_confidence = best;
        return;
    }
    /* A single eye only in a well-supported face: on a weak one (a pattern
     * in coins) a lone eye-like box is more likely noise than an eye. */
    if (out->face_confidence < 0.5)
        return;
    for (int i = 0; i < n; i++) /* most neighbours first */
        if (single_plausible(&eyes[i], face)) {
            out->n_eyes = 1;
            put_eye(out, 0, &eyes[i], k);
            out->eyes_confidence = 0.5 * eye_hits(&eyes[i]);
            return;
        }
}

/* ---- detecting ------------------------------------------------------------ */

static int cv_failed(ba_error *err, const char *why)
{
    ba_error_set(err, BA_ERR_INTERNAL, "face detection failed: %s", why);
    return -1;
}

int dt_detect_with(dt_cascades *cs, const unsigned char *pixels, int width, int height,
                   int bands, size_t stride, ba_detection *out, ba_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!pixels || !out || width < 16 || height < 16 || width > 65535 || height > 65535 ||
        (bands != 3 && bands != 4) || stride < (size_t)width * (size_t)bands) {
        ba_error_set(err, BA_ERR_USAGE,
                     "face detection needs 8-bit RGB or RGBA pixels of at least 16x16 "
                     "(got %dx%d, %d bands)", width, height, bands);
        return -1;
    }
    char why[256] = "";
    /* The face, on a grey copy whose long edge is at most FACE_WORK_EDGE. */
    double k = MIN(1.0, (double)FACE_WORK_EDGE / MAX(width, height));
    int gw = MAX(16, (int)lround(width * k)), gh = MAX(16, (int)lround(height * k));
    double kx = (double)gw / width, ky = (double)gh / height;
    unsigned char *grey = dt_grey(pixels, width, height, bands, stride, gw, gh, why, sizeof why);
    if (!grey)
        return cv_failed(err, why);
    dt_box faces[MAX_FACES];
    int whole[4] = {0, 0, gw, gh};
    int short_edge = MIN(gw, gh);
    int nf = dt_cascade_find(cs->face, grey, gw, gh, whole, 1.0, MAX(24, 0.1 * short_edge),
                             short_edge, 3, faces, MAX_FACES, why, sizeof why);
    free(grey);
    if (nf < 0)
        return cv_failed(err, why);
    /* The face with the most neighbours (dt_cascade_find() sorts them so): a
     * spurious box on a background pattern can be larger, never as strongly
     * supported (the astronaut's suit: 4-11 against 56-86). */
    if (nf == 0)
        return 0;
    int fi = 0;
    out->face_found = true;
    out->face[0] = faces[fi].x / kx;
    out->face[1] = faces[fi].y / ky;
    out->face[2] = faces[fi].w / kx;
    out->face[3] = faces[fi].h / ky;
    out->face_confidence = clamp01(faces[fi].neighbours / 40.0);

    /* The eyes, in the face's upper part, where the face is EYE_FACE_WIDTH
     * wide: a grey copy at that scale (never enlarged; the search enlarges
     * its region instead). */
    double e = EYE_FACE_WIDTH / out->face[2];
    double ge = MIN(1.0, e);
    int ew = MAX(16, (int)lround(width * ge)), eh = MAX(16, (int)lround(height * ge));
    grey = dt_grey(pixels, width, height, bands, stride, ew, eh, why, sizeof why);
    if (!grey)
        return cv_failed(err, why);
    double gx = (double)ew / width, gy = (double)eh / height, g = (gx + gy) / 2;
    double f[4] = {out->face[0] * gx, out->face[1] * gy, out->face[2] * gx, out->face[3] * gy};
    int roi[4] = {(int)floor(f[0]), (int)floor(f[1] + 0.12 * f[3]), (int)ceil(f[2]),
                  (int)ceil(0.5 * f[3])};
    dt_box eyes[MAX_EYES];
    int ne = dt_cascade_find(cs->eye, grey, ew, eh, roi, e / ge, 0.13 * f[2], 0.4 * f[2], 3, eyes,
                             MAX_EYES, why, sizeof why);
    free(grey);
    if (ne < 0)
        return cv_failed(err, why);
    choose_eyes(eyes, ne, f, g, out);
    /* A weakly supported face counts only with a pair of eyes in it: the
     * spurious faces of the benchmark's negatives (coffee 4, coins 8
     * neighbours) have none, a face turned 15 degrees (9) has both. */
    if (faces[fi].neighbours < WEAK_FACE_NEIGHBOURS &&
        !(out->n_eyes == 2 && out->eyes_confidence >= WEAK_FACE_MIN_EYES)) {
        memset(out, 0, sizeof *out);
    }
    return 0;
}

int ba_detect_rgb(const unsigned char *pixels, int width, int height, int bands, size_t stride,
                  ba_detection *out, ba_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    dt_cascades *cs = default_cascades(err);
    if (!cs)
        return -1;
    return dt_detect_with(cs, pixels, width, height, bands, stride, out, err);
}

int dt_detect_image(VipsImage *img, int full_w, int full_h, const char *name,
                    ba_detection *out, ba_error *err)
{
    VipsImage *work = NULL, *t = NULL;
    int rc = -1;
    double scale = MIN(1.0, (double)DETECT_MAX_EDGE / MAX(img->Xsize, img->Ysize));
    g_object_ref(img);
    work = img;
    if (scale < 1.0) {
        if (vips_resize(work, &t, scale, NULL))
            goto vips_failed;
        g_object_unref(work);
        work = t;
    }
    if (work->Bands != 3 && work->Bands != 4) {
        if (vips_colourspace(work, &t, VIPS_INTERPRETATION_sRGB, NULL))
            goto vips_failed;
        g_object_unref(work);
        work = t;
    }
    if (work->BandFmt != VIPS_FORMAT_UCHAR) {
        if (vips_cast_uchar(work, &t, NULL))
            goto vips_failed;
        g_object_unref(work);
        work = t;
    }
    size_t len = 0;
    unsigned char *px = vips_image_write_to_memory(work, &len);
    if (!px)
        goto vips_failed;
    int w = work->Xsize, h = work->Ysize, bands = work->Bands;
    rc = ba_detect_rgb(px, w, h, bands, (size_t)w * bands, out, err);
    g_free(px);
    if (rc == 0) {
        double sx = (double)full_w / w, sy = (double)full_h / h;
        out->face[0] *= sx;
        out->face[1] *= sy;
        out->face[2] *= sx;
        out->face[3] *= sy;
        for (int i = 0; i < out->n_eyes; i++) {
            out->eyes[i][0] *= sx;
            out->eyes[i][1] *= sy;
            out->eye_radius[i] *= sx;
        }
    }
    g_object_unref(work);
    return rc;
vips_failed: {
        char *msg = vips_error_buffer_copy();
        g_strchomp(msg);
        ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot decode it for face detection: %s", name,
                     msg);
        g_free(msg);
        g_object_unref(work);
        return -1;
    }
}

int ba_detect_photo(ba_catalog *cat, int64_t photo_id, ba_detection *out, ba_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!cat || !out) {
        ba_error_set(err, BA_ERR_USAGE, "ba_detect_photo: missing argument");
        return -1;
    }
    ba_photo p;
    if (ba_catalog_photo_get(cat, photo_id, &p, err))
        return -1;
    char name[48];
    g_snprintf(name, sizeof name, "photo %" G_GINT64_FORMAT, photo_id);
    if (p.master_problem[0]) {
        ba_error_set(err, BA_ERR_CORRUPT, "%s: its master is %s", name, p.master_problem);
        return -1;
    }
    VipsImage *master = NULL;
    if (ba_ingest_open_master(ba_catalog_dir(cat), p.master_sha256, &master, err))
        return -1;
    int full_w = master->Xsize, full_h = master->Ysize;
    /* A large master decoded at 1/2, 1/4 or 1/8 by libjpeg, from the bytes
     * whose hash was checked. */
    double s = (double)DETECT_MAX_EDGE / MAX(full_w, full_h);
    int shrink = s <= 0.125 ? 8 : s <= 0.25 ? 4 : s <= 0.5 ? 2 : 1;
    VipsImage *img = master;
    if (shrink > 1) {
        VipsImage *small = NULL;
        if (ba_ingest_master_shrink(master, shrink, VIPS_ACCESS_SEQUENTIAL, &small) == 0) {
            img = small;
            g_object_unref(master);
        } else {
            vips_error_clear(); /* decode it whole */
        }
    }
    int rc = dt_detect_image(img, full_w, full_h, name, out, err);
    g_object_unref(img);
    return rc;
}

int ba_detect_file(const char *path, double max_megapixels, ba_detection *out, ba_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out) {
        ba_error_set(err, BA_ERR_USAGE, "ba_detect_file: missing argument");
        return -1;
    }
    VipsImage *img = NULL;
    if (ba_ingest_load(path, max_megapixels, &img, NULL, err))
        return -1;
    int rc = dt_detect_image(img, img->Xsize, img->Ysize, path, out, err);
    g_object_unref(img);
    return rc;
}

bool ba_detect_area_is_facial(const char *area)
{
    static const char *const FACIAL[] = {
        "face",     "forehead",    "glabella",         "frown-lines", "crows-feet",
        "cheeks",   "lips",        "under-eyes",       "tear-troughs", "nose",
        "chin",     "jawline",     "nasolabial-folds", "marionette-lines", "temples",
        "eyebrows", "eyelids",     "perioral",
    };
    if (!area)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(FACIAL); i++)
        if (g_ascii_strcasecmp(area, FACIAL[i]) == 0)
            return true;
    return false;
}

bool ba_detect_face_box(const ba_detection *d, double grow, int width, int height,
                        double box[4])
{
    if (!d || !d->face_found || !box)
        return false;
    double gw = d->face[2] * grow / 2, gh = d->face[3] * grow / 2;
    double x0 = MAX(0.0, d->face[0] - gw), y0 = MAX(0.0, d->face[1] - gh);
    double x1 = MIN((double)width, d->face[0] + d->face[2] + gw);
    double y1 = MIN((double)height, d->face[1] + d->face[3] + gh);
    if (x1 <= x0 || y1 <= y0)
        return false;
    box[0] = x0;
    box[1] = y0;
    box[2] = x1 - x0;
    box[3] = y1 - y0;
    return true;
}
