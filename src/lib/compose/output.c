/* Rendered images out: our own libpng writer, libvips for JPEG/WebP, placed
 * atomically by library/place.h. */
#include "compose/output.h"

#include <errno.h>
#include <glib.h>
#include <png.h>
#include <setjmp.h>
#include <string.h>
#include <sys/stat.h>
#include <webp/encode.h>

#include "library/errors.h"
#include "library/place.h"

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
    ba_place_file *out;
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

/* libpng's bytes go through the placement, which hashes them on the way. */
static void on_png_write(png_structp png, png_bytep data, size_t len)
{
    png_job *j = png_get_io_ptr(png);
    if (ba_place_write(j->out, data, len))
        png_error(png, g_strerror(j->out->write_errno));
}

static void on_png_flush(png_structp png)
{
    (void)png; /* ba_place_finish() syncs the whole file */
}

/* The code of a failed write: the write's own errno when there was one. */
static ba_code write_code(const ba_place_file *out)
{
    return out->write_errno ? ba_errno_code(out->write_errno, false) : BA_ERR_IO;
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

static int write_png(VipsImage *img, ba_place_file *out, ba_error *err, const char *path)
{
    png_job j = {.out = out};
    j.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &j, on_png_error, on_png_warning);
    j.info = j.png ? png_create_info_struct(j.png) : NULL;
    if (!j.info) {
        png_destroy_write_struct(&j.png, NULL);
        ba_error_set(err, BA_ERR_NOMEM, "%s: cannot start libpng", path);
        return -1;
    }
    if (setjmp(png_jmpbuf(j.png))) {
        png_destroy_write_struct(&j.png, &j.info);
        ba_error_set(err, write_code(out), "%s: cannot write PNG: %s", path,
                     j.libpng_error[0] ? j.libpng_error : "libpng failed");
        return -1;
    }
    png_set_write_fn(j.png, &j, on_png_write, on_png_flush);
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
        ba_error_set(err, write_code(out), "%s: cannot render: %s", path,
                     j.libpng_error[0] ? j.libpng_error : why);
        g_free(why);
        return -1;
    }
    /* png_rows() re-armed the jump buffer on the sink's thread: arm it here again. */
    if (setjmp(png_jmpbuf(j.png))) {
        png_destroy_write_struct(&j.png, &j.info);
        ba_error_set(err, write_code(out), "%s: cannot write PNG: %s", path,
                     j.libpng_error[0] ? j.libpng_error : "libpng failed");
        return -1;
    }
    png_write_end(j.png, NULL);
    png_destroy_write_struct(&j.png, &j.info);
    return 0;
}

/* libwebp's simple encoder writes a bare VP8 bitstream in RIFF: no EXIF, XMP
 * or ICC chunk can exist (libvips 8.14's webpsave writes EXIF even with
 * strip).  The canvas is at output resolution, so holding it is fine. */
static int write_webp(VipsImage *img, int quality, ba_place_file *out, ba_error *err,
                      const char *path)
{
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
    int e = n ? ba_place_write(out, webp, n) : 0;
    WebPFree(webp);
    if (!n || e) {
        ba_error_set(err, n ? ba_errno_code(e, false) : BA_ERR_IO, "%s: cannot write WebP: %s",
                     path, n ? g_strerror(e) : "the encoder failed");
        return -1;
    }
    return 0;
}

/* libvips' JPEG bytes go through the placement too. */
static gint64 on_target_write(VipsTargetCustom *target, const void *data, gint64 length,
                              void *ud)
{
    (void)target;
    return ba_place_write(ud, data, (size_t)length) ? -1 : length;
}

static int write_jpeg(VipsImage *img, int quality, ba_place_file *out, ba_error *err,
                      const char *path)
{
    VipsTargetCustom *t = vips_target_custom_new();
    g_signal_connect(t, "write", G_CALLBACK(on_target_write), out);
    int q = quality > 0 ? quality : 92;
    int s = vips_jpegsave_target(img, VIPS_TARGET(t), "Q", q, "strip", TRUE, NULL);
    if (s == 0)
        s = vips_target_end(VIPS_TARGET(t));
    g_object_unref(t);
    if (s != 0 || out->write_errno) {
        char *why = vips_error_buffer_copy();
        ba_error_set(err, write_code(out), "%s: cannot write: %s", path,
                     out->write_errno ? g_strerror(out->write_errno) : why);
        g_free(why);
        return -1;
    }
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
    /* The writers read rows as 8-bit RGB or RGBA: anything else would be
     * read past its end (PNG) or misread. */
    if (in->BandFmt != VIPS_FORMAT_UCHAR || (in->Bands != 3 && in->Bands != 4)) {
        ba_error_set(err, BA_ERR_INTERNAL,
                     "%s: the image to write has %d band(s) of format %d, not 8-bit RGB or RGBA",
                     path, in->Bands, (int)in->BandFmt);
        return -1;
    }
    VipsImage *img = without_metadata(in);
    if (!img) {
        char *why = vips_error_buffer_copy();
        ba_error_set(err, BA_ERR_INTERNAL, "%s: cannot prepare the image: %s", path, why);
        g_free(why);
        return -1;
    }
    ba_place_file out;
    int rc = -1;
    /* A file being replaced keeps its mode (consent evidence reserves a 0600
     * name in the library's tmp/ first); a new output file is 0644. */
    struct stat old_st;
    mode_t mode = stat(path, &old_st) == 0 && S_ISREG(old_st.st_mode) ? (old_st.st_mode & 0777)
                                                                     : 0644;
    if (ba_place_open_beside(&out, path, mode, sha256 != NULL, err))
        goto out;
    int w = fmt == BA_OUT_PNG    ? write_png(img, &out, err, path)
            : fmt == BA_OUT_WEBP ? write_webp(img, quality, &out, err, path)
                                 : write_jpeg(img, quality, &out, err, path);
    if (w || ba_place_finish(&out, err))
        goto out;
    if (sha256)
        memcpy(sha256, out.sha256, sizeof out.sha256);
    if (ba_place_commit(&out, path, BA_PLACE_REPLACE, NULL, err))
        goto out;
    rc = 0;
out:
    ba_place_discard(&out);
    g_object_unref(img);
    return rc;
}
