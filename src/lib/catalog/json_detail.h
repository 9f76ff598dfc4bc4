/* Internal: audit details of corrections, as compact JSON built with
 * json-glib (never hand-escaped): {"field":{"old":..,"new":..},...}. */
#ifndef BA_CATALOG_JSON_DETAIL_H
#define BA_CATALOG_JSON_DETAIL_H

#include <json-glib/json-glib.h>

/* The object built in @b as compact JSON text (g_free it); @b is freed. */
static inline char *ba_db_json_text(JsonBuilder *b)
{
    JsonGenerator *g = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    char *text = json_generator_to_data(g, NULL);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    return text;
}

/* Add member @name: {"old": @old, "new": @new}, strings, "" or NULL as null. */
static inline void ba_db_json_change(JsonBuilder *b, const char *name, const char *old,
                                     const char *new_)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "old");
    if (old && *old)
        json_builder_add_string_value(b, old);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "new");
    if (new_ && *new_)
        json_builder_add_string_value(b, new_);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
}

#endif
