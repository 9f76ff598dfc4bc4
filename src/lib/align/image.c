/* Float grey working images: allocation, 2x2 pyramid, band-pass filter. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "align/internal.h"

/* Band-pass: difference of Gaussians (sigma in px of the level). */
#define AL_BP_SIGMA_FINE 0.8
#define AL_BP_SIGMA_COARSE 3.0

void al_img_free(al_img *im)
{
    if (!im)
        return;
    g_free(im->px);
    im->px = NULL;
    im->w = im->h = 0;
}

bool al_img_alloc(al_img *im, int w, int h)
{
    im->w = w;
    im->h = h;
    im->px = g_try_malloc((size_t)w * h * sizeof(float));
    return im->px != NULL;
}

bool al_img_half(const al_img *in, al_img *out)
{
    int w = in->w / 2, h = in->h / 2;
    if (w < 2 || h < 2 || !al_img_alloc(out, w, h))
        return false;
    for (int y = 0; y < h; y++) {
        const float *a = in->px + (size_t)(2 * y) * in->w;
        const float *b = a + in->w;
        float *o = out->px + (size_t)y * w;
        for (int x = 0; x < w; x++)
            o[x] = 0.25f * (a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1]);
    }
    return true;
}

/* Normalised Gaussian taps k[0..r] (symmetric), r = ceil(trunc sigma). */
static int gauss_kernel(double sigma, double trunc, float *k, int max_r)
{
    int r = (int)ceil(trunc * sigma);
    if (r > max_r)
        r = max_r;
    double sum = 0;
    for (int i = 0; i <= r; i++) {
        double v = exp(-0.5 * i * i / (sigma * sigma));
        k[i] = (float)v;
        sum += i ? 2 * v : v;
    }
    for (int i = 0; i <= r; i++)
        k[i] = (float)(k[i] / sum);
    return r;
}

/* Four floats at a time (GCC/Clang vector extension: SSE2 on x86-64, NEON
 * on arm64, scalar code elsewhere), two vectors per step. */
typedef float v4f __attribute__((vector_size(16)));

static inline v4f ld4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st4(float *p, v4f v)
{
    memcpy(p, &v, sizeof v);
}

/* Separable Gaussian blur with replicated borders, kernel cut at trunc x
 * sigma; @tmp holds w*h floats and @row (w + 64) floats; @out may be @src. */
static void blur(const float *src, float *out, int w, int h, double sigma, double trunc,
                 float *tmp, float *row)
{
    float k[32];
    int r = gauss_kernel(sigma, trunc, k, 31);
    int w8 = w & ~7;
    /* Vertical pass into tmp, eight columns at a time. */
    const float *rows[64];
    for (int y = 0; y < h; y++) {
        for (int j = -r; j <= r; j++) {
            int yy = y + j < 0 ? 0 : y + j >= h ? h - 1 : y + j;
            rows[j + r] = src + (size_t)yy * w;
        }
        float *o = tmp + (size_t)y * w;
        int x = 0;
        for (; x < w8; x += 8) {
            v4f a0 = k[0] * ld4(rows[r] + x), a1 = k[0] * ld4(rows[r] + x + 4);
            for (int j = 1; j <= r; j++) {
                a0 += k[j] * (ld4(rows[r - j] + x) + ld4(rows[r + j] + x));
                a1 += k[j] * (ld4(rows[r - j] + x + 4) + ld4(rows[r + j] + x + 4));
            }
            st4(o + x, a0);
            st4(o + x + 4, a1);
        }
        for (; x < w; x++) {
            float acc = k[0] * rows[r][x];
            for (int j = 1; j <= r; j++)
                acc += k[j] * (rows[r - j][x] + rows[r + j][x]);
            o[x] = acc;
        }
    }
    /* Horizontal pass from a padded copy of each row. */
    for (int y = 0; y < h; y++) {
        const float *t = tmp + (size_t)y * w;
        for (int i = 0; i < r; i++) {
            row[i] = t[0];
            row[r + w + i] = t[w - 1];
        }
        memcpy(row + r, t, (size_t)w * sizeof(float));
        float *o = out + (size_t)y * w;
        const float *c = row + r;
        int x = 0;
        for (; x < w8; x += 8) {
            v4f a0 = k[0] * ld4(c + x), a1 = k[0] * ld4(c + x + 4);
            for (int j = 1; j <= r; j++) {
                a0 += k[j] * (ld4(c + x - j) + ld4(c + x + j));
                a1 += k[j] * (ld4(c + x + 4 - j) + ld4(c + x + 4 + j));
            }
            st4(o + x, a0);
            st4(o + x + 4, a1);
        }
        for (; x < w; x++) {
            float acc = k[0] * c[x];
            for (int j = 1; j <= r; j++)
                acc += k[j] * (c[x - j] + c[x + j]);
            o[x] = acc;
        }
    }
}

