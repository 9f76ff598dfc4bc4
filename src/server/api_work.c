/* Image work through the API: align, the capture ghost, rendering a
 * comparison.  Each runs on a worker thread (never on the main loop). */
#include "server/server.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An integer member of @o (JSON number), @dflt when absent or not one. */
static gint64 member_int(JsonObject *o, const char *name, gint64 dflt)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return dflt;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_INT64)
        return json_node_get_int(n);
    if (t == G_TYPE_DOUBLE)
        return (gint64)json_node_get_double(n);
    return dflt;
}

static bool member_bool(JsonObject *o, const char *name, bool dflt)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
        return dflt;
    return json_node_get_boolean(n);
}

/* May the user do @action on photo @id?  Answers and returns false if not. */
static bool photo_allowed(srv_ctx *c, gint64 id, ba_access_action action,
                          char client[BA_CODE_MAX])
{
    ba_access_object o;
    ba_error err;
    char object[48];
    snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT, id);
    if (id <= 0 || ba_access_photo_facts(c->cat, id, client, &o, &err)) {
        if (id <= 0)
            err.code = BA_ERR_NOT_FOUND;
        srv_lookup_failed(c, &err, "photo");
        return false;
    }
    return srv_allow(c, action, &o, "photo", object, client);
}

static void alignment_members(JsonBuilder *b, const ba_alignment *a)
{
    srv_add_str(b, "kind", "alignment");
    srv_add_int(b, "photo_id", a->photo_id);
    srv_add_int(b, "reference_id", a->reference_id);
    json_builder_set_member_name(b, "score");
    json_builder_add_double_value(b, (double)(gint64)(a->score * 1000 + 0.5) / 1000.0);
    json_builder_set_member_name(b, "scale");
    json_builder_add_double_value(b, (double)(gint64)(a->scale * 10000 + 0.5) / 10000.0);
    json_builder_set_member_name(b, "angle_deg");
    json_builder_add_double_value(b, a->angle_deg);
    srv_add_int(b, "inliers", a->inliers);
    srv_add_str(b, "method", a->method);
    srv_add_str(b, "trust", ba_align_trust_advice(ba_align_trust_of(a->score)));
}

void api_alignments_create(srv_ctx *c)
{
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    gint64 photo = member_int(o, "photo", 0), ref = member_int(o, "reference", 0);
    g_object_unref(p);
    char client[BA_CODE_MAX], rclient[BA_CODE_MAX];
    if (!photo_allowed(c, photo, BA_ACCESS_ALIGN, client) ||
        !photo_allowed(c, ref, BA_ACCESS_ALIGN, rclient))
        return;
    ba_align_options opts;
    ba_align_options_init(&opts);
    ba_alignment a;
    ba_error err;
    if (ba_align_photos(c->cat, photo, ref, &opts, &a, &err)) {
        srv_fail(c, &err);
        return;
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    alignment_members(b, &a);
    json_builder_end_object(b);
    char object[64];
    snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT " onto %" G_GINT64_FORMAT, photo,
             ref);
    srv_access(c, "align", object, client, "ok");
    srv_json(c, SOUP_STATUS_CREATED, b);
}

/* A file in the server's scratch folder (outside the library, which outputs
 * may never enter) for a render the answer carries; g_free() it. */
static char *scratch_file(srv_ctx *c, const char *suffix)
{
    static gint counter;
    return g_strdup_printf("%s/out-%d%s", srv_scratch(c->server),
                           g_atomic_int_add(&counter, 1), suffix);
}

/* Answer with the bytes of @path (then removed). */
static void answer_file(srv_ctx *c, const char *path, const char *type)
{
    gchar *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        srv_error(c, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", "the render vanished");
    } else {
        srv_header(c, "Cache-Control", "private, no-store");
        srv_bytes(c, SOUP_STATUS_OK, type, g_bytes_new_take(data, len));
    }
    g_unlink(path);
}

void api_photo_ghost(srv_ctx *c)
{
    gint64 id = srv_id(c, c->req->params[0], "photo");
    char client[BA_CODE_MAX];
    if (!id || !photo_allowed(c, id, BA_ACCESS_GHOST, client))
        return;
    const char *edges = srv_query(c, "edges"), *opacity = srv_query(c, "opacity"),
               *size = srv_query(c, "size");
    double a = opacity ? g_ascii_strtod(opacity, NULL) : 0.5;
    long edge = size ? strtol(size, NULL, 10) : 1600;
    if (a < 0 || a > 1 || edge < 64 || edge > 4096) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request",
                  "opacity is 0..1 and size 64..4096 px");
        return;
    }
    char *out = scratch_file(c, ".png");
    ba_error err;
    if (ba_compose_ghost(c->cat, id, NULL, a, edges && strcmp(edges, "1") == 0, (int)edge, out,
                         &err)) {
        srv_fail(c, &err);
        g_unlink(out);
    } else {
        char object[48];
        snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT, id);
        srv_access(c, "photo-ghost", object, client, "ok");
        answer_file(c, out, "image/png");
    }
    g_free(out);
}

/* GET /api/v1/photos/{id}/aligned?to=REF&size=N: the photo warped onto REF
 * through their stored alignment, as a JPEG in REF's frame (the slider's
 * "after" over REF's own preview). */
