/* Unit tests of the image writers (compose/output.c): what is written decodes
 * back to the image, carries no metadata whatever the image held, is hashed
 * truthfully, and is placed atomically or not at all. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* Internal: the writers every render, overlay and evidence image goes through. */
#include "../../src/lib/compose/output.h"

static const char *const EXTS[] = {"png", "jpg", "webp"};
static const ba_out_format FMTS[] = {BA_OUT_PNG, BA_OUT_JPEG, BA_OUT_WEBP};

/* A fresh folder per test in *state. */
static int setup(void **state)
{
    ba_error err;
    assert_int_equal(ba_init("test_output", &err), 0);
    *state = tu_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    tu_rmtree(*state);
    g_free(*state);
    return 0;
}

static char *in_dir(const char *dir, const char *name)
{
    return g_build_filename(dir, name, NULL);
}

static void write_ok(VipsImage *img, const char *path, ba_out_format fmt, char *sha)
{
    ba_error err;
    if (ba_output_write(img, path, fmt, 0, sha, &err) != 0)
        fail_msg("write %s: %s", path, err.message);
}

static VipsImage *load(const char *path)
{
    VipsImage *a = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!a)
        fail_msg("cannot decode %s: %s", path, vips_error_buffer());
    VipsImage *m = vips_image_copy_memory(a);
    g_object_unref(a);
    return m;
}

/* The scene with an alpha band that varies (a ramp), so alpha must round-trip too. */
static VipsImage *scene_rgba(int w, int h)
{
    VipsImage *rgb = tu_scene(w, h), *g = NULL, *rgba = NULL;
    assert_int_equal(vips_extract_band(rgb, &g, 1, NULL), 0);
    assert_int_equal(vips_bandjoin2(rgb, g, &rgba, NULL), 0);
    rgba->Type = VIPS_INTERPRETATION_sRGB;
    VipsImage *m = vips_image_copy_memory(rgba);
    g_object_unref(rgb);
    g_object_unref(g);
    g_object_unref(rgba);
    return m;
}

static void assert_same_pixels(VipsImage *a, VipsImage *b)
{
    assert_int_equal(a->Xsize, b->Xsize);
    assert_int_equal(a->Ysize, b->Ysize);
    assert_int_equal(a->Bands, b->Bands);
    assert_int_equal(b->BandFmt, VIPS_FORMAT_UCHAR);
    size_t la, lb;
    void *pa = vips_image_write_to_memory(a, &la);
    void *pb = vips_image_write_to_memory(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pb, la);
    g_free(pa);
    g_free(pb);
}

/* Entries of @dir other than those named in the NULL-terminated @keep. */
static int others_in(const char *dir, const char *const *keep)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    assert_non_null(d);
    int n = 0;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        bool kept = false;
        for (int i = 0; keep && keep[i]; i++)
            kept = kept || strcmp(name, keep[i]) == 0;
        if (!kept) {
            print_message("left behind: %s\n", name);
            n++;
        }
    }
    g_dir_close(d);
    return n;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The chunk names of a PNG, space-separated, repeated IDATs once. */
static char *png_chunks(const unsigned char *d, size_t len)
{
    assert_true(len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0);
    GString *s = g_string_new(NULL);
    size_t off = 8;
    while (off + 12 <= len) {
        uint32_t n = be32(d + off);
        char type[5] = {0};
        memcpy(type, d + off + 4, 4);
        if (!g_str_has_suffix(s->str, "IDAT") || strcmp(type, "IDAT") != 0)
            g_string_append_printf(s, "%s%s", s->len ? " " : "", type);
        assert_true(off + 12 + n <= len);
        off += 12 + n;
    }
    assert_int_equal(off, len); /* nothing after IEND */
    return g_string_free(s, FALSE);
}

/* The chunk names of a WebP (RIFF), space-separated; checks the RIFF sizes. */
static char *webp_chunks(const unsigned char *d, size_t len, uint32_t *vp8x_flags)
{
    assert_true(len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0);
    assert_int_equal(le32(d + 4) + 8, len);
    GString *s = g_string_new(NULL);
    size_t off = 12;
    *vp8x_flags = 0;
    while (off + 8 <= len) {
        uint32_t n = le32(d + off + 4);
        char type[5] = {0};
        memcpy(type, d + off, 4);
        g_string_append_printf(s, "%s%s", s->len ? " " : "", type);
        if (strcmp(type, "VP8X") == 0 && n >= 4)
            *vp8x_flags = d[off + 8];
        off += 8 + n + (n & 1);
    }
    assert_int_equal(off, len);
    return g_string_free(s, FALSE);
}

