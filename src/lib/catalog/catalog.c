/* The library folder and its SQLite catalog: the only code that speaks SQL. */
#include "beforeafter/catalog.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/schema.h"
#include "common/sha256.h"

/* 'BAFT' identifies a beforeafter catalog in the SQLite header. */
#define BA_APPLICATION_ID 0x42414654
/* How long a writer waits for another process's transaction. */
#define BA_BUSY_TIMEOUT_MS 60000

struct ba_catalog {
    sqlite3 *db;
    char *dir;
    GTimeZone *tz; /* the library's time zone (settings.timezone), never the caller's */
};

/* ---- small helpers ------------------------------------------------------ */

/* SQLite reports some writes that fail for lack of space (growing the -shm
 * index, creating the WAL) as SQLITE_IOERR, "disk I/O error"; the errno
 * behind it tells a full disk from a failing one. */
static bool out_of_space(sqlite3 *db, int rc)
{
    int e = db ? sqlite3_system_errno(db) : 0;
    return (rc & 0xff) == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT);
}

/* SQLite's words for @rc, except when the disk is simply full. */
static const char *sqlite_cause(sqlite3 *db, int rc, const char *msg)
{
    return out_of_space(db, rc) ? "disk full (No space left on device)" : msg;
}

static ba_code sqlite_code(sqlite3 *db, int rc)
{
    if (out_of_space(db, rc))
        return BA_ERR_NOSPACE;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return BA_ERR_BUSY;
    case SQLITE_FULL:
        return BA_ERR_NOSPACE;
    case SQLITE_NOMEM:
        return BA_ERR_NOMEM;
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return BA_ERR_CATALOG;
    default:
        return BA_ERR_INTERNAL;
    }
}

static int db_fail(ba_catalog *cat, ba_error *err, const char *what)
{
    int rc = sqlite3_extended_errcode(cat->db);
    ba_error_set(err, sqlite_code(cat->db, rc), "%s/catalog.db: %s: %s", cat->dir, what,
                 sqlite_cause(cat->db, rc, sqlite3_errmsg(cat->db)));
    return -1;
}

static int exec(ba_catalog *cat, const char *sql, ba_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(cat->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        ba_error_set(err, sqlite_code(cat->db, rc), "%s/catalog.db: %s", cat->dir,
                     sqlite_cause(cat->db, rc, msg ? msg : sqlite3_errstr(rc)));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prepare(ba_catalog *cat, const char *sql, ba_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(cat, err, "prepare");
        return NULL;
    }
    return st;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
    if (v > 0)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void bind_int_or_null(sqlite3_stmt *st, int i, int v, int unknown)
{
    if (v != unknown)
        sqlite3_bind_int(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t size)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    g_strlcpy(out, s ? (const char *)s : "", size);
}

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_double(st, i);
}

static int col_int(sqlite3_stmt *st, int i, int unknown)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? unknown : sqlite3_column_int(st, i);
}

static void utc_now(char *out, size_t size)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *s = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_strlcpy(out, s, size);
    g_free(s);
    g_date_time_unref(now);
}

void ba_capture_init(ba_capture *c)
{
    memset(c, 0, sizeof *c);
    c->flash_fired = -1;
    c->white_balance = -1;
}

void ba_catalog_master_relpath(const char *sha256, char *out, size_t out_size)
{
    snprintf(out, out_size, "masters/%.2s/%s.jpg", sha256, sha256);
}

const char *ba_catalog_dir(const ba_catalog *cat)
{
    return cat->dir;
}

/* ---- validation --------------------------------------------------------- */

int ba_date_check(const char *date, ba_error *err)
{
    unsigned y, m, d;
    char tail;
    if (!date || strlen(date) != 10 || date[4] != '-' || date[7] != '-' ||
        sscanf(date, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 ||
        !g_ascii_isdigit(date[0]) || !g_ascii_isdigit(date[5]) || !g_ascii_isdigit(date[8]) ||
        y < 1900 || y > 9999 || !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y)) {
        ba_error_set(err, BA_ERR_USAGE, "date '%s' is not a calendar date written YYYY-MM-DD",
                     date ? date : "");
        return -1;
    }
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !g_ascii_isdigit(date[i])) {
            ba_error_set(err, BA_ERR_USAGE,
                         "date '%s' is not a calendar date written YYYY-MM-DD", date);
            return -1;
        }
    return 0;
}

