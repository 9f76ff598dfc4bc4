/* Internal: alignment of images another module has already decoded, so that
 * compose decodes each input once.  Not installed. */
#ifndef BA_ALIGN_LOADED_H
#define BA_ALIGN_LOADED_H

#include <vips/vips.h>

#include "beforeafter/align.h"

/*
 * ba_align_files() on images already opened with ba_ingest_load() (upright
 * 8-bit sRGB, full resolution): @photo onto @reference; @pname and @rname
 * name them in messages.  The images are only read.
 */
int al_align_images(VipsImage *reference, const char *rname, VipsImage *photo,
                    const char *pname, const ba_align_options *opts, ba_alignment *out,
                    ba_error *err);

/*
 * ba_align_photos() on masters already opened with ba_ingest_open_master()
 * (decoded again at a DCT-scaled size from the same verified bytes where the
 * alignment needs less than half the resolution): @photo onto @reference.
 * Nothing is stored; out->photo_id and out->reference_id are set.
 */
int al_align_masters(const ba_photo *photo, VipsImage *photo_master, const ba_photo *reference,
                     VipsImage *reference_master, const ba_align_options *opts,
                     ba_alignment *out, ba_error *err);

#endif
