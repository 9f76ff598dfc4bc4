/* Unit tests of automatic alignment: accuracy on pairs with a known
 * similarity, the pixel-centre conventions, determinism, refusals, landmark
 * points, regions of interest and storage in a library. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "../../src/lib/align/internal.h"

#define SKDATA "/usr/lib/python3/dist-packages/skimage/data/"

typedef struct fixture {
    char *work; /* temp folder for inputs */
    VipsImage *astro; /* 512 x 512 sRGB, in memory */
} fixture;

static VipsImage *load_png(const char *path)
{
    VipsImage *in = vips_image_new_from_file(path, NULL);
    if (!in)
        return NULL;
    VipsImage *rgb = NULL;
    if (in->Bands == 4)
        vips_extract_band(in, &rgb, 0, "n", 3, NULL);
    else if (in->Bands == 1)
        vips_colourspace(in, &rgb, VIPS_INTERPRETATION_sRGB, NULL);
    else {
        rgb = in;
        g_object_ref(rgb);
    }
    g_object_unref(in);
    VipsImage *mem = vips_image_copy_memory(rgb);
    g_object_unref(rgb);
    return mem;
}

static int setup(void **state)
{
    ba_error err;
    assert_int_equal(ba_init("test", &err), 0);
    fixture *f = g_new0(fixture, 1);
    f->work = tu_tmpdir();
    f->astro = load_png(SKDATA "astronaut.png");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->astro)
        g_object_unref(f->astro);
    tu_rmtree(f->work);
    g_free(f->work);
    g_free(f);
    vips_error_clear();
    return 0;
}

