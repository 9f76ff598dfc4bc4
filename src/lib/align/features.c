/* SIFT keypoints (VLFeat) on the feature working copy and ratio-test
 * matching with a k-d forest. */
#include <glib.h>
#include <float.h>
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
/* At most this many detections per image (the strongest), which bounds the
 * time spent on descriptors and matching for busy textures. */
#define AL_SIFT_MAX_KP 400
/* Nearest-neighbour search: trees and leaf comparisons per query. */
#define AL_KD_TREES 2
#define AL_KD_CHECKS 128

bool al_sift_vlfeat_scalespace = false;

/*
 * The Gaussian scale space of VLFeat's SIFT, computed with our vectorised
 * blur instead of VLFeat's generic convolution (which Debian builds without
 * SIMD and which took ~45 % of an alignment).  These two functions do what
 * vl_sift_process_first_octave() / vl_sift_process_next_octave() do (VLFeat
 * 0.9.x: same levels, sigmas and octave bookkeeping on the public
 * VlSiftFilt fields); detection, orientations and descriptors stay VLFeat's.
 * test_align.c checks that both give the same keypoints.
 */
typedef struct octave_buf {
    float *tmp, *row;
} octave_buf;

static void fill_levels(VlSiftFilt *f, octave_buf *b)
{
    int w = f->octave_width, h = f->octave_height;
    for (int s = f->s_min + 1; s <= f->s_max; s++) {
        double sd = f->dsigma0 * pow(f->sigmak, s);
        al_blur(vl_sift_get_octave(f, s - 1), vl_sift_get_octave(f, s), w, h, sd, b->tmp, b->row);
    }
}

static int first_octave(VlSiftFilt *f, const float *im, octave_buf *b)
{
    f->o_cur = f->o_min; /* 0: no up- or down-sampling */
    f->nkeys = 0;
    f->octave_width = f->width;
    f->octave_height = f->height;
    f->grad_o = f->o_min - 1;
    if (f->O == 0)
        return VL_ERR_EOF;
    float *base = vl_sift_get_octave(f, f->s_min);
    memcpy(base, im, sizeof(float) * f->width * f->height);
    double sa = f->sigma0 * pow(f->sigmak, f->s_min), sb = f->sigman;
    if (sa > sb)
        al_blur(base, base, f->width, f->height, sqrt(sa * sa - sb * sb), b->tmp, b->row);
    fill_levels(f, b);
    return VL_ERR_OK;
}

static int next_octave(VlSiftFilt *f, octave_buf *b)
{
    if (f->o_cur == f->o_min + f->O - 1)
        return VL_ERR_EOF;
    int s_best = f->s_min + f->S < f->s_max ? f->s_min + f->S : f->s_max;
    int w = f->octave_width;
    const float *src = vl_sift_get_octave(f, s_best);
    float *dst = f->octave; /* level s_min of the next octave */
    f->o_cur += 1;
    f->nkeys = 0;
    int nw = f->width >> f->o_cur, nh = f->height >> f->o_cur;
    /* Every other pixel of the level with twice the base smoothing; rows
     * are read before they can be overwritten (dst trails src). */
    for (int y = 0; y < nh; y++)
        for (int x = 0; x < nw; x++)
            dst[(size_t)y * nw + x] = src[(size_t)(2 * y) * w + 2 * x];
    f->octave_width = nw;
    f->octave_height = nh;
    double sa = f->sigma0 * pow(f->sigmak, f->s_min);
    double sb = f->sigma0 * pow(f->sigmak, s_best - f->S);
    if (sa > sb)
        al_blur(dst, dst, nw, nh, sqrt(sa * sa - sb * sb), b->tmp, b->row);
    fill_levels(f, b);
    return VL_ERR_OK;
}

typedef struct kp_rank {
    float strength; /* |DoG| at the detection */
    int index;
} kp_rank;

