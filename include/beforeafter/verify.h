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
    BA_PROBLEM_ORPHAN,        /**< a master-named file in masters/ that no photo references */
    BA_PROBLEM_STRAY_TMP,     /**< a temporary file left by a process that is gone */
    BA_PROBLEM_AUDIT,         /**< the audit log's hash chain or ids are broken, or a trigger
                                   guarding it, consents or exports is gone or changed */
    BA_PROBLEM_EVIDENCE,      /**< a consent's evidence file is gone or no longer hashes
                                   to its recorded SHA-256 */
    BA_PROBLEM_RENDER,        /**< a comparison's stored render copy is gone or damaged */
    BA_PROBLEM_FOREIGN,       /**< something in masters/ that no master could be: a folder,
                                   a link, a file not named <sha256>.jpg */
    BA_PROBLEM_PENDING_EXPORT, /**< an export recorded as pending whose writer is gone (its
                                   files may be published without a finished record) */
    BA_PROBLEM_MODE           /**< a folder or file of the library that the group or other
                                   users may read, write or enter (the library is private:
                                   folders 0700, files 0600); repair takes those bits away */
} ba_problem_kind;

/** One problem. */
typedef struct ba_problem {
    ba_problem_kind kind;  /**< what is wrong */
    int64_t photo_id;      /**< the photo concerned, 0 when none */
    char path[512];        /**< the file concerned, relative to the library, or "" */
    char message[768];     /**< one line */
    bool repaired;         /**< repair dealt with it: removed the file, moved it to
                                lost+found/ or marked the row */
} ba_problem;

/** Called once per problem found. */
typedef void (*ba_problem_fn)(const ba_problem *problem, void *ud);

/**
 * Check the library of @p cat: catalog integrity and foreign keys; the audit
 * log's hash chain, ids and guarding triggers; every photo's master exists,
 * hashes to its name and is metadata-free; every entry of masters/ is a
 * master some photo references; every comparison's render copy and every
 * consent's evidence file is present and intact; nothing stale in tmp/.
 *
 * Safe beside running writers: orphan candidates are re-checked against the
 * catalog under its write lock (an ingest places its master and commits under
 * that lock), and nothing changed since the check began is reported or
 * touched.  On a catalog this process cannot lock (read-only), the re-check
 * runs without the lock and nothing is removed.
 *
 * With @p repair: orphan masters (under the lock) and stale temporary files
 * are removed; foreign entries of masters/ and damaged render copies are moved
 * to LIBRARY/lost+found/; photos whose master is gone or damaged are marked
 * (never deleted).  Rows are never deleted; audit, evidence and missing-render
 * problems are only reported (nothing here can restore them).  @p n_problems
 * receives the count.  Fails only when the check cannot run.
 */
BA_API int ba_verify_library(ba_catalog *cat, bool repair, ba_problem_fn fn, void *ud,
                      size_t *n_problems, ba_error *err);

/**
 * Scan an encoded JPEG or PNG for metadata: JPEG APPn segments other than
 * JFIF/Adobe, COM, data after EOI; PNG chunks other than IHDR, PLTE, IDAT,
 * IEND, sRGB, pHYs, gAMA, cHRM, tRNS, bKGD, sBIT.  Writes a description of the
 * first finding to @p found.
 * @return the number of metadata blocks found, or -1 when @p data is not a
 *         well-formed JPEG or PNG (with the reason in @p found).
 */
BA_API int ba_verify_image_metadata(const unsigned char *data, size_t len, char *found,
                             size_t found_size);

#ifdef __cplusplus
}
#endif
#endif
