/* Export: the consent check, de-identified re-renders, the manifest, the record. */
#include "beforeafter/consent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "beforeafter/beforeafter.h"
#include "consent/internal.h"
#include "ingest/fault.h"

#define MANIFEST "export.json"
/* DEST/.ba-export-<pid>-XXXXXX: in-flight renders, on the destination's file
 * system so that placing them is a link; <pid> tells a dead writer's. */
#define TMPDIR_PREFIX ".ba-export-"
#define NOTE_PREFIX "export-"

void ba_consent_export_options_init(ba_export_options *o)
{
    memset(o, 0, sizeof *o);
}

/* One comparison on its way out. */
typedef struct item {
    ba_comparison_record rec;
    ba_photo photos[BA_COMPOSE_MAX_PANELS];
    ba_alignment align[BA_COMPOSE_MAX_PANELS]; /* [i] for i > 0 when has_align[i] */
    bool has_align[BA_COMPOSE_MAX_PANELS];
    GPtrArray *clients;       /* distinct client codes (char *) */
    bool refused;
    char reason[512];
    int n;                    /* 1-based position in the export */
    ba_compose_options opts;  /* how it was re-rendered */
    char *caption;            /* owned; the footer text, or NULL */
    ba_comparison out;        /* what the render produced */
    char *tmp;                /* rendered file in the temporary folder */
    char file[64];            /* <export-id>-<n>.png */
} item;

static void item_free(gpointer p)
{
    item *it = p;
    if (it->clients)
        g_ptr_array_free(it->clients, TRUE);
    g_free(it->caption);
    g_free(it->tmp);
    g_free(it);
}

/* Everything one export carries around. */
typedef struct job {
    ba_catalog *cat;
    const ba_export_options *o;
    ba_consent_scope purpose;
    ba_deidentify deid;
    int label_style;               /* -1 = as recorded */
    char today[BA_DATE_MAX];
    char created_at[BA_STAMP_MAX];
    char *dest;                    /* absolute destination folder */
    char *tmpdir;                  /* DEST/.ba-export-<pid>-XXXXXX */
    char *note;                    /* LIBRARY/tmp/export-<pid>-XXXXXX: names DEST */
    bool created_dest;
    GPtrArray *items;              /* item * */
    ba_redaction regions[BA_COMPOSE_MAX_REDACTIONS];
    int n_regions;
    GHashTable *decisions;         /* client -> decision * */
    GArray *consents;              /* int64_t ids relied on */
    /* store hook state */
    ba_export_record rec;
    GPtrArray *placed;             /* absolute paths moved into dest */
    GPtrArray *strings;            /* owned strings of audit rows */
    GArray *audits;                /* ba_audit_entry: refusals, recorded with the export */
    GArray *oks;                   /* ba_audit_entry: the exported, recorded when done */
} job;

typedef struct decision {
    bool allowed;
    int64_t consent_id;
    char reason[512];
} decision;

/* ---- selecting ---------------------------------------------------------- */

static int load_item(job *j, const ba_comparison_record *rec, item **out, ba_error *err)
{
    item *it = g_new0(item, 1);
    it->rec = *rec;
    it->clients = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < rec->n_photos && i < BA_COMPOSE_MAX_PANELS; i++) {
        if (ba_catalog_photo_get(j->cat, rec->photos[i], &it->photos[i], err)) {
            item_free(it);
            return -1;
        }
        bool seen = false;
        for (guint k = 0; k < it->clients->len && !seen; k++)
            seen = strcmp(g_ptr_array_index(it->clients, k), it->photos[i].client) == 0;
        if (!seen)
            g_ptr_array_add(it->clients, g_strdup(it->photos[i].client));
    }
    if (rec->n_photos < 2) {
        ba_error_set(err, BA_ERR_CATALOG, "comparison %" G_GINT64_FORMAT " has %d photo(s) recorded",
                     rec->id, rec->n_photos);
        item_free(it);
        return -1;
    }
    *out = it;
    return 0;
}

static int collect_comparison(const ba_comparison_record *c, void *ud)
{
    g_array_append_val((GArray *)ud, *c);
    return 0;
}

static int select_items(job *j, ba_error *err)
{
    const ba_export_options *o = j->o;
    if (o->n_comparisons > 0) {
        for (int i = 0; i < o->n_comparisons; i++) {
            bool dup = false;
            for (int k = 0; k < i && !dup; k++)
                dup = o->comparisons[k] == o->comparisons[i];
            if (dup)
                continue;
            ba_comparison_record rec;
            item *it;
            if (ba_catalog_comparison_get(j->cat, o->comparisons[i], &rec, err) ||
                load_item(j, &rec, &it, err))
                return -1;
            g_ptr_array_add(j->items, it);
        }
        return 0;
    }
    ba_client cl;
    if (ba_catalog_client_get(j->cat, o->client, &cl, err))
        return -1;
    if (o->area && ba_catalog_area_check(j->cat, o->area, err))
        return -1;
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(ba_comparison_record));
    int rc = ba_catalog_comparison_list(j->cat, o->client, collect_comparison, recs, err);
    for (guint i = 0; rc == 0 && i < recs->len; i++) {
        item *it;
        rc = load_item(j, &g_array_index(recs, ba_comparison_record, i), &it, err);
        if (rc)
            break;
        if (o->area && strcmp(it->photos[0].area, o->area) != 0)
            item_free(it);
        else
            g_ptr_array_add(j->items, it);
    }
    g_array_free(recs, TRUE);
    if (rc == 0 && j->items->len == 0) {
        ba_error_set(err, BA_ERR_NOT_FOUND,
                     "client %s has no comparisons%s%s to export; make one with 'beforeafter "
                     "compare'",
                     o->client, o->area ? " of " : "", o->area ? o->area : "");
        rc = -1;
    }
    return rc;
}

