/* Internal: the C face of OpenCV's cascade classifier (cascade.cpp, C++17).
 * No C++ exception crosses it: every function catches all and reports a
 * one-line reason in @why. */
#ifndef BA_DETECT_CASCADE_H
#define BA_DETECT_CASCADE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A box found by a cascade, in the grey image's pixels, with the number of
 * raw detections merged into it. */
typedef struct dt_box {
    double x, y, w, h;
    int neighbours;
} dt_box;

/* A loaded cascade; detections on one cascade run one at a time. */
typedef struct dt_cascade dt_cascade;

/* Load the cascade XML file at @path; NULL with @why set when it cannot be. */
dt_cascade *dt_cascade_load(const char *path, char *why, size_t why_len);
void dt_cascade_free(dt_cascade *c);

/* A grey copy of 8-bit interleaved @pixels (3 or 4 bands), resized to
 * @out_w x @out_h (area-averaged when shrinking).  Returns a malloc()ed
 * buffer of out_w * out_h bytes (rows out_w apart; free() it), or NULL with
 * @why set. */
unsigned char *dt_grey(const unsigned char *pixels, int width, int height, int bands,
                       size_t stride, int out_w, int out_h, char *why, size_t why_len);

/* Run @c on the region @roi (x, y, w, h, whole pixels inside the image) of
 * the grey image @grey (@width x @height, rows @width apart), resized by
 * @scale first and histogram-equalised, for objects of @min_px .. @max_px
 * (in @grey's pixels) merged from at least @min_neighbours raw detections.
 * Writes up to @max_out boxes (most neighbours first) in @grey's pixels to
 * @out; returns how many, or -1 with @why set. */
int dt_cascade_find(dt_cascade *c, const unsigned char *grey, int width, int height,
                    const int roi[4], double scale, double min_px, double max_px,
                    int min_neighbours, dt_box *out, int max_out, char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
#endif
