/* The ghost overlay: a capture aid for framing the next session. */
#include <glib.h>

#include "beforeafter/library.h"
#include "compose/internal.h"
#include "compose/output.h"
#include "ingest/load.h"

int ba_compose_ghost(ba_catalog *cat, int64_t id, const char *path, double opacity, bool edges,
                     int long_edge, const char *output, ba_error *err)
{
    VipsImage *img = NULL, *small = NULL, *grey = NULL, *edge = NULL, *rgba = NULL,
              *alpha = NULL;
    int rc = -1;
    if (ba_output_format(output) != BA_OUT_PNG) {
        ba_error_set(err, BA_ERR_USAGE, "%s: a ghost overlay is a PNG (it needs transparency)",
                     output);
        return -1;
    }
    if (ba_library_check_output(cat ? ba_catalog_dir(cat) : NULL, output, false, err))
        return -1;
    if (!(opacity >= 0 && opacity <= 1)) {
        ba_error_set(err, BA_ERR_USAGE, "ghost opacity %g is not a number in 0..1", opacity);
        return -1;
    }
    if (long_edge < 0 || long_edge > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE,
                     "a ghost overlay's long edge of %d px is outside 1..%d px (the largest "
                     "side of any output)",
                     long_edge, BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    if (cat) {
        ba_photo p;
        if (ba_catalog_photo_get_current(cat, id, &p, err) || cp_open_master(cat, &p, &img, err))
            return -1;
    } else if (ba_ingest_load(path, 0, &img, NULL, err)) {
        return -1;
    }
    int edge_px = long_edge > 0 ? long_edge : 1920;
    double f = (double)edge_px / MAX(img->Xsize, img->Ysize);
    /* The header gives the overlay's size: refuse it before any pixel. */
    if (cp_check_pixels("the ghost overlay", cp_px(img->Xsize * f), cp_px(img->Ysize * f), err))
        goto out;
    if (vips_resize(img, &small, f, NULL))
        goto vips_failed;
    double a = 255.0 * CLAMP(opacity, 0.0, 1.0);
    if (!edges) {
        if (vips_bandjoin_const1(small, &rgba, a, NULL))
            goto vips_failed;
    } else {
        /* Edges: gradient magnitude of the grey image, as alpha over white lines. */
        VipsImage *mag = NULL, *scaled = NULL, *white = NULL, *w8 = NULL, *bl = NULL;
        int bad = vips_colourspace(small, &grey, VIPS_INTERPRETATION_B_W, NULL) ||
                  vips_sobel(grey, &mag, NULL) ||
                  vips_linear1(mag, &scaled, 3.0 * a / 255.0, 0, NULL) ||
                  vips_cast_uchar(scaled, &alpha, NULL) ||
                  vips_black(&bl, small->Xsize, small->Ysize, "bands", 3, NULL) ||
                  vips_linear1(bl, &white, 1, 255, NULL) || vips_cast_uchar(white, &w8, NULL) ||
                  vips_bandjoin2(w8, alpha, &rgba, NULL);
        VipsImage *tmp[] = {mag, scaled, white, w8, bl};
        for (size_t i = 0; i < G_N_ELEMENTS(tmp); i++)
            if (tmp[i])
                g_object_unref(tmp[i]);
        if (bad)
            goto vips_failed;
    }
    if (vips_cast_uchar(rgba, &edge, NULL))
        goto vips_failed;
    edge->Type = VIPS_INTERPRETATION_sRGB;
    rc = ba_output_write(edge, output, BA_OUT_PNG, 0, NULL, err);
    goto out;
vips_failed: {
    char *why = vips_error_buffer_copy();
    ba_error_set(err, BA_ERR_INTERNAL, "%s: cannot make the overlay: %s", output, why);
    g_free(why);
}
out: {
    VipsImage *all[] = {img, small, grey, edge, rgba, alpha};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        if (all[i])
            g_object_unref(all[i]);
}
    return rc;
}
