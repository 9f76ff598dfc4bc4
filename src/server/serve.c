/* The server's machinery: listening (TLS, connection cap, idle timeout),
 * reading requests on the I/O loops (uploads streamed to a temporary file,
 * size limits answered before the body is read), handing each request to
 * the worker pools, answering on the request's I/O loop, the batched access
 * log, and a clean stop on SIGTERM.
 *
 * HTTP and TLS are libsoup's, and libsoup is not thread-safe: one
 * SoupServer is driven by one GMainContext in one thread.  One loop tops
 * out near 3,300 requests/s (TLS records, header parsing, GObject
 * signals), so there are several I/O loops, one thread each with its own
 * SoupServer on its own listening socket; the sockets share the address
 * with SO_REUSEPORT and the kernel spreads connections over them.  The main
 * thread only waits for signals. */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bodies of JSON requests larger than this answer 413 (uploads have their own limit). */
#define JSON_BODY_MAX (1024 * 1024)
/* How long a stop waits for requests in flight. */
#define STOP_GRACE_S 10

/* Thumbnails kept in memory: ~1700 of 20 KB, a few clients' pages. */
#define PREVIEW_CACHE_BYTES (32u * 1024 * 1024)

/* At most this many I/O loops (one per CPU up to it). */
#define IO_LOOPS_MAX 8

/* One I/O loop: a thread, its context, its SoupServer and its connections.
 * Everything here but @in_flight's reader in the stop message is touched
 * only by the loop's own thread. */
typedef struct srv_loop {
    srv_server *server;
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    SoupServer *soup;
    GSocket *listen_sock;   /* handed to libsoup, which accepts on it */
    GHashTable *sockets;    /* the open connections' GSockets -> conn_state */
    int in_flight;          /* requests read and not yet answered */
} srv_loop;

struct srv_server {
    srv_options o;
    char *scratch; /* private folder for renders an answer carries */
    char *exports; /* where exports go */
    gint64 max_upload;
    GMainLoop *main_loop;   /* the main thread's: signals and the stop's grace */
    srv_loop loops[IO_LOOPS_MAX];
    int n_loops;
    int loops_running;      /* main thread only */
    gint connections;       /* open connections over all loops (atomic) */
    gint in_flight;         /* requests over all loops (atomic; the stop message) */
    GTlsCertificate *cert;
    GThreadPool *pool;      /* reads: metadata, thumbnails, stored images */
    GThreadPool *heavy;     /* uploads, renders, alignments, exports */
    srv_preview_cache *previews; /* thumbnails' bytes, by entity tag */
    gint stopping;          /* atomic: no new connections, loops end when idle */
    /* the loops' last duty (their answers drained, libsoup torn down) waits for this */
    GMutex teardown_lock;
    GCond teardown_cond;
    bool teardown;
    /* the access log waiting to be written */
    GMutex log_lock;
    GCond log_cond;
    GPtrArray *log; /* of ba_access_entry with owned strings */
    bool log_stop;
    GThread *flusher;
};

const char *srv_library(const srv_server *s)
{
    return s->o.library;
}

gint64 srv_max_upload(const srv_server *s)
{
    return s->max_upload;
}

srv_preview_cache *srv_previews(const srv_server *s)
{
    return s->previews;
}

const char *srv_scratch(const srv_server *s)
{
    return s->scratch;
}

const char *srv_exports(const srv_server *s)
{
    return s->exports;
}

/* Remove the scratch folder and what is in it (flat: renders only). */
static void remove_scratch(const char *dir)
{
    GDir *d = dir ? g_dir_open(dir, 0, NULL) : NULL;
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    if (dir)
        g_rmdir(dir);
}

/* The scratch folder (in $TMPDIR, 0700) and the exports folder (given, or
 * LIBRARY-exports beside the library: never inside it). */
static int make_folders(srv_server *s)
{
    GError *e = NULL;
    s->scratch = g_dir_make_tmp("beforeafter-serve-XXXXXX", &e);
    if (!s->scratch) {
        fprintf(stderr, "beforeafter: serve: %s\n", e->message);
        g_error_free(e);
        return 1;
    }
    if (s->o.exports) {
        s->exports = g_strdup(s->o.exports);
    } else {
        char *lib = g_strdup(s->o.library);
        size_t n = strlen(lib);
        while (n > 1 && lib[n - 1] == '/')
            lib[--n] = '\0';
        s->exports = g_strconcat(lib, "-exports", NULL);
        g_free(lib);
    }
    if (g_mkdir_with_parents(s->exports, 0700) != 0) {
        fprintf(stderr, "beforeafter: serve: %s: %s\n", s->exports, g_strerror(errno));
        return 1;
    }
    ba_error err;
    if (ba_library_check_output(s->o.library, s->exports, true, &err)) {
        fprintf(stderr, "beforeafter: serve: exports folder: %s\n", err.message);
        return 2;
    }
    return 0;
}

/* ---- the access log, batched ------------------------------------------------- */

static void entry_free(gpointer p)
{
    ba_access_entry *e = p;
    g_free((char *)e->at);
    g_free((char *)e->actor);
    g_free((char *)e->action);
    g_free((char *)e->object);
    g_free((char *)e->client);
    g_free((char *)e->remote);
    g_free((char *)e->result);
    g_free(e);
}

