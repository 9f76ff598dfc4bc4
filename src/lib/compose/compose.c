/* Comparison images, the public entry points: options and their limits, the
 * photos (plain files or library masters) and their transforms, the record.
 * The stages are in crop.c, panel.c, labels.c and layout.c. */
#include "beforeafter/compose.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "align/loaded.h"
#include "beforeafter/align.h"
#include "beforeafter/detect.h"
#include "beforeafter/library.h"
#include "catalog/writers.h"
#include "library/paths.h"
#include "library/place.h"
#include "common/sha256.h"
#include "compose/internal.h"
#include "compose/loaded.h"
#include "compose/output.h"
#include "ingest/load.h"
#include "ingest/logo.h"

void ba_compose_options_init(ba_compose_options *o)
{
    memset(o, 0, sizeof *o);
    o->labels = BA_LABEL_FULL;
    o->gutter = -1;
    o->background[0] = o->background[1] = o->background[2] = 255;
    o->logo_opacity = 0.6;
    o->align = true;
    o->store_alignment = true;
}

static const char *const LAYOUTS[] = {"side-by-side", "stacked", "timeline", NULL};
static const char *const LABELS[] = {"none", "stage", "date", "full", NULL};

int ba_layout_parse(const char *name)
{
    for (int i = 0; name && LAYOUTS[i]; i++)
        if (strcmp(name, LAYOUTS[i]) == 0)
            return i;
    return -1;
}

int ba_label_style_parse(const char *name)
{
    for (int i = 0; name && LABELS[i]; i++)
        if (strcmp(name, LABELS[i]) == 0)
            return i;
    return -1;
}

/* ---- limits (invariant 7: every output dimension is bounded) ------------- */

