/* Internal interfaces of the compose module, stage by stage: the common crop
 * (crop.c), one photo into a panel (panel.c), text bands and the logo
 * (labels.c), the canvas (layout.c), the public entry points (compose.c) and
 * the ghost overlay (ghost.c).  Not installed. */
#ifndef BA_COMPOSE_INTERNAL_H
#define BA_COMPOSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <vips/vips.h>

#include "beforeafter/compose.h"

/* One photo going into a panel. */
typedef struct cp_source {
    VipsImage *img;       /* full resolution, upright sRGB */
    double m[2][3];       /* photo px -> reference px */
    bool has_photo;       /* a library photo (else a plain file) */
    ba_photo photo;       /* when has_photo */
    ba_capture capture;   /* capture conditions */
    char date[BA_DATE_MAX]; /* session date or EXIF date, "" when unknown */
    const char *name;     /* for messages */
    bool is_master;       /* a library master (JPEG, hash-checked): can be shrunk on load */
    /* ordinal of the photo's session among the client's sessions with a
     * photo of the compared area (1 = the first), 0 when unknown */
    int area_session;
} cp_source;

typedef struct cp_rect {
    double x, y, w, h;
} cp_rect;

/* ---- limits (compose.c) ---------------------------------------------------- */

/* @w x @h against the pixel limit; @what names the image in the message. */
int cp_check_pixels(const char *what, long long w, long long h, ba_error *err);

/* A planned size in px, saturated: a far too large plan stays an int and is
 * refused by the pixel checks instead of overflowing. */
int cp_px(double v);

/* Open @p's master; a missing or unreadable one is BA_ERR_CORRUPT naming the photo. */
int cp_open_master(ba_catalog *cat, const ba_photo *p, VipsImage **img, ba_error *err);

/* ---- crop.c ---------------------------------------------------------------- */

/* The largest axis-aligned rectangle of the reference frame that every
 * aligned photo covers; false when there is none of at least 8 x 8 px. */
bool cp_common_rect(const cp_source *s, int n, cp_rect *out);

/* ---- panel.c --------------------------------------------------------------- */

/* Warp @s so that reference rect @crop fills a @pw x @ph memory panel. */
VipsImage *cp_render_panel(const cp_source *s, const cp_rect *crop, int pw, int ph);
/* Hide the redaction rectangles of @o (reference px) in a memory panel. */
int cp_redact(VipsImage **panel, const cp_rect *crop, const ba_compose_options *o);
/* ---- comparability.c ------------------------------------------------------ */

/* Measure every panel against the reference on the common @crop (colour
 * cast, exposure, sharpness; flash, focal length, view) into
 * @out->comparability, and the warnings their thresholds call for. */
void cp_comparability(const cp_source *s, int n, const cp_rect *crop, ba_comparison *out);
/* @params (the render's parameters, JSON; consumed) with label_before,
 * label_after and the n panels' "comparability" appended (a new string). */
char *cp_parameters_add(char *params, const ba_compose_options *o, const ba_comparison *out,
                        int n);
/* Append a warning to @out (at most BA_COMPOSE_MAX_WARNINGS are kept). */
void cp_warn(ba_comparison *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* ---- labels.c -------------------------------------------------------------- */

/* The labels of the @n panels into @out->labels (stage-aware, @o's
 * label_before/label_after, dates and plurals through the locale), and a
 * warning when the elapsed time looks implausible. */
void cp_labels(const cp_source *s, int n, const ba_compose_options *o, ba_comparison *out);
/* One font size (px) for all the labels of @out: @font_px, or smaller so
 * that each fits on one line of a @w px band (not under 6 px). */
int cp_labels_font(const ba_comparison *out, int n, int w, int font_px);
/* Session ordinals for the client and area (cp_source.area_session) of
 * library photos @s; best effort (0 stays where unknown). */
void cp_area_sessions(ba_catalog *cat, cp_source *s, int n);
/* A w x h band of @bg with @text centred in a contrasting colour. */
VipsImage *cp_text_band(const char *text, int w, int h, const unsigned char bg[3], int font_px);
/* @canvas with the logo in its bottom-right corner at @opacity (a new reference). */
VipsImage *cp_add_logo(VipsImage *canvas, VipsImage *logo, double opacity);

/* ---- layout.c -------------------------------------------------------------- */

/* Render sources @s (transforms filled in) to @output. */
int cp_render(cp_source *s, int n, const ba_compose_options *o, const char *output,
              ba_comparison *out, ba_error *err);

#endif
