/* Unit tests of the catalog: library creation, validation, sessions, duplicates. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "testutil.h"
#include "../../src/lib/catalog/writers.h"

static void test_create_open_refuse(void **state)
{
    (void)state;
    ba_error err;
    char *tmp = tu_tmpdir();
    char *lib = g_build_filename(tmp, "lib", NULL);
    ba_catalog *cat = ba_catalog_create(lib, &err);
    assert_non_null(cat);
    ba_catalog_close(cat);
    /* Again: already a library. */
    assert_null(ba_catalog_create(lib, &err));
    assert_int_equal(err.code, BA_ERR_EXISTS);
    cat = ba_catalog_open(lib, &err);
    assert_non_null(cat);
    ba_catalog_close(cat);

    /* A folder holding something else is not touched. */
    char *other = g_build_filename(tmp, "other", NULL);
    g_mkdir(other, 0755);
    char *precious = g_build_filename(other, "precious.txt", NULL);
    g_file_set_contents(precious, "keep", -1, NULL);
    assert_null(ba_catalog_create(other, &err));
    assert_int_equal(err.code, BA_ERR_CATALOG);
    assert_null(ba_catalog_open(other, &err));
    assert_int_equal(err.code, BA_ERR_CATALOG);
    assert_int_equal(err.hint, BA_HINT_INIT); /* the CLI words it: 'beforeafter ... init' */
    char *db = g_build_filename(other, "catalog.db", NULL);
    assert_false(g_file_test(db, G_FILE_TEST_EXISTS));

    /* A catalog.db that is not ours, or from the future, is refused. */
    g_file_set_contents(db, "this is not sqlite", -1, NULL);
    assert_null(ba_catalog_open(other, &err));
    assert_int_equal(err.code, BA_ERR_CATALOG);
    g_unlink(db);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_exec(raw, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(raw);
    assert_null(ba_catalog_open(other, &err));
    assert_int_equal(err.code, BA_ERR_CATALOG);
    assert_non_null(strstr(err.message, "not a beforeafter catalog"));
    char *libdb = g_build_filename(lib, "catalog.db", NULL);
    assert_int_equal(sqlite3_open(libdb, &raw), SQLITE_OK);
    sqlite3_exec(raw, "PRAGMA user_version=999", NULL, NULL, NULL);
    sqlite3_close(raw);
    assert_null(ba_catalog_open(lib, &err));
    assert_int_equal(err.code, BA_ERR_CATALOG);
    assert_non_null(strstr(err.message, "newer"));

    tu_rmtree(tmp);
    g_free(libdb);
    g_free(db);
    g_free(precious);
    g_free(other);
    g_free(lib);
    g_free(tmp);
}

static void test_dates(void **state)
{
    (void)state;
    const char *good[] = {"2026-01-02", "2024-02-29", "1999-12-31"};
    const char *bad[] = {"2026-13-45", "03/02/2026", "2026-02-30", "2023-02-29", "2026-1-2",
                         "2026-01-02x", "", "2026+01-02", "20260102", "2026-0a-02"};
    ba_error err;
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
        assert_int_equal(ba_date_check(good[i], &err), 0);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_int_equal(ba_date_check(bad[i], &err), -1);
        assert_int_equal(err.code, BA_ERR_USAGE);
        assert_non_null(strstr(err.message, bad[i]));
    }
    assert_int_equal(ba_date_check(NULL, &err), -1);
}

