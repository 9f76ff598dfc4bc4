/* Unit tests of comparisons: geometry, crop, alignment applied, labels, metadata, refusals. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "testutil.h"

#define ASTRONAUT "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"

/* The library + work folder of each test (testutil.h). */
typedef tu_fixture fixture;
#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

/* A real photo with a pure green frame: if a panel ever shows anything
 * outside a photo, green appears at its edge. */
static VipsImage *framed_astronaut(void)
{
    VipsImage *a = vips_image_new_from_file(ASTRONAUT, NULL);
    assert_non_null(a);
    VipsImage *mem = vips_image_copy_memory(a);
    g_object_unref(a);
    double green[3] = {0, 255, 0};
    int w = mem->Xsize, h = mem->Ysize, b = 6;
    assert_int_equal(vips_draw_rect(mem, green, 3, 0, 0, w, b, "fill", TRUE, NULL), 0);
    assert_int_equal(vips_draw_rect(mem, green, 3, 0, h - b, w, b, "fill", TRUE, NULL), 0);
    assert_int_equal(vips_draw_rect(mem, green, 3, 0, 0, b, h, "fill", TRUE, NULL), 0);
    assert_int_equal(vips_draw_rect(mem, green, 3, w - b, 0, b, h, "fill", TRUE, NULL), 0);
    return mem;
}

/* The same scene moved by a known similarity (scale 1.1, 6 degrees, shifted). */
static VipsImage *moved(VipsImage *in)
{
    VipsImage *out = NULL, *u8 = NULL;
    assert_int_equal(vips_similarity(in, &out, "scale", 1.1, "angle", 6.0, "odx", -20.0, "ody",
                                     10.0, NULL),
                     0);
    /* Back to the original size: a camera frame does not grow. */
    VipsImage *crop = NULL;
    assert_int_equal(vips_extract_area(out, &crop, 20, 20, in->Xsize, in->Ysize, NULL), 0);
    assert_int_equal(vips_cast_uchar(crop, &u8, NULL), 0);
    VipsImage *mem = vips_image_copy_memory(u8);
    g_object_unref(out);
    g_object_unref(crop);
    g_object_unref(u8);
    return mem;
}

static int64_t ingest(fixture *f, VipsImage *img, const char *name, const char *date,
                      const char *client, const char *area)
{
    char *path = g_build_filename(f->work, name, NULL);
    char *spec = g_strdup_printf("%s[Q=97]", path);
    tu_save(img, g_str_has_suffix(name, ".png") ? path : spec);
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.client = client ? client : "C-1";
    o.area = area ? area : "cheeks";
    o.date = date;
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_file(f->cat, path, &o, &r, &err))
        fail_msg("%s", err.message);
    g_free(spec);
    g_free(path);
    return r.photo_id;
}

static VipsImage *load(const char *path)
{
    VipsImage *i = vips_image_new_from_file(path, "access", VIPS_ACCESS_RANDOM, NULL);
    if (!i)
        fail_msg("cannot load %s", path);
    VipsImage *m = vips_image_copy_memory(i);
    g_object_unref(i);
    return m;
}

/* Normalised cross-correlation of two same-sized images' grey values. */
static double ncc(VipsImage *a, VipsImage *b)
{
    VipsImage *ga, *gb;
    assert_int_equal(vips_colourspace(a, &ga, VIPS_INTERPRETATION_B_W, NULL), 0);
    assert_int_equal(vips_colourspace(b, &gb, VIPS_INTERPRETATION_B_W, NULL), 0);
    double ma, mb, sa, sb, sab;
    VipsImage *da, *db, *p;
    vips_avg(ga, &ma, NULL);
    vips_avg(gb, &mb, NULL);
    vips_linear1(ga, &da, 1, -ma, NULL);
    vips_linear1(gb, &db, 1, -mb, NULL);
    vips_multiply(da, db, &p, NULL);
    vips_avg(p, &sab, NULL);
    vips_deviate(ga, &sa, NULL);
    vips_deviate(gb, &sb, NULL);
    VipsImage *all[] = {ga, gb, da, db, p};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        g_object_unref(all[i]);
    return sab / (sa * sb);
}

