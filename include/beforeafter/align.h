/**
 * @file align.h
 * @brief Automatic alignment of an after photo onto its before photo.
 *
 * Feature-based and robust to lighting: SIFT keypoints (VLFeat) on grey
 * working copies, ratio-test matching with a k-d tree, a similarity transform
 * (scale, rotation, shift) fitted with RANSAC from a fixed seed and re-fitted
 * on the inliers, refined photometrically on the overlap at a higher
 * resolution, then scaled to full resolution.  When the photos cannot be
 * aligned honestly the call is refused (BA_ERR_REFUSED) with the reason:
 * a wrong-but-confident transform is the worst outcome for a clinic.
 *
 * Coordinates: x right, y down, pixel centres at integer coordinates, in the
 * full-resolution images (library masters or decoded plain files).  The
 * matrix maps a pixel of the photo to the reference: [x', y'] = M [x, y, 1].
 *
 * Score (ba_alignment.score, 0..1) = NCC x support, where NCC is the
 * normalised cross-correlation of the band-passed grey overlap after warping
 * (clamped at 0) and support = min(1, inliers / 40) for the automatic method
 * (1 for landmark points).  An automatic result is only returned when at
 * least 12 feature matches agree, the NCC is at least 0.20 and the overlap
 * covers at least a fifth of the smaller view, so a returned score is always
 * at least 0.06; read it as:
 *   - >= 0.50: trust it;
 *   - 0.25-0.50: plausible but weakly supported (few features, heavy blur or
 *     noise, a large occluder) - look at the overlay;
 *   - <  0.25: weak - check the overlay or give landmark points.
 * In the benchmark (bench/align) every returned transform was within 0.3 px;
 * their scores were 0.96-1.0 for moderate changes and 0.39-1.0 with gamma,
 * noise and occluders, and no pair of different photos reached a score.
 * For landmark points (method "points") the score is the NCC alone and no
 * threshold applies: the user vouches for the points.  docs/ALIGN.md has the
 * measurements behind these numbers.
 */
#ifndef BEFOREAFTER_ALIGN_H
#define BEFOREAFTER_ALIGN_H

#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Plausible range of a transform between two sessions' photos. */
#define BA_ALIGN_MIN_SCALE 0.5
#define BA_ALIGN_MAX_SCALE 2.0
#define BA_ALIGN_MAX_ANGLE_DEG 30.0

/** Default RANSAC seed. */
#define BA_ALIGN_DEFAULT_SEED 20260402u

/** Diagnostics of one alignment (filled also when it is refused). */
typedef struct ba_align_details {
    int keypoints_photo;      /**< SIFT keypoints (descriptors) found in the photo */
    int keypoints_reference;  /**< ... and in the reference */
    int matches;              /**< ratio-test matches */
    int inliers;              /**< matches consistent with the fitted similarity */
    double ncc;               /**< band-pass NCC of the overlap after alignment, -1..1 */
    double overlap;           /**< share of the smaller view covered by the other, 0..1 */
    double drift_px;          /**< largest corner movement by the photometric step, reference px */
    int work_width;           /**< feature working copy of the photo, px */
    int work_height;          /**< feature working copy of the photo, px */
    double seconds;           /**< wall time of the call */
} ba_align_details;

/** Whether to align on the face found on the reference (ba_align_options.face_roi). */
typedef enum ba_align_face {
    BA_ALIGN_FACE_OFF = 0,  /**< the whole image (or the ROI given) */
    BA_ALIGN_FACE_REQUIRED, /**< on the face; refused (BA_ERR_REFUSED) when none is found */
    BA_ALIGN_FACE_IF_FOUND  /**< on the face when one is found, else the whole image */
} ba_align_face;

/** How much the detected face box is grown (each dimension) to make the ROI. */
#define BA_ALIGN_FACE_GROW 0.15

