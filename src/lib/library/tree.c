/* Folders placed whole, checked copies (see tree.h). */
#include "library/tree.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sha256.h"
#include "library/errors.h"
#include "library/paths.h"
#include "library/place.h"

static bool empty_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    bool empty = d && !g_dir_read_name(d);
    if (d)
        g_dir_close(d);
    return empty;
}

char *ba_tree_stage(const char *target, ba_error *err)
{
    struct stat st;
    if (lstat(target, &st) == 0 && !(S_ISDIR(st.st_mode) && empty_dir(target))) {
        ba_error_set(err, BA_ERR_EXISTS, "%s: already exists and is not an empty folder; "
                     "nothing written", target);
        return NULL;
    }
    char *parent = g_path_get_dirname(target);
    char *base = g_path_get_basename(target);
    if (g_mkdir_with_parents(parent, BA_MODE_DIR) != 0) {
        ba_errno_set(err, errno, "%s: cannot create", parent);
        g_free(parent);
        g_free(base);
        return NULL;
    }
    char *name = g_strdup_printf(".%s.tmp-XXXXXX", base);
    char *stage = g_build_filename(parent, name, NULL);
    g_free(name);
    g_free(base);
    g_free(parent);
    if (!g_mkdtemp_full(stage, BA_MODE_DIR)) {
        ba_errno_set(err, errno, "%s: cannot create a temporary folder beside it", target);
        g_free(stage);
        return NULL;
    }
    return stage;
}

int ba_tree_publish(const char *stage, const char *target, ba_error *err)
{
    if (rename(stage, target) != 0) {
        int e = errno;
        if (e == ENOTEMPTY || e == EEXIST)
            ba_error_set(err, BA_ERR_EXISTS, "%s: appeared meanwhile and is not empty; "
                         "nothing written", target);
        else
            ba_errno_set(err, e, "%s: cannot put in place", target);
        return -1;
    }
    char *parent = g_path_get_dirname(target);
    int r = ba_place_sync_dir(parent, err) ? -1 : 0;
    g_free(parent);
    return r;
}

void ba_tree_remove(const char *dir)
{
    if (!dir)
        return;
    struct stat st;
    if (lstat(dir, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        g_unlink(dir);
        return;
    }
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, n, NULL);
        ba_tree_remove(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

int ba_tree_copy_checked(const char *from, const char *to, const char *sha256, uint64_t *bytes,
                         ba_error *err)
{
    char *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(from, &data, &len, &gerr)) {
        ba_error_set(err, gerr->code == G_FILE_ERROR_NOENT ? BA_ERR_NOT_FOUND : BA_ERR_IO,
                     "%s: cannot read: %s", from, gerr->message);
        g_error_free(gerr);
        return -1;
    }
    if (sha256 && *sha256) {
        char have[65];
        ba_sha256_hex(data, len, have);
        if (strcmp(have, sha256) != 0) {
            ba_error_set(err, BA_ERR_CORRUPT, "%s: its bytes hash to %.12s…, not the %.12s… "
                         "recorded; nothing written", from, have, sha256);
            ba_error_hint(err, BA_HINT_RUN_VERIFY);
            g_free(data);
            return -1;
        }
    }
    int r = 0;
    if (ba_place_make_parent(to, BA_MODE_DIR, err) ||
        ba_place_bytes(to, data, len, NULL, BA_MODE_FILE, BA_PLACE_NEVER_REPLACE, NULL, NULL,
                       err))
        r = -1;
    else if (bytes)
        *bytes += len;
    g_free(data);
    return r;
}
