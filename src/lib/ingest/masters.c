/* Masters read back (hash-checked, decoded from the verified bytes) and the
 * temporary files dead writers left in LIBRARY/tmp. */
#include "beforeafter/beforeafter.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <vips/vips.h>

#include "ingest/internal.h"
#include "library/paths.h"

/* Masters are JPEGs we wrote, about 1 byte a pixel: a 100 MP master is
 * ~100 MB.  A larger file under masters/ is not one of ours. */
#define MASTER_MAX_BYTES ((uint64_t)4 << 30)

/* The bytes live as long as the image that decodes them lazily. */
#define BYTES_KEY "ba-file-bytes"

void ingest_keep_bytes(VipsImage *img, GBytes *bytes)
{
    g_object_set_data_full(G_OBJECT(img), BYTES_KEY, g_bytes_ref(bytes),
                           (GDestroyNotify)g_bytes_unref);
}

/* Read the master at @path whole, hashing as it reads, and check the hash
 * against the catalog's: a master overwritten by anything (another client's
 * photo, a careless copy) must never be rendered or exported as this photo. */
static int read_master(const char *path, const char *master_sha256, GBytes **out,
                       ba_error *err)
{
    file_bytes in;
    if (ingest_read_file(path, MASTER_MAX_BYTES, true, "any master beforeafter writes", &in, err))
        return -1;
    if (g_ascii_strcasecmp(in.sha256, master_sha256) != 0) {
        ba_error_set(err, BA_ERR_CORRUPT,
                     "%s: the master of this photo no longer matches its recorded SHA-256 "
                     "(recorded %.12s..., now %.12s...)",
                     path, master_sha256, in.sha256);
        ba_error_hint(err, BA_HINT_RUN_VERIFY);
        g_free(in.data);
        return -1;
    }
    *out = g_bytes_new_take(in.data, in.len);
    return 0;
}

int ingest_open_master_file(const char *path, const char *master_sha256, VipsImage **out,
                            ba_error *err)
{
    *out = NULL;
    GBytes *bytes = NULL;
    int rc = read_master(path, master_sha256, &bytes, err);
    if (rc == 0) {
        gsize len = 0;
        const void *data = g_bytes_get_data(bytes, &len);
        *out = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_RANDOM,
                                          "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
        if (*out) {
            ingest_keep_bytes(*out, bytes);
        } else {
            char *why = ingest_take_vips_error();
            ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot open the master: %s", path, why);
            g_free(why);
            rc = -1;
        }
        g_bytes_unref(bytes);
    }
    return rc;
}

int ba_ingest_open_master(const char *library_dir, const char *master_sha256, VipsImage **out,
                          ba_error *err)
{
    *out = NULL;
    ingest_sweep_tmp_once(library_dir);
    char rel[96];
    ba_path_master(master_sha256, rel, sizeof rel);
    char *path = g_build_filename(library_dir, rel, NULL);
    int rc = ingest_open_master_file(path, master_sha256, out, err);
    g_free(path);
    return rc;
}

int ba_ingest_master_shrink(VipsImage *master, int shrink, VipsAccess access, VipsImage **out)
{
    *out = NULL;
    GBytes *bytes = g_object_get_data(G_OBJECT(master), BYTES_KEY);
    if (!bytes) {
        vips_error("beforeafter", "%s", "not an image from ba_ingest_open_master()");
        return -1;
    }
    gsize len = 0;
    const void *data = g_bytes_get_data(bytes, &len);
    *out = vips_image_new_from_buffer(data, len, "", "shrink", shrink, "access", access,
                                      "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
    if (!*out)
        return -1;
    ingest_keep_bytes(*out, bytes);
    return 0;
}

/* ---- temporary files of dead writers ---------------------------------------- */

/* Remove LIBRARY/tmp/<kind>-<pid>-* files whose <pid> no longer runs. */
static int sweep_tmp(const char *library_dir)
{
    char *tmpdir = ba_path_tmp_dir(library_dir);
    GDir *d = g_dir_open(tmpdir, 0, NULL);
    int removed = 0;
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        /* The in-flight files are named <kind>-<pid>-... (ingest-, consent-).
         * An export's note (export-<pid>-...) names the temporary folder it
         * left in its destination: the export side removes both together
         * (ba_consent_exports_stale_tmp), or the folder could never be found. */
        int pid = ba_path_tmp_writer(n);
        if (pid == 0 || ba_pid_alive(pid) || g_str_has_prefix(n, "export-"))
            continue;
        char *path = g_build_filename(tmpdir, n, NULL);
        if (g_unlink(path) == 0)
            removed++;
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_free(tmpdir);
    return removed;
}

/* Libraries whose tmp/ this process swept already.  Once per process is
 * enough: a file a dead writer left cannot come back, and a writer that dies
 * later is swept by the next process that writes. */
static GMutex swept_lock;
static GHashTable *swept;

void ingest_sweep_tmp_once(const char *library_dir)
{
    g_mutex_lock(&swept_lock);
    if (!swept)
        swept = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    bool first = g_hash_table_add(swept, g_strdup(library_dir));
    g_mutex_unlock(&swept_lock);
    if (first)
        sweep_tmp(library_dir);
}

int ba_ingest_clean_tmp(ba_catalog *cat)
{
    return sweep_tmp(ba_catalog_dir(cat));
}
