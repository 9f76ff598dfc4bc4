/* The ingest pipeline: untrusted file -> stripped, upright, sRGB master + catalog row.
 * The public entry points; the stages are in identify.c, orient.c, colour.c,
 * master.c, read.c and masters.c (see internal.h). */
#include "beforeafter/beforeafter.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <vips/vips.h>

#include "catalog/writers.h"
#include "common/error_prefix.h"
#include "common/sha256.h"
#include "compose/preview.h"
#include "ingest/fault.h"
#include "ingest/internal.h"
#include "library/paths.h"

void ba_ingest_options_init(ba_ingest_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_megapixels = BA_INGEST_DEFAULT_MAX_MEGAPIXELS;
    o->master_quality = BA_INGEST_DEFAULT_QUALITY;
}

struct ba_ingest_job {
    ingest_job j; /* j.data is only valid during prepare */
    ba_photo p;   /* the record to commit */
    char *name;
    bool stage_given, view_given, add_area; /* what a duplicate is compared on */
    int64_t repair_id; /* the photo whose damaged master this file rewrites, or 0 */
};

void ba_ingest_job_free(ba_ingest_job *jb)
{
    if (!jb)
        return;
    if (jb->j.tmp_path) {
        g_unlink(jb->j.tmp_path);
        g_free(jb->j.tmp_path);
    }
    if (jb->j.thumb_tmp) { /* not placed: refused, a duplicate, a repair, cancelled */
        g_unlink(jb->j.thumb_tmp);
        g_free(jb->j.thumb_tmp);
    }
    ingest_thumb_sums_free(jb->j.thumb_sums);
    ingest_drop_note(&jb->j); /* committed, refused or undone: the note has served */
    g_free(jb->j.final_path);
    g_free(jb->name);
    g_free(jb);
}

/* Add a remark to @r (the first one is also r->warning). */
static void G_GNUC_PRINTF(3, 4) add_warning(ba_ingest_result *r, ba_hint hint, const char *fmt,
                                           ...)
{
    if (r->n_warnings >= BA_INGEST_WARNINGS_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(r->warnings[r->n_warnings], sizeof r->warnings[0], fmt, ap);
    va_end(ap);
    r->warning_hints[r->n_warnings] = hint;
    if (!r->warning[0])
        g_strlcpy(r->warning, r->warnings[r->n_warnings], sizeof r->warning);
    r->n_warnings++;
}

/* The remark left in r->warning by the stages (an unusable ICC profile) as
 * the first of r->warnings. */
static void keep_stage_warning(ba_ingest_result *r)
{
    if (r->warning[0] && r->n_warnings == 0) {
        g_strlcpy(r->warnings[0], r->warning, sizeof r->warnings[0]);
        r->warning_hints[0] = BA_HINT_NONE;
        r->n_warnings = 1;
    }
}

static bool has_area(const ba_photo *p, const char *area)
{
    for (int i = 0; i < p->n_areas; i++)
        if (strcmp(p->areas[i], area) == 0)
            return true;
    return false;
}

static void areas_text(const ba_photo *p, char *out, size_t size)
{
    out[0] = '\0';
    for (int i = 0; i < p->n_areas; i++) {
        if (i)
            g_strlcat(out, ",", size);
        g_strlcat(out, p->areas[i], size);
    }
}

/* Fill @result for the existing photo @id, the same file as @jb (its facts
 * in jb->p).  The same file for another client is an error; stored with
 * other facts, a warning saying which (or, with add_area, the areas added). */
static int report_duplicate(ba_catalog *cat, ba_ingest_job *jb, int64_t id,
                            ba_ingest_result *result, ba_error *err)
{
    ba_photo old;
    const ba_photo *want = &jb->p;
    if (ba_catalog_photo_get(cat, id, &old, err))
        return -1;
    if (strcmp(old.client, want->client) != 0) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s: already stored as photo %" G_GINT64_FORMAT " of another client",
                     jb->name, id);
        return -1;
    }
    result->status = BA_INGEST_DUPLICATE;
    result->photo_id = id;
    ba_path_master(old.master_sha256, result->master, sizeof result->master);
    bool missing = false;
    for (int i = 0; i < want->n_areas; i++)
        missing = missing || !has_area(&old, want->areas[i]);
    if (missing && jb->add_area) {
        char list[BA_PHOTO_AREAS_MAX * BA_CODE_MAX];
        areas_text(want, list, sizeof list);
        ba_photo now;
        int r = ba_catalog_photo_add_areas(cat, id, list, &now, err);
        if (r < 0) {
            ba_error_prefix(err, "%s", jb->name);
            return -1;
        }
        char before[BA_PHOTO_AREAS_MAX * BA_CODE_MAX], after[sizeof before];
        areas_text(&old, before, sizeof before);
        areas_text(&now, after, sizeof after);
        add_warning(result, BA_HINT_NONE, "photo %" G_GINT64_FORMAT " now shows %s (was %s)",
                    id, after, before);
        old = now;
        missing = false;
    }
    if (old.retracted_at[0])
        add_warning(result, BA_HINT_NONE, "photo %" G_GINT64_FORMAT " is retracted (%s)", id,
                    old.retract_reason);
    bool stage = jb->stage_given && strcmp(old.stage, want->stage) != 0;
    bool view = jb->view_given && strcmp(old.view, want->view) != 0;
    if (missing || stage || view) {
        char stored[BA_PHOTO_AREAS_MAX * BA_CODE_MAX], given[sizeof stored];
        areas_text(&old, stored, sizeof stored);
        areas_text(want, given, sizeof given);
        add_warning(result, BA_HINT_PHOTO_SET,
                    "already stored as photo %" G_GINT64_FORMAT
                    " with area %s, stage %s, view %s (this time: area %s, stage %s, view %s); "
                    "nothing was changed",
                    id, stored, old.stage, old.view, given,
                    jb->stage_given ? want->stage : old.stage,
                    jb->view_given ? want->view : old.view);
    }
    return 0;
}

