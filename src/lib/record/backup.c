/* Backup and restore of a whole library (beforeafter/record.h). */
#include "beforeafter/record.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "beforeafter/library.h"
#include "catalog/record.h"
#include "common/sha256.h"
#include "library/paths.h"
#include "library/place.h"
#include "library/tree.h"

#define MANIFEST "MANIFEST"

static int make_layout(const char *stage, ba_error *err)
{
    static const char *const dirs[] = {BA_DIR_MASTERS, BA_DIR_TMP};
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        char *p = g_build_filename(stage, dirs[i], "x", NULL);
        int r = ba_place_make_parent(p, BA_MODE_DIR, err);
        g_free(p);
        if (r)
            return -1;
    }
    return 0;
}

static int hash_path(const char *path, char sha[65], uint64_t *bytes, ba_error *err)
{
    char *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot read: %s", path, gerr->message);
        g_error_free(gerr);
        return -1;
    }
    ba_sha256_hex(data, len, sha);
    if (bytes)
        *bytes += len;
    g_free(data);
    return 0;
}

static int write_manifest(const char *stage, GString *text, ba_error *err)
{
    char *path = g_build_filename(stage, MANIFEST, NULL);
    int r = ba_place_bytes(path, text->str, text->len, NULL, BA_MODE_FILE,
                           BA_PLACE_NEVER_REPLACE, NULL, NULL, err)
                ? -1
                : 0;
    g_free(path);
    return r;
}

static int backup_into(ba_catalog *cat, const char *stage, ba_record_backup_result *out,
                       ba_error *err)
{
    char *db = g_build_filename(stage, "catalog.db", NULL);
    /* The files the copy names: a photo committed after the snapshot is not
     * in the copy, so its master is not needed either. */
    GPtrArray *files = ba_db_files_new();
    int r = ba_db_backup_to(cat, db, files, &out->photos, err);
    GString *manifest = g_string_new(NULL);
    char sha[65];
    if (r == 0)
        r = hash_path(db, sha, &out->bytes, err);
    if (r == 0)
        g_string_append_printf(manifest, "%s  catalog.db\n", sha);
    g_free(db);
    for (guint i = 0; r == 0 && i < files->len; i++) {
        ba_db_file *f = g_ptr_array_index(files, i);
        char *from = g_build_filename(ba_catalog_dir(cat), f->rel, NULL);
        char *to = g_build_filename(stage, f->rel, NULL);
        r = ba_tree_copy_checked(from, to, f->sha256, &out->bytes, err);
        if (r == 0) {
            out->files++;
            g_string_append_printf(manifest, "%s  %s\n", f->sha256, f->rel);
        }
        g_free(to);
        g_free(from);
    }
    g_ptr_array_free(files, TRUE);
    /* The export-signing key: a restored library signs, and vouches for its
     * earlier exports (export verify --library), with the same key. */
    static const char *const KEYS[] = {BA_PATH_EXPORT_KEY, BA_PATH_EXPORT_PUB};
    for (size_t k = 0; r == 0 && k < G_N_ELEMENTS(KEYS); k++) {
        char *from = g_build_filename(ba_catalog_dir(cat), KEYS[k], NULL);
        char *to = g_build_filename(stage, KEYS[k], NULL);
        if (g_file_test(from, G_FILE_TEST_IS_REGULAR)) {
            r = hash_path(from, sha, NULL, err) || ba_tree_copy_checked(from, to, sha, &out->bytes, err)
                    ? -1
                    : 0;
            if (r == 0) {
                out->files++;
                g_string_append_printf(manifest, "%s  %s\n", sha, KEYS[k]);
            }
        }
        g_free(to);
        g_free(from);
    }
    if (r == 0)
        r = make_layout(stage, err) || write_manifest(stage, manifest, err) ? -1 : 0;
    g_string_free(manifest, TRUE);
    return r;
}

