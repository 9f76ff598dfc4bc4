/* Answers: JSON bodies, errors, status codes for library errors, headers. */
#include "server/server.h"

#include <stdio.h>
#include <string.h>

static void set_body(srv_ctx *c, guint status, const char *type, GBytes *body)
{
    c->res->status = status;
    g_free(c->res->content_type);
    c->res->content_type = g_strdup(type);
    if (c->res->body)
        g_bytes_unref(c->res->body);
    c->res->body = body;
}

void srv_bytes(srv_ctx *c, guint status, const char *content_type, GBytes *body)
{
    set_body(c, status, content_type, body);
}

void srv_json(srv_ctx *c, guint status, JsonBuilder *b)
{
    JsonGenerator *g = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    gsize len = 0;
    char *text = json_generator_to_data(g, &len);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    set_body(c, status, "application/json", g_bytes_new_take(text, len));
}

void srv_error(srv_ctx *c, guint status, const char *code, const char *message)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_begin_object(b);
    srv_add_str(b, "code", code);
    srv_add_str(b, "message", message);
    json_builder_end_object(b);
    json_builder_end_object(b);
    srv_json(c, status, b);
}

guint srv_status_for(ba_code code)
{
    switch (code) {
    case BA_OK:
        return SOUP_STATUS_OK;
    case BA_ERR_USAGE:
    case BA_ERR_NO_DATE:
        return SOUP_STATUS_BAD_REQUEST;
    case BA_ERR_NOT_FOUND:
        return SOUP_STATUS_NOT_FOUND;
    case BA_ERR_EXISTS:
        return SOUP_STATUS_CONFLICT;
    case BA_ERR_AUTH:
        return SOUP_STATUS_UNAUTHORIZED;
    case BA_ERR_FORBIDDEN:
        return SOUP_STATUS_FORBIDDEN;
    case BA_ERR_THROTTLED:
        return 429;
    case BA_ERR_TOO_LARGE:
        return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
    case BA_ERR_FORMAT:
        return SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE;
    case BA_ERR_CORRUPT:
    case BA_ERR_REFUSED:
        return SOUP_STATUS_UNPROCESSABLE_ENTITY;
    case BA_ERR_BUSY:
        return SOUP_STATUS_SERVICE_UNAVAILABLE;
    case BA_ERR_NOSPACE:
        return SOUP_STATUS_INSUFFICIENT_STORAGE;
    default:
        return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
}

/* The error codes of the API: stable words, not the library's enum. */
static const char *code_word(ba_code code)
{
    switch (code) {
    case BA_ERR_USAGE: return "bad-request";
    case BA_ERR_NO_DATE: return "no-date";
    case BA_ERR_NOT_FOUND: return "not-found";
    case BA_ERR_EXISTS: return "exists";
    case BA_ERR_AUTH: return "unauthorized";
    case BA_ERR_FORBIDDEN: return "forbidden";
    case BA_ERR_THROTTLED: return "too-many-attempts";
    case BA_ERR_TOO_LARGE: return "too-large";
    case BA_ERR_FORMAT: return "unsupported-format";
    case BA_ERR_CORRUPT: return "corrupt";
    case BA_ERR_REFUSED: return "refused";
    case BA_ERR_BUSY: return "busy";
    case BA_ERR_NOSPACE: return "no-space";
    default: return "internal";
    }
}

void srv_fail(srv_ctx *c, const ba_error *err)
{
    guint status = srv_status_for(err->code);
    /* Internal details (paths of the library) are not for the network. */
    const char *msg = status >= 500 ? "the server could not do that; see its log" : err->message;
    if (status >= 500)
        g_warning("%s %s: %s", c->req->method, c->req->path, err->message);
    srv_error(c, status, code_word(err->code), msg);
}

void srv_header(srv_ctx *c, const char *name, const char *value)
{
    g_ptr_array_add(c->res->headers, g_strdup(name));
    g_ptr_array_add(c->res->headers, g_strdup(value));
}

JsonParser *srv_body_json(srv_ctx *c, JsonObject **obj)
{
    *obj = NULL;
    gsize len = 0;
    const char *data = c->req->body ? g_bytes_get_data(c->req->body, &len) : NULL;
    JsonParser *p = json_parser_new_immutable();
    GError *e = NULL;
    if (!data || !json_parser_load_from_data(p, data, (gssize)len, &e) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "the body must be a JSON object");
        g_clear_error(&e);
        g_object_unref(p);
        return NULL;
    }
    *obj = json_node_get_object(json_parser_get_root(p));
    return p;
}

const char *srv_member_str(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

const char *srv_query(srv_ctx *c, const char *name)
{
    const char *v = c->req->query ? g_hash_table_lookup(c->req->query, name) : NULL;
    return v && *v ? v : NULL;
}

void srv_add_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value && *value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void srv_add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

bool srv_allow(srv_ctx *c, ba_access_action action, const ba_access_object *obj,
               const char *noun, const char *object, const char *client)
{
    ba_error err;
    char what[64];
    /* Hidden answers say exactly what an absent object's would. */
    snprintf(what, sizeof what, "that %s", noun);
    if (ba_access_require(c->session.role, action, obj, what, &err) == 0)
        return true;
    srv_fail(c, &err);
    srv_access(c, "denied", object, client, err.code == BA_ERR_NOT_FOUND ? "not-found" : "denied");
    return false;
}

gint64 srv_id(srv_ctx *c, const char *s, const char *what)
{
    char *end = NULL;
    gint64 id = s ? g_ascii_strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || id <= 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s %s was not found", what, s ? s : "");
        srv_error(c, SOUP_STATUS_NOT_FOUND, "not-found", msg);
        return 0;
    }
    return id;
}

void srv_lookup_failed(srv_ctx *c, const ba_error *err, const char *noun)
{
    if (err->code != BA_ERR_NOT_FOUND) {
        srv_fail(c, err);
        return;
    }
    /* The words a hidden object gets too (srv_allow()): nothing tells them apart. */
    char msg[64];
    snprintf(msg, sizeof msg, "that %s was not found", noun);
    srv_error(c, SOUP_STATUS_NOT_FOUND, "not-found", msg);
}

JsonBuilder *srv_list_begin(const char *kind)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_add_str(b, "kind", kind);
    json_builder_set_member_name(b, kind);
    json_builder_begin_array(b);
    return b;
}

void srv_list_end(srv_ctx *c, JsonBuilder *b, int rc, const ba_error *err, const char *action,
                  const char *client)
{
    if (rc) {
        g_object_unref(b);
        srv_fail(c, err);
        return;
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    if (action)
        srv_access(c, action, NULL, client, "ok");
    srv_json(c, SOUP_STATUS_OK, b);
}