static bool is_green(const VipsPel *p)
{
    return p[1] > 230 && p[0] < 25 && p[2] < 25;
}

/* No panel edge shows the photos' green frame, i.e. nothing outside a photo. */
static void assert_clean_edges(VipsImage *out, int pw, int ph, int gutter, int panels)
{
    size_t len;
    VipsPel *px = vips_image_write_to_memory(out, &len);
    int w = out->Xsize;
    for (int k = 0; k < panels; k++) {
        int x0 = k * (pw + gutter), x1 = x0 + pw - 1;
        int bad = 0;
        for (int y = 0; y < ph; y++)
            bad += is_green(px + 3 * ((size_t)y * w + x0)) + is_green(px + 3 * ((size_t)y * w + x1));
        for (int x = x0; x <= x1; x++)
            bad += is_green(px + 3 * (size_t)x) + is_green(px + 3 * ((size_t)(ph - 1) * w + x));
        if (bad)
            fail_msg("panel %d: %d edge pixels show the frame outside the photo", k, bad);
    }
    g_free(px);
}

static VipsImage *panel(VipsImage *out, int k, int pw, int ph, int gutter)
{
    VipsImage *p;
    assert_int_equal(vips_extract_area(out, &p, k * (pw + gutter), 0, pw, ph, NULL), 0);
    return p;
}

static void test_aligned_pair(void **state)
{
    fixture *f = *state;
    VipsImage *before = framed_astronaut(), *after = moved(before);
    int64_t ids[2] = {ingest(f, before, "before.png", "2026-01-05", NULL, NULL),
                      ingest(f, after, "after.jpg", "2026-02-16", NULL, NULL)};
    ba_compose_options o;
    ba_compose_options_init(&o);
    o.labels = BA_LABEL_NONE;
    o.gutter = 10;
    o.width = 810;
    o.background[0] = 255, o.background[1] = 0, o.background[2] = 255;
    char *out_path = g_build_filename(f->work, "cmp.png", NULL);
    ba_comparison c;
    ba_error err;
    if (ba_compose_photos(f->cat, ids, 2, &o, out_path, &c, &err))
        fail_msg("%s", err.message);
    assert_int_equal(c.width, 810);
    assert_true(c.aligned);
    assert_true(c.id > 0);
    VipsImage *img = load(out_path);
    assert_int_equal(img->Xsize, 810);
    int pw = (810 - 10) / 2, ph = img->Ysize;
    assert_clean_edges(img, pw, ph, 10, 2);
    VipsImage *p0 = panel(img, 0, pw, ph, 10), *p1 = panel(img, 1, pw, ph, 10);
    double aligned = ncc(p0, p1);

    /* The same without alignment: the panels disagree. */
    o.align = false;
    char *raw_path = g_build_filename(f->work, "raw.png", NULL);
    if (ba_compose_photos(f->cat, ids, 2, &o, raw_path, &c, &err))
        fail_msg("%s", err.message);
    VipsImage *raw = load(raw_path);
    int rpw = (810 - 10) / 2, rph = raw->Ysize;
    VipsImage *r0 = panel(raw, 0, rpw, rph, 10), *r1 = panel(raw, 1, rpw, rph, 10);
    double unaligned = ncc(r0, r1);
    print_message("NCC aligned %.3f, unaligned %.3f\n", aligned, unaligned);
    /* 0.9: JPEG recompression and two resamplings of a real photo stay far
     * above it when aligned; a 6 degree / 10 % misregistration falls below 0.7. */
    assert_true(aligned > 0.9);
    assert_true(unaligned < 0.7);

    /* Recorded, with a stored copy that hashes to the recorded value. */
    ba_comparison_record rec;
    assert_int_equal(ba_catalog_comparison_get(f->cat, c.id, &rec, &err), 0);
    assert_int_equal(rec.n_photos, 2);
    assert_int_equal(rec.photos[0], ids[0]);
    char *stored = g_build_filename(f->dir, rec.render, NULL);
    size_t len;
    unsigned char *bytes = tu_read(stored, &len);
    char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, bytes, len);
    assert_string_equal(sha, rec.sha256);
    ba_comparison_record_clear(&rec);
    /* Only structural PNG chunks. */
    char found[160];
    assert_int_equal(ba_verify_image_metadata(bytes, len, found, sizeof found), 0);
    g_free(sha);
    g_free(bytes);
    g_free(stored);

    VipsImage *all[] = {before, after, img, p0, p1, raw, r0, r1};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        g_object_unref(all[i]);
    g_free(out_path);
    g_free(raw_path);
}

