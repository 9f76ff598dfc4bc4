/* Alignment of a photo onto a reference photo: the public entry points and
 * the decisions (what is plausible, when to refuse, the score).
 *
 * Pipeline (details in docs/ALIGN.md):
 *  1. both images are decoded once into a grey copy at up to twice the
 *     feature size (in two threads) - the only pixels copied out of libvips;
 *  2. SIFT (VLFeat) on the level nearest the feature size (560 px long edge
 *     by default), RootSIFT descriptors, ratio-test matching in a k-d forest;
 *  3. RANSAC on pairs of matches (fixed seed), keypoint scale and orientation
 *     checked too, least squares on the inliers;
 *  4. Gauss-Newton on band-passed grey levels, coarse to fine, up to the
 *     refinement resolution, with gain/offset and Huber weights;
 *  5. refusal checks, score, and the matrix in full-resolution pixels.
 *
 * Score: NCC x support - see align.h. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "align/internal.h"
#include "align/loaded.h"
#include "detect/loaded.h"
#include "catalog/writers.h"
#include "ingest/load.h"

/* One image to align: its pixels, possibly decoded at 1 / shrink, and its
 * full-resolution size. */
typedef struct source {
    VipsImage *img;
    int shrink;
    int w, h;
} source;

void ba_align_options_init(ba_align_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = BA_ALIGN_DEFAULT_SEED;
}

static double score_of(double ncc, int inliers, bool points)
{
    double c = ncc > 0 ? (ncc < 1 ? ncc : 1) : 0;
    double support = points ? 1.0 : MIN(1.0, inliers / 40.0);
    return c * support;
}

static void fill_result(const al_xf *f, ba_alignment *out)
{
    /* Exactly a similarity: average away rounding. */
    double a = 0.5 * (f->m[0] + f->m[4]), b = 0.5 * (f->m[3] - f->m[1]);
    out->matrix[0][0] = a;
    out->matrix[0][1] = -b;
    out->matrix[0][2] = f->m[2];
    out->matrix[1][0] = b;
    out->matrix[1][1] = a;
    out->matrix[1][2] = f->m[5];
    out->scale = hypot(a, b);
    /* y points down: a positive atan2(b, a) turns clockwise on screen. */
    out->angle_deg = atan2(-b, a) * 180.0 / G_PI;
    if (out->angle_deg == 0)
        out->angle_deg = 0; /* no "-0" */
    out->tx = f->m[2];
    out->ty = f->m[5];
}

/* Refuse a transform outside the plausible range. */
/* The plausible range is about the camera (distance, zoom), not about file
 * sizes: a 12 MP phone photo and a 24 MP camera photo of the same framing
 * differ by 1.41 in pixels and not at all on the skin.  So the scale is
 * judged relative to what the two images' sizes alone would give: @res is the
 * photo's long edge over the reference's. */
static int check_plausible(const al_xf *f, double res, const char *pname, const char *rname,
                           ba_error *err)
{
    double a = f->m[0], b = f->m[3];
    double s = hypot(a, b) * res, ang = atan2(-b, a) * 180.0 / G_PI;
    if (!(s >= BA_ALIGN_MIN_SCALE && s <= BA_ALIGN_MAX_SCALE)) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s onto %s: the photo would have to be scaled by %.2f relative to its frame "
                     "(plausible: %.1f to %.1f)",
                     pname, rname, s, BA_ALIGN_MIN_SCALE, BA_ALIGN_MAX_SCALE);
        ba_error_hint(err, BA_HINT_GIVE_POINTS);
        return -1;
    }
    if (!(fabs(ang) <= BA_ALIGN_MAX_ANGLE_DEG)) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s onto %s: the photo would have to be rotated by %.1f degrees (plausible: "
                     "at most %.0f)",
                     pname, rname, ang, BA_ALIGN_MAX_ANGLE_DEG);
        ba_error_hint(err, BA_HINT_GIVE_POINTS);
        return -1;
    }
    return 0;
}

