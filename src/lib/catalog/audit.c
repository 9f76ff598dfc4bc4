/* The audit log: appending (hash-chained), listing, and the checks that make
 * tampering with it, or with the triggers that guard it, visible. */
#include "catalog/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "catalog/schema.h"
#include "common/sha256.h"

/* The values of a row that the chain covers besides the id. */
enum { AUDIT_VALUES = 7 };

/* ---- the hash chain ------------------------------------------------------- */

/* The "previous chain" of the first row. */
static const char AUDIT_CHAIN_ZERO[BA_SHA_MAX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Hash one value so that NULL, "" and every split of bytes between values
 * give different input: NULL is "N", text is "S<length>:<bytes>". */
static void chain_field(ba_sha256 *h, const char *s, int len)
{
    if (!s) {
        ba_sha256_update(h, "N", 1);
        return;
    }
    if (len < 0)
        len = (int)strlen(s);
    char head[24];
    int n = snprintf(head, sizeof head, "S%d:", len);
    ba_sha256_update(h, head, (size_t)n);
    ba_sha256_update(h, s, (size_t)len);
}

/* chain = SHA-256 over a version tag, the previous row's chain (NULL when it
 * has none), the id and the seven values of the row (at, action, client,
 * objects, purpose, result, detail; NULL = SQL NULL), @len[i] bytes each
 * (-1 or @len NULL: up to the NUL), then — for rows that have one — the
 * actor (@actor_len bytes).  Rows written before schema 7 have no actor and
 * keep the version-1 chain they were given; every newer row has an actor and
 * is chained as version 2, so the actor cannot be changed unseen either. */
static void audit_chain_compute(const char *prev, int64_t id,
                                const char *const v[AUDIT_VALUES], const int *len,
                                const char *actor, int actor_len, char out[BA_SHA_MAX])
{
    static const char tag1[] = "beforeafter audit chain 1\n";
    static const char tag2[] = "beforeafter audit chain 2\n";
    ba_sha256 *h = ba_sha256_new();
    if (actor)
        ba_sha256_update(h, tag2, sizeof tag2 - 1);
    else
        ba_sha256_update(h, tag1, sizeof tag1 - 1);
    chain_field(h, prev, -1);
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%" G_GINT64_FORMAT, id);
    chain_field(h, idtext, -1);
    for (int i = 0; i < AUDIT_VALUES; i++)
        chain_field(h, v[i], len ? len[i] : -1);
    if (actor)
        chain_field(h, actor, actor_len);
    ba_sha256_finish(h, out);
}

#define AUDIT_ROW_SQL                                                                    \
    "SELECT id, at, action, client, objects, purpose, result, detail, chain, actor"      \
    " FROM audit_log ORDER BY id"

/* The chain the current row of @st (AUDIT_ROW_SQL) should carry after a row
 * whose chain is @prev; byte lengths come from SQLite, so no value is cut. */
static void audit_chain_of_row(sqlite3_stmt *st, const char *prev, char out[BA_SHA_MAX])
{
    const char *v[AUDIT_VALUES];
    int len[AUDIT_VALUES];
    for (int i = 0; i < AUDIT_VALUES; i++) {
        v[i] = (const char *)sqlite3_column_text(st, 1 + i);
        len[i] = sqlite3_column_bytes(st, 1 + i);
    }
    const char *actor = (const char *)sqlite3_column_text(st, 9);
    audit_chain_compute(prev, sqlite3_column_int64(st, 0), v, len, actor,
                        sqlite3_column_bytes(st, 9), out);
}

/* The id the next audit row gets (what AUTOINCREMENT would choose) and the
 * chain of the last row (@prev; NULL when that row has none, zeros when there
 * is no row).  Must run inside the write transaction that inserts the row. */
static int audit_tail(ba_catalog *cat, int64_t *next_id, char prev[BA_SHA_MAX], bool *prev_null,
                      ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat,
                                     "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence"
                                     " WHERE name = 'audit_log'), 0),"
                                     " COALESCE((SELECT max(id) FROM audit_log), 0)) + 1,"
                                     " (SELECT chain FROM audit_log ORDER BY id DESC LIMIT 1),"
                                     " EXISTS (SELECT 1 FROM audit_log)",
                                     err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *next_id = sqlite3_column_int64(st, 0);
        bool any = sqlite3_column_int(st, 2) != 0;
        *prev_null = any && sqlite3_column_type(st, 1) == SQLITE_NULL;
        if (!any)
            memcpy(prev, AUDIT_CHAIN_ZERO, BA_SHA_MAX);
        else
            ba_db_copy_col(st, 1, prev, BA_SHA_MAX);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ba_db_fail(cat, err, "reading the end of the audit log");
}

/* ---- appending and listing ------------------------------------------------ */

/* Append one audit row inside the caller's write transaction, chained to the
 * row before it: the id is chosen here (as AUTOINCREMENT would) because the
 * chain covers it and the row can never be updated afterwards. */
int ba_db_audit_insert(ba_catalog *cat, const ba_audit_entry *a, const char *objects,
                        ba_error *err)
{
    char now[BA_STAMP_MAX];
    ba_db_utc_now(now, sizeof now);
    /* The values exactly as stored (NULL = SQL NULL): the chain covers what the row holds. */
    const char *v[AUDIT_VALUES] = {now,
                                   a->action ? a->action : "",
                                   ba_db_empty_to_null(a->client),
                                   ba_db_empty_to_null(objects ? objects : a->objects),
                                   ba_db_empty_to_null(a->purpose),
                                   a->result ? a->result : "",
                                   ba_db_empty_to_null(a->detail)};
    int64_t id = 0;
    char prev[BA_SHA_MAX], chain[BA_SHA_MAX];
    bool prev_null = false;
    if (audit_tail(cat, &id, prev, &prev_null, err))
        return -1;
    const char *actor = a->actor && a->actor[0] ? a->actor : ba_catalog_actor(cat);
    audit_chain_compute(prev_null ? NULL : prev, id, v, NULL, actor, -1, chain);
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "INSERT INTO audit_log(id, at, action, client, objects, purpose,"
        " result, detail, chain, actor) VALUES(?,?,?,?,?,?,?,?,?,?)",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    for (int i = 0; i < AUDIT_VALUES; i++) {
        if (v[i])
            sqlite3_bind_text(st, 2 + i, v[i], -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 2 + i);
    }
    sqlite3_bind_text(st, 2 + AUDIT_VALUES, chain, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3 + AUDIT_VALUES, actor, -1, SQLITE_TRANSIENT);
    int rc = ba_db_step_once(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "appending to the audit log");
}

int ba_catalog_audit_add(ba_catalog *cat, const ba_audit_entry *a, ba_error *err)
{
    if (!sqlite3_get_autocommit(cat->db))
        return ba_db_audit_insert(cat, a, NULL, err);
    /* Alone: reading the end of the chain and appending to it must be one
     * step among every writer, or two rows could chain onto the same one. */
    if (ba_db_begin(cat, err))
        return -1;
    if (ba_db_audit_insert(cat, a, NULL, err) || ba_db_commit(cat, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    return 0;
}

int ba_catalog_audit_list(ba_catalog *cat, const char *client, ba_audit_fn fn, void *ud,
                          ba_error *err)
{
    /* Rows keep the code they were written with.  A client's rows are those
     * under each code it has had, up to the row that renamed it (or merged
     * it into this one): the chain of client-rename and client-merge rows
     * (ba_catalog_client_rename(), ba_catalog_client_merge()) is followed
     * back from @client.  A row under a code that some other client renamed
     * away later is that other client's. */
    sqlite3_stmt *st = ba_db_prepare(
        cat,
        "WITH RECURSIVE moves(id, action, client, old) AS MATERIALIZED ("
        "  SELECT id, action, client, CASE action"
        "   WHEN 'client-rename' THEN json_extract(detail, '$.code.old')"
        "   ELSE json_extract(detail, '$.from') END FROM audit_log"
        "  WHERE ?1 IS NOT NULL AND action IN ('client-rename', 'client-merge')"
        "   AND result = 'ok' AND json_valid(detail)),"
        " names(code, until) AS ("
        "  SELECT COALESCE((SELECT code FROM clients WHERE code = ?1 COLLATE NOCASE"
        "   ORDER BY code = ?1 DESC LIMIT 1), ?1), 9223372036854775807"
        "  UNION"
        "  SELECT m.old, m.id FROM moves m JOIN names n ON m.client = n.code COLLATE NOCASE"
        "   AND m.id < n.until)"
        "SELECT id, at, action, client, objects, purpose, result, detail,"
        " chain, actor FROM audit_log l WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM names n"
        "  WHERE n.code = l.client COLLATE NOCASE AND l.id <= n.until"
        "  AND NOT EXISTS (SELECT 1 FROM moves r WHERE r.action = 'client-rename'"
        "   AND r.old = l.client COLLATE NOCASE AND r.id > l.id AND r.id < n.until))"
        " ORDER BY id",
        err);
    if (!st)
        return -1;
    ba_db_bind_text_or_null(st, 1, client);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_audit_entry a;
        a.id = sqlite3_column_int64(st, 0);
        a.at = (const char *)sqlite3_column_text(st, 1);
        a.action = (const char *)sqlite3_column_text(st, 2);
        a.client = (const char *)sqlite3_column_text(st, 3);
        a.objects = (const char *)sqlite3_column_text(st, 4);
        a.purpose = (const char *)sqlite3_column_text(st, 5);
        a.result = (const char *)sqlite3_column_text(st, 6);
        a.detail = (const char *)sqlite3_column_text(st, 7);
        a.chain = (const char *)sqlite3_column_text(st, 8);
        a.actor = (const char *)sqlite3_column_text(st, 9);
        if (fn(&a, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "listing the audit log");
}

/* ---- chaining the rows of older schemas ------------------------------------ */

/* Text of the CREATE statement of trigger @name (g_free it), NULL when absent. */
static char *trigger_sql(ba_catalog *cat, const char *name)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", NULL);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    char *sql = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        sql = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return sql;
}

/* Write @chains (one per row of @ids) with the update trigger lifted: it
 * refuses every UPDATE, and this one runs in the migration's transaction. */
static int audit_write_chains(ba_catalog *cat, GArray *ids, GPtrArray *chains, ba_error *err)
{
    char *guard = trigger_sql(cat, "audit_log_no_update");
    int r = ba_db_exec(cat, "DROP TRIGGER IF EXISTS audit_log_no_update", err);
    sqlite3_stmt *st =
        r ? NULL : ba_db_prepare(cat, "UPDATE audit_log SET chain = ? WHERE id = ?", err);
    if (!st)
        r = -1;
    for (guint i = 0; st && r == 0 && i < ids->len; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, g_ptr_array_index(chains, i), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, g_array_index(ids, int64_t, i));
        if (sqlite3_step(st) != SQLITE_DONE)
            r = ba_db_fail(cat, err, "writing the audit log's hash chain");
    }
    sqlite3_finalize(st);
    if (r == 0 && guard)
        r = ba_db_exec(cat, guard, err);
    g_free(guard);
    return r;
}

/* Chain the rows written before schema 6, in id order. */
int ba_db_audit_backfill(ba_catalog *cat, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, AUDIT_ROW_SQL, err);
    if (!st)
        return -1;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GPtrArray *chains = g_ptr_array_new_with_free_func(g_free);
    char prev[BA_SHA_MAX];
    memcpy(prev, AUDIT_CHAIN_ZERO, sizeof prev);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        char chain[BA_SHA_MAX];
        audit_chain_of_row(st, prev, chain);
        memcpy(prev, chain, sizeof prev);
        g_array_append_val(ids, id);
        g_ptr_array_add(chains, g_strdup(chain));
    }
    sqlite3_finalize(st);
    int r = rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "reading the audit log");
    if (r == 0 && ids->len)
        r = audit_write_chains(cat, ids, chains, err);
    g_array_free(ids, TRUE);
    g_ptr_array_free(chains, TRUE);
    return r;
}

