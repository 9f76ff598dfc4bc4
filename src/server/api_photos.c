/* /api/v1/photos: lists, one photo, its pixels, and uploads. */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void srv_photo_members(JsonBuilder *b, const ba_photo *p)
{
    srv_add_str(b, "kind", "photo");
    srv_add_int(b, "photo_id", p->id);
    srv_add_str(b, "client", p->client);
    srv_add_str(b, "area", p->area);
    json_builder_set_member_name(b, "areas");
    json_builder_begin_array(b);
    for (int i = 0; i < p->n_areas; i++)
        json_builder_add_string_value(b, p->areas[i]);
    json_builder_end_array(b);
    srv_add_str(b, "stage", p->stage);
    srv_add_str(b, "view", p->view);
    srv_add_int(b, "session_id", p->session_id);
    srv_add_str(b, "session_date", p->session_date);
    srv_add_int(b, "session_number", p->session_number);
    srv_add_str(b, "treatment", p->treatment);
    srv_add_int(b, "width", p->width);
    srv_add_int(b, "height", p->height);
    srv_add_str(b, "master_sha256", p->master_sha256);
    srv_add_str(b, "ingested_at", p->ingested_at);
    srv_add_str(b, "master_problem", p->master_problem);
    srv_add_str(b, "retracted_at", p->retracted_at);
}

/* The photo named by the path, after the access check; 0 when answered. */
static gint64 visible_photo(srv_ctx *c, ba_access_action action, char client[BA_CODE_MAX])
{
    gint64 id = srv_id(c, c->req->params[0], "photo");
    if (!id)
        return 0;
    char what[48];
    snprintf(what, sizeof what, "photo %" G_GINT64_FORMAT, id);
    ba_access_object o;
    ba_error err;
    if (ba_access_photo_facts(c->cat, id, client, &o, &err)) {
        srv_lookup_failed(c, &err, "photo");
        return 0;
    }
    return srv_allow(c, action, &o, "photo", what, client) ? id : 0;
}

typedef struct list_scan {
    srv_ctx *c;
    JsonBuilder *b;
} list_scan;

static int add_photo(const ba_photo *p, void *ud)
{
    list_scan *s = ud;
    if (s->c->session.role == BA_ROLE_MARKETING) {
        ba_access_object o;
        ba_error err;
        if (ba_access_photo_facts(s->c->cat, p->id, NULL, &o, &err) ||
            ba_access_decide(BA_ROLE_MARKETING, BA_ACCESS_PHOTO_READ, &o, NULL, 0) !=
                BA_ACCESS_ALLOW)
            return 0;
    }
    json_builder_begin_object(s->b);
    srv_photo_members(s->b, p);
    json_builder_end_object(s->b);
    return 0;
}

void api_photos_list(srv_ctx *c)
{
    ba_photo_filter f = {.client = srv_query(c, "client"), .area = srv_query(c, "area"),
                         .from = srv_query(c, "from"), .to = srv_query(c, "to"),
                         .stage = srv_query(c, "stage")};
    if (f.client) {
        ba_access_object o;
        ba_error err;
        if (ba_access_client_facts(c->cat, f.client, &o, &err)) {
            srv_lookup_failed(c, &err, "client");
            return;
        }
        if (!srv_allow(c, BA_ACCESS_CLIENT_READ, &o, "client", "photos", f.client))
            return;
    }
    JsonBuilder *b = srv_list_begin("photos");
    list_scan s = {.c = c, .b = b};
    ba_error err;
    int rc = ba_catalog_photo_list(c->cat, &f, add_photo, &s, &err);
    srv_list_end(c, b, rc, &err, "photo-list", f.client);
}

void api_photo_get(srv_ctx *c)
{
    char client[BA_CODE_MAX];
    gint64 id = visible_photo(c, BA_ACCESS_PHOTO_READ, client);
    if (!id)
        return;
    ba_photo p;
    ba_error err;
    if (ba_catalog_photo_get(c->cat, id, &p, &err)) {
        srv_fail(c, &err);
        return;
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_photo_members(b, &p);
    json_builder_end_object(b);
    char object[48];
    snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT, id);
    srv_access(c, "photo-read", object, client, "ok");
    srv_json(c, SOUP_STATUS_OK, b);
}