static gpointer prepare_thread(gpointer data)
{
    al_view_prepare(data);
    return NULL;
}

/* Prepare both views, the reference in a second thread. */
static int prepare_both(al_view *photo, al_view *ref, ba_error *err)
{
    GThread *t = g_thread_try_new("ba-align", prepare_thread, ref, NULL);
    al_view_prepare(photo);
    if (t)
        g_thread_join(t);
    else
        al_view_prepare(ref);
    if (photo->rc) {
        ba_error_copy(err, &photo->err);
        return -1;
    }
    if (ref->rc) {
        ba_error_copy(err, &ref->err);
        return -1;
    }
    return 0;
}

static gpointer bandpass_thread(gpointer data)
{
    al_view_bandpass(data);
    return NULL;
}

/* Band-pass both pyramids so that their pass bands are the same in the
 * reference's frame under @xf (photo full px -> reference full px): the
 * coarser image keeps the base sigmas, the finer one is blurred more. */
static int bandpass_both(al_view *photo, al_view *ref, const al_xf *xf, ba_error *err)
{
    /* Size of a photo level pixel in reference level pixels. */
    double s = hypot(xf->m[0], xf->m[3]) * ref->lev_frame[0].m[0] / photo->lev_frame[0].m[0];
    if (!(s > 0) || !isfinite(s))
        s = 1.0;
    photo->bp_factor = s >= 1.0 ? 1.0 : 1.0 / s;
    ref->bp_factor = s >= 1.0 ? s : 1.0;
    GThread *t = g_thread_try_new("ba-align", bandpass_thread, ref, NULL);
    al_view_bandpass(photo);
    if (t)
        g_thread_join(t);
    else
        al_view_bandpass(ref);
    if (photo->rc) {
        ba_error_copy(err, &photo->err);
        return -1;
    }
    if (ref->rc) {
        ba_error_copy(err, &ref->err);
        return -1;
    }
    return 0;
}

static int check_roi(const ba_align_options *o, const source *ref, const char *rname,
                     const double **roi, ba_error *err)
{
    *roi = NULL;
    if (!(o->roi[2] > 0 && o->roi[3] > 0))
        return 0;
    const double *r = o->roi;
    if (!(r[0] >= 0 && r[1] >= 0 && r[0] + r[2] <= ref->w + 0.5 && r[1] + r[3] <= ref->h + 0.5)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "region of interest %g,%g,%g,%g lies outside %s (%d x %d)", r[0], r[1], r[2],
                     r[3], rname, ref->w, ref->h);
        return -1;
    }
    if (r[2] < 32 || r[3] < 32) {
        ba_error_set(err, BA_ERR_USAGE,
                     "region of interest %g,%g,%g,%g on %s is too small (at least 32 x 32 px)", r[0],
                     r[1], r[2], r[3], rname);
        return -1;
    }
    *roi = r;
    return 0;
}

