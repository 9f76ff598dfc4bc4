/* Unit tests of the EXIF reader: the whitelist, both byte orders, hostile blocks. */
#include <libexif/exif-data.h>
#include <string.h>

#include "testutil.h"

static ExifEntry *add(ExifData *ed, ExifIfd ifd, ExifTag tag, ExifFormat fmt, unsigned comps)
{
    ExifEntry *e = exif_entry_new();
    ExifMem *mem = exif_mem_new_default();
    e->tag = tag;
    e->format = fmt;
    e->components = comps;
    e->size = exif_format_get_size(fmt) * comps;
    e->data = exif_mem_alloc(mem, e->size);
    exif_mem_unref(mem);
    exif_content_add_entry(ed->ifd[ifd], e);
    exif_entry_unref(e);
    return e;
}

static void add_ascii(ExifData *ed, ExifIfd ifd, ExifTag tag, const char *s)
{
    ExifEntry *e = add(ed, ifd, tag, EXIF_FORMAT_ASCII, (unsigned)strlen(s) + 1);
    memcpy(e->data, s, strlen(s) + 1);
}

static void add_short(ExifData *ed, ExifIfd ifd, ExifTag tag, unsigned v)
{
    ExifEntry *e = add(ed, ifd, tag, EXIF_FORMAT_SHORT, 1);
    exif_set_short(e->data, exif_data_get_byte_order(ed), (ExifShort)v);
}

static void add_rational(ExifData *ed, ExifIfd ifd, ExifTag tag, unsigned n, unsigned d)
{
    ExifEntry *e = add(ed, ifd, tag, EXIF_FORMAT_RATIONAL, 1);
    ExifRational r = {n, d};
    exif_set_rational(e->data, exif_data_get_byte_order(ed), r);
}

/* A realistic EXIF block with GPS and a serial, saved as "Exif\0\0" + TIFF. */
static unsigned char *make_exif(ExifByteOrder order, const char *date, unsigned orientation,
                                unsigned *len)
{
    ExifData *ed = exif_data_new();
    exif_data_set_byte_order(ed, order);
    add_ascii(ed, EXIF_IFD_0, EXIF_TAG_MAKE, "Canon");
    add_ascii(ed, EXIF_IFD_0, EXIF_TAG_MODEL, "EOS R6\x01");
    add_ascii(ed, EXIF_IFD_0, EXIF_TAG_ARTIST, "Dr Secret Owner");
    add_short(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION, orientation);
    add_ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, date);
    add_ascii(ed, EXIF_IFD_EXIF, (ExifTag)0x9011, "+02:00");
    add_rational(ed, EXIF_IFD_EXIF, EXIF_TAG_FNUMBER, 28, 10);
    add_rational(ed, EXIF_IFD_EXIF, EXIF_TAG_EXPOSURE_TIME, 1, 125);
    add_rational(ed, EXIF_IFD_EXIF, EXIF_TAG_FOCAL_LENGTH, 50, 1);
    add_short(ed, EXIF_IFD_EXIF, EXIF_TAG_FOCAL_LENGTH_IN_35MM_FILM, 50);
    add_short(ed, EXIF_IFD_EXIF, EXIF_TAG_ISO_SPEED_RATINGS, 400);
    add_short(ed, EXIF_IFD_EXIF, EXIF_TAG_FLASH, 0x19); /* fired, auto */
    add_short(ed, EXIF_IFD_EXIF, EXIF_TAG_WHITE_BALANCE, 1);
    add_ascii(ed, EXIF_IFD_EXIF, (ExifTag)0xa431, "SERIAL-123456");
    add_ascii(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE_REF, "N");
    add_rational(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE, 48, 1);
    unsigned char *buf = NULL;
    exif_data_save_data(ed, &buf, len);
    exif_data_unref(ed);
    assert_non_null(buf);
    return buf;
}

static void check_full(const ba_capture *c, unsigned orientation)
{
    assert_string_equal(c->make, "Canon");
    assert_string_equal(c->model, "EOS R6?"); /* control characters are not kept */
    assert_int_equal(c->orientation, (int)orientation);
    assert_string_equal(c->captured_at, "2026-03-02T10:15:30");
    assert_string_equal(c->offset, "+02:00");
    assert_true(c->f_number > 2.79 && c->f_number < 2.81);
    assert_true(c->exposure_time_s > 0.0079 && c->exposure_time_s < 0.0081);
    assert_true(c->focal_length_mm > 49.9 && c->focal_length_mm < 50.1);
    assert_true(c->focal_length_35mm > 49.9 && c->focal_length_35mm < 50.1);
    assert_int_equal(c->iso, 400);
    assert_int_equal(c->flash_fired, 1);
    assert_int_equal(c->white_balance, 1);
}

