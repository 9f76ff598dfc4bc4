/* The common field of view: the largest rectangle of the reference frame
 * that every aligned photo covers. */
#include <glib.h>
#include <math.h>

#include "compose/internal.h"

static bool invert(const double m[2][3], double inv[2][3])
{
    double det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    if (fabs(det) < 1e-12)
        return false;
    inv[0][0] = m[1][1] / det;
    inv[0][1] = -m[0][1] / det;
    inv[1][0] = -m[1][0] / det;
    inv[1][1] = m[0][0] / det;
    inv[0][2] = -(inv[0][0] * m[0][2] + inv[0][1] * m[1][2]);
    inv[1][2] = -(inv[1][0] * m[0][2] + inv[1][1] * m[1][2]);
    return true;
}

/* Is reference point (x, y) inside every photo? */
static bool covered(const cp_source *s, const double (*inv)[2][3], int n, double x, double y)
{
    for (int i = 0; i < n; i++) {
        double px = inv[i][0][0] * x + inv[i][0][1] * y + inv[i][0][2];
        double py = inv[i][1][0] * x + inv[i][1][1] * y + inv[i][1][2];
        if (px < 0 || py < 0 || px > s[i].img->Xsize - 1 || py > s[i].img->Ysize - 1)
            return false;
    }
    return true;
}

/*
 * The largest axis-aligned rectangle of the reference frame that every
 * aligned photo covers: a coverage mask on a coarse grid, the maximal
 * rectangle of ones in it (histogram method), then shrunk until its corners
 * are exactly covered (the covered region is convex, so corners suffice).
 */
bool cp_common_rect(const cp_source *s, int n, cp_rect *out)
{
    double(*inv)[2][3] = g_malloc(sizeof(double[2][3]) * (size_t)n);
    for (int i = 0; i < n; i++)
        if (!invert(s[i].m, inv[i])) {
            g_free(inv);
            return false;
        }
    int rw = s[0].img->Xsize, rh = s[0].img->Ysize;
    double cell = MAX(rw, rh) / 256.0;
    if (cell < 1)
        cell = 1;
    int gw = (int)ceil(rw / cell), gh = (int)ceil(rh / cell);
    int *heights = g_new0(int, gw);
    int *stack = g_new(int, gw + 1);
    double best = 0;
    int bx = 0, by = 0, bw = 0, bh = 0;
    for (int gy = 0; gy < gh; gy++) {
        for (int gx = 0; gx < gw; gx++) {
            double x = (gx + 0.5) * cell - 0.5, y = (gy + 0.5) * cell - 0.5;
            heights[gx] = covered(s, (const double(*)[2][3])inv, n, x, y) ? heights[gx] + 1 : 0;
        }
        int top = 0;
        for (int gx = 0; gx <= gw; gx++) {
            int h = gx < gw ? heights[gx] : 0;
            while (top > 0 && heights[stack[top - 1]] >= h) {
                int hh = heights[stack[--top]];
                int left = top > 0 ? stack[top - 1] + 1 : 0;
                double area = (double)hh * (gx - left);
                if (area > best) {
                    best = area;
                    bx = left;
                    bw = gx - left;
                    by = gy - hh + 1;
                    bh = hh;
                }
            }
            stack[top++] = gx;
        }
    }
    g_free(heights);
    g_free(stack);
    if (best <= 0) {
        g_free(inv);
        return false;
    }
    cp_rect r = {bx * cell, by * cell, bw * cell, bh * cell};
    r.w = MIN(r.w, rw - r.x);
    r.h = MIN(r.h, rh - r.y);
    /* Pixel centres run from x to x + w - 1: shrink until all four are covered. */
    for (int tries = 0; tries < 400; tries++) {
        double x0 = r.x, y0 = r.y, x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
        const double(*ci)[2][3] = (const double(*)[2][3])inv;
        if (covered(s, ci, n, x0, y0) && covered(s, ci, n, x1, y0) && covered(s, ci, n, x0, y1) &&
            covered(s, ci, n, x1, y1))
            break;
        double step = MAX(1.0, cell / 4);
        r.x += step;
        r.y += step;
        r.w -= 2 * step;
        r.h -= 2 * step;
        if (r.w < 8 || r.h < 8) {
            g_free(inv);
            return false;
        }
    }
    r.x = ceil(r.x);
    r.y = ceil(r.y);
    r.w = floor(r.w) - 1;
    r.h = floor(r.h) - 1;
    g_free(inv);
    *out = r;
    return r.w >= 8 && r.h >= 8;
}