static int check_side(const char *what, int px, ba_error *err)
{
    if (px < 0 || px > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE,
                     "a comparison %s of %d px is outside 1..%d px (the largest side of any "
                     "output)",
                     what, px, BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    return 0;
}

/* @w x @h against the pixel limit; @what names the image in the message. */
int cp_check_pixels(const char *what, long long w, long long h, ba_error *err)
{
    if (w > BA_COMPOSE_MAX_SIDE || h > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE,
                     "%s would be %lld x %lld px; no side may exceed %d px", what, w, h,
                     BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    if (w * h > BA_COMPOSE_MAX_PIXELS) {
        ba_error_set(err, BA_ERR_USAGE,
                     "%s would be %lld x %lld px (%.1f megapixels), over the limit of %lld "
                     "megapixels",
                     what, w, h, (double)(w * h) / 1e6, BA_COMPOSE_MAX_PIXELS / 1000000);
        return -1;
    }
    return 0;
}

/* A planned size in px, saturated: a far too large plan stays an int and is
 * refused by the pixel checks instead of overflowing. */
int cp_px(double v)
{
    return v >= 4.0 * BA_COMPOSE_MAX_SIDE ? 4 * BA_COMPOSE_MAX_SIDE : (int)lround(v);
}


static bool redaction_ok(const ba_redaction *r)
{
    /* Rectangles become pixel indices: NaN or infinity would be undefined. */
    return isfinite(r->x) && isfinite(r->y) && isfinite(r->w) && isfinite(r->h) && r->w >= 0 &&
           r->h >= 0 &&
           (r->mode == BA_REDACT_BAR || r->mode == BA_REDACT_BLUR ||
            r->mode == BA_REDACT_BLUR_OUTSIDE);
}

int ba_compose_options_check(const ba_compose_options *o, ba_error *err)
{
    if ((unsigned)o->layout > BA_LAYOUT_TIMELINE || (unsigned)o->labels > BA_LABEL_FULL) {
        ba_error_set(err, BA_ERR_USAGE, "unknown layout (%d) or label style (%d)",
                     (int)o->layout, (int)o->labels);
        return -1;
    }
    if (check_side("width", o->width, err) || check_side("height", o->height, err))
        return -1;
    if (o->width && o->height && cp_check_pixels("the comparison", o->width, o->height, err))
        return -1;
    if (o->gutter > BA_COMPOSE_MAX_GUTTER) {
        ba_error_set(err, BA_ERR_USAGE, "a gutter of %d px is over the limit of %d px", o->gutter,
                     BA_COMPOSE_MAX_GUTTER);
        return -1;
    }
    if (o->quality < 0 || o->quality > 100) {
        ba_error_set(err, BA_ERR_USAGE, "output quality %d is outside 1..100", o->quality);
        return -1;
    }
    if (!(o->logo_opacity >= 0 && o->logo_opacity <= 1)) {
        ba_error_set(err, BA_ERR_USAGE, "logo opacity %g is not a number in 0..1",
                     o->logo_opacity);
        return -1;
    }
    if (o->n_redactions < 0 || o->n_redactions > BA_COMPOSE_MAX_REDACTIONS) {
        ba_error_set(err, BA_ERR_USAGE, "%d redactions: at most %d are allowed", o->n_redactions,
                     BA_COMPOSE_MAX_REDACTIONS);
        return -1;
    }
    for (int i = 0; i < o->n_redactions; i++)
        if (!redaction_ok(&o->redactions[i])) {
            ba_error_set(err, BA_ERR_USAGE, "redaction %d is not a finite rectangle", i + 1);
            return -1;
        }
    for (int i = 0; i < 4; i++)
        if (!isfinite(o->view[i])) {
            ba_error_set(err, BA_ERR_USAGE, "the rectangle to show is not a finite rectangle");
            return -1;
        }
    return 0;
}

static void identity(double m[2][3])
{
    m[0][0] = 1, m[0][1] = 0, m[0][2] = 0;
    m[1][0] = 0, m[1][1] = 1, m[1][2] = 0;
}

/* Without alignment: fit each photo's width to the reference's, centred. */
static void fit_unaligned(cp_source *s, int i)
{
    double f = (double)s[0].img->Xsize / s[i].img->Xsize;
    identity(s[i].m);
    s[i].m[0][0] = s[i].m[1][1] = f;
    s[i].m[0][2] = 0.5 * (f - 1);
    s[i].m[1][2] = (s[0].img->Ysize - s[i].img->Ysize * f) / 2 + 0.5 * (f - 1);
}

static void free_sources(cp_source *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (s[i].img)
            g_object_unref(s[i].img);
    }
    g_free(s);
}

static int check_count(int n, ba_error *err)
{
    if (n < 2 || n > BA_COMPOSE_MAX_PANELS) {
        ba_error_set(err, BA_ERR_USAGE, "a comparison needs 2 to %d photos, not %d",
                     BA_COMPOSE_MAX_PANELS, n);
        return -1;
    }
    return 0;
}

/* A photo twice would compare it with itself and look like "no change". */
static int check_distinct(const int64_t *ids, int n, ba_error *err)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (ids[i] == ids[j]) {
                ba_error_set(err, BA_ERR_USAGE,
                             "photo %" G_GINT64_FORMAT " is given twice; a comparison shows "
                             "different photos",
                             ids[i]);
                return -1;
            }
    return 0;
}

/* Open @p's master.  A missing or unreadable master is damage to the library,
 * not a mistake of the caller: BA_ERR_CORRUPT, naming the photo. */
int cp_open_master(ba_catalog *cat, const ba_photo *p, VipsImage **img, ba_error *err)
{
    ba_error why;
    if (ba_ingest_open_master(ba_catalog_dir(cat), p->master_sha256, img, &why) == 0)
        return 0;
    char rel[96];
    ba_catalog_master_relpath(p->master_sha256, rel, sizeof rel);
    if (why.code == BA_ERR_NOT_FOUND)
        ba_error_set(err, BA_ERR_CORRUPT,
                     "photo %" G_GINT64_FORMAT ": its master %s is missing",
                     p->id, rel);
    else
        ba_error_set(err, why.code == BA_ERR_NOMEM ? BA_ERR_NOMEM : BA_ERR_CORRUPT,
                     "photo %" G_GINT64_FORMAT ": its master %s cannot be read (%s)",
                     p->id, rel, why.message);
    ba_error_hint(err, BA_HINT_RUN_VERIFY);
    return -1;
}

