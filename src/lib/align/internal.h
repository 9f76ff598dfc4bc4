/* Internal interfaces of the align module: transforms, working images,
 * features, the robust fit and the photometric refinement.  Not installed. */
#ifndef BA_ALIGN_INTERNAL_H
#define BA_ALIGN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <vips/vips.h>

#include "beforeafter/align.h"

/* ---- tuning (documented in docs/ALIGN.md) -------------------------------- */

/* Long edge of the feature working copy (px) when the caller gives 0. */
#define AL_WORK_SIZE 560
/* The photometric refinement runs up to this multiple of the feature size. */
#define AL_REFINE_FACTOR 2
/* Images smaller than this (either edge, px) are refused. */
#define AL_MIN_SIZE 32
/* Below this many keypoints an image is "featureless". */
#define AL_MIN_KEYPOINTS 12
/* Lowe's ratio test on descriptor distances. */
#define AL_RATIO 0.8
/* RANSAC: inlier distance at feature resolution (px), iterations, consensus. */
#define AL_RANSAC_EPS 3.0
#define AL_RANSAC_MIN_ITER 200
#define AL_RANSAC_MAX_ITER 3000
#define AL_MIN_INLIERS 12
/* A match also has to agree in keypoint scale (factor) and orientation (deg). */
#define AL_KP_SCALE_TOL 1.6
#define AL_KP_ANGLE_TOL 30.0
/* Agreement of the warped pixels (band-pass NCC) below which we refuse. */
#define AL_MIN_NCC 0.20
/* Overlap (share of the smaller view) below which we refuse. */
#define AL_MIN_OVERLAP 0.20
/* The refinement may move the feature estimate by at most this share of the
 * long edge (at any corner); more means features and pixels disagree. */
#define AL_MAX_DRIFT 0.02

/* ---- 2-D affine transforms, x' = m[0] x + m[1] y + m[2], y' = m[3] x + m[4] y + m[5] */

typedef struct al_xf {
    double m[6];
} al_xf;

al_xf al_xf_identity(void);
/* A similarity: x' = a x - b y + tx, y' = b x + a y + ty. */
al_xf al_xf_similarity(double a, double b, double tx, double ty);
/* Scale k about the origin, then shift (ox, oy). */
al_xf al_xf_scale_shift(double k, double ox, double oy);
/* (f o g)(p) = f(g(p)) */
al_xf al_xf_compose(const al_xf *f, const al_xf *g);
/* Inverse; false when singular. */
bool al_xf_invert(const al_xf *f, al_xf *out);
void al_xf_apply(const al_xf *f, double x, double y, double *ox, double *oy);
/* Largest displacement between f and g over the corners of a w x h image. */
double al_xf_corner_diff(const al_xf *f, const al_xf *g, int w, int h);
/* Least-squares similarity mapping src[i] -> dst[i] (xy pairs, optional
 * weights); false when the source points coincide. */
bool al_fit_similarity(const double *src, const double *dst, const double *w, int n, al_xf *out);

/* ---- float grey images ------------------------------------------------------ */

typedef struct al_img {
    int w, h;
    float *px; /* w * h, row-major, g_malloc'd */
} al_img;

void al_img_free(al_img *im);
bool al_img_alloc(al_img *im, int w, int h);
/* Half-size by 2x2 box means (floor size): level coords x' = (x + 0.5) / 2 - 0.5. */
bool al_img_half(const al_img *in, al_img *out);
/* Separable Gaussian blur of a w x h float image with replicated borders,
 * kernel cut at 4 sigma like VLFeat's (sigma <= 7.5); @tmp holds w*h floats,
 * @row w + 64; @out may be @src. */
void al_blur(const float *src, float *out, int w, int h, double sigma, float *tmp, float *row);
/* Band-pass (difference of Gaussians, sigmas times @factor) of @in into
 * @out (allocated).  With @half (al_img_half() of @in, may be NULL) the wide
 * Gaussian is taken at half resolution and interpolated back. */
bool al_img_bandpass(const al_img *in, const al_img *half, double factor, al_img *out);
/* Bilinear sample; the caller keeps (x, y) inside [0, w-1] x [0, h-1]. */
static inline float al_img_bilinear(const al_img *im, double x, double y)
{
    int x0 = (int)x, y0 = (int)y;
    if (x0 >= im->w - 1)
        x0 = im->w - 2;
    if (y0 >= im->h - 1)
        y0 = im->h - 2;
    double fx = x - x0, fy = y - y0;
    const float *p = im->px + (size_t)y0 * im->w + x0;
    double top = p[0] + fx * (p[1] - p[0]);
    double bot = p[im->w] + fx * (p[im->w + 1] - p[im->w]);
    return (float)(top + fy * (bot - top));
}

