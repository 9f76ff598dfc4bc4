/* Ingest: to 8-bit sRGB through the embedded profile, alpha flattened on white. */
#include "beforeafter/beforeafter.h"

#include <stdio.h>
#include <vips/vips.h>

#include "ingest/internal.h"

/* To 8-bit, 3-band sRGB flattened on white; the embedded profile is used, then dropped. */
int ingest_to_srgb(VipsImage *in, VipsImage **out, char *warning, size_t wsize)
{
    VipsImage *c = NULL, *f = NULL;
    int ok = -1;
    bool converted = false;
    if (vips_image_get_typeof(in, VIPS_META_ICC_NAME)) {
        if (vips_icc_transform(in, &c, "srgb", "embedded", TRUE, "intent",
                               VIPS_INTENT_RELATIVE, "depth", 8, NULL) == 0) {
            converted = true;
        } else {
            char *why = ingest_take_vips_error();
            snprintf(warning, wsize, "embedded ICC profile unusable (%s); assumed sRGB", why);
            g_free(why);
        }
    }
    if (!converted && vips_colourspace(in, &c, VIPS_INTERPRETATION_sRGB, NULL))
        goto done;
    if (vips_image_hasalpha(c)) {
        double white[] = {255, 255, 255};
        VipsArrayDouble *bg = vips_array_double_new(white, 3);
        int rc = vips_flatten(c, &f, "background", bg, "max_alpha",
                              c->BandFmt == VIPS_FORMAT_USHORT ? 65535.0 : 255.0, NULL);
        vips_area_unref(VIPS_AREA(bg));
        if (rc)
            goto done;
        g_object_unref(c);
        c = f;
        f = NULL;
    }
    if (c->BandFmt != VIPS_FORMAT_UCHAR) {
        if (c->BandFmt == VIPS_FORMAT_USHORT) {
            if (vips_rshift_const1(c, &f, 8, NULL))
                goto done;
            g_object_unref(c);
            c = f;
            f = NULL;
        }
        if (vips_cast_uchar(c, &f, NULL))
            goto done;
        g_object_unref(c);
        c = f;
        f = NULL;
    }
    if (c->Bands != 3) {
        vips_error("beforeafter", "unsupported band layout (%d bands)", c->Bands);
        goto done;
    }
    *out = c;
    c = NULL;
    ok = 0;
done:
    if (c)
        g_object_unref(c);
    return ok;
}
