/* Consents: append-only grants, revoked once. */
#include "catalog/db.h"

#include <stdio.h>
#include <string.h>

static gint cmp_int64(gconstpointer a, gconstpointer b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The consents row of @c for client @client_id; sets @c->id. */
static int consent_insert(ba_catalog *cat, ba_consent *c, int64_t client_id, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "INSERT INTO consents(client_id, scope, granted_at, expires_at,"
        " revoked_at, evidence_sha256, evidence_original_sha256,"
        " evidence_path, allowed_deidentification, note, recorded_at)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_text(st, 2, c->scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, c->granted_at, -1, SQLITE_TRANSIENT);
    ba_db_bind_text_or_null(st, 4, c->expires_at);
    ba_db_bind_text_or_null(st, 5, c->revoked_at);
    ba_db_bind_text_or_null(st, 6, c->evidence_sha256);
    ba_db_bind_text_or_null(st, 7, c->evidence_original_sha256);
    ba_db_bind_text_or_null(st, 8, c->evidence_path);
    ba_db_bind_text_or_null(st, 9, c->allowed_deidentification);
    ba_db_bind_text_or_null(st, 10, c->note);
    sqlite3_bind_text(st, 11, c->recorded_at, -1, SQLITE_TRANSIENT);
    int rc = ba_db_step_once(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        ba_error_set(err, BA_ERR_USAGE, "consent of client '%s' refused by the catalog: %s",
                     c->client, sqlite3_errmsg(cat->db));
        return -1;
    }
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "recording a consent");
    c->id = sqlite3_last_insert_rowid(cat->db);
    return 0;
}

int ba_catalog_consent_add(ba_catalog *cat, ba_consent *c, const ba_audit_entry *audit,
                           ba_error *err)
{
    ba_db_utc_now(c->recorded_at, sizeof c->recorded_at);
    if (ba_db_begin(cat, err))
        return -1;
    int64_t client_id = 0;
    if (ba_db_client_id_of(cat, c->client, &client_id, err) ||
        consent_insert(cat, c, client_id, err))
        goto fail;
    if (audit) {
        char objects[48];
        snprintf(objects, sizeof objects, "consent %" G_GINT64_FORMAT, c->id);
        if (ba_db_audit_insert(cat, audit, audit->objects ? NULL : objects, err))
            goto fail;
    }
    if (ba_db_commit(cat, err))
        goto fail;
    return 0;
fail:
    ba_db_rollback(cat);
    return -1;
}

#define CONSENT_COLS                                                                     \
    "SELECT k.id, c.code, k.scope, k.granted_at, k.expires_at, k.revoked_at,"            \
    " k.evidence_sha256, k.evidence_original_sha256, k.evidence_path,"                   \
    " k.allowed_deidentification, k.note, k.recorded_at"                                 \
    " FROM consents k JOIN clients c ON c.id = k.client_id "

static void read_consent(sqlite3_stmt *st, ba_consent *k)
{
    memset(k, 0, sizeof *k);
    k->id = sqlite3_column_int64(st, 0);
    ba_db_copy_col(st, 1, k->client, sizeof k->client);
    ba_db_copy_col(st, 2, k->scope, sizeof k->scope);
    ba_db_copy_col(st, 3, k->granted_at, sizeof k->granted_at);
    ba_db_copy_col(st, 4, k->expires_at, sizeof k->expires_at);
    ba_db_copy_col(st, 5, k->revoked_at, sizeof k->revoked_at);
    ba_db_copy_col(st, 6, k->evidence_sha256, sizeof k->evidence_sha256);
    ba_db_copy_col(st, 7, k->evidence_original_sha256, sizeof k->evidence_original_sha256);
    ba_db_copy_col(st, 8, k->evidence_path, sizeof k->evidence_path);
    ba_db_copy_col(st, 9, k->allowed_deidentification, sizeof k->allowed_deidentification);
    ba_db_copy_col(st, 10, k->note, sizeof k->note);
    ba_db_copy_col(st, 11, k->recorded_at, sizeof k->recorded_at);
}