/* ---- policy --------------------------------------------------------------- */

static int decide_items(job *j, int *n_refused, ba_error *err)
{
    *n_refused = 0;
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        for (guint k = 0; k < it->clients->len; k++) {
            const char *client = g_ptr_array_index(it->clients, k);
            decision *d = g_hash_table_lookup(j->decisions, client);
            if (!d) {
                d = g_new0(decision, 1);
                ba_error e;
                if (ba_consent_check(j->cat, client, j->purpose, j->today, j->deid,
                                     &d->consent_id, &e) == 0) {
                    d->allowed = true;
                } else if (e.code == BA_ERR_REFUSED) {
                    g_strlcpy(d->reason, e.message, sizeof d->reason);
                } else {
                    g_free(d);
                    *err = e;
                    return -1;
                }
                g_hash_table_insert(j->decisions, g_strdup(client), d);
            }
            if (!d->allowed && !it->refused) {
                it->refused = true;
                g_strlcpy(it->reason, d->reason, sizeof it->reason);
            }
        }
        if (it->refused) {
            (*n_refused)++;
            if (j->o->refused)
                j->o->refused(it->rec.id, it->photos[0].client, it->reason, j->o->ud);
        }
    }
    return 0;
}

/* Audit rows for the refused clients: "comparisons 5,7", the reason. */
static void refusal_audits(job *j, const char *result_prefix)
{
    GHashTableIter hi;
    gpointer key, value;
    g_hash_table_iter_init(&hi, j->decisions);
    while (g_hash_table_iter_next(&hi, &key, &value)) {
        const char *client = key;
        decision *d = value;
        if (d->allowed)
            continue;
        GString *objects = g_string_new("comparisons ");
        int n = 0;
        for (guint i = 0; i < j->items->len; i++) {
            item *it = g_ptr_array_index(j->items, i);
            bool has = false;
            for (guint k = 0; k < it->clients->len && !has; k++)
                has = strcmp(g_ptr_array_index(it->clients, k), client) == 0;
            if (has)
                g_string_append_printf(objects, "%s%" G_GINT64_FORMAT, n++ ? "," : "",
                                       it->rec.id);
        }
        char *detail = g_strdup_printf("%s%s", result_prefix, d->reason);
        g_ptr_array_add(j->strings, g_strdup(client));
        ba_audit_entry a = {.action = "export", .client = g_ptr_array_index(j->strings, j->strings->len - 1),
                            .objects = objects->str, .purpose = ba_consent_scope_name(j->purpose),
                            .result = "refused", .detail = detail};
        g_ptr_array_add(j->strings, g_string_free(objects, FALSE));
        g_ptr_array_add(j->strings, detail);
        g_array_append_val(j->audits, a);
    }
}

/* ---- rendering ---------------------------------------------------------- */