/* After a new photo's commit: a session date far from the client's others
 * is usually an old camera clock. */
static void warn_far_date(ba_catalog *cat, const ba_photo *p, ba_ingest_result *result)
{
    int days = 0;
    if (ba_catalog_session_gap_days(cat, p->client, p->session_date, &days, NULL) == 1 &&
        days > 730)
        add_warning(result, BA_HINT_NONE,
                    "session date %s is %d months from the client's other sessions (an old "
                    "camera clock?)",
                    p->session_date, (int)(days / 30.4375 + 0.5));
}

/* The thumbnail a screen shows first (BA_PREVIEW_THUMB), made on the
 * preparing thread (a batch's workers, in parallel; the caller's thread for
 * one file or an upload) with the code and the size ba_compose_photo_preview()
 * uses for a stored master: no first view of a photo waits on decoding 12 MP.
 * It waits in tmp/ until the photo's row is
 * committed (place_thumbnail()), so a refused, cancelled or killed ingest
 * leaves no thumbnail in previews/, only a tmp/ file that the job, or the
 * next writer's sweep of dead writers' files, removes.
 * A thumbnail is a copy for screens, never the record: when it cannot be made
 * (disk full, a decode fault) the photo is ingested without it and it is made
 * when first asked for, as it was for every photo before. */
static void make_thumbnail(ba_catalog *cat, ingest_job *j, const ba_photo *p)
{
    /* From the box means of the master's pixels, summed while it was
     * encoded (master.c): the image the on-demand path gets by decoding the
     * master at 1/8, but for the master's JPEG rounding (the two thumbnails
     * are 43-44 dB apart, PSNR), at a quarter of the CPU of that decode
     * (~20 ms vs ~80 ms for a 12 MP photo; bench/README.md).  A small photo
     * has no sums, nor a photo whose pixels did not all come by once: its
     * thumbnail is made from the master just written. */
    VipsImage *src = ingest_thumb_sums_image(j->thumb_sums);
    ingest_thumb_sums_free(j->thumb_sums);
    j->thumb_sums = NULL;
    ba_error e;
    if (src || ingest_open_master_file(j->tmp_path, p->master_sha256, &src, &e) == 0) {
        (void)ba_compose_preview_write_tmp(ba_catalog_dir(cat), src, BA_PREVIEW_THUMB,
                                           j->name, &j->thumb_tmp, &e);
        g_object_unref(src);
    }
    ba_fault_point("after-thumbnail");
}

