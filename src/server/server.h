/* Internal to the server (src/server/): HTTP only — routing, request
 * parsing, cookies, JSON, and the hand-off of every request to the worker
 * pool.  Everything a request decides or does is a call into the public
 * library API (access, catalog, ingest, compose, consent), like the CLI.
 *
 * Threads: one I/O loop per CPU accepts connections and reads requests (and
 * streams uploads to a temporary file); it never decodes an image or writes
 * the catalog.  Each request is handled on a worker thread, which has its
 * own catalog handle, and its answer is handed back to the request's loop;
 * only routes marked on_loop (a thumbnail already made) are first tried on
 * the loop itself, with the loop's own read-only use of a catalog handle,
 * and go to a worker the moment they would decode or write (srv_defer). */
#ifndef BA_SERVER_H
#define BA_SERVER_H

#include <beforeafter/beforeafter.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdbool.h>

/* What `beforeafter serve` was asked for. */
typedef struct srv_options {
    const char *library;    /* the library folder */
    const char *listen;     /* "ADDR:PORT" */
    const char *tls_cert;   /* PEM files, or NULL for the library's own */
    const char *tls_key;
    bool insecure_http;     /* plain HTTP (loopback only) */
    int max_upload_mb;      /* uploads larger than this answer 413 */
    int max_connections;    /* more are closed at once */
    int workers;            /* worker threads */
    int idle_timeout_s;     /* a connection silent this long is dropped */
    const char *exports;    /* folder exports are written to (outside the library) */
} srv_options;

/* Run the server until SIGTERM/SIGINT; returns the process exit code. */
int srv_run(const srv_options *o);

/* ---- TLS (tls.c) ----------------------------------------------------------- */

/* The certificate to serve: @cert_file/@key_file when both are given, else
 * LIBRARY/server/tls-{cert,key}.pem, made self-signed on first use
 * (@created).  @fingerprint receives its SHA-256 as "AB:CD:…". */
GTlsCertificate *srv_tls_certificate(const char *library, const char *cert_file,
                                     const char *key_file, char *fingerprint, size_t fp_size,
                                     gboolean *created, GError **error);

/* ---- a request and its answer ---------------------------------------------- */

typedef struct srv_server srv_server;

typedef struct srv_request {
    char *method;
    char *path;
    GHashTable *query;         /* name -> value, owned */
    SoupMessageHeaders *headers; /* the request's headers (a ref) */
    GBytes *body;              /* the body when it was kept in memory (JSON), or NULL */
    char *upload;              /* the body streamed to this temporary file, or NULL */
    char *remote;              /* client address */
    char *params[3];           /* the '*' parts of the route's pattern */
    bool https;
} srv_request;

typedef struct srv_response {
    guint status;
    char *content_type;
    GBytes *body;
    GPtrArray *headers; /* name, value, name, value … (owned strings) */
} srv_response;

/* What a handler has: the worker's catalog, the request, the signed-in
 * session (when the route needs one) and the answer to fill in. */
typedef struct srv_ctx {
    srv_server *server;
    ba_catalog *cat;
    srv_request *req;
    srv_response *res;
    ba_web_session session;
    bool signed_in;
    char *set_cookie; /* a Set-Cookie value to send, or NULL */
    bool on_loop;     /* run on an I/O loop: nothing may decode, write or wait */
    bool deferred;    /* srv_defer() was called: nothing was answered */
} srv_ctx;

/* On an I/O loop (c->on_loop), give the request to a worker instead: call
 * it before answering or logging anything, and return at once.  Returns
 * whether it did (false on a worker, where the handler goes on). */
bool srv_defer(srv_ctx *c);

/* ---- answers (http.c) -------------------------------------------------------- */

/* Answer @status with the JSON that @b built (consumes @b). */
void srv_json(srv_ctx *c, guint status, JsonBuilder *b);

/* Answer {"error": {"code": @code, "message": @message}} with @status. */
void srv_error(srv_ctx *c, guint status, const char *code, const char *message);

/* Answer the library error @err with the status its code means. */
void srv_fail(srv_ctx *c, const ba_error *err);

/* Answer @status with @body (consumed) of type @content_type. */
void srv_bytes(srv_ctx *c, guint status, const char *content_type, GBytes *body);

/* Add response header @name: @value. */
void srv_header(srv_ctx *c, const char *name, const char *value);

/* The HTTP status for library error code @code. */
guint srv_status_for(ba_code code);

/* The JSON object of the request body, or NULL after answering 400.  The
 * returned parser owns the node; g_object_unref() it. */
JsonParser *srv_body_json(srv_ctx *c, JsonObject **obj);

/* A string member of @o, or NULL. */
const char *srv_member_str(JsonObject *o, const char *name);

/* The query parameter @name, or NULL. */
const char *srv_query(srv_ctx *c, const char *name);

/* Record a read or write of a client's record in the access log (batched;
 * flushed within a second and at shutdown). */
void srv_access(srv_ctx *c, const char *action, const char *object, const char *client,
                const char *result);

/* Whether the signed-in user may do @action on @obj (NULL = none); when not,
 * answers 404 (hidden: "that @noun was not found", word for word what an
 * absent one gets) or 403, and logs the refusal of @object under @client. */
bool srv_allow(srv_ctx *c, ba_access_action action, const ba_access_object *obj,
               const char *noun, const char *object, const char *client);

