/* Temporary files for embedders (the server's uploads): in LIBRARY/tmp,
 * 0600, named by writer so dead writers' leftovers can be swept. */
#include "beforeafter/library.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "library/paths.h"

int ba_library_tmp_file(const char *library_dir, const char *kind, char **path, ba_error *err)
{
    *path = NULL;
    bool ok = kind && *kind;
    for (const char *k = kind; ok && *k; k++)
        ok = *k >= 'a' && *k <= 'z';
    if (!ok) {
        ba_error_set(err, BA_ERR_USAGE, "a temporary file's kind is lower-case letters");
        return -1;
    }
    char *dir = ba_path_tmp_dir(library_dir);
    char *tmpl = ba_path_tmp_template(dir, kind, NULL);
    g_free(dir);
    int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, BA_MODE_FILE);
    if (fd < 0) {
        ba_error_set(err, errno == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: %s", tmpl,
                     g_strerror(errno));
        g_free(tmpl);
        return -1;
    }
    *path = strdup(tmpl);
    g_free(tmpl);
    if (!*path) {
        close(fd);
        ba_error_set(err, BA_ERR_NOMEM, "out of memory");
        return -1;
    }
    return fd;
}
