/* The library folder's layout and temporary names (see paths.h). */
#include "library/paths.h"

#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

void ba_path_master(const char *sha256, char *out, size_t size)
{
    snprintf(out, size, BA_DIR_MASTERS "/%.2s/%s.jpg", sha256, sha256);
}

void ba_path_render(const char *sha256, const char *ext, char *out, size_t size)
{
    char *lower = g_ascii_strdown(ext, -1);
    snprintf(out, size, BA_DIR_RENDERS "/%.2s/%s.%s", sha256, sha256, lower);
    g_free(lower);
}

void ba_path_consent(const char *sha256, const char *ext, char *out, size_t size)
{
    char *lower = g_ascii_strdown(ext, -1);
    snprintf(out, size, BA_DIR_CONSENTS "/%s.%s", sha256, lower);
    g_free(lower);
}

char *ba_path_tmp_dir(const char *library_dir)
{
    return g_build_filename(library_dir, BA_DIR_TMP, NULL);
}

char *ba_path_tmp_template(const char *dir, const char *kind, const char *suffix)
{
    char *base = g_strdup_printf("%s-%d-XXXXXX%s", kind, (int)getpid(), suffix ? suffix : "");
    char *path = g_build_filename(dir, base, NULL);
    g_free(base);
    return path;
}

int ba_path_tmp_writer(const char *name)
{
    int pid = 0;
    /* <kind> is letters; older versions named consent evidence
     * ingest-<pid>-consent-..., which this reads the same way. */
    if (sscanf(name, "%*[a-z]-%d-", &pid) != 1 || pid <= 0)
        return 0;
    return pid;
}

bool ba_pid_alive(int64_t pid)
{
    if (pid <= 0 || pid > G_MAXINT)
        return false;
    if (pid == (int64_t)getpid())
        return true;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

bool ba_path_tmp_writer_alive(const char *name)
{
    return ba_pid_alive(ba_path_tmp_writer(name));
}
