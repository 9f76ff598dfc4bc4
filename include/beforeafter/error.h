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
    BA_ERR_AUTH,        /**< not signed in: wrong name or password, or the session ended */
    BA_ERR_FORBIDDEN,   /**< signed in, but the user's role may not do this */
    BA_ERR_THROTTLED,   /**< too many failed logins for this name: wait and retry */
    BA_ERR_COUNT_       /**< number of codes; not an error */
} ba_code;

/**
 * What the caller could do about an error, for a program to word in its own
 * terms (a CLI names its flags, a web app its buttons).  Library messages
 * name values and fields, never a program's options; the hint carries the
 * rest.  Stable: new hints are only ever appended.
 */
typedef enum ba_hint {
    BA_HINT_NONE = 0,          /**< nothing to suggest */
    BA_HINT_INIT,              /**< the folder is not a library: create one there */
    BA_HINT_ADD_CLIENT,        /**< the client does not exist: add it first */
    BA_HINT_GIVE_DATE,         /**< no session date known: give one */
    BA_HINT_GIVE_POINTS,       /**< automatic alignment failed: give matching point pairs */
    BA_HINT_RAISE_PIXEL_LIMIT, /**< over the pixel limit: raise it for a trusted file */
    BA_HINT_CONFIRM_MIXED,     /**< different clients or areas: confirm that is meant */
    BA_HINT_RUN_VERIFY,        /**< a stored file is missing or damaged: verify tells more */
    BA_HINT_MAKE_COMPARISON,   /**< nothing to export yet: render a comparison first */
    BA_HINT_ALLOW_UNALIGNED,   /**< photos cannot be aligned: compare them unaligned */
    BA_HINT_ALLOW_WARNINGS,    /**< refused for comparability warnings: accept them */
    BA_HINT_GIVE_EYES,         /**< de-identification needs the eye positions */
    BA_HINT_ADD_AREA,          /**< the treatment area is not in the vocabulary: add it first */
    BA_HINT_OVERRIDE_RETENTION, /**< inside the retention period: erase only with a reason */
    BA_HINT_CONFIRM_ERASE,     /**< erasure must be confirmed by repeating the client's code */
    BA_HINT_PHOTO_SET,         /**< a stored photo's facts differ: correct them, or add the area */
    BA_HINT_SESSION_SET,       /**< a session keeps what it had: correct the session itself */
    BA_HINT_GIVE_ROI,          /**< the treatment area cannot be derived: give its rectangle */
    BA_HINT_COUNT_             /**< number of hints; not a hint */
} ba_hint;

/** An error: a code, a one-line, human-readable message, and a hint. */
typedef struct ba_error {
    ba_code code;       /**< what went wrong, BA_OK when nothing did */
    char message[1024]; /**< one line naming the object and the cause */
    ba_hint hint;       /**< what the caller could do, BA_HINT_NONE when nothing */
} ba_error;

/** Reset @p err to BA_OK with an empty message and no hint. NULL is accepted. */
BA_API void ba_error_clear(ba_error *err);

/**
 * Set @p err to @p code with a printf-style message.  Newlines and control
 * characters in the formatted message are replaced so it stays one line;
 * the hint is reset to BA_HINT_NONE.  NULL @p err is accepted (the error is
 * dropped).
 */
BA_API void ba_error_set(ba_error *err, ba_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** va_list variant of ba_error_set(). */
BA_API void ba_error_setv(ba_error *err, ba_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/**
 * Attach @p hint to @p err (after ba_error_set(), which resets it to
 * BA_HINT_NONE).  NULL @p err is accepted.
 */
BA_API void ba_error_hint(ba_error *err, ba_hint hint);

/** Copy @p src into @p dst; NULL @p dst is accepted (nothing is copied). */
BA_API void ba_error_copy(ba_error *dst, const ba_error *src);

/** A short static description of @p code ("image data is corrupt", ...). */
BA_API const char *ba_strerror(ba_code code);

#ifdef __cplusplus
}
#endif
#endif
