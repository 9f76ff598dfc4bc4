/* Comparison images: align, crop to the common field of view, lay out, label, write. */
#include "beforeafter/compose.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "beforeafter/align.h"
#include "beforeafter/library.h"
#include "compose/output.h"
#include "ingest/load.h"

void ba_compose_options_init(ba_compose_options *o)
{
    memset(o, 0, sizeof *o);
    o->labels = BA_LABEL_FULL;
    o->gutter = -1;
    o->background[0] = o->background[1] = o->background[2] = 255;
    o->logo_opacity = 0.6;
    o->align = true;
}

static const char *const LAYOUTS[] = {"side-by-side", "stacked", "timeline", NULL};
static const char *const LABELS[] = {"none", "stage", "date", "full", NULL};

int ba_layout_parse(const char *name)
{
    for (int i = 0; name && LAYOUTS[i]; i++)
        if (strcmp(name, LAYOUTS[i]) == 0)
            return i;
    return -1;
}

int ba_label_style_parse(const char *name)
{
    for (int i = 0; name && LABELS[i]; i++)
        if (strcmp(name, LABELS[i]) == 0)
            return i;
    return -1;
}

/* ---- limits (invariant 7: every output dimension is bounded) ------------- */

static int check_side(const char *what, int px, ba_error *err)
{
    if (px < 0 || px > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE,
                     "a comparison %s of %d px is outside 1..%d px (the largest side of any "
                     "output)",
                     what, px, BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    return 0;
}

/* @w x @h against the pixel limit; @what names the image in the message. */
static int check_pixels(const char *what, long long w, long long h, ba_error *err)
{
    if (w > BA_COMPOSE_MAX_SIDE || h > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE,
                     "%s would be %lld x %lld px; no side may exceed %d px", what, w, h,
                     BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    if (w * h > BA_COMPOSE_MAX_PIXELS) {
        ba_error_set(err, BA_ERR_USAGE,
                     "%s would be %lld x %lld px (%.1f megapixels), over the limit of %lld "
                     "megapixels",
                     what, w, h, (double)(w * h) / 1e6, BA_COMPOSE_MAX_PIXELS / 1000000);
        return -1;
    }
    return 0;
}

static bool redaction_ok(const ba_redaction *r)
{
    /* Rectangles become pixel indices: NaN or infinity would be undefined. */
    return isfinite(r->x) && isfinite(r->y) && isfinite(r->w) && isfinite(r->h) && r->w >= 0 &&
           r->h >= 0 && (r->mode == BA_REDACT_BAR || r->mode == BA_REDACT_BLUR);
}

int ba_compose_options_check(const ba_compose_options *o, ba_error *err)
{
    if ((unsigned)o->layout > BA_LAYOUT_TIMELINE || (unsigned)o->labels > BA_LABEL_FULL) {
        ba_error_set(err, BA_ERR_USAGE, "unknown layout (%d) or label style (%d)",
                     (int)o->layout, (int)o->labels);
        return -1;
    }
    if (check_side("width", o->width, err) || check_side("height", o->height, err))
        return -1;
    if (o->width && o->height && check_pixels("the comparison", o->width, o->height, err))
        return -1;
    if (o->gutter > BA_COMPOSE_MAX_GUTTER) {
        ba_error_set(err, BA_ERR_USAGE, "a gutter of %d px is over the limit of %d px", o->gutter,
                     BA_COMPOSE_MAX_GUTTER);
        return -1;
    }
    if (o->quality < 0 || o->quality > 100) {
        ba_error_set(err, BA_ERR_USAGE, "output quality %d is outside 1..100", o->quality);
        return -1;
    }
    if (!(o->logo_opacity >= 0 && o->logo_opacity <= 1)) {
        ba_error_set(err, BA_ERR_USAGE, "logo opacity %g is not a number in 0..1",
                     o->logo_opacity);
        return -1;
    }
    if (o->n_redactions < 0 || o->n_redactions > BA_COMPOSE_MAX_REDACTIONS) {
        ba_error_set(err, BA_ERR_USAGE, "%d redactions: at most %d are allowed", o->n_redactions,
                     BA_COMPOSE_MAX_REDACTIONS);
        return -1;
    }
    for (int i = 0; i < o->n_redactions; i++)
        if (!redaction_ok(&o->redactions[i])) {
            ba_error_set(err, BA_ERR_USAGE, "redaction %d is not a finite rectangle", i + 1);
            return -1;
        }
    return 0;
}

/* One photo going into a panel. */
typedef struct source {
    VipsImage *img;       /* full resolution, upright sRGB */
    double m[2][3];       /* photo px -> reference px */
    bool has_photo;       /* a library photo (else a plain file) */
    ba_photo photo;       /* when has_photo */
    ba_capture capture;   /* capture conditions */
    char date[BA_DATE_MAX]; /* session date or EXIF date, "" when unknown */
    const char *name;     /* for messages */
    bool is_master;       /* a library master (JPEG, hash-checked): can be shrunk on load */
} source;

typedef struct rect {
    double x, y, w, h;
} rect;

static void warn(ba_comparison *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void warn(ba_comparison *out, const char *fmt, ...)
{
    if (out->n_warnings >= BA_COMPOSE_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->warnings[out->n_warnings++], sizeof out->warnings[0], fmt, ap);
    va_end(ap);
}

static bool invert(const double m[2][3], double inv[2][3])
{
    double det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    if (fabs(det) < 1e-12)
        return false;
    inv[0][0] = m[1][1] / det;
    inv[0][1] = -m[0][1] / det;
    inv[1][0] = -m[1][0] / det;
    inv[1][1] = m[0][0] / det;
    inv[0][2] = -(inv[0][0] * m[0][2] + inv[0][1] * m[1][2]);
    inv[1][2] = -(inv[1][0] * m[0][2] + inv[1][1] * m[1][2]);
    return true;
}

/* Is reference point (x, y) inside every photo? */
static bool covered(const source *s, const double (*inv)[2][3], int n, double x, double y)
{
    for (int i = 0; i < n; i++) {
        double px = inv[i][0][0] * x + inv[i][0][1] * y + inv[i][0][2];
        double py = inv[i][1][0] * x + inv[i][1][1] * y + inv[i][1][2];
        if (px < 0 || py < 0 || px > s[i].img->Xsize - 1 || py > s[i].img->Ysize - 1)
            return false;
    }
    return true;
}

/*
 * The largest axis-aligned rectangle of the reference frame that every
 * aligned photo covers: a coverage mask on a coarse grid, the maximal
 * rectangle of ones in it (histogram method), then shrunk until its corners
 * are exactly covered (the covered region is convex, so corners suffice).
 */
static bool common_rect(const source *s, int n, rect *out)
{
    double(*inv)[2][3] = g_malloc(sizeof(double[2][3]) * (size_t)n);
    for (int i = 0; i < n; i++)
        if (!invert(s[i].m, inv[i])) {
            g_free(inv);
            return false;
        }
    int rw = s[0].img->Xsize, rh = s[0].img->Ysize;
    double cell = MAX(rw, rh) / 256.0;
    if (cell < 1)
        cell = 1;
    int gw = (int)ceil(rw / cell), gh = (int)ceil(rh / cell);
    int *heights = g_new0(int, gw);
    int *stack = g_new(int, gw + 1);
    double best = 0;
    int bx = 0, by = 0, bw = 0, bh = 0;
    for (int gy = 0; gy < gh; gy++) {
        for (int gx = 0; gx < gw; gx++) {
            double x = (gx + 0.5) * cell - 0.5, y = (gy + 0.5) * cell - 0.5;
            heights[gx] = covered(s, (const double(*)[2][3])inv, n, x, y) ? heights[gx] + 1 : 0;
        }
        int top = 0;
        for (int gx = 0; gx <= gw; gx++) {
            int h = gx < gw ? heights[gx] : 0;
            while (top > 0 && heights[stack[top - 1]] >= h) {
                int hh = heights[stack[--top]];
                int left = top > 0 ? stack[top - 1] + 1 : 0;
                double area = (double)hh * (gx - left);
                if (area > best) {
                    best = area;
                    bx = left;
                    bw = gx - left;
                    by = gy - hh + 1;
                    bh = hh;
                }
            }
            stack[top++] = gx;
        }
    }
    g_free(heights);
    g_free(stack);
    if (best <= 0) {
        g_free(inv);
        return false;
    }
    rect r = {bx * cell, by * cell, bw * cell, bh * cell};
    r.w = MIN(r.w, rw - r.x);
    r.h = MIN(r.h, rh - r.y);
    /* Pixel centres run from x to x + w - 1: shrink until all four are covered. */
    for (int tries = 0; tries < 400; tries++) {
        double x0 = r.x, y0 = r.y, x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
        const double(*ci)[2][3] = (const double(*)[2][3])inv;
        if (covered(s, ci, n, x0, y0) && covered(s, ci, n, x1, y0) && covered(s, ci, n, x0, y1) &&
            covered(s, ci, n, x1, y1))
            break;
        double step = MAX(1.0, cell / 4);
        r.x += step;
        r.y += step;
        r.w -= 2 * step;
        r.h -= 2 * step;
        if (r.w < 8 || r.h < 8) {
            g_free(inv);
            return false;
        }
    }
    r.x = ceil(r.x);
    r.y = ceil(r.y);
    r.w = floor(r.w) - 1;
    r.h = floor(r.h) - 1;
    g_free(inv);
    *out = r;
    return r.w >= 8 && r.h >= 8;
}

/* Warp source @s so that reference rect @crop fills a pw x ph panel: one
 * antialiased shrink (vips_resize) then one bicubic affine. */
static VipsImage *render_panel(const source *s, const rect *crop, int pw, int ph)
{
    double k = pw / crop->w; /* reference px -> panel px */
    /* photo -> panel: P = K * (M - crop origin) */
    double p[2][3];
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++)
            p[r][c] = k * s->m[r][c];
    p[0][2] -= k * crop->x;
    p[1][2] -= k * crop->y;
    double scale = sqrt(fabs(p[0][0] * p[1][1] - p[0][1] * p[1][0]));
    VipsImage *src = s->img, *small = NULL, *warped = NULL, *mem = NULL;
    g_object_ref(src);
    /* A JPEG master needed at half size or less: let libjpeg shrink it while
     * decoding (DCT scaling), far cheaper than decoding it whole. */
    int shrink = scale <= 0.125 ? 8 : scale <= 0.25 ? 4 : scale <= 0.5 ? 2 : 1;
    if (s->is_master && shrink > 1) {
        /* From the bytes whose hash was checked, never the file again. */
        VipsImage *dct = NULL;
        if (ba_ingest_master_shrink(s->img, shrink, VIPS_ACCESS_RANDOM, &dct) == 0) {
            /* libjpeg's DCT scaling maps x_small = (x + 0.5) / shrink - 0.5 exactly
             * (libvips floors the size, so the size ratio would be off on odd sizes). */
            double fx = 1.0 / shrink, fy = 1.0 / shrink;
            double q[2][3];
            for (int r = 0; r < 2; r++) {
                q[r][0] = p[r][0] / fx;
                q[r][1] = p[r][1] / fy;
                q[r][2] = p[r][2] + p[r][0] * (0.5 / fx - 0.5) + p[r][1] * (0.5 / fy - 0.5);
            }
            memcpy(p, q, sizeof p);
            scale = sqrt(fabs(p[0][0] * p[1][1] - p[0][1] * p[1][0]));
            g_object_unref(src);
            src = dct;
        } else {
            vips_error_clear();
        }
    }
    if (scale < 0.9) {
        /* Shrink first: x_small = (x + 0.5) f - 0.5, so x = (x_small + 0.5) / f - 0.5. */
        double f = scale * 1.05;
        if (vips_resize(src, &small, f, "kernel", VIPS_KERNEL_LANCZOS3, NULL))
            goto out;
        double fx = (double)small->Xsize / src->Xsize, fy = (double)small->Ysize / src->Ysize;
        double q[2][3];
        for (int r = 0; r < 2; r++) {
            q[r][0] = p[r][0] / fx;
            q[r][1] = p[r][1] / fy;
            q[r][2] = p[r][2] + p[r][0] * (0.5 / fx - 0.5) + p[r][1] * (0.5 / fy - 0.5);
        }
        memcpy(p, q, sizeof p);
        g_object_unref(src);
        src = small;
        small = NULL;
    }
    VipsInterpolate *bicubic = vips_interpolate_new("bicubic");
    VipsArrayInt *area = vips_array_int_newv(4, 0, 0, pw, ph);
    int rc = vips_affine(src, &warped, p[0][0], p[0][1], p[1][0], p[1][1], "odx", p[0][2], "ody",
                         p[1][2], "oarea", area, "interpolate", bicubic, "extend",
                         VIPS_EXTEND_COPY, NULL);
    vips_area_unref(VIPS_AREA(area));
    g_object_unref(bicubic);
    if (rc)
        goto out;
    VipsImage *u8 = NULL;
    if (vips_cast_uchar(warped, &u8, NULL))
        goto out;
    /* Panels are small (output resolution): keep them, they are read twice. */
    mem = vips_image_copy_memory(u8);
    g_object_unref(u8);
out:
    if (src)
        g_object_unref(src);
    if (warped)
        g_object_unref(warped);
    return mem;
}

/* Hide the redaction rectangles (reference px) in a memory panel. */
static int redact(VipsImage **panel, const rect *crop, const ba_compose_options *o)
{
    double k = (*panel)->Xsize / crop->w;
    for (int i = 0; i < o->n_redactions; i++) {
        const ba_redaction *r = &o->redactions[i];
        int x0 = (int)floor((r->x - crop->x) * k), y0 = (int)floor((r->y - crop->y) * k);
        int x1 = (int)ceil((r->x + r->w - crop->x) * k), y1 = (int)ceil((r->y + r->h - crop->y) * k);
        x0 = CLAMP(x0, 0, (*panel)->Xsize);
        y0 = CLAMP(y0, 0, (*panel)->Ysize);
        x1 = CLAMP(x1, 0, (*panel)->Xsize);
        y1 = CLAMP(y1, 0, (*panel)->Ysize);
        if (x1 <= x0 || y1 <= y0)
            continue;
        if (r->mode == BA_REDACT_BAR) {
            double black[3] = {0, 0, 0};
            if (vips_draw_rect(*panel, black, 3, x0, y0, x1 - x0, y1 - y0, "fill", TRUE, NULL))
                return -1;
        } else {
            /* Pixelate coarsely, then blur: nothing of the features survives. */
            VipsImage *part = NULL, *small = NULL, *big = NULL, *soft = NULL, *u8 = NULL;
            int w = x1 - x0, h = y1 - y0;
            double f = 8.0 / MAX(8, MIN(w, h));
            int bad = vips_extract_area(*panel, &part, x0, y0, w, h, NULL) ||
                      vips_resize(part, &small, f, NULL) ||
                      vips_resize(small, &big, (double)w / small->Xsize, "vscale",
                                  (double)h / small->Ysize, "kernel", VIPS_KERNEL_NEAREST, NULL) ||
                      vips_gaussblur(big, &soft, MAX(2.0, MIN(w, h) / 16.0), NULL) ||
                      vips_cast_uchar(soft, &u8, NULL) ||
                      vips_draw_image(*panel, u8, x0, y0, NULL);
            VipsImage *all[] = {part, small, big, soft, u8};
            for (size_t j = 0; j < G_N_ELEMENTS(all); j++)
                if (all[j])
                    g_object_unref(all[j]);
            if (bad)
                return -1;
        }
    }
    return 0;
}

/* Mean relative luminance (CIE Y) of a panel. */
static double mean_luminance(VipsImage *panel)
{
    VipsImage *xyz = NULL, *y = NULL;
    double avg = -1;
    if (vips_colourspace(panel, &xyz, VIPS_INTERPRETATION_XYZ, NULL) == 0 &&
        vips_extract_band(xyz, &y, 1, NULL) == 0)
        vips_avg(y, &avg, NULL);
    if (xyz)
        g_object_unref(xyz);
    if (y)
        g_object_unref(y);
    return avg;
}

static void comparability(const source *s, int n, VipsImage **panels, ba_comparison *out)
{
    double y0 = mean_luminance(panels[0]); /* the reference, measured once */
    for (int i = 1; i < n; i++) {
        const ba_capture *a = &s[0].capture, *b = &s[i].capture;
        if (a->flash_fired >= 0 && b->flash_fired >= 0 && a->flash_fired != b->flash_fired)
            warn(out, "flash: fired in %s but not in %s", a->flash_fired ? s[0].name : s[i].name,
                 a->flash_fired ? s[i].name : s[0].name);
        if (a->focal_length_35mm > 0 && b->focal_length_35mm > 0) {
            double lo = MIN(a->focal_length_35mm, b->focal_length_35mm);
            double hi = MAX(a->focal_length_35mm, b->focal_length_35mm);
            if (hi > lo * 1.15)
                warn(out, "focal length: %.0f mm vs %.0f mm (35 mm equivalent) in %s and %s",
                     a->focal_length_35mm, b->focal_length_35mm, s[0].name, s[i].name);
        }
        if (s[0].has_photo && s[i].has_photo && strcmp(s[0].photo.view, s[i].photo.view) != 0)
            warn(out, "view: %s is %s, %s is %s", s[0].name, s[0].photo.view, s[i].name,
                 s[i].photo.view);
        double yi = mean_luminance(panels[i]);
        if (y0 > 0 && yi > 0) {
            double stops = fabs(log2(yi / y0));
            if (stops > 1.0)
                warn(out, "exposure: %s is %.1f stops %s than %s on the aligned overlap",
                     s[i].name, stops, yi > y0 ? "brighter" : "darker", s[0].name);
        }
    }
}

/* ---- labels -------------------------------------------------------------- */

static void pretty_date(const char *iso, char *out, size_t size)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    unsigned y, m, d;
    if (sscanf(iso, "%4u-%2u-%2u", &y, &m, &d) == 3 && m >= 1 && m <= 12)
        snprintf(out, size, "%u %s %u", d, months[m - 1], y);
    else
        g_strlcpy(out, "", size);
}

static int days_between(const char *a, const char *b)
{
    GDate da, db;
    unsigned y, m, d;
    if (sscanf(a, "%4u-%2u-%2u", &y, &m, &d) != 3 || !g_date_valid_dmy(d, m, y))
        return -1;
    g_date_clear(&da, 1);
    g_date_set_dmy(&da, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
    if (sscanf(b, "%4u-%2u-%2u", &y, &m, &d) != 3 || !g_date_valid_dmy(d, m, y))
        return -1;
    g_date_clear(&db, 1);
    g_date_set_dmy(&db, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
    return g_date_days_between(&da, &db);
}

static void elapsed(int days, char *out, size_t size)
{
    if (days < 0)
        out[0] = '\0';
    else if (days < 14)
        snprintf(out, size, "%d day%s", days, days == 1 ? "" : "s");
    else if (days < 120)
        snprintf(out, size, "%d weeks", (days + 3) / 7);
    else
        snprintf(out, size, "%d months", (int)floor(days / 30.44 + 0.5));
}

static char *label_text(const source *s, int i, int n, ba_layout layout, ba_label_style style)
{
    const char *stage;
    char buf[32];
    if (layout == BA_LAYOUT_TIMELINE || n > 2) {
        snprintf(buf, sizeof buf, "Session %d",
                 s[i].has_photo && s[i].photo.session_number ? s[i].photo.session_number : i + 1);
        stage = buf;
    } else if (s[0].has_photo && s[n - 1].has_photo &&
               strcmp(s[0].photo.stage, s[n - 1].photo.stage) != 0 &&
               strcmp(s[i].photo.stage, "progress") != 0) {
        snprintf(buf, sizeof buf, "%s", s[i].photo.stage);
        buf[0] = g_ascii_toupper(buf[0]);
        stage = buf;
    } else {
        stage = i == 0 ? "Before" : "After";
    }
    char date[32], since[32] = "";
    pretty_date(s[i].date, date, sizeof date);
    if (i > 0 && s[0].date[0] && s[i].date[0])
        elapsed(days_between(s[0].date, s[i].date), since, sizeof since);
    switch (style) {
    case BA_LABEL_STAGE:
        return g_strdup(stage);
    case BA_LABEL_DATE:
        return g_strdup(date[0] ? date : stage);
    case BA_LABEL_FULL:
        if (!date[0])
            return g_strdup(stage);
        if (since[0])
            return g_strdup_printf("%s  \xc2\xb7  %s  \xc2\xb7  %s", stage, date, since);
        return g_strdup_printf("%s  \xc2\xb7  %s", stage, date);
    default:
        return g_strdup("");
    }
}

/* A w x h band of @bg with @text centred in a contrasting colour. */
static VipsImage *text_band(const char *text, int w, int h, const unsigned char bg[3], int font_px)
{
    VipsImage *band = NULL, *black = NULL, *tmp = NULL;
    double bgd[3] = {bg[0], bg[1], bg[2]};
    if (vips_black(&black, w, h, "bands", 3, NULL) ||
        vips_linear(black, &tmp, (double[]){1, 1, 1}, bgd, 3, NULL) ||
        vips_cast_uchar(tmp, &band, NULL))
        goto fail;
    g_object_unref(black);
    g_object_unref(tmp);
    black = tmp = NULL;
    band->Type = VIPS_INTERPRETATION_sRGB;
    if (text && *text && font_px >= 6) {
        VipsImage *mask = NULL, *placed = NULL, *out = NULL;
        char *font = g_strdup_printf("DejaVu Sans %d", font_px);
        char *escaped = g_markup_escape_text(text, -1);
        int rc = vips_text(&mask, escaped, "font", font, "dpi", 72, "width", w - 8, NULL);
        g_free(escaped);
        g_free(font);
        if (rc)
            goto fail;
        int x = MAX(0, (w - mask->Xsize) / 2), y = MAX(0, (h - mask->Ysize) / 2);
        double lum = 0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2];
        double ink[3] = {lum > 128 ? 20 : 245, lum > 128 ? 20 : 245, lum > 128 ? 20 : 245};
        if (vips_embed(mask, &placed, x, y, w, h, NULL) == 0) {
            VipsImage *inkimg = NULL, *inkb = NULL;
            /* ink where the mask is, blended by its coverage */
            if (vips_black(&black, w, h, "bands", 3, NULL) == 0 &&
                vips_linear(black, &inkb, (double[]){1, 1, 1}, ink, 3, NULL) == 0 &&
                vips_cast_uchar(inkb, &inkimg, NULL) == 0 &&
                vips_ifthenelse(placed, inkimg, band, &out, "blend", TRUE, NULL) == 0) {
                g_object_unref(band);
                band = out;
            }
            if (inkimg)
                g_object_unref(inkimg);
            if (inkb)
                g_object_unref(inkb);
            if (black)
                g_object_unref(black);
            black = NULL;
            g_object_unref(placed);
        }
        g_object_unref(mask);
    }
    return band;
fail:
    if (black)
        g_object_unref(black);
    if (tmp)
        g_object_unref(tmp);
    if (band)
        g_object_unref(band);
    return NULL;
}

/* ---- the render ------------------------------------------------------------ */

typedef struct geometry {
    int cols, rows;
    int pw, ph;       /* panel */
    int label_h;      /* band under each panel, 0 without labels */
    int caption_h;    /* footer band, 0 without caption */
    int gutter;
    int width, height; /* canvas */
    bool cramped;     /* the gutters and bands left under 8 px for a panel */
} geometry;

/* A planned size in px, saturated: a far too large plan stays an int and is
 * refused by check_geometry() instead of overflowing. */
static int px(double v)
{
    return v >= 4.0 * BA_COMPOSE_MAX_SIDE ? 4 * BA_COMPOSE_MAX_SIDE : (int)lround(v);
}

static int band_for(int ph, double frac, int lo, int hi)
{
    int h = (int)lround(ph * frac);
    return h < lo ? lo : h > hi ? hi : h;
}

static void plan(geometry *g, const ba_compose_options *o, int n, const rect *crop)
{
    if (o->layout == BA_LAYOUT_STACKED) {
        g->cols = 1;
        g->rows = n;
    } else if (o->layout == BA_LAYOUT_TIMELINE && n > 4) {
        g->cols = (int)ceil(sqrt((double)n));
        g->rows = (n + g->cols - 1) / g->cols;
    } else {
        g->cols = n;
        g->rows = 1;
    }
    double aspect = crop->h / crop->w;
    int default_w = o->layout == BA_LAYOUT_STACKED ? 1200 : 2400;
    int width = o->width;
    bool labels = o->labels != BA_LABEL_NONE;
    bool caption = o->caption && *o->caption;
    for (int iter = 0; iter < 6; iter++) {
        int gut = o->gutter >= 0 ? o->gutter : MAX(2, (width ? width : default_w) / 100);
        if (!o->width && o->height) {
            /* Solve for the panel height that makes the canvas o->height tall. */
            int lh = labels ? band_for(g->ph ? g->ph : 400, 0.07, 20, 110) : 0;
            int ch = caption ? band_for(g->ph ? g->ph : 400, 0.06, 18, 90) : 0;
            int ph = (o->height - ch - (g->rows - 1) * gut) / g->rows - lh;
            g->cramped = ph < 8;
            g->ph = MAX(8, ph);
            g->pw = MAX(8, px(g->ph / aspect));
        } else {
            int w = width ? width
                          : MIN(default_w, px(g->cols * crop->w) + (g->cols - 1) * gut);
            int pw = (w - (g->cols - 1) * gut) / g->cols;
            g->cramped = pw < 8;
            g->pw = MAX(8, pw);
            g->ph = MAX(8, px(g->pw * aspect));
        }
        g->gutter = gut;
        g->label_h = labels ? band_for(g->ph, 0.07, 20, 110) : 0;
        g->caption_h = caption ? band_for(g->ph, 0.06, 18, 90) : 0;
    }
    g->width = g->cols * g->pw + (g->cols - 1) * g->gutter;
    g->height = g->rows * (g->ph + g->label_h) + (g->rows - 1) * g->gutter + g->caption_h;
    if (o->width)
        g->width = o->width;
    if (o->height)
        g->height = o->height;
}

/* The planned output against the limits, before any pixel is rendered: the
 * grid of panels, gutters and bands is rendered whole before it is placed on
 * the canvas, so both are checked. */
static int check_geometry(const geometry *g, int n, const char *output, ba_error *err)
{
    if (g->cramped) {
        ba_error_set(err, BA_ERR_USAGE,
                     "%s: %d panels with %d px gutters do not fit in %d x %d px (each panel "
                     "needs at least 8 px)",
                     output, n, g->gutter, g->width, g->height);
        return -1;
    }
    long long gw = (long long)g->cols * g->pw + (long long)(g->cols - 1) * g->gutter;
    long long gh = (long long)g->rows * (g->ph + g->label_h) +
                   (long long)(g->rows - 1) * g->gutter + g->caption_h;
    char what[64];
    snprintf(what, sizeof what, "the comparison of %d panels", n);
    return check_pixels(what, gw, gh, err) || check_pixels(what, g->width, g->height, err) ? -1
                                                                                          : 0;
}

static int load_logo(const char *path, VipsImage **out, ba_error *err)
{
    return ba_ingest_load(path, 0, out, NULL, err);
}

/* Place the logo in the bottom-right corner of @canvas at @opacity. */
static VipsImage *add_logo(VipsImage *canvas, VipsImage *logo, double opacity)
{
    int target = MAX(16, canvas->Xsize / 8);
    double f = (double)target / logo->Xsize;
    VipsImage *small = NULL, *alpha = NULL, *out = NULL, *flat = NULL;
    if (vips_resize(logo, &small, f, NULL) ||
        vips_bandjoin_const1(small, &alpha, 255.0 * CLAMP(opacity, 0, 1), NULL))
        goto done;
    int margin = MAX(4, canvas->Xsize / 100);
    int x = canvas->Xsize - alpha->Xsize - margin, y = canvas->Ysize - alpha->Ysize - margin;
    if (x < 0 || y < 0)
        goto done;
    if (vips_composite2(canvas, alpha, &out, VIPS_BLEND_MODE_OVER, "x", x, "y", y, NULL) ||
        vips_flatten(out, &flat, NULL))
        goto done;
    g_object_unref(out);
    out = NULL;
    VipsImage *u8 = NULL;
    if (vips_cast_uchar(flat, &u8, NULL) == 0) {
        g_object_unref(flat);
        flat = u8;
    }
done:
    if (small)
        g_object_unref(small);
    if (alpha)
        g_object_unref(alpha);
    if (out)
        g_object_unref(out);
    if (!flat) {
        vips_error_clear();
        g_object_ref(canvas);
        return canvas;
    }
    return flat;
}

/* Render sources @s (transforms filled in) to @output. */
static int render(source *s, int n, const ba_compose_options *o, const char *output,
                  ba_comparison *out, ba_error *err)
{
    ba_out_format fmt = ba_output_format(output);
    if (fmt == BA_OUT_UNKNOWN) {
        ba_error_set(err, BA_ERR_USAGE, "%s: unknown output format; use .png, .jpg or .webp",
                     output);
        return -1;
    }
    rect crop;
    if (!common_rect(s, n, &crop)) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s: the aligned photos share no usable common area; check the alignment "
                     "(align --points) or render with --no-align",
                     output);
        return -1;
    }
    double ref_area = (double)s[0].img->Xsize * s[0].img->Ysize;
    if (crop.w * crop.h < 0.15 * ref_area) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s: the photos overlap on only %.0f%% of the first one; a comparison of "
                     "so little would mislead",
                     output, 100.0 * crop.w * crop.h / ref_area);
        return -1;
    }
    geometry g = {0};
    plan(&g, o, n, &crop);
    if (check_geometry(&g, n, output, err))
        return -1;
    out->crop[0] = crop.x;
    out->crop[1] = crop.y;
    out->crop[2] = crop.w;
    out->crop[3] = crop.h;
    for (int i = 0; i < n; i++)
        memcpy(out->matrices[i], s[i].m, sizeof out->matrices[i]);
    VipsImage **panels = g_new0(VipsImage *, n);
    VipsImage **cells = g_new0(VipsImage *, n);
    VipsImage *grid = NULL, *canvas = NULL, *logo = NULL;
    int rc = -1;
    for (int i = 0; i < n; i++) {
        panels[i] = render_panel(&s[i], &crop, g.pw, g.ph);
        if (!panels[i] || (o->n_redactions && redact(&panels[i], &crop, o))) {
            char *why = vips_error_buffer_copy();
            ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot render: %s", s[i].name, why);
            g_free(why);
            goto out;
        }
    }
    comparability(s, n, panels, out);
    if (o->strict && out->n_warnings) {
        ba_error_set(err, BA_ERR_REFUSED, "%s: refused (--strict): %s", output, out->warnings[0]);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (g.label_h) {
            char *text = label_text(s, i, n, o->layout, o->labels);
            VipsImage *band = text_band(text, g.pw, g.label_h, o->background,
                                        (int)(g.label_h * 0.5));
            g_free(text);
            if (!band || vips_join(panels[i], band, &cells[i], VIPS_DIRECTION_VERTICAL, NULL)) {
                if (band)
                    g_object_unref(band);
                goto vips_failed;
            }
            g_object_unref(band);
        } else {
            cells[i] = panels[i];
            g_object_ref(cells[i]);
        }
    }
    double bg[3] = {o->background[0], o->background[1], o->background[2]};
    VipsArrayDouble *bgarr = vips_array_double_new(bg, 3);
    int joined = vips_arrayjoin(cells, &grid, n, "across", g.cols, "shim", g.gutter, "background",
                                bgarr, NULL);
    vips_area_unref(VIPS_AREA(bgarr));
    if (joined)
        goto vips_failed;
    if (g.caption_h) {
        VipsImage *band = text_band(o->caption, grid->Xsize, g.caption_h, o->background,
                                    (int)(g.caption_h * 0.45));
        VipsImage *with = NULL;
        if (!band || vips_join(grid, band, &with, VIPS_DIRECTION_VERTICAL, NULL)) {
            if (band)
                g_object_unref(band);
            goto vips_failed;
        }
        g_object_unref(band);
        g_object_unref(grid);
        grid = with;
    }
    /* Exactly the size asked for: the rounding remainder goes to the margins. */
    bgarr = vips_array_double_new(bg, 3);
    int embedded = vips_embed(grid, &canvas, MAX(0, (g.width - grid->Xsize) / 2), 0, g.width,
                              g.height, "extend", VIPS_EXTEND_BACKGROUND, "background", bgarr,
                              NULL);
    vips_area_unref(VIPS_AREA(bgarr));
    if (embedded)
        goto vips_failed;
    if (o->logo) {
        if (load_logo(o->logo, &logo, err))
            goto out;
        VipsImage *with = add_logo(canvas, logo, o->logo_opacity);
        g_object_unref(canvas);
        canvas = with;
    }
    canvas->Type = VIPS_INTERPRETATION_sRGB;
    if (ba_output_write(canvas, output, fmt, o->quality, out->sha256, err))
        goto out;
    out->width = canvas->Xsize;
    out->height = canvas->Ysize;
    out->aligned = o->align;
    out->n_photos = n;
    rc = 0;
    goto out;
