/* Export: the pipeline.  Select the comparisons, decide consent, re-render
 * them de-identified into a temporary folder, record the export as pending
 * (consent decided again in that transaction), place the files, mark it done.
 * The manifest is in manifest.c, the destination folder in destination.c. */
#include "beforeafter/consent.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "beforeafter/beforeafter.h"
#include "catalog/writers.h"
#include "common/error_prefix.h"
#include "compose/loaded.h"
#include "consent/export.h"
#include "consent/rules.h"
#include "consent/signature.h"
#include "library/clock.h"
#include "ingest/fault.h"

void ba_consent_export_options_init(ba_export_options *o)
{
    memset(o, 0, sizeof *o);
}

static void item_free(gpointer p)
{
    item *it = p;
    if (it->clients)
        g_ptr_array_free(it->clients, TRUE);
    g_free(it->caption);
    g_free(it->logo);
    g_free(it->label_before);
    g_free(it->label_after);
    g_free(it->tmp);
    ba_comparison_record_clear(&it->rec);
    g_free(it);
}

/* ---- selecting ---------------------------------------------------------- */

static int load_item(job *j, const ba_comparison_record *rec, item **out, ba_error *err)
{
    /* Never export what no longer matches the record: a comparison whose
     * photo was corrected or retracted since is refused (photo_edit.c). */
    if (ba_catalog_comparison_check_current(j->cat, rec->id, err))
        return -1;
    item *it = g_new0(item, 1);
    it->rec = *rec;
    it->rec.parameters = g_strdup(rec->parameters);
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
    /* Read once: the render and the manifest both use them. */
    for (int p = 1; rec->aligned && p < rec->n_photos && p < BA_COMPOSE_MAX_PANELS; p++) {
        ba_error e;
        it->has_align[p] = ba_catalog_alignment_get(j->cat, rec->photos[p], rec->photos[0],
                                                    &it->align[p], &e) == 0;
    }
    *out = it;
    return 0;
}

static int collect_comparison(const ba_comparison_record *c, void *ud)
{
    ba_comparison_record copy = *c;
    copy.parameters = g_strdup(c->parameters);
    g_array_append_val((GArray *)ud, copy);
    return 0;
}

static void clear_record(gpointer p)
{
    ba_comparison_record_clear(p);
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
            if (ba_catalog_comparison_get(j->cat, o->comparisons[i], &rec, err))
                return -1;
            int bad = load_item(j, &rec, &it, err);
            ba_comparison_record_clear(&rec);
            if (bad)
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
    g_array_set_clear_func(recs, clear_record);
    int rc = ba_catalog_comparison_list(j->cat, o->client, collect_comparison, recs, err);
    for (guint i = 0; rc == 0 && i < recs->len; i++) {
        const ba_comparison_record *rec = &g_array_index(recs, ba_comparison_record, i);
        /* Of an area: every photo shows it (any of a photo's areas); other
         * areas' comparisons are neither loaded nor checked. */
        if (o->area) {
            char *list = g_strdup_printf(",%s,", rec->areas);
            char *key = g_strdup_printf(",%s,", o->area);
            bool of_area = strstr(list, key) != NULL;
            g_free(list);
            g_free(key);
            if (!of_area)
                continue;
        }
        item *it;
        rc = load_item(j, rec, &it, err);
        if (rc)
            break;
        g_ptr_array_add(j->items, it);
    }
    g_array_free(recs, TRUE);
    if (rc == 0 && j->items->len == 0) {
        ba_error_set(err, BA_ERR_NOT_FOUND,
                     "client %s has no comparisons%s%s to export",
                     o->client, o->area ? " of " : "", o->area ? o->area : "");
        ba_error_hint(err, BA_HINT_MAKE_COMPARISON);
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

/*
 * An aligned comparison leaves with the alignments it was reviewed with.
 * When one is gone (the catalog lost it, or an older version recorded the
 * comparison), the export refuses rather than align anew: a transform
 * computed here would be one nobody has looked at, the image could differ
 * from the comparison the clinician approved, and the manifest could not
 * name the alignment it used.  Aligning again and looking at the comparison
 * is a minute's work; an unreviewed marketing image cannot be called back.
 */
static int check_alignments(const item *it, ba_error *err)
{
    for (int p = 1; it->opts.align && p < it->rec.n_photos && p < BA_COMPOSE_MAX_PANELS; p++) {
        if (it->has_align[p])
            continue;
        ba_error_set(err, BA_ERR_REFUSED,
                     "comparison %" G_GINT64_FORMAT ": photo %" G_GINT64_FORMAT " has no stored "
                     "alignment onto photo %" G_GINT64_FORMAT " any more, so the image would not "
                     "be the one reviewed; align them again and check the comparison; nothing "
                     "was written",
                     it->rec.id, it->rec.photos[p], it->rec.photos[0]);
        return -1;
    }
    return 0;
}

static void fit_layout(const job *j, const item *it, ba_compose_options *o);

static int render_items(job *j, ba_error *err)
{
    int n = 0;
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        it->n = ++n;
        if (ex_options_from_record(j, it, err))
            return -1;
        if (j->out_width) {
            it->opts.width = j->out_width;
            it->opts.height = j->out_height;
            fit_layout(j, it, &it->opts);
        }
        it->opts.quality = j->quality;
        if (!it->caption && j->disclosure) {
            /* The rules pack's disclosure, from the library's text. */
            it->caption = g_strdup(j->disclosure);
            it->opts.caption = it->caption;
        }
        char name[32];
        snprintf(name, sizeof name, "%d.%s", it->n, j->ext);
        it->tmp = g_build_filename(j->tmpdir, name, NULL);
        if (check_alignments(it, err) || ex_deid_plan(j, it, err))
            return -1;
        const ba_alignment *aligns[BA_COMPOSE_MAX_PANELS] = {NULL};
        for (int p = 1; p < BA_COMPOSE_MAX_PANELS; p++)
            aligns[p] = it->has_align[p] ? &it->align[p] : NULL;
        if (ba_compose_loaded(j->cat, it->photos, aligns, it->rec.n_photos, &it->opts, it->tmp,
                              &it->out, err)) {
            /* The prefix keeps the hint (a damaged master: verify tells more). */
            ba_error_prefix(err, "comparison %" G_GINT64_FORMAT, it->rec.id);
            return -1;
        }
    }
    return 0;
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
            snprintf(it->file, sizeof it->file, "%" G_GINT64_FORMAT "-%d.%s", j->rec.id, it->n,
                     j->ext);
    }
    return 0;
}


