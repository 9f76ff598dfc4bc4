/* Corrections through the API (issue 12's library functions): retag or move
 * a photo, retract and restore it, correct a client or a session, delete a
 * comparison.  Each is one library call after the policy; each is audited
 * with the signed-in user as actor. */
#include "server/server.h"

#include <stdio.h>
#include <string.h>

/* The photo of the path, for a correction; 0 when answered. */
static gint64 correctable_photo(srv_ctx *c, char client[BA_CODE_MAX])
{
    gint64 id = srv_id(c, c->req->params[0], "photo");
    if (!id)
        return 0;
    ba_access_object o;
    ba_error err;
    char object[48];
    snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT, id);
    if (ba_access_photo_facts(c->cat, id, client, &o, &err)) {
        srv_lookup_failed(c, &err, "photo");
        return 0;
    }
    return srv_allow(c, BA_ACCESS_PHOTO_CORRECT, &o, "photo", object, client) ? id : 0;
}

static void photo_answer(srv_ctx *c, const ba_photo *p, const char *action, bool changed)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_photo_members(b, p);
    json_builder_set_member_name(b, "changed");
    json_builder_add_boolean_value(b, changed);
    json_builder_end_object(b);
    char object[48];
    snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT, p->id);
    srv_access(c, action, object, p->client, "ok");
    srv_json(c, SOUP_STATUS_OK, b);
}

void api_photo_set(srv_ctx *c)
{
    char client[BA_CODE_MAX];
    gint64 id = correctable_photo(c, client);
    if (!id)
        return;
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    ba_photo_change ch = {.areas = srv_member_str(o, "areas"),
                          .stage = srv_member_str(o, "stage"),
                          .view = srv_member_str(o, "view"),
                          .date = srv_member_str(o, "date")};
    ba_photo out;
    ba_error err;
    int rc = ba_catalog_photo_set(c->cat, id, &ch, &out, &err);
    if (rc < 0)
        srv_fail(c, &err);
    else
        photo_answer(c, &out, "photo-set", rc == 0);
    g_object_unref(p);
}

void api_photo_retract(srv_ctx *c)
{
    char client[BA_CODE_MAX];
    gint64 id = correctable_photo(c, client);
    if (!id)
        return;
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    ba_photo out;
    ba_error err;
    if (ba_catalog_photo_retract(c->cat, id, srv_member_str(o, "reason"), &out, &err))
        srv_fail(c, &err);
    else
        photo_answer(c, &out, "photo-retract", true);
    g_object_unref(p);
}

void api_photo_restore(srv_ctx *c)
{
    char client[BA_CODE_MAX];
    gint64 id = correctable_photo(c, client);
    if (!id)
        return;
    ba_photo out;
    ba_error err;
    if (ba_catalog_photo_restore(c->cat, id, &out, &err))
        srv_fail(c, &err);
    else
        photo_answer(c, &out, "photo-restore", true);
}

void api_client_set(srv_ctx *c)
{
    ba_client cl;
    ba_access_object facts;
    ba_error err;
    if (ba_catalog_client_get(c->cat, c->req->params[0], &cl, &err) ||
        ba_access_client_facts(c->cat, cl.code, &facts, &err)) {
        srv_lookup_failed(c, &err, "client");
        return;
    }
    if (!srv_allow(c, BA_ACCESS_CLIENT_WRITE, &facts, "client", "client", cl.code))
        return;
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    const char *name = srv_member_str(o, "name"), *birth = srv_member_str(o, "birth_date"),
               *code = srv_member_str(o, "client");
    int rc = 0;
    if ((name || birth) && ba_catalog_client_set(c->cat, cl.code, name, birth, &err))
        rc = -1;
    if (rc == 0 && code && strcmp(code, cl.code) != 0) {
        if (ba_catalog_client_rename(c->cat, cl.code, code, &err))
            rc = -1;
        else
            g_strlcpy(cl.code, code, sizeof cl.code);
    }
    ba_client now;
    if (rc || ba_catalog_client_get(c->cat, cl.code, &now, &err)) {
        srv_fail(c, &err);
    } else {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        srv_add_str(b, "kind", "client");
        srv_add_int(b, "client_id", now.id);
        srv_add_str(b, "client", now.code);
        srv_add_str(b, "name", now.name);
        srv_add_str(b, "birth_date", now.birth_date);
        json_builder_end_object(b);
        srv_access(c, "client-set", NULL, now.code, "ok");
        srv_json(c, SOUP_STATUS_OK, b);
    }
    g_object_unref(p);
}

void api_session_set(srv_ctx *c)
{
    gint64 id = srv_id(c, c->req->params[0], "session");
    if (!id)
        return;
    ba_session se;
    ba_access_object facts;
    ba_error err;
    if (ba_catalog_session_get(c->cat, id, &se, &err) ||
        ba_access_client_facts(c->cat, se.client, &facts, &err)) {
        srv_lookup_failed(c, &err, "session");
        return;
    }
    char object[48];
    snprintf(object, sizeof object, "session %" G_GINT64_FORMAT, id);
    if (!srv_allow(c, BA_ACCESS_CLIENT_WRITE, &facts, "session", object, se.client))
        return;
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    if (ba_catalog_session_set(c->cat, id, srv_member_str(o, "treatment"),
                               srv_member_str(o, "provider"), srv_member_str(o, "notes"), &err) ||
        ba_catalog_session_get(c->cat, id, &se, &err)) {
        srv_fail(c, &err);
    } else {
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        srv_add_str(b, "kind", "session");
        srv_add_int(b, "session_id", se.id);
        srv_add_str(b, "client", se.client);
        srv_add_str(b, "date", se.date);
        srv_add_int(b, "number", se.number);
        srv_add_str(b, "treatment", se.treatment);
        srv_add_str(b, "provider", se.provider);
        srv_add_str(b, "notes", se.notes);
        json_builder_end_object(b);
        srv_access(c, "session-set", object, se.client, "ok");
        srv_json(c, SOUP_STATUS_OK, b);
    }
    g_object_unref(p);
}

void api_comparison_delete(srv_ctx *c)
{
    gint64 id = srv_id(c, c->req->params[0], "comparison");
    if (!id)
        return;
    ba_comparison_record r;
    memset(&r, 0, sizeof r);
    ba_access_object facts;
    ba_error err;
    char object[48];
    snprintf(object, sizeof object, "comparison %" G_GINT64_FORMAT, id);
    if (ba_catalog_comparison_get(c->cat, id, &r, &err) ||
        ba_access_client_facts(c->cat, r.client, &facts, &err)) {
        srv_lookup_failed(c, &err, "comparison");
    } else if (srv_allow(c, BA_ACCESS_PHOTO_CORRECT, &facts, "comparison", object, r.client)) {
        bool removed = false;
        if (ba_catalog_comparison_delete(c->cat, id, &removed, &err)) {
            srv_fail(c, &err);
        } else {
            JsonBuilder *b = json_builder_new();
            json_builder_begin_object(b);
            srv_add_str(b, "kind", "comparison");
            srv_add_int(b, "comparison_id", id);
            srv_add_str(b, "status", "deleted");
            json_builder_set_member_name(b, "render_removed");
            json_builder_add_boolean_value(b, removed);
            json_builder_end_object(b);
            srv_access(c, "comparison-delete", object, r.client, "ok");
            srv_json(c, SOUP_STATUS_OK, b);
        }
    }
    ba_comparison_record_clear(&r);
}
