/* Fault injection for tests of the "loses nothing" guarantees (internal).
 *
 *   BA_FAULT_KILL=STEP   the process kills itself with SIGKILL at STEP, one of
 *                        start, after-tmp-create, after-master-write,
 *                        after-thumbnail, after-master-rename, after-commit;
 *                        or, in an export,
 *                        export-recorded, export-image-placed, export-manifest-placed,
 *                        export-placed
 *   BA_FAULT_WRITE=enospc  every write of a master fails with ENOSPC
 *
 * Only in builds configured with -DBA_TEST_HOOKS=ON (scripts/test.sh does);
 * otherwise the functions are empty and no "BA_FAULT" string is in the
 * library.  Without these variables the functions do nothing either. */
#ifndef BA_INGEST_FAULT_H
#define BA_INGEST_FAULT_H

#include <stdbool.h>

#ifdef BA_TEST_HOOKS
/* Die at @step when BA_FAULT_KILL names it. */
void ba_fault_point(const char *step);

/* True when master writes must fail with ENOSPC. */
bool ba_fault_write_fails(void);
#else
/* Release builds (the default): no hook at all, so a host process whose
 * environment happens to carry these variables is never affected. */
static inline void ba_fault_point(const char *step)
{
    (void)step;
}

static inline bool ba_fault_write_fails(void)
{
    return false;
}
#endif

#endif