/* ---- checks for verify ------------------------------------------------------ */

static void check_report(ba_check_fn fn, void *ud, int *problems, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void check_report(ba_check_fn fn, void *ud, int *problems, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fn(msg, ud);
    g_free(msg);
    (*problems)++;
}

/* Walk the chain in id order: each row must carry the hash of the previous
 * row's stored chain and its own values; ids must follow on without gaps.
 * Reports each gap, and the first row whose chain is wrong (with how many
 * more are), since after one edit every later row still chains correctly
 * onto the stored chain before it. */
static int audit_check_rows(ba_catalog *cat, ba_check_fn fn, void *ud, int64_t *last_id,
                            ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, AUDIT_ROW_SQL, err);
    if (!st)
        return -1;
    char prev[BA_SHA_MAX];
    memcpy(prev, AUDIT_CHAIN_ZERO, sizeof prev);
    bool prev_null = false;
    int64_t expect = 1, first_bad = 0;
    int problems = 0, n_bad = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id > expect)
            check_report(fn, ud, &problems,
                         "audit log rows %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " are missing "
                         "(deleted outside beforeafter)", expect, id - 1);
        char want[BA_SHA_MAX];
        audit_chain_of_row(st, prev_null ? NULL : prev, want);
        const char *have = (const char *)sqlite3_column_text(st, 8);
        if (!have || strcmp(have, want) != 0) {
            if (!first_bad)
                first_bad = id;
            n_bad++;
        }
        prev_null = !have;
        g_strlcpy(prev, have ? have : "", sizeof prev);
        expect = id + 1;
        *last_id = id;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "reading the audit log");
    if (first_bad)
        check_report(fn, ud, &problems,
                     "audit log row %" G_GINT64_FORMAT " breaks the hash chain (%d row%s in "
                     "all): it or the row before it was changed, added or deleted outside "
                     "beforeafter", first_bad, n_bad, n_bad == 1 ? "" : "s");
    return problems;
}

