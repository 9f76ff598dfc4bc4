/* Photometric refinement of a similarity: inverse-compositional Gauss-Newton
 * (Lucas-Kanade) on band-passed grey levels, coarse to fine, with a gain and
 * offset fitted every iteration (so exposure, white balance and gamma do not
 * matter) and Huber weights (so occluders, redness and changed skin do not
 * pull).  The photo is the template: its strongest-gradient pixels, a few per
 * 8x8 cell, are the samples; the reference is interpolated. */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "align/internal.h"

#define AL_CELL 8
#define AL_PER_CELL 4
#define AL_HUBER 1.345
#define AL_MAX_ITER_COARSE 30
#define AL_MAX_ITER_FINE 15
/* Stop when an update moves no corner by more than this (level px): tight at
 * the finest level, looser on the way there. */
#define AL_TOL_FINE 0.004
#define AL_TOL_COARSE 0.02
/* Levels used: from the coarsest whose long edge is at least this. */
#define AL_START_EDGE 160
/* Agreement is measured on the finest level whose long edge is at most this. */
#define AL_MEASURE_EDGE 800

typedef struct gpt {
    float x, y, t;
    float sd[4];
} gpt;

/* Map photo level px -> reference level px. */
static al_xf level_xf(const al_view *photo, const al_view *ref, int l, const al_xf *full)
{
    al_xf inv, t;
    al_xf_invert(&photo->lev_frame[l], &inv);
    t = al_xf_compose(full, &inv);
    return al_xf_compose(&ref->lev_frame[l], &t);
}

static al_xf full_xf(const al_view *photo, const al_view *ref, int l, const al_xf *lev)
{
    al_xf inv, t;
    al_xf_invert(&ref->lev_frame[l], &inv);
    t = al_xf_compose(lev, &photo->lev_frame[l]);
    return al_xf_compose(&inv, &t);
}

static bool inside(const al_img *im, const double *roi, double x, double y)
{
    if (!(x >= 0 && y >= 0 && x <= im->w - 1 && y <= im->h - 1))
        return false;
    return !roi || (x >= roi[0] && y >= roi[1] && x <= roi[2] && y <= roi[3]);
}

/* ROI (full px x, y, w, h) as a box in reference level @l px. */
static void roi_level(const al_view *ref, int l, const double *roi, double *box)
{
    double x0, y0, x1, y1;
    al_xf_apply(&ref->lev_frame[l], roi[0] - 0.5, roi[1] - 0.5, &x0, &y0);
    al_xf_apply(&ref->lev_frame[l], roi[0] + roi[2] - 0.5, roi[1] + roi[3] - 0.5, &x1, &y1);
    box[0] = x0, box[1] = y0, box[2] = x1, box[3] = y1;
}

/* Samples of the photo level: the strongest gradients of each cell among
 * pixels that the current estimate maps into the reference. */
static int select_points(const al_img *T, const al_img *R, const al_xf *m, const double *box,
                         double cx, double cy, double rho, gpt **out)
{
    int w = T->w, h = T->h;
    double mean = 0;
    size_t cnt = 0;
    for (int y = 1; y < h - 1; y += 2)
        for (int x = 1; x < w - 1; x += 2) {
            const float *p = T->px + (size_t)y * w + x;
            float gx = 0.5f * (p[1] - p[-1]), gy = 0.5f * (p[w] - p[-w]);
            mean += gx * gx + gy * gy;
            cnt++;
        }
    mean = cnt ? mean / cnt : 0;
    float thr = (float)(0.25 * mean);
    size_t cap = (size_t)((w / AL_CELL + 1) * (h / AL_CELL + 1)) * AL_PER_CELL;
    gpt *pts = g_new(gpt, cap);
    int n = 0;
    typedef struct cand {
        float mag;
        int x, y;
    } cand;
    for (int y0 = 1; y0 < h - 1; y0 += AL_CELL)
        for (int x0 = 1; x0 < w - 1; x0 += AL_CELL) {
            /* The AL_PER_CELL strongest, by insertion (ties: first seen). */
            cand c[AL_PER_CELL];
            int nc = 0;
            for (int y = y0; y < y0 + AL_CELL && y < h - 1; y++)
                for (int x = x0; x < x0 + AL_CELL && x < w - 1; x++) {
                    const float *p = T->px + (size_t)y * w + x;
                    float gx = 0.5f * (p[1] - p[-1]), gy = 0.5f * (p[w] - p[-w]);
                    float mag = gx * gx + gy * gy;
                    if (!(mag > thr) || (nc == AL_PER_CELL && !(mag > c[nc - 1].mag)))
                        continue;
                    int i = nc < AL_PER_CELL ? nc++ : nc - 1;
                    while (i > 0 && c[i - 1].mag < mag) {
                        c[i] = c[i - 1];
                        i--;
                    }
                    c[i] = (cand){mag, x, y};
                }
            for (int k = 0; k < nc && k < AL_PER_CELL; k++) {
                double qx, qy;
                al_xf_apply(m, c[k].x, c[k].y, &qx, &qy);
                if (!inside(R, box, qx, qy))
                    continue;
                const float *p = T->px + (size_t)c[k].y * w + c[k].x;
                float gx = 0.5f * (p[1] - p[-1]), gy = 0.5f * (p[w] - p[-w]);
                double xn = (c[k].x - cx) / rho, yn = (c[k].y - cy) / rho;
                gpt g = {(float)c[k].x, (float)c[k].y, p[0], {0}};
                g.sd[0] = (float)(rho * (gx * xn + gy * yn));
                g.sd[1] = (float)(rho * (-gx * yn + gy * xn));
                g.sd[2] = gx;
                g.sd[3] = gy;
                pts[n++] = g;
            }
        }
    *out = pts;
    return n;
}

