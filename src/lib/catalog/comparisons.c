/* Comparisons: rendered outputs and the photos in their panels. */
#include "catalog/db.h"

#include <string.h>

/* The comparisons row of @c; sets @c->id. */
static int comparison_insert(ba_catalog *cat, ba_comparison_record *c, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "INSERT INTO comparisons(layout, parameters, render, output, sha256,"
        " width, height, aligned, created_at) VALUES(?,?,?,?,?,?,?,?,?)",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, c->layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, c->parameters, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, c->render, -1, SQLITE_TRANSIENT);
    ba_db_bind_text_or_null(st, 4, c->output);
    sqlite3_bind_text(st, 5, c->sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, c->width);
    sqlite3_bind_int(st, 7, c->height);
    sqlite3_bind_int(st, 8, c->aligned ? 1 : 0);
    sqlite3_bind_text(st, 9, c->created_at, -1, SQLITE_TRANSIENT);
    int rc = ba_db_step_once(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "recording a comparison");
    c->id = sqlite3_last_insert_rowid(cat->db);
    return 0;
}

/* One comparison_photos row per panel of @c, in panel order. */
static int comparison_insert_photos(ba_catalog *cat, const ba_comparison_record *c,
                                    ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "INSERT INTO comparison_photos(comparison_id, position,"
                                     " photo_id) VALUES(?,?,?)",
                                     err);
    if (!st)
        return -1;
    for (int i = 0; i < c->n_photos; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int(st, 2, i);
        sqlite3_bind_int64(st, 3, c->photos[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            ba_db_fail(cat, err, "recording a comparison's photos");
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

int ba_catalog_comparison_add(ba_catalog *cat, ba_comparison_record *c, ba_error *err)
{
    ba_db_utc_now(c->created_at, sizeof c->created_at);
    if (ba_db_begin(cat, err))
        return -1;
    if (comparison_insert(cat, c, err) || comparison_insert_photos(cat, c, err) ||
        ba_db_commit(cat, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    return 0;
}

#define COMPARISON_COLS                                                                  \
    "SELECT id, layout, parameters, render, output, sha256, width, height, aligned,"     \
    " created_at FROM comparisons "

/* Read a COMPARISON_COLS row and its photos into @out (a ba_comparison_record). */
static int read_comparison(ba_catalog *cat, sqlite3_stmt *st, void *out, ba_error *err)
{
    ba_comparison_record *c = out;
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    ba_db_copy_col(st, 1, c->layout, sizeof c->layout);
    ba_db_copy_col(st, 2, c->parameters, sizeof c->parameters);
    ba_db_copy_col(st, 3, c->render, sizeof c->render);
    ba_db_copy_col(st, 4, c->output, sizeof c->output);
    ba_db_copy_col(st, 5, c->sha256, sizeof c->sha256);
    c->width = sqlite3_column_int(st, 6);
    c->height = sqlite3_column_int(st, 7);
    c->aligned = sqlite3_column_int(st, 8) != 0;
    ba_db_copy_col(st, 9, c->created_at, sizeof c->created_at);
    sqlite3_stmt *ps = ba_db_prepare(
        cat, "SELECT photo_id FROM comparison_photos WHERE comparison_id = ? ORDER BY position",
        err);
    if (!ps)
        return -1;
    sqlite3_bind_int64(ps, 1, c->id);
    while (sqlite3_step(ps) == SQLITE_ROW && c->n_photos < (int)G_N_ELEMENTS(c->photos))
        c->photos[c->n_photos++] = sqlite3_column_int64(ps, 0);
    sqlite3_finalize(ps);
    return 0;
}

int ba_catalog_comparison_get(ba_catalog *cat, int64_t id, ba_comparison_record *out,
                              ba_error *err)
{
    return ba_db_get_by_id(cat, COMPARISON_COLS "WHERE id = ?", id, read_comparison, out,
                           "comparison", "a comparison", err);
}

int ba_catalog_comparison_list(ba_catalog *cat, const char *client, ba_comparison_fn fn,
                               void *ud, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     COMPARISON_COLS
                                     "WHERE ?1 IS NULL OR id IN (SELECT cp.comparison_id FROM"
                                     " comparison_photos cp JOIN photos p ON p.id = cp.photo_id"
                                     " JOIN sessions s ON s.id = p.session_id JOIN clients c"
                                     " ON c.id = s.client_id WHERE c.code = ?1) ORDER BY id",
                                     err);
    if (!st)
        return -1;
    ba_db_bind_text_or_null(st, 1, client);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_comparison_record c;
        if (read_comparison(cat, st, &c, err)) {
            sqlite3_finalize(st);
            return -1;
        }
        if (fn(&c, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing comparisons");
}
