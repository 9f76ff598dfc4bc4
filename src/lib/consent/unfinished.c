/* Exports a dead process left pending, and the temporary folders of exports
 * that were killed before anything was recorded. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "library/paths.h"
#include "beforeafter/beforeafter.h"
#include "catalog/writers.h"
#include "consent/export.h"
#include "consent/signature.h"

typedef struct unfinished {
    ba_catalog *cat;
    bool repair;
    ba_export_fn fn;
    void *ud;
    int n;
    int rc;
    ba_error *err;
} unfinished;

/* Mark @e interrupted, saying which of its files are in place. */
static int mark_interrupted(unfinished *u, ba_export_record *e, const ba_export_item *items,
                            int n_items)
{
    ex_remove_stale_tmpdirs(e->destination);
    GString *present = g_string_new(NULL);
    const char *names[BA_COMPOSE_MAX_PANELS + 64];
    int n_names = 0;
    for (int i = 0; i < n_items && n_names < (int)G_N_ELEMENTS(names) - 2; i++)
        names[n_names++] = items[i].file;
    names[n_names++] = MANIFEST;
    names[n_names++] = MANIFEST_SIG;
    for (int i = 0; i < n_names; i++) {
        char *p = g_build_filename(e->destination, names[i], NULL);
        if (g_file_test(p, G_FILE_TEST_EXISTS))
            g_string_append_printf(present, "%s%s", present->len ? ", " : "", names[i]);
        g_free(p);
    }
    char objects[48];
    snprintf(objects, sizeof objects, "export %" G_GINT64_FORMAT, e->id);
    char *detail = g_strdup_printf("the writer stopped before it finished; in %s: %s",
                                   e->destination, present->len ? present->str : "no files");
    ba_audit_entry a = {.action = "export-interrupted", .objects = objects,
                        .purpose = e->purpose, .result = "interrupted", .detail = detail};
    int rc = ba_catalog_export_finish(u->cat, e->id, "interrupted", &a, 1, u->err);
    g_free(detail);
    g_string_free(present, TRUE);
    if (rc == 0)
        e->status = "interrupted";
    return rc;
}

static int on_unfinished(const ba_export_record *e, const ba_export_item *items, int n_items,
                         void *ud)
{
    unfinished *u = ud;
    if (strcmp(e->status ? e->status : "", "pending") != 0 || ba_pid_alive(e->writer_pid))
        return 0;
    ba_export_record copy = *e;
    if (u->repair && mark_interrupted(u, &copy, items, n_items)) {
        u->rc = -1;
        return 1;
    }
    u->n++;
    return u->fn ? u->fn(&copy, items, n_items, u->ud) : 0;
}

int ba_consent_exports_unfinished(ba_catalog *cat, bool repair, ba_export_fn fn, void *ud,
                                  int *n, ba_error *err)
{
    unfinished u = {.cat = cat, .repair = repair, .fn = fn, .ud = ud, .err = err};
    ba_export_filter f = {.unfinished_only = true};
    int rc = ba_catalog_export_list(cat, &f, on_unfinished, &u, err);
    if (n)
        *n = u.n;
    return rc || u.rc ? -1 : 0;
}

int ba_consent_exports_stale_tmp(ba_catalog *cat, bool remove, ba_stale_fn fn, void *ud)
{
    char *tmp = g_build_filename(ba_catalog_dir(cat), "tmp", NULL);
    GDir *d = g_dir_open(tmp, 0, NULL);
    const char *n;
    int count = 0;
    while (d && (n = g_dir_read_name(d))) {
        int pid = 0;
        if (sscanf(n, NOTE_PREFIX "%d-", &pid) != 1 || ba_pid_alive(pid))
            continue;
        char *note = g_build_filename(tmp, n, NULL);
        char *dest = NULL;
        if (g_file_get_contents(note, &dest, NULL, NULL) && g_path_is_absolute(dest)) {
            char *prefix = g_strdup_printf(TMPDIR_PREFIX "%d-", pid);
            GDir *dd = g_dir_open(dest, 0, NULL);
            const char *m;
            while (dd && (m = g_dir_read_name(dd))) {
                if (!g_str_has_prefix(m, prefix))
                    continue;
                char *folder = g_build_filename(dest, m, NULL);
                bool removed = false;
                if (remove && g_file_test(folder, G_FILE_TEST_IS_DIR) &&
                    !g_file_test(folder, G_FILE_TEST_IS_SYMLINK)) {
                    ex_remove_tree(folder);
                    removed = !g_file_test(folder, G_FILE_TEST_EXISTS);
                }
                count++;
                if (fn)
                    fn(folder, removed, ud);
                g_free(folder);
            }
            if (dd)
                g_dir_close(dd);
            g_free(prefix);
        }
        if (remove)
            g_unlink(note);
        g_free(dest);
        g_free(note);
    }
    if (d)
        g_dir_close(d);
    g_free(tmp);
    return count;
}