void srv_access(srv_ctx *c, const char *action, const char *object, const char *client,
                const char *result)
{
    ba_access_entry *e = g_new0(ba_access_entry, 1);
    GDateTime *now = g_date_time_new_now_utc();
    e->at = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(now);
    e->actor = g_strdup(c->signed_in ? c->session.user : "anonymous");
    e->action = g_strdup(action);
    e->object = g_strdup(object);
    e->client = g_strdup(client);
    e->remote = g_strdup(c->req->remote);
    e->result = g_strdup(result ? result : "ok");
    srv_server *s = c->server;
    g_mutex_lock(&s->log_lock);
    g_ptr_array_add(s->log, e);
    /* The flusher waits for a first entry, then gathers for a second:
     * waking it for every read (thousands a second) would only cost. */
    if (s->log->len == 1)
        g_cond_signal(&s->log_cond);
    g_mutex_unlock(&s->log_lock);
}

/* Write what is waiting; entries that cannot be written are kept for the
 * next round (and reported), never dropped. */
static void flush_log(srv_server *s, ba_catalog *cat)
{
    g_mutex_lock(&s->log_lock);
    GPtrArray *batch = s->log;
    s->log = g_ptr_array_new_with_free_func(entry_free);
    g_mutex_unlock(&s->log_lock);
    if (batch->len) {
        GArray *flat = g_array_sized_new(FALSE, FALSE, sizeof(ba_access_entry), batch->len);
        for (guint i = 0; i < batch->len; i++)
            g_array_append_val(flat, *(ba_access_entry *)g_ptr_array_index(batch, i));
        ba_error err;
        if (!cat || ba_access_log_add(cat, (ba_access_entry *)(void *)flat->data,
                                      (int)flat->len, &err)) {
            g_warning("access log: %s; keeping %u entries for the next try",
                      cat ? err.message : "no catalog", batch->len);
            g_mutex_lock(&s->log_lock);
            for (guint i = 0; i < s->log->len; i++)
                g_ptr_array_add(batch, g_ptr_array_index(s->log, i));
            g_ptr_array_set_free_func(s->log, NULL);
            g_ptr_array_free(s->log, TRUE);
            s->log = batch;
            batch = NULL;
            g_mutex_unlock(&s->log_lock);
        }
        g_array_free(flat, TRUE);
    }
    if (batch)
        g_ptr_array_free(batch, TRUE);
}

/* Flushes the access log within a second of a read, and once more at stop. */
static gpointer flusher_main(gpointer ud)
{
    srv_server *s = ud;
    ba_error err;
    ba_catalog *cat = ba_catalog_open(s->o.library, &err);
    if (!cat)
        g_warning("access log: %s", err.message);
    else
        ba_catalog_set_actor(cat, "server");
    g_mutex_lock(&s->log_lock);
    while (!s->log_stop) {
        if (!s->log->len)
            g_cond_wait(&s->log_cond, &s->log_lock);
        if (s->log_stop)
            break;
        /* Let a burst gather for up to a second, then write it in one go. */
        gint64 until = g_get_monotonic_time() + G_TIME_SPAN_SECOND;
        while (!s->log_stop && g_cond_wait_until(&s->log_cond, &s->log_lock, until))
            ;
        g_mutex_unlock(&s->log_lock);
        flush_log(s, cat);
        g_mutex_lock(&s->log_lock);
    }
    g_mutex_unlock(&s->log_lock);
    flush_log(s, cat);
    ba_catalog_close(cat);
    return NULL;
}

/* Connections (below): admitted as libsoup accepts them, busy while a
 * request of theirs is handled. */
static void admit_connection(srv_loop *l, SoupServerMessage *msg);
static void connection_busy(srv_loop *l, GSocket *sock, int delta);

/* ---- uploads streamed to a file ---------------------------------------------- */

typedef struct body_state {
    srv_server *server;
    bool upload;      /* streamed to @path */
    gint64 limit;     /* bytes */
    gint64 received;
    bool too_large;
    int fd;
    char *path;
} body_state;

static void body_state_free(gpointer p)
{
    body_state *b = p;
    if (b->fd >= 0)
        close(b->fd);
    if (b->path)
        g_unlink(b->path);
    g_free(b->path);
    g_free(b);
}

/* Answer 413 at once and close: the connection is taken from libsoup (as
 * a WebSocket handshake does) so that the body is never read — a client
 * that announces 50 GB gets its answer in a round trip, and one that sends
 * an endless chunked body is cut off at the limit. */
static void reject_too_large(SoupServerMessage *msg, gint64 limit, bool https)
{
    GIOStream *io = soup_server_message_steal_connection(msg);
    if (!io)
        return;
    char body[160];
    int n = snprintf(body, sizeof body,
                     "{\"error\":{\"code\":\"too-large\",\"message\":\"the request body is "
                     "larger than %" G_GINT64_FORMAT " bytes\"}}",
                     limit);
    char *head = g_strdup_printf(
        "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
        "Content-Length: %d\r\nConnection: close\r\nCache-Control: no-store\r\n"
        "Content-Security-Policy: default-src 'self'; img-src 'self' blob: data:; "
        "media-src 'self' blob:; frame-ancestors 'none'\r\nX-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: no-referrer\r\n%s\r\n",
        n, https ? "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n" : "");
    GOutputStream *out = g_io_stream_get_output_stream(io);
    g_output_stream_write_all(out, head, strlen(head), NULL, NULL, NULL);
    g_output_stream_write_all(out, body, (gsize)n, NULL, NULL, NULL);
    g_output_stream_flush(out, NULL, NULL);
    g_io_stream_close(io, NULL, NULL);
    g_object_unref(io);
    g_free(head);
}