vips_failed: {
    char *why = vips_error_buffer_copy();
    ba_error_set(err, BA_ERR_INTERNAL, "%s: cannot compose: %s", output, why);
    g_free(why);
}
out:
    for (int i = 0; i < n; i++) {
        if (panels[i])
            g_object_unref(panels[i]);
        if (cells[i])
            g_object_unref(cells[i]);
    }
    g_free(panels);
    g_free(cells);
    if (grid)
        g_object_unref(grid);
    if (canvas)
        g_object_unref(canvas);
    if (logo)
        g_object_unref(logo);
    return rc;
}

static void identity(double m[2][3])
{
    m[0][0] = 1, m[0][1] = 0, m[0][2] = 0;
    m[1][0] = 0, m[1][1] = 1, m[1][2] = 0;
}

/* Without alignment: fit each photo's width to the reference's, centred. */
static void fit_unaligned(source *s, int i)
{
    double f = (double)s[0].img->Xsize / s[i].img->Xsize;
    identity(s[i].m);
    s[i].m[0][0] = s[i].m[1][1] = f;
    s[i].m[0][2] = 0.5 * (f - 1);
    s[i].m[1][2] = (s[0].img->Ysize - s[i].img->Ysize * f) / 2 + 0.5 * (f - 1);
}

static void free_sources(source *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (s[i].img)
            g_object_unref(s[i].img);
    }
    g_free(s);
}