void al_blur(const float *src, float *out, int w, int h, double sigma, float *tmp, float *row)
{
    blur(src, out, w, h, sigma, 4.0, tmp, row); /* VLFeat's kernel width */
}

/* @out (w x h) = @half (the 2x2 box half of a w x h image) interpolated
 * back to full size: x_half = x / 2 - 0.25, bilinear, clamped. */
static void upsample2(const float *half, int hw, int hh, float *out, int w, int h, float *tmp)
{
    /* Horizontally into tmp (w x hh). */
    for (int y = 0; y < hh; y++) {
        const float *r = half + (size_t)y * hw;
        float *o = tmp + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            int i = x >> 1, j = (x & 1) ? i + 1 : i - 1;
            if (i > hw - 1)
                i = hw - 1;
            if (j < 0)
                j = 0;
            else if (j > hw - 1)
                j = hw - 1;
            o[x] = 0.75f * r[i] + 0.25f * r[j];
        }
    }
    for (int y = 0; y < h; y++) {
        int i = y >> 1, j = (y & 1) ? i + 1 : i - 1;
        if (i > hh - 1)
            i = hh - 1;
        if (j < 0)
            j = 0;
        else if (j > hh - 1)
            j = hh - 1;
        const float *a = tmp + (size_t)i * w, *b = tmp + (size_t)j * w;
        float *o = out + (size_t)y * w;
        for (int x = 0; x < w; x++)
            o[x] = 0.75f * a[x] + 0.25f * b[x];
    }
}

bool al_img_bandpass(const al_img *in, const al_img *half, double factor, al_img *out)
{
    size_t n = (size_t)in->w * in->h;
    if (factor > 3.0)
        factor = 3.0; /* kernel radius stays <= 31 */
    double coarse_sigma = AL_BP_SIGMA_COARSE * factor;
    float *tmp = g_try_malloc(n * sizeof(float));
    float *coarse = g_try_malloc(n * sizeof(float));
    float *row = g_try_malloc(((size_t)in->w + 64) * sizeof(float));
    bool ok = tmp && coarse && row && al_img_alloc(out, in->w, in->h);
    if (ok) {
        blur(in->px, out->px, in->w, in->h, AL_BP_SIGMA_FINE * factor, 3.0, tmp, row);
        if (half && half->w >= 2 && half->h >= 2) {
            /* The wide blur at half resolution (a quarter of the work): the
             * box half already carries a variance of about 0.5 px^2. */
            size_t hn = (size_t)half->w * half->h;
            float *hb = g_try_malloc(hn * sizeof(float));
            ok = hb != NULL;
            if (ok) {
                double hs = sqrt(coarse_sigma * coarse_sigma - 0.5) / 2.0;
                blur(half->px, hb, half->w, half->h, hs, 3.0, tmp, row);
                upsample2(hb, half->w, half->h, coarse, in->w, in->h, tmp);
            }
            g_free(hb);
        } else {
            blur(in->px, coarse, in->w, in->h, coarse_sigma, 3.0, tmp, row);
        }
        if (ok)
            for (size_t i = 0; i < n; i++)
                out->px[i] -= coarse[i];
    }
    g_free(tmp);
    g_free(coarse);
    g_free(row);
    return ok;
}