static int read_consent_row(ba_catalog *cat, sqlite3_stmt *st, void *out, ba_error *err)
{
    (void)cat;
    (void)err;
    read_consent(st, out);
    return 0;
}

int ba_catalog_consent_get(ba_catalog *cat, int64_t id, ba_consent *out, ba_error *err)
{
    return ba_db_get_by_id(cat, CONSENT_COLS "WHERE k.id = ?", id, read_consent_row, out,
                           "consent", "a consent", err);
}

int ba_catalog_consent_list(ba_catalog *cat, const char *client, const char *scope,
                            ba_consent_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st = ba_db_cached(cat,
                                    CONSENT_COLS "WHERE (?1 IS NULL OR c.code = ?1 COLLATE NOCASE)"
                                                 " AND (?2 IS NULL OR k.scope = ?2) ORDER BY k.id",
                                    err);
    if (!st)
        return -1;
    ba_db_bind_text_or_null(st, 1, client);
    ba_db_bind_text_or_null(st, 2, scope);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_consent k;
        read_consent(st, &k);
        if (fn(&k, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    ba_db_release(cat, st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing consents");
}

/* "exports to take down: 3, 5" (or "no exports to take down") for the
 * consents @ids, read inside the caller's transaction. */
static char *takedown_detail(ba_catalog *cat, const int64_t *ids, int n, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "SELECT DISTINCT export_id FROM export_consents"
                                     " WHERE consent_id = ? ORDER BY export_id",
                                     err);
    if (!st)
        return NULL;
    GArray *found = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int rc = SQLITE_DONE;
    for (int i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            bool seen = false;
            for (guint k = 0; k < found->len && !seen; k++)
                seen = g_array_index(found, int64_t, k) == id;
            if (!seen)
                g_array_append_val(found, id);
        }
    }
    sqlite3_finalize(st);
    char *detail = NULL;
    if (rc != SQLITE_DONE) {
        ba_db_fail(cat, err, "listing the exports of a consent");
    } else if (found->len == 0) {
        detail = g_strdup("no exports to take down");
    } else {
        g_array_sort(found, cmp_int64);
        GString *d = g_string_new("exports to take down: ");
        for (guint k = 0; k < found->len; k++)
            g_string_append_printf(d, "%s%" G_GINT64_FORMAT, k ? ", " : "",
                                   g_array_index(found, int64_t, k));
        detail = g_string_free(d, FALSE);
    }
    g_array_free(found, TRUE);
    return detail;
}

/* Set revoked_at on those of @ids not revoked yet; @changed counts them. */
static int revoke_rows(ba_catalog *cat, const int64_t *ids, int n, const char *revoked_at,
                       int *changed, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "UPDATE consents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", err);
    if (!st)
        return -1;
    for (int i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, revoked_at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            ba_db_fail(cat, err, "revoking a consent");
            sqlite3_finalize(st);
            return -1;
        }
        *changed += sqlite3_changes(cat->db);
    }
    sqlite3_finalize(st);
    return 0;
}

/* Append @audit, its detail (when it has none) the exports to take down. */
static int revoke_audit(ba_catalog *cat, const int64_t *ids, int n, const ba_audit_entry *audit,
                        ba_error *err)
{
    char *detail = !audit->detail ? takedown_detail(cat, ids, n, err) : NULL;
    if (!audit->detail && !detail)
        return -1;
    ba_audit_entry a = *audit;
    if (detail)
        a.detail = detail;
    int r = ba_db_audit_insert(cat, &a, NULL, err);
    g_free(detail);
    return r;
}

int ba_catalog_consent_revoke(ba_catalog *cat, const int64_t *ids, int n,
                              const char *revoked_at, const ba_audit_entry *audit,
                              int *n_revoked, ba_error *err)
{
    int changed = 0;
    if (ba_db_begin(cat, err))
        return -1;
    if (revoke_rows(cat, ids, n, revoked_at, &changed, err) ||
        (audit && revoke_audit(cat, ids, n, audit, err)) || ba_db_commit(cat, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    if (n_revoked)
        *n_revoked = changed;
    return 0;
}