static void options_from_record(job *j, item *it)
{
    ba_compose_options *o = &it->opts;
    ba_compose_options_init(o);
    int layout = ba_layout_parse(it->rec.layout);
    o->layout = layout < 0 ? BA_LAYOUT_SIDE_BY_SIDE : (ba_layout)layout;
    o->align = it->rec.aligned;
    JsonParser *p = json_parser_new();
    if (json_parser_load_from_data(p, it->rec.parameters, -1, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        JsonObject *obj = json_node_get_object(json_parser_get_root(p));
        if (json_object_has_member(obj, "labels")) {
            int l = ba_label_style_parse(json_object_get_string_member_with_default(obj, "labels", ""));
            if (l >= 0)
                o->labels = (ba_label_style)l;
        }
        o->width = (int)json_object_get_int_member_with_default(obj, "width", 0);
        o->height = (int)json_object_get_int_member_with_default(obj, "height", 0);
        o->gutter = (int)json_object_get_int_member_with_default(obj, "gutter", -1);
        JsonNode *bg = json_object_get_member(obj, "background");
        if (bg && JSON_NODE_HOLDS_ARRAY(bg) && json_array_get_length(json_node_get_array(bg)) == 3)
            for (guint i = 0; i < 3; i++)
                o->background[i] = (unsigned char)CLAMP(
                    json_array_get_int_element(json_node_get_array(bg), i), 0, 255);
        JsonNode *cap = json_object_get_member(obj, "caption");
        if (cap && JSON_NODE_HOLDS_VALUE(cap) && json_node_get_value_type(cap) == G_TYPE_STRING)
            it->caption = g_strdup(json_node_get_string(cap));
    }
    g_object_unref(p);
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
    memcpy(o->redactions, j->regions, sizeof j->regions);
    o->n_redactions = j->n_regions;
}

static int render_items(job *j, ba_error *err)
{
    int n = 0;
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        it->n = ++n;
        options_from_record(j, it);
        char name[32];
        snprintf(name, sizeof name, "%d.png", it->n);
        it->tmp = g_build_filename(j->tmpdir, name, NULL);
        if (ba_compose_photos(j->cat, it->rec.photos, it->rec.n_photos, &it->opts, it->tmp,
                              &it->out, err)) {
            char *why = g_strdup(err->message);
            ba_error_set(err, err->code, "comparison %" G_GINT64_FORMAT ": %s", it->rec.id, why);
            g_free(why);
            return -1;
        }
        for (int p = 1; it->opts.align && p < it->rec.n_photos; p++) {
            ba_error e;
            it->has_align[p] = ba_catalog_alignment_get(j->cat, it->rec.photos[p],
                                                        it->rec.photos[0], &it->align[p], &e) == 0;
        }
    }
    return 0;
}

/* ---- manifest ------------------------------------------------------------- */

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
               : "pixelated to about 8 cells and Gaussian-blurred in every panel; rectangle "
                 "in panel 1 pixels");
        member_str(b, "mode", x->mode == BA_REDACT_BAR ? "bar" : "blur");
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
    op(b, "layout", NULL);
    member_str(b, "layout", LAYOUTS[o->layout]);
    json_builder_set_member_name(b, "background");
    json_builder_begin_array(b);
    for (int c = 0; c < 3; c++)
        json_builder_add_int_value(b, o->background[c]);
    json_builder_end_array(b);
    json_builder_end_object(b);
    op(b, "encode", "PNG, 8-bit sRGB; chunks IHDR, sRGB, pHYs, IDAT, IEND only");
    json_builder_end_object(b);
    json_builder_end_array(b);
}

static void image_entry(JsonBuilder *b, const item *it)
{
    json_builder_begin_object(b);
    member_str(b, "file", it->file);
    member_str(b, "sha256", it->out.sha256);
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

static char *manifest_text(job *j)
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
    json_builder_set_member_name(b, "images");
    json_builder_begin_array(b);
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (!it->refused)
            image_entry(b, it);
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

/* ---- placing files -------------------------------------------------------- */

/* Move @from to @to without ever replacing an existing file. */
static int place_file(const char *from, const char *to, ba_error *err)
{
    if (link(from, to) == 0) {
        g_unlink(from);
        return 0;
    }
    int e = errno;
    if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EMLINK || e == ENOSYS) {
        /* No hard links here (FAT, some network shares): check, then rename. */
        if (g_file_test(to, G_FILE_TEST_EXISTS)) {
            e = EEXIST;
        } else if (rename(from, to) == 0) {
            return 0;
        } else {
            e = errno;
        }
    }
    if (e == EEXIST) {
        ba_error_set(err, BA_ERR_EXISTS, "%s: already exists; an export never replaces a file",
                     to);
        return -1;
    }
    ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write: %s", to,
                 g_strerror(e));
    return -1;
}

static void unplace(void *ud)
{
    job *j = ud;
    for (guint i = 0; i < j->placed->len; i++)
        g_unlink(g_ptr_array_index(j->placed, i));
    g_ptr_array_set_size(j->placed, 0);
}

/* Exported comparisons showing @client; their files go to @files when not NULL. */
static int items_of(job *j, const char *client, GString *objects, GString *files)
{
    int n = 0;
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        bool has = false;
        for (guint k = 0; k < it->clients->len && !has; k++)
            has = strcmp(g_ptr_array_index(it->clients, k), client) == 0;
        if (!has || it->refused)
            continue;
        if (objects)
            g_string_append_printf(objects, "%s%" G_GINT64_FORMAT, n ? "," : "", it->rec.id);
        if (files)
            g_string_append_printf(files, "%s%s", n ? ", " : "", it->file);
        n++;
    }
    return n;
}

/* Audit rows of the exported clients, appended to j->oks once the files are
 * in place. */