/* AUTOINCREMENT remembers the largest id ever used: a deleted last row
 * leaves it above the last id that remains. */
static int audit_check_sequence(ba_catalog *cat, int64_t last_id, ba_check_fn fn, void *ud,
                                ba_error *err)
{
    sqlite3_stmt *st =
        ba_db_prepare(cat, "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'", err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int64_t seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "reading sqlite_sequence");
    int problems = 0;
    if (seq > last_id)
        check_report(fn, ud, &problems,
                     "audit log rows %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " are missing: "
                     "the log reached row %" G_GINT64_FORMAT " (sqlite_sequence) but ends at "
                     "row %" G_GINT64_FORMAT, last_id + 1, seq, seq, last_id);
    else if (seq < last_id)
        check_report(fn, ud, &problems,
                     "audit log: sqlite_sequence says %" G_GINT64_FORMAT " rows but row %"
                     G_GINT64_FORMAT " exists: the sequence was changed outside beforeafter",
                     seq, last_id);
    return problems;
}

/* @s with every run of white space made one space (g_free it). */
static char *squeeze_space(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        bool space = g_ascii_isspace(*s);
        if (!space || (out->len && out->str[out->len - 1] != ' '))
            g_string_append_c(out, space ? ' ' : *s);
    }
    return g_string_free(out, FALSE);
}