/* The JPEG markers before the scan, as "E0 DB C0 C4 DA", checking the structure. */
static char *jpeg_markers(const unsigned char *d, size_t len)
{
    assert_true(len >= 4 && d[0] == 0xFF && d[1] == 0xD8);
    assert_true(d[len - 2] == 0xFF && d[len - 1] == 0xD9); /* nothing after EOI */
    GString *s = g_string_new(NULL);
    size_t off = 2;
    while (off + 4 <= len) {
        assert_int_equal(d[off], 0xFF);
        unsigned m = d[off + 1];
        g_string_append_printf(s, "%s%02X", s->len ? " " : "", m);
        if (m == 0xDA)
            break;
        off += 2 + ((size_t)d[off + 2] << 8 | d[off + 3]);
    }
    return g_string_free(s, FALSE);
}

static bool contains(const unsigned char *d, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(d + i, needle, n) == 0)
            return true;
    return false;
}

/* ---- what is written decodes back --------------------------------------- */

static void test_png_decodes_to_identical_pixels(void **state)
{
    char *p = in_dir(*state, "out.png");
    VipsImage *img = tu_scene(97, 61); /* odd sizes: no row padding hides */
    write_ok(img, p, BA_OUT_PNG, NULL);
    VipsImage *back = load(p);
    assert_same_pixels(img, back);
    g_object_unref(back);
    g_object_unref(img);
    g_free(p);
}

static void test_png_with_alpha_keeps_alpha_exactly(void **state)
{
    char *p = in_dir(*state, "out.png");
    VipsImage *img = scene_rgba(53, 31);
    write_ok(img, p, BA_OUT_PNG, NULL);
    VipsImage *back = load(p);
    assert_int_equal(back->Bands, 4);
    assert_same_pixels(img, back);
    g_object_unref(back);
    g_object_unref(img);
    g_free(p);
}

static void test_jpeg_and_webp_decode_to_same_size_and_close_pixels(void **state)
{
    VipsImage *img = tu_scene(97, 61);
    for (int i = 1; i < 3; i++) {
        char *name = g_strdup_printf("out.%s", EXTS[i]);
        char *p = in_dir(*state, name);
        write_ok(img, p, FMTS[i], NULL);
        VipsImage *back = load(p);
        assert_int_equal(back->Xsize, 97);
        assert_int_equal(back->Ysize, 61);
        assert_int_equal(back->Bands, 3);
        double psnr = tu_psnr(img, back);
        if (psnr < 30.0)
            fail_msg("%s: PSNR %.1f dB at the default quality", name, psnr);
        g_object_unref(back);
        g_free(p);
        g_free(name);
    }
    g_object_unref(img);
}

static void test_quality_changes_jpeg_and_webp_size(void **state)
{
    VipsImage *img = tu_scene(160, 120);
    for (int i = 1; i < 3; i++) {
        size_t len[2];
        const int q[2] = {20, 98};
        for (int k = 0; k < 2; k++) {
            char *name = g_strdup_printf("q%d.%s", q[k], EXTS[i]);
            char *p = in_dir(*state, name);
            ba_error err;
            assert_int_equal(ba_output_write(img, p, FMTS[i], q[k], NULL, &err), 0);
            g_free(tu_read(p, &len[k]));
            g_free(p);
            g_free(name);
        }
        assert_true(len[0] < len[1]);
    }
    g_object_unref(img);
}

static void test_reported_sha256_is_the_hash_of_the_file(void **state)
{
    VipsImage *img = tu_scene(64, 48);
    for (int i = 0; i < 3; i++) {
        char *name = g_strdup_printf("out.%s", EXTS[i]);
        char *p = in_dir(*state, name);
        char sha[65];
        memset(sha, 'x', sizeof sha);
        write_ok(img, p, FMTS[i], sha);
        size_t len;
        unsigned char *bytes = tu_read(p, &len);
        char *want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, bytes, len);
        assert_string_equal(sha, want);
        g_free(want);
        g_free(bytes);
        g_free(p);
        g_free(name);
    }
    g_object_unref(img);
}

/* ---- no metadata -------------------------------------------------------- */

