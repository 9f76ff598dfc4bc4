/* Erasure of a client's record (catalog/record.h; the rule is in
 * include/beforeafter/record.h): one write transaction that removes the rows,
 * redacts the audit rows that name the client, re-chains the audit log and
 * appends a tombstone; then compaction, so that no page keeps the old bytes. */
#include "catalog/db.h"
#include "catalog/record.h"

#include <stdio.h>
#include <string.h>

#include "library/paths.h"

/* What a redacted audit row's detail says instead. */
#define REDACTED "{\"redacted\":\"client-erase\"}"

/* What names the client in free text: its code or its name (3 characters or
 * more), in any case, as a whole word — not inside a longer code ("C-1" is
 * not in "C-12") but wherever anything other than a letter or digit is
 * beside it ("out-C-1/", "\"C-1\"").  NULL when there is nothing to find. */
static GRegex *mentions_regex(const char *code, const char *name)
{
    GString *pat = g_string_new(NULL);
    const char *words[] = {code, name && strlen(name) >= 3 ? name : NULL};
    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        if (!words[i] || !*words[i])
            continue;
        char *esc = g_regex_escape_string(words[i], -1);
        g_string_append_printf(pat, "%s(?<![A-Za-z0-9])%s(?![A-Za-z0-9])", pat->len ? "|" : "",
                               esc);
        g_free(esc);
    }
    GRegex *re = pat->len ? g_regex_new(pat->str, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL)
                          : NULL;
    g_string_free(pat, TRUE);
    return re;
}

/* @s with every mention (mentions_regex()) replaced by "[erased]"; g_free it. */
static char *redact_with(GRegex *re, const char *s)
{
    char *out = re ? g_regex_replace_literal(re, s ? s : "", -1, 0, "[erased]", 0, NULL) : NULL;
    return out ? out : g_strdup(s ? s : "");
}

/* SQL ba_mentions(TEXT): 1 when TEXT mentions the client being erased. */
static void sql_mentions(sqlite3_context *ctx, int n, sqlite3_value **v)
{
    (void)n;
    GRegex *re = sqlite3_user_data(ctx);
    const char *s = (const char *)sqlite3_value_text(v[0]);
    sqlite3_result_int(ctx, re && s && g_regex_match(re, s, 0, NULL));
}

