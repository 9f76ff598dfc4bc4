/* Exports: pending -> done/failed/interrupted, with their items and consents. */
#include "catalog/db.h"

#include <string.h>
#include <unistd.h>

/* The exports row of @e, pending and owned by this process; sets @e->id. */
static int export_insert_row(ba_catalog *cat, ba_export_record *e, int n_items, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "INSERT INTO exports(purpose, created_at, destination,"
                                     " deidentification, caption, item_count, tool_version, status,"
                                     " writer_pid) VALUES(?,?,?,?,?,?,?,'pending',?)",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, e->purpose ? e->purpose : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, e->created_at ? e->created_at : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, e->destination ? e->destination : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, e->deidentification ? e->deidentification : "none", -1,
                      SQLITE_TRANSIENT);
    ba_db_bind_text_or_null(st, 5, e->caption);
    sqlite3_bind_int(st, 6, n_items);
    sqlite3_bind_text(st, 7, e->tool_version ? e->tool_version : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)getpid());
    int rc = ba_db_step_once(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "recording an export");
    e->id = sqlite3_last_insert_rowid(cat->db);
    e->status = "pending";
    e->writer_pid = (int64_t)getpid();
    e->item_count = n_items;
    return 0;
}

static int export_insert_items(ba_catalog *cat, int64_t id, const ba_export_item *items,
                               int n_items, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "INSERT INTO export_items(export_id, n, comparison_id, file,"
                                     " sha256) VALUES(?,?,?,?,?)",
                                     err);
    if (!st)
        return -1;
    for (int i = 0; i < n_items; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, items[i].n);
        sqlite3_bind_int64(st, 3, items[i].comparison_id);
        sqlite3_bind_text(st, 4, items[i].file ? items[i].file : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, items[i].sha256 ? items[i].sha256 : "", -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            ba_db_fail(cat, err, "recording an exported image");
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* The consents @e relied on, each once however often the caller listed it. */
static int export_insert_consents(ba_catalog *cat, const ba_export_record *e, ba_error *err)
{
    sqlite3_stmt *st =
        ba_db_prepare(cat, "INSERT INTO export_consents(export_id, consent_id) VALUES(?,?)", err);
    if (!st)
        return -1;
    for (int i = 0; i < e->n_consents; i++) {
        bool dup = false;
        for (int k = 0; k < i && !dup; k++)
            dup = e->consent_ids[k] == e->consent_ids[i];
        if (dup)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, e->id);
        sqlite3_bind_int64(st, 2, e->consent_ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            ba_db_fail(cat, err, "recording the consents of an export");
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

static int audits_insert(ba_catalog *cat, const ba_audit_entry *audits, int n_audits,
                         ba_error *err)
{
    for (int i = 0; i < n_audits; i++)
        if (ba_db_audit_insert(cat, &audits[i], NULL, err))
            return -1;
    return 0;
}

int ba_catalog_export_add(ba_catalog *cat, ba_export_record *e, ba_export_item *items,
                          int n_items, ba_audit_entry *audits, int n_audits,
                          const ba_store_hooks *hooks, ba_error *err)
{
    bool stored = false;
    if (ba_db_begin(cat, err))
        return -1;
    if (export_insert_row(cat, e, n_items, err))
        goto fail;
    /* The hook runs once the id exists, under the write lock, and fills in
     * @items and @audits. */
    if (hooks && hooks->store) {
        if (hooks->store(hooks->ud, err))
            goto fail;
        stored = true;
    }
    if (export_insert_items(cat, e->id, items, n_items, err) ||
        export_insert_consents(cat, e, err) || audits_insert(cat, audits, n_audits, err) ||
        ba_db_commit(cat, err))
        goto fail;
    return 0;
fail:
    ba_db_rollback(cat);
    if (stored && hooks->unstore)
        hooks->unstore(hooks->ud);
    return -1;
}

int ba_catalog_export_finish(ba_catalog *cat, int64_t id, const char *status,
                             const ba_audit_entry *audits, int n_audits, ba_error *err)
{
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    if (ba_db_begin(cat, err))
        return -1;
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "UPDATE exports SET status = ?, finished_at = ?"
                                     " WHERE id = ? AND status = 'pending'",
                                     err);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, status ? status : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, id);
    int rc = ba_db_step_once(st);
    if (rc != SQLITE_DONE) {
        ba_db_fail(cat, err, "finishing an export");
        goto fail;
    }
    if (sqlite3_changes(cat->db) != 1) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "export %" G_GINT64_FORMAT " is not pending", id);
        goto fail;
    }
    if (audits_insert(cat, audits, n_audits, err) || ba_db_commit(cat, err))
        goto fail;
    return 0;
fail:
    ba_db_rollback(cat);
    return -1;
}

