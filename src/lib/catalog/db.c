/* The catalog's row layer: statements, transactions, lookups, error codes. */
#include "catalog/db.h"
#include "library/clock.h"

#include <errno.h>
#include <string.h>

/* ---- errors ---------------------------------------------------------------- */

/* SQLite reports some writes that fail for lack of space (growing the -shm
 * index, creating the WAL) as SQLITE_IOERR, "disk I/O error"; the errno
 * behind it tells a full disk from a failing one. */
static bool out_of_space(sqlite3 *db, int rc)
{
    int e = db ? sqlite3_system_errno(db) : 0;
    return (rc & 0xff) == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT);
}

const char *ba_db_cause(sqlite3 *db, int rc, const char *msg)
{
    return out_of_space(db, rc) ? "disk full (No space left on device)" : msg;
}

ba_code ba_db_code(sqlite3 *db, int rc)
{
    if (out_of_space(db, rc))
        return BA_ERR_NOSPACE;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return BA_ERR_BUSY;
    case SQLITE_FULL:
        return BA_ERR_NOSPACE;
    case SQLITE_NOMEM:
        return BA_ERR_NOMEM;
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return BA_ERR_CATALOG;
    default:
        return BA_ERR_INTERNAL;
    }
}

int ba_db_fail(ba_catalog *cat, ba_error *err, const char *what)
{
    int rc = sqlite3_extended_errcode(cat->db);
    ba_error_set(err, ba_db_code(cat->db, rc), "%s/catalog.db: %s: %s", cat->dir, what,
                 ba_db_cause(cat->db, rc, sqlite3_errmsg(cat->db)));
    return -1;
}

/* ---- statements ------------------------------------------------------------ */

int ba_db_exec(ba_catalog *cat, const char *sql, ba_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(cat->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        ba_error_set(err, ba_db_code(cat->db, rc), "%s/catalog.db: %s", cat->dir,
                     ba_db_cause(cat->db, rc, msg ? msg : sqlite3_errstr(rc)));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

sqlite3_stmt *ba_db_prepare(ba_catalog *cat, const char *sql, ba_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ba_db_fail(cat, err, "prepare");
        return NULL;
    }
    return st;
}

/* Statements kept per handle; beyond this many, lookups prepare afresh (a
 * caller building SQL text with varying content cannot grow it unbounded). */
#define CACHED_MAX 64

typedef struct ba_db_cached_stmt {
    sqlite3_stmt *st;
    bool lent;
} ba_db_cached_stmt;

static void cached_free(gpointer p)
{
    ba_db_cached_stmt *c = p;
    sqlite3_finalize(c->st);
    g_free(c);
}

sqlite3_stmt *ba_db_cached(ba_catalog *cat, const char *sql, ba_error *err)
{
    if (!cat->cached) {
        cat->cached = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, cached_free);
        cat->lent = g_hash_table_new(NULL, NULL);
    }
    ba_db_cached_stmt *c = g_hash_table_lookup(cat->cached, sql);
    if (c && c->lent)
        return ba_db_prepare(cat, sql, err); /* reentered: a statement of its own */
    if (!c) {
        sqlite3_stmt *st = ba_db_prepare(cat, sql, err);
        if (!st || g_hash_table_size(cat->cached) >= CACHED_MAX)
            return st;
        c = g_new0(ba_db_cached_stmt, 1);
        c->st = st;
        g_hash_table_insert(cat->cached, g_strdup(sql), c);
    }
    c->lent = true;
    g_hash_table_insert(cat->lent, c->st, c);
    return c->st;
}

void ba_db_release(ba_catalog *cat, sqlite3_stmt *st)
{
    ba_db_cached_stmt *c = cat->lent ? g_hash_table_lookup(cat->lent, st) : NULL;
    if (!c) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    c->lent = false;
    g_hash_table_remove(cat->lent, st);
}

void ba_db_cache_clear(ba_catalog *cat)
{
    if (cat->lent)
        g_hash_table_destroy(cat->lent);
    if (cat->cached)
        g_hash_table_destroy(cat->cached);
    cat->lent = cat->cached = NULL;
}

int ba_db_step_once(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc;
}

void ba_db_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void ba_db_bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
    if (v > 0)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

void ba_db_bind_int_or_null(sqlite3_stmt *st, int i, int v, int unknown)
{
    if (v != unknown)
        sqlite3_bind_int(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

void ba_db_copy_col(sqlite3_stmt *st, int i, char *out, size_t size)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    g_strlcpy(out, s ? (const char *)s : "", size);
}

double ba_db_col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_double(st, i);
}

