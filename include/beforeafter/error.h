/**
 * @file error.h
 * @brief Error reporting for libbeforeafter.
 *
 * Every fallible function takes a `ba_error *err` as its last argument (which
 * may be NULL when the caller does not care) and returns a non-zero/NULL
 * failure value.  The error carries a code a caller can switch on and a
 * one-line message that names the file or object and the cause.
 */
#ifndef BEFOREAFTER_ERROR_H
#define BEFOREAFTER_ERROR_H

#include <stdarg.h>

#include "beforeafter/api.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes.  Stable: new codes are only ever appended. */
typedef enum ba_code {
    BA_OK = 0,          /**< no error */
    BA_ERR_USAGE,       /**< the caller passed an invalid argument */
    BA_ERR_IO,          /**< reading or writing a file failed */
    BA_ERR_NOSPACE,     /**< the disk (or quota) is full */
    BA_ERR_FORMAT,      /**< not an image format we accept */
    BA_ERR_CORRUPT,     /**< the image data is truncated or corrupt */
    BA_ERR_TOO_LARGE,   /**< the image exceeds the pixel limit */
    BA_ERR_NOT_FOUND,   /**< a named object (client, photo, area, file) does not exist */
    BA_ERR_EXISTS,      /**< the object already exists */
    BA_ERR_NO_DATE,     /**< no session date: none given and none in EXIF */
    BA_ERR_CATALOG,     /**< the catalog cannot be opened or is not a beforeafter catalog */
    BA_ERR_BUSY,        /**< the catalog stayed locked by another process */
    BA_ERR_NOMEM,       /**< out of memory */
    BA_ERR_INTERNAL,    /**< a bug or an unexpected library failure */
    BA_ERR_REFUSED,     /**< the operation was refused (e.g. photos that cannot be aligned) */
    BA_ERR_COUNT_       /**< number of codes; not an error */
} ba_code;

/** An error: a code and a one-line, human-readable message. */
typedef struct ba_error {
    ba_code code;       /**< what went wrong, BA_OK when nothing did */
    char message[1024]; /**< one line naming the object and the cause */
} ba_error;

/** Reset @p err to BA_OK with an empty message. NULL is accepted. */
BA_API void ba_error_clear(ba_error *err);

/**
 * Set @p err to @p code with a printf-style message.  Newlines and control
 * characters in the formatted message are replaced so it stays one line.
 * NULL @p err is accepted (the error is dropped).
 */
BA_API void ba_error_set(ba_error *err, ba_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** va_list variant of ba_error_set(). */
BA_API void ba_error_setv(ba_error *err, ba_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/** A short static description of @p code ("image data is corrupt", ...). */
BA_API const char *ba_strerror(ba_code code);

#ifdef __cplusplus
}
#endif
#endif
