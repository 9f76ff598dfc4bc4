/* Internal: the library's one wall clock, in UTC.
 *
 * Every time the library records (consent decisions, revocations, export
 * stamps) comes from here, so tests can freeze it: in builds configured with
 * -DBA_TEST_HOOKS=ON, a BA_TEST_NOW environment variable holding an ISO 8601
 * time ("2026-03-01T12:00:00Z", or with an offset) is "now".  Release builds
 * never read it.  The catalog's row stamps and "today" in the library's time
 * zone come from it too; only file-time comparisons use the kernel's clock. */
#ifndef BA_LIBRARY_CLOCK_H
#define BA_LIBRARY_CLOCK_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* Now, in UTC; g_date_time_unref() it. */
GDateTime *ba_clock_now_utc(void);

/* Now as "YYYY-MM-DDTHH:MM:SSZ" into @out (@size >= 21). */
void ba_clock_utc_stamp(char *out, size_t size);

/* Whether this build reads BA_TEST_NOW (built with BA_TEST_HOOKS): tests
 * check the seam freezes there and is absent elsewhere. */
bool ba_clock_has_test_seam(void);

#endif
