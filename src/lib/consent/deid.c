/* De-identification geometry: which rectangles of the reference photo to
 * hide, and for an export which eyes (given or detected) and treatment area
 * each comparison's panels rely on. */
#include "beforeafter/consent.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "beforeafter/detect.h"
#include "common/error_prefix.h"
#include "consent/export.h"

/* Margins, in units of the distance d between the eye centres (see consent.h). */
#define EYE_BAR_SIDE 0.5   /* beyond each eye centre, horizontally */
#define EYE_BAR_HALF_H 0.3 /* above the higher and below the lower eye centre */
#define LETTERBOX_HALF_H 0.15 /* half-letterbox: half of that */
#define FACE_HALF_W 1.3    /* face box: each side of the eyes' midpoint */
#define FACE_ABOVE 1.3     /* ... above the eye line (hairline) */
#define FACE_BELOW 2.1     /* ... below it (chin) */
/* The least distance between the eye centres, as a fraction of the width. */
#define EYE_MIN_SPACING 0.03

static bool finite4(const double *v)
{
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

/* Clip @r to the photo; false when nothing of it is left. */
static bool clip(ba_redaction *r, int width, int height)
{
    double x0 = MAX(0.0, r->x), y0 = MAX(0.0, r->y);
    double x1 = MIN((double)width, r->x + r->w), y1 = MIN((double)height, r->y + r->h);
    if (x1 - x0 < 1 || y1 - y0 < 1)
        return false;
    r->x = x0;
    r->y = y0;
    r->w = x1 - x0;
    r->h = y1 - y0;
    return true;
}

int ba_consent_deid_regions(ba_deidentify mode, const double *eyes, const double *face,
                            int width, int height, ba_redaction *out, int max, int *n,
                            ba_error *err)
{
    *n = 0;
    /* crop-to-area and blur-outside hide by the treatment area (export). */
    if (mode == BA_DEID_NONE || mode == BA_DEID_CROP_TO_AREA || mode == BA_DEID_BLUR_OUTSIDE)
        return 0;
    if (max < 1) {
        ba_error_set(err, BA_ERR_USAGE, "no room for a de-identification region");
        return -1;
    }
    if (mode == BA_DEID_BLUR_FACE && face) {
        if (!finite4(face) || face[2] <= 0 || face[3] <= 0) {
            ba_error_set(err, BA_ERR_USAGE, "the face box (x,y,w,h) needs a width and height > 0");
            return -1;
        }
        ba_redaction r = {face[0], face[1], face[2], face[3], BA_REDACT_BLUR};
        if (!clip(&r, width, height)) {
            ba_error_set(err, BA_ERR_USAGE,
                         "the face box %g,%g,%g,%g lies outside the reference photo (%d x %d)",
                         face[0], face[1], face[2], face[3], width, height);
            return -1;
        }
        out[(*n)++] = r;
        return 0;
    }
    if (!eyes) {
        ba_error_set(err, BA_ERR_USAGE,
                     "de-identification %s needs the two eye centres (x1,y1,x2,y2)%s",
                     ba_consent_deid_name(mode), mode == BA_DEID_BLUR_FACE ? " or a face box" : "");
        ba_error_hint(err, BA_HINT_GIVE_EYES);
        return -1;
    }
    if (!finite4(eyes)) {
        ba_error_set(err, BA_ERR_USAGE, "eye centres: coordinates must be finite numbers");
        return -1;
    }
    for (int i = 0; i < 2; i++)
        if (eyes[2 * i] < 0 || eyes[2 * i] >= width || eyes[2 * i + 1] < 0 ||
            eyes[2 * i + 1] >= height) {
            ba_error_set(err, BA_ERR_USAGE,
                         "eye centre %d (%g,%g) lies outside the reference photo (%d x %d)",
                         i + 1, eyes[2 * i], eyes[2 * i + 1], width, height);
            return -1;
        }
    double d = hypot(eyes[2] - eyes[0], eyes[3] - eyes[1]);
    /* Two eye centres of a face in a clinical photo are never a few pixels
     * apart: points that close are a typo, and their bar would hide nothing. */
    double min_d = MAX(4.0, EYE_MIN_SPACING * width);
    if (d < min_d) {
        ba_error_set(err, BA_ERR_USAGE,
                     "eye centres (%g,%g) and (%g,%g) are %.1f px apart, less than %.0f px "
                     "(%.0f %% of the photo's width): give the centres of the two eyes",
                     eyes[0], eyes[1], eyes[2], eyes[3], d, min_d, 100 * EYE_MIN_SPACING);
        return -1;
    }
    double xl = MIN(eyes[0], eyes[2]), xr = MAX(eyes[0], eyes[2]);
    double yt = MIN(eyes[1], eyes[3]), yb = MAX(eyes[1], eyes[3]);
    ba_redaction r;
    if (mode == BA_DEID_BLUR_FACE) {
        double cx = (eyes[0] + eyes[2]) / 2, cy = (eyes[1] + eyes[3]) / 2;
        r = (ba_redaction){cx - FACE_HALF_W * d, cy - FACE_ABOVE * d, 2 * FACE_HALF_W * d,
                           (FACE_ABOVE + FACE_BELOW) * d, BA_REDACT_BLUR};
    } else {
        r = (ba_redaction){xl - EYE_BAR_SIDE * d, yt - EYE_BAR_HALF_H * d,
                           xr - xl + 2 * EYE_BAR_SIDE * d, yb - yt + 2 * EYE_BAR_HALF_H * d,
                           BA_REDACT_BAR};
        if (mode == BA_DEID_HALF_LETTERBOX) {
            /* Half the height, centred on the eye line: the pupils stay
             * under it (the upper half alone ended at the pupils). */
            r.y = yt - LETTERBOX_HALF_H * d;
            r.h = yb - yt + 2 * LETTERBOX_HALF_H * d;
        }
    }
    if (!clip(&r, width, height)) {
        ba_error_set(err, BA_ERR_USAGE, "eye centres: the region to hide lies outside the photo");
        return -1;
    }
    out[(*n)++] = r;
    return 0;
}

/* ---- per comparison, per panel (the export) --------------------------------- */

/* photo px -> reference px */
static void map_point(const double m[2][3], double x, double y, double *ox, double *oy)
{
    *ox = m[0][0] * x + m[0][1] * y + m[0][2];
    *oy = m[1][0] * x + m[1][1] * y + m[1][2];
}

/* Panel @p's photo -> reference matrix as the render will use it. */
static void panel_matrix(const item *it, int p, double m[2][3])
{
    m[0][0] = 1, m[0][1] = 0, m[0][2] = 0, m[1][0] = 0, m[1][1] = 1, m[1][2] = 0;
    if (p == 0)
        return;
    if (it->opts.align && it->has_align[p]) {
        memcpy(m, it->align[p].matrix, sizeof(double) * 6);
        return;
    }
    /* Unaligned: as compose fits each photo's width to the reference's. */
    double f = (double)it->photos[0].width / it->photos[p].width;
    m[0][0] = m[1][1] = f;
    m[0][2] = 0.5 * (f - 1);
    m[1][2] = (it->photos[0].height - it->photos[p].height * f) / 2 + 0.5 * (f - 1);
}

/* The panel's name in messages: "panel 2 (after)". */
static void panel_name(const item *it, int p, char *buf, size_t size)
{
    snprintf(buf, size, "panel %d (%s)", p + 1, it->photos[p].stage);
}

/* Detect on panel @p's master and map what was found into reference px. */
static int detect_panel(job *j, item *it, int p, ba_error *err)
{
    ba_detection d;
    if (ba_detect_photo(j->cat, it->photos[p].id, &d, err)) {
        char name[64];
        panel_name(it, p, name, sizeof name);
        ba_error_prefix(err, "comparison %" G_GINT64_FORMAT ", %s", it->rec.id, name);
        return -1;
    }
    double m[2][3];
    panel_matrix(it, p, m);
    panel_deid *pd = &it->deid[p];
    /* The detector puts pixel centres at integer + 0.5, alignment at integers. */
    if (d.n_eyes == 2) {
        pd->n_eyes = 2;
        pd->detected = true;
        for (int e = 0; e < 2; e++)
            map_point(m, d.eyes[e][0] - 0.5, d.eyes[e][1] - 0.5, &pd->eyes[e][0],
                      &pd->eyes[e][1]);
    }
    if (d.face_found) {
        /* The box of the mapped corners. */
        double x0 = G_MAXDOUBLE, y0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y1 = -G_MAXDOUBLE;
        for (int c = 0; c < 4; c++) {
            double x, y;
            map_point(m, d.face[0] - 0.5 + (c & 1) * d.face[2],
                      d.face[1] - 0.5 + (c >> 1) * d.face[3], &x, &y);
            x0 = MIN(x0, x), y0 = MIN(y0, y), x1 = MAX(x1, x), y1 = MAX(y1, y);
        }
        pd->face_found = true;
        pd->face[0] = x0, pd->face[1] = y0, pd->face[2] = x1 - x0, pd->face[3] = y1 - y0;
    }
    return 0;
}

/* The treatment area of @area from the eye centres (reference px), in units
 * of their distance d from their midpoint; false for an area that cannot be
 * shown without the eyes, or is not on the face. */
static bool area_rect(const char *area, const double eyes[2][2], double out[4])
{
    static const struct {
        const char *area;
        double left, right, top, bottom; /* from the midpoint, in d; y down */
    } AREAS[] = {
        {"forehead", 1.0, 1.0, -1.3, -0.45}, /* above the brows */
        {"glabella", 0.4, 0.4, -0.9, -0.4},  /* between the brows, above the eye line */
        {"cheeks", 1.1, 1.1, 0.35, 1.1},     /* below the eyes to the mouth corners */
        {"lips", 0.75, 0.75, 1.15, 2.0},
    };
    double cx = (eyes[0][0] + eyes[1][0]) / 2, cy = (eyes[0][1] + eyes[1][1]) / 2;
    double d = hypot(eyes[1][0] - eyes[0][0], eyes[1][1] - eyes[0][1]);
    for (size_t i = 0; i < G_N_ELEMENTS(AREAS); i++)
        if (area && strcmp(area, AREAS[i].area) == 0) {
            out[0] = cx - AREAS[i].left * d;
            out[1] = cy + AREAS[i].top * d;
            out[2] = (AREAS[i].left + AREAS[i].right) * d;
            out[3] = (AREAS[i].bottom - AREAS[i].top) * d;
            return true;
        }
    return false;
}

/* Grow @a (x, y, w, h) to hold @b. */
static void unite(ba_redaction *a, const ba_redaction *b)
{
    double x0 = MIN(a->x, b->x), y0 = MIN(a->y, b->y);
    double x1 = MAX(a->x + a->w, b->x + b->w), y1 = MAX(a->y + a->h, b->y + b->h);
    a->x = x0, a->y = y0, a->w = x1 - x0, a->h = y1 - y0;
}

static bool needs_eyes(ba_deidentify mode)
{
    return mode == BA_DEID_EYES || mode == BA_DEID_HALF_LETTERBOX ||
           mode == BA_DEID_BLUR_OUTSIDE || mode == BA_DEID_BLUR_FACE;
}

int ex_deid_plan(job *j, item *it, ba_error *err)
{
    const ba_export_options *o = j->o;
    ba_deidentify mode = j->deid;
    memset(it->deid, 0, sizeof it->deid);
    it->has_roi = it->roi_derived = false;
    it->opts.n_redactions = 0;
    if (mode == BA_DEID_NONE)
        return 0;
    int n = MIN(it->rec.n_photos, BA_COMPOSE_MAX_PANELS);
    const ba_photo *ref = &it->photos[0];
    char name[64];
    /* The eyes of every panel: given (reference px, the same anatomy in
     * every aligned panel) or found on each panel's own master. */
    for (int p = 0; p < n; p++) {
        panel_deid *pd = &it->deid[p];
        if (o->eyes) {
            pd->n_eyes = 2;
            pd->eyes[0][0] = o->eyes[0], pd->eyes[0][1] = o->eyes[1];
            pd->eyes[1][0] = o->eyes[2], pd->eyes[1][1] = o->eyes[3];
        } else if (!(mode == BA_DEID_BLUR_FACE && o->face) && detect_panel(j, it, p, err)) {
            return -1;
        }
        bool enough = pd->n_eyes == 2 || (mode == BA_DEID_BLUR_FACE && (o->face || pd->face_found));
        if (needs_eyes(mode) && !enough) {
            panel_name(it, p, name, sizeof name);
            ba_error_set(err, BA_ERR_REFUSED,
                         "comparison %" G_GINT64_FORMAT ", %s: no eyes found in photo %" G_GINT64_FORMAT
                         ", so the de-identification %s cannot be placed; nothing was written",
                         it->rec.id, name, it->photos[p].id, ba_consent_deid_name(mode));
            ba_error_hint(err, BA_HINT_GIVE_EYES);
            return -1;
        }
    }
    /* The treatment area: given, or from the area and the reference's eyes. */
    if (mode == BA_DEID_CROP_TO_AREA || mode == BA_DEID_BLUR_OUTSIDE) {
        const char *area = o->area ? o->area : ref->area;
        if (o->roi) {
            memcpy(it->roi, o->roi, sizeof it->roi);
        } else if (it->deid[0].n_eyes != 2 ||
                   !area_rect(area, (const double(*)[2])it->deid[0].eyes, it->roi)) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "comparison %" G_GINT64_FORMAT ": the treatment area (%s) cannot be "
                         "derived %s, so %s cannot be placed; nothing was written",
                         it->rec.id, area,
                         it->deid[0].n_eyes != 2 ? "without a face found in panel 1"
                                                 : "from the face for this area",
                         ba_consent_deid_name(mode));
            ba_error_hint(err, BA_HINT_GIVE_ROI);
            return -1;
        } else {
            it->roi_derived = true;
        }
        ba_redaction r = {it->roi[0], it->roi[1], it->roi[2], it->roi[3], BA_REDACT_BLUR_OUTSIDE};
        if (!finite4(it->roi) || it->roi[2] <= 0 || it->roi[3] <= 0 ||
            !clip(&r, ref->width, ref->height)) {
            ba_error_set(err, BA_ERR_USAGE,
                         "comparison %" G_GINT64_FORMAT ": the treatment area %g,%g,%g,%g "
                         "lies outside the reference photo (%d x %d)",
                         it->rec.id, it->roi[0], it->roi[1], it->roi[2], it->roi[3], ref->width,
                         ref->height);
            return -1;
        }
        it->roi[0] = r.x, it->roi[1] = r.y, it->roi[2] = r.w, it->roi[3] = r.h;
        it->has_roi = true;
        if (mode == BA_DEID_CROP_TO_AREA)
            memcpy(it->opts.view, it->roi, sizeof it->roi);
        else
            it->opts.redactions[it->opts.n_redactions++] = r;
        return 0;
    }
    /* Bars and face blurs: one region covering every panel's own. */
    for (int p = 0; p < n; p++) {
        const panel_deid *pd = &it->deid[p];
        double eyes[4] = {pd->eyes[0][0], pd->eyes[0][1], pd->eyes[1][0], pd->eyes[1][1]};
        ba_redaction r[2];
        int k = 0, got = 0;
        if (mode == BA_DEID_BLUR_FACE && !o->face && pd->face_found) {
            r[k] = (ba_redaction){pd->face[0], pd->face[1], pd->face[2], pd->face[3],
                                  BA_REDACT_BLUR};
            if (clip(&r[k], ref->width, ref->height))
                k++;
        }
        if ((pd->n_eyes == 2 || o->face) &&
            ba_consent_deid_regions(mode, pd->n_eyes == 2 && !o->face ? eyes : NULL, o->face,
                                    ref->width, ref->height, &r[k], 1, &got, err)) {
            panel_name(it, p, name, sizeof name);
            ba_error_prefix(err, "comparison %" G_GINT64_FORMAT ", %s", it->rec.id, name);
            return -1;
        }
        k += got;
        for (int i = 0; i < k; i++) {
            if (it->opts.n_redactions == 0)
                it->opts.redactions[it->opts.n_redactions++] = r[i];
            else
                unite(&it->opts.redactions[0], &r[i]);
        }
    }
    return 0;
}

