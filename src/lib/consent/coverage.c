/* De-identification measured on the output: after an export has rendered a
 * comparison, every panel's target (its eyes, its face) is mapped into the
 * pixels of the file written and looked at there.  A bar must be the bar's
 * colour over both eyes; a blur must have left far less fine detail than the
 * same area of the unredacted render has; a crop to the treatment area must
 * show no eye.  Geometry alone is not trusted: a bug in drawing fails here.
 * Thresholds are in docs/CONSENT.md ("What is measured"). */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

#include "beforeafter/detect.h"
#include "compose/loaded.h"
#include "consent/export.h"

/* A bar pixel: every channel at most this (the bar is black; lossy formats
 * ring a little). */
#define BAR_MAX 24
/* Of the pixels around each eye centre, at least this fraction bar-coloured. */
#define BAR_MIN_FRACTION 0.98
/* Around each eye centre, in units of the eye distance d (output px): the
 * eye opening (eyes) or the pupil and iris (half-letterbox). */
#define EYE_BOX_HALF_W 0.25
#define EYE_BOX_HALF_H 0.15
#define PUPIL_BOX_HALF 0.1
/* A blurred area keeps at most this fraction of the fine detail (mean
 * squared Laplacian of the grey) of the same area unredacted ... */
#define BLUR_MAX_RATIO 0.10
/* ... or, where the unredacted area has almost none, at most this. */
#define DETAIL_FLOOR 2.0
/* A face box is measured inside this margin of its edges (the seam between
 * blurred and sharp pixels is detail). */
#define FACE_INSET 0.1

typedef struct pixels {
    unsigned char *px; /* RGB, rows w * 3 bytes apart */
    int w, h;
} pixels;

typedef struct box {
    int x0, y0, x1, y1; /* [x0, x1) x [y0, y1) */
} box;

static int decode(const char *path, pixels *out, ba_error *err)
{
    /* Our own file, just written into the export's temporary folder. */
    VipsImage *in = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    VipsImage *flat = NULL, *rgb = NULL, *u8 = NULL;
    int bad = !in || (in->Bands == 4 || in->Bands == 2 ? vips_flatten(in, &flat, NULL)
                                                       : vips_copy(in, &flat, NULL)) ||
              vips_colourspace(flat, &rgb, VIPS_INTERPRETATION_sRGB, NULL) ||
              vips_cast_uchar(rgb, &u8, NULL);
    size_t size = 0;
    if (!bad) {
        out->px = vips_image_write_to_memory(u8, &size);
        out->w = u8->Xsize;
        out->h = u8->Ysize;
        bad = !out->px || u8->Bands != 3;
    }
    VipsImage *all[] = {in, flat, rgb, u8};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        if (all[i])
            g_object_unref(all[i]);
    if (bad) {
        char *why = vips_error_buffer_copy();
        ba_error_set(err, BA_ERR_INTERNAL, "%s: cannot read the rendered image back: %s", path,
                     why);
        g_free(why);
        g_free(out->px);
        out->px = NULL;
        return -1;
    }
    return 0;
}

/* Fraction of the box's pixels that are bar-coloured. */
static double bar_fraction(const pixels *c, box b)
{
    long n = 0, dark = 0;
    for (int y = b.y0; y < b.y1; y++)
        for (int x = b.x0; x < b.x1; x++) {
            const unsigned char *q = c->px + ((size_t)y * c->w + x) * 3;
            n++;
            dark += q[0] <= BAR_MAX && q[1] <= BAR_MAX && q[2] <= BAR_MAX;
        }
    return n ? (double)dark / n : 0;
}

static double grey(const pixels *c, int x, int y)
{
    const unsigned char *q = c->px + ((size_t)y * c->w + x) * 3;
    return 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
}

