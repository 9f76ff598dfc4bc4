/* The de-identification measured on the output (src/lib/consent/coverage.c):
 * the check reads the pixels of the written file, so a drawing bug cannot
 * pass.  Each case writes an image as a (correct or broken) renderer would
 * have and asks ex_coverage_check() about it:
 * - bars over both eyes of both panels pass (measured 100 %);
 * - no bar at all (the bug of issue 13), a bar in panel 1 only, a bar 30 px
 *   off, refuse naming the comparison and the panel;
 * - half-letterbox drawn the old way (the upper half, ending at the pupils)
 *   refuses: the pupils are not covered; centred on the eye line it passes;
 * - given eyes outside what a panel shows refuse;
 * - crop-to-area passes when no eye lies in the panels and refuses when one does. */
#include <glib/gstdio.h>
#include <string.h>

#include "testutil.h"
#include "../../src/lib/consent/export.h"

/* Two 200 x 150 panels side by side; the crop is 400 x 300 reference px from
 * (0, 0), so k = 0.5; eyes at (150,120) and (250,120): in the output (75,60)
 * and (125,60) (+200 in panel 2), d = 50 output px. */
typedef struct scene {
    char *dir;
    char *path;
    job j;
    item it;
    ba_export_options o;
} scene;

static int setup(void **state)
{
    scene *s = g_new0(scene, 1);
    s->dir = tu_tmpdir();
    s->path = g_build_filename(s->dir, "1.png", NULL);
    s->j.o = &s->o;
    s->j.deid = BA_DEID_EYES;
    s->it.tmp = s->path;
    s->it.rec.id = 4;
    s->it.rec.n_photos = 2;
    s->it.out.n_photos = 2;
    const double crop[4] = {0, 0, 400, 300};
    memcpy(s->it.out.crop, crop, sizeof crop);
    for (int p = 0; p < 2; p++) {
        s->it.out.panels[p][0] = 200 * p;
        s->it.out.panels[p][2] = 200;
        s->it.out.panels[p][3] = 150;
        g_strlcpy(s->it.photos[p].stage, p ? "after" : "before", sizeof s->it.photos[p].stage);
        s->it.deid[p].n_eyes = 2;
        s->it.deid[p].eyes[0][0] = 150;
        s->it.deid[p].eyes[0][1] = 120;
        s->it.deid[p].eyes[1][0] = 250;
        s->it.deid[p].eyes[1][1] = 120;
    }
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    scene *s = *state;
    tu_rmtree(s->dir);
    g_free(s->dir);
    g_free(s->path);
    g_free(s);
    return 0;
}

/* The scene with black bars [x0, x0 + w) x [y0, y0 + h) (output px of panel 1)
 * drawn into the panels listed in @panels (bit p = panel p + 1). */
static void write_output(const scene *s, int panels, int x0, int y0, int w, int h)
{
    VipsImage *img = tu_scene(400, 150), *mem = vips_image_copy_memory(img);
    double black[3] = {0, 0, 0};
    for (int p = 0; p < 2; p++)
        if (panels & (1 << p))
            assert_int_equal(vips_draw_rect(mem, black, 3, x0 + 200 * p, y0, w, h, "fill", TRUE,
                                            NULL),
                             0);
    tu_save(mem, s->path);
    g_object_unref(mem);
    g_object_unref(img);
}

static void expect_refused(scene *s, const char *says)
{
    ba_error err;
    assert_int_equal(ex_coverage_check(&s->j, &s->it, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    if (!strstr(err.message, says))
        fail_msg("expected '%s' in: %s", says, err.message);
}

static void test_bars(void **state)
{
    scene *s = *state;
    ba_error err;
    /* The eyes bar: 0.5 d beyond each eye, 0.3 d above and below. */
    write_output(s, 3, 50, 45, 100, 30);
    assert_int_equal(ex_coverage_check(&s->j, &s->it, &err), 0);
    assert_true(s->it.deid[0].measured == 1.0 && s->it.deid[1].measured == 1.0);

    write_output(s, 0, 0, 0, 0, 0);
    expect_refused(s, "comparison 4, panel 1 (before): the eyes are not covered: 0 %");
    write_output(s, 1, 50, 45, 100, 30);
    expect_refused(s, "comparison 4, panel 2 (after): the eyes are not covered");
    write_output(s, 3, 50, 75, 100, 30); /* drawn 30 px too low */
    expect_refused(s, "panel 1 (before): the eyes are not covered");
}

static void test_half_letterbox(void **state)
{
    scene *s = *state;
    ba_error err;
    s->j.deid = BA_DEID_HALF_LETTERBOX;
    write_output(s, 3, 50, 45, 100, 15); /* the old upper half: ends at the eye line */
    expect_refused(s, "panel 1 (before): the pupils are not covered");
    write_output(s, 3, 50, 52, 100, 16); /* centred on the eye line, 0.15 d each way */
    assert_int_equal(ex_coverage_check(&s->j, &s->it, &err), 0);
}

static void test_given_eyes_outside(void **state)
{
    scene *s = *state;
    /* The regression of issue 13: points that are not in what is shown. */
    for (int p = 0; p < 2; p++) {
        s->it.deid[p].eyes[0][0] = 2, s->it.deid[p].eyes[0][1] = 2;
        s->it.deid[p].eyes[1][0] = 30, s->it.deid[p].eyes[1][1] = 2;
    }
    s->it.out.crop[0] = 172;
    s->it.out.crop[1] = 242;
    write_output(s, 0, 0, 0, 0, 0);
    expect_refused(s, "panel 1 (before): the eyes are not covered: eye 1 (2,2) lies outside");
}

static void test_crop(void **state)
{
    scene *s = *state;
    ba_error err;
    s->j.deid = BA_DEID_CROP_TO_AREA;
    /* The panels show the cheeks band below the eyes. */
    s->it.out.crop[1] = 160;
    s->it.out.crop[3] = 300;
    write_output(s, 0, 0, 0, 0, 0);
    assert_int_equal(ex_coverage_check(&s->j, &s->it, &err), 0);
    s->it.out.crop[1] = 100; /* the eye line at 120 is now shown */
    expect_refused(s, "panel 1 (before): an eye is shown");
}

int main(void)
{
    ba_error err;
    if (ba_init("test_deid", &err))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_letterbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_given_eyes_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crop, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
