/* Text bands (labels under the panels, the caption) and the logo. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compose/internal.h"

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

char *cp_label_text(const cp_source *s, int i, int n, ba_layout layout, ba_label_style style)
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
VipsImage *cp_text_band(const char *text, int w, int h, const unsigned char bg[3], int font_px)
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

VipsImage *cp_add_logo(VipsImage *canvas, VipsImage *logo, double opacity)
{
    /* @logo is 8-bit sRGB with alpha (ingest/logo.h): resized premultiplied,
     * so no dark fringe comes from its transparent pixels, and laid over the
     * canvas with its own alpha times @opacity, so what is transparent in
     * the logo leaves the canvas exactly as it was. */
    int target = MAX(16, canvas->Xsize / 8);
    double f = (double)target / logo->Xsize;
    VipsImage *pre = NULL, *small = NULL, *alpha = NULL, *out = NULL, *flat = NULL;
    VipsImage *un = NULL, *rgb = NULL, *a = NULL, *a2 = NULL;
    if (logo->Bands != 4 || vips_premultiply(logo, &pre, NULL) ||
        vips_resize(pre, &small, f, "kernel", VIPS_KERNEL_LANCZOS3, NULL) ||
        vips_unpremultiply(small, &un, NULL) || vips_extract_band(un, &rgb, 0, "n", 3, NULL) ||
        vips_extract_band(un, &a, 3, NULL) ||
        vips_linear1(a, &a2, CLAMP(opacity, 0, 1), 0, NULL) ||
        vips_bandjoin2(rgb, a2, &alpha, NULL))
        goto done;
    alpha->Type = VIPS_INTERPRETATION_sRGB;
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
    if (pre)
        g_object_unref(pre);
    if (un)
        g_object_unref(un);
    if (rgb)
        g_object_unref(rgb);
    if (a)
        g_object_unref(a);
    if (a2)
        g_object_unref(a2);
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

