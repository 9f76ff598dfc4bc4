/**
 * @file catalog.h
 * @brief The library folder and its SQLite catalog.
 *
 * A library is one folder holding `catalog.db` (SQLite, WAL mode, schema
 * version in `PRAGMA user_version`), `masters/` (content-addressed master
 * images) and `tmp/` (in-flight files on the same file system).  This module
 * is the only code that speaks SQL.  A ba_catalog handle is used by one thread
 * at a time; several processes may open the same library at once.
 *
 * This header opens a library, reads its rows and adds clients and areas.
 * Photos, alignments, comparisons, consents, exports and audit rows are
 * written only through the functions that apply their policy: ingest.h,
 * align.h, compose.h, consent.h and verify.h.
 */
#ifndef BEFOREAFTER_CATALOG_H
#define BEFOREAFTER_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Schema version written to PRAGMA user_version. */
#define BA_CATALOG_SCHEMA_VERSION 10

/** Sizes of the fixed text fields below (including the terminating NUL). */
enum {
    BA_CODE_MAX = 33,    /**< client code, area name */
    BA_TEXT_MAX = 257,   /**< names, treatments, file names */
    BA_DATE_MAX = 11,    /**< "YYYY-MM-DD" */
    BA_STAMP_MAX = 32,   /**< "YYYY-MM-DDTHH:MM:SS" (+ offset) */
    BA_SHA_MAX = 65,     /**< hex SHA-256 */
    BA_CAMERA_MAX = 65   /**< camera make or model */
};

/** An open library. Opaque. */
typedef struct ba_catalog ba_catalog;

/**
 * Capture conditions read from EXIF: the only EXIF-derived data kept.
 * Unknown numeric values are 0 (or -1 where 0 is meaningful); unknown
 * strings are empty.
 */
typedef struct ba_capture {
    char captured_at[BA_STAMP_MAX]; /**< DateTimeOriginal, "YYYY-MM-DDTHH:MM:SS" */
    char offset[8];                 /**< OffsetTimeOriginal, "+HH:MM" */
    char make[BA_CAMERA_MAX];       /**< camera maker */
    char model[BA_CAMERA_MAX];      /**< camera model */
    int orientation;                /**< EXIF orientation 1..8, 0 when absent */
    double focal_length_mm;         /**< FocalLength, mm */
    double focal_length_35mm;       /**< FocalLengthIn35mmFilm, mm */
    double exposure_time_s;         /**< ExposureTime, seconds */
    double f_number;                /**< FNumber */
    int iso;                        /**< ISO speed, 0 when absent */
    int flash_fired;                /**< 1 fired, 0 not fired, -1 unknown */
    int white_balance;              /**< 0 auto, 1 manual, -1 unknown */
} ba_capture;

/** Reset @p c to "nothing known". */
BA_API void ba_capture_init(ba_capture *c);

/** One client (a pseudonymous code and an optional display name). */
typedef struct ba_client {
    int64_t id;                   /**< row id */
    char code[BA_CODE_MAX];       /**< e.g. "C-0042" */
    char name[BA_TEXT_MAX];       /**< display name, may be empty */
    char created_at[BA_STAMP_MAX];/**< UTC creation time */
    int photo_count;              /**< photos of this client */
    char birth_date[BA_DATE_MAX]; /**< YYYY-MM-DD, "" when not known */
} ba_client;

/** Most areas one photo may show. */
#define BA_PHOTO_AREAS_MAX 8

/** One photo as stored in the catalog. */
typedef struct ba_photo {
    int64_t id;                         /**< photo id */
    int64_t session_id;                 /**< session id */
    char client[BA_CODE_MAX];           /**< client code */
    char area[BA_CODE_MAX];             /**< treatment area */
    char session_date[BA_DATE_MAX];     /**< session date, YYYY-MM-DD */
    int session_number;                 /**< 1 for the client's first session */
    char treatment[BA_TEXT_MAX];        /**< session treatment, may be empty */
    char view[16];                      /**< frontal, left-45, ... */
    char stage[16];                     /**< before, after, progress */
    char master_sha256[BA_SHA_MAX];     /**< SHA-256 of the master file */
    char original_sha256[BA_SHA_MAX];   /**< SHA-256 of the ingested file's bytes */
    int width;                          /**< master width in pixels */
    int height;                         /**< master height in pixels */
    char original_name[BA_TEXT_MAX];    /**< base name of the ingested file */
    char ingested_at[BA_STAMP_MAX];     /**< UTC time of ingest */
    ba_capture capture;                 /**< EXIF capture conditions */
    char master_problem[16];            /**< "" or "missing"/"corrupt", set by verify --repair */
    /** how many entries of @c areas are set (1..BA_PHOTO_AREAS_MAX) */
    int n_areas;
    /** every area the photo shows, by name; areas[0] is the primary one
     *  (the same as @c area), the others in name order */
    char areas[BA_PHOTO_AREAS_MAX][BA_CODE_MAX];
    char retracted_at[BA_STAMP_MAX];    /**< UTC time of retraction, "" when current */
    char retract_reason[BA_TEXT_MAX];   /**< why it was retracted, "" when current */
} ba_photo;

