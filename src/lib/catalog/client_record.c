/* A client's whole record as JSON, the files a catalog references, the online
 * backup of the catalog, the retention setting (catalog/record.h). */
#include "catalog/db.h"
#include "catalog/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "library/paths.h"

static void file_free(gpointer p)
{
    ba_db_file *f = p;
    g_free(f->rel);
    g_free(f->sha256);
    g_free(f->as);
    g_free(f);
}

GPtrArray *ba_db_files_new(void)
{
    return g_ptr_array_new_with_free_func(file_free);
}

static void files_add(GPtrArray *files, GHashTable *seen, const char *rel, const char *sha,
                      const char *as)
{
    if (!rel || !*rel || (seen && g_hash_table_contains(seen, rel)))
        return;
    if (seen)
        g_hash_table_add(seen, g_strdup(rel));
    ba_db_file *f = g_new0(ba_db_file, 1);
    f->rel = g_strdup(rel);
    f->sha256 = g_strdup(sha ? sha : "");
    f->as = g_strdup(as ? as : rel);
    g_ptr_array_add(files, f);
}

/* ---- rows as JSON ----------------------------------------------------------- */

/* Add column @i of the current row of @st to @b under its name: a column
 * named "id" is called @id_name, a column whose name ends in "_json" holds
 * JSON text and is added as that value under the name without the suffix
 * (as text when it does not parse: rows written before parameters were real
 * JSON). */
static void add_column(JsonBuilder *b, sqlite3_stmt *st, int i, const char *id_name)
{
    const char *name = sqlite3_column_name(st, i);
    size_t n = strlen(name);
    bool json = n > 5 && strcmp(name + n - 5, "_json") == 0;
    char *member = json ? g_strndup(name, n - 5)
                        : g_strdup(strcmp(name, "id") == 0 && id_name ? id_name : name);
    json_builder_set_member_name(b, member);
    g_free(member);
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        json_builder_add_null_value(b);
        return;
    case SQLITE_INTEGER:
        json_builder_add_int_value(b, sqlite3_column_int64(st, i));
        return;
    case SQLITE_FLOAT:
        json_builder_add_double_value(b, sqlite3_column_double(st, i));
        return;
    default:
        break;
    }
    const char *text = (const char *)sqlite3_column_text(st, i);
    if (json) {
        JsonParser *p = json_parser_new();
        if (json_parser_load_from_data(p, text, -1, NULL) && json_parser_get_root(p)) {
            json_builder_add_value(b, json_node_copy(json_parser_get_root(p)));
            g_object_unref(p);
            return;
        }
        g_object_unref(p);
    }
    json_builder_add_string_value(b, text ? text : "");
}

/* Member @member: an array with one object per row of @sql (?1 = @id,
 * ?2 = @code). */
static int rows_member(ba_catalog *cat, JsonBuilder *b, const char *member, const char *sql,
                       int64_t id, const char *code, const char *id_name, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_TRANSIENT);
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_builder_begin_object(b);
        for (int i = 0; i < sqlite3_column_count(st); i++)
            add_column(b, st, i, id_name);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "reading the client's record");
}

/* The client's photos, comparisons, consents and the exports that used them. */
#define CLIENT_PHOTOS \
    "(SELECT p.id FROM photos p JOIN sessions s ON s.id = p.session_id WHERE s.client_id = ?1)"
#define CLIENT_COMPARISONS \
    "(SELECT comparison_id FROM comparison_photos WHERE photo_id IN " CLIENT_PHOTOS ")"
#define CLIENT_CONSENTS "(SELECT id FROM consents WHERE client_id = ?1)"
#define CLIENT_EXPORTS                                                                    \
    "(SELECT export_id FROM export_items WHERE comparison_id IN " CLIENT_COMPARISONS        \
    " UNION SELECT export_id FROM export_consents WHERE consent_id IN " CLIENT_CONSENTS ")"

/* The files of the client's rows, and what they are called in an export. */
static int client_files(ba_catalog *cat, int64_t client_id, GPtrArray *files, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT 'm', p.master_sha256, NULL FROM photos p WHERE p.id IN " CLIENT_PHOTOS
        " UNION ALL SELECT 'r', c.sha256, c.render FROM comparisons c"
        "  WHERE c.id IN " CLIENT_COMPARISONS " AND c.render <> '' AND c.deleted_at IS NULL"
        " UNION ALL SELECT 'c', k.evidence_sha256, k.evidence_path FROM consents k"
        "  WHERE k.client_id = ?1 AND k.evidence_path IS NOT NULL AND k.evidence_path <> ''",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *sha = (const char *)sqlite3_column_text(st, 1);
        const char *rel = (const char *)sqlite3_column_text(st, 2);
        char path[128];
        if (kind[0] == 'm') {
            ba_path_master(sha, path, sizeof path);
            char *as = g_strdup_printf("masters/%s.jpg", sha);
            files_add(files, seen, path, sha, as);
            g_free(as);
        } else {
            char *base = g_path_get_basename(rel);
            char *as = g_build_filename(kind[0] == 'r' ? "comparisons" : "consents", base, NULL);
            files_add(files, seen, rel, sha, as);
            g_free(as);
            g_free(base);
        }
    }
    sqlite3_finalize(st);
    g_hash_table_destroy(seen);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "reading the client's files");
}