/* The opening every entry point shares: the defaults (into @defaults) when
 * @opts is NULL, an empty result, and the checks that need no pixel: the
 * count, distinct @ids (NULL for files), the options, the output path (never
 * into @library).  Returns the options to use, or NULL. */
static const ba_compose_options *begin(const ba_compose_options *opts,
                                       ba_compose_options *defaults, const int64_t *ids, int n,
                                       const char *library, const char *output,
                                       ba_comparison *out, ba_error *err)
{
    if (!opts) {
        ba_compose_options_init(defaults);
        opts = defaults;
    }
    memset(out, 0, sizeof *out);
    if (check_count(n, err) || (ids && check_distinct(ids, n, err)) ||
        ba_compose_options_check(opts, err) || ba_library_check_output(library, output, false, err))
        return NULL;
    return opts;
}

/*
 * A plain file opens as a lazy image that can be read once, top to bottom,
 * but align and render both read every input.  So each input is decoded
 * once into memory, the reference first (every alignment reads it), within
 * a budget that keeps memory bounded whatever the number and size of the
 * inputs; past it, an input is decoded a second time for its alignment.
 */
#define FILES_MEMORY_BUDGET (512LL << 20)

/* Decode @s's lazy image into memory when it fits in *@budget. */
static int decode_once(cp_source *s, long long *budget, bool *kept, ba_error *err)
{
    long long bytes = (long long)s->img->Xsize * s->img->Ysize * s->img->Bands;
    *kept = false;
    if (bytes > *budget)
        return 0;
    VipsImage *mem = vips_image_copy_memory(s->img);
    if (!mem) {
        char *why = vips_error_buffer_copy();
        g_strstrip(why);
        g_strdelimit(why, "\n", ' ');
        ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot decode the image: %s", s->name,
                     *why ? why : "libvips failed");
        g_free(why);
        return -1;
    }
    g_object_unref(s->img);
    s->img = mem;
    *budget -= bytes;
    *kept = true;
    return 0;
}

/* The image of input @i for its alignment: the one in memory, else a
 * second decode of the file (a new reference, or NULL on error). */
static VipsImage *for_alignment(const cp_source *s, const bool *kept, int i, ba_error *err)
{
    VipsImage *img = NULL;
    if (kept[i]) {
        g_object_ref(s[i].img);
        return s[i].img;
    }
    return ba_ingest_load(s[i].name, 0, &img, NULL, err) ? NULL : img;
}

/* Align input @i onto input 0, from the decoded images. */
static int align_file(const cp_source *s, const bool *kept, int i, double m[2][3],
                      ba_error *err)
{
    VipsImage *ref = for_alignment(s, kept, 0, err);
    VipsImage *photo = ref ? for_alignment(s, kept, i, err) : NULL;
    int rc = -1;
    ba_align_options ao;
    ba_align_options_init(&ao);
    ba_alignment a;
    if (photo && al_align_images(ref, s[0].name, photo, s[i].name, &ao, &a, err) == 0) {
        memcpy(m, a.matrix, sizeof a.matrix);
        rc = 0;
    }
    if (ref)
        g_object_unref(ref);
    if (photo)
        g_object_unref(photo);
    return rc;
}

