/* /api/v1/comparisons and /api/v1/audit. */
#include "server/server.h"

#include <stdio.h>
#include <string.h>

/* Whether the signed-in user may see comparison @r (of @r->client). */
static bool comparison_visible(srv_ctx *c, const ba_comparison_record *r)
{
    ba_access_object o;
    ba_error err;
    if (ba_access_client_facts(c->cat, r->client, &o, &err))
        return false;
    return ba_access_decide(c->session.role, BA_ACCESS_COMPARISON_READ, &o, NULL, 0) ==
           BA_ACCESS_ALLOW;
}

static void comparison_members(JsonBuilder *b, const ba_comparison_record *r)
{
    srv_add_str(b, "kind", "comparison");
    srv_add_int(b, "comparison_id", r->id);
    srv_add_str(b, "client", r->client);
    json_builder_set_member_name(b, "areas");
    json_builder_begin_array(b);
    char **areas = g_strsplit(r->areas, ",", -1);
    for (int i = 0; areas[i]; i++)
        if (*areas[i])
            json_builder_add_string_value(b, areas[i]);
    g_strfreev(areas);
    json_builder_end_array(b);
    srv_add_str(b, "layout", r->layout);
    json_builder_set_member_name(b, "photos");
    json_builder_begin_array(b);
    for (int i = 0; i < r->n_photos; i++)
        json_builder_add_int_value(b, r->photos[i]);
    json_builder_end_array(b);
    srv_add_int(b, "width", r->width);
    srv_add_int(b, "height", r->height);
    json_builder_set_member_name(b, "aligned");
    json_builder_add_boolean_value(b, r->aligned);
    srv_add_str(b, "stale", r->stale);
    srv_add_str(b, "created_at", r->created_at);
}

typedef struct list_scan {
    srv_ctx *c;
    JsonBuilder *b;
    const char *area;
} list_scan;

static int add_comparison(const ba_comparison_record *r, void *ud)
{
    list_scan *s = ud;
    if (s->area) {
        bool has = false;
        char **areas = g_strsplit(r->areas, ",", -1);
        for (int i = 0; areas[i] && !has; i++)
            has = strcmp(areas[i], s->area) == 0;
        g_strfreev(areas);
        if (!has)
            return 0;
    }
    if (!comparison_visible(s->c, r))
        return 0;
    json_builder_begin_object(s->b);
    comparison_members(s->b, r);
    json_builder_end_object(s->b);
    return 0;
}

void api_comparisons_list(srv_ctx *c)
{
    const char *client = srv_query(c, "client");
    if (client) {
        ba_access_object o;
        ba_error err;
        if (ba_access_client_facts(c->cat, client, &o, &err)) {
            srv_lookup_failed(c, &err, "client");
            return;
        }
        if (!srv_allow(c, BA_ACCESS_COMPARISON_READ, &o, "client", "comparisons", client))
            return;
    }
    JsonBuilder *b = srv_list_begin("comparisons");
    list_scan s = {.c = c, .b = b, .area = srv_query(c, "area")};
    ba_error err;
    int rc = ba_catalog_comparison_list(c->cat, client, add_comparison, &s, &err);
    srv_list_end(c, b, rc, &err, "comparison-list", client);
}

void api_comparison_image(srv_ctx *c)
{
    gint64 id = srv_id(c, c->req->params[0], "comparison");
    if (!id)
        return;
    ba_comparison_record r;
    memset(&r, 0, sizeof r);
    ba_error err;
    char what[48];
    snprintf(what, sizeof what, "comparison %" G_GINT64_FORMAT, id);
    if (ba_catalog_comparison_get(c->cat, id, &r, &err)) {
        srv_lookup_failed(c, &err, "comparison");
        return;
    }
    ba_access_object o;
    if (ba_access_client_facts(c->cat, r.client, &o, &err)) {
        srv_fail(c, &err);
    } else if (srv_allow(c, BA_ACCESS_COMPARISON_READ, &o, "comparison", what, r.client)) {
        /* The stored render, served only when it still hashes right. */
        char *path = g_build_filename(ba_catalog_dir(c->cat), r.render, NULL);
        gchar *data = NULL;
        gsize len = 0;
        char *sum = NULL;
        if (g_file_get_contents(path, &data, &len, NULL))
            sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
        if (!sum || strcmp(sum, r.sha256) != 0) {
            g_free(data);
            srv_error(c, SOUP_STATUS_CONFLICT, "corrupt",
                      "the comparison's stored render is missing or damaged; run verify");
        } else {
            const char *type = g_str_has_suffix(r.render, ".png")    ? "image/png"
                               : g_str_has_suffix(r.render, ".webp") ? "image/webp"
                                                                      : "image/jpeg";
            char etag[BA_SHA_MAX + 4];
            snprintf(etag, sizeof etag, "\"%s\"", r.sha256);
            srv_header(c, "ETag", etag);
            /* Kept by the browser but asked for again on every use (If-None-Match:
             * 304 is cheap): a cached image is never shown to the next user of a shared
             * tablet, whose session may not see it. */
            srv_header(c, "Cache-Control", "private, no-cache");
            srv_access(c, "comparison-image", what, r.client, "ok");
            const char *match = soup_message_headers_get_one(c->req->headers, "If-None-Match");
            if (match && strcmp(match, etag) == 0) {
                g_free(data);
                srv_bytes(c, SOUP_STATUS_NOT_MODIFIED, NULL, NULL);
            } else {
                srv_bytes(c, SOUP_STATUS_OK, type, g_bytes_new_take(data, len));
            }
        }
        g_free(sum);
        g_free(path);
    }
    ba_comparison_record_clear(&r);
}

static int add_audit(const ba_audit_entry *a, void *ud)
{
    JsonBuilder *b = ud;
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "audit");
    srv_add_int(b, "audit_id", a->id);
    srv_add_str(b, "at", a->at);
    srv_add_str(b, "actor", a->actor);
    srv_add_str(b, "action", a->action);
    srv_add_str(b, "client", a->client);
    srv_add_str(b, "objects", a->objects);
    srv_add_str(b, "purpose", a->purpose);
    srv_add_str(b, "result", a->result);
    srv_add_str(b, "detail", a->detail);
    json_builder_end_object(b);
    return 0;
}

static int add_access(const ba_access_entry *e, void *ud)
{
    JsonBuilder *b = ud;
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "access");
    srv_add_int(b, "access_id", e->id);
    srv_add_str(b, "at", e->at);
    srv_add_str(b, "user", e->actor);
    srv_add_str(b, "action", e->action);
    srv_add_str(b, "object", e->object);
    srv_add_str(b, "client", e->client);
    srv_add_str(b, "remote", e->remote);
    srv_add_str(b, "result", e->result);
    json_builder_end_object(b);
    return 0;
}

void api_audit(srv_ctx *c)
{
    if (!srv_allow(c, BA_ACCESS_AUDIT_READ, NULL, "audit", "audit", NULL))
        return;
    const char *client = srv_query(c, "client"), *user = srv_query(c, "user");
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "audit");
    json_builder_set_member_name(b, "audit");
    json_builder_begin_array(b);
    ba_error err;
    int rc = ba_catalog_audit_list(c->cat, client, add_audit, b, &err);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "access");
    json_builder_begin_array(b);
    if (rc == 0)
        rc = ba_access_log_list(c->cat, user, client, add_access, b, &err);
    json_builder_end_array(b);
    json_builder_end_object(b);
    if (rc) {
        g_object_unref(b);
        srv_fail(c, &err);
        return;
    }
    srv_json(c, SOUP_STATUS_OK, b);
}