static bool code_valid(const char *s, bool lower_only)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= BA_CODE_MAX)
        return false;
    if (!g_ascii_isalnum(s[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (lower_only) {
            if (!(g_ascii_islower(c) || g_ascii_isdigit(c) || c == '-'))
                return false;
        } else if (!(g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

static const char *const VIEWS[] = {"frontal", "left-45", "right-45", "left-90",
                                    "right-90", "other", NULL};
static const char *const STAGES[] = {"before", "after", "progress", NULL};

bool ba_view_valid(const char *view)
{
    return view && g_strv_contains(VIEWS, view);
}

bool ba_stage_valid(const char *stage)
{
    return stage && g_strv_contains(STAGES, stage);
}

/* ---- open, create, migrate ---------------------------------------------- */

static int configure(ba_catalog *cat, ba_error *err)
{
    sqlite3_busy_timeout(cat->db, BA_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(cat->db, 1);
    return exec(cat,
                "PRAGMA foreign_keys=ON;"
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;",
                err);
}

static int pragma_int(ba_catalog *cat, const char *sql, int *out, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, sql, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_fail(cat, err, "reading the catalog header");
    }
    *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* The zone this process runs in, by name ("Europe/London"), or "UTC". */
static char *environment_zone(void)
{
    GTimeZone *local = g_time_zone_new_local();
    const char *id = g_time_zone_get_identifier(local);
    /* GLib names an unknown zone after the file it read; keep only real names. */
    GTimeZone *check = id && *id != '/' ? g_time_zone_new_identifier(id) : NULL;
    char *name = g_strdup(check ? id : "UTC");
    if (check)
        g_time_zone_unref(check);
    g_time_zone_unref(local);
    return name;
}

static int setting_put(ba_catalog *cat, const char *key, const char *value, ba_error *err)
{
    sqlite3_stmt *st =
        prepare(cat, "INSERT OR REPLACE INTO settings(key, value) VALUES(?, ?)", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "writing a setting");
}

/* The value of setting @key (g_free it), or NULL when unset. */
static char *setting_get(ba_catalog *cat, const char *key, ba_error *err, int *rc_out)
{
    *rc_out = 0;
    sqlite3_stmt *st = prepare(cat, "SELECT value FROM settings WHERE key = ?", err);
    if (!st) {
        *rc_out = -1;
        return NULL;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    char *v = rc == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        *rc_out = db_fail(cat, err, "reading a setting");
    return v;
}

/* The audit log's hash chain (at the end of this file): the values of a row
 * that it covers besides the id, and the chaining of rows older than schema 6. */
enum { AUDIT_VALUES = 7 };
static int audit_backfill(ba_catalog *cat, ba_error *err);

/* What a migration from @from cannot say in SQL: settings that take the
 * environment at the moment the library is made or upgraded, and hashes
 * that SQL cannot compute. */
static int after_migration(ba_catalog *cat, int from, ba_error *err)
{
    if (from < 6) {
        /* The zone at init (or at this upgrade) becomes the library's own. */
        char *zone = environment_zone();
        int rc = setting_put(cat, "timezone", zone, err);
        g_free(zone);
        if (rc)
            return -1;
        /* Rows written before the chain existed are chained now, so that
         * from here on any change to them shows in verify. */
        if (audit_backfill(cat, err))
            return -1;
    }
    return 0;
}

static int load_settings(ba_catalog *cat, ba_error *err)
{
    int rc = 0;
    char *zone = setting_get(cat, "timezone", err, &rc);
    if (rc)
        return -1;
    GTimeZone *tz = zone ? g_time_zone_new_identifier(zone) : NULL;
    if (!tz) {
        ba_error_set(err, BA_ERR_CATALOG, "%s/catalog.db: the library's time zone '%s' is not "
                     "known on this system", cat->dir, zone ? zone : "");
        g_free(zone);
        return -1;
    }
    g_free(zone);
    if (cat->tz)
        g_time_zone_unref(cat->tz);
    cat->tz = tz;
    return 0;
}

/* Bring the schema to BA_CATALOG_SCHEMA_VERSION inside one write transaction. */
static int migrate(ba_catalog *cat, bool fresh, ba_error *err)
{
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    int version = 0, appid = 0;
    if (pragma_int(cat, "PRAGMA user_version", &version, err) ||
        pragma_int(cat, "PRAGMA application_id", &appid, err))
        goto fail;
    if (!fresh && appid != BA_APPLICATION_ID) {
        ba_error_set(err, BA_ERR_CATALOG, "%s/catalog.db: not a beforeafter catalog", cat->dir);
        goto fail;
    }
    if (version > BA_CATALOG_SCHEMA_VERSION) {
        ba_error_set(err, BA_ERR_CATALOG,
                     "%s/catalog.db: schema version %d is newer than this beforeafter "
                     "(%d); upgrade beforeafter",
                     cat->dir, version, BA_CATALOG_SCHEMA_VERSION);
        goto fail;
    }
    for (int v = version; v < BA_CATALOG_SCHEMA_VERSION; v++)
        if (exec(cat, ba_schema_migrations[v], err))
            goto fail;
    if (version < BA_CATALOG_SCHEMA_VERSION && after_migration(cat, version, err))
        goto fail;
    if (version < BA_CATALOG_SCHEMA_VERSION) {
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d; PRAGMA application_id=%d;",
                 BA_CATALOG_SCHEMA_VERSION, BA_APPLICATION_ID);
        if (exec(cat, sql, err))
            goto fail;
    }
    if (exec(cat, "COMMIT", err))
        goto fail;
    return 0;
fail:
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static ba_catalog *open_db(const char *dir, bool create, ba_error *err)
{
    ba_catalog *cat = g_new0(ba_catalog, 1);
    cat->dir = g_strdup(dir);
    char *path = g_build_filename(dir, "catalog.db", NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &cat->db, flags, NULL);
    g_free(path);
    if (rc != SQLITE_OK) {
        ba_error_set(err, BA_ERR_CATALOG, "%s/catalog.db: cannot open: %s", dir,
                     cat->db ? sqlite3_errmsg(cat->db) : sqlite3_errstr(rc));
        ba_catalog_close(cat);
        return NULL;
    }
    if (configure(cat, err) || migrate(cat, create, err) || load_settings(cat, err)) {
        if (err && err->code == BA_ERR_INTERNAL)
            err->code = BA_ERR_CATALOG;
        /* SQLite only says "unable to open database file": say why. */
        if (access(dir, W_OK) != 0 && (errno == EROFS || errno == EACCES || errno == EPERM))
            ba_error_set(err, BA_ERR_CATALOG, "%s: the library cannot be written (%s)", dir,
                         errno == EROFS ? "read-only file system" : g_strerror(errno));
        ba_catalog_close(cat);
        return NULL;
    }
    return cat;
}

static int make_dirs(const char *dir, ba_error *err)
{
    static const char *const subdirs[] = {"masters", "tmp", NULL};
    for (int i = 0; subdirs[i]; i++) {
        char *p = g_build_filename(dir, subdirs[i], NULL);
        int rc = g_mkdir_with_parents(p, 0755);
        int e = errno;
        g_free(p);
        if (rc != 0) {
            ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_CATALOG,
                         "%s/%s: cannot create: %s", dir, subdirs[i], g_strerror(e));
            return -1;
        }
    }
    return 0;
}

ba_catalog *ba_catalog_create(const char *dir, ba_error *err)
{
    if (!dir || !*dir) {
        ba_error_set(err, BA_ERR_USAGE, "no library folder given");
        return NULL;
    }
    char *db = g_build_filename(dir, "catalog.db", NULL);
    bool have_db = g_file_test(db, G_FILE_TEST_EXISTS);
    g_free(db);
    if (have_db) {
        ba_error clear;
        ba_catalog *probe = ba_catalog_open(dir, &clear);
        if (probe) {
            ba_catalog_close(probe);
            ba_error_set(err, BA_ERR_EXISTS, "%s: already a beforeafter library", dir);
        } else {
            ba_error_set(err, BA_ERR_CATALOG, "%s: holds a catalog.db that is not usable (%s); "
                         "refusing to overwrite it", dir, clear.message);
        }
        return NULL;
    }
    if (g_file_test(dir, G_FILE_TEST_EXISTS)) {
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            ba_error_set(err, BA_ERR_CATALOG, "%s: exists and is not a folder", dir);
            return NULL;
        }
        GDir *d = g_dir_open(dir, 0, NULL);
        const char *first = d ? g_dir_read_name(d) : NULL;
        bool empty = d && !first;
        if (d)
            g_dir_close(d);
        if (!empty) {
            ba_error_set(err, BA_ERR_CATALOG,
                         "%s: folder is not empty and not a beforeafter library; "
                         "refusing to create one there", dir);
            return NULL;
        }
    }
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_CATALOG,
                     "%s: cannot create folder: %s", dir, g_strerror(e));
        return NULL;
    }
    if (make_dirs(dir, err))
        return NULL;
    return open_db(dir, true, err);
}

/* @dir names a folder holding a catalog.db, or BA_ERR_USAGE/BA_ERR_CATALOG. */
static int require_catalog(const char *dir, ba_error *err)
{
    if (!dir || !*dir) {
        ba_error_set(err, BA_ERR_USAGE, "no library folder given");
        return -1;
    }
    char *db = g_build_filename(dir, "catalog.db", NULL);
    bool have_db = g_file_test(db, G_FILE_TEST_IS_REGULAR);
    g_free(db);
    if (!have_db) {
        ba_error_set(err, BA_ERR_CATALOG,
                     "%s: not a beforeafter library (no catalog.db); run 'beforeafter "
                     "--library %s init' first",
                     dir, dir);
        return -1;
    }
    return 0;
}

ba_catalog *ba_catalog_open(const char *dir, ba_error *err)
{
    if (require_catalog(dir, err))
        return NULL;
    ba_catalog *cat = open_db(dir, false, err);
    if (cat && make_dirs(dir, err)) {
        ba_catalog_close(cat);
        return NULL;
    }
    return cat;
}

/* ---- read-only open ------------------------------------------------------ */

/* "file:" URI of @path for sqlite3_open_v2(SQLITE_OPEN_URI): every byte but
 * the unreserved ones percent-encoded, so '?', '#' and '%' in a folder name
 * stay part of the path. */
static char *file_uri(const char *path)
{
    char *abs = g_canonicalize_filename(path, NULL);
    GString *u = g_string_new("file:");
    for (const unsigned char *p = (const unsigned char *)abs; *p; p++)
        if (g_ascii_isalnum(*p) || strchr("/-._~", *p))
            g_string_append_c(u, (char)*p);
        else
            g_string_append_printf(u, "%%%02X", *p);
    g_free(abs);
    return g_string_free(u, FALSE);
}

/* A read-only handle cannot migrate: the schema must be this build's. */
static int check_schema_readonly(ba_catalog *cat, ba_error *err)
{
    int version = 0, appid = 0;
    if (pragma_int(cat, "PRAGMA application_id", &appid, err) ||
        pragma_int(cat, "PRAGMA user_version", &version, err))
        return -1;
    if (appid != BA_APPLICATION_ID) {
        ba_error_set(err, BA_ERR_CATALOG, "%s/catalog.db: not a beforeafter catalog", cat->dir);
        return -1;
    }
    if (version != BA_CATALOG_SCHEMA_VERSION) {
        ba_error_set(err, BA_ERR_CATALOG,
                     "%s/catalog.db: schema version %d, this beforeafter reads %d; %s", cat->dir,
                     version, BA_CATALOG_SCHEMA_VERSION,
                     version > BA_CATALOG_SCHEMA_VERSION
                         ? "upgrade beforeafter"
                         : "run a command that writes once, on a writable library, to upgrade it");
        return -1;
    }
    return 0;
}

/* Open catalog.db with SQLITE_OPEN_READONLY; with @immutable as a file that
 * cannot change (no locks, no WAL index), which is what a read-only folder
 * without catalog.db-shm needs. */
static ba_catalog *open_db_readonly(const char *dir, bool immutable, ba_error *err)
{
    ba_catalog *cat = g_new0(ba_catalog, 1);
    cat->dir = g_strdup(dir);
    char *path = g_build_filename(dir, "catalog.db", NULL);
    char *uri = file_uri(path);
    char *name = g_strconcat(uri, immutable ? "?immutable=1" : "", NULL);
    int rc = sqlite3_open_v2(name, &cat->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
    g_free(name);
    g_free(uri);
    g_free(path);
    if (rc != SQLITE_OK) {
        ba_error_set(err, BA_ERR_CATALOG, "%s/catalog.db: cannot open: %s", dir,
                     cat->db ? sqlite3_errmsg(cat->db) : sqlite3_errstr(rc));
        ba_catalog_close(cat);
        return NULL;
    }
    sqlite3_busy_timeout(cat->db, BA_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(cat->db, 1);
    if (check_schema_readonly(cat, err) || load_settings(cat, err)) {
        if (err && err->code == BA_ERR_INTERNAL)
            err->code = BA_ERR_CATALOG;
        ba_catalog_close(cat);
        return NULL;
    }
    return cat;
}

/* Does catalog.db-wal hold transactions not yet copied into catalog.db? */
static bool wal_pending(const char *dir)
{
    char *wal = g_build_filename(dir, "catalog.db-wal", NULL);
    GStatBuf st;
    bool pending = g_stat(wal, &st) == 0 && st.st_size > 0;
    g_free(wal);
    return pending;
}

ba_catalog *ba_catalog_open_readonly(const char *dir, ba_error *err)
{
    if (require_catalog(dir, err))
        return NULL;
    ba_error first;
    ba_catalog *cat = open_db_readonly(dir, false, &first);
    if (cat || access(dir, W_OK) == 0) {
        if (!cat && err)
            *err = first;
        return cat;
    }
    /* A read-only folder without catalog.db-shm: SQLite cannot build the WAL
     * index, but with no WAL content the file alone is the whole catalog. */
    if (wal_pending(dir)) {
        ba_error_set(err, BA_ERR_CATALOG,
                     "%s: the library is read-only and catalog.db-wal holds changes not yet in "
                     "catalog.db; open it once where it can be written",
                     dir);
        return NULL;
    }
    return open_db_readonly(dir, true, err);
}

void ba_catalog_close(ba_catalog *cat)
{
    if (!cat)
        return;
    if (cat->db)
        sqlite3_close_v2(cat->db);
    if (cat->tz)
        g_time_zone_unref(cat->tz);
    g_free(cat->dir);
    g_free(cat);
}

/* ---- settings ----------------------------------------------------------- */

const char *ba_catalog_timezone(const ba_catalog *cat)
{
    return g_time_zone_get_identifier(cat->tz);
}

int ba_catalog_timezone_set(ba_catalog *cat, const char *zone, ba_error *err)
{
    GTimeZone *tz = zone && *zone && *zone != '/' ? g_time_zone_new_identifier(zone) : NULL;
    if (!tz) {
        ba_error_set(err, BA_ERR_USAGE, "time zone '%s' is not known on this system "
                     "(a name such as Europe/London or UTC)", zone ? zone : "");
        return -1;
    }
    g_time_zone_unref(tz);
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    if (setting_put(cat, "timezone", zone, err) || exec(cat, "COMMIT", err)) {
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return load_settings(cat, err);
}

void ba_catalog_today(const ba_catalog *cat, char out[BA_DATE_MAX])
{
    GDateTime *now = g_date_time_new_now(cat->tz);
    char *s = g_date_time_format(now, "%Y-%m-%d");
    g_strlcpy(out, s, BA_DATE_MAX);
    g_free(s);
    g_date_time_unref(now);
}

/* ---- clients ------------------------------------------------------------ */

int ba_catalog_client_add(ba_catalog *cat, const char *code, const char *name, int64_t *id,
                          ba_error *err)
{
    if (!code_valid(code, false)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "client code '%s' is not valid: use 1 to 32 letters, digits, '-', '_' "
                     "or '.', starting with a letter or digit",
                     code ? code : "");
        return -1;
    }
    if (name && (strlen(name) >= BA_TEXT_MAX || !g_utf8_validate(name, -1, NULL))) {
        ba_error_set(err, BA_ERR_USAGE, "client name for '%s' must be UTF-8 and under %d bytes",
                     code, BA_TEXT_MAX);
        return -1;
    }
    char now[BA_STAMP_MAX];
    utc_now(now, sizeof now);
    sqlite3_stmt *st =
        prepare(cat, "INSERT INTO clients(code, name, created_at) VALUES(?,?,?)", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 2, name);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        ba_error_set(err, BA_ERR_EXISTS, "client '%s' already exists", code);
        return -1;
    }
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "adding a client");
    if (id)
        *id = sqlite3_last_insert_rowid(cat->db);
    return 0;
}

int ba_catalog_client_remove_unused(ba_catalog *cat, int64_t id, bool *removed, ba_error *err)
{
    *removed = false;
    /* One statement: a session committed by another writer meanwhile keeps
     * the client; so does any other row that refers to it (foreign keys). */
    sqlite3_stmt *st = prepare(cat,
                               "DELETE FROM clients WHERE id = ?1 AND NOT EXISTS"
                               " (SELECT 1 FROM sessions WHERE client_id = ?1)",
                               err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return 0;
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "removing an unused client");
    *removed = sqlite3_changes(cat->db) > 0;
    return 0;
}

#define CLIENT_COLS                                                                      \
    "SELECT c.id, c.code, c.name, c.created_at,"                                         \
    " (SELECT COUNT(*) FROM photos p JOIN sessions s ON s.id = p.session_id"             \
    "  WHERE s.client_id = c.id) FROM clients c "

static void read_client(sqlite3_stmt *st, ba_client *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, c->code, sizeof c->code);
    copy_col(st, 2, c->name, sizeof c->name);
    copy_col(st, 3, c->created_at, sizeof c->created_at);
    c->photo_count = sqlite3_column_int(st, 4);
}

int ba_catalog_client_get(ba_catalog *cat, const char *code, ba_client *out, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, CLIENT_COLS "WHERE c.code = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code ? code : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_client(st, out);
        sqlite3_finalize(st);
        return 0;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND,
                     "client '%s' does not exist; add it with 'beforeafter client add %s'",
                     code ? code : "", code ? code : "");
        return -1;
    }
    return db_fail(cat, err, "reading a client");
}

