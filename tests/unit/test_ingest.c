/* Unit tests of the ingest pipeline: orientation, colour, refusal, atomicity. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* Internal entry points of other modules' master reads (align, compose). */
#include "../../src/lib/ingest/load.h"

/* The library + work folder of each test (testutil.h). */
typedef tu_fixture fixture;
#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

static char *input_path(fixture *f, const char *name)
{
    return g_build_filename(f->work, name, NULL);
}

static VipsImage *load_master(fixture *f, const ba_ingest_result *r)
{
    char *p = g_build_filename(f->dir, r->master, NULL);
    VipsImage *m = vips_image_new_from_file(p, "access", VIPS_ACCESS_RANDOM, NULL);
    if (!m)
        fail_msg("cannot load master %s: %s", p, vips_error_buffer());
    g_free(p);
    VipsImage *mem = vips_image_copy_memory(m);
    g_object_unref(m);
    return mem;
}

static void expect_unchanged(fixture *f, const ba_catalog_counts *before)
{
    ba_catalog_counts after;
    ba_error err;
    assert_int_equal(ba_catalog_counts_get(f->cat, &after, &err), 0);
    assert_int_equal(after.photos, before->photos);
    assert_int_equal(after.sessions, before->sessions);
    char *masters = g_build_filename(f->dir, "masters", NULL);
    char *tmp = g_build_filename(f->dir, "tmp", NULL);
    assert_int_equal(tu_count_files(masters), before->photos);
    assert_int_equal(tu_count_files(tmp), 0);
    g_free(masters);
    g_free(tmp);
}

/* Store the upright scene so that EXIF orientation @o displays it upright. */
static VipsImage *stored_for_orientation(VipsImage *up, int o)
{
    VipsImage *t = NULL, *out = NULL;
    switch (o) {
    case 1: g_object_ref(up); out = up; break;
    case 2: vips_flip(up, &out, VIPS_DIRECTION_HORIZONTAL, NULL); break;
    case 3: vips_rot(up, &out, VIPS_ANGLE_D180, NULL); break;
    case 4: vips_flip(up, &out, VIPS_DIRECTION_VERTICAL, NULL); break;
    case 5: /* transpose is its own inverse */
        vips_rot(up, &t, VIPS_ANGLE_D90, NULL);
        vips_flip(t, &out, VIPS_DIRECTION_HORIZONTAL, NULL);
        break;
    case 6: vips_rot(up, &out, VIPS_ANGLE_D270, NULL); break; /* displayed after 90 CW */
    case 7: /* transverse is its own inverse */
        vips_rot(up, &t, VIPS_ANGLE_D270, NULL);
        vips_flip(t, &out, VIPS_DIRECTION_HORIZONTAL, NULL);
        break;
    case 8: vips_rot(up, &out, VIPS_ANGLE_D90, NULL); break;
    }
    if (t)
        g_object_unref(t);
    assert_non_null(out);
    VipsImage *mem = vips_image_copy_memory(out);
    g_object_unref(out);
    vips_image_set_int(mem, VIPS_META_ORIENTATION, o);
    return mem;
}

/* Invariant 2: the eight orientations of one scene give the same master. */
static void test_orientations_agree(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(240, 160);
    VipsImage *masters[9] = {NULL};
    for (int o = 1; o <= 8; o++) {
        VipsImage *stored = stored_for_orientation(scene, o);
        char name[32];
        snprintf(name, sizeof name, "o%d.jpg", o);
        char *path = input_path(f, name);
        char *spec = g_strdup_printf("%s[Q=100,subsample_mode=off]", path);
        tu_save(stored, spec);
        g_free(spec);
        g_object_unref(stored);

        /* The stored file really carries orientation o. */
        size_t len;
        unsigned char *bytes = tu_read(path, &len);
        ba_capture cap;
        assert_int_equal(ba_ingest_read_exif(bytes, len, &cap), 1);
        assert_int_equal(cap.orientation, o);
        g_free(bytes);

        ba_ingest_options opt;
        tu_options(&opt);
        ba_ingest_result r;
        ba_error err;
        if (ba_ingest_file(f->cat, path, &opt, &r, &err))
            fail_msg("orientation %d: %s", o, err.message);
        masters[o] = load_master(f, &r);
        assert_int_equal(masters[o]->Xsize, 240);
        assert_int_equal(masters[o]->Ysize, 160);
        g_free(path);
    }
    for (int o = 2; o <= 8; o++) {
        double psnr = tu_psnr(masters[1], masters[o]);
        if (psnr < 40.0)
            fail_msg("orientation %d: PSNR %.1f dB against orientation 1", o, psnr);
    }
    /* And the test can fail: a wrongly oriented master is far off. */
    VipsImage *flipped;
    assert_int_equal(vips_flip(masters[1], &flipped, VIPS_DIRECTION_HORIZONTAL, NULL), 0);
    assert_true(tu_psnr(masters[1], flipped) < 25.0);
    g_object_unref(flipped);
    for (int o = 1; o <= 8; o++)
        g_object_unref(masters[o]);
    g_object_unref(scene);
}

