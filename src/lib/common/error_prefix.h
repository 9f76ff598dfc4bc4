/* Internal error helper: re-wrapping an error without losing its hint. */
#ifndef BA_COMMON_ERROR_PREFIX_H
#define BA_COMMON_ERROR_PREFIX_H

#include "beforeafter/error.h"

/* Put "PREFIX: " (printf-style @fmt) before @err's message, keeping its code
 * and hint: ba_error_set(err, err->code, "x: %s", why) would reset the hint
 * (and read the message it overwrites).  NULL @err is accepted. */
void ba_error_prefix(ba_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
