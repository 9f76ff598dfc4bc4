/* Ingest checked, nothing written (batch ingest --dry-run): every check an
 * ingest makes before it decodes pixels, none of its writes. */
#include "beforeafter/beforeafter.h"

#include <glib.h>
#include <string.h>
#include <vips/vips.h>

#include "common/error_prefix.h"
#include "ingest/internal.h"

/* Put @name in front of @err's message unless it is there already. */
static void named(ba_error *err, const char *name)
{
    if (err && strncmp(err->message, name, strlen(name)) != 0)
        ba_error_prefix(err, "%s", name);
}

int ba_ingest_check(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                    ba_ingest_check_result *out, ba_error *err)
{
    ba_ingest_options defaults;
    if (!opts) {
        ba_ingest_options_init(&defaults);
        opts = &defaults;
    }
    memset(out, 0, sizeof *out);
    const char *stage = opts->stage ? opts->stage : "progress";
    const char *view = opts->view ? opts->view : "frontal";
    if (!ba_stage_valid(stage)) {
        ba_error_set(err, BA_ERR_USAGE, "%s: stage '%s' is not one of before, after, progress",
                     path, stage);
        return -1;
    }
    if (!ba_view_valid(view)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "%s: view '%s' is not one of frontal, left-45, right-45, left-90, "
                     "right-90, other",
                     path, view);
        return -1;
    }
    ba_client client;
    ba_photo areas;
    if (!opts->area) {
        ba_error_set(err, BA_ERR_USAGE, "%s: no area", path);
        return -1;
    }
    memset(&client, 0, sizeof client);
    if ((opts->date && ba_catalog_session_date_check(cat, opts->date, err)) ||
        (opts->client && ba_catalog_client_get(cat, opts->client, &client, err)) ||
        ba_catalog_areas_parse(cat, opts->area, &areas, err)) {
        named(err, path);
        return -1;
    }
    file_bytes in;
    if (ingest_read_input(path, opts->max_megapixels, true, &in, err)) {
        named(err, path);
        return -1;
    }
    g_strlcpy(out->original_sha256, in.sha256, sizeof out->original_sha256);
    int rc = -1;
    VipsImage *header = NULL;
    int64_t existing = 0;
    int found = ba_catalog_photo_find_original(cat, in.sha256, &existing, err);
    if (found < 0)
        goto out;
    if (found) {
        ba_photo old;
        if (ba_catalog_photo_get(cat, existing, &old, err))
            goto out;
        if (opts->client && strcmp(old.client, client.code) != 0) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "%s: already stored as photo %" G_GINT64_FORMAT " of another client",
                         path, existing);
            goto out;
        }
        out->duplicate_of = existing;
        rc = 0;
        goto out;
    }
    /* The header only: format, pixel limit, EXIF date; no pixel decoded. */
    ingest_job j = {.name = path, .data = in.data, .len = in.len};
    ba_capture_init(&j.capture);
    g_atomic_int_add(&ingest_decoding_now, 1);
    int bad = ingest_identify(&j, opts, &header, err);
    if (!bad)
        ingest_read_capture(&j, header);
    g_atomic_int_add(&ingest_decoding_now, -1);
    if (bad)
        goto out;
    out->width = header->Xsize;
    out->height = header->Ysize;
    if (opts->date) {
        g_strlcpy(out->session_date, opts->date, sizeof out->session_date);
    } else if (j.capture.captured_at[0]) {
        g_strlcpy(out->session_date, j.capture.captured_at, sizeof out->session_date);
        if (ba_catalog_session_date_check(cat, out->session_date, err)) {
            ba_error_prefix(err, "%s: the EXIF capture date", path);
            goto out;
        }
    } else {
        ba_error_set(err, BA_ERR_NO_DATE,
                     "%s: no session date: the photo has no EXIF capture date and none was "
                     "given",
                     path);
        ba_error_hint(err, BA_HINT_GIVE_DATE);
        goto out;
    }
    rc = 0;
out:
    if (header)
        g_object_unref(header);
    if (rc)
        named(err, path);
    g_free(in.data);
    return rc;
}