/* ---- one prepared image ----------------------------------------------------- */

#define AL_MAX_LEVELS 4

typedef struct al_kp {
    float x, y;     /* feature working copy px */
    float sigma;    /* keypoint scale, px */
    float angle;    /* orientation, radians, image coords (y down) */
    int loc;        /* detection index: descriptors of one detection share it */
} al_kp;

typedef struct al_view {
    const char *name;     /* for messages: a path or "photo 17" */
    VipsImage *src;       /* 8-bit sRGB (borrowed): the full-resolution image, or a
                             JPEG decoded at 1 / shrink (libjpeg DCT scaling) */
    int shrink;           /* 0 or 1: src is full resolution */
    int full_w, full_h;   /* full-resolution size (given when shrink > 1) */
    /* Refinement pyramid, 0 = finest: grey levels (until band-passed) and
     * band-passed levels; frames map full-resolution px to level px. */
    int nlev;
    al_img grey[AL_MAX_LEVELS];
    al_img lev[AL_MAX_LEVELS];
    al_xf lev_frame[AL_MAX_LEVELS];
    double bp_factor;     /* band-pass sigmas are multiplied by this */
    /* Features (when wanted). */
    bool want_features;
    int work_size;
    const double *roi;    /* keep only keypoints inside (full px x, y, w, h), or NULL */
    al_xf feat_frame;     /* full-resolution px -> feature px */
    int feat_w, feat_h;
    int nkp;
    al_kp *kp;            /* nkp */
    float *desc;          /* nkp * 128, RootSIFT */
    /* Result of preparing. */
    int rc;
    ba_error err;
    double seconds;
} al_view;

/* Decode @v->src into grey working copies, the refinement pyramid and (when
 * @v->want_features) SIFT features.  Sets v->rc / v->err. */
void al_view_prepare(al_view *v);
/* Band-pass every grey level with sigmas times v->bp_factor (then drop the
 * grey levels).  Sets v->rc / v->err. */
void al_view_bandpass(al_view *v);
void al_view_clear(al_view *v);

/* SIFT keypoints and RootSIFT descriptors of @grey (levels 0..255) into
 * v->kp / v->desc, in @grey's pixels (features.c). */
int al_sift(al_view *v, const al_img *grey);
/* Tests only: let VLFeat build the scale space itself (slower, same result). */
extern bool al_sift_vlfeat_scalespace;

/* ---- matching and robust fit ------------------------------------------------ */

typedef struct al_match {
    int p, r;        /* keypoint indices in photo and reference */
    float dist;      /* descriptor distance (squared) */
} al_match;

/* Ratio-test matches of photo features against reference features, one per
 * reference keypoint.  Reference keypoints outside @roi (feature px, may be
 * NULL) are ignored.  Returns the count; *out is g_malloc'd. */
int al_match_features(const al_view *photo, const al_view *ref, const double *roi_feat,
                      unsigned seed, al_match **out);

typedef struct al_fit {
    al_xf xf;        /* photo feature px -> reference feature px */
    int inliers;
    double rms;      /* inlier residual, px */
} al_fit;

/* RANSAC (2-point similarity, MSAC cost, fixed seed) + least-squares re-fit.
 * Returns the number of inliers (0 when nothing consistent was found). */
int al_ransac(const al_view *photo, const al_view *ref, const al_match *m, int n,
              unsigned seed, al_fit *out);

/* ---- photometric refinement ------------------------------------------------- */

typedef struct al_refine_result {
    al_xf xf;        /* photo full px -> reference full px */
    double ncc;      /* band-pass NCC of the overlap, -1..1 */
    double overlap;  /* share of the smaller view covered by the other, 0..1 */
    int iterations;
} al_refine_result;

/* Refine @init (full px -> full px) photometrically over the pyramid; when
 * @refine is false only measure agreement.  @roi: reference full px
 * (x, y, w, h) or NULL. */
void al_refine(const al_view *photo, const al_view *ref, const al_xf *init, bool refine,
               const double *roi, al_refine_result *out);

/* Agreement only: NCC and overlap of @xf at a mid level. */
void al_measure(const al_view *photo, const al_view *ref, const al_xf *xf, const double *roi,
                double *ncc, double *overlap);

#endif