static void test_clients_and_areas(void **state)
{
    (void)state;
    char *dir;
    ba_catalog *cat = tu_library(&dir);
    ba_error err;
    assert_int_equal(ba_catalog_client_add(cat, "C-1", NULL, NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_EXISTS);
    const char *bad_codes[] = {"", "-x", "a b", "C/1", "ééé", "0123456789012345678901234567890123"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad_codes); i++) {
        assert_int_equal(ba_catalog_client_add(cat, bad_codes[i], NULL, NULL, &err), -1);
        assert_int_equal(err.code, BA_ERR_USAGE);
    }
    ba_client c;
    assert_int_equal(ba_catalog_client_get(cat, "C-1", &c, &err), 0);
    assert_string_equal(c.name, "Test Client");
    assert_int_equal(ba_catalog_client_get(cat, "C-2", &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);

    assert_int_equal(ba_catalog_area_check(cat, "cheeks", &err), 0);
    assert_int_equal(ba_catalog_area_check(cat, "elbow", &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    /* The message lists the seeded vocabulary. */
    const char *seeded[] = {"forehead", "glabella", "crows-feet", "cheeks", "neck", "decolletage",
                            "abdomen", "hips", "thighs", "bust", "scar", "hands", "lips"};
    for (size_t i = 0; i < G_N_ELEMENTS(seeded); i++)
        assert_non_null(strstr(err.message, seeded[i]));
    assert_int_equal(ba_catalog_area_add(cat, "elbow", &err), 0);
    assert_int_equal(ba_catalog_area_check(cat, "elbow", &err), 0);
    assert_int_equal(ba_catalog_area_add(cat, "elbow", &err), -1);
    assert_int_equal(err.code, BA_ERR_EXISTS);
    assert_int_equal(ba_catalog_area_add(cat, "Elbow Left", &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);

    ba_catalog_close(cat);
    char *parent = g_path_get_dirname(dir);
    tu_rmtree(parent);
    g_free(parent);
    g_free(dir);
}

static void fill(ba_photo *p, const char *date, const char *orig, const char *master)
{
    memset(p, 0, sizeof *p);
    ba_capture_init(&p->capture);
    g_strlcpy(p->client, "C-1", sizeof p->client);
    g_strlcpy(p->area, "cheeks", sizeof p->area);
    g_strlcpy(p->session_date, date, sizeof p->session_date);
    g_strlcpy(p->view, "frontal", sizeof p->view);
    g_strlcpy(p->stage, "progress", sizeof p->stage);
    g_strlcpy(p->original_sha256, orig, sizeof p->original_sha256);
    g_strlcpy(p->master_sha256, master, sizeof p->master_sha256);
    p->width = 10;
    p->height = 10;
}

typedef struct hook_log {
    int stored, unstored;
    bool fail;
} hook_log;

static int hook_store(void *ud, ba_error *err)
{
    hook_log *h = ud;
    h->stored++;
    if (h->fail) {
        ba_error_set(err, BA_ERR_IO, "injected store failure");
        return -1;
    }
    return 0;
}

static void hook_unstore(void *ud)
{
    ((hook_log *)ud)->unstored++;
}

static int collect_dates(const ba_photo *p, void *ud)
{
    GString *s = ud;
    g_string_append_printf(s, "%s#%d ", p->session_date, p->session_number);
    return 0;
}

static void test_sessions_and_duplicates(void **state)
{
    (void)state;
    char *dir;
    ba_catalog *cat = tu_library(&dir);
    ba_error err;
    hook_log h = {0};
    ba_store_hooks hooks = {hook_store, hook_unstore, &h};
    ba_photo p;
    bool dup;
    /* Out of date order: numbers still follow dates. */
    fill(&p, "2026-03-01", "a1", "m1");
    assert_int_equal(ba_catalog_photo_add(cat, &p, &hooks, &dup, &err), 0);
    fill(&p, "2026-01-01", "a2", "m2");
    assert_int_equal(ba_catalog_photo_add(cat, &p, &hooks, &dup, &err), 0);
    fill(&p, "2026-02-01", "a3", "m3");
    assert_int_equal(ba_catalog_photo_add(cat, &p, &hooks, &dup, &err), 0);
    assert_int_equal(p.session_number, 2);
    fill(&p, "2026-02-01", "a4", "m4"); /* same session */
    assert_int_equal(ba_catalog_photo_add(cat, &p, &hooks, &dup, &err), 0);
    assert_false(dup);
    GString *s = g_string_new(NULL);
    assert_int_equal(ba_catalog_photo_list(cat, NULL, collect_dates, s, &err), 0);
    assert_string_equal(s->str, "2026-01-01#1 2026-02-01#2 2026-02-01#2 2026-03-01#3 ");
    g_string_truncate(s, 0);
    ba_photo_filter f = {.from = "2026-01-15", .to = "2026-02-28"};
    assert_int_equal(ba_catalog_photo_list(cat, &f, collect_dates, s, &err), 0);
    assert_string_equal(s->str, "2026-02-01#2 2026-02-01#2 ");
    g_string_free(s, TRUE);
    assert_int_equal(h.stored, 4);

    /* Same original or same master: duplicate, nothing stored. */
    fill(&p, "2026-05-01", "a1", "other");
    assert_int_equal(ba_catalog_photo_add(cat, &p, &hooks, &dup, &err), 0);
    assert_true(dup);
    fill(&p, "2026-05-01", "other", "m2");
    assert_int_equal(ba_catalog_photo_add(cat, &p, &hooks, &dup, &err), 0);
    assert_true(dup);
    assert_int_equal(h.stored, 4);

    /* A failing store: rolled back, no session left behind. */
    ba_catalog_counts before, after;
    assert_int_equal(ba_catalog_counts_get(cat, &before, &err), 0);
    h.fail = true;
    fill(&p, "2026-06-01", "a9", "m9");
    assert_int_equal(ba_catalog_photo_add(cat, &p, &hooks, &dup, &err), -1);
    assert_int_equal(err.code, BA_ERR_IO);
    assert_int_equal(ba_catalog_counts_get(cat, &after, &err), 0);
    assert_int_equal(after.photos, before.photos);
    assert_int_equal(after.sessions, before.sessions);
    assert_int_equal(h.unstored, 0); /* store itself failed: nothing to undo */

    ba_photo got;
    assert_int_equal(ba_catalog_photo_get(cat, 1, &got, &err), 0);
    assert_string_equal(got.session_date, "2026-03-01");
    assert_int_equal(got.session_number, 3);
    assert_int_equal(ba_catalog_photo_get(cat, 999, &got, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);

    ba_catalog_close(cat);
    char *parent = g_path_get_dirname(dir);
    tu_rmtree(parent);
    g_free(parent);
    g_free(dir);
}

static void test_error_messages_one_line(void **state)
{
    (void)state;
    ba_error err;
    ba_error_set(&err, BA_ERR_IO, "%s: broken", "bad\nname\r.jpg");
    assert_null(strchr(err.message, '\n'));
    assert_null(strchr(err.message, '\r'));
    assert_string_equal(ba_strerror(BA_ERR_TOO_LARGE), "image exceeds the pixel limit");
    assert_string_equal(ba_strerror((ba_code)999), "unknown error");
    ba_error_set(NULL, BA_ERR_IO, "dropped");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_open_refuse),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_clients_and_areas),
        cmocka_unit_test(test_sessions_and_duplicates),
        cmocka_unit_test(test_error_messages_one_line),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
