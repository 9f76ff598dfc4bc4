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

/* Normalised Gaussian taps k[0..r] (symmetric). */
static int gauss_kernel(double sigma, float *k, int max_r)
{
    int r = (int)ceil(3.0 * sigma);
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

/* Separable Gaussian blur with replicated borders; @tmp holds w*h floats
 * and @row (w + 2r) floats. */
static void gauss_blur(const al_img *in, float *out, double sigma, float *tmp, float *row)
{
    float k[32];
    int r = gauss_kernel(sigma, k, 31);
    int w = in->w, h = in->h;
    /* Vertical pass into tmp: inner loops run along x (vectorisable). */
    for (int y = 0; y < h; y++) {
        float *o = tmp + (size_t)y * w;
        const float *c = in->px + (size_t)y * w;
        for (int x = 0; x < w; x++)
            o[x] = k[0] * c[x];
        for (int j = 1; j <= r; j++) {
            int ya = y - j < 0 ? 0 : y - j, yb = y + j >= h ? h - 1 : y + j;
            const float *a = in->px + (size_t)ya * w, *b = in->px + (size_t)yb * w;
            float kj = k[j];
            for (int x = 0; x < w; x++)
                o[x] += kj * (a[x] + b[x]);
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
        for (int x = 0; x < w; x++)
            o[x] = k[0] * c[x];
        for (int j = 1; j <= r; j++) {
            float kj = k[j];
            for (int x = 0; x < w; x++)
                o[x] += kj * (c[x - j] + c[x + j]);
        }
    }
}

bool al_img_bandpass(const al_img *in, al_img *out)
{
    size_t n = (size_t)in->w * in->h;
    float *tmp = g_try_malloc(n * sizeof(float));
    float *coarse = g_try_malloc(n * sizeof(float));
    float *row = g_try_malloc(((size_t)in->w + 64) * sizeof(float));
    bool ok = tmp && coarse && row && al_img_alloc(out, in->w, in->h);
    if (ok) {
        gauss_blur(in, out->px, AL_BP_SIGMA_FINE, tmp, row);
        gauss_blur(in, coarse, AL_BP_SIGMA_COARSE, tmp, row);
        for (size_t i = 0; i < n; i++)
            out->px[i] -= coarse[i];
    }
    g_free(tmp);
    g_free(coarse);
    g_free(row);
    return ok;
}
