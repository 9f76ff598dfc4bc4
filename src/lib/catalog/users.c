/* Rows of accounts and sign-in sessions (see access_rows.h). */
#include "catalog/access_rows.h"
#include "catalog/db.h"

#include <stdio.h>
#include <string.h>

/* Run @fn(@ud) inside one write transaction: committed when it returns 0. */
typedef int (*in_txn_fn)(ba_catalog *cat, void *ud, ba_error *err);

static int in_txn(ba_catalog *cat, in_txn_fn fn, void *ud, ba_error *err)
{
    if (ba_db_begin(cat, err))
        return -1;
    if (fn(cat, ud, err) || ba_db_commit(cat, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    return 0;
}

/* One audit row about user @name. */
static int audit_user(ba_catalog *cat, const char *action, const char *name, const char *result,
                      const char *detail, ba_error *err)
{
    char objects[BA_USER_NAME_MAX + 8];
    snprintf(objects, sizeof objects, "user %s", name);
    ba_audit_entry a = {.action = action, .objects = objects, .result = result, .detail = detail};
    return ba_db_audit_insert(cat, &a, NULL, err);
}

/* ---- users ------------------------------------------------------------------ */

typedef struct user_add {
    const char *name, *hash;
    ba_role role;
} user_add;

static int user_insert_txn(ba_catalog *cat, void *ud, ba_error *err)
{
    const user_add *u = ud;
    ba_user existing;
    ba_error lookup;
    if (ba_db_user_load(cat, u->name, &existing, NULL, &lookup) == 0) {
        ba_error_set(err, BA_ERR_EXISTS, "user %s already exists as %s", u->name, existing.name);
        return -1;
    }
    if (lookup.code != BA_ERR_NOT_FOUND) {
        ba_error_copy(err, &lookup);
        return -1;
    }
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "INSERT INTO users(name, role, password_hash, created_at)"
                                     " VALUES(?,?,?,?)",
                                     err);
    if (!st)
        return -1;
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    sqlite3_bind_text(st, 1, u->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, ba_access_role_name(u->role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, u->hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "adding a user");
    char detail[64];
    snprintf(detail, sizeof detail, "{\"role\":\"%s\"}", ba_access_role_name(u->role));
    return audit_user(cat, "user-add", u->name, "ok", detail, err);
}

int ba_db_user_insert(ba_catalog *cat, const char *name, ba_role role, const char *hash,
                      ba_error *err)
{
    user_add u = {.name = name, .hash = hash, .role = role};
    return in_txn(cat, user_insert_txn, &u, err);
}

#define USER_COLUMNS                                                                        \
    "u.id, u.name, u.role, u.created_at, u.disabled_at,"                                    \
    " (SELECT count(*) FROM web_sessions w WHERE w.user_id = u.id AND w.ended_at IS NULL"  \
    "  AND w.last_seen_unix > ?9 - " G_STRINGIFY(BA_SESSION_IDLE_S)                         \
    "  AND w.created_unix > ?9 - " G_STRINGIFY(BA_SESSION_ABSOLUTE_S) "), u.password_hash"

static void user_read(sqlite3_stmt *st, ba_user *out, char *hash)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    ba_db_copy_col(st, 1, out->name, sizeof out->name);
    char role[16];
    ba_db_copy_col(st, 2, role, sizeof role);
    int r = ba_access_role_parse(role);
    out->role = r < 0 ? BA_ROLE_MARKETING : (ba_role)r; /* CHECK keeps it valid */
    ba_db_copy_col(st, 3, out->created_at, sizeof out->created_at);
    ba_db_copy_col(st, 4, out->disabled_at, sizeof out->disabled_at);
    out->active_sessions = sqlite3_column_int(st, 5);
    if (hash)
        ba_db_copy_col(st, 6, hash, BA_DB_HASH_MAX);
}

int ba_db_user_load(ba_catalog *cat, const char *name, ba_user *out, char hash[BA_DB_HASH_MAX],
                    ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT " USER_COLUMNS " FROM users u WHERE u.name = ?1 COLLATE NOCASE", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, 0); /* active sessions are not asked for here */
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        user_read(st, out, hash);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "user %s does not exist", name);
        return -1;
    }
    return ba_db_fail(cat, err, "reading a user");
}

