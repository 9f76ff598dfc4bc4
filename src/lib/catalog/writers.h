/* Internal: the catalog's raw writers.
 *
 * These record rows as they are given, without the policy that decides
 * whether they may be written (consent before an export, the hash chain's
 * actor, the master in place before its row, ...).  They are not exported
 * from libbeforeafter.so: embedders write through the policy functions of
 * the public headers (ba_ingest_*, ba_consent_grant/revoke/export,
 * ba_align_photos, ba_compose_photos, ba_verify_library), which call these.
 * Library modules and tests include this header; libbeforeafter.a carries
 * the functions for the tests. */
#ifndef BA_CATALOG_WRITERS_H
#define BA_CATALOG_WRITERS_H

#include <stdbool.h>
#include <stdint.h>

#include "beforeafter/catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- clients ---------------------------------------------------------------- */

/**
 * Remove client @p id if nothing refers to it (no session, consent or other
 * row): undoes a ba_catalog_client_add() whose photos all failed.
 * @p removed says whether it went.  @return 0, or -1 on a catalog error.
 */
int ba_catalog_client_remove_unused(ba_catalog *cat, int64_t id, bool *removed,
                                    ba_error *err);

/* ---- photos and their masters ----------------------------------------------- */

/**
 * Hooks run inside the write transaction of ba_catalog_photo_add(), after the
 * duplicate check and before the commit, so that moving a master file into
 * place is serialised with every other writer of the library.
 */
typedef struct ba_store_hooks {
    /** Put the master in place; return 0 or set @p err and return -1. */
    int (*store)(void *ud, ba_error *err);
    /** Undo store() after a failed insert or commit. May be NULL. */
    void (*unstore)(void *ud);
    void *ud; /**< passed to both hooks */
} ba_store_hooks;

/**
 * Record a photo in one write transaction: the session is found or created
 * by (client, session_date); a photo with the same original or master hash
 * makes this a duplicate (nothing is written, @p *duplicate set, @p p->id set
 * to the existing photo).  Otherwise @p hooks->store runs, the row is
 * inserted and committed; on any failure @p hooks->unstore runs and the
 * catalog is unchanged.
 *
 * In: client, area, session_date, treatment, view, stage, hashes, width,
 * height, original_name, capture.  Out: id, session_id, session_number,
 * ingested_at.
 */
int ba_catalog_photo_add(ba_catalog *cat, ba_photo *p, const ba_store_hooks *hooks,
                         bool *duplicate, ba_error *err);

/**
 * Mark photo @p id's master as damaged (@p problem "missing" or "corrupt") or
 * clear the mark (NULL).  Photos are never deleted by a check.
 */
int ba_catalog_photo_mark_master(ba_catalog *cat, int64_t id, const char *problem,
                                 ba_error *err);

/**
 * Whether a photo row names the master with hash @p sha256.
 * @return 1 when one does, 0 when none does, -1 on error.
 */
int ba_catalog_master_referenced(ba_catalog *cat, const char *sha256, ba_error *err);

/**
 * The number of days between @p date and the nearest other session of client
 * @p client (@p *days).  @return 1 when the client has another session, 0
 * when not, -1 on error.
 */
int ba_catalog_session_gap_days(ba_catalog *cat, const char *client, const char *date,
                                int *days, ba_error *err);

/**
 * Put back the master of photo @p id from a new decode of its original: in
 * one write transaction, refuse (BA_ERR_REFUSED) when @p master_sha256 is not
 * the recorded master hash, run @p hooks->store (the master moved over
 * whatever is at its name), clear the photo's master_problem and append an
 * audit row "master-repair".
 */
int ba_catalog_photo_repair_master(ba_catalog *cat, int64_t id, const char *master_sha256,
                                   const ba_store_hooks *hooks, ba_error *err);

/* ---- alignments, comparisons ------------------------------------------------- */

/** Store @p a for (a->photo_id, a->reference_id), replacing an earlier one. */
int ba_catalog_alignment_put(ba_catalog *cat, ba_alignment *a, ba_error *err);

