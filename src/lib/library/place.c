/* The one atomic placement of a file (see place.h). */
#include "library/place.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "common/sha256.h"
#include "library/errors.h"
#include "library/paths.h"

static void init(ba_place_file *f, bool hash)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->sha = hash ? ba_sha256_new() : NULL;
}

/* mkstemp @tmpl (taken) into @f. */
static int open_template(ba_place_file *f, char *tmpl, mode_t mode)
{
    f->tmp_path = tmpl;
    f->fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, (int)mode);
    if (f->fd >= 0)
        return 0;
    int e = errno;
    g_free(f->tmp_path);
    f->tmp_path = NULL;
    return e;
}

int ba_place_open_beside(ba_place_file *f, const char *target, mode_t mode, bool hash,
                         ba_error *err)
{
    init(f, hash);
    f->shown = g_strdup(target);
    char *dir = g_path_get_dirname(target);
    char *base = g_path_get_basename(target);
    char *tmpl = g_strdup_printf("%s/.%s.tmp-XXXXXX", dir, base);
    g_free(base);
    g_free(dir);
    int e = open_template(f, tmpl, mode);
    if (e)
        ba_errno_cannot_write(err, e, target);
    return e;
}

int ba_place_open_in(ba_place_file *f, const char *tmp_dir, const char *kind, const char *suffix,
                     mode_t mode, bool hash, ba_error *err)
{
    init(f, hash);
    int e = open_template(f, ba_path_tmp_template(tmp_dir, kind, suffix), mode);
    if (e)
        ba_errno_set(err, e, "%s: cannot create a temporary file", tmp_dir);
    else
        f->shown = g_strdup(f->tmp_path);
    return e;
}

int ba_place_write(ba_place_file *f, const void *data, size_t len)
{
    if (f->write_errno)
        return f->write_errno;
    if (f->fd < 0)
        return f->write_errno = EBADF;
    const unsigned char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(f->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return f->write_errno = errno;
        p += n;
        left -= (size_t)n;
    }
    if (f->sha)
        ba_sha256_update(f->sha, data, len);
    f->bytes += len;
    return 0;
}

/* Finish the hash (into @f->sha256 when @keep), freeing it. */
static void end_hash(ba_place_file *f, bool keep)
{
    if (!f->sha)
        return;
    char hex[65];
    ba_sha256_finish(f->sha, hex);
    f->sha = NULL;
    if (keep)
        memcpy(f->sha256, hex, sizeof hex);
}

int ba_place_finish(ba_place_file *f, ba_error *err)
{
    int e = f->write_errno;
    if (f->fd < 0 && !e)
        e = EBADF;
    if (!e && fsync(f->fd) != 0)
        e = errno;
    if (f->fd >= 0 && close(f->fd) != 0 && !e)
        e = errno;
    f->fd = -1;
    end_hash(f, e == 0);
    if (e)
        ba_errno_cannot_write(err, e, f->shown ? f->shown : "(temporary file)");
    return e;
}

int ba_place_commit(ba_place_file *f, const char *target, ba_place_mode mode, bool *created,
                    ba_error *err)
{
    if (f->fd >= 0) {
        int e = ba_place_finish(f, err);
        if (e)
            return e;
    }
    if (!f->tmp_path) {
        ba_errno_cannot_write(err, ENOENT, target);
        return ENOENT;
    }
    int e = ba_place_move(f->tmp_path, target, mode, created, err);
    if (e == 0) {
        g_free(f->tmp_path);
        f->tmp_path = NULL;
    }
    return e;
}

void ba_place_discard(ba_place_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->tmp_path)
        g_unlink(f->tmp_path);
    g_free(f->tmp_path);
    f->tmp_path = NULL;
    end_hash(f, false);
    g_free(f->shown);
    f->shown = NULL;
}

/* No hard links on this file system (FAT, some network shares). */
static bool no_links(int e)
{
    return e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EMLINK || e == ENOSYS;
}

/* link() @from to @to, never replacing: 0, EEXIST or another errno.  Where
 * links do not exist: check, then rename (a narrow race, the best there is). */
static int link_new(const char *from, const char *to)
{
    if (link(from, to) == 0) {
        g_unlink(from);
        return 0;
    }
    int e = errno;
    if (!no_links(e))
        return e;
    if (g_file_test(to, G_FILE_TEST_EXISTS))
        return EEXIST;
    return rename(from, to) == 0 ? 0 : errno;
}

int ba_place_move(const char *from, const char *to, ba_place_mode mode, bool *created,
                  ba_error *err)
{
    if (created)
        *created = false;
    int e = 0;
    if (mode == BA_PLACE_REPLACE)
        e = rename(from, to) == 0 ? 0 : errno;
    else
        e = link_new(from, to);
    if (e == EEXIST && mode == BA_PLACE_KEEP_EXISTING) {
        g_unlink(from); /* the same name holds the same bytes already */
        return 0;
    }
    if (e == EEXIST) {
        ba_error_set(err, BA_ERR_EXISTS, "%s: already exists and is never replaced", to);
        return e;
    }
    if (e) {
        ba_errno_cannot_write(err, e, to);
        return e;
    }
    if (created)
        *created = true;
    char *dir = g_path_get_dirname(to);
    e = ba_place_sync_dir(dir, err);
    g_free(dir);
    return e;
}

int ba_place_bytes(const char *target, const void *data, size_t len, const char *tmp_dir,
                   mode_t file_mode, ba_place_mode mode, char *sha256, bool *created,
                   ba_error *err)
{
    ba_place_file f;
    bool hash = sha256 != NULL;
    int e = tmp_dir ? ba_place_open_in(&f, tmp_dir, "place", NULL, file_mode, hash, err)
                    : ba_place_open_beside(&f, target, file_mode, hash, err);
    if (e == 0 && (e = ba_place_write(&f, data, len)) != 0)
        ba_errno_cannot_write(err, e, target);
    if (e == 0)
        e = ba_place_finish(&f, err);
    if (e == 0 && sha256)
        memcpy(sha256, f.sha256, sizeof f.sha256);
    if (e == 0)
        e = ba_place_commit(&f, target, mode, created, err);
    ba_place_discard(&f);
    return e;
}

int ba_place_sync_dir(const char *dir, ba_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0 && fsync(fd) != 0)
        e = errno;
    if (fd >= 0)
        close(fd);
    if (e)
        ba_errno_set(err, e, "%s: cannot sync", dir);
    return e;
}

int ba_place_make_parent(const char *path, mode_t mode, ba_error *err)
{
    char *dir = g_path_get_dirname(path);
    int e = g_mkdir_with_parents(dir, (int)mode) == 0 ? 0 : errno;
    if (e)
        ba_errno_set(err, e, "%s: cannot create", dir);
    g_free(dir);
    return e;
}
