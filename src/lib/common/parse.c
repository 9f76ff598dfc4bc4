/* Parsers of colours and lists of numbers (parse.h). */
#include "beforeafter/parse.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Two hex digits at @s, as 0..255; -1 when they are not. */
static int hex_pair(const char *s)
{
    int hi = g_ascii_xdigit_value(s[0]);
    int lo = hi < 0 ? -1 : g_ascii_xdigit_value(s[1]);
    return lo < 0 ? -1 : hi * 16 + lo;
}

int ba_parse_colour(const char *s, unsigned char rgb[3], ba_error *err)
{
    int v[3] = {-1, -1, -1};
    if (s && s[0] == '#' && strlen(s) == 7)
        for (int i = 0; i < 3; i++)
            v[i] = hex_pair(s + 1 + 2 * i);
    else if (s && strcmp(s, "white") == 0)
        v[0] = v[1] = v[2] = 255;
    else if (s && strcmp(s, "black") == 0)
        v[0] = v[1] = v[2] = 0;
    if (v[0] < 0 || v[1] < 0 || v[2] < 0) {
        ba_error_set(err, BA_ERR_USAGE, "colour '%s' is not #RRGGBB, white or black",
                     s ? s : "");
        return -1;
    }
    for (int i = 0; i < 3; i++)
        rgb[i] = (unsigned char)v[i];
    return 0;
}

/* One finite number filling all of @part (spaces around it allowed). */
static int one_number(char *part, double *out)
{
    g_strstrip(part);
    if (!part[0])
        return -1;
    char *end = NULL;
    errno = 0;
    *out = g_ascii_strtod(part, &end);
    return end && *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

int ba_parse_numbers(const char *s, int n, double *out, ba_error *err)
{
    if (n < 1 || n > BA_PARSE_MAX_NUMBERS || !out) {
        ba_error_set(err, BA_ERR_USAGE, "cannot parse %d numbers", n);
        return -1;
    }
    char **parts = s ? g_strsplit(s, ",", -1) : NULL;
    int ok = parts && g_strv_length(parts) == (guint)n;
    for (int i = 0; ok && i < n; i++)
        ok = one_number(parts[i], &out[i]) == 0;
    g_strfreev(parts);
    if (!ok) {
        ba_error_set(err, BA_ERR_USAGE, "'%s' is not %d comma-separated finite numbers",
                     s ? s : "", n);
        return -1;
    }
    return 0;
}
