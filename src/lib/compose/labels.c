/* Labels that tell the truth (the catalogued stage, the session ordinal of
 * the client and area, dates and plurals through the locale), text bands
 * (labels under the panels, the caption) and the logo. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compose/internal.h"

/* Words and plurals go through gettext in this domain, so that a
 * translation (beforeafter.mo in gettext's locale directory, chosen by
 * LC_MESSAGES) can plug in; month names come from LC_TIME. */
#define LABEL_DOMAIN "beforeafter"
#define LT_(s) g_dgettext(LABEL_DOMAIN, s)
#define LN_(one, many, n) g_dngettext(LABEL_DOMAIN, one, many, (gulong)(n))

/* A YYYY-MM-DD date: false when it is not one. */
static bool parse_date(const char *iso, GDate *d)
{
    unsigned y, m, day;
    g_date_clear(d, 1);
    if (!iso || sscanf(iso, "%4u-%2u-%2u", &y, &m, &day) != 3 || !g_date_valid_dmy(day, m, y))
        return false;
    g_date_set_dmy(d, (GDateDay)day, (GDateMonth)m, (GDateYear)y);
    return true;
}

/* "2 March 2026", the month named by the locale (LC_TIME). */
static void pretty_date(const char *iso, char *out, size_t size)
{
    GDate d;
    out[0] = '\0';
    if (!parse_date(iso, &d))
        return;
    GDateTime *dt = g_date_time_new_utc((gint)g_date_get_year(&d), (gint)g_date_get_month(&d),
                                        (gint)g_date_get_day(&d), 12, 0, 0);
    char *text = dt ? g_date_time_format(dt, "%-d %B %Y") : NULL;
    g_strlcpy(out, text ? text : iso, size);
    g_free(text);
    if (dt)
        g_date_time_unref(dt);
}

/* Days from @a to @b; false when either is not a date. */
static bool days_between(const char *a, const char *b, int *days)
{
    GDate da, db;
    if (!parse_date(a, &da) || !parse_date(b, &db))
        return false;
    *days = g_date_days_between(&da, &db);
    return true;
}

/* "12 weeks", "5 months": what a reader takes in at a glance. */
static char *elapsed(int days)
{
    if (days < 14)
        return g_strdup_printf(LN_("%d day", "%d days", days), days);
    if (days < 120) {
        int weeks = (days + 3) / 7;
        return g_strdup_printf(LN_("%d week", "%d weeks", weeks), weeks);
    }
    int months = (int)floor(days / 30.44 + 0.5);
    return g_strdup_printf(LN_("%d month", "%d months", months), months);
}

/* The session ordinal of panel @i for its client and area (the catalog's
 * client-wide number when the area's is not known). */
static int ordinal(const cp_source *s, int i)
{
    return s[i].area_session ? s[i].area_session : s[i].photo.session_number;
}

/* The stage word of panel @i: the caller's text for the first or the last
 * panel, else the catalogued stage — a progress photo is never "After". */
static char *stage_word(const cp_source *s, int i, int n, const ba_compose_options *o)
{
    if (i == 0 && o->label_before && *o->label_before)
        return g_strdup(o->label_before);
    if (i == n - 1 && o->label_after && *o->label_after)
        return g_strdup(o->label_after);
    if (!s[i].has_photo) /* plain files: only their order is known */
        return n == 2 ? g_strdup(i == 0 ? LT_("Before") : LT_("After"))
                      : g_strdup_printf(LT_("Session %d"), i + 1);
    if (strcmp(s[i].photo.stage, "before") == 0)
        return g_strdup(LT_("Before"));
    if (strcmp(s[i].photo.stage, "after") == 0)
        return g_strdup(LT_("After"));
    /* U+00B7 MIDDLE DOT between the words */
    return g_strdup_printf(LT_("Progress \xc2\xb7 session %d"), ordinal(s, i));
}

/* "3 sessions, 12 weeks" from panel 0 to panel @i ("" for panel 0 or when
 * the dates are unknown or out of order). */
static char *since_first(const cp_source *s, int i)
{
    int days;
    if (i == 0 || !days_between(s[0].date, s[i].date, &days) || days < 0)
        return g_strdup("");
    char *time = elapsed(days);
    int sessions = s[0].has_photo && s[i].has_photo && s[0].area_session && s[i].area_session
                       ? s[i].area_session - s[0].area_session
                       : 0;
    if (sessions <= 0)
        return time;
    char *count = g_strdup_printf(LN_("%d session", "%d sessions", sessions), sessions);
    char *both = g_strdup_printf("%s, %s", count, time);
    g_free(count);
    g_free(time);
    return both;
}