static int check_count(int n, ba_error *err)
{
    if (n < 2 || n > BA_COMPOSE_MAX_PANELS) {
        ba_error_set(err, BA_ERR_USAGE, "a comparison needs 2 to %d photos, not %d",
                     BA_COMPOSE_MAX_PANELS, n);
        return -1;
    }
    return 0;
}

/* A photo twice would compare it with itself and look like "no change". */
static int check_distinct(const int64_t *ids, int n, ba_error *err)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (ids[i] == ids[j]) {
                ba_error_set(err, BA_ERR_USAGE,
                             "photo %" G_GINT64_FORMAT " is given twice; a comparison shows "
                             "different photos",
                             ids[i]);
                return -1;
            }
    return 0;
}

/* Open @p's master.  A missing or unreadable master is damage to the library,
 * not a mistake of the caller: BA_ERR_CORRUPT, naming the photo. */
static int open_master(ba_catalog *cat, const ba_photo *p, VipsImage **img, ba_error *err)
{
    ba_error why;
    if (ba_ingest_open_master(ba_catalog_dir(cat), p->master_sha256, img, &why) == 0)
        return 0;
    char rel[96];
    ba_catalog_master_relpath(p->master_sha256, rel, sizeof rel);
    if (why.code == BA_ERR_NOT_FOUND)
        ba_error_set(err, BA_ERR_CORRUPT,
                     "photo %" G_GINT64_FORMAT ": its master %s is missing; 'beforeafter "
                     "verify' tells more",
                     p->id, rel);
    else
        ba_error_set(err, why.code == BA_ERR_NOMEM ? BA_ERR_NOMEM : BA_ERR_CORRUPT,
                     "photo %" G_GINT64_FORMAT ": its master %s cannot be read (%s); "
                     "'beforeafter verify' tells more",
                     p->id, rel, why.message);
    return -1;
}