/* sRGB transfer function and its inverse. */
static double srgb_to_linear(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static void xyz_to_lab(const double xyz[3], double lab[3])
{
    static const double white[3] = {0.95047, 1.0, 1.08883};
    double fv[3];
    for (int i = 0; i < 3; i++) {
        double t = xyz[i] / white[i];
        fv[i] = t > 216.0 / 24389.0 ? cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0;
    }
    lab[0] = 116.0 * fv[1] - 16.0;
    lab[1] = 500.0 * (fv[0] - fv[1]);
    lab[2] = 200.0 * (fv[1] - fv[2]);
}

/* 8-bit RGB in a colour space with matrix @m (linear RGB -> XYZ D65) to Lab. */
static void rgb8_to_lab(const unsigned char *px, const double m[3][3], double lab[3])
{
    double lin[3], xyz[3];
    for (int i = 0; i < 3; i++)
        lin[i] = srgb_to_linear(px[i] / 255.0);
    for (int i = 0; i < 3; i++)
        xyz[i] = m[i][0] * lin[0] + m[i][1] * lin[1] + m[i][2] * lin[2];
    xyz_to_lab(xyz, lab);
}

static const double P3_TO_XYZ[3][3] = {{0.4865709, 0.2656677, 0.1982173},
                                       {0.2289746, 0.6917385, 0.0792869},
                                       {0.0000000, 0.0451134, 1.0439444}};
static const double SRGB_TO_XYZ[3][3] = {{0.4124564, 0.3575761, 0.1804375},
                                         {0.2126729, 0.7151522, 0.0721750},
                                         {0.0193339, 0.1191920, 0.9503041}};

/* Mean ΔE76 between the master and the analytic interpretation of the input. */
static double mean_de(VipsImage *input, const double in_m[3][3], VipsImage *master)
{
    assert_int_equal(input->Xsize, master->Xsize);
    size_t ilen, mlen;
    unsigned char *a = vips_image_write_to_memory(input, &ilen);
    unsigned char *b = vips_image_write_to_memory(master, &mlen);
    assert_int_equal(ilen, mlen);
    double sum = 0;
    size_t n = ilen / 3;
    for (size_t i = 0; i < n; i++) {
        double la[3], lb[3];
        rgb8_to_lab(a + 3 * i, in_m, la);
        rgb8_to_lab(b + 3 * i, SRGB_TO_XYZ, lb);
        sum += sqrt((la[0] - lb[0]) * (la[0] - lb[0]) + (la[1] - lb[1]) * (la[1] - lb[1]) +
                    (la[2] - lb[2]) * (la[2] - lb[2]));
    }
    g_free(a);
    g_free(b);
    return sum / (double)n;
}

/* Moderately saturated colours: inside sRGB, but far enough from it in P3
 * that ignoring the profile would show. */
static VipsImage *p3_patches(void)
{
    VipsImage *scene = tu_scene(192, 128), *scaled;
    assert_int_equal(vips_linear1(scene, &scaled, 0.55, 60, NULL), 0);
    VipsImage *u8;
    assert_int_equal(vips_cast_uchar(scaled, &u8, NULL), 0);
    VipsImage *mem = vips_image_copy_memory(u8);
    mem->Type = VIPS_INTERPRETATION_sRGB;
    g_object_unref(scene);
    g_object_unref(scaled);
    g_object_unref(u8);
    return mem;
}

/* Invariant 3: a Display P3 image becomes sRGB (mean ΔE76 <= 2 against the
 * analytic conversion); an untagged image passes through. */
static void test_p3_converted_to_srgb(void **state)
{
    fixture *f = *state;
    VipsImage *patches = p3_patches();
    size_t plen;
    void *profile = tu_p3_profile(&plen);
    VipsImage *tagged;
    assert_int_equal(vips_copy(patches, &tagged, NULL), 0);
    vips_image_set_blob_copy(tagged, VIPS_META_ICC_NAME, profile, plen);
    char *path = input_path(f, "p3.png");
    tu_save(tagged, path);

    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_file(f->cat, path, &opt, &r, &err))
        fail_msg("%s", err.message);
    assert_string_equal(r.warning, "");
    VipsImage *master = load_master(f, &r);
    assert_false(vips_image_get_typeof(master, VIPS_META_ICC_NAME));
    double de = mean_de(patches, P3_TO_XYZ, master);
    if (de > 2.0)
        fail_msg("P3 -> sRGB mean dE76 %.2f > 2", de);
    /* Had the profile been ignored, the error would be large. */
    double ignored = mean_de(patches, SRGB_TO_XYZ, master);
    if (ignored < 4.0)
        fail_msg("test cannot fail: profile effect only %.2f dE", ignored);

    /* Untagged: passes through unchanged apart from JPEG encoding. */
    char *plain = input_path(f, "plain.png");
    tu_save(patches, plain);
    if (ba_ingest_file(f->cat, plain, &opt, &r, &err))
        fail_msg("%s", err.message);
    VipsImage *pm = load_master(f, &r);
    double psnr = tu_psnr(patches, pm);
    if (psnr < 40.0)
        fail_msg("untagged image changed: PSNR %.1f dB", psnr);
    assert_true(mean_de(patches, SRGB_TO_XYZ, pm) < 1.0);

    g_object_unref(pm);
    g_object_unref(master);
    g_object_unref(tagged);
    g_object_unref(patches);
    g_free(profile);
    g_free(path);
    g_free(plain);
}

