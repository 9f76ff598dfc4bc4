/**
 * @file beforeafter.h
 * @brief libbeforeafter: clinical before/after photo documentation.
 *
 * Include this header for the whole public API.  Call ba_init() once before
 * anything else and ba_shutdown() at exit.
 */
#ifndef BEFOREAFTER_H
#define BEFOREAFTER_H

#include "beforeafter/error.h"
#include "beforeafter/catalog.h"
#include "beforeafter/ingest.h"
#include "beforeafter/align.h"
#include "beforeafter/batch.h"
#include "beforeafter/verify.h"
#include "beforeafter/compose.h"
#include "beforeafter/consent.h"
#include "beforeafter/library.h"
#include "beforeafter/parse.h"
#include "beforeafter/record.h"
#include "beforeafter/access.h"
#include "beforeafter/detect.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The library version, "MAJOR.MINOR.PATCH". */
BA_API const char *ba_version(void);

/**
 * Initialise the library: start libvips, block every image loader except
 * JPEG, PNG, HEIF, TIFF and WebP (and every loader libvips marks untrusted),
 * disable the operation cache and route libvips warnings away from stderr.
 * @p argv0 is the program name (may be NULL).  Safe to call more than once.
 */
BA_API int ba_init(const char *argv0, ba_error *err);

/** Release what ba_init() set up. */
BA_API void ba_shutdown(void);

/**
 * The last warning libvips logged on this thread (e.g. a corrupt-data
 * warning), or "" — for verbose output.
 */
BA_API const char *ba_last_warning(void);

#ifdef __cplusplus
}
#endif
#endif
