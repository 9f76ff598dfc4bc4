/* The API's routes: one table, matched part by part; '*' stands for one
 * path part (an id or a client code) and is handed to the handler.  No URL
 * maps to a file: handlers take ids and ask the library. */
#include "server/server.h"

#include <string.h>

static const srv_route ROUTES[] = {
    {"POST", "/api/v1/session", false, false, false, api_session_create},
    {"DELETE", "/api/v1/session", true, false, false, api_session_delete},
    {"GET", "/api/v1/me", true, false, false, api_me},
    {"GET", "/api/v1/clients", true, false, false, api_clients_list},
    {"POST", "/api/v1/clients", true, false, false, api_clients_create},
    {"GET", "/api/v1/clients/*", true, false, false, api_client_get},
    {"GET", "/api/v1/clients/*/consents", true, false, false, api_consents_list},
    {"GET", "/api/v1/photos", true, false, false, api_photos_list},
    {"POST", "/api/v1/photos", true, true, true, api_photos_upload},
    {"GET", "/api/v1/photos/*", true, false, false, api_photo_get},
    {"GET", "/api/v1/photos/*/image", true, false, false, api_photo_image},
    {"GET", "/api/v1/comparisons", true, false, false, api_comparisons_list},
    {"GET", "/api/v1/comparisons/*/image", true, false, false, api_comparison_image},
    {"POST", "/api/v1/alignments", true, false, true, api_alignments_create},
    {"GET", "/api/v1/photos/*/ghost", true, false, true, api_photo_ghost},
    {"GET", "/api/v1/photos/*/detect", true, false, true, api_photo_detect},
    {"POST", "/api/v1/comparisons", true, false, true, api_comparisons_create},
    {"POST", "/api/v1/clients/*/consents", true, true, true, api_consents_create},
    {"POST", "/api/v1/consents/*/revoke", true, false, false, api_consent_revoke},
    {"POST", "/api/v1/exports", true, false, true, api_exports_create},
    {"GET", "/api/v1/exports/*/files/*", true, false, false, api_export_file},
    {"POST", "/api/v1/photos/*", true, false, true, api_photo_set},
    {"POST", "/api/v1/photos/*/retract", true, false, false, api_photo_retract},
    {"POST", "/api/v1/photos/*/restore", true, false, false, api_photo_restore},
    {"POST", "/api/v1/clients/*", true, false, false, api_client_set},
    {"POST", "/api/v1/sessions/*", true, false, false, api_session_set},
    {"DELETE", "/api/v1/comparisons/*", true, false, false, api_comparison_delete},
    {"GET", "/api/v1/audit", true, false, false, api_audit},
    {"GET", "/api/v1/photos/*/aligned", true, false, true, api_photo_aligned},
    {"GET", "/api/v1/areas", true, false, false, api_areas_list},
    {"GET", "/api/v1/users", true, false, false, api_users_list},
    {"POST", "/api/v1/users", true, false, false, api_users_create},
    {"POST", "/api/v1/users/*/disable", true, false, false, api_user_disable},
    /* The web app (static.c): files from the bundle compiled in, no session. */
    {"GET", "/", false, false, false, web_index},
    {"GET", "/app/*", false, false, false, web_asset},
    {"GET", "/app/js/*", false, false, false, web_script},
};

/* Whether @path matches @pattern; the '*' parts go to @params (owned). */
static bool match(const char *pattern, const char *path, char *params[3])
{
    char **want = g_strsplit(pattern, "/", -1), **have = g_strsplit(path, "/", -1);
    bool ok = g_strv_length(want) == g_strv_length(have);
    int n = 0;
    for (int i = 0; ok && want[i]; i++) {
        if (strcmp(want[i], "*") == 0) {
            ok = have[i][0] != '\0' && n < 3;
            if (ok)
                params[n++] = g_uri_unescape_string(have[i], "/");
            ok = ok && params[n - 1] != NULL;
        } else {
            ok = strcmp(want[i], have[i]) == 0;
        }
    }
    if (!ok)
        for (int i = 0; i < n; i++) {
            g_free(params[i]);
            params[i] = NULL;
        }
    g_strfreev(want);
    g_strfreev(have);
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