int ba_db_col_int(sqlite3_stmt *st, int i, int unknown)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? unknown : sqlite3_column_int(st, i);
}

int ba_db_get_by_id(ba_catalog *cat, const char *sql, int64_t id, ba_db_read_fn read,
                    void *out, const char *noun, const char *a_noun, ba_error *err)
{
    sqlite3_stmt *st = ba_db_cached(cat, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int r = rc == SQLITE_ROW ? read(cat, st, out, err) : -1;
    ba_db_release(cat, st);
    if (rc == SQLITE_ROW)
        return r;
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "%s %" G_GINT64_FORMAT " does not exist", noun, id);
        return -1;
    }
    char *what = g_strdup_printf("reading %s", a_noun);
    ba_db_fail(cat, err, what);
    g_free(what);
    return -1;
}

/* ---- lookups --------------------------------------------------------------- */

int ba_db_lookup_id(ba_catalog *cat, const char *sql, const char *key, int64_t *id,
                    const char *what, ba_error *err)
{
    sqlite3_stmt *st = ba_db_cached(cat, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && id)
        *id = sqlite3_column_int64(st, 0);
    ba_db_release(cat, st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return ba_db_fail(cat, err, what);
}

int ba_db_client_id_of(ba_catalog *cat, const char *code, int64_t *id, ba_error *err)
{
    /* Codes are unique whatever their case (the exact spelling first). */
    int r = ba_db_lookup_id(cat,
                            "SELECT id FROM clients WHERE code = ?1 COLLATE NOCASE"
                            " ORDER BY code = ?1 DESC LIMIT 1",
                            code ? code : "", id, "reading a client", err);
    if (r == 0)
        ba_db_client_missing(err, code);
    return r == 1 ? 0 : -1;
}

void ba_db_client_missing(ba_error *err, const char *code)
{
    ba_error_set(err, BA_ERR_NOT_FOUND, "client '%s' does not exist", code ? code : "");
    ba_error_hint(err, BA_HINT_ADD_CLIENT);
}

/* ---- transactions ---------------------------------------------------------- */

int ba_db_begin(ba_catalog *cat, ba_error *err)
{
    return ba_db_exec(cat, "BEGIN IMMEDIATE", err);
}

int ba_db_commit(ba_catalog *cat, ba_error *err)
{
    return ba_db_exec(cat, "COMMIT", err);
}

void ba_db_rollback(ba_catalog *cat)
{
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
}

int ba_catalog_with_write_lock(ba_catalog *cat, ba_locked_fn fn, void *ud, ba_error *err)
{
    if (!sqlite3_get_autocommit(cat->db)) {
        ba_error_set(err, BA_ERR_INTERNAL, "%s/catalog.db: the write lock was asked for inside "
                     "a transaction", cat->dir);
        return -1;
    }
    int rc = sqlite3_exec(cat->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return ba_db_fail(cat, err, "waiting for the other writers");
    if (rc != SQLITE_OK) /* a catalog this process cannot write: read without the lock */
        return fn(cat, false, ud, err);
    int r = fn(cat, true, ud, err);
    if (r == 0 && ba_db_commit(cat, err))
        r = -1;
    if (r != 0)
        ba_db_rollback(cat);
    return r;
}

/* Run the cached statement @sql to its end. */
static int exec_cached(ba_catalog *cat, const char *sql, ba_error *err)
{
    sqlite3_stmt *st = ba_db_cached(cat, sql, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    ba_db_release(cat, st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, sql);
}

int ba_catalog_with_snapshot(ba_catalog *cat, ba_snapshot_fn fn, void *ud, ba_error *err)
{
    if (!sqlite3_get_autocommit(cat->db))
        return fn(cat, ud);
    /* BEGIN (deferred): the first read takes the WAL read lock, held to the end. */
    if (exec_cached(cat, "BEGIN", err))
        return -1;
    int r = fn(cat, ud);
    ba_error end;
    if (exec_cached(cat, "COMMIT", &end)) {
        /* Only a write inside can make COMMIT fail: never report it done. */
        ba_db_rollback(cat);
        if (r == 0) {
            ba_error_copy(err, &end);
            r = -1;
        }
    }
    return r;
}

/* ---- values ---------------------------------------------------------------- */

void ba_db_utc_now(char *out, size_t size)
{
    /* The library's one clock: a test build's frozen clock covers row stamps too. */
    ba_clock_utc_stamp(out, size);
}

const char *ba_db_empty_to_null(const char *s)
{
    return s && *s ? s : NULL;
}
