/* Internal: the catalog's side of the record's life (record/ calls these):
 * a client's whole record as JSON, erasure, the online backup of the
 * catalog, the files a catalog references, the library's retention setting.
 * Only catalog/ speaks SQL; the files these name are moved by record/. */
#ifndef BA_CATALOG_RECORD_H
#define BA_CATALOG_RECORD_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "beforeafter/catalog.h"
#include "beforeafter/error.h"

/* A file of the library a set of rows references. */
typedef struct ba_db_file {
    char *rel;    /* relative to the library: masters/ab/<sha>.jpg, renders/..., consents/... */
    char *sha256; /* what its bytes must hash to */
    char *as;     /* its name in a client export: masters/<sha>.jpg, comparisons/..., consents/... */
} ba_db_file;

/* A GPtrArray of ba_db_file that frees them. */
GPtrArray *ba_db_files_new(void);

/* Write client @code's whole record into @b (an object is open: members are
 * added to it) and the files it references to @files, all from one read
 * snapshot: the client, its sessions, photos (with areas), alignments,
 * comparisons, consents, the exports that used any of them, and its audit
 * and access rows.  *@client_id gets its id and @canon (BA_CODE_MAX) the
 * code as stored. */
int ba_db_client_record(ba_catalog *cat, const char *code, JsonBuilder *b, GPtrArray *files,
                        int64_t *client_id, char *canon, ba_error *err);

/* What ba_db_client_erase() removed. */
typedef struct ba_db_erased {
    int64_t client_id;
    int64_t tombstone_id;
    int sessions, photos, alignments, comparisons, consents, exports, export_items;
    int audit_redacted, access_redacted;
    int exports_listed; /* earlier exports that showed the client (to take down) */
} ba_db_erased;

/* Erase client @code in one write transaction (see record.h for the whole
 * rule): the rows go, the append-only triggers are lifted for it and put
 * back as they were, the client's audit rows are redacted and the chain is
 * recomputed, and a tombstone row is appended.  @files gets the files no
 * remaining row references (record/ removes them after the commit).
 * @override_reason (may be NULL) allows erasure inside the retention period. */
int ba_db_client_erase(ba_catalog *cat, const char *code, const char *override_reason,
                       GPtrArray *files, ba_db_erased *out, ba_error *err);

/* With secure_delete: checkpoint the WAL into catalog.db, VACUUM (so no
 * free page keeps old bytes) and truncate the WAL to nothing.  BA_ERR_BUSY
 * when another process kept an old snapshot open throughout. */
int ba_db_compact(ba_catalog *cat, ba_error *err);

/* A consistent copy of the catalog at @dest_db (created 0600; must not
 * exist) through SQLite's online backup API, in one read snapshot, so
 * writers go on meanwhile; left in WAL mode, so opening it changes no byte.
 * @files (may be NULL) gets the files the copy references
 * (ba_db_referenced_files() on the copy), *@photos its photo rows. */
int ba_db_backup_to(ba_catalog *cat, const char *dest_db, GPtrArray *files, int64_t *photos,
                    ba_error *err);

/* Every file the catalog's rows reference (masters, render copies, consent
 * evidence), each once, from one read snapshot; *@photos gets the number of
 * photo rows. */
int ba_db_referenced_files(ba_catalog *cat, GPtrArray *files, int64_t *photos, ba_error *err);

/* The library's retention period in whole years (settings.retention_years;
 * 0 when unset) and setting it (audited as "settings"). */
int ba_db_retention_get(ba_catalog *cat, int *years, ba_error *err);
int ba_db_retention_set(ba_catalog *cat, int years, ba_error *err);

/* Append "client-export" for @code inside its own transaction. */
int ba_db_audit_client_export(ba_catalog *cat, const char *code, int64_t client_id,
                              const char *dir, int files, ba_error *err);

/* settings (catalog/open.c): the value of @key (g_free it) or NULL; set it. */
char *ba_db_setting_get(ba_catalog *cat, const char *key, int *rc_out, ba_error *err);
int ba_db_setting_put(ba_catalog *cat, const char *key, const char *value, ba_error *err);

#endif
