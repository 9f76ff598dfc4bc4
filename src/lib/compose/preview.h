/* Internal: a photo's screen preview made from an open master and placed in
 * LIBRARY/previews/ (preview.c).  Two steps, because ingest makes a new
 * photo's thumbnail on its preparing thread, before the photo's row exists,
 * and places it only once the row is committed. */
#ifndef BA_COMPOSE_PREVIEW_H
#define BA_COMPOSE_PREVIEW_H

#include <vips/vips.h>

#include "beforeafter/error.h"

/* Make the preview of @master (an image of ba_ingest_open_master() or of
 * ingest's own opening of a master it just wrote: its verified bytes
 * attached, for ba_ingest_master_shrink(); or the master already at the
 * 1/2, 1/4 or 1/8 scale this would decode it at, which is only resized) at
 * @edge px on its long edge, never enlarged, as a 0600 metadata-free JPEG (Q85) in
 * @library_dir's tmp/; *@tmp_path (g_free() it) names that file.  @what
 * names the photo in messages.  On failure nothing is left. */
int ba_compose_preview_write_tmp(const char *library_dir, VipsImage *master, int edge,
                                 const char *what, char **tmp_path, ba_error *err);

/* Move @tmp_path (from ba_compose_preview_write_tmp()) to the @edge px
 * preview of master @sha256, atomically; a preview already there is kept
 * (the name says the bytes).  @tmp_path is gone afterwards either way. */
int ba_compose_preview_place(const char *library_dir, const char *tmp_path,
                             const char *sha256, int edge, ba_error *err);

#endif
