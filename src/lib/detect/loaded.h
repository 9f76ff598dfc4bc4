/* Internal: detection on an image another module has already opened (align
 * finds the face on the reference it is aligning onto).  Not installed. */
#ifndef BA_DETECT_LOADED_H
#define BA_DETECT_LOADED_H

#include <vips/vips.h>

#include "beforeafter/detect.h"

/* Detect on @img, an upright 8-bit sRGB image (a master, a reduced decode of
 * one, or a file opened by ingest) that is @full_w x @full_h pixels at full
 * size: coordinates are mapped back to those.  @name names it in messages. */
int dt_detect_image(VipsImage *img, int full_w, int full_h, const char *name,
                    ba_detection *out, ba_error *err);

#endif