/* After the new photo's commit: its thumbnail into previews/ (a failure
 * leaves it to be made on demand, as make_thumbnail() says). */
static void place_thumbnail(ba_catalog *cat, ingest_job *j, const ba_photo *p)
{
    if (!j->thumb_tmp)
        return;
    ba_error e;
    (void)ba_compose_preview_place(ba_catalog_dir(cat), j->thumb_tmp, p->master_sha256,
                                   BA_PREVIEW_THUMB, &e);
    g_free(j->thumb_tmp);
    j->thumb_tmp = NULL;
}

/* Put @name in front of the message unless it is already there: every
 * failure names its file first, whichever check it came from. */
static void name_first(ba_error *err, const char *name)
{
    if (!err)
        return;
    /* Compare with the name as messages show it (control characters blanked),
     * or a name with a newline in it is printed twice. */
    ba_error shown;
    ba_error_set(&shown, BA_OK, "%s", name);
    if (strncmp(err->message, shown.message, strlen(shown.message)) == 0)
        return;
    ba_error_prefix(err, "%s", name); /* keeps the hint (e.g. give a date) */
}

/* The arguments, checked before the file's bytes are touched: a bad client,
 * area, view or date fails fast, without reading a large file first. */
static int check_options(ba_catalog *cat, const ba_ingest_options *opts, ba_client *client,
                         ba_error *err)
{
    const char *stage = opts->stage ? opts->stage : "progress";
    const char *view = opts->view ? opts->view : "frontal";
    if (!ba_stage_valid(stage)) {
        ba_error_set(err, BA_ERR_USAGE, "stage '%s' is not one of before, after, progress", stage);
        return -1;
    }
    if (!ba_view_valid(view)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "view '%s' is not one of frontal, left-45, right-45, left-90, right-90, other",
                     view);
        return -1;
    }
    if (opts->date && ba_catalog_session_date_check(cat, opts->date, err))
        return -1;
    if (opts->treatment && (strlen(opts->treatment) >= BA_TEXT_MAX ||
                            !g_utf8_validate(opts->treatment, -1, NULL))) {
        ba_error_set(err, BA_ERR_USAGE, "treatment must be UTF-8 and under %d bytes", BA_TEXT_MAX);
        return -1;
    }
    ba_photo areas;
    if (ba_catalog_client_get(cat, opts->client, client, err) ||
        ba_catalog_areas_parse(cat, opts->area, &areas, err))
        return -1;
    return 0;
}

/* The record of a prepared job, from the options and what the file said. */
static void fill_photo(ba_ingest_job *jb, const ba_ingest_options *opts, const ba_client *client)
{
    ba_photo *p = &jb->p;
    g_strlcpy(p->client, client->code, sizeof p->client);
    /* p->area and p->areas: set from opts->area by prepare_checked() */
    g_strlcpy(p->view, opts->view ? opts->view : "frontal", sizeof p->view);
    g_strlcpy(p->stage, opts->stage ? opts->stage : "progress", sizeof p->stage);
    g_strlcpy(p->treatment, opts->treatment ? opts->treatment : "", sizeof p->treatment);
    char *base = g_path_get_basename(jb->name);
    char *display = g_filename_display_name(base);
    g_strlcpy(p->original_name, display, sizeof p->original_name);
    g_free(display);
    g_free(base);
    p->capture = jb->j.capture;
}

/* ba_ingest_prepare_buffer() once check_options() has passed.  @original_sha256
 * is the hash of @data when the caller computed it while reading, else NULL. */
