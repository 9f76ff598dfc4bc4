/* Test-only fault injection, driven by environment variables (see fault.h). */
#include "ingest/fault.h"

#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef BA_TEST_HOOKS

void ba_fault_point(const char *step)
{
    const char *want = getenv("BA_FAULT_KILL");
    if (want && strcmp(want, step) == 0)
        kill(getpid(), SIGKILL);
}

bool ba_fault_write_fails(void)
{
    const char *w = getenv("BA_FAULT_WRITE");
    return w && strcmp(w, "enospc") == 0;
}
#endif