static void test_png_has_only_structure_chunks(void **state)
{
    VipsImage *imgs[2] = {tu_scene(40, 30), scene_rgba(40, 30)};
    for (int i = 0; i < 2; i++) {
        char *p = in_dir(*state, "out.png");
        write_ok(imgs[i], p, BA_OUT_PNG, NULL);
        size_t len;
        unsigned char *d = tu_read(p, &len);
        char *chunks = png_chunks(d, len);
        assert_string_equal(chunks, "IHDR sRGB pHYs IDAT IEND");
        char found[256];
        assert_int_equal(ba_verify_image_metadata(d, len, found, sizeof found), 0);
        g_free(chunks);
        g_free(d);
        g_free(p);
        g_object_unref(imgs[i]);
    }
}

static void test_jpeg_has_no_app1_to_app15_segment_and_no_comment(void **state)
{
    char *p = in_dir(*state, "out.jpg");
    VipsImage *img = tu_scene(40, 30);
    write_ok(img, p, BA_OUT_JPEG, NULL);
    size_t len;
    unsigned char *d = tu_read(p, &len);
    char *markers = jpeg_markers(d, len);
    /* At most APP0 (JFIF; libvips leaves it out when stripping), no APP1-15 (EXIF, XMP, ICC, Photoshop), no COM. */
    for (unsigned m = 0xE1; m <= 0xEF; m++) {
        char hex[3];
        g_snprintf(hex, sizeof hex, "%02X", m);
        assert_null(strstr(markers, hex));
    }
    assert_null(strstr(markers, "FE"));
    assert_non_null(strstr(markers, "C0")); /* the walk did reach the frame */
    char found[256];
    assert_int_equal(ba_verify_image_metadata(d, len, found, sizeof found), 0);
    g_free(markers);
    g_free(d);
    g_object_unref(img);
    g_free(p);
}

static void test_webp_is_a_bare_bitstream_without_metadata_chunks(void **state)
{
    VipsImage *imgs[2] = {tu_scene(40, 30), scene_rgba(40, 30)};
    /* Without alpha: a lone VP8 chunk; with it: VP8X (alpha flag only), ALPH, VP8. */
    static const char *const want[2] = {"VP8 ", "VP8X ALPH VP8 "};
    for (int i = 0; i < 2; i++) {
        char *p = in_dir(*state, "out.webp");
        write_ok(imgs[i], p, BA_OUT_WEBP, NULL);
        size_t len;
        unsigned char *d = tu_read(p, &len);
        uint32_t flags;
        char *chunks = webp_chunks(d, len, &flags);
        assert_string_equal(chunks, want[i]);
        assert_int_equal(flags & ~0x10u, 0); /* no ICC (0x20), EXIF (0x08), XMP (0x04), anim */
        g_free(chunks);
        g_free(d);
        g_free(p);
        g_object_unref(imgs[i]);
    }
}

/* A minimal little-endian EXIF block: IFD0 with Make = "SECRETCAM". */
static const unsigned char EXIF[] = {
    'E', 'x', 'i', 'f', 0, 0,                    /* APP1 signature */
    'I', 'I', 0x2A, 0, 8, 0, 0, 0,              /* TIFF header, IFD0 at 8 */
    1, 0,                                        /* one entry */
    0x0F, 0x01, 2, 0, 10, 0, 0, 0, 26, 0, 0, 0, /* Make, ASCII, 10 bytes at 26 */
    0, 0, 0, 0,                                  /* no IFD1 */
    'S', 'E', 'C', 'R', 'E', 'T', 'C', 'A', 'M', 0};

static const char XMP[] = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF>SECRETXMP"
                          "</rdf:RDF></x:xmpmeta>";

/* The scene carrying every kind of metadata libvips would write. */
static VipsImage *scene_with_metadata(void)
{
    VipsImage *img = tu_scene(48, 36);
    size_t icc_len;
    void *icc = tu_p3_profile(&icc_len);
    vips_image_set_blob_copy(img, "exif-data", EXIF, sizeof EXIF);
    vips_image_set_blob_copy(img, "icc-profile-data", icc, icc_len);
    vips_image_set_blob_copy(img, "xmp-data", XMP, sizeof XMP - 1);
    vips_image_set_string(img, "exif-ifd0-Artist", "SECRETARTIST");
    vips_image_set_string(img, "png-comment-0-Comment", "SECRETCOMMENT");
    vips_image_set_int(img, "orientation", 6);
    g_free(icc);
    return img;
}

static void assert_clean(const unsigned char *d, size_t len, const char *what)
{
    /* "acsp" is the signature in every ICC profile's header. */
    static const char *const secrets[] = {"SECRET", "Exif", "xmpmeta", "acsp", "Display P3"};
    for (size_t i = 0; i < G_N_ELEMENTS(secrets); i++)
        if (contains(d, len, secrets[i]))
            fail_msg("%s carries '%s'", what, secrets[i]);
}

