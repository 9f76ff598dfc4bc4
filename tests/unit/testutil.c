/* Helpers shared by the unit tests. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <lcms2.h>
#include <math.h>
#include <string.h>

char *tu_tmpdir(void)
{
    GError *e = NULL;
    char *d = g_dir_make_tmp("ba-test-XXXXXX", &e);
    assert_non_null(d);
    return d;
}

void tu_rmtree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d))) {
            char *p = g_build_filename(path, n, NULL);
            if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                tu_rmtree(p);
            else
                g_unlink(p);
            g_free(p);
        }
        g_dir_close(d);
    }
    g_rmdir(path);
}

ba_catalog *tu_library(char **dir)
{
    ba_error err;
    assert_int_equal(ba_init("test", &err), 0);
    char *tmp = tu_tmpdir();
    *dir = g_build_filename(tmp, "lib", NULL);
    g_free(tmp);
    ba_catalog *cat = ba_catalog_create(*dir, &err);
    if (!cat)
        fail_msg("create: %s", err.message);
    assert_int_equal(ba_catalog_client_add(cat, "C-1", "Test Client", NULL, &err), 0);
    return cat;
}

int tu_count_files(const char *dir)
{
    int n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return 0;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            n += tu_count_files(p);
        else
            n++;
        g_free(p);
    }
    g_dir_close(d);
    return n;
}

VipsImage *tu_scene(int w, int h)
{
    /* r = x ramp, g = y ramp, b = a disc + stripes: no symmetry, so a wrong
     * rotation or flip shows. */
    VipsImage *xy, *x, *y, *r, *g, *b, *rgb, *out;
    assert_int_equal(vips_xyz(&xy, w, h, NULL), 0);
    assert_int_equal(vips_extract_band(xy, &x, 0, NULL), 0);
    assert_int_equal(vips_extract_band(xy, &y, 1, NULL), 0);
    assert_int_equal(vips_linear1(x, &r, 255.0 / w, 0, NULL), 0);
    assert_int_equal(vips_linear1(y, &g, 255.0 / h, 0, NULL), 0);
    VipsImage *dx, *dy, *d2, *s;
    assert_int_equal(vips_linear1(x, &dx, 1, -w * 0.3, NULL), 0);
    assert_int_equal(vips_linear1(y, &dy, 1, -h * 0.35, NULL), 0);
    VipsImage *dx2, *dy2;
    assert_int_equal(vips_multiply(dx, dx, &dx2, NULL), 0);
    assert_int_equal(vips_multiply(dy, dy, &dy2, NULL), 0);
    assert_int_equal(vips_add(dx2, dy2, &d2, NULL), 0);
    double rad = (w < h ? w : h) * 0.2;
    assert_int_equal(vips_less_const1(d2, &s, rad * rad, NULL), 0);
    VipsImage *stripes, *st8;
    assert_int_equal(vips_sines(&stripes, w, h, "hfreq", 3.0, "vfreq", 1.0, NULL), 0);
    assert_int_equal(vips_linear1(stripes, &st8, 60, 100, NULL), 0);
    VipsImage *bsum;
    assert_int_equal(vips_add(st8, s, &bsum, NULL), 0);
    assert_int_equal(vips_linear1(bsum, &b, 1, 0, NULL), 0);
    VipsImage *bands[3] = {r, g, b};
    assert_int_equal(vips_bandjoin(bands, &rgb, 3, NULL), 0);
    assert_int_equal(vips_cast_uchar(rgb, &out, NULL), 0);
    out->Type = VIPS_INTERPRETATION_sRGB;
    VipsImage *mem = vips_image_copy_memory(out);
    assert_non_null(mem);
    VipsImage *all[] = {xy, x, y, r, g, dx, dy, d2, s, dx2, dy2, stripes, st8, bsum, b, rgb, out};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        g_object_unref(all[i]);
    return mem;
}

void tu_save(VipsImage *img, const char *path)
{
    if (vips_image_write_to_file(img, path, NULL))
        fail_msg("save %s: %s", path, vips_error_buffer());
}

unsigned char *tu_read(const char *path, size_t *len)
{
    char *data = NULL;
    gsize n = 0;
    assert_true(g_file_get_contents(path, &data, &n, NULL));
    *len = n;
    return (unsigned char *)data;
}

double tu_psnr(VipsImage *a, VipsImage *b)
{
    assert_int_equal(a->Xsize, b->Xsize);
    assert_int_equal(a->Ysize, b->Ysize);
    VipsImage *d, *sq;
    double mse;
    assert_int_equal(vips_subtract(a, b, &d, NULL), 0);
    assert_int_equal(vips_multiply(d, d, &sq, NULL), 0);
    assert_int_equal(vips_avg(sq, &mse, NULL), 0);
    g_object_unref(d);
    g_object_unref(sq);
    if (mse <= 0)
        return 99.0;
    return 10.0 * log10(255.0 * 255.0 / mse);
}

void *tu_p3_profile(size_t *len)
{
    cmsCIExyY white = {0.3127, 0.3290, 1.0};
    cmsCIExyYTRIPLE primaries = {{0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0}};
    /* The sRGB transfer curve: IEC 61966-2-1 parametric type 4. */
    double params[5] = {2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};
    cmsToneCurve *curve = cmsBuildParametricToneCurve(NULL, 4, params);
    cmsToneCurve *curves[3] = {curve, curve, curve};
    cmsHPROFILE p = cmsCreateRGBProfile(&white, &primaries, curves);
    assert_non_null(p);
    cmsMLU *desc = cmsMLUalloc(NULL, 1);
    cmsMLUsetASCII(desc, "en", "US", "Display P3 (test)");
    cmsWriteTag(p, cmsSigProfileDescriptionTag, desc);
    cmsMLUfree(desc);
    cmsUInt32Number n = 0;
    assert_true(cmsSaveProfileToMem(p, NULL, &n));
    void *buf = g_malloc(n);
    assert_true(cmsSaveProfileToMem(p, buf, &n));
    cmsCloseProfile(p);
    cmsFreeToneCurve(curve);
    *len = n;
    return buf;
}

void tu_options(ba_ingest_options *o)
{
    ba_ingest_options_init(o);
    o->client = "C-1";
    o->area = "cheeks";
    o->date = "2026-01-02";
}

int tu_fixture_setup(void **state)
{
    tu_fixture *f = g_new0(tu_fixture, 1);
    f->cat = tu_library(&f->dir);
    f->work = tu_tmpdir();
    *state = f;
    return 0;
}

int tu_fixture_teardown(void **state)
{
    tu_fixture *f = *state;
    ba_catalog_close(f->cat);
    char *parent = g_path_get_dirname(f->dir);
    tu_rmtree(parent);
    tu_rmtree(f->work);
    g_free(parent);
    g_free(f->dir);
    g_free(f->work);
    g_free(f);
    return 0;
}