/** Filters for ba_catalog_photo_list(); NULL/empty fields match anything. */
typedef struct ba_photo_filter {
    const char *client;  /**< client code */
    const char *area;    /**< area name */
    const char *from;    /**< first session date, inclusive */
    const char *to;      /**< last session date, inclusive */
    const char *stage;   /**< stage */
    /** which photos by retraction: BA_PHOTOS_CURRENT (0, the default) leaves
     *  retracted photos out, BA_PHOTOS_RETRACTED lists only them,
     *  BA_PHOTOS_ALL both.  @c area matches any of a photo's areas. */
    int retracted;
} ba_photo_filter;

/** Values of ba_photo_filter.retracted. */
enum { BA_PHOTOS_CURRENT = 0, BA_PHOTOS_RETRACTED = 1, BA_PHOTOS_ALL = 2 };

/** Row counts of the main tables, for consistency checks. */
typedef struct ba_catalog_counts {
    int64_t clients;   /**< rows in clients */
    int64_t sessions;  /**< rows in sessions */
    int64_t photos;    /**< rows in photos */
    int64_t areas;     /**< rows in areas */
} ba_catalog_counts;

/**
 * A similarity transform that maps pixels of a photo onto its reference
 * photo, with how it was found and how far to trust it.
 */
typedef struct ba_alignment {
    int64_t photo_id;      /**< the photo that is moved (0 for plain files) */
    int64_t reference_id;  /**< the photo it is moved onto (0 for plain files) */
    /** photo pixel (x right, y down, pixel centres at integers, full-resolution
     *  master) -> reference pixel: [x', y'] = M [x, y, 1] */
    double matrix[2][3];
    double scale;          /**< isotropic scale of matrix */
    double angle_deg;      /**< rotation of matrix, degrees, counter-clockwise positive on screen */
    double tx;             /**< matrix[0][2] */
    double ty;             /**< matrix[1][2] */
    int inliers;           /**< feature matches consistent with the transform (0 for points) */
    double score;          /**< 0..1, see align.h for what values mean */
    char method[32];       /**< e.g. "sift-ransac-ecc" or "points" */
    char created_at[BA_STAMP_MAX]; /**< UTC time it was stored */
} ba_alignment;

/**
 * Create a new library in @p dir (created if missing, which must be empty or
 * absent otherwise).  Fails with BA_ERR_EXISTS when @p dir already is a
 * library and BA_ERR_CATALOG when it holds anything else.
 * @return the open library, or NULL with @p err set.
 */
BA_API ba_catalog *ba_catalog_create(const char *dir, ba_error *err);

/**
 * Open the existing library in @p dir, migrating its schema if it is older.
 * Fails with BA_ERR_CATALOG when @p dir is not a library or the catalog is
 * damaged or newer than this build.
 * @return the open library, or NULL with @p err set.
 */
BA_API ba_catalog *ba_catalog_open(const char *dir, ba_error *err);

/**
 * Open the existing library in @p dir for reading only (SQLITE_OPEN_READONLY):
 * nothing is created, migrated or written, so a library on a read-only
 * mount, in a folder without write permission or owned by someone else can
 * be listed.  In a read-only folder without catalog.db-shm the catalog is
 * opened as immutable, which is safe only because nothing can write there;
 * it is refused when catalog.db-wal holds changes not yet in catalog.db.
 * Every write through the handle fails (BA_ERR_CATALOG).  Fails with
 * BA_ERR_CATALOG when @p dir is not a library, the catalog is damaged, or
 * its schema is not this build's (a read-only handle cannot migrate it).
 * @return the open library, or NULL with @p err set.
 */
BA_API ba_catalog *ba_catalog_open_readonly(const char *dir, ba_error *err);

/** Close @p cat and free it. NULL is accepted. */
BA_API void ba_catalog_close(ba_catalog *cat);

/** The library folder @p cat was opened from. */
BA_API const char *ba_catalog_dir(const ba_catalog *cat);

/**
 * The library's time zone (an IANA name such as "Europe/London"): the zone
 * "today" is computed in for consent dates and exports.  It is a setting of
 * the library — the zone of the environment when the library was created
 * (or upgraded to schema 6), changed only by ba_catalog_timezone_set() —
 * never the zone of the process using it, so that TZ=... cannot move an
 * expiry.  Valid while @p cat is open.
 */
