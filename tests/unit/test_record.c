/* The record's life through the public API (beforeafter/record.h): erasure
 * with its confirmation and retention rules, a client export, backup and
 * restore, and the sweep of dead writers' temporary files. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/lib/catalog/writers.h"
#include "../../src/lib/library/paths.h"

static void ingest_scene(tu_fixture *f, const char *client, const char *date, int seed)
{
    VipsImage *img = tu_scene(96 + seed * 8, 72);
    char *path = g_strdup_printf("%s/in-%s-%d.jpg", f->work, client, seed);
    tu_save(img, path);
    g_object_unref(img);
    ba_ingest_options o;
    tu_options(&o);
    o.client = client;
    o.date = date;
    ba_ingest_result r;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, path, &o, &r, &err), 0);
    g_free(path);
}

static void two_clients(tu_fixture *f)
{
    ba_error err;
    int64_t id = 0;
    assert_int_equal(ba_catalog_client_add(f->cat, "C-2", "Nora Twofold", &id, &err), 0);
    ingest_scene(f, "C-1", "2026-01-02", 1);
    ingest_scene(f, "C-1", "2026-02-02", 2);
    ingest_scene(f, "C-2", "2026-01-05", 3);
}

static int count_problems(ba_catalog *cat)
{
    size_t n = 99;
    ba_error err;
    assert_int_equal(ba_verify_library(cat, false, NULL, NULL, &n, &err), 0);
    return (int)n;
}

typedef struct audit_seen {
    int other_intact, mention_redacted, tombstones, named;
} audit_seen;

static int on_audit(const ba_audit_entry *a, void *ud)
{
    audit_seen *s = ud;
    if (a->client && strcmp(a->client, "C-22") == 0 && g_strcmp0(a->detail, "about C-22") == 0)
        s->other_intact++;
    if (g_strcmp0(a->action, "note") == 0 && !a->client &&
        g_strcmp0(a->detail, "{\"redacted\":\"client-erase\"}") == 0)
        s->mention_redacted++;
    if (g_strcmp0(a->action, "client-erase") == 0)
        s->tombstones++;
    if ((a->client && strcmp(a->client, "C-2") == 0) ||
        (a->detail && (strstr(a->detail, "C-2\"") || strstr(a->detail, "Nora"))))
        s->named++;
    return 0;
}

static void test_erase(void **state)
{
    tu_fixture *f = *state;
    two_clients(f);
    ba_error err;
    /* A client whose code starts with the erased one's, and a row of no
     * client that names the erased one: only the latter is redacted. */
    int64_t id22 = 0;
    assert_int_equal(ba_catalog_client_add(f->cat, "C-22", NULL, &id22, &err), 0);
    ba_audit_entry a1 = {.action = "note", .client = "C-22", .result = "ok",
                         .detail = "about C-22"};
    ba_audit_entry a2 = {.action = "note", .result = "ok", .detail = "moved from \"C-2\" (Nora)"};
    assert_int_equal(ba_catalog_audit_add(f->cat, &a1, &err), 0);
    assert_int_equal(ba_catalog_audit_add(f->cat, &a2, &err), 0);
    ba_record_erase_result r;
    /* The confirmation must repeat the code. */
    assert_int_equal(ba_record_client_erase(f->cat, "C-2", "C-1", NULL, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(err.hint, BA_HINT_CONFIRM_ERASE);
    /* Inside the retention period: refused unless a reason is given. */
    assert_int_equal(ba_record_retention_set(f->cat, 5, &err), 0);
    int years = 0;
    assert_int_equal(ba_record_retention_get(f->cat, &years, &err), 0);
    assert_int_equal(years, 5);
    assert_int_equal(ba_record_client_erase(f->cat, "C-2", "C-2", NULL, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_int_equal(err.hint, BA_HINT_OVERRIDE_RETENTION);
    assert_non_null(strstr(err.message, "retention"));
    assert_null(strstr(err.message, "--"));
    ba_client c;
    assert_int_equal(ba_catalog_client_get(f->cat, "C-2", &c, &err), 0);
    assert_int_equal(ba_record_client_erase(f->cat, "C-2", "C-2", "test", &r, &err), 0);
    assert_int_equal(r.photos, 1);
    assert_int_equal(r.sessions, 1);
    assert_int_equal(r.files_removed, 2); /* the master and its thumbnail (made at ingest) */
    assert_true(r.compacted);
    assert_true(r.tombstone_id > 0);
    assert_int_not_equal(ba_catalog_client_get(f->cat, "C-2", &c, &err), 0);
    assert_int_equal(ba_catalog_client_get(f->cat, "C-1", &c, &err), 0);
    assert_int_equal(c.photo_count, 2);
    char *masters = g_build_filename(f->dir, "masters", NULL);
    assert_int_equal(tu_count_files(masters), 2);
    g_free(masters);
    assert_int_equal(count_problems(f->cat), 0);
    audit_seen seen = {0};
    assert_int_equal(ba_catalog_audit_list(f->cat, NULL, on_audit, &seen, &err), 0);
    assert_int_equal(seen.other_intact, 1);
    assert_int_equal(seen.mention_redacted, 1);
    assert_int_equal(seen.tombstones, 1);
    assert_int_equal(seen.named, 0);
    assert_int_equal(ba_catalog_client_get(f->cat, "C-22", &c, &err), 0);
}

static void test_export(void **state)
{
    tu_fixture *f = *state;
    two_clients(f);
    ba_error err;
    ba_record_export_result r;
    char *dir = g_build_filename(f->work, "export", NULL);
    assert_int_equal(ba_record_client_export(f->cat, "c-1", dir, &r, &err), 0);
    assert_string_equal(r.client, "C-1");
    assert_int_equal(r.masters, 2);
    assert_int_equal(r.comparisons, 0);
    char *json = g_build_filename(dir, "record.json", NULL);
    assert_true(g_file_test(json, G_FILE_TEST_IS_REGULAR));
    assert_int_equal(tu_count_files(dir), 3);
    /* Never over an export that is there, never inside the library. */
    assert_int_equal(ba_record_client_export(f->cat, "C-1", dir, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_EXISTS);
    char *inside = g_build_filename(f->dir, "x", NULL);
    assert_int_equal(ba_record_client_export(f->cat, "C-1", inside, &r, &err), -1);
    assert_false(g_file_test(inside, G_FILE_TEST_EXISTS));
    assert_int_equal(ba_record_client_export(f->cat, "C-9", inside, NULL, &err), -1);
    g_free(inside);
    g_free(json);
    g_free(dir);
}

static void test_backup_restore(void **state)
{
    tu_fixture *f = *state;
    two_clients(f);
    ba_error err;
    ba_record_backup_result r;
    char *bk = g_build_filename(f->work, "bk", NULL);
    char *lib2 = g_build_filename(f->work, "lib2", NULL);
    assert_int_equal(ba_record_backup(f->cat, bk, &r, &err), 0);
    assert_int_equal(r.photos, 3);
    assert_int_equal(r.files, 3);
    assert_int_equal(ba_record_restore(bk, lib2, &r, &err), 0);
    assert_int_equal(r.photos, 3);
    ba_catalog *cat2 = ba_catalog_open(lib2, &err);
    assert_non_null(cat2);
    assert_int_equal(count_problems(cat2), 0);
    ba_catalog_close(cat2);
    /* A damaged file refuses the restore; nothing is written. */
    char *lib3 = g_build_filename(f->work, "lib3", NULL);
    char *db = g_build_filename(bk, "catalog.db", NULL);
    FILE *fp = fopen(db, "ab");
    assert_non_null(fp);
    fputc('x', fp);
    fclose(fp);
    assert_int_equal(ba_record_restore(bk, lib3, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_CORRUPT);
    assert_false(g_file_test(lib3, G_FILE_TEST_EXISTS));
    g_free(db);
    g_free(lib3);
    g_free(lib2);
    g_free(bk);
}

static void on_swept(const char *name, void *ud)
{
    g_strlcpy(ud, name, 128);
}

static void test_sweep(void **state)
{
    tu_fixture *f = *state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    char *dead = g_strdup_printf("%s/tmp/ingest-%d@%s-abcdef.jpg", f->dir, (int)child,
                                 ba_path_host());
    char *there = g_strdup_printf("%s/tmp/ingest-%d@not%s-abcdef.jpg", f->dir, (int)child,
                                  ba_path_host());
    char *live = g_strdup_printf("%s/tmp/ingest-%d@%s-abcdef.jpg", f->dir, (int)getpid(),
                                 ba_path_host());
    assert_true(g_file_set_contents(dead, "x", 1, NULL));
    assert_true(g_file_set_contents(there, "x", 1, NULL));
    assert_true(g_file_set_contents(live, "x", 1, NULL));
    assert_int_equal(ba_library_sweep_tmp(f->dir), 1);
    assert_false(g_file_test(dead, G_FILE_TEST_EXISTS));
    assert_true(g_file_test(there, G_FILE_TEST_EXISTS));
    assert_true(g_file_test(live, G_FILE_TEST_EXISTS));
    char seen[128] = "";
    ba_library_swept(f->dir, on_swept, seen);
    char *base = g_path_get_basename(dead);
    assert_string_equal(seen, base);
    g_free(base);
    g_free(dead);
    g_free(there);
    g_free(live);
}

static void test_modes(void **state)
{
    tu_fixture *f = *state;
    ingest_scene(f, "C-1", "2026-01-02", 1);
    struct stat st;
    char *db = g_build_filename(f->dir, "catalog.db", NULL);
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    g_free(db);
}

int main(void)
{
    ba_error err;
    if (ba_init("test_record", &err))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_erase, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_export, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_backup_restore, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_sweep, tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_modes, tu_fixture_setup, tu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
