/**
 * @file consent.h
 * @brief Consent records, the export policy, de-identification and the audit trail.
 *
 * Clinical photos are health data.  A clinic may always use a client's photos
 * for its own record (scope @c clinical, implied for every client); for staff
 * education (@c education) and for publication (@c marketing) it needs the
 * client's consent: granted on a date, optionally expiring, revocable at any
 * time, backed by an evidence file (the signed form) kept in the library
 * under `consents/` with its SHA-256.
 *
 * An export writes comparisons into a folder for one purpose.  It is refused,
 * naming the client and the missing scope, when any photo of any comparison
 * belongs to a client without a consent for that purpose active on the
 * export date; nothing is written then (all or nothing) unless the caller
 * asks to skip the refused comparisons.  A consent may restrict how its
 * photos are shown (the de-identification it allows); the export enforces it.
 * Exported files carry no client code or name (`<export-id>-<n>.png`), no
 * metadata, and come with an `export.json` manifest holding the purpose, date,
 * disclosure caption, tool version and per image the provenance (masters,
 * alignments, crop, every pixel operation) — and no personal data.
 *
 * Every consent change, export and refusal is appended to the catalog's
 * append-only audit log; revoking a consent reports every export made under
 * it, to be taken down.  docs/CONSENT.md describes the policy in full.
 */
#ifndef BEFOREAFTER_CONSENT_H
#define BEFOREAFTER_CONSENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beforeafter/catalog.h"
#include "beforeafter/compose.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a consent (or an export) is for. */
typedef enum ba_consent_scope {
    BA_SCOPE_CLINICAL = 0, /**< the clinic's own record; implied for every client */
    BA_SCOPE_EDUCATION,    /**< staff training, lectures */
    BA_SCOPE_MARKETING     /**< publication: website, social media, print */
} ba_consent_scope;

/** Parse "clinical", "education", "marketing"; -1 when unknown. */
BA_API int ba_consent_scope_parse(const char *name);

/** The name of @p scope ("clinical", ...). */
BA_API const char *ba_consent_scope_name(ba_consent_scope scope);

/** How an export hides who the client is. */
typedef enum ba_deidentify {
    BA_DEID_NONE = 0,        /**< shown as photographed */
    BA_DEID_EYES,            /**< a solid bar over both eyes */
    BA_DEID_HALF_LETTERBOX,  /**< a bar over the upper half of the eye region */
    BA_DEID_BLUR_FACE,       /**< the face blurred beyond recognition */
    BA_DEID_CROP_TO_AREA,    /**< every panel cropped to the treatment area: no eye shown */
    BA_DEID_BLUR_OUTSIDE     /**< everything outside the treatment area blurred */
} ba_deidentify;

/** Parse "none", "eyes", "half-letterbox", "blur-face", "crop-to-area",
 *  "blur-outside"; -1 when unknown. */
BA_API int ba_consent_deid_parse(const char *name);

/** The name of @p d ("none", "eyes", ...). */
BA_API const char *ba_consent_deid_name(ba_deidentify d);

/**
 * Check a consent's list of allowed de-identifications: names of
 * ba_consent_deid_parse() separated by commas (spaces around them ignored).
 * The normalised list ("eyes,half-letterbox") goes to @p out.
 * BA_ERR_USAGE naming the first unknown entry.
 */
BA_API int ba_consent_deid_list_check(const char *list, char *out, size_t out_size, ba_error *err);

/* ---- policy ------------------------------------------------------------ */

/** Outcome of the consent policy for one client and purpose. */
typedef enum ba_consent_verdict {
    BA_CONSENT_ALLOWED = 0,       /**< an active consent allows it (or the purpose is clinical) */
    BA_CONSENT_NONE,              /**< no consent of that scope was ever recorded */
    BA_CONSENT_NOT_YET,           /**< the consent starts after the date */
    BA_CONSENT_EXPIRED,           /**< the consent expired before the date */
    BA_CONSENT_REVOKED,           /**< the consent was revoked */
    BA_CONSENT_DEID_NOT_ALLOWED   /**< active, but not for this de-identification */
} ba_consent_verdict;

/**
 * True when consent @p c allows a use on @p date (YYYY-MM-DD): granted on or
 * before it, not expired (the expiry date is the last day it holds) and never
 * revoked — a revocation takes effect at once and for good, so a revoked
 * consent is active on no date at all.  The scope is not looked at.
 */
BA_API bool ba_consent_is_active(const ba_consent *c, const char *date);

