/* /api/v1/clients: list, add, one client's record, its consents. */
#include "server/server.h"

#include <stdio.h>
#include <string.h>

static void client_members(JsonBuilder *b, const ba_client *cl)
{
    srv_add_str(b, "kind", "client");
    srv_add_int(b, "client_id", cl->id);
    srv_add_str(b, "client", cl->code);
    srv_add_str(b, "name", cl->name);
    srv_add_str(b, "created_at", cl->created_at);
    srv_add_int(b, "photos", cl->photo_count);
}

typedef struct list_scan {
    srv_ctx *c;
    JsonBuilder *b;
    const char *q;
    int n;
} list_scan;

static bool matches(const ba_client *cl, const char *q)
{
    if (!q)
        return true;
    char *needle = g_utf8_casefold(q, -1), *code = g_utf8_casefold(cl->code, -1),
         *name = g_utf8_casefold(cl->name, -1);
    bool hit = strstr(code, needle) || strstr(name, needle);
    g_free(needle);
    g_free(code);
    g_free(name);
    return hit;
}

static int add_client(const ba_client *cl, void *ud)
{
    list_scan *s = ud;
    if (!matches(cl, s->q))
        return 0;
    if (s->c->session.role == BA_ROLE_MARKETING) {
        ba_access_object o;
        ba_error err;
        if (ba_access_client_facts(s->c->cat, cl->code, &o, &err) ||
            ba_access_decide(s->c->session.role, BA_ACCESS_CLIENT_READ, &o, NULL, 0) !=
                BA_ACCESS_ALLOW)
            return 0;
    }
    json_builder_begin_object(s->b);
    client_members(s->b, cl);
    json_builder_end_object(s->b);
    s->n++;
    return 0;
}

void api_clients_list(srv_ctx *c)
{
    if (!srv_allow(c, BA_ACCESS_CLIENT_LIST, NULL, "list", "clients", NULL))
        return;
    JsonBuilder *b = srv_list_begin("clients");
    list_scan s = {.c = c, .b = b, .q = srv_query(c, "q")};
    ba_error err;
    int rc = ba_catalog_client_list(c->cat, add_client, &s, &err);
    srv_list_end(c, b, rc, &err, "client-list", NULL);
}

void api_clients_create(srv_ctx *c)
{
    if (!srv_allow(c, BA_ACCESS_CLIENT_WRITE, NULL, "client", "clients", NULL))
        return;
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    const char *code = srv_member_str(o, "client"), *name = srv_member_str(o, "name");
    ba_error err;
    gint64 id = 0;
    ba_client cl;
    if (!code)
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "give the client's code");
    else if (ba_catalog_client_add(c->cat, code, name, &id, &err) ||
             ba_catalog_client_get(c->cat, code, &cl, &err))
        srv_fail(c, &err);
    else {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        client_members(b, &cl);
        json_builder_end_object(b);
        srv_access(c, "client-add", NULL, cl.code, "ok");
        srv_json(c, SOUP_STATUS_CREATED, b);
    }
    g_object_unref(p);
}

/* The client named by the path, after the access check; false when answered. */
static bool visible_client(srv_ctx *c, ba_access_action action, ba_client *cl,
                           ba_access_object *o)
{
    ba_error err;
    char what[BA_CODE_MAX + 16];
    snprintf(what, sizeof what, "client %s", c->req->params[0]);
    if (ba_catalog_client_get(c->cat, c->req->params[0], cl, &err) ||
        ba_access_client_facts(c->cat, cl->code, o, &err)) {
        srv_lookup_failed(c, &err, "client");
        return false;
    }
    return srv_allow(c, action, o, "client", what, cl->code);
}

typedef struct record_scan {
    srv_ctx *c;
    JsonBuilder *b;
    GPtrArray *photos; /* ba_photo*, by session then id */
    ba_access_object facts;
} record_scan;

static int keep_photo(const ba_photo *p, void *ud)
{
    record_scan *s = ud;
    g_ptr_array_add(s->photos, g_memdup2(p, sizeof *p));
    return 0;
}

