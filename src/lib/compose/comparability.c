/* Comparability with numbers: every panel against the reference on the
 * aligned overlap they share — colour cast (mean Δa*, Δb* in CIELAB),
 * exposure (ΔL*), sharpness (variance of the Laplacian of L*) — and what the
 * capture records say (flash, focal length, view).  The thresholds and the
 * measurements they were chosen on are in docs/COMPARE.md. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "catalog/json_detail.h"
#include "compose/internal.h"

/* A colour cast (chroma shift of the mean, ΔE units) a viewer notices side
 * by side: a just-noticeable difference is ΔE ≈ 2.3; 3 leaves room for the
 * drift of two sessions under the same light (sample pair: 0.4). */
#define CAST_MAX 3.0
/* Exposure: mean ΔL* over the overlap.  6 is about a third of a stop at
 * skin tones, clearly visible side by side (sample pair: 5.4). */
#define EXPOSURE_MAX 6.0
/* Sharpness: one panel's contrast-normalised Laplacian variance this many
 * times the other's (a Gaussian blur of σ = 1 px of the sample halves it). */
#define SHARPNESS_MAX 2.0
/* Focal lengths (35 mm equivalent) further apart than this factor change
 * the perspective of a face visibly. */
#define FOCAL_MAX 1.15

void cp_warn(ba_comparison *out, const char *fmt, ...)
{
    if (out->n_warnings >= BA_COMPOSE_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->warnings[out->n_warnings++], sizeof out->warnings[0], fmt, ap);
    va_end(ap);
}

typedef struct measures {
    double l, a, b;    /* means */
    double laplacian;  /* variance of the Laplacian of L* over that of L* */
} measures;

static double band_mean(VipsImage *img, int band)
{
    VipsImage *one = NULL;
    double v = NAN;
    if (vips_extract_band(img, &one, band, NULL) == 0 && vips_avg(one, &v, NULL) != 0)
        v = NAN;
    if (one)
        g_object_unref(one);
    return v;
}

/* The variance of the Laplacian of band 0 (L*) of @lab over the variance of
 * L* itself: edges per unit of contrast, so that a darker (lower-contrast)
 * photo of the same sharpness measures the same. */
static double sharpness(VipsImage *lab)
{
    VipsImage *l = NULL, *mask = NULL, *lap = NULL;
    double sigma = NAN, contrast = NAN;
    static const double k[9] = {0, 1, 0, 1, -4, 1, 0, 1, 0};
    if (vips_extract_band(lab, &l, 0, NULL) == 0 &&
        (mask = vips_image_new_matrix_from_array(3, 3, k, 9)) != NULL &&
        vips_conv(l, &lap, mask, "precision", VIPS_PRECISION_FLOAT, NULL) == 0 &&
        (vips_deviate(lap, &sigma, NULL) != 0 || vips_deviate(l, &contrast, NULL) != 0))
        sigma = NAN;
    VipsImage *all[] = {l, mask, lap};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        if (all[i])
            g_object_unref(all[i]);
    return contrast > 0 ? sigma * sigma / (contrast * contrast) : NAN;
}

/* Render @s's view of the overlap @crop at BA_COMPARABILITY_SIDE px (never
 * enlarged), before any redaction, and measure it; false when it cannot be. */
static bool measure(const cp_source *s, const cp_rect *crop, measures *m)
{
    double f = MIN(1.0, BA_COMPARABILITY_SIDE / MAX(crop->w, crop->h));
    int pw = MAX(8, (int)lround(crop->w * f)), ph = MAX(8, (int)lround(crop->h * f));
    VipsImage *panel = cp_render_panel(s, crop, pw, ph), *lab = NULL;
    bool ok = false;
    if (panel && vips_colourspace(panel, &lab, VIPS_INTERPRETATION_LAB, "source_space",
                                  VIPS_INTERPRETATION_sRGB, NULL) == 0) {
        m->l = band_mean(lab, 0);
        m->a = band_mean(lab, 1);
        m->b = band_mean(lab, 2);
        m->laplacian = sharpness(lab);
        ok = isfinite(m->l) && isfinite(m->a) && isfinite(m->b) && isfinite(m->laplacian);
    }
    if (panel)
        g_object_unref(panel);
    if (lab)
        g_object_unref(lab);
    if (!ok)
        vips_error_clear();
    return ok;
}