BA_API const char *ba_catalog_timezone(const ba_catalog *cat);

/**
 * Make @p zone (an IANA zone name known to this system, e.g. "UTC",
 * "Australia/Sydney") the library's time zone.  BA_ERR_USAGE for an unknown
 * name.
 */
BA_API int ba_catalog_timezone_set(ba_catalog *cat, const char *zone, ba_error *err);

/** Today's date, YYYY-MM-DD, in the library's time zone. */
BA_API void ba_catalog_today(const ba_catalog *cat, char out[BA_DATE_MAX]);

/**
 * Check that @p date is a real calendar date written YYYY-MM-DD.
 * @return 0 when valid, else -1 with a message naming @p date in @p err.
 */
BA_API int ba_date_check(const char *date, ba_error *err);

/** Add client @p code (letters, digits, '-', '_', '.'; at most 32) with an
 *  optional display @p name. @p id may be NULL. BA_ERR_EXISTS if present in
 *  any case ("client c-0001 already exists as C-0001"). */
BA_API int ba_catalog_client_add(ba_catalog *cat, const char *code, const char *name,
                          int64_t *id, ba_error *err);

/** Look up client @p code in any case (the exact spelling first);
 *  BA_ERR_NOT_FOUND when absent. */
BA_API int ba_catalog_client_get(ba_catalog *cat, const char *code, ba_client *out,
                          ba_error *err);

/** Callback for ba_catalog_client_list(); return non-zero to stop. */
typedef int (*ba_client_fn)(const ba_client *client, void *ud);

/** Call @p fn for every client in code order. */
BA_API int ba_catalog_client_list(ba_catalog *cat, ba_client_fn fn, void *ud, ba_error *err);

/**
 * Client @p code as the catalog spells it, into @p canon (#BA_CODE_MAX):
 * codes match whatever their case.  One indexed read, without the counts
 * ba_catalog_client_get() adds.  BA_ERR_NOT_FOUND when there is none.
 */
BA_API int ba_catalog_client_code(ba_catalog *cat, const char *code, char *canon, ba_error *err);

/** Add @p name (lower-case letters, digits, '-'; at most 32) to the area vocabulary. */
BA_API int ba_catalog_area_add(ba_catalog *cat, const char *name, ba_error *err);

/** Callback for ba_catalog_area_list(); return non-zero to stop. */
typedef int (*ba_area_fn)(const char *name, void *ud);

/** Call @p fn for every known area in name order. */
BA_API int ba_catalog_area_list(ba_catalog *cat, ba_area_fn fn, void *ud, ba_error *err);

/**
 * Check that @p area is in the vocabulary; when it is not, BA_ERR_NOT_FOUND
 * with a message listing every known area.
 */
BA_API int ba_catalog_area_check(ba_catalog *cat, const char *area, ba_error *err);

/** True when @p view is one of the catalog's views (frontal, left-45, ...). */
BA_API bool ba_view_valid(const char *view);

/** True when @p stage is before, after or progress. */
BA_API bool ba_stage_valid(const char *stage);

/** Look up a photo by original-file hash; returns 1 and sets @p id when found, 0 when not, -1 on error. */
BA_API int ba_catalog_photo_find_original(ba_catalog *cat, const char *original_sha256,
                                   int64_t *id, ba_error *err);

/** Load photo @p id into @p out; BA_ERR_NOT_FOUND when absent. */
BA_API int ba_catalog_photo_get(ba_catalog *cat, int64_t id, ba_photo *out, ba_error *err);

/**
 * Only the client code of photo @p id into @p client (#BA_CODE_MAX) and its
 * master's SHA-256 into @p master_sha256 (#BA_SHA_MAX), either may be NULL:
 * one indexed read, for callers that need no more of the photo (an access
 * check, a preview's path).  BA_ERR_NOT_FOUND when absent.
 */
BA_API int ba_catalog_photo_keys(ba_catalog *cat, int64_t id, char *client, char *master_sha256,
                                 ba_error *err);

/** Callback for ba_catalog_photo_list(); return non-zero to stop. */
typedef int (*ba_photo_fn)(const ba_photo *photo, void *ud);

/** Call @p fn for each photo matching @p filter (NULL = all), ordered by
 *  client, session date, area and id. */
BA_API int ba_catalog_photo_list(ba_catalog *cat, const ba_photo_filter *filter,
                          ba_photo_fn fn, void *ud, ba_error *err);

/** Fill @p out with the row counts of the main tables. */
BA_API int ba_catalog_counts_get(ba_catalog *cat, ba_catalog_counts *out, ba_error *err);

/** Load the alignment of @p photo_id onto @p reference_id; BA_ERR_NOT_FOUND when
 *  none, or when the stored one is stale (a photo was corrected or retracted
 *  since): it must be computed again. */