/* SQL ba_redact(TEXT): TEXT with the mentions replaced (NULL stays NULL). */
static void sql_redact(sqlite3_context *ctx, int n, sqlite3_value **v)
{
    (void)n;
    if (sqlite3_value_type(v[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    char *out = redact_with(sqlite3_user_data(ctx), (const char *)sqlite3_value_text(v[0]));
    sqlite3_result_text(ctx, out, -1, g_free);
}

static int exec_id(ba_catalog *cat, const char *sql, int64_t id, const char *text, int *changed,
                   ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        ba_db_bind_text_or_null(st, 2, text);
    if (sqlite3_bind_parameter_count(st) >= 3)
        ba_db_bind_text_or_null(st, 3, NULL);
    int rc = ba_db_step_once(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "erasing the client's rows");
    if (changed)
        *changed = sqlite3_changes(cat->db);
    return 0;
}

/* ---- the triggers that guard append-only tables ------------------------------ */

typedef struct trigger {
    char *name, *sql;
} trigger;

static void trigger_free(gpointer p)
{
    trigger *t = p;
    g_free(t->name);
    g_free(t->sql);
    g_free(t);
}

/* Drop every trigger, keeping its text to put it back as it was: erasure is
 * the one change that removes consents, exports and audit details, and DDL
 * is part of the transaction, so no other writer ever sees them lifted. */
static int lift_triggers(ba_catalog *cat, GPtrArray *saved, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        cat, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        trigger *t = g_new0(trigger, 1);
        t->name = g_strdup((const char *)sqlite3_column_text(st, 0));
        t->sql = g_strdup((const char *)sqlite3_column_text(st, 1));
        g_ptr_array_add(saved, t);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(cat, err, "reading the catalog's triggers");
    for (guint i = 0; i < saved->len; i++) {
        trigger *t = g_ptr_array_index(saved, i);
        char *q = sqlite3_mprintf("DROP TRIGGER \"%w\"", t->name);
        int r = ba_db_exec(cat, q, err);
        sqlite3_free(q);
        if (r)
            return -1;
    }
    return 0;
}

static int restore_triggers(ba_catalog *cat, GPtrArray *saved, ba_error *err)
{
    for (guint i = 0; i < saved->len; i++) {
        trigger *t = g_ptr_array_index(saved, i);
        if (t->sql && ba_db_exec(cat, t->sql, err))
            return -1;
    }
    return 0;
}

/* ---- the parts ------------------------------------------------------------------ */

typedef struct erase_job {
    ba_catalog *cat;
    int64_t id;
    char code[BA_CODE_MAX];
    char *name;
    char newest[BA_DATE_MAX];
    const char *override_reason;
    int retention;
    char cutoff[BA_DATE_MAX];
    GPtrArray *files;
    ba_db_erased *out;
    JsonBuilder *exports; /* the list of exports to take down, as it goes into the tombstone */
    GRegex *mentions;     /* the code and name in free text (mentions_regex()) */
    JsonBuilder *outputs; /* comparison files written outside the library, to remove */
} erase_job;

static int find_client(erase_job *j, const char *code, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        j->cat,
        "SELECT id, code, name, (SELECT max(date) FROM sessions WHERE client_id = clients.id)"
        " FROM clients WHERE code = ?1 COLLATE NOCASE ORDER BY code = ?1 DESC",
        err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        j->id = sqlite3_column_int64(st, 0);
        ba_db_copy_col(st, 1, j->code, sizeof j->code);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            j->name = g_strdup((const char *)sqlite3_column_text(st, 2));
        ba_db_copy_col(st, 3, j->newest, sizeof j->newest);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "client '%s' does not exist", code);
        return -1;
    }
    return rc == SQLITE_ROW ? 0 : ba_db_fail(j->cat, err, "reading a client");
}

/* Records younger than the library's retention period are kept, unless the
 * caller gives a reason to erase them anyway. */
static int check_retention(erase_job *j, ba_error *err)
{
    if (ba_db_retention_get(j->cat, &j->retention, err))
        return -1;
    if (j->retention <= 0 || !j->newest[0])
        return 0;
    char today[BA_DATE_MAX];
    ba_catalog_today(j->cat, today);
    int y = 0, m = 0, d = 0;
    if (sscanf(j->newest, "%d-%d-%d", &y, &m, &d) != 3 || !g_date_valid_dmy(d, m, y))
        return 0;
    GDate *until = g_date_new_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
    g_date_add_years(until, (guint)j->retention);
    g_date_strftime(j->cutoff, sizeof j->cutoff, "%Y-%m-%d", until);
    g_date_free(until);
    if (strcmp(today, j->cutoff) >= 0)
        return 0;
    if (j->override_reason && *j->override_reason)
        return 0;
    ba_error_set(err, BA_ERR_REFUSED,
                 "client %s: the newest session (%s) is inside the library's retention period "
                 "of %d year%s (until %s); nothing erased",
                 j->code, j->newest, j->retention, j->retention == 1 ? "" : "s", j->cutoff);
    ba_error_hint(err, BA_HINT_OVERRIDE_RETENTION);
    return -1;
}

/* The ids of what goes, in temporary tables (the temp store, never the
 * library's files), read before any row is deleted. */
static int mark_rows(erase_job *j, ba_error *err)
{
    if (ba_db_exec(j->cat,
                   "DROP TABLE IF EXISTS temp.er_photos; DROP TABLE IF EXISTS temp.er_comps;"
                   "DROP TABLE IF EXISTS temp.er_consents; DROP TABLE IF EXISTS temp.er_exports;",
                   err))
        return -1;
    static const char *const sql[] = {
        "CREATE TEMP TABLE er_photos AS SELECT p.id FROM photos p JOIN sessions s"
        " ON s.id = p.session_id WHERE s.client_id = ?1",
        "CREATE TEMP TABLE er_comps AS SELECT DISTINCT comparison_id AS id FROM comparison_photos"
        " WHERE photo_id IN (SELECT id FROM temp.er_photos)",
        "CREATE TEMP TABLE er_consents AS SELECT id FROM consents WHERE client_id = ?1",
        "CREATE TEMP TABLE er_exports AS SELECT export_id AS id FROM export_items"
        " WHERE comparison_id IN (SELECT id FROM temp.er_comps) UNION SELECT export_id"
        " FROM export_consents WHERE consent_id IN (SELECT id FROM temp.er_consents)",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sql); i++)
        if (exec_id(j->cat, sql[i], j->id, NULL, NULL, err))
            return -1;
    return 0;
}