static void on_got_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer ud)
{
    body_state *b = ud;
    gsize len = g_bytes_get_size(chunk);
    b->received += (gint64)len;
    if (b->received > b->limit) {
        if (!b->too_large) {
            b->too_large = true;
            if (b->fd >= 0) {
                close(b->fd);
                b->fd = -1;
            }
            if (b->path)
                g_unlink(b->path);
            reject_too_large(msg, b->limit, !b->server->o.insecure_http);
        }
        return;
    }
    if (!b->upload || b->fd < 0)
        return;
    const char *data = g_bytes_get_data(chunk, NULL);
    gsize done = 0;
    while (done < len) {
        ssize_t n = write(b->fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(b->fd);
            b->fd = -1; /* the handler sees the short file and answers 507 */
            break;
        }
        done += (size_t)n;
    }
    (void)msg;
}

static void on_got_headers(SoupServerMessage *msg, gpointer ud)
{
    srv_loop *l = ud;
    srv_server *s = l->server;
    /* From its headers to its answer a request keeps its connection busy:
     * the sweep never closes one whose upload is still coming in. */
    connection_busy(l, soup_server_message_get_socket(msg), 1);
    const char *method = soup_server_message_get_method(msg);
    const char *path = g_uri_get_path(soup_server_message_get_uri(msg));
    char *params[3] = {NULL, NULL, NULL};
    bool known = false;
    const srv_route *r = srv_route_find(method, path, params, &known);
    for (int i = 0; i < 3; i++)
        g_free(params[i]);
    body_state *b = g_new0(body_state, 1);
    b->server = s;
    b->fd = -1;
    b->upload = r && r->upload;
    b->limit = b->upload ? s->max_upload : JSON_BODY_MAX;
    g_object_set_data_full(G_OBJECT(msg), "ba-body", b, body_state_free);
    SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
    /* Too large by its own account: answered before a byte of the body is read. */
    if (soup_message_headers_get_encoding(h) == SOUP_ENCODING_CONTENT_LENGTH &&
        soup_message_headers_get_content_length(h) > b->limit) {
        b->too_large = true;
        reject_too_large(msg, b->limit, !s->o.insecure_http);
        return;
    }
    SoupMessageBody *body = soup_server_message_get_request_body(msg);
    if (b->upload) {
        soup_message_body_set_accumulate(body, FALSE);
        char *tmp = NULL;
        ba_error err;
        b->fd = ba_library_tmp_file(s->o.library, "upload", &tmp, &err);
        if (b->fd < 0)
            g_warning("upload: %s", err.message); /* answered 507 by the handler */
        b->path = tmp ? g_strdup(tmp) : NULL;
        free(tmp);
    }
    g_signal_connect(msg, "got-chunk", G_CALLBACK(on_got_chunk), b);
}


static void on_request_started(SoupServer *soup, SoupServerMessage *msg, gpointer ud)
{
    (void)soup;
    admit_connection(ud, msg); /* ud: the srv_loop */
    g_signal_connect(msg, "got-headers", G_CALLBACK(on_got_headers), ud);
}

/* ---- handing requests to the workers and answering ---------------------------- */

typedef struct job {
    srv_server *server;
    srv_loop *loop; /* whose SoupServer the request came through */
    SoupServerMessage *msg;
    GSocket *sock; /* its connection's socket (no reference: looked up in server->sockets) */
    const srv_route *route; /* NULL when none matched */
    bool path_known;        /* some route has the path, with another method */
    bool paused;            /* the message waits for a worker's answer */
    srv_request req;
    srv_response res;
} job;

static void job_free(job *j)
{
    g_free(j->req.method);
    g_free(j->req.path);
    if (j->req.query)
        g_hash_table_unref(j->req.query);
    if (j->req.headers)
        soup_message_headers_unref(j->req.headers);
    if (j->req.body)
        g_bytes_unref(j->req.body);
    g_free(j->req.upload);
    g_free(j->req.remote);
    for (int i = 0; i < 3; i++)
        g_free(j->req.params[i]);
    g_free(j->res.content_type);
    if (j->res.body)
        g_bytes_unref(j->res.body);
    g_ptr_array_free(j->res.headers, TRUE);
    g_object_unref(j->msg);
    g_free(j);
}

/* Headers on every answer (issue 14's list). */
static void security_headers(SoupMessageHeaders *h, bool https)
{
    soup_message_headers_replace(h, "Content-Security-Policy",
                                 "default-src 'self'; img-src 'self' blob: data:; "
                                 "media-src 'self' blob:; frame-ancestors 'none'");
    soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
    soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
    soup_message_headers_replace(h, "X-Frame-Options", "DENY");
    if (https)
        soup_message_headers_replace(h, "Strict-Transport-Security",
                                     "max-age=31536000; includeSubDomains");
}

