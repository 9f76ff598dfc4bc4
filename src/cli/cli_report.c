/* Report files (--report): never inside a library, never truncated in place. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_report_open(cli_report *r, const char *path)
{
    memset(r, 0, sizeof *r);
    if (!path)
        return EXIT_OK;
    ba_error err;
    if (ba_library_check_output(cli_library_dir(), path, false, &err)) {
        cli_error("%s", err.message);
        return EXIT_USAGE;
    }
    /* Written beside @path and renamed over it at the end: an existing file
     * is replaced whole or not at all, and a crash leaves it as it was. */
    char *dir = g_path_get_dirname(path);
    char *base = g_path_get_basename(path);
    r->tmp = g_strdup_printf("%s/.%s.tmp-XXXXXX", dir, base);
    g_free(dir);
    g_free(base);
    int fd = g_mkstemp_full(r->tmp, O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0 || !(r->fp = fdopen(fd, "w"))) {
        cli_error("%s: cannot write the report: %s", path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
            g_unlink(r->tmp);
        }
        g_free(r->tmp);
        r->tmp = NULL;
        return EXIT_USAGE;
    }
    r->path = g_strdup(path);
    return EXIT_OK;
}

int cli_report_close(cli_report *r, gboolean keep)
{
    if (!r->fp)
        return 0;
    int ok = fflush(r->fp) == 0 && fsync(fileno(r->fp)) == 0;
    int e = errno;
    ok = fclose(r->fp) == 0 && ok;
    r->fp = NULL;
    if (!keep) {
        g_unlink(r->tmp);
    } else if (ok && rename(r->tmp, r->path) != 0) {
        e = errno;
        ok = 0;
    }
    if (keep && !ok) {
        cli_error("%s: cannot write the report: %s", r->path, g_strerror(e));
        g_unlink(r->tmp);
    }
    g_free(r->tmp);
    g_free(r->path);
    r->tmp = r->path = NULL;
    return ok ? 0 : -1;
}