static void test_alpha_flattened_on_white(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(64, 64), *alpha, *rgba;
    /* Left half transparent, right half opaque. */
    VipsImage *xy, *x;
    assert_int_equal(vips_xyz(&xy, 64, 64, NULL), 0);
    assert_int_equal(vips_extract_band(xy, &x, 0, NULL), 0);
    VipsImage *mask;
    assert_int_equal(vips_moreeq_const1(x, &mask, 32, NULL), 0);
    assert_int_equal(vips_cast_uchar(mask, &alpha, NULL), 0);
    assert_int_equal(vips_bandjoin2(scene, alpha, &rgba, NULL), 0);
    char *path = input_path(f, "alpha.png");
    tu_save(rgba, path);
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_file(f->cat, path, &opt, &r, &err))
        fail_msg("%s", err.message);
    VipsImage *m = load_master(f, &r);
    assert_int_equal(m->Bands, 3);
    double *px = NULL;
    int n = 0;
    assert_int_equal(vips_getpoint(m, &px, &n, 5, 5, NULL), 0);
    for (int i = 0; i < n; i++)
        assert_true(px[i] >= 250);
    g_free(px);
    VipsImage *objs[] = {scene, alpha, rgba, xy, x, mask, m};
    for (size_t i = 0; i < G_N_ELEMENTS(objs); i++)
        g_object_unref(objs[i]);
    g_free(path);
}

static void test_sixteen_bit_and_grey(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(80, 60), *s16, *grey;
    assert_int_equal(vips_cast(scene, &s16, VIPS_FORMAT_USHORT, NULL), 0);
    VipsImage *s16b;
    assert_int_equal(vips_linear1(s16, &s16b, 257, 0, NULL), 0);
    VipsImage *s16c;
    assert_int_equal(vips_cast_ushort(s16b, &s16c, NULL), 0);
    s16c->Type = VIPS_INTERPRETATION_RGB16;
    char *p16 = input_path(f, "deep.png");
    tu_save(s16c, p16);
    assert_int_equal(vips_colourspace(scene, &grey, VIPS_INTERPRETATION_B_W, NULL), 0);
    char *pg = input_path(f, "grey.png");
    tu_save(grey, pg);
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_file(f->cat, p16, &opt, &r, &err))
        fail_msg("%s", err.message);
    VipsImage *m = load_master(f, &r);
    assert_int_equal(m->BandFmt, VIPS_FORMAT_UCHAR);
    assert_true(tu_psnr(scene, m) > 40.0);
    g_object_unref(m);
    if (ba_ingest_file(f->cat, pg, &opt, &r, &err))
        fail_msg("%s", err.message);
    m = load_master(f, &r);
    assert_int_equal(m->Bands, 3);
    g_object_unref(m);
    VipsImage *objs[] = {scene, s16, s16b, s16c, grey};
    for (size_t i = 0; i < G_N_ELEMENTS(objs); i++)
        g_object_unref(objs[i]);
    g_free(p16);
    g_free(pg);
}