static void test_metadata_control_libvips_alone_would_write_it(void **state)
{
    /* The check below can fail: libvips' own saver, not told to strip,
     * writes these fields, and ba_verify_image_metadata() sees them. */
    VipsImage *img = scene_with_metadata();
    char *p = in_dir(*state, "vips.jpg");
    tu_save(img, p);
    size_t len;
    unsigned char *d = tu_read(p, &len);
    char found[256];
    assert_true(ba_verify_image_metadata(d, len, found, sizeof found) > 0);
    assert_true(contains(d, len, "SECRETXMP"));
    assert_true(contains(d, len, "acsp"));
    g_free(d);
    g_free(p);
    g_object_unref(img);
}

static void test_metadata_fields_of_the_image_are_never_written(void **state)
{
    VipsImage *img = scene_with_metadata();
    for (int i = 0; i < 3; i++) {
        char *name = g_strdup_printf("out.%s", EXTS[i]);
        char *p = in_dir(*state, name);
        write_ok(img, p, FMTS[i], NULL);
        size_t len;
        unsigned char *d = tu_read(p, &len);
        assert_clean(d, len, name);
        if (FMTS[i] == BA_OUT_WEBP) {
            uint32_t flags;
            char *chunks = webp_chunks(d, len, &flags);
            assert_string_equal(chunks, "VP8 ");
            g_free(chunks);
        } else {
            char found[256];
            int n = ba_verify_image_metadata(d, len, found, sizeof found);
            if (n != 0)
                fail_msg("%s: %d metadata blocks: %s", name, n, found);
        }
        /* Decoded back: no field survived, and the pixels were not rotated. */
        VipsImage *back = load(p);
        assert_int_equal(vips_image_get_typeof(back, "exif-data"), 0);
        assert_int_equal(vips_image_get_typeof(back, "icc-profile-data"), 0);
        assert_int_equal(vips_image_get_typeof(back, "xmp-data"), 0);
        assert_int_equal(back->Xsize, 48);
        assert_int_equal(back->Ysize, 36);
        g_object_unref(back);
        g_free(d);
        g_free(p);
        g_free(name);
    }
    /* The caller's image keeps its fields: the writer strips a copy. */
    assert_int_not_equal(vips_image_get_typeof(img, "exif-data"), 0);
    g_object_unref(img);
}

/* ---- formats and failures ----------------------------------------------- */

static void test_format_from_extension(void **state)
{
    (void)state;
    assert_int_equal(ba_output_format("a.png"), BA_OUT_PNG);
    assert_int_equal(ba_output_format("/x/A.PNG"), BA_OUT_PNG);
    assert_int_equal(ba_output_format("a.jpg"), BA_OUT_JPEG);
    assert_int_equal(ba_output_format("a.JPEG"), BA_OUT_JPEG);
    assert_int_equal(ba_output_format("a.webp"), BA_OUT_WEBP);
    assert_int_equal(ba_output_format("a.gif"), BA_OUT_UNKNOWN);
    assert_int_equal(ba_output_format("a.png.txt"), BA_OUT_UNKNOWN);
    assert_int_equal(ba_output_format("png"), BA_OUT_UNKNOWN);
    assert_int_equal(ba_output_format(""), BA_OUT_UNKNOWN);
    assert_int_equal(ba_output_format(NULL), BA_OUT_UNKNOWN);
}

static void test_unknown_extension_is_usage_and_writes_nothing(void **state)
{
    char *p = in_dir(*state, "out.gif");
    VipsImage *img = tu_scene(16, 16);
    ba_error err;
    assert_int_equal(ba_output_write(img, p, ba_output_format(p), 0, NULL, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "out.gif"));
    assert_int_equal(others_in(*state, NULL), 0);
    /* err may be NULL. */
    assert_int_equal(ba_output_write(img, p, BA_OUT_UNKNOWN, 0, NULL, NULL), -1);
    g_object_unref(img);
    g_free(p);
}

static void test_missing_folder_fails_and_creates_nothing(void **state)
{
    char *p = g_build_filename(*state, "nope", "out.png", NULL);
    VipsImage *img = tu_scene(16, 16);
    for (int i = 0; i < 3; i++) {
        ba_error err;
        assert_int_equal(ba_output_write(img, p, FMTS[i], 0, NULL, &err), -1);
        assert_int_equal(err.code, BA_ERR_IO);
        assert_non_null(strstr(err.message, "out.png"));
    }
    assert_int_equal(others_in(*state, NULL), 0);
    g_object_unref(img);
    g_free(p);
}