static void export_audits(job *j)
{
    GHashTableIter hi;
    gpointer key, value;
    g_hash_table_iter_init(&hi, j->decisions);
    while (g_hash_table_iter_next(&hi, &key, &value)) {
        const char *client = key;
        decision *d = value;
        if (!d->allowed)
            continue;
        GString *objects = g_string_new(NULL);
        g_string_printf(objects, "export %" G_GINT64_FORMAT "; comparisons ", j->rec.id);
        GString *files = g_string_new(NULL);
        if (items_of(j, client, objects, files) == 0) {
            g_string_free(objects, TRUE);
            g_string_free(files, TRUE);
            continue;
        }
        char consent[64];
        if (d->consent_id)
            snprintf(consent, sizeof consent, "consent %" G_GINT64_FORMAT, d->consent_id);
        else
            g_strlcpy(consent, "clinical use, no consent needed", sizeof consent);
        char *detail = g_strdup_printf("%s to %s; de-identification %s; %s", files->str,
                                       j->dest, ba_consent_deid_name(j->deid), consent);
        g_string_free(files, TRUE);
        g_ptr_array_add(j->strings, g_strdup(client));
        ba_audit_entry a = {.action = "export",
                            .client = g_ptr_array_index(j->strings, j->strings->len - 1),
                            .objects = objects->str, .purpose = ba_consent_scope_name(j->purpose),
                            .result = "ok", .detail = detail};
        g_ptr_array_add(j->strings, g_string_free(objects, FALSE));
        g_ptr_array_add(j->strings, detail);
        g_array_append_val(j->oks, a);
    }
}

/* Runs inside the catalog's write transaction that records the export as
 * pending: consent is decided again under the write lock (a revocation that
 * committed while the images were rendered refuses the export here), and
 * the files get their names now that the export id is known. */
static int recheck_and_name(void *ud, ba_error *err)
{
    job *j = ud;
    GHashTableIter hi;
    gpointer key, value;
    g_hash_table_iter_init(&hi, j->decisions);
    while (g_hash_table_iter_next(&hi, &key, &value)) {
        decision *d = value;
        if (!d->allowed || items_of(j, key, NULL, NULL) == 0)
            continue;
        int64_t consent_id = 0;
        ba_error e;
        if (ba_consent_check(j->cat, key, j->purpose, j->today, j->deid, &consent_id, &e)) {
            if (e.code == BA_ERR_REFUSED) {
                d->allowed = false;
                g_strlcpy(d->reason, e.message, sizeof d->reason);
                ba_error_set(err, BA_ERR_REFUSED,
                             "%s export refused: the consent changed while the images were "
                             "rendered: %s; nothing was written",
                             ba_consent_scope_name(j->purpose), e.message);
            } else {
                *err = e;
            }
            return -1;
        }
        if (consent_id != d->consent_id) {
            /* Another consent now carries it: record the one relied on. */
            for (guint i = 0; i < j->consents->len; i++)
                if (g_array_index(j->consents, int64_t, i) == d->consent_id)
                    g_array_index(j->consents, int64_t, i) = consent_id;
            d->consent_id = consent_id;
        }
    }
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (!it->refused)
            snprintf(it->file, sizeof it->file, "%" G_GINT64_FORMAT "-%d.png", j->rec.id, it->n);
    }
    return 0;
}

/* Make the placed files durable: their names live in the folder. */
static int sync_folder(const char *dir, ba_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int ok = fd >= 0 && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (!ok) {
        ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot sync: %s", dir,
                     g_strerror(e));
        return -1;
    }
    return 0;
}

/* After the pending record is committed: the images, then the manifest, each
 * moved into the destination without replacing anything. */
static int place_all(job *j, ba_error *err)
{
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        char *to = g_build_filename(j->dest, it->file, NULL);
        if (place_file(it->tmp, to, err)) {
            g_free(to);
            return -1;
        }
        g_ptr_array_add(j->placed, to);
        ba_fault_point("export-image-placed");
    }
    char *text = manifest_text(j);
    char *tmp = g_build_filename(j->tmpdir, MANIFEST, NULL);
    char *to = g_build_filename(j->dest, MANIFEST, NULL);
    GError *gerr = NULL;
    int rc = 0;
    if (!g_file_set_contents_full(tmp, text, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                  0644, &gerr)) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot write: %s", to, gerr->message);
        g_error_free(gerr);
        rc = -1;
    } else if (place_file(tmp, to, err)) {
        rc = -1;
    }
    g_free(text);
    g_free(tmp);
    if (rc) {
        g_free(to);
        return -1;
    }
    g_ptr_array_add(j->placed, to);
    return sync_folder(j->dest, err);
}

/* ---- the export ------------------------------------------------------------ */

static void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, n, NULL);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