static int prepare_checked(ba_catalog *cat, const char *name, const unsigned char *data,
                           size_t len, const char *original_sha256, const ba_ingest_options *opts,
                           const ba_client *client, ba_ingest_job **out,
                           ba_ingest_result *result, ba_error *err)
{
    g_atomic_int_add(&ingest_decoding_now, 1);
    ba_ingest_job *jb = g_new0(ba_ingest_job, 1);
    jb->name = g_strdup(name);
    ingest_job *j = &jb->j;
    j->name = jb->name;
    j->data = data;
    j->len = len;
    ba_photo *p = &jb->p;
    VipsImage *header = NULL;
    int rc = -1;
    /* The facts a duplicate is compared with, known before any decoding. */
    if (ba_catalog_areas_parse(cat, opts->area, p, err))
        goto out;
    fill_photo(jb, opts, client);
    jb->stage_given = opts->stage != NULL;
    jb->view_given = opts->view != NULL;
    jb->add_area = opts->add_area;

    ingest_sweep_tmp_once(ba_catalog_dir(cat));
    ba_fault_point("start");
    /* The original's hash: the same file again is a duplicate, decoded or not
     * (this is what makes a re-run after a crash cheap). */
    if (original_sha256)
        g_strlcpy(p->original_sha256, original_sha256, sizeof p->original_sha256);
    else
        ba_sha256_hex(data, len, p->original_sha256);
    int64_t existing = 0;
    int found = ba_catalog_photo_find_original(cat, p->original_sha256, &existing, err);
    if (found < 0)
        goto out;
    if (found) {
        ba_photo old;
        if (ba_catalog_photo_get(cat, existing, &old, err))
            goto out;
        /* The original of a photo whose master is damaged: decode it again
         * to write the master back (same client only). */
        if (!old.master_problem[0] || strcmp(old.client, client->code) != 0) {
            rc = report_duplicate(cat, jb, existing, result, err);
            goto out;
        }
        jb->repair_id = existing;
    }

    if (ingest_identify(j, opts, &header, err))
        goto out;
    ingest_read_capture(j, header);

    /* The session date: given, else when the photo was taken. */
    if (opts->date) {
        g_strlcpy(p->session_date, opts->date, sizeof p->session_date);
    } else if (j->capture.captured_at[0]) {
        g_strlcpy(p->session_date, j->capture.captured_at, sizeof p->session_date);
        if (ba_catalog_session_date_check(cat, p->session_date, err)) {
            ba_error_prefix(err, "%s: the EXIF capture date", j->name);
            goto out;
        }
    } else {
        ba_error_set(err, BA_ERR_NO_DATE,
                     "%s: no session date: the photo has no EXIF capture date and none was "
                     "given",
                     j->name);
        ba_error_hint(err, BA_HINT_GIVE_DATE);
        goto out;
    }

    if (ingest_render_master(cat, j, header, opts, p, result->warning, sizeof result->warning, err))
        goto out;
    if (!jb->repair_id) /* a repaired photo keeps its previews */
        make_thumbnail(cat, j, p);

    char rel[96];
    ba_path_master(p->master_sha256, rel, sizeof rel);
    j->final_path = g_build_filename(ba_catalog_dir(cat), rel, NULL);
    p->capture = j->capture;
    keep_stage_warning(result);
    j->data = NULL;
    j->len = 0;
    *out = jb;
    jb = NULL;
    rc = 0;
out:
    if (header)
        g_object_unref(header);
    if (rc && jb)
        name_first(err, jb->name);
    ba_ingest_job_free(jb);
    g_atomic_int_add(&ingest_decoding_now, -1);
    return rc;
}

int ba_ingest_prepare_buffer(ba_catalog *cat, const char *name, const unsigned char *data,
                             size_t len, const ba_ingest_options *opts, ba_ingest_job **out,
                             ba_ingest_result *result, ba_error *err)
{
    ba_ingest_options defaults;
    if (!opts) {
        ba_ingest_options_init(&defaults);
        opts = &defaults;
    }
    *out = NULL;
    memset(result, 0, sizeof *result);
    const char *shown = name ? name : "(buffer)";
    if (len == 0) {
        ba_error_set(err, BA_ERR_FORMAT, "%s: empty file", shown);
        return -1;
    }
    ba_client client;
    if (check_options(cat, opts, &client, err)) {
        name_first(err, shown);
        return -1;
    }
    return prepare_checked(cat, shown, data, len, NULL, opts, &client, out, result, err);
}

