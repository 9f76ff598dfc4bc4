/* Capture conditions from EXIF, with libexif.  Only whitelisted tags are read:
 * GPS, serial numbers, owner names and maker notes never leave this file. */
#include <glib.h>
#include <libexif/exif-data.h>
#include <stdio.h>
#include <string.h>

#include "beforeafter/ingest.h"

/* Tags libexif 0.6 has no names for. */
#define TAG_OFFSET_TIME_ORIGINAL 0x9011

/* Upper bound on the EXIF block we hand to libexif: APP1 is at most 64 KiB,
 * HEIF/PNG/WebP blocks are rarely larger; a raw TIFF is handled separately. */
#define EXIF_MAX_BYTES (64u * 1024u * 1024u)

static ExifEntry *entry(ExifData *ed, ExifIfd ifd, ExifTag tag)
{
    return ed->ifd[ifd] ? exif_content_get_entry(ed->ifd[ifd], tag) : NULL;
}

/* Copy an ASCII entry, keeping printable ASCII only, trimmed. */
static void read_ascii(ExifEntry *e, char *out, size_t size)
{
    out[0] = '\0';
    if (!e || e->format != EXIF_FORMAT_ASCII || !e->data || e->size == 0)
        return;
    size_t n = 0;
    for (size_t i = 0; i < e->size && e->data[i] && n + 1 < size; i++) {
        unsigned char c = e->data[i];
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
    g_strstrip(out);
}

static bool read_uint(ExifData *ed, ExifEntry *e, unsigned *out)
{
    if (!e || !e->data || e->components < 1)
        return false;
    ExifByteOrder bo = exif_data_get_byte_order(ed);
    if (e->format == EXIF_FORMAT_SHORT && e->size >= 2) {
        *out = exif_get_short(e->data, bo);
        return true;
    }
    if (e->format == EXIF_FORMAT_LONG && e->size >= 4) {
        *out = exif_get_long(e->data, bo);
        return true;
    }
    return false;
}

static bool read_rational(ExifData *ed, ExifEntry *e, double *out)
{
    if (!e || !e->data || e->components < 1 || e->size < 8)
        return false;
    ExifByteOrder bo = exif_data_get_byte_order(ed);
    double v;
    if (e->format == EXIF_FORMAT_RATIONAL) {
        ExifRational r = exif_get_rational(e->data, bo);
        if (r.denominator == 0)
            return false;
        v = (double)r.numerator / (double)r.denominator;
    } else if (e->format == EXIF_FORMAT_SRATIONAL) {
        ExifSRational r = exif_get_srational(e->data, bo);
        if (r.denominator == 0)
            return false;
        v = (double)r.numerator / (double)r.denominator;
    } else {
        return false;
    }
    if (!(v > 0) || v > 1e6)
        return false;
    *out = v;
    return true;
}

/* "YYYY:MM:DD HH:MM:SS" -> "YYYY-MM-DDTHH:MM:SS", rejecting impossible values. */
static void read_datetime(ExifEntry *e, char *out, size_t size)
{
    char raw[32];
    out[0] = '\0';
    read_ascii(e, raw, sizeof raw);
    unsigned y, mo, d, h, mi, s;
    if (strlen(raw) < 19 || raw[4] != ':' || raw[7] != ':' || raw[13] != ':' || raw[16] != ':')
        return;
    for (int i = 0; i < 19; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && !g_ascii_isdigit(raw[i]))
            return;
    if (sscanf(raw, "%4u:%2u:%2u %2u:%2u:%2u", &y, &mo, &d, &h, &mi, &s) != 6)
        return;
    if (y < 1900 || !g_date_valid_dmy((GDateDay)d, (GDateMonth)mo, (GDateYear)y) || h > 23 ||
        mi > 59 || s > 60)
        return;
    snprintf(out, size, "%04u-%02u-%02uT%02u:%02u:%02u", y, mo, d, h, mi, s);
}

static void read_offset(ExifEntry *e, char *out, size_t size)
{
    char raw[16];
    out[0] = '\0';
    read_ascii(e, raw, sizeof raw);
    if (strlen(raw) == 6 && (raw[0] == '+' || raw[0] == '-') && g_ascii_isdigit(raw[1]) &&
        g_ascii_isdigit(raw[2]) && raw[3] == ':' && g_ascii_isdigit(raw[4]) &&
        g_ascii_isdigit(raw[5]))
        g_strlcpy(out, raw, size);
}

static void extract(ExifData *ed, ba_capture *c)
{
    unsigned u;
    read_ascii(entry(ed, EXIF_IFD_0, EXIF_TAG_MAKE), c->make, sizeof c->make);
    read_ascii(entry(ed, EXIF_IFD_0, EXIF_TAG_MODEL), c->model, sizeof c->model);
    if (read_uint(ed, entry(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION), &u) && u >= 1 && u <= 8)
        c->orientation = (int)u;

    ExifEntry *dt = entry(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL);
    if (!dt)
        dt = entry(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_DIGITIZED);
    read_datetime(dt, c->captured_at, sizeof c->captured_at);
    if (c->captured_at[0])
        read_offset(entry(ed, EXIF_IFD_EXIF, (ExifTag)TAG_OFFSET_TIME_ORIGINAL), c->offset,
                    sizeof c->offset);

    read_rational(ed, entry(ed, EXIF_IFD_EXIF, EXIF_TAG_FOCAL_LENGTH), &c->focal_length_mm);
    if (read_uint(ed, entry(ed, EXIF_IFD_EXIF, EXIF_TAG_FOCAL_LENGTH_IN_35MM_FILM), &u) && u > 0 &&
        u < 10000)
        c->focal_length_35mm = u;
    read_rational(ed, entry(ed, EXIF_IFD_EXIF, EXIF_TAG_EXPOSURE_TIME), &c->exposure_time_s);
    read_rational(ed, entry(ed, EXIF_IFD_EXIF, EXIF_TAG_FNUMBER), &c->f_number);
    if (read_uint(ed, entry(ed, EXIF_IFD_EXIF, EXIF_TAG_ISO_SPEED_RATINGS), &u) && u > 0 &&
        u < 10000000)
        c->iso = (int)u;
    if (read_uint(ed, entry(ed, EXIF_IFD_EXIF, EXIF_TAG_FLASH), &u) && u <= 0xffff)
        c->flash_fired = (int)(u & 1);
    if (read_uint(ed, entry(ed, EXIF_IFD_EXIF, EXIF_TAG_WHITE_BALANCE), &u) && u <= 1)
        c->white_balance = (int)u;
}

int ba_ingest_read_exif(const unsigned char *data, size_t len, ba_capture *out)
{
    static const unsigned char exif_header[6] = {'E', 'x', 'i', 'f', 0, 0};
    ba_capture_init(out);
    if (!data || len < 8)
        return 0;

    const unsigned char *p = data;
    size_t n = len;
    unsigned char *owned = NULL;
    /* HEIF stores a 4-byte offset before the "Exif\0\0" header. */
    if (n > 10 && memcmp(p, exif_header, 6) != 0 && memcmp(p + 4, exif_header, 6) == 0) {
        p += 4;
        n -= 4;
    }
    if (!(p[0] == 0xff && p[1] == 0xd8) && memcmp(p, exif_header, 6) != 0) {
        bool tiff = (p[0] == 'I' && p[1] == 'I' && p[2] == 42 && p[3] == 0) ||
                    (p[0] == 'M' && p[1] == 'M' && p[2] == 0 && p[3] == 42);
        if (!tiff)
            return 0;
        /* libexif wants the APP1 header in front of a bare TIFF structure. */
        if (n > EXIF_MAX_BYTES)
            n = EXIF_MAX_BYTES;
        owned = g_malloc(n + 6);
        memcpy(owned, exif_header, 6);
        memcpy(owned + 6, p, n);
        p = owned;
        n += 6;
    }
    if (n > EXIF_MAX_BYTES)
        n = EXIF_MAX_BYTES;
    /* libexif's data sizes are unsigned int. */
    ExifData *ed = exif_data_new();
    int found = 0;
    if (ed) {
        /* Read as-is: no "fixing" the data, no maker-note rewriting. */
        exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
        exif_data_load_data(ed, p, (unsigned int)n);
        if ((ed->ifd[EXIF_IFD_0] && ed->ifd[EXIF_IFD_0]->count) ||
            (ed->ifd[EXIF_IFD_EXIF] && ed->ifd[EXIF_IFD_EXIF]->count)) {
            extract(ed, out);
            found = 1;
        }
        exif_data_unref(ed);
    }
    g_free(owned);
    return found;
}