static void test_truncated_leaves_nothing(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(320, 240);
    char *path = input_path(f, "whole.jpg");
    tu_save(scene, path);
    size_t len;
    unsigned char *bytes = tu_read(path, &len);
    ba_catalog_counts before;
    ba_error err;
    assert_int_equal(ba_catalog_counts_get(f->cat, &before, &err), 0);
    ba_ingest_options opt;
    tu_options(&opt);
    /* Cut in the header, in the middle and just before the end. */
    size_t cuts[] = {20, len / 3, len / 2, len - 10};
    for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
        ba_ingest_result r;
        int rc = ba_ingest_buffer(f->cat, "cut.jpg", bytes, cuts[i], &opt, &r, &err);
        assert_int_equal(rc, -1);
        assert_true(err.code == BA_ERR_CORRUPT || err.code == BA_ERR_FORMAT);
        assert_non_null(strstr(err.message, "cut.jpg"));
        assert_null(strchr(err.message, '\n'));
        expect_unchanged(f, &before);
    }
    g_free(bytes);
    g_free(path);
    g_object_unref(scene);
}

static unsigned long crc32_of(const unsigned char *p, size_t n)
{
    unsigned long c = 0xffffffffUL;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320UL & (0UL - (c & 1)));
    }
    return c ^ 0xffffffffUL;
}

static void put32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Invariant 7: a header claiming 200 000 x 200 000 pixels is refused before decoding. */
static void test_pixel_bomb_refused(void **state)
{
    fixture *f = *state;
    unsigned char png[8 + 25 + 20 + 12];
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    unsigned char *ihdr = png + 8;
    put32(ihdr, 13);
    memcpy(ihdr + 4, "IHDR", 4);
    put32(ihdr + 8, 200000);
    put32(ihdr + 12, 200000);
    ihdr[16] = 8;  /* bit depth */
    ihdr[17] = 2;  /* RGB */
    ihdr[18] = ihdr[19] = ihdr[20] = 0;
    put32(ihdr + 21, crc32_of(ihdr + 4, 17));
    /* A token IDAT (an empty zlib stream): libpng reads up to it for the header. */
    unsigned char *idat = png + 33;
    put32(idat, 8);
    memcpy(idat + 4, "IDAT", 4);
    memcpy(idat + 8, "\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
    put32(idat + 16, crc32_of(idat + 4, 12));
    unsigned char *iend = png + 53;
    put32(iend, 0);
    memcpy(iend + 4, "IEND", 4);
    put32(iend + 8, crc32_of(iend + 4, 4));
    ba_catalog_counts before;
    ba_error err;
    assert_int_equal(ba_catalog_counts_get(f->cat, &before, &err), 0);
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    gint64 t0 = g_get_monotonic_time();
    assert_int_equal(ba_ingest_buffer(f->cat, "bomb.png", png, sizeof png, &opt, &r, &err), -1);
    if (err.code != BA_ERR_TOO_LARGE)
        fail_msg("bomb: %s", err.message);
    assert_non_null(strstr(err.message, "bomb.png"));
    assert_non_null(strstr(err.message, "200000 x 200000"));
    /* Not a timed test: a decode of 40 gigapixels could not finish at all. */
    assert_true(g_get_monotonic_time() - t0 < 30 * G_USEC_PER_SEC);
    expect_unchanged(f, &before);

    /* The limit is an option. */
    VipsImage *scene = tu_scene(400, 300);
    char *path = input_path(f, "small.png");
    tu_save(scene, path);
    opt.max_megapixels = 0.1;
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_TOO_LARGE);
    opt.max_megapixels = 0.2;
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), 0);
    g_object_unref(scene);
    g_free(path);
}