static void test_sizes_labels_caption(void **state)
{
    fixture *f = *state;
    VipsImage *scene = framed_astronaut(), *after = moved(scene);
    int64_t ids[2] = {ingest(f, scene, "a.png", "2026-01-05", NULL, NULL),
                      ingest(f, after, "b.jpg", "2026-03-02", NULL, NULL)};
    ba_compose_options o;
    ba_compose_options_init(&o);
    ba_comparison c;
    ba_error err;
    char *p1 = g_build_filename(f->work, "h.jpg", NULL);
    o.layout = BA_LAYOUT_STACKED;
    o.height = 1000;
    o.caption = "Individual results may vary. Unretouched photos.";
    if (ba_compose_photos(f->cat, ids, 2, &o, p1, &c, &err))
        fail_msg("%s", err.message);
    assert_int_equal(c.height, 1000);
    VipsImage *img = load(p1);
    assert_int_equal(img->Ysize, 1000);
    /* JPEG output: no metadata either. */
    size_t len;
    unsigned char *bytes = tu_read(p1, &len);
    char found[160];
    assert_int_equal(ba_verify_image_metadata(bytes, len, found, sizeof found), 0);
    g_free(bytes);
    /* The caption band at the bottom has dark text on the white background. */
    VipsImage *band;
    assert_int_equal(vips_extract_area(img, &band, 0, img->Ysize - 30, img->Xsize, 30, NULL), 0);
    double mn;
    assert_int_equal(vips_min(band, &mn, NULL), 0);
    assert_true(mn < 100);
    g_object_unref(band);
    g_object_unref(img);

    /* Without labels and caption there is no band: the canvas is all panel. */
    o.layout = BA_LAYOUT_SIDE_BY_SIDE;
    o.height = 0;
    o.width = 600;
    o.caption = NULL;
    o.labels = BA_LABEL_NONE;
    char *p2 = g_build_filename(f->work, "w.png", NULL);
    if (ba_compose_photos(f->cat, ids, 2, &o, p2, &c, &err))
        fail_msg("%s", err.message);
    int plain_h = c.height;
    o.labels = BA_LABEL_FULL;
    if (ba_compose_photos(f->cat, ids, 2, &o, p2, &c, &err))
        fail_msg("%s", err.message);
    assert_int_equal(c.width, 600);
    assert_true(c.height > plain_h);
    img = load(p2);
    /* Text in the label band under the first panel. */
    assert_int_equal(vips_extract_area(img, &band, 0, plain_h, 290, c.height - plain_h, NULL), 0);
    assert_int_equal(vips_min(band, &mn, NULL), 0);
    assert_true(mn < 100);
    g_object_unref(band);
    g_object_unref(img);

    g_object_unref(scene);
    g_object_unref(after);
    g_free(p1);
    g_free(p2);
}