static void add_point(JsonBuilder *b, double x, double y)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "x");
    json_builder_add_double_value(b, round(x * 10) / 10);
    json_builder_set_member_name(b, "y");
    json_builder_add_double_value(b, round(y * 10) / 10);
    json_builder_end_object(b);
}

void ex_deid_manifest(JsonBuilder *b, const job *j, const item *it)
{
    json_builder_set_member_name(b, "deidentification");
    if (j->deid == BA_DEID_NONE) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "mode");
    json_builder_add_string_value(b, ba_consent_deid_name(j->deid));
    json_builder_set_member_name(b, "region");
    if (it->has_roi) {
        json_builder_begin_object(b);
        const char *names[] = {"x", "y", "width", "height"};
        for (int i = 0; i < 4; i++) {
            json_builder_set_member_name(b, names[i]);
            json_builder_add_double_value(b, round(it->roi[i] * 10) / 10);
        }
        json_builder_set_member_name(b, "source");
        json_builder_add_string_value(b, it->roi_derived ? "derived from the area and the eyes"
                                                         : "given");
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_set_member_name(b, "panels");
    json_builder_begin_array(b);
    for (int p = 0; p < it->out.n_photos; p++) {
        const panel_deid *pd = &it->deid[p];
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "panel");
        json_builder_add_int_value(b, p + 1);
        json_builder_set_member_name(b, "eyes");
        json_builder_begin_array(b);
        for (int e = 0; e < pd->n_eyes; e++)
            add_point(b, pd->eyes[e][0], pd->eyes[e][1]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "eyes_source");
        json_builder_add_string_value(b, pd->n_eyes == 0 ? "none found"
                                         : pd->detected  ? "detected"
                                                         : "given");
        json_builder_set_member_name(b, "coverage");
        json_builder_add_double_value(b, round(pd->measured * 1000) / 1000);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}