static int client_record(ba_catalog *cat, const char *code, JsonBuilder *b, GPtrArray *files,
                         int64_t *client_id, char *canon, ba_error *err)
{
    int64_t id = 0;
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT id, code FROM clients WHERE code = ?1 COLLATE NOCASE ORDER BY code = ?1 DESC",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        ba_db_copy_col(st, 1, canon, BA_CODE_MAX);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "client '%s' does not exist", code);
        return -1;
    }
    if (rc != SQLITE_ROW)
        return ba_db_fail(cat, err, "reading a client");
    *client_id = id;
    json_builder_set_member_name(b, "client");
    json_builder_add_string_value(b, canon);
    static const struct {
        const char *member, *id_name, *sql;
    } parts[] = {
        {"client_record", "client_id",
         "SELECT c.*, c.code AS client FROM clients c WHERE c.id = ?1"},
        {"sessions", "session_id",
         "SELECT s.* FROM sessions s WHERE s.client_id = ?1 ORDER BY s.date, s.id"},
        {"photos", "photo_id",
         "SELECT p.*, s.date AS session_date,"
         " 'masters/' || p.master_sha256 || '.jpg' AS file,"
         " (SELECT name FROM areas WHERE id = p.area_id) AS area,"
         " (SELECT json_group_array(a.name) FROM photo_areas pa"
         "   JOIN areas a ON a.id = pa.area_id WHERE pa.photo_id = p.id) AS areas_json"
         " FROM photos p JOIN sessions s ON s.id = p.session_id"
         " WHERE s.client_id = ?1 ORDER BY s.date, p.id"},
        {"alignments", "alignment_id",
         "SELECT a.* FROM alignments a WHERE a.photo_id IN " CLIENT_PHOTOS
         " OR a.reference_id IN " CLIENT_PHOTOS " ORDER BY a.id"},
        {"comparisons", "comparison_id",
         "SELECT c.*, c.parameters AS parameters_json,"
         " CASE WHEN c.render <> '' THEN 'comparisons/' ||"
         "  replace(c.render, rtrim(c.render, replace(c.render, '/', '')), '') END AS file,"
         /* the primary key's order: by position */
         " (SELECT json_group_array(photo_id) FROM comparison_photos"
         "   WHERE comparison_id = c.id) AS photos_json"
         " FROM comparisons c WHERE c.id IN " CLIENT_COMPARISONS " ORDER BY c.id"},
        {"consents", "consent_id",
         "SELECT k.*, CASE WHEN k.evidence_path <> '' THEN 'consents/' ||"
         "  replace(k.evidence_path, rtrim(k.evidence_path, replace(k.evidence_path, '/', '')),"
         "  '') END AS evidence_file"
         " FROM consents k WHERE k.client_id = ?1 ORDER BY k.id"},
        {"exports", "export_id",
         "SELECT e.*, (SELECT json_group_array(json_object('n', n, 'comparison_id',"
         "   comparison_id, 'file', file, 'sha256', sha256)) FROM export_items"
         "   WHERE export_id = e.id) AS items_json,"
         " (SELECT json_group_array(consent_id) FROM export_consents"
         "   WHERE export_id = e.id) AS consents_json"
         " FROM exports e WHERE e.id IN " CLIENT_EXPORTS " ORDER BY e.id"},
        {"audit", "audit_id",
         "SELECT a.* FROM audit_log a WHERE a.client = ?2 COLLATE NOCASE ORDER BY a.id"},
        {"access", "access_id",
         "SELECT a.* FROM access_log a WHERE a.client = ?2 COLLATE NOCASE ORDER BY a.id"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
        if (rows_member(cat, b, parts[i].member, parts[i].sql, id, canon, parts[i].id_name, err))
            return -1;
    }
    return client_files(cat, id, files, err);
}

int ba_db_client_record(ba_catalog *cat, const char *code, JsonBuilder *b, GPtrArray *files,
                        int64_t *client_id, char *canon, ba_error *err)
{
    /* One snapshot: every part of the record from the same moment. */
    if (ba_db_exec(cat, "BEGIN", err))
        return -1;
    int r = client_record(cat, code, b, files, client_id, canon, err);
    sqlite3_exec(cat->db, "COMMIT", NULL, NULL, NULL);
    return r;
}

/* ---- every file of a catalog ------------------------------------------------- */