int ba_compose_files(const char *const *paths, int n, const ba_compose_options *opts,
                     const char *output, ba_comparison *out, ba_error *err)
{
    ba_compose_options defaults;
    opts = begin(opts, &defaults, NULL, n, NULL, output, out, err);
    if (!opts)
        return -1;
    cp_source *s = g_new0(cp_source, n);
    bool kept[BA_COMPOSE_MAX_PANELS] = {false};
    long long budget = FILES_MEMORY_BUDGET;
    int rc = -1;
    for (int i = 0; i < n; i++) {
        s[i].name = paths[i];
        if (ba_ingest_load(paths[i], 0, &s[i].img, &s[i].capture, err))
            goto out;
        g_strlcpy(s[i].date, s[i].capture.captured_at, sizeof s[i].date);
    }
    /* Unaligned, each input is read once anyway: nothing to keep. */
    for (int i = 0; opts->align && i < n; i++)
        if (decode_once(&s[i], &budget, &kept[i], err))
            goto out;
    identity(s[0].m);
    for (int i = 1; i < n; i++) {
        if (!opts->align)
            fit_unaligned(s, i);
        else if (align_file(s, kept, i, s[i].m, err))
            goto out;
    }
    rc = cp_render(s, n, opts, output, out, err);
out:
    free_sources(s, n);
    return rc;
}

/* Parameters of a render, as recorded with it: compact JSON built with
 * json-glib (any UTF-8 caption of any length round-trips), members in one
 * fixed order so that the same options always give the same text (the
 * comparison's identity hashes it).  Everything that changes the pixels is
 * here, so that an export can render the comparison again exactly; the logo
 * is named by the SHA-256 of its copy in the library (@logo_sha, stored by
 * record()), from which an export renders it.  Returns the text (g_free it). */
static char *parameters_json(const ba_compose_options *o, const char *logo_sha)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "layout");
    json_builder_add_string_value(b, LAYOUTS[o->layout]);
    json_builder_set_member_name(b, "labels");
    json_builder_add_string_value(b, LABELS[o->labels]);
    json_builder_set_member_name(b, "width");
    json_builder_add_int_value(b, o->width);
    json_builder_set_member_name(b, "height");
    json_builder_add_int_value(b, o->height);
    json_builder_set_member_name(b, "gutter");
    json_builder_add_int_value(b, o->gutter);
    json_builder_set_member_name(b, "background");
    json_builder_begin_array(b);
    for (int i = 0; i < 3; i++)
        json_builder_add_int_value(b, o->background[i]);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "aligned");
    json_builder_add_boolean_value(b, o->align);
    json_builder_set_member_name(b, "logo");
    if (logo_sha) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "sha256");
        json_builder_add_string_value(b, logo_sha);
        json_builder_set_member_name(b, "opacity");
        json_builder_add_double_value(b, o->logo_opacity);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_set_member_name(b, "quality");
    json_builder_add_int_value(b, o->quality);
    json_builder_set_member_name(b, "caption");
    if (o->caption && *o->caption)
        json_builder_add_string_value(b, o->caption);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
    JsonGenerator *g = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    char *text = json_generator_to_data(g, NULL);
    json_node_unref(root);
    g_object_unref(g);
    g_object_unref(b);
    return text;
}

/* The comparison's identity: SHA-256 over the photo ids in panel order and
 * the canonical parameters. */
static void comparison_identity(const int64_t *ids, int n, const char *params, char out[65])
{
    ba_sha256 *h = ba_sha256_new();
    static const char tag[] = "beforeafter comparison 1\n";
    ba_sha256_update(h, tag, sizeof tag - 1);
    for (int i = 0; i < n; i++) {
        char id[32];
        int len = snprintf(id, sizeof id, "%" G_GINT64_FORMAT ",", ids[i]);
        ba_sha256_update(h, id, (size_t)len);
    }
    ba_sha256_update(h, "\n", 1);
    ba_sha256_update(h, params, strlen(params));
    ba_sha256_finish(h, out);
}

