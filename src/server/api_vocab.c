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
    JsonBuilder *b = srv_list_begin("areas");
    ba_error err;
    int rc = ba_catalog_area_list(c->cat, add_area, b, &err);
    /* Not a client's record: answered without an access-log row. */
    srv_list_end(c, b, rc, &err, NULL, NULL);
}
