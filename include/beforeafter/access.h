/**
 * @file access.h
 * @brief Accounts, sign-in sessions, roles and the access log.
 *
 * The rules of who may see and do what are library code, so that the server
 * and any embedding application enforce the same ones.  ba_access_decide()
 * is pure (no catalog, no clock), like ba_consent_decide(): the caller
 * gathers the facts about the object and the decision is a table lookup
 * that tests can walk exhaustively.
 *
 * Three roles:
 * - **admin**: everything, plus the users and the audit.
 * - **provider**: clients, sessions, photos, uploads, corrections, align,
 *   compare, ghost, consents, clinical and education exports.
 * - **marketing**: only clients with an active marketing consent — their
 *   comparisons, the photos shown in those comparisons, and marketing
 *   exports; no uploads, corrections or consent changes.
 *
 * An action the role may never do is BA_ACCESS_FORBIDDEN (HTTP 403) whatever
 * the object; an object the user may not see is BA_ACCESS_HIDDEN (HTTP 404),
 * so its existence is not revealed.
 */
#ifndef BEFOREAFTER_ACCESS_H
#define BEFOREAFTER_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beforeafter/api.h"
#include "beforeafter/catalog.h"
#include "beforeafter/consent.h"
#include "beforeafter/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A user's role. */
typedef enum ba_role {
    BA_ROLE_ADMIN,     /**< everything, users and the audit */
    BA_ROLE_PROVIDER,  /**< clinical work: capture, correct, compare, consent */
    BA_ROLE_MARKETING, /**< consented comparisons and marketing exports only */
    BA_ROLE_COUNT_     /**< number of roles; not a role */
} ba_role;

/** The role named @p name ("admin", "provider", "marketing"), or -1. */
BA_API int ba_access_role_parse(const char *name);

/** The name of @p role ("?" for a value out of range). */
BA_API const char *ba_access_role_name(ba_role role);

/** What a user asks to do. */
typedef enum ba_access_action {
    BA_ACCESS_CLIENT_LIST,     /**< list clients (marketing sees consented ones only) */
    BA_ACCESS_CLIENT_READ,     /**< a client's record: sessions, photos */
    BA_ACCESS_CLIENT_WRITE,    /**< add or correct a client or session */
    BA_ACCESS_PHOTO_READ,      /**< a photo's facts or pixels */
    BA_ACCESS_PHOTO_UPLOAD,    /**< ingest a new photo */
    BA_ACCESS_PHOTO_CORRECT,   /**< retag, retract, restore a photo */
    BA_ACCESS_ALIGN,           /**< align photos */
    BA_ACCESS_GHOST,           /**< the capture overlay of a photo */
    BA_ACCESS_COMPARE,         /**< render a new comparison */
    BA_ACCESS_COMPARISON_READ, /**< a comparison's facts or image */
    BA_ACCESS_CONSENT_READ,    /**< a client's consents */
    BA_ACCESS_CONSENT_WRITE,   /**< grant or revoke a consent */
    BA_ACCESS_EXPORT,          /**< export comparisons for a purpose */
    BA_ACCESS_EXPORT_READ,     /**< an export's record and files */
    BA_ACCESS_USER_ADMIN,      /**< add, disable, change users */
    BA_ACCESS_AUDIT_READ,      /**< the audit and access logs */
    BA_ACCESS_ACTION_COUNT_    /**< number of actions; not an action */
} ba_access_action;

/** The facts about the object of a request that the decision needs. */
typedef struct ba_access_object {
    /** The object belongs to a client (a client, photo, comparison, consent
     *  or export); false for lists and for actions on no client. */
    bool has_client;
    /** That client has an active marketing consent today. */
    bool client_marketing_consent;
    /** For a photo: it is shown in a comparison of its client (what marketing
     *  may see of a consented client's photos). */
    bool photo_in_comparison;
    /** For BA_ACCESS_EXPORT and BA_ACCESS_EXPORT_READ: the purpose. */
    ba_consent_scope purpose;
} ba_access_object;

/** The answer of ba_access_decide(). */
typedef enum ba_access_verdict {
    BA_ACCESS_ALLOW,     /**< go ahead */
    BA_ACCESS_HIDDEN,    /**< the user may not know the object exists (404) */
    BA_ACCESS_FORBIDDEN  /**< the role may not do this at all (403) */
} ba_access_verdict;