static void test_read_only_folder_fails_and_leaves_nothing(void **state)
{
    if (geteuid() == 0)
        skip(); /* root writes into 0555 folders; the rename and size tests cover root */
    char *ro = in_dir(*state, "ro");
    assert_int_equal(g_mkdir(ro, 0555), 0);
    char *p = in_dir(ro, "out.png");
    VipsImage *img = tu_scene(16, 16);
    for (int i = 0; i < 3; i++) {
        ba_error err;
        assert_int_equal(ba_output_write(img, p, FMTS[i], 0, NULL, &err), -1);
        assert_int_equal(err.code, BA_ERR_IO);
    }
    assert_int_equal(others_in(ro, NULL), 0);
    g_chmod(ro, 0700);
    g_object_unref(img);
    g_free(p);
    g_free(ro);
}

static void test_failed_rename_removes_the_temporary_file(void **state)
{
    /* The target is a folder holding a file: everything succeeds up to the
     * rename, which fails (EISDIR) after the temporary file is complete. */
    char *target = in_dir(*state, "out.img");
    assert_int_equal(g_mkdir(target, 0700), 0);
    char *inside = in_dir(target, "keep");
    assert_true(g_file_set_contents(inside, "keep", -1, NULL));
    VipsImage *img = tu_scene(32, 24);
    for (int i = 0; i < 3; i++) {
        ba_error err;
        char sha[65];
        assert_int_equal(ba_output_write(img, target, FMTS[i], 0, sha, &err), -1);
        assert_int_equal(err.code, BA_ERR_IO);
        static const char *const keep[] = {"out.img", NULL};
        assert_int_equal(others_in(*state, keep), 0);
    }
    assert_true(g_file_test(inside, G_FILE_TEST_IS_REGULAR));
    g_object_unref(img);
    g_free(inside);
    g_free(target);
}

static void test_write_error_midway_leaves_nothing(void **state)
{
    /* A file size limit makes every write past 2 KiB fail (EFBIG), like a
     * full disk would, whatever the user running the tests. */
    VipsImage *img = tu_scene(256, 192);
    struct rlimit old, small = {.rlim_cur = 2048, .rlim_max = RLIM_INFINITY};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    for (int i = 0; i < 3; i++) {
        char *name = g_strdup_printf("out.%s", EXTS[i]);
        char *p = in_dir(*state, name);
        ba_error err;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
        int rc = ba_output_write(img, p, FMTS[i], 98, NULL, &err);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        if (rc != -1)
            fail_msg("%s: written past the file size limit", name);
        assert_true(err.code == BA_ERR_IO || err.code == BA_ERR_NOSPACE);
        assert_int_equal(others_in(*state, NULL), 0);
        g_free(p);
        g_free(name);
    }
    signal(SIGXFSZ, old_handler);
    g_object_unref(img);
}

static void test_existing_file_is_replaced_whole_by_rename(void **state)
{
    for (int i = 0; i < 3; i++) {
        char *name = g_strdup_printf("out.%s", EXTS[i]);
        char *p = in_dir(*state, name);
        char *old = in_dir(*state, "old-link");
        VipsImage *big = tu_scene(300, 200), *little = tu_scene(20, 10);
        write_ok(big, p, FMTS[i], NULL);
        size_t old_len;
        unsigned char *old_bytes = tu_read(p, &old_len);
        /* A second name for the first file: an in-place rewrite would change it too. */
        assert_int_equal(link(p, old), 0);
        struct stat before, after;
        assert_int_equal(g_stat(p, &before), 0);
        char sha[65];
        write_ok(little, p, FMTS[i], sha);
        assert_int_equal(g_stat(p, &after), 0);
        assert_true(after.st_ino != before.st_ino);
        size_t len;
        unsigned char *now = tu_read(old, &len);
        assert_int_equal(len, old_len);
        assert_memory_equal(now, old_bytes, len);
        g_free(now);
        /* The new file is the small image alone: no tail of the big one. */
        VipsImage *back = load(p);
        assert_int_equal(back->Xsize, 20);
        assert_int_equal(back->Ysize, 10);
        now = tu_read(p, &len);
        assert_int_equal((size_t)after.st_size, len);
        char *want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, now, len);
        assert_string_equal(sha, want);
        const char *keep[] = {"old-link", name, NULL};
        assert_int_equal(others_in(*state, keep), 0);
        g_unlink(old);
        g_unlink(p);
        g_free(want);
        g_free(now);
        g_free(old_bytes);
        g_object_unref(back);
        g_object_unref(big);
        g_object_unref(little);
        g_free(old);
        g_free(p);
        g_free(name);
    }
}