BA_API int ba_catalog_alignment_get(ba_catalog *cat, int64_t photo_id, int64_t reference_id,
                             ba_alignment *out, ba_error *err);

/** A rendered comparison as recorded in the catalog. */
typedef struct ba_comparison_record {
    int64_t id;                    /**< comparison id */
    char layout[16];               /**< side-by-side, stacked, timeline */
    int n_photos;                  /**< panels */
    int64_t photos[24];            /**< photo ids in panel order */
    /** JSON object of the render options (any length; built and read with
     *  json-glib).  Owned by the record: ba_catalog_comparison_get() fills it
     *  (g_malloc'd) and ba_comparison_record_clear() frees it; in
     *  ba_catalog_comparison_list() callbacks it is valid during the
     *  callback only (copy it to keep it). */
    char *parameters;
    char render[128];              /**< stored copy, relative to the library: renders/ab/<sha>.<ext> */
    char output[BA_TEXT_MAX];      /**< where the user asked for it (as given) */
    char sha256[BA_SHA_MAX];       /**< of the rendered file */
    int width;                     /**< px */
    int height;                    /**< px */
    bool aligned;                  /**< later photos warped onto the first */
    char created_at[BA_STAMP_MAX]; /**< UTC */
    char stale[BA_TEXT_MAX];       /**< why it no longer matches its photos, "" = current */
    /** hex SHA-256 of the photo ids and canonical parameters ("" for rows
     *  recorded before schema 7): the same render asked again finds it */
    char identity[BA_SHA_MAX];
    char client[BA_CODE_MAX];      /**< client of the first photo (read only) */
    /** areas every photo of it shows, comma-separated in name order (read
     *  only; "" when they share none) */
    char areas[BA_TEXT_MAX];
} ba_comparison_record;

/** Free what @p c owns (its parameters) and zero them; NULL is accepted. */
BA_API void ba_comparison_record_clear(ba_comparison_record *c);

/** Load comparison @p id; BA_ERR_NOT_FOUND when absent or deleted
 *  (ba_catalog_comparison_delete()).  Free it with ba_comparison_record_clear(). */
BA_API int ba_catalog_comparison_get(ba_catalog *cat, int64_t id, ba_comparison_record *out,
                              ba_error *err);

/** Callback for ba_catalog_comparison_list(); return non-zero to stop. */
typedef int (*ba_comparison_fn)(const ba_comparison_record *c, void *ud);

/** Call @p fn for every comparison that is not deleted (of client @p client
 *  when not NULL), by id. */
BA_API int ba_catalog_comparison_list(ba_catalog *cat, const char *client, ba_comparison_fn fn,
                               void *ud, ba_error *err);

/** Callback for ba_catalog_master_list(): a photo row's id, master hash and problem mark. */
typedef int (*ba_master_fn)(int64_t photo_id, const char *master_sha256, const char *problem,
                            void *ud);

/**
 * Call @p fn for every row of photos, straight from the table (no joins), so
 * that a check sees every master a row names even when the catalog is damaged.
 */
BA_API int ba_catalog_master_list(ba_catalog *cat, ba_master_fn fn, void *ud, ba_error *err);

/** Callback for ba_catalog_check(): one line per problem. */
typedef void (*ba_check_fn)(const char *problem, void *ud);

/**
 * Run PRAGMA integrity_check and foreign_key_check, calling @p fn for each
 * problem; returns the number of problems, or -1 when the check cannot run.
 */
BA_API int ba_catalog_check(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err);

/**
 * Relative path of the master with hash @p sha256 inside the library:
 * "masters/ab/abcdef….jpg".  @p out must hold at least 96 bytes.
 */
BA_API void ba_catalog_master_relpath(const char *sha256, char *out, size_t out_size);

/* ---- consents, exports, audit ------------------------------------------- */

/**
 * A client's consent to a use of their photos (see consent.h for what the
 * scopes mean and how exports check them).  Dates are calendar dates
 * "YYYY-MM-DD"; empty strings mean "none".
 */
typedef struct ba_consent {
    int64_t id;                             /**< consent id */
    char client[BA_CODE_MAX];               /**< client code */
    char scope[16];                         /**< clinical, education or marketing */
    char granted_at[BA_DATE_MAX];           /**< first day the consent holds */
    char expires_at[BA_DATE_MAX];           /**< last day it holds, "" = no expiry */
    char revoked_at[BA_STAMP_MAX];          /**< UTC time of revocation, "" = not revoked */
    char evidence_sha256[BA_SHA_MAX];       /**< of the stored evidence file, "" = none */
    char evidence_original_sha256[BA_SHA_MAX]; /**< of the evidence file as given */
    char evidence_path[128];                /**< relative to the library: consents/<sha>.<ext> */
    char allowed_deidentification[BA_TEXT_MAX]; /**< comma-separated list, "" = any */
    char note[BA_TEXT_MAX];                 /**< free text, may be empty */
    char recorded_at[BA_STAMP_MAX];         /**< UTC time the row was written */
} ba_consent;