/* Compare trigger @name (created by the schema as @want) with the catalog's. */
static void check_trigger(ba_catalog *cat, const char *name, const char *want, ba_check_fn fn,
                          void *ud, int *problems)
{
    char *have = trigger_sql(cat, name);
    char *a = have ? squeeze_space(have) : NULL, *b = squeeze_space(want);
    if (!have)
        check_report(fn, ud, problems, "trigger %s is missing: the audit log, consents and "
                     "exports it guards can be changed without an error", name);
    else if (strcmp(a, b) != 0)
        check_report(fn, ud, problems, "trigger %s differs from the schema's: the audit log, "
                     "consents and exports it guards may be changed without an error", name);
    g_free(a);
    g_free(b);
    g_free(have);
}

/* The schema as the migrations leave it, in memory; NULL with @err set. */
static sqlite3 *schema_in_memory(ba_catalog *cat, ba_error *err)
{
    sqlite3 *mem = NULL;
    int rc = sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < BA_SCHEMA_MIGRATION_COUNT; i++)
        rc = sqlite3_exec(mem, ba_schema_migrations[i], NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ba_error_set(err, BA_ERR_INTERNAL, "%s/catalog.db: cannot build the schema to compare "
                     "triggers with: %s", cat->dir, mem ? sqlite3_errmsg(mem) : "no memory");
        sqlite3_close(mem);
        return NULL;
    }
    return mem;
}