static void test_one_band_or_16_bit_image_is_refused_by_every_writer(void **state)
{
    /* The writers read rows as 8-bit RGB(A): a one-band image handed to the
     * PNG writer was read past its end (ASan: heap-buffer-overflow in
     * png_rows).  Anything else is refused, with nothing left. */
    VipsImage *grey = NULL, *wide = NULL, *rgb = tu_scene(16, 16);
    assert_int_equal(vips_extract_band(rgb, &grey, 0, NULL), 0);
    assert_int_equal(vips_cast(rgb, &wide, VIPS_FORMAT_USHORT, NULL), 0);
    char *p = in_dir(*state, "out.img");
    for (int i = 0; i < 3; i++) {
        ba_error err;
        assert_int_equal(ba_output_write(grey, p, FMTS[i], 0, NULL, &err), -1);
        assert_int_equal(err.code, BA_ERR_INTERNAL);
        assert_int_equal(ba_output_write(wide, p, FMTS[i], 0, NULL, &err), -1);
        assert_int_equal(err.code, BA_ERR_INTERNAL);
    }
    assert_int_equal(others_in(*state, NULL), 0);
    g_free(p);
    g_object_unref(wide);
    g_object_unref(grey);
    g_object_unref(rgb);
}

/* ---- the independent reader the writers are judged by ------------------ */

/* ba_verify_image_metadata() is what verify (and the tests above) trust to
 * see metadata: each kind it must find, in files built byte by byte. */

/* A JPEG: SOI, @seg (whole segments, markers included), a minimal frame and
 * scan whose entropy data holds a stuffed 0xFF00 and an RST marker, EOI,
 * then @tail. */
static GByteArray *jpeg_with(const void *seg, size_t seg_len, const void *tail, size_t tail_len)
{
    static const unsigned char soi[] = {0xFF, 0xD8};
    static const unsigned char frame[] = {
        0xFF, 0xDB, 0x00, 0x04, 0x00, 0x01,                               /* DQT (short) */
        0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00,
        0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00,       /* SOS */
        0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xE1, 0xFE,             /* scan data */
        0xFF, 0xD9};
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, soi, sizeof soi);
    if (seg_len)
        g_byte_array_append(b, seg, (guint)seg_len);
    g_byte_array_append(b, frame, sizeof frame);
    if (tail_len)
        g_byte_array_append(b, tail, (guint)tail_len);
    return b;
}

/* One APPn/COM segment with @payload. */
static GByteArray *segment(unsigned marker, const void *payload, size_t len)
{
    GByteArray *b = g_byte_array_new();
    unsigned char head[4] = {0xFF, (unsigned char)marker, (unsigned char)((len + 2) >> 8),
                             (unsigned char)((len + 2) & 0xFF)};
    g_byte_array_append(b, head, 4);
    g_byte_array_append(b, payload, (guint)len);
    return b;
}

static int reader_count(const GByteArray *b, char *found, size_t size)
{
    return ba_verify_image_metadata(b->data, b->len, found, size);
}

