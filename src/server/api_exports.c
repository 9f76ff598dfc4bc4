/* Consents (grant with the signed form, revoke) and exports through the API. */
#include "server/server.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

/* ---- consents ------------------------------------------------------------------- */

/* One text part or the file part of the multipart body in @c->req->upload. */
typedef struct form {
    GMappedFile *map;
    SoupMultipart *mp;
} form;

static bool form_open(srv_ctx *c, form *f)
{
    memset(f, 0, sizeof *f);
    f->map = c->req->upload ? g_mapped_file_new(c->req->upload, FALSE, NULL) : NULL;
    if (f->map) {
        GBytes *body = g_mapped_file_get_bytes(f->map);
        f->mp = soup_multipart_new_from_message(c->req->headers, body);
        g_bytes_unref(body);
    }
    if (!f->mp)
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "send multipart/form-data");
    return f->mp != NULL;
}

static void form_close(form *f)
{
    if (f->mp)
        soup_multipart_free(f->mp);
    if (f->map)
        g_mapped_file_unref(f->map);
}

/* Part @name (its bytes, and its file name when @filename) or NULL. */
static GBytes *form_part(form *f, const char *name, char **filename)
{
    for (int i = 0; i < soup_multipart_get_length(f->mp); i++) {
        SoupMessageHeaders *h = NULL;
        GBytes *body = NULL;
        char *disp = NULL;
        GHashTable *params = NULL;
        if (!soup_multipart_get_part(f->mp, i, &h, &body) ||
            !soup_message_headers_get_content_disposition(h, &disp, &params))
            continue;
        bool hit = g_strcmp0(g_hash_table_lookup(params, "name"), name) == 0;
        if (hit && filename) {
            const char *fn = g_hash_table_lookup(params, "filename");
            *filename = fn ? g_path_get_basename(fn) : NULL;
        }
        g_free(disp);
        g_hash_table_destroy(params);
        if (hit)
            return body;
    }
    return NULL;
}

/* A short text field (<= 1 KiB) as a new string, or NULL. */
static char *form_text(form *f, const char *name)
{
    GBytes *b = form_part(f, name, NULL);
    gsize n = b ? g_bytes_get_size(b) : 0;
    if (!b || n == 0 || n > 1024)
        return NULL;
    return g_strndup(g_bytes_get_data(b, NULL), n);
}

void api_consents_create(srv_ctx *c)
{
    ba_client cl;
    ba_access_object o;
    ba_error err;
    if (ba_catalog_client_get(c->cat, c->req->params[0], &cl, &err) ||
        ba_access_client_facts(c->cat, cl.code, &o, &err)) {
        srv_lookup_failed(c, &err, "client");
        return;
    }
    if (!srv_allow(c, BA_ACCESS_CONSENT_WRITE, &o, "client", "consents", cl.code))
        return;
    form f;
    if (!form_open(c, &f))
        return;
    char *scope = form_text(&f, "scope"), *granted = form_text(&f, "granted"),
         *expires = form_text(&f, "expires"), *allow = form_text(&f, "allow_deidentify"),
         *note = form_text(&f, "note"), *fname = NULL, *evidence = NULL;
    GBytes *file = form_part(&f, "form", &fname);
    if (file && g_bytes_get_size(file)) {
        /* The library takes the evidence from a file; the suffix says its kind. */
        const char *dot = fname ? strrchr(fname, '.') : NULL;
        char *suffix = g_ascii_strdown(dot && strlen(dot) <= 6 ? dot : ".bin", -1);
        static gint counter;
        evidence = g_strdup_printf("%s/form-%d%s", srv_scratch(c->server),
                                   g_atomic_int_add(&counter, 1), suffix);
        g_free(suffix);
        gsize n = 0;
        const char *data = g_bytes_get_data(file, &n);
        if (!g_file_set_contents_full(evidence, data, (gssize)n, G_FILE_SET_CONTENTS_CONSISTENT,
                                      0600, NULL)) {
            g_free(evidence);
            evidence = NULL;
        }
    }
    ba_consent_grant_options g;
    ba_consent_grant_options_init(&g);
    g.client = cl.code;
    g.scope = scope;
    g.granted = granted;
    g.expires = expires;
    g.allow_deidentify = allow;
    g.note = note;
    g.evidence = evidence;
    ba_consent k;
    if (!scope) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "give the consent's scope");
    } else if (ba_consent_grant(c->cat, &g, &k, &err)) {
        srv_fail(c, &err);
    } else {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        srv_add_str(b, "kind", "consent");
        srv_add_int(b, "consent_id", k.id);
        srv_add_str(b, "client", k.client);
        srv_add_str(b, "scope", k.scope);
        srv_add_str(b, "granted_at", k.granted_at);
        srv_add_str(b, "expires_at", k.expires_at);
        srv_add_str(b, "evidence_sha256", k.evidence_sha256);
        json_builder_end_object(b);
        char object[48];
        snprintf(object, sizeof object, "consent %" G_GINT64_FORMAT, k.id);
        srv_access(c, "consent-grant", object, k.client, "ok");
        srv_json(c, SOUP_STATUS_CREATED, b);
    }
    if (evidence)
        g_unlink(evidence);
    g_free(evidence);
    g_free(fname);
    g_free(scope);
    g_free(granted);
    g_free(expires);
    g_free(allow);
    g_free(note);
    form_close(&f);
}

