/* The library's text settings of exports, audited (settings_text.h). */
#include "catalog/settings_text.h"

#include <glib.h>
#include <json-glib/json-glib.h>

#include "catalog/db.h"
#include "catalog/record.h"

int ba_db_text_setting_get(ba_catalog *cat, const char *key, char **value, ba_error *err)
{
    int rc = 0;
    *value = ba_db_setting_get(cat, key, &rc, err);
    if (*value && !**value) {
        g_free(*value);
        *value = NULL;
    }
    return rc;
}

static void add_text(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    if (v && *v)
        json_builder_add_string_value(b, v);
    else
        json_builder_add_null_value(b);
}

int ba_db_text_setting_set(ba_catalog *cat, const char *key, const char *value, ba_error *err)
{
    if (ba_db_begin(cat, err))
        return -1;
    char *old = NULL;
    if (ba_db_text_setting_get(cat, key, &old, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    add_text(b, "old", old);
    add_text(b, "new", value);
    json_builder_end_object(b);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *detail = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    ba_audit_entry a = {.action = "settings", .result = "ok", .detail = detail};
    int r = ba_db_setting_put(cat, key, value ? value : "", err) ||
            ba_db_audit_insert(cat, &a, NULL, err) || ba_db_commit(cat, err);
    g_free(detail);
    g_free(old);
    if (r) {
        ba_db_rollback(cat);
        return -1;
    }
    return 0;
}
