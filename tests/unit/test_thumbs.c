/* Thumbnails made at ingest (issue 15): a new photo's 320 px thumbnail is in
 * LIBRARY/previews/ when its ingest returns -- for one file and for a batch
 * whose workers make them, upright or rotated by EXIF -- the image
 * ba_compose_photo_preview() makes on demand from the stored master (the
 * same size, PSNR >= 40 dB); an ingest that is not committed leaves no
 * thumbnail, and one that cannot be placed does not fail the photo. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* A 2800 x 2100 JPEG (the thumbnail's scale is 1/8) whose pixels depend on
 * @seed, so that each is a distinct photo; an odd @seed is stored with EXIF
 * orientation 6 (its master is 2100 x 2800, encoded from rotated tiles). */
static char *make_photo(const char *dir, int seed)
{
    VipsImage *scene = tu_scene(2800, 2100), *shifted = NULL;
    assert_int_equal(vips_linear1(scene, &shifted, 1.0, (double)seed * 3, NULL), 0);
    VipsImage *u8 = NULL;
    assert_int_equal(vips_cast_uchar(shifted, &u8, NULL), 0);
    if (seed % 2)
        vips_image_set_int(u8, VIPS_META_ORIENTATION, 6);
    char name[32];
    snprintf(name, sizeof name, "p%d.jpg", seed);
    char *path = g_build_filename(dir, name, NULL);
    char *spec = g_strdup_printf("%s[Q=92]", path);
    tu_save(u8, spec);
    g_free(spec);
    g_object_unref(u8);
    g_object_unref(shifted);
    g_object_unref(scene);
    return path;
}

static char *thumb_path(const char *lib, const char *sha)
{
    char sub[3] = {sha[0], sha[1], '\0'};
    char *file = g_strdup_printf("%s.jpg", sha);
    char *p = g_build_filename(lib, "previews", "320", sub, file, NULL);
    g_free(file);
    return p;
}

static int files_in(const char *lib, const char *sub)
{
    char *d = g_build_filename(lib, sub, NULL);
    int n = tu_count_files(d);
    g_free(d);
    return n;
}

/* Photo @id's thumbnail is there (0600, 320 px on its long edge), and the
 * image ba_compose_photo_preview() makes once it is gone. */
static void expect_thumbnail_as_on_demand(tu_fixture *f, int64_t id)
{
    ba_photo p;
    ba_error err;
    assert_int_equal(ba_catalog_photo_get(f->cat, id, &p, &err), 0);
    char *path = thumb_path(f->dir, p.master_sha256);
    struct stat st;
    if (stat(path, &st) != 0)
        fail_msg("photo %d: no thumbnail at %s after ingest", (int)id, path);
    assert_int_equal(st.st_mode & 0777, 0600);
    VipsImage *t = vips_image_new_from_file(path, NULL);
    assert_non_null(t);
    assert_int_equal(MAX(t->Xsize, t->Ysize), BA_PREVIEW_THUMB);
    g_object_unref(t);
    size_t made_len = 0;
    unsigned char *made = tu_read(path, &made_len);

    assert_int_equal(g_unlink(path), 0);
    unsigned char *again = NULL;
    size_t again_len = 0;
    assert_int_equal(ba_compose_photo_preview(f->cat, id, BA_PREVIEW_THUMB, &again,
                                              &again_len, NULL, 0, &err),
                     0);
    /* Made from the master's box sums, not from the master decoded at 1/8:
     * the same size, and only the master's JPEG rounding between them. */
    VipsImage *a = vips_image_new_from_buffer(made, made_len, "", NULL);
    VipsImage *b = vips_image_new_from_buffer(again, again_len, "", NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->Xsize, b->Xsize);
    assert_int_equal(a->Ysize, b->Ysize);
    double psnr = tu_psnr(a, b);
    if (psnr < 40)
        fail_msg("photo %d: thumbnail at ingest vs on demand: PSNR %.1f dB", (int)id, psnr);
    g_object_unref(a);
    g_object_unref(b);
    free(again);
    g_free(made);
    g_free(path);
}

/* Ingest @in for C-1 and require a new photo; its id. */
static int64_t ingest_new(tu_fixture *f, const char *in)
{
    ba_ingest_options o;
    tu_options(&o);
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_file(f->cat, in, &o, &r, &err) != 0)
        fail_msg("ingest %s: %s", in, err.message);
    assert_int_equal(r.status, BA_INGEST_INGESTED);
    return r.photo_id;
}

