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
#include <string.h>

#include "align/internal.h"


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

/* Grey float copy (levels 0..255) of @v->src resized by @s (<= 1) into
 * @out: libvips decodes and resamples, the grey conversion is ours. */
static int load_grey(al_view *v, double s, al_img *out)
{
    VipsImage *base = v->src, *t[3] = {NULL};
    int rc = -1;
    unsigned char *px = NULL;
    /* 8-bit sRGB from ingest; be lenient with grey, alpha and 16 bits. */
    int bands = base->Bands >= 3 ? 3 : 1;
    if (vips_extract_band(base, &t[0], 0, "n", bands, NULL))
        goto vips_error;
    if (base->BandFmt == VIPS_FORMAT_UCHAR) {
        t[1] = t[0];
        g_object_ref(t[1]);
    } else if (vips_cast_uchar(t[0], &t[1], "shift", base->BandFmt == VIPS_FORMAT_USHORT, NULL)) {
        goto vips_error;
    }
    if (s < 1.0) {
        if (vips_resize(t[1], &t[2], s, "kernel", VIPS_KERNEL_LANCZOS3, NULL))
            goto vips_error;
    } else {
        t[2] = t[1];
        g_object_ref(t[2]);
    }
    size_t len = 0;
    px = vips_image_write_to_memory(t[2], &len);
    if (!px)
        goto vips_error;
    int w = t[2]->Xsize, h = t[2]->Ysize;
    size_t n = (size_t)w * h;
    if (len != n * bands) {
        ba_error_set(&v->err, BA_ERR_INTERNAL, "%s: unexpected working copy size", v->name);
        goto done;
    }
    if (!al_img_alloc(out, w, h)) {
        ba_error_set(&v->err, BA_ERR_NOMEM, "%s: out of memory", v->name);
        goto done;
    }
    if (bands == 3)
        for (size_t i = 0; i < n; i++)
            out->px[i] = 0.299f * px[3 * i] + 0.587f * px[3 * i + 1] + 0.114f * px[3 * i + 2];
    else
        for (size_t i = 0; i < n; i++)
            out->px[i] = px[i];
    rc = 0;
    goto done;
vips_error:
    vips_fail(v, "decode the image");
done:
    g_free(px);
    for (int i = 2; i >= 0; i--)
        if (t[i])
            g_object_unref(t[i]);
    return rc;
}

void al_view_prepare(al_view *v)
{
    gint64 t0 = g_get_monotonic_time();
    v->rc = -1;
    ba_error_clear(&v->err);
    al_xf src_frame = al_xf_identity();
    if (v->shrink > 1) {
        /* libjpeg's DCT scaling works block by block: x_src = (x + 0.5) / shrink - 0.5. */
        double k = 1.0 / v->shrink;
        src_frame = al_xf_scale_shift(k, 0.5 * k - 0.5, 0.5 * k - 0.5);
    } else {
        v->full_w = v->src->Xsize;
        v->full_h = v->src->Ysize;
    }
    int long_full = MAX(v->full_w, v->full_h);
    /* Refine at full resolution unless it is well above twice the feature
     * size (resampling would cost more than it saves). */
    double s = (double)(AL_REFINE_FACTOR * v->work_size) / long_full;
    if (s >= 0.8)
        s = 1.0;
    /* ... relative to the decoded pixels. */
    double s_src = s * (v->shrink > 1 ? v->shrink : 1);
    if (s_src > 0.999)
        s_src = 1.0;
    al_img *grey = v->grey;
    if (load_grey(v, s_src, &grey[0]))
        goto out;
    v->nlev = 1;
    al_xf resize = al_xf_identity();
    if (s_src < 1.0)
        resize = al_xf_scale_shift(s_src, (grey[0].w - 1) / 2.0 - s_src * (v->src->Xsize - 1) / 2.0,
                                   (grey[0].h - 1) / 2.0 - s_src * (v->src->Ysize - 1) / 2.0);
    v->lev_frame[0] = al_xf_compose(&resize, &src_frame);
    /* Pyramid while the half stays at least 48 px on its short edge. */
    const al_xf half = al_xf_scale_shift(0.5, -0.25, -0.25);
    while (v->nlev < AL_MAX_LEVELS && MIN(grey[v->nlev - 1].w, grey[v->nlev - 1].h) / 2 >= 48) {
        if (!al_img_half(&grey[v->nlev - 1], &grey[v->nlev])) {
            ba_error_set(&v->err, BA_ERR_NOMEM, "%s: out of memory", v->name);
            goto out;
        }
        v->lev_frame[v->nlev] = al_xf_compose(&half, &v->lev_frame[v->nlev - 1]);
        v->nlev++;
    }
    if (v->want_features) {
        /* The finest level whose long edge is at most 1.5x the feature size. */
        int f = 0;
        while (f + 1 < v->nlev && MAX(grey[f].w, grey[f].h) > 1.5 * v->work_size)
            f++;
        v->feat_frame = v->lev_frame[f];
        v->feat_w = grey[f].w;
        v->feat_h = grey[f].h;
        if (al_sift(v, &grey[f]))
            goto out;
    }
    v->rc = 0;
out:
    v->seconds = (g_get_monotonic_time() - t0) / 1e6;
}

void al_view_bandpass(al_view *v)
{
    v->rc = -1;
    /* In increasing order: level i borrows the grey level i + 1. */
    for (int i = 0; i < v->nlev; i++) {
        const al_img *half = i + 1 < v->nlev ? &v->grey[i + 1] : NULL;
        if (!al_img_bandpass(&v->grey[i], half, v->bp_factor > 0 ? v->bp_factor : 1.0,
                             &v->lev[i])) {
            ba_error_set(&v->err, BA_ERR_NOMEM, "%s: out of memory", v->name);
            return;
        }
        al_img_free(&v->grey[i]);
    }
    v->rc = 0;
}

void al_view_clear(al_view *v)
{
    for (int i = 0; i < AL_MAX_LEVELS; i++) {
        al_img_free(&v->lev[i]);
        al_img_free(&v->grey[i]);
    }
    v->nlev = 0;
    g_free(v->kp);
    g_free(v->desc);
    v->kp = NULL;
    v->desc = NULL;
    v->nkp = 0;
}