static char *label_text(const cp_source *s, int i, int n, const ba_compose_options *o)
{
    if (o->labels == BA_LABEL_NONE)
        return g_strdup("");
    char *stage = stage_word(s, i, n, o);
    char date[64];
    pretty_date(s[i].date, date, sizeof date);
    if (o->labels == BA_LABEL_STAGE || !date[0])
        return stage;
    if (o->labels == BA_LABEL_DATE) {
        g_free(stage);
        return g_strdup(date);
    }
    char *since = since_first(s, i);
    char *text = since[0] ? g_strdup_printf("%s  \xc2\xb7  %s  \xc2\xb7  %s", stage, date, since)
                          : g_strdup_printf("%s  \xc2\xb7  %s", stage, date);
    g_free(since);
    g_free(stage);
    return text;
}

/* Two years between sessions of one course, or a later panel dated before
 * the first, is more often a wrong date than a real course. */
#define PLAUSIBLE_DAYS 730

void cp_labels(const cp_source *s, int n, const ba_compose_options *o, ba_comparison *out)
{
    for (int i = 0; i < n; i++) {
        char *text = label_text(s, i, n, o);
        g_strlcpy(out->labels[i], text, sizeof out->labels[i]);
        g_free(text);
        int days;
        if (i == 0 || !days_between(s[0].date, s[i].date, &days))
            continue;
        if (days < 0)
            cp_warn(out, "elapsed time: %s (%s) is dated %d days before %s (%s); check the dates",
                    s[i].name, s[i].date, -days, s[0].name, s[0].date);
        else if (days > PLAUSIBLE_DAYS)
            cp_warn(out,
                    "elapsed time: %s is %.1f years after %s (%s to %s), more than the 2 a course "
                    "of treatment plausibly spans; check the dates",
                    s[i].name, days / 365.25, s[0].name, s[0].date, s[i].date);
    }
}

int cp_labels_font(const ba_comparison *out, int n, int w, int font_px)
{
    int best = font_px;
    char *font = g_strdup_printf("DejaVu Sans %d", font_px);
    for (int i = 0; i < n; i++) {
        VipsImage *mask = NULL;
        char *escaped = g_markup_escape_text(out->labels[i], -1);
        if (out->labels[i][0] && vips_text(&mask, escaped, "font", font, "dpi", 72, NULL) == 0 &&
            mask->Xsize > w - 8)
            best = MIN(best, (int)floor(font_px * (double)(w - 8) / mask->Xsize));
        if (mask)
            g_object_unref(mask);
        g_free(escaped);
    }
    g_free(font);
    vips_error_clear();
    return best >= 6 ? best : font_px;
}

typedef struct session_list {
    GArray *ids;      /* session ids in date order, each once */
    GHashTable *seen; /* of those ids */
} session_list;

static int collect_session(const ba_photo *p, void *ud)
{
    session_list *l = ud;
    gint64 *key = g_new(gint64, 1);
    *key = p->session_id;
    if (g_hash_table_add(l->seen, key))
        g_array_append_val(l->ids, p->session_id);
    return 0;
}

void cp_area_sessions(ba_catalog *cat, cp_source *s, int n)
{
    if (n < 1 || !s[0].has_photo)
        return;
    session_list l = {g_array_new(FALSE, FALSE, sizeof(int64_t)),
                      g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL)};
    ba_photo_filter f = {.client = s[0].photo.client, .area = s[0].photo.area};
    ba_error err;
    if (ba_catalog_photo_list(cat, &f, collect_session, &l, &err) == 0) {
        for (int i = 0; i < n; i++) {
            if (!s[i].has_photo || strcmp(s[i].photo.client, s[0].photo.client) != 0)
                continue;
            for (guint k = 0; k < l.ids->len; k++)
                if (g_array_index(l.ids, int64_t, k) == s[i].photo.session_id)
                    s[i].area_session = (int)k + 1;
        }
    }
    g_array_free(l.ids, TRUE);
    g_hash_table_destroy(l.seen);
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
        char *escaped = g_markup_escape_text(text, -1);
        int rc = 0;
        /* One line when it fits at 6 px or more (a label that wraps crowds
         * its band), the font shrunk to the panel's width; else wrapped. */
        for (int pass = 0; pass < 3 && rc == 0; pass++) {
            char *font = g_strdup_printf("DejaVu Sans %d", font_px);
            if (mask)
                g_object_unref(mask);
            mask = NULL;
            rc = pass < 2 ? vips_text(&mask, escaped, "font", font, "dpi", 72, NULL)
                          : vips_text(&mask, escaped, "font", font, "dpi", 72, "width", w - 8,
                                      NULL);
            g_free(font);
            if (rc || mask->Xsize <= w - 8)
                break;
            int fit = (int)floor(font_px * (double)(w - 8) / mask->Xsize);
            if (pass == 0 && fit >= 6)
                font_px = fit;
            else
                pass = 1; /* wrap at the size asked for */
        }
        g_free(escaped);
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