/**
 * One row of the append-only audit log.  In ba_catalog_audit_list() the
 * strings point into the row being read and are valid during the callback
 * only; NULL means "none".
 */
typedef struct ba_audit_entry {
    int64_t id;          /**< row id (increasing; never reused) */
    const char *at;      /**< UTC time, set by the catalog when appending */
    const char *action;  /**< e.g. "consent-grant", "consent-revoke", "export" */
    const char *client;  /**< client code concerned, or NULL */
    const char *objects; /**< ids concerned, e.g. "export 3; comparisons 5,7" */
    const char *purpose; /**< scope or export purpose, or NULL */
    const char *result;  /**< "ok", "refused", "failed" */
    const char *detail;  /**< one line, or NULL */
    /** hex SHA-256 chaining this row to the one before (see
     *  ba_catalog_audit_check()); set by ba_catalog_audit_list(), ignored
     *  when appending */
    const char *chain;
    /** who did it: when appending, NULL or "" means the catalog's actor
     *  (ba_catalog_set_actor()); in listings NULL for rows written before
     *  actors were recorded */
    const char *actor;
} ba_audit_entry;

/** One exported image. Strings as in ba_export_record. */
typedef struct ba_export_item {
    int n;                  /**< 1-based position in the export */
    int64_t comparison_id;  /**< the comparison rendered */
    const char *file;       /**< file name inside the destination */
    const char *sha256;     /**< of the exported file */
} ba_export_item;

/**
 * An export as recorded.  In listings the strings and arrays are valid during
 * the callback only.
 */
typedef struct ba_export_record {
    int64_t id;                  /**< export id (never reused) */
    const char *purpose;         /**< clinical, education or marketing */
    const char *created_at;      /**< UTC time "YYYY-MM-DDTHH:MM:SSZ" */
    const char *destination;     /**< absolute folder the files were written to */
    const char *deidentification; /**< none, eyes, half-letterbox, blur-face */
    const char *caption;         /**< disclosure caption, or NULL */
    const char *tool_version;    /**< ba_version() of the writer */
    int item_count;              /**< images written */
    const int64_t *consent_ids;  /**< consents the export relied on */
    int n_consents;              /**< entries of @c consent_ids */
    /** pending (recorded, files being placed), done, failed (the writer
     *  removed what it had placed) or interrupted (the writer died while
     *  pending: its files may be in the destination) */
    const char *status;
    int64_t writer_pid;          /**< process that wrote a pending export */
    const char *finished_at;     /**< UTC time it left pending, or NULL */
} ba_export_record;

/**
 * Set who the audit rows this handle appends are attributed to (a server sets
 * the account of the request; at most 127 bytes are kept).  A handle starts
 * with the operating-system user running the process ("uid N" when it has
 * no name).  NULL or "" restores that default.
 */
BA_API void ba_catalog_set_actor(ba_catalog *cat, const char *actor);

/** The actor audit rows appended through @p cat are attributed to. */
BA_API const char *ba_catalog_actor(const ba_catalog *cat);

/** What ba_catalog_with_snapshot() runs; its return value is passed on. */
typedef int (*ba_snapshot_fn)(ba_catalog *cat, void *ud);

/**
 * Run @p fn with all its reads of @p cat in one read transaction: they see
 * one state of the catalog (an access decision and the data it guards
 * agree), and the catalog's lock is taken once rather than for each
 * statement, which is most of the cost of a small read.  Meant for reads; a
 * write inside is committed at the end like any other.  Already inside a
 * transaction, @p fn just runs.  Returns what @p fn returns, or -1 with
 * @p err when the snapshot cannot begin.
 */
BA_API int ba_catalog_with_snapshot(ba_catalog *cat, ba_snapshot_fn fn, void *ud, ba_error *err);

/** Load consent @p id; BA_ERR_NOT_FOUND when absent. */
BA_API int ba_catalog_consent_get(ba_catalog *cat, int64_t id, ba_consent *out, ba_error *err);

/** Callback for ba_catalog_consent_list(); return non-zero to stop. */
typedef int (*ba_consent_fn)(const ba_consent *c, void *ud);

/** Call @p fn for every consent of client @p client (NULL = all clients) and
 *  scope @p scope (NULL = all scopes), by id. */
BA_API int ba_catalog_consent_list(ba_catalog *cat, const char *client, const char *scope,
                            ba_consent_fn fn, void *ud, ba_error *err);