int ba_db_user_list(ba_catalog *cat, int64_t now_unix, ba_user_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT " USER_COLUMNS " FROM users u ORDER BY u.name COLLATE NOCASE", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 9, now_unix);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_user u;
        user_read(st, &u, NULL);
        if (fn(&u, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing users");
}

typedef struct user_change {
    const char *name, *value;
    ba_db_user_change_kind kind;
} user_change;

/* End every open session of user @id. */
static int end_sessions(ba_catalog *cat, int64_t id, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "UPDATE web_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL", err);
    if (!st)
        return -1;
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    return ba_db_step_once(st) == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "ending sessions");
}

static int user_change_txn(ba_catalog *cat, void *ud, ba_error *err)
{
    const user_change *c = ud;
    ba_user u;
    if (ba_db_user_load(cat, c->name, &u, NULL, err))
        return -1;
    static const char *const SQL[] = {
        [BA_DB_USER_DISABLE] = "UPDATE users SET disabled_at = ?2 WHERE id = ?1",
        [BA_DB_USER_PASSWORD] = "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        [BA_DB_USER_ROLE] = "UPDATE users SET role = ?2 WHERE id = ?1",
    };
    static const char *const ACTION[] = {
        [BA_DB_USER_DISABLE] = "user-disable",
        [BA_DB_USER_PASSWORD] = "user-passwd",
        [BA_DB_USER_ROLE] = "user-role",
    };
    char now[BA_STAMP_MAX], detail[96] = "";
    ba_db_utc_now(now, sizeof now);
    if (c->kind == BA_DB_USER_DISABLE && u.disabled_at[0]) {
        ba_error_set(err, BA_ERR_USAGE, "user %s is already disabled (since %s)", u.name,
                     u.disabled_at);
        return -1;
    }
    if (c->kind == BA_DB_USER_ROLE)
        snprintf(detail, sizeof detail, "{\"role\":[\"%s\",\"%s\"]}",
                 ba_access_role_name(u.role), c->value);
    sqlite3_stmt *st = ba_db_prepare(cat, SQL[c->kind], err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, u.id);
    sqlite3_bind_text(st, 2, c->kind == BA_DB_USER_DISABLE ? now : c->value, -1,
                      SQLITE_TRANSIENT);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "changing a user");
    if (end_sessions(cat, u.id, err))
        return -1;
    return audit_user(cat, ACTION[c->kind], u.name, "ok", detail[0] ? detail : NULL, err);
}

int ba_db_user_change(ba_catalog *cat, const char *name, ba_db_user_change_kind kind,
                      const char *value, ba_error *err)
{
    user_change c = {.name = name, .value = value, .kind = kind};
    return in_txn(cat, user_change_txn, &c, err);
}

/* ---- failed logins ---------------------------------------------------------- */

int ba_db_login_locked_until(ba_catalog *cat, const char *name_key, int max, int64_t window_s,
                             int64_t *until_unix, ba_error *err)
{
    /* A name is locked for the window after any failure that was the max-th
     * within one window: counting only "failures in the last window" would
     * unlock it as soon as the first of a burst ages out. */
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT COALESCE(max(a.at_unix), 0) FROM login_failures a WHERE a.name_key = ?1"
        " AND (SELECT count(*) FROM login_failures b WHERE b.name_key = ?1"
        "      AND b.at_unix > a.at_unix - ?3 AND b.at_unix <= a.at_unix) >= ?2",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, max);
    sqlite3_bind_int64(st, 3, window_s);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t last = sqlite3_column_int64(st, 0);
        *until_unix = last ? last + window_s : 0;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ba_db_fail(cat, err, "reading failed logins");
}

typedef struct refused {
    const char *key, *detail;
    int64_t now, forget;
} refused;

static int login_refused_txn(ba_catalog *cat, void *ud, ba_error *err)
{
    const refused *r = ud;
    sqlite3_stmt *st = ba_db_prepare(cat, "DELETE FROM login_failures WHERE at_unix <= ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->forget);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "forgetting old failed logins");
    st = ba_db_prepare(cat, "INSERT INTO login_failures(name_key, at_unix) VALUES(?,?)", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, r->key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, r->now);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "recording a failed login");
    return audit_user(cat, "login", r->key, "refused", r->detail, err);
}

int ba_db_login_refused(ba_catalog *cat, const char *name_key, int64_t now_unix,
                        int64_t forget_before_unix, const char *detail, ba_error *err)
{
    refused r = {.key = name_key, .detail = detail, .now = now_unix, .forget = forget_before_unix};
    return in_txn(cat, login_refused_txn, &r, err);
}

/* ---- sessions --------------------------------------------------------------- */

typedef struct opening {
    ba_web_session *s;
    const char *token_hash, *remote;
    int64_t now;
} opening;