/* The output's size and format: a preset, or a width (and height). */
static int check_output(job *j, ba_error *err)
{
    static const struct {
        const char *name;
        int w, h;
    } PRESETS[] = {{"square", 1080, 1080}, {"portrait", 1080, 1350}, {"story", 1080, 1920}};
    const ba_export_options *o = j->o;
    if (o->width < 0 || o->height < 0 || o->width > BA_COMPOSE_MAX_SIDE ||
        o->height > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE, "an output size of %d x %d px is outside 1..%d px",
                     o->width, o->height, BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    if (o->height && !o->width) {
        ba_error_set(err, BA_ERR_USAGE, "an output height needs an output width");
        return -1;
    }
    j->out_width = o->width;
    j->out_height = o->height;
    if (o->preset) {
        if (o->width) {
            ba_error_set(err, BA_ERR_USAGE, "give a preset or an output size, not both");
            return -1;
        }
        size_t i = 0;
        while (i < G_N_ELEMENTS(PRESETS) && strcmp(PRESETS[i].name, o->preset) != 0)
            i++;
        if (i == G_N_ELEMENTS(PRESETS)) {
            ba_error_set(err, BA_ERR_USAGE,
                         "unknown preset '%s' (square 1080x1080, portrait 1080x1350, story "
                         "1080x1920)",
                         o->preset);
            return -1;
        }
        j->out_width = PRESETS[i].w;
        j->out_height = PRESETS[i].h;
    }
    /* JPEG 90 and WebP 85: the settings at which a 1080 px photo shows no
     * artefact a viewer can see (libjpeg's 90 keeps full-resolution chroma
     * steps fine; WebP's 85 matches JPEG 90 in SSIM at about two thirds of
     * the bytes), while the files stay a few hundred kB, not the PNG's MBs. */
    const char *f = o->format ? o->format : "png";
    if (strcmp(f, "png") == 0) {
        j->ext = "png";
        j->quality = 0;
    } else if (strcmp(f, "jpg") == 0 || strcmp(f, "jpeg") == 0) {
        j->ext = "jpg";
        j->quality = 90;
    } else if (strcmp(f, "webp") == 0) {
        j->ext = "webp";
        j->quality = 85;
    } else {
        ba_error_set(err, BA_ERR_USAGE, "unknown output format '%s' (png, jpg, webp)", f);
        return -1;
    }
    return 0;
}

/* On a fixed canvas, the layout whose panels best match the reference
 * photo's shape (log of the ratio of aspects): stacked for landscape photos
 * on a tall canvas, side by side for portrait ones on a wide one.  A
 * timeline keeps its grid. */
static void fit_layout(const job *j, const item *it, ba_compose_options *o)
{
    if (!j->out_width || !j->out_height || o->layout == BA_LAYOUT_TIMELINE)
        return;
    int n = it->rec.n_photos;
    double photo = it->photos[0].width > 0 && it->photos[0].height > 0
                       ? (double)it->photos[0].height / it->photos[0].width
                       : 0.75;
    double side = (double)j->out_height / ((double)j->out_width / n);
    double stacked = ((double)j->out_height / n) / j->out_width;
    o->layout = fabs(log(stacked / photo)) < fabs(log(side / photo)) ? BA_LAYOUT_STACKED
                                                                     : BA_LAYOUT_SIDE_BY_SIDE;
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
                     "unknown de-identification '%s' (eyes, half-letterbox, blur-face, "
                     "crop-to-area, blur-outside)",
                     o->deidentify);
        return -1;
    }
    j->deid = (ba_deidentify)deid;
    if (o->eyes && j->deid == BA_DEID_NONE) {
        ba_error_set(err, BA_ERR_USAGE, "eye centres need a de-identification");
        return -1;
    }
    if (o->roi && j->deid != BA_DEID_CROP_TO_AREA && j->deid != BA_DEID_BLUR_OUTSIDE) {
        ba_error_set(err, BA_ERR_USAGE,
                     "a treatment area rectangle needs the de-identification crop-to-area or "
                     "blur-outside");
        return -1;
    }
    if (o->face && j->deid != BA_DEID_BLUR_FACE) {
        ba_error_set(err, BA_ERR_USAGE, "a face box needs the de-identification blur-face");
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
    return check_output(j, err);
}

