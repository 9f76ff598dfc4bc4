/* libFuzzer target: the small text parsers (dates, --points, layout names). */
#include <beforeafter/beforeafter.h>
#include <glib.h>
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
    (void)ba_layout_parse(text);
    (void)ba_label_style_parse(text);
    g_free(text);
    return 0;
}
