/* The one errno -> ba_code map (see errors.h). */
#include "library/errors.h"

#include <errno.h>
#include <glib.h>
#include <stdarg.h>

ba_code ba_errno_code(int e, bool missing_is_not_found)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG: /* over the file system's (or RLIMIT_FSIZE's) size: no room for it either */
        return BA_ERR_NOSPACE;
    case ENOMEM:
        return BA_ERR_NOMEM;
    case EEXIST:
        return BA_ERR_EXISTS;
    case ENOENT:
    case ENOTDIR:
        return missing_is_not_found ? BA_ERR_NOT_FOUND : BA_ERR_IO;
    default:
        return BA_ERR_IO;
    }
}

static int set_v(ba_error *err, int e, bool missing_is_not_found, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int set_v(ba_error *err, int e, bool missing_is_not_found, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    char *what = g_strdup_vprintf(fmt, ap);
    ba_error_set(err, ba_errno_code(e, missing_is_not_found), "%s: %s", what, g_strerror(e));
    g_free(what);
    return -1;
}

int ba_errno_set(ba_error *err, int e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_v(err, e, false, fmt, ap);
    va_end(ap);
    return -1;
}

int ba_errno_set_lookup(ba_error *err, int e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_v(err, e, true, fmt, ap);
    va_end(ap);
    return -1;
}

int ba_errno_cannot_write(ba_error *err, int e, const char *path)
{
    return ba_errno_set(err, e, "%s: cannot write", path);
}