/* On @l's thread: a stopping loop ends once its requests are answered. */
static void maybe_quit(srv_loop *l)
{
    if (g_atomic_int_get(&l->server->stopping) && l->in_flight == 0)
        g_main_loop_quit(l->loop);
}

static gboolean loop_check_stop(gpointer ud)
{
    maybe_quit(ud);
    return G_SOURCE_REMOVE;
}

/* On the request's I/O loop: put the worker's answer on the message and let it go. */
static gboolean answer(gpointer ud)
{
    job *j = ud;
    SoupMessageHeaders *h = soup_server_message_get_response_headers(j->msg);
    bool has_cache_control = false;
    for (guint i = 0; i + 1 < j->res.headers->len; i += 2) {
        const char *name = g_ptr_array_index(j->res.headers, i);
        soup_message_headers_append(h, name, g_ptr_array_index(j->res.headers, i + 1));
        has_cache_control |= g_ascii_strcasecmp(name, "Cache-Control") == 0;
    }
    if (!has_cache_control)
        soup_message_headers_replace(h, "Cache-Control", "no-store");
    security_headers(h, j->req.https);
    guint status = j->res.status ? j->res.status : SOUP_STATUS_INTERNAL_SERVER_ERROR;
    soup_server_message_set_status(j->msg, status, NULL);
    if (j->res.body && g_bytes_get_size(j->res.body)) {
        /* The worker's bytes themselves, not a copy (a thumbnail is ~20 KB,
         * a full master megabytes). */
        soup_message_headers_set_content_type(h, j->res.content_type, NULL);
        soup_message_body_append_bytes(soup_server_message_get_response_body(j->msg),
                                       j->res.body);
    }
    if (j->paused)
        soup_server_message_unpause(j->msg);
    srv_loop *l = j->loop;
    connection_busy(l, j->sock, -1);
    job_free(j);
    l->in_flight--;
    g_atomic_int_dec_and_test(&l->server->in_flight);
    maybe_quit(l);
    return G_SOURCE_REMOVE;
}

/* Each worker thread's own catalog handle (SQLite connections are not shared). */
static GPrivate worker_catalog = G_PRIVATE_INIT((GDestroyNotify)ba_catalog_close);

static ba_catalog *catalog_of_thread(srv_server *s, ba_error *err)
{
    ba_catalog *cat = g_private_get(&worker_catalog);
    if (!cat) {
        cat = ba_catalog_open(s->o.library, err);
        if (cat)
            g_private_set(&worker_catalog, cat);
    }
    return cat;
}

/* The value of cookie @name in the request, or NULL (g_free it). */
static char *cookie_value(SoupMessageHeaders *h, const char *name)
{
    const char *header = soup_message_headers_get_list(h, "Cookie");
    if (!header)
        return NULL;
    char *found = NULL;
    char **parts = g_strsplit(header, ";", -1);
    for (int i = 0; parts[i] && !found; i++) {
        char *p = g_strstrip(parts[i]);
        size_t n = strlen(name);
        if (strncmp(p, name, n) == 0 && p[n] == '=')
            found = g_strdup(p + n + 1);
    }
    g_strfreev(parts);
    return found;
}

static void run_route(srv_ctx *c, const srv_route *r)
{
    ba_error err;
    if (r->session) {
        char *token = cookie_value(c->req->headers, "ba_session");
        bool touch_due = false;
        int rc = c->on_loop ? ba_access_session_peek(c->cat, token, &c->session, &touch_due, &err)
                            : ba_access_session_check(c->cat, token, &c->session, &err);
        g_free(token);
        if (rc == 0 && touch_due) {
            srv_defer(c); /* marking the session used is a write */
            return;
        }
        if (rc) {
            if (err.code == BA_ERR_AUTH)
                srv_error(c, SOUP_STATUS_UNAUTHORIZED, "unauthorized", "sign in first");
            else
                srv_fail(c, &err);
            return;
        }
        c->signed_in = true;
        bool reads = strcmp(c->req->method, "GET") == 0 || strcmp(c->req->method, "HEAD") == 0;
        if (!reads && !ba_access_csrf_ok(&c->session,
                                         soup_message_headers_get_one(c->req->headers,
                                                                      "X-CSRF-Token"))) {
            srv_error(c, SOUP_STATUS_FORBIDDEN, "csrf",
                      "the X-CSRF-Token header is missing or wrong");
            return;
        }
        ba_catalog_set_actor(c->cat, c->session.user);
    } else {
        char who[96];
        snprintf(who, sizeof who, "anonymous@%s", c->req->remote ? c->req->remote : "?");
        ba_catalog_set_actor(c->cat, who);
    }
    r->run(c);
    ba_catalog_set_actor(c->cat, NULL);
}

typedef struct route_call {
    srv_ctx *c;
    const srv_route *r;
} route_call;

/* On an I/O loop, the route's reads come from one snapshot of the catalog:
 * one lock for all of them, and the access decision sees what it guards. */
static int route_in_snapshot(ba_catalog *cat, void *ud)
{
    (void)cat;
    route_call *call = ud;
    run_route(call->c, call->r);
    return 0;
}

bool srv_defer(srv_ctx *c)
{
    if (!c->on_loop)
        return false;
    c->deferred = true;
    return true;
}

/* Decide and do the request: on a worker, or first on its I/O loop when
 * its route allows (@on_loop).  Returns false when the handler deferred it
 * to a worker; nothing of an answer is in @j then. */
