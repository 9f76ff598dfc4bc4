/**
 * @file record.h
 * The record's life: a client's whole record handed over (subject access,
 * transfer of care), a client erased, the library backed up and restored,
 * the retention period that guards erasure.
 */
#ifndef BEFOREAFTER_RECORD_H
#define BEFOREAFTER_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "beforeafter/api.h"
#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The "format" member of a client export's record.json. */
#define BA_RECORD_FORMAT "beforeafter-client-record"
/** Its "version" member; raised when the layout of record.json changes. */
#define BA_RECORD_VERSION 1

/** What ba_record_client_export() wrote. */
typedef struct ba_record_export_result {
    int64_t client_id;           /**< the client's id */
    char client[BA_CODE_MAX];    /**< its code as stored */
    int masters;                 /**< photo masters written (masters/<sha256>.jpg) */
    int comparisons;             /**< comparison renders written (comparisons/...) */
    int evidence;                /**< consent evidence files written (consents/...) */
    uint64_t bytes;              /**< bytes of all files, record.json included */
} ba_record_export_result;

/**
 * Write client @p code's whole record to the new folder @p dir:
 *
 *     DIR/record.json              the record (below)
 *     DIR/masters/<sha256>.jpg     every master, byte for byte as stored
 *                                  (metadata-free, upright, sRGB)
 *     DIR/comparisons/<file>       every comparison's stored render
 *     DIR/consents/<file>          every consent's evidence (signed form)
 *
 * record.json is one object: "format" (BA_RECORD_FORMAT), "version"
 * (BA_RECORD_VERSION), "exported_at" (UTC), "client" (the code),
 * "client_record" (array of the client row), "sessions", "photos" (each with
 * "areas" and "file"), "alignments", "comparisons" (each with "photos" in
 * panel order, "parameters" as JSON and "file"), "consents" (each with
 * "evidence_file"), "exports" that used any of them (with "items" and
 * "consents"), "audit" and "access" (the client's rows of the audit and
 * access logs), and "files" (every file with its "sha256" and "bytes").
 * Every column of every row is there under its own name; ids are
 * "<thing>_id".  Nothing of another client is written (an alignment onto
 * another client's photo names that photo's id only).
 *
 * @p dir must lie outside every library (ba_library_check_output()) and not
 * exist or be an empty folder.  Everything is written to a temporary folder
 * beside it, each file checked against its recorded SHA-256, synced, and
 * renamed into place: there is never half an export.  Audited as
 * "client-export" (after the rename; when that row cannot be written the
 * folder is removed again and the export fails).  @p out may be NULL.
 */
BA_API int ba_record_client_export(ba_catalog *cat, const char *code, const char *dir,
                                   ba_record_export_result *out, ba_error *err);

/** What ba_record_client_erase() removed. */
typedef struct ba_record_erase_result {
    int64_t client_id;     /**< the erased client's id (ids are never personal) */
    int64_t tombstone_id;  /**< the audit row that records the erasure */
    int sessions, photos, alignments, comparisons, consents, exports; /**< rows deleted */
    int files_removed;     /**< masters, renders and evidence files removed */
    int audit_redacted;    /**< audit rows whose client and detail were redacted */
    int exports_to_take_down; /**< earlier exports that showed the client */
    bool compacted;        /**< the catalog was vacuumed and its WAL emptied */
    char warning[512];     /**< why not compacted (or a file not removed), "" when none */
} ba_record_erase_result;

