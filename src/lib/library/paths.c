/* The library folder's layout and temporary names (see paths.h). */
#include "library/paths.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void ba_path_logo(const char *sha256, char *out, size_t size)
{
    snprintf(out, size, BA_DIR_LOGOS "/%.2s/%s.png", sha256, sha256);
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

const char *ba_path_host(void)
{
    static char host[64];
    static gsize done;
    if (g_once_init_enter(&done)) {
        char raw[256] = "";
        if (gethostname(raw, sizeof raw - 1) != 0 || !raw[0])
            g_strlcpy(raw, "localhost", sizeof raw);
        size_t n = 0;
        for (const char *s = raw; *s && n < sizeof host - 1; s++)
            host[n++] = g_ascii_isalnum(*s) || *s == '.' ? *s : '_';
        host[n] = '\0';
        g_once_init_leave(&done, 1);
    }
    return host;
}

char *ba_path_tmp_template(const char *dir, const char *kind, const char *suffix)
{
    char *base = g_strdup_printf("%s-%d@%s-XXXXXX%s", kind, (int)getpid(), ba_path_host(),
                                 suffix ? suffix : "");
    char *path = g_build_filename(dir, base, NULL);
    g_free(base);
    return path;
}

/* Whether @name carries a host (<kind>-<pid>@<host>-...) that is not ours. */
static bool other_host(const char *name)
{
    const char *at = strchr(name, '@');
    if (!at)
        return false; /* written before hosts were recorded: judged by pid */
    const char *end = strchr(at + 1, '-');
    size_t n = end ? (size_t)(end - at - 1) : strlen(at + 1);
    const char *host = ba_path_host();
    return n != strlen(host) || strncmp(at + 1, host, n) != 0;
}

int ba_path_tmp_writer(const char *name)
{
    int pid = 0;
    if (other_host(name))
        return 0;
    /* <kind> is letters; older versions named consent evidence
     * ingest-<pid>-consent-..., which this reads the same way.  A writer
     * that places its file atomically writes a hidden sibling first
     * (.<name>.tmp-XXXXXX, e.g. a preview's JPEG): the same writer's. */
    if (name[0] == '.')
        name++;
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
    return other_host(name) || ba_pid_alive(ba_path_tmp_writer(name));
}

/* What this process swept: "<library>\n<name>" strings. */
static GMutex swept_lock;
static GPtrArray *swept;

static void remember_swept(const char *library_dir, const char *name)
{
    g_mutex_lock(&swept_lock);
    if (!swept)
        swept = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(swept, g_strconcat(library_dir, "\n", name, NULL));
    g_mutex_unlock(&swept_lock);
}

void ba_library_swept(const char *library_dir, void (*fn)(const char *name, void *ud), void *ud)
{
    g_mutex_lock(&swept_lock);
    size_t n = strlen(library_dir);
    for (guint i = 0; swept && i < swept->len; i++) {
        const char *s = g_ptr_array_index(swept, i);
        if (strncmp(s, library_dir, n) == 0 && s[n] == '\n')
            fn(s + n + 1, ud);
    }
    g_mutex_unlock(&swept_lock);
}

int ba_library_sweep_tmp(const char *library_dir)
{
    char *tmpdir = ba_path_tmp_dir(library_dir);
    GDir *d = g_dir_open(tmpdir, 0, NULL);
    int removed = 0;
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        int pid = ba_path_tmp_writer(n);
        if (pid == 0 || ba_pid_alive(pid) || g_str_has_prefix(n, "export-"))
            continue;
        char *path = g_build_filename(tmpdir, n, NULL);
        if (g_unlink(path) == 0) {
            removed++;
            remember_swept(library_dir, n);
        }
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_free(tmpdir);
    return removed;
}

char *ba_path_preview(const char *library_dir, const char *sha256, int edge)
{
    char sub[3] = {sha256[0], sha256[1], '\0'}, size[16];
    snprintf(size, sizeof size, "%d", edge);
    char *name = g_strconcat(sha256, ".jpg", NULL);
    char *path = g_build_filename(library_dir, BA_DIR_PREVIEWS, size, sub, name, NULL);
    g_free(name);
    return path;
}

int ba_path_previews_remove(const char *library_dir, const char *sha256)
{
    char *dir = g_build_filename(library_dir, BA_DIR_PREVIEWS, NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *size;
    int n = 0;
    while (d && (size = g_dir_read_name(d))) {
        char *end = NULL;
        long edge = strtol(size, &end, 10);
        if (!end || *end || edge <= 0)
            continue;
        char *path = ba_path_preview(library_dir, sha256, (int)edge);
        if (g_unlink(path) == 0)
            n++;
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_free(dir);
    return n;
}
