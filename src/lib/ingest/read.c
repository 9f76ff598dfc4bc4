/* Ingest: an input (or a master) read whole into memory within a byte bound,
 * hashed on the way. */
#include "beforeafter/beforeafter.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sha256.h"
#include "library/errors.h"

#include "ingest/internal.h"

/* ---- reading a file whole ------------------------------------------------ */

/* Inputs are read into memory, not mapped: touching a mapping past the end
 * of a file that another program (a sync client, a camera import) truncated
 * meanwhile kills the process with SIGBUS.  Bytes in our own memory cannot
 * change under us, so the bytes hashed are exactly the bytes decoded. */

/* Reading in slices lets the hash take each slice while it is still in the
 * CPU's cache: reading and hashing are one pass over the bytes, not two. */
#define READ_SLICE ((size_t)1 << 20)
/* What the largest photo within the pixel limit may carry besides its
 * pixels (EXIF, ICC profile, embedded previews). */
#define METADATA_ALLOWANCE ((uint64_t)16 << 20)
/* 4 channels of 16 bits: the most an uncompressed photo takes per pixel. */
#define MAX_BYTES_PER_PIXEL 8.0

uint64_t ba_ingest_max_file_bytes(double max_megapixels)
{
    double mp = max_megapixels > 0 ? max_megapixels : BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    double bytes = mp * 1e6 * MAX_BYTES_PER_PIXEL + (double)METADATA_ALLOWANCE;
    return bytes >= 0x1p63 ? UINT64_MAX : (uint64_t)bytes;
}

/* Open @path and check that it is a non-empty regular file; the fd or -1. */
static int open_regular(const char *path, struct stat *st, ba_error *err)
{
    /* O_NONBLOCK: a FIFO must not hang the open; it is refused just below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        /* The caller named this file: missing is "not found". */
        return ba_errno_set_lookup(err, errno, "%s: cannot open", path);
    }
    if (fstat(fd, st) != 0) {
        ba_errno_set(err, errno, "%s: cannot read", path);
    } else if (!S_ISREG(st->st_mode)) {
        ba_error_set(err, BA_ERR_FORMAT, "%s: not a regular file%s", path,
                     S_ISDIR(st->st_mode) ? " (it is a folder)" : "");
    } else if (st->st_size == 0) {
        ba_error_set(err, BA_ERR_FORMAT, "%s: empty file", path);
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

/* Read the @size bytes fstat() promised into @out->data, hashing when
 * @hash.  Fewer bytes (truncated meanwhile) or more (still being written)
 * mean the file changed while being read: refused, whatever part we saw. */
static int read_fd(int fd, const char *path, size_t size, bool hash, file_bytes *out,
                   ba_error *err)
{
    ba_sha256 *sha = hash ? ba_sha256_new() : NULL;
    size_t got = 0;
    int e = 0;
    while (got < size) {
        ssize_t n = read(fd, out->data + got, MIN(READ_SLICE, size - got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : 0;
            break;
        }
        if (sha)
            ba_sha256_update(sha, out->data + got, (size_t)n);
        got += (size_t)n;
    }
    unsigned char probe;
    bool grew = got == size && read(fd, &probe, 1) > 0;
    if (sha)
        ba_sha256_finish(sha, out->sha256);
    if (e)
        return ba_errno_set(err, e, "%s: cannot read", path);
    if (got < size || grew) {
        ba_error_set(err, BA_ERR_IO,
                     "%s: changed while being read (%s %zu bytes when opened); another "
                     "program is writing or truncating it",
                     path, got < size ? "it ended early, it had" : "it grew past the", size);
        return -1;
    }
    out->len = size;
    return 0;
}

/* Read the regular file @path whole into memory, refusing files over
 * @max_bytes before allocating; hash it on the way when @hash. */
int ingest_read_file(const char *path, uint64_t max_bytes, bool hash, const char *too_large,
                     file_bytes *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    int fd = open_regular(path, &st, err);
    if (fd < 0)
        return -1;
    int rc = -1;
    uint64_t size = (uint64_t)st.st_size;
    if (size > max_bytes || size > SIZE_MAX) {
        ba_error_set(err, BA_ERR_TOO_LARGE,
                     "%s: %" G_GUINT64_FORMAT " bytes, more than %s (%" G_GUINT64_FORMAT
                     " bytes); refused before reading",
                     path, size, too_large, MIN(max_bytes, (uint64_t)SIZE_MAX));
        goto out;
    }
    out->data = g_try_malloc((size_t)size);
    if (!out->data) {
        ba_error_set(err, BA_ERR_NOMEM, "%s: not enough memory to read its %" G_GUINT64_FORMAT
                     " bytes", path, size);
        goto out;
    }
    rc = read_fd(fd, path, (size_t)size, hash, out, err);
    if (rc) {
        g_free(out->data);
        out->data = NULL;
    }
out:
    close(fd);
    return rc;
}

/* An input photo, within the byte bound of the pixel limit @max_megapixels. */
int ingest_read_input(const char *path, double max_megapixels, bool hash, file_bytes *out,
                      ba_error *err)
{
    char what[96];
    double mp = max_megapixels > 0 ? max_megapixels : BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    g_snprintf(what, sizeof what, "a photo within the pixel limit of %g megapixels can take", mp);
    return ingest_read_file(path, ba_ingest_max_file_bytes(mp), hash, what, out, err);
}
