/* Ingest from a stream (standard input): the bytes read whole, bounded by the
 * same limit as a file, then the one ingest pipeline (ba_ingest_buffer()). */
#include "beforeafter/beforeafter.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

int ba_ingest_fd(ba_catalog *cat, int fd, const char *name, const ba_ingest_options *opts,
                 ba_ingest_result *result, ba_error *err)
{
    const char *shown = name && *name ? name : "(standard input)";
    uint64_t max = ba_ingest_max_file_bytes(opts ? opts->max_megapixels : 0);
    GByteArray *buf = g_byte_array_new();
    unsigned char chunk[65536];
    int rc = -1;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ba_error_set(err, BA_ERR_IO, "%s: cannot read the photo from the stream: %s", shown,
                         g_strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        /* Refused as soon as it is over the limit: the rest is never read. */
        if ((uint64_t)buf->len + (uint64_t)n > max) {
            ba_error_set(err, BA_ERR_TOO_LARGE,
                         "%s: the photo on the stream is larger than %" G_GUINT64_FORMAT
                         " bytes, the most a photo within the pixel limit takes",
                         shown, max);
            ba_error_hint(err, BA_HINT_RAISE_PIXEL_LIMIT);
            goto out;
        }
        g_byte_array_append(buf, chunk, (guint)n);
    }
    rc = ba_ingest_buffer(cat, shown, buf->data, buf->len, opts, result, err);
out:
    g_byte_array_free(buf, TRUE);
    return rc;
}
