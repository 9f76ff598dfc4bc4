/* Parsing of landmark points ("rx,ry rx,ry : px,py px,py") and regions of
 * interest ("x,y,w,h") given by a user. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "align/internal.h"

#define AL_MAX_POINTS 64

/* One finite number at *s (no leading sign allowed); advances *s. */
static bool number(const char **s, double *v)
{
    const char *p = *s;
    if (!g_ascii_isdigit(*p) && !(*p == '.' && g_ascii_isdigit(p[1])))
        return false;
    char *end = NULL;
    double d = g_ascii_strtod(p, &end);
    /* No photo we accept has a side near a million pixels. */
    if (end == p || !isfinite(d) || d > 1e6)
        return false;
    *v = d;
    *s = end;
    return true;
}

static void skip_space(const char **s)
{
    while (**s == ' ' || **s == '\t')
        (*s)++;
}

/* "x,y x,y ..." up to @stop ('\0' or ':'); returns the count or -1. */
static int point_list(const char **s, char stop, double *xy, int max)
{
    int n = 0;
    skip_space(s);
    while (**s && **s != stop) {
        if (n == max)
            return -1;
        double x, y;
        if (!number(s, &x))
            return -1;
        skip_space(s);
        if (**s != ',')
            return -1;
        (*s)++;
        skip_space(s);
        if (!number(s, &y))
            return -1;
        xy[2 * n] = x;
        xy[2 * n + 1] = y;
        n++;
        const char *before = *s;
        skip_space(s);
        if (**s && **s != stop && *s == before)
            return -1; /* "1,2;3,4" */
    }
    return n;
}

int ba_align_parse_points(const char *text, double **points, int *n_pairs, ba_error *err)
{
    *points = NULL;
    *n_pairs = 0;
    static const char *const form =
        "write reference points, a colon, then the photo points: \"rx,ry rx,ry : px,py px,py\"";
    if (!text) {
        ba_error_set(err, BA_ERR_USAGE, "no landmark points given; %s", form);
        return -1;
    }
    double ref[2 * AL_MAX_POINTS], pho[2 * AL_MAX_POINTS];
    const char *s = text;
    int nr = point_list(&s, ':', ref, AL_MAX_POINTS);
    if (nr < 0 || *s != ':') {
        ba_error_set(err, BA_ERR_USAGE,
                     nr < 0 ? "malformed landmark points '%s' (at most 64 pairs of non-negative "
                              "numbers); %s"
                            : "landmark points '%s' have no colon; %s",
                     text, form);
        return -1;
    }
    s++;
    int np = point_list(&s, '\0', pho, AL_MAX_POINTS);
    if (np < 0 || *s) {
        ba_error_set(err, BA_ERR_USAGE,
                     "malformed landmark points '%s' (at most 64 pairs of non-negative numbers); %s",
                     text, form);
        return -1;
    }
    if (nr != np) {
        ba_error_set(err, BA_ERR_USAGE,
                     "landmark points '%s': %d reference point%s but %d photo point%s; %s", text,
                     nr, nr == 1 ? "" : "s", np, np == 1 ? "" : "s", form);
        return -1;
    }
    if (nr < 2) {
        ba_error_set(err, BA_ERR_USAGE, "landmark points '%s': at least two pairs are needed; %s",
                     text, form);
        return -1;
    }
    double *out = g_new(double, 4 * nr);
    for (int i = 0; i < nr; i++) {
        out[4 * i] = ref[2 * i];
        out[4 * i + 1] = ref[2 * i + 1];
        out[4 * i + 2] = pho[2 * i];
        out[4 * i + 3] = pho[2 * i + 1];
    }
    *points = out;
    *n_pairs = nr;
    return 0;
}

int ba_align_parse_roi(const char *text, double roi[4], ba_error *err)
{
    const char *s = text ? text : "";
    double v[4];
    bool ok = true;
    for (int i = 0; i < 4 && ok; i++) {
        skip_space(&s);
        ok = number(&s, &v[i]);
        skip_space(&s);
        if (ok && i < 3)
            ok = *s++ == ',';
    }
    if (!ok || *s || !(v[2] > 0) || !(v[3] > 0)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "malformed region of interest '%s': write x,y,width,height in pixels of the "
                     "reference (width and height > 0)",
                     text ? text : "");
        return -1;
    }
    memcpy(roi, v, sizeof v);
    return 0;
}