static void test_refused_formats(void **state)
{
    fixture *f = *state;
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    ba_error err;
    static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
                                       "!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00"
                                       "\x01\x00\x00\x02\x02\x44\x01\x00;";
    assert_int_equal(ba_ingest_buffer(f->cat, "a.gif", gif, sizeof gif - 1, &opt, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_FORMAT);
    static const char text[] = "hello, I am not a photo\n";
    assert_int_equal(ba_ingest_buffer(f->cat, "t.jpg", (const unsigned char *)text,
                                      sizeof text - 1, &opt, &r, &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_FORMAT);
    assert_non_null(strstr(err.message, "t.jpg"));
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
                              "height=\"10\"></svg>";
    assert_int_equal(ba_ingest_buffer(f->cat, "x.svg", (const unsigned char *)svg,
                                      sizeof svg - 1, &opt, &r, &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_FORMAT);
    assert_int_equal(ba_ingest_buffer(f->cat, "e.jpg", (const unsigned char *)"", 0, &opt, &r,
                                      &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_FORMAT);
    assert_int_equal(ba_ingest_file(f->cat, f->work, &opt, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_FORMAT);
    char *missing = input_path(f, "missing.jpg");
    assert_int_equal(ba_ingest_file(f->cat, missing, &opt, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    g_free(missing);
}

static void test_date_from_exif_or_refused(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(64, 48);
    char *path = input_path(f, "nodate.jpg");
    tu_save(scene, path);
    ba_ingest_options opt;
    tu_options(&opt);
    opt.date = NULL;
    ba_ingest_result r;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_NO_DATE);
    /* The message names the missing value; what to do is the hint, which
     * each program words (the CLI: --date). */
    assert_non_null(strstr(err.message, "no session date"));
    assert_int_equal(err.hint, BA_HINT_GIVE_DATE);
    assert_null(strstr(err.message, "--"));
    opt.date = "2026-02-30";
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    opt.client = "C-404";
    opt.date = "2026-02-03";
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    opt.client = "C-1";
    opt.area = "elbow";
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "cheeks"));
    g_object_unref(scene);
    g_free(path);
}

static void test_duplicate_is_one_photo(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(100, 80);
    char *path = input_path(f, "dup.jpg");
    tu_save(scene, path);
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r1, r2;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r1, &err), 0);
    assert_int_equal(r1.status, BA_INGEST_INGESTED);
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r2, &err), 0);
    assert_int_equal(r2.status, BA_INGEST_DUPLICATE);
    assert_int_equal(r2.photo_id, r1.photo_id);
    assert_string_equal(r2.master, r1.master);
    ba_catalog_counts c;
    assert_int_equal(ba_catalog_counts_get(f->cat, &c, &err), 0);
    assert_int_equal(c.photos, 1);
    g_object_unref(scene);
    g_free(path);
}

/* A full disk while writing the master: clear error, nothing left behind. */
static void test_disk_full_leaves_nothing(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(200, 100);
    char *path = input_path(f, "full.png");
    tu_save(scene, path);
    ba_catalog_counts before;
    ba_error err;
    assert_int_equal(ba_catalog_counts_get(f->cat, &before, &err), 0);
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    setenv("BA_FAULT_WRITE", "enospc", 1);
    int rc = ba_ingest_file(f->cat, path, &opt, &r, &err);
    unsetenv("BA_FAULT_WRITE");
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, BA_ERR_NOSPACE);
    assert_non_null(strstr(err.message, "full.png"));
    expect_unchanged(f, &before);
    /* And the same file goes in once there is space again. */
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), 0);
    g_object_unref(scene);
    g_free(path);
}