static int align_points(const ba_align_options *o, const char *pname, const char *rname,
                        const source *pimg, const source *rimg, ba_alignment *out, ba_error *err)
{
    int n = o->n_points;
    if (n < 2 || !o->points) {
        ba_error_set(err, BA_ERR_USAGE, "at least two landmark pairs are needed");
        return -1;
    }
    double *src = g_new(double, 2 * n), *dst = g_new(double, 2 * n);
    int rc = -1;
    for (int i = 0; i < n; i++) {
        const double *p = o->points + 4 * i;
        for (int k = 0; k < 2; k++) {
            const source *im = k ? pimg : rimg;
            double x = p[2 * k], y = p[2 * k + 1];
            if (!(x >= -0.5 && y >= -0.5 && x <= im->w - 0.5 && y <= im->h - 0.5)) {
                ba_error_set(err, BA_ERR_USAGE, "landmark %g,%g lies outside %s (%d x %d)", x, y,
                             k ? pname : rname, im->w, im->h);
                goto out;
            }
        }
        src[2 * i] = p[2], src[2 * i + 1] = p[3];
        dst[2 * i] = p[0], dst[2 * i + 1] = p[1];
    }
    al_xf f;
    if (!al_fit_similarity(src, dst, NULL, n, &f) || !(hypot(f.m[0], f.m[3]) > 1e-6)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "the landmark points on %s coincide: give pairs that are apart", pname);
        goto out;
    }
    /* Consistency: with three or more pairs, the fit must pass near them. */
    double sse = 0, spread = 0, mx = 0, my = 0;
    for (int i = 0; i < n; i++)
        mx += dst[2 * i] / n, my += dst[2 * i + 1] / n;
    for (int i = 0; i < n; i++) {
        double x, y;
        al_xf_apply(&f, src[2 * i], src[2 * i + 1], &x, &y);
        sse += (x - dst[2 * i]) * (x - dst[2 * i]) + (y - dst[2 * i + 1]) * (y - dst[2 * i + 1]);
        spread += (dst[2 * i] - mx) * (dst[2 * i] - mx) + (dst[2 * i + 1] - my) * (dst[2 * i + 1] - my);
    }
    double rms = sqrt(sse / n), rad = sqrt(spread / n);
    if (n > 2 && rms > 0.1 * rad + 2.0) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s onto %s: the landmark points do not fit one similarity (residual %.1f px "
                     "over a spread of %.0f px); check their order",
                     pname, rname, rms, rad);
        goto out;
    }
    if (check_plausible(&f, (double)MAX(pimg->w, pimg->h) / MAX(rimg->w, rimg->h), pname, rname,
                        err))
        goto out;
    fill_result(&f, out);
    out->inliers = 0;
    g_strlcpy(out->method, "points", sizeof out->method);
    rc = 0;
out:
    g_free(src);
    g_free(dst);
    return rc;
}

static int work_size(const ba_align_options *opts)
{
    return opts && opts->work_size > 0 ? opts->work_size : AL_WORK_SIZE;
}