/** Which exports ba_catalog_export_list() reports (zero/NULL fields match all). */
typedef struct ba_export_filter {
    int64_t export_id;  /**< this export only */
    int64_t consent_id; /**< exports that relied on this consent */
    const char *client; /**< exports that relied on a consent of this client */
    bool revoked_only;  /**< exports that relied on a consent revoked since */
    bool unfinished_only; /**< exports still pending or interrupted */
} ba_export_filter;

/** Callback for ba_catalog_export_list(); return non-zero to stop. */
typedef int (*ba_export_fn)(const ba_export_record *e, const ba_export_item *items,
                            int n_items, void *ud);

/** Call @p fn for every export matching @p filter (NULL = all), by id. */
BA_API int ba_catalog_export_list(ba_catalog *cat, const ba_export_filter *filter, ba_export_fn fn,
                           void *ud, ba_error *err);

/** Callback for ba_catalog_audit_list(); return non-zero to stop. */
typedef int (*ba_audit_fn)(const ba_audit_entry *a, void *ud);

/** Call @p fn for every audit row (about client @p client when not NULL, in
 *  any case, including the rows written under the codes it had before a
 *  rename and those of clients merged into it: see
 *  ba_catalog_client_rename()), in order. */
BA_API int ba_catalog_audit_list(ba_catalog *cat, const char *client, ba_audit_fn fn, void *ud,
                          ba_error *err);

/* ---- the audit log's chain ---------------------------------------------- */

/**
 * Check that the audit log has not been changed behind the catalog's back:
 * every row's `chain` is the SHA-256 of the previous row's chain and the row
 * itself (the first row that is not, and how many are, is one problem), ids
 * run on without gaps, `sqlite_sequence` has not counted more rows than remain
 * (a deleted last row), and every trigger the schema creates to guard the
 * audit log, consents and exports is present with its original text.  Calls
 * @p fn once per problem (one line naming the rows or trigger).
 * @return the number of problems, or -1 when the check cannot run.
 *
 * This makes tampering visible, not impossible: someone who can write the
 * file can also recompute every later chain value; compare the chain head
 * (ba_catalog_audit_head()) with a copy kept elsewhere to catch that.
 */
BA_API int ba_catalog_audit_check(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err);

/**
 * The last audit row's id and chain value (the chain head), for keeping a
 * copy outside the library; id 0 and 64 zeros when the log is empty.
 */
BA_API int ba_catalog_audit_head(ba_catalog *cat, int64_t *id, char chain[BA_SHA_MAX], ba_error *err);

/* ---- corrections: photos (catalog/photo_edit.c) ------------------------ */

/**
 * Read the area list @p list ("forehead,cheeks,crows-feet": names separated
 * by commas, blanks around them ignored, repeats dropped) into
 * @p out->areas / n_areas, the first one also into @p out->area (the
 * primary area).  Every name must be in the vocabulary (BA_ERR_NOT_FOUND as
 * ba_catalog_area_check()); an empty list or more than BA_PHOTO_AREAS_MAX
 * areas is BA_ERR_USAGE.  Nothing else of @p out is touched.
 */
BA_API int ba_catalog_areas_parse(ba_catalog *cat, const char *list, ba_photo *out,
                                  ba_error *err);

/**
 * Check a session date given for a photo: a calendar date (ba_date_check())
 * not after the library's today (ba_catalog_today()); BA_ERR_USAGE naming
 * the date otherwise.
 */
BA_API int ba_catalog_session_date_check(ba_catalog *cat, const char *date, ba_error *err);

/** What ba_catalog_photo_set() changes; NULL fields stay as they are. */
typedef struct ba_photo_change {
    const char *areas; /**< every area the photo shows, as for ba_catalog_areas_parse() */
    const char *stage; /**< before, after or progress */
    const char *view;  /**< frontal, left-45, ... */
    const char *date;  /**< session date YYYY-MM-DD, not in the future */
} ba_photo_change;

/**
 * Correct photo @p id, in one write transaction with an audit row
 * "photo-set" whose detail is JSON of old -> new values ({"areas": [[old],
 * [new]], "stage": [old, new], "view": ..., "date": ..., "stale_comparisons":
 * [ids], "stale_alignments": n}).  A new date moves the photo to its
 * client's session on that date; the client's sessions are then numbered by
 * date again.  A session's treatment, provider and notes are never lost: a
 * photo alone in its session takes the session along when no session is on
 * the new date; otherwise a session is created (with the old one's
 * treatment) or joined, and an old session left without photos is removed
 * after its details are copied to fields the joined one leaves empty — when
 * both hold different values the move is refused (BA_ERR_REFUSED).  Every alignment
 * and comparison that used the photo is marked stale ("photo 7 corrected"):
 * stale alignments are computed again when next needed, stale comparisons are
 * refused by export.  Retracted photos can be corrected too.
 *
 * Refused with nothing written (BA_ERR_USAGE) when no field is given or a
 * stage, view, date or area list is invalid or the date is in the future;
 * BA_ERR_NOT_FOUND for an unknown photo or area.
 * @return 0 when the photo changed, 1 when every given field already had its
 * value (nothing written, no audit row), -1 on error.  @p out (may be NULL)
 * receives the photo as it now is.
 */