static void test_ingest_file_leaves_the_thumbnail(void **state)
{
    tu_fixture *f = *state;
    char *in = make_photo(f->work, 1);
    int64_t id = ingest_new(f, in);
    assert_int_equal(files_in(f->dir, "previews"), 1);
    assert_int_equal(files_in(f->dir, "tmp"), 0);
    expect_thumbnail_as_on_demand(f, id);

    /* The same file again: a duplicate, nothing new in previews/ or tmp/. */
    ba_ingest_options o;
    tu_options(&o);
    ba_ingest_result r;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, in, &o, &r, &err), 0);
    assert_int_equal(r.status, BA_INGEST_DUPLICATE);
    assert_int_equal(files_in(f->dir, "previews"), 1);
    assert_int_equal(files_in(f->dir, "tmp"), 0);
    g_free(in);
}

static void test_batch_workers_leave_every_thumbnail(void **state)
{
    tu_fixture *f = *state;
    enum { N = 4 };
    ba_batch_list l;
    ba_batch_list_init(&l);
    for (int i = 0; i < N; i++) {
        char *p = make_photo(f->work, 10 + i);
        ba_batch_list_add_file(&l, p);
        g_free(p);
    }
    ba_batch_options o;
    ba_batch_options_init(&o);
    o.jobs = 2;
    ba_ingest_options d;
    tu_options(&d);
    o.defaults = &d;
    ba_batch_summary s;
    ba_error err;
    assert_int_equal(ba_batch_ingest(f->cat, &l, &o, &s, &err), 0);
    assert_int_equal(s.ingested, N);
    assert_int_equal(files_in(f->dir, "previews"), N);
    assert_int_equal(files_in(f->dir, "tmp"), 0);
    for (int64_t id = 1; id <= N; id++) {
        ba_photo p;
        assert_int_equal(ba_catalog_photo_get(f->cat, id, &p, &err), 0);
        assert_true(id % 2 ? p.width > p.height : p.width < p.height); /* seeds 10.. */
        expect_thumbnail_as_on_demand(f, id);
    }
    ba_batch_list_clear(&l);
}

/* Prepared, never committed (a cancelled batch, a refused upload): no
 * thumbnail in previews/ and nothing left in tmp/. */
static void test_uncommitted_prepare_leaves_no_thumbnail(void **state)
{
    tu_fixture *f = *state;
    char *in = make_photo(f->work, 2);
    ba_ingest_options o;
    tu_options(&o);
    ba_ingest_job *jb = NULL;
    ba_ingest_result r;
    ba_error err;
    assert_int_equal(ba_ingest_prepare(f->cat, in, &o, &jb, &r, &err), 0);
    assert_non_null(jb);
    assert_int_equal(files_in(f->dir, "tmp"), 2); /* the master and its thumbnail, waiting */
    assert_int_equal(files_in(f->dir, "previews"), 0);
    ba_ingest_job_free(jb);
    assert_int_equal(files_in(f->dir, "tmp"), 0);
    assert_int_equal(files_in(f->dir, "previews"), 0);
    g_free(in);
}

/* A thumbnail that cannot be placed (previews/ is a file here) costs the
 * photo nothing: ingested, no half file; made on demand once it can be. */
static void test_unplaceable_thumbnail_does_not_fail_the_ingest(void **state)
{
    tu_fixture *f = *state;
    char *previews = g_build_filename(f->dir, "previews", NULL);
    assert_true(g_file_set_contents(previews, "not a folder", -1, NULL));
    char *in = make_photo(f->work, 3);
    int64_t id = ingest_new(f, in);
    assert_int_equal(files_in(f->dir, "tmp"), 0);
    assert_int_equal(files_in(f->dir, "masters"), 1);
    assert_int_equal(g_unlink(previews), 0);
    unsigned char *data = NULL;
    size_t len = 0;
    ba_error err;
    assert_int_equal(
        ba_compose_photo_preview(f->cat, id, BA_PREVIEW_THUMB, &data, &len, NULL, 0, &err), 0);
    assert_true(len > 0);
    assert_int_equal(files_in(f->dir, "previews"), 1);
    free(data);
    g_free(previews);
    g_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_file_leaves_the_thumbnail, tu_fixture_setup,
                                        tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_batch_workers_leave_every_thumbnail,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_uncommitted_prepare_leaves_no_thumbnail,
                                        tu_fixture_setup, tu_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unplaceable_thumbnail_does_not_fail_the_ingest,
                                        tu_fixture_setup, tu_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