int ba_compose_files(const char *const *paths, int n, const ba_compose_options *opts,
                     const char *output, ba_comparison *out, ba_error *err)
{
    ba_compose_options defaults;
    if (!opts) {
        ba_compose_options_init(&defaults);
        opts = &defaults;
    }
    memset(out, 0, sizeof *out);
    if (check_count(n, err) || ba_compose_options_check(opts, err) ||
        ba_library_check_output(NULL, output, false, err))
        return -1;
    source *s = g_new0(source, n);
    int rc = -1;
    for (int i = 0; i < n; i++) {
        s[i].name = paths[i];
        if (ba_ingest_load(paths[i], 0, &s[i].img, &s[i].capture, err))
            goto out;
        g_strlcpy(s[i].date, s[i].capture.captured_at, sizeof s[i].date);
    }
    identity(s[0].m);
    for (int i = 1; i < n; i++) {
        if (!opts->align) {
            fit_unaligned(s, i);
            continue;
        }
        ba_align_options ao;
        ba_align_options_init(&ao);
        ba_alignment a;
        if (ba_align_files(paths[0], paths[i], &ao, &a, err))
            goto out;
        memcpy(s[i].m, a.matrix, sizeof s[i].m);
    }
    rc = render(s, n, opts, output, out, err);
out:
    free_sources(s, n);
    return rc;
}

