/* Internal: the rows behind accounts, sign-in sessions and the access log
 * (users.c, access_log.c).  The rules — password strength, hashing,
 * throttling, expiry — are in access/; these only read and write rows, each
 * change with its audit row in the same transaction. */
#ifndef BA_CATALOG_ACCESS_ROWS_H
#define BA_CATALOG_ACCESS_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "beforeafter/access.h"

/* Longest stored password hash (crypto_pwhash_STRBYTES is 128). */
enum { BA_DB_HASH_MAX = 256 };

/* Record user @name with @role and @hash; audit "user-add".  BA_ERR_EXISTS
 * when the name exists in any case. */
int ba_db_user_insert(ba_catalog *cat, const char *name, ba_role role, const char *hash,
                      ba_error *err);

/* Load user @name (any case) and, when @hash is not NULL, their hash. */
int ba_db_user_load(ba_catalog *cat, const char *name, ba_user *out, char hash[BA_DB_HASH_MAX],
                    ba_error *err);

/* Every user, by name. */
int ba_db_user_list(ba_catalog *cat, int64_t now_unix, ba_user_fn fn, void *ud, ba_error *err);

/* What ba_db_user_change() changes. */
typedef enum ba_db_user_change_kind {
    BA_DB_USER_DISABLE,  /* value unused */
    BA_DB_USER_PASSWORD, /* value: the new hash */
    BA_DB_USER_ROLE      /* value: the role's name */
} ba_db_user_change_kind;

/* Change user @name and end all of their sessions, with an audit row, in
 * one transaction.  BA_ERR_NOT_FOUND for an unknown user. */
int ba_db_user_change(ba_catalog *cat, const char *name, ba_db_user_change_kind kind,
                      const char *value, ba_error *err);

/* Until when @name_key is locked: the latest failure that completed
 * @max failures within @window_s seconds, plus @window_s (0 when none has). */
int ba_db_login_locked_until(ba_catalog *cat, const char *name_key, int max, int64_t window_s,
                             int64_t *until_unix, ba_error *err);

/* Record a refused login of @name_key at @now_unix (failures older than
 * @forget_before_unix are dropped) and its audit row ("login", refused,
 * @detail). */
int ba_db_login_refused(ba_catalog *cat, const char *name_key, int64_t now_unix,
                        int64_t forget_before_unix, const char *detail, ba_error *err);

/* Open a session for @s->user_id: store @token_hash and @s->csrf_token,
 * forget the name's failures, audit "login" ok; sets @s->session_id. */
int ba_db_session_open(ba_catalog *cat, ba_web_session *s, const char *token_hash,
                       int64_t now_unix, const char *remote, ba_error *err);

/* The session stored under @token_hash with its user (name, role, whether
 * disabled) and times.  BA_ERR_NOT_FOUND when there is none. */
typedef struct ba_db_session_row {
    ba_web_session s;
    int64_t created_unix, last_seen_unix;
    bool ended, user_disabled;
} ba_db_session_row;
int ba_db_session_find(ba_catalog *cat, const char *token_hash, ba_db_session_row *out,
                       ba_error *err);

/* Set session @id's last use to @now_unix. */
int ba_db_session_touch(ba_catalog *cat, int64_t id, int64_t now_unix, ba_error *err);

/* End the session stored under @token_hash (audit "logout" when one ended). */
int ba_db_session_end(ba_catalog *cat, const char *token_hash, ba_error *err);

#endif
