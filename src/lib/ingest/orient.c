/* Ingest: the upright pixels of a photo (EXIF orientation applied). */
#include "beforeafter/beforeafter.h"

#include <string.h>
#include <vips/vips.h>

#include "ingest/internal.h"

/* Apply EXIF orientation 1..8 (0 and anything else: none). */
int ingest_orient(VipsImage *in, int orientation, VipsImage **out)
{
    VipsImage *t = NULL;
    int rc = 0;
    switch (orientation) {
    case 2:
        return vips_flip(in, out, VIPS_DIRECTION_HORIZONTAL, NULL);
    case 3:
        return vips_rot(in, out, VIPS_ANGLE_D180, NULL);
    case 4:
        return vips_flip(in, out, VIPS_DIRECTION_VERTICAL, NULL);
    case 5: /* transpose */
        rc = vips_rot(in, &t, VIPS_ANGLE_D90, NULL) ||
             vips_flip(t, out, VIPS_DIRECTION_HORIZONTAL, NULL);
        break;
    case 6:
        return vips_rot(in, out, VIPS_ANGLE_D90, NULL);
    case 7: /* transverse */
        rc = vips_rot(in, &t, VIPS_ANGLE_D270, NULL) ||
             vips_flip(t, out, VIPS_DIRECTION_HORIZONTAL, NULL);
        break;
    case 8:
        return vips_rot(in, out, VIPS_ANGLE_D270, NULL);
    default:
        g_object_ref(in);
        *out = in;
        return 0;
    }
    if (t)
        g_object_unref(t);
    return rc ? -1 : 0;
}

/* The upright 8-bit sRGB pixels of the job (lazy: nothing decoded yet). */
int ingest_upright_srgb(ingest_job *j, VipsImage *header, VipsImage **out, char *warning,
                        size_t wsize, ba_error *err)
{
    VipsImage *src = NULL, *up = NULL;
    /* Rotations and vertical flips need random access: only the cheap cases
     * stream.  libheif applies the container's own transforms, and the EXIF
     * orientation of a HEIF must not be applied a second time. */
    int orientation = strcmp(j->format, "heif") == 0 ? 1 : j->capture.orientation;
    bool streams = orientation <= 2;
    if (streams) {
        src = header;
        g_object_ref(src);
    } else {
        src = vips_image_new_from_buffer(j->data, j->len, "", "fail_on", VIPS_FAIL_ON_TRUNCATED,
                                         NULL);
    }
    int rc = (!src || ingest_orient(src, orientation, &up) ||
              ingest_to_srgb(up, out, warning, wsize))
                 ? -1
                 : 0;
    if (src)
        g_object_unref(src);
    if (up)
        g_object_unref(up);
    if (rc) {
        char *why = ingest_decode_cause(j->format, j->data, j->len);
        ba_error_set(err, BA_ERR_CORRUPT, "%s: the %s image data is truncated or corrupt: %s",
                     j->name, j->format, why);
        g_free(why);
    }
    return rc;
}
