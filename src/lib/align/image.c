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

/* Separable Gaussian blur with replicated borders; @tmp holds w*h floats
 * and @row (w + 64) floats; @out may be @in. */
void al_blur(const float *src, float *out, int w, int h, double sigma, float *tmp, float *row)
{
    float k[32];
    int r = gauss_kernel(sigma, k, 31);
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

bool al_img_bandpass(const al_img *in, double factor, al_img *out)
{
    size_t n = (size_t)in->w * in->h;
    float *tmp = g_try_malloc(n * sizeof(float));
    float *coarse = g_try_malloc(n * sizeof(float));
    float *row = g_try_malloc(((size_t)in->w + 64) * sizeof(float));
    if (factor > 3.0)
        factor = 3.0; /* kernel radius stays <= 31 */
    bool ok = tmp && coarse && row && al_img_alloc(out, in->w, in->h);
    if (ok) {
        al_blur(in->px, out->px, in->w, in->h, AL_BP_SIGMA_FINE * factor, tmp, row);
        al_blur(in->px, coarse, in->w, in->h, AL_BP_SIGMA_COARSE * factor, tmp, row);
        for (size_t i = 0; i < n; i++)
            out->px[i] -= coarse[i];
    }
    g_free(tmp);
    g_free(coarse);
    g_free(row);
    return ok;
}
