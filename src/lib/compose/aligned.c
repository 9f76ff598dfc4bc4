/* A photo warped onto its reference through the stored alignment, in the
 * reference's frame at screen size: what a before/after slider shows, so the
 * two images line up pixel for pixel when one is laid over the other. */
#include <glib.h>
#include <string.h>

#include "beforeafter/library.h"
#include "compose/internal.h"
#include "compose/output.h"

int ba_compose_aligned(ba_catalog *cat, int64_t photo_id, int64_t reference_id, int long_edge,
                       const char *output, ba_error *err)
{
    if (ba_output_format(output) == BA_OUT_UNKNOWN) {
        ba_error_set(err, BA_ERR_USAGE, "%s: unknown output format; use .png, .jpg or .webp",
                     output);
        return -1;
    }
    if (ba_library_check_output(ba_catalog_dir(cat), output, false, err))
        return -1;
    if (long_edge < 0 || long_edge > BA_COMPOSE_MAX_SIDE) {
        ba_error_set(err, BA_ERR_USAGE,
                     "an aligned preview's long edge of %d px is outside 1..%d px", long_edge,
                     BA_COMPOSE_MAX_SIDE);
        return -1;
    }
    ba_photo ref, p;
    if (ba_catalog_photo_get_current(cat, reference_id, &ref, err) ||
        ba_catalog_photo_get_current(cat, photo_id, &p, err))
        return -1;
    cp_source s;
    memset(&s, 0, sizeof s);
    s.m[0][0] = s.m[1][1] = 1; /* the reference onto itself */
    if (photo_id != reference_id) {
        if (strcmp(p.client, ref.client) != 0 || !ba_photo_shares_area(&p, &ref)) {
            ba_error_set(err, BA_ERR_REFUSED,
                         "photo %" G_GINT64_FORMAT " (%s, %s) and photo %" G_GINT64_FORMAT
                         " (%s, %s) are of different clients or areas",
                         photo_id, p.client, p.area, reference_id, ref.client, ref.area);
            return -1;
        }
        ba_alignment a;
        ba_error why;
        if (ba_catalog_alignment_get(cat, photo_id, reference_id, &a, &why)) {
            if (why.code != BA_ERR_NOT_FOUND) {
                *err = why;
                return -1;
            }
            ba_error_set(err, BA_ERR_REFUSED,
                         "photo %" G_GINT64_FORMAT " has no current alignment onto photo %"
                         G_GINT64_FORMAT "; align it first",
                         photo_id, reference_id);
            return -1;
        }
        memcpy(s.m, a.matrix, sizeof s.m);
    }
    if (p.master_problem[0]) {
        ba_error_set(err, BA_ERR_CORRUPT, "photo %" G_GINT64_FORMAT ": its master is %s",
                     photo_id, p.master_problem);
        return -1;
    }
    if (cp_open_master(cat, &p, &s.img, err))
        return -1;
    s.is_master = true;
    /* The reference's whole frame at @long_edge (never enlarged). */
    int edge = long_edge > 0 ? long_edge : BA_PREVIEW_LARGE;
    int ref_long = MAX(ref.width, ref.height);
    double k = ref_long > edge ? (double)edge / ref_long : 1.0;
    cp_rect crop = {0, 0, ref.width, ref.height};
    int pw = MAX(1, cp_px(ref.width * k)), ph = MAX(1, cp_px(ref.height * k));
    int rc = -1;
    if (cp_check_pixels("the aligned preview", pw, ph, err) == 0) {
        VipsImage *panel = cp_render_panel(&s, &crop, pw, ph);
        if (panel) {
            rc = ba_output_write(panel, output, ba_output_format(output), 88, NULL, err);
            g_object_unref(panel);
        } else {
            char *why = vips_error_buffer_copy();
            ba_error_set(err, BA_ERR_INTERNAL, "%s: cannot warp photo %" G_GINT64_FORMAT ": %s",
                         output, photo_id, why);
            g_free(why);
        }
    }
    g_object_unref(s.img);
    return rc;
}
