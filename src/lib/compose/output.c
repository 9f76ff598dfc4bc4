/* Rendered images out: our own libpng writer, libvips for JPEG/WebP, atomic rename. */
#include "compose/output.h"
#include "common/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <webp/encode.h>

ba_out_format ba_output_format(const char *path)
{
    char *lower = g_ascii_strdown(path ? path : "", -1);
    ba_out_format f = BA_OUT_UNKNOWN;
    if (g_str_has_suffix(lower, ".png"))
        f = BA_OUT_PNG;
    else if (g_str_has_suffix(lower, ".jpg") || g_str_has_suffix(lower, ".jpeg"))
        f = BA_OUT_JPEG;
    else if (g_str_has_suffix(lower, ".webp"))
        f = BA_OUT_WEBP;
    g_free(lower);
    return f;
}

typedef struct png_job {
    png_structp png;
    png_infop info;
    FILE *fp;
    char libpng_error[256];
} png_job;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_job *j = png_get_error_ptr(png);
    g_strlcpy(j->libpng_error, msg, sizeof j->libpng_error);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* vips_sink_disc() hands us the image top to bottom, computed on its threads. */
static int png_rows(VipsRegion *region, VipsRect *area, void *a)
{
    png_job *j = a;
    if (setjmp(png_jmpbuf(j->png)))
        return -1;
    for (int y = 0; y < area->height; y++)
        png_write_row(j->png, (png_const_bytep)VIPS_REGION_ADDR(region, area->left,
                                                                  area->top + y));
    return 0;
}

static int write_png(VipsImage *img, FILE *fp, ba_error *err, const char *path)
{
    png_job j = {.fp = fp};
    j.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &j, on_png_error, on_png_warning);
    j.info = j.png ? png_create_info_struct(j.png) : NULL;
    if (!j.info) {
        png_destroy_write_struct(&j.png, NULL);
        ba_error_set(err, BA_ERR_NOMEM, "%s: cannot start libpng", path);
        return -1;
    }
    if (setjmp(png_jmpbuf(j.png))) {
        png_destroy_write_struct(&j.png, &j.info);
        ba_error_set(err, errno == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write PNG: %s",
                     path, j.libpng_error[0] ? j.libpng_error : g_strerror(errno));
        return -1;
    }
    png_init_io(j.png, fp);
    /* Level 3: most of zlib's gain at a fraction of the default's time. */
    png_set_compression_level(j.png, 3);
    png_set_IHDR(j.png, j.info, (png_uint_32)img->Xsize, (png_uint_32)img->Ysize, 8,
                 img->Bands == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_sRGB(j.png, j.info, PNG_sRGB_INTENT_PERCEPTUAL);
    png_set_pHYs(j.png, j.info, 2835, 2835, PNG_RESOLUTION_METER); /* 72 dpi */
    png_write_info(j.png, j.info);
    if (vips_sink_disc(img, png_rows, &j)) {
        char *why = vips_error_buffer_copy();
        png_destroy_write_struct(&j.png, &j.info);
        ba_error_set(err, errno == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot render: %s",
                     path, j.libpng_error[0] ? j.libpng_error : why);
        g_free(why);
        return -1;
    }
    /* png_rows() re-armed the jump buffer on the sink's thread: arm it here again. */
    if (setjmp(png_jmpbuf(j.png))) {
        png_destroy_write_struct(&j.png, &j.info);
        ba_error_set(err, errno == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write PNG: %s",
                     path, j.libpng_error[0] ? j.libpng_error : g_strerror(errno));
        return -1;
    }
    png_write_end(j.png, NULL);
    png_destroy_write_struct(&j.png, &j.info);
    return 0;
}

/* A copy of @in without a single metadata field: whatever a saver's "strip"
 * does or does not cover (libvips 8.14's webpsave writes EXIF from fields),
 * there is nothing left for it to write. */
static VipsImage *without_metadata(VipsImage *in)
{
    VipsImage *c = NULL;
    if (vips_copy(in, &c, NULL))
        return NULL;
    char **fields = vips_image_get_fields(c);
    for (int i = 0; fields[i]; i++)
        vips_image_remove(c, fields[i]); /* core header fields cannot be removed: fine */
    g_strfreev(fields);
    return c;
}