/* The core: align @pimg onto @rimg (sRGB images). */
static int align_core(const source *pimg, const source *rimg, const char *pname,
                        const char *rname, const ba_align_options *opts, ba_alignment *out,
                        ba_error *err)
{
    gint64 t0 = g_get_monotonic_time();
    ba_align_options defaults;
    if (!opts) {
        ba_align_options_init(&defaults);
        opts = &defaults;
    }
    ba_align_details scratch, *det = opts->details ? opts->details : &scratch;
    memset(det, 0, sizeof *det);
    memset(out, 0, sizeof *out);
    int work = work_size(opts);
    if (work < 64 || work > 8192) {
        ba_error_set(err, BA_ERR_USAGE, "working size %d px is outside 64..8192", work);
        return -1;
    }
    bool points = opts->points != NULL || opts->n_points > 0;
    for (int k = 0; k < 2; k++) {
        const source *im = k ? rimg : pimg;
        if (im->w < AL_MIN_SIZE || im->h < AL_MIN_SIZE) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "%s onto %s: %s is too small to align (%d x %d, at least %d x %d)",
                         pname, rname, k ? "the reference" : "the photo", im->w, im->h,
                         AL_MIN_SIZE,
                         AL_MIN_SIZE);
            ba_error_hint(err, BA_HINT_GIVE_POINTS);
            return -1;
        }
    }
    const double *roi = NULL;
    if (check_roi(opts, rimg, rname, &roi, err))
        return -1;
    al_view photo = {.name = pname, .src = pimg->img, .shrink = pimg->shrink, .full_w = pimg->w,
                     .full_h = pimg->h, .work_size = work, .want_features = !points};
    al_view ref = {.name = rname, .src = rimg->img, .shrink = rimg->shrink, .full_w = rimg->w,
                   .full_h = rimg->h, .work_size = work, .want_features = !points, .roi = roi};
    int rc = -1;

    if (points) {
        /* The fit needs no pixels; check it before decoding. */
        if (align_points(opts, pname, rname, pimg, rimg, out, err))
            goto done;
        if (prepare_both(&photo, &ref, err))
            goto done;
        al_xf f = al_xf_similarity(out->matrix[1][1], out->matrix[1][0], out->matrix[0][2],
                                   out->matrix[1][2]);
        if (bandpass_both(&photo, &ref, &f, err))
            goto done;
        al_measure(&photo, &ref, &f, roi, &det->ncc, &det->overlap);
        out->score = score_of(det->ncc, 0, true);
        rc = 0;
        goto done;
    }

    if (prepare_both(&photo, &ref, err))
        goto done;
    det->keypoints_photo = photo.nkp;
    det->keypoints_reference = ref.nkp;
    det->work_width = photo.feat_w;
    det->work_height = photo.feat_h;
    for (int k = 0; k < 2; k++) {
        const al_view *v = k ? &ref : &photo;
        if (v->nkp < AL_MIN_KEYPOINTS) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "%s onto %s: %s shows too little detail to align (%d feature%s)",
                         pname, rname,
                         !k ? "the photo"
                         : roi ? "the region of interest on the reference"
                               : "the reference",
                         v->nkp, v->nkp == 1 ? "" : "s");
            ba_error_hint(err, BA_HINT_GIVE_POINTS);
            goto done;
        }
    }
    /* The ROI in reference feature px. */
    double roi_feat[4], *rf = NULL;
    if (roi) {
        al_xf_apply(&ref.feat_frame, roi[0] - 0.5, roi[1] - 0.5, &roi_feat[0], &roi_feat[1]);
        al_xf_apply(&ref.feat_frame, roi[0] + roi[2] - 0.5, roi[1] + roi[3] - 0.5, &roi_feat[2],
                    &roi_feat[3]);
        rf = roi_feat;
    }
    al_match *m = NULL;
    int nm = al_match_features(&photo, &ref, rf, opts->seed, &m);
    det->matches = nm;
    al_fit fit;
    int inl = al_ransac(&photo, &ref, m, nm, opts->seed, &fit);
    g_free(m);
    det->inliers = inl;
    if (inl < AL_MIN_INLIERS) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s onto %s: only %d consistent feature match%s (at least %d needed): the "
                     "photos may show different areas or too little detail",
                     pname, rname, inl, inl == 1 ? "" : "es", AL_MIN_INLIERS);
        ba_error_hint(err, BA_HINT_GIVE_POINTS);
        goto done;
    }
    /* Feature px -> full px. */
    al_xf finv, t1;
    al_xf_invert(&ref.feat_frame, &finv);
    t1 = al_xf_compose(&fit.xf, &photo.feat_frame);
    al_xf coarse = al_xf_compose(&finv, &t1);
    double res = (double)MAX(photo.full_w, photo.full_h) / MAX(ref.full_w, ref.full_h);
    if (check_plausible(&coarse, res, pname, rname, err) ||
        bandpass_both(&photo, &ref, &coarse, err))
        goto done;
    al_refine_result rr;
    al_refine(&photo, &ref, &coarse, true, roi, &rr);
    det->ncc = rr.ncc;
    det->overlap = rr.overlap;
    det->drift_px = al_xf_corner_diff(&rr.xf, &coarse, photo.full_w, photo.full_h);
    double long_ref = MAX(ref.full_w, ref.full_h);
    if (!(det->drift_px <= AL_MAX_DRIFT * long_ref)) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s onto %s: feature matches and pixel comparison disagree by %.0f px",
                     pname, rname, det->drift_px);
        ba_error_hint(err, BA_HINT_GIVE_POINTS);
        goto done;
    }
    if (check_plausible(&rr.xf, res, pname, rname, err))
        goto done;
    if (!(rr.overlap >= AL_MIN_OVERLAP)) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s onto %s: the photos overlap too little (%.0f%% of the smaller view)",
                     pname, rname, 100 * rr.overlap);
        ba_error_hint(err, BA_HINT_GIVE_POINTS);
        goto done;
    }
    if (!(rr.ncc >= AL_MIN_NCC)) {
        ba_error_set(err, BA_ERR_REFUSED,
                     "%s onto %s: the aligned pixels do not agree (correlation %.2f, at least %.2f "
                     "needed): the photos may show different areas",
                     pname, rname, rr.ncc, AL_MIN_NCC);
        ba_error_hint(err, BA_HINT_GIVE_POINTS);
        goto done;
    }
    fill_result(&rr.xf, out);
    out->inliers = inl;
    out->score = score_of(rr.ncc, inl, false);
    g_strlcpy(out->method, "sift-ransac-lk", sizeof out->method);
    rc = 0;
