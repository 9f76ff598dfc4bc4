/* The library's export settings: the default rules pack and the disclosure
 * text a pack adds (consent.h). */
#include "beforeafter/consent.h"

#include <glib.h>
#include <string.h>

#include "catalog/settings_text.h"
#include "consent/rules.h"

static const char *key_of(const char *name, ba_error *err)
{
    if (g_strcmp0(name, "rules") == 0)
        return "export_rules";
    if (g_strcmp0(name, "disclosure") == 0)
        return "export_disclosure";
    ba_error_set(err, BA_ERR_USAGE, "unknown export setting '%s' (rules, disclosure)",
                 name ? name : "");
    return NULL;
}

int ba_consent_setting_get(ba_catalog *cat, const char *name, char **value, ba_error *err)
{
    *value = NULL;
    const char *key = key_of(name, err);
    return key ? ba_db_text_setting_get(cat, key, value, err) : -1;
}

int ba_consent_setting_set(ba_catalog *cat, const char *name, const char *value, ba_error *err)
{
    const char *key = key_of(name, err);
    if (!key)
        return -1;
    if (value && *value && strcmp(name, "rules") == 0 && ba_rules_parse(value) < 0) {
        ba_error_set(err, BA_ERR_USAGE, "unknown rules pack '%s' (uk, au, us, none)", value);
        return -1;
    }
    char found[64];
    if (value && *value && strcmp(name, "disclosure") == 0) {
        if (!g_utf8_validate(value, -1, NULL) || strlen(value) > 400) {
            ba_error_set(err, BA_ERR_USAGE, "a disclosure must be UTF-8 and at most 400 bytes");
            return -1;
        }
        if (ba_rules_names_product(BA_RULES_AU, value, found, sizeof found)) {
            ba_error_set(err, BA_ERR_USAGE,
                         "the disclosure names a prescription-only medicine (%s), which no "
                         "rules pack lets an advertisement say",
                         found);
            return -1;
        }
    }
    char *lower = value && strcmp(name, "rules") == 0 ? g_ascii_strdown(value, -1) : NULL;
    int rc = ba_db_text_setting_set(cat, key, lower ? lower : value, err);
    g_free(lower);
    return rc;
}
