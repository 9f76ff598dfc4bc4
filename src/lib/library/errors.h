/* Internal: the one map from an errno to a ba_code, and the one way to word
 * a failed file operation ("PATH: cannot write: No space left on device").
 *
 * Every module that touches the file system reports through these, so the
 * same condition is the same code everywhere: a full disk or a full quota
 * is BA_ERR_NOSPACE whether ingest, compose, consent or export hit it. */
#ifndef BA_LIBRARY_ERRORS_H
#define BA_LIBRARY_ERRORS_H

#include <stdbool.h>

#include "beforeafter/error.h"

/*
 * The code for errno @e:
 *   ENOSPC, EDQUOT, EFBIG      BA_ERR_NOSPACE (no room: free space or raise the quota)
 *   ENOMEM                     BA_ERR_NOMEM
 *   EEXIST                     BA_ERR_EXISTS
 *   ENOENT, ENOTDIR            BA_ERR_NOT_FOUND when @missing_is_not_found (the
 *                              caller was asked for that object), else BA_ERR_IO
 *   anything else (EACCES, EROFS, EPERM, EIO, ...)   BA_ERR_IO
 */
ba_code ba_errno_code(int e, bool missing_is_not_found);

/*
 * Set @err (may be NULL) to "<fmt ...>: strerror(@e)" with ba_errno_code(@e,
 * false).  Returns -1, so a caller can `return ba_errno_set(...)`.
 * Example: ba_errno_set(err, errno, "%s: cannot write", path).
 */
int ba_errno_set(ba_error *err, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ba_errno_set() where ENOENT means the named object does not exist
 * (BA_ERR_NOT_FOUND): opening an input the caller named. */
int ba_errno_set_lookup(ba_error *err, int e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "@path: cannot write: strerror(@e)": the words of every failed write. */
int ba_errno_cannot_write(ba_error *err, int e, const char *path);

#endif
