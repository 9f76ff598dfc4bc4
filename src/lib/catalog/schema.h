/* Catalog schema: migration i brings user_version i to i+1. Append, never edit. */
#ifndef BA_CATALOG_SCHEMA_H
#define BA_CATALOG_SCHEMA_H

static const char *const ba_schema_migrations[] = {
    /* 0 -> 1: clients, areas, sessions, photos. */
    "CREATE TABLE clients ("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE areas ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT);"
    "INSERT INTO areas(name, description) VALUES"
    "  ('forehead', NULL), ('glabella', 'frown lines'), ('crows-feet', NULL),"
    "  ('cheeks', NULL), ('neck', NULL), ('decolletage', NULL), ('abdomen', NULL),"
    "  ('hips', NULL), ('thighs', NULL), ('bust', NULL), ('scar', NULL), ('hands', NULL),"
    "  ('lips', NULL);"
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  client_id INTEGER NOT NULL REFERENCES clients(id),"
    "  date TEXT NOT NULL,"
    "  treatment TEXT,"
    "  number INTEGER NOT NULL,"
    "  provider TEXT,"
    "  notes TEXT,"
    "  UNIQUE(client_id, date));"
    "CREATE TABLE photos ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id),"
    "  area_id INTEGER NOT NULL REFERENCES areas(id),"
    "  view TEXT NOT NULL CHECK (view IN ('frontal','left-45','right-45','left-90',"
    "                                     'right-90','other')),"
    "  stage TEXT NOT NULL CHECK (stage IN ('before','after','progress')),"
    "  master_sha256 TEXT NOT NULL UNIQUE,"
    "  original_sha256 TEXT NOT NULL UNIQUE,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  original_name TEXT,"
    "  ingested_at TEXT NOT NULL,"
    "  captured_at TEXT,"
    "  captured_offset TEXT,"
    "  camera_make TEXT,"
    "  camera_model TEXT,"
    "  orientation INTEGER,"
    "  focal_length_mm REAL,"
    "  focal_length_35mm REAL,"
    "  exposure_time_s REAL,"
    "  f_number REAL,"
    "  iso INTEGER,"
    "  flash_fired INTEGER,"
    "  white_balance INTEGER);"
    "CREATE INDEX photos_session ON photos(session_id);"
    "CREATE INDEX photos_area ON photos(area_id);",

    /* 1 -> 2: alignments (one per photo and reference; re-running replaces it). */
    "CREATE TABLE alignments ("
    "  id INTEGER PRIMARY KEY,"
    "  photo_id INTEGER NOT NULL REFERENCES photos(id),"
    "  reference_id INTEGER NOT NULL REFERENCES photos(id),"
    "  m00 REAL NOT NULL, m01 REAL NOT NULL, m02 REAL NOT NULL,"
    "  m10 REAL NOT NULL, m11 REAL NOT NULL, m12 REAL NOT NULL,"
    "  scale REAL NOT NULL,"
    "  angle_deg REAL NOT NULL,"
    "  inliers INTEGER NOT NULL,"
    "  score REAL NOT NULL,"
    "  method TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE(photo_id, reference_id));",

    /* 2 -> 3: verify --repair marks photos whose master is gone or damaged. */
    "ALTER TABLE photos ADD COLUMN master_problem TEXT"
    "  CHECK (master_problem IN ('missing','corrupt'));",

    /* 3 -> 4: rendered comparisons and the photos in them. */
    "CREATE TABLE comparisons ("
    "  id INTEGER PRIMARY KEY,"
    "  layout TEXT NOT NULL CHECK (layout IN ('side-by-side','stacked','timeline')),"
    "  parameters TEXT NOT NULL,"
    "  render TEXT NOT NULL,"
    "  output TEXT,"
    "  sha256 TEXT NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  aligned INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE comparison_photos ("
    "  comparison_id INTEGER NOT NULL REFERENCES comparisons(id),"
    "  position INTEGER NOT NULL,"
    "  photo_id INTEGER NOT NULL REFERENCES photos(id),"
    "  PRIMARY KEY (comparison_id, position));"
    "CREATE INDEX comparison_photos_photo ON comparison_photos(photo_id);",

    /* 4 -> 5: consents, exports and the append-only audit log.  Consents are
     * never deleted and only ever change by being revoked, once; exports and
     * the audit log are never changed at all (triggers enforce it). */
    "CREATE TABLE consents ("
    "  id INTEGER PRIMARY KEY,"
    "  client_id INTEGER NOT NULL REFERENCES clients(id),"
    "  scope TEXT NOT NULL CHECK (scope IN ('clinical','education','marketing')),"
    "  granted_at TEXT NOT NULL,"
    "  expires_at TEXT CHECK (expires_at IS NULL OR expires_at >= granted_at),"
    "  revoked_at TEXT,"
    "  evidence_sha256 TEXT,"
    "  evidence_original_sha256 TEXT,"
    "  evidence_path TEXT,"
    "  allowed_deidentification TEXT,"
    "  note TEXT,"
    "  recorded_at TEXT NOT NULL);"
    "CREATE INDEX consents_client ON consents(client_id, scope);"
    "CREATE TRIGGER consents_keep BEFORE DELETE ON consents"
    "  BEGIN SELECT RAISE(ABORT, 'consents are kept: revoke instead'); END;"
    "CREATE TRIGGER consents_fixed BEFORE UPDATE OF id, client_id, scope, granted_at,"
    "  expires_at, evidence_sha256, evidence_original_sha256, evidence_path,"
    "  allowed_deidentification, note, recorded_at ON consents"
    "  BEGIN SELECT RAISE(ABORT, 'a consent can only be revoked'); END;"
    "CREATE TRIGGER consents_revoke_once BEFORE UPDATE OF revoked_at ON consents"
    "  WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL"
    "  BEGIN SELECT RAISE(ABORT, 'a consent can only be revoked, once'); END;"
    "CREATE TABLE exports ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  purpose TEXT NOT NULL CHECK (purpose IN ('clinical','education','marketing')),"
    "  created_at TEXT NOT NULL,"
    "  destination TEXT NOT NULL,"
    "  deidentification TEXT NOT NULL,"
    "  caption TEXT,"
    "  item_count INTEGER NOT NULL,"
    "  tool_version TEXT NOT NULL);"
    "CREATE TABLE export_consents ("
    "  export_id INTEGER NOT NULL REFERENCES exports(id),"
    "  consent_id INTEGER NOT NULL REFERENCES consents(id),"
    "  PRIMARY KEY (export_id, consent_id));"
    "CREATE INDEX export_consents_consent ON export_consents(consent_id);"
    "CREATE TABLE export_items ("
    "  export_id INTEGER NOT NULL REFERENCES exports(id),"
    "  n INTEGER NOT NULL,"
    "  comparison_id INTEGER NOT NULL REFERENCES comparisons(id),"
    "  file TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  PRIMARY KEY (export_id, n));"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  client TEXT,"
    "  objects TEXT,"
    "  purpose TEXT,"
    "  result TEXT NOT NULL,"
    "  detail TEXT);"
    "CREATE INDEX audit_log_client ON audit_log(client);"
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
    "CREATE TRIGGER exports_no_update BEFORE UPDATE ON exports"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    "CREATE TRIGGER exports_no_delete BEFORE DELETE ON exports"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    "CREATE TRIGGER export_items_no_update BEFORE UPDATE ON export_items"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    "CREATE TRIGGER export_items_no_delete BEFORE DELETE ON export_items"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    "CREATE TRIGGER export_consents_no_update BEFORE UPDATE ON export_consents"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    "CREATE TRIGGER export_consents_no_delete BEFORE DELETE ON export_consents"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    /* INSERT OR REPLACE deletes the old row without firing DELETE triggers. */
    "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log"
    "  WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)"
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
    "CREATE TRIGGER consents_no_replace BEFORE INSERT ON consents"
    "  WHEN EXISTS (SELECT 1 FROM consents WHERE id = NEW.id)"
    "  BEGIN SELECT RAISE(ABORT, 'consents are kept: revoke instead'); END;"
    "CREATE TRIGGER exports_no_replace BEFORE INSERT ON exports"
    "  WHEN EXISTS (SELECT 1 FROM exports WHERE id = NEW.id)"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    "CREATE TRIGGER export_items_no_replace BEFORE INSERT ON export_items"
    "  WHEN EXISTS (SELECT 1 FROM export_items WHERE export_id = NEW.export_id AND n = NEW.n)"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    "CREATE TRIGGER export_consents_no_replace BEFORE INSERT ON export_consents"
    "  WHEN EXISTS (SELECT 1 FROM export_consents WHERE export_id = NEW.export_id"
    "   AND consent_id = NEW.consent_id)"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;",

    /* 5 -> 6: data safety.
     * - settings: library-wide settings, e.g. the time zone that "today" is
     *   computed in (never the environment's).
     * - audit_log.chain: SHA-256 over the previous row's chain and this row,
     *   so that a deleted or edited row shows in verify (triggers stop
     *   mistakes, not someone with the file).  Filled for old rows by the
     *   catalog right after this migration.
     * - exports are recorded first as 'pending' (with their items and the
     *   pid of the writer), the files are placed, then the row is marked
     *   'done' (or 'failed' when the writer removed what it had placed); an
     *   export whose writer died is marked 'interrupted' by verify --repair
     *   and keeps listing its files for take-down.  The status is the only
     *   thing that may change, and only out of 'pending', once. */
    "CREATE TABLE settings ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "ALTER TABLE audit_log ADD COLUMN chain TEXT;"
    "ALTER TABLE exports ADD COLUMN status TEXT NOT NULL DEFAULT 'done'"
    "  CHECK (status IN ('pending','done','failed','interrupted'));"
    "ALTER TABLE exports ADD COLUMN writer_pid INTEGER;"
    "ALTER TABLE exports ADD COLUMN finished_at TEXT;"
    "DROP TRIGGER exports_no_update;"
    "CREATE TRIGGER exports_no_update BEFORE UPDATE OF id, purpose, created_at, destination,"
    "  deidentification, caption, item_count, tool_version, writer_pid ON exports"
    "  BEGIN SELECT RAISE(ABORT, 'exports are append-only'); END;"
    "CREATE TRIGGER exports_status_once BEFORE UPDATE OF status, finished_at ON exports"
    "  WHEN OLD.status <> 'pending' OR NEW.status NOT IN ('done','failed','interrupted')"
    "  BEGIN SELECT RAISE(ABORT, 'an export only leaves pending, once'); END;"
    "CREATE INDEX exports_status ON exports(status);",
    /* 6 -> 7: records that can be corrected (issue 12).
     * - photo_areas: every area a photo shows (a full-face shot covers
     *   forehead, cheeks and crow's feet); photos.area_id stays the first
     *   (primary) area and is always one of them.  Filled for old photos here.
     * - photos.retracted_at/retract_reason: a retracted photo leaves lists,
     *   comparisons and exports but is kept (clinical records are retained).
     * - alignments.stale, comparisons.stale: why a stored result no longer
     *   matches the facts it was made from (NULL = current); set when a photo
     *   it used is corrected or retracted, never silently kept as current.
     * - comparisons.identity: hex SHA-256 of the photos and the canonical
     *   render parameters, so that rendering the same again finds the first.
     * - clients.birth_date: optional, for the under-18 marketing rule.
     * - audit_log.actor: who did it (the operating-system user for the CLI,
     *   the account for the server); rows with an actor are chained with it.
     * - client codes are unique whatever their case: triggers, not a UNIQUE
     *   index, so that a library that already holds "c-0001" beside "C-0001"
     *   still opens (and the two can be merged). */
    "CREATE TABLE photo_areas ("
    "  photo_id INTEGER NOT NULL REFERENCES photos(id),"
    "  area_id INTEGER NOT NULL REFERENCES areas(id),"
    "  PRIMARY KEY (photo_id, area_id));"
    "CREATE INDEX photo_areas_area ON photo_areas(area_id);"
    "INSERT INTO photo_areas(photo_id, area_id) SELECT id, area_id FROM photos;"
    "ALTER TABLE photos ADD COLUMN retracted_at TEXT;"
    "ALTER TABLE photos ADD COLUMN retract_reason TEXT;"
    "ALTER TABLE alignments ADD COLUMN stale TEXT;"
    "ALTER TABLE comparisons ADD COLUMN stale TEXT;"
    "ALTER TABLE comparisons ADD COLUMN identity TEXT;"
    "CREATE INDEX comparisons_identity ON comparisons(identity);"
    "ALTER TABLE clients ADD COLUMN birth_date TEXT;"
    "ALTER TABLE audit_log ADD COLUMN actor TEXT;"
    "CREATE TRIGGER clients_code_nocase_insert BEFORE INSERT ON clients"
    "  WHEN EXISTS (SELECT 1 FROM clients WHERE code = NEW.code COLLATE NOCASE)"
    "  BEGIN SELECT RAISE(ABORT, 'client code exists in another case'); END;"
    "CREATE TRIGGER clients_code_nocase_update BEFORE UPDATE OF code ON clients"
    "  WHEN EXISTS (SELECT 1 FROM clients WHERE code = NEW.code COLLATE NOCASE"
    "               AND id <> NEW.id)"
    "  BEGIN SELECT RAISE(ABORT, 'client code exists in another case'); END;",
    /* 7 -> 8: accounts for the server (issue 14).
     * - users: name unique whatever its case, role, argon2id hash
     *   (libsodium's crypto_pwhash_str string), disabled_at.
     * - web_sessions: a login; only the BLAKE2b hash of its 256-bit token is
     *   kept (a copied catalog gives no session away), with the CSRF token,
     *   unix times for the idle and absolute expiry, ended_at on logout,
     *   disable or password change.
     * - login_failures: failed logins per lower-cased name, for throttling.
     * - access_log: every read (and write) of a client's record by a user
     *   through the server; append-only.  Not hash-chained: it is written at
     *   the rate of reads, batched, and what it proves is who looked, not what
     *   the record holds (the audit log does that). */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  role TEXT NOT NULL CHECK (role IN ('admin','provider','marketing')),"
    "  password_hash TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  disabled_at TEXT);"
    "CREATE TABLE web_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  csrf_token TEXT NOT NULL,"
    "  created_unix INTEGER NOT NULL,"
    "  last_seen_unix INTEGER NOT NULL,"
    "  remote TEXT,"
    "  ended_at TEXT);"
    "CREATE INDEX web_sessions_user ON web_sessions(user_id);"
    "CREATE TABLE login_failures ("
    "  name_key TEXT NOT NULL,"
    "  at_unix INTEGER NOT NULL);"
    "CREATE INDEX login_failures_name ON login_failures(name_key, at_unix);"
    "CREATE TABLE access_log ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object TEXT,"
    "  client TEXT,"
    "  remote TEXT,"
    "  result TEXT NOT NULL);"
    "CREATE INDEX access_log_client ON access_log(client);"
    "CREATE INDEX access_log_actor ON access_log(actor);"
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log"
    "  BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;",
    /* 8 -> 9: client merges and deleted comparisons (issue 12).
     * - client_merges: one row per ba_catalog_client_merge() (from_id is the
     *   client that was removed).  A consent's client may change only to the
     *   client its own client was merged into, in that merge: a consent is
     *   the person's signed record and stays theirs when the clinic finds it
     *   filed them twice; everything else about a consent stays fixed.  No
     *   foreign keys: the row outlives both clients' erasure.
     * - comparisons.deleted_at: a deleted comparison keeps its row (exports
     *   that included it name it by id) but leaves lists and lookups. */
    "CREATE TABLE client_merges ("
    "  id INTEGER PRIMARY KEY,"
    "  from_id INTEGER NOT NULL,"
    "  to_id INTEGER NOT NULL,"
    "  merged_at TEXT NOT NULL);"
    "ALTER TABLE comparisons ADD COLUMN deleted_at TEXT;"
    "DROP TRIGGER consents_fixed;"
    "CREATE TRIGGER consents_fixed BEFORE UPDATE OF id, scope, granted_at,"
    "  expires_at, evidence_sha256, evidence_original_sha256, evidence_path,"
    "  allowed_deidentification, note, recorded_at ON consents"
    "  BEGIN SELECT RAISE(ABORT, 'a consent can only be revoked'); END;"
    "CREATE TRIGGER consents_client_merge BEFORE UPDATE OF client_id ON consents"
    "  WHEN NOT EXISTS (SELECT 1 FROM client_merges WHERE from_id = OLD.client_id"
    "                   AND to_id = NEW.client_id)"
    "  BEGIN SELECT RAISE(ABORT, 'a consent changes client only in a merge'); END;",
    /* 9 -> 10: client codes are looked up whatever their case (code = ?
     * COLLATE NOCASE) on every request a server answers, and the UNIQUE
     * index is BINARY, so each lookup scanned every client.  This index
     * makes it one seek; the two case triggers use it too. */
    "CREATE INDEX clients_code_nocase ON clients(code COLLATE NOCASE);",
};



#define BA_SCHEMA_MIGRATION_COUNT \
    (sizeof ba_schema_migrations / sizeof ba_schema_migrations[0])

#endif