/**
 * May a user of role @p role do @p action on the object described by
 * @p obj (NULL = no object)?  Pure.  A disabled user has no session and is
 * never asked about.  @p reason (may be NULL) receives one line when the
 * answer is not BA_ACCESS_ALLOW.
 */
BA_API ba_access_verdict ba_access_decide(ba_role role, ba_access_action action,
                                          const ba_access_object *obj, char *reason,
                                          size_t reason_size);

/**
 * The facts ba_access_decide() needs about client @p client, read from
 * @p cat: it exists (else BA_ERR_NOT_FOUND) and whether it has a marketing
 * consent active on the library's today.
 */
BA_API int ba_access_client_facts(ba_catalog *cat, const char *client, ba_access_object *out,
                                  ba_error *err);

/**
 * The facts about photo @p photo_id: its client's (as above, the code in
 * @p client, BA_CODE_MAX bytes) and whether a comparison of that client
 * shows it.  BA_ERR_NOT_FOUND for an unknown photo.
 */
BA_API int ba_access_photo_facts(ba_catalog *cat, int64_t photo_id, char *client,
                                 ba_access_object *out, ba_error *err);

/**
 * ba_access_decide() with the verdict as an error: 0 when allowed, -1 with
 * BA_ERR_NOT_FOUND ("@p what was not found") for a hidden object or
 * BA_ERR_FORBIDDEN for a forbidden action.
 */
BA_API int ba_access_require(ba_role role, ba_access_action action, const ba_access_object *obj,
                             const char *what, ba_error *err);

/* ---- users ------------------------------------------------------------- */

/** Shortest password accepted, in characters. */
#define BA_PASSWORD_MIN 12
/** Longest password accepted, in bytes (argon2id hashes any length; a bound
 *  keeps a request from making the server hash megabytes). */
#define BA_PASSWORD_MAX 1024
/** Longest user name, in bytes. */
#define BA_USER_NAME_MAX 64

/** A user as listed (no hash). */
typedef struct ba_user {
    int64_t id;                        /**< user id */
    char name[BA_USER_NAME_MAX + 1];   /**< as added; unique whatever the case */
    ba_role role;                      /**< role */
    char created_at[BA_STAMP_MAX];     /**< UTC time added */
    char disabled_at[BA_STAMP_MAX];    /**< UTC time disabled, "" = active */
    int active_sessions;               /**< sign-in sessions not ended or expired */
} ba_user;

/**
 * Check a user name: 1 to BA_USER_NAME_MAX bytes of letters, digits and
 * ". _ @ -", starting with a letter or digit.
 */
BA_API int ba_access_user_name_check(const char *name, ba_error *err);

/**
 * Check a password: at least BA_PASSWORD_MIN characters of valid UTF-8, at
 * most BA_PASSWORD_MAX bytes, and not the user name.
 */
BA_API int ba_access_password_check(const char *name, const char *password, ba_error *err);

/**
 * Add user @p name with @p role and @p password (stored as an argon2id hash,
 * libsodium's interactive limits).  BA_ERR_EXISTS when the name exists in
 * any case.  Audited ("user-add", no secret in the row).
 */
BA_API int ba_access_user_add(ba_catalog *cat, const char *name, ba_role role,
                              const char *password, ba_error *err);

/** Load user @p name (any case); BA_ERR_NOT_FOUND when absent. */
BA_API int ba_access_user_get(ba_catalog *cat, const char *name, ba_user *out, ba_error *err);

/** Callback for ba_access_user_list(); return non-zero to stop. */
typedef int (*ba_user_fn)(const ba_user *u, void *ud);

/** Call @p fn for every user, by name. */
BA_API int ba_access_user_list(ba_catalog *cat, ba_user_fn fn, void *ud, ba_error *err);

/** Disable user @p name and end their sessions at once.  Audited. */
BA_API int ba_access_user_disable(ba_catalog *cat, const char *name, ba_error *err);

/** Set user @p name's password and end their sessions.  Audited. */
BA_API int ba_access_user_passwd(ba_catalog *cat, const char *name, const char *password,
                                 ba_error *err);

/** Change user @p name's role; their sessions end (a session's powers come
 *  from the role it was opened with).  Audited. */
BA_API int ba_access_user_role(ba_catalog *cat, const char *name, ba_role role, ba_error *err);

/* ---- sign-in sessions -------------------------------------------------- */

