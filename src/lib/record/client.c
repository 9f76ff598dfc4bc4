/* A client's record handed over, or erased (beforeafter/record.h). */
#include "beforeafter/record.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "beforeafter/library.h"
#include "catalog/record.h"
#include "library/clock.h"
#include "library/paths.h"
#include "library/place.h"
#include "library/tree.h"

/* ---- retention ---------------------------------------------------------------- */

int ba_record_retention_get(ba_catalog *cat, int *years, ba_error *err)
{
    return ba_db_retention_get(cat, years, err);
}

int ba_record_retention_set(ba_catalog *cat, int years, ba_error *err)
{
    return ba_db_retention_set(cat, years, err);
}

/* ---- export -------------------------------------------------------------------- */

static char *utc_stamp(void)
{
    GDateTime *now = ba_clock_now_utc();
    char *s = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(now);
    return s;
}

/* Copy every file of the record into @stage and list them in @b ("files"). */
static int copy_files(ba_catalog *cat, GPtrArray *files, const char *stage, JsonBuilder *b,
                      ba_record_export_result *out, ba_error *err)
{
    json_builder_set_member_name(b, "files");
    json_builder_begin_array(b);
    int r = 0;
    for (guint i = 0; r == 0 && i < files->len; i++) {
        ba_db_file *f = g_ptr_array_index(files, i);
        char *from = g_build_filename(ba_catalog_dir(cat), f->rel, NULL);
        char *to = g_build_filename(stage, f->as, NULL);
        uint64_t before = out->bytes;
        r = ba_tree_copy_checked(from, to, f->sha256, &out->bytes, err);
        if (r == 0) {
            if (g_str_has_prefix(f->as, "masters/"))
                out->masters++;
            else if (g_str_has_prefix(f->as, "comparisons/"))
                out->comparisons++;
            else
                out->evidence++;
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "file");
            json_builder_add_string_value(b, f->as);
            json_builder_set_member_name(b, "sha256");
            json_builder_add_string_value(b, f->sha256);
            json_builder_set_member_name(b, "bytes");
            json_builder_add_int_value(b, (gint64)(out->bytes - before));
            json_builder_end_object(b);
        }
        g_free(to);
        g_free(from);
    }
    json_builder_end_array(b);
    return r;
}

static int write_export(ba_catalog *cat, const char *code, const char *dir, const char *stage,
                        ba_record_export_result *out, ba_error *err)
{
    JsonBuilder *b = json_builder_new();
    GPtrArray *files = ba_db_files_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, "client-record");
    json_builder_set_member_name(b, "format");
    json_builder_add_string_value(b, BA_RECORD_FORMAT);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, BA_RECORD_VERSION);
    char *stamp = utc_stamp();
    json_builder_set_member_name(b, "exported_at");
    json_builder_add_string_value(b, stamp);
    g_free(stamp);
    json_builder_set_member_name(b, "library_timezone");
    json_builder_add_string_value(b, ba_catalog_timezone(cat));
    int r = ba_db_client_record(cat, code, b, files, &out->client_id, out->client, err);
    if (r == 0)
        r = copy_files(cat, files, stage, b, out, err);
    json_builder_end_object(b);
    if (r == 0) {
        JsonGenerator *g = json_generator_new();
        JsonNode *root = json_builder_get_root(b);
        json_generator_set_root(g, root);
        json_generator_set_pretty(g, TRUE);
        gsize len = 0;
        char *text = json_generator_to_data(g, &len);
        char *path = g_build_filename(stage, "record.json", NULL);
        r = ba_place_bytes(path, text, len, NULL, BA_MODE_FILE, BA_PLACE_NEVER_REPLACE, NULL,
                           NULL, err)
                ? -1
                : 0;
        out->bytes += len;
        g_free(path);
        g_free(text);
        json_node_unref(root);
        g_object_unref(g);
    }
    g_ptr_array_free(files, TRUE);
    g_object_unref(b);
    if (r == 0)
        r = ba_tree_publish(stage, dir, err);
    return r;
}