static bool handle(job *j, bool on_loop)
{
    srv_server *s = j->server;
    srv_ctx c = {.server = s, .req = &j->req, .res = &j->res, .on_loop = on_loop};
    ba_error err;
    const srv_route *r = j->route;
    body_state *b = g_object_get_data(G_OBJECT(j->msg), "ba-body");
    if (b && b->too_large) {
        char text[96];
        snprintf(text, sizeof text, "the request body is larger than %" G_GINT64_FORMAT " bytes",
                 b->limit);
        srv_error(&c, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too-large", text);
    } else if (!r) {
        if (j->path_known)
            srv_error(&c, SOUP_STATUS_METHOD_NOT_ALLOWED, "method-not-allowed",
                      "that method is not allowed here");
        else
            srv_error(&c, SOUP_STATUS_NOT_FOUND, "not-found", "no such route");
    } else if (!(c.cat = catalog_of_thread(s, &err))) {
        srv_fail(&c, &err);
    } else if (on_loop) {
        route_call call = {&c, r};
        if (ba_catalog_with_snapshot(c.cat, route_in_snapshot, &call, &err))
            srv_fail(&c, &err); /* the snapshot could not begin: nothing was answered */
    } else {
        run_route(&c, r);
    }
    if (c.deferred) {
        g_free(c.set_cookie);
        return false;
    }
    /* The upload is ingested (or refused): its temporary file goes now,
     * before the answer, so no one sees it linger. */
    if (j->req.upload)
        g_unlink(j->req.upload);
    if (c.set_cookie) {
        srv_header(&c, "Set-Cookie", c.set_cookie);
        g_free(c.set_cookie);
    }
    return true;
}

/* On a worker thread. */
static void work(gpointer data, gpointer ud)
{
    (void)ud;
    job *j = data;
    handle(j, false);
    /* Always through the request's own loop (never run here, even when the
     * loop has stopped and this thread could take its context): libsoup is
     * not thread-safe. */
    GSource *src = g_idle_source_new();
    g_source_set_callback(src, answer, j, NULL);
    g_source_attach(src, j->loop->ctx);
    g_source_unref(src);
}

static void on_request(SoupServer *soup, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer ud)
{
    (void)soup;
    srv_loop *l = ud;
    srv_server *s = l->server;
    if (g_atomic_int_get(&s->stopping)) {
        /* A request on a kept-alive connection after the stop began: no
         * worker takes new work (the pools may already be gone). */
        SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
        security_headers(h, !s->o.insecure_http);
        soup_message_headers_replace(h, "Connection", "close");
        soup_message_headers_replace(h, "Cache-Control", "no-store");
        soup_server_message_set_status(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
        connection_busy(l, soup_server_message_get_socket(msg), -1);
        return;
    }
    job *j = g_new0(job, 1);
    j->server = s;
    j->loop = l;
    j->msg = g_object_ref(msg);
    j->sock = soup_server_message_get_socket(msg); /* busy since its headers came */
    j->req.method = g_strdup(soup_server_message_get_method(msg));
    j->req.path = g_strdup(path);
    j->req.https = !s->o.insecure_http;
    if (query)
        j->req.query = g_hash_table_ref(query);
    j->req.headers = soup_message_headers_ref(soup_server_message_get_request_headers(msg));
    j->req.remote = g_strdup(soup_server_message_get_remote_host(msg));
    body_state *b = g_object_get_data(G_OBJECT(msg), "ba-body");
    if (b && b->upload && b->path && !b->too_large) {
        if (b->fd >= 0) {
            close(b->fd);
            b->fd = -1;
        }
        j->req.upload = g_strdup(b->path);
    } else if (!b || !b->upload) {
        SoupMessageBody *body = soup_server_message_get_request_body(msg);
        j->req.body = soup_message_body_flatten(body);
    }
    j->res.headers = g_ptr_array_new_with_free_func(g_free);
    j->route = srv_route_find(j->req.method, j->req.path, j->req.params, &j->path_known);
    l->in_flight++;
    g_atomic_int_inc(&s->in_flight);
    /* A kept thumbnail is answered here: two thread hand-offs cost more
     * than the catalog read and the small file it takes. */
    if (j->route && j->route->on_loop && !j->req.upload && handle(j, true)) {
        answer(j);
        return;
    }
    soup_server_message_pause(msg);
    j->paused = true;
    /* Reads never queue behind a 12 MP ingest or a render. */
    g_thread_pool_push(j->route && j->route->heavy ? s->heavy : s->pool, j, NULL);
}

/* ---- connections ----------------------------------------------------------------- */

/* What we know of an open connection (its loop's thread only). */
typedef struct conn_state {
    gint64 last_active; /* monotonic µs of its last answer or its start */
    int busy;           /* requests of it being handled */
} conn_state;

static void connection_gone(gpointer ud, GObject *where)
{
    srv_loop *l = ud;
    if (g_hash_table_remove(l->sockets, where))
        g_atomic_int_dec_and_test(&l->server->connections);
}

/* libsoup 3.2 (Debian bookworm) never closes a keep-alive connection that
 * the client closed while it was idle (fixed upstream in 3.3.0, commit
 * d20c6601 "server: do not leak idle connections closed by the client"):
 * its socket stays in CLOSE-WAIT, the connection counts against the cap
 * forever.  Four times a second we close such sockets ourselves — a peer that
 * hung up, or a connection idle past --idle-timeout — when no request of
 * theirs is in flight.  libsoup has nothing pending on them then. */
static gboolean sweep_connections(gpointer ud)
{
    srv_loop *l = ud;
    srv_server *s = l->server;
    gint64 now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer key, value;
    GPtrArray *close_these = g_ptr_array_new();
    g_hash_table_iter_init(&it, l->sockets);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        GSocket *sock = key;
        conn_state *st = value;
        if (st->busy)
            continue;
        bool idle = now - st->last_active > (gint64)s->o.idle_timeout_s * G_TIME_SPAN_SECOND;
        GIOCondition cond = g_socket_condition_check(sock, G_IO_IN | G_IO_HUP | G_IO_ERR);
        char byte;
        bool hung_up = (cond & (G_IO_HUP | G_IO_ERR)) ||
                       ((cond & G_IO_IN) &&
                        recv(g_socket_get_fd(sock), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0);
        if (idle || hung_up)
            g_ptr_array_add(close_these, sock);
    }
    for (guint i = 0; i < close_these->len; i++) {
        GSocket *sock = g_ptr_array_index(close_these, i);
        g_object_weak_unref(G_OBJECT(sock), connection_gone, l);
        connection_gone(l, G_OBJECT(sock));
        g_socket_close(sock, NULL);
    }
    g_ptr_array_free(close_these, TRUE);
    return G_SOURCE_CONTINUE;
}

/* A request of @sock starts being handled (@delta 1) or was answered (-1). */
static void connection_busy(srv_loop *l, GSocket *sock, int delta)
{
    conn_state *st = sock ? g_hash_table_lookup(l->sockets, sock) : NULL;
    if (st) {
        st->busy += delta;
        st->last_active = g_get_monotonic_time();
    }
}

/* Admit a connection when its first request starts (libsoup emits this as
 * it accepts, before the TLS handshake): the idle timeout from the first
 * byte (a slow-loris gets nothing), and the cap — a connection over it, or
 * one arriving while stopping, is shut down before a byte is read. */
static void admit_connection(srv_loop *l, SoupServerMessage *msg)
{
    srv_server *s = l->server;
    GSocket *sock = soup_server_message_get_socket(msg);
    if (!sock || g_hash_table_contains(l->sockets, sock))
        return;
    /* The cap is over all loops: counted up first, so two loops admitting
     * at once cannot both take the last place. */
    bool over = g_atomic_int_get(&s->stopping);
    if (!over && g_atomic_int_add(&s->connections, 1) >= s->o.max_connections) {
        g_atomic_int_add(&s->connections, -1);
        over = true;
    }
    if (over) {
        g_socket_shutdown(sock, TRUE, TRUE, NULL);
        return;
    }
    g_socket_set_timeout(sock, (guint)s->o.idle_timeout_s);
    conn_state *st = g_new0(conn_state, 1);
    st->last_active = g_get_monotonic_time();
    g_hash_table_insert(l->sockets, sock, st);
    g_object_weak_ref(G_OBJECT(sock), connection_gone, l);
}

/* ---- start and stop ------------------------------------------------------------------ */

static gboolean on_grace_over(gpointer ud)
{
    srv_server *s = ud;
    for (int i = 0; i < s->n_loops; i++)
        g_main_loop_quit(s->loops[i].loop); /* thread-safe: wakes the loop */
    return G_SOURCE_REMOVE;
}

static gboolean on_stop_signal(gpointer ud)
{
    srv_server *s = ud;
    if (!g_atomic_int_get(&s->stopping)) {
        g_atomic_int_set(&s->stopping, 1); /* new connections are shut down as they come */
        fprintf(stderr, "beforeafter serve: stopping (%d requests in flight)\n",
                g_atomic_int_get(&s->in_flight));
        g_timeout_add_seconds(STOP_GRACE_S, on_grace_over, s);
        for (int i = 0; i < s->n_loops; i++)
            g_main_context_invoke(s->loops[i].ctx, loop_check_stop, &s->loops[i]);
    }
    return G_SOURCE_CONTINUE;
}

/* On the main thread: one more I/O loop has ended. */
static gboolean on_loop_ended(gpointer ud)
{
    srv_server *s = ud;
    if (--s->loops_running == 0)
        g_main_loop_quit(s->main_loop);
    return G_SOURCE_REMOVE;
}

/* An I/O loop's thread: run until stopped, then — once the workers are done
 * and their last answers are queued here — answer those, and take libsoup
 * down in the thread that drove it. */
static gpointer loop_main(gpointer ud)
{
    srv_loop *l = ud;
    srv_server *s = l->server;
    g_main_context_push_thread_default(l->ctx);
    GSource *sweep = g_timeout_source_new(250);
    g_source_set_callback(sweep, sweep_connections, l, NULL);
    g_source_attach(sweep, l->ctx);
    g_main_loop_run(l->loop);
    g_source_destroy(sweep);
    g_source_unref(sweep);
    g_main_context_invoke(NULL, on_loop_ended, s);
    g_mutex_lock(&s->teardown_lock);
    while (!s->teardown)
        g_cond_wait(&s->teardown_cond, &s->teardown_lock);
    g_mutex_unlock(&s->teardown_lock);
    while (g_main_context_iteration(l->ctx, FALSE))
        ;
    soup_server_disconnect(l->soup);
    g_clear_object(&l->soup);
    /* Sockets libsoup still holds must not call back into a table that is gone. */
    GHashTableIter it;
    gpointer sock;
    g_hash_table_iter_init(&it, l->sockets);
    while (g_hash_table_iter_next(&it, &sock, NULL))
        g_object_weak_unref(G_OBJECT(sock), connection_gone, l);
    g_main_context_pop_thread_default(l->ctx);
    return NULL;
}

/* Parse "ADDR:PORT" ("[v6]:PORT" too); NULL after saying why. */
static GSocketAddress *parse_listen(const char *listen, bool *loopback)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen) {
        fprintf(stderr, "beforeafter: serve: --listen wants ADDR:PORT, got '%s'\n", listen);
        return NULL;
    }
    char *host = g_strndup(listen, (gsize)(colon - listen));
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    GInetAddress *addr = g_inet_address_new_from_string(host);
    GSocketAddress *sa = NULL;
    if (!addr || !end || *end || port < 1 || port > 65535)
        fprintf(stderr, "beforeafter: serve: --listen wants a numeric ADDR:PORT, got '%s'\n",
                listen);
    else {
        sa = g_inet_socket_address_new(addr, (guint16)port);
        *loopback = g_inet_address_get_is_loopback(addr);
    }
    g_clear_object(&addr);
    g_free(host);
    return sa;
}