int ba_catalog_client_list(ba_catalog *cat, ba_client_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, CLIENT_COLS "ORDER BY c.code", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_client c;
        read_client(st, &c);
        if (fn(&c, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "listing clients");
}

/* ---- areas -------------------------------------------------------------- */

int ba_catalog_area_add(ba_catalog *cat, const char *name, ba_error *err)
{
    if (!code_valid(name, true)) {
        ba_error_set(err, BA_ERR_USAGE,
                     "area name '%s' is not valid: use 1 to 32 lower-case letters, digits "
                     "or '-'",
                     name ? name : "");
        return -1;
    }
    sqlite3_stmt *st = prepare(cat, "INSERT INTO areas(name) VALUES(?)", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        ba_error_set(err, BA_ERR_EXISTS, "area '%s' already exists", name);
        return -1;
    }
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "adding an area");
}

int ba_catalog_area_list(ba_catalog *cat, ba_area_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, "SELECT name FROM areas ORDER BY name", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn((const char *)sqlite3_column_text(st, 0), ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "listing areas");
}

static int append_area(const char *name, void *ud)
{
    GString *s = ud;
    if (s->len)
        g_string_append(s, ", ");
    g_string_append(s, name);
    return 0;
}

int ba_catalog_area_check(ba_catalog *cat, const char *area, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, "SELECT 1 FROM areas WHERE name = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, area ? area : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "reading areas");
    GString *known = g_string_new(NULL);
    ba_catalog_area_list(cat, append_area, known, NULL);
    ba_error_set(err, BA_ERR_NOT_FOUND,
                 "unknown area '%s'; known areas: %s (add one with 'beforeafter area add NAME')",
                 area ? area : "", known->str);
    g_string_free(known, TRUE);
    return -1;
}

/* ---- photos ------------------------------------------------------------- */

int ba_catalog_photo_find_original(ba_catalog *cat, const char *original_sha256, int64_t *id,
                                   ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, "SELECT id FROM photos WHERE original_sha256 = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, original_sha256, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(cat, err, "looking up a photo");
    return found;
}

/* Find the session of (client, date) or create it; renumber the client's sessions. */
static int session_ensure(ba_catalog *cat, int64_t client_id, const char *date,
                          const char *treatment, int64_t *session_id, ba_error *err)
{
    sqlite3_stmt *st =
        prepare(cat, "SELECT id FROM sessions WHERE client_id = ? AND date = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *session_id = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (treatment && *treatment) {
            st = prepare(cat, "UPDATE sessions SET treatment = ? WHERE id = ? AND treatment IS NULL",
                         err);
            if (!st)
                return -1;
            sqlite3_bind_text(st, 1, treatment, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 2, *session_id);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
            if (rc != SQLITE_DONE)
                return db_fail(cat, err, "updating a session");
        }
        return 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "looking up a session");

    st = prepare(cat, "INSERT INTO sessions(client_id, date, treatment, number) VALUES(?,?,?,0)",
                 err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_text(st, 2, date, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 3, treatment);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "adding a session");
    *session_id = sqlite3_last_insert_rowid(cat->db);

    /* Session numbers follow dates, whatever order the photos arrive in. */
    st = prepare(cat,
                 "UPDATE sessions SET number = (SELECT COUNT(*) FROM sessions s2"
                 " WHERE s2.client_id = sessions.client_id AND s2.date <= sessions.date)"
                 " WHERE client_id = ?",
                 err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, client_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "numbering sessions");
}

static int find_duplicate(ba_catalog *cat, const ba_photo *p, int64_t *id, ba_error *err)
{
    sqlite3_stmt *st = prepare(
        cat, "SELECT id FROM photos WHERE original_sha256 = ? OR master_sha256 = ? LIMIT 1", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, p->original_sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, p->master_sha256, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(cat, err, "looking up duplicates");
    return found;
}

static int insert_photo(ba_catalog *cat, ba_photo *p, int64_t area_id, ba_error *err)
{
    sqlite3_stmt *st = prepare(
        cat,
        "INSERT INTO photos(session_id, area_id, view, stage, master_sha256, original_sha256,"
        " width, height, original_name, ingested_at, captured_at, captured_offset,"
        " camera_make, camera_model, orientation, focal_length_mm, focal_length_35mm,"
        " exposure_time_s, f_number, iso, flash_fired, white_balance)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        err);
    if (!st)
        return -1;
    const ba_capture *c = &p->capture;
    sqlite3_bind_int64(st, 1, p->session_id);
    sqlite3_bind_int64(st, 2, area_id);
    sqlite3_bind_text(st, 3, p->view, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, p->stage, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, p->master_sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, p->original_sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, p->width);
    sqlite3_bind_int(st, 8, p->height);
    bind_text_or_null(st, 9, p->original_name);
    sqlite3_bind_text(st, 10, p->ingested_at, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 11, c->captured_at);
    bind_text_or_null(st, 12, c->offset);
    bind_text_or_null(st, 13, c->make);
    bind_text_or_null(st, 14, c->model);
    bind_int_or_null(st, 15, c->orientation, 0);
    bind_real_or_null(st, 16, c->focal_length_mm);
    bind_real_or_null(st, 17, c->focal_length_35mm);
    bind_real_or_null(st, 18, c->exposure_time_s);
    bind_real_or_null(st, 19, c->f_number);
    bind_int_or_null(st, 20, c->iso, 0);
    bind_int_or_null(st, 21, c->flash_fired, -1);
    bind_int_or_null(st, 22, c->white_balance, -1);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "adding a photo");
    p->id = sqlite3_last_insert_rowid(cat->db);
    return 0;
}

static int lookup_id(ba_catalog *cat, const char *sql, const char *key, int64_t *id,
                     ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return db_fail(cat, err, "lookup");
}

int ba_catalog_photo_add(ba_catalog *cat, ba_photo *p, const ba_store_hooks *hooks,
                         bool *duplicate, ba_error *err)
{
    *duplicate = false;
    if (!ba_view_valid(p->view) || !ba_stage_valid(p->stage) || ba_date_check(p->session_date, err)) {
        if (!err || err->code == BA_OK)
            ba_error_set(err, BA_ERR_USAGE, "invalid view '%s' or stage '%s'", p->view, p->stage);
        return -1;
    }
    utc_now(p->ingested_at, sizeof p->ingested_at);
    bool stored = false;
    /* IMMEDIATE: take the write lock now, so the duplicate check, the file move
     * and the insert are one serialised step among every writer. */
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    int64_t client_id = 0, area_id = 0, existing = 0;
    int r = lookup_id(cat, "SELECT id FROM clients WHERE code = ?", p->client, &client_id, err);
    if (r < 0)
        goto fail;
    if (r == 0) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "client '%s' does not exist", p->client);
        goto fail;
    }
    r = lookup_id(cat, "SELECT id FROM areas WHERE name = ?", p->area, &area_id, err);
    if (r < 0)
        goto fail;
    if (r == 0) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "unknown area '%s'", p->area);
        goto fail;
    }
    r = find_duplicate(cat, p, &existing, err);
    if (r < 0)
        goto fail;
    if (r == 1) {
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
        *duplicate = true;
        p->id = existing;
        return 0;
    }
    if (session_ensure(cat, client_id, p->session_date, p->treatment, &p->session_id, err))
        goto fail;
    if (hooks && hooks->store) {
        if (hooks->store(hooks->ud, err))
            goto fail;
        stored = true;
    }
    if (insert_photo(cat, p, area_id, err))
        goto fail;
    if (exec(cat, "COMMIT", err))
        goto fail;
    {
        sqlite3_stmt *st = prepare(cat, "SELECT number FROM sessions WHERE id = ?", NULL);
        if (st) {
            sqlite3_bind_int64(st, 1, p->session_id);
            if (sqlite3_step(st) == SQLITE_ROW)
                p->session_number = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
    }
    return 0;
fail:
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    if (stored && hooks->unstore)
        hooks->unstore(hooks->ud);
    return -1;
}