static void test_reader_clean_jpeg_with_stuffed_bytes_and_restart_markers(void **state)
{
    (void)state;
    static const unsigned char jfif[] = {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
    static const unsigned char adobe[] = {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1};
    GByteArray *s1 = segment(0xE0, jfif, sizeof jfif), *s2 = segment(0xEE, adobe, sizeof adobe);
    g_byte_array_append(s1, s2->data, s2->len);
    GByteArray *j = jpeg_with(s1->data, s1->len, NULL, 0);
    char found[256];
    /* 0xFF00 and 0xFFD0 inside the scan are data, not segments. */
    assert_int_equal(reader_count(j, found, sizeof found), 0);
    assert_string_equal(found, "");
    g_byte_array_free(j, TRUE);
    g_byte_array_free(s1, TRUE);
    g_byte_array_free(s2, TRUE);
}

static void test_reader_finds_each_kind_of_jpeg_metadata(void **state)
{
    (void)state;
    static const struct {
        unsigned marker;
        const char *payload;
        size_t len;
        const char *says;
    } kinds[] = {
        {0xE1, "Exif\0\0II*\0", 10, "APP1 segment (EXIF)"},
        {0xE1, "http://ns.adobe.com/xap/1.0/\0<x/>", 33, "APP1 segment (XMP)"},
        {0xE2, "ICC_PROFILE\0\1\1", 14, "APP2 segment (ICC profile)"},
        {0xED, "Photoshop 3.0\0", 14, "APP13 segment (IPTC/Photoshop)"},
        {0xEB, "JP\0\0", 4, "APP11 segment (data)"},
        {0xFE, "a comment", 9, "JPEG comment (COM)"},
        {0xE0, "JFXX\0\x10", 6, "APP0 other than JFIF"},
        /* A JFIF header announcing a 2x1 thumbnail, and its 6 bytes. */
        {0xE0, "JFIF\0\1\1\0\0\1\0\1\2\1abcdef", 20, "JFIF thumbnail"},
        {0xEE, "Other", 5, "APP14 other than Adobe"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
        GByteArray *s = segment(kinds[i].marker, kinds[i].payload, kinds[i].len);
        GByteArray *j = jpeg_with(s->data, s->len, NULL, 0);
        char found[256];
        assert_int_equal(reader_count(j, found, sizeof found), 1);
        if (!strstr(found, kinds[i].says))
            fail_msg("marker %02X: '%s', expected '%s'", kinds[i].marker, found, kinds[i].says);
        assert_non_null(strstr(found, "at byte 2")); /* right after SOI */
        g_byte_array_free(j, TRUE);
        g_byte_array_free(s, TRUE);
    }
}

static void test_reader_counts_every_block_and_names_the_first(void **state)
{
    (void)state;
    GByteArray *a = segment(0xE1, "Exif\0\0", 6), *b = segment(0xFE, "x", 1);
    g_byte_array_append(a, b->data, b->len);
    GByteArray *j = jpeg_with(a->data, a->len, "trailer", 7);
    char found[256];
    assert_int_equal(reader_count(j, found, sizeof found), 3);
    assert_non_null(strstr(found, "EXIF"));
    /* A zero-sized description buffer is allowed. */
    assert_int_equal(ba_verify_image_metadata(j->data, j->len, NULL, 0), 3);
    g_byte_array_free(j, TRUE);
    g_byte_array_free(a, TRUE);
    g_byte_array_free(b, TRUE);
}

static void test_reader_finds_data_after_jpeg_end(void **state)
{
    (void)state;
    GByteArray *j = jpeg_with(NULL, 0, "\xFF\xD8 a second image", 17);
    char found[256];
    assert_int_equal(reader_count(j, found, sizeof found), 1);
    assert_non_null(strstr(found, "data after the end of the JPEG"));
    g_byte_array_free(j, TRUE);
}

static void test_reader_refuses_malformed_jpeg(void **state)
{
    (void)state;
    GByteArray *j = jpeg_with(NULL, 0, NULL, 0);
    char found[256];
    /* Cut before EOI, inside a segment header, and a length past the end. */
    assert_int_equal(ba_verify_image_metadata(j->data, j->len - 2, found, sizeof found), -1);
    assert_non_null(strstr(found, "without an end marker"));
    assert_int_equal(ba_verify_image_metadata(j->data, 5, found, sizeof found), -1);
    assert_int_equal(ba_verify_image_metadata(j->data, 8, found, sizeof found), -1);
    static const unsigned char gap[] = {0xFF, 0xD8, 0x00, 0xFF, 0xD9};
    assert_int_equal(ba_verify_image_metadata(gap, sizeof gap, found, sizeof found), -1);
    assert_non_null(strstr(found, "bytes between JPEG segments"));
    static const unsigned char zero_len[] = {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9};
    assert_int_equal(ba_verify_image_metadata(zero_len, sizeof zero_len, found, sizeof found),
                     -1);
    g_byte_array_free(j, TRUE);
}

/* A PNG: signature, IHDR, the chunks named in @middle (space-separated,
 * 4 payload bytes each, CRCs not checked by the reader), IDAT, IEND, @tail. */
static GByteArray *png_with(const char *middle, const char *tail)
{
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, (const guint8 *)"\x89PNG\r\n\x1a\n", 8);
    char *all = g_strdup_printf("IHDR %s%sIDAT IEND", middle, *middle ? " " : "");
    char **names = g_strsplit(all, " ", -1);
    for (int i = 0; names[i]; i++) {
        bool end = strcmp(names[i], "IEND") == 0;
        unsigned char len[4] = {0, 0, 0, end ? 0 : 4}, crc[4] = {0};
        g_byte_array_append(b, len, 4);
        g_byte_array_append(b, (const guint8 *)names[i], 4);
        if (!end)
            g_byte_array_append(b, (const guint8 *)"abcd", 4);
        g_byte_array_append(b, crc, 4);
    }
    g_byte_array_append(b, (const guint8 *)tail, (guint)strlen(tail));
    g_strfreev(names);
    g_free(all);
    return b;
}

static void test_reader_png_structure_chunks_are_clean(void **state)
{
    (void)state;
    GByteArray *p = png_with("PLTE sRGB pHYs gAMA cHRM tRNS bKGD sBIT", "");
    char found[256];
    assert_int_equal(reader_count(p, found, sizeof found), 0);
    g_byte_array_free(p, TRUE);
}

static void test_reader_finds_each_kind_of_png_metadata(void **state)
{
    (void)state;
    static const char *const kinds[] = {"tEXt", "zTXt", "iTXt", "eXIf", "iCCP", "tIME",
                                        "sPLT", "prVt"};
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
        GByteArray *p = png_with(kinds[i], "");
        char found[256];
        assert_int_equal(reader_count(p, found, sizeof found), 1);
        char *want = g_strdup_printf("PNG %s chunk at byte 24", kinds[i]);
        assert_string_equal(found, want);
        g_free(want);
        g_byte_array_free(p, TRUE);
    }
    GByteArray *p = png_with("tEXt sRGB iTXt", "after the end");
    char found[256];
    assert_int_equal(reader_count(p, found, sizeof found), 3);
    g_byte_array_free(p, TRUE);
}

