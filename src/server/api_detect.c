/* GET /api/v1/photos/{id}/detect: the face box and eye centres found on the
 * photo's master (docs/json/detection.json), for the web app's eye bars.
 * Visible exactly as the photo's metadata is; a hidden photo is 404. */
#include "server/server.h"

#include <math.h>
#include <stdio.h>

static void add_real(JsonBuilder *b, const char *name, double v, double unit)
{
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, round(v / unit) * unit);
}

void api_photo_detect(srv_ctx *c)
{
    gint64 id = srv_id(c, c->req->params[0], "photo");
    if (!id)
        return;
    char what[48], client[BA_CODE_MAX];
    snprintf(what, sizeof what, "photo %" G_GINT64_FORMAT, id);
    ba_access_object o;
    ba_error err;
    if (ba_access_photo_facts(c->cat, id, client, &o, &err)) {
        srv_lookup_failed(c, &err, "photo");
        return;
    }
    if (!srv_allow(c, BA_ACCESS_PHOTO_READ, &o, "photo", what, client))
        return;
    ba_detection d;
    if (ba_detect_photo(c->cat, id, &d, &err)) {
        srv_fail(c, &err);
        return;
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "detection");
    srv_add_int(b, "photo_id", id);
    json_builder_set_member_name(b, "face");
    if (d.face_found) {
        json_builder_begin_object(b);
        static const char *const BOX[] = {"x", "y", "w", "h"};
        for (int i = 0; i < 4; i++)
            add_real(b, BOX[i], d.face[i], 0.1);
        add_real(b, "confidence", d.face_confidence, 0.01);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_set_member_name(b, "eyes");
    json_builder_begin_array(b);
    for (int i = 0; i < d.n_eyes; i++) {
        json_builder_begin_object(b);
        add_real(b, "x", d.eyes[i][0], 0.1);
        add_real(b, "y", d.eyes[i][1], 0.1);
        add_real(b, "radius", d.eye_radius[i], 0.1);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    add_real(b, "eyes_confidence", d.eyes_confidence, 0.01);
    json_builder_end_object(b);
    srv_access(c, "photo-detect", what, client, "ok");
    srv_json(c, SOUP_STATUS_OK, b);
}