/* A listening socket on @addr with a backlog of 512 (GLib's default of 10
 * drops connections under a burst, and clients retry after 1, 3, 7 s);
 * @shared: SO_REUSEPORT, so that every I/O loop has one on the address. */
static GSocket *listening_socket(GSocketAddress *addr, bool shared, GError **e)
{
    GSocket *sock = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, e);
    if (!sock)
        return NULL;
    g_socket_set_listen_backlog(sock, 512);
    /* bind(2) itself: g_socket_bind() turns SO_REUSEPORT off for TCP. */
    struct sockaddr_storage native;
    gssize len = g_socket_address_get_native_size(addr);
    int fd = g_socket_get_fd(sock);
    if (len < 0 || !g_socket_address_to_native(addr, &native, sizeof native, e) ||
        !g_socket_set_option(sock, SOL_SOCKET, SO_REUSEADDR, 1, e) ||
        (shared && !g_socket_set_option(sock, SOL_SOCKET, SO_REUSEPORT, 1, e))) {
        g_clear_object(&sock);
        return NULL;
    }
    if (bind(fd, (struct sockaddr *)&native, (socklen_t)len) != 0) {
        int code = errno;
        g_set_error(e, G_IO_ERROR, g_io_error_from_errno(code), "Error binding to address: %s",
                    g_strerror(code));
        g_clear_object(&sock);
        return NULL;
    }
    if (!g_socket_listen(sock, e))
        g_clear_object(&sock);
    return sock;
}

