/* Preparing one image for alignment: a grey working copy at the refinement
 * resolution (the only pixels we copy out of libvips), its pyramid, the
 * band-passed levels and, when wanted, SIFT features.
 *
 * Coordinates: pixel centres at integers.  vips_resize() in libvips 8.14
 * aligns the centres of input and output (tested in test_align.c): with scale
 * s, x_out = s (x_in - (W_in - 1) / 2) + (W_out - 1) / 2.  Our 2x2 pyramid
 * maps x_half = (x + 0.5) / 2 - 0.5.  Each level keeps the exact affine map
 * from full-resolution pixels to its own. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "align/internal.h"

/* SIFT on the feature copy (features.c). */
int al_sift(al_view *v, const al_img *grey);

static void vips_fail(al_view *v, const char *what)
{
    char *why = vips_error_buffer_copy();
    g_strstrip(why);
    for (char *p = why; *p; p++)
        if (*p == '\n')
            *p = ' ';
    ba_error_set(&v->err, BA_ERR_CORRUPT, "%s: cannot %s: %s", v->name, what,
                 *why ? why : "libvips failed");
    g_free(why);
}

/* Grey float copy of @v->src resized by @s (<= 1) into @out. */
static int load_grey(al_view *v, double s, al_img *out)
{
    VipsImage *base = v->src, *t[6] = {NULL};
    int rc = -1;
    /* 8-bit sRGB from ingest; be lenient with grey and alpha. */
    if (base->Bands >= 3) {
        if (vips_extract_band(base, &t[0], 0, "n", 3, NULL))
            goto vips_error;
    } else {
        if (vips_extract_band(base, &t[0], 0, NULL))
            goto vips_error;
    }
    if (s < 1.0) {
        if (vips_resize(t[0], &t[1], s, "kernel", VIPS_KERNEL_LANCZOS3, NULL))
            goto vips_error;
    } else {
        t[1] = t[0];
        g_object_ref(t[1]);
    }
    if (t[1]->Bands == 3) {
        t[2] = vips_image_new_matrixv(3, 1, 0.299, 0.587, 0.114);
        if (vips_recomb(t[1], &t[3], t[2], NULL))
            goto vips_error;
    } else {
        t[3] = t[1];
        g_object_ref(t[3]);
    }
    /* Levels 0..255 whatever the sample format. */
    double unit = base->BandFmt == VIPS_FORMAT_USHORT ? 1.0 / 257.0 : 1.0;
    if (vips_linear1(t[3], &t[4], unit, 0.0, NULL) || vips_cast_float(t[4], &t[5], NULL))
        goto vips_error;
    size_t len = 0;
    float *px = vips_image_write_to_memory(t[5], &len);
    if (!px)
        goto vips_error;
    if (len != (size_t)t[5]->Xsize * t[5]->Ysize * sizeof(float)) {
        g_free(px);
        ba_error_set(&v->err, BA_ERR_INTERNAL, "%s: unexpected working copy size", v->name);
        goto done;
    }
    out->w = t[5]->Xsize;
    out->h = t[5]->Ysize;
    out->px = px;
    rc = 0;
    goto done;
vips_error:
    vips_fail(v, "decode the image");
done:
    for (int i = 5; i >= 0; i--)
        if (t[i])
            g_object_unref(t[i]);
    return rc;
}

void al_view_prepare(al_view *v)
{
    gint64 t0 = g_get_monotonic_time();
    v->rc = -1;
    ba_error_clear(&v->err);
    v->full_w = v->src->Xsize;
    v->full_h = v->src->Ysize;
    int long_full = MAX(v->full_w, v->full_h);
    double s = (double)(AL_REFINE_FACTOR * v->work_size) / long_full;
    al_img grey[AL_MAX_LEVELS] = {{0}};
    int ngrey = 0;
    if (s >= 1.0)
        s = 1.0;
    if (load_grey(v, s, &grey[0]))
        goto out;
    gint64 tl = g_get_monotonic_time();
    ngrey = 1;
    if (s < 1.0)
        v->lev_frame[0] = al_xf_scale_shift(s, (grey[0].w - 1) / 2.0 - s * (v->full_w - 1) / 2.0,
                                            (grey[0].h - 1) / 2.0 - s * (v->full_h - 1) / 2.0);
    else
        v->lev_frame[0] = al_xf_identity();
    /* Pyramid while the half stays at least 48 px on its short edge. */
    const al_xf half = al_xf_scale_shift(0.5, -0.25, -0.25);
    while (ngrey < AL_MAX_LEVELS && MIN(grey[ngrey - 1].w, grey[ngrey - 1].h) / 2 >= 48) {
        if (!al_img_half(&grey[ngrey - 1], &grey[ngrey])) {
            ba_error_set(&v->err, BA_ERR_NOMEM, "%s: out of memory", v->name);
            goto out;
        }
        v->lev_frame[ngrey] = al_xf_compose(&half, &v->lev_frame[ngrey - 1]);
        ngrey++;
    }
    if (v->want_features) {
        /* The finest level whose long edge is at most 1.5x the feature size. */
        int f = 0;
        while (f + 1 < ngrey && MAX(grey[f].w, grey[f].h) > 1.5 * v->work_size)
            f++;
        v->feat_frame = v->lev_frame[f];
        v->feat_w = grey[f].w;
        v->feat_h = grey[f].h;
        if (al_sift(v, &grey[f]))
            goto out;
    }
    gint64 ts = g_get_monotonic_time();
    for (int i = 0; i < ngrey; i++) {
        if (!al_img_bandpass(&grey[i], &v->lev[i])) {
            ba_error_set(&v->err, BA_ERR_NOMEM, "%s: out of memory", v->name);
            goto out;
        }
        v->nlev = i + 1;
        al_img_free(&grey[i]);
    }
    v->rc = 0;
    if (g_getenv("BA_ALIGN_DEBUG"))
        fprintf(stderr, "DEBUG %s load %.3f sift %.3f bandpass %.3f\n", v->name, (tl - t0) / 1e6,
                (ts - tl) / 1e6, (g_get_monotonic_time() - ts) / 1e6);
out:
    for (int i = 0; i < AL_MAX_LEVELS; i++)
        al_img_free(&grey[i]);
    v->seconds = (g_get_monotonic_time() - t0) / 1e6;
}

void al_view_clear(al_view *v)
{
    for (int i = 0; i < AL_MAX_LEVELS; i++)
        al_img_free(&v->lev[i]);
    v->nlev = 0;
    g_free(v->kp);
    g_free(v->desc);
    v->kp = NULL;
    v->desc = NULL;
    v->nkp = 0;
}