static void test_whitelist_both_orders(void **state)
{
    (void)state;
    ExifByteOrder orders[] = {EXIF_BYTE_ORDER_INTEL, EXIF_BYTE_ORDER_MOTOROLA};
    for (int i = 0; i < 2; i++) {
        unsigned len;
        unsigned char *buf = make_exif(orders[i], "2026:03:02 10:15:30", 6, &len);
        ba_capture c;
        assert_int_equal(ba_ingest_read_exif(buf, len, &c), 1);
        check_full(&c, 6);
        /* Nothing of the GPS block, the serial or the artist is in the result. */
        const char *raw = (const char *)&c;
        for (size_t k = 0; k + 6 < sizeof c; k++) {
            assert_false(memcmp(raw + k, "SERIAL", 6) == 0);
            assert_false(memcmp(raw + k, "Secret", 6) == 0);
        }
        /* The same block behind a HEIF-style 4-byte offset, and as a bare TIFF. */
        unsigned char *heif = g_malloc(len + 4);
        memset(heif, 0, 4);
        memcpy(heif + 4, buf, len);
        assert_int_equal(ba_ingest_read_exif(heif, len + 4, &c), 1);
        check_full(&c, 6);
        assert_int_equal(ba_ingest_read_exif(buf + 6, len - 6, &c), 1);
        check_full(&c, 6);
        g_free(heif);
        free(buf);
    }
}

static void test_bogus_values_mean_unknown(void **state)
{
    (void)state;
    const char *bad_dates[] = {"0000:00:00 00:00:00", "2026:02:30 10:00:00", "2026:13:01 10:00:00",
                               "    :  :     :  :  ", "2026-03-02 10:15:30", "2026:03:02 25:00:00"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad_dates); i++) {
        unsigned len;
        unsigned char *buf = make_exif(EXIF_BYTE_ORDER_INTEL, bad_dates[i], 9, &len);
        ba_capture c;
        assert_int_equal(ba_ingest_read_exif(buf, len, &c), 1);
        assert_string_equal(c.captured_at, "");
        assert_string_equal(c.offset, "");
        assert_int_equal(c.orientation, 0); /* 9 is out of range: none */
        free(buf);
    }
}

/* Malformed EXIF is "no EXIF" (or partial), never a crash: every truncation,
 * every single-byte corruption of the header and IFD area. */
static void test_hostile_blocks_do_not_crash(void **state)
{
    (void)state;
    unsigned len;
    unsigned char *buf = make_exif(EXIF_BYTE_ORDER_INTEL, "2026:03:02 10:15:30", 1, &len);
    ba_capture c;
    for (unsigned n = 0; n <= len; n++)
        (void)ba_ingest_read_exif(buf, n, &c);
    unsigned char *copy = g_malloc(len);
    for (unsigned pos = 6; pos < len && pos < 200; pos++) {
        static const unsigned char values[] = {0x00, 0xff, 0x7f, 0x80, 0x08};
        for (size_t v = 0; v < sizeof values; v++) {
            memcpy(copy, buf, len);
            copy[pos] = values[v];
            (void)ba_ingest_read_exif(copy, len, &c);
        }
    }
    /* IFD0's next-IFD pointer pointing back at IFD0: a loop. */
    memcpy(copy, buf, len);
    unsigned ifd0 = copy[10] | copy[11] << 8 | (unsigned)copy[12] << 16 | (unsigned)copy[13] << 24;
    unsigned entries = copy[6 + ifd0] | copy[6 + ifd0 + 1] << 8;
    unsigned next = 6 + ifd0 + 2 + 12 * entries;
    if (next + 4 <= len) {
        copy[next] = (unsigned char)ifd0;
        copy[next + 1] = copy[next + 2] = copy[next + 3] = 0;
        assert_int_equal(ba_ingest_read_exif(copy, len, &c), 1);
        assert_string_equal(c.make, "Canon");
    }
    /* Entry counts and offsets far past the end. */
    memcpy(copy, buf, len);
    copy[6 + ifd0] = 0xff;
    copy[6 + ifd0 + 1] = 0xff;
    (void)ba_ingest_read_exif(copy, len, &c);
    memcpy(copy, buf, len);
    copy[10] = copy[11] = copy[12] = 0xff;
    copy[13] = 0x7f;
    assert_int_equal(ba_ingest_read_exif(copy, len, &c), 0);
    g_free(copy);
    free(buf);
    /* Random bytes and non-EXIF data. */
    GRand *rng = g_rand_new_with_seed(42);
    unsigned char junk[512];
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (unsigned char)g_rand_int_range(rng, 0, 256);
        memcpy(junk, "Exif\0\0", 6);
        if (round & 1)
            memcpy(junk + 6, "II*\0\x08\0\0\0", 8);
        (void)ba_ingest_read_exif(junk, sizeof junk, &c);
    }
    g_rand_free(rng);
    assert_int_equal(ba_ingest_read_exif((const unsigned char *)"hello world", 11, &c), 0);
    assert_int_equal(ba_ingest_read_exif(NULL, 0, &c), 0);
    assert_int_equal(c.flash_fired, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whitelist_both_orders),
        cmocka_unit_test(test_bogus_values_mean_unknown),
        cmocka_unit_test(test_hostile_blocks_do_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