static void test_formats_accepted(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(96, 64);
    const char *names[] = {"s.webp", "s.tif", "s.heic"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *path = input_path(f, names[i]);
        int made;
        if (g_str_has_suffix(names[i], ".heic")) {
            /* Encode HEIC in a child `vips` process: x265's hand-written
             * assembly upsets valgrind, and only our decode path matters here. */
            char *png = input_path(f, "heic-src.png");
            tu_save(scene, png);
            char *argv[] = {"vips", "copy", png, path, NULL};
            int status = -1;
            made = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                &status, NULL) && g_spawn_check_wait_status(status, NULL)
                       ? 0
                       : -1;
            g_free(png);
        } else {
            made = vips_image_write_to_file(scene, path, NULL);
        }
        if (made) {
            /* HEIC needs an encoder in libheif; the e2e suite covers a real one. */
            print_message("skipping %s: %s\n", names[i], vips_error_buffer());
            vips_error_clear();
            g_free(path);
            continue;
        }
        ba_ingest_options opt;
        tu_options(&opt);
        ba_ingest_result r;
        ba_error err;
        if (ba_ingest_file(f->cat, path, &opt, &r, &err))
            fail_msg("%s: %s", names[i], err.message);
        VipsImage *m = load_master(f, &r);
        assert_int_equal(m->Xsize, 96);
        assert_int_equal(m->Ysize, 64);
        assert_true(tu_psnr(scene, m) > 30.0);
        g_object_unref(m);
        g_free(path);
    }
    g_object_unref(scene);
}

/* Write @len bytes to @path. */
static void write_file(const char *path, const void *data, size_t len)
{
    GError *gerr = NULL;
    if (!g_file_set_contents(path, data, (gssize)len, &gerr))
        fail_msg("%s: %s", path, gerr->message);
}

/* Library messages never name CLI flags (the CLI may add its own hints). */
static void expect_no_flag(const ba_error *err)
{
    if (strstr(err->message, " --"))
        fail_msg("a library message names a CLI flag: %s", err->message);
}

/* Item 8 (issue 10): a file whose size shrinks while it is read is refused
 * with one line, not read past its end.  A sysfs attribute is a regular file
 * whose fstat() says 4096 bytes and whose read() gives a few: the same short
 * read a truncation in the middle of reading gives, deterministically. */
static void test_changed_while_read_refused(void **state)
{
    fixture *f = *state;
    const char *sys = "/sys/devices/system/cpu/online";
    struct stat st;
    if (stat(sys, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64) {
        print_message("skipping: %s is not a sysfs attribute here\n", sys);
        return;
    }
    ba_catalog_counts before;
    ba_error err;
    assert_int_equal(ba_catalog_counts_get(f->cat, &before, &err), 0);
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    assert_int_equal(ba_ingest_file(f->cat, sys, &opt, &r, &err), -1);
    if (err.code != BA_ERR_IO || !strstr(err.message, "changed while being read"))
        fail_msg("expected 'changed while being read', got: %s", err.message);
    assert_true(g_str_has_prefix(err.message, sys));
    expect_no_flag(&err);
    expect_unchanged(f, &before);
    /* The loader that align and compose use reads the same way. */
    VipsImage *img = NULL;
    assert_int_equal(ba_ingest_load(sys, 0, &img, NULL, &err), -1);
    assert_null(img);
    assert_int_equal(err.code, BA_ERR_IO);
}

/* Item 8: the pixels of a loaded file come from our copy, not the file: a
 * file truncated after it was opened decodes as it was (with a mapping,
 * this decode died of SIGBUS). */
static void test_load_survives_truncation(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(640, 480);
    char *path = input_path(f, "t.tif");
    tu_save(scene, path); /* uncompressed: the decode reads the file's own bytes */
    VipsImage *img = NULL;
    ba_error err;
    if (ba_ingest_load(path, 0, &img, NULL, &err))
        fail_msg("load: %s", err.message);
    assert_int_equal(truncate(path, 0), 0);
    VipsImage *mem = vips_image_copy_memory(img);
    if (!mem)
        fail_msg("decode after truncation: %s", vips_error_buffer());
    assert_true(tu_psnr(scene, mem) > 40.0);
    g_object_unref(mem);
    g_object_unref(img);
    g_object_unref(scene);
    g_free(path);
}

/* The byte bound that goes with the pixel limit is checked before reading. */
static void test_file_bound_refused_before_reading(void **state)
{
    fixture *f = *state;
    assert_true(ba_ingest_max_file_bytes(0) == 816777216u);
    assert_true(ba_ingest_max_file_bytes(100) == 816777216u);
    assert_true(ba_ingest_max_file_bytes(1e300) == UINT64_MAX);
    /* 100 pixels allow 800 bytes + 16 MiB: a sparse file one MiB over that. */
    char *path = input_path(f, "sparse.jpg");
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fputs("\xff\xd8\xff", fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(truncate(path, (off_t)17 << 20), 0);
    ba_ingest_options opt;
    tu_options(&opt);
    opt.max_megapixels = 0.0001;
    ba_ingest_result r;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), -1);
    if (err.code != BA_ERR_TOO_LARGE || !strstr(err.message, "sparse.jpg") ||
        !strstr(err.message, "refused before reading"))
        fail_msg("expected a refusal by size, got: %s", err.message);
    expect_no_flag(&err);
    g_free(path);
}