/* Each export to take down, as JSON. */
static int add_takedown(const ba_export_record *e, const ba_export_item *items, int n, void *ud)
{
    JsonBuilder *b = ud;
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "export");
    srv_add_int(b, "export_id", e->id);
    srv_add_str(b, "purpose", e->purpose);
    srv_add_str(b, "created_at", e->created_at);
    json_builder_set_member_name(b, "files");
    json_builder_begin_array(b);
    for (int i = 0; i < n; i++)
        json_builder_add_string_value(b, items[i].file);
    json_builder_end_array(b);
    json_builder_end_object(b);
    return 0;
}

void api_consent_revoke(srv_ctx *c)
{
    gint64 id = srv_id(c, c->req->params[0], "consent");
    if (!id)
        return;
    ba_consent k;
    ba_access_object o;
    ba_error err;
    if (ba_catalog_consent_get(c->cat, id, &k, &err) ||
        ba_access_client_facts(c->cat, k.client, &o, &err)) {
        srv_lookup_failed(c, &err, "consent");
        return;
    }
    char object[48];
    snprintf(object, sizeof object, "consent %" G_GINT64_FORMAT, id);
    if (!srv_allow(c, BA_ACCESS_CONSENT_WRITE, &o, "consent", object, k.client))
        return;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "revocation");
    srv_add_str(b, "client", k.client);
    srv_add_str(b, "scope", k.scope);
    json_builder_set_member_name(b, "takedown");
    json_builder_begin_array(b);
    int n = 0;
    /* A revocation ends every unrevoked consent of the scope: a client who
     * withdraws marketing consent withdraws it, whichever form gave it. */
    int rc = ba_consent_revoke(c->cat, k.client, k.scope, add_takedown, b, &n, &err);
    json_builder_end_array(b);
    srv_add_int(b, "revoked", n);
    json_builder_end_object(b);
    if (rc) {
        g_object_unref(b);
        srv_fail(c, &err);
        return;
    }
    srv_access(c, "consent-revoke", object, k.client, "ok");
    srv_json(c, SOUP_STATUS_OK, b);
}

/* ---- exports ---------------------------------------------------------------------- */

/* Up to @max numbers of array member @name into @out; how many, -1 if not numbers. */
static int member_numbers(JsonObject *o, const char *name, double *out, int max)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n)
        return 0;
    if (!JSON_NODE_HOLDS_ARRAY(n))
        return -1;
    JsonArray *a = json_node_get_array(n);
    int len = (int)json_array_get_length(a);
    if (len > max)
        return -1;
    for (int i = 0; i < len; i++) {
        JsonNode *e = json_array_get_element(a, (guint)i);
        if (!JSON_NODE_HOLDS_VALUE(e))
            return -1;
        GType t = json_node_get_value_type(e);
        if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
            return -1;
        out[i] = json_node_get_double(e);
    }
    return len;
}