int ba_record_backup(ba_catalog *cat, const char *dir, ba_record_backup_result *out,
                     ba_error *err)
{
    ba_record_backup_result local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof *out);
    gint64 t0 = g_get_monotonic_time();
    if (!dir || !*dir) {
        ba_error_set(err, BA_ERR_USAGE, "a backup needs a folder to write");
        return -1;
    }
    if (ba_library_check_output(ba_catalog_dir(cat), dir, true, err))
        return -1;
    char *stage = ba_tree_stage(dir, err);
    if (!stage)
        return -1;
    int r = backup_into(cat, stage, out, err);
    if (r == 0)
        r = ba_tree_publish(stage, dir, err);
    if (r)
        ba_tree_remove(stage);
    g_free(stage);
    out->seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
    return r;
}

/* ---- restore ---------------------------------------------------------------- */

/* A MANIFEST path: relative, inside the backup, no "..". */
static bool safe_rel(const char *rel)
{
    return rel[0] && rel[0] != '/' && !strstr(rel, "..") && !strstr(rel, "//") &&
           !strchr(rel, '\\');
}

static int restore_into(const char *from, const char *stage, ba_record_backup_result *out,
                        ba_error *err)
{
    char *mpath = g_build_filename(from, MANIFEST, NULL);
    char *text = NULL;
    GError *gerr = NULL;
    if (!g_file_get_contents(mpath, &text, NULL, &gerr)) {
        ba_error_set(err, gerr->code == G_FILE_ERROR_NOENT ? BA_ERR_NOT_FOUND : BA_ERR_IO,
                     "%s: cannot read the backup's manifest: %s", mpath, gerr->message);
        g_error_free(gerr);
        g_free(mpath);
        return -1;
    }
    char **lines = g_strsplit(text, "\n", -1);
    int r = 0;
    bool have_db = false;
    for (char **l = lines; r == 0 && *l; l++) {
        if (!**l)
            continue;
        const char *rel = strlen(*l) > 66 ? *l + 66 : "";
        if (strlen(*l) < 67 || (*l)[64] != ' ' || (*l)[65] != ' ' || !safe_rel(rel)) {
            ba_error_set(err, BA_ERR_CORRUPT, "%s: line '%.80s' is not '<sha256>  <path>'",
                         mpath, *l);
            r = -1;
            break;
        }
        char sha[65];
        g_strlcpy(sha, *l, sizeof sha);
        char *src = g_build_filename(from, rel, NULL);
        char *dst = g_build_filename(stage, rel, NULL);
        r = ba_tree_copy_checked(src, dst, sha, &out->bytes, err);
        if (r == 0 && strcmp(rel, "catalog.db") == 0)
            have_db = true;
        else if (r == 0)
            out->files++;
        g_free(dst);
        g_free(src);
    }
    g_strfreev(lines);
    g_free(text);
    if (r == 0 && !have_db) {
        ba_error_set(err, BA_ERR_CORRUPT, "%s: lists no catalog.db", mpath);
        r = -1;
    }
    g_free(mpath);
    if (r == 0)
        r = make_layout(stage, err);
    if (r == 0) {
        ba_catalog *copy = ba_catalog_open(stage, err);
        GPtrArray *files = ba_db_files_new();
        if (!copy || ba_db_referenced_files(copy, files, &out->photos, err))
            r = -1;
        g_ptr_array_free(files, TRUE);
        ba_catalog_close(copy);
    }
    return r;
}

int ba_record_restore(const char *from, const char *to, ba_record_backup_result *out,
                      ba_error *err)
{
    ba_record_backup_result local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof *out);
    gint64 t0 = g_get_monotonic_time();
    if (!from || !*from || !to || !*to) {
        ba_error_set(err, BA_ERR_USAGE, "a restore needs a backup folder and a new library folder");
        return -1;
    }
    if (ba_library_check_output(NULL, to, true, err))
        return -1;
    char *stage = ba_tree_stage(to, err);
    if (!stage)
        return -1;
    int r = restore_into(from, stage, out, err);
    if (r == 0)
        r = ba_tree_publish(stage, to, err);
    if (r)
        ba_tree_remove(stage);
    g_free(stage);
    out->seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
    return r;
}