done:
    al_view_clear(&photo);
    al_view_clear(&ref);
    det->seconds = (g_get_monotonic_time() - t0) / 1e6;
    return rc;
}

/* align_core() on the face found on the reference when @opts asks for it. */
static int align_images(const source *pimg, const source *rimg, const char *pname,
                        const char *rname, const ba_align_options *opts, ba_alignment *out,
                        ba_error *err)
{
    if (!opts || opts->face_roi == BA_ALIGN_FACE_OFF || opts->points ||
        (opts->roi[2] > 0 && opts->roi[3] > 0))
        return align_core(pimg, rimg, pname, rname, opts, out, err);
    ba_detection d;
    ba_align_options o = *opts;
    /* The reference is read twice (detection, then alignment) and may be a
     * sequential decode (shrink-on-load): both read one decoded copy. */
    source ref = *rimg;
    ref.img = vips_image_copy_memory(rimg->img);
    if (!ref.img) {
        ba_error_set(err, BA_ERR_CORRUPT, "%s: cannot decode it: %s", rname, vips_error_buffer());
        vips_error_clear();
        return -1;
    }
    int rc = -1;
    if (dt_detect_image(ref.img, ref.w, ref.h, rname, &d, err))
        goto out;
    bool found = ba_detect_face_box(&d, BA_ALIGN_FACE_GROW, ref.w, ref.h, o.roi);
    if (!found && opts->face_roi == BA_ALIGN_FACE_REQUIRED) {
        if (opts->details)
            memset(opts->details, 0, sizeof *opts->details);
        ba_error_set(err, BA_ERR_REFUSED, "%s: no face found to align on", rname);
        goto out;
    }
    if (align_core(pimg, &ref, pname, rname, &o, out, err)) {
        /* Where the face is only preferred, a photo that does not show the
         * reference's face (a close-up of one cheek) aligns on everything. */
        if (!found || opts->face_roi == BA_ALIGN_FACE_REQUIRED || err->code != BA_ERR_REFUSED)
            goto out;
        found = false;
        if (align_core(pimg, &ref, pname, rname, opts, out, err))
            goto out;
    }
    if (found)
        g_strlcat(out->method, "+face-roi", sizeof out->method);
    rc = 0;
out:
    g_object_unref(ref.img);
    return rc;
}

int al_align_images(VipsImage *reference, const char *rname, VipsImage *photo,
                    const char *pname, const ba_align_options *opts, ba_alignment *out,
                    ba_error *err)
{
    source r = {reference, 1, reference->Xsize, reference->Ysize};
    source p = {photo, 1, photo->Xsize, photo->Ysize};
    return align_images(&p, &r, pname, rname, opts, out, err);
}