int ba_output_write(VipsImage *in, const char *path, ba_out_format fmt, int quality,
                    char *sha256, ba_error *err)
{
    if (fmt == BA_OUT_UNKNOWN) {
        ba_error_set(err, BA_ERR_USAGE, "%s: unknown output format; use .png, .jpg or .webp", path);
        return -1;
    }
    VipsImage *img = without_metadata(in);
    if (!img) {
        char *why = vips_error_buffer_copy();
        ba_error_set(err, BA_ERR_INTERNAL, "%s: cannot prepare the image: %s", path, why);
        g_free(why);
        return -1;
    }
    char *dir = g_path_get_dirname(path);
    char *base = g_path_get_basename(path);
    char *tmpl = g_strdup_printf("%s/.%s.tmp-XXXXXX", dir, base);
    int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0644);
    int rc = -1;
    if (fd < 0) {
        int e = errno;
        ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write: %s", path,
                     g_strerror(e));
        goto out;
    }
    if (fmt == BA_OUT_PNG) {
        FILE *fp = fdopen(fd, "w+b");
        if (!fp) {
            close(fd);
            ba_error_set(err, BA_ERR_IO, "%s: cannot write: %s", path, g_strerror(errno));
            goto fail;
        }
        int w = write_png(img, fp, err, path);
        int flushed = fflush(fp) == 0 && fsync(fileno(fp)) == 0;
        int e = errno;
        fclose(fp);
        if (w)
            goto fail;
        if (!flushed) {
            ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write: %s",
                         path, g_strerror(e));
            goto fail;
        }
    } else if (fmt == BA_OUT_WEBP) {
        /* libwebp's simple encoder writes a bare VP8 bitstream in RIFF: no EXIF,
         * XMP or ICC chunk can exist (libvips 8.14's webpsave writes EXIF even
         * with strip). The canvas is at output resolution, so holding it is fine. */
        int q = quality > 0 ? quality : 92;
        size_t len = 0;
        VipsPel *rgb = vips_image_write_to_memory(img, &len);
        uint8_t *webp = NULL;
        size_t n = 0;
        if (rgb && (img->Bands == 3 || img->Bands == 4))
            n = img->Bands == 4
                    ? WebPEncodeRGBA(rgb, img->Xsize, img->Ysize, img->Xsize * 4, (float)q, &webp)
                    : WebPEncodeRGB(rgb, img->Xsize, img->Ysize, img->Xsize * 3, (float)q, &webp);
        g_free(rgb);
        ssize_t wrote = n ? write(fd, webp, n) : -1;
        int e = errno;
        WebPFree(webp);
        int synced = wrote == (ssize_t)n && n > 0 && fsync(fd) == 0;
        if (!synced && wrote == (ssize_t)n && n > 0)
            e = errno;
        close(fd);
        if (!synced) {
            ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write WebP: %s",
                         path, n ? g_strerror(e) : "the encoder failed");
            goto fail;
        }
    } else {
        VipsTarget *t = vips_target_new_to_descriptor(fd);
        int q = quality > 0 ? quality : 92;
        int s = vips_jpegsave_target(img, t, "Q", q, "strip", TRUE, NULL);
        if (s == 0)
            s = vips_target_end(t);
        g_object_unref(t);
        int synced = fsync(fd) == 0;
        int e = errno;
        close(fd);
        if (s != 0 || !synced) {
            char *why = vips_error_buffer_copy();
            ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_IO, "%s: cannot write: %s",
                         path, s ? why : g_strerror(e));
            g_free(why);
            goto fail;
        }
    }
    if (sha256) {
        char *data = NULL;
        gsize len = 0;
        if (!g_file_get_contents(tmpl, &data, &len, NULL)) {
            ba_error_set(err, BA_ERR_IO, "%s: cannot read back", path);
            goto fail;
        }
        ba_sha256_hex(data, len, sha256);
        g_free(data);
    }
    if (rename(tmpl, path) != 0) {
        ba_error_set(err, BA_ERR_IO, "%s: cannot write: %s", path, g_strerror(errno));
        goto fail;
    }
    rc = 0;
    goto out;
fail:
    g_unlink(tmpl);
out:
    g_free(tmpl);
    g_free(base);
    g_free(dir);
    g_object_unref(img);
    return rc;
}