static int session_open_txn(ba_catalog *cat, void *ud, ba_error *err)
{
    opening *o = ud;
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "INSERT INTO web_sessions(token_hash, user_id, csrf_token,"
                                     " created_unix, last_seen_unix, remote) VALUES(?,?,?,?,?,?)",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, o->token_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, o->s->user_id);
    sqlite3_bind_text(st, 3, o->s->csrf_token, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, o->now);
    sqlite3_bind_int64(st, 5, o->now);
    ba_db_bind_text_or_null(st, 6, o->remote);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "opening a session");
    o->s->session_id = sqlite3_last_insert_rowid(cat->db);
    char *key = g_utf8_strdown(o->s->user, -1);
    st = ba_db_prepare(cat, "DELETE FROM login_failures WHERE name_key = ?", err);
    if (st) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        if (ba_db_step_once(st) != SQLITE_DONE) {
            g_free(key);
            return ba_db_fail(cat, err, "forgetting failed logins");
        }
    }
    g_free(key);
    if (!st)
        return -1;
    char detail[80];
    snprintf(detail, sizeof detail, "session %" G_GINT64_FORMAT, o->s->session_id);
    return audit_user(cat, "login", o->s->user, "ok", detail, err);
}

int ba_db_session_open(ba_catalog *cat, ba_web_session *s, const char *token_hash,
                       int64_t now_unix, const char *remote, ba_error *err)
{
    opening o = {.s = s, .token_hash = token_hash, .remote = remote, .now = now_unix};
    return in_txn(cat, session_open_txn, &o, err);
}

int ba_db_session_find(ba_catalog *cat, const char *token_hash, ba_db_session_row *out,
                       ba_error *err)
{
    sqlite3_stmt *st = ba_db_cached(
        cat,
        "SELECT w.id, w.user_id, u.name, u.role, w.csrf_token, w.created_unix,"
        " w.last_seen_unix, w.ended_at IS NOT NULL, u.disabled_at IS NOT NULL"
        " FROM web_sessions w JOIN users u ON u.id = w.user_id WHERE w.token_hash = ?",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->s.session_id = sqlite3_column_int64(st, 0);
        out->s.user_id = sqlite3_column_int64(st, 1);
        ba_db_copy_col(st, 2, out->s.user, sizeof out->s.user);
        char role[16];
        ba_db_copy_col(st, 3, role, sizeof role);
        int r = ba_access_role_parse(role);
        out->s.role = r < 0 ? BA_ROLE_MARKETING : (ba_role)r;
        ba_db_copy_col(st, 4, out->s.csrf_token, sizeof out->s.csrf_token);
        out->created_unix = sqlite3_column_int64(st, 5);
        out->last_seen_unix = sqlite3_column_int64(st, 6);
        out->ended = sqlite3_column_int(st, 7) != 0;
        out->user_disabled = sqlite3_column_int(st, 8) != 0;
    }
    ba_db_release(cat, st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "no such session");
        return -1;
    }
    return ba_db_fail(cat, err, "reading a session");
}

int ba_db_session_touch(ba_catalog *cat, int64_t id, int64_t now_unix, ba_error *err)
{
    sqlite3_stmt *st =
        ba_db_prepare(cat, "UPDATE web_sessions SET last_seen_unix = ? WHERE id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now_unix);
    sqlite3_bind_int64(st, 2, id);
    return ba_db_step_once(st) == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "using a session");
}

static int session_end_txn(ba_catalog *cat, void *ud, ba_error *err)
{
    ba_db_session_row row;
    ba_error lookup;
    if (ba_db_session_find(cat, ud, &row, &lookup)) {
        if (lookup.code == BA_ERR_NOT_FOUND)
            return 0; /* nothing to end */
        ba_error_copy(err, &lookup);
        return -1;
    }
    if (row.ended)
        return 0;
    sqlite3_stmt *st = ba_db_prepare(cat, "UPDATE web_sessions SET ended_at = ? WHERE id = ?", err);
    if (!st)
        return -1;
    char now[BA_STAMP_MAX], detail[48];
    ba_db_utc_now(now, sizeof now);
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, row.s.session_id);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "ending a session");
    snprintf(detail, sizeof detail, "session %" G_GINT64_FORMAT, row.s.session_id);
    return audit_user(cat, "logout", row.s.user, "ok", detail, err);
}

int ba_db_session_end(ba_catalog *cat, const char *token_hash, ba_error *err)
{
    return in_txn(cat, session_end_txn, (void *)token_hash, err);
}
