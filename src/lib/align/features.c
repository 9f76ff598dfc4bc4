/* SIFT keypoints (VLFeat) on the feature working copy and ratio-test
 * matching with a k-d forest. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vl/kdtree.h>
#include <vl/random.h>
#include <vl/sift.h>

#include "align/internal.h"

/* SIFT parameters: 3 levels per octave from the working copy's own
 * resolution (no up-sampled octave), VLFeat's edge threshold, and a peak
 * threshold on a copy normalised to a standard deviation of 0.2. */
#define AL_SIFT_LEVELS 3
#define AL_SIFT_PEAK 0.005
#define AL_SIFT_EDGE 10.0
#define AL_SIFT_STD 0.2
/* Nearest-neighbour search: trees and leaf comparisons per query. */
#define AL_KD_TREES 4
#define AL_KD_CHECKS 256

int al_sift(al_view *v, const al_img *grey);

int al_sift(al_view *v, const al_img *grey)
{
    size_t n = (size_t)grey->w * grey->h;
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += grey->px[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (grey->px[i] - mean) * (grey->px[i] - mean);
    double sd = sqrt(var / (double)n);
    /* A flat image has no features; don't amplify its noise. */
    float gain = (float)(AL_SIFT_STD / (sd > 2.0 ? sd : 2.0));
    float *im = g_try_malloc(n * sizeof(float));
    if (!im) {
        ba_error_set(&v->err, BA_ERR_NOMEM, "%s: out of memory", v->name);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        im[i] = (float)((grey->px[i] - mean) * gain + 0.5);

    VlSiftFilt *f = vl_sift_new(grey->w, grey->h, -1, AL_SIFT_LEVELS, 0);
    if (!f) {
        g_free(im);
        ba_error_set(&v->err, BA_ERR_NOMEM, "%s: out of memory (SIFT)", v->name);
        return -1;
    }
    vl_sift_set_peak_thresh(f, AL_SIFT_PEAK);
    vl_sift_set_edge_thresh(f, AL_SIFT_EDGE);
    GArray *kps = g_array_new(FALSE, FALSE, sizeof(al_kp));
    GArray *descs = g_array_new(FALSE, FALSE, 128 * sizeof(float));
    int loc = 0;
    for (int err = vl_sift_process_first_octave(f, im); err == VL_ERR_OK;
         err = vl_sift_process_next_octave(f)) {
        vl_sift_detect(f);
        const VlSiftKeypoint *k = vl_sift_get_keypoints(f);
        int nk = vl_sift_get_nkeypoints(f);
        for (int i = 0; i < nk; i++, loc++) {
            double angles[4];
            int na = vl_sift_calc_keypoint_orientations(f, angles, &k[i]);
            for (int j = 0; j < na; j++) {
                float d[128];
                vl_sift_calc_keypoint_descriptor(f, d, &k[i], angles[j]);
                /* RootSIFT: Hellinger distance becomes Euclidean. */
                double l1 = 0;
                for (int c = 0; c < 128; c++)
                    l1 += d[c];
                if (!(l1 > 0))
                    continue;
                for (int c = 0; c < 128; c++)
                    d[c] = (float)sqrt(d[c] / l1);
                al_kp kp = {k[i].x, k[i].y, k[i].sigma, (float)angles[j], loc};
                g_array_append_val(kps, kp);
                g_array_append_vals(descs, d, 1);
            }
        }
    }
    vl_sift_delete(f);
    g_free(im);
    v->nkp = (int)kps->len;
    v->kp = (al_kp *)g_array_free(kps, FALSE);
    v->desc = (float *)g_array_free(descs, FALSE);
    return 0;
}

static int cmp_match(const void *a, const void *b)
{
    const al_match *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->r > y->r) - (x->r < y->r);
}

int al_match_features(const al_view *photo, const al_view *ref, const double *roi_feat,
                      unsigned seed, al_match **out)
{
    *out = NULL;
    /* Reference keypoints inside the region of interest. */
    int *ref_idx = g_new(int, ref->nkp + 1);
    int nref = 0;
    for (int i = 0; i < ref->nkp; i++) {
        const al_kp *k = &ref->kp[i];
        if (roi_feat && (k->x < roi_feat[0] || k->y < roi_feat[1] || k->x > roi_feat[2] ||
                         k->y > roi_feat[3]))
            continue;
        ref_idx[nref++] = i;
    }
    if (nref < 2 || photo->nkp < 1) {
        g_free(ref_idx);
        return 0;
    }
    float *data = g_new(float, (size_t)nref * 128);
    for (int i = 0; i < nref; i++)
        memcpy(data + (size_t)i * 128, ref->desc + (size_t)ref_idx[i] * 128, 128 * sizeof(float));

    VlKDForest *forest = vl_kdforest_new(VL_TYPE_FLOAT, 128, AL_KD_TREES, VlDistanceL2);
    /* Our own generator: deterministic and independent of VLFeat's
     * thread-global one. */
    VlRand rnd;
    vl_rand_init(&rnd);
    vl_rand_seed(&rnd, seed ^ 0x5f3759dfu);
    forest->rand = &rnd;
    vl_kdforest_build(forest, (vl_size)nref, data);
    vl_kdforest_set_max_num_comparisons(forest, AL_KD_CHECKS);

    /* Best photo match per reference keypoint (one-to-one on that side). */
    al_match *best = g_new(al_match, nref);
    for (int i = 0; i < nref; i++)
        best[i].p = -1;
    const double ratio2 = AL_RATIO * AL_RATIO;
    for (int i = 0; i < photo->nkp; i++) {
        VlKDForestNeighbor nb[2];
        vl_kdforest_query(forest, nb, 2, photo->desc + (size_t)i * 128);
        if (!(nb[0].distance < ratio2 * nb[1].distance))
            continue;
        int r = (int)nb[0].index;
        if (best[r].p < 0 || nb[0].distance < best[r].dist) {
            best[r].p = i;
            best[r].r = ref_idx[r];
            best[r].dist = (float)nb[0].distance;
        }
    }
    vl_kdforest_delete(forest);
    g_free(data);

    al_match *m = g_new(al_match, nref);
    int n = 0;
    for (int i = 0; i < nref; i++)
        if (best[i].p >= 0)
            m[n++] = best[i];
    g_free(best);
    g_free(ref_idx);
    /* One match per pair of detections (a detection may carry several
     * orientations); keep the closest. */
    qsort(m, (size_t)n, sizeof *m, cmp_match);
    int k = 0;
    for (int i = 0; i < n; i++) {
        int dup = -1;
        for (int j = k - 1; j >= 0 && photo->kp[m[j].p].loc == photo->kp[m[i].p].loc; j--)
            if (ref->kp[m[j].r].loc == ref->kp[m[i].r].loc)
                dup = j;
        if (dup < 0)
            m[k++] = m[i];
        else if (m[i].dist < m[dup].dist)
            m[dup] = m[i];
    }
    *out = m;
    return k;
}
