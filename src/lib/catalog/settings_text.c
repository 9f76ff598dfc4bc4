/* The library's text settings of exports, audited (settings_text.h). */
#include "catalog/settings_text.h"

#include <glib.h>
#include <json-glib/json-glib.h>

#include "catalog/db.h"
#include "catalog/json_detail.h"
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
    ba_db_json_change(b, key, old, value);
    json_builder_end_object(b);
    char *detail = ba_db_json_text(b);
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
