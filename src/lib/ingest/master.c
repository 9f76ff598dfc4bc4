/* Ingest: the master written (stripped JPEG, hashed while written) and moved
 * into place under the catalog's write lock. */
#include "beforeafter/beforeafter.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "ingest/fault.h"
#include "library/errors.h"
#include "library/paths.h"
#include "library/place.h"

#include "ingest/internal.h"

/* ---- the master writer: a vips target into a placement, hashed as written */

static gint64 on_target_write(VipsTargetCustom *target, const void *data, gint64 length,
                              void *ud)
{
    (void)target;
    ba_place_file *f = ud;
    if (!f->write_errno && ba_fault_write_fails())
        f->write_errno = ENOSPC;
    return ba_place_write(f, data, (size_t)length) ? -1 : length;
}

/* Decode, orient, convert and encode to a temporary file in LIBRARY/tmp,
 * hashing the encoded bytes on the way. */
int ingest_render_master(ba_catalog *cat, ingest_job *j, VipsImage *header,
                         const ba_ingest_options *o, ba_photo *p, char *warning, size_t wsize,
                         ba_error *err)
{
    VipsImage *rgb = NULL;
    int rc = -1;
    if (ingest_upright_srgb(j, header, &rgb, warning, wsize, err))
        return -1;

    char *tmpdir = ba_path_tmp_dir(ba_catalog_dir(cat));
    ba_place_file w;
    int e = ba_place_open_in(&w, tmpdir, "ingest", ".jpg", BA_MODE_FILE, true, NULL);
    g_free(tmpdir);
    if (e) {
        ba_errno_set(err, e, "%s: cannot create a temporary master in %s/" BA_DIR_TMP, j->name,
                     ba_catalog_dir(cat));
        goto out;
    }
    ba_fault_point("after-tmp-create");
    VipsTargetCustom *target = vips_target_custom_new();
    g_signal_connect(target, "write", G_CALLBACK(on_target_write), &w);
    int q = o->master_quality > 0 ? o->master_quality : BA_INGEST_DEFAULT_QUALITY;
    int saved = vips_jpegsave_target(rgb, VIPS_TARGET(target), "Q", q, "strip", TRUE,
                                     "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_OFF, NULL);
    if (saved == 0)
        saved = vips_target_end(VIPS_TARGET(target));
    g_object_unref(target);
    if (saved != 0 && !w.write_errno)
        goto vips_failed;
    if (w.write_errno)
        vips_error_clear();
    e = ba_place_finish(&w, NULL); /* also returns the write error */
    if (e) {
        ba_errno_set(err, e, "%s: cannot write the master", j->name);
        goto out;
    }
    /* The job owns the finished temporary master until the store hook. */
    j->tmp_path = w.tmp_path;
    w.tmp_path = NULL;
    ba_fault_point("after-master-write");
    g_strlcpy(p->master_sha256, w.sha256, sizeof p->master_sha256);
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
    ba_place_discard(&w);
    if (rgb)
        g_object_unref(rgb);
    return rc;
}

/* Leave a note naming the master about to be placed (its hash), beside the
 * temporary master, and synced: a kill between the rename and the commit
 * would otherwise leave a master no row names, in a library that must stay
 * consistent whatever instant a writer dies at. */
static int write_note(ingest_job *j, ba_error *err)
{
    char *dir = g_path_get_dirname(j->tmp_path);
    char *path = ba_path_tmp_template(dir, "master", NULL);
    g_free(dir);
    int fd = g_mkstemp_full(path, O_WRONLY | O_CLOEXEC, BA_MODE_FILE);
    char *base = g_path_get_basename(j->final_path);
    size_t len = strcspn(base, ".");
    bool ok = fd >= 0 && write(fd, base, len) == (ssize_t)len && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    g_free(base);
    if (!ok) {
        if (fd >= 0)
            g_unlink(path);
        g_free(path);
        ba_errno_set(err, e, "%s: cannot note the master being stored", j->name);
        return -1;
    }
    j->note_path = path;
    return 0;
}

void ingest_drop_note(ingest_job *j)
{
    if (j->note_path) {
        g_unlink(j->note_path);
        g_free(j->note_path);
        j->note_path = NULL;
    }
}

/* Runs under the catalog's write lock: move the master into place. */
int ingest_store_master(void *ud, ba_error *err)
{
    ingest_job *j = ud;
    int e = ba_place_make_parent(j->final_path, BA_MODE_DIR, NULL);
    if (e) {
        char *dir = g_path_get_dirname(j->final_path);
        ba_errno_set(err, e, "%s: cannot create %s", j->name, dir);
        g_free(dir);
        return -1;
    }
    /* Replaced, not kept: whatever stands at the name (a damaged master)
     * gives way to the bytes just written and hashed. */
    j->final_existed = g_file_test(j->final_path, G_FILE_TEST_EXISTS);
    if (!j->final_existed && write_note(j, err))
        return -1;
    bool moved = false;
    e = ba_place_move(j->tmp_path, j->final_path, BA_PLACE_REPLACE, &moved, NULL);
    if (moved) {
        g_free(j->tmp_path);
        j->tmp_path = NULL;
    }
    if (e) {
        ba_errno_set(err, e, moved ? "%s: cannot sync the masters folder"
                                   : "%s: cannot store the master", j->name);
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
    ingest_drop_note(j);
}
