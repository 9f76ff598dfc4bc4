/* 2-D affine transforms and the least-squares similarity fit. */
#include <math.h>

#include "align/internal.h"

al_xf al_xf_identity(void)
{
    al_xf f = {{1, 0, 0, 0, 1, 0}};
    return f;
}

al_xf al_xf_similarity(double a, double b, double tx, double ty)
{
    al_xf f = {{a, -b, tx, b, a, ty}};
    return f;
}

al_xf al_xf_scale_shift(double k, double ox, double oy)
{
    al_xf f = {{k, 0, ox, 0, k, oy}};
    return f;
}

al_xf al_xf_compose(const al_xf *f, const al_xf *g)
{
    const double *a = f->m, *b = g->m;
    al_xf r = {{a[0] * b[0] + a[1] * b[3], a[0] * b[1] + a[1] * b[4], a[0] * b[2] + a[1] * b[5] + a[2],
                a[3] * b[0] + a[4] * b[3], a[3] * b[1] + a[4] * b[4],
                a[3] * b[2] + a[4] * b[5] + a[5]}};
    return r;
}

bool al_xf_invert(const al_xf *f, al_xf *out)
{
    const double *a = f->m;
    double det = a[0] * a[4] - a[1] * a[3];
    if (!(fabs(det) > 1e-300) || !isfinite(det))
        return false;
    double i0 = a[4] / det, i1 = -a[1] / det, i3 = -a[3] / det, i4 = a[0] / det;
    al_xf r = {{i0, i1, -(i0 * a[2] + i1 * a[5]), i3, i4, -(i3 * a[2] + i4 * a[5])}};
    *out = r;
    return true;
}

void al_xf_apply(const al_xf *f, double x, double y, double *ox, double *oy)
{
    *ox = f->m[0] * x + f->m[1] * y + f->m[2];
    *oy = f->m[3] * x + f->m[4] * y + f->m[5];
}

double al_xf_corner_diff(const al_xf *f, const al_xf *g, int w, int h)
{
    const double cx[4] = {0, w - 1.0, w - 1.0, 0}, cy[4] = {0, 0, h - 1.0, h - 1.0};
    double worst = 0;
    for (int i = 0; i < 4; i++) {
        double ax, ay, bx, by;
        al_xf_apply(f, cx[i], cy[i], &ax, &ay);
        al_xf_apply(g, cx[i], cy[i], &bx, &by);
        double d = hypot(ax - bx, ay - by);
        if (!(d <= worst))
            worst = d; /* NaN propagates as "worst" */
    }
    return worst;
}

bool al_fit_similarity(const double *src, const double *dst, const double *w, int n, al_xf *out)
{
    /* Complex form: dst = alpha * src + beta, alpha = a + ib. */
    double W = 0, sx = 0, sy = 0, dx = 0, dy = 0;
    for (int i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        W += wi;
        sx += wi * src[2 * i];
        sy += wi * src[2 * i + 1];
        dx += wi * dst[2 * i];
        dy += wi * dst[2 * i + 1];
    }
    if (n < 2 || !(W > 0))
        return false;
    sx /= W, sy /= W, dx /= W, dy /= W;
    double num_re = 0, num_im = 0, den = 0;
    for (int i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        double ux = src[2 * i] - sx, uy = src[2 * i + 1] - sy;
        double vx = dst[2 * i] - dx, vy = dst[2 * i + 1] - dy;
        /* conj(u) * v */
        num_re += wi * (ux * vx + uy * vy);
        num_im += wi * (ux * vy - uy * vx);
        den += wi * (ux * ux + uy * uy);
    }
    if (!(den > 1e-12 * W))
        return false;
    double a = num_re / den, b = num_im / den;
    *out = al_xf_similarity(a, b, dx - (a * sx - b * sy), dy - (b * sx + a * sy));
    return true;
}