/* The files of the rows that go (removed after the commit when no row that
 * stays names them) and the exports that showed the client: their
 * destinations and files are what someone has to take down. */
static int collect(erase_job *j, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        j->cat,
        "SELECT 'm', master_sha256, NULL FROM photos WHERE id IN (SELECT id FROM temp.er_photos)"
        " UNION ALL SELECT 'r', sha256, render FROM comparisons"
        "  WHERE id IN (SELECT id FROM temp.er_comps) AND render <> ''"
        " UNION ALL SELECT 'c', evidence_sha256, evidence_path FROM consents"
        "  WHERE id IN (SELECT id FROM temp.er_consents) AND evidence_path <> ''",
        err);
    if (!st)
        return -1;
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *sha = (const char *)sqlite3_column_text(st, 1);
        char path[128];
        const char *rel = (const char *)sqlite3_column_text(st, 2);
        if (kind[0] == 'm') {
            ba_path_master(sha, path, sizeof path);
            rel = path;
        }
        if (!rel || g_hash_table_contains(seen, rel))
            continue;
        g_hash_table_add(seen, g_strdup(rel));
        ba_db_file *f = g_new0(ba_db_file, 1);
        f->rel = g_strdup(rel);
        f->sha256 = g_strdup(sha ? sha : "");
        f->as = g_strdup(rel);
        g_ptr_array_add(j->files, f);
    }
    sqlite3_finalize(st);
    g_hash_table_destroy(seen);
    if (rc != SQLITE_DONE)
        return ba_db_fail(j->cat, err, "listing the client's files");

    st = ba_db_prepare(j->cat,
                       "SELECT e.id, e.purpose, e.created_at, e.destination, e.status,"
                       " (SELECT group_concat(file, char(10)) FROM export_items"
                       "   WHERE export_id = e.id)"
                       " FROM exports e WHERE e.id IN (SELECT id FROM temp.er_exports)"
                       " ORDER BY e.id",
                       err);
    if (!st)
        return -1;
    json_builder_begin_array(j->exports);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        j->out->exports_listed++;
        json_builder_begin_object(j->exports);
        json_builder_set_member_name(j->exports, "export_id");
        json_builder_add_int_value(j->exports, sqlite3_column_int64(st, 0));
        static const char *const names[] = {"purpose", "created_at", "destination", "status"};
        for (int i = 0; i < 4; i++) {
            char *v = redact_with(j->mentions, (const char *)sqlite3_column_text(st, 1 + i));
            json_builder_set_member_name(j->exports, names[i]);
            json_builder_add_string_value(j->exports, v);
            g_free(v);
        }
        json_builder_set_member_name(j->exports, "files");
        json_builder_begin_array(j->exports);
        const char *files = (const char *)sqlite3_column_text(st, 5);
        char **list = g_strsplit(files ? files : "", "\n", -1);
        for (char **f = list; *f; f++) {
            if (!**f)
                continue;
            char *v = redact_with(j->mentions, *f);
            json_builder_add_string_value(j->exports, v);
            g_free(v);
        }
        g_strfreev(list);
        json_builder_add_string_value(j->exports, "export.json");
        json_builder_add_string_value(j->exports, "export.json.sig");
        json_builder_end_array(j->exports);
        json_builder_end_object(j->exports);
    }
    json_builder_end_array(j->exports);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ba_db_fail(j->cat, err, "listing the client's exports");
    /* Where the user had comparisons written (compare -o): outside the
     * library, so only listed, for whoever removes them. */
    st = ba_db_prepare(j->cat,
                       "SELECT DISTINCT output FROM comparisons WHERE id IN"
                       " (SELECT id FROM temp.er_comps) AND output IS NOT NULL AND output <> ''"
                       " ORDER BY 1",
                       err);
    if (!st)
        return -1;
    json_builder_begin_array(j->outputs);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *v = redact_with(j->mentions, (const char *)sqlite3_column_text(st, 0));
        json_builder_add_string_value(j->outputs, v);
        g_free(v);
    }
    json_builder_end_array(j->outputs);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(j->cat, err, "listing the client's outputs");
}

