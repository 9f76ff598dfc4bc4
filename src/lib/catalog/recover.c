/* Masters a dead writer placed but never recorded: ingest notes each master
 * in LIBRARY/tmp/master-<pid>@<host>-… between moving it into masters/ and
 * committing its row (ingest/master.c).  A writer opening the library looks
 * for notes of dead writers of this host and, under the write lock (so no
 * live ingest of the same bytes is between its rename and its commit),
 * removes each noted master no photo row names, then the note. */
#include "catalog/db.h"
#include "catalog/writers.h"

#include <glib/gstdio.h>
#include <string.h>

#include "library/paths.h"

typedef struct recovery {
    GPtrArray *notes; /* absolute paths of dead writers' notes */
    int removed;
} recovery;

/* The 64 hex digits a note holds, or false. */
static bool note_sha(const char *path, char sha[BA_SHA_MAX])
{
    gchar *text = NULL;
    gsize len = 0;
    bool ok = g_file_get_contents(path, &text, &len, NULL) && len == 64;
    for (gsize i = 0; ok && i < 64; i++)
        ok = g_ascii_isxdigit(text[i]) && !g_ascii_isupper(text[i]);
    if (ok) {
        memcpy(sha, text, 64);
        sha[64] = '\0';
    }
    g_free(text);
    return ok;
}

static int recover_locked(ba_catalog *cat, bool locked, void *ud, ba_error *err)
{
    recovery *r = ud;
    if (!locked)
        return 0; /* a read-only process leaves it to a writer */
    for (guint i = 0; i < r->notes->len; i++) {
        const char *note = g_ptr_array_index(r->notes, i);
        char sha[BA_SHA_MAX];
        if (note_sha(note, sha)) {
            int used = ba_catalog_master_referenced(cat, sha, err);
            if (used < 0)
                return -1;
            if (used == 0) {
                char rel[96];
                ba_path_master(sha, rel, sizeof rel);
                char *path = g_build_filename(cat->dir, rel, NULL);
                if (g_unlink(path) == 0)
                    r->removed++;
                g_free(path);
            }
        }
        g_unlink(note);
    }
    return 0;
}

int ba_db_recover_masters(ba_catalog *cat, ba_error *err)
{
    char *tmp = ba_path_tmp_dir(cat->dir);
    GDir *d = g_dir_open(tmp, 0, NULL);
    recovery r = {.notes = g_ptr_array_new_with_free_func(g_free)};
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        if (g_str_has_prefix(name, "master-") && ba_path_tmp_writer(name) > 0 &&
            !ba_path_tmp_writer_alive(name))
            g_ptr_array_add(r.notes, g_build_filename(tmp, name, NULL));
    if (d)
        g_dir_close(d);
    g_free(tmp);
    int rc = r.notes->len ? ba_catalog_with_write_lock(cat, recover_locked, &r, err) : 0;
    g_ptr_array_free(r.notes, TRUE);
    return rc < 0 ? -1 : r.removed;
}