/* Parameters of a render, as recorded with it. */
static void parameters_json(const ba_compose_options *o, char *buf, size_t size)
{
    char *caption = o->caption ? g_strescape(o->caption, NULL) : NULL;
    snprintf(buf, size,
             "{\"layout\":\"%s\",\"labels\":\"%s\",\"width\":%d,\"height\":%d,\"gutter\":%d,"
             "\"background\":[%d,%d,%d],\"aligned\":%s,\"logo\":%s,\"caption\":%s%s%s}",
             LAYOUTS[o->layout], LABELS[o->labels], o->width, o->height, o->gutter,
             o->background[0], o->background[1], o->background[2], o->align ? "true" : "false",
             o->logo ? "true" : "false", caption ? "\"" : "", caption ? caption : "null",
             caption ? "\"" : "");
    g_free(caption);
}

/* Keep a copy of the render in the library: renders/ab/<sha>.<ext>. */
static int store_render(ba_catalog *cat, const char *output, const char *sha, char *rel,
                        size_t rel_size, ba_error *err)
{
    const char *dot = strrchr(output, '.');
    char *ext = g_ascii_strdown(dot ? dot + 1 : "png", -1);
    snprintf(rel, rel_size, "renders/%.2s/%s.%s", sha, sha, ext);
    g_free(ext);
    char *dest = g_build_filename(ba_catalog_dir(cat), rel, NULL);
    char *dir = g_path_get_dirname(dest);
    int rc = -1;
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot create: %s", dir, g_strerror(errno));
        goto out;
    }
    if (g_file_test(dest, G_FILE_TEST_EXISTS)) {
        rc = 0;
        goto out;
    }
    char *tmp = g_strdup_printf("%s.tmp-%d", dest, (int)getpid());
    if (link(output, tmp) != 0) {
        /* Another file system: copy. */
        char *data = NULL;
        gsize len = 0;
        GError *gerr = NULL;
        if (!g_file_get_contents(output, &data, &len, &gerr) ||
            !g_file_set_contents(tmp, data, (gssize)len, &gerr)) {
            ba_error_set(err, BA_ERR_IO, "%s: cannot keep a copy: %s", rel, gerr->message);
            g_error_free(gerr);
            g_free(data);
            g_free(tmp);
            goto out;
        }
        g_free(data);
    }
    if (rename(tmp, dest) != 0) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot keep a copy: %s", rel, g_strerror(errno));
        g_unlink(tmp);
        g_free(tmp);
        goto out;
    }
    g_free(tmp);
    rc = 0;