#define PHOTO_COLS                                                                        \
    "SELECT p.id, p.session_id, c.code, a.name, s.date, s.number, s.treatment, p.view,"  \
    " p.stage, p.master_sha256, p.original_sha256, p.width, p.height, p.original_name,"  \
    " p.ingested_at, p.captured_at, p.captured_offset, p.camera_make, p.camera_model,"   \
    " p.orientation, p.focal_length_mm, p.focal_length_35mm, p.exposure_time_s,"         \
    " p.f_number, p.iso, p.flash_fired, p.white_balance, p.master_problem"              \
    " FROM photos p JOIN sessions s ON s.id = p.session_id"                              \
    " JOIN clients c ON c.id = s.client_id JOIN areas a ON a.id = p.area_id "

static void read_photo(sqlite3_stmt *st, ba_photo *p)
{
    memset(p, 0, sizeof *p);
    ba_capture_init(&p->capture);
    p->id = sqlite3_column_int64(st, 0);
    p->session_id = sqlite3_column_int64(st, 1);
    copy_col(st, 2, p->client, sizeof p->client);
    copy_col(st, 3, p->area, sizeof p->area);
    copy_col(st, 4, p->session_date, sizeof p->session_date);
    p->session_number = sqlite3_column_int(st, 5);
    copy_col(st, 6, p->treatment, sizeof p->treatment);
    copy_col(st, 7, p->view, sizeof p->view);
    copy_col(st, 8, p->stage, sizeof p->stage);
    copy_col(st, 9, p->master_sha256, sizeof p->master_sha256);
    copy_col(st, 10, p->original_sha256, sizeof p->original_sha256);
    p->width = sqlite3_column_int(st, 11);
    p->height = sqlite3_column_int(st, 12);
    copy_col(st, 13, p->original_name, sizeof p->original_name);
    copy_col(st, 14, p->ingested_at, sizeof p->ingested_at);
    ba_capture *c = &p->capture;
    copy_col(st, 15, c->captured_at, sizeof c->captured_at);
    copy_col(st, 16, c->offset, sizeof c->offset);
    copy_col(st, 17, c->make, sizeof c->make);
    copy_col(st, 18, c->model, sizeof c->model);
    c->orientation = col_int(st, 19, 0);
    c->focal_length_mm = col_real(st, 20);
    c->focal_length_35mm = col_real(st, 21);
    c->exposure_time_s = col_real(st, 22);
    c->f_number = col_real(st, 23);
    c->iso = col_int(st, 24, 0);
    c->flash_fired = col_int(st, 25, -1);
    c->white_balance = col_int(st, 26, -1);
    copy_col(st, 27, p->master_problem, sizeof p->master_problem);
}

int ba_catalog_photo_get(ba_catalog *cat, int64_t id, ba_photo *out, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, PHOTO_COLS "WHERE p.id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_photo(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "photo %" G_GINT64_FORMAT " does not exist", id);
        return -1;
    }
    return db_fail(cat, err, "reading a photo");
}

int ba_catalog_photo_list(ba_catalog *cat, const ba_photo_filter *f, ba_photo_fn fn, void *ud,
                          ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               PHOTO_COLS
                               "WHERE (?1 IS NULL OR c.code = ?1) AND (?2 IS NULL OR a.name = ?2)"
                               " AND (?3 IS NULL OR s.date >= ?3) AND (?4 IS NULL OR s.date <= ?4)"
                               " AND (?5 IS NULL OR p.stage = ?5)"
                               " ORDER BY c.code, s.date, a.name, p.id",
                               err);
    if (!st)
        return -1;
    if (f) {
        bind_text_or_null(st, 1, f->client);
        bind_text_or_null(st, 2, f->area);
        bind_text_or_null(st, 3, f->from);
        bind_text_or_null(st, 4, f->to);
        bind_text_or_null(st, 5, f->stage);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_photo p;
        read_photo(st, &p);
        if (fn(&p, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "listing photos");
}

int ba_catalog_counts_get(ba_catalog *cat, ba_catalog_counts *out, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               "SELECT (SELECT COUNT(*) FROM clients), (SELECT COUNT(*) FROM sessions),"
                               " (SELECT COUNT(*) FROM photos), (SELECT COUNT(*) FROM areas)",
                               err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->clients = sqlite3_column_int64(st, 0);
        out->sessions = sqlite3_column_int64(st, 1);
        out->photos = sqlite3_column_int64(st, 2);
        out->areas = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(cat, err, "counting rows");
}

/* ---- alignments --------------------------------------------------------- */

int ba_catalog_alignment_put(ba_catalog *cat, ba_alignment *a, ba_error *err)
{
    utc_now(a->created_at, sizeof a->created_at);
    sqlite3_stmt *st = prepare(
        cat,
        "INSERT INTO alignments(photo_id, reference_id, m00, m01, m02, m10, m11, m12, scale,"
        " angle_deg, inliers, score, method, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(photo_id, reference_id) DO UPDATE SET m00=excluded.m00,"
        " m01=excluded.m01, m02=excluded.m02, m10=excluded.m10, m11=excluded.m11,"
        " m12=excluded.m12, scale=excluded.scale, angle_deg=excluded.angle_deg,"
        " inliers=excluded.inliers, score=excluded.score, method=excluded.method,"
        " created_at=excluded.created_at",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a->photo_id);
    sqlite3_bind_int64(st, 2, a->reference_id);
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++)
            sqlite3_bind_double(st, 3 + 3 * r + c, a->matrix[r][c]);
    sqlite3_bind_double(st, 9, a->scale);
    sqlite3_bind_double(st, 10, a->angle_deg);
    sqlite3_bind_int(st, 11, a->inliers);
    sqlite3_bind_double(st, 12, a->score);
    sqlite3_bind_text(st, 13, a->method, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 14, a->created_at, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "photo %" G_GINT64_FORMAT " or %" G_GINT64_FORMAT
                     " does not exist", a->photo_id, a->reference_id);
        return -1;
    }
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "storing an alignment");
}

int ba_catalog_alignment_get(ba_catalog *cat, int64_t photo_id, int64_t reference_id,
                             ba_alignment *out, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               "SELECT m00, m01, m02, m10, m11, m12, scale, angle_deg, inliers,"
                               " score, method, created_at FROM alignments"
                               " WHERE photo_id = ? AND reference_id = ?",
                               err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, photo_id);
    sqlite3_bind_int64(st, 2, reference_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->photo_id = photo_id;
        out->reference_id = reference_id;
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                out->matrix[r][c] = sqlite3_column_double(st, 3 * r + c);
        out->scale = sqlite3_column_double(st, 6);
        out->angle_deg = sqlite3_column_double(st, 7);
        out->tx = out->matrix[0][2];
        out->ty = out->matrix[1][2];
        out->inliers = sqlite3_column_int(st, 8);
        out->score = sqlite3_column_double(st, 9);
        copy_col(st, 10, out->method, sizeof out->method);
        copy_col(st, 11, out->created_at, sizeof out->created_at);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND,
                     "no alignment of photo %" G_GINT64_FORMAT " onto photo %" G_GINT64_FORMAT,
                     photo_id, reference_id);
        return -1;
    }
    return db_fail(cat, err, "reading an alignment");
}

/* ---- checks ------------------------------------------------------------- */

int ba_catalog_photo_mark_master(ba_catalog *cat, int64_t id, const char *problem,
                                 ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, "UPDATE photos SET master_problem = ? WHERE id = ?", err);
    if (!st)
        return -1;
    bind_text_or_null(st, 1, problem);
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "marking a photo");
}