/** Where a consent stands on a date (ba_consent_state_on()). */
typedef enum ba_consent_state {
    BA_CONSENT_STATE_ACTIVE,  /**< holds on the date (ba_consent_is_active()) */
    BA_CONSENT_STATE_NOT_YET, /**< granted after the date */
    BA_CONSENT_STATE_EXPIRED, /**< its last day is before the date */
    BA_CONSENT_STATE_REVOKED  /**< revoked: holds on no date, whatever the others say */
} ba_consent_state;

/**
 * The state of consent @p c on @p date (YYYY-MM-DD, usually the library's
 * today): revoked first, then active, not yet granted, expired.  NULL @p c
 * or @p date: BA_CONSENT_STATE_REVOKED (it allows nothing).
 */
BA_API ba_consent_state ba_consent_state_on(const ba_consent *c, const char *date);

/** "active", "not yet", "expired" or "revoked". */
BA_API const char *ba_consent_state_name(ba_consent_state state);

/**
 * The export policy, without the catalog: may photos of client @p client be
 * used for @p purpose on @p date, shown with de-identification @p deid, given
 * the client's @p n consents @p consents (any scope, any client: others are
 * ignored)?  Clinical use is always allowed (@p *consent_id = 0).  Otherwise
 * the newest active consent of scope @p purpose whose allowed list contains
 * @p deid (or is empty) is chosen (@p *consent_id, may be NULL).  When
 * refused, @p reason (may be NULL) receives one line naming the client, the
 * scope and why (e.g. "client C-7 has no active marketing consent: consent
 * 3 expired on 2025-12-31").
 */
BA_API ba_consent_verdict ba_consent_decide(const ba_consent *consents, int n, const char *client,
                                     ba_consent_scope purpose, const char *date,
                                     ba_deidentify deid, int64_t *consent_id, char *reason,
                                     size_t reason_size);

/**
 * ba_consent_decide() on the consents recorded in @p cat for @p client.
 * Returns 0 when allowed (@p consent_id set, may be NULL), -1 with
 * BA_ERR_REFUSED and the reason in @p err when not, or another error when
 * the catalog cannot be read or the client does not exist.
 */
BA_API int ba_consent_check(ba_catalog *cat, const char *client, ba_consent_scope purpose,
                     const char *date, ba_deidentify deid, int64_t *consent_id, ba_error *err);

/* ---- recording consents ---------------------------------------------- */

/** What ba_consent_grant() records. */
typedef struct ba_consent_grant_options {
    const char *client;            /**< client code (must exist) */
    const char *scope;             /**< clinical, education or marketing */
    const char *granted;           /**< YYYY-MM-DD, not in the future; NULL = today */
    const char *expires;           /**< YYYY-MM-DD, last day it holds, not before granted; NULL = none */
    const char *evidence;          /**< the signed form: a PDF or an image file; NULL = none */
    const char *allow_deidentify;  /**< allowed de-identifications (see
                                        ba_consent_deid_list_check()); NULL = any */
    const char *note;              /**< free text (< 256 bytes, one line); NULL = none */
} ba_consent_grant_options;

/** Fill @p o with the defaults (all NULL). */
BA_API void ba_consent_grant_options_init(ba_consent_grant_options *o);

/**
 * Record a consent and its audit row in one transaction.  The evidence file
 * is copied into LIBRARY/consents/<sha256>.<ext>, named by the SHA-256 of
 * the stored bytes: an image (JPEG, PNG, HEIF, TIFF, WebP — recognised by its
 * content, decoded with ingest's checks) is re-encoded with no metadata at
 * all (JPEG stays JPEG, the others become PNG); a PDF is copied byte for byte
 * so its signature stays valid; anything else is refused (BA_ERR_FORMAT).
 * The SHA-256 of the file as given is recorded too.
 *
 * Errors (nothing recorded, no file left behind): BA_ERR_USAGE for an
 * unknown scope, a malformed date, an expiry before the grant, a grant in the
 * future, an unknown de-identification; BA_ERR_NOT_FOUND for an unknown
 * client or a missing evidence file; BA_ERR_FORMAT / BA_ERR_CORRUPT /
 * BA_ERR_TOO_LARGE for evidence that cannot be read.  @p out (may be NULL)
 * receives the recorded consent.
 */
BA_API int ba_consent_grant(ba_catalog *cat, const ba_consent_grant_options *o, ba_consent *out,
                     ba_error *err);

