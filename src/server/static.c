/* The web app's files (src/server/web/), compiled into the binary as a
 * GResource: GET / is index.html, GET /app/NAME and /app/js/NAME the assets.
 * A name from the URL is only ever a key into that bundle — never a path on
 * the filesystem — and only plain names of letters, digits, '.', '-', '_'
 * are looked up. */
#include "server/server.h"

#include <string.h>

/* The bundle's prefix (src/server/web.gresource.xml). */
#define WEB_PREFIX "/ba/web/"

/* Whether @name is a plain asset name: no '/', no leading '.', short. */
static bool plain_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(name[i]) && !strchr("._-", name[i]))
            return false;
    return true;
}

static const char *content_type(const char *name)
{
    static const char *const TYPES[][2] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(TYPES); i++)
        if (g_str_has_suffix(name, TYPES[i][0]))
            return TYPES[i][1];
    return NULL;
}

/* Answer the bundle's file @key (WEB_PREFIX + a checked name), or 404. */
static void serve_asset(srv_ctx *c, const char *key)
{
    const char *type = content_type(key);
    GBytes *data = type ? g_resources_lookup_data(key, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL) : NULL;
    if (!data) {
        srv_error(c, SOUP_STATUS_NOT_FOUND, "not-found", "no such file in the web app");
        return;
    }
    /* The entity tag is the hash of the bytes this build carries: a new build
     * with a changed file changes it, an unchanged one keeps browsers' copies. */
    char *sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, data);
    char etag[24];
    g_snprintf(etag, sizeof etag, "\"%.16s\"", sum);
    g_free(sum);
    srv_header(c, "ETag", etag);
    srv_header(c, "Cache-Control", "no-cache");
    const char *match = soup_message_headers_get_one(c->req->headers, "If-None-Match");
    if (match && strcmp(match, etag) == 0) {
        g_bytes_unref(data);
        srv_bytes(c, SOUP_STATUS_NOT_MODIFIED, NULL, NULL);
        return;
    }
    srv_bytes(c, SOUP_STATUS_OK, type, data);
}

void web_index(srv_ctx *c)
{
    serve_asset(c, WEB_PREFIX "index.html");
}

/* @folder ("" or "js/") + the path's name, when it is a plain name. */
static void serve_named(srv_ctx *c, const char *folder)
{
    const char *name = c->req->params[0];
    if (!plain_name(name)) {
        srv_error(c, SOUP_STATUS_NOT_FOUND, "not-found", "no such file in the web app");
        return;
    }
    char *key = g_strconcat(WEB_PREFIX, folder, name, NULL);
    serve_asset(c, key);
    g_free(key);
}

void web_asset(srv_ctx *c)
{
    serve_named(c, "");
}

void web_script(srv_ctx *c)
{
    serve_named(c, "js/");
}