/* Delete the rows, children first (foreign keys are on). */
static int delete_rows(erase_job *j, ba_error *err)
{
    ba_db_erased *o = j->out;
    struct {
        const char *sql;
        int *count;
    } steps[] = {
        {"DELETE FROM export_items WHERE comparison_id IN (SELECT id FROM temp.er_comps)",
         &o->export_items},
        {"DELETE FROM export_consents WHERE consent_id IN (SELECT id FROM temp.er_consents)",
         NULL},
        /* An export of this client alone goes; one that also showed others
         * keeps its row and their items (its destination is still listed). */
        {"DELETE FROM exports WHERE id IN (SELECT id FROM temp.er_exports)"
         " AND NOT EXISTS (SELECT 1 FROM export_items WHERE export_id = exports.id)"
         " AND NOT EXISTS (SELECT 1 FROM export_consents WHERE export_id = exports.id)",
         &o->exports},
        {"DELETE FROM comparison_photos WHERE comparison_id IN (SELECT id FROM temp.er_comps)",
         NULL},
        {"DELETE FROM comparisons WHERE id IN (SELECT id FROM temp.er_comps)", &o->comparisons},
        {"DELETE FROM alignments WHERE photo_id IN (SELECT id FROM temp.er_photos)"
         " OR reference_id IN (SELECT id FROM temp.er_photos)",
         &o->alignments},
        {"DELETE FROM photo_areas WHERE photo_id IN (SELECT id FROM temp.er_photos)", NULL},
        {"DELETE FROM photos WHERE id IN (SELECT id FROM temp.er_photos)", &o->photos},
        {"DELETE FROM sessions WHERE client_id = ?1", &o->sessions},
        {"DELETE FROM consents WHERE client_id = ?1", &o->consents},
        {"DELETE FROM clients WHERE id = ?1", NULL},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++)
        if (exec_id(j->cat, steps[i].sql, j->id, NULL, steps[i].count, err))
            return -1;
    return 0;
}

/* Rows that stay but named the client: its audit rows (action, objects as
 * ids, actor and time stay; the code and the details go), access rows, and
 * the destination or caption of an export that also showed others. */
static int redact_rows(erase_job *j, ba_error *err)
{
    /* The words to look for in free text, as SQL functions of this handle. */
    if (sqlite3_create_function(j->cat->db, "ba_mentions", 1, SQLITE_UTF8, j->mentions,
                                sql_mentions, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(j->cat->db, "ba_redact", 1, SQLITE_UTF8, j->mentions, sql_redact,
                                NULL, NULL) != SQLITE_OK)
        return ba_db_fail(j->cat, err, "preparing the redaction");
    static const char *const sql[] = {
        "UPDATE audit_log SET client = CASE WHEN client = ?1 COLLATE NOCASE THEN NULL"
        " ELSE client END, detail = '" REDACTED "'"
        " WHERE client = ?1 COLLATE NOCASE OR ba_mentions(detail) OR ba_mentions(objects)",
        "UPDATE access_log SET client = CASE WHEN client = ?1 COLLATE NOCASE THEN NULL"
        " ELSE client END, object = CASE WHEN ba_mentions(object) THEN NULL ELSE object END"
        " WHERE client = ?1 COLLATE NOCASE OR ba_mentions(object)",
        ("UPDATE exports SET destination = ba_redact(destination), caption = ba_redact(caption)"
         " WHERE ba_mentions(destination) OR ba_mentions(caption)"),
    };
    int *counts[] = {&j->out->audit_redacted, &j->out->access_redacted, NULL};
    int r = 0;
    for (size_t i = 0; r == 0 && i < G_N_ELEMENTS(sql); i++) {
        sqlite3_stmt *st = ba_db_prepare(j->cat, sql[i], err);
        if (!st) {
            r = -1;
            break;
        }
        sqlite3_bind_text(st, 1, j->code, -1, SQLITE_TRANSIENT);
        if (ba_db_step_once(st) != SQLITE_DONE)
            r = ba_db_fail(j->cat, err, "redacting what names the client");
        else if (counts[i])
            *counts[i] = sqlite3_changes(j->cat->db);
    }
    sqlite3_create_function(j->cat->db, "ba_mentions", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
    sqlite3_create_function(j->cat->db, "ba_redact", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
    return r;
}

/* Files named by a row that stays (a render two comparisons share, a form
 * two consents point at) are kept. */
static int keep_shared_files(erase_job *j, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(
        j->cat,
        "SELECT EXISTS (SELECT 1 FROM comparisons WHERE render = ?1)"
        " OR EXISTS (SELECT 1 FROM consents WHERE evidence_path = ?1)",
        err);
    if (!st)
        return -1;
    for (guint i = j->files->len; i-- > 0;) {
        ba_db_file *f = g_ptr_array_index(j->files, i);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, f->rel, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            return ba_db_fail(j->cat, err, "checking the client's files");
        }
        if (sqlite3_column_int(st, 0))
            g_ptr_array_remove_index(j->files, i);
    }
    sqlite3_finalize(st);
    return 0;
}

static void add_head(JsonBuilder *b, const char *member, int64_t id, const char *chain)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "audit_id");
    json_builder_add_int_value(b, id);
    json_builder_set_member_name(b, "chain");
    json_builder_add_string_value(b, chain);
    json_builder_end_object(b);
}