/* The loops' listening sockets on @addr.  The address is first taken by a
 * plain socket, which fails if anyone holds it — with SO_REUSEPORT alone a
 * second server of the same user would silently share the port — and tells
 * the port when @addr asks for any (port 0). */
static bool listen_all(srv_server *s, GSocketAddress *addr, GError **e)
{
    GSocket *probe = listening_socket(addr, false, e);
    if (!probe)
        return false;
    GSocketAddress *bound = g_socket_get_local_address(probe, e);
    g_object_unref(probe);
    if (!bound)
        return false;
    bool ok = true;
    for (int i = 0; ok && i < s->n_loops; i++)
        ok = (s->loops[i].listen_sock = listening_socket(bound, true, e)) != NULL;
    g_object_unref(bound);
    return ok;
}

/* Loop @l's SoupServer on its listening socket, made with the loop's
 * context as the thread default so that libsoup attaches its sources there. */
static bool loop_serve(srv_server *s, srv_loop *l, GError **e)
{
    g_main_context_push_thread_default(l->ctx);
    l->soup = soup_server_new("server-header", "beforeafter", NULL);
    g_signal_connect(l->soup, "request-started", G_CALLBACK(on_request_started), l);
    soup_server_add_handler(l->soup, NULL, on_request, l, NULL);
    if (!s->o.insecure_http)
        soup_server_set_tls_certificate(l->soup, s->cert); /* no trust store: none needed */
    bool ok = soup_server_listen_socket(l->soup, l->listen_sock,
                                        s->o.insecure_http ? 0 : SOUP_SERVER_LISTEN_HTTPS, e);
    g_main_context_pop_thread_default(l->ctx);
    return ok;
}

