/* The destination folder of an export: a temporary folder inside it, the
 * note in the library that names it, and placing the files without ever
 * replacing one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "beforeafter/beforeafter.h"
#include "consent/export.h"
#include "consent/signature.h"
#include "ingest/fault.h"
#include "library/errors.h"
#include "library/paths.h"
#include "library/place.h"

void ex_remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, n, NULL);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

/* "an export never replaces a file", or the errno's own words. */
static int place_failed(int e, const char *to, ba_error *err)
{
    if (e == EEXIST) {
        ba_error_set(err, BA_ERR_EXISTS, "%s: already exists; an export never replaces a file",
                     to);
        return -1;
    }
    return ba_errno_cannot_write(err, e, to);
}

/* Move @from to @to without ever replacing an existing file. */
static int place_file(const char *from, const char *to, ba_error *err)
{
    int e = ba_place_move(from, to, BA_PLACE_NEVER_REPLACE, NULL, NULL);
    return e ? place_failed(e, to, err) : 0;
}

void ex_unplace(void *ud)
{
    job *j = ud;
    for (guint i = 0; i < j->placed->len; i++)
        g_unlink(g_ptr_array_index(j->placed, i));
    g_ptr_array_set_size(j->placed, 0);
}
/* After the pending record is committed: the images, then the manifest, each
 * moved into the destination without replacing anything. */
int ex_place_all(job *j, ba_error *err)
{
    if (ex_seal_images(j, err))
        return -1;
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        char *to = g_build_filename(j->dest, it->file, NULL);
        if (place_file(it->tmp, to, err)) {
            g_free(to);
            return -1;
        }
        g_ptr_array_add(j->placed, to);
        ba_fault_point("export-image-placed");
    }
    char *text = ex_manifest_text(j);
    char *to = g_build_filename(j->dest, MANIFEST, NULL);
    /* Written in the temporary folder (same file system), then linked in. */
    int e = ba_place_bytes(to, text, strlen(text), j->tmpdir, 0644, BA_PLACE_NEVER_REPLACE, NULL,
                           NULL, NULL);
    if (e) {
        g_free(text);
        place_failed(e, to, err);
        g_free(to);
        return -1;
    }
    g_ptr_array_add(j->placed, to);
    ba_fault_point("export-manifest-placed");
    /* Its signature last: a kill before it leaves the export pending. */
    e = ex_place_signature(j, text, strlen(text), err);
    g_free(text);
    if (e)
        return -1;
    return ba_place_sync_dir(j->dest, err) ? -1 : 0;
}

/* Temporary folders of exports whose process is gone, in @dest: removed. */
void ex_remove_stale_tmpdirs(const char *dest)
{
    GDir *d = g_dir_open(dest, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        int pid = 0;
        if (sscanf(n, TMPDIR_PREFIX "%d-", &pid) != 1 || ba_pid_alive(pid))
            continue; /* not an export's, or its writer still runs (or is us) */
        char *p = g_build_filename(dest, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            ex_remove_tree(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
}

/* LIBRARY/tmp/export-<pid>-XXXXXX names the destination while this export
 * has a temporary folder there, so that the folder of a killed export is
 * found and removed (verify --repair) even when nothing was recorded. */
static int write_note(job *j, ba_error *err)
{
    char *name = g_strdup_printf(NOTE_PREFIX "%d-XXXXXX", (int)getpid());
    j->note = g_build_filename(ba_catalog_dir(j->cat), "tmp", name, NULL);
    g_free(name);
    int fd = g_mkstemp_full(j->note, O_WRONLY | O_CLOEXEC, 0600);
    size_t len = strlen(j->dest);
    bool ok = fd >= 0 && write(fd, j->dest, len) == (ssize_t)len;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (!ok) {
        ba_error_set(err, e == ENOSPC || e == EDQUOT ? BA_ERR_NOSPACE : BA_ERR_IO,
                     "%s: cannot write: %s", j->note, g_strerror(e));
        if (fd >= 0)
            g_unlink(j->note);
        g_free(j->note);
        j->note = NULL;
        return -1;
    }
    return 0;
}

/* Make the destination and a temporary folder inside it. */
int ex_prepare_destination(job *j, ba_error *err)
{
    if (ba_library_check_output(ba_catalog_dir(j->cat), j->o->destination, true, err))
        return -1;
    j->dest = g_canonicalize_filename(j->o->destination, NULL);
    if (g_file_test(j->dest, G_FILE_TEST_EXISTS)) {
        if (!g_file_test(j->dest, G_FILE_TEST_IS_DIR)) {
            ba_error_set(err, BA_ERR_USAGE, "%s: exists and is not a folder", j->o->destination);
            return -1;
        }
        char *m = g_build_filename(j->dest, MANIFEST, NULL);
        bool taken = g_file_test(m, G_FILE_TEST_EXISTS);
        g_free(m);
        if (taken) {
            ba_error_set(err, BA_ERR_EXISTS,
                         "%s: already holds an export (" MANIFEST "); export into a new folder",
                         j->o->destination);
            return -1;
        }
    } else {
        if (g_mkdir_with_parents(j->dest, 0755) != 0) {
            int e = errno;
            ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot create: %s",
                         j->o->destination, g_strerror(e));
            return -1;
        }
        j->created_dest = true;
    }
    ex_remove_stale_tmpdirs(j->dest);
    if (write_note(j, err))
        return -1;
    char *name = g_strdup_printf(TMPDIR_PREFIX "%d-XXXXXX", (int)getpid());
    j->tmpdir = g_build_filename(j->dest, name, NULL);
    g_free(name);
    if (!g_mkdtemp(j->tmpdir)) {
        int e = errno;
        ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write: %s",
                     j->o->destination, g_strerror(e));
        g_free(j->tmpdir);
        j->tmpdir = NULL;
        return -1;
    }
    return 0;
}