#define NEED_ASTRO(f)                                                                              \
    do {                                                                                           \
        if (!(f)->astro) {                                                                         \
            print_message("skipping: " SKDATA "astronaut.png missing (python3-skimage)\n");        \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static char *path_in(fixture *f, const char *name)
{
    return g_build_filename(f->work, name, NULL);
}

/* photo(p) = in(M p) for every photo pixel p (M: photo px -> in px, pixel
 * centres at integers), bicubic, w x h, black outside. */
static VipsImage *warp(VipsImage *in, const double M[6], int w, int h)
{
    VipsImage *xy, *lin, *idx, *out, *mat;
    assert_int_equal(vips_xyz(&xy, w, h, NULL), 0);
    mat = vips_image_new_matrixv(2, 2, M[0], M[1], M[3], M[4]);
    assert_int_equal(vips_recomb(xy, &lin, mat, NULL), 0);
    double a[2] = {1, 1}, b[2] = {M[2], M[5]};
    assert_int_equal(vips_linear(lin, &idx, a, b, 2, NULL), 0);
    VipsInterpolate *bicubic = vips_interpolate_new("bicubic");
    assert_int_equal(vips_mapim(in, &out, idx, "interpolate", bicubic, NULL), 0);
    VipsImage *u8;
    assert_int_equal(vips_cast_uchar(out, &u8, NULL), 0);
    VipsImage *mem = vips_image_copy_memory(u8);
    g_object_unref(bicubic);
    VipsImage *all[] = {xy, lin, idx, out, mat, u8};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        g_object_unref(all[i]);
    return mem;
}

/* Exposure/white-balance change and a blur, like a later session. */
static VipsImage *relight(VipsImage *in, double gain, double blur)
{
    double a[3] = {gain * 1.05, gain, gain * 0.9}, b[3] = {14, 10, 6};
    VipsImage *lin, *bl, *u8;
    assert_int_equal(vips_linear(in, &lin, a, b, 3, NULL), 0);
    if (blur > 0)
        assert_int_equal(vips_gaussblur(lin, &bl, blur, NULL), 0);
    else {
        bl = lin;
        g_object_ref(bl);
    }
    assert_int_equal(vips_cast_uchar(bl, &u8, NULL), 0);
    VipsImage *mem = vips_image_copy_memory(u8);
    g_object_unref(lin);
    g_object_unref(bl);
    g_object_unref(u8);
    return mem;
}

/* Similarity photo -> reference: scale s, rotation deg (image coords),
 * mapping photo centre + (dx, dy) ... about the centre of a w x h image. */
static void similarity(double s, double deg, double dx, double dy, int w, int h, double M[6])
{
    double c = cos(deg * G_PI / 180) * s, sn = sin(deg * G_PI / 180) * s;
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    M[0] = c, M[1] = -sn, M[3] = sn, M[4] = c;
    M[2] = cx + dx - (c * cx - sn * cy);
    M[5] = cy + dy - (sn * cx + c * cy);
}

/* Mean distance at the corners of a w x h photo between a result and M. */
static double corner_error(const ba_alignment *a, const double M[6], int w, int h)
{
    const double xs[4] = {0, w - 1.0, w - 1.0, 0}, ys[4] = {0, 0, h - 1.0, h - 1.0};
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        double ex = a->matrix[0][0] * xs[i] + a->matrix[0][1] * ys[i] + a->matrix[0][2] -
                    (M[0] * xs[i] + M[1] * ys[i] + M[2]);
        double ey = a->matrix[1][0] * xs[i] + a->matrix[1][1] * ys[i] + a->matrix[1][2] -
                    (M[3] * xs[i] + M[4] * ys[i] + M[5]);
        sum += hypot(ex, ey);
    }
    return sum / 4;
}

/* Save @img under @name in the work folder; returns the path. */
static char *save(fixture *f, VipsImage *img, const char *name)
{
    char *p = path_in(f, name);
    tu_save(img, p);
    return p;
}

/* The standard pair: astronaut, and astronaut seen through M with another
 * exposure, a blur and JPEG compression. */
static void make_pair(fixture *f, double M[6], char **ref, char **photo)
{
    similarity(1.12, 7.0, 24.0, -17.0, 512, 512, M);
    VipsImage *w = warp(f->astro, M, 512, 512);
    VipsImage *r = relight(w, 0.78, 1.2);
    *ref = save(f, f->astro, "ref.png");
    *photo = save(f, r, "photo.jpg[Q=88]");
    /* tu_save() keeps the [Q=..] in the name it returns; strip it. */
    char *q = strchr(*photo, '[');
    if (q)
        *q = '\0';
    g_object_unref(w);
    g_object_unref(r);
}

/* ---- parsing ------------------------------------------------------------------ */

static void test_parse_points(void **state)
{
    (void)state;
    double *p = NULL;
    int n = 0;
    ba_error err;
    assert_int_equal(ba_align_parse_points("410,388 702,391 : 455,402 731,420", &p, &n, &err), 0);
    assert_int_equal(n, 2);
    const double want[8] = {410, 388, 455, 402, 702, 391, 731, 420};
    for (int i = 0; i < 8; i++)
        assert_true(p[i] == want[i]);
    g_free(p);
    assert_int_equal(ba_align_parse_points("  1.5,2  3,4.25   5,6:7,8 9,10 11.5,12 ", &p, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_true(p[0] == 1.5 && p[1] == 2 && p[2] == 7 && p[3] == 8 && p[11] == 12);
    g_free(p);
    assert_int_equal(ba_align_parse_points("1 , 2 3,4 : 5,6 7 ,8", &p, &n, &err), 0);
    g_free(p);

    const char *bad[] = {
        "",                          /* nothing */
        "1,2 3,4",                   /* no colon */
        "1,2 : 3,4",                 /* one pair */
        "1,2 3,4 : 5,6",             /* unequal */
        "1,2 3,4 : 5,6 7,8 : 9,10",  /* two colons */
        "1,2 3 : 5,6 7,8",           /* half a point */
        "-1,2 3,4 : 5,6 7,8",        /* negative */
        "1,2 3,4 : 5,6 7,8x",        /* junk */
        "nan,2 3,4 : 5,6 7,8",       /* not finite */
        "inf,2 3,4 : 5,6 7,8",       /* not finite */
        "1,2;3,4 : 5,6 7,8",         /* wrong separator */
        "1e999,2 3,4 : 5,6 7,8",     /* overflow */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        p = (double *)0x1;
        ba_error_clear(&err);
        if (ba_align_parse_points(bad[i], &p, &n, &err) == 0)
            fail_msg("accepted bad points '%s'", bad[i]);
        assert_int_equal(err.code, BA_ERR_USAGE);
        assert_null(p);
        assert_non_null(strstr(err.message, "rx,ry"));
        assert_null(strchr(err.message, '\n'));
    }
    assert_int_equal(ba_align_parse_points(NULL, &p, &n, &err), -1);
}

static void test_parse_roi(void **state)
{
    (void)state;
    double roi[4];
    ba_error err;
    assert_int_equal(ba_align_parse_roi("10,20,300,400", roi, &err), 0);
    assert_true(roi[0] == 10 && roi[1] == 20 && roi[2] == 300 && roi[3] == 400);
    assert_int_equal(ba_align_parse_roi(" 0, 0.5 ,64,64 ", roi, &err), 0);
    const char *bad[] = {"", "1,2,3", "1,2,3,4,5", "1,2,0,4", "1,2,3,-4", "a,b,c,d", "-1,2,3,4",
                         "1,2,3,4x", NULL};
    for (int i = 0; bad[i]; i++) {
        if (ba_align_parse_roi(bad[i], roi, &err) == 0)
            fail_msg("accepted bad ROI '%s'", bad[i]);
        assert_int_equal(err.code, BA_ERR_USAGE);
    }
}

/* ---- conventions ---------------------------------------------------------------- */

/* view.c relies on vips_resize() aligning image centres; if a libvips update
 * changes that, this fails before any alignment goes wrong. */
static void test_resize_keeps_centres_aligned(void **state)
{
    (void)state;
    const int W = 999, H = 757;
    const double cx = 400.3, cy = 300.7;
    float *px = g_new(float, (size_t)W * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[(size_t)y * W + x] =
                (float)(200 * exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * 15.0 * 15.0)));
    VipsImage *in = vips_image_new_from_memory(px, (size_t)W * H * sizeof(float), W, H, 1,
                                               VIPS_FORMAT_FLOAT);
    const double scales[] = {0.5, 0.37, 0.6, 0.8123};
    for (size_t i = 0; i < G_N_ELEMENTS(scales); i++) {
        double s = scales[i];
        VipsImage *out;
        assert_int_equal(vips_resize(in, &out, s, "kernel", VIPS_KERNEL_LANCZOS3, NULL), 0);
        size_t len;
        float *q = vips_image_write_to_memory(out, &len);
        double sx = 0, sy = 0, sw = 0;
        for (int y = 0; y < out->Ysize; y++)
            for (int x = 0; x < out->Xsize; x++) {
                double v = q[(size_t)y * out->Xsize + x];
                sx += v * x, sy += v * y, sw += v;
            }
        double ex = s * (cx - (W - 1) / 2.0) + (out->Xsize - 1) / 2.0;
        double ey = s * (cy - (H - 1) / 2.0) + (out->Ysize - 1) / 2.0;
        if (fabs(sx / sw - ex) > 0.01 || fabs(sy / sw - ey) > 0.01)
            fail_msg("vips_resize %.4f: blob at %.4f,%.4f, centre-aligned model says %.4f,%.4f", s,
                     sx / sw, sy / sw, ex, ey);
        g_free(q);
        g_object_unref(out);
    }
    g_object_unref(in);
    g_free(px);
}

/* Our scale space gives VLFeat's keypoints. */
static void test_scalespace_matches_vlfeat(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    al_img grey;
    assert_true(al_img_alloc(&grey, 512, 512));
    size_t len;
    unsigned char *rgb = vips_image_write_to_memory(f->astro, &len);
    for (int i = 0; i < 512 * 512; i++)
        grey.px[i] = 0.299f * rgb[3 * i] + 0.587f * rgb[3 * i + 1] + 0.114f * rgb[3 * i + 2];
    g_free(rgb);
    al_view a = {.name = "ours"}, b = {.name = "vlfeat"};
    assert_int_equal(al_sift(&a, &grey), 0);
    al_sift_vlfeat_scalespace = true;
    assert_int_equal(al_sift(&b, &grey), 0);
    al_sift_vlfeat_scalespace = false;
    assert_true(a.nkp > 200);
    assert_true(abs(a.nkp - b.nkp) <= b.nkp / 100 + 2);
    /* Most keypoints are at the same place with the same scale. */
    int same = 0;
    for (int i = 0; i < a.nkp; i++)
        for (int j = 0; j < b.nkp; j++)
            if (fabsf(a.kp[i].x - b.kp[j].x) < 0.05f && fabsf(a.kp[i].y - b.kp[j].y) < 0.05f &&
                fabsf(a.kp[i].sigma - b.kp[j].sigma) < 0.05f * b.kp[j].sigma) {
                same++;
                break;
            }
    print_message("%d of %d keypoints agree with VLFeat (%d)\n", same, a.nkp, b.nkp);
    if (same < a.nkp * 97 / 100)
        fail_msg("only %d of %d keypoints agree with VLFeat's scale space", same, a.nkp);
    al_view_clear(&a);
    al_view_clear(&b);
    al_img_free(&grey);
}

/* ---- accuracy ------------------------------------------------------------------- */

static void test_known_similarity_recovered(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    double M[6];
    char *ref, *photo;
    make_pair(f, M, &ref, &photo);
    ba_align_options o;
    ba_align_options_init(&o);
    ba_align_details d;
    o.details = &d;
    ba_alignment a;
    ba_error err;
    if (ba_align_files(ref, photo, &o, &a, &err))
        fail_msg("refused: %s", err.message);
    double e = corner_error(&a, M, 512, 512);
    print_message("corner error %.4f px, scale %.5f (want 1.12), angle %.3f, %d inliers, score "
                   "%.3f, NCC %.3f\n",
                   e, a.scale, a.angle_deg, a.inliers, a.score, d.ncc);
    assert_true(e < 0.3);
    assert_true(fabs(a.scale - 1.12) < 1e-3);
    /* 7 degrees in image coordinates (y down) is clockwise on screen. */
    assert_true(fabs(a.angle_deg + 7.0) < 0.05);
    assert_true(a.tx == a.matrix[0][2] && a.ty == a.matrix[1][2]);
    assert_true(a.matrix[0][0] == a.matrix[1][1] && a.matrix[0][1] == -a.matrix[1][0]);
    assert_string_equal(a.method, "sift-ransac-lk");
    assert_true(a.inliers >= 40);
    assert_true(a.score >= 0.5);
    assert_int_equal(a.photo_id, 0);
    g_free(ref);
    g_free(photo);
}

/* A photo that is the reference downscaled by libvips: the matrix must
 * follow the centre-aligned resampling exactly (a half-pixel slip in our
 * conventions would show as 0.3-0.5 px). */
static void test_downscaled_copy_exact(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    const double s = 0.625;
    VipsImage *small;
    assert_int_equal(vips_resize(f->astro, &small, s, "kernel", VIPS_KERNEL_LANCZOS3, NULL), 0);
    int w = small->Xsize, h = small->Ysize;
    char *ref = save(f, f->astro, "big.png");
    char *photo = save(f, small, "small.png");
    g_object_unref(small);
    /* x_ref = (x_photo - (w - 1) / 2) / s + (512 - 1) / 2 */
    double M[6] = {1 / s, 0, 255.5 - (w - 1) / 2.0 / s, 0, 1 / s, 255.5 - (h - 1) / 2.0 / s};
    ba_alignment a;
    ba_error err;
    if (ba_align_files(ref, photo, NULL, &a, &err))
        fail_msg("refused: %s", err.message);
    double e = corner_error(&a, M, w, h);
    print_message("downscaled copy: corner error %.4f px, tx %.4f (want %.4f)\n", e, a.tx, M[2]);
    assert_true(e < 0.1);
    g_free(ref);
    g_free(photo);
}

static void test_deterministic(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    double M[6];
    char *ref, *photo;
    make_pair(f, M, &ref, &photo);
    ba_alignment a, b;
    ba_error err;
    memset(&a, 0xA5, sizeof a);
    memset(&b, 0x5A, sizeof b);
    assert_int_equal(ba_align_files(ref, photo, NULL, &a, &err), 0);
    assert_int_equal(ba_align_files(ref, photo, NULL, &b, &err), 0);
    assert_memory_equal(a.matrix, b.matrix, sizeof a.matrix);
    assert_true(a.score == b.score && a.scale == b.scale && a.angle_deg == b.angle_deg);
    assert_int_equal(a.inliers, b.inliers);
    /* Another seed may pick other samples but lands on the same answer. */
    ba_align_options o;
    ba_align_options_init(&o);
    o.seed = 7;
    ba_alignment c;
    assert_int_equal(ba_align_files(ref, photo, &o, &c, &err), 0);
    assert_true(corner_error(&c, (double[]){a.matrix[0][0], a.matrix[0][1], a.matrix[0][2],
                                            a.matrix[1][0], a.matrix[1][1], a.matrix[1][2]},
                             512, 512) < 0.05);
    g_free(ref);
    g_free(photo);
}

/* ---- refusals --------------------------------------------------------------------- */

static void expect_refused(const char *ref, const char *photo, const char *why)
{
    ba_alignment a;
    ba_error err;
    ba_error_clear(&err);
    int rc = ba_align_files(ref, photo, NULL, &a, &err);
    if (rc == 0)
        fail_msg("%s onto %s: expected a refusal (%s), got scale %.3f angle %.1f score %.2f",
                 photo, ref, why, a.scale, a.angle_deg, a.score);
    if (err.code != BA_ERR_REFUSED)
        fail_msg("%s: expected BA_ERR_REFUSED, got %d: %s", why, err.code, err.message);
    /* The library names no CLI flag: the landmarks suggestion is the hint. */
    if (err.hint != BA_HINT_GIVE_POINTS || !strstr(err.message, photo))
        fail_msg("%s: should name the photo and hint at landmark points: %s", why, err.message);
    if (strstr(err.message, "--"))
        fail_msg("%s: the message names a CLI flag: %s", why, err.message);
    if (why && *why && !strstr(err.message, why))
        fail_msg("expected '%s' in: %s", why, err.message);
    assert_null(strchr(err.message, '\n'));
    print_message("refused as expected: %s\n", err.message);
}

static void test_refuses_unrelated(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    char *ref = save(f, f->astro, "astro.png");
    /* A different photo. */
    VipsImage *coffee = load_png(SKDATA "coffee.png");
    if (coffee) {
        char *p = save(f, coffee, "coffee.png");
        expect_refused(ref, p, "consistent feature match");
        expect_refused(p, ref, "consistent feature match");
        g_free(p);
        g_object_unref(coffee);
    }
    /* A flat grey image: no detail at all. */
    VipsImage *black, *grey;
    assert_int_equal(vips_black(&black, 400, 300, "bands", 3, NULL), 0);
    assert_int_equal(vips_linear1(black, &grey, 1, 128, NULL), 0);
    VipsImage *g8;
    assert_int_equal(vips_cast_uchar(grey, &g8, NULL), 0);
    char *flat = save(f, g8, "flat.png");
    expect_refused(ref, flat, "too little detail");
    g_object_unref(black);
    g_object_unref(grey);
    g_object_unref(g8);
    /* Noise: plenty of keypoints, nothing in common. */
    VipsImage *noise, *n8;
    assert_int_equal(vips_gaussnoise(&noise, 512, 512, "sigma", 40.0, "mean", 128.0, "seed", 3,
                                     NULL),
                     0);
    VipsImage *n3[3] = {noise, noise, noise}, *nj;
    assert_int_equal(vips_bandjoin(n3, &nj, 3, NULL), 0);
    assert_int_equal(vips_cast_uchar(nj, &n8, NULL), 0);
    char *np = save(f, n8, "noise.png");
    expect_refused(ref, np, "");
    g_object_unref(noise);
    g_object_unref(nj);
    g_object_unref(n8);
    g_free(flat);
    g_free(np);
    g_free(ref);
}

static void test_refuses_implausible(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    char *ref = save(f, f->astro, "astro.png");
    /* The same photo turned 90 degrees: found, but not a plausible session. */
    VipsImage *rot;
    assert_int_equal(vips_rot(f->astro, &rot, VIPS_ANGLE_D90, NULL), 0);
    char *p90 = save(f, rot, "rot90.png");
    expect_refused(ref, p90, "rotated by");
    g_object_unref(rot);
    /* Three times closer: the photo shows a third of the reference. */
    double M[6];
    similarity(1.0 / 3.0, 0.0, 10.0, 5.0, 512, 512, M);
    VipsImage *zoom = warp(f->astro, M, 512, 512);
    char *pz = save(f, zoom, "zoom3.png");
    expect_refused(ref, pz, "");
    g_object_unref(zoom);
    g_free(ref);
    g_free(p90);
    g_free(pz);
}

static void test_bad_files(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    char *ref = save(f, f->astro, "astro.png");
    char *missing = path_in(f, "missing.jpg");
    char *junk = path_in(f, "junk.jpg");
    assert_true(g_file_set_contents(junk, "not an image at all", -1, NULL));
    ba_alignment a;
    ba_error err;
    assert_int_equal(ba_align_files(ref, missing, NULL, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "missing.jpg"));
    assert_int_equal(ba_align_files(junk, ref, NULL, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_FORMAT);
    assert_non_null(strstr(err.message, "junk.jpg"));
    g_free(ref);
    g_free(missing);
    g_free(junk);
}

/* ---- landmark points -------------------------------------------------------------- */

static void test_points_exact(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    double M[6];
    char *ref, *photo;
    make_pair(f, M, &ref, &photo);
    /* Two landmark pairs consistent with M: the fit must be M exactly. */
    double pts[8];
    const double px[2][2] = {{100, 150}, {380, 300}};
    for (int i = 0; i < 2; i++) {
        pts[4 * i] = M[0] * px[i][0] + M[1] * px[i][1] + M[2];
        pts[4 * i + 1] = M[3] * px[i][0] + M[4] * px[i][1] + M[5];
        pts[4 * i + 2] = px[i][0];
        pts[4 * i + 3] = px[i][1];
    }
    ba_align_options o;
    ba_align_options_init(&o);
    o.points = pts;
    o.n_points = 2;
    ba_alignment a;
    ba_error err;
    if (ba_align_files(ref, photo, &o, &a, &err))
        fail_msg("points refused: %s", err.message);
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++)
            assert_true(fabs(a.matrix[r][c] - M[3 * r + c]) < 1e-9);
    assert_string_equal(a.method, "points");
    assert_int_equal(a.inliers, 0);
    assert_true(a.score > 0.5 && a.score <= 1.0); /* NCC of a good overlap */

    /* Parsed from text, the same. */
    char *text = g_strdup_printf("%.17g,%.17g %.17g,%.17g : %.17g,%.17g %.17g,%.17g", pts[0],
                                 pts[1], pts[4], pts[5], pts[2], pts[3], pts[6], pts[7]);
    double *parsed;
    int n;
    assert_int_equal(ba_align_parse_points(text, &parsed, &n, &err), 0);
    o.points = parsed;
    o.n_points = n;
    ba_alignment b;
    assert_int_equal(ba_align_files(ref, photo, &o, &b, &err), 0);
    assert_memory_equal(a.matrix, b.matrix, sizeof a.matrix);
    g_free(parsed);
    g_free(text);

    /* Implausible landmarks: three times the size. */
    double big[8] = {10, 10, 10, 10, 310, 10, 110, 10};
    o.points = big;
    o.n_points = 2;
    assert_int_equal(ba_align_files(ref, photo, &o, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "scaled by 3.00"));
    /* Outside the photo. */
    double out[8] = {10, 10, 10, 10, 100, 100, 900, 100};
    o.points = out;
    assert_int_equal(ba_align_files(ref, photo, &o, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "outside"));
    /* Coinciding photo points. */
    double same[8] = {10, 10, 50, 50, 100, 100, 50, 50};
    o.points = same;
    assert_int_equal(ba_align_files(ref, photo, &o, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    /* Three pairs that no similarity fits (the order swapped). */
    double swapped[12] = {100, 100, 100, 100, 400, 100, 100, 400, 100, 400, 400, 100};
    o.points = swapped;
    o.n_points = 3;
    assert_int_equal(ba_align_files(ref, photo, &o, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "do not fit"));
    g_free(ref);
    g_free(photo);
}

/* ---- region of interest ----------------------------------------------------------- */

/* The left part of both photos is the same static texture (a background
 * that did not move); the right part is the face, which moved.  With a
 * region of interest on the face we get the face's motion. */
static void test_roi_follows_the_treatment_area(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    VipsImage *gravel = load_png(SKDATA "gravel.png");
    if (!gravel) {
        print_message("skipping: gravel.png missing\n");
        skip();
    }
    double M[6];
    similarity(1.0, 0.0, 14.0, -9.0, 512, 512, M); /* the face moved by (14, -9) */
    VipsImage *moved = warp(f->astro, M, 512, 512);
    VipsImage *bg, *refc, *photoc;
    assert_int_equal(vips_extract_area(gravel, &bg, 0, 0, 220, 512, NULL), 0);
    assert_int_equal(vips_insert(f->astro, bg, &refc, 0, 0, NULL), 0);
    assert_int_equal(vips_insert(moved, bg, &photoc, 0, 0, NULL), 0);
    char *ref = save(f, refc, "roi-ref.png"), *photo = save(f, photoc, "roi-photo.png");
    ba_align_options o;
    ba_align_options_init(&o);
    ba_error err;
    ba_alignment a;
    /* Without a region the static background wins (it has more matches). */
    if (ba_align_files(ref, photo, &o, &a, &err))
        fail_msg("alignment without ROI refused: %s", err.message);
    print_message("without ROI: tx %.3f ty %.3f\n", a.tx, a.ty);
    assert_true(fabs(a.tx) < 0.5 && fabs(a.ty) < 0.5);
    assert_int_equal(ba_align_parse_roi("240,40,260,440", o.roi, &err), 0);
    if (ba_align_files(ref, photo, &o, &a, &err))
        fail_msg("ROI alignment refused: %s", err.message);
    double e = corner_error(&a, M, 512, 512);
    print_message("with ROI: tx %.3f ty %.3f (want 14, -9), corner error %.3f\n", a.tx, a.ty, e);
    assert_true(e < 0.5);
    /* A region outside the reference is a usage error. */
    assert_int_equal(ba_align_parse_roi("400,400,300,300", o.roi, &err), 0);
    assert_int_equal(ba_align_files(ref, photo, &o, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    VipsImage *all[] = {gravel, moved, bg, refc, photoc};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        g_object_unref(all[i]);
    g_free(ref);
    g_free(photo);
}

/* ---- library ------------------------------------------------------------------------ */

static void test_library_store_and_replace(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    char *dir;
    ba_catalog *cat = tu_library(&dir);
    double M[6];
    char *ref, *photo;
    make_pair(f, M, &ref, &photo);
    ba_ingest_options io;
    tu_options(&io);
    ba_ingest_result rr, pr;
    ba_error err;
    if (ba_ingest_file(cat, ref, &io, &rr, &err) || ba_ingest_file(cat, photo, &io, &pr, &err))
        fail_msg("ingest: %s", err.message);
    ba_alignment a, got;
    if (ba_align_photos(cat, pr.photo_id, rr.photo_id, NULL, &a, &err))
        fail_msg("align photos: %s", err.message);
    assert_int_equal(a.photo_id, pr.photo_id);
    assert_int_equal(a.reference_id, rr.photo_id);
    /* The master of the PNG reference is a JPEG: a little less exact. */
    assert_true(corner_error(&a, M, 512, 512) < 0.5);
    assert_int_equal(ba_catalog_alignment_get(cat, pr.photo_id, rr.photo_id, &got, &err), 0);
    assert_memory_equal(got.matrix, a.matrix, sizeof a.matrix);
    assert_string_equal(got.method, "sift-ransac-lk");
    assert_int_equal(got.inliers, a.inliers);
    assert_true(got.score == a.score);

    /* Re-running with landmarks replaces it. */
    double pts[8];
    const double px[2][2] = {{100, 200}, {450, 220}};
    for (int i = 0; i < 2; i++) {
        pts[4 * i] = M[0] * px[i][0] + M[1] * px[i][1] + M[2];
        pts[4 * i + 1] = M[3] * px[i][0] + M[4] * px[i][1] + M[5];
        pts[4 * i + 2] = px[i][0];
        pts[4 * i + 3] = px[i][1];
    }
    ba_align_options o;
    ba_align_options_init(&o);
    o.points = pts;
    o.n_points = 2;
    assert_int_equal(ba_align_photos(cat, pr.photo_id, rr.photo_id, &o, &a, &err), 0);
    assert_int_equal(ba_catalog_alignment_get(cat, pr.photo_id, rr.photo_id, &got, &err), 0);
    assert_string_equal(got.method, "points");
    assert_int_equal(got.inliers, 0);

    /* A refused alignment leaves the stored one alone. */
    double bad[8] = {10, 10, 10, 10, 310, 10, 110, 10};
    o.points = bad;
    assert_int_equal(ba_align_photos(cat, pr.photo_id, rr.photo_id, &o, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "photo "));
    assert_int_equal(ba_catalog_alignment_get(cat, pr.photo_id, rr.photo_id, &got, &err), 0);
    assert_string_equal(got.method, "points");

    /* Unknown photo, same photo twice, no alignment the other way round. */
    assert_int_equal(ba_align_photos(cat, 999, rr.photo_id, NULL, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(ba_align_photos(cat, rr.photo_id, rr.photo_id, NULL, &a, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_catalog_alignment_get(cat, rr.photo_id, pr.photo_id, &got, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);

    ba_catalog_close(cat);
    char *parent = g_path_get_dirname(dir);
    tu_rmtree(parent);
    g_free(parent);
    g_free(dir);
    g_free(ref);
    g_free(photo);
}

/* Masters much larger than the refinement size are decoded at 1/2 (libjpeg
 * DCT scaling); an odd size makes a half-pixel slip in that geometry show. */
static void test_library_large_masters(void **state)
{
    fixture *f = *state;
    NEED_ASTRO(f);
    char *dir;
    ba_catalog *cat = tu_library(&dir);
    VipsImage *big0, *big;
    assert_int_equal(vips_resize(f->astro, &big0, 2.15, "kernel", VIPS_KERNEL_LANCZOS3, NULL), 0);
    assert_int_equal(vips_extract_area(big0, &big, 0, 0, 1101, 1099, NULL), 0);
    /* The photo is smaller (640 px: decoded whole), so a slip in the
     * reference's geometry is not cancelled by the same slip in the photo's. */
    double M[6];
    similarity(1.62, -4.0, -31.0, 22.0, 640, 640, M);
    M[2] += (1101 - 640) / 2.0;
    M[5] += (1099 - 640) / 2.0;
    VipsImage *w = warp(big, M, 640, 640);
    VipsImage *r = relight(w, 1.15, 0.0);
    char *ref = save(f, big, "big-ref.png"), *photo = save(f, r, "big-photo.png");
    ba_ingest_options io;
    tu_options(&io);
    io.master_quality = 95;
    ba_ingest_result rr, pr;
    ba_error err;
    if (ba_ingest_file(cat, ref, &io, &rr, &err) || ba_ingest_file(cat, photo, &io, &pr, &err))
        fail_msg("ingest: %s", err.message);
    ba_align_options o;
    ba_align_options_init(&o);
    o.work_size = 256; /* refinement at 512 px: the 1101 px masters are decoded at 1/2 */
    ba_alignment a;
    if (ba_align_photos(cat, pr.photo_id, rr.photo_id, &o, &a, &err))
        fail_msg("align: %s", err.message);
    double e = corner_error(&a, M, 640, 640);
    print_message("large masters: corner error %.4f px\n", e);
    assert_true(e < 0.2);
    VipsImage *all[] = {big0, big, w, r};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        g_object_unref(all[i]);
    ba_catalog_close(cat);
    char *parent = g_path_get_dirname(dir);
    tu_rmtree(parent);
    g_free(parent);
    g_free(dir);
    g_free(ref);
    g_free(photo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_points),
        cmocka_unit_test(test_parse_roi),
        cmocka_unit_test_setup_teardown(test_resize_keeps_centres_aligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scalespace_matches_vlfeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_similarity_recovered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_downscaled_copy_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_unrelated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_implausible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_points_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roi_follows_the_treatment_area, setup, teardown),
        cmocka_unit_test_setup_teardown(test_library_store_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_library_large_masters, setup, teardown),
    };
    /* valgrind cannot follow the code liborc writes at run time (through a
     * second mapping of the same pages) and crashes in libvips' vector paths
     * when two pipelines resample at once: use libvips' C paths under it
     * (read by vips_init()).  Normal and sanitizer runs keep the vector paths. */
    const char *preload = g_getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        g_setenv("VIPS_NOVECTOR", "1", TRUE);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