static int start(srv_server *s)
{
    bool loopback = false;
    GSocketAddress *addr = parse_listen(s->o.listen, &loopback);
    if (!addr)
        return 2;
    if (s->o.insecure_http && !loopback) {
        fprintf(stderr, "beforeafter: serve: plain HTTP only on a loopback address; %s is not one "
                        "(serve HTTPS, the default)\n",
                s->o.listen);
        g_object_unref(addr);
        return 2;
    }
    GError *e = NULL;
    if (!s->o.insecure_http) {
        char fp[128];
        gboolean created = FALSE;
        s->cert = srv_tls_certificate(s->o.library, s->o.tls_cert, s->o.tls_key, fp, sizeof fp,
                                      &created, &e);
        if (!s->cert) {
            fprintf(stderr, "beforeafter: serve: TLS certificate: %s\n", e->message);
            g_error_free(e);
            g_object_unref(addr);
            return 1;
        }
        fprintf(stderr, "beforeafter serve: %s certificate, SHA-256 fingerprint %s\n",
                created ? "made a self-signed" : "using the", fp);
    }
    bool ok = listen_all(s, addr, &e);
    for (int i = 0; ok && i < s->n_loops; i++)
        ok = loop_serve(s, &s->loops[i], &e);
    if (!ok) {
        fprintf(stderr, "beforeafter: serve: cannot listen on %s: %s\n", s->o.listen,
                e ? e->message : "?");
        g_clear_error(&e);
        g_object_unref(addr);
        return 1;
    }
    GSocketAddress *bound = g_socket_get_local_address(s->loops[0].listen_sock, NULL);
    char *where = bound ? g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(bound))
                        : g_strdup(s->o.listen);
    fprintf(stderr, "beforeafter serve: listening on %s://%s/\n",
            s->o.insecure_http ? "http" : "https", where);
    g_free(where);
    g_clear_object(&bound);
    g_object_unref(addr);
    return 0;
}

static void loops_init(srv_server *s)
{
    s->n_loops = CLAMP((int)g_get_num_processors(), 1, IO_LOOPS_MAX);
    for (int i = 0; i < s->n_loops; i++) {
        srv_loop *l = &s->loops[i];
        l->server = s;
        l->ctx = g_main_context_new();
        l->loop = g_main_loop_new(l->ctx, FALSE);
        l->sockets = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    }
}

static void loops_free(srv_server *s)
{
    for (int i = 0; i < s->n_loops; i++) {
        srv_loop *l = &s->loops[i];
        if (l->soup) { /* started but never run: nothing of it is in flight */
            soup_server_disconnect(l->soup);
            g_clear_object(&l->soup);
        }
        g_clear_object(&l->listen_sock);
        g_hash_table_destroy(l->sockets);
        g_main_loop_unref(l->loop);
        g_main_context_unref(l->ctx);
    }
}

/* Run the I/O loops until a stop signal and the loops have ended; then the
 * workers finish, the loops send what they answered, the log is flushed. */
static void run(srv_server *s)
{
    s->pool = g_thread_pool_new(work, s, MAX(2, 2 * s->o.workers), FALSE, NULL);
    s->heavy = g_thread_pool_new(work, s, s->o.workers, FALSE, NULL);
    s->flusher = g_thread_new("access-log", flusher_main, s);
    guint term = g_unix_signal_add(SIGTERM, on_stop_signal, s);
    guint intr = g_unix_signal_add(SIGINT, on_stop_signal, s);
    for (int i = 0; i < s->n_loops; i++) {
        char name[16];
        snprintf(name, sizeof name, "io-%d", i);
        s->loops[i].thread = g_thread_new(name, loop_main, &s->loops[i]);
        s->loops_running++;
    }
    g_main_loop_run(s->main_loop);
    g_source_remove(term);
    g_source_remove(intr);
    /* Requests still in the pools finish; their answers are queued on their loops. */
    g_thread_pool_free(s->pool, FALSE, TRUE);
    g_thread_pool_free(s->heavy, FALSE, TRUE);
    g_mutex_lock(&s->teardown_lock);
    s->teardown = true;
    g_cond_broadcast(&s->teardown_cond);
    g_mutex_unlock(&s->teardown_lock);
    for (int i = 0; i < s->n_loops; i++)
        g_thread_join(s->loops[i].thread);
    g_mutex_lock(&s->log_lock);
    s->log_stop = true;
    g_cond_signal(&s->log_cond);
    g_mutex_unlock(&s->log_lock);
    g_thread_join(s->flusher);
    fprintf(stderr, "beforeafter serve: stopped\n");
}

int srv_run(const srv_options *o)
{
    srv_server s = {.o = *o};
    s.max_upload = (gint64)o->max_upload_mb * 1024 * 1024;
    s.log = g_ptr_array_new_with_free_func(entry_free);
    g_mutex_init(&s.log_lock);
    g_cond_init(&s.log_cond);
    g_mutex_init(&s.teardown_lock);
    g_cond_init(&s.teardown_cond);
    s.main_loop = g_main_loop_new(NULL, FALSE);
    s.previews = srv_preview_cache_new(PREVIEW_CACHE_BYTES);
    loops_init(&s);
    int rc = make_folders(&s);
    if (rc == 0)
        rc = start(&s);
    if (rc == 0)
        run(&s);
    loops_free(&s);
    g_clear_object(&s.cert);
    remove_scratch(s.scratch);
    g_free(s.scratch);
    g_free(s.exports);
    g_main_loop_unref(s.main_loop);
    srv_preview_cache_free(s.previews);
    g_ptr_array_free(s.log, TRUE);
    g_mutex_clear(&s.log_lock);
    g_cond_clear(&s.log_cond);
    g_mutex_clear(&s.teardown_lock);
    g_cond_clear(&s.teardown_cond);
    return rc;
}
