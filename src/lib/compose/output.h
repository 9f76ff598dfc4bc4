/* Internal: writing rendered images, atomically and without metadata. */
#ifndef BA_COMPOSE_OUTPUT_H
#define BA_COMPOSE_OUTPUT_H

#include <vips/vips.h>

#include "beforeafter/error.h"

/* Output formats by file name. */
typedef enum { BA_OUT_PNG, BA_OUT_JPEG, BA_OUT_WEBP, BA_OUT_UNKNOWN } ba_out_format;

/* The format @path asks for by its extension. */
ba_out_format ba_output_format(const char *path);

/*
 * Write @img (8-bit sRGB, 3 bands, or 4 with alpha for PNG) to @path in
 * @fmt: PNG with libpng (only IHDR, sRGB, pHYs, IDAT, IEND), JPEG/WebP with
 * libvips and every metadata block stripped.  Written to a temporary file in
 * the same folder, synced, renamed over @path and the folder synced
 * (library/place.h); on failure nothing is left.
 * The SHA-256 of the bytes written goes to @sha256 (65 bytes) when not NULL.
 */
int ba_output_write(VipsImage *img, const char *path, ba_out_format fmt, int quality,
                    char *sha256, ba_error *err);

#endif