/* The words of a shift (@da, @db) of the mean colour from the reference's
 * (@ra, @rb): along the reference's own chroma it is saturation (a darker
 * photo of skin is also a less saturated one), across it a cast, named by
 * its larger component. */
static const char *cast_words(double da, double db, double ra, double rb)
{
    double chroma = hypot(ra, rb);
    if (chroma > 2) {
        double along = (da * ra + db * rb) / chroma, across = fabs(da * rb - db * ra) / chroma;
        if (fabs(along) > 2 * across)
            return along > 0 ? "more saturated" : "less saturated";
    }
    if (fabs(db) >= fabs(da))
        return db > 0 ? "warmer (yellower)" : "cooler (bluer)";
    return da > 0 ? "redder" : "greener";
}

static void capture_warnings(const cp_source *s, int i, ba_comparison *out)
{
    const ba_capture *a = &s[0].capture, *b = &s[i].capture;
    if (a->flash_fired >= 0 && b->flash_fired >= 0 && a->flash_fired != b->flash_fired)
        cp_warn(out, "flash: fired in %s but not in %s", a->flash_fired ? s[0].name : s[i].name,
                a->flash_fired ? s[i].name : s[0].name);
    if (a->focal_length_35mm > 0 && b->focal_length_35mm > 0) {
        double lo = MIN(a->focal_length_35mm, b->focal_length_35mm);
        double hi = MAX(a->focal_length_35mm, b->focal_length_35mm);
        if (hi > lo * FOCAL_MAX)
            cp_warn(out, "focal length: %.0f mm vs %.0f mm (35 mm equivalent) in %s and %s",
                    a->focal_length_35mm, b->focal_length_35mm, s[0].name, s[i].name);
    }
    if (s[0].has_photo && s[i].has_photo && strcmp(s[0].photo.view, s[i].photo.view) != 0)
        cp_warn(out, "view: %s is %s, %s is %s", s[0].name, s[0].photo.view, s[i].name,
                s[i].photo.view);
}

static void pixel_warnings(const cp_source *s, int i, const ba_comparability *c,
                           const measures *ref, ba_comparison *out)
{
    if (c->cast > CAST_MAX)
        cp_warn(out,
                "colour cast: %s is %s than %s by \xce\x94" "E %.1f (mean \xce\x94" "a* %+.1f, "
                "\xce\x94" "b* %+.1f on the aligned overlap; the limit is %.1f)",
                s[i].name, cast_words(c->delta_a, c->delta_b, ref->a, ref->b), s[0].name, c->cast, c->delta_a,
                c->delta_b, CAST_MAX);
    if (fabs(c->delta_l) > EXPOSURE_MAX)
        cp_warn(out,
                "exposure: %s is %s than %s by \xce\x94L* %.1f (mean on the aligned overlap; the "
                "limit is %.1f)",
                s[i].name, c->delta_l > 0 ? "brighter" : "darker", s[0].name, fabs(c->delta_l),
                EXPOSURE_MAX);
    if (c->sharpness_ratio > 0 &&
        (c->sharpness_ratio < 1.0 / SHARPNESS_MAX || c->sharpness_ratio > SHARPNESS_MAX))
        cp_warn(out,
                "sharpness: %s is %s than %s (Laplacian variance ratio %.2f per unit of "
                "contrast; the limit is %.2f..%.2f)",
                s[i].name, c->sharpness_ratio < 1 ? "softer" : "sharper", s[0].name,
                c->sharpness_ratio, 1.0 / SHARPNESS_MAX, SHARPNESS_MAX);
}

