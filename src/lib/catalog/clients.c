/* Clients and the area vocabulary. */
#include "catalog/db.h"
#include "catalog/client_edit.h"

#include <string.h>

static bool code_valid(const char *s, bool lower_only)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= BA_CODE_MAX)
        return false;
    if (!g_ascii_isalnum(s[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (lower_only) {
            if (!(g_ascii_islower(c) || g_ascii_isdigit(c) || c == '-'))
                return false;
        } else if (!(g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

/* ---- clients ------------------------------------------------------------ */

bool ba_db_client_code_valid(const char *code)
{
    return code_valid(code, false);
}

int ba_catalog_client_add(ba_catalog *cat, const char *code, const char *name, int64_t *id,
                          ba_error *err)
{
    if (!code_valid(code, false)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "client code '%s' is not valid: use 1 to 32 letters, digits, '-', '_' "
                     "or '.', starting with a letter or digit",
                     code ? code : "");
        return -1;
    }
    if (name && (strlen(name) >= BA_TEXT_MAX || !g_utf8_validate(name, -1, NULL))) {
        ba_error_set(err, BA_ERR_USAGE, "client name for '%s' must be UTF-8 and under %d bytes",
                     code, BA_TEXT_MAX);
        return -1;
    }
    /* Unique whatever the case (the triggers of schema 7 are the safety
     * net; this gives the message that names the stored code). */
    char taken[BA_CODE_MAX];
    int found = ba_db_client_find(cat, code, NULL, taken, err);
    if (found < 0)
        return -1;
    if (found) {
        if (strcmp(taken, code) == 0)
            ba_error_set(err, BA_ERR_EXISTS, "client '%s' already exists", code);
        else
            ba_error_set(err, BA_ERR_EXISTS, "client %s already exists as %s", code, taken);
        return -1;
    }
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    sqlite3_stmt *st =
        ba_db_prepare(cat, "INSERT INTO clients(code, name, created_at) VALUES(?,?,?)", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    ba_db_bind_text_or_null(st, 2, name);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    int rc = ba_db_step_once(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        ba_error_set(err, BA_ERR_EXISTS, "client '%s' already exists", code);
        return -1;
    }
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "adding a client");
    if (id)
        *id = sqlite3_last_insert_rowid(cat->db);
    return 0;
}

int ba_catalog_client_remove_unused(ba_catalog *cat, int64_t id, bool *removed, ba_error *err)
{
    *removed = false;
    /* One statement: a session committed by another writer meanwhile keeps
     * the client; so does any other row that refers to it (foreign keys). */
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "DELETE FROM clients WHERE id = ?1 AND NOT EXISTS"
                                     " (SELECT 1 FROM sessions WHERE client_id = ?1)",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = ba_db_step_once(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return 0;
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "removing an unused client");
    *removed = sqlite3_changes(cat->db) > 0;
    return 0;
}

#define CLIENT_COLS                                                                      \
    "SELECT c.id, c.code, c.name, c.created_at,"                                         \
    " (SELECT COUNT(*) FROM photos p JOIN sessions s ON s.id = p.session_id"             \
    "  WHERE s.client_id = c.id), c.birth_date FROM clients c "

static void read_client(sqlite3_stmt *st, ba_client *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    ba_db_copy_col(st, 1, c->code, sizeof c->code);
    ba_db_copy_col(st, 2, c->name, sizeof c->name);
    ba_db_copy_col(st, 3, c->created_at, sizeof c->created_at);
    c->photo_count = sqlite3_column_int(st, 4);
    ba_db_copy_col(st, 5, c->birth_date, sizeof c->birth_date);
}

int ba_catalog_client_get(ba_catalog *cat, const char *code, ba_client *out, ba_error *err)
{
    /* Any case, the exact spelling first (a library from before schema 7
     * may hold both until they are merged). */
    sqlite3_stmt *st = ba_db_cached(
        cat, CLIENT_COLS "WHERE c.code = ?1 COLLATE NOCASE ORDER BY c.code = ?1 DESC LIMIT 1",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code ? code : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_client(st, out);
        ba_db_release(cat, st);
        return 0;
    }
    ba_db_release(cat, st);
    if (rc == SQLITE_DONE) {
        ba_db_client_missing(err, code);
        return -1;
    }
    return ba_db_fail(cat, err, "reading a client");
}

int ba_catalog_client_code(ba_catalog *cat, const char *code, char *canon, ba_error *err)
{
    sqlite3_stmt *st = ba_db_cached(
        cat, "SELECT code FROM clients WHERE code = ?1 COLLATE NOCASE ORDER BY code = ?1 DESC LIMIT 1",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code ? code : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        ba_db_copy_col(st, 0, canon, BA_CODE_MAX);
    ba_db_release(cat, st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE) {
        ba_db_client_missing(err, code);
        return -1;
    }
    return ba_db_fail(cat, err, "reading a client");
}

int ba_catalog_client_list(ba_catalog *cat, ba_client_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, CLIENT_COLS "ORDER BY c.code", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_client c;
        read_client(st, &c);
        if (fn(&c, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing clients");
}

/* ---- areas -------------------------------------------------------------- */

int ba_catalog_area_add(ba_catalog *cat, const char *name, ba_error *err)
{
    if (!code_valid(name, true)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "area name '%s' is not valid: use 1 to 32 lower-case letters, digits "
                     "or '-'",
                     name ? name : "");
        return -1;
    }
    sqlite3_stmt *st = ba_db_prepare(cat, "INSERT INTO areas(name) VALUES(?)", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = ba_db_step_once(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        ba_error_set(err, BA_ERR_EXISTS, "area '%s' already exists", name);
        return -1;
    }
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "adding an area");
}

int ba_catalog_area_list(ba_catalog *cat, ba_area_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, "SELECT name FROM areas ORDER BY name", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn((const char *)sqlite3_column_text(st, 0), ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing areas");
}

static int append_area(const char *name, void *ud)
{
    GString *s = ud;
    if (s->len)
        g_string_append(s, ", ");
    g_string_append(s, name);
    return 0;
}

int ba_catalog_area_check(ba_catalog *cat, const char *area, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, "SELECT 1 FROM areas WHERE name = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, area ? area : "", -1, SQLITE_TRANSIENT);
    int rc = ba_db_step_once(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "reading areas");
    GString *known = g_string_new(NULL);
    ba_catalog_area_list(cat, append_area, known, NULL);
    ba_error_set(err, BA_ERR_NOT_FOUND, "unknown area '%s'; known areas: %s", area ? area : "",
                 known->str);
    ba_error_hint(err, BA_HINT_ADD_AREA);
    g_string_free(known, TRUE);
    return -1;
}