/* ---- rules packs (rules.c) ------------------------------------------------- */

/* String member @name of the recorded parameters @params, or NULL (g_free it). */
static char *recorded_text(const char *params, const char *name)
{
    JsonParser *p = json_parser_new();
    char *v = NULL;
    if (params && json_parser_load_from_data(p, params, -1, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        JsonObject *obj = json_node_get_object(json_parser_get_root(p));
        JsonNode *n = json_object_get_member(obj, name);
        if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            v = g_strdup(json_node_get_string(n));
    }
    g_object_unref(p);
    return v;
}

/* One item against the pack; -1 with @reason when it breaks a rule. */
static int rules_item(job *j, const item *it, const char *disclosure, bool *used_library,
                      char *reason, size_t size, ba_error *err)
{
    char *recorded = j->o->caption ? NULL : recorded_text(it->rec.parameters, "caption");
    const char *caption = j->o->caption ? j->o->caption : recorded;
    if ((!caption || !*caption) && disclosure) {
        caption = disclosure;
        *used_library = true;
    }
    char *before = recorded_text(it->rec.parameters, "label_before");
    char *after = recorded_text(it->rec.parameters, "label_after");
    char *dest = g_path_get_basename(j->o->destination);
    int last = MIN(it->rec.n_photos, BA_COMPOSE_MAX_PANELS) - 1;
    ba_rules_subject s = {
        .caption = caption,
        .texts = {dest, before, after, NULL},
        .text_names = {"the destination folder's name", "the first panel's label",
                       "the last panel's label", NULL},
        .first_stage = it->photos[0].stage,
        .first_date = it->photos[0].session_date,
        .last_stage = it->photos[last].stage,
        .last_date = it->photos[last].session_date,
        .today = j->today,
        .marketing = j->purpose == BA_SCOPE_MARKETING,
    };
    if (!before) /* keep the list NULL-terminated without a hole */
        s.texts[1] = after, s.text_names[1] = s.text_names[2], s.texts[2] = NULL;
    int rc = 0;
    for (guint k = 0; rc == 0 && k < it->clients->len; k++) {
        ba_client cl;
        if (ba_catalog_client_get(j->cat, g_ptr_array_index(it->clients, k), &cl, err)) {
            rc = -2;
            break;
        }
        s.birth_date = cl.birth_date;
        rc = ba_rules_check((ba_rules_pack)j->rules, &s, reason, size);
    }
    g_free(recorded);
    g_free(before);
    g_free(after);
    g_free(dest);
    return rc;
}

/* The rules pack asked for (or the library's default, for marketing), run
 * on every comparison before anything is rendered: a refusal writes nothing
 * but its audit rows, as a consent refusal does. */
static int check_rules(job *j, ba_error *err)
{
    const ba_export_options *o = j->o;
    int pack = BA_RULES_NONE;
    if (o->rules) {
        pack = ba_rules_parse(o->rules);
        if (pack < 0) {
            ba_error_set(err, BA_ERR_USAGE, "unknown rules pack '%s' (uk, au, us, none)",
                         o->rules);
            return -1;
        }
    } else if (j->purpose == BA_SCOPE_MARKETING) {
        char *def = NULL;
        if (ba_consent_setting_get(j->cat, "rules", &def, err))
            return -1;
        pack = def ? MAX(0, ba_rules_parse(def)) : BA_RULES_NONE;
        g_free(def);
    }
    j->rules = pack;
    if (pack == BA_RULES_NONE)
        return 0;
    char *disclosure = NULL;
    if (ba_consent_setting_get(j->cat, "disclosure", &disclosure, err))
        return -1;
    bool used_library = false;
    int rc = 0;
    for (guint i = 0; rc == 0 && i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        char reason[512];
        rc = rules_item(j, it, disclosure, &used_library, reason, sizeof reason, err);
        if (rc != -1)
            continue;
        char objects[48];
        snprintf(objects, sizeof objects, "comparison %" G_GINT64_FORMAT, it->rec.id);
        for (guint k = 0; k < it->clients->len; k++) {
            ba_audit_entry a = {.action = "export",
                                .client = g_ptr_array_index(it->clients, k),
                                .objects = objects,
                                .purpose = ba_consent_scope_name(j->purpose),
                                .result = "refused",
                                .detail = reason};
            ba_catalog_audit_add(j->cat, &a, NULL);
        }
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s export refused: %s (comparison %" G_GINT64_FORMAT "); nothing was "
                     "written",
                     ba_consent_scope_name(j->purpose), reason, it->rec.id);
    }
    if (rc == 0 && used_library)
        j->disclosure = g_strdup(disclosure);
    g_free(disclosure);
    return rc ? -1 : 0;
}

