/* The public API's error contract (issue 11, item 4): every function that
 * takes a ba_error may be given NULL, and then fails as it would have —
 * same return value — without touching memory it does not own.  Each case
 * is a failing input; run under ASan/UBSan and valgrind in CI. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct fixture {
    ba_catalog *cat;
    char *dir;
    char *out;  /* a folder outside the library */
    char *noise1, *noise2;
    int64_t photo;
} fixture;

static int setup(void **state)
{
    fixture *f = g_new0(fixture, 1);
    f->cat = tu_library(&f->dir);
    f->out = tu_tmpdir();
    VipsImage *a = NULL, *b = NULL;
    assert_int_equal(vips_gaussnoise(&a, 160, 120, "mean", 120.0, NULL), 0);
    assert_int_equal(vips_gaussnoise(&b, 160, 120, "mean", 90.0, NULL), 0);
    f->noise1 = g_build_filename(f->out, "n1.png", NULL);
    f->noise2 = g_build_filename(f->out, "n2.png", NULL);
    tu_save(a, f->noise1);
    tu_save(b, f->noise2);
    g_object_unref(a);
    g_object_unref(b);
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.client = "C-1";
    o.area = "cheeks";
    o.date = "2026-01-01";
    ba_ingest_result r;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, f->noise1, &o, &r, &err), 0);
    f->photo = r.photo_id;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ba_catalog_close(f->cat);
    tu_rmtree(f->dir);
    tu_rmtree(f->out);
    g_free(f->dir);
    g_free(f->out);
    g_free(f->noise1);
    g_free(f->noise2);
    g_free(f);
    return 0;
}

static int count_photo(const ba_photo *row, void *ud)
{
    (void)row;
    (*(int *)ud)++;
    return 0;
}

static void catalog_functions_accept_null_err(void **state)
{
    fixture *f = *state;
    char *not_lib = g_build_filename(f->out, "no-such-library", NULL);
    assert_null(ba_catalog_create("", NULL));
    assert_null(ba_catalog_create(f->dir, NULL)); /* already a library */
    assert_null(ba_catalog_open(not_lib, NULL));
    assert_null(ba_catalog_open(NULL, NULL));
    assert_null(ba_catalog_open_readonly(not_lib, NULL));
    assert_int_not_equal(ba_date_check("2026-02-30", NULL), 0);
    assert_int_not_equal(ba_catalog_timezone_set(f->cat, "Mars/Olympus_Mons", NULL), 0);
    assert_int_not_equal(ba_catalog_client_add(f->cat, "not a code!", NULL, NULL, NULL), 0);
    assert_int_not_equal(ba_catalog_client_add(f->cat, "C-1", NULL, NULL, NULL), 0);
    ba_client c;
    assert_int_not_equal(ba_catalog_client_get(f->cat, "NOBODY", &c, NULL), 0);
    assert_int_not_equal(ba_catalog_area_add(f->cat, "Not An Area", NULL), 0);
    assert_int_not_equal(ba_catalog_area_check(f->cat, "elbow", NULL), 0);
    ba_photo p;
    assert_int_not_equal(ba_catalog_photo_get(f->cat, 9999, &p, NULL), 0);
    ba_comparison_record cr;
    assert_int_not_equal(ba_catalog_comparison_get(f->cat, 9999, &cr, NULL), 0);
    ba_alignment a;
    assert_int_not_equal(ba_catalog_alignment_get(f->cat, 9998, 9999, &a, NULL), 0);
    ba_consent k;
    assert_int_not_equal(ba_catalog_consent_get(f->cat, 9999, &k, NULL), 0);
    int n = 0;
    ba_photo_filter pf = {.client = "NOBODY"};
    assert_int_equal(ba_catalog_photo_list(f->cat, &pf, count_photo, &n, NULL), 0);
    assert_int_equal(n, 0);
    g_free(not_lib);
}

