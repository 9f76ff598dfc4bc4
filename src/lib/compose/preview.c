/* Previews of a photo for screens (thumbnails, larger previews): made once
 * from the verified master, kept in LIBRARY/previews/<edge>/ab/<master>.jpg,
 * metadata-free like every image we write. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/internal.h"
#include "compose/output.h"
#include "compose/preview.h"
#include "ingest/load.h"
#include "library/paths.h"
#include "library/place.h"

/* Read @path whole into malloc'd memory (the caller's to free()). */
static int read_whole(const char *path, unsigned char **data, size_t *len, ba_error *err)
{
    gchar *text = NULL;
    gsize n = 0;
    GError *e = NULL;
    if (!g_file_get_contents(path, &text, &n, &e)) {
        ba_error_set(err, BA_ERR_IO, "%s: %s", path, e->message);
        g_error_free(e);
        return -1;
    }
    *data = malloc(n ? n : 1);
    if (!*data) {
        g_free(text);
        ba_error_set(err, BA_ERR_NOMEM, "out of memory reading %s", path);
        return -1;
    }
    memcpy(*data, text, n);
    *len = n;
    g_free(text);
    return 0;
}

int ba_compose_preview_write_tmp(const char *library_dir, VipsImage *master, int edge,
                                 const char *what, char **tmp_path, ba_error *err)
{
    *tmp_path = NULL;
    VipsImage *img = master, *small = NULL;
    g_object_ref(img);
    int rc = -1;
    double f = (double)edge / MAX(img->Xsize, img->Ysize);
    /* A 12 MP master for a 320 px thumbnail: libjpeg decodes it at 1/8
     * (DCT scaling) from the bytes whose hash was checked, ~20x less work
     * than decoding it whole; the rest is an ordinary resize. */
    int shrink = f <= 0.125 ? 8 : f <= 0.25 ? 4 : f <= 0.5 ? 2 : 1;
    VipsImage *dct = NULL;
    if (shrink > 1 && ba_ingest_master_shrink(img, shrink, VIPS_ACCESS_SEQUENTIAL, &dct) == 0) {
        g_object_unref(img);
        img = dct;
        f = (double)edge / MAX(img->Xsize, img->Ysize);
    } else {
        vips_error_clear();
    }
    if (f >= 1.0) {
        small = img; /* never enlarged */
        g_object_ref(small);
    } else if (vips_resize(img, &small, f, NULL)) {
        ba_error_set(err, BA_ERR_INTERNAL, "%s: preview: %s", what, vips_error_buffer());
        vips_error_clear();
        goto out;
    }
    /* Written in the library's tmp/ as a 0600 file (ba_output_write keeps
     * the mode of the file it replaces): a preview is as private as its
     * master.  The caller moves it into place, so a reader never sees half
     * of one. */
    char *tmp_dir = ba_path_tmp_dir(library_dir);
    char *tmp = ba_path_tmp_template(tmp_dir, "preview", ".jpg");
    g_free(tmp_dir);
    int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, BA_MODE_FILE);
    if (fd < 0) {
        ba_error_set(err, BA_ERR_IO, "%s: %s", tmp, g_strerror(errno));
        g_free(tmp);
        goto out;
    }
    close(fd);
    if (ba_output_write(small, tmp, BA_OUT_JPEG, 85, NULL, err) == 0) {
        *tmp_path = tmp;
        rc = 0;
    } else {
        g_unlink(tmp);
        g_free(tmp);
    }
out:
    if (small)
        g_object_unref(small);
    g_object_unref(img);
    return rc;
}

int ba_compose_preview_place(const char *library_dir, const char *tmp_path,
                             const char *sha256, int edge, ba_error *err)
{
    char *path = ba_path_preview(library_dir, sha256, edge);
    int rc = ba_place_make_parent(path, BA_MODE_DIR, err) == 0 &&
                     ba_place_move(tmp_path, path, BA_PLACE_KEEP_EXISTING, NULL, err) == 0
                 ? 0
                 : -1;
    g_unlink(tmp_path); /* gone already when moved */
    g_free(path);
    return rc;
}

/* Make the preview of @p at @edge px and place it. */
static int make_preview(ba_catalog *cat, const ba_photo *p, int edge, ba_error *err)
{
    VipsImage *img = NULL;
    if (cp_open_master(cat, p, &img, err))
        return -1;
    char what[32], *tmp = NULL;
    snprintf(what, sizeof what, "photo %" G_GINT64_FORMAT, p->id);
    const char *dir = ba_catalog_dir(cat);
    int rc = ba_compose_preview_write_tmp(dir, img, edge, what, &tmp, err);
    g_object_unref(img);
    if (rc == 0)
        rc = ba_compose_preview_place(dir, tmp, p->master_sha256, edge, err);
    g_free(tmp);
    return rc;
}

/* The entity tag of a master's preview at @edge: it names the picture. */
static void preview_etag(char *etag, size_t size, const char *sha256, int edge)
{
    if (etag && size)
        snprintf(etag, size, "\"%s-%d\"", sha256, edge);
}

int ba_compose_photo_preview(ba_catalog *cat, int64_t photo_id, int long_edge,
                             unsigned char **data, size_t *len, char *etag, size_t etag_size,
                             ba_error *err)
{
    *data = NULL;
    *len = 0;
    if (long_edge < 0 || long_edge > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE, "a preview's long edge of %d px is outside 0..%d px",
                     long_edge, BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    ba_photo p;
    if (ba_catalog_photo_get(cat, photo_id, &p, err))
        return -1;
    preview_etag(etag, etag_size, p.master_sha256, long_edge);
    if (long_edge == 0) {
        /* The master itself, from bytes that hashed right (as every read). */
        VipsImage *img = NULL;
        if (cp_open_master(cat, &p, &img, err))
            return -1;
        g_object_unref(img);
        char rel[128];
        ba_catalog_master_relpath(p.master_sha256, rel, sizeof rel);
        char *path = g_build_filename(ba_catalog_dir(cat), rel, NULL);
        int rc = read_whole(path, data, len, err);
        g_free(path);
        return rc;
    }
    char *path = ba_path_preview(ba_catalog_dir(cat), p.master_sha256, long_edge);
    int rc = 0;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
        rc = make_preview(cat, &p, long_edge, err);
    if (rc == 0)
        rc = read_whole(path, data, len, err);
    g_free(path);
    return rc;
}

int ba_compose_photo_preview_kept(ba_catalog *cat, int64_t photo_id, int long_edge,
                                  unsigned char **data, size_t *len, char *etag,
                                  size_t etag_size, ba_error *err)
{
    if (data)
        *data = NULL;
    *len = 0;
    if (long_edge <= 0 || long_edge > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE, "a kept preview's long edge of %d px is outside 1..%d px",
                     long_edge, BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    char sha[BA_SHA_MAX];
    if (ba_catalog_photo_keys(cat, photo_id, NULL, sha, err))
        return -1;
    preview_etag(etag, etag_size, sha, long_edge);
    char *path = ba_path_preview(ba_catalog_dir(cat), sha, long_edge);
    int rc = data ? read_whole(path, data, len, err)
                  : g_file_test(path, G_FILE_TEST_IS_REGULAR) ? 0 : 1;
    if (rc < 0 && !g_file_test(path, G_FILE_TEST_EXISTS))
        rc = 1; /* not made yet: a race with its removal reads as the same */
    g_free(path);
    return rc;
}
