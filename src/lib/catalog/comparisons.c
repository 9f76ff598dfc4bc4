/* Comparisons: rendered outputs and the photos in their panels. */
#include "catalog/db.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "catalog/json_detail.h"

/* The comparisons row of @c; sets @c->id. */
static int comparison_insert(ba_catalog *cat, ba_comparison_record *c, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "INSERT INTO comparisons(layout, parameters, render, output, sha256,"
        " width, height, aligned, created_at, identity) VALUES(?,?,?,?,?,?,?,?,?,?)",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, c->layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, c->parameters ? c->parameters : "{}", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, c->render, -1, SQLITE_TRANSIENT);
    ba_db_bind_text_or_null(st, 4, c->output);
    sqlite3_bind_text(st, 5, c->sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, c->width);
    sqlite3_bind_int(st, 7, c->height);
    sqlite3_bind_int(st, 8, c->aligned ? 1 : 0);
    sqlite3_bind_text(st, 9, c->created_at, -1, SQLITE_TRANSIENT);
    ba_db_bind_text_or_null(st, 10, c->identity);
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

/* The current comparison with @c's identity and rendered bytes: 1 and its id
 * in @id, 0 when none, -1 on error. */
static int comparison_same(ba_catalog *cat, const ba_comparison_record *c, int64_t *id,
                           ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "SELECT id FROM comparisons WHERE identity = ?1 AND"
                                     " sha256 = ?2 AND deleted_at IS NULL AND stale IS NULL"
                                     " ORDER BY id LIMIT 1",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, c->identity, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, c->sha256, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "looking up a comparison");
}

int ba_catalog_comparison_add(ba_catalog *cat, ba_comparison_record *c, bool *existing,
                              ba_error *err)
{
    if (existing)
        *existing = false;
    ba_db_utc_now(c->created_at, sizeof c->created_at);
    if (ba_db_begin(cat, err))
        return -1;
    if (c->identity[0]) {
        int64_t id = 0;
        int found = comparison_same(cat, c, &id, err);
        if (found < 0) {
            ba_db_rollback(cat);
            return -1;
        }
        if (found) {
            ba_db_rollback(cat);
            c->id = id;
            if (existing)
                *existing = true;
            return 0;
        }
    }
    if (comparison_insert(cat, c, err) || comparison_insert_photos(cat, c, err) ||
        ba_db_commit(cat, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    return 0;
}

#define COMPARISON_COLS                                                                  \
    "SELECT id, layout, parameters, render, output, sha256, width, height, aligned,"     \
    " created_at, stale, identity FROM comparisons "

/* Read a COMPARISON_COLS row and its photos into @out (a ba_comparison_record). */
static int read_comparison(ba_catalog *cat, sqlite3_stmt *st, void *out, ba_error *err)
{
    ba_comparison_record *c = out;
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    ba_db_copy_col(st, 1, c->layout, sizeof c->layout);
    c->parameters = g_strdup((const char *)sqlite3_column_text(st, 2));
    ba_db_copy_col(st, 3, c->render, sizeof c->render);
    ba_db_copy_col(st, 4, c->output, sizeof c->output);
    ba_db_copy_col(st, 5, c->sha256, sizeof c->sha256);
    c->width = sqlite3_column_int(st, 6);
    c->height = sqlite3_column_int(st, 7);
    c->aligned = sqlite3_column_int(st, 8) != 0;
    ba_db_copy_col(st, 9, c->created_at, sizeof c->created_at);
    ba_db_copy_col(st, 10, c->stale, sizeof c->stale);
    ba_db_copy_col(st, 11, c->identity, sizeof c->identity);
    sqlite3_stmt *ps = ba_db_prepare(
        cat, "SELECT photo_id FROM comparison_photos WHERE comparison_id = ? ORDER BY position",
        err);
    if (!ps) {
        ba_comparison_record_clear(c);
        return -1;
    }
    sqlite3_bind_int64(ps, 1, c->id);
    while (sqlite3_step(ps) == SQLITE_ROW && c->n_photos < (int)G_N_ELEMENTS(c->photos))
        c->photos[c->n_photos++] = sqlite3_column_int64(ps, 0);
    sqlite3_finalize(ps);
    /* The client of the first photo, and the areas every photo shows. */
    ps = ba_db_prepare(
        cat,
        "SELECT (SELECT cl.code FROM comparison_photos cp JOIN photos p ON p.id = cp.photo_id"
        "  JOIN sessions s ON s.id = p.session_id JOIN clients cl ON cl.id = s.client_id"
        "  WHERE cp.comparison_id = ?1 ORDER BY cp.position LIMIT 1),"
        " (SELECT group_concat(name, ',') FROM (SELECT a.name FROM comparison_photos cp"
        "  JOIN photo_areas pa ON pa.photo_id = cp.photo_id JOIN areas a ON a.id = pa.area_id"
        "  WHERE cp.comparison_id = ?1 GROUP BY a.id HAVING COUNT(DISTINCT cp.photo_id) ="
        "  (SELECT COUNT(DISTINCT photo_id) FROM comparison_photos WHERE comparison_id = ?1)"
        "  ORDER BY a.name))",
        err);
    if (!ps) {
        ba_comparison_record_clear(c);
        return -1;
    }
    sqlite3_bind_int64(ps, 1, c->id);
    if (sqlite3_step(ps) == SQLITE_ROW) {
        ba_db_copy_col(ps, 0, c->client, sizeof c->client);
        ba_db_copy_col(ps, 1, c->areas, sizeof c->areas);
    }
    sqlite3_finalize(ps);
    return 0;
}

int ba_catalog_comparison_get(ba_catalog *cat, int64_t id, ba_comparison_record *out,
                              ba_error *err)
{
    return ba_db_get_by_id(cat, COMPARISON_COLS "WHERE id = ? AND deleted_at IS NULL", id,
                           read_comparison, out, "comparison", "a comparison", err);
}

int ba_catalog_comparison_list(ba_catalog *cat, const char *client, ba_comparison_fn fn,
                               void *ud, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     COMPARISON_COLS
                                     "WHERE deleted_at IS NULL AND (?1 IS NULL OR id IN"
                                     " (SELECT cp.comparison_id FROM"
                                     " comparison_photos cp JOIN photos p ON p.id = cp.photo_id"
                                     " JOIN sessions s ON s.id = p.session_id JOIN clients c"
                                     " ON c.id = s.client_id WHERE c.code = ?1 COLLATE NOCASE))"
                                     " ORDER BY id",
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
        int stop = fn(&c, ud);
        ba_comparison_record_clear(&c);
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing comparisons");
}

void ba_comparison_record_clear(ba_comparison_record *c)
{
    if (!c)
        return;
    g_free(c->parameters);
    c->parameters = NULL;
}

int ba_catalog_comparison_find(ba_catalog *cat, const char *identity, int64_t *id,
                               ba_error *err)
{
    if (!identity || !*identity)
        return 0;
    return ba_db_lookup_id(cat,
                           "SELECT id FROM comparisons WHERE identity = ?1 AND deleted_at IS NULL"
                           " AND stale IS NULL ORDER BY id DESC LIMIT 1",
                           identity, id, "looking up a comparison", err);
}

/* ---- deleting: a tombstone row, the render file after the commit ------------ */

typedef struct delete_job {
    int64_t id;
    char render[128];
    bool render_shared; /* another comparison still shows this file */
} delete_job;

static int comparison_tombstone(ba_catalog *cat, delete_job *d, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT render, (SELECT COUNT(*) FROM comparisons o WHERE o.render = c.render"
             " AND o.id <> c.id AND o.deleted_at IS NULL) FROM comparisons c"
             " WHERE id = ? AND deleted_at IS NULL", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ba_db_copy_col(st, 0, d->render, sizeof d->render);
        d->render_shared = sqlite3_column_int(st, 1) > 0;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        char when[BA_STAMP_MAX] = "";
        st = ba_db_prepare(cat, "SELECT deleted_at FROM comparisons WHERE id = ?", NULL);
        if (st) {
            sqlite3_bind_int64(st, 1, d->id);
            if (sqlite3_step(st) == SQLITE_ROW)
                ba_db_copy_col(st, 0, when, sizeof when);
            sqlite3_finalize(st);
        }
        if (when[0])
            ba_error_set(err, BA_ERR_NOT_FOUND, "comparison %" G_GINT64_FORMAT
                         " was deleted already (%s)", d->id, when);
        else
            ba_error_set(err, BA_ERR_NOT_FOUND, "comparison %" G_GINT64_FORMAT " does not exist",
                         d->id);
        return -1;
    }
    if (rc != SQLITE_ROW)
        return ba_db_fail(cat, err, "reading a comparison");
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    st = ba_db_prepare(cat, "UPDATE comparisons SET deleted_at = ? WHERE id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, d->id);
    if (ba_db_step_once(st) != SQLITE_DONE)
        return ba_db_fail(cat, err, "deleting a comparison");
    return 0;
}

/* The client code of comparison @id's first photo (g_free it), NULL if none. */
static char *comparison_client(ba_catalog *cat, int64_t id)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT c.code FROM comparison_photos cp JOIN photos p ON p.id = cp.photo_id"
             " JOIN sessions s ON s.id = p.session_id JOIN clients c ON c.id = s.client_id"
             " WHERE cp.comparison_id = ? ORDER BY cp.position LIMIT 1", NULL);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, id);
    char *code = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        code = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return code;
}