int ba_catalog_master_list(ba_catalog *cat, ba_master_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st =
        prepare(cat, "SELECT id, master_sha256, master_problem FROM photos ORDER BY id", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sha = (const char *)sqlite3_column_text(st, 1);
        const char *problem = (const char *)sqlite3_column_text(st, 2);
        if (fn(sqlite3_column_int64(st, 0), sha ? sha : "", problem ? problem : "", ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "listing masters");
}

int ba_catalog_check(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err)
{
    int problems = 0;
    sqlite3_stmt *st = prepare(cat, "PRAGMA integrity_check", err);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line && strcmp(line, "ok") != 0) {
            char *msg = g_strdup_printf("integrity_check: %s", line);
            fn(msg, ud);
            g_free(msg);
            problems++;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "integrity_check");
    st = prepare(cat, "PRAGMA foreign_key_check", err);
    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *msg = g_strdup_printf("foreign_key_check: %s row %lld refers to a missing %s row",
                                    sqlite3_column_text(st, 0),
                                    (long long)sqlite3_column_int64(st, 1),
                                    sqlite3_column_text(st, 2));
        fn(msg, ud);
        g_free(msg);
        problems++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "foreign_key_check");
    return problems;
}

/* ---- comparisons -------------------------------------------------------- */

int ba_catalog_comparison_add(ba_catalog *cat, ba_comparison_record *c, ba_error *err)
{
    utc_now(c->created_at, sizeof c->created_at);
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    sqlite3_stmt *st = prepare(cat,
                               "INSERT INTO comparisons(layout, parameters, render, output, sha256,"
                               " width, height, aligned, created_at) VALUES(?,?,?,?,?,?,?,?,?)",
                               err);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, c->layout, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, c->parameters, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, c->render, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 4, c->output);
    sqlite3_bind_text(st, 5, c->sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, c->width);
    sqlite3_bind_int(st, 7, c->height);
    sqlite3_bind_int(st, 8, c->aligned ? 1 : 0);
    sqlite3_bind_text(st, 9, c->created_at, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_fail(cat, err, "recording a comparison");
        goto fail;
    }
    c->id = sqlite3_last_insert_rowid(cat->db);
    st = prepare(cat, "INSERT INTO comparison_photos(comparison_id, position, photo_id)"
                      " VALUES(?,?,?)",
                 err);
    if (!st)
        goto fail;
    for (int i = 0; i < c->n_photos; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int(st, 2, i);
        sqlite3_bind_int64(st, 3, c->photos[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_fail(cat, err, "recording a comparison's photos");
            sqlite3_finalize(st);
            goto fail;
        }
    }
    sqlite3_finalize(st);
    if (exec(cat, "COMMIT", err))
        goto fail;
    return 0;
fail:
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int read_comparison(ba_catalog *cat, sqlite3_stmt *st, ba_comparison_record *c,
                           ba_error *err)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, c->layout, sizeof c->layout);
    copy_col(st, 2, c->parameters, sizeof c->parameters);
    copy_col(st, 3, c->render, sizeof c->render);
    copy_col(st, 4, c->output, sizeof c->output);
    copy_col(st, 5, c->sha256, sizeof c->sha256);
    c->width = sqlite3_column_int(st, 6);
    c->height = sqlite3_column_int(st, 7);
    c->aligned = sqlite3_column_int(st, 8) != 0;
    copy_col(st, 9, c->created_at, sizeof c->created_at);
    sqlite3_stmt *ps = prepare(
        cat, "SELECT photo_id FROM comparison_photos WHERE comparison_id = ? ORDER BY position",
        err);
    if (!ps)
        return -1;
    sqlite3_bind_int64(ps, 1, c->id);
    while (sqlite3_step(ps) == SQLITE_ROW && c->n_photos < (int)G_N_ELEMENTS(c->photos))
        c->photos[c->n_photos++] = sqlite3_column_int64(ps, 0);
    sqlite3_finalize(ps);
    return 0;
}

#define COMPARISON_COLS                                                                  \
    "SELECT id, layout, parameters, render, output, sha256, width, height, aligned,"     \
    " created_at FROM comparisons "

int ba_catalog_comparison_get(ba_catalog *cat, int64_t id, ba_comparison_record *out,
                              ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, COMPARISON_COLS "WHERE id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int r = -1;
    if (rc == SQLITE_ROW)
        r = read_comparison(cat, st, out, err);
    else if (rc == SQLITE_DONE)
        ba_error_set(err, BA_ERR_NOT_FOUND, "comparison %" G_GINT64_FORMAT " does not exist", id);
    else
        db_fail(cat, err, "reading a comparison");
    sqlite3_finalize(st);
    return r;
}

int ba_catalog_comparison_list(ba_catalog *cat, const char *client, ba_comparison_fn fn,
                               void *ud, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               COMPARISON_COLS
                               "WHERE ?1 IS NULL OR id IN (SELECT cp.comparison_id FROM"
                               " comparison_photos cp JOIN photos p ON p.id = cp.photo_id"
                               " JOIN sessions s ON s.id = p.session_id JOIN clients c"
                               " ON c.id = s.client_id WHERE c.code = ?1) ORDER BY id",
                               err);
    if (!st)
        return -1;
    bind_text_or_null(st, 1, client);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_comparison_record c;
        if (read_comparison(cat, st, &c, err)) {
            sqlite3_finalize(st);
            return -1;
        }
        if (fn(&c, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "listing comparisons");
}

/* ---- consents, exports, audit ---- */

static gint cmp_int64(gconstpointer a, gconstpointer b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int client_id_of(ba_catalog *cat, const char *code, int64_t *id, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, "SELECT id FROM clients WHERE code = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code ? code : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND,
                     "client '%s' does not exist; add it with 'beforeafter client add %s'",
                     code ? code : "", code ? code : "");
        return -1;
    }
    return db_fail(cat, err, "reading a client");
}

static int audit_tail(ba_catalog *cat, int64_t *next_id, char prev[BA_SHA_MAX], bool *prev_null,
                      ba_error *err);
static void audit_chain_compute(const char *prev, int64_t id,
                                const char *const v[AUDIT_VALUES], const int *len,
                                char out[BA_SHA_MAX]);

static const char *empty_to_null(const char *s)
{
    return s && *s ? s : NULL;
}

/* Append one audit row inside the caller's write transaction, chained to the
 * row before it: the id is chosen here (as AUTOINCREMENT would) because the
 * chain covers it and the row can never be updated afterwards. */