static int check_options(job *j, ba_error *err)
{
    const ba_export_options *o = j->o;
    int purpose = ba_consent_scope_parse(o->purpose);
    if (purpose < 0) {
        ba_error_set(err, BA_ERR_USAGE, "unknown purpose '%s' (clinical, education, marketing)",
                     o->purpose ? o->purpose : "");
        return -1;
    }
    j->purpose = (ba_consent_scope)purpose;
    int deid = ba_consent_deid_parse(o->deidentify ? o->deidentify : "none");
    if (deid < 0) {
        ba_error_set(err, BA_ERR_USAGE,
                     "unknown de-identification '%s' (eyes, half-letterbox, blur-face)",
                     o->deidentify);
        return -1;
    }
    j->deid = (ba_deidentify)deid;
    if (o->eyes && j->deid == BA_DEID_NONE) {
        ba_error_set(err, BA_ERR_USAGE, "--eyes needs --deidentify eyes, half-letterbox or "
                                        "blur-face");
        return -1;
    }
    if (o->face && j->deid != BA_DEID_BLUR_FACE) {
        ba_error_set(err, BA_ERR_USAGE, "--face needs --deidentify blur-face");
        return -1;
    }
    j->label_style = -1;
    if (o->label_style) {
        j->label_style = ba_label_style_parse(o->label_style);
        if (j->label_style < 0) {
            ba_error_set(err, BA_ERR_USAGE, "unknown label style '%s' (none, stage, date, full)",
                         o->label_style);
            return -1;
        }
    }
    if (!o->destination || !*o->destination) {
        ba_error_set(err, BA_ERR_USAGE, "no destination folder given");
        return -1;
    }
    if (o->caption && (!g_utf8_validate(o->caption, -1, NULL) || strlen(o->caption) > 400)) {
        ba_error_set(err, BA_ERR_USAGE, "caption must be UTF-8 and at most 400 bytes");
        return -1;
    }
    if (o->n_comparisons <= 0 && (!o->client || !*o->client)) {
        ba_error_set(err, BA_ERR_USAGE, "give comparison ids or a client");
        return -1;
    }
    if (o->n_comparisons > 0 && o->client) {
        ba_error_set(err, BA_ERR_USAGE, "give comparison ids or a client, not both");
        return -1;
    }
    return 0;
}

/* The regions to hide, in the (one) reference photo of every comparison. */
static int plan_regions(job *j, ba_error *err)
{
    if (j->deid == BA_DEID_NONE)
        return 0;
    const item *first = NULL;
    for (guint i = 0; i < j->items->len; i++) {
        const item *it = g_ptr_array_index(j->items, i);
        if (!first) {
            first = it;
        } else if (it->rec.photos[0] != first->rec.photos[0]) {
            ba_error_set(err, BA_ERR_USAGE,
                         "--eyes/--face are positions in one reference photo, but comparisons %" G_GINT64_FORMAT
                         " and %" G_GINT64_FORMAT " start from different photos; export them one "
                         "at a time",
                         first->rec.id, it->rec.id);
            return -1;
        }
    }
    return ba_consent_deid_regions(j->deid, j->o->eyes, j->o->face, first->photos[0].width,
                                   first->photos[0].height, j->regions,
                                   BA_COMPOSE_MAX_REDACTIONS, &j->n_regions, err);
}

/* Temporary folders of exports whose process is gone, in @dest: removed. */
static void remove_stale_tmpdirs(const char *dest)
{
    GDir *d = g_dir_open(dest, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        int pid = 0;
        if (sscanf(n, TMPDIR_PREFIX "%d-", &pid) != 1 || pid <= 0 || pid == (int)getpid())
            continue;
        if (kill(pid, 0) == 0 || errno == EPERM)
            continue; /* still running */
        char *p = g_build_filename(dest, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            remove_tree(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
}

/* LIBRARY/tmp/export-<pid>-XXXXXX names the destination while this export
 * has a temporary folder there, so that the folder of a killed export is
 * found and removed (verify --repair) even when nothing was recorded. */
static int write_note(job *j, ba_error *err)
{
    char *name = g_strdup_printf(NOTE_PREFIX "%d-XXXXXX", (int)getpid());
    j->note = g_build_filename(ba_catalog_dir(j->cat), "tmp", name, NULL);
    g_free(name);
    int fd = g_mkstemp_full(j->note, O_WRONLY | O_CLOEXEC, 0600);
    size_t len = strlen(j->dest);
    bool ok = fd >= 0 && write(fd, j->dest, len) == (ssize_t)len;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (!ok) {
        ba_error_set(err, e == ENOSPC || e == EDQUOT ? BA_ERR_NOSPACE : BA_ERR_IO,
                     "%s: cannot write: %s", j->note, g_strerror(e));
        if (fd >= 0)
            g_unlink(j->note);
        g_free(j->note);
        j->note = NULL;
        return -1;
    }
    return 0;
}

/* Make the destination and a temporary folder inside it. */
static int prepare_destination(job *j, ba_error *err)
{
    if (ba_library_check_output(ba_catalog_dir(j->cat), j->o->destination, true, err))
        return -1;
    j->dest = g_canonicalize_filename(j->o->destination, NULL);
    if (g_file_test(j->dest, G_FILE_TEST_EXISTS)) {
        if (!g_file_test(j->dest, G_FILE_TEST_IS_DIR)) {
            ba_error_set(err, BA_ERR_USAGE, "%s: exists and is not a folder", j->o->destination);
            return -1;
        }
        char *m = g_build_filename(j->dest, MANIFEST, NULL);
        bool taken = g_file_test(m, G_FILE_TEST_EXISTS);
        g_free(m);
        if (taken) {
            ba_error_set(err, BA_ERR_EXISTS,
                         "%s: already holds an export (" MANIFEST "); export into a new folder",
                         j->o->destination);
            return -1;
        }
    } else {
        if (g_mkdir_with_parents(j->dest, 0755) != 0) {
            int e = errno;
            ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot create: %s",
                         j->o->destination, g_strerror(e));
            return -1;
        }
        j->created_dest = true;
    }
    remove_stale_tmpdirs(j->dest);
    if (write_note(j, err))
        return -1;
    char *name = g_strdup_printf(TMPDIR_PREFIX "%d-XXXXXX", (int)getpid());
    j->tmpdir = g_build_filename(j->dest, name, NULL);
    g_free(name);
    if (!g_mkdtemp(j->tmpdir)) {
        int e = errno;
        ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write: %s",
                     j->o->destination, g_strerror(e));
        g_free(j->tmpdir);
        j->tmpdir = NULL;
        return -1;
    }
    return 0;
}

static void audit_failure(job *j, const ba_error *why)
{
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        for (guint k = 0; k < it->clients->len; k++) {
            char objects[48];
            snprintf(objects, sizeof objects, "comparison %" G_GINT64_FORMAT, it->rec.id);
            ba_audit_entry a = {.action = "export",
                                .client = g_ptr_array_index(it->clients, k),
                                .objects = objects,
                                .purpose = ba_consent_scope_name(j->purpose),
                                .result = "failed",
                                .detail = why->message};
            ba_catalog_audit_add(j->cat, &a, NULL);
        }
    }
}

