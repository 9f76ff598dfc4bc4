/* Internal: decoding an untrusted file for other modules (align, compose)
 * with exactly the checks and conversions of ingest, without storing it. */
#ifndef BA_INGEST_LOAD_H
#define BA_INGEST_LOAD_H

#include <vips/vips.h>

#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

/*
 * Open @path as ingest would: refuse formats other than JPEG/PNG/HEIF/TIFF/WebP
 * and images over @max_megapixels (<= 0: the default), read the capture
 * conditions into @capture (may be NULL), apply the orientation and convert to
 * 8-bit 3-band sRGB.  The result is lazy (decoded as it is read) and owns the
 * file's mapping; unref it when done.  Decode errors surface when pixels are
 * read, through the libvips error buffer.
 */
int ba_ingest_load(const char *path, double max_megapixels, VipsImage **out,
                   ba_capture *capture, ba_error *err);

/* Open a master of the library (trusted: written by us) as a random-access image. */
int ba_ingest_open_master(const char *library_dir, const char *master_sha256, VipsImage **out,
                          ba_error *err);

#endif