static int audit_insert(ba_catalog *cat, const ba_audit_entry *a, const char *objects,
                        ba_error *err)
{
    char now[BA_STAMP_MAX];
    utc_now(now, sizeof now);
    /* The values exactly as stored (NULL = SQL NULL): the chain covers what the row holds. */
    const char *v[AUDIT_VALUES] = {now,
                                   a->action ? a->action : "",
                                   empty_to_null(a->client),
                                   empty_to_null(objects ? objects : a->objects),
                                   empty_to_null(a->purpose),
                                   a->result ? a->result : "",
                                   empty_to_null(a->detail)};
    int64_t id = 0;
    char prev[BA_SHA_MAX], chain[BA_SHA_MAX];
    bool prev_null = false;
    if (audit_tail(cat, &id, prev, &prev_null, err))
        return -1;
    audit_chain_compute(prev_null ? NULL : prev, id, v, NULL, chain);
    sqlite3_stmt *st = prepare(cat,
                               "INSERT INTO audit_log(id, at, action, client, objects, purpose,"
                               " result, detail, chain) VALUES(?,?,?,?,?,?,?,?,?)",
                               err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    for (int i = 0; i < AUDIT_VALUES; i++) {
        if (v[i])
            sqlite3_bind_text(st, 2 + i, v[i], -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 2 + i);
    }
    sqlite3_bind_text(st, 2 + AUDIT_VALUES, chain, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "appending to the audit log");
}

int ba_catalog_consent_add(ba_catalog *cat, ba_consent *c, const ba_audit_entry *audit,
                           ba_error *err)
{
    utc_now(c->recorded_at, sizeof c->recorded_at);
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    int64_t client_id = 0;
    if (client_id_of(cat, c->client, &client_id, err))
        goto fail;
    sqlite3_stmt *st = prepare(cat,
                               "INSERT INTO consents(client_id, scope, granted_at, expires_at,"
                               " revoked_at, evidence_sha256, evidence_original_sha256,"
                               " evidence_path, allowed_deidentification, note, recorded_at)"
                               " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                               err);
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_text(st, 2, c->scope, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, c->granted_at, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 4, c->expires_at);
    bind_text_or_null(st, 5, c->revoked_at);
    bind_text_or_null(st, 6, c->evidence_sha256);
    bind_text_or_null(st, 7, c->evidence_original_sha256);
    bind_text_or_null(st, 8, c->evidence_path);
    bind_text_or_null(st, 9, c->allowed_deidentification);
    bind_text_or_null(st, 10, c->note);
    sqlite3_bind_text(st, 11, c->recorded_at, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        ba_error_set(err, BA_ERR_USAGE, "consent of client '%s' refused by the catalog: %s",
                     c->client, sqlite3_errmsg(cat->db));
        goto fail;
    }
    if (rc != SQLITE_DONE) {
        db_fail(cat, err, "recording a consent");
        goto fail;
    }
    c->id = sqlite3_last_insert_rowid(cat->db);
    if (audit) {
        char objects[48];
        snprintf(objects, sizeof objects, "consent %" G_GINT64_FORMAT, c->id);
        if (audit_insert(cat, audit, audit->objects ? NULL : objects, err))
            goto fail;
    }
    if (exec(cat, "COMMIT", err))
        goto fail;
    return 0;
fail:
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

#define CONSENT_COLS                                                                     \
    "SELECT k.id, c.code, k.scope, k.granted_at, k.expires_at, k.revoked_at,"            \
    " k.evidence_sha256, k.evidence_original_sha256, k.evidence_path,"                   \
    " k.allowed_deidentification, k.note, k.recorded_at"                                 \
    " FROM consents k JOIN clients c ON c.id = k.client_id "

static void read_consent(sqlite3_stmt *st, ba_consent *k)
{
    memset(k, 0, sizeof *k);
    k->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, k->client, sizeof k->client);
    copy_col(st, 2, k->scope, sizeof k->scope);
    copy_col(st, 3, k->granted_at, sizeof k->granted_at);
    copy_col(st, 4, k->expires_at, sizeof k->expires_at);
    copy_col(st, 5, k->revoked_at, sizeof k->revoked_at);
    copy_col(st, 6, k->evidence_sha256, sizeof k->evidence_sha256);
    copy_col(st, 7, k->evidence_original_sha256, sizeof k->evidence_original_sha256);
    copy_col(st, 8, k->evidence_path, sizeof k->evidence_path);
    copy_col(st, 9, k->allowed_deidentification, sizeof k->allowed_deidentification);
    copy_col(st, 10, k->note, sizeof k->note);
    copy_col(st, 11, k->recorded_at, sizeof k->recorded_at);
}

int ba_catalog_consent_get(ba_catalog *cat, int64_t id, ba_consent *out, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, CONSENT_COLS "WHERE k.id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_consent(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "consent %" G_GINT64_FORMAT " does not exist", id);
        return -1;
    }
    return db_fail(cat, err, "reading a consent");
}

int ba_catalog_consent_list(ba_catalog *cat, const char *client, const char *scope,
                            ba_consent_fn fn, void *ud, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               CONSENT_COLS "WHERE (?1 IS NULL OR c.code = ?1)"
                                            " AND (?2 IS NULL OR k.scope = ?2) ORDER BY k.id",
                               err);
    if (!st)
        return -1;
    bind_text_or_null(st, 1, client);
    bind_text_or_null(st, 2, scope);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_consent k;
        read_consent(st, &k);
        if (fn(&k, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "listing consents");
}

/* "exports to take down: 3, 5" (or "no exports to take down") for the
 * consents @ids, read inside the caller's transaction. */
static char *takedown_detail(ba_catalog *cat, const int64_t *ids, int n, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               "SELECT DISTINCT export_id FROM export_consents"
                               " WHERE consent_id = ? ORDER BY export_id",
                               err);
    if (!st)
        return NULL;
    GArray *found = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int rc = SQLITE_DONE;
    for (int i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            bool seen = false;
            for (guint k = 0; k < found->len && !seen; k++)
                seen = g_array_index(found, int64_t, k) == id;
            if (!seen)
                g_array_append_val(found, id);
        }
    }
    sqlite3_finalize(st);
    char *detail = NULL;
    if (rc != SQLITE_DONE) {
        db_fail(cat, err, "listing the exports of a consent");
    } else if (found->len == 0) {
        detail = g_strdup("no exports to take down");
    } else {
        g_array_sort(found, cmp_int64);
        GString *d = g_string_new("exports to take down: ");
        for (guint k = 0; k < found->len; k++)
            g_string_append_printf(d, "%s%" G_GINT64_FORMAT, k ? ", " : "",
                                   g_array_index(found, int64_t, k));
        detail = g_string_free(d, FALSE);
    }
    g_array_free(found, TRUE);
    return detail;
}

int ba_catalog_consent_revoke(ba_catalog *cat, const int64_t *ids, int n,
                              const char *revoked_at, const ba_audit_entry *audit,
                              int *n_revoked, ba_error *err)
{
    int changed = 0;
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    sqlite3_stmt *st = prepare(
        cat, "UPDATE consents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", err);
    if (!st)
        goto fail;
    for (int i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, revoked_at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_fail(cat, err, "revoking a consent");
            sqlite3_finalize(st);
            goto fail;
        }
        changed += sqlite3_changes(cat->db);
    }
    sqlite3_finalize(st);
    char *detail = audit && !audit->detail ? takedown_detail(cat, ids, n, err) : NULL;
    if (audit && !audit->detail && !detail)
        goto fail;
    ba_audit_entry a = audit ? *audit : (ba_audit_entry){0};
    if (detail)
        a.detail = detail;
    int arc = audit ? audit_insert(cat, &a, NULL, err) : 0;
    g_free(detail);
    if (arc)
        goto fail;
    if (exec(cat, "COMMIT", err))
        goto fail;
    if (n_revoked)
        *n_revoked = changed;
    return 0;
fail:
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int ba_catalog_export_add(ba_catalog *cat, ba_export_record *e, ba_export_item *items,
                          int n_items, ba_audit_entry *audits, int n_audits,
                          const ba_store_hooks *hooks, ba_error *err)
{
    bool stored = false;
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    sqlite3_stmt *st = prepare(cat,
                               "INSERT INTO exports(purpose, created_at, destination,"
                               " deidentification, caption, item_count, tool_version, status,"
                               " writer_pid) VALUES(?,?,?,?,?,?,?,'pending',?)",
                               err);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, e->purpose ? e->purpose : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, e->created_at ? e->created_at : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, e->destination ? e->destination : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, e->deidentification ? e->deidentification : "none", -1,
                      SQLITE_TRANSIENT);
    bind_text_or_null(st, 5, e->caption);
    sqlite3_bind_int(st, 6, n_items);
    sqlite3_bind_text(st, 7, e->tool_version ? e->tool_version : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)getpid());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_fail(cat, err, "recording an export");
        goto fail;
    }
    e->id = sqlite3_last_insert_rowid(cat->db);
    e->status = "pending";
    e->writer_pid = (int64_t)getpid();
    e->item_count = n_items;
    if (hooks && hooks->store) {
        if (hooks->store(hooks->ud, err))
            goto fail;
        stored = true;
    }
    st = prepare(cat,
                 "INSERT INTO export_items(export_id, n, comparison_id, file, sha256)"
                 " VALUES(?,?,?,?,?)",
                 err);
    if (!st)
        goto fail;
    for (int i = 0; i < n_items; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, e->id);
        sqlite3_bind_int(st, 2, items[i].n);
        sqlite3_bind_int64(st, 3, items[i].comparison_id);
        sqlite3_bind_text(st, 4, items[i].file ? items[i].file : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, items[i].sha256 ? items[i].sha256 : "", -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_fail(cat, err, "recording an exported image");
            sqlite3_finalize(st);
            goto fail;
        }
    }
    sqlite3_finalize(st);
    st = prepare(cat, "INSERT INTO export_consents(export_id, consent_id) VALUES(?,?)", err);
    if (!st)
        goto fail;
    for (int i = 0; i < e->n_consents; i++) {
        bool dup = false;
        for (int k = 0; k < i && !dup; k++)
            dup = e->consent_ids[k] == e->consent_ids[i];
        if (dup)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, e->id);
        sqlite3_bind_int64(st, 2, e->consent_ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_fail(cat, err, "recording the consents of an export");
            sqlite3_finalize(st);
            goto fail;
        }
    }
    sqlite3_finalize(st);
    for (int i = 0; i < n_audits; i++)
        if (audit_insert(cat, &audits[i], NULL, err))
            goto fail;
    if (exec(cat, "COMMIT", err))
        goto fail;
    return 0;
fail:
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    if (stored && hooks->unstore)
        hooks->unstore(hooks->ud);
    return -1;
}

int ba_catalog_export_finish(ba_catalog *cat, int64_t id, const char *status,
                             const ba_audit_entry *audits, int n_audits, ba_error *err)
{
    char now[BA_STAMP_MAX];
    utc_now(now, sizeof now);
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    sqlite3_stmt *st = prepare(cat,
                               "UPDATE exports SET status = ?, finished_at = ?"
                               " WHERE id = ? AND status = 'pending'",
                               err);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, status ? status : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_fail(cat, err, "finishing an export");
        goto fail;
    }
    if (sqlite3_changes(cat->db) != 1) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "export %" G_GINT64_FORMAT " is not pending", id);
        goto fail;
    }
    for (int i = 0; i < n_audits; i++)
        if (audit_insert(cat, &audits[i], NULL, err))
            goto fail;
    if (exec(cat, "COMMIT", err))
        goto fail;
    return 0;
fail:
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* Items and consents of export @e->id, then the callback. */
static int export_emit(ba_catalog *cat, ba_export_record *e, ba_export_fn fn, void *ud,
                       int *stop, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               "SELECT n, comparison_id, file, sha256 FROM export_items"
                               " WHERE export_id = ? ORDER BY n",
                               err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, e->id);
    GArray *items = g_array_new(FALSE, TRUE, sizeof(ba_export_item));
    GPtrArray *strings = g_ptr_array_new_with_free_func(g_free);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_export_item it = {0};
        it.n = sqlite3_column_int(st, 0);
        it.comparison_id = sqlite3_column_int64(st, 1);
        char *file = g_strdup((const char *)sqlite3_column_text(st, 2));
        char *sha = g_strdup((const char *)sqlite3_column_text(st, 3));
        g_ptr_array_add(strings, file);
        g_ptr_array_add(strings, sha);
        it.file = file;
        it.sha256 = sha;
        g_array_append_val(items, it);
    }
    sqlite3_finalize(st);
    GArray *consents = g_array_new(FALSE, TRUE, sizeof(int64_t));
    int r = -1;
    if (rc != SQLITE_DONE) {
        db_fail(cat, err, "listing exported images");
        goto out;
    }
    st = prepare(cat,
                 "SELECT consent_id FROM export_consents WHERE export_id = ? ORDER BY consent_id",
                 err);
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, e->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        g_array_append_val(consents, id);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_fail(cat, err, "listing the consents of an export");
        goto out;
    }
    e->consent_ids = (const int64_t *)consents->data;
    e->n_consents = (int)consents->len;
    *stop = fn(e, (const ba_export_item *)items->data, (int)items->len, ud);
    e->consent_ids = NULL;
    r = 0;
