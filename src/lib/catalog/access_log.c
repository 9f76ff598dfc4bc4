/* The access log: who read (or wrote) a client's record through the server. */
#include "catalog/access_rows.h"
#include "catalog/db.h"

int ba_access_log_add(ba_catalog *cat, const ba_access_entry *entries, int n, ba_error *err)
{
    if (n <= 0)
        return 0;
    if (ba_db_begin(cat, err))
        return -1;
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "INSERT INTO access_log(at, actor, action, object, client,"
                                     " remote, result) VALUES(?,?,?,?,?,?,?)",
                                     err);
    if (!st) {
        ba_db_rollback(cat);
        return -1;
    }
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    int rc = SQLITE_DONE;
    for (int i = 0; i < n && rc == SQLITE_DONE; i++) {
        const ba_access_entry *e = &entries[i];
        sqlite3_bind_text(st, 1, e->at && e->at[0] ? e->at : now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, e->actor && e->actor[0] ? e->actor : ba_catalog_actor(cat), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, e->action ? e->action : "", -1, SQLITE_TRANSIENT);
        ba_db_bind_text_or_null(st, 4, e->object);
        ba_db_bind_text_or_null(st, 5, e->client);
        ba_db_bind_text_or_null(st, 6, e->remote);
        sqlite3_bind_text(st, 7, e->result ? e->result : "ok", -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        ba_db_fail(cat, err, "appending to the access log");
        ba_db_rollback(cat);
        return -1;
    }
    if (ba_db_commit(cat, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    return 0;
}

int ba_access_log_list(ba_catalog *cat, const char *actor, const char *client, ba_access_fn fn,
                       void *ud, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT id, at, actor, action, object, client, remote, result FROM access_log"
        " WHERE (?1 IS NULL OR actor = ?1 COLLATE NOCASE) AND (?2 IS NULL OR client = ?2)"
        " ORDER BY id",
        err);
    if (!st)
        return -1;
    ba_db_bind_text_or_null(st, 1, actor);
    ba_db_bind_text_or_null(st, 2, client);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_access_entry e = {
            .id = sqlite3_column_int64(st, 0),
            .at = (const char *)sqlite3_column_text(st, 1),
            .actor = (const char *)sqlite3_column_text(st, 2),
            .action = (const char *)sqlite3_column_text(st, 3),
            .object = (const char *)sqlite3_column_text(st, 4),
            .client = (const char *)sqlite3_column_text(st, 5),
            .remote = (const char *)sqlite3_column_text(st, 6),
            .result = (const char *)sqlite3_column_text(st, 7),
        };
        if (fn(&e, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing the access log");
}