/* Fine detail: the mean squared 4-neighbour Laplacian of the grey inside the box. */
static double detail(const pixels *c, box b)
{
    double sum = 0;
    long n = 0;
    for (int y = MAX(1, b.y0); y < MIN(c->h - 1, b.y1); y++)
        for (int x = MAX(1, b.x0); x < MIN(c->w - 1, b.x1); x++) {
            double l = grey(c, x - 1, y) + grey(c, x + 1, y) + grey(c, x, y - 1) +
                       grey(c, x, y + 1) - 4 * grey(c, x, y);
            sum += l * l;
            n++;
        }
    return n ? sum / n : 0;
}

/* One panel's geometry: reference px -> output px. */
typedef struct panel_map {
    double x0, y0, kx, ky, cx, cy;
    box rect;
} panel_map;

static panel_map panel_of(const item *it, int p)
{
    const int *r = it->out.panels[p];
    const double *c = it->out.crop;
    panel_map m = {r[0], r[1], r[2] / c[2], r[3] / c[3], c[0], c[1],
                   {r[0], r[1], r[0] + r[2], r[1] + r[3]}};
    return m;
}

static void to_output(const panel_map *m, double x, double y, double *ox, double *oy)
{
    *ox = m->x0 + (x - m->cx) * m->kx;
    *oy = m->y0 + (y - m->cy) * m->ky;
}

/* A box of half-size hx, hy around (x, y), clipped to @clip (may end empty). */
static box around(double x, double y, double hx, double hy, box clip)
{
    box b = {(int)floor(x - hx), (int)floor(y - hy), (int)ceil(x + hx) + 1,
             (int)ceil(y + hy) + 1};
    b.x0 = MAX(b.x0, clip.x0), b.y0 = MAX(b.y0, clip.y0);
    b.x1 = MIN(b.x1, clip.x1), b.y1 = MIN(b.y1, clip.y1);
    return b;
}

static bool empty(box b)
{
    return b.x1 <= b.x0 || b.y1 <= b.y0;
}

static bool inside(box b, double x, double y)
{
    return x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1;
}

/* How much of the detail of @src the same box of @out kept (0 = none). */
static double blur_ratio(const pixels *out, const pixels *src, box b)
{
    double d_out = detail(out, b), d_src = detail(src, b);
    if (d_src <= DETAIL_FLOOR)
        return d_out <= DETAIL_FLOOR ? 0 : 1;
    return d_out / d_src;
}

/* The unredacted render of @it, for the blur measures: into the export's
 * temporary folder (removed with it whatever happens), read, removed. */
static int render_source(job *j, item *it, pixels *src, ba_error *err)
{
    ba_compose_options o = it->opts;
    o.n_redactions = 0;
    char name[32];
    snprintf(name, sizeof name, "source-%d.png", it->n);
    char *path = g_build_filename(j->tmpdir, name, NULL);
    const ba_alignment *aligns[BA_COMPOSE_MAX_PANELS] = {NULL};
    for (int p = 1; p < BA_COMPOSE_MAX_PANELS; p++)
        aligns[p] = it->has_align[p] ? &it->align[p] : NULL;
    ba_comparison out;
    int rc = ba_compose_loaded(j->cat, it->photos, aligns, it->rec.n_photos, &o, path, &out, err);
    if (rc == 0)
        rc = decode(path, src, err);
    g_unlink(path);
    g_free(path);
    if (rc == 0 && memcmp(out.panels, it->out.panels, sizeof out.panels) != 0) {
        ba_error_set(err, BA_ERR_INTERNAL, "the unredacted render of comparison %" G_GINT64_FORMAT
                     " has another layout", it->rec.id);
        rc = -1;
    }
    return rc;
}