out:
    g_array_free(consents, TRUE);
    g_array_free(items, TRUE);
    g_ptr_array_free(strings, TRUE);
    return r;
}

int ba_catalog_export_list(ba_catalog *cat, const ba_export_filter *f, ba_export_fn fn,
                           void *ud, ba_error *err)
{
    sqlite3_stmt *st = prepare(
        cat,
        "SELECT e.id, e.purpose, e.created_at, e.destination, e.deidentification, e.caption,"
        " e.tool_version, e.status, e.finished_at, e.item_count, e.writer_pid FROM exports e"
        " WHERE (?1 = 0 OR e.id = ?1)"
        " AND (?5 = 0 OR e.status IN ('pending','interrupted'))"
        " AND (?2 = 0 OR e.id IN (SELECT export_id FROM export_consents WHERE consent_id = ?2))"
        " AND (?3 IS NULL OR e.id IN (SELECT ec.export_id FROM export_consents ec"
        "  JOIN consents k ON k.id = ec.consent_id JOIN clients c ON c.id = k.client_id"
        "  WHERE c.code = ?3 AND (?4 = 0 OR k.revoked_at IS NOT NULL)))"
        " AND (?4 = 0 OR e.id IN (SELECT ec.export_id FROM export_consents ec"
        "  JOIN consents k ON k.id = ec.consent_id WHERE k.revoked_at IS NOT NULL))"
        " ORDER BY e.id",
        err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, f ? f->export_id : 0);
    sqlite3_bind_int64(st, 2, f ? f->consent_id : 0);
    bind_text_or_null(st, 3, f ? f->client : NULL);
    sqlite3_bind_int(st, 4, f && f->revoked_only ? 1 : 0);
    sqlite3_bind_int(st, 5, f && f->unfinished_only ? 1 : 0);
    /* Read the rows first: the callback may use the catalog. */
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *strings = g_ptr_array_new_with_free_func(g_free);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_export_record *e = g_new0(ba_export_record, 1);
        e->id = sqlite3_column_int64(st, 0);
        const char **fields[] = {&e->purpose,      &e->created_at,   &e->destination,
                                 &e->deidentification, &e->caption, &e->tool_version,
                                 &e->status,       &e->finished_at};
        for (int i = 0; i < (int)G_N_ELEMENTS(fields); i++) {
            const unsigned char *s = sqlite3_column_text(st, 1 + i);
            char *copy = s ? g_strdup((const char *)s) : NULL;
            if (copy)
                g_ptr_array_add(strings, copy);
            *fields[i] = copy;
        }
        e->item_count = sqlite3_column_int(st, 9);
        e->writer_pid = sqlite3_column_int64(st, 10);
        g_ptr_array_add(rows, e);
    }
    sqlite3_finalize(st);
    int r = 0;
    if (rc != SQLITE_DONE)
        r = db_fail(cat, err, "listing exports");
    for (guint i = 0; r == 0 && i < rows->len; i++) {
        int stop = 0;
        r = export_emit(cat, g_ptr_array_index(rows, i), fn, ud, &stop, err);
        if (stop)
            break;
    }
    g_ptr_array_free(rows, TRUE);
    g_ptr_array_free(strings, TRUE);
    return r;
}