out:
    g_free(dir);
    g_free(dest);
    return rc;
}

int ba_compose_photos(ba_catalog *cat, const int64_t *ids, int n, const ba_compose_options *opts,
                      const char *output, ba_comparison *out, ba_error *err)
{
    ba_compose_options defaults;
    if (!opts) {
        ba_compose_options_init(&defaults);
        opts = &defaults;
    }
    memset(out, 0, sizeof *out);
    if (check_count(n, err) || check_distinct(ids, n, err) || ba_compose_options_check(opts, err) ||
        ba_library_check_output(ba_catalog_dir(cat), output, false, err))
        return -1;
    if (ba_output_format(output) == BA_OUT_UNKNOWN) {
        ba_error_set(err, BA_ERR_USAGE, "%s: unknown output format; use .png, .jpg or .webp",
                     output);
        return -1;
    }
    source *s = g_new0(source, n);
    int rc = -1;
    char names[BA_COMPOSE_MAX_PANELS][32];
    for (int i = 0; i < n; i++) {
        if (ba_catalog_photo_get(cat, ids[i], &s[i].photo, err))
            goto out;
        s[i].has_photo = true;
        s[i].capture = s[i].photo.capture;
        g_strlcpy(s[i].date, s[i].photo.session_date, sizeof s[i].date);
        snprintf(names[i], sizeof names[i], "photo %" G_GINT64_FORMAT, ids[i]);
        s[i].name = names[i];
        out->photos[i] = ids[i];
        if (i > 0 && !opts->force &&
            (strcmp(s[i].photo.client, s[0].photo.client) != 0 ||
             strcmp(s[i].photo.area, s[0].photo.area) != 0)) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "photo %" G_GINT64_FORMAT " (%s, %s) and photo %" G_GINT64_FORMAT
                         " (%s, %s) are of different clients or areas; pass --force if this "
                         "is really meant",
                         ids[0], s[0].photo.client, s[0].photo.area, ids[i], s[i].photo.client,
                         s[i].photo.area);
            goto out;
        }
        if (s[i].photo.master_problem[0]) {
            ba_error_set(err, BA_ERR_CORRUPT, "photo %" G_GINT64_FORMAT ": its master is %s",
                         ids[i], s[i].photo.master_problem);
            goto out;
        }
        if (open_master(cat, &s[i].photo, &s[i].img, err))
            goto out;
        s[i].is_master = true;
    }
    identity(s[0].m);
    for (int i = 1; i < n; i++) {
        if (!opts->align) {
            fit_unaligned(s, i);
            continue;
        }
        ba_alignment a;
        ba_error aerr;
        if (ba_catalog_alignment_get(cat, ids[i], ids[0], &a, &aerr) != 0) {
            ba_align_options ao;
            ba_align_options_init(&ao);
            if (ba_align_photos(cat, ids[i], ids[0], &ao, &a, err))
                goto out;
        }
        memcpy(s[i].m, a.matrix, sizeof s[i].m);
    }
    if (render(s, n, opts, output, out, err))
        goto out;
    if (opts->no_record) {
        rc = 0;
        goto out;
    }
    ba_comparison_record rec;
    memset(&rec, 0, sizeof rec);
    g_strlcpy(rec.layout, LAYOUTS[opts->layout], sizeof rec.layout);
    rec.n_photos = n;
    memcpy(rec.photos, ids, sizeof(int64_t) * (size_t)n);
    parameters_json(opts, rec.parameters, sizeof rec.parameters);
    g_strlcpy(rec.output, output, sizeof rec.output);
    g_strlcpy(rec.sha256, out->sha256, sizeof rec.sha256);
    rec.width = out->width;
    rec.height = out->height;
    rec.aligned = out->aligned;
    if (store_render(cat, output, out->sha256, rec.render, sizeof rec.render, err) ||
        ba_catalog_comparison_add(cat, &rec, err))
        goto out;
    out->id = rec.id;
    rc = 0;
