/* /api/v1/users: the accounts of the server (admin only, by the library's
 * policy).  Passwords go in, never out; the answers are the CLI's user
 * objects (docs/json/user.json). */
#include "server/server.h"

#include <string.h>

static void user_members(JsonBuilder *b, const ba_user *u)
{
    srv_add_str(b, "kind", "user");
    srv_add_int(b, "user_id", u->id);
    srv_add_str(b, "user", u->name);
    srv_add_str(b, "role", ba_access_role_name(u->role));
    srv_add_str(b, "created_at", u->created_at);
    srv_add_str(b, "disabled_at", u->disabled_at);
    srv_add_int(b, "active_sessions", u->active_sessions);
}

/* Answer @status with user @name as it is now. */
static void answer_user(srv_ctx *c, guint status, const char *name)
{
    ba_user u;
    ba_error err;
    if (ba_access_user_get(c->cat, name, &u, &err)) {
        srv_fail(c, &err);
        return;
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    user_members(b, &u);
    json_builder_end_object(b);
    srv_json(c, status, b);
}

static int add_user(const ba_user *u, void *ud)
{
    JsonBuilder *b = ud;
    json_builder_begin_object(b);
    user_members(b, u);
    json_builder_end_object(b);
    return 0;
}

void api_users_list(srv_ctx *c)
{
    if (!srv_allow(c, BA_ACCESS_USER_ADMIN, NULL, "user", "users", NULL))
        return;
    JsonBuilder *b = srv_list_begin("users");
    ba_error err;
    int rc = ba_access_user_list(c->cat, add_user, b, &err);
    srv_list_end(c, b, rc, &err, "user-list", NULL);
}

void api_users_create(srv_ctx *c)
{
    if (!srv_allow(c, BA_ACCESS_USER_ADMIN, NULL, "user", "users", NULL))
        return;
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    const char *name = srv_member_str(o, "user"), *role = srv_member_str(o, "role"),
               *password = srv_member_str(o, "password");
    int r = role ? ba_access_role_parse(role) : -1;
    ba_error err;
    if (!name || !password || r < 0) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request",
                  "give user, password and a role of admin, provider or marketing");
    } else if (ba_access_user_add(c->cat, name, (ba_role)r, password, &err)) {
        srv_fail(c, &err);
    } else {
        char object[BA_USER_NAME_MAX + 8];
        g_snprintf(object, sizeof object, "user %s", name);
        srv_access(c, "user-add", object, NULL, "ok");
        answer_user(c, SOUP_STATUS_CREATED, name);
    }
    g_object_unref(p);
}

void api_user_disable(srv_ctx *c)
{
    if (!srv_allow(c, BA_ACCESS_USER_ADMIN, NULL, "user", "users", NULL))
        return;
    const char *name = c->req->params[0];
    ba_error err;
    if (ba_access_user_disable(c->cat, name, &err)) {
        srv_fail(c, &err);
        return;
    }
    char object[BA_USER_NAME_MAX + 8];
    g_snprintf(object, sizeof object, "user %s", name);
    srv_access(c, "user-disable", object, NULL, "ok");
    answer_user(c, SOUP_STATUS_OK, name);
}