/* Every region to hide must lie mostly inside what the comparison shows:
 * a bar in a corner of the crop, or outside it, hides nothing and must not be
 * called a de-identification.  (Coverage of the eyes themselves is measured
 * on the output by the honest-marketing work; this is the floor.) */
static int check_coverage(job *j, ba_error *err)
{
    for (guint i = 0; i < j->items->len; i++) {
        const item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        const double *c = it->out.crop;
        for (int r = 0; r < it->opts.n_redactions; r++) {
            const ba_redaction *x = &it->opts.redactions[r];
            double w = MIN(x->x + x->w, c[0] + c[2]) - MAX(x->x, c[0]);
            double h = MIN(x->y + x->h, c[1] + c[3]) - MAX(x->y, c[1]);
            double inside = w > 0 && h > 0 ? w * h : 0;
            if (inside < 0.5 * x->w * x->h) {
                ba_error_set(err, BA_ERR_REFUSED,
                             "comparison %" G_GINT64_FORMAT ": the region to hide (%.0f,%.0f "
                             "%.0fx%.0f) lies mostly outside the part of the photos shown "
                             "(%.0f,%.0f %.0fx%.0f), so it would hide almost nothing; nothing "
                             "was written",
                             it->rec.id, x->x, x->y, x->w, x->h, c[0], c[1], c[2], c[3]);
                return -1;
            }
        }
    }
    return 0;
}

/* Record the export as pending, deciding consent again in that transaction. */
static int record_pending(job *j, ba_error *err)
{
    /* The consents relied on, once each. */
    GHashTableIter hi;
    gpointer key, value;
    g_hash_table_iter_init(&hi, j->decisions);
    while (g_hash_table_iter_next(&hi, &key, &value)) {
        decision *d = value;
        if (d->allowed && d->consent_id)
            g_array_append_val(j->consents, d->consent_id);
    }
    j->rec.purpose = ba_consent_scope_name(j->purpose);
    j->rec.created_at = j->created_at;
    j->rec.destination = j->dest;
    j->rec.deidentification = ba_consent_deid_name(j->deid);
    j->rec.caption = j->o->caption;
    j->rec.tool_version = ba_version();
    j->rec.consent_ids = (const int64_t *)j->consents->data;
    j->rec.n_consents = (int)j->consents->len;
    GArray *items = g_array_new(FALSE, TRUE, sizeof(ba_export_item));
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        /* .file points at it->file, named inside the transaction. */
        ba_export_item x = {.n = it->n, .comparison_id = it->rec.id, .file = it->file,
                            .sha256 = it->out.sha256};
        g_array_append_val(items, x);
    }
    ba_store_hooks hooks = {recheck_and_name, NULL, j};
    int rc = ba_catalog_export_add(j->cat, &j->rec, (ba_export_item *)items->data,
                                   (int)items->len, (ba_audit_entry *)j->audits->data,
                                   (int)j->audits->len, &hooks, err);
    g_array_free(items, TRUE);
    if (rc && err->code == BA_ERR_REFUSED) {
        /* Refused under the lock: log it as the first check would have. */
        g_array_set_size(j->audits, 0);
        refusal_audits(j, "at recording: ");
        for (guint i = 0; i < j->audits->len; i++)
            ba_catalog_audit_add(j->cat, &g_array_index(j->audits, ba_audit_entry, i), NULL);
    } else if (rc) {
        audit_failure(j, err);
    }
    return rc;
}

/* The files could not all be placed and were removed again: the pending
 * record becomes failed, with the reason in the audit log. */