/**
 * Revoke every unrevoked consent of @p client for @p scope (one audit row),
 * then call @p takedown (may be NULL) once for each export made under one of
 * them: the published images that must now be taken down.  @p *n_revoked
 * (may be NULL) receives the number of consents revoked.  BA_ERR_NOT_FOUND
 * when the client does not exist or has no unrevoked consent of that scope
 * (nothing recorded); BA_ERR_USAGE for an unknown scope.
 */
BA_API int ba_consent_revoke(ba_catalog *cat, const char *client, const char *scope,
                      ba_export_fn takedown, void *ud, int *n_revoked, ba_error *err);

/** Call @p fn for every consent of @p client (NULL = every client), by id.
 *  BA_ERR_NOT_FOUND when the client does not exist. */
BA_API int ba_consent_list(ba_catalog *cat, const char *client, ba_consent_fn fn, void *ud,
                    ba_error *err);

/**
 * Call @p fn for every export made under a consent that has been revoked
 * since (of @p client's consents when not NULL): the images to take down.
 */
BA_API int ba_consent_takedown_list(ba_catalog *cat, const char *client, ba_export_fn fn, void *ud,
                             ba_error *err);

/* ---- de-identification -------------------------------------------------- */

/**
 * The regions @p mode hides, in pixels of a reference photo of
 * @p width x @p height, clipped to it.  @p eyes (x1, y1, x2, y2: the two eye
 * centres) and @p face (x, y, w, h) may be NULL.  With d the distance
 * between the eye centres:
 *   - eyes: a solid bar from 0.5 d left of the leftmost eye centre to 0.5 d
 *     right of the rightmost, from 0.3 d above the higher eye centre to 0.3 d
 *     below the lower (the lids and the corners of both eyes);
 *   - half-letterbox: a bar of half that height centred on the eye line
 *     (0.15 d above the higher eye centre to 0.15 d below the lower), so the
 *     pupils are under it;
 *   - crop-to-area, blur-outside: no region here (they hide by the
 *     treatment area; see ba_consent_export());
 *   - blur-face: @p face when given, else a box from the eyes: 2.6 d wide
 *     centred on the midpoint of the eyes, from 1.3 d above it to 2.1 d below
 *     (hairline to chin for typical proportions), blurred.
 * BA_ERR_USAGE when what the mode needs is missing, when d is under 3 % of
 * @p width (or 4 px), or when the points or the box lie outside the photo.  @p *n receives the count
 * (at most @p max).
 */
BA_API int ba_consent_deid_regions(ba_deidentify mode, const double *eyes, const double *face,
                            int width, int height, ba_redaction *out, int max, int *n,
                            ba_error *err);

/* ---- export ------------------------------------------------------------- */

/** Called for each comparison an export refuses (with skip_refused, or before refusing). */
typedef void (*ba_export_refused_fn)(int64_t comparison_id, const char *client,
                                     const char *reason, void *ud);

/** What to export, where and how. */
typedef struct ba_export_options {
    const int64_t *comparisons; /**< comparison ids, or NULL to select by client */
    int n_comparisons;          /**< entries of @c comparisons */
    const char *client;         /**< every comparison of this client (when no ids) */
    const char *area;           /**< ... whose reference photo is of this area (may be NULL) */
    const char *purpose;        /**< clinical, education or marketing */
    const char *destination;    /**< folder (created if missing) */
    const char *deidentify;     /**< none (NULL), eyes, half-letterbox, blur-face,
                                     crop-to-area, blur-outside */
    const double *eyes;         /**< x1, y1, x2, y2 in reference master px, or NULL */
    const double *face;         /**< x, y, w, h in reference master px, or NULL */
    const double *roi;          /**< the treatment area x, y, w, h in reference master px
                                     (crop-to-area, blur-outside), or NULL = derived from
                                     the area and the detected face */
    /** told, once the export is done, per exported panel (@c panel 1-based,
     *  photo @c photo_id), the eye centres the de-identification used, in
     *  reference master px: @c n_eyes of them (0 when a crop-to-area panel
     *  shows none to find), @c detected true when the detector found them,
     *  false when they were given.  @c fn may be NULL. */
    struct ba_export_deid_cb {
        void (*fn)(int64_t comparison_id, int panel, int64_t photo_id, int n_eyes,
                   const double eyes[2][2], bool detected, void *ud);
        void *ud;
    } deidentified;
    const char *caption;        /**< disclosure caption (footer and manifest); NULL = the
                                     comparison's own caption */
    const char *label_style;    /**< none, stage, date, full; NULL = as the comparison */
    bool skip_refused;          /**< export the rest when some comparisons are refused */
    ba_export_refused_fn refused; /**< told about each refused comparison, may be NULL */
    void *ud;                   /**< passed to @c refused */
    /** Output size and format (docs/CONSENT.md "Formats and presets"): a
     *  @c preset "square" (1080 x 1080), "portrait" (1080 x 1350) or "story"
     *  (1080 x 1920), or a @c width (and optional @c height) in px; 0 / NULL =
     *  as the comparison was rendered.  A fixed canvas is filled: the layout
     *  (side by side or stacked) whose panels best match the photos' shape,
     *  content scaled to fit and centred.  Not both a preset and a size. */
    const char *preset;
    int width;                  /**< px, 0 = the preset's or the comparison's */
    int height;                 /**< px, 0 = from the width (needs a width) */
    /** "png" (NULL, the default), "jpg" (quality 90) or "webp" (quality 85);
     *  the files' extension follows it. */
    const char *format;
    /** Rules pack: "uk", "au", "us", "none"; NULL = the library's default
     *  (ba_consent_rules_default_get(), none when unset).  See rules.h. */
    const char *rules;
} ba_export_options;