static int cmp_rank(const void *a, const void *b)
{
    const kp_rank *x = a, *y = b;
    if (x->strength != y->strength)
        return x->strength > y->strength ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int cmp_index(const void *a, const void *b)
{
    const kp_rank *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* VLFeat's vl_fast_atan2_f(), same polynomial. */
static inline float fast_atan2(float y, float x)
{
    const float c3 = 0.1821f, c1 = 0.9675f;
    float abs_y = fabsf(y) + FLT_EPSILON, r, angle;
    if (x >= 0) {
        r = (x - abs_y) / (x + abs_y);
        angle = (float)(G_PI / 4);
    } else {
        r = (x + abs_y) / (abs_y - x);
        angle = (float)(3 * G_PI / 4);
    }
    angle += (c3 * r * r - c1) * r;
    return y < 0 ? -angle : angle;
}

/* The gradient buffer VLFeat computes lazily for orientations and
 * descriptors (magnitude and angle in [0, 2 pi) of levels s_min+1 ..
 * s_max-2, one-sided differences on the border), filled here in one tight
 * pass; marking it current makes VLFeat use it. */
static void fill_gradient(VlSiftFilt *f)
{
    int w = f->octave_width, h = f->octave_height;
    size_t so = (size_t)w * h;
    for (int s = f->s_min + 1; s <= f->s_max - 2; s++) {
        const float *src = vl_sift_get_octave(f, s);
        float *g = f->grad + 2 * so * (size_t)(s - f->s_min - 1);
        for (int y = 0; y < h; y++) {
            const float *row = src + (size_t)y * w;
            const float *up = y > 0 ? row - w : row, *dn = y < h - 1 ? row + w : row;
            float ky = (y > 0 && y < h - 1) ? 0.5f : 1.0f;
            float *o = g + 2 * (size_t)y * w;
            for (int x = 0; x < w; x++) {
                float gx = x == 0       ? row[1] - row[0]
                           : x == w - 1 ? row[x] - row[x - 1]
                                        : 0.5f * (row[x + 1] - row[x - 1]);
                float gy = ky * (dn[x] - up[x]);
                float a = fast_atan2(gy, gx);
                if (a < 0)
                    a += (float)(2 * G_PI);
                o[2 * x] = sqrtf(gx * gx + gy * gy);
                o[2 * x + 1] = a;
            }
        }
    }
    f->grad_o = f->o_cur;
}

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
    /* The region of interest in the pixels of @grey. */
    double roi_buf[4], *roi = NULL;
    if (v->roi) {
        al_xf_apply(&v->feat_frame, v->roi[0] - 0.5, v->roi[1] - 0.5, &roi_buf[0], &roi_buf[1]);
        al_xf_apply(&v->feat_frame, v->roi[0] + v->roi[2] - 0.5, v->roi[1] + v->roi[3] - 0.5,
                    &roi_buf[2], &roi_buf[3]);
        roi = roi_buf;
    }
    vl_sift_set_peak_thresh(f, AL_SIFT_PEAK);
    vl_sift_set_edge_thresh(f, AL_SIFT_EDGE);
    GArray *kps = g_array_new(FALSE, FALSE, sizeof(al_kp));
    GArray *descs = g_array_new(FALSE, FALSE, 128 * sizeof(float));
    int loc = 0;
    octave_buf ob = {g_new(float, n), g_new(float, (size_t)grey->w + 64)};
    bool own = !al_sift_vlfeat_scalespace;
    for (int err = own ? first_octave(f, im, &ob) : vl_sift_process_first_octave(f, im);
         err == VL_ERR_OK; err = own ? next_octave(f, &ob) : vl_sift_process_next_octave(f)) {
        vl_sift_detect(f);
        if (own)
            fill_gradient(f);
        const VlSiftKeypoint *all = vl_sift_get_keypoints(f);
        int nall = vl_sift_get_nkeypoints(f);
        /* Keep the strongest of this octave: its share of the cap is its
         * share of the pixels (3/4, 3/16, ...), at least 16. */
        int quota = (int)(AL_SIFT_MAX_KP * 0.75 / (double)(1 << (2 * f->o_cur)));
        if (quota < 16)
            quota = 16;
        kp_rank *rank = g_new(kp_rank, nall > 0 ? nall : 1);
        int w = f->octave_width, h = f->octave_height;
        int nk = 0;
        for (int i = 0; i < nall; i++) {
            if (roi && (all[i].x < roi[0] || all[i].y < roi[1] || all[i].x > roi[2] ||
                        all[i].y > roi[3]))
                continue; /* outside the region of interest: not worth a descriptor */
            const float *dog = f->dog + (size_t)(all[i].is - f->s_min) * w * h;
            rank[nk].strength = fabsf(dog[(size_t)all[i].iy * w + all[i].ix]);
            rank[nk].index = i;
            nk++;
        }
        if (nk > quota) {
            qsort(rank, (size_t)nk, sizeof *rank, cmp_rank);
            nk = quota;
            /* back to detection order, so results do not depend on qsort */
            qsort(rank, (size_t)nk, sizeof *rank, cmp_index);
        }
        for (int r = 0; r < nk; r++, loc++) {
            const VlSiftKeypoint *k = &all[rank[r].index];
            int i = 0;
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
        g_free(rank);
    }
    vl_sift_delete(f);
    g_free(im);
    g_free(ob.tmp);
    g_free(ob.row);
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

typedef struct nn_job {
    VlKDForestSearcher *searcher;
    const float *desc;
    int from, to;
    VlKDForestNeighbor *out; /* 2 per query, indexed by query */
} nn_job;

static gpointer nn_thread(gpointer data)
{
    nn_job *j = data;
    for (int i = j->from; i < j->to; i++)
        vl_kdforestsearcher_query(j->searcher, j->out + 2 * (size_t)i, 2,
                                  j->desc + (size_t)i * 128);
    return NULL;
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

    /* Two nearest neighbours of every photo descriptor, the queries split
     * between this thread and a helper (each with its own searcher). */
    nn_job jobs[2] = {
        {vl_kdforest_new_searcher(forest), photo->desc, 0, photo->nkp / 2, NULL},
        {vl_kdforest_new_searcher(forest), photo->desc, photo->nkp / 2, photo->nkp, NULL},
    };
    VlKDForestNeighbor *nb = g_new(VlKDForestNeighbor, 2 * (size_t)photo->nkp);
    jobs[0].out = jobs[1].out = nb;
    GThread *t = g_thread_try_new("ba-align-nn", nn_thread, &jobs[1], NULL);
    nn_thread(&jobs[0]);
    if (t)
        g_thread_join(t);
    else
        nn_thread(&jobs[1]);

    /* Best photo match per reference keypoint (one-to-one on that side). */
    al_match *best = g_new(al_match, nref);
    for (int i = 0; i < nref; i++)
        best[i].p = -1;
    const double ratio2 = AL_RATIO * AL_RATIO;
    for (int i = 0; i < photo->nkp; i++) {
        const VlKDForestNeighbor *q = nb + 2 * (size_t)i;
        if (!(q[0].distance < ratio2 * q[1].distance))
            continue;
        int r = (int)q[0].index;
        if (best[r].p < 0 || q[0].distance < best[r].dist) {
            best[r].p = i;
            best[r].r = ref_idx[r];
            best[r].dist = (float)q[0].distance;
        }
    }
    g_free(nb);
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
