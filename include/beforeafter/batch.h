/**
 * @file batch.h
 * @brief Ingesting folders and manifests of many photos, in parallel and resumably.
 *
 * N worker threads each prepare one photo at a time (decode, encode a
 * temporary master: at most N photos decoded at once); one writer, the
 * calling thread, commits them to the catalog in input order, so the catalog
 * is the same whatever the number of jobs.  Re-running an interrupted batch
 * finishes the rest: photos already in are recognised by the hash of their
 * bytes before anything is decoded.
 */
#ifndef BEFOREAFTER_BATCH_H
#define BEFOREAFTER_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "beforeafter/catalog.h"
#include "beforeafter/compose.h"
#include "beforeafter/error.h"
#include "beforeafter/ingest.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Most photos (or comparisons) worked on at once.  Each job holds one
 * decoded photo, up to 100 megapixels (about 300 MB), so this bounds a
 * batch's memory whatever is asked; more threads than this do not make the
 * one writer commit faster.  The default (jobs <= 0) is the number of cores,
 * at most this.
 */
#define BA_BATCH_MAX_JOBS 64

/**
 * Check a jobs count: <= 0 (the default) or at most #BA_BATCH_MAX_JOBS.
 * @return 0, or -1 with BA_ERR_USAGE naming the limit.
 */
BA_API int ba_batch_jobs_check(int jobs, ba_error *err);

/** One input: a file and what to ingest it as (NULL fields take the batch defaults). */
typedef struct ba_batch_item {
    char *file;      /**< path of the photo */
    char *client;    /**< client code */
    char *area;      /**< treatment area */
    char *stage;     /**< before, after, progress */
    char *date;      /**< session date YYYY-MM-DD */
    char *view;      /**< view */
    char *treatment; /**< treatment of the session */
    int row;         /**< manifest line the row starts on (blank lines counted, the header is
                          line 1), 0 for folder walks */
    char *error;     /**< set when the input itself is invalid: reported, never processed */
} ba_batch_item;

/** A growable list of inputs. */
typedef struct ba_batch_list {
    ba_batch_item *items; /**< the inputs */
    size_t count;         /**< number of inputs */
    size_t capacity;      /**< allocated slots */
} ba_batch_list;

/** Empty @p list. */
BA_API void ba_batch_list_init(ba_batch_list *list);

/** Free every item of @p list and empty it. */
BA_API void ba_batch_list_clear(ba_batch_list *list);

/** Append a file with no per-item fields (all from the batch defaults). */
BA_API void ba_batch_list_add_file(ba_batch_list *list, const char *file);

/**
 * Read a CSV manifest (RFC 4180: header row, quoted fields, UTF-8) with the
 * columns file, client, area and optionally stage, date, view, treatment, in
 * any order.  Relative file paths are relative to the manifest's folder.  A
 * row that is malformed (wrong number of fields, an empty file or client or
 * area, invalid UTF-8) becomes an item with @c error set.  Fails only when
 * the manifest cannot be read or its header lacks a required column.
 */
BA_API int ba_batch_read_manifest(const char *path, ba_batch_list *out, ba_error *err);

/**
 * ba_batch_read_manifest() on @p len bytes at @p data: @p name is used in
 * messages, relative file paths are resolved against @p base.
 */
BA_API int ba_batch_parse_manifest(const char *data, size_t len, const char *name, const char *base,
                            ba_batch_list *out, ba_error *err);

/**
 * Walk @p dir for photos (by extension: jpg, jpeg, png, heic, heif, tif,
 * tiff, webp; hidden entries skipped; sorted) whose folder below @p dir
 * matches @p layout, a '/'-separated template of literal names and the
 * placeholders {client}, {area}, {date}, {stage}, {view}, {treatment}, e.g.
 * "{client}/{area}/{date}/{stage}".  Files at another depth become items with
 * @c error set.
 */
BA_API int ba_batch_scan_folder(const char *dir, const char *layout, ba_batch_list *out, ba_error *err);

/** What happened to one input. */
typedef enum ba_batch_status {
    BA_BATCH_INGESTED = 0, /**< a new photo */
    BA_BATCH_DUPLICATE,    /**< already in the catalog */
    BA_BATCH_FAILED        /**< see the error */
} ba_batch_status;

/** Reported to the callback for every input, in input order, from the calling thread. */
typedef struct ba_batch_event {
    size_t index;                   /**< index of the input in the list */
    const ba_batch_item *item;      /**< the input */
    ba_batch_status status;         /**< outcome */
    const ba_ingest_result *result; /**< for ingested and duplicate */
    const ba_error *error;          /**< for failed */
    size_t done;                    /**< inputs finished so far, this one included */
    size_t total;                   /**< inputs in the batch */
} ba_batch_event;

/** Called once per input. */
typedef void (*ba_batch_fn)(const ba_batch_event *event, void *ud);