static void fail_export(job *j, const ba_error *why)
{
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(ba_audit_entry));
    char objects[48];
    snprintf(objects, sizeof objects, "export %" G_GINT64_FORMAT, j->rec.id);
    GHashTableIter hi;
    gpointer key, value;
    g_hash_table_iter_init(&hi, j->decisions);
    while (g_hash_table_iter_next(&hi, &key, &value)) {
        if (!((decision *)value)->allowed || items_of(j, key, NULL, NULL) == 0)
            continue;
        ba_audit_entry a = {.action = "export", .client = key, .objects = objects,
                            .purpose = ba_consent_scope_name(j->purpose), .result = "failed",
                            .detail = why->message};
        g_array_append_val(rows, a);
    }
    ba_catalog_export_finish(j->cat, j->rec.id, "failed", (ba_audit_entry *)rows->data,
                             (int)rows->len, NULL);
    g_array_free(rows, TRUE);
}

int ba_consent_export(ba_catalog *cat, const ba_export_options *o, ba_export_result *out,
                      ba_error *err)
{
    ba_export_result dummy;
    if (!out)
        out = &dummy;
    memset(out, 0, sizeof *out);
    job j = {.cat = cat, .o = o};
    ba_catalog_today(cat, j.today);
    ba_consent_utc_now(j.created_at);
    g_strlcpy(out->date, j.today, sizeof out->date);
    j.items = g_ptr_array_new_with_free_func(item_free);
    j.decisions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    j.consents = g_array_new(FALSE, FALSE, sizeof(int64_t));
    j.placed = g_ptr_array_new_with_free_func(g_free);
    j.strings = g_ptr_array_new_with_free_func(g_free);
    j.audits = g_array_new(FALSE, TRUE, sizeof(ba_audit_entry));
    j.oks = g_array_new(FALSE, TRUE, sizeof(ba_audit_entry));
    int rc = -1, n_refused = 0;
    if (!o) {
        ba_error_set(err, BA_ERR_USAGE, "no export options");
        goto out;
    }
    if (check_options(&j, err) || select_items(&j, err) || plan_regions(&j, err) ||
        decide_items(&j, &n_refused, err))
        goto out;
    out->n_refused = n_refused;
    int n_allowed = (int)j.items->len - n_refused;
    if (n_refused > 0 && (!o->skip_refused || n_allowed == 0)) {
        const item *first = NULL;
        for (guint i = 0; i < j.items->len && !first; i++)
            if (((item *)g_ptr_array_index(j.items, i))->refused)
                first = g_ptr_array_index(j.items, i);
        refusal_audits(&j, "");
        ba_error logged;
        bool ok = true;
        for (guint i = 0; i < j.audits->len && ok; i++)
            ok = ba_catalog_audit_add(cat, &g_array_index(j.audits, ba_audit_entry, i), &logged) == 0;
        char more[64] = "";
        if (n_refused > 1)
            snprintf(more, sizeof more, "; %d of %u comparisons refused", n_refused, j.items->len);
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s export refused: %s (comparison %" G_GINT64_FORMAT ")%s; nothing was "
                     "written%s%s",
                     ba_consent_scope_name(j.purpose), first->reason, first->rec.id, more,
                     ok ? "" : "; the refusal could not be logged: ", ok ? "" : logged.message);
        goto out;
    }
    if (n_refused)
        refusal_audits(&j, "skipped: ");
    /* Whatever killed exports left behind goes first. */
    ba_consent_exports_stale_tmp(cat, true, NULL, NULL);
    if (prepare_destination(&j, err))
        goto out;
    if (render_items(&j, err) || check_coverage(&j, err)) {
        audit_failure(&j, err);
        goto out;
    }
    if (record_pending(&j, err))
        goto out;
    ba_fault_point("export-recorded");
    if (place_all(&j, err)) {
        unplace(&j);
        fail_export(&j, err);
        goto out;
    }
    ba_fault_point("export-placed");
    export_audits(&j);
    if (ba_catalog_export_finish(cat, j.rec.id, "done", (ba_audit_entry *)j.oks->data,
                                 (int)j.oks->len, err)) {
        /* The files are in place and the record lists them as pending:
         * verify reports it, revocation lists it.  Say so. */
        char *why = g_strdup(err->message);
        ba_error_set(err, err->code,
                     "export %" G_GINT64_FORMAT " is in %s but could not be marked done (%s); "
                     "it stays listed as pending",
                     j.rec.id, j.dest, why);
        g_free(why);
        goto out;
    }
    out->export_id = j.rec.id;
    out->n_items = n_allowed;
    rc = 0;
out:
    if (j.tmpdir)
        remove_tree(j.tmpdir);
    if (j.note)
        g_unlink(j.note);
    g_free(j.note);
    if (rc && j.created_dest)
        g_rmdir(j.dest);
    g_free(j.tmpdir);
    g_free(j.dest);
    g_ptr_array_free(j.items, TRUE);
    g_hash_table_destroy(j.decisions);
    g_array_free(j.consents, TRUE);
    g_ptr_array_free(j.placed, TRUE);
    g_ptr_array_free(j.strings, TRUE);
    g_array_free(j.audits, TRUE);
    g_array_free(j.oks, TRUE);
    return rc;
}