static void test_reader_refuses_malformed_png_and_other_formats(void **state)
{
    (void)state;
    GByteArray *p = png_with("", "");
    char found[256];
    assert_int_equal(ba_verify_image_metadata(p->data, p->len - 12, found, sizeof found), -1);
    assert_non_null(strstr(found, "without an IEND"));
    /* A length past the end, and a chunk type that is not letters. */
    p->data[8 + 3] = 0xFF;
    assert_int_equal(reader_count(p, found, sizeof found), -1);
    assert_non_null(strstr(found, "past the end"));
    p->data[8 + 3] = 4;
    p->data[8 + 4] = '1';
    assert_int_equal(reader_count(p, found, sizeof found), -1);
    assert_non_null(strstr(found, "invalid PNG chunk type"));
    static const unsigned char gif[] = "GIF89a....";
    assert_int_equal(ba_verify_image_metadata(gif, sizeof gif, found, sizeof found), -1);
    assert_string_equal(found, "neither JPEG nor PNG");
    assert_int_equal(ba_verify_image_metadata(NULL, 0, found, sizeof found), -1);
    g_byte_array_free(p, TRUE);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_png_decodes_to_identical_pixels),
        T(test_png_with_alpha_keeps_alpha_exactly),
        T(test_jpeg_and_webp_decode_to_same_size_and_close_pixels),
        T(test_quality_changes_jpeg_and_webp_size),
        T(test_reported_sha256_is_the_hash_of_the_file),
        T(test_png_has_only_structure_chunks),
        T(test_jpeg_has_no_app1_to_app15_segment_and_no_comment),
        T(test_webp_is_a_bare_bitstream_without_metadata_chunks),
        T(test_metadata_control_libvips_alone_would_write_it),
        T(test_metadata_fields_of_the_image_are_never_written),
        T(test_format_from_extension),
        T(test_unknown_extension_is_usage_and_writes_nothing),
        T(test_missing_folder_fails_and_creates_nothing),
        T(test_read_only_folder_fails_and_leaves_nothing),
        T(test_failed_rename_removes_the_temporary_file),
        T(test_write_error_midway_leaves_nothing),
        T(test_existing_file_is_replaced_whole_by_rename),
        T(test_one_band_or_16_bit_image_is_refused_by_every_writer),
        T(test_reader_clean_jpeg_with_stuffed_bytes_and_restart_markers),
        T(test_reader_finds_each_kind_of_jpeg_metadata),
        T(test_reader_counts_every_block_and_names_the_first),
        T(test_reader_finds_data_after_jpeg_end),
        T(test_reader_refuses_malformed_jpeg),
        T(test_reader_png_structure_chunks_are_clean),
        T(test_reader_finds_each_kind_of_png_metadata),
        T(test_reader_refuses_malformed_png_and_other_formats),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
