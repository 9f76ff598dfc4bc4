/* /api/v1/areas: the library's area vocabulary, for the capture screen's
 * choices (an upload of an area outside it is refused by ingest). */
#include "server/server.h"

static int add_area(const char *name, void *ud)
{
    json_builder_add_string_value(ud, name);
    return 0;
}

void api_areas_list(srv_ctx *c)
{
    /* Not a client's record: answered without an access-log row. */
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    srv_add_str(b, "kind", "areas");
    json_builder_set_member_name(b, "areas");
    json_builder_begin_array(b);
    ba_error err;
    int rc = ba_catalog_area_list(c->cat, add_area, b, &err);
    json_builder_end_array(b);
    json_builder_end_object(b);
    if (rc) {
        g_object_unref(b);
        srv_fail(c, &err);
        return;
    }
    srv_json(c, SOUP_STATUS_OK, b);
}
