/* Error helpers: one-line messages with a switchable code. */
#include "beforeafter/error.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "error_prefix.h"

void ba_error_clear(ba_error *err)
{
    if (!err)
        return;
    err->code = BA_OK;
    err->message[0] = '\0';
    err->hint = BA_HINT_NONE;
}

void ba_error_copy(ba_error *dst, const ba_error *src)
{
    if (dst && src && dst != src)
        *dst = *src;
}

void ba_error_hint(ba_error *err, ba_hint hint)
{
    if (err)
        err->hint = hint;
}

void ba_error_setv(ba_error *err, ba_code code, const char *fmt, va_list ap)
{
    if (!err)
        return;
    err->code = code;
    err->hint = BA_HINT_NONE;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    /* Keep the message on one line whatever a file name or a library said. */
    for (char *p = err->message; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    size_t n = strlen(err->message);
    while (n > 0 && err->message[n - 1] == ' ')
        err->message[--n] = '\0';
}

void ba_error_set(ba_error *err, ba_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ba_error_setv(err, code, fmt, ap);
    va_end(ap);
}

const char *ba_strerror(ba_code code)
{
    static const char *const names[BA_ERR_COUNT_] = {
        [BA_OK] = "no error",
        [BA_ERR_USAGE] = "invalid argument",
        [BA_ERR_IO] = "input/output error",
        [BA_ERR_NOSPACE] = "no space left on device",
        [BA_ERR_FORMAT] = "not an accepted image format",
        [BA_ERR_CORRUPT] = "image data is truncated or corrupt",
        [BA_ERR_TOO_LARGE] = "image exceeds the pixel limit",
        [BA_ERR_NOT_FOUND] = "not found",
        [BA_ERR_EXISTS] = "already exists",
        [BA_ERR_NO_DATE] = "no session date",
        [BA_ERR_CATALOG] = "catalog cannot be used",
        [BA_ERR_BUSY] = "catalog is busy",
        [BA_ERR_NOMEM] = "out of memory",
        [BA_ERR_INTERNAL] = "internal error",
        [BA_ERR_REFUSED] = "refused",
        [BA_ERR_AUTH] = "not signed in",
        [BA_ERR_FORBIDDEN] = "not allowed for this role",
        [BA_ERR_THROTTLED] = "too many failed logins",
    };
    if ((int)code < 0 || code >= BA_ERR_COUNT_)
        return "unknown error";
    return names[code];
}

void ba_error_prefix(ba_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[sizeof err->message], was[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    g_strlcpy(was, err->message, sizeof was);
    ba_hint hint = err->hint;
    ba_error_set(err, err->code, "%s: %s", prefix, was);
    err->hint = hint;
}