/** Fill @p o with the defaults (nothing selected, no de-identification). */
BA_API void ba_consent_export_options_init(ba_export_options *o);

/**
 * Read the library's export setting @p name into *@p value (g_free it; NULL
 * when unset): "rules", the rules pack a marketing export applies when none
 * is given ("uk", "au", "us" or "none"), or "disclosure", the caption a rules
 * pack adds to an image that has none (docs/CONSENT.md "Rules packs").
 * @return 0, or -1 with BA_ERR_USAGE for another name.
 */
BA_API int ba_consent_setting_get(ba_catalog *cat, const char *name, char **value,
                                  ba_error *err);

/**
 * Set the library's export setting @p name ("rules" or "disclosure", as for
 * ba_consent_setting_get()) to @p value; "" or NULL clears it.  A rules pack
 * must be one of uk, au, us, none; a disclosure UTF-8 of at most 400 bytes
 * that names no prescription-only medicine.  Audited ("settings", old -> new).
 */
BA_API int ba_consent_setting_set(ba_catalog *cat, const char *name, const char *value,
                                  ba_error *err);

/** What an export did. */
typedef struct ba_export_result {
    int64_t export_id;   /**< the export, 0 when nothing was exported */
    int n_items;         /**< images written */
    int n_refused;       /**< comparisons refused (skipped with skip_refused) */
    char date[BA_DATE_MAX]; /**< the export date the policy was checked on */
} ba_export_result;

/**
 * Export comparisons as described in the file comment: check the policy for
 * every client of every photo on today's date in the library's time zone;
 * re-render each allowed comparison from its masters (each hash-checked as it
 * is read) with its recorded layout and parameters (plus the
 * de-identification and caption) into a temporary folder inside the
 * destination, `.ba-export-<pid>-XXXXXX`; refuse regions to hide that lie
 * mostly outside what a comparison shows; then record the export as
 * **pending** with its images, the consents it relied on and the refusals,
 * deciding consent again inside that write transaction (a revocation that
 * committed meanwhile refuses the export); then move the images to
 * `<export-id>-<n>.png` and the manifest to `export.json` (never replacing a
 * file) and sync the folder; then mark the export done with one audit row per
 * client.  A kill at any instant leaves either no record and no final-named
 * file, or a pending record that names every file that may be in place (see
 * ba_consent_exports_unfinished()).
 *
 * Refusals: BA_ERR_REFUSED (the message names the client and the scope) when
 * any comparison is refused and @c skip_refused is false, or when every one
 * is; nothing is written to the destination and one audit row per refused
 * client is appended.  With @c skip_refused the rest is exported and
 * @p out->n_refused says how many were skipped.
 * Other errors: BA_ERR_USAGE (bad options, a de-identification the mode
 * cannot do without --eyes/--face, eye points for comparisons with different
 * reference photos), BA_ERR_NOT_FOUND (unknown comparison, client or area;
 * nothing to export), BA_ERR_EXISTS (the destination already holds an
 * export.json), or a render/file-system error; in every case nothing is left
 * in the destination or recorded (a failed export is audited as "failed").
 */
BA_API int ba_consent_export(ba_catalog *cat, const ba_export_options *o, ba_export_result *out,
                      ba_error *err);