/** A session ends this many seconds after its last use. */
#define BA_SESSION_IDLE_S (30 * 60)
/** A session ends this many seconds after it was opened, whatever its use. */
#define BA_SESSION_ABSOLUTE_S (12 * 60 * 60)
/** Failed logins for one name within BA_LOGIN_WINDOW_S that lock it. */
#define BA_LOGIN_MAX_FAILURES 5
/** The window failures are counted in, and how long a locked name waits. */
#define BA_LOGIN_WINDOW_S (15 * 60)
/** Hex length of a session token and of a CSRF token (256 bits each). */
#define BA_TOKEN_HEX 64

/** A signed-in session. */
typedef struct ba_web_session {
    int64_t session_id;                 /**< row id (not a secret) */
    int64_t user_id;                    /**< the user */
    char user[BA_USER_NAME_MAX + 1];    /**< their name */
    ba_role role;                       /**< their role */
    char csrf_token[BA_TOKEN_HEX + 1];  /**< every non-GET request must carry it */
} ba_web_session;

/**
 * Sign in: check @p password for user @p name.  On success a new session is
 * recorded and @p token receives its 256-bit random token in hex (give it
 * to the browser; only its hash is stored) and @p out the session.
 *
 * Refusals are BA_ERR_AUTH with the same message whether the name is unknown,
 * disabled or the password wrong (an unknown name still costs one argon2id
 * verification, so the time says no more than the words).  After
 * BA_LOGIN_MAX_FAILURES failures for a name within BA_LOGIN_WINDOW_S, that
 * name is refused with BA_ERR_THROTTLED — even with the right password —
 * until the window has passed.  @p remote (may be NULL) is kept with the
 * session.  Audited ("login", ok or refused).
 */
BA_API int ba_access_login(ba_catalog *cat, const char *name, const char *password,
                           const char *remote, char token[BA_TOKEN_HEX + 1],
                           ba_web_session *out, ba_error *err);

/**
 * The session of @p token, when it is still open: not logged out, the user
 * not disabled, used within BA_SESSION_IDLE_S and opened within
 * BA_SESSION_ABSOLUTE_S.  Marks it used (at most once a minute, so reads do
 * not each become a write).  BA_ERR_AUTH otherwise.
 */
BA_API int ba_access_session_check(ba_catalog *cat, const char *token, ba_web_session *out,
                                   ba_error *err);

/**
 * ba_access_session_check() that never writes: the same answer, but a
 * session due to be marked used sets @p *touch_due and is not marked, so
 * the caller must check it again with ba_access_session_check() where a
 * write may wait (a server answers from its I/O thread only when this
 * finds nothing to write).
 */
BA_API int ba_access_session_peek(ba_catalog *cat, const char *token, ba_web_session *out,
                                  bool *touch_due, ba_error *err);

/** End the session of @p token (logout).  Ending an ended one is not an error. */
BA_API int ba_access_logout(ba_catalog *cat, const char *token, ba_error *err);

/**
 * Whether @p given equals the session's CSRF token, compared in constant
 * time.  NULL or a wrong length is false.
 */
BA_API bool ba_access_csrf_ok(const ba_web_session *s, const char *given);

/* ---- the access log ---------------------------------------------------- */

/** One read or write of a client's record by a user. Strings as in ba_audit_entry. */
typedef struct ba_access_entry {
    int64_t id;          /**< row id, set when listing */
    const char *at;      /**< UTC time; NULL when appending = now */
    const char *actor;   /**< user name */
    const char *action;  /**< e.g. "photo-read", "photo-image", "comparison-read" */
    const char *object;  /**< e.g. "photo 12", or NULL */
    const char *client;  /**< client code, or NULL */
    const char *remote;  /**< remote address, or NULL */
    const char *result;  /**< "ok", "denied", "not-found" */
} ba_access_entry;

/**
 * Append @p n entries in one transaction (a server batches its reads and
 * flushes them together).  @p n may be 0.
 */
BA_API int ba_access_log_add(ba_catalog *cat, const ba_access_entry *entries, int n,
                             ba_error *err);

/** Callback for ba_access_log_list(); return non-zero to stop. */
typedef int (*ba_access_fn)(const ba_access_entry *e, void *ud);

/** Call @p fn for every access row of user @p actor and client @p client
 *  (either NULL = all), in order. */
BA_API int ba_access_log_list(ba_catalog *cat, const char *actor, const char *client,
                              ba_access_fn fn, void *ud, ba_error *err);

#ifdef __cplusplus
}
#endif
#endif
