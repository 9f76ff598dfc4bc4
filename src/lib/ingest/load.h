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
 * 8-bit 3-band sRGB.  The file is read whole into memory first (within
 * ba_ingest_max_file_bytes(@max_megapixels)); the result is lazy (decoded as
 * it is read) and keeps that copy alive; unref it when done.  Decode errors surface when pixels are
 * read, through the libvips error buffer.
 */
int ba_ingest_load(const char *path, double max_megapixels, VipsImage **out,
                   ba_capture *capture, ba_error *err);

/*
 * Open the master of the library whose SHA-256 is @master_sha256 as a
 * random-access image.  The file is read whole into memory and hashed as it
 * is read; when it no longer hashes to @master_sha256 (overwritten by another
 * photo, damaged) it is refused with BA_ERR_CORRUPT, so nothing renders or
 * exports bytes the catalog does not vouch for.  The image decodes from that
 * verified copy, which it keeps alive.  The first call for a library in a
 * process also removes temporary files dead writers left in its tmp/.
 */
int ba_ingest_open_master(const char *library_dir, const char *master_sha256, VipsImage **out,
                          ba_error *err);

/*
 * Decode @master (from ba_ingest_open_master()) again at 1/@shrink (2, 4 or
 * 8, libjpeg's DCT scaling) from the same verified bytes, never from the file,
 * which may have changed since it was checked, with @access.  Returns
 * -1 with the libvips error buffer set when @master did not come from
 * ba_ingest_open_master() or the decode fails.
 */
int ba_ingest_master_shrink(VipsImage *master, int shrink, VipsAccess access, VipsImage **out);

#endif