BA_API int ba_catalog_photo_set(ba_catalog *cat, int64_t id, const ba_photo_change *change,
                                ba_photo *out, ba_error *err);

/**
 * Add the areas of the list @p areas (as ba_catalog_areas_parse()) to photo
 * @p id, keeping its primary area: ba_catalog_photo_set() with the union,
 * audited as "photo-add-area".  @return 0 when areas were added, 1 when it
 * showed them all already, -1 on error.
 */
BA_API int ba_catalog_photo_add_areas(ba_catalog *cat, int64_t id, const char *areas,
                                      ba_photo *out, ba_error *err);

/**
 * Retract photo @p id for @p reason (required, UTF-8, under BA_TEXT_MAX
 * bytes): it leaves listings (ba_catalog_photo_list() without
 * BA_PHOTOS_RETRACTED/ALL), comparison picking, comparing, aligning and
 * exporting, but its row and master stay (clinical records are retained;
 * verify counts its master as referenced).  Its alignments and comparisons
 * are marked stale ("photo 7 retracted").  Audited "photo-retract" with the
 * reason.  BA_ERR_REFUSED when it is retracted already.
 */
BA_API int ba_catalog_photo_retract(ba_catalog *cat, int64_t id, const char *reason,
                                    ba_photo *out, ba_error *err);

/**
 * Undo ba_catalog_photo_retract(): the photo is current again and the stale
 * marks its retraction set are cleared.  Audited "photo-restore".
 * BA_ERR_REFUSED when it is not retracted.
 */
BA_API int ba_catalog_photo_restore(ba_catalog *cat, int64_t id, ba_photo *out, ba_error *err);

/**
 * ba_catalog_photo_get() for a photo about to be used (compared, aligned,
 * exported): BA_ERR_REFUSED "photo 7 is retracted (REASON)" for a retracted
 * one.
 */
BA_API int ba_catalog_photo_get_current(ba_catalog *cat, int64_t id, ba_photo *out,
                                        ba_error *err);

/**
 * Check that comparison @p id still shows the record as it is: BA_ERR_REFUSED
 * "comparison 5 is stale (photo 7 corrected): it must be rendered again" when
 * a photo it used was corrected or retracted since, or when it shows a
 * retracted photo; BA_ERR_NOT_FOUND when it does not exist.
 */
BA_API int ba_catalog_comparison_check_current(ba_catalog *cat, int64_t id, ba_error *err);

/** True when photos @p a and @p b show at least one area in common (any of
 *  their areas, not only the primary ones): they can be compared as one area. */
BA_API bool ba_photo_shares_area(const ba_photo *a, const ba_photo *b);

/* ---- corrections: clients, sessions, comparisons (catalog/client_edit.c) - */

/*
 * Client codes are unique whatever their case: "c-0001" cannot be added
 * beside "C-0001", and every lookup by code (ba_catalog_client_get(), the
 * functions below, listing photos and comparisons by client) finds the client
 * whatever case it is given in; what is stored and printed is the code as
 * first written.  Every correction is one transaction with one audit row
 * (its actor is the handle's, ba_catalog_set_actor()) whose detail is a JSON
 * object of old -> new values, e.g. {"name":{"old":"A","new":"B"}}.
 */

/**
 * Rename client @p code to @p new_code (a valid code that no other client
 * has in any case; a change of case only, "c-0001" -> "C-0001", is allowed).
 * Audit rows keep the code they were written with (the log is append-only
 * and chained); the rename row ("client-rename", client @p new_code, detail
 * {"code":{"old":..,"new":..}}) links them, and ba_catalog_audit_list() for
 * the new code follows those links, so the client's earlier rows are still
 * found.  BA_ERR_NOT_FOUND for an unknown client, BA_ERR_EXISTS when
 * @p new_code is taken, BA_ERR_USAGE for an invalid code.
 */
BA_API int ba_catalog_client_rename(ba_catalog *cat, const char *code, const char *new_code,
                                    ba_error *err);

/**
 * Correct client @p code's display @p name and @p birth_date (YYYY-MM-DD, a
 * real date not after today in the library's time zone).  NULL leaves a
 * field as it is, "" clears it.  Nothing changes (and no audit row is
 * written) when both are as stored.  BA_ERR_USAGE for a bad value,
 * BA_ERR_NOT_FOUND for an unknown client.
 */
