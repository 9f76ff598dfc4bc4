/**
 * @file verify.h
 * @brief Checking a library: catalog integrity, masters present and intact,
 *        no stray files, no metadata in any stored image.
 */
#ifndef BEFOREAFTER_VERIFY_H
#define BEFOREAFTER_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kinds of problem ba_verify_library() reports. */
typedef enum ba_problem_kind {
    BA_PROBLEM_CATALOG = 0,   /**< PRAGMA integrity_check or foreign_key_check failed */
    BA_PROBLEM_MISSING,       /**< a photo's master file is gone */
    BA_PROBLEM_CORRUPT,       /**< a master's bytes no longer hash to its name */
    BA_PROBLEM_METADATA,      /**< a stored image carries metadata */
    BA_PROBLEM_ORPHAN,        /**< a file in masters/ that no photo references */
    BA_PROBLEM_STRAY_TMP      /**< a temporary file left by a process that is gone */
} ba_problem_kind;

/** One problem. */
typedef struct ba_problem {
    ba_problem_kind kind;  /**< what is wrong */
    int64_t photo_id;      /**< the photo concerned, 0 when none */
    char path[512];        /**< the file concerned, relative to the library, or "" */
    char message[768];     /**< one line */
    bool repaired;         /**< --repair fixed it (removed the file / marked the row) */
} ba_problem;

/** Called once per problem found. */
typedef void (*ba_problem_fn)(const ba_problem *problem, void *ud);

/**
 * Check the library of @p cat: catalog integrity and foreign keys, every
 * photo's master exists and hashes to its name and is metadata-free, every
 * file in masters/ belongs to a photo, nothing stale in tmp/.  With
 * @p repair: orphan and stale files are removed, and photos whose master is
 * gone or damaged are marked (never deleted).  @p n_problems receives the
 * count.  Fails only when the check cannot run.
 */
int ba_verify_library(ba_catalog *cat, bool repair, ba_problem_fn fn, void *ud,
                      size_t *n_problems, ba_error *err);

/**
 * Scan an encoded JPEG or PNG for metadata: JPEG APPn segments other than
 * JFIF/Adobe, COM, data after EOI; PNG chunks other than IHDR, PLTE, IDAT,
 * IEND, sRGB, pHYs, gAMA, cHRM, tRNS, bKGD, sBIT.  Writes a description of the
 * first finding to @p found.
 * @return the number of metadata blocks found, or -1 when @p data is not a
 *         well-formed JPEG or PNG (with the reason in @p found).
 */
int ba_verify_image_metadata(const unsigned char *data, size_t len, char *found,
                             size_t found_size);

#ifdef __cplusplus
}
#endif
#endif