/* ---- exports a dead process left pending ----------------------------------- */

typedef struct unfinished {
    ba_catalog *cat;
    bool repair;
    ba_export_fn fn;
    void *ud;
    int n;
    int rc;
    ba_error *err;
} unfinished;

static bool writer_alive(int64_t pid)
{
    if (pid <= 0 || pid > G_MAXINT)
        return false;
    if (pid == (int64_t)getpid())
        return true;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Mark @e interrupted, saying which of its files are in place. */
static int mark_interrupted(unfinished *u, ba_export_record *e, const ba_export_item *items,
                            int n_items)
{
    remove_stale_tmpdirs(e->destination);
    GString *present = g_string_new(NULL);
    const char *names[BA_COMPOSE_MAX_PANELS + 64];
    int n_names = 0;
    for (int i = 0; i < n_items && n_names < (int)G_N_ELEMENTS(names) - 1; i++)
        names[n_names++] = items[i].file;
    names[n_names++] = MANIFEST;
    for (int i = 0; i < n_names; i++) {
        char *p = g_build_filename(e->destination, names[i], NULL);
        if (g_file_test(p, G_FILE_TEST_EXISTS))
            g_string_append_printf(present, "%s%s", present->len ? ", " : "", names[i]);
        g_free(p);
    }
    char objects[48];
    snprintf(objects, sizeof objects, "export %" G_GINT64_FORMAT, e->id);
    char *detail = g_strdup_printf("the writer stopped before it finished; in %s: %s",
                                   e->destination, present->len ? present->str : "no files");
    ba_audit_entry a = {.action = "export-interrupted", .objects = objects,
                        .purpose = e->purpose, .result = "interrupted", .detail = detail};
    int rc = ba_catalog_export_finish(u->cat, e->id, "interrupted", &a, 1, u->err);
    g_free(detail);
    g_string_free(present, TRUE);
    if (rc == 0)
        e->status = "interrupted";
    return rc;
}

static int on_unfinished(const ba_export_record *e, const ba_export_item *items, int n_items,
                         void *ud)
{
    unfinished *u = ud;
    if (strcmp(e->status ? e->status : "", "pending") != 0 || writer_alive(e->writer_pid))
        return 0;
    ba_export_record copy = *e;
    if (u->repair && mark_interrupted(u, &copy, items, n_items)) {
        u->rc = -1;
        return 1;
    }
    u->n++;
    return u->fn ? u->fn(&copy, items, n_items, u->ud) : 0;
}

int ba_consent_exports_unfinished(ba_catalog *cat, bool repair, ba_export_fn fn, void *ud,
                                  int *n, ba_error *err)
{
    unfinished u = {.cat = cat, .repair = repair, .fn = fn, .ud = ud, .err = err};
    ba_export_filter f = {.unfinished_only = true};
    int rc = ba_catalog_export_list(cat, &f, on_unfinished, &u, err);
    if (n)
        *n = u.n;
    return rc || u.rc ? -1 : 0;
}

int ba_consent_exports_stale_tmp(ba_catalog *cat, bool remove, ba_stale_fn fn, void *ud)
{
    char *tmp = g_build_filename(ba_catalog_dir(cat), "tmp", NULL);
    GDir *d = g_dir_open(tmp, 0, NULL);
    const char *n;
    int count = 0;
    while (d && (n = g_dir_read_name(d))) {
        int pid = 0;
        if (sscanf(n, NOTE_PREFIX "%d-", &pid) != 1 || writer_alive(pid))
            continue;
        char *note = g_build_filename(tmp, n, NULL);
        char *dest = NULL;
        if (g_file_get_contents(note, &dest, NULL, NULL) && g_path_is_absolute(dest)) {
            char *prefix = g_strdup_printf(TMPDIR_PREFIX "%d-", pid);
            GDir *dd = g_dir_open(dest, 0, NULL);
            const char *m;
            while (dd && (m = g_dir_read_name(dd))) {
                if (!g_str_has_prefix(m, prefix))
                    continue;
                char *folder = g_build_filename(dest, m, NULL);
                bool removed = false;
                if (remove && g_file_test(folder, G_FILE_TEST_IS_DIR) &&
                    !g_file_test(folder, G_FILE_TEST_IS_SYMLINK)) {
                    remove_tree(folder);
                    removed = !g_file_test(folder, G_FILE_TEST_EXISTS);
                }
                count++;
                if (fn)
                    fn(folder, removed, ud);
                g_free(folder);
            }
            if (dd)
                g_dir_close(dd);
            g_free(prefix);
        }
        if (remove)
            g_unlink(note);
        g_free(dest);
        g_free(note);
    }
    if (d)
        g_dir_close(d);
    g_free(tmp);
    return count;
}
