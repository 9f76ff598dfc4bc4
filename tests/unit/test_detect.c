/* The face and eye detector: the astronaut's eyes where a person put them,
 * nothing in a flat image, and clean errors for missing cascades. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "testutil.h"

#include "../../src/lib/detect/internal.h"

#define ASTRONAUT "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"

/* The astronaut's pupils, annotated by hand on an 8x enlargement (pixel-edge
 * coordinates: pixel i covers [i, i+1)); the same numbers as
 * bench/detect_accuracy.py.  Inter-ocular distance 42 px. */
static const double EYE_L[2] = {203.5, 101.5}, EYE_R[2] = {245.5, 103.5};
/* bench/README.md: 1.6 px on the astronaut itself, 2.8 px the worst at 1x
 * over every generated variant (95th percentile 2.4 px); 4 px (0.095 IOD)
 * still fails a detector that lands on an eyebrow or an eye corner
 * (>= 6 px away). */
#define EYE_TOLERANCE_PX 4.0

typedef struct pixels {
    unsigned char *px;
    int w, h, bands;
    size_t stride;
} pixels;

static bool load_rgb(const char *path, int bands, int pad, pixels *out)
{
    memset(out, 0, sizeof *out);
    VipsImage *in = vips_image_new_from_file(path, NULL);
    if (!in) {
        vips_error_clear();
        return false;
    }
    VipsImage *t = NULL;
    if (bands == 4 && in->Bands == 3)
        assert_int_equal(vips_bandjoin_const1(in, &t, 255, NULL), 0);
    else
        assert_int_equal(vips_copy(in, &t, NULL), 0);
    g_object_unref(in);
    size_t len = 0;
    unsigned char *dense = vips_image_write_to_memory(t, &len);
    assert_non_null(dense);
    out->w = t->Xsize;
    out->h = t->Ysize;
    out->bands = t->Bands;
    g_object_unref(t);
    /* Rows @pad bytes longer than the pixels: the stride is honoured. */
    size_t row = (size_t)out->w * out->bands;
    out->stride = row + pad;
    out->px = g_malloc0(out->stride * out->h);
    for (int y = 0; y < out->h; y++)
        memcpy(out->px + y * out->stride, dense + y * row, row);
    g_free(dense);
    return true;
}

static double dist(const double a[2], const double b[2])
{
    return hypot(a[0] - b[0], a[1] - b[1]);
}

static void assert_astronaut(const ba_detection *d)
{
    assert_true(d->face_found);
    /* The face box holds both eyes. */
    assert_true(d->face[0] < EYE_L[0] && d->face[0] + d->face[2] > EYE_R[0]);
    assert_true(d->face[1] < EYE_L[1] && d->face[1] + d->face[3] > EYE_R[1]);
    assert_true(d->face_confidence > 0.5 && d->face_confidence <= 1);
    assert_int_equal(d->n_eyes, 2);
    print_message("eyes (%.1f, %.1f) (%.1f, %.1f): %.2f and %.2f px off\n", d->eyes[0][0],
                  d->eyes[0][1], d->eyes[1][0], d->eyes[1][1], dist(d->eyes[0], EYE_L),
                  dist(d->eyes[1], EYE_R));
    assert_true(dist(d->eyes[0], EYE_L) <= EYE_TOLERANCE_PX);
    assert_true(dist(d->eyes[1], EYE_R) <= EYE_TOLERANCE_PX);
    for (int i = 0; i < 2; i++)
        assert_true(d->eye_radius[i] > 4 && d->eye_radius[i] < 20);
    assert_true(d->eyes_confidence > 0 && d->eyes_confidence <= 1);
}

static void test_astronaut_eyes(void **state)
{
    (void)state;
    pixels p;
    if (!load_rgb(ASTRONAUT, 3, 0, &p)) {
        print_message("skipping: " ASTRONAUT " missing (python3-skimage)\n");
        skip();
    }
    ba_detection d;
    ba_error err;
    assert_int_equal(ba_detect_rgb(p.px, p.w, p.h, p.bands, p.stride, &d, &err), 0);
    assert_astronaut(&d);
    g_free(p.px);

    /* RGBA with padded rows: the same answer. */
    assert_true(load_rgb(ASTRONAUT, 4, 12, &p));
    ba_detection d4;
    assert_int_equal(ba_detect_rgb(p.px, p.w, p.h, p.bands, p.stride, &d4, &err), 0);
    assert_astronaut(&d4);
    assert_true(fabs(d4.eyes[0][0] - d.eyes[0][0]) < 0.01);
    g_free(p.px);
}

