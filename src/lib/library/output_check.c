/* No output path may resolve into a library: the check every writer of a
 * user-named path makes before it writes a byte. */
#include "beforeafter/library.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 'BAFT' at offset 68 of the SQLite header: PRAGMA application_id. */
static const unsigned char APPLICATION_ID[4] = {0x42, 0x41, 0x46, 0x54};

/* Whether @dir holds a beforeafter catalog.  A catalog.db we cannot read
 * counts as one: refusing a write is the safe mistake. */
static bool holds_catalog(const char *dir)
{
    char *db = g_build_filename(dir, "catalog.db", NULL);
    int fd = open(db, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int e = errno;
    g_free(db);
    if (fd < 0)
        return e != ENOENT && e != ENOTDIR;
    unsigned char head[100];
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    if (n < 0)
        return true;
    if (n < (ssize_t)sizeof head)
        return false; /* empty or not SQLite: not a library's catalog */
    return memcmp(head, "SQLite format 3", 16) == 0 && memcmp(head + 68, APPLICATION_ID, 4) == 0;
}

/* Append the components of @rest to @base, applying "." and ".." the way
 * the kernel will once the missing folders exist (none of them is a link:
 * they do not exist yet). */
static char *append_lexically(const char *base, const char *rest)
{
    GString *out = g_string_new(base);
    char **parts = g_strsplit(rest, "/", -1);
    for (int i = 0; parts[i]; i++) {
        if (!*parts[i] || strcmp(parts[i], ".") == 0)
            continue;
        if (strcmp(parts[i], "..") == 0) {
            char *slash = strrchr(out->str, '/');
            g_string_truncate(out, slash && slash != out->str ? (gsize)(slash - out->str) : 1);
            continue;
        }
        if (out->len > 1)
            g_string_append_c(out, '/');
        g_string_append(out, parts[i]);
    }
    g_strfreev(parts);
    return g_string_free(out, FALSE);
}

/* @path made absolute with its deepest existing part resolved by realpath()
 * (symbolic links, ".", ".."), the rest appended lexically.  NULL when not
 * even "/" resolves. */
static char *resolve(const char *path)
{
    char *cwd = g_get_current_dir();
    char *abs = g_path_is_absolute(path) ? g_strdup(path) : g_build_filename(cwd, path, NULL);
    g_free(cwd);
    char *result = NULL;
    /* Try the whole path, then ever shorter prefixes, cutting at a '/'. */
    for (size_t cut = strlen(abs); !result; ) {
        char *prefix = g_strndup(abs, cut ? cut : 1);
        char *real = realpath(prefix, NULL);
        g_free(prefix);
        if (real) {
            result = append_lexically(real, abs + cut);
            free(real);
            break;
        }
        if (cut <= 1)
            break;
        while (cut > 1 && abs[cut - 1] != '/')
            cut--;
        if (cut > 1)
            cut--; /* drop the '/' too */
    }
    g_free(abs);
    return result;
}

/* Whether @a is @b or lies below it (both resolved, absolute). */
static bool is_within(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (n == 1)
        return true; /* b is "/" */
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* The library @resolved lies in (it or a folder above it holds a catalog, or
 * it is the same folder as @library, also through another mount), or NULL. */
static char *library_above(const char *resolved, const struct stat *library)
{
    char *dir = g_strdup(resolved);
    for (;;) {
        struct stat st;
        bool same = library && stat(dir, &st) == 0 && st.st_dev == library->st_dev &&
                    st.st_ino == library->st_ino;
        if (same || holds_catalog(dir))
            return dir;
        if (strcmp(dir, "/") == 0)
            break;
        char *up = g_path_get_dirname(dir);
        g_free(dir);
        dir = up;
    }
    g_free(dir);
    return NULL;
}

static int refuse(const char *path, const char *library, ba_error *err)
{
    ba_error_set(err, BA_ERR_USAGE,
                 "%s: is inside the beforeafter library %s; outputs go outside a library",
                 path, library);
    return -1;
}

int ba_library_check_output(const char *library_dir, const char *path, bool is_folder,
                            ba_error *err)
{
    if (!path || !*path) {
        ba_error_set(err, BA_ERR_USAGE, "no output path given");
        return -1;
    }
    struct stat lib_st;
    bool have_lib = library_dir && *library_dir && stat(library_dir, &lib_st) == 0;
    char *where = resolve(path);
    if (!where) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot resolve: %s", path, g_strerror(errno));
        return -1;
    }
    /* A file is judged by the folder it goes in; a folder by itself. */
    char *start = is_folder ? g_strdup(where) : g_path_get_dirname(where);
    char *lib = library_above(start, have_lib ? &lib_st : NULL);
    int rc = 0;
    if (!lib && have_lib) {
        char *real_lib = realpath(library_dir, NULL);
        if (real_lib && is_within(where, real_lib))
            lib = g_strdup(real_lib);
        free(real_lib);
    }
    if (lib)
        rc = refuse(path, lib, err);
    g_free(lib);
    g_free(start);
    g_free(where);
    return rc;
}