/** How to run a batch. */
typedef struct ba_batch_options {
    int jobs;                       /**< photos prepared at once; <= 0 = number of cores; at most #BA_BATCH_MAX_JOBS */
    bool create_clients;            /**< add clients named by items that do not exist */
    const ba_ingest_options *defaults; /**< for fields an item leaves NULL, and the limits */
    ba_batch_fn on_result;          /**< may be NULL */
    void *ud;                       /**< passed to on_result */
    volatile int *cancel;           /**< when it becomes non-zero: finish the photos in flight, start no more */
} ba_batch_options;

/** Counts of a finished (or cancelled) batch. */
typedef struct ba_batch_summary {
    size_t ingested;   /**< new photos */
    size_t duplicates; /**< already present */
    size_t failed;     /**< errors */
    size_t cancelled;  /**< never started because of a cancel */
    bool library_error;/**< some failure was the catalog's (unusable, locked) */
    double seconds;    /**< wall time */
    double prepare_seconds; /**< read, decode, orient, convert, encode: summed over the
                                 workers (more than @c seconds when they overlap) */
    double commit_seconds;  /**< the writer's placing and recording, in input order */
} ba_batch_summary;

/** Fill @p o with the defaults. */
BA_API void ba_batch_options_init(ba_batch_options *o);

/**
 * Check every item of @p list as ba_batch_ingest() would ingest it, writing
 * nothing (a dry run): no catalog row, no client (clients the batch would
 * create with @c create_clients are taken as existing), nothing in masters/
 * or tmp/.  Each item gets ba_ingest_check(): a row the manifest could not
 * read, a missing or unreadable file, a format or header the ingest refuses,
 * an unknown client or area, a bad, missing or future date, a file stored
 * for another client.  A row whose bytes equal an earlier row's is reported
 * as a duplicate of it (with a remark), or refused when that row is for
 * another client.  @p opts->on_result gets one event per item, in order:
 * BA_BATCH_INGESTED means "would be ingested" (@c photo_id 0), DUPLICATE
 * names the existing photo, FAILED carries the error; @p sum counts them.
 * Items are checked one after another (headers only, no pixel decoded).
 * -1 only when there is no library to check against.
 */
BA_API int ba_batch_check(ba_catalog *cat, const ba_batch_list *list, const ba_batch_options *opts,
                          ba_batch_summary *sum, ba_error *err);

/**
 * Ingest every item of @p list into @p cat (see the file comment).  Failures
 * of single inputs are reported through the callback and the summary; the
 * call fails only when the batch cannot run at all (BA_ERR_USAGE: too many
 * jobs).  With @c create_clients, a client the batch added is removed again
 * when none of its photos committed.
 */
BA_API int ba_batch_ingest(ba_catalog *cat, const ba_batch_list *list, const ba_batch_options *opts,
                    ba_batch_summary *summary, ba_error *err);

/** One comparison rendered by ba_batch_compare(). */
typedef struct ba_batch_compare_event {
    const char *client;          /**< client code */
    const char *area;            /**< area */
    const char *output;          /**< file written (or attempted) */
    const ba_comparison *result; /**< when it succeeded */
    const ba_error *error;       /**< when it failed */
    size_t done;                 /**< groups finished so far */
    size_t total;                /**< groups in the batch */
} ba_batch_compare_event;

/** Called once per client/area group, from the calling thread. */
typedef void (*ba_batch_compare_fn)(const ba_batch_compare_event *event, void *ud);

/** How to run ba_batch_compare(). */
typedef struct ba_batch_compare_options {
    int jobs;                      /**< comparisons rendered at once; <= 0 = cores; at most #BA_BATCH_MAX_JOBS */
    ba_compose_options compose;    /**< layout, labels, size...; timeline takes every session */
    const char *out_dir;           /**< folder for the outputs (created if missing) */
    const char *extension;         /**< "png" (default), "jpg" or "webp" */
    const char *view;              /**< only photos of this view; NULL = frontal */
    ba_batch_compare_fn on_result; /**< may be NULL */
    void *ud;                      /**< passed to on_result */
    volatile int *cancel;          /**< stop starting new comparisons when non-zero */
} ba_batch_compare_options;

/**
 * Render a comparison for every client and area with at least two sessions
 * (first vs last session; every session for the timeline layout) into
 * @p opts->out_dir as CLIENT_AREA_LAYOUT.EXT, in parallel, each recorded in
 * the catalog.  @p summary counts rendered (ingested), failed and cancelled.
 * Options that fail ba_compose_options_check() or ba_batch_jobs_check() fail
 * the whole call (BA_ERR_USAGE) before anything is rendered.
 */
BA_API int ba_batch_compare(ba_catalog *cat, const ba_batch_compare_options *opts,
                     ba_batch_summary *summary, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