void cp_comparability(const cp_source *s, int n, const cp_rect *crop, ba_comparison *out)
{
    measures ref;
    bool have_ref = measure(&s[0], crop, &ref);
    for (int i = 0; i < n; i++) {
        ba_comparability *c = &out->comparability[i];
        memset(c, 0, sizeof *c);
        c->flash_fired = s[i].capture.flash_fired;
        c->focal_length_35mm = s[i].capture.focal_length_35mm;
        if (s[i].has_photo)
            g_strlcpy(c->view, s[i].photo.view, sizeof c->view);
        if (i == 0)
            continue;
        capture_warnings(s, i, out);
        measures m;
        if (!have_ref || !measure(&s[i], crop, &m))
            continue;
        c->measured = true;
        c->delta_l = m.l - ref.l;
        c->delta_a = m.a - ref.a;
        c->delta_b = m.b - ref.b;
        c->cast = hypot(c->delta_a, c->delta_b);
        c->sharpness_ratio = ref.laplacian > 0 ? m.laplacian / ref.laplacian : 0;
        pixel_warnings(s, i, c, &ref, out);
    }
}

/* Member @name: @v rounded to @digits decimals (what it means), or null
 * when it is not known (NaN). */
static void real_member(JsonBuilder *b, const char *name, double v, int digits)
{
    json_builder_set_member_name(b, name);
    if (!isfinite(v)) {
        json_builder_add_null_value(b);
        return;
    }
    double f = pow(10, digits), r = round(v * f) / f;
    json_builder_add_double_value(b, r == 0 ? 0.0 : r); /* no "-0" */
}

/* One panel's comparability as stored with the render (null for the reference). */
static void comparability_json(JsonBuilder *b, const ba_comparability *c, bool reference)
{
    if (reference) {
        json_builder_add_null_value(b);
        return;
    }
    double unknown = NAN;
    json_builder_begin_object(b);
    real_member(b, "delta_l", c->measured ? c->delta_l : unknown, 1);
    real_member(b, "delta_a", c->measured ? c->delta_a : unknown, 1);
    real_member(b, "delta_b", c->measured ? c->delta_b : unknown, 1);
    real_member(b, "cast", c->measured ? c->cast : unknown, 1);
    real_member(b, "sharpness_ratio",
                c->measured && c->sharpness_ratio > 0 ? c->sharpness_ratio : unknown, 2);
    json_builder_set_member_name(b, "flash");
    if (c->flash_fired >= 0)
        json_builder_add_boolean_value(b, c->flash_fired != 0);
    else
        json_builder_add_null_value(b);
    real_member(b, "focal_length_35mm", c->focal_length_35mm > 0 ? c->focal_length_35mm : unknown,
                0);
    json_builder_set_member_name(b, "view");
    if (c->view[0])
        json_builder_add_string_value(b, c->view);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
}

static void string_or_null(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    if (v && *v)
        json_builder_add_string_value(b, v);
    else
        json_builder_add_null_value(b);
}

char *cp_parameters_add(char *params, const ba_compose_options *o, const ba_comparison *out,
                        int n)
{
    JsonParser *p = json_parser_new();
    if (!params || !json_parser_load_from_data(p, params, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        g_object_unref(p);
        return params;
    }
    /* The members already there, in their order, then the new ones. */
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    JsonObject *obj = json_node_get_object(json_parser_get_root(p));
    GList *names = json_object_get_members(obj);
    for (GList *l = names; l; l = l->next) {
        json_builder_set_member_name(b, l->data);
        json_builder_add_value(b, json_node_copy(json_object_get_member(obj, l->data)));
    }
    g_list_free(names);
    string_or_null(b, "label_before", o->label_before);
    string_or_null(b, "label_after", o->label_after);
    json_builder_set_member_name(b, "comparability");
    json_builder_begin_array(b);
    for (int i = 0; i < n; i++)
        comparability_json(b, &out->comparability[i], i == 0);
    json_builder_end_array(b);
    json_builder_end_object(b);
    char *text = ba_db_json_text(b);
    g_object_unref(p);
    g_free(params);
    return text;
}

char *ba_comparison_panels_json(const ba_comparison *c)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_array(b);
    for (int i = 0; i < c->n_photos && i < BA_COMPOSE_MAX_PANELS; i++) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "photo_id");
        if (c->id)
            json_builder_add_int_value(b, c->photos[i]);
        else
            json_builder_add_null_value(b);
        string_or_null(b, "label", c->labels[i]);
        json_builder_set_member_name(b, "comparability");
        comparability_json(b, &c->comparability[i], i == 0);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    return ba_db_json_text(b);
}
