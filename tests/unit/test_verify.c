/* Unit tests of what verify relies on in the catalog (issue 10): the audit
 * log's hash chain (its exact format, recomputed here independently as an
 * outside auditor would; the backfill of rows older than schema 6; tampering
 * found), the write lock and the master lookup. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "testutil.h"
/* The raw writers: the audit chain and the write lock are tested directly. */
#include "../../src/lib/catalog/writers.h"
/* The real migrations, to build a schema-5 catalog as an old build left it. */
#include "../../src/lib/catalog/schema.h"

typedef tu_fixture fixture;
#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

static sqlite3 *raw_open(const char *dir)
{
    char *db = g_build_filename(dir, "catalog.db", NULL);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    g_free(db);
    return raw;
}

static void raw_exec(sqlite3 *raw, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(raw, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("'%s': %s", sql, msg ? msg : "");
}

/* The documented serialization (docs/CONSENT.md), written out again. */
static void field(GChecksum *h, const char *s)
{
    if (!s) {
        g_checksum_update(h, (const guchar *)"N", 1);
        return;
    }
    char *head = g_strdup_printf("S%zu:", strlen(s));
    g_checksum_update(h, (const guchar *)head, -1);
    g_checksum_update(h, (const guchar *)s, (gssize)strlen(s));
    g_free(head);
}

/* Recompute every row's chain from the previous row's stored chain and compare. */
static int rows_that_verify(sqlite3 *raw)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT id, at, action, client, objects, purpose,"
                                        " result, detail, chain, actor FROM audit_log ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    char prev[65];
    memset(prev, '0', 64);
    prev[64] = '\0';
    int good = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        GChecksum *h = g_checksum_new(G_CHECKSUM_SHA256);
        /* Rows with an actor (schema 7 on) are version 2 and end with it. */
        const char *actor = (const char *)sqlite3_column_text(st, 9);
        g_checksum_update(h, (const guchar *)(actor ? "beforeafter audit chain 2\n"
                                                    : "beforeafter audit chain 1\n"), -1);
        field(h, prev);
        field(h, (const char *)sqlite3_column_text(st, 0));
        for (int i = 1; i <= 7; i++)
            field(h, (const char *)sqlite3_column_text(st, i));
        if (actor)
            field(h, actor);
        const char *have = (const char *)sqlite3_column_text(st, 8);
        if (have && strcmp(have, g_checksum_get_string(h)) == 0)
            good++;
        g_strlcpy(prev, have ? have : "", sizeof prev);
        g_checksum_free(h);
    }
    sqlite3_finalize(st);
    return good;
}

static void count_problem(const char *msg, void *ud)
{
    (void)msg;
    (*(int *)ud)++;
}

static int audit_problems(ba_catalog *cat)
{
    int n = 0;
    ba_error err;
    int r = ba_catalog_audit_check(cat, count_problem, &n, &err);
    if (r < 0)
        fail_msg("audit check: %s", err.message);
    assert_int_equal(r, n);
    return n;
}

static void test_chain_format(void **state)
{
    fixture *f = *state;
    ba_error err;
    /* NULL and "" are the same to callers (both stored as NULL), but the
     * action and result are never NULL: "" there stays "". */
    ba_audit_entry rows[] = {
        {.action = "export", .client = "C-1", .objects = "export 1", .purpose = "marketing",
         .result = "ok", .detail = "two files"},
        {.action = "", .client = "", .objects = NULL, .result = "refused", .detail = ""},
        {.action = "consent-grant", .client = "C-1", .result = "ok",
         .detail = "S3:abc with a colon: and \"quotes\""},
    };
    assert_non_null(ba_catalog_actor(f->cat));
    assert_true(ba_catalog_actor(f->cat)[0] != '\0'); /* the OS user by default */
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (i == 2)
            ba_catalog_set_actor(f->cat, "dr.jones");
        assert_int_equal(ba_catalog_audit_add(f->cat, &rows[i], &err), 0);
    }
    ba_catalog_set_actor(f->cat, NULL);
    assert_int_equal(audit_problems(f->cat), 0);

    sqlite3 *raw = raw_open(f->dir);
    assert_int_equal(rows_that_verify(raw), 3);
    sqlite3_stmt *who = NULL;
    sqlite3_prepare_v2(raw, "SELECT actor FROM audit_log WHERE id = 3", -1, &who, NULL);
    assert_int_equal(sqlite3_step(who), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(who, 0), "dr.jones");
    sqlite3_finalize(who);
    int64_t id = 0;
    char head[BA_SHA_MAX];
    assert_int_equal(ba_catalog_audit_head(f->cat, &id, head, &err), 0);
    assert_int_equal(id, 3);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(raw, "SELECT chain FROM audit_log WHERE id = 3", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), head);
    sqlite3_finalize(st);

    /* The actor is covered: changing who did it shows (beside the dropped
     * trigger), and putting it back clears the chain problem. */
    raw_exec(raw, "DROP TRIGGER audit_log_no_update;"
                  "UPDATE audit_log SET actor = 'someone else' WHERE id = 3;");
    sqlite3_close(raw);
    assert_int_equal(audit_problems(f->cat), 2);
    raw = raw_open(f->dir);
    raw_exec(raw, "UPDATE audit_log SET actor = 'dr.jones' WHERE id = 3;");
    sqlite3_close(raw);
    assert_int_equal(audit_problems(f->cat), 1);

    /* Moving a value between neighbouring fields keeps the concatenation
     * but not the chain. */
    raw = raw_open(f->dir);
    raw_exec(raw, "UPDATE audit_log SET objects = 'export', purpose = '1 marketing' WHERE id = 1;");
    sqlite3_close(raw);
    assert_true(audit_problems(f->cat) >= 2); /* the chain and the dropped trigger */
}

