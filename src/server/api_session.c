/* /api/v1/session and /api/v1/me: signing in and out. */
#include "server/server.h"

#include <string.h>

static void session_json(srv_ctx *c, guint status, const ba_web_session *s)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "session");
    srv_add_str(b, "user", s->user);
    srv_add_str(b, "role", ba_access_role_name(s->role));
    srv_add_str(b, "csrf_token", s->csrf_token);
    json_builder_end_object(b);
    srv_json(c, status, b);
}

void api_session_create(srv_ctx *c)
{
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    const char *user = srv_member_str(o, "username"), *pw = srv_member_str(o, "password");
    ba_error err;
    char token[BA_TOKEN_HEX + 1];
    ba_web_session s;
    if (!user || !pw) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "give username and password");
    } else if (ba_access_login(c->cat, user, pw, c->req->remote, token, &s, &err)) {
        srv_fail(c, &err);
    } else {
        /* HttpOnly: scripts cannot read it; the CSRF token in the answer is
         * what the page sends back in X-CSRF-Token. */
        c->set_cookie = g_strdup_printf("ba_session=%s; Path=/; HttpOnly; Secure; SameSite=Strict",
                                        token);
        memset(token, 0, sizeof token);
        session_json(c, SOUP_STATUS_OK, &s);
    }
    g_object_unref(p);
}

void api_session_delete(srv_ctx *c)
{
    const char *cookie = soup_message_headers_get_list(c->req->headers, "Cookie");
    char *token = NULL;
    if (cookie) {
        const char *at = strstr(cookie, "ba_session=");
        if (at) {
            at += strlen("ba_session=");
            token = g_strndup(at, strcspn(at, "; "));
        }
    }
    ba_error err;
    if (ba_access_logout(c->cat, token, &err)) {
        srv_fail(c, &err);
    } else {
        c->set_cookie = g_strdup("ba_session=; Path=/; HttpOnly; Secure; SameSite=Strict; "
                                 "Max-Age=0");
        JsonBuilder *b = json_builder_new();
        json_builder_begin_object(b);
        srv_add_str(b, "kind", "session");
        srv_add_str(b, "status", "ended");
        json_builder_end_object(b);
        srv_json(c, SOUP_STATUS_OK, b);
    }
    g_free(token);
}

void api_me(srv_ctx *c)
{
    session_json(c, SOUP_STATUS_OK, &c->session);
}
