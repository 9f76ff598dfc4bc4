/**
 * @file ingest.h
 * @brief Reading untrusted photo files into the library.
 *
 * The only module that reads untrusted bytes.  For each file: refuse what
 * must not be decoded (formats other than JPEG, PNG, HEIC/HEIF, TIFF, WebP;
 * headers claiming more pixels than the limit), read the capture conditions
 * from EXIF with libexif, apply the EXIF orientation, convert to 8-bit sRGB
 * (through the embedded ICC profile when there is one) flattened onto white,
 * and write a master JPEG carrying no metadata at all, content-addressed by
 * its SHA-256, then record it in the catalog in one transaction.
 */
#ifndef BEFOREAFTER_INGEST_H
#define BEFOREAFTER_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default pixel limit, in megapixels. */
#define BA_INGEST_DEFAULT_MAX_MEGAPIXELS 100.0
/** Default master JPEG quality. */
#define BA_INGEST_DEFAULT_QUALITY 95

/** What to ingest a file as. */
typedef struct ba_ingest_options {
    const char *client;     /**< client code (must exist) */
    /** treatment area, or several separated by commas ("forehead,cheeks");
     *  each must be in the vocabulary, the first is the primary one */
    const char *area;
    const char *stage;      /**< before, after or progress; NULL = progress */
    const char *view;       /**< NULL = frontal */
    /** session date YYYY-MM-DD; NULL = EXIF DateTimeOriginal.  Either way a
     *  date after the library's today is refused */
    const char *date;
    const char *treatment;  /**< session treatment, may be NULL */
    double max_megapixels;  /**< refuse larger images; <= 0 = default */
    int master_quality;     /**< JPEG quality 1..100; 0 = default */
    /** when the file is already stored (for the same client) without some of
     *  @c area's areas, add them to the stored photo (audited) */
    bool add_area;
} ba_ingest_options;

/** Fill @p o with the defaults (all NULL, default limits). */
BA_API void ba_ingest_options_init(ba_ingest_options *o);

/** Most remarks one ingest result carries. */
#define BA_INGEST_WARNINGS_MAX 4

/** Outcome of a successful ingest. */
typedef enum ba_ingest_status {
    BA_INGEST_INGESTED = 0, /**< a new photo was stored */
    BA_INGEST_DUPLICATE     /**< the same file (or image) was already stored */
} ba_ingest_status;

/** Result of ba_ingest_file(). */
typedef struct ba_ingest_result {
    ba_ingest_status status;  /**< ingested or duplicate */
    int64_t photo_id;         /**< the new or existing photo */
    char master[96];          /**< master path relative to the library */
    char warning[256];        /**< the first of @c warnings, or "" */
    int n_warnings;           /**< entries of @c warnings */
    /** every non-fatal remark: an unusable ICC profile; a duplicate stored
     *  with other facts (area, stage, view: hint BA_HINT_PHOTO_SET); areas
     *  added to it; a session date far from the client's others; a master
     *  written again from its original */
    char warnings[BA_INGEST_WARNINGS_MAX][256];
    ba_hint warning_hints[BA_INGEST_WARNINGS_MAX]; /**< what could be done about each */
} ba_ingest_result;

/**
 * Read the capture conditions from an EXIF block with libexif.  @p data may
 * be a whole JPEG file, an APP1 payload starting with "Exif\0\0", or a raw
 * TIFF-structured EXIF block.  Malformed EXIF yields "nothing known"; this
 * never fails.  GPS, serial numbers, owner names and maker notes are never
 * read.
 * @return 1 when an EXIF block was parsed, 0 when none was found.
 */
BA_API int ba_ingest_read_exif(const unsigned char *data, size_t len, ba_capture *out);

/**
 * The largest input file, in bytes, that ingest reads under a pixel limit of
 * @p max_megapixels (<= 0: the default): 8 bytes a pixel (four 16-bit
 * channels, the most an uncompressed photo within the limit takes) plus
 * 16 MiB for its metadata.  816 777 216 bytes at the default 100 megapixels.
 * Larger files are refused with BA_ERR_TOO_LARGE before any byte is read.
 */
BA_API uint64_t ba_ingest_max_file_bytes(double max_megapixels);

/**
 * Ingest the file at @p path into @p cat as described above.  On failure the
 * error message names the file and the cause; no row and no master file is
 * left behind.
 *
 * The file is read whole into memory (never mapped) and hashed as it is
 * read, so the bytes hashed are the bytes decoded even if another program
 * changes the file meanwhile.  A file larger than
 * ba_ingest_max_file_bytes(opts->max_megapixels) is refused; one that ends
 * before its size or grows while being read is refused with BA_ERR_IO
 * ("changed while being read").  The first ingest of a process into a
 * library removes what dead writers left in its tmp/ (ba_ingest_clean_tmp()).
 *
 * The same file (or the same master) already stored for the same client is
 * BA_INGEST_DUPLICATE, with a remark (hint BA_HINT_PHOTO_SET) when its
 * stored area, stage or view differ from @p opts (stage and view only when
 * given), or — with @c opts->add_area — the areas it lacks added (audited
 * "photo-add-area").  Stored for another client it is BA_ERR_REFUSED
 * ("already stored as photo 1 of another client"), nothing written.  The
 * original of a photo whose master is marked missing or corrupt rewrites the
 * master when the new one hashes to the recorded one (audited
 * "master-repair", reported as a duplicate with a remark), else
 * BA_ERR_REFUSED.  A session date after the library's today is refused
 * (BA_ERR_USAGE); one more than two years from the client's nearest other
 * session is stored with a remark.
 *
 * A new photo also leaves its thumbnail (BA_PREVIEW_THUMB px on its long
 * edge, metadata-free, as ba_compose_photo_preview() makes it) in
 * LIBRARY/previews/, so that no first view waits on decoding the master; a
 * thumbnail that cannot be made or placed does not fail the ingest (it is
 * made when first asked for).
 */