static void test_timeline_and_refusals(void **state)
{
    fixture *f = *state;
    VipsImage *scene = framed_astronaut();
    const char *dates[] = {"2026-05-01", "2026-01-01", "2026-03-01", "2026-02-01", "2026-04-01"};
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        VipsImage *v = NULL, *u8 = NULL;
        /* Slightly different exposures so each photo is its own. */
        assert_int_equal(vips_linear1(scene, &v, 1.0 - 0.02 * i, 0, NULL), 0);
        assert_int_equal(vips_cast_uchar(v, &u8, NULL), 0);
        char name[16];
        snprintf(name, sizeof name, "t%d.png", i);
        ids[i] = ingest(f, u8, name, dates[i], NULL, NULL);
        g_object_unref(v);
        g_object_unref(u8);
    }
    /* In date order: 2 (Jan), 4 (Feb), 3 (Mar), 5 (Apr), 1 (May). */
    int64_t ordered[5] = {ids[1], ids[3], ids[2], ids[4], ids[0]};
    ba_compose_options o;
    ba_compose_options_init(&o);
    o.layout = BA_LAYOUT_TIMELINE;
    o.width = 1200;
    o.gutter = 12;
    ba_comparison c;
    ba_error err;
    char *out = g_build_filename(f->work, "tl.png", NULL);
    if (ba_compose_photos(f->cat, ordered, 5, &o, out, &c, &err))
        fail_msg("%s", err.message);
    assert_int_equal(c.n_photos, 5);
    ba_comparison_record rec;
    assert_int_equal(ba_catalog_comparison_get(f->cat, c.id, &rec, &err), 0);
    assert_int_equal(rec.n_photos, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(rec.photos[i], ordered[i]);
    assert_string_equal(rec.layout, "timeline");
    ba_comparison_record_clear(&rec);

    /* Another client's photo: refused unless forced, nothing written. */
    assert_int_equal(ba_catalog_client_add(f->cat, "C-2", NULL, NULL, &err), 0);
    int64_t other = ingest(f, scene, "o.jpg", "2026-06-01", "C-2", NULL);
    int64_t mixed[2] = {ids[0], other};
    char *out2 = g_build_filename(f->work, "mixed.png", NULL);
    ba_compose_options_init(&o);
    assert_int_equal(ba_compose_photos(f->cat, mixed, 2, &o, out2, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "different clients"));
    assert_int_equal(err.hint, BA_HINT_CONFIRM_MIXED); /* the CLI says --force */
    assert_null(strstr(err.message, "--"));
    assert_false(g_file_test(out2, G_FILE_TEST_EXISTS));
    o.force = true;
    o.align = false;
    assert_int_equal(ba_compose_photos(f->cat, mixed, 2, &o, out2, &c, &err), 0);

    /* An unwritable output folder, an unknown format: clear errors, nothing half-written. */
    char *bad = g_build_filename(f->work, "no", "such", "dir.png", NULL);
    assert_int_equal(ba_compose_photos(f->cat, mixed, 2, &o, bad, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_IO);
    assert_non_null(strstr(err.message, "dir.png"));
    char *gif = g_build_filename(f->work, "x.gif", NULL);
    assert_int_equal(ba_compose_photos(f->cat, mixed, 2, &o, gif, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_layout_parse("mosaic"), -1);
    assert_int_equal(ba_layout_parse("stacked"), BA_LAYOUT_STACKED);
    /* No temporary files left beside the outputs. */
    GDir *d = g_dir_open(f->work, 0, NULL);
    const char *n;
    while ((n = g_dir_read_name(d)))
        assert_null(strstr(n, ".tmp-"));
    g_dir_close(d);

    g_object_unref(scene);
    g_free(out);
    g_free(out2);
    g_free(bad);
    g_free(gif);
}

static void test_redaction_and_ghost(void **state)
{
    fixture *f = *state;
    VipsImage *scene = framed_astronaut(), *after = moved(scene);
    int64_t ids[2] = {ingest(f, scene, "a.png", "2026-01-05", NULL, NULL),
                      ingest(f, after, "b.jpg", "2026-03-02", NULL, NULL)};
    ba_compose_options o;
    ba_compose_options_init(&o);
    o.labels = BA_LABEL_NONE;
    o.gutter = 0;
    o.width = 1000;
    o.no_record = true;
    /* The eye region of the astronaut (reference pixels). */
    o.redactions[0] = (ba_redaction){160, 150, 150, 50, BA_REDACT_BAR};
    o.n_redactions = 1;
    ba_comparison c;
    ba_error err;
    char *out = g_build_filename(f->work, "red.png", NULL);
    if (ba_compose_photos(f->cat, ids, 2, &o, out, &c, &err))
        fail_msg("%s", err.message);
    assert_int_equal(c.id, 0); /* not recorded */
    VipsImage *img = load(out);
    double k = 500.0 / c.crop[2];
    int cx = (int)((160 + 75 - c.crop[0]) * k), cy = (int)((150 + 25 - c.crop[1]) * k);
    for (int p = 0; p < 2; p++) {
        double *v;
        int nv;
        assert_int_equal(vips_getpoint(img, &v, &nv, cx + p * 500, cy, NULL), 0);
        assert_true(v[0] == 0 && v[1] == 0 && v[2] == 0);
        g_free(v);
    }
    g_object_unref(img);

    char *ghost = g_build_filename(f->work, "ghost.png", NULL);
    assert_int_equal(ba_compose_ghost(f->cat, ids[0], NULL, 0.4, false, 300, ghost, &err), 0);
    VipsImage *g = load(ghost);
    assert_int_equal(g->Bands, 4);
    assert_int_equal(MAX(g->Xsize, g->Ysize), 300);
    double a;
    VipsImage *alpha;
    assert_int_equal(vips_extract_band(g, &alpha, 3, NULL), 0);
    assert_int_equal(vips_avg(alpha, &a, NULL), 0);
    assert_true(fabs(a - 102) < 2);
    g_object_unref(alpha);
    g_object_unref(g);
    assert_int_equal(ba_compose_ghost(f->cat, ids[0], NULL, 0.4, true, 300, ghost, &err), 0);

    g_object_unref(scene);
    g_object_unref(after);
    g_free(out);
    g_free(ghost);
}

/* Issue 10, item 11: every limit refused as a usage error naming it. */
static void test_options_bounds(void **state)
{
    (void)state;
    ba_compose_options o;
    ba_error err;
    ba_compose_options_init(&o);
    assert_int_equal(ba_compose_options_check(&o, &err), 0);
#define REFUSED(stmt, needle)                                             \
    do {                                                                  \
        ba_compose_options_init(&o);                                      \
        stmt;                                                             \
        assert_int_equal(ba_compose_options_check(&o, &err), -1);         \
        assert_int_equal(err.code, BA_ERR_USAGE);                         \
        if (!strstr(err.message, needle))                                 \
            fail_msg("'%s' does not name '%s'", err.message, needle);     \
    } while (0)
    REFUSED(o.width = BA_COMPOSE_MAX_SIDE + 1, "16383");
    REFUSED(o.height = 20000, "16383");
    REFUSED(o.width = -1, "16383");
    REFUSED((o.width = 16000, o.height = 16000), "100 megapixels");
    REFUSED(o.gutter = BA_COMPOSE_MAX_GUTTER + 1, "1000 px");
    REFUSED(o.gutter = 2000000000, "1000 px");
    REFUSED(o.quality = 101, "1..100");
    REFUSED(o.quality = -1, "1..100");
    REFUSED(o.logo_opacity = NAN, "0..1");
    REFUSED(o.logo_opacity = INFINITY, "0..1");
    REFUSED(o.logo_opacity = 1.5, "0..1");
    REFUSED(o.n_redactions = BA_COMPOSE_MAX_REDACTIONS + 1, "at most");
    REFUSED((o.n_redactions = 1, o.redactions[0] = (ba_redaction){NAN, 0, 10, 10, BA_REDACT_BAR}),
            "finite");
    REFUSED(o.layout = (ba_layout)7, "layout");
#undef REFUSED
    /* The largest allowed values pass. */
    ba_compose_options_init(&o);
    o.width = BA_COMPOSE_MAX_SIDE;
    o.height = 6000;
    o.gutter = BA_COMPOSE_MAX_GUTTER;
    o.quality = 100;
    o.logo_opacity = 1;
    assert_int_equal(ba_compose_options_check(&o, &err), 0);
}

/* The planned output is bounded, not only the options; refused before any
 * pixel (fast, nothing written); the same photo twice and a missing master. */
static void test_planned_bounds(void **state)
{
    fixture *f = *state;
    VipsImage *scene = framed_astronaut();
    VipsImage *v = NULL, *u8 = NULL;
    assert_int_equal(vips_linear1(scene, &v, 0.95, 0, NULL), 0);
    assert_int_equal(vips_cast_uchar(v, &u8, NULL), 0);
    int64_t ids[2] = {ingest(f, scene, "p.png", "2026-01-05", NULL, NULL),
                      ingest(f, u8, "q.png", "2026-02-05", NULL, NULL)};
    g_object_unref(v);
    g_object_unref(u8);
    ba_compose_options o;
    ba_compose_options_init(&o);
    o.align = false;
    ba_comparison c;
    ba_error err;
    char *out = g_build_filename(f->work, "big.png", NULL);
    /* A height within the limit whose side-by-side width is not: 2 x 16383. */
    o.height = BA_COMPOSE_MAX_SIDE;
    gint64 t0 = g_get_monotonic_time();
    assert_int_equal(ba_compose_photos(f->cat, ids, 2, &o, out, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "16383"));
    /* Two square panels side by side in 16000 px: about 16000 x 7600, over 100 MP. */
    ba_compose_options_init(&o);
    o.align = false;
    o.width = 16000;
    o.gutter = 1000;
    assert_int_equal(ba_compose_photos(f->cat, ids, 2, &o, out, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "megapixels"));
    /* Gutters leaving no room for the panels. */
    ba_compose_options_init(&o);
    o.align = false;
    o.width = 100;
    o.gutter = 900;
    assert_int_equal(ba_compose_photos(f->cat, ids, 2, &o, out, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "8 px"));
    assert_true(g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC);
    assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    /* Plain files: the same bound. */
    char *pa = g_build_filename(f->work, "p.png", NULL), *pb = g_build_filename(f->work, "q.png", NULL);
    const char *paths[2] = {pa, pb};
    ba_compose_options_init(&o);
    o.align = false;
    o.height = BA_COMPOSE_MAX_SIDE;
    assert_int_equal(ba_compose_files(paths, 2, &o, out, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    /* The same photo twice. */
    ba_compose_options_init(&o);
    int64_t twice[2] = {ids[0], ids[0]};
    assert_int_equal(ba_compose_photos(f->cat, twice, 2, &o, out, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "twice"));
    /* Ghost: a long edge over the side limit, or a square overlay over the
     * pixel limit, and a NaN opacity. */
    char *ghost = g_build_filename(f->work, "g.png", NULL);
    assert_int_equal(ba_compose_ghost(f->cat, ids[0], NULL, 0.4, false, 20000, ghost, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_compose_ghost(f->cat, ids[0], NULL, 0.4, false, BA_COMPOSE_MAX_SIDE, ghost,
                                      &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "megapixels"));
    assert_int_equal(ba_compose_ghost(f->cat, ids[0], NULL, NAN, false, 300, ghost, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_false(g_file_test(ghost, G_FILE_TEST_EXISTS));
    /* A missing master is damage, not a usage error: the photo is named. */
    ba_photo p;
    assert_int_equal(ba_catalog_photo_get(f->cat, ids[1], &p, &err), 0);
    char rel[96];
    ba_catalog_master_relpath(p.master_sha256, rel, sizeof rel);
    char *master = g_build_filename(f->dir, rel, NULL);
    assert_int_equal(g_unlink(master), 0);
    ba_compose_options_init(&o);
    assert_int_equal(ba_compose_photos(f->cat, ids, 2, &o, out, &c, &err), -1);
    assert_int_equal(err.code, BA_ERR_CORRUPT);
    char who[32];
    snprintf(who, sizeof who, "photo %" G_GINT64_FORMAT ":", ids[1]);
    assert_non_null(strstr(err.message, who));
    assert_int_equal(err.hint, BA_HINT_RUN_VERIFY); /* the CLI: 'beforeafter verify' tells more */
    assert_int_equal(ba_compose_ghost(f->cat, ids[1], NULL, 0.4, false, 300, ghost, &err), -1);
    assert_int_equal(err.code, BA_ERR_CORRUPT);
    g_object_unref(scene);
    g_free(master);
    g_free(ghost);
    g_free(pa);
    g_free(pb);
    g_free(out);
}

/* A distinct small photo of @view on @date for C-1's cheeks (exposure @k
 * makes each file its own). */
static int64_t pick_photo(fixture *f, const char *date, const char *view, int k)
{
    VipsImage *scene = tu_scene(96, 72), *v = NULL, *u8 = NULL;
    assert_int_equal(vips_linear1(scene, &v, 1.0 - 0.03 * k, 0, NULL), 0);
    assert_int_equal(vips_cast_uchar(v, &u8, NULL), 0);
    char *path = g_strdup_printf("%s/pick%d.png", f->work, k);
    tu_save(u8, path);
    ba_ingest_options o;
    tu_options(&o);
    o.date = date;
    o.view = view;
    ba_ingest_result r;
    ba_error err;
    if (ba_ingest_file(f->cat, path, &o, &r, &err))
        fail_msg("%s", err.message);
    g_free(path);
    g_object_unref(scene);
    g_object_unref(v);
    g_object_unref(u8);
    return r.photo_id;
}

static void assert_pick(fixture *f, const char *view, ba_pick pick, int max, int n,
                        const int64_t *want)
{
    int64_t ids[BA_COMPOSE_MAX_PANELS];
    int got = -1;
    ba_error err;
    if (ba_compose_pick(f->cat, "C-1", "cheeks", view, pick, ids, max, &got, &err))
        fail_msg("%s", err.message);
    assert_int_equal(got, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
}

/* The first photo of each session, in date order; a damaged master gives way
 * to the session's next photo; other views are left out. */
static void test_pick(void **state)
{
    fixture *f = *state;
    int64_t jan = pick_photo(f, "2026-01-05", NULL, 0);
    int64_t jan2 = pick_photo(f, "2026-01-05", NULL, 1);
    int64_t apr = pick_photo(f, "2026-04-05", NULL, 2); /* ingested before March */
    int64_t mar = pick_photo(f, "2026-03-05", NULL, 3);
    int64_t feb_side = pick_photo(f, "2026-02-05", "left-45", 4);
    int64_t feb = pick_photo(f, "2026-02-05", NULL, 5);

    assert_pick(f, NULL, BA_PICK_FIRST_LAST, 24, 2, (int64_t[]){jan, apr});
    assert_pick(f, NULL, BA_PICK_FIRST, 24, 2, (int64_t[]){jan, feb});
    assert_pick(f, NULL, BA_PICK_LAST, 24, 2, (int64_t[]){mar, apr});
    assert_pick(f, "frontal", BA_PICK_TIMELINE, 24, 4, (int64_t[]){jan, feb, mar, apr});
    assert_pick(f, NULL, BA_PICK_TIMELINE, 3, 3, (int64_t[]){jan, feb, mar});
    /* One session has a left-45 photo: fewer than two is no error. */
    assert_pick(f, "left-45", BA_PICK_FIRST_LAST, 24, 1, (int64_t[]){feb_side});
    assert_pick(f, "right-90", BA_PICK_FIRST_LAST, 24, 0, NULL);

    /* January's first master goes missing (verify marks it): its session's
     * second photo stands in, as in batch compare. */
    ba_photo p;
    ba_error err;
    assert_int_equal(ba_catalog_photo_get(f->cat, jan, &p, &err), 0);
    char rel[128];
    ba_catalog_master_relpath(p.master_sha256, rel, sizeof rel);
    char *master = g_build_filename(f->dir, rel, NULL);
    assert_int_equal(g_unlink(master), 0);
    g_free(master);
    size_t n_problems = 0;
    assert_int_equal(ba_verify_library(f->cat, true, NULL, NULL, &n_problems, &err), 0);
    assert_int_equal(ba_catalog_photo_get(f->cat, jan, &p, &err), 0);
    assert_string_equal(p.master_problem, "missing");
    assert_pick(f, NULL, BA_PICK_FIRST_LAST, 24, 2, (int64_t[]){jan2, apr});

    /* Unknown client or area, a bad max: errors, nothing picked. */
    int64_t ids[2];
    int n = -1;
    assert_int_equal(ba_compose_pick(f->cat, "C-404", "cheeks", NULL, BA_PICK_FIRST_LAST, ids, 2,
                                     &n, &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(n, 0);
    assert_int_equal(ba_compose_pick(f->cat, "C-1", "elbows", NULL, BA_PICK_FIRST_LAST, ids, 2, &n,
                                     &err),
                     -1);
    assert_int_equal(ba_compose_pick(f->cat, "C-1", "cheeks", NULL, BA_PICK_FIRST_LAST, ids, 1, &n,
                                     NULL),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_aligned_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sizes_labels_caption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeline_and_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redaction_and_ghost, setup, teardown),
        cmocka_unit_test(test_options_bounds),
        cmocka_unit_test_setup_teardown(test_planned_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pick, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
