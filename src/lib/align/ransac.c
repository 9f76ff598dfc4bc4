/* Robust similarity fit: RANSAC on pairs of matches (a similarity has 4
 * degrees of freedom, two matches fix it), MSAC cost, a fixed-seed generator
 * so the same input always gives the same answer, then least squares on the
 * inliers.  A match counts as an inlier only when its position agrees and its
 * two keypoints agree with the transform in scale and orientation, which
 * makes chance consensus between unrelated photos very unlikely. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "align/internal.h"

typedef struct pt {
    double px, py, rx, ry;
    double lscale;     /* log(sigma_ref / sigma_photo) */
    double dcos, dsin; /* of angle_ref - angle_photo */
} pt;

/* xorshift64*: small, fast, and the same everywhere. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int rng_below(uint64_t *s, int n)
{
    return (int)((rng_next(s) >> 33) % (uint64_t)n);
}

/* Keypoint agreement tolerances: log of the scale ratio, cosine of the angle. */
typedef struct tol {
    double log_scale, cos_angle;
} tol;

/* Squared position error of @p under (a, b, tx, ty), or -1 when the
 * keypoints disagree with the transform's scale (log @lscale) or rotation
 * (cos, sin = @c, @sn). */
static double residual2(const pt *p, const tol *t, double a, double b, double tx, double ty,
                        double lscale, double c, double sn)
{
    if (fabs(p->lscale - lscale) > t->log_scale)
        return -1;
    /* cos(dang - angle) >= cos(tolerance) */
    if (p->dcos * c + p->dsin * sn < t->cos_angle)
        return -1;
    double ex = a * p->px - b * p->py + tx - p->rx;
    double ey = b * p->px + a * p->py + ty - p->ry;
    return ex * ex + ey * ey;
}

/* Inliers of @f among @pts into @mask; returns the count. */
static int inliers_of(const pt *pts, const tol *t, int n, const al_xf *f, double eps2, bool *mask,
                      double *sse)
{
    double a = f->m[0], b = f->m[3], tx = f->m[2], ty = f->m[5];
    double r = hypot(a, b);
    double lscale = log(r), ca = a / r, sa = b / r;
    int c = 0;
    double s = 0;
    for (int i = 0; i < n; i++) {
        double e2 = residual2(&pts[i], t, a, b, tx, ty, lscale, ca, sa);
        mask[i] = e2 >= 0 && e2 < eps2;
        if (mask[i]) {
            c++;
            s += e2;
        }
    }
    if (sse)
        *sse = s;
    return c;
}

int al_ransac(const al_view *photo, const al_view *ref, const al_match *m, int n, unsigned seed,
              al_fit *out)
{
    memset(out, 0, sizeof *out);
    out->xf = al_xf_identity();
    if (n < 2)
        return 0;
    pt *pts = g_new(pt, n);
    for (int i = 0; i < n; i++) {
        const al_kp *p = &photo->kp[m[i].p], *r = &ref->kp[m[i].r];
        double d = (double)r->angle - p->angle;
        pts[i] = (pt){p->x, p->y, r->x, r->y, log((double)r->sigma / p->sigma), cos(d), sin(d)};
    }
    const double eps2 = AL_RANSAC_EPS * AL_RANSAC_EPS;
    const tol t = {log(AL_KP_SCALE_TOL), cos(AL_KP_ANGLE_TOL * G_PI / 180.0)};
    uint64_t state = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    if (!state)
        state = 1;
    double best_cost = HUGE_VAL;
    int best_count = 0;
    al_xf best = al_xf_identity();
    int needed = AL_RANSAC_MAX_ITER;
    for (int it = 0; it < needed || it < AL_RANSAC_MIN_ITER; it++) {
        if (it >= AL_RANSAC_MAX_ITER)
            break;
        int i = rng_below(&state, n), j = rng_below(&state, n - 1);
        if (j >= i)
            j++;
        const pt *p = &pts[i], *q = &pts[j];
        double dpx = p->px - q->px, dpy = p->py - q->py;
        double d2 = dpx * dpx + dpy * dpy;
        if (d2 < 36.0)
            continue;
        double drx = p->rx - q->rx, dry = p->ry - q->ry;
        /* alpha = (r_i - r_j) / (p_i - p_j) */
        double a = (drx * dpx + dry * dpy) / d2, b = (dry * dpx - drx * dpy) / d2;
        double s2 = a * a + b * b;
        if (s2 < 1.0 / 64 || s2 > 64)
            continue;
        double tx = p->rx - (a * p->px - b * p->py), ty = p->ry - (b * p->px + a * p->py);
        double sc = sqrt(s2), lscale = log(sc), ca = a / sc, sa = b / sc;
        /* Both samples must agree with their own hypothesis. */
        if (residual2(p, &t, a, b, tx, ty, lscale, ca, sa) < 0 ||
            residual2(q, &t, a, b, tx, ty, lscale, ca, sa) < 0)
            continue;
        double cost = 0;
        int count = 0;
        for (int k = 0; k < n && cost < best_cost; k++) {
            double e2 = residual2(&pts[k], &t, a, b, tx, ty, lscale, ca, sa);
            if (e2 >= 0 && e2 < eps2) {
                cost += e2;
                count++;
            } else {
                cost += eps2;
            }
        }
        if (cost < best_cost) {
            best_cost = cost;
            best_count = count;
            best = al_xf_similarity(a, b, tx, ty);
            double w = (double)count / n;
            double miss = 1.0 - w * w;
            if (miss <= 1e-9)
                needed = 0;
            else
                needed = (int)ceil(log(1e-3) / log(miss));
        }
    }
    int result = 0;
    if (best_count >= 2) {
        /* Least squares on the inliers, re-selecting them until stable. */
        bool *mask = g_new(bool, n);
        double *src = g_new(double, 2 * n), *dst = g_new(double, 2 * n);
        al_xf cur = best;
        int count = inliers_of(pts, &t, n, &cur, eps2, mask, NULL);
        for (int round = 0; round < 5 && count >= 2; round++) {
            int k = 0;
            for (int i = 0; i < n; i++)
                if (mask[i]) {
                    src[2 * k] = pts[i].px, src[2 * k + 1] = pts[i].py;
                    dst[2 * k] = pts[i].rx, dst[2 * k + 1] = pts[i].ry;
                    k++;
                }
            al_xf fit;
            if (!al_fit_similarity(src, dst, NULL, k, &fit))
                break;
            int c2 = inliers_of(pts, &t, n, &fit, eps2, mask, NULL);
            if (c2 < 2)
                break;
            cur = fit;
            bool same = c2 == count;
            count = c2;
            if (same && round > 0)
                break;
        }
        double sse = 0;
        count = inliers_of(pts, &t, n, &cur, eps2, mask, &sse);
        out->xf = cur;
        out->inliers = count;
        out->rms = count ? sqrt(sse / count) : 0;
        result = count;
        g_free(mask);
        g_free(src);
        g_free(dst);
    }
    g_free(pts);
    return result;
}