static void test_tampering_found(void **state)
{
    fixture *f = *state;
    ba_error err;
    ba_audit_entry a = {.action = "test", .client = "C-1", .result = "ok", .detail = "x"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(ba_catalog_audit_add(f->cat, &a, &err), 0);
    assert_int_equal(audit_problems(f->cat), 0);
    sqlite3 *raw = raw_open(f->dir);
    /* A forged row without a chain, added with the triggers in place. */
    raw_exec(raw, "INSERT INTO audit_log(at, action, result) VALUES('2026-01-01T00:00:00Z',"
                  " 'forged', 'ok')");
    assert_int_equal(audit_problems(f->cat), 1);
    /* The library chains its next row onto it (it cannot tell), and the
     * forged row stays reported. */
    assert_int_equal(ba_catalog_audit_add(f->cat, &a, &err), 0);
    assert_int_equal(audit_problems(f->cat), 1);
    /* sqlite_sequence moved back under the last row. */
    raw_exec(raw, "UPDATE sqlite_sequence SET seq = 2 WHERE name = 'audit_log'");
    assert_int_equal(audit_problems(f->cat), 2);
    sqlite3_close(raw);
}

/* A catalog as a schema-5 build left it, with audit rows and no chain. */
static void make_schema5(const char *dir)
{
    assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
    char *masters = g_build_filename(dir, "masters", NULL);
    char *tmp = g_build_filename(dir, "tmp", NULL);
    g_mkdir_with_parents(masters, 0700);
    g_mkdir_with_parents(tmp, 0700);
    g_free(masters);
    g_free(tmp);
    sqlite3 *raw = raw_open(dir);
    for (int v = 0; v < 5; v++)
        raw_exec(raw, ba_schema_migrations[v]);
    raw_exec(raw, "PRAGMA user_version = 5; PRAGMA application_id = 1111574100;"
                  "INSERT INTO clients(code, created_at) VALUES('C-1', '2025-01-01T00:00:00Z');"
                  "INSERT INTO audit_log(at, action, client, result) VALUES"
                  " ('2025-01-02T00:00:00Z', 'consent-grant', 'C-1', 'ok'),"
                  " ('2025-01-03T00:00:00Z', 'export', NULL, 'refused'),"
                  " ('2025-01-04T00:00:00Z', 'consent-revoke', 'C-1', 'ok');");
    sqlite3_close(raw);
}

static void test_backfill_on_upgrade(void **state)
{
    (void)state;
    char *top = tu_tmpdir();
    char *dir = g_build_filename(top, "old", NULL);
    make_schema5(dir);
    ba_error err;
    ba_catalog *cat = ba_catalog_open(dir, &err);
    if (!cat)
        fail_msg("open: %s", err.message);
    assert_int_equal(audit_problems(cat), 0);
    sqlite3 *raw = raw_open(dir);
    assert_int_equal(rows_that_verify(raw), 3);
    /* The update trigger lifted for the backfill is back, as it was. */
    char *msg = NULL;
    assert_int_not_equal(sqlite3_exec(raw, "UPDATE audit_log SET result = 'x'", NULL, NULL, &msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    sqlite3_close(raw);
    /* New rows chain on. */
    ba_audit_entry a = {.action = "test", .result = "ok"};
    assert_int_equal(ba_catalog_audit_add(cat, &a, &err), 0);
    assert_int_equal(audit_problems(cat), 0);
    ba_catalog_close(cat);
    tu_rmtree(top);
    g_free(dir);
    g_free(top);
}

typedef struct lock_probe {
    const char *dir;
    bool locked;
    int other_write; /* what another connection's write got meanwhile */
    int referenced;
    const char *sha;
} lock_probe;

static int probe(ba_catalog *cat, bool locked, void *ud, ba_error *err)
{
    lock_probe *p = ud;
    p->locked = locked;
    sqlite3 *raw = raw_open(p->dir);
    sqlite3_busy_timeout(raw, 0);
    p->other_write = sqlite3_exec(raw, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    sqlite3_close(raw);
    p->referenced = ba_catalog_master_referenced(cat, p->sha, err);
    return 0;
}

static void test_write_lock(void **state)
{
    fixture *f = *state;
    ba_error err;
    char sha[65];
    memset(sha, 'a', 64);
    sha[64] = '\0';
    lock_probe p = {.dir = f->dir, .sha = sha};
    assert_int_equal(ba_catalog_with_write_lock(f->cat, probe, &p, &err), 0);
    assert_true(p.locked);
    assert_int_equal(p.other_write & 0xff, SQLITE_BUSY); /* every writer waits */
    assert_int_equal(p.referenced, 0);
    assert_int_equal(ba_catalog_master_referenced(f->cat, sha, &err), 0);
    /* Released afterwards: another writer gets in at once. */
    sqlite3 *raw = raw_open(f->dir);
    sqlite3_busy_timeout(raw, 0);
    assert_int_equal(sqlite3_exec(raw, "BEGIN IMMEDIATE; ROLLBACK;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampering_found, setup, teardown),
        cmocka_unit_test(test_backfill_on_upgrade),
        cmocka_unit_test_setup_teardown(test_write_lock, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