/* Keep a copy of the render in the library: renders/ab/<sha>.<ext>. */
static int store_render(ba_catalog *cat, const char *output, const char *sha, char *rel,
                        size_t rel_size, ba_error *err)
{
    const char *dot = strrchr(output, '.');
    char *ext = g_ascii_strdown(dot ? dot + 1 : "png", -1);
    ba_path_render(sha, ext, rel, rel_size);
    g_free(ext);
    /* A copy, not a link to the user's file: what they do to their output
     * later must not change the library's record of it.  The bytes are read
     * back and must still be the ones rendered. */
    char *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(output, &data, &len, &gerr)) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot keep a copy: %s", rel, gerr->message);
        g_error_free(gerr);
        return -1;
    }
    char check[65];
    ba_sha256_hex(data, len, check);
    char *dest = g_build_filename(ba_catalog_dir(cat), rel, NULL);
    int rc = -1;
    if (strcmp(check, sha) != 0)
        ba_error_set(err, BA_ERR_IO, "%s: changed after it was written; nothing recorded", output);
    else if (ba_place_make_parent(dest, BA_MODE_DIR, err) == 0 &&
             ba_place_bytes(dest, data, len, NULL, BA_MODE_FILE, BA_PLACE_KEEP_EXISTING, NULL, NULL,
                            err) == 0)
        rc = 0;
    g_free(dest);
    g_free(data);
    return rc;
}

/* The alignment of photo @i onto the first: the one @given (an array, or NULL
 * to look in the catalog), else computed from the masters already open and
 * stored when the options say so. */
static int alignment_of(ba_catalog *cat, const cp_source *s, int i,
                        const ba_alignment *const *given, const ba_compose_options *o,
                        ba_alignment *a, ba_error *err)
{
    ba_error e;
    if (given ? given[i] != NULL
              : ba_catalog_alignment_get(cat, s[i].photo.id, s[0].photo.id, a, &e) == 0) {
        if (given)
            *a = *given[i];
        return 0;
    }
    ba_align_options ao;
    ba_align_options_init(&ao);
    /* A facial area aligns on the face when one is found on the reference
     * (the method then ends in "+face-roi"), not on the background. */
    if (ba_detect_area_is_facial(s[0].photo.area))
        ao.face_roi = BA_ALIGN_FACE_IF_FOUND;
    if (al_align_masters(&s[i].photo, s[i].img, &s[0].photo, s[0].img, &ao, a, err))
        return -1;
    return o->store_alignment ? ba_catalog_alignment_put(cat, a, err) : 0;
}

/* Record the render in comparisons, with a copy of it in renders/. */
static int record(ba_catalog *cat, const int64_t *ids, int n, const ba_compose_options *opts,
                  const char *output, ba_comparison *out, ba_error *err)
{
    ba_comparison_record rec;
    memset(&rec, 0, sizeof rec);
    g_strlcpy(rec.layout, LAYOUTS[opts->layout], sizeof rec.layout);
    rec.n_photos = n;
    memcpy(rec.photos, ids, sizeof(int64_t) * (size_t)n);
    /* The logo goes into the library (alpha kept, metadata gone), so the
     * comparison can be exported whatever becomes of the file named. */
    char logo_sha[65];
    if (opts->logo && ba_ingest_logo_store(cat, opts->logo, logo_sha, err))
        return -1;
    rec.parameters = parameters_json(opts, opts->logo ? logo_sha : NULL);
    rec.parameters = cp_parameters_add(rec.parameters, opts, out, n);
    comparison_identity(ids, n, rec.parameters, rec.identity);
    g_strlcpy(rec.output, output, sizeof rec.output);
    g_strlcpy(rec.sha256, out->sha256, sizeof rec.sha256);
    rec.width = out->width;
    rec.height = out->height;
    rec.aligned = out->aligned;
    int rc = store_render(cat, output, out->sha256, rec.render, sizeof rec.render, err) ||
                     ba_catalog_comparison_add(cat, &rec, &out->existing, err)
                 ? -1
                 : 0;
    if (rc == 0)
        out->id = rec.id;
    ba_comparison_record_clear(&rec);
    return rc;
}

/* Render photos @ids of @cat, their rows taken from @photos and their
 * alignments from @aligns when not NULL (what the caller has read already),
 * else read here.  The opening checks are done. */
