/* The JSON of an export: the render options read back from the recorded
 * comparison, and export.json (what was done to each image, and why it may
 * leave). */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "beforeafter/beforeafter.h"
#include "common/sha256.h"
#include "consent/export.h"
#include "consent/rules.h"
#include "ingest/logo.h"
#include "consent/signature.h"

/* Integer member @name of @obj into @out: false when absent or not an integer. */
static bool int_member(JsonObject *obj, const char *name, long long lo, long long hi, int *out)
{
    JsonNode *n = json_object_get_member(obj, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return false;
    gint64 v = json_node_get_int(n);
    if (v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* The logo of the recorded parameters: none (null, or false as before schema
 * 9), or {"path","sha256","opacity"} naming a file that must still hold the
 * bytes it was rendered with.  Returns the path (g_free it) or NULL in
 * @path, false with @why set when it cannot be used. */
static bool logo_member(ba_catalog *cat, JsonObject *obj, char **path, double *opacity,
                        const char **why)
{
    *path = NULL;
    JsonNode *n = json_object_get_member(obj, "logo");
    if (!n || JSON_NODE_HOLDS_NULL(n))
        return true;
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN) {
        if (!json_node_get_boolean(n))
            return true;
        *why = "it was rendered with a logo whose file was not recorded";
        return false;
    }
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
        *why = "its logo is not recorded as a file";
        return false;
    }
    JsonObject *lo = json_node_get_object(n);
    const char *p = json_object_get_string_member_with_default(lo, "path", NULL);
    const char *sha = json_object_get_string_member_with_default(lo, "sha256", NULL);
    JsonNode *op = json_object_get_member(lo, "opacity");
    if (!sha || !op || !JSON_NODE_HOLDS_VALUE(op)) {
        *why = "its logo is not recorded as a file";
        return false;
    }
    *opacity = json_node_get_double(op);
    if (!p) {
        /* The library's own copy (LIBRARY/logos/), hash-checked. */
        ba_error e;
        *path = ba_ingest_logo_path(cat, sha, &e);
        if (!*path)
            *why = e.code == BA_ERR_CORRUPT ? "the library's copy of its logo has changed since"
                                            : "the library's copy of its logo is missing";
        return *path != NULL;
    }
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(p, &data, &len, NULL)) {
        *why = "the logo it was rendered with can no longer be read";
        return false;
    }
    char have[65];
    ba_sha256_hex(data, len, have);
    g_free(data);
    if (strcmp(have, sha) != 0) {
        *why = "the logo it was rendered with has changed since";
        return false;
    }
    *path = g_strdup(p);
    return true;
}

/* The string member @name of @obj (g_free it), or NULL when absent or null. */
static char *label_member(JsonObject *obj, const char *name)
{
    JsonNode *n = json_object_get_member(obj, name);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? g_strdup(json_node_get_string(n))
               : NULL;
}