/* Marketing sees of a consented client only the photos its comparisons show. */
static bool photo_visible(record_scan *s, const ba_photo *p)
{
    if (s->c->session.role != BA_ROLE_MARKETING)
        return true;
    ba_access_object o;
    ba_error err;
    return ba_access_photo_facts(s->c->cat, p->id, NULL, &o, &err) == 0 &&
           ba_access_decide(s->c->session.role, BA_ACCESS_PHOTO_READ, &o, NULL, 0) ==
               BA_ACCESS_ALLOW;
}

static int add_session(const ba_session *se, void *ud)
{
    record_scan *s = ud;
    JsonBuilder *b = s->b;
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "session");
    srv_add_int(b, "session_id", se->id);
    srv_add_str(b, "date", se->date);
    srv_add_int(b, "number", se->number);
    srv_add_str(b, "treatment", se->treatment);
    srv_add_str(b, "provider", se->provider);
    json_builder_set_member_name(b, "photos");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->photos->len; i++) {
        const ba_photo *p = g_ptr_array_index(s->photos, i);
        if (p->session_id != se->id || !photo_visible(s, p))
            continue;
        json_builder_begin_object(b);
        srv_photo_members(b, p);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return 0;
}

void api_client_get(srv_ctx *c)
{
    ba_client cl;
    ba_access_object o;
    if (!visible_client(c, BA_ACCESS_CLIENT_READ, &cl, &o))
        return;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    client_members(b, &cl);
    record_scan s = {.c = c, .b = b, .photos = g_ptr_array_new_with_free_func(g_free),
                     .facts = o};
    ba_photo_filter f = {.client = cl.code};
    ba_error err;
    int rc = ba_catalog_photo_list(c->cat, &f, keep_photo, &s, &err);
    if (rc == 0) {
        json_builder_set_member_name(b, "sessions");
        json_builder_begin_array(b);
        rc = ba_catalog_session_list(c->cat, cl.code, add_session, &s, &err);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    g_ptr_array_free(s.photos, TRUE);
    if (rc) {
        g_object_unref(b);
        srv_fail(c, &err);
        return;
    }
    srv_access(c, "client-read", NULL, cl.code, "ok");
    srv_json(c, SOUP_STATUS_OK, b);
}

typedef struct consent_scan {
    JsonBuilder *b;
    const char *today;
} consent_scan;

static int add_consent(const ba_consent *k, void *ud)
{
    consent_scan *s = ud;
    JsonBuilder *b = s->b;
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "consent");
    srv_add_int(b, "consent_id", k->id);
    srv_add_str(b, "client", k->client);
    srv_add_str(b, "scope", k->scope);
    srv_add_str(b, "granted_at", k->granted_at);
    srv_add_str(b, "expires_at", k->expires_at);
    srv_add_str(b, "revoked_at", k->revoked_at);
    srv_add_str(b, "state", ba_consent_state_name(ba_consent_state_on(k, s->today)));
    json_builder_set_member_name(b, "allowed_deidentification");
    json_builder_begin_array(b);
    char **parts = g_strsplit(k->allowed_deidentification, ",", -1);
    for (int i = 0; parts[i]; i++)
        if (*g_strstrip(parts[i]))
            json_builder_add_string_value(b, parts[i]);
    g_strfreev(parts);
    json_builder_end_array(b);
    json_builder_end_object(b);
    return 0;
}

void api_consents_list(srv_ctx *c)
{
    ba_client cl;
    ba_access_object o;
    if (!visible_client(c, BA_ACCESS_CONSENT_READ, &cl, &o))
        return;
    char today[BA_DATE_MAX];
    ba_catalog_today(c->cat, today);
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "consents");
    srv_add_str(b, "client", cl.code);
    json_builder_set_member_name(b, "consents");
    json_builder_begin_array(b);
    consent_scan s = {.b = b, .today = today};
    ba_error err;
    int rc = ba_catalog_consent_list(c->cat, cl.code, NULL, add_consent, &s, &err);
    json_builder_end_array(b);
    json_builder_end_object(b);
    if (rc) {
        g_object_unref(b);
        srv_fail(c, &err);
        return;
    }
    srv_access(c, "consent-read", NULL, cl.code, "ok");
    srv_json(c, SOUP_STATUS_OK, b);
}