/**
 * Erase client @p code (any case) from the library.  @p confirm must equal
 * the code as stored or as given (BA_ERR_USAGE, BA_HINT_CONFIRM_ERASE).
 *
 * Refused (BA_ERR_REFUSED, BA_HINT_OVERRIDE_RETENTION) while the client's
 * newest session is younger than the library's retention period
 * (ba_record_retention_set(); 0 = none), unless @p override_reason is given;
 * the reason is kept in the tombstone.
 *
 * One write transaction, with PRAGMA secure_delete on: the client, its
 * sessions, photos, photo areas, alignments (also those onto or from its
 * photos), comparisons that show any of its photos (and their panels), its
 * consents, and the export rows whose every item and consent was the
 * client's are deleted; an export that also showed other clients keeps its
 * row and their items, with the code and name replaced by "[erased]" in its
 * destination and caption.  The triggers that make consents, exports and
 * the audit log append-only are dropped and re-created, as they were, inside
 * that transaction (DDL is transactional: no other writer sees them lifted,
 * and verify's trigger check still passes).
 *
 * The audit log.  The client's earlier rows (and any row whose detail or
 * objects mention the code or name) name the client and may carry personal
 * details, and the hash chain covers them.  Decision: those rows are kept
 * (action, time, actor, objects as ids stay: what was done, by whom, when)
 * but their client column is set to NULL and their detail replaced by
 * {"redacted":"client-erase"}; then the chain is computed again over every
 * row, so verify stays clean.  The break is explained, not hidden: the
 * tombstone (action "client-erase", client NULL, objects "client ID") records
 * the chain head before the erasure and after the redaction, the counts of
 * every kind of object erased, the retention in force and any override
 * reason, the list of earlier exports to take down (destination, files)
 * and the files comparisons were written to outside the library (to remove)
 * — with no code and no name (replaced by "[erased]" where a path held them).  Rows of the access log that name the client
 * lose the client and object columns.
 *
 * After the commit the files no remaining row references are removed (and
 * any copy of them verify moved to lost+found/), then the catalog is
 * compacted: WAL checkpointed and truncated, VACUUM, checkpointed and
 * truncated again, so that not one byte of the code or name remains in
 * catalog.db, its WAL, free pages or the library's files.  When another
 * process holds a read snapshot throughout, compaction cannot finish:
 * the erasure stands, @p out->compacted is false and @p out->warning says
 * so (it completes at that process's next checkpoint, or run verify).
 * A file that could not be removed is reported in the warning too.
 */
BA_API int ba_record_client_erase(ba_catalog *cat, const char *code, const char *confirm,
                                  const char *override_reason, ba_record_erase_result *out,
                                  ba_error *err);

/** What a backup or a restore copied. */
typedef struct ba_record_backup_result {
    int64_t photos;     /**< photo rows in the copied catalog */
    int files;          /**< files copied besides catalog.db (masters, renders, evidence) */
    uint64_t bytes;     /**< bytes copied, catalog.db included */
    double seconds;     /**< how long it took */
} ba_record_backup_result;

/**
 * Back the library up into the new folder @p dir (outside every library;
 * absent or empty), while other processes keep writing: the catalog is
 * copied with SQLite's online backup API in one read snapshot, then every
 * master, render and consent evidence file that copy references is copied
 * and checked against its SHA-256, and MANIFEST lists "<sha256>  <path>"
 * for every file (catalog.db first).  Built in a temporary folder beside
 * @p dir and renamed into place.  The backup folder is itself a library
 * (catalog.db, masters/, renders/, consents/, tmp/; modes 0700/0600):
 * verify passes on it.  Photos ingested after the snapshot are not in it.
 */
BA_API int ba_record_backup(ba_catalog *cat, const char *dir, ba_record_backup_result *out,
                            ba_error *err);

/**
 * Restore the backup in @p from (made by ba_record_backup()) into the new
 * library @p to (absent or empty; not inside a library): every file of
 * MANIFEST is checked against its SHA-256 and copied (a file that does not
 * match refuses the restore, nothing is written), in a temporary folder
 * beside @p to renamed into place.  Open the result as a library; verify
 * passes on it.
 */
BA_API int ba_record_restore(const char *from, const char *to, ba_record_backup_result *out,
                             ba_error *err);

/** The library's retention period in whole years (0: none, the default). */
BA_API int ba_record_retention_get(ba_catalog *cat, int *years, ba_error *err);

/**
 * Set the retention period (0..200 years): ba_record_client_erase() refuses
 * a client whose newest session is younger than that.  Audited ("settings",
 * old -> new).
 */
BA_API int ba_record_retention_set(ba_catalog *cat, int years, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