/**
 * Call @p fn for every export still pending whose writing process is gone
 * (killed between recording it and marking it done): its files may be in its
 * destination, so it must be checked and taken down where needed.  With
 * @p repair each is marked interrupted (its record, and so every take-down
 * list, keeps naming its files), an audit row says which of its files were
 * found in place, and the temporary folders dead exports left in its
 * destination are removed; @p fn then sees status "interrupted".  Exports
 * whose writer still runs are not reported.  @p n (may be NULL) receives
 * the count.
 */
BA_API int ba_consent_exports_unfinished(ba_catalog *cat, bool repair, ba_export_fn fn, void *ud,
                                  int *n, ba_error *err);

/** Told about one temporary export folder: its path and whether it was removed. */
typedef void (*ba_stale_fn)(const char *folder, bool removed, void *ud);

/**
 * Find the temporary folders (`DEST/.ba-export-<pid>-…`) of exports whose
 * process is gone, through the notes exports leave in the library's tmp/
 * while they run (a killed export may have left one before recording
 * anything).  Calls @p fn (may be NULL) for each; with @p remove, removes
 * each folder and the note.  Returns how many folders were found.
 */
BA_API int ba_consent_exports_stale_tmp(ba_catalog *cat, bool remove, ba_stale_fn fn, void *ud);

/* ---- signed provenance ---------------------------------------------------- */

/** Bytes of an Ed25519 public key. */
#define BA_EXPORT_KEY_BYTES 32

/** The library's export-signing key, as anyone may see it (docs/CONSENT.md, "Provenance"). */
typedef struct ba_export_key {
    unsigned char public_key[BA_EXPORT_KEY_BYTES]; /**< the raw Ed25519 public key */
    char public_key_base64[48];  /**< the same, standard base64 (44 characters) */
    char fingerprint[65];        /**< lowercase hex SHA-256 of the 32 raw public key bytes */
    bool created;                /**< this call made the key (ba_consent_export_key() only) */
} ba_export_key;

/**
 * The library's own Ed25519 key pair that signs every export's manifest:
 * `LIBRARY/keys/export-ed25519.key` (the libsodium secret key, base64, mode
 * 0600) and `export-ed25519.pub` beside it (the public key, base64, 0600 like
 * every file of a library).  With @p create, a library without one gets one
 * (written in tmp/, then linked into place without ever replacing a file:
 * processes racing to make it all end up with the one that won, and the
 * creation is audited as "export-key"); the first export does this.  Without
 * @p create, a library with no key yet is BA_ERR_NOT_FOUND.  A .pub file that
 * does not match the secret key is BA_ERR_CORRUPT: nothing is signed with a
 * key its public half misdescribes.
 */
BA_API int ba_consent_export_key(ba_catalog *cat, bool create, ba_export_key *out, ba_error *err);

/**
 * The public export key of the library folder @p library_dir, read from its
 * key files without opening its catalog (the secret key decides when it can
 * be read, else the .pub file).  BA_ERR_NOT_FOUND when the library has no
 * key, BA_ERR_CORRUPT when a key file is not one.
 */
BA_API int ba_consent_export_key_read(const char *library_dir, ba_export_key *out,
                                      ba_error *err);

/** What ba_consent_export_verify() found. */
typedef struct ba_export_verify_result {
    int64_t export_id;           /**< the manifest's export id, 0 when it could not be read */
    int n_images;                /**< images listed (each checked when the result is ok) */
    char fingerprint[65];        /**< of the key the manifest names, "" when unknown */
    bool signature_ok;           /**< the signature over export.json verified */
    bool library_key;            /**< ... and with the key the caller required */
} ba_export_verify_result;

/**
 * Check the export folder @p dir, which needs no catalog: `export.json.sig`
 * (the base64 Ed25519 signature, detached) must verify over the exact bytes
 * of `export.json` with the public key the manifest names; when
 * @p public_key (#BA_EXPORT_KEY_BYTES bytes) is not NULL, the manifest must
 * name that key (a library's own, ba_consent_export_key_read()).  Then every
 * image listed must be in @p dir with exactly the listed size and SHA-256,
 * and nothing else may be there (only export.json and its .sig besides).
 * @return 0 when all holds; else -1 with BA_ERR_CORRUPT (or BA_ERR_IO when
 * the folder cannot be read) and one line naming the export and the first
 * failure: "export 7: 7-1.png does not match the manifest (sha256 …)".
 * @p out (may be NULL) says how far the check got.
 */
BA_API int ba_consent_export_verify(const char *dir, const unsigned char *public_key,
                                    ba_export_verify_result *out, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
