/* Ingest: a logo, decoded with a photo's checks but keeping its alpha, and
 * stored content-addressed in the library (ingest/logo.h). */
#include "ingest/logo.h"

#include <glib.h>
#include <string.h>

#include "common/sha256.h"
#include "ingest/internal.h"
#include "library/errors.h"
#include "library/paths.h"
#include "library/place.h"

/* To 8-bit sRGB with alpha: the embedded profile is used, then dropped. */
static int to_srgb_alpha(VipsImage *in, VipsImage **out)
{
    VipsImage *c = NULL, *t = NULL;
    bool converted = vips_image_get_typeof(in, VIPS_META_ICC_NAME) &&
                     vips_icc_transform(in, &c, "srgb", "embedded", TRUE, "intent",
                                        VIPS_INTENT_RELATIVE, "depth", 8, NULL) == 0;
    if (!converted) {
        vips_error_clear();
        if (vips_colourspace(in, &c, VIPS_INTERPRETATION_sRGB, NULL))
            return -1;
    }
    if (c->BandFmt == VIPS_FORMAT_USHORT) {
        if (vips_rshift_const1(c, &t, 8, NULL))
            goto fail;
        g_object_unref(c);
        c = t;
    }
    if (c->BandFmt != VIPS_FORMAT_UCHAR) {
        if (vips_cast_uchar(c, &t, NULL))
            goto fail;
        g_object_unref(c);
        c = t;
    }
    if (c->Bands == 3) {
        if (vips_bandjoin_const1(c, &t, 255.0, NULL))
            goto fail;
        g_object_unref(c);
        c = t;
    }
    if (c->Bands != 4) {
        vips_error("beforeafter", "unsupported band layout (%d bands)", c->Bands);
        goto fail;
    }
    *out = c;
    return 0;
fail:
    g_object_unref(c);
    return -1;
}

int ba_ingest_logo_decode(const char *path, VipsImage **out, ba_error *err)
{
    *out = NULL;
    file_bytes in;
    if (ingest_read_input(path, BA_LOGO_MAX_MEGAPIXELS, false, &in, err))
        return -1;
    ingest_job j = {.name = path, .data = in.data, .len = in.len};
    ba_ingest_options o;
    ba_ingest_options_init(&o);
    o.max_megapixels = BA_LOGO_MAX_MEGAPIXELS;
    VipsImage *header = NULL, *full = NULL, *up = NULL, *rgba = NULL;
    int rc = -1;
    if (ingest_identify(&j, &o, &header, err))
        goto out;
    ingest_read_capture(&j, header);
    int orientation = strcmp(j.format, "heif") == 0 ? 1 : j.capture.orientation;
    full = vips_image_new_from_buffer(j.data, j.len, "", "fail_on", VIPS_FAIL_ON_TRUNCATED,
                                      NULL);
    size_t len = 0;
    VipsPel *pixels = NULL;
    if (!full || ingest_orient(full, orientation, &up) || to_srgb_alpha(up, &rgba) ||
        !(pixels = vips_image_write_to_memory(rgba, &len))) {
        char *why = ingest_decode_cause(j.format, j.data, j.len);
        ba_error_set(err, BA_ERR_CORRUPT, "%s: the %s logo is truncated or corrupt: %s", path,
                     j.format, why);
        g_free(why);
        goto out;
    }
    /* A copy of the pixels alone: no field of the file (EXIF, XMP, ICC,
     * comments, text chunks) survives into what is rendered or stored. */
    *out = vips_image_new_from_memory_copy(pixels, len, rgba->Xsize, rgba->Ysize, 4,
                                           VIPS_FORMAT_UCHAR);
    g_free(pixels);
    if (!*out) {
        ba_error_set(err, BA_ERR_NOMEM, "%s: not enough memory for the logo", path);
        goto out;
    }
    (*out)->Type = VIPS_INTERPRETATION_sRGB;
    rc = 0;
out:
    if (header)
        g_object_unref(header);
    if (full)
        g_object_unref(full);
    if (up)
        g_object_unref(up);
    if (rgba)
        g_object_unref(rgba);
    g_free(in.data);
    return rc;
}

int ba_ingest_logo_store(ba_catalog *cat, const char *path, char *sha256, ba_error *err)
{
    VipsImage *img = NULL;
    if (ba_ingest_logo_decode(path, &img, err))
        return -1;
    void *png = NULL;
    size_t len = 0;
    /* Level 9 and no filter choice left to chance: the same pixels always
     * give the same bytes, hence the same name. */
    int saved = vips_pngsave_buffer(img, &png, &len, "compression", 9, "strip", TRUE,
                                    "filter", VIPS_FOREIGN_PNG_FILTER_NONE, NULL);
    g_object_unref(img);
    if (saved) {
        char *why = vips_error_buffer_copy();
        vips_error_clear();
        ba_error_set(err, BA_ERR_INTERNAL, "%s: cannot encode the logo: %s", path, why);
        g_free(why);
        return -1;
    }
    ba_sha256_hex(png, len, sha256);
    char rel[96];
    ba_path_logo(sha256, rel, sizeof rel);
    char *target = g_build_filename(ba_catalog_dir(cat), rel, NULL);
    char *tmp = ba_path_tmp_dir(ba_catalog_dir(cat));
    int rc = ba_place_make_parent(target, BA_MODE_DIR, err) ||
                     ba_place_bytes(target, png, len, tmp, BA_MODE_FILE, BA_PLACE_KEEP_EXISTING,
                                    NULL, NULL, err)
                 ? -1
                 : 0;
    g_free(tmp);
    g_free(target);
    g_free(png);
    return rc;
}

char *ba_ingest_logo_path(ba_catalog *cat, const char *sha256, ba_error *err)
{
    if (!sha256 || strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64) {
        ba_error_set(err, BA_ERR_CORRUPT, "logo '%s' is not a SHA-256", sha256 ? sha256 : "");
        return NULL;
    }
    char rel[96];
    ba_path_logo(sha256, rel, sizeof rel);
    char *full = g_build_filename(ba_catalog_dir(cat), rel, NULL);
    file_bytes b;
    if (ingest_read_file(full, (uint64_t)BA_LOGO_MAX_MEGAPIXELS * 1000000 * 8, true, "a logo",
                         &b, err)) {
        g_free(full);
        return NULL;
    }
    g_free(b.data);
    if (strcmp(b.sha256, sha256) != 0) {
        ba_error_set(err, BA_ERR_CORRUPT, "%s: the logo no longer hashes to its name", rel);
        g_free(full);
        return NULL;
    }
    return full;
}
