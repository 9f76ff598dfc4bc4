/* Internal: the library's text settings of exports (the default rules pack,
 * the disclosure text), read and written with their audit row
 * (settings_text.c). */
#ifndef BA_CATALOG_SETTINGS_TEXT_H
#define BA_CATALOG_SETTINGS_TEXT_H

#include "beforeafter/catalog.h"

/* The value of setting @key into *@value (g_free it; NULL when unset). */
int ba_db_text_setting_get(ba_catalog *cat, const char *key, char **value, ba_error *err);
/* Set @key to @value ("" or NULL clears it), in one transaction with an
 * audit row "settings" whose detail is {"<key>": {"old": ..., "new": ...}}. */
int ba_db_text_setting_set(ba_catalog *cat, const char *key, const char *value, ba_error *err);

#endif