static void ingest_functions_accept_null_err(void **state)
{
    fixture *f = *state;
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.client = "C-1";
    o.area = "cheeks";
    ba_ingest_result r;
    char *missing = g_build_filename(f->out, "missing.jpg", NULL);
    assert_int_not_equal(ba_ingest_file(f->cat, missing, &o, &r, NULL), 0);
    /* No date anywhere (a noise PNG has no EXIF): refused. */
    assert_int_not_equal(ba_ingest_file(f->cat, f->noise2, &o, &r, NULL), 0);
    static const unsigned char junk[64] = "this is not an image at all, not even close";
    o.date = "2026-01-02";
    assert_int_not_equal(ba_ingest_buffer(f->cat, "junk.bin", junk, sizeof junk, &o, &r, NULL),
                         0);
    o.client = "NOBODY";
    assert_int_not_equal(ba_ingest_file(f->cat, f->noise2, &o, &r, NULL), 0);
    ba_ingest_job *job = NULL;
    assert_int_not_equal(ba_ingest_prepare(f->cat, missing, &o, &job, &r, NULL), 0);
    assert_null(job);
    g_free(missing);
}

static void align_and_compose_accept_null_err(void **state)
{
    fixture *f = *state;
    ba_align_options ao;
    ba_align_options_init(&ao);
    ba_alignment a;
    char *missing = g_build_filename(f->out, "missing.jpg", NULL);
    assert_int_not_equal(ba_align_files(missing, f->noise2, &ao, &a, NULL), 0);
    /* Two unrelated noise images: refused, not "aligned". */
    assert_int_not_equal(ba_align_files(f->noise1, f->noise2, &ao, &a, NULL), 0);
    assert_int_not_equal(ba_align_photos(f->cat, 9998, 9999, &ao, &a, NULL), 0);
    double *pts = NULL;
    int npairs = 0;
    assert_int_not_equal(ba_align_parse_points("1,2 : nonsense", &pts, &npairs, NULL), 0);
    assert_null(pts);
    double roi[4];
    assert_int_not_equal(ba_align_parse_roi("1,2,3", roi, NULL), 0);

    ba_compose_options co;
    ba_compose_options_init(&co);
    ba_comparison cmp;
    char *png = g_build_filename(f->out, "c.png", NULL);
    const char *paths[] = {missing, f->noise2};
    assert_int_not_equal(ba_compose_files(paths, 2, &co, png, &cmp, NULL), 0);
    const int64_t ids[] = {f->photo, 9999};
    assert_int_not_equal(ba_compose_photos(f->cat, ids, 2, &co, png, &cmp, NULL), 0);
    char *inside = g_build_filename(f->dir, "c.png", NULL);
    const int64_t same[] = {f->photo, f->photo};
    assert_int_not_equal(ba_compose_photos(f->cat, same, 2, &co, inside, &cmp, NULL), 0);
    assert_int_not_equal(ba_compose_ghost(f->cat, 9999, NULL, 0.5, false, 0, png, NULL), 0);
    co.width = -5;
    assert_int_not_equal(ba_compose_options_check(&co, NULL), 0);
    assert_false(g_file_test(png, G_FILE_TEST_EXISTS));
    g_free(inside);
    g_free(png);
    g_free(missing);
}