BA_API int ba_ingest_file(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                   ba_ingest_result *result, ba_error *err);

/**
 * Ingest @p len bytes at @p data as if read from a file called @p name (used
 * in messages and as the original file name).  Same contract as
 * ba_ingest_file(); @p data must stay valid for the duration of the call.
 */
BA_API int ba_ingest_buffer(ba_catalog *cat, const char *name, const unsigned char *data,
                     size_t len, const ba_ingest_options *opts,
                     ba_ingest_result *result, ba_error *err);

/**
 * A photo decoded and encoded to a temporary master, not yet in the catalog.
 * Splitting ingest in two lets many threads prepare while one writer commits.
 */
typedef struct ba_ingest_job ba_ingest_job;

/**
 * The expensive half of ba_ingest_file(): checks, EXIF, decode, orient,
 * convert, encode to LIBRARY/tmp, and the new photo's thumbnail made from
 * the pixels on their way into that master (also in tmp/, placed by
 * ba_ingest_commit()).  Only reads the
 * catalog (so each thread should use its own handle) — except that with @c opts->add_area the areas
 * a duplicate lacks are added to it here.  When the file is already in the
 * catalog (same bytes) @p *job is NULL and @p result says duplicate, with
 * the remarks of ba_ingest_file(); when its master is marked damaged the
 * file is decoded again and @p *job rewrites it at commit.
 */
BA_API int ba_ingest_prepare(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                      ba_ingest_job **job, ba_ingest_result *result, ba_error *err);

/** ba_ingest_prepare() for bytes in memory (see ba_ingest_buffer()). */
BA_API int ba_ingest_prepare_buffer(ba_catalog *cat, const char *name, const unsigned char *data,
                             size_t len, const ba_ingest_options *opts, ba_ingest_job **job,
                             ba_ingest_result *result, ba_error *err);

/**
 * The catalog half: move the master into place and record the photo in one
 * write transaction (the master is renamed into masters/ while the catalog's
 * write lock is held, then the row is committed), then the thumbnail into
 * LIBRARY/previews/.  On failure nothing is left in the catalog, in masters/
 * or in previews/.  The job must still be freed (that removes a thumbnail
 * never placed).
 */
BA_API int ba_ingest_commit(ba_catalog *cat, ba_ingest_job *job, ba_ingest_result *result,
                     ba_error *err);

/** Free @p job, removing its temporary master if it was not committed. NULL is accepted. */
BA_API void ba_ingest_job_free(ba_ingest_job *job);

/**
 * Remove temporary files (named <kind>-<pid>-...) left in LIBRARY/tmp by
 * processes that no longer run (killed mid-ingest).  Returns the number
 * removed.  Ingest and every first master read of a process (compare, export,
 * align) do this once per library by themselves; a plain verify afterwards
 * finds no stray-tmp.
 */
BA_API int ba_ingest_clean_tmp(ba_catalog *cat);

/**
 * Ingest the photo read from @p fd (standard input: 0) to its end, as
 * ba_ingest_buffer() with @p name as the file name (the original name
 * recorded, and in messages).  The bytes are read whole into memory and
 * refused with BA_ERR_TOO_LARGE as soon as they pass
 * ba_ingest_max_file_bytes(opts->max_megapixels) (hint
 * BA_HINT_RAISE_PIXEL_LIMIT): a stream is bounded like a file.  Nothing is
 * written anywhere when it fails.
 */
BA_API int ba_ingest_fd(ba_catalog *cat, int fd, const char *name, const ba_ingest_options *opts,
                        ba_ingest_result *result, ba_error *err);

/** What ba_ingest_check() found out about a file that would be ingested. */
typedef struct ba_ingest_check_result {
    char original_sha256[65];    /**< of the file's bytes */
    int64_t duplicate_of;        /**< the client's photo with the same bytes, 0 when new */
    int width, height;           /**< from the header (0 for a duplicate) */
    char session_date[BA_DATE_MAX]; /**< the date it would be filed under ("" for a duplicate) */
} ba_ingest_check_result;

/**
 * Every check ba_ingest_file() makes before it decodes pixels, and none of
 * its writes (nothing in the catalog, masters/ or tmp/): @p opts' stage,
 * view, client, areas and date (a date after the library's today is
 * refused); the file readable and within the byte bound; already stored for
 * another client (BA_ERR_REFUSED) or for this one (@c duplicate_of); an
 * accepted format whose header is within the pixel limit; a session date
 * (given, else the EXIF capture date, checked the same way; else
 * BA_ERR_NO_DATE).  @c opts->client NULL: the client is not checked (one a
 * batch would create).  A file that passes can still fail to decode past its
 * header.  0, or -1 with @p err naming the file and the cause.
 */
BA_API int ba_ingest_check(ba_catalog *cat, const char *path, const ba_ingest_options *opts,
                           ba_ingest_check_result *out, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
