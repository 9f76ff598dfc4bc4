/* ba_ingest_check and ba_batch_check: every check, no write (the catalog's
 * counts, masters/ and tmp/ unchanged), duplicates of earlier rows found by
 * their bytes, and the same outcome as the real ingest for a good file. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static int n_masters(const tu_fixture *f)
{
    char *m = g_build_filename(f->dir, "masters", NULL);
    char *t = g_build_filename(f->dir, "tmp", NULL);
    int n = tu_count_files(m) + tu_count_files(t);
    g_free(m);
    g_free(t);
    return n;
}

static char *scene_jpeg(const tu_fixture *f, const char *name, int w)
{
    char *path = g_build_filename(f->work, name, NULL);
    VipsImage *img = tu_scene(w, 200);
    tu_save(img, path);
    g_object_unref(img);
    return path;
}

static void count_event(const ba_batch_event *ev, void *ud)
{
    int *counts = ud;
    counts[ev->status]++;
}

static void test_check_writes_nothing_and_agrees_with_ingest(void **state)
{
    tu_fixture *f = *state;
    char *a = scene_jpeg(f, "a.jpg", 300);
    ba_ingest_options o;
    tu_options(&o);
    ba_ingest_check_result c;
    ba_error err;
    ba_catalog_counts before, after;
    assert_int_equal(ba_catalog_counts_get(f->cat, &before, &err), 0);
    assert_int_equal(ba_ingest_check(f->cat, a, &o, &c, &err), 0);
    assert_int_equal(c.duplicate_of, 0);
    assert_int_equal(c.width, 300);
    assert_string_equal(c.session_date, "2026-01-02");
    assert_int_equal(ba_catalog_counts_get(f->cat, &after, &err), 0);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(n_masters(f), 0);
    /* Ingested for real, the same file checks as a duplicate of it. */
    ba_ingest_result r;
    assert_int_equal(ba_ingest_file(f->cat, a, &o, &r, &err), 0);
    assert_int_equal(ba_ingest_check(f->cat, a, &o, &c, &err), 0);
    assert_int_equal(c.duplicate_of, r.photo_id);
    /* Refusals: a future date, an unknown area, a missing file, another client. */
    o.date = "2999-01-01";
    assert_int_equal(ba_ingest_check(f->cat, a, &o, &c, &err), -1);
    tu_options(&o);
    o.area = "no-such-area";
    assert_int_equal(ba_ingest_check(f->cat, a, &o, &c, &err), -1);
    tu_options(&o);
    assert_int_equal(ba_ingest_check(f->cat, "/nonexistent/x.jpg", &o, &c, &err), -1);
    assert_non_null(strstr(err.message, "/nonexistent/x.jpg"));
    assert_int_equal(ba_catalog_client_add(f->cat, "C-2", NULL, NULL, &err), 0);
    o.client = "C-2";
    assert_int_equal(ba_ingest_check(f->cat, a, &o, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_int_equal(n_masters(f), 1);
    g_free(a);
}

static void test_batch_check_rows(void **state)
{
    tu_fixture *f = *state;
    char *a = scene_jpeg(f, "a.jpg", 300);
    char *b = scene_jpeg(f, "b.jpg", 320);
    char *a2 = g_build_filename(f->work, "a2.jpg", NULL);
    size_t len;
    unsigned char *bytes = tu_read(a, &len);
    assert_true(g_file_set_contents(a2, (const char *)bytes, (gssize)len, NULL));
    g_free(bytes);
    ba_batch_list l;
    ba_batch_list_init(&l);
    ba_batch_list_add_file(&l, a);
    ba_batch_list_add_file(&l, b);
    ba_batch_list_add_file(&l, a2); /* same bytes as a: a duplicate */
    ba_batch_list_add_file(&l, "/nonexistent/y.jpg");
    ba_ingest_options o;
    tu_options(&o);
    ba_batch_options bo;
    ba_batch_options_init(&bo);
    bo.defaults = &o;
    int counts[3] = {0, 0, 0};
    bo.on_result = count_event;
    bo.ud = counts;
    ba_batch_summary sum;
    ba_error err;
    assert_int_equal(ba_batch_check(f->cat, &l, &bo, &sum, &err), 0);
    assert_int_equal(sum.ingested, 2);
    assert_int_equal(sum.duplicates, 1);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(counts[BA_BATCH_INGESTED], 2);
    assert_int_equal(counts[BA_BATCH_DUPLICATE], 1);
    assert_int_equal(counts[BA_BATCH_FAILED], 1);
    assert_int_equal(n_masters(f), 0);
    ba_batch_list_clear(&l);
    g_free(a);
    g_free(b);
    g_free(a2);
}

int main(void)
{
    ba_error err;
    if (ba_init("test_dry_run", &err)) {
        fprintf(stderr, "init: %s\n", err.message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check_writes_nothing_and_agrees_with_ingest,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_batch_check_rows, tu_fixture_setup,
                                        tu_fixture_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
