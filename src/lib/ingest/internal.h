/* Internal to src/lib/ingest/: what the stages of one ingest share.
 *
 *   read.c      an input (or a master) read whole into memory, hashed, bounded
 *   identify.c  the format, the header checks before decoding, refusal messages,
 *               the libvips error of a failing photo
 *   orient.c    the EXIF orientation applied (and the upright sRGB pixels)
 *   colour.c    to 8-bit sRGB through the embedded profile
 *   master.c    the master encoded to LIBRARY/tmp, hashed, and its store hooks
 *   masters.c   masters read back hash-checked; the sweep of dead writers' tmp files
 *   ingest.c    the public entry points
 *
 * Nothing here is exported; ingest/load.h is the face other modules use. */
#ifndef BA_INGEST_INTERNAL_H
#define BA_INGEST_INTERNAL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vips/vips.h>

#include "beforeafter/beforeafter.h"

/* One photo going through the stages. */
typedef struct ingest_job {
    const char *name;          /* file name as given, for messages */
    const unsigned char *data; /* the original bytes */
    size_t len;
    const char *format;        /* accepted format */
    ba_capture capture;
    char *tmp_path;            /* in-flight master, NULL once moved */
    char *final_path;          /* masters/ab/<sha>.jpg, absolute */
    bool final_existed;        /* the master was already on disk before store() */
    /* LIBRARY/tmp/master-<pid>@<host>-…: names the master while it stands
     * in masters/ without its committed row, so that when this process is
     * killed in between, the next writer removes it (catalog/recover.c) */
    char *note_path;
    /* LIBRARY/tmp/preview-<pid>-…: the new photo's thumbnail, made on the
     * preparing thread, placed in previews/ once the row is committed */
    char *thumb_tmp;
    /* the master's box sums for its thumbnail (master.c), while preparing */
    struct thumb_sums *thumb_sums;
} ingest_job;

/* ---- identify.c ---- */

/* Photos being decoded right now, in this process (batch runs several):
 * take_vips_error_for() clears libvips' shared buffer only when it is alone. */
extern gint ingest_decoding_now;

/* The last libvips error line from @format's loader (any line when NULL);
 * never NULL, g_free() it. */
char *ingest_take_vips_error_for(const char *format);
char *ingest_take_vips_error(void);

/* The cause of a decode failure, for its message: the truncation seen in
 * @data when there is one, else libvips' error.  g_free() it. */
char *ingest_decode_cause(const char *format, const unsigned char *data, size_t len);

/* Set @j->format and open the header (no pixel decoded), refusing other
 * formats and images over @o's pixel limit or JPEG's side limit. */
int ingest_identify(ingest_job *j, const ba_ingest_options *o, VipsImage **header,
                    ba_error *err);

/* Read the capture conditions of @j (header @h) into @j->capture. */
void ingest_read_capture(ingest_job *j, VipsImage *h);

/* ---- orient.c, colour.c ---- */

/* Apply EXIF orientation 1..8 (0 and anything else: none). */
int ingest_orient(VipsImage *in, int orientation, VipsImage **out);

/* To 8-bit, 3-band sRGB flattened on white; @warning says when the embedded
 * profile was unusable. */
int ingest_to_srgb(VipsImage *in, VipsImage **out, char *warning, size_t wsize);

/* The upright 8-bit sRGB pixels of @j (lazy: nothing decoded yet). */
int ingest_upright_srgb(ingest_job *j, VipsImage *header, VipsImage **out, char *warning,
                        size_t wsize, ba_error *err);

/* ---- master.c ---- */

/* Decode, orient, convert and encode @j to a temporary master in
 * LIBRARY/tmp (@j->tmp_path), setting @p's master hash and size. */
int ingest_render_master(ba_catalog *cat, ingest_job *j, VipsImage *header,
                         const ba_ingest_options *o, ba_photo *p, char *warning, size_t wsize,
                         ba_error *err);

/* The master's 1/8 (or 1/4, 1/2: the scale ba_compose_photo_preview()
 * decodes it at) image from the box sums ingest_render_master() kept in
 * @j->thumb_sums while encoding it, or NULL (no sums: a small photo, or
 * rows that did not come by).  Then free the sums. */
typedef struct thumb_sums thumb_sums;
VipsImage *ingest_thumb_sums_image(thumb_sums *t);
void ingest_thumb_sums_free(thumb_sums *t);

/* The store hooks (@ud: the ingest_job), run under the catalog's write lock:
 * move the master into place, and take it back when the commit fails. */
int ingest_store_master(void *ud, ba_error *err);
void ingest_unstore_master(void *ud);

/* Remove the note of the master being stored (its row is committed, or it
 * was undone); safe to call twice. */
void ingest_drop_note(ingest_job *j);

/* ---- read.c ---- */

typedef struct file_bytes {
    unsigned char *data; /* g_free() it */
    size_t len;
    char sha256[65];     /* of data, when asked for; else "" */
} file_bytes;

/* Read the regular file @path whole, refusing more than @max_bytes before
 * allocating (@too_large names the bound in the message); hash when @hash. */
int ingest_read_file(const char *path, uint64_t max_bytes, bool hash, const char *too_large,
                     file_bytes *out, ba_error *err);

/* An input photo, within the byte bound of the pixel limit @max_megapixels. */
int ingest_read_input(const char *path, double max_megapixels, bool hash, file_bytes *out,
                      ba_error *err);

/* ---- masters.c ---- */

/* Keep @bytes alive as long as @img, which decodes them lazily. */
void ingest_keep_bytes(VipsImage *img, GBytes *bytes);

/* ba_ingest_open_master() of the master file at @path (a library's, or one
 * just written to its tmp/), refused unless it hashes to @master_sha256. */
int ingest_open_master_file(const char *path, const char *master_sha256, VipsImage **out,
                            ba_error *err);

/* Remove dead writers' files from LIBRARY/tmp, the first time this process
 * writes to (or reads a master of) that library. */
void ingest_sweep_tmp_once(const char *library_dir);

#endif
