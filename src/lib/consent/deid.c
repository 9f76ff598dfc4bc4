/* De-identification geometry: which rectangles of the reference photo to hide. */
#include "beforeafter/consent.h"

#include <glib.h>
#include <math.h>

/* Margins, in units of the distance d between the eye centres (see consent.h). */
#define EYE_BAR_SIDE 0.5   /* beyond each eye centre, horizontally */
#define EYE_BAR_HALF_H 0.3 /* above the higher and below the lower eye centre */
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
    if (mode == BA_DEID_NONE)
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
        if (mode == BA_DEID_HALF_LETTERBOX)
            r.h /= 2;
    }
    if (!clip(&r, width, height)) {
        ba_error_set(err, BA_ERR_USAGE, "eye centres: the region to hide lies outside the photo");
        return -1;
    }
    out[(*n)++] = r;
    return 0;
}