/* Answer a failed lookup of a @noun ("client", "photo"): 404 worded exactly
 * as for one the user may not see when it does not exist, else @err. */
void srv_lookup_failed(srv_ctx *c, const ba_error *err, const char *noun);

/* A list answer {"kind": @kind, @kind: [ … ]}: begin it (add the items to
 * the open array), then end it: answered 200 and logged as @action about
 * @client (no access row when @action is NULL: not a client's record), or —
 * when the listing failed (@rc != 0) — @err is answered. */
JsonBuilder *srv_list_begin(const char *kind);
void srv_list_end(srv_ctx *c, JsonBuilder *b, int rc, const ba_error *err, const char *action,
                  const char *client);

/* The members of photo @p in an object being built. */
void srv_photo_members(JsonBuilder *b, const ba_photo *p);

/* Parse a positive id from path part @s; answers 404 and returns 0 if not one. */
gint64 srv_id(srv_ctx *c, const char *s, const char *what);

/* JSON member helpers: a string (NULL and "" as null) and an integer. */
void srv_add_str(JsonBuilder *b, const char *name, const char *value);
void srv_add_int(JsonBuilder *b, const char *name, gint64 value);

/* ---- routes (routes.c and api_*.c) --------------------------------------------- */

typedef void (*srv_handler)(srv_ctx *c);

typedef struct srv_route {
    const char *method;  /* "GET", "POST", "DELETE" */
    const char *pattern; /* "/api/v1/photos/ * /image" with '*' for one path part */
    bool session;        /* needs a signed-in session (all but signing in) */
    bool upload;         /* the body is streamed to a temporary file */
    bool heavy;          /* decodes or renders: its own worker pool, so reads never wait on it */
    srv_handler run;
    /* Tried first on the I/O loop that read it (a kept thumbnail: reads of
     * the catalog and one small file); its handler calls srv_defer() for
     * anything that would decode or write, and a worker does it then. */
    bool on_loop;
} srv_route;

/* The route for @method and @path, filling @params; NULL when none.
 * @path_known is set when some route has that path with another method. */
const srv_route *srv_route_find(const char *method, const char *path, char *params[3],
                                bool *path_known);

/* ---- kept previews in memory (preview_cache.c) ------------------------------ */

typedef struct srv_preview_cache srv_preview_cache;

/* A cache of preview bytes by entity tag holding at most @budget bytes
 * (oldest out first; entries over 128 KB are not kept).  Thread-safe. */
srv_preview_cache *srv_preview_cache_new(gsize budget);
void srv_preview_cache_free(srv_preview_cache *pc);

/* The bytes kept under @etag (a reference: g_bytes_unref it), or NULL. */
GBytes *srv_preview_cache_get(srv_preview_cache *pc, const char *etag);

/* Keep @bytes (not consumed) under @etag. */
void srv_preview_cache_put(srv_preview_cache *pc, const char *etag, GBytes *bytes);

/* The server's cache of previews. */
srv_preview_cache *srv_previews(const srv_server *s);

/* The library folder and the upload limit the handlers need. */
const char *srv_library(const srv_server *s);
gint64 srv_max_upload(const srv_server *s);

/* The server's private scratch folder (0700, outside the library, removed
 * at stop) for renders an answer carries, and the folder exports go to. */
const char *srv_scratch(const srv_server *s);
const char *srv_exports(const srv_server *s);

/* Handlers (api_session.c, api_clients.c, api_photos.c, api_records.c). */
void api_session_create(srv_ctx *c);
void api_session_delete(srv_ctx *c);
void api_me(srv_ctx *c);
void api_clients_list(srv_ctx *c);
void api_clients_create(srv_ctx *c);
void api_client_get(srv_ctx *c);
void api_photos_list(srv_ctx *c);
void api_photo_get(srv_ctx *c);
void api_photo_image(srv_ctx *c);
void api_photos_upload(srv_ctx *c);
void api_comparisons_list(srv_ctx *c);
void api_comparison_image(srv_ctx *c);
void api_consents_list(srv_ctx *c);
void api_audit(srv_ctx *c);
void api_alignments_create(srv_ctx *c);
void api_photo_ghost(srv_ctx *c);
void api_photo_detect(srv_ctx *c); /* api_detect.c */
void api_comparisons_create(srv_ctx *c);
void api_consents_create(srv_ctx *c);
void api_consent_revoke(srv_ctx *c);
void api_exports_create(srv_ctx *c);
void api_export_file(srv_ctx *c);
void api_photo_set(srv_ctx *c);
void api_photo_retract(srv_ctx *c);
void api_photo_restore(srv_ctx *c);
void api_client_set(srv_ctx *c);
void api_session_set(srv_ctx *c);
void api_comparison_delete(srv_ctx *c);
void api_photo_aligned(srv_ctx *c);
void api_areas_list(srv_ctx *c);
/* api_users.c: the accounts (admin). */
void api_users_list(srv_ctx *c);
void api_users_create(srv_ctx *c);
void api_user_disable(srv_ctx *c);
/* static.c: the web app's bundled files (index.html, /app/NAME, /app/js/NAME). */
void web_index(srv_ctx *c);
void web_asset(srv_ctx *c);
void web_script(srv_ctx *c);

#endif