static int referenced(ba_catalog *cat, GPtrArray *files, int64_t *photos, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "SELECT 'm', master_sha256, NULL FROM photos"
        /* A deleted comparison's render is gone (or kept for another row,
         * which lists it): only current and stale ones hold files. */
        " UNION ALL SELECT 'r', sha256, render FROM comparisons WHERE render <> ''"
        "  AND deleted_at IS NULL"
        " UNION ALL SELECT 'c', evidence_sha256, evidence_path FROM consents"
        "  WHERE evidence_path IS NOT NULL AND evidence_path <> ''",
        err);
    if (!st)
        return -1;
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *sha = (const char *)sqlite3_column_text(st, 1);
        char path[128];
        if (kind[0] == 'm') {
            n++;
            ba_path_master(sha, path, sizeof path);
            files_add(files, seen, path, sha, NULL);
        } else {
            files_add(files, seen, (const char *)sqlite3_column_text(st, 2), sha, NULL);
        }
    }
    sqlite3_finalize(st);
    g_hash_table_destroy(seen);
    if (photos)
        *photos = n;
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing the library's files");
}

int ba_db_referenced_files(ba_catalog *cat, GPtrArray *files, int64_t *photos, ba_error *err)
{
    if (ba_db_exec(cat, "BEGIN", err))
        return -1;
    int r = referenced(cat, files, photos, err);
    sqlite3_exec(cat->db, "COMMIT", NULL, NULL, NULL);
    return r;
}

/* ---- the online backup -------------------------------------------------------- */

int ba_db_backup_to(ba_catalog *cat, const char *dest_db, GPtrArray *files, int64_t *photos,
                    ba_error *err)
{
    int fd = open(dest_db, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, BA_MODE_FILE);
    if (fd < 0) {
        int e = errno;
        ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot create: %s",
                     dest_db, g_strerror(e));
        return -1;
    }
    close(fd);
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(dest_db, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    sqlite3_backup *bk = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", cat->db, "main")
                                         : NULL;
    if (!bk) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot start the backup: %s", dest_db,
                     dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        sqlite3_close(dst);
        return -1;
    }
    /* All pages in one step: one read snapshot of the source, which in WAL
     * mode does not stop writers; a busy source is retried. */
    for (int tries = 0; tries < 600; tries++) {
        rc = sqlite3_backup_step(bk, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        g_usleep(100 * 1000);
    }
    sqlite3_backup_finish(bk);
    int r = 0;
    if (rc != SQLITE_DONE) {
        ba_error_set(err, ba_db_code(dst, rc), "%s: backup of the catalog failed: %s", dest_db,
                     ba_db_cause(dst, rc, sqlite3_errmsg(dst)));
        r = -1;
    }
    /* In WAL mode like every catalog, so that opening the copy later does
     * not change a byte of it (its hash is in the manifest); closing the
     * last connection folds the WAL back in and removes it. */
    if (r == 0 && sqlite3_exec(dst, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot finish the copy: %s", dest_db,
                     sqlite3_errmsg(dst));
        r = -1;
    }
    /* The files the copy names, read from the copy itself. */
    if (r == 0 && files) {
        ba_catalog copy = {.db = dst, .dir = (char *)dest_db};
        r = ba_db_referenced_files(&copy, files, photos, err);
    }
    sqlite3_close(dst);
    return r;
}

/* ---- retention ------------------------------------------------------------------ */

int ba_db_retention_get(ba_catalog *cat, int *years, ba_error *err)
{
    int rc = 0;
    char *v = ba_db_setting_get(cat, "retention_years", &rc, err);
    *years = v ? atoi(v) : 0;
    g_free(v);
    return rc;
}

int ba_db_retention_set(ba_catalog *cat, int years, ba_error *err)
{
    if (years < 0 || years > 200) {
        ba_error_set(err, BA_ERR_USAGE, "retention of %d years: give 0 (none) to 200", years);
        return -1;
    }
    if (ba_db_begin(cat, err))
        return -1;
    int old = 0;
    if (ba_db_retention_get(cat, &old, err))
        goto fail;
    char value[16];
    snprintf(value, sizeof value, "%d", years);
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "retention_years");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "old");
    json_builder_add_int_value(b, old);
    json_builder_set_member_name(b, "new");
    json_builder_add_int_value(b, years);
    json_builder_end_object(b);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *detail = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    ba_audit_entry a = {.action = "settings", .result = "ok", .detail = detail};
    int r = ba_db_setting_put(cat, "retention_years", value, err) ||
            ba_db_audit_insert(cat, &a, NULL, err) || ba_db_commit(cat, err);
    g_free(detail);
    if (r)
        goto fail;
    return 0;
fail:
    ba_db_rollback(cat);
    return -1;
}

/* ---- the audit row of an export of a client's record ----------------------------- */

int ba_db_audit_client_export(ba_catalog *cat, const char *code, int64_t client_id,
                              const char *dir, int files, ba_error *err)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "to");
    json_builder_add_string_value(b, dir);
    json_builder_set_member_name(b, "files");
    json_builder_add_int_value(b, files);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *detail = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    char objects[48];
    snprintf(objects, sizeof objects, "client %" G_GINT64_FORMAT, client_id);
    ba_audit_entry a = {.action = "client-export", .client = code, .objects = objects,
                        .result = "ok", .detail = detail};
    int r = ba_catalog_audit_add(cat, &a, err);
    g_free(detail);
    return r;
}