/* The regions to hide, in the (one) reference photo of every comparison. */
static int plan_regions(job *j, ba_error *err)
{
    /* Without given positions every panel's are detected (ex_deid_plan()). */
    if (j->deid == BA_DEID_NONE || (!j->o->eyes && !j->o->face && !j->o->roi))
        return 0;
    const item *first = NULL;
    for (guint i = 0; i < j->items->len; i++) {
        const item *it = g_ptr_array_index(j->items, i);
        if (!first) {
            first = it;
        } else if (it->rec.photos[0] != first->rec.photos[0]) {
            ba_error_set(err, BA_ERR_USAGE,
                         "eye centres and face boxes are positions in one reference photo, but "
                         "comparisons %" G_GINT64_FORMAT
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


static void audit_failure(job *j, const ba_error *why, const char *result)
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
                                .result = result,
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
        /* And the floor is not trusted: every panel measured as written. */
        if (ex_coverage_check(j, (item *)it, err))
            return -1;
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
        audit_failure(j, err, "failed");
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
    /* The pipeline reads its own error back (refused or failed?): without
     * the caller's, it uses one of its own. */
    ba_error own;
    if (!err)
        err = &own;
    memset(out, 0, sizeof *out);
    job j = {.cat = cat, .o = o};
    ba_catalog_today(cat, j.today);
    ba_clock_utc_stamp(j.created_at, sizeof j.created_at);
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
    if (check_rules(&j, err))
        goto out;
    /* Whatever killed exports left behind goes first. */
    ba_consent_exports_stale_tmp(cat, true, NULL, NULL);
    if (ex_prepare_destination(&j, err))
        goto out;
    /* The key that signs the manifest, made by the first export — once the
     * destination is known to be a place an export may go (a refused one
     * leaves the library as it was). */
    if (ex_key_ensure(cat, &j.key, err))
        goto out;
    if (render_items(&j, err) || check_coverage(&j, err)) {
        audit_failure(&j, err, err->code == BA_ERR_REFUSED ? "refused" : "failed");
        goto out;
    }
    if (record_pending(&j, err))
        goto out;
    ba_fault_point("export-recorded");
    if (ex_place_all(&j, err)) {
        ex_unplace(&j);
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
    for (guint i = 0; o->deidentified.fn && j.deid != BA_DEID_NONE && i < j.items->len; i++) {
        const item *it = g_ptr_array_index(j.items, i);
        for (int p = 0; !it->refused && p < it->out.n_photos; p++)
            o->deidentified.fn(it->rec.id, p + 1, it->photos[p].id, it->deid[p].n_eyes,
                               (const double(*)[2])it->deid[p].eyes, it->deid[p].detected,
                               o->deidentified.ud);
    }
    rc = 0;
out:
    if (j.tmpdir)
        ex_remove_tree(j.tmpdir);
    if (j.note)
        g_unlink(j.note);
    g_free(j.note);
    if (rc && j.created_dest)
        g_rmdir(j.dest);
    g_free(j.tmpdir);
    g_free(j.disclosure);
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