void api_photo_aligned(srv_ctx *c)
{
    gint64 id = srv_id(c, c->req->params[0], "photo");
    const char *to = srv_query(c, "to"), *size = srv_query(c, "size");
    gint64 ref = to ? g_ascii_strtoll(to, NULL, 10) : id;
    long edge = size ? strtol(size, NULL, 10) : BA_PREVIEW_LARGE;
    char client[BA_CODE_MAX], ref_client[BA_CODE_MAX];
    if (!id || !photo_allowed(c, id, BA_ACCESS_PHOTO_READ, client) ||
        !photo_allowed(c, ref, BA_ACCESS_PHOTO_READ, ref_client))
        return;
    if (edge < 64 || edge > 4096) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "size is 64..4096 px");
        return;
    }
    /* Not aligned yet: a user who may align has it done (and stored) now,
     * as POST /api/v1/alignments would; anyone else is refused below. */
    ba_alignment a;
    ba_error err;
    ba_access_object facts = {.has_client = true};
    if (id != ref && ba_catalog_alignment_get(c->cat, id, ref, &a, &err) &&
        err.code == BA_ERR_NOT_FOUND &&
        ba_access_decide(c->session.role, BA_ACCESS_ALIGN, &facts, NULL, 0) == BA_ACCESS_ALLOW) {
        ba_align_options opts;
        ba_align_options_init(&opts);
        if (ba_align_photos(c->cat, id, ref, &opts, &a, &err)) {
            srv_fail(c, &err);
            return;
        }
    }
    char *out = scratch_file(c, ".jpg");
    if (ba_compose_aligned(c->cat, id, ref, (int)edge, out, &err)) {
        srv_fail(c, &err);
        g_unlink(out);
    } else {
        char object[64];
        snprintf(object, sizeof object, "photo %" G_GINT64_FORMAT " onto %" G_GINT64_FORMAT, id,
                 ref);
        srv_access(c, "photo-aligned", object, client, "ok");
        answer_file(c, out, "image/jpeg");
    }
    g_free(out);
}

/* Render options from the JSON body (the compare options of the CLI). */
static bool compose_options(srv_ctx *c, JsonObject *o, ba_compose_options *opts)
{
    ba_compose_options_init(opts);
    const char *layout = srv_member_str(o, "layout"), *labels = srv_member_str(o, "labels");
    if (layout) {
        int l = ba_layout_parse(layout);
        if (l < 0) {
            srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "unknown layout");
            return false;
        }
        opts->layout = (ba_layout)l;
    }
    if (labels) {
        int l = ba_label_style_parse(labels);
        if (l < 0) {
            srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "unknown label style");
            return false;
        }
        opts->labels = (ba_label_style)l;
    }
    opts->width = (int)member_int(o, "width", 0);
    opts->height = (int)member_int(o, "height", 0);
    opts->caption = srv_member_str(o, "caption");
    opts->align = member_bool(o, "align", true);
    opts->strict = member_bool(o, "strict", false);
    ba_error err;
    if (ba_compose_options_check(opts, &err)) {
        srv_fail(c, &err);
        return false;
    }
    return true;
}

void api_comparisons_create(srv_ctx *c)
{
    JsonObject *o;
    JsonParser *p = srv_body_json(c, &o);
    if (!p)
        return;
    JsonNode *pn = json_object_get_member(o, "photos");
    JsonArray *arr = pn && JSON_NODE_HOLDS_ARRAY(pn) ? json_node_get_array(pn) : NULL;
    guint n = arr ? json_array_get_length(arr) : 0;
    gint64 ids[BA_COMPOSE_MAX_PANELS];
    ba_compose_options opts;
    char client[BA_CODE_MAX] = "";
    bool ok = true;
    if (n < 2 || n > BA_COMPOSE_MAX_PANELS) {
        srv_error(c, SOUP_STATUS_BAD_REQUEST, "bad-request", "give 2 or more photo ids");
        ok = false;
    }
    for (guint i = 0; ok && i < n; i++) {
        JsonNode *e = json_array_get_element(arr, i);
        ids[i] = JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_INT64
                     ? json_node_get_int(e)
                     : 0;
        ok = photo_allowed(c, ids[i], BA_ACCESS_COMPARE, client);
    }
    if (ok && compose_options(c, o, &opts)) {
        char *out = scratch_file(c, ".jpg");
        ba_comparison r;
        ba_error err;
        if (ba_compose_photos(c->cat, (const int64_t *)ids, (int)n, &opts, out, &r, &err)) {
            srv_fail(c, &err);
        } else {
            JsonBuilder *b = json_builder_new();
            json_builder_begin_object(b);
            srv_add_str(b, "kind", "comparison");
            srv_add_int(b, "comparison_id", r.id);
            srv_add_str(b, "client", client);
            srv_add_int(b, "width", r.width);
            srv_add_int(b, "height", r.height);
            json_builder_set_member_name(b, "aligned");
            json_builder_add_boolean_value(b, r.aligned);
            json_builder_set_member_name(b, "existing");
            json_builder_add_boolean_value(b, r.existing);
            json_builder_set_member_name(b, "warnings");
            json_builder_begin_array(b);
            for (int i = 0; i < r.n_warnings; i++)
                json_builder_add_string_value(b, r.warnings[i]);
            json_builder_end_array(b);
            json_builder_end_object(b);
            char object[48];
            snprintf(object, sizeof object, "comparison %" G_GINT64_FORMAT, r.id);
            srv_access(c, "compare", object, client, "ok");
            srv_json(c, r.existing ? SOUP_STATUS_OK : SOUP_STATUS_CREATED, b);
        }
        g_unlink(out);
        g_free(out);
    }
    g_object_unref(p);
}