/** How to align. */
typedef struct ba_align_options {
    int work_size;          /**< long edge of the feature working copy in px; 0 = default
                                 (560); the photometric step runs at up to twice this */
    unsigned seed;          /**< RANSAC seed; the same seed gives the same answer */
    const double *points;   /**< landmark pairs for manual alignment, or NULL: for pair i,
                                 reference (x, y) = points[4i], points[4i+1] and photo
                                 (x, y) = points[4i+2], points[4i+3], full-resolution px */
    int n_points;           /**< number of pairs in @c points (>= 2 when given) */
    double roi[4];          /**< region of interest on the reference, full-resolution px
                                 (x, y, width, height); width or height <= 0 = whole image.
                                 Only reference features and pixels inside it count. */
    double max_megapixels;  /**< pixel limit for plain files; <= 0 = ingest's default */
    ba_align_details *details; /**< optional, filled with diagnostics (also on refusal) */
    ba_align_face face_roi; /**< when no @c roi and no @c points are given: the region of
                                 interest is the face found on the reference (detect.h),
                                 grown by BA_ALIGN_FACE_GROW; the method then ends in
                                 "+face-roi" */
} ba_align_options;

/** Fill @p o with the defaults. */
BA_API void ba_align_options_init(ba_align_options *o);

/**
 * Parse landmark pairs written "rx1,ry1 rx2,ry2 ... : px1,py1 px2,py2 ..."
 * (reference points, a colon, then the photo points, in the same order) into
 * a newly allocated array laid out as ba_align_options.points (free with
 * g_free()).  At least two pairs, finite non-negative coordinates.
 */
BA_API int ba_align_parse_points(const char *text, double **points, int *n_pairs, ba_error *err);

/**
 * Parse a region of interest written "x,y,w,h" (full-resolution pixels of the
 * reference; finite, x, y >= 0, w, h > 0) into @p roi.
 */
BA_API int ba_align_parse_roi(const char *text, double roi[4], ba_error *err);

/**
 * Align the image file @p photo_path onto @p reference_path (decoded with
 * ingest's checks: accepted formats, pixel limit, orientation, sRGB).
 * @p out->photo_id and reference_id are 0.
 *
 * Errors: BA_ERR_REFUSED when the photos cannot be aligned honestly (too
 * little detail, too few consistent matches, a transform outside the
 * plausible range, pixels that disagree, too little overlap) with a one-line
 * reason; BA_ERR_USAGE for bad options (points or ROI outside the images);
 * BA_ERR_NOT_FOUND / BA_ERR_FORMAT / BA_ERR_CORRUPT / BA_ERR_TOO_LARGE for
 * files ingest would refuse.
 */
BA_API int ba_align_files(const char *reference_path, const char *photo_path,
                   const ba_align_options *opts, ba_alignment *out, ba_error *err);

/**
 * Align photo @p photo_id onto photo @p reference_id of @p cat (their
 * masters) and store the result in the catalog, replacing an earlier one.
 * A refused alignment stores nothing (an earlier one stays).  Errors as for
 * ba_align_files(), plus BA_ERR_NOT_FOUND for an unknown photo and
 * BA_ERR_USAGE when both ids are the same.
 */
BA_API int ba_align_photos(ba_catalog *cat, int64_t photo_id, int64_t reference_id,
                    const ba_align_options *opts, ba_alignment *out, ba_error *err);

/** How far to trust an alignment score (the bands described at the top). */
typedef enum ba_align_trust {
    BA_ALIGN_TRUST_IT = 0, /**< score >= BA_ALIGN_TRUST_SCORE */
    BA_ALIGN_TRUST_CHECK,  /**< BA_ALIGN_CHECK_SCORE <= score < BA_ALIGN_TRUST_SCORE */
    BA_ALIGN_TRUST_WEAK    /**< below BA_ALIGN_CHECK_SCORE (or NaN) */
} ba_align_trust;

#define BA_ALIGN_TRUST_SCORE 0.5  /**< from this score on: trust it */
#define BA_ALIGN_CHECK_SCORE 0.25 /**< from this score on: plausible, look at the overlay */

/** The trust band of @p score. */
BA_API ba_align_trust ba_align_trust_of(double score);

/** The advice for band @p t: "trust it", "check the overlay", "weak, check it". */
BA_API const char *ba_align_trust_advice(ba_align_trust t);

#ifdef __cplusplus
}
#endif
#endif