static void test_flat_grey_finds_nothing(void **state)
{
    (void)state;
    int w = 400, h = 300;
    unsigned char *px = g_malloc((size_t)w * h * 3);
    memset(px, 128, (size_t)w * h * 3);
    ba_detection d;
    memset(&d, 0x5a, sizeof d);
    ba_error err;
    assert_int_equal(ba_detect_rgb(px, w, h, 3, (size_t)w * 3, &d, &err), 0);
    assert_false(d.face_found);
    assert_int_equal(d.n_eyes, 0);
    assert_true(d.face_confidence == 0 && d.eyes_confidence == 0);
    g_free(px);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    unsigned char px[64 * 64 * 3] = {0};
    ba_detection d;
    ba_error err;
    assert_int_equal(ba_detect_rgb(px, 64, 64, 2, 64 * 2, &d, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_detect_rgb(px, 64, 64, 3, 64 * 2, &d, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_detect_rgb(NULL, 64, 64, 3, 64 * 3, &d, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_detect_rgb(px, 8, 64, 3, 8 * 3, &d, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
}

static void test_missing_cascade(void **state)
{
    (void)state;
    dt_cascades cs;
    ba_error err;
    assert_int_equal(dt_cascades_load("/nonexistent/face.xml", DT_EYE_CASCADE, &cs, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/face.xml"));
    assert_non_null(strstr(err.message, "opencv-data"));
    assert_null(strchr(err.message, '\n'));
    /* The eye cascade missing: the face cascade loaded first is released
     * (valgrind would say otherwise). */
    assert_int_equal(dt_cascades_load(DT_FACE_CASCADE, "no-such-eye.xml", &cs, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, DT_CASCADE_DIR "/no-such-eye.xml"));

    /* A file that is not a cascade: refused in one line, nothing thrown. */
    char *dir = tu_tmpdir();
    char *bad = g_build_filename(dir, "bad.xml", NULL);
    assert_true(g_file_set_contents(bad, "<?xml version=\"1.0\"?>\n<opencv_storage>\n"
                                         "</opencv_storage>\n", -1, NULL));
    assert_int_equal(dt_cascades_load(bad, DT_EYE_CASCADE, &cs, &err), -1);
    assert_int_equal(err.code, BA_ERR_CORRUPT);
    assert_non_null(strstr(err.message, bad));
    assert_null(strchr(err.message, '\n'));
    tu_rmtree(dir);
    g_free(bad);
    g_free(dir);
}

/* The master of a photo: the same eyes, in master pixels, through the
 * hash-checked read (and a shrink-on-load decode for a large master). */
static void test_photo_master(void **state)
{
    tu_fixture *f = *state;
    pixels p;
    if (!load_rgb(ASTRONAUT, 3, 0, &p)) {
        print_message("skipping: " ASTRONAUT " missing (python3-skimage)\n");
        skip();
    }
    g_free(p.px);
    /* The astronaut enlarged 5x (2560x2560: a large master decoded at 1/2). */
    VipsImage *in = vips_image_new_from_file(ASTRONAUT, NULL), *big = NULL;
    assert_non_null(in);
    assert_int_equal(vips_resize(in, &big, 5.0, NULL), 0);
    char *jpg = g_build_filename(f->work, "big.jpg", NULL);
    char *save = g_strconcat(jpg, "[Q=95]", NULL);
    tu_save(big, save);
    g_object_unref(big);
    g_object_unref(in);
    ba_ingest_options o;
    tu_options(&o);
    ba_ingest_result r;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, jpg, &o, &r, &err), 0);
    ba_detection d;
    assert_int_equal(ba_detect_photo(f->cat, r.photo_id, &d, &err), 0);
    assert_true(d.face_found);
    assert_int_equal(d.n_eyes, 2);
    double l[2] = {EYE_L[0] * 5, EYE_L[1] * 5}, rr[2] = {EYE_R[0] * 5, EYE_R[1] * 5};
    print_message("master eyes %.1f and %.1f px off (5x)\n", dist(d.eyes[0], l),
                  dist(d.eyes[1], rr));
    assert_true(dist(d.eyes[0], l) <= 5 * EYE_TOLERANCE_PX);
    assert_true(dist(d.eyes[1], rr) <= 5 * EYE_TOLERANCE_PX);

    /* The face box grown 15 %, inside the image. */
    double box[4];
    assert_true(ba_detect_face_box(&d, 0.15, 2560, 2560, box));
    assert_true(box[0] >= 0 && box[1] >= 0 && box[0] + box[2] <= 2560 && box[1] + box[3] <= 2560);
    assert_true(fabs(box[2] - d.face[2] * 1.15) < 1e-6);
    ba_detection none = {0};
    assert_false(ba_detect_face_box(&none, 0.15, 2560, 2560, box));

    assert_int_equal(ba_detect_photo(f->cat, 999, &d, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    g_free(jpg);
    g_free(save);
}

static int setup_init(void **state)
{
    (void)state;
    ba_error err;
    assert_int_equal(ba_init("test", &err), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_astronaut_eyes),
        cmocka_unit_test(test_flat_grey_finds_nothing),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_missing_cascade),
        cmocka_unit_test_setup_teardown(test_photo_master, tu_fixture_setup, tu_fixture_teardown),
    };
    const char *preload = g_getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        g_setenv("VIPS_NOVECTOR", "1", TRUE);
    int rc = cmocka_run_group_tests(tests, setup_init, NULL);
    ba_shutdown();
    return rc;
}
