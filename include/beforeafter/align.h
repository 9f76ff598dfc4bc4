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
 * Score: see the implementation's documentation in align.c and
 * docs/ALIGN.md for which values mean "trust it".
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

/** How to align. */
typedef struct ba_align_options {
    int work_size;          /**< long edge of the feature working copy in px; 0 = default */
    unsigned seed;          /**< RANSAC seed; the same seed gives the same answer */
    const double *points;   /**< landmark pairs for manual alignment, or NULL: for pair i,
                                 reference (x, y) = points[4i], points[4i+1] and photo
                                 (x, y) = points[4i+2], points[4i+3], full-resolution px */
    int n_points;           /**< number of pairs in @c points (>= 2 when given) */
    double max_megapixels;  /**< pixel limit for plain files; <= 0 = ingest's default */
} ba_align_options;

/** Fill @p o with the defaults. */
void ba_align_options_init(ba_align_options *o);

/**
 * Parse landmark pairs written "rx1,ry1 rx2,ry2 ... : px1,py1 px2,py2 ..."
 * (reference points, a colon, then the photo points, in the same order) into
 * a newly allocated array laid out as ba_align_options.points (free with
 * g_free()).  At least two pairs, finite non-negative coordinates.
 */
int ba_align_parse_points(const char *text, double **points, int *n_pairs, ba_error *err);

/**
 * Align the image file @p photo_path onto @p reference_path (decoded with
 * ingest's checks: accepted formats, pixel limit, orientation, sRGB).
 * @p out->photo_id and reference_id are 0.
 */
int ba_align_files(const char *reference_path, const char *photo_path,
                   const ba_align_options *opts, ba_alignment *out, ba_error *err);

/**
 * Align photo @p photo_id onto photo @p reference_id of @p cat (their
 * masters) and store the result in the catalog, replacing an earlier one.
 */
int ba_align_photos(ba_catalog *cat, int64_t photo_id, int64_t reference_id,
                    const ba_align_options *opts, ba_alignment *out, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
