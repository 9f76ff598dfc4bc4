/* Ingest: the master written (stripped JPEG, hashed while written) and moved
 * into place under the catalog's write lock. */
#include "beforeafter/beforeafter.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <vips/vips.h>

#include "common/sha256.h"
#include "ingest/fault.h"

#include "ingest/internal.h"

/* ---- the master writer: a vips target that hashes while it writes ------- */

typedef struct master_writer {
    int fd;
    ba_sha256 *sha;
    int write_errno; /* first write error, 0 when none */
    gint64 bytes;
} master_writer;

static gint64 on_target_write(VipsTargetCustom *target, const void *data, gint64 length,
                              void *ud)
{
    (void)target;
    master_writer *w = ud;
    if (w->write_errno)
        return -1;
    if (ba_fault_write_fails()) {
        w->write_errno = ENOSPC;
        return -1;
    }
    const unsigned char *p = data;
    gint64 left = length;
    while (left > 0) {
        ssize_t n = write(w->fd, p, (size_t)left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->write_errno = errno;
            return -1;
        }
        p += n;
        left -= n;
    }
    ba_sha256_update(w->sha, data, (size_t)length);
    w->bytes += length;
    return length;
}

static ba_code errno_code(int e)
{
    return (e == ENOSPC || e == EDQUOT || e == EFBIG) ? BA_ERR_NOSPACE : BA_ERR_IO;
}

/* Decode, orient, convert and encode to a temporary file in LIBRARY/tmp,
 * hashing the encoded bytes on the way. */
int ingest_render_master(ba_catalog *cat, ingest_job *j, VipsImage *header,
                         const ba_ingest_options *o, ba_photo *p, char *warning, size_t wsize,
                         ba_error *err)
{
    VipsImage *rgb = NULL;
    int rc = -1;
    master_writer w = {.fd = -1};
    if (ingest_upright_srgb(j, header, &rgb, warning, wsize, err))
        return -1;

    char *tmpdir = g_build_filename(ba_catalog_dir(cat), "tmp", NULL);
    char *base = g_strdup_printf("ingest-%d-XXXXXX.jpg", (int)getpid());
    j->tmp_path = g_build_filename(tmpdir, base, NULL);
    g_free(base);
    g_free(tmpdir);
    w.fd = g_mkstemp_full(j->tmp_path, O_WRONLY | O_CLOEXEC, 0644);
    if (w.fd < 0) {
        int e = errno;
        ba_error_set(err, errno_code(e), "%s: cannot create a temporary master in %s/tmp: %s",
                     j->name, ba_catalog_dir(cat), g_strerror(e));
        g_free(j->tmp_path);
        j->tmp_path = NULL;
        goto out;
    }
    ba_fault_point("after-tmp-create");
    w.sha = ba_sha256_new();
    VipsTargetCustom *target = vips_target_custom_new();
    g_signal_connect(target, "write", G_CALLBACK(on_target_write), &w);
    int q = o->master_quality > 0 ? o->master_quality : BA_INGEST_DEFAULT_QUALITY;
    int saved = vips_jpegsave_target(rgb, VIPS_TARGET(target), "Q", q, "strip", TRUE,
                                     "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_OFF, NULL);
    if (saved == 0)
        saved = vips_target_end(VIPS_TARGET(target));
    g_object_unref(target);
    if (saved != 0 || w.write_errno) {
        if (w.write_errno) {
            vips_error_clear();
            ba_error_set(err, errno_code(w.write_errno), "%s: cannot write the master: %s",
                         j->name, g_strerror(w.write_errno));
            goto out;
        }
        goto vips_failed;
    }
    if (fsync(w.fd) != 0 || close(w.fd) != 0) {
        int e = errno;
        w.fd = -1;
        ba_error_set(err, errno_code(e), "%s: cannot write the master: %s", j->name,
                     g_strerror(e));
        goto out;
    }
    w.fd = -1;
    ba_fault_point("after-master-write");
    ba_sha256_finish(w.sha, p->master_sha256);
    w.sha = NULL;
    p->width = rgb->Xsize;
    p->height = rgb->Ysize;
    rc = 0;
    goto out;

vips_failed: {
    char *why = ingest_decode_cause(j->format, j->data, j->len);
    ba_error_set(err, BA_ERR_CORRUPT, "%s: the %s image data is truncated or corrupt: %s",
                 j->name, j->format ? j->format : "image", why);
    g_free(why);
}
out:
    if (w.fd >= 0)
        close(w.fd);
    if (w.sha) {
        char unused[65];
        ba_sha256_finish(w.sha, unused);
    }
    if (rgb)
        g_object_unref(rgb);
    return rc;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Runs under the catalog's write lock: move the master into place. */
int ingest_store_master(void *ud, ba_error *err)
{
    ingest_job *j = ud;
    char *dir = g_path_get_dirname(j->final_path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        ba_error_set(err, errno_code(e), "%s: cannot create %s: %s", j->name, dir, g_strerror(e));
        g_free(dir);
        return -1;
    }
    j->final_existed = g_file_test(j->final_path, G_FILE_TEST_EXISTS);
    if (rename(j->tmp_path, j->final_path) != 0) {
        int e = errno;
        ba_error_set(err, errno_code(e), "%s: cannot store the master: %s", j->name,
                     g_strerror(e));
        g_free(dir);
        return -1;
    }
    g_free(j->tmp_path);
    j->tmp_path = NULL;
    int synced = fsync_dir(dir);
    g_free(dir);
    if (synced != 0) {
        int e = errno;
        ba_error_set(err, errno_code(e), "%s: cannot sync the masters folder: %s", j->name,
                     g_strerror(e));
        return -1;
    }
    ba_fault_point("after-master-rename");
    return 0;
}

void ingest_unstore_master(void *ud)
{
    ingest_job *j = ud;
    if (!j->final_existed)
        g_unlink(j->final_path);
}
