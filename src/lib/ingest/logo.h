/* Internal: a clinic's logo, the one untrusted image that keeps its alpha.
 *
 * A logo is decoded here (only ingest decodes untrusted bytes) with the
 * format and size checks of a photo, made upright and sRGB, but its
 * transparency is kept (a photo is flattened on white, which would turn a
 * transparent logo into an opaque box).  What is stored is a fresh PNG of
 * the pixels alone, LIBRARY/logos/ab/<sha256>.png (0600, content-addressed by
 * the SHA-256 of that PNG), so an export can render the logo again from the
 * library whatever became of the file the user named. */
#ifndef BA_INGEST_LOGO_H
#define BA_INGEST_LOGO_H

#include <vips/vips.h>

#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

/* Largest logo accepted, in megapixels (a logo is drawn at an eighth of the
 * canvas width: 16 MP is far more than any use). */
#define BA_LOGO_MAX_MEGAPIXELS 16.0

/* Decode the logo file @path into 8-bit 4-band sRGB with alpha (an opaque
 * alpha added when it has none), in memory and without a single metadata
 * field.  Refused like an ingest (format, pixel limit, corrupt data). */
int ba_ingest_logo_decode(const char *path, VipsImage **out, ba_error *err);

/* Decode @path as above and store it in @cat's library as a metadata-free
 * PNG; its SHA-256 (64 hex digits) into @sha256 (65 bytes).  Storing the
 * same pixels twice keeps the first file. */
int ba_ingest_logo_store(ba_catalog *cat, const char *path, char *sha256, ba_error *err);

/* The absolute path of the stored logo @sha256 of @cat's library, after
 * checking that the file is there and still hashes to @sha256 (g_free it);
 * NULL with BA_ERR_NOT_FOUND or BA_ERR_CORRUPT otherwise. */
char *ba_ingest_logo_path(ba_catalog *cat, const char *sha256, ba_error *err);

#endif