/* Low items: a refused file is described as what it is, never as "an
 * ImageMagick format" (the loader that would have claimed it). */
static void test_refusal_says_what_it_is(void **state)
{
    fixture *f = *state;
    ba_ingest_options opt;
    tu_options(&opt);
    static const struct {
        const char *name, *data;
        size_t len;
        ba_code code;
        const char *want;
    } cases[] = {
        {"zeros.jpg", NULL, 4096, BA_ERR_FORMAT, "not an image: only zero bytes"},
        {"p.ppm", "P6\n2 2\n255\n\1\2\3\4\5\6\7\10\11\12\13\14", 23, BA_ERR_FORMAT,
         "a PPM/PNM image, which beforeafter does not accept"},
        {"a.pgm", "P2\n2 1\n255\n0 255\n", 17, BA_ERR_FORMAT, "PPM/PNM"},
        {"b.bmp", "BM\x3a\0\0\0\0\0\0\0\x36\0\0\0", 14, BA_ERR_FORMAT, "a BMP image"},
        {"d.pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 15, BA_ERR_FORMAT, "a PDF document"},
        {"cut.tif", "II*\0\x08\0\0\0\x0c\0", 10, BA_ERR_CORRUPT,
         "starts like a TIFF file but cannot be read"},
        {"notes.jpg", "BMW: a shopping list\n", 21, BA_ERR_FORMAT, "a text file"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        unsigned char *bytes = g_malloc0(cases[i].len);
        if (cases[i].data)
            memcpy(bytes, cases[i].data, cases[i].len);
        ba_ingest_result r;
        ba_error err;
        assert_int_equal(
            ba_ingest_buffer(f->cat, cases[i].name, bytes, cases[i].len, &opt, &r, &err), -1);
        if (err.code != cases[i].code || !strstr(err.message, cases[i].want) ||
            strstr(err.message, "ImageMagick") || !g_str_has_prefix(err.message, cases[i].name))
            fail_msg("%s: expected '%s' (code %d), got (code %d): %s", cases[i].name,
                     cases[i].want, cases[i].code, err.code, err.message);
        expect_no_flag(&err);
        g_free(bytes);
    }
}

/* A name with a newline in it is shown once, blanked, not twice. */
static void test_odd_name_shown_once(void **state)
{
    fixture *f = *state;
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    ba_error err;
    static const char text[] = "not a photo\n";
    assert_int_equal(ba_ingest_buffer(f->cat, "x\nname.jpg", (const unsigned char *)text,
                                      sizeof text - 1, &opt, &r, &err),
                     -1);
    assert_true(g_str_has_prefix(err.message, "x name.jpg: "));
    assert_null(strstr(err.message + 1, "x name.jpg"));
}

/* Item 3: a master overwritten with another valid JPEG (another client's
 * photo) is refused by every reader, not rendered as this photo. */
static void test_overwritten_master_refused(void **state)
{
    fixture *f = *state;
    VipsImage *scene = tu_scene(320, 240);
    VipsImage *other = NULL;
    assert_int_equal(vips_flip(scene, &other, VIPS_DIRECTION_HORIZONTAL, NULL), 0);
    char *pa = input_path(f, "a.png"), *pb = input_path(f, "b.png");
    tu_save(scene, pa);
    tu_save(other, pb);
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result ra, rb;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, pa, &opt, &ra, &err), 0);
    assert_int_equal(ba_ingest_file(f->cat, pb, &opt, &rb, &err), 0);
    ba_photo a;
    assert_int_equal(ba_catalog_photo_get(f->cat, ra.photo_id, &a, &err), 0);
    char *ma = g_build_filename(f->dir, ra.master, NULL);
    char *mb = g_build_filename(f->dir, rb.master, NULL);

    size_t alen, blen;
    unsigned char *abytes = tu_read(ma, &alen);
    unsigned char *bbytes = tu_read(mb, &blen);
    VipsImage *img = NULL;
    if (ba_ingest_open_master(f->dir, a.master_sha256, &img, &err))
        fail_msg("open_master: %s", err.message);
    g_object_unref(img);
    img = NULL;

    /* B's master bytes over A's master file: refused, naming the file. */
    write_file(ma, bbytes, blen);
    assert_int_equal(ba_ingest_open_master(f->dir, a.master_sha256, &img, &err), -1);
    assert_null(img);
    assert_int_equal(err.code, BA_ERR_CORRUPT);
    if (!strstr(err.message, "no longer matches its recorded SHA-256") ||
        !g_str_has_prefix(err.message, ma))
        fail_msg("unexpected message: %s", err.message);
    expect_no_flag(&err);

    /* The right bytes back: it opens, and decodes (whole or shrunk) from the
     * verified copy even once the file is gone. */
    write_file(ma, abytes, alen);
    assert_int_equal(ba_ingest_open_master(f->dir, a.master_sha256, &img, &err), 0);
    assert_int_equal(g_unlink(ma), 0);
    VipsImage *small = NULL;
    assert_int_equal(ba_ingest_master_shrink(img, 2, VIPS_ACCESS_SEQUENTIAL, &small), 0);
    assert_int_equal(small->Xsize, 160);
    VipsImage *mem = vips_image_copy_memory(img);
    assert_non_null(mem);
    assert_true(tu_psnr(scene, mem) > 35.0);
    g_object_unref(mem);
    g_object_unref(small);
    g_object_unref(img);
    img = NULL;
    assert_int_equal(ba_ingest_open_master(f->dir, a.master_sha256, &img, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    g_free(abytes);
    g_free(bbytes);
    g_free(ma);
    g_free(mb);
    g_free(pa);
    g_free(pb);
    g_object_unref(other);
    g_object_unref(scene);
}

/* The next writer removes what dead writers left in tmp/, and nothing else. */
static void test_ingest_sweeps_dead_writers_tmp(void **state)
{
    fixture *f = *state;
    char *dead = g_build_filename(f->dir, "tmp", "ingest-99999999-abcdef.jpg", NULL);
    char *dead2 = g_build_filename(f->dir, "tmp", "ingest-99999998-consent-0001.pdf", NULL);
    char *mine_name = g_strdup_printf("ingest-%d-kept.jpg", (int)getpid());
    char *mine = g_build_filename(f->dir, "tmp", mine_name, NULL);
    char *other = g_build_filename(f->dir, "tmp", "notes.txt", NULL);
    write_file(dead, "x", 1);
    write_file(dead2, "x", 1);
    write_file(mine, "x", 1);
    write_file(other, "x", 1);
    VipsImage *scene = tu_scene(64, 48);
    char *path = input_path(f, "s.png");
    tu_save(scene, path);
    ba_ingest_options opt;
    tu_options(&opt);
    ba_ingest_result r;
    ba_error err;
    assert_int_equal(ba_ingest_file(f->cat, path, &opt, &r, &err), 0);
    assert_false(g_file_test(dead, G_FILE_TEST_EXISTS));
    assert_false(g_file_test(dead2, G_FILE_TEST_EXISTS));
    assert_true(g_file_test(mine, G_FILE_TEST_EXISTS)); /* a live writer's */
    assert_true(g_file_test(other, G_FILE_TEST_EXISTS)); /* not ours to judge */
    g_unlink(mine);
    g_unlink(other);
    g_free(dead);
    g_free(dead2);
    g_free(mine);
    g_free(mine_name);
    g_free(other);
    g_free(path);
    g_object_unref(scene);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_orientations_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_p3_converted_to_srgb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alpha_flattened_on_white, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sixteen_bit_and_grey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pixel_bomb_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_from_exif_or_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_is_one_photo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_formats_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_while_read_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_survives_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_bound_refused_before_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_says_what_it_is, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_name_shown_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overwritten_master_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_sweeps_dead_writers_tmp, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