/* Read @params into @o and @it->caption; false with @why when they cannot be. */
static bool read_parameters(ba_catalog *cat, const char *params, ba_compose_options *o,
                            item *it, const char **why)
{
    *why = "its recorded render parameters are not valid JSON";
    JsonParser *p = json_parser_new();
    bool ok = false;
    if (!params || !json_parser_load_from_data(p, params, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
        goto out;
    JsonObject *obj = json_node_get_object(json_parser_get_root(p));
    *why = "its recorded render parameters are incomplete";
    int l = ba_label_style_parse(json_object_get_string_member_with_default(obj, "labels", ""));
    if (l < 0)
        goto out;
    o->labels = (ba_label_style)l;
    if (!int_member(obj, "width", 0, BA_COMPOSE_MAX_SIDE, &o->width) ||
        !int_member(obj, "height", 0, BA_COMPOSE_MAX_SIDE, &o->height) ||
        !int_member(obj, "gutter", -1, BA_COMPOSE_MAX_GUTTER, &o->gutter))
        goto out;
    JsonNode *bg = json_object_get_member(obj, "background");
    if (!bg || !JSON_NODE_HOLDS_ARRAY(bg) || json_array_get_length(json_node_get_array(bg)) != 3)
        goto out;
    for (guint i = 0; i < 3; i++) {
        JsonNode *c = json_array_get_element(json_node_get_array(bg), i);
        if (!JSON_NODE_HOLDS_VALUE(c) || json_node_get_value_type(c) != G_TYPE_INT64 ||
            json_node_get_int(c) < 0 || json_node_get_int(c) > 255)
            goto out;
        o->background[i] = (unsigned char)json_node_get_int(c);
    }
    JsonNode *cap = json_object_get_member(obj, "caption");
    if (!cap)
        goto out;
    if (JSON_NODE_HOLDS_VALUE(cap) && json_node_get_value_type(cap) == G_TYPE_STRING)
        it->caption = g_strdup(json_node_get_string(cap));
    else if (!JSON_NODE_HOLDS_NULL(cap))
        goto out;
    /* The labels' own texts (absent before they were recorded). */
    it->label_before = label_member(obj, "label_before");
    it->label_after = label_member(obj, "label_after");
    o->label_before = it->label_before;
    o->label_after = it->label_after;
    char *logo = NULL;
    if (!logo_member(cat, obj, &logo, &o->logo_opacity, why))
        goto out;
    it->logo = logo;
    o->logo = it->logo;
    ok = true;
out:
    g_object_unref(p);
    return ok;
}

int ex_options_from_record(job *j, item *it, ba_error *err)
{
    ba_compose_options *o = &it->opts;
    ba_compose_options_init(o);
    int layout = ba_layout_parse(it->rec.layout);
    o->layout = layout < 0 ? BA_LAYOUT_SIDE_BY_SIDE : (ba_layout)layout;
    o->align = it->rec.aligned;
    const char *why = NULL;
    if (!read_parameters(j->cat, it->rec.parameters, o, it, &why)) {
        /* Defaults would silently drop the disclosure caption, background
         * or label style the comparison was reviewed with. */
        ba_error_set(err, BA_ERR_REFUSED,
                     "comparison %" G_GINT64_FORMAT ": %s, so the export could not reproduce "
                     "it; nothing was written",
                     it->rec.id, why);
        ba_error_hint(err, BA_HINT_MAKE_COMPARISON);
        return -1;
    }
    if (j->o->caption) {
        g_free(it->caption);
        it->caption = g_strdup(j->o->caption);
    }
    if (it->caption && !*it->caption) {
        g_free(it->caption);
        it->caption = NULL;
    }
    o->caption = it->caption;
    if (j->label_style >= 0)
        o->labels = (ba_label_style)j->label_style;
    /* Every client shown has passed the policy: photos of several clients
     * (rendered once with --force) need no second confirmation. */
    o->force = true;
    o->no_record = true;
    /* An export only reads the catalog until it records itself: it never
     * stores an alignment (render_items() refuses a missing one). */
    o->store_alignment = false;
    memcpy(o->redactions, j->regions, sizeof j->regions);
    o->n_redactions = j->n_regions;
    return 0;
}

static void add_matrix(JsonBuilder *b, const double m[2][3])
{
    json_builder_begin_array(b);
    for (int r = 0; r < 2; r++) {
        json_builder_begin_array(b);
        for (int c = 0; c < 3; c++)
            json_builder_add_double_value(b, round(m[r][c] * 1e6) / 1e6);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
}

static void add_rect(JsonBuilder *b, double x, double y, double w, double h)
{
    const char *names[] = {"x", "y", "width", "height"};
    double v[] = {x, y, w, h};
    for (int i = 0; i < 4; i++) {
        json_builder_set_member_name(b, names[i]);
        json_builder_add_double_value(b, round(v[i] * 1000) / 1000);
    }
}

static void member_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void member_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static void op(JsonBuilder *b, const char *name, const char *detail)
{
    json_builder_begin_object(b);
    member_str(b, "op", name);
    if (detail)
        member_str(b, "detail", detail);
}

static void image_operations(JsonBuilder *b, const item *it)
{
    static const char *const LABELS[] = {"none", "stage", "date", "full"};
    static const char *const LAYOUTS[] = {"side-by-side", "stacked", "timeline"};
    const ba_compose_options *o = &it->opts;
    json_builder_set_member_name(b, "operations");
    json_builder_begin_array(b);
    op(b, "decode",
       "each panel's library master: written at ingest with the EXIF orientation applied, "
       "converted to sRGB and every metadata block removed");
    json_builder_end_object(b);
    for (int p = 0; p < it->out.n_photos; p++) {
        op(b, "warp",
           p == 0        ? "panel 1 is the reference: identity"
           : o->align    ? "similarity transform (scale, rotation, shift) onto panel 1"
                         : "not aligned: scaled to panel 1's width and centred");
        member_int(b, "panel", p + 1);
        json_builder_set_member_name(b, "matrix");
        add_matrix(b, (const double(*)[3])it->out.matrices[p]);
        json_builder_end_object(b);
    }
    op(b, "crop", "the field of view every panel covers, in panel 1 pixels");
    add_rect(b, it->out.crop[0], it->out.crop[1], it->out.crop[2], it->out.crop[3]);
    json_builder_end_object(b);
    op(b, "resize",
       "each panel's crop resampled once to the panel size (Lanczos3 shrink, then bicubic)");
    json_builder_end_object(b);
    for (int r = 0; r < o->n_redactions; r++) {
        const ba_redaction *x = &o->redactions[r];
        op(b, "redact",
           x->mode == BA_REDACT_BAR
               ? "solid bar in every panel; rectangle in panel 1 pixels"
           : x->mode == BA_REDACT_BLUR
               ? "pixelated to about 8 cells and Gaussian-blurred in every panel; rectangle "
                 "in panel 1 pixels"
               : "every panel pixelated to about 8 cells across and Gaussian-blurred except "
                 "the rectangle (the treatment area, panel 1 pixels)");
        member_str(b, "mode", x->mode == BA_REDACT_BAR    ? "bar"
                              : x->mode == BA_REDACT_BLUR ? "blur"
                                                          : "blur-outside");
        add_rect(b, x->x, x->y, x->w, x->h);
        if (x->mode == BA_REDACT_BAR) {
            json_builder_set_member_name(b, "colour");
            json_builder_begin_array(b);
            for (int c = 0; c < 3; c++)
                json_builder_add_int_value(b, 0);
            json_builder_end_array(b);
        }
        json_builder_end_object(b);
    }
    if (o->labels != BA_LABEL_NONE) {
        op(b, "labels", "a text band under each panel");
        member_str(b, "style", LABELS[o->labels]);
        json_builder_end_object(b);
    }
    if (o->caption) {
        op(b, "caption", "a text band under the panels");
        member_str(b, "text", o->caption);
        json_builder_end_object(b);
    }
    if (o->logo) {
        char *data = NULL, sha[65] = "";
        gsize len = 0;
        if (g_file_get_contents(o->logo, &data, &len, NULL))
            ba_sha256_hex(data, len, sha);
        g_free(data);
        op(b, "logo", "the comparison's logo, the library's copy, laid over the bottom-right "
                      "corner with its own transparency");
        member_str(b, "sha256", sha);
        json_builder_set_member_name(b, "opacity");
        json_builder_add_double_value(b, round(o->logo_opacity * 1000) / 1000);
        json_builder_end_object(b);
    }
    op(b, "layout", NULL);
    member_str(b, "layout", LAYOUTS[o->layout]);
    json_builder_set_member_name(b, "background");
    json_builder_begin_array(b);
    for (int c = 0; c < 3; c++)
        json_builder_add_int_value(b, o->background[c]);
    json_builder_end_array(b);
    json_builder_end_object(b);
    bool jpg = g_str_has_suffix(it->file, ".jpg"), webp = g_str_has_suffix(it->file, ".webp");
    op(b, "encode",
       jpg    ? "JPEG, 8-bit sRGB, quality 90, 4:4:4; no APP segment: no EXIF, XMP, IPTC or ICC"
       : webp ? "WebP (lossy VP8), quality 85; a bare RIFF/VP8 stream: no EXIF, XMP or ICC chunk"
              : "PNG, 8-bit sRGB; chunks IHDR, sRGB, pHYs, IDAT, IEND only");
    if (jpg || webp)
        member_int(b, "quality", o->quality);
    json_builder_end_object(b);
    json_builder_end_array(b);
}

static void image_entry(JsonBuilder *b, const job *j, const item *it)
{
    json_builder_begin_object(b);
    member_str(b, "file", it->file);
    member_str(b, "sha256", it->out.sha256);
    member_int(b, "bytes", it->bytes);
    member_int(b, "width", it->out.width);
    member_int(b, "height", it->out.height);
    member_str(b, "caption", it->opts.caption);
    json_builder_set_member_name(b, "aligned");
    json_builder_add_boolean_value(b, it->opts.align);
    json_builder_set_member_name(b, "crop");
    json_builder_begin_object(b);
    add_rect(b, it->out.crop[0], it->out.crop[1], it->out.crop[2], it->out.crop[3]);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "panels");
    json_builder_begin_array(b);
    for (int p = 0; p < it->out.n_photos; p++) {
        const ba_photo *ph = &it->photos[p];
        json_builder_begin_object(b);
        member_int(b, "panel", p + 1);
        member_str(b, "stage", ph->stage);
        member_str(b, "view", ph->view);
        member_str(b, "master_sha256", ph->master_sha256);
        ex_manifest_panel(b, ph);
        member_int(b, "master_width", ph->width);
        member_int(b, "master_height", ph->height);
        json_builder_set_member_name(b, "alignment");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "matrix");
        add_matrix(b, (const double(*)[3])it->out.matrices[p]);
        if (p == 0) {
            member_str(b, "method", "reference");
        } else if (!it->opts.align) {
            member_str(b, "method", "none");
        } else if (it->has_align[p]) {
            member_str(b, "method", it->align[p].method);
            json_builder_set_member_name(b, "score");
            json_builder_add_double_value(b, round(it->align[p].score * 1e4) / 1e4);
            member_int(b, "inliers", it->align[p].inliers);
        }
        json_builder_end_object(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    image_operations(b, it);
    ex_deid_manifest(b, j, it);
    member_str(b, "retouching", "none");
    json_builder_end_object(b);
}

/* json-glib writes doubles with 17 digits (0.99519999999999997): rewrite every
 * number outside strings with 15 significant digits (0.9952), which is exact
 * for the rounded values the manifest holds. */
static char *tidy_numbers(const char *json)
{
    GString *out = g_string_sized_new(strlen(json));
    bool in_string = false;
    for (const char *p = json; *p;) {
        if (in_string) {
            if (*p == '\\' && p[1]) {
                g_string_append_len(out, p, 2);
                p += 2;
                continue;
            }
            if (*p == '"')
                in_string = false;
            g_string_append_c(out, *p++);
        } else if (*p == '"') {
            in_string = true;
            g_string_append_c(out, *p++);
        } else if (*p == '-' || g_ascii_isdigit(*p)) {
            const char *start = p;
            bool real = false;
            while (*p && (g_ascii_isdigit(*p) || strchr("+-.eE", *p))) {
                real = real || strchr(".eE", *p) != NULL;
                p++;
            }
            if (real) {
                char buf[G_ASCII_DTOSTR_BUF_SIZE];
                g_ascii_formatd(buf, sizeof buf, "%.15g", g_ascii_strtod(start, NULL));
                g_string_append(out, buf);
            } else {
                g_string_append_len(out, start, p - start);
            }
        } else {
            g_string_append_c(out, *p++);
        }
    }
    return g_string_free(out, FALSE);
}

char *ex_manifest_text(job *j)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    member_str(b, "format", "beforeafter-export");
    member_int(b, "format_version", 1);
    member_int(b, "export_id", j->rec.id);
    member_str(b, "purpose", ba_consent_scope_name(j->purpose));
    member_str(b, "date", j->today);
    member_str(b, "created_at", j->created_at);
    member_str(b, "caption", j->o->caption);
    member_str(b, "deidentification", ba_consent_deid_name(j->deid));
    json_builder_set_member_name(b, "rules");
    if (j->rules == BA_RULES_NONE) {
        json_builder_add_null_value(b);
    } else {
        /* What rules.c's comment tells the signature about. */
        json_builder_begin_object(b);
        member_str(b, "pack", ba_rules_name((ba_rules_pack)j->rules));
        json_builder_set_member_name(b, "applied");
        json_builder_begin_array(b);
        for (const char *const *r = ba_rules_applied((ba_rules_pack)j->rules); *r; r++)
            json_builder_add_string_value(b, *r);
        json_builder_end_array(b);
        member_str(b, "disclosure", j->disclosure ? "library" : "given");
        json_builder_end_object(b);
    }
    char *consent =
        j->purpose == BA_SCOPE_CLINICAL
            ? g_strdup("clinical use: no consent needed")
            : g_strdup_printf("every client shown has a %s consent active on %s that allows "
                              "this de-identification",
                              ba_consent_scope_name(j->purpose), j->today);
    member_str(b, "consent", consent);
    g_free(consent);
    json_builder_set_member_name(b, "tool");
    json_builder_begin_object(b);
    member_str(b, "name", "beforeafter");
    member_str(b, "version", ba_version());
    json_builder_end_object(b);
    ex_manifest_provenance(b, j);
    json_builder_set_member_name(b, "images");
    json_builder_begin_array(b);
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (!it->refused)
            image_entry(b, j, it);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    JsonGenerator *gen = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    char *text = json_generator_to_data(gen, NULL);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    char *tidy = tidy_numbers(text);
    char *with_nl = g_strconcat(tidy, "\n", NULL);
    g_free(tidy);
    g_free(text);
    return with_nl;
}