/* Every trigger the migrations create (as they leave it) must be in the
 * catalog, with the same text: the schema is built in memory to find them,
 * so that later migrations need no list kept by hand. */
static int audit_check_triggers(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err)
{
    sqlite3 *mem = schema_in_memory(cat, err);
    if (!mem)
        return -1;
    sqlite3_stmt *st = NULL;
    int problems = 0;
    if (sqlite3_prepare_v2(mem, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                           " ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
        ba_error_set(err, BA_ERR_INTERNAL, "%s/catalog.db: cannot list the schema's triggers: %s",
                     cat->dir, sqlite3_errmsg(mem));
        problems = -1;
    }
    while (st && sqlite3_step(st) == SQLITE_ROW)
        check_trigger(cat, (const char *)sqlite3_column_text(st, 0),
                      (const char *)sqlite3_column_text(st, 1), fn, ud, &problems);
    sqlite3_finalize(st);
    sqlite3_close(mem);
    return problems;
}

static int audit_check_snapshot(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err)
{
    int64_t last_id = 0;
    int rows = audit_check_rows(cat, fn, ud, &last_id, err);
    if (rows < 0)
        return -1;
    int seq = audit_check_sequence(cat, last_id, fn, ud, err);
    if (seq < 0)
        return -1;
    int triggers = audit_check_triggers(cat, fn, ud, err);
    return triggers < 0 ? -1 : rows + seq + triggers;
}

int ba_catalog_audit_check(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err)
{
    /* One read transaction: the rows and sqlite_sequence from the same
     * snapshot, or a row appended in between would look like a lost tail. */
    bool own = sqlite3_get_autocommit(cat->db);
    if (own && ba_db_exec(cat, "BEGIN", err))
        return -1;
    int r = audit_check_snapshot(cat, fn, ud, err);
    if (own)
        sqlite3_exec(cat->db, "COMMIT", NULL, NULL, NULL);
    return r;
}

int ba_catalog_audit_head(ba_catalog *cat, int64_t *id, char chain[BA_SHA_MAX], ba_error *err)
{
    sqlite3_stmt *st =
        ba_db_prepare(cat, "SELECT id, chain FROM audit_log ORDER BY id DESC LIMIT 1", err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc == SQLITE_ROW)
        ba_db_copy_col(st, 1, chain, BA_SHA_MAX);
    else
        memcpy(chain, AUDIT_CHAIN_ZERO, BA_SHA_MAX);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                 : ba_db_fail(cat, err, "reading the audit log");
}