int ba_catalog_audit_add(ba_catalog *cat, const ba_audit_entry *a, ba_error *err)
{
    if (!sqlite3_get_autocommit(cat->db))
        return audit_insert(cat, a, NULL, err);
    /* Alone: reading the end of the chain and appending to it must be one
     * step among every writer, or two rows could chain onto the same one. */
    if (exec(cat, "BEGIN IMMEDIATE", err))
        return -1;
    if (audit_insert(cat, a, NULL, err) || exec(cat, "COMMIT", err)) {
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int ba_catalog_audit_list(ba_catalog *cat, const char *client, ba_audit_fn fn, void *ud,
                          ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               "SELECT id, at, action, client, objects, purpose, result, detail,"
                               " chain FROM audit_log WHERE ?1 IS NULL OR client = ?1 ORDER BY id",
                               err);
    if (!st)
        return -1;
    bind_text_or_null(st, 1, client);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ba_audit_entry a;
        a.id = sqlite3_column_int64(st, 0);
        a.at = (const char *)sqlite3_column_text(st, 1);
        a.action = (const char *)sqlite3_column_text(st, 2);
        a.client = (const char *)sqlite3_column_text(st, 3);
        a.objects = (const char *)sqlite3_column_text(st, 4);
        a.purpose = (const char *)sqlite3_column_text(st, 5);
        a.result = (const char *)sqlite3_column_text(st, 6);
        a.detail = (const char *)sqlite3_column_text(st, 7);
        a.chain = (const char *)sqlite3_column_text(st, 8);
        if (fn(&a, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "listing the audit log");
}

/* ---- the audit log's hash chain, the write lock, checks for verify ------- */

/* The "previous chain" of the first row. */
static const char AUDIT_CHAIN_ZERO[BA_SHA_MAX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Hash one value so that NULL, "" and every split of bytes between values
 * give different input: NULL is "N", text is "S<length>:<bytes>". */
static void chain_field(ba_sha256 *h, const char *s, int len)
{
    if (!s) {
        ba_sha256_update(h, "N", 1);
        return;
    }
    if (len < 0)
        len = (int)strlen(s);
    char head[24];
    int n = snprintf(head, sizeof head, "S%d:", len);
    ba_sha256_update(h, head, (size_t)n);
    ba_sha256_update(h, s, (size_t)len);
}

/* chain = SHA-256 over a version tag, the previous row's chain (NULL when it
 * has none), the id and the seven values of the row (at, action, client,
 * objects, purpose, result, detail; NULL = SQL NULL), @len[i] bytes each
 * (-1 or @len NULL: up to the NUL). */
static void audit_chain_compute(const char *prev, int64_t id,
                                const char *const v[AUDIT_VALUES], const int *len,
                                char out[BA_SHA_MAX])
{
    static const char tag[] = "beforeafter audit chain 1\n";
    ba_sha256 *h = ba_sha256_new();
    ba_sha256_update(h, tag, sizeof tag - 1);
    chain_field(h, prev, -1);
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%" G_GINT64_FORMAT, id);
    chain_field(h, idtext, -1);
    for (int i = 0; i < AUDIT_VALUES; i++)
        chain_field(h, v[i], len ? len[i] : -1);
    ba_sha256_finish(h, out);
}

#define AUDIT_ROW_SQL                                                                    \
    "SELECT id, at, action, client, objects, purpose, result, detail, chain"             \
    " FROM audit_log ORDER BY id"

/* The chain the current row of @st (AUDIT_ROW_SQL) should carry after a row
 * whose chain is @prev; byte lengths come from SQLite, so no value is cut. */
static void audit_chain_of_row(sqlite3_stmt *st, const char *prev, char out[BA_SHA_MAX])
{
    const char *v[AUDIT_VALUES];
    int len[AUDIT_VALUES];
    for (int i = 0; i < AUDIT_VALUES; i++) {
        v[i] = (const char *)sqlite3_column_text(st, 1 + i);
        len[i] = sqlite3_column_bytes(st, 1 + i);
    }
    audit_chain_compute(prev, sqlite3_column_int64(st, 0), v, len, out);
}

/* The id the next audit row gets (what AUTOINCREMENT would choose) and the
 * chain of the last row (@prev; NULL when that row has none, zeros when there
 * is no row).  Must run inside the write transaction that inserts the row. */
static int audit_tail(ba_catalog *cat, int64_t *next_id, char prev[BA_SHA_MAX], bool *prev_null,
                      ba_error *err)
{
    sqlite3_stmt *st = prepare(cat,
                               "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence"
                               " WHERE name = 'audit_log'), 0),"
                               " COALESCE((SELECT max(id) FROM audit_log), 0)) + 1,"
                               " (SELECT chain FROM audit_log ORDER BY id DESC LIMIT 1),"
                               " EXISTS (SELECT 1 FROM audit_log)",
                               err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *next_id = sqlite3_column_int64(st, 0);
        bool any = sqlite3_column_int(st, 2) != 0;
        *prev_null = any && sqlite3_column_type(st, 1) == SQLITE_NULL;
        if (!any)
            memcpy(prev, AUDIT_CHAIN_ZERO, BA_SHA_MAX);
        else
            copy_col(st, 1, prev, BA_SHA_MAX);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(cat, err, "reading the end of the audit log");
}

/* Text of the CREATE statement of trigger @name (g_free it), NULL when absent. */
static char *trigger_sql(ba_catalog *cat, const char *name)
{
    sqlite3_stmt *st = prepare(
        cat, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", NULL);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    char *sql = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        sql = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return sql;
}

/* Write @chains (one per row of @ids) with the update trigger lifted: it
 * refuses every UPDATE, and this one runs in the migration's transaction. */
static int audit_write_chains(ba_catalog *cat, GArray *ids, GPtrArray *chains, ba_error *err)
{
    char *guard = trigger_sql(cat, "audit_log_no_update");
    int r = exec(cat, "DROP TRIGGER IF EXISTS audit_log_no_update", err);
    sqlite3_stmt *st = r ? NULL : prepare(cat, "UPDATE audit_log SET chain = ? WHERE id = ?", err);
    if (!st)
        r = -1;
    for (guint i = 0; st && r == 0 && i < ids->len; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, g_ptr_array_index(chains, i), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, g_array_index(ids, int64_t, i));
        if (sqlite3_step(st) != SQLITE_DONE)
            r = db_fail(cat, err, "writing the audit log's hash chain");
    }
    sqlite3_finalize(st);
    if (r == 0 && guard)
        r = exec(cat, guard, err);
    g_free(guard);
    return r;
}

/* Chain the rows written before schema 6, in id order. */
static int audit_backfill(ba_catalog *cat, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, AUDIT_ROW_SQL, err);
    if (!st)
        return -1;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GPtrArray *chains = g_ptr_array_new_with_free_func(g_free);
    char prev[BA_SHA_MAX];
    memcpy(prev, AUDIT_CHAIN_ZERO, sizeof prev);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        char chain[BA_SHA_MAX];
        audit_chain_of_row(st, prev, chain);
        memcpy(prev, chain, sizeof prev);
        g_array_append_val(ids, id);
        g_ptr_array_add(chains, g_strdup(chain));
    }
    sqlite3_finalize(st);
    int r = rc == SQLITE_DONE ? 0 : db_fail(cat, err, "reading the audit log");
    if (r == 0 && ids->len)
        r = audit_write_chains(cat, ids, chains, err);
    g_array_free(ids, TRUE);
    g_ptr_array_free(chains, TRUE);
    return r;
}

int ba_catalog_with_write_lock(ba_catalog *cat, ba_locked_fn fn, void *ud, ba_error *err)
{
    if (!sqlite3_get_autocommit(cat->db)) {
        ba_error_set(err, BA_ERR_INTERNAL, "%s/catalog.db: the write lock was asked for inside "
                     "a transaction", cat->dir);
        return -1;
    }
    int rc = sqlite3_exec(cat->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return db_fail(cat, err, "waiting for the other writers");
    if (rc != SQLITE_OK) /* a catalog this process cannot write: read without the lock */
        return fn(cat, false, ud, err);
    int r = fn(cat, true, ud, err);
    if (r == 0 && exec(cat, "COMMIT", err))
        r = -1;
    if (r != 0)
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return r;
}

int ba_catalog_master_referenced(ba_catalog *cat, const char *sha256, ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, "SELECT 1 FROM photos WHERE master_sha256 = ? LIMIT 1", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, sha256 ? sha256 : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : db_fail(cat, err, "looking up a master");
}

static void check_report(ba_check_fn fn, void *ud, int *problems, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void check_report(ba_check_fn fn, void *ud, int *problems, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fn(msg, ud);
    g_free(msg);
    (*problems)++;
}

/* Walk the chain in id order: each row must carry the hash of the previous
 * row's stored chain and its own values; ids must follow on without gaps.
 * Reports each gap, and the first row whose chain is wrong (with how many
 * more are), since after one edit every later row still chains correctly
 * onto the stored chain before it. */
static int audit_check_rows(ba_catalog *cat, ba_check_fn fn, void *ud, int64_t *last_id,
                            ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, AUDIT_ROW_SQL, err);
    if (!st)
        return -1;
    char prev[BA_SHA_MAX];
    memcpy(prev, AUDIT_CHAIN_ZERO, sizeof prev);
    bool prev_null = false;
    int64_t expect = 1, first_bad = 0;
    int problems = 0, n_bad = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id > expect)
            check_report(fn, ud, &problems,
                         "audit log rows %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " are missing "
                         "(deleted outside beforeafter)", expect, id - 1);
        char want[BA_SHA_MAX];
        audit_chain_of_row(st, prev_null ? NULL : prev, want);
        const char *have = (const char *)sqlite3_column_text(st, 8);
        if (!have || strcmp(have, want) != 0) {
            if (!first_bad)
                first_bad = id;
            n_bad++;
        }
        prev_null = !have;
        g_strlcpy(prev, have ? have : "", sizeof prev);
        expect = id + 1;
        *last_id = id;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(cat, err, "reading the audit log");
    if (first_bad)
        check_report(fn, ud, &problems,
                     "audit log row %" G_GINT64_FORMAT " breaks the hash chain (%d row%s in "
                     "all): it or the row before it was changed, added or deleted outside "
                     "beforeafter", first_bad, n_bad, n_bad == 1 ? "" : "s");
    return problems;
}

/* AUTOINCREMENT remembers the largest id ever used: a deleted last row
 * leaves it above the last id that remains. */
static int audit_check_sequence(ba_catalog *cat, int64_t last_id, ba_check_fn fn, void *ud,
                                ba_error *err)
{
    sqlite3_stmt *st = prepare(cat, "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'",
                               err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int64_t seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(cat, err, "reading sqlite_sequence");
    int problems = 0;
    if (seq > last_id)
        check_report(fn, ud, &problems,
                     "audit log rows %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " are missing: "
                     "the log reached row %" G_GINT64_FORMAT " (sqlite_sequence) but ends at "
                     "row %" G_GINT64_FORMAT, last_id + 1, seq, seq, last_id);
    else if (seq < last_id)
        check_report(fn, ud, &problems,
                     "audit log: sqlite_sequence says %" G_GINT64_FORMAT " rows but row %"
                     G_GINT64_FORMAT " exists: the sequence was changed outside beforeafter",
                     seq, last_id);
    return problems;
}

/* @s with every run of white space made one space (g_free it). */
static char *squeeze_space(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        bool space = g_ascii_isspace(*s);
        if (!space || (out->len && out->str[out->len - 1] != ' '))
            g_string_append_c(out, space ? ' ' : *s);
    }
    return g_string_free(out, FALSE);
}

/* Compare trigger @name (created by the schema as @want) with the catalog's. */
static void check_trigger(ba_catalog *cat, const char *name, const char *want, ba_check_fn fn,
                          void *ud, int *problems)
{
    char *have = trigger_sql(cat, name);
    char *a = have ? squeeze_space(have) : NULL, *b = squeeze_space(want);
    if (!have)
        check_report(fn, ud, problems, "trigger %s is missing: the audit log, consents and "
                     "exports it guards can be changed without an error", name);
    else if (strcmp(a, b) != 0)
        check_report(fn, ud, problems, "trigger %s differs from the schema's: the audit log, "
                     "consents and exports it guards may be changed without an error", name);
    g_free(a);
    g_free(b);
    g_free(have);
}

/* The schema as the migrations leave it, in memory; NULL with @err set. */
static sqlite3 *schema_in_memory(ba_catalog *cat, ba_error *err)
{
    sqlite3 *mem = NULL;
    int rc = sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < BA_SCHEMA_MIGRATION_COUNT; i++)
        rc = sqlite3_exec(mem, ba_schema_migrations[i], NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ba_error_set(err, BA_ERR_INTERNAL, "%s/catalog.db: cannot build the schema to compare "
                     "triggers with: %s", cat->dir, mem ? sqlite3_errmsg(mem) : "no memory");
        sqlite3_close(mem);
        return NULL;
    }
    return mem;
}

/* Every trigger the migrations create (as they leave it) must be in the
 * catalog, with the same text: the schema is built in memory to find them,
 * so that later migrations need no list kept by hand. */
static int audit_check_triggers(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err)
{
    sqlite3 *mem = schema_in_memory(cat, err);
    if (!mem)
        return -1;
    sqlite3_stmt *st = NULL;
    int problems = 0;
    if (sqlite3_prepare_v2(mem, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                           " ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
        ba_error_set(err, BA_ERR_INTERNAL, "%s/catalog.db: cannot list the schema's triggers: %s",
                     cat->dir, sqlite3_errmsg(mem));
        problems = -1;
    }
    while (st && sqlite3_step(st) == SQLITE_ROW)
        check_trigger(cat, (const char *)sqlite3_column_text(st, 0),
                      (const char *)sqlite3_column_text(st, 1), fn, ud, &problems);
    sqlite3_finalize(st);
    sqlite3_close(mem);
    return problems;
}

static int audit_check_snapshot(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err)
{
    int64_t last_id = 0;
    int rows = audit_check_rows(cat, fn, ud, &last_id, err);
    if (rows < 0)
        return -1;
    int seq = audit_check_sequence(cat, last_id, fn, ud, err);
    if (seq < 0)
        return -1;
    int triggers = audit_check_triggers(cat, fn, ud, err);
    return triggers < 0 ? -1 : rows + seq + triggers;
}

int ba_catalog_audit_check(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err)
{
    /* One read transaction: the rows and sqlite_sequence from the same
     * snapshot, or a row appended in between would look like a lost tail. */
    bool own = sqlite3_get_autocommit(cat->db);
    if (own && exec(cat, "BEGIN", err))
        return -1;
    int r = audit_check_snapshot(cat, fn, ud, err);
    if (own)
        sqlite3_exec(cat->db, "COMMIT", NULL, NULL, NULL);
    return r;
}

int ba_catalog_audit_head(ba_catalog *cat, int64_t *id, char chain[BA_SHA_MAX], ba_error *err)
{
    sqlite3_stmt *st =
        prepare(cat, "SELECT id, chain FROM audit_log ORDER BY id DESC LIMIT 1", err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc == SQLITE_ROW)
        copy_col(st, 1, chain, BA_SHA_MAX);
    else
        memcpy(chain, AUDIT_CHAIN_ZERO, BA_SHA_MAX);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(cat, err, "reading the audit log");
}