static void add_count(JsonBuilder *b, const char *name, int n)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, n);
}

/* The tombstone's detail: counts, exports to take down, retention, the chain
 * before and after the redaction.  No code, no name. */
static char *tombstone_detail(erase_job *j, int64_t old_id, const char *old_chain,
                              int64_t new_id, const char *new_chain)
{
    ba_db_erased *o = j->out;
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    add_count(b, "client_id", (int)j->id);
    json_builder_set_member_name(b, "erased");
    json_builder_begin_object(b);
    add_count(b, "sessions", o->sessions);
    add_count(b, "photos", o->photos);
    add_count(b, "alignments", o->alignments);
    add_count(b, "comparisons", o->comparisons);
    add_count(b, "consents", o->consents);
    add_count(b, "exports", o->exports);
    add_count(b, "export_items", o->export_items);
    add_count(b, "files", (int)j->files->len);
    add_count(b, "audit_rows_redacted", o->audit_redacted);
    add_count(b, "access_rows_redacted", o->access_redacted);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "exports_to_take_down");
    JsonNode *ex = json_builder_get_root(j->exports);
    json_builder_add_value(b, ex ? ex : json_node_new(JSON_NODE_NULL));
    json_builder_set_member_name(b, "outputs_to_remove");
    JsonNode *outs = json_builder_get_root(j->outputs);
    json_builder_add_value(b, outs ? outs : json_node_new(JSON_NODE_NULL));
    json_builder_set_member_name(b, "retention");
    json_builder_begin_object(b);
    add_count(b, "years", j->retention);
    json_builder_set_member_name(b, "until");
    if (j->cutoff[0])
        json_builder_add_string_value(b, j->cutoff);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "override");
    if (j->override_reason && *j->override_reason) {
        char *r = redact_with(j->mentions, j->override_reason);
        json_builder_add_string_value(b, r);
        g_free(r);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "audit_chain");
    json_builder_begin_object(b);
    add_head(b, "before", old_id, old_chain);
    add_head(b, "after_redaction", new_id, new_chain);
    json_builder_end_object(b);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *s = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    return s;
}

