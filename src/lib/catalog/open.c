/* The catalog file: create, open (read-write, migrating, or read-only),
 * close; the library's settings (its time zone). */
#include "catalog/db.h"
#include "library/clock.h"
#include "library/paths.h"

#include <fcntl.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/record.h"
#include "catalog/schema.h"

static int configure(ba_catalog *cat, ba_error *err)
{
    sqlite3_busy_timeout(cat->db, BA_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(cat->db, 1);
    return ba_db_exec(cat,
                "PRAGMA foreign_keys=ON;"
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;",
                err);
}

static int pragma_int(ba_catalog *cat, const char *sql, int *out, ba_error *err)
{
    sqlite3_stmt *st = ba_db_prepare(cat, sql, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return ba_db_fail(cat, err, "reading the catalog header");
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
        ba_db_prepare(cat, "INSERT OR REPLACE INTO settings(key, value) VALUES(?, ?)", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    int rc = ba_db_step_once(st);
    return rc == SQLITE_DONE ? 0 : ba_db_fail(cat, err, "writing a setting");
}

/* The value of setting @key (g_free it), or NULL when unset. */
static char *setting_get(ba_catalog *cat, const char *key, ba_error *err, int *rc_out)
{
    *rc_out = 0;
    sqlite3_stmt *st = ba_db_prepare(cat, "SELECT value FROM settings WHERE key = ?", err);
    if (!st) {
        *rc_out = -1;
        return NULL;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    char *v = rc == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        *rc_out = ba_db_fail(cat, err, "reading a setting");
    return v;
}

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
        if (ba_db_audit_backfill(cat, err))
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
    if (ba_db_begin(cat, err))
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
        if (ba_db_exec(cat, ba_schema_migrations[v], err))
            goto fail;
    if (version < BA_CATALOG_SCHEMA_VERSION && after_migration(cat, version, err))
        goto fail;
    if (version < BA_CATALOG_SCHEMA_VERSION) {
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d; PRAGMA application_id=%d;",
                 BA_CATALOG_SCHEMA_VERSION, BA_APPLICATION_ID);
        if (ba_db_exec(cat, sql, err))
            goto fail;
    }
    if (ba_db_commit(cat, err))
        goto fail;
    return 0;
fail:
    ba_db_rollback(cat);
    return -1;
}

/* Create @path empty with BA_MODE_FILE before SQLite opens it: SQLite gives
 * catalog.db-wal and -shm the mode of the database file, so the whole
 * catalog stays private without touching the process umask. */
static void precreate_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, BA_MODE_FILE);
    if (fd >= 0)
        close(fd);
}

static ba_catalog *open_db(const char *dir, bool create, ba_error *err)
{
    ba_catalog *cat = g_new0(ba_catalog, 1);
    cat->dir = g_strdup(dir);
    char *path = g_build_filename(dir, "catalog.db", NULL);
    if (create)
        precreate_private(path);
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
        int rc = g_mkdir_with_parents(p, BA_MODE_DIR);
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
    if (g_mkdir_with_parents(dir, BA_MODE_DIR) != 0) {
        int e = errno;
        ba_error_set(err, e == ENOSPC ? BA_ERR_NOSPACE : BA_ERR_CATALOG,
                     "%s: cannot create folder: %s", dir, g_strerror(e));
        return NULL;
    }
    /* An empty folder the user made (0755 under the usual umask) is the
     * library now: private like the folders made here. */
    if (chmod(dir, BA_MODE_DIR) != 0 && errno != EPERM) {
        int e = errno;
        ba_error_set(err, BA_ERR_CATALOG, "%s: cannot make the folder private: %s", dir,
                     g_strerror(e));
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
        ba_error_set(err, BA_ERR_CATALOG, "%s: not a beforeafter library (no catalog.db)", dir);
        ba_error_hint(err, BA_HINT_INIT);
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
    /* Every writer first removes what dead writers of this host left: the
     * masters they placed without recording them, then their tmp/ files. */
    if (cat) {
        /* A failure here only leaves an orphan master, which verify reports
         * and its repair moves away: not a reason to refuse the open. */
        ba_db_recover_masters(cat, NULL);
        ba_library_sweep_tmp(dir);
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
    ba_db_cache_clear(cat);
    if (cat->db)
        sqlite3_close_v2(cat->db);
    if (cat->tz)
        g_time_zone_unref(cat->tz);
    g_free(cat->dir);
    g_free(cat);
}

const char *ba_catalog_dir(const ba_catalog *cat)
{
    return cat->dir;
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
    if (ba_db_begin(cat, err))
        return -1;
    if (setting_put(cat, "timezone", zone, err) || ba_db_commit(cat, err)) {
        ba_db_rollback(cat);
        return -1;
    }
    return load_settings(cat, err);
}

void ba_catalog_today(const ba_catalog *cat, char out[BA_DATE_MAX])
{
    /* The library's one clock, seen in the library's zone. */
    GDateTime *utc = ba_clock_now_utc();
    GDateTime *now = g_date_time_to_timezone(utc, cat->tz);
    char *s = g_date_time_format(now, "%Y-%m-%d");
    g_strlcpy(out, s, BA_DATE_MAX);
    g_free(s);
    g_date_time_unref(now);
    g_date_time_unref(utc);
}

/* ---- integrity ------------------------------------------------------------ */

int ba_catalog_check(ba_catalog *cat, ba_check_fn fn, void *ud, ba_error *err)
{
    int problems = 0;
    sqlite3_stmt *st = ba_db_prepare(cat, "PRAGMA integrity_check", err);
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
        return ba_db_fail(cat, err, "integrity_check");
    st = ba_db_prepare(cat, "PRAGMA foreign_key_check", err);
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
        return ba_db_fail(cat, err, "foreign_key_check");
    return problems;
}

/* ---- who audit rows are attributed to ------------------------------------- */

void ba_catalog_set_actor(ba_catalog *cat, const char *actor)
{
    if (!cat)
        return;
    g_strlcpy(cat->actor, actor ? actor : "", sizeof cat->actor);
}

/* The operating-system user of this process, looked up once: getpwuid_r is
 * not cheap and the user cannot change under a running process. */
static const char *os_user(void)
{
    static char name[128];
    static gsize done;
    if (g_once_init_enter(&done)) {
        struct passwd pw, *found = NULL;
        char buf[1024];
        if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &found) == 0 && found &&
            found->pw_name && found->pw_name[0])
            g_strlcpy(name, found->pw_name, sizeof name);
        else
            snprintf(name, sizeof name, "uid %u", (unsigned)geteuid());
        g_once_init_leave(&done, 1);
    }
    return name;
}

const char *ba_catalog_actor(const ba_catalog *cat)
{
    return cat && cat->actor[0] ? cat->actor : os_user();
}

/* ---- settings for the rest of catalog/ (catalog/record.h) ----------------- */

char *ba_db_setting_get(ba_catalog *cat, const char *key, int *rc_out, ba_error *err)
{
    return setting_get(cat, key, err, rc_out);
}

int ba_db_setting_put(ba_catalog *cat, const char *key, const char *value, ba_error *err)
{
    return setting_put(cat, key, value, err);
}