/* Items and consents of export @e->id, then the callback. */
static int export_emit(ba_catalog *cat, ba_export_record *e, ba_export_fn fn, void *ud,
                       int *stop, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "SELECT n, comparison_id, file, sha256 FROM export_items"
                                     " WHERE export_id = ? ORDER BY n",
                                     err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, e->id);
    GArray *items = g_array_new(FALSE, TRUE, sizeof(ba_export_item));
    GPtrArray *strings = g_ptr_array_new_with_free_func(g_free);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_export_item it = {0};
        it.n = sqlite3_column_int(st, 0);
        it.comparison_id = sqlite3_column_int64(st, 1);
        char *file = g_strdup((const char *)sqlite3_column_text(st, 2));
        char *sha = g_strdup((const char *)sqlite3_column_text(st, 3));
        g_ptr_array_add(strings, file);
        g_ptr_array_add(strings, sha);
        it.file = file;
        it.sha256 = sha;
        g_array_append_val(items, it);
    }
    sqlite3_finalize(st);
    GArray *consents = g_array_new(FALSE, TRUE, sizeof(int64_t));
    int r = -1;
    if (rc != SQLITE_DONE) {
        ba_db_fail(cat, err, "listing exported images");
        goto out;
    }
    st = ba_db_prepare(
        cat,
        "SELECT consent_id FROM export_consents WHERE export_id = ? ORDER BY consent_id",
        err);
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, e->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        g_array_append_val(consents, id);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        ba_db_fail(cat, err, "listing the consents of an export");
        goto out;
    }
    e->consent_ids = (const int64_t *)consents->data;
    e->n_consents = (int)consents->len;
    *stop = fn(e, (const ba_export_item *)items->data, (int)items->len, ud);
    e->consent_ids = NULL;
    r = 0;
out:
    g_array_free(consents, TRUE);
    g_array_free(items, TRUE);
    g_ptr_array_free(strings, TRUE);
    return r;
}

int ba_catalog_export_list(ba_catalog *cat, const ba_export_filter *f, ba_export_fn fn,
                           void *ud, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT e.id, e.purpose, e.created_at, e.destination, e.deidentification, e.caption,"
        " e.tool_version, e.status, e.finished_at, e.item_count, e.writer_pid FROM exports e"
        " WHERE (?1 = 0 OR e.id = ?1)"
        " AND (?5 = 0 OR e.status IN ('pending','interrupted'))"
        " AND (?2 = 0 OR e.id IN (SELECT export_id FROM export_consents WHERE consent_id = ?2))"
        " AND (?3 IS NULL OR e.id IN (SELECT ec.export_id FROM export_consents ec"
        "  JOIN consents k ON k.id = ec.consent_id JOIN clients c ON c.id = k.client_id"
        "  WHERE c.code = ?3 COLLATE NOCASE AND (?4 = 0 OR k.revoked_at IS NOT NULL)))"
        " AND (?4 = 0 OR e.id IN (SELECT ec.export_id FROM export_consents ec"
        "  JOIN consents k ON k.id = ec.consent_id WHERE k.revoked_at IS NOT NULL))"
        " ORDER BY e.id",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, f ? f->export_id : 0);
    sqlite3_bind_int64(st, 2, f ? f->consent_id : 0);
    ba_db_bind_text_or_null(st, 3, f ? f->client : NULL);
    sqlite3_bind_int(st, 4, f && f->revoked_only ? 1 : 0);
    sqlite3_bind_int(st, 5, f && f->unfinished_only ? 1 : 0);
    /* Read the rows first: the callback may use the catalog. */
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *strings = g_ptr_array_new_with_free_func(g_free);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_export_record *e = g_new0(ba_export_record, 1);
        e->id = sqlite3_column_int64(st, 0);
        const char **fields[] = {&e->purpose,      &e->created_at,   &e->destination,
                                 &e->deidentification, &e->caption, &e->tool_version,
                                 &e->status,       &e->finished_at};
        for (int i = 0; i < (int)G_N_ELEMENTS(fields); i++) {
            const unsigned char *s = sqlite3_column_text(st, 1 + i);
            char *copy = s ? g_strdup((const char *)s) : NULL;
            if (copy)
                g_ptr_array_add(strings, copy);
            *fields[i] = copy;
        }
        e->item_count = sqlite3_column_int(st, 9);
        e->writer_pid = sqlite3_column_int64(st, 10);
        g_ptr_array_add(rows, e);
    }
    sqlite3_finalize(st);
    int r = 0;
    if (rc != SQLITE_DONE)
        r = ba_db_fail(cat, err, "listing exports");
    for (guint i = 0; r == 0 && i < rows->len; i++) {
        int stop = 0;
        r = export_emit(cat, g_ptr_array_index(rows, i), fn, ud, &stop, err);
        if (stop)
            break;
    }
    g_ptr_array_free(rows, TRUE);
    g_ptr_array_free(strings, TRUE);
    return r;
}
