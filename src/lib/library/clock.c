/* The library's one wall clock (see clock.h). */
#include "library/clock.h"

#include <stdlib.h>

#ifdef BA_TEST_HOOKS
/* The frozen time of BA_TEST_NOW, NULL when unset or not an ISO time: a
 * value that does not parse freezes nothing rather than some other instant
 * (tests check their stamps, so they notice). */
static GDateTime *frozen_now(void)
{
    const char *s = getenv("BA_TEST_NOW");
    if (!s || !*s)
        return NULL;
    GTimeZone *utc = g_time_zone_new_utc();
    GDateTime *t = g_date_time_new_from_iso8601(s, utc);
    g_time_zone_unref(utc);
    if (!t)
        return NULL;
    GDateTime *u = g_date_time_to_utc(t);
    g_date_time_unref(t);
    return u;
}
#endif

GDateTime *ba_clock_now_utc(void)
{
#ifdef BA_TEST_HOOKS
    GDateTime *t = frozen_now();
    if (t)
        return t;
#endif
    return g_date_time_new_now_utc();
}

void ba_clock_utc_stamp(char *out, size_t size)
{
    GDateTime *now = ba_clock_now_utc();
    char *s = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_strlcpy(out, s, size);
    g_free(s);
    g_date_time_unref(now);
}

bool ba_clock_has_test_seam(void)
{
#ifdef BA_TEST_HOOKS
    return true;
#else
    return false;
#endif
}
