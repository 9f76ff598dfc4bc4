/* The API's routes: one table, matched part by part; '*' stands for one
 * path part (an id or a client code) and is handed to the handler.  No URL
 * maps to a file: handlers take ids and ask the library. */
#include "server/server.h"

#include <string.h>

static const srv_route ROUTES[] = {
    {"POST", "/api/v1/session", false, false, false, api_session_create, false},
    {"DELETE", "/api/v1/session", true, false, false, api_session_delete, false},
    {"GET", "/api/v1/me", true, false, false, api_me, false},
    {"GET", "/api/v1/clients", true, false, false, api_clients_list, false},
    {"POST", "/api/v1/clients", true, false, false, api_clients_create, false},
    {"GET", "/api/v1/clients/*", true, false, false, api_client_get, false},
    {"GET", "/api/v1/clients/*/consents", true, false, false, api_consents_list, false},
    {"GET", "/api/v1/photos", true, false, false, api_photos_list, false},
    {"POST", "/api/v1/photos", true, true, true, api_photos_upload, false},
    {"GET", "/api/v1/photos/*", true, false, false, api_photo_get, false},
    {"GET", "/api/v1/photos/*/image", true, false, false, api_photo_image, true},
    {"GET", "/api/v1/comparisons", true, false, false, api_comparisons_list, false},
    {"GET", "/api/v1/comparisons/*/image", true, false, false, api_comparison_image, false},
    {"POST", "/api/v1/alignments", true, false, true, api_alignments_create, false},
    {"GET", "/api/v1/photos/*/ghost", true, false, true, api_photo_ghost, false},
    {"GET", "/api/v1/photos/*/detect", true, false, true, api_photo_detect, false},
    {"POST", "/api/v1/comparisons", true, false, true, api_comparisons_create, false},
    {"POST", "/api/v1/clients/*/consents", true, true, true, api_consents_create, false},
    {"POST", "/api/v1/consents/*/revoke", true, false, false, api_consent_revoke, false},
    {"POST", "/api/v1/exports", true, false, true, api_exports_create, false},
    {"GET", "/api/v1/exports/*/files/*", true, false, false, api_export_file, false},
    {"POST", "/api/v1/photos/*", true, false, true, api_photo_set, false},
    {"POST", "/api/v1/photos/*/retract", true, false, false, api_photo_retract, false},
    {"POST", "/api/v1/photos/*/restore", true, false, false, api_photo_restore, false},
    {"POST", "/api/v1/clients/*", true, false, false, api_client_set, false},
    {"POST", "/api/v1/sessions/*", true, false, false, api_session_set, false},
    {"DELETE", "/api/v1/comparisons/*", true, false, false, api_comparison_delete, false},
    {"GET", "/api/v1/audit", true, false, false, api_audit, false},
    {"GET", "/api/v1/photos/*/aligned", true, false, true, api_photo_aligned, false},
    {"GET", "/api/v1/areas", true, false, false, api_areas_list, false},
    {"GET", "/api/v1/users", true, false, false, api_users_list, false},
    {"POST", "/api/v1/users", true, false, false, api_users_create, false},
    {"POST", "/api/v1/users/*/disable", true, false, false, api_user_disable, false},
    /* The web app (static.c): files from the bundle compiled in, no session. */
    {"GET", "/", false, false, false, web_index, false},
    {"GET", "/app/*", false, false, false, web_asset, false},
    {"GET", "/app/js/*", false, false, false, web_script, false},
};

/* The end of the path part that starts at @p: its '/' or the string's end. */
static const char *part_end(const char *p)
{
    while (*p && *p != '/')
        p++;
    return p;
}

/* Whether @path matches @pattern; the '*' parts go to @params (owned).
 * Walked in place, part by part: every request is matched against the
 * whole table, so this must not allocate for the routes that miss. */
static bool match(const char *pattern, const char *path, char *params[3])
{
    const char *w = pattern, *h = path;
    int n = 0;
    bool ok = true;
    while (ok && *w && *h) {
        const char *we = part_end(w), *he = part_end(h);
        if (we - w == 1 && *w == '*') {
            ok = he > h && n < 3;
            if (ok) {
                char *part = g_strndup(h, (gsize)(he - h));
                params[n] = g_uri_unescape_string(part, "/");
                g_free(part);
                ok = params[n++] != NULL;
            }
        } else {
            ok = we - w == he - h && memcmp(w, h, (size_t)(we - w)) == 0;
        }
        w = *we ? we + 1 : we;
        h = *he ? he + 1 : he;
        /* "a/" and "a" differ: a trailing '/' is one more (empty) part */
        if (ok && (*we == '/') != (*he == '/'))
            ok = false;
    }
    ok = ok && !*w && !*h;
    if (!ok)
        for (int i = 0; i < n; i++) {
            g_free(params[i]);
            params[i] = NULL;
        }
    return ok;
}

const srv_route *srv_route_find(const char *method, const char *path, char *params[3],
                                bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < G_N_ELEMENTS(ROUTES); i++) {
        char *got[3] = {NULL, NULL, NULL};
        if (!match(ROUTES[i].pattern, path, got))
            continue;
        if (strcmp(ROUTES[i].method, method) == 0) {
            for (int k = 0; k < 3; k++) {
                g_free(params[k]);
                params[k] = got[k];
            }
            return &ROUTES[i];
        }
        *path_known = true;
        for (int k = 0; k < 3; k++)
            g_free(got[k]);
    }
    return NULL;
}