/** Record a comparison (all fields but id and created_at, which are set).
 *  When @p c->identity is set and a comparison that is not deleted or stale
 *  has the same identity and the same rendered bytes (sha256), nothing is
 *  written: @p c->id is that comparison's and @p *existing (may be NULL) is
 *  set.  The lookup and the insert are one write transaction. */
int ba_catalog_comparison_add(ba_catalog *cat, ba_comparison_record *c, bool *existing,
                              ba_error *err);

/* ---- consents, exports, audit ------------------------------------------------ */

/** Record @p c (all fields but id and recorded_at, which are set) and append
 *  @p audit (may be NULL) in the same transaction; when @p audit->objects is
 *  NULL it is recorded as "consent <id>".  BA_ERR_NOT_FOUND for an unknown
 *  client, BA_ERR_USAGE when the row breaks a constraint (scope, dates). */
int ba_catalog_consent_add(ba_catalog *cat, ba_consent *c, const ba_audit_entry *audit,
                           ba_error *err);

/**
 * Set revoked_at = @p revoked_at (UTC stamp) on the consents @p ids that are
 * not revoked yet and append @p audit (may be NULL) in one transaction.
 * @p *n_revoked (may be NULL) receives how many rows changed.  When
 * @p audit->detail is NULL it is written as the exports to take down, read
 * under the same write lock: an export recorded before the revocation is
 * listed, one after it has decided consent again and been refused.
 */
int ba_catalog_consent_revoke(ba_catalog *cat, const int64_t *ids, int n,
                              const char *revoked_at, const ba_audit_entry *audit,
                              int *n_revoked, ba_error *err);

/**
 * Record export @p e as **pending**, with @p items and @p audits, in one
 * write transaction, before any of its files is placed: the exports row is
 * inserted (status pending, writer_pid this process; sets @p e->id;
 * @p e->created_at is the caller's UTC stamp, as written in the manifest),
 * then @p hooks->store runs inside the transaction — to decide consent again
 * under the write lock and to fill in @p items and @p audits, which can now
 * name the export id — then the items, the consents used and the audit rows
 * are inserted and committed.  On any failure @p hooks->unstore runs and
 * nothing is recorded.  @p hooks may be NULL.  Finish it with
 * ba_catalog_export_finish() once the files are in place (or removed).
 */
int ba_catalog_export_add(ba_catalog *cat, ba_export_record *e, ba_export_item *items,
                          int n_items, ba_audit_entry *audits, int n_audits,
                          const ba_store_hooks *hooks, ba_error *err);

/**
 * Move pending export @p id to @p status ("done", "failed" or
 * "interrupted") and append @p audits (@p n_audits may be 0) in one write
 * transaction.  BA_ERR_NOT_FOUND when @p id is not a pending export.
 */
int ba_catalog_export_finish(ba_catalog *cat, int64_t id, const char *status,
                             const ba_audit_entry *audits, int n_audits, ba_error *err);

/** Append @p a to the audit log (its id and at are ignored and set). */
int ba_catalog_audit_add(ba_catalog *cat, const ba_audit_entry *a, ba_error *err);

/* ---- the write lock ---------------------------------------------------------- */

/**
 * Callback for ba_catalog_with_write_lock(): @p locked is true when the
 * catalog's write lock is held (nothing can be committed until it returns),
 * false when the catalog cannot be written by this process and @p fn runs
 * without it (it must then only read).  Return 0, or -1 with @p err set.
 */
typedef int (*ba_locked_fn)(ba_catalog *cat, bool locked, void *ud, ba_error *err);

/**
 * Run @p fn holding the catalog's write lock: a write transaction begun
 * IMMEDIATE, which first waits (up to the busy timeout) for every writer in
 * flight to commit — an ingest puts its master in place and commits under
 * this same lock, so what @p fn reads about masters cannot change under it.
 * Committed when @p fn returns 0, rolled back otherwise.  Must not be called
 * inside another transaction.  BA_ERR_BUSY when the lock stayed taken.
 */
int ba_catalog_with_write_lock(ba_catalog *cat, ba_locked_fn fn, void *ud, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