int ba_ingest_commit(ba_catalog *cat, ba_ingest_job *jb, ba_ingest_result *result, ba_error *err)
{
    ingest_job *j = &jb->j;
    ba_photo *p = &jb->p;
    ba_store_hooks hooks = {ingest_store_master, ingest_unstore_master, j};
    bool duplicate = false;
    result->photo_id = 0;
    result->master[0] = '\0';
    if (jb->repair_id) {
        if (ba_catalog_photo_repair_master(cat, jb->repair_id, p->master_sha256, &hooks, err)) {
            name_first(err, j->name);
            return -1;
        }
        result->status = BA_INGEST_DUPLICATE;
        result->photo_id = jb->repair_id;
        ba_path_master(p->master_sha256, result->master, sizeof result->master);
        add_warning(result, BA_HINT_NONE,
                    "the damaged master of photo %" G_GINT64_FORMAT
                    " was written again from this original",
                    jb->repair_id);
        return 0;
    }
    if (ba_catalog_photo_add(cat, p, &hooks, &duplicate, err)) {
        name_first(err, j->name); /* the file's name in front of the catalog's message */
        return -1;
    }
    ba_fault_point("after-commit");
    ingest_drop_note(j);
    if (duplicate)
        return report_duplicate(cat, jb, p->id, result, err);
    place_thumbnail(cat, j, p);
    result->status = BA_INGEST_INGESTED;
    result->photo_id = p->id;
    ba_path_master(p->master_sha256, result->master, sizeof result->master);
    warn_far_date(cat, p, result);
    ba_session s; /* a session's treatment is kept, never silently replaced */
    if (p->treatment[0] && ba_catalog_session_get(cat, p->session_id, &s, NULL) == 0 &&
        strcmp(s.treatment, p->treatment) != 0)
        add_warning(result, BA_HINT_SESSION_SET, "session %" G_GINT64_FORMAT " (%s) keeps its "
                    "treatment '%s'; '%s' was not recorded", s.id, s.date, s.treatment, p->treatment);
    return 0;
}

int ba_ingest_buffer(ba_catalog *cat, const char *name, const unsigned char *data, size_t len,
                     const ba_ingest_options *opts, ba_ingest_result *result, ba_error *err)
{
    ba_ingest_job *jb = NULL;
    if (ba_ingest_prepare_buffer(cat, name, data, len, opts, &jb, result, err))
        return -1;
    if (!jb)
        return 0; /* a duplicate, known before decoding */
    int rc = ba_ingest_commit(cat, jb, result, err);
    ba_ingest_job_free(jb);
    return rc;
}
/* ---- the public entry points that read files -------------------------------- */

int ba_ingest_prepare(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                      ba_ingest_job **job_out, ba_ingest_result *result, ba_error *err)
{
    ba_ingest_options defaults;
    if (!opts) {
        ba_ingest_options_init(&defaults);
        opts = &defaults;
    }
    *job_out = NULL;
    memset(result, 0, sizeof *result);
    ba_client client;
    if (check_options(cat, opts, &client, err)) {
        name_first(err, path);
        return -1;
    }
    file_bytes in;
    if (ingest_read_input(path, opts->max_megapixels, true, &in, err))
        return -1;
    int rc = prepare_checked(cat, path, in.data, in.len, in.sha256, opts, &client, job_out,
                             result, err);
    g_free(in.data);
    return rc;
}

int ba_ingest_file(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                   ba_ingest_result *result, ba_error *err)
{
    ba_ingest_job *jb = NULL;
    if (ba_ingest_prepare(cat, path, opts, &jb, result, err))
        return -1;
    if (!jb)
        return 0; /* a duplicate, known before decoding */
    int rc = ba_ingest_commit(cat, jb, result, err);
    ba_ingest_job_free(jb);
    return rc;
}

int ba_ingest_load(const char *path, double max_megapixels, VipsImage **out,
                   ba_capture *capture, ba_error *err)
{
    *out = NULL;
    file_bytes in;
    if (ingest_read_input(path, max_megapixels, false, &in, err))
        return -1;
    GBytes *bytes = g_bytes_new_take(in.data, in.len);
    ingest_job j = {.name = path, .data = in.data, .len = in.len};
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.max_megapixels = max_megapixels;
    VipsImage *header = NULL;
    char warning[256] = "";
    int rc = -1;
    if (ingest_identify(&j, &o, &header, err) == 0) {
        ingest_read_capture(&j, header);
        if (capture)
            *capture = j.capture;
        if (ingest_upright_srgb(&j, header, out, warning, sizeof warning, err) == 0) {
            ingest_keep_bytes(*out, bytes);
            rc = 0;
        }
    }
    if (header)
        g_object_unref(header);
    g_bytes_unref(bytes);
    return rc;
}
