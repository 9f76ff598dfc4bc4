/* The catalog's private row layer: the open handle, prepare -> bind -> step ->
 * read -> finalize, transactions, id lookups and SQLite's codes as ba_code.
 * Only the files of catalog/ include it: they are the only code that speaks
 * SQL.  Names start with ba_db_ because libbeforeafter.a shares one symbol
 * space with the program that links it. */
#ifndef BA_CATALOG_DB_H
#define BA_CATALOG_DB_H

#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beforeafter/catalog.h"
#include "catalog/writers.h"

/* 'BAFT' identifies a beforeafter catalog in the SQLite header. */
#define BA_APPLICATION_ID 0x42414654
/* How long a writer waits for another process's transaction. */
#define BA_BUSY_TIMEOUT_MS 60000

struct ba_catalog {
    sqlite3 *db;
    char *dir;
    GTimeZone *tz; /* the library's time zone (settings.timezone), never the caller's */
    char actor[128]; /* who appended audit rows are attributed to; "" = the OS user */
    GHashTable *cached;  /* SQL text -> ba_db_cached_stmt (ba_db_cached), or NULL */
    GHashTable *lent;    /* sqlite3_stmt -> its ba_db_cached_stmt while in use */
};

/* ---- errors ---------------------------------------------------------------- */

/* The ba_code for SQLite result @rc on @db (BA_ERR_NOSPACE for a full disk
 * or quota even when SQLite calls it an I/O error). */
ba_code ba_db_code(sqlite3 *db, int rc);

/* SQLite's words @msg for @rc, except when the disk is simply full. */
const char *ba_db_cause(sqlite3 *db, int rc, const char *msg);

/* Set @err from the handle's last error: "DIR/catalog.db: WHAT: cause".
 * Always returns -1. */
int ba_db_fail(ba_catalog *cat, ba_error *err, const char *what);

/* ---- statements ------------------------------------------------------------ */

/* Run @sql (one or more statements, no rows wanted). */
int ba_db_exec(ba_catalog *cat, const char *sql, ba_error *err);

/* Prepare @sql, or NULL with @err set. */
sqlite3_stmt *ba_db_prepare(ba_catalog *cat, const char *sql, ba_error *err);

/* The handle's own prepared statement for @sql (prepared on first use, then
 * only reset): parsing and planning cost more than the lookups that a
 * server runs on every request, so lookups on hot paths use this.  Hand it
 * back with ba_db_release(), never sqlite3_finalize().  When the handle's
 * statement for @sql is already lent (a callback looking up again while a
 * list is being read), or the handle keeps too many, a fresh statement is
 * prepared and ba_db_release() finalizes it.  NULL with @err set. */
sqlite3_stmt *ba_db_cached(ba_catalog *cat, const char *sql, ba_error *err);

/* Give back a statement from ba_db_cached(): reset, bindings cleared. */
void ba_db_release(ba_catalog *cat, sqlite3_stmt *st);

/* Finalize every statement ba_db_cached() kept (before the handle closes). */
void ba_db_cache_clear(ba_catalog *cat);

/* Step @st once and finalize it; the step's result code. */
int ba_db_step_once(sqlite3_stmt *st);

/* Bind @s, or NULL when it is NULL or empty. */
void ba_db_bind_text_or_null(sqlite3_stmt *st, int i, const char *s);

/* Bind @v, or NULL when it is not positive (unknown). */
void ba_db_bind_real_or_null(sqlite3_stmt *st, int i, double v);

/* Bind @v, or NULL when it is @unknown. */
void ba_db_bind_int_or_null(sqlite3_stmt *st, int i, int v, int unknown);

/* Copy text column @i into @out ("" for NULL), cut to @size. */
void ba_db_copy_col(sqlite3_stmt *st, int i, char *out, size_t size);

/* Real column @i, 0 for NULL. */
double ba_db_col_real(sqlite3_stmt *st, int i);

/* Int column @i, @unknown for NULL. */
int ba_db_col_int(sqlite3_stmt *st, int i, int unknown);

/* Read the current row of @st into @out; 0, or -1 with @err set. */
typedef int (*ba_db_read_fn)(ba_catalog *cat, sqlite3_stmt *st, void *out, ba_error *err);

/* Load the one row of @sql (with ?1 = @id) through @read.  BA_ERR_NOT_FOUND
 * "NOUN ID does not exist" when there is none; a failed step is reported as
 * "reading A_NOUN" (@a_noun: "a photo", "an alignment"). */
int ba_db_get_by_id(ba_catalog *cat, const char *sql, int64_t id, ba_db_read_fn read,
                    void *out, const char *noun, const char *a_noun, ba_error *err);

/* ---- lookups --------------------------------------------------------------- */

/* Run @sql with ?1 = @key (NULL binds NULL) and read column 0 of the first
 * row into @id (may be NULL).  A failed step is reported as @what.
 * @return 1 when a row came back, 0 when none did, -1 on error. */
int ba_db_lookup_id(ba_catalog *cat, const char *sql, const char *key, int64_t *id,
                    const char *what, ba_error *err);

/* The id of client @code; BA_ERR_NOT_FOUND naming the code when absent. */
int ba_db_client_id_of(ba_catalog *cat, const char *code, int64_t *id, ba_error *err);

/* BA_ERR_NOT_FOUND "client 'CODE' does not exist", with the hint to add it:
 * what every lookup of a client by its code answers when there is none. */
void ba_db_client_missing(ba_error *err, const char *code);

/* ---- transactions ---------------------------------------------------------- */

/* BEGIN IMMEDIATE: take the write lock now, waiting for the other writers. */
int ba_db_begin(ba_catalog *cat, ba_error *err);

/* COMMIT the transaction ba_db_begin() started. */
int ba_db_commit(ba_catalog *cat, ba_error *err);

/* ROLLBACK, whatever state the transaction is in (nothing to report). */
void ba_db_rollback(ba_catalog *cat);

/* ---- values ---------------------------------------------------------------- */

/* The current UTC time "YYYY-MM-DDTHH:MM:SSZ". */
void ba_db_utc_now(char *out, size_t size);

/* @s, or NULL when it is NULL or empty. */
const char *ba_db_empty_to_null(const char *s);

/* ---- between entities ------------------------------------------------------ */

/* Remove the masters dead writers of this host placed but never recorded
 * (their notes in tmp/, recover.c), under the write lock; how many, or -1. */
int ba_db_recover_masters(ba_catalog *cat, ba_error *err);

/* Append @a to the audit log inside the caller's write transaction, chained
 * to the row before it; @objects (when not NULL) replaces @a->objects. */
int ba_db_audit_insert(ba_catalog *cat, const ba_audit_entry *a, const char *objects,
                       ba_error *err);

/* Photos and sessions (photos.c), for the corrections of photo_edit.c:
 * find or create the session of (@client_id, @date) (a new one renumbers the
 * client's sessions by date); number the client's sessions by date again;
 * replace the areas of photo @photo_id by @area_ids (the photo's area_id
 * must be one of them).  Inside the caller's write transaction. */
int ba_db_session_ensure(ba_catalog *cat, int64_t client_id, const char *date,
                         const char *treatment, int64_t *session_id, ba_error *err);
int ba_db_sessions_renumber(ba_catalog *cat, int64_t client_id, ba_error *err);
int ba_db_photo_areas_put(ba_catalog *cat, int64_t photo_id, const int64_t *area_ids, int n,
                          ba_error *err);

/* Chain the audit rows written before schema 6 (inside the migration). */
int ba_db_audit_backfill(ba_catalog *cat, ba_error *err);

#endif