/* Median of |r| by selection on a scratch copy. */
static double median_abs(float *r, int n)
{
    if (n <= 0)
        return 0;
    for (int i = 0; i < n; i++)
        r[i] = fabsf(r[i]);
    int k = n / 2, lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = r[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (r[i] < pivot)
                i++;
            while (r[j] > pivot)
                j--;
            if (i <= j) {
                float t = r[i];
                r[i] = r[j];
                r[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return r[k];
}

/* Solve the 4x4 SPD system H d = b (Cholesky); false when singular. */
static bool solve4(double H[4][4], const double b[4], double d[4])
{
    double L[4][4] = {{0}};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j <= i; j++) {
            double s = H[i][j];
            for (int k = 0; k < j; k++)
                s -= L[i][k] * L[j][k];
            if (i == j) {
                if (!(s > 1e-12))
                    return false;
                L[i][i] = sqrt(s);
            } else {
                L[i][j] = s / L[j][j];
            }
        }
    double y[4];
    for (int i = 0; i < 4; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= L[i][k] * y[k];
        y[i] = s / L[i][i];
    }
    for (int i = 3; i >= 0; i--) {
        double s = y[i];
        for (int k = i + 1; k < 4; k++)
            s -= L[k][i] * d[k];
        d[i] = s / L[i][i];
    }
    return true;
}

/* Gauss-Newton at one level; returns iterations used. */
static int refine_level(const al_img *T, const al_img *R, const double *box, al_xf *m, int max_iter,
                        double tol)
{
    double cx = (T->w - 1) / 2.0, cy = (T->h - 1) / 2.0;
    double rho = 0.5 * hypot(T->w, T->h);
    gpt *pts = NULL;
    int n = select_points(T, R, m, box, cx, cy, rho, &pts);
    if (n < 16) {
        g_free(pts);
        return 0;
    }
    float *iw = g_new(float, n), *res = g_new(float, n), *scratch = g_new(float, n);
    float *wt = g_new(float, n);
    unsigned char *valid = g_new(unsigned char, n);
    for (int i = 0; i < n; i++)
        wt[i] = 1.0f;
    int it;
    for (it = 0; it < max_iter; it++) {
        /* Warp the reference onto the samples. */
        double sw = 0, st = 0, si = 0, stt = 0, sti = 0;
        int nv = 0;
        for (int i = 0; i < n; i++) {
            double qx, qy;
            al_xf_apply(m, pts[i].x, pts[i].y, &qx, &qy);
            valid[i] = inside(R, box, qx, qy);
            if (!valid[i])
                continue;
            iw[i] = al_img_bilinear(R, qx, qy);
            double w = wt[i], t = pts[i].t;
            sw += w, st += w * t, si += w * iw[i], stt += w * t * t, sti += w * t * iw[i];
            nv++;
        }
        if (nv < 16 || !(sw > 0))
            break;
        /* Gain and offset: I = g T + o. */
        double vt = stt - st * st / sw, cti = sti - st * si / sw;
        if (!(vt > 1e-12))
            break;
        double g = cti / vt, o = (si - g * st) / sw;
        if (!(g > 0.05))
            break;
        int k = 0;
        for (int i = 0; i < n; i++)
            if (valid[i]) {
                res[i] = (float)(iw[i] - g * pts[i].t - o);
                scratch[k++] = res[i];
            }
        double sigma = 1.4826 * median_abs(scratch, k);
        if (!(sigma > 1e-9))
            sigma = 1e-9;
        double kh = AL_HUBER * sigma;
        double H[4][4] = {{0}}, b[4] = {0};
        for (int i = 0; i < n; i++) {
            if (!valid[i])
                continue;
            double r = res[i], ar = fabs(r);
            double w = ar <= kh ? 1.0 : kh / ar;
            wt[i] = (float)w;
            const float *sd = pts[i].sd;
            for (int a = 0; a < 4; a++) {
                b[a] += w * g * sd[a] * r;
                for (int c = 0; c <= a; c++)
                    H[a][c] += w * g * g * sd[a] * sd[c];
            }
        }
        for (int a = 0; a < 4; a++)
            for (int c = a + 1; c < 4; c++)
                H[a][c] = H[c][a];
        double d[4];
        if (!solve4(H, b, d))
            break;
        /* W(d) in normalised coordinates about the centre, then M <- M o W(d)^-1. */
        al_xf nrm = al_xf_scale_shift(1.0 / rho, -cx / rho, -cy / rho);
        al_xf den = al_xf_scale_shift(rho, cx, cy);
        al_xf wd = al_xf_similarity(1.0 + d[0], d[1], d[2] / rho, d[3] / rho);
        al_xf t1 = al_xf_compose(&wd, &nrm);
        al_xf wfull = al_xf_compose(&den, &t1), winv;
        if (!al_xf_invert(&wfull, &winv))
            break;
        al_xf next = al_xf_compose(m, &winv);
        double moved = al_xf_corner_diff(&next, m, T->w, T->h);
        if (!isfinite(moved))
            break;
        *m = next;
        if (moved < tol)
            break;
    }
    g_free(pts);
    g_free(iw);
    g_free(res);
    g_free(scratch);
    g_free(wt);
    g_free(valid);
    return it + 1;
}

static int measure_level(const al_view *v)
{
    int l = 0;
    while (l + 1 < v->nlev && MAX(v->lev[l].w, v->lev[l].h) > AL_MEASURE_EDGE)
        l++;
    return l;
}

void al_measure(const al_view *photo, const al_view *ref, const al_xf *xf, const double *roi,
                double *ncc, double *overlap)
{
    int l = measure_level(photo);
    int lr = measure_level(ref);
    if (lr < l)
        l = lr;
    const al_img *T = &photo->lev[l], *R = &ref->lev[l];
    al_xf m = level_xf(photo, ref, l, xf);
    double box[4], *bp = NULL;
    double ref_area = (double)R->w * R->h;
    if (roi) {
        roi_level(ref, l, roi, box);
        bp = box;
        ref_area = (box[2] - box[0]) * (box[3] - box[1]);
    }
    double s1 = 0, s2 = 0, s11 = 0, s22 = 0, s12 = 0;
    long cnt = 0;
    /* Every other pixel both ways: plenty for a correlation. */
    for (int y = 0; y < T->h; y += 2)
        for (int x = 0; x < T->w; x += 2) {
            double qx, qy;
            al_xf_apply(&m, x, y, &qx, &qy);
            if (!inside(R, bp, qx, qy))
                continue;
            double a = T->px[(size_t)y * T->w + x], b = al_img_bilinear(R, qx, qy);
            s1 += a, s2 += b, s11 += a * a, s22 += b * b, s12 += a * b;
            cnt++;
        }
    *ncc = 0;
    *overlap = 0;
    if (cnt < 32)
        return;
    double va = s11 - s1 * s1 / cnt, vb = s22 - s2 * s2 / cnt, cv = s12 - s1 * s2 / cnt;
    if (va > 0 && vb > 0)
        *ncc = cv / sqrt(va * vb);
    double det = fabs(m.m[0] * m.m[4] - m.m[1] * m.m[3]);
    double samples = (double)((T->w + 1) / 2) * ((T->h + 1) / 2);
    double photo_frac = cnt / samples;
    double ref_frac = ref_area > 0 ? photo_frac * (double)T->w * T->h * det / ref_area : 0;
    *overlap = MIN(1.0, MAX(photo_frac, ref_frac));
}

void al_refine(const al_view *photo, const al_view *ref, const al_xf *init, bool refine,
               const double *roi, al_refine_result *out)
{
    out->xf = *init;
    out->iterations = 0;
    int nlev = MIN(photo->nlev, ref->nlev);
    if (refine && nlev > 0) {
        int start = nlev - 1;
        while (start > 0 && MAX(photo->lev[start].w, photo->lev[start].h) < AL_START_EDGE)
            start--;
        al_xf cur = *init;
        for (int l = start; l >= 0; l--) {
            al_xf m = level_xf(photo, ref, l, &cur);
            double box[4], *bp = NULL;
            if (roi) {
                roi_level(ref, l, roi, box);
                bp = box;
            }
            out->iterations +=
                refine_level(&photo->lev[l], &ref->lev[l], bp, &m,
                             l == 0 ? AL_MAX_ITER_FINE : AL_MAX_ITER_COARSE,
                             l == 0 ? AL_TOL_FINE : AL_TOL_COARSE);
            cur = full_xf(photo, ref, l, &m);
        }
        out->xf = cur;
    }
    al_measure(photo, ref, &out->xf, roi, &out->ncc, &out->overlap);
}