int ba_align_files(const char *reference_path, const char *photo_path,
                   const ba_align_options *opts, ba_alignment *out, ba_error *err)
{
    if (!reference_path || !photo_path || !out) {
        ba_error_set(err, BA_ERR_USAGE, "ba_align_files: missing argument");
        return -1;
    }
    double mp = opts ? opts->max_megapixels : 0;
    VipsImage *ref = NULL, *photo = NULL;
    if (ba_ingest_load(reference_path, mp, &ref, NULL, err))
        return -1;
    if (ba_ingest_load(photo_path, mp, &photo, NULL, err)) {
        g_object_unref(ref);
        return -1;
    }
    int rc = al_align_images(ref, reference_path, photo, photo_path, opts, out, err);
    g_object_unref(ref);
    g_object_unref(photo);
    return rc;
}

/* A master (from ba_ingest_open_master(), referenced here) to align: when it
 * is a JPEG needed at half size or less, decoded at 1/2, 1/4 or 1/8 with
 * libjpeg's DCT scaling (far cheaper than decoding it whole; view.c accounts
 * for the exact geometry). */
static void master_source(VipsImage *full, const ba_align_options *opts, source *out)
{
    g_object_ref(full);
    out->img = full;
    out->shrink = 1;
    out->w = full->Xsize;
    out->h = full->Ysize;
    double s = (double)(AL_REFINE_FACTOR * work_size(opts)) / MAX(out->w, out->h);
    int shrink = s <= 0.125 ? 8 : s <= 0.25 ? 4 : s <= 0.5 ? 2 : 1;
    if (shrink == 1)
        return;
    /* From the bytes whose hash was checked, never the file again (masters
     * are JPEG; anything else is decoded whole). */
    VipsImage *small = NULL;
    if (ba_ingest_master_shrink(full, shrink, VIPS_ACCESS_SEQUENTIAL, &small)) {
        vips_error_clear();
        return; /* decode it whole */
    }
    g_object_unref(full);
    out->img = small;
    out->shrink = shrink;
}

int al_align_masters(const ba_photo *photo, VipsImage *photo_master, const ba_photo *reference,
                     VipsImage *reference_master, const ba_align_options *opts,
                     ba_alignment *out, ba_error *err)
{
    char pname[48], rname[48];
    g_snprintf(pname, sizeof pname, "photo %" G_GINT64_FORMAT, photo->id);
    g_snprintf(rname, sizeof rname, "photo %" G_GINT64_FORMAT, reference->id);
    source ps, rs;
    master_source(reference_master, opts, &rs);
    master_source(photo_master, opts, &ps);
    int rc = align_images(&ps, &rs, pname, rname, opts, out, err);
    g_object_unref(ps.img);
    g_object_unref(rs.img);
    if (rc)
        return -1;
    out->photo_id = photo->id;
    out->reference_id = reference->id;
    return 0;
}

int ba_align_photos(ba_catalog *cat, int64_t photo_id, int64_t reference_id,
                    const ba_align_options *opts, ba_alignment *out, ba_error *err)
{
    if (!cat || !out) {
        ba_error_set(err, BA_ERR_USAGE, "ba_align_photos: missing argument");
        return -1;
    }
    if (photo_id == reference_id) {
        ba_error_set(err, BA_ERR_USAGE,
                     "photo %" G_GINT64_FORMAT " cannot be aligned onto itself", photo_id);
        return -1;
    }
    ba_photo p, r;
    if (ba_catalog_photo_get_current(cat, photo_id, &p, err) ||
        ba_catalog_photo_get_current(cat, reference_id, &r, err))
        return -1;
    VipsImage *pm = NULL, *rm = NULL;
    if (ba_ingest_open_master(ba_catalog_dir(cat), r.master_sha256, &rm, err))
        return -1;
    if (ba_ingest_open_master(ba_catalog_dir(cat), p.master_sha256, &pm, err)) {
        g_object_unref(rm);
        return -1;
    }
    int rc = al_align_masters(&p, pm, &r, rm, opts, out, err);
    g_object_unref(pm);
    g_object_unref(rm);
    return rc ? -1 : ba_catalog_alignment_put(cat, out, err);
}