/* The entity tag of photo @id's preview at @edge and, unless the client
 * already has it (@etag matches @match), its bytes into @bytes (NULL then).
 * On an I/O loop only a kept preview is read (1: not made, go to a worker).
 * Returns 0, 1 or -1 with @err. */
static int preview_of(srv_ctx *c, gint64 id, int edge, const char *match, char *etag,
                      size_t etag_size, GBytes **bytes, ba_error *err)
{
    *bytes = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc;
    if (edge > 0) {
        /* The tag first (a stat, not a read): a revalidation or a cache hit
         * needs no more. */
        rc = ba_compose_photo_preview_kept(c->cat, id, edge, NULL, &len, etag, etag_size, err);
        if (rc == 0 && match && strcmp(match, etag) == 0)
            return 0;
        if (rc == 0 && (*bytes = srv_preview_cache_get(srv_previews(c->server), etag)))
            return 0;
        if (rc == 0) /* made: read it (the loop and a worker alike) */
            rc = ba_compose_photo_preview_kept(c->cat, id, edge, &data, &len, etag, etag_size,
                                               err);
        else if (rc == 1 && !c->on_loop) /* not made: a worker makes it */
            rc = ba_compose_photo_preview(c->cat, id, edge, &data, &len, etag, etag_size, err);
    } else {
        rc = ba_compose_photo_preview(c->cat, id, edge, &data, &len, etag, etag_size, err);
    }
    if (rc)
        return rc;
    if (match && strcmp(match, etag) == 0) {
        free(data);
        return 0;
    }
    *bytes = g_bytes_new_with_free_func(data, len, free, data);
    if (edge > 0)
        srv_preview_cache_put(srv_previews(c->server), etag, *bytes);
    return 0;
}

void api_photo_image(srv_ctx *c)
{
    const char *size = srv_query(c, "size");
    int edge = !size || strcmp(size, "preview") == 0 ? BA_PREVIEW_LARGE
               : strcmp(size, "thumb") == 0          ? BA_PREVIEW_THUMB
               : strcmp(size, "full") == 0           ? 0
                                                     : -1;
    if (edge < 0) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "size is thumb, preview or full");
        return;
    }
    /* The master is hashed as it is read: a worker's job. */
    if (edge == 0 && srv_defer(c))
        return;
    char client[BA_CODE_MAX];
    gint64 id = visible_photo(c, BA_ACCESS_PHOTO_READ, client);
    if (!id)
        return;
    char etag[BA_SHA_MAX + 24];
    const char *match = soup_message_headers_get_one(c->req->headers, "If-None-Match");
    GBytes *bytes = NULL;
    ba_error err;
    int rc = preview_of(c, id, edge, match, etag, sizeof etag, &bytes, &err);
    if (rc == 1 && srv_defer(c)) /* not made yet: making it decodes the master */
        return;
    if (rc) {
        srv_fail(c, &err);
        return;
    }
    char object[64];
    snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT " %s", id, size ? size : "preview");
    srv_access(c, "photo-image", object, client, "ok");
    srv_header(c, "ETag", etag);
    /* Kept by the browser but asked for again on every use (If-None-Match:
     * 304 is cheap): a cached image is never shown to the next user of a shared
     * tablet, whose session may not see it. */
    srv_header(c, "Cache-Control", "private, no-cache");
    if (!bytes) {
        srv_bytes(c, SOUP_STATUS_NOT_MODIFIED, NULL, NULL);
        return;
    }
    srv_bytes(c, SOUP_STATUS_OK, "image/jpeg", bytes);
}

/* ---- uploads ----------------------------------------------------------------------- */

/* The fields of a multipart upload, pointing into its parts. */
typedef struct upload_fields {
    GBytes *file;
    char *file_name;
    char *field[6]; /* client, area, stage, view, date, treatment */
} upload_fields;

static const char *const FIELD_NAMES[6] = {"client", "area", "stage", "view", "date",
                                           "treatment"};

static void fields_clear(upload_fields *f)
{
    if (f->file)
        g_bytes_unref(f->file);
    g_free(f->file_name);
    for (int i = 0; i < 6; i++)
        g_free(f->field[i]);
}

