/* Our own reader of JPEG markers and PNG chunks: proof that nothing leaks,
 * independent of the writer that produced the file. */
#include <stdio.h>
#include <string.h>

#include "beforeafter/verify.h"

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

static void note(char *found, size_t size, int *count, const char *what, size_t offset)
{
    if (*count == 0 && size)
        snprintf(found, size, "%s at byte %zu", what, offset);
    (*count)++;
}

static int scan_jpeg(const unsigned char *d, size_t n, char *found, size_t size)
{
    int count = 0;
    size_t i = 2;
    bool in_scan = false;
    while (i < n) {
        if (in_scan) {
            /* Entropy-coded data: 0xFF00 is a stuffed byte, RSTn are markers of the scan. */
            if (d[i] != 0xff) {
                i++;
                continue;
            }
            if (i + 1 >= n)
                break;
            unsigned char m = d[i + 1];
            if (m == 0x00 || (m >= 0xd0 && m <= 0xd7) || m == 0xff) {
                i += (m == 0xff) ? 1 : 2;
                continue;
            }
            in_scan = false;
        }
        if (d[i] != 0xff) {
            snprintf(found, size, "bytes between JPEG segments at byte %zu", i);
            return -1;
        }
        while (i < n && d[i] == 0xff)
            i++; /* fill bytes */
        if (i >= n)
            break;
        unsigned char m = d[i++];
        if (m == 0xd9) { /* EOI */
            if (i < n)
                note(found, size, &count, "data after the end of the JPEG", i);
            return count;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
            continue; /* no length */
        if (i + 2 > n) {
            snprintf(found, size, "truncated JPEG segment at byte %zu", i);
            return -1;
        }
        unsigned len = be16(d + i);
        if (len < 2 || i + len > n) {
            snprintf(found, size, "JPEG segment length %u past the end at byte %zu", len, i);
            return -1;
        }
        const unsigned char *payload = d + i + 2;
        size_t plen = len - 2;
        if (m == 0xe0) {
            /* JFIF is structure; a JFXX extension carries a thumbnail, and so
             * does a JFIF header whose thumbnail size (bytes 12-13 of the
             * payload) is not 0x0 or that is longer than its 14 bytes. */
            bool jfif = plen >= 5 && memcmp(payload, "JFIF\0", 5) == 0;
            if (!jfif)
                note(found, size, &count, "APP0 other than JFIF (e.g. a JFXX thumbnail)", i - 2);
            else if (plen > 14 || (plen >= 14 && (payload[12] || payload[13])))
                note(found, size, &count, "JFIF thumbnail", i - 2);
        } else if (m == 0xee) {
            if (!(plen >= 5 && memcmp(payload, "Adobe", 5) == 0))
                note(found, size, &count, "APP14 other than Adobe", i - 2);
        } else if (m >= 0xe1 && m <= 0xef) {
            char what[64];
            const char *kind = (plen >= 4 && memcmp(payload, "Exif", 4) == 0) ? "EXIF"
                               : (plen >= 4 && memcmp(payload, "http", 4) == 0) ? "XMP"
                               : (plen >= 11 && memcmp(payload, "ICC_PROFILE", 11) == 0)
                                   ? "ICC profile"
                               : (plen >= 9 && memcmp(payload, "Photoshop", 9) == 0) ? "IPTC/Photoshop"
                                                                                     : "data";
            snprintf(what, sizeof what, "APP%d segment (%s)", m - 0xe0, kind);
            note(found, size, &count, what, i - 2);
        } else if (m == 0xfe) {
            note(found, size, &count, "JPEG comment (COM)", i - 2);
        } else if (m == 0xda) {
            in_scan = true;
        }
        i += len;
    }
    snprintf(found, size, "JPEG without an end marker");
    return -1;
}

static int scan_png(const unsigned char *d, size_t n, char *found, size_t size)
{
    static const char *const allowed[] = {"IHDR", "PLTE", "IDAT", "IEND", "sRGB", "pHYs",
                                          "gAMA", "cHRM", "tRNS", "bKGD", "sBIT", NULL};
    int count = 0;
    size_t i = 8;
    while (i + 12 <= n) {
        unsigned long len = be32(d + i);
        const unsigned char *type = d + i + 4;
        if (len > 0x7fffffffUL || len > n - i - 12) {
            snprintf(found, size, "PNG chunk length %lu past the end at byte %zu", len, i);
            return -1;
        }
        for (int k = 0; k < 4; k++)
            if (!((type[k] >= 'A' && type[k] <= 'Z') || (type[k] >= 'a' && type[k] <= 'z'))) {
                snprintf(found, size, "invalid PNG chunk type at byte %zu", i);
                return -1;
            }
        bool ok = false;
        for (int k = 0; allowed[k]; k++)
            ok = ok || memcmp(type, allowed[k], 4) == 0;
        if (!ok) {
            char what[32];
            snprintf(what, sizeof what, "PNG %.4s chunk", (const char *)type);
            note(found, size, &count, what, i);
        }
        i += 12 + len;
        if (memcmp(type, "IEND", 4) == 0) {
            if (i < n)
                note(found, size, &count, "data after the end of the PNG", i);
            return count;
        }
    }
    snprintf(found, size, "PNG without an IEND chunk");
    return -1;
}

int ba_verify_image_metadata(const unsigned char *data, size_t len, char *found,
                             size_t found_size)
{
    if (found_size)
        found[0] = '\0';
    if (data && len >= 4 && data[0] == 0xff && data[1] == 0xd8)
        return scan_jpeg(data, len, found, found_size);
    if (data && len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
        return scan_png(data, len, found, found_size);
    if (found_size)
        snprintf(found, found_size, "neither JPEG nor PNG");
    return -1;
}
