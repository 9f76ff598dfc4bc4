/* The canvas: plan the panels, gutters and bands (side by side, stacked,
 * timeline grid) within the limits, render them and write the output. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compose/internal.h"
#include "compose/output.h"
#include "ingest/load.h"
#include "ingest/logo.h"

typedef struct geometry {
    int cols, rows;
    int pw, ph;       /* panel */
    int label_h;      /* band under each panel, 0 without labels */
    int caption_h;    /* footer band, 0 without caption */
    int gutter;
    int width, height; /* canvas */
    bool cramped;     /* the gutters and bands left under 8 px for a panel */
} geometry;

static int band_for(int ph, double frac, int lo, int hi)
{
    int h = (int)lround(ph * frac);
    return h < lo ? lo : h > hi ? hi : h;
}

/* Most of the common field of view a fixed canvas may trim, per side
 * length, to bring its shape nearer the panels' (centred): enough to fill a
 * 1080 x 1080 canvas with two 4:3 photos stacked, not so much that a
 * treatment area near the edge of the photos is cut away. */
#define FILL_TRIM 0.20

/* Both sides fixed: the panels as large as the canvas allows, the crop
 * trimmed (by at most FILL_TRIM) towards the panels' shape, so the content
 * fills the canvas instead of leaving a band; cp_render() centres it. */
static void plan_fixed(geometry *g, const ba_compose_options *o, cp_rect *crop)
{
    bool labels = o->labels != BA_LABEL_NONE;
    bool caption = o->caption && *o->caption;
    int gut = o->gutter >= 0 ? o->gutter : MAX(2, o->width / 100);
    int ph = 400;
    for (int iter = 0; iter < 6; iter++) {
        int lh = labels ? band_for(ph, 0.07, 20, 110) : 0;
        int ch = caption ? band_for(ph, 0.06, 18, 90) : 0;
        int box_w = (o->width - (g->cols - 1) * gut) / g->cols;
        int box_h = (o->height - ch - (g->rows - 1) * gut) / g->rows - lh;
        g->cramped = box_w < 8 || box_h < 8;
        box_w = MAX(8, box_w);
        box_h = MAX(8, box_h);
        double want = (double)box_h / box_w;
        cp_rect c = *crop;
        if (c.h / c.w > want) {
            double h = MAX(c.h * (1 - FILL_TRIM), c.w * want);
            c.y += (c.h - h) / 2;
            c.h = h;
        } else {
            double w = MAX(c.w * (1 - FILL_TRIM), c.h / want);
            c.x += (c.w - w) / 2;
            c.w = w;
        }
        double aspect = c.h / c.w;
        g->pw = MAX(8, MIN(box_w, (int)floor(box_h / aspect)));
        g->ph = MAX(8, MIN(box_h, cp_px(g->pw * aspect)));
        ph = g->ph;
        g->gutter = gut;
        g->label_h = lh;
        g->caption_h = ch;
        if (iter == 5)
            *crop = c;
    }
    g->width = o->width;
    g->height = o->height;
}

static void plan(geometry *g, const ba_compose_options *o, int n, cp_rect *crop)
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
    if (o->width && o->height) {
        plan_fixed(g, o, crop);
        return;
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
            g->pw = MAX(8, cp_px(g->ph / aspect));
        } else {
            int w = width ? width
                          : MIN(default_w, cp_px(g->cols * crop->w) + (g->cols - 1) * gut);
            int pw = (w - (g->cols - 1) * gut) / g->cols;
            g->cramped = pw < 8;
            g->pw = MAX(8, pw);
            g->ph = MAX(8, cp_px(g->pw * aspect));
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
    return cp_check_pixels(what, gw, gh, err) || cp_check_pixels(what, g->width, g->height, err) ? -1
                                                                                          : 0;
}

/* The logo keeps its alpha: it is decoded by ingest's logo path, not as a
 * photo (flattened on white, it would be an opaque box). */
static int load_logo(const char *path, VipsImage **out, ba_error *err)
{
    return ba_ingest_logo_decode(path, out, err);
}

int cp_render(cp_source *s, int n, const ba_compose_options *o, const char *output,
                  ba_comparison *out, ba_error *err)
{
    ba_out_format fmt = ba_output_format(output);
    if (fmt == BA_OUT_UNKNOWN) {
        ba_error_set(err, BA_ERR_USAGE, "%s: unknown output format; use .png, .jpg or .webp",
                     output);
        return -1;
    }
    cp_rect crop;
    if (!cp_common_rect(s, n, &crop)) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s: the aligned photos share no usable common area; check the alignment",
                     output);
        ba_error_hint(err, BA_HINT_ALLOW_UNALIGNED);
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
    if (o->view[2] > 0 && o->view[3] > 0) {
        /* Only the rectangle asked for (de-identification crop-to-area). */
        double x0 = MAX(crop.x, o->view[0]), y0 = MAX(crop.y, o->view[1]);
        double x1 = MIN(crop.x + crop.w, o->view[0] + o->view[2]);
        double y1 = MIN(crop.y + crop.h, o->view[1] + o->view[3]);
        if (x1 - x0 < 8 || y1 - y0 < 8) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "%s: the rectangle to show (%.0f,%.0f %.0fx%.0f) lies outside what "
                         "every photo covers",
                         output, o->view[0], o->view[1], o->view[2], o->view[3]);
            return -1;
        }
        crop = (cp_rect){x0, y0, x1 - x0, y1 - y0};
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
        panels[i] = cp_render_panel(&s[i], &crop, g.pw, g.ph);
        if (!panels[i] || (o->n_redactions && cp_redact(&panels[i], &crop, o))) {
            char *why = vips_error_buffer_copy();
            ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot render: %s", s[i].name, why);
            g_free(why);
            goto out;
        }
    }
    cp_comparability(s, n, &crop, out);
    cp_labels(s, n, o, out);
    int label_font = cp_labels_font(out, n, g.pw, (int)(g.label_h * 0.5));
    if (o->strict && out->n_warnings) {
        ba_error_set(err, BA_ERR_REFUSED, "%s: refused for a comparability warning: %s", output,
                     out->warnings[0]);
        ba_error_hint(err, BA_HINT_ALLOW_WARNINGS);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (g.label_h) {
            VipsImage *band = cp_text_band(out->labels[i], g.pw, g.label_h, o->background,
                                           label_font);
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
        VipsImage *band = cp_text_band(o->caption, grid->Xsize, g.caption_h, o->background,
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
    /* Where each panel landed, for the de-identification measured on the output. */
    for (int i = 0; i < n; i++) {
        out->panels[i][0] = MAX(0, (g.width - grid->Xsize) / 2) + (i % g.cols) * (g.pw + g.gutter);
        out->panels[i][1] = MAX(0, (g.height - grid->Ysize) / 2) +
                            (i / g.cols) * (g.ph + g.label_h + g.gutter);
        out->panels[i][2] = g.pw;
        out->panels[i][3] = g.ph;
    }
    /* Centred both ways on a canvas of a fixed size (presets). */
    int off_y = MAX(0, (g.height - grid->Ysize) / 2);
    int embedded = vips_embed(grid, &canvas, MAX(0, (g.width - grid->Xsize) / 2), off_y, g.width,
                              g.height, "extend", VIPS_EXTEND_BACKGROUND, "background", bgarr,
                              NULL);
    vips_area_unref(VIPS_AREA(bgarr));
    if (embedded)
        goto vips_failed;
    if (o->logo) {
        if (load_logo(o->logo, &logo, err))
            goto out;
        VipsImage *with = cp_add_logo(canvas, logo, o->logo_opacity);
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
