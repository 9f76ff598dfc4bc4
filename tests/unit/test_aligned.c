/* ba_compose_aligned(): a photo warped onto its reference through the stored
 * alignment lines up with the reference pixel for pixel (what the web app's
 * before/after slider lays over it); refused without an alignment. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <math.h>

/* A real photo (scikit-image's astronaut, as test_compose uses). */
#define ASTRONAUT "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
#include <string.h>

static int64_t ingest(tu_fixture *f, VipsImage *img, const char *name, const char *date)
{
    char *path = g_build_filename(f->work, name, NULL);
    tu_save(img, path);
    ba_ingest_options o;
    tu_options(&o);
    o.date = date;
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_file(f->cat, path, &o, &r, &err))
        fail_msg("%s", err.message);
    g_free(path);
    return r.photo_id;
}

static VipsImage *load(const char *path)
{
    VipsImage *img = vips_image_new_from_file(path, "access", VIPS_ACCESS_RANDOM, NULL);
    assert_non_null(img);
    return img;
}

/* PSNR of the same @w x @h window at (@x, @y) of @a and @b. */
static double window_psnr(VipsImage *a, VipsImage *b, int x, int y, int w, int h)
{
    VipsImage *ca = NULL, *cb = NULL;
    assert_int_equal(vips_crop(a, &ca, x, y, w, h, NULL), 0);
    assert_int_equal(vips_crop(b, &cb, x, y, w, h, NULL), 0);
    double p = tu_psnr(ca, cb);
    g_object_unref(ca);
    g_object_unref(cb);
    return p;
}

static void test_aligned_lines_up(void **state)
{
    tu_fixture *f = *state;
    /* The after photo is the same scene seen 30 px right and 20 px down:
     * after(x, y) = reference(x + 30, y + 20). */
    VipsImage *big = vips_image_new_from_file(ASTRONAUT, NULL), *ref = NULL, *after = NULL;
    assert_non_null(big);
    assert_int_equal(vips_crop(big, &ref, 0, 0, 460, 400, NULL), 0);
    assert_int_equal(vips_crop(big, &after, 30, 20, 460, 400, NULL), 0);
    int64_t r = ingest(f, ref, "ref.png", "2026-01-05"), p = ingest(f, after, "after.png", "2026-03-02");
    ba_error err;
    char *out = g_build_filename(f->work, "aligned.png", NULL);
    /* No alignment stored yet: refused, nothing written. */
    assert_int_equal(ba_compose_aligned(f->cat, p, r, 0, out, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "no current alignment"));
    assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    /* Aligned (and stored) the way the server's POST /api/v1/alignments does. */
    ba_align_options ao;
    ba_align_options_init(&ao);
    ba_alignment a;
    if (ba_align_photos(f->cat, p, r, &ao, &a, &err))
        fail_msg("%s", err.message);
    if (fabs(a.tx - 30) > 0.5 || fabs(a.ty - 20) > 0.5)
        fail_msg("aligned with tx %.2f ty %.2f", a.tx, a.ty);

    if (ba_compose_aligned(f->cat, p, r, 0, out, &err))
        fail_msg("%s", err.message);
    char *ref_path = g_build_filename(f->work, "ref.png", NULL);
    VipsImage *w = load(out), *refimg = load(ref_path);
    g_free(ref_path);
    /* The reference's frame, at its size (460 < the preview edge: never enlarged). */
    assert_int_equal(w->Xsize, 460);
    assert_int_equal(w->Ysize, 400);
    /* Where the after photo covers the reference (x >= 30, y >= 20), the warped
     * photo is the reference; unwarped it is not (the test could fail). */
    double warped = window_psnr(w, refimg, 40, 30, 410, 360);
    double unwarped = window_psnr(after, refimg, 40, 30, 410, 360);
    if (warped < 35 || unwarped > 25)
        fail_msg("warped %.1f dB, unwarped %.1f dB", warped, unwarped);
    g_object_unref(w);

    /* At a smaller edge: the reference's frame scaled, the long edge given. */
    assert_int_equal(ba_compose_aligned(f->cat, p, r, 230, out, &err), 0);
    w = load(out);
    assert_int_equal(w->Xsize, 230);
    assert_int_equal(w->Ysize, 200);
    g_object_unref(w);

    /* The reference onto itself is itself. */
    assert_int_equal(ba_compose_aligned(f->cat, r, r, 0, out, &err), 0);
    w = load(out);
    assert_true(window_psnr(w, refimg, 0, 0, 460, 400) > 40);
    g_object_unref(w);

    /* The other way round has no alignment: refused. */
    assert_int_equal(ba_compose_aligned(f->cat, r, p, 0, out, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    /* Never into the library, and a long edge out of range is a usage error. */
    char *inside = g_build_filename(f->dir, "x.png", NULL);
    assert_int_equal(ba_compose_aligned(f->cat, p, r, 0, inside, &err), -1);
    assert_false(g_file_test(inside, G_FILE_TEST_EXISTS));
    assert_int_equal(ba_compose_aligned(f->cat, p, r, BA_COMPOSE_MAX_SIDE + 1, out, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);

    g_object_unref(refimg);
    g_object_unref(ref);
    g_object_unref(after);
    g_object_unref(big);
    g_free(inside);
    g_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_aligned_lines_up, tu_fixture_setup, tu_fixture_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