static int compose_library(ba_catalog *cat, const int64_t *ids, int n, const ba_photo *photos,
                           const ba_alignment *const *aligns, const ba_compose_options *opts,
                           const char *output, ba_comparison *out, ba_error *err)
{
    if (ba_output_format(output) == BA_OUT_UNKNOWN) {
        ba_error_set(err, BA_ERR_USAGE, "%s: unknown output format; use .png, .jpg or .webp",
                     output);
        return -1;
    }
    cp_source *s = g_new0(cp_source, n);
    int rc = -1;
    char names[BA_COMPOSE_MAX_PANELS][32];
    for (int i = 0; i < n; i++) {
        if (photos)
            s[i].photo = photos[i];
        else if (ba_catalog_photo_get_current(cat, ids[i], &s[i].photo, err))
            goto out;
        s[i].has_photo = true;
        s[i].capture = s[i].photo.capture;
        g_strlcpy(s[i].date, s[i].photo.session_date, sizeof s[i].date);
        snprintf(names[i], sizeof names[i], "photo %" G_GINT64_FORMAT, ids[i]);
        s[i].name = names[i];
        out->photos[i] = ids[i];
        if (i > 0 && !opts->force &&
            (strcmp(s[i].photo.client, s[0].photo.client) != 0 ||
             !ba_photo_shares_area(&s[i].photo, &s[0].photo))) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "photo %" G_GINT64_FORMAT " (%s, %s) and photo %" G_GINT64_FORMAT
                         " (%s, %s) are of different clients or areas",
                         ids[0], s[0].photo.client, s[0].photo.area, ids[i], s[i].photo.client,
                         s[i].photo.area);
            ba_error_hint(err, BA_HINT_CONFIRM_MIXED);
            goto out;
        }
        if (s[i].photo.master_problem[0]) {
            ba_error_set(err, BA_ERR_CORRUPT, "photo %" G_GINT64_FORMAT ": its master is %s",
                         ids[i], s[i].photo.master_problem);
            goto out;
        }
        if (cp_open_master(cat, &s[i].photo, &s[i].img, err))
            goto out;
        s[i].is_master = true;
    }
    cp_area_sessions(cat, s, n);
    identity(s[0].m);
    for (int i = 1; i < n; i++) {
        if (!opts->align) {
            fit_unaligned(s, i);
            continue;
        }
        ba_alignment a;
        if (alignment_of(cat, s, i, aligns, opts, &a, err))
            goto out;
        memcpy(s[i].m, a.matrix, sizeof s[i].m);
    }
    if (cp_render(s, n, opts, output, out, err))
        goto out;
    rc = opts->no_record ? 0 : record(cat, ids, n, opts, output, out, err);
out:
    free_sources(s, n);
    return rc;
}

int ba_compose_photos(ba_catalog *cat, const int64_t *ids, int n, const ba_compose_options *opts,
                      const char *output, ba_comparison *out, ba_error *err)
{
    ba_compose_options defaults;
    opts = begin(opts, &defaults, ids, n, ba_catalog_dir(cat), output, out, err);
    if (!opts)
        return -1;
    return compose_library(cat, ids, n, NULL, NULL, opts, output, out, err);
}

int ba_compose_loaded(ba_catalog *cat, const ba_photo *photos, const ba_alignment *const *aligns,
                      int n, const ba_compose_options *opts, const char *output,
                      ba_comparison *out, ba_error *err)
{
    int64_t ids[BA_COMPOSE_MAX_PANELS];
    for (int i = 0; i < n && i < BA_COMPOSE_MAX_PANELS; i++)
        ids[i] = photos[i].id;
    ba_compose_options defaults;
    opts = begin(opts, &defaults, n <= BA_COMPOSE_MAX_PANELS ? ids : NULL, n, ba_catalog_dir(cat),
                 output, out, err);
    if (!opts)
        return -1;
    return compose_library(cat, ids, n, photos, aligns, opts, output, out, err);
}
