/* Accounts: names, passwords (argon2id through libsodium) and roles. */
#include "access/internal.h"

#include <glib.h>
#include <sodium.h>
#include <string.h>

int ba_access_user_name_check(const char *name, ba_error *err)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n >= 1 && n <= BA_USER_NAME_MAX && g_ascii_isalnum(name[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = g_ascii_isalnum(name[i]) || strchr("._@-", name[i]) != NULL;
    if (!ok) {
        ba_error_set(err, BA_ERR_USAGE,
                     "user name '%.*s' is not valid: 1 to %d letters, digits and . _ @ -, "
                     "starting with a letter or digit",
                     BA_USER_NAME_MAX, name ? name : "", BA_USER_NAME_MAX);
        return -1;
    }
    return 0;
}

int ba_access_password_check(const char *name, const char *password, ba_error *err)
{
    if (!password || !g_utf8_validate(password, -1, NULL)) {
        ba_error_set(err, BA_ERR_USAGE, "the password is not valid UTF-8 text");
        return -1;
    }
    if (strlen(password) > BA_PASSWORD_MAX) {
        ba_error_set(err, BA_ERR_USAGE, "the password is longer than %d bytes", BA_PASSWORD_MAX);
        return -1;
    }
    if (g_utf8_strlen(password, -1) < BA_PASSWORD_MIN) {
        ba_error_set(err, BA_ERR_USAGE, "the password is shorter than %d characters",
                     BA_PASSWORD_MIN);
        return -1;
    }
    if (name && g_ascii_strcasecmp(name, password) == 0) {
        ba_error_set(err, BA_ERR_USAGE, "the password may not be the user name");
        return -1;
    }
    return 0;
}

int ba_access_hash_password(const char *password, char out[crypto_pwhash_STRBYTES],
                            ba_error *err)
{
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        ba_error_set(err, BA_ERR_NOMEM, "hashing the password ran out of memory");
        return -1;
    }
    return 0;
}

int ba_access_user_add(ba_catalog *cat, const char *name, ba_role role, const char *password,
                       ba_error *err)
{
    if (ba_access_user_name_check(name, err) || ba_access_password_check(name, password, err))
        return -1;
    if ((unsigned)role >= BA_ROLE_COUNT_) {
        ba_error_set(err, BA_ERR_USAGE, "unknown role (admin, provider, marketing)");
        return -1;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (ba_access_hash_password(password, hash, err))
        return -1;
    return ba_db_user_insert(cat, name, role, hash, err);
}

int ba_access_user_get(ba_catalog *cat, const char *name, ba_user *out, ba_error *err)
{
    return ba_db_user_load(cat, name, out, NULL, err);
}

int ba_access_user_list(ba_catalog *cat, ba_user_fn fn, void *ud, ba_error *err)
{
    return ba_db_user_list(cat, ba_access_now_unix(), fn, ud, err);
}

int ba_access_user_disable(ba_catalog *cat, const char *name, ba_error *err)
{
    return ba_db_user_change(cat, name, BA_DB_USER_DISABLE, NULL, err);
}

int ba_access_user_passwd(ba_catalog *cat, const char *name, const char *password,
                          ba_error *err)
{
    ba_user u;
    if (ba_db_user_load(cat, name, &u, NULL, err) ||
        ba_access_password_check(u.name, password, err))
        return -1;
    char hash[crypto_pwhash_STRBYTES];
    if (ba_access_hash_password(password, hash, err))
        return -1;
    return ba_db_user_change(cat, name, BA_DB_USER_PASSWORD, hash, err);
}

int ba_access_user_role(ba_catalog *cat, const char *name, ba_role role, ba_error *err)
{
    if ((unsigned)role >= BA_ROLE_COUNT_) {
        ba_error_set(err, BA_ERR_USAGE, "unknown role (admin, provider, marketing)");
        return -1;
    }
    return ba_db_user_change(cat, name, BA_DB_USER_ROLE, ba_access_role_name(role), err);
}