int ba_record_client_export(ba_catalog *cat, const char *code, const char *dir,
                            ba_record_export_result *out, ba_error *err)
{
    ba_record_export_result local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof *out);
    if (!code || !*code || !dir || !*dir) {
        ba_error_set(err, BA_ERR_USAGE, "a client export needs a client code and a folder");
        return -1;
    }
    if (ba_library_check_output(ba_catalog_dir(cat), dir, true, err))
        return -1;
    char *stage = ba_tree_stage(dir, err);
    if (!stage)
        return -1;
    int r = write_export(cat, code, dir, stage, out, err);
    if (r) {
        ba_tree_remove(stage);
    } else {
        int files = out->masters + out->comparisons + out->evidence;
        if (ba_db_audit_client_export(cat, out->client, out->client_id, dir, files, err)) {
            /* Not recorded: not handed over either. */
            ba_tree_remove(dir);
            r = -1;
        }
    }
    g_free(stage);
    return r;
}

/* ---- erasure -------------------------------------------------------------------- */

/* Remove LIBRARY/@rel and any copy verify's repair moved to lost+found/. */
static bool remove_file(const char *lib, const char *rel, GString *failed)
{
    char *path = g_build_filename(lib, rel, NULL);
    bool ok = g_unlink(path) == 0 || errno == ENOENT;
    if (!ok)
        g_string_append_printf(failed, "%s%s (%s)", failed->len ? ", " : "", rel,
                               g_strerror(errno));
    g_free(path);
    char *lost = g_build_filename(lib, BA_DIR_LOST_FOUND, rel, NULL);
    g_unlink(lost);
    for (int i = 1; i < 100; i++) {
        char *n = g_strdup_printf("%s.%d", lost, i);
        bool gone = g_unlink(n) != 0 && errno == ENOENT;
        g_free(n);
        if (gone)
            break;
    }
    g_free(lost);
    return ok;
}

int ba_record_client_erase(ba_catalog *cat, const char *code, const char *confirm,
                           const char *override_reason, ba_record_erase_result *out,
                           ba_error *err)
{
    ba_record_erase_result local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof *out);
    if (!code || !*code) {
        ba_error_set(err, BA_ERR_USAGE, "erasure needs a client code");
        return -1;
    }
    if (!confirm || strcmp(confirm, code) != 0) {
        ba_error_set(err, BA_ERR_USAGE,
                     "client %s: erasure not confirmed (the confirmation must repeat the code "
                     "exactly); nothing erased", code);
        ba_error_hint(err, BA_HINT_CONFIRM_ERASE);
        return -1;
    }
    GPtrArray *files = ba_db_files_new();
    ba_db_erased e;
    if (ba_db_client_erase(cat, code, override_reason, files, &e, err)) {
        g_ptr_array_free(files, TRUE);
        return -1;
    }
    out->client_id = e.client_id;
    out->tombstone_id = e.tombstone_id;
    out->sessions = e.sessions;
    out->photos = e.photos;
    out->alignments = e.alignments;
    out->comparisons = e.comparisons;
    out->consents = e.consents;
    out->exports = e.exports;
    out->audit_redacted = e.audit_redacted;
    out->exports_to_take_down = e.exports_listed;
    /* The rows are gone: now the files no row names any more. */
    GString *failed = g_string_new(NULL);
    for (guint i = 0; i < files->len; i++) {
        ba_db_file *f = g_ptr_array_index(files, i);
        if (remove_file(ba_catalog_dir(cat), f->rel, failed))
            out->files_removed++;
        /* A master's screen previews (its thumbnail made at ingest, larger
         * ones on a screen's first request) are images of the client too. */
        if (g_str_has_prefix(f->rel, BA_DIR_MASTERS "/")) {
            char *base = g_path_get_basename(f->rel);
            char *dot = strchr(base, '.');
            if (dot)
                *dot = '\0';
            out->files_removed += ba_path_previews_remove(ba_catalog_dir(cat), base);
            g_free(base);
        }
    }
    g_ptr_array_free(files, TRUE);
    ba_error cerr;
    out->compacted = ba_db_compact(cat, &cerr) == 0;
    if (!out->compacted)
        g_strlcpy(out->warning, cerr.message, sizeof out->warning);
    if (failed->len)
        snprintf(out->warning + strlen(out->warning), sizeof out->warning - strlen(out->warning),
                 "%sfiles not removed: %s", out->warning[0] ? "; " : "", failed->str);
    g_string_free(failed, TRUE);
    return 0;
}