int ba_catalog_comparison_delete(ba_catalog *cat, int64_t id, bool *render_removed,
                                 ba_error *err)
{
    if (render_removed)
        *render_removed = false;
    delete_job d = {.id = id};
    if (ba_db_begin(cat, err))
        return -1;
    if (comparison_tombstone(cat, &d, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    char *client = comparison_client(cat, id);
    char objects[48];
    snprintf(objects, sizeof objects, "comparison %" G_GINT64_FORMAT, id);
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "render");
    json_builder_add_string_value(b, d.render);
    json_builder_set_member_name(b, "render_kept");
    json_builder_add_boolean_value(b, d.render_shared);
    json_builder_end_object(b);
    char *detail = ba_db_json_text(b);
    ba_audit_entry a = {.action = "comparison-delete",
                        .client = client,
                        .objects = objects,
                        .result = "ok",
                        .detail = detail};
    int rc = ba_db_audit_insert(cat, &a, NULL, err) || ba_db_commit(cat, err) ? -1 : 0;
    g_free(detail);
    g_free(client);
    if (rc) {
        ba_db_rollback(cat);
        return -1;
    }
    /* After the commit: a render that is gone while its row still says
     * current would be worse than a file no row names (verify lists it). */
    if (!d.render_shared && g_str_has_prefix(d.render, "renders/") &&
        !strstr(d.render, "..")) {
        char *path = g_build_filename(cat->dir, d.render, NULL);
        if (g_unlink(path) == 0 || errno == ENOENT) {
            if (render_removed)
                *render_removed = true;
        }
        g_free(path);
    }
    return 0;
}