static int erase_in_txn(erase_job *j, const char *code, ba_error *err)
{
    if (find_client(j, code, err))
        return -1;
    j->mentions = mentions_regex(j->code, j->name);
    if (check_retention(j, err) || mark_rows(j, err) || collect(j, err))
        return -1;
    int64_t old_id = 0, new_id = 0;
    char old_chain[BA_SHA_MAX], new_chain[BA_SHA_MAX];
    if (ba_catalog_audit_head(j->cat, &old_id, old_chain, err))
        return -1;
    GPtrArray *saved = g_ptr_array_new_with_free_func(trigger_free);
    int r = lift_triggers(j->cat, saved, err) || delete_rows(j, err) || redact_rows(j, err) ||
            keep_shared_files(j, err);
    /* The redacted rows no longer hash to their chain: chain every row
     * again, so verify stays clean, and say so in the tombstone. */
    if (r == 0 && j->out->audit_redacted && ba_db_audit_backfill(j->cat, err))
        r = -1;
    if (r == 0 && ba_catalog_audit_head(j->cat, &new_id, new_chain, err))
        r = -1;
    if (r == 0 && restore_triggers(j->cat, saved, err))
        r = -1;
    g_ptr_array_free(saved, TRUE);
    if (r)
        return -1;
    char *detail = tombstone_detail(j, old_id, old_chain, new_id, new_chain);
    char objects[48];
    snprintf(objects, sizeof objects, "client %" G_GINT64_FORMAT, j->id);
    ba_audit_entry a = {.action = "client-erase", .objects = objects, .result = "ok",
                        .detail = detail};
    r = ba_db_audit_insert(j->cat, &a, NULL, err);
    g_free(detail);
    if (r == 0)
        j->out->tombstone_id = new_id + 1;
    if (r == 0)
        r = ba_db_exec(j->cat,
                       "DROP TABLE temp.er_photos; DROP TABLE temp.er_comps;"
                       "DROP TABLE temp.er_consents; DROP TABLE temp.er_exports;",
                       err);
    return r;
}

int ba_db_client_erase(ba_catalog *cat, const char *code, const char *override_reason,
                       GPtrArray *files, ba_db_erased *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    /* Freed pages are overwritten with zeros as they are freed. */
    if (ba_db_exec(cat, "PRAGMA secure_delete=ON", err) || ba_db_begin(cat, err))
        return -1;
    erase_job j = {.cat = cat, .override_reason = override_reason, .files = files,
                   .out = out, .exports = json_builder_new(), .outputs = json_builder_new()};
    int r = erase_in_txn(&j, code, err);
    if (r == 0 && ba_db_commit(cat, err))
        r = -1;
    if (r) {
        ba_db_rollback(cat);
        g_ptr_array_set_size(files, 0);
        sqlite3_exec(cat->db,
                     "DROP TABLE IF EXISTS temp.er_photos; DROP TABLE IF EXISTS temp.er_comps;"
                     "DROP TABLE IF EXISTS temp.er_consents; DROP TABLE IF EXISTS temp.er_exports;",
                     NULL, NULL, NULL);
    } else {
        out->client_id = j.id;
    }
    g_free(j.name);
    if (j.mentions)
        g_regex_unref(j.mentions);
    g_object_unref(j.exports);
    g_object_unref(j.outputs);
    return r;
}

/* ---- compaction -------------------------------------------------------------------- */

/* PRAGMA wal_checkpoint(TRUNCATE): 0 when every frame was copied and the WAL
 * emptied, 1 when a reader kept it from finishing, -1 on error. */
static int checkpoint(ba_catalog *cat, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, "PRAGMA wal_checkpoint(TRUNCATE)", err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int busy = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_BUSY)
        return ba_db_fail(cat, err, "checkpointing the catalog");
    return busy ? 1 : 0;
}

int ba_db_compact(ba_catalog *cat, ba_error *err)
{
    if (ba_db_exec(cat, "PRAGMA secure_delete=ON", err))
        return -1;
    int c = 1;
    for (int i = 0; i < 100 && c == 1; i++) {
        if (i)
            g_usleep(100 * 1000);
        c = checkpoint(cat, err);
    }
    if (c < 0 || ba_db_exec(cat, "VACUUM", err))
        return -1;
    c = 1;
    for (int i = 0; i < 100 && c == 1; i++) {
        if (i)
            g_usleep(100 * 1000);
        c = checkpoint(cat, err);
    }
    if (c < 0)
        return -1;
    if (c == 1) {
        ba_error_set(err, BA_ERR_BUSY,
                     "%s/catalog.db: another process kept reading old pages: catalog.db-wal "
                     "may still hold erased bytes until the next checkpoint",
                     cat->dir);
        return -1;
    }
    return 0;
}