/* Split the multipart body @body (request headers say the boundary). */
static bool parse_upload(srv_ctx *c, GBytes *body, upload_fields *f)
{
    SoupMultipart *mp = soup_multipart_new_from_message(c->req->headers, body);
    if (!mp)
        return false;
    for (int i = 0; i < soup_multipart_get_length(mp); i++) {
        SoupMessageHeaders *h = NULL;
        GBytes *part = NULL;
        if (!soup_multipart_get_part(mp, i, &h, &part))
            continue;
        char *disposition = NULL;
        GHashTable *params = NULL;
        if (!soup_message_headers_get_content_disposition(h, &disposition, &params))
            continue;
        const char *name = g_hash_table_lookup(params, "name");
        if (name && strcmp(name, "file") == 0 && !f->file) {
            f->file = g_bytes_ref(part);
            const char *fn = g_hash_table_lookup(params, "filename");
            f->file_name = g_path_get_basename(fn && *fn ? fn : "upload.jpg");
        }
        for (int k = 0; name && k < 6; k++)
            if (strcmp(name, FIELD_NAMES[k]) == 0 && !f->field[k] &&
                g_bytes_get_size(part) <= 1024) {
                gsize n = 0;
                const char *d = g_bytes_get_data(part, &n);
                f->field[k] = g_strndup(d, n);
            }
        g_free(disposition);
        g_hash_table_destroy(params);
    }
    soup_multipart_free(mp);
    return true;
}

static void upload_answer(srv_ctx *c, const ba_ingest_result *r)
{
    ba_photo p;
    ba_error err;
    if (ba_catalog_photo_get(c->cat, r->photo_id, &p, &err)) {
        srv_fail(c, &err);
        return;
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_photo_members(b, &p);
    srv_add_str(b, "status", r->status == BA_INGEST_INGESTED ? "ingested" : "duplicate");
    json_builder_set_member_name(b, "warnings");
    json_builder_begin_array(b);
    for (int i = 0; i < r->n_warnings; i++)
        json_builder_add_string_value(b, r->warnings[i]);
    json_builder_end_array(b);
    json_builder_end_object(b);
    char object[48];
    snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT, p.id);
    srv_access(c, "photo-upload", object, p.client, "ok");
    srv_json(c, r->status == BA_INGEST_INGESTED ? SOUP_STATUS_CREATED : SOUP_STATUS_OK, b);
}

void api_photos_upload(srv_ctx *c)
{
    if (!srv_allow(c, BA_ACCESS_PHOTO_UPLOAD, NULL, "photo", "photos", NULL))
        return;
    GError *e = NULL;
    GMappedFile *map = c->req->upload ? g_mapped_file_new(c->req->upload, FALSE, &e) : NULL;
    if (!map) {
        srv_error(c, SOUP_STATUS_INSUFFICIENT_STORAGE, "no-space",
                  "the upload could not be kept on the server");
        g_clear_error(&e);
        return;
    }
    GBytes *body = g_mapped_file_get_bytes(map);
    upload_fields f = {0};
    if (!parse_upload(c, body, &f) || !f.file) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request",
                  "send multipart/form-data with a 'file' part");
    } else if (!f.field[0] || !f.field[1]) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "give the client and the area");
    } else {
        ba_access_object o;
        ba_error err;
        if (ba_access_client_facts(c->cat, f.field[0], &o, &err)) {
            srv_fail(c, &err);
        } else {
            ba_ingest_options opts;
            ba_ingest_options_init(&opts);
            opts.client = f.field[0];
            opts.area = f.field[1];
            opts.stage = f.field[2];
            opts.view = f.field[3];
            opts.date = f.field[4];
            opts.treatment = f.field[5];
            ba_ingest_result r;
            gsize len = 0;
            const unsigned char *data = g_bytes_get_data(f.file, &len);
            if (ba_ingest_buffer(c->cat, f.file_name, data, len, &opts, &r, &err))
                srv_fail(c, &err);
            else
                upload_answer(c, &r);
        }
    }
    fields_clear(&f);
    g_bytes_unref(body);
    g_mapped_file_unref(map);
}