BA_API int ba_catalog_client_set(ba_catalog *cat, const char *code, const char *name,
                                 const char *birth_date, ba_error *err);

/** What ba_catalog_client_merge() moved. */
typedef struct ba_client_merge_result {
    int64_t into_id;      /**< the client that remains */
    int sessions_moved;   /**< sessions of FROM on dates INTO had no session on */
    int sessions_joined;  /**< sessions of FROM merged into INTO's session of that date */
    int photos;           /**< photos now of INTO */
    int consents;         /**< consents now of INTO */
    int comparisons;      /**< comparisons showing the merged photos */
    /** comparisons marked stale: a photo's session number changed, so their
     *  labels ("Session 2", the time since the first session) may be wrong */
    int comparisons_stale;
} ba_client_merge_result;

/**
 * Merge client @p from into client @p into (one person recorded under two
 * codes) in one transaction: a session of @p from on a date @p into has no
 * session on moves over; one on the same date is joined with @p into's
 * (treatment, provider and notes must be equal or empty on one side, else
 * the merge is refused with BA_ERR_REFUSED naming the sessions and the field,
 * and nothing changes); photos follow their sessions, comparisons their
 * photos; consents move to @p into (recorded in the catalog's client_merges
 * table, the only way a consent's client may change: it is the same
 * person's signed consent, and exports keep naming it by id); @p into's
 * sessions are numbered again by date (comparisons showing a photo whose
 * session number changed are marked stale); @p from is removed; one
 * "client-merge" audit row (client @p into) records the counts and @p from's
 * code, and ba_catalog_audit_list() for @p into also finds @p from's rows.
 * A name or birth date only @p from has is kept; two different ones refuse.
 * @p out may be NULL.
 */
BA_API int ba_catalog_client_merge(ba_catalog *cat, const char *from, const char *into,
                                   ba_client_merge_result *out, ba_error *err);

/** Longest session notes, in bytes (including the NUL). */
#define BA_NOTES_MAX 1025

/** One session (a client's visit on one date). */
typedef struct ba_session {
    int64_t id;                   /**< session id */
    char client[BA_CODE_MAX];     /**< client code */
    char date[BA_DATE_MAX];       /**< YYYY-MM-DD */
    int number;                   /**< 1 for the client's first session, by date */
    char treatment[BA_TEXT_MAX];  /**< "" when none recorded */
    char provider[BA_TEXT_MAX];   /**< "" when none recorded */
    char notes[BA_NOTES_MAX];     /**< "" when none recorded */
    int photo_count;              /**< photos of the session that are not retracted */
} ba_session;

/** Load session @p id; BA_ERR_NOT_FOUND when absent. */
BA_API int ba_catalog_session_get(ba_catalog *cat, int64_t id, ba_session *out, ba_error *err);

/** Callback for ba_catalog_session_list(); return non-zero to stop. */
typedef int (*ba_session_fn)(const ba_session *s, void *ud);

/** Call @p fn for every session of client @p client (any case), by date. */
BA_API int ba_catalog_session_list(ba_catalog *cat, const char *client, ba_session_fn fn,
                                   void *ud, ba_error *err);

/**
 * Correct session @p id's @p treatment, @p provider and @p notes (UTF-8;
 * NULL leaves a field as it is, "" clears it).  No audit row when nothing
 * changes.  BA_ERR_USAGE for text that is not UTF-8 or too long,
 * BA_ERR_NOT_FOUND for an unknown session.
 */
BA_API int ba_catalog_session_set(ba_catalog *cat, int64_t id, const char *treatment,
                                  const char *provider, const char *notes, ba_error *err);

/**
 * Delete comparison @p id: its row stays as a tombstone (deleted_at set;
 * exports that included it keep naming it by id and keep their own files),
 * so ba_catalog_comparison_get() and ba_catalog_comparison_list() no longer
 * return it and rendering the same again makes a new one.  Its stored render
 * (renders/...) is removed after the commit unless another comparison that
 * is not deleted uses the same content-addressed file; @p render_removed
 * (may be NULL) says whether it went.  One "comparison-delete" audit row.
 * BA_ERR_NOT_FOUND when @p id is absent or already deleted.
 */
BA_API int ba_catalog_comparison_delete(ba_catalog *cat, int64_t id, bool *render_removed,
                                        ba_error *err);

/**
 * The comparison that is not deleted or stale whose identity (SHA-256 of the
 * photo ids in panel order and the canonical render parameters, what
 * ba_compose_photos() records) is @p identity: 1 with @p id set when there
 * is one, 0 when not, -1 on error.
 */
BA_API int ba_catalog_comparison_find(ba_catalog *cat, const char *identity, int64_t *id,
                                      ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
