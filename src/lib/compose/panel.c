/* One photo into a panel: warp and resample once, hide the redactions.
 * The comparability measures are in comparability.c. */
#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compose/internal.h"
#include "ingest/load.h"

/* Warp source @s so that reference rect @crop fills a pw x ph panel: one
 * antialiased shrink (vips_resize) then one bicubic affine. */
VipsImage *cp_render_panel(const cp_source *s, const cp_rect *crop, int pw, int ph)
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

/* Pixelate the w x h area at (x0, y0) of @panel to about 8 cells across its
 * smaller side, then blur it: nothing of the features survives.  With @keep,
 * the keep[2] x keep[3] area at (keep[0], keep[1]) is put back sharp. */
static int blur_area(VipsImage *panel, int x0, int y0, int w, int h, const int *keep)
{
    VipsImage *part = NULL, *small = NULL, *big = NULL, *soft = NULL, *u8 = NULL, *sharp = NULL;
    if (keep) {
        /* A copy: the panel is drawn on in place. */
        VipsImage *view = NULL;
        if (vips_extract_area(panel, &view, keep[0], keep[1], keep[2], keep[3], NULL))
            return -1;
        sharp = vips_image_copy_memory(view);
        g_object_unref(view);
        if (!sharp)
            return -1;
    }
    double f = 8.0 / MAX(8, MIN(w, h));
    int bad = vips_extract_area(panel, &part, x0, y0, w, h, NULL) ||
              vips_resize(part, &small, f, NULL) ||
              vips_resize(small, &big, (double)w / small->Xsize, "vscale",
                          (double)h / small->Ysize, "kernel", VIPS_KERNEL_NEAREST, NULL) ||
              vips_gaussblur(big, &soft, MAX(2.0, MIN(w, h) / 16.0), NULL) ||
              vips_cast_uchar(soft, &u8, NULL) || vips_draw_image(panel, u8, x0, y0, NULL) ||
              (sharp && vips_draw_image(panel, sharp, keep[0], keep[1], NULL));
    VipsImage *all[] = {part, small, big, soft, u8, sharp};
    for (size_t j = 0; j < G_N_ELEMENTS(all); j++)
        if (all[j])
            g_object_unref(all[j]);
    return bad ? -1 : 0;
}

/* Hide the redaction rectangles (reference px) in a memory panel. */
int cp_redact(VipsImage **panel, const cp_rect *crop, const ba_compose_options *o)
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
        if (r->mode == BA_REDACT_BLUR_OUTSIDE) {
            /* The whole panel blurred, the rectangle (the treatment area) kept. */
            int keep[4] = {x0, y0, x1 - x0, y1 - y0};
            if (blur_area(*panel, 0, 0, (*panel)->Xsize, (*panel)->Ysize,
                          x1 > x0 && y1 > y0 ? keep : NULL))
                return -1;
            continue;
        }
        if (x1 <= x0 || y1 <= y0)
            continue;
        if (r->mode == BA_REDACT_BAR) {
            double black[3] = {0, 0, 0};
            if (vips_draw_rect(*panel, black, 3, x0, y0, x1 - x0, y1 - y0, "fill", TRUE, NULL))
                return -1;
        } else if (blur_area(*panel, x0, y0, x1 - x0, y1 - y0, NULL)) {
            return -1;
        }
    }
    return 0;
}
