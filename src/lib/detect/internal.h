/* Internal to detect/: the cascades a detection uses, so that tests and the
 * benchmark can run with other cascade files than the default ones. */
#ifndef BA_DETECT_INTERNAL_H
#define BA_DETECT_INTERNAL_H

#include "beforeafter/detect.h"
#include "cascade.h"

/* Where Debian's opencv-data puts the cascades. */
#define DT_CASCADE_DIR "/usr/share/opencv4/haarcascades"
#define DT_FACE_CASCADE "haarcascade_frontalface_alt2.xml"
#define DT_EYE_CASCADE "haarcascade_eye.xml"

typedef struct dt_cascades {
    dt_cascade *face;
    dt_cascade *eye;
} dt_cascades;

/* Load the face and eye cascades (file paths; a bare file name is looked up
 * in DT_CASCADE_DIR).  A missing file is BA_ERR_NOT_FOUND naming it and the
 * package opencv-data. */
int dt_cascades_load(const char *face, const char *eye, dt_cascades *out, ba_error *err);
void dt_cascades_free(dt_cascades *cs);

/* ba_detect_rgb() with the cascades @cs. */
int dt_detect_with(dt_cascades *cs, const unsigned char *pixels, int width, int height,
                   int bands, size_t stride, ba_detection *out, ba_error *err);

#endif