/* May the user export comparison @id for @purpose (its client's facts)? */
static bool comparison_exportable(srv_ctx *c, gint64 id, ba_consent_scope purpose,
                                  ba_access_action action, char client[BA_CODE_MAX])
{
    ba_comparison_record r;
    memset(&r, 0, sizeof r);
    ba_access_object o;
    ba_error err;
    char object[48];
    snprintf(object, sizeof object, "comparison %" G_GINT64_FORMAT, id);
    if (id <= 0 || ba_catalog_comparison_get(c->cat, id, &r, &err) ||
        ba_access_client_facts(c->cat, r.client, &o, &err)) {
        if (id <= 0)
            err.code = BA_ERR_NOT_FOUND;
        srv_lookup_failed(c, &err, "comparison");
        ba_comparison_record_clear(&r);
        return false;
    }
    g_strlcpy(client, r.client, BA_CODE_MAX);
    ba_comparison_record_clear(&r);
    o.purpose = purpose;
    return srv_allow(c, action, &o, "comparison", object, client);
}

void api_exports_create(srv_ctx *c)
{
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    double ids_d[64], eyes[4], face[4], roi[4], size[2] = {0, 0};
    int n = member_numbers(o, "comparisons", ids_d, 64);
    int ne = member_numbers(o, "eyes", eyes, 4), nf = member_numbers(o, "face", face, 4);
    int nr = member_numbers(o, "roi", roi, 4);
    /* width and height as one-number arrays would be odd; plain members */
    for (int i = 0; i < 2; i++) {
        JsonNode *v = json_object_get_member(o, i ? "height" : "width");
        if (v && JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_INT64)
            size[i] = (double)json_node_get_int(v);
        else if (v)
            size[i] = -1;
    }
    const char *purpose = srv_member_str(o, "purpose");
    int scope = ba_consent_scope_parse(purpose);
    int64_t ids[64];
    char client[BA_CODE_MAX] = "";
    bool ok = true;
    if (n < 1 || scope < 0 || (ne != 0 && ne != 4) || (nf != 0 && nf != 4) ||
        (nr != 0 && nr != 4) || size[0] < 0 || size[1] < 0 || size[0] > BA_COMPOSE_MAX_SIDE ||
        size[1] > BA_COMPOSE_MAX_SIDE) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request",
                  "give comparisons (ids), a purpose, eyes/face/roi as 4 numbers and a width "
                  "and height in px");
        ok = false;
    }
    for (int i = 0; ok && i < n; i++) {
        ids[i] = (int64_t)ids_d[i];
        ok = comparison_exportable(c, ids[i], (ba_consent_scope)scope, BA_ACCESS_EXPORT, client);
    }
    if (ok) {
        GDateTime *now = g_date_time_new_now_utc();
        char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
        g_date_time_unref(now);
        char *dest = g_strdup_printf("%s/export-%s-%08x", srv_exports(c->server), stamp,
                                     g_random_int());
        g_free(stamp);
        ba_export_options eo;
        ba_consent_export_options_init(&eo);
        eo.comparisons = ids;
        eo.n_comparisons = n;
        eo.purpose = purpose;
        eo.destination = dest;
        eo.deidentify = srv_member_str(o, "deidentify");
        eo.eyes = ne == 4 ? eyes : NULL;
        eo.face = nf == 4 ? face : NULL;
        eo.caption = srv_member_str(o, "caption");
        eo.label_style = srv_member_str(o, "label_style");
        eo.roi = nr == 4 ? roi : NULL;
        eo.preset = srv_member_str(o, "preset");
        eo.format = srv_member_str(o, "format");
        eo.rules = srv_member_str(o, "rules");
        eo.width = (int)size[0];
        eo.height = (int)size[1];
        ba_export_result r;
        ba_error err;
        if (ba_consent_export(c->cat, &eo, &r, &err)) {
            srv_fail(c, &err);
        } else {
            JsonBuilder *b = json_builder_new();
            json_builder_begin_object(b);
            ba_export_filter f = {.export_id = r.export_id};
            json_builder_set_member_name(b, "export");
            if (ba_catalog_export_list(c->cat, &f, add_takedown, b, &err) == 0) {
                srv_add_int(b, "export_id", r.export_id);
                srv_add_str(b, "kind", "export-result");
                json_builder_end_object(b);
                char object[48];
                snprintf(object, sizeof object, "export %" G_GINT64_FORMAT, r.export_id);
                srv_access(c, "export", object, client, "ok");
                srv_json(c, SOUP_STATUS_CREATED, b);
            } else {
                g_object_unref(b);
                srv_fail(c, &err);
            }
        }
        g_free(dest);
    }
    g_object_unref(p);
}