out:
    free_sources(s, n);
    return rc;
}

int ba_compose_ghost(ba_catalog *cat, int64_t id, const char *path, double opacity, bool edges,
                     int long_edge, const char *output, ba_error *err)
{
    VipsImage *img = NULL, *small = NULL, *grey = NULL, *edge = NULL, *rgba = NULL,
              *alpha = NULL;
    int rc = -1;
    if (ba_output_format(output) != BA_OUT_PNG) {
        ba_error_set(err, BA_ERR_USAGE, "%s: a ghost overlay is a PNG (it needs transparency)",
                     output);
        return -1;
    }
    if (ba_library_check_output(cat ? ba_catalog_dir(cat) : NULL, output, false, err))
        return -1;
    if (!(opacity >= 0 && opacity <= 1)) {
        ba_error_set(err, BA_ERR_USAGE, "ghost opacity %g is not a number in 0..1", opacity);
        return -1;
    }
    if (long_edge < 0 || long_edge > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE,
                     "a ghost overlay's long edge of %d px is outside 1..%d px (the largest "
                     "side of any output)",
                     long_edge, BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    if (cat) {
        ba_photo p;
        if (ba_catalog_photo_get(cat, id, &p, err) || open_master(cat, &p, &img, err))
            return -1;
    } else if (ba_ingest_load(path, 0, &img, NULL, err)) {
        return -1;
    }
    int edge_px = long_edge > 0 ? long_edge : 1920;
    double f = (double)edge_px / MAX(img->Xsize, img->Ysize);
    /* The header gives the overlay's size: refuse it before any pixel. */
    if (check_pixels("the ghost overlay", px(img->Xsize * f), px(img->Ysize * f), err))
        goto out;
    if (vips_resize(img, &small, f, NULL))
        goto vips_failed;
    double a = 255.0 * CLAMP(opacity, 0.0, 1.0);
    if (!edges) {
        if (vips_bandjoin_const1(small, &rgba, a, NULL))
            goto vips_failed;
    } else {
        /* Edges: gradient magnitude of the grey image, as alpha over white lines. */
        VipsImage *mag = NULL, *scaled = NULL, *white = NULL, *w8 = NULL, *bl = NULL;
        int bad = vips_colourspace(small, &grey, VIPS_INTERPRETATION_B_W, NULL) ||
                  vips_sobel(grey, &mag, NULL) ||
                  vips_linear1(mag, &scaled, 3.0 * a / 255.0, 0, NULL) ||
                  vips_cast_uchar(scaled, &alpha, NULL) ||
                  vips_black(&bl, small->Xsize, small->Ysize, "bands", 3, NULL) ||
                  vips_linear1(bl, &white, 1, 255, NULL) || vips_cast_uchar(white, &w8, NULL) ||
                  vips_bandjoin2(w8, alpha, &rgba, NULL);
        VipsImage *tmp[] = {mag, scaled, white, w8, bl};
        for (size_t i = 0; i < G_N_ELEMENTS(tmp); i++)
            if (tmp[i])
                g_object_unref(tmp[i]);
        if (bad)
            goto vips_failed;
    }
    if (vips_cast_uchar(rgba, &edge, NULL))
        goto vips_failed;
    edge->Type = VIPS_INTERPRETATION_sRGB;
    rc = ba_output_write(edge, output, BA_OUT_PNG, 0, NULL, err);
    goto out;
vips_failed: {
    char *why = vips_error_buffer_copy();
    ba_error_set(err, BA_ERR_INTERNAL, "%s: cannot make the overlay: %s", output, why);
    g_free(why);
}
out: {
    VipsImage *all[] = {img, small, grey, edge, rgba, alpha};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        if (all[i])
            g_object_unref(all[i]);
}
    return rc;
}