static void consent_and_export_accept_null_err(void **state)
{
    fixture *f = *state;
    ba_consent_grant_options g;
    ba_consent_grant_options_init(&g);
    ba_consent k;
    assert_int_not_equal(ba_consent_grant(f->cat, &g, &k, NULL), 0); /* no client */
    g.client = "C-1";
    g.scope = "gossip";
    assert_int_not_equal(ba_consent_grant(f->cat, &g, &k, NULL), 0);
    g.scope = "marketing";
    g.granted = "2999-01-01";
    assert_int_not_equal(ba_consent_grant(f->cat, &g, &k, NULL), 0);
    assert_int_not_equal(ba_consent_revoke(f->cat, "C-1", "marketing", NULL, NULL, NULL, NULL), 0);
    assert_int_not_equal(ba_consent_revoke(f->cat, "NOBODY", "marketing", NULL, NULL, NULL, NULL),
                         0);
    int64_t consent_id = 0;
    char today[BA_DATE_MAX];
    ba_catalog_today(f->cat, today);
    assert_int_not_equal(ba_consent_check(f->cat, "C-1", BA_SCOPE_MARKETING, today, BA_DEID_NONE,
                                          &consent_id, NULL),
                         0);
    char list[64];
    assert_int_not_equal(ba_consent_deid_list_check("eyes,sunglasses", list, sizeof list, NULL), 0);
    ba_redaction regions[4];
    int n = 0;
    const double eyes[4] = {10, 10, 11, 10};
    assert_int_not_equal(
        ba_consent_deid_regions(BA_DEID_EYES, eyes, NULL, 160, 120, regions, 4, &n, NULL), 0);

    ba_export_options eo;
    ba_consent_export_options_init(&eo);
    ba_export_result res;
    assert_int_not_equal(ba_consent_export(f->cat, &eo, &res, NULL), 0); /* nothing given */
    const int64_t comps[] = {9999};
    eo.comparisons = comps;
    eo.n_comparisons = 1;
    eo.purpose = "marketing";
    eo.destination = f->out;
    assert_int_not_equal(ba_consent_export(f->cat, &eo, &res, NULL), 0);
    assert_int_not_equal(ba_consent_export(f->cat, NULL, &res, NULL), 0);

    /* A real comparison, refused for want of consent, then for a region to
     * hide that is a typo (eye centres 2 px apart): the pipeline's own refusals, err still NULL. */
    ba_ingest_options io;
    ba_ingest_options_init(&io);
    io.client = "C-1";
    io.area = "cheeks";
    io.date = "2026-02-01";
    ba_ingest_result r;
    ba_error e;
    assert_int_equal(ba_ingest_file(f->cat, f->noise2, &io, &r, &e), 0);
    ba_compose_options co;
    ba_compose_options_init(&co);
    co.align = false;
    ba_comparison cmp;
    char *png = g_build_filename(f->out, "c.png", NULL);
    const int64_t ids[] = {f->photo, r.photo_id};
    assert_int_equal(ba_compose_photos(f->cat, ids, 2, &co, png, &cmp, &e), 0);
    const int64_t real[] = {cmp.id};
    eo.comparisons = real;
    char *dest = g_build_filename(f->out, "exp", NULL);
    eo.destination = dest;
    assert_int_not_equal(ba_consent_export(f->cat, &eo, &res, NULL), 0);
    eo.purpose = "clinical";
    eo.deidentify = "eyes";
    const double far[4] = {150, 110, 152, 110}; /* 2 px apart */
    eo.eyes = far;
    assert_int_not_equal(ba_consent_export(f->cat, &eo, &res, NULL), 0);
    char *manifest = g_build_filename(dest, "export.json", NULL);
    assert_false(g_file_test(manifest, G_FILE_TEST_EXISTS));
    g_free(manifest);
    g_free(dest);
    g_free(png);
}

static void batch_verify_library_accept_null_err(void **state)
{
    fixture *f = *state;
    char *missing = g_build_filename(f->out, "missing.csv", NULL);
    ba_batch_list l;
    ba_batch_list_init(&l);
    assert_int_not_equal(ba_batch_read_manifest(missing, &l, NULL), 0);
    static const char bad[] = "no,columns,we,know\n1,2,3,4\n";
    assert_int_not_equal(ba_batch_parse_manifest(bad, sizeof bad - 1, "m.csv", f->out, &l, NULL),
                         0);
    assert_int_not_equal(ba_batch_scan_folder(missing, "{client}/{area}", &l, NULL), 0);
    assert_int_not_equal(ba_batch_jobs_check(BA_BATCH_MAX_JOBS + 1, NULL), 0);
    ba_batch_list_clear(&l);
    ba_batch_compare_options bo;
    memset(&bo, 0, sizeof bo);
    ba_compose_options_init(&bo.compose);
    char *inside = g_build_filename(f->dir, "renders-out", NULL);
    bo.out_dir = inside;
    ba_batch_summary sum;
    assert_int_not_equal(ba_batch_compare(f->cat, &bo, &sum, NULL), 0);
    char *db = g_build_filename(f->dir, "catalog.db", NULL);
    assert_int_not_equal(ba_library_check_output(f->dir, db, false, NULL), 0);
    assert_int_not_equal(ba_library_check_output(NULL, "", false, NULL), 0);
    size_t problems = 0;
    assert_int_equal(ba_verify_library(f->cat, false, NULL, NULL, &problems, NULL), 0);
    assert_int_equal(problems, 0);
    g_free(db);
    g_free(inside);
    g_free(missing);
}

int main(void)
{
    ba_error err;
    if (ba_init("test_api", &err))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(catalog_functions_accept_null_err, setup, teardown),
        cmocka_unit_test_setup_teardown(ingest_functions_accept_null_err, setup, teardown),
        cmocka_unit_test_setup_teardown(align_and_compose_accept_null_err, setup, teardown),
        cmocka_unit_test_setup_teardown(consent_and_export_accept_null_err, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_verify_library_accept_null_err, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