typedef struct file_find {
    const char *name;
    char *path, *sha;
    char purpose[16];
    int64_t first_comparison;
    bool found;
} file_find;

static int find_file(const ba_export_record *e, const ba_export_item *items, int n, void *ud)
{
    file_find *f = ud;
    g_strlcpy(f->purpose, e->purpose, sizeof f->purpose);
    if (n > 0)
        f->first_comparison = items[0].comparison_id;
    for (int i = 0; i < n && !f->found; i++)
        if (strcmp(items[i].file, f->name) == 0) {
            f->found = true;
            f->path = g_build_filename(e->destination, items[i].file, NULL);
            f->sha = g_strdup(items[i].sha256);
        }
    /* The manifest and its signature: verified as a pair by whoever downloads them. */
    if (!f->found && (strcmp(f->name, "export.json") == 0 ||
                      strcmp(f->name, "export.json.sig") == 0)) {
        f->found = true;
        f->path = g_build_filename(e->destination, f->name, NULL);
    }
    return 1;
}

void api_export_file(srv_ctx *c)
{
    gint64 id = srv_id(c, c->req->params[0], "export");
    if (!id)
        return;
    file_find f = {.name = c->req->params[1]};
    ba_export_filter filter = {.export_id = id};
    ba_error err;
    if (ba_catalog_export_list(c->cat, &filter, find_file, &f, &err)) {
        srv_fail(c, &err);
        return;
    }
    char client[BA_CODE_MAX];
    int scope = ba_consent_scope_parse(f.purpose);
    if (!f.first_comparison || scope < 0 ||
        !comparison_exportable(c, f.first_comparison, (ba_consent_scope)scope,
                               BA_ACCESS_EXPORT_READ, client)) {
        if (!c->res->status)
            srv_error(c, SOUP_STATUS_NOT_FOUND, "not-found", "that export was not found");
    } else if (!f.found) {
        srv_error(c, SOUP_STATUS_NOT_FOUND, "not-found", "that file was not found");
    } else {
        gchar *data = NULL;
        gsize len = 0;
        char *sum = NULL;
        if (g_file_get_contents(f.path, &data, &len, NULL))
            sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
        if (!sum || (f.sha && strcmp(sum, f.sha) != 0)) {
            g_free(data);
            srv_error(c, SOUP_STATUS_CONFLICT, "corrupt",
                      "the exported file is missing or no longer what was exported");
        } else {
            const char *type = g_str_has_suffix(f.name, ".json")   ? "application/json"
                               : g_str_has_suffix(f.name, ".sig")  ? "text/plain"
                               : g_str_has_suffix(f.name, ".png")  ? "image/png"
                               : g_str_has_suffix(f.name, ".webp") ? "image/webp"
                                                                   : "image/jpeg";
            char object[96];
            snprintf(object, sizeof object, "export %" G_GINT64_FORMAT " %s", id, f.name);
            srv_access(c, "export-file", object, client, "ok");
            srv_header(c, "Content-Disposition", "attachment");
            srv_bytes(c, SOUP_STATUS_OK, type, g_bytes_new_take(data, len));
        }
        g_free(sum);
    }
    g_free(f.path);
    g_free(f.sha);
}
