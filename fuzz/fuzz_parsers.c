/* libFuzzer target: the small text parsers (dates, landmark points, regions,
 * colours, number lists, layout names). */
#include <beforeafter/beforeafter.h>
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = g_strndup((const char *)data, size);
    ba_error err;
    if (ba_date_check(text, &err) == 0 && strlen(text) != 10)
        __builtin_trap();
    double *pts = NULL;
    int n = 0;
    if (ba_align_parse_points(text, &pts, &n, &err) == 0) {
        if (n < 2 || !pts)
            __builtin_trap();
        for (int i = 0; i < 4 * n; i++)
            if (!(pts[i] >= 0) || pts[i] > 1e9)
                __builtin_trap();
    }
    g_free(pts);
    double roi[4];
    if (ba_align_parse_roi(text, roi, &err) == 0 && !(roi[2] > 0 && roi[3] > 0))
        __builtin_trap();
    unsigned char rgb[3] = {0, 0, 0};
    if (ba_parse_colour(text, rgb, &err) == 0 && text[0] != '#' && strcmp(text, "white") != 0 &&
        strcmp(text, "black") != 0)
        __builtin_trap();
    /* Accepted numbers are finite, and exactly as many as asked for. */
    double v[BA_PARSE_MAX_NUMBERS];
    for (int want = 1; want <= 4; want++)
        if (ba_parse_numbers(text, want, v, &err) == 0)
            for (int i = 0; i < want; i++)
                if (!isfinite(v[i]))
                    __builtin_trap();
    (void)ba_layout_parse(text);
    (void)ba_label_style_parse(text);
    g_free(text);
    return 0;
}
