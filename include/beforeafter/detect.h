/**
 * @file detect.h
 * @brief Faces and eyes found automatically (OpenCV's Haar cascades).
 *
 * The detector is OpenCV's cascade classifier (objdetect) with the cascades
 * of Debian's opencv-data package (/usr/share/opencv4/haarcascades/):
 * haarcascade_frontalface_alt2.xml for the face and haarcascade_eye.xml for
 * the eyes, chosen on measured accuracy (bench/README.md, "Face and eye
 * detection").  The face is searched first on a grey, histogram-equalised
 * working copy whose long edge is at most 640 px; the face supported by the most raw detections is
 * kept.  The eyes are then searched in the upper part of that face at a
 * working scale where the face is 300 px wide, and the pair is chosen by
 * geometry: similar size, roughly level (within about 20 degrees), a
 * distance of 0.25-0.65 face widths, one on each side of the face's centre,
 * each 0.13-0.4 face widths wide.  Without a plausible pair, a single eye is
 * reported only in a face of confidence >= 0.5.  A weakly supported face
 * (fewer than 12 neighbours, see below) is reported only when a pair of eyes
 * with eyes_confidence >= 0.03 is found in it.  When no face is found, no
 * eyes are searched.
 *
 * Coordinates: x right, y down, in the pixels of the image given (for a
 * photo: its full-resolution master, upright), pixel centres at
 * integer + 0.5 (a box starting at 0 of width 10 covers pixels 0..9).
 *
 * Confidences (0..1) are derived from the number of raw detections the
 * cascade merged into a box ("neighbours"; a true face typically gathers
 * 20-60 at the scale step used, a spurious box 3-8):
 *   - face_confidence = min(1, neighbours / 40);
 *   - eyes_confidence = the smaller of min(1, neighbours / 20) over the eyes
 *     kept, times the pair's geometric plausibility (1 for a level pair of
 *     equal size at 0.42 face widths, falling towards 0 at the limits above);
 *     a single eye (no plausible pair) counts half.
 * They rank results; they are not probabilities.
 *
 * Thread-safe: the cascades are loaded once per process; detections run
 * one at a time per cascade (OpenCV's classifier keeps per-call state) and
 * use OpenCV's own worker threads inside.
 */
#ifndef BEFOREAFTER_DETECT_H
#define BEFOREAFTER_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beforeafter/api.h"
#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the detector found in one image. */
typedef struct ba_detection {
    bool face_found;        /**< a face box was found */
    double face[4];         /**< x, y, w, h in the image's pixels */
    double face_confidence; /**< 0..1: min(1, neighbours / 40), see the top of this file */
    int n_eyes;             /**< 0, 1 or 2 */
    double eyes[2][2];      /**< eye centres (x, y); eyes[0] is the one with the smaller x */
    double eye_radius[2];   /**< half the detected eye box width, px */
    double eyes_confidence; /**< 0..1, see the top of this file (0 when n_eyes is 0) */
} ba_detection;

/**
 * Detect a face and its eyes in 8-bit sRGB interleaved pixels: @p bands is
 * 3 (RGB) or 4 (RGBA, alpha ignored), rows are @p stride bytes apart
 * (>= width * bands).  Finding nothing is not an error: @p out then has
 * face_found false and n_eyes 0.
 *
 * Errors: BA_ERR_USAGE for a bad argument (NULL pixels, width or height
 * < 16 or > 65535, other bands, a short stride); BA_ERR_NOT_FOUND when a
 * cascade file is missing (the message names the file and the Debian
 * package, opencv-data); BA_ERR_INTERNAL when OpenCV fails.
 */
BA_API int ba_detect_rgb(const unsigned char *pixels, int width, int height, int bands,
                         size_t stride, ba_detection *out, ba_error *err);

/**
 * Detect on the master of photo @p photo_id of @p cat (read whole and
 * hash-checked as it is read, decoded at 1/2, 1/4 or 1/8 when it is large:
 * the detector works at 640 px anyway); coordinates are in master pixels.
 * Errors: as for ba_detect_rgb(), plus BA_ERR_NOT_FOUND for an unknown
 * photo and BA_ERR_CORRUPT for a master that is missing, damaged or no
 * longer matches its hash.
 */
BA_API int ba_detect_photo(ba_catalog *cat, int64_t photo_id, ba_detection *out, ba_error *err);

/**
 * Detect on the image file @p path, decoded with ingest's checks (accepted
 * formats, pixel limit @p max_megapixels, <= 0 = the default; orientation
 * applied, sRGB).  Nothing is stored.  Errors: as for ba_detect_rgb(), plus
 * those of reading the file (BA_ERR_NOT_FOUND, BA_ERR_FORMAT,
 * BA_ERR_CORRUPT, BA_ERR_TOO_LARGE).
 */
BA_API int ba_detect_file(const char *path, double max_megapixels, ba_detection *out,
                          ba_error *err);

/**
 * The face box of @p d grown by @p grow (0.15 = 15 % of its width and
 * height, spread evenly on each side) and clipped to a @p width x @p height
 * image, into @p box (x, y, w, h).  Returns false (box untouched) when no
 * face was found.
 */
BA_API bool ba_detect_face_box(const ba_detection *d, double grow, int width, int height,
                               double box[4]);

/**
 * True when treatment area @p area is on the face, where alignment on the
 * face (and an eye bar) make sense: the seeded forehead, glabella,
 * crows-feet, cheeks and lips, and the names clinics commonly add (face,
 * frown-lines, under-eyes, tear-troughs, nose, chin, jawline,
 * nasolabial-folds, marionette-lines, temples, eyebrows, eyelids, perioral);
 * case-insensitive.
 */
BA_API bool ba_detect_area_is_facial(const char *area);

#ifdef __cplusplus
}
#endif
#endif