static int refuse(const item *it, int p, ba_error *err, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static int refuse(const item *it, int p, ba_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ba_error_set(err, BA_ERR_REFUSED,
                 "comparison %" G_GINT64_FORMAT ", panel %d (%s): %s; nothing was written",
                 it->rec.id, p + 1, it->photos[p].stage, what);
    g_free(what);
    return -1;
}

/* Eye @e of panel @p in output px (@x, @y): 1 when the panel shows it; 0
 * when it was detected on the master outside what is shown (nothing to
 * hide); given eyes outside it are refused (-1): they cannot be the eyes in
 * the photo, and hiding them would hide nothing. */
/* The distance between panel @pd's eyes in output pixels (the measuring boxes scale with it). */
static double eye_distance(const panel_deid *pd, const panel_map *m)
{
    return hypot(pd->eyes[1][0] - pd->eyes[0][0], pd->eyes[1][1] - pd->eyes[0][1]) * m->kx;
}

static int eye_shown(const item *it, int p, int e, const panel_map *m, double *x, double *y,
                     ba_error *err)
{
    const panel_deid *pd = &it->deid[p];
    to_output(m, pd->eyes[e][0], pd->eyes[e][1], x, y);
    if (inside(m->rect, *x, *y))
        return 1;
    if (pd->detected)
        return 0;
    return refuse(it, p, err,
                  "the eyes are not covered: eye %d (%g,%g) lies outside the part of the photo "
                  "shown, so these cannot be the eyes in it",
                  e + 1, pd->eyes[e][0], pd->eyes[e][1]);
}

/* The eyes of panel @p under the bar. */
static int check_bar(const job *j, item *it, int p, const pixels *c, ba_error *err)
{
    panel_deid *pd = &it->deid[p];
    panel_map m = panel_of(it, p);
    double d = eye_distance(pd, &m);
    bool half = j->deid == BA_DEID_HALF_LETTERBOX;
    double hx = MAX(1.0, (half ? PUPIL_BOX_HALF : EYE_BOX_HALF_W) * d);
    double hy = MAX(1.0, (half ? PUPIL_BOX_HALF : EYE_BOX_HALF_H) * d);
    pd->measured = 1;
    for (int e = 0; e < 2; e++) {
        double x, y;
        int shown = eye_shown(it, p, e, &m, &x, &y, err);
        if (shown <= 0) {
            if (shown < 0)
                return -1;
            continue;
        }
        double f = bar_fraction(c, around(x, y, hx, hy, m.rect));
        pd->measured = MIN(pd->measured, f);
        if (f < BAR_MIN_FRACTION)
            return refuse(it, p, err,
                          "the %s not covered: %.0f %% of the pixels around eye %d are the "
                          "bar's colour, not %.0f %%",
                          half ? "pupils are" : "eyes are", 100 * f, e + 1,
                          100 * BAR_MIN_FRACTION);
    }
    return 0;
}

/* The face (blur-face) or the eyes (blur-face, blur-outside) of panel @p blurred. */
static int check_blur(const job *j, item *it, int p, const pixels *c, const pixels *src,
                      ba_error *err)
{
    panel_deid *pd = &it->deid[p];
    panel_map m = panel_of(it, p);
    pd->measured = 0;
    if (j->deid == BA_DEID_BLUR_FACE) {
        /* The face: as given, as detected, or from the eyes. */
        double f[4];
        ba_redaction r;
        int n = 0;
        double eyes[4] = {pd->eyes[0][0], pd->eyes[0][1], pd->eyes[1][0], pd->eyes[1][1]};
        if (j->o->face) {
            memcpy(f, j->o->face, sizeof f);
        } else if (pd->n_eyes == 2 &&
                   ba_consent_deid_regions(BA_DEID_BLUR_FACE, eyes, NULL, it->photos[0].width,
                                           it->photos[0].height, &r, 1, &n, NULL) == 0 &&
                   n == 1) {
            f[0] = r.x, f[1] = r.y, f[2] = r.w, f[3] = r.h;
        } else {
            memcpy(f, pd->face, sizeof f);
        }
        double x0, y0, x1, y1;
        to_output(&m, f[0] + FACE_INSET * f[2], f[1] + FACE_INSET * f[3], &x0, &y0);
        to_output(&m, f[0] + (1 - FACE_INSET) * f[2], f[1] + (1 - FACE_INSET) * f[3], &x1, &y1);
        box b = around((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2, m.rect);
        if (!empty(b)) {
            double ratio = blur_ratio(c, src, b);
            pd->measured = MAX(pd->measured, ratio);
            if (ratio > BLUR_MAX_RATIO)
                return refuse(it, p, err,
                              "the face is not blurred: it keeps %.0f %% of its fine detail, "
                              "more than %.0f %%",
                              100 * ratio, 100 * BLUR_MAX_RATIO);
        }
    }
    if (pd->n_eyes != 2)
        return 0;
    double d = eye_distance(pd, &m);
    for (int e = 0; e < 2; e++) {
        double x, y;
        int shown = eye_shown(it, p, e, &m, &x, &y, err);
        if (shown <= 0) {
            if (shown < 0)
                return -1;
            continue;
        }
        box b = around(x, y, MAX(2.0, EYE_BOX_HALF_W * d), MAX(2.0, EYE_BOX_HALF_H * d), m.rect);
        double ratio = blur_ratio(c, src, b);
        pd->measured = MAX(pd->measured, ratio);
        if (ratio > BLUR_MAX_RATIO)
            return refuse(it, p, err,
                          "the eyes are not covered: eye %d keeps %.0f %% of its fine detail, "
                          "more than %.0f %%",
                          e + 1, 100 * ratio, 100 * BLUR_MAX_RATIO);
    }
    return 0;
}

/* crop-to-area: no eye of panel @p in what it shows, and none found in it. */
static int check_crop(item *it, int p, const pixels *c, ba_error *err)
{
    panel_deid *pd = &it->deid[p];
    panel_map m = panel_of(it, p);
    pd->measured = 0;
    if (pd->n_eyes == 2) {
        double d = eye_distance(pd, &m);
        for (int e = 0; e < 2; e++) {
            double x, y;
            to_output(&m, pd->eyes[e][0], pd->eyes[e][1], &x, &y);
            if (!empty(around(x, y, EYE_BOX_HALF_W * d, EYE_BOX_HALF_H * d, m.rect)))
                return refuse(it, p, err,
                              "an eye is shown: eye %d (%.0f,%.0f) lies in the treatment "
                              "area shown",
                              e + 1, pd->eyes[e][0], pd->eyes[e][1]);
        }
    }
    /* And the detector, run on the panel as written. */
    box r = m.rect;
    if (r.x1 - r.x0 < 16 || r.y1 - r.y0 < 16)
        return 0;
    ba_detection found;
    ba_error e;
    const unsigned char *start = c->px + ((size_t)r.y0 * c->w + r.x0) * 3;
    if (ba_detect_rgb(start, r.x1 - r.x0, r.y1 - r.y0, 3, (size_t)c->w * 3, &found, &e)) {
        *err = e;
        return -1;
    }
    if (found.n_eyes > 0) {
        pd->measured = 1;
        return refuse(it, p, err, "an eye is shown: the detector finds %d in the panel written",
                      found.n_eyes);
    }
    return 0;
}

int ex_coverage_check(job *j, item *it, ba_error *err)
{
    if (j->deid == BA_DEID_NONE)
        return 0;
    pixels out = {0}, src = {0};
    if (decode(it->tmp, &out, err))
        return -1;
    bool blur = j->deid == BA_DEID_BLUR_FACE || j->deid == BA_DEID_BLUR_OUTSIDE;
    int rc = blur ? render_source(j, it, &src, err) : 0;
    for (int p = 0; rc == 0 && p < it->out.n_photos; p++) {
        switch (j->deid) {
        case BA_DEID_EYES:
        case BA_DEID_HALF_LETTERBOX:
            rc = check_bar(j, it, p, &out, err);
            break;
        case BA_DEID_BLUR_FACE:
        case BA_DEID_BLUR_OUTSIDE:
            rc = check_blur(j, it, p, &out, &src, err);
            break;
        case BA_DEID_CROP_TO_AREA:
            rc = check_crop(it, p, &out, err);
            break;
        case BA_DEID_NONE:
            break;
        }
    }
    g_free(out.px);
    g_free(src.px);
    return rc;
}
