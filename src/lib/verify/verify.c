/* verify: the library's files and its catalog agree, and nothing leaks. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "beforeafter/consent.h"
#include "beforeafter/ingest.h"
#include "beforeafter/verify.h"
#include "catalog/writers.h"
#include "common/sha256.h"
#include "library/paths.h"

typedef struct checker {
    ba_catalog *cat;
    bool repair;
    ba_problem_fn fn;
    void *ud;
    size_t count;
    struct timespec start; /* when the check began, on the clock file times come from */
    GHashTable *known;     /* relative master paths named by photo rows */
    GPtrArray *orphans;    /* well-named masters no row named when the rows were read */
    GHashTable *renders;   /* render copies already checked (several records may share one) */
} checker;

/* A photo row as read before any file is looked at. */
typedef struct photo_ref {
    int64_t id;
    char sha[BA_SHA_MAX];
    char problem[16];
} photo_ref;

static void report(checker *c, ba_problem_kind kind, int64_t photo, const char *path,
                   bool repaired, const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static void report(checker *c, ba_problem_kind kind, int64_t photo, const char *path,
                   bool repaired, const char *fmt, ...)
{
    ba_problem p = {.kind = kind, .photo_id = photo, .repaired = repaired};
    g_strlcpy(p.path, path ? path : "", sizeof p.path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p.message, sizeof p.message, fmt, ap);
    va_end(ap);
    for (char *s = p.message; *s; s++)
        if ((unsigned char)*s < 0x20)
            *s = ' ';
    c->count++;
    if (c->fn)
        c->fn(&p, c->ud);
}

/* The clock the kernel stamps files with: the coarse one, which can lag the
 * precise clock by a tick, so a file changed after this instant never carries
 * an earlier ctime. */
static void scan_clock(struct timespec *ts)
{
#ifdef CLOCK_REALTIME_COARSE
    if (clock_gettime(CLOCK_REALTIME_COARSE, ts) == 0)
        return;
#endif
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec -= 1; /* no coarse clock: allow for file times a tick behind */
}

/* Changed (created, renamed, written) since the check began: maybe an
 * ingest's master in flight; never reported, never touched. */
static bool is_young(const checker *c, const struct stat *st)
{
    return st->st_ctim.tv_sec > c->start.tv_sec ||
           (st->st_ctim.tv_sec == c->start.tv_sec && st->st_ctim.tv_nsec >= c->start.tv_nsec);
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
            return false;
    return true;
}

/* A stored path must stay inside its folder of the library. */
static bool inside(const char *rel, const char *folder)
{
    size_t n = strlen(folder);
    return strncmp(rel, folder, n) == 0 && rel[n] == '/' && !strstr(rel, "..") &&
           !strstr(rel, "//");
}

/* Move LIBRARY/@rel to LIBRARY/lost+found/@rel (numbered when taken), so that
 * what does not belong is out of the way and nothing is lost. */
static bool move_to_lost_found(checker *c, const char *rel, char *moved, size_t size)
{
    const char *lib = ba_catalog_dir(c->cat);
    char *dest = g_build_filename(lib, BA_DIR_LOST_FOUND, rel, NULL);
    char *dir = g_path_get_dirname(dest);
    char *target = g_strdup(dest);
    struct stat st;
    for (int i = 1; lstat(target, &st) == 0 && i < 10000; i++) {
        g_free(target);
        target = g_strdup_printf("%s.%d", dest, i);
    }
    char *src = g_build_filename(lib, rel, NULL);
    bool ok = g_mkdir_with_parents(dir, 0700) == 0 && lstat(target, &st) != 0 &&
              rename(src, target) == 0;
    if (ok)
        g_strlcpy(moved, target + strlen(lib) + 1, size);
    g_free(src);
    g_free(target);
    g_free(dir);
    g_free(dest);
    return ok;
}

static void on_catalog_problem(const char *msg, void *ud)
{
    report(ud, BA_PROBLEM_CATALOG, 0, "catalog.db", false, "catalog.db: %s", msg);
}

static void on_audit_problem(const char *msg, void *ud)
{
    report(ud, BA_PROBLEM_AUDIT, 0, "catalog.db", false, "catalog.db: %s", msg);
}

/* ---- masters of photos -------------------------------------------------------- */

static int collect_photo(int64_t id, const char *master_sha256, const char *master_problem,
                         void *ud)
{
    photo_ref r = {.id = id};
    g_strlcpy(r.sha, master_sha256, sizeof r.sha);
    g_strlcpy(r.problem, master_problem, sizeof r.problem);
    g_array_append_val(ud, r);
    return 0;
}

static void check_photo(checker *c, const photo_ref *p)
{
    char rel[96];
    ba_path_master(p->sha, rel, sizeof rel);
    g_hash_table_add(c->known, g_strdup(rel));
    char *path = g_build_filename(ba_catalog_dir(c->cat), rel, NULL);
    char *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    const char *problem = NULL;
    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        problem = "missing";
        bool marked = c->repair && ba_catalog_photo_mark_master(c->cat, p->id, problem, NULL) == 0;
        report(c, BA_PROBLEM_MISSING, p->id, rel, marked,
               "%s: master of photo %" G_GINT64_FORMAT " is missing (%s)%s", rel, p->id,
               gerr->message, marked ? "; photo marked" : "");
        g_error_free(gerr);
    } else {
        char sha[65];
        ba_sha256_hex(data, len, sha);
        if (strcmp(sha, p->sha) != 0) {
            problem = "corrupt";
            bool marked =
                c->repair && ba_catalog_photo_mark_master(c->cat, p->id, problem, NULL) == 0;
            report(c, BA_PROBLEM_CORRUPT, p->id, rel, marked,
                   "%s: master of photo %" G_GINT64_FORMAT " is damaged: its bytes hash to %.12s…"
                   "%s",
                   rel, p->id, sha, marked ? "; photo marked" : "");
        }
        char found[160];
        int n = ba_verify_image_metadata((const unsigned char *)data, len, found, sizeof found);
        if (n != 0 && !problem)
            report(c, BA_PROBLEM_METADATA, p->id, rel, false, "%s: %s: %s", rel,
                   n < 0 ? "not a well-formed JPEG" : "carries metadata", found);
        g_free(data);
        /* A master that is whole again loses its mark (repair); a plain
         * check says the mark no longer holds. */
        if (!problem && p->problem[0]) {
            bool cleared =
                c->repair && ba_catalog_photo_mark_master(c->cat, p->id, NULL, NULL) == 0;
            report(c, BA_PROBLEM_CATALOG, p->id, rel, cleared,
                   "%s: photo %" G_GINT64_FORMAT " is marked %s but its master is present and "
                   "whole%s",
                   rel, p->id, p->problem, cleared ? "; mark cleared" : ": the mark no longer holds");
        }
    }
    g_free(path);
}

/* The rows are read first and the files hashed afterwards, so that no read
 * transaction stays open (and no write waits on it) while hashing. */
static int check_photos(checker *c, ba_error *err)
{
    GArray *photos = g_array_new(FALSE, FALSE, sizeof(photo_ref));
    int rc = ba_catalog_master_list(c->cat, collect_photo, photos, err);
    for (guint i = 0; rc == 0 && i < photos->len; i++)
        check_photo(c, &g_array_index(photos, photo_ref, i));
    g_array_free(photos, TRUE);
    return rc;
}

/* ---- everything else under masters/ ------------------------------------------ */

static const char *entry_kind(const struct stat *st)
{
    if (S_ISDIR(st->st_mode))
        return "folder";
    if (S_ISLNK(st->st_mode))
        return "symbolic link";
    return S_ISREG(st->st_mode) ? "file" : "special file";
}

/* Something in masters/ that no master could be: a folder, a link, a file
 * not named <sha256>.jpg under its first two hex digits.  Removing it could
 * lose what someone put there, and leaving it would fail every check to
 * come: --repair moves it to lost+found/ (as fsck does). */
static void foreign(checker *c, const char *rel, const struct stat *st)
{
    char moved[512] = "";
    bool done = c->repair && move_to_lost_found(c, rel, moved, sizeof moved);
    report(c, BA_PROBLEM_FOREIGN, 0, rel, done, "%s: %s in masters/ that is not a master%s%s",
           rel, entry_kind(st), done ? "; moved to " : "", moved);
}

/* A master's name: 64 lower-case hex digits + ".jpg", in the folder named
 * after its first two. */
static bool master_name(const char *sub, const char *name)
{
    return strlen(name) == 68 && is_lower_hex(name, 64) && strcmp(name + 64, ".jpg") == 0 &&
           strncmp(name, sub, 2) == 0;
}

static void scan_subdir(checker *c, const char *sub, const char *subdir)
{
    GDir *d = g_dir_open(subdir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *full = g_build_filename(subdir, name, NULL);
        char *rel = g_build_filename(BA_DIR_MASTERS, sub, name, NULL);
        struct stat st;
        if (lstat(full, &st) != 0 || is_young(c, &st))
            ; /* gone meanwhile, or maybe an ingest's: not ours to judge */
        else if (!S_ISREG(st.st_mode) || !master_name(sub, name))
            foreign(c, rel, &st);
        else if (!g_hash_table_contains(c->known, rel))
            g_ptr_array_add(c->orphans, g_strdup(rel));
        g_free(rel);
        g_free(full);
    }
    if (d)
        g_dir_close(d);
}

/* Walk masters/: foreign entries are dealt with now, orphan candidates are
 * only collected (see recheck_orphans). */
static void scan_masters(checker *c)
{
    char *masters = g_build_filename(ba_catalog_dir(c->cat), BA_DIR_MASTERS, NULL);
    GDir *top = g_dir_open(masters, 0, NULL);
    const char *sub;
    while (top && (sub = g_dir_read_name(top))) {
        char *subdir = g_build_filename(masters, sub, NULL);
        char *rel = g_build_filename(BA_DIR_MASTERS, sub, NULL);
        struct stat st;
        /* A folder's ctime moves with every master placed in it: the age
         * rule applies to what is judged, not to the folders of masters. */
        bool folder = lstat(subdir, &st) == 0 && S_ISDIR(st.st_mode) && strlen(sub) == 2 &&
                      is_lower_hex(sub, 2);
        if (folder)
            scan_subdir(c, sub, subdir);
        else if (lstat(subdir, &st) == 0 && !is_young(c, &st))
            foreign(c, rel, &st);
        g_free(rel);
        g_free(subdir);
    }
    if (top)
        g_dir_close(top);
    g_free(masters);
}

/* Under the write lock, a candidate is an orphan only when no row names it
 * now: an ingest renames its master into place inside its write transaction,
 * so a photo committed since the rows were read is seen here, and one being
 * committed is waited for.  Files are removed only under the lock. */
static int recheck_orphans(ba_catalog *cat, bool locked, void *ud, ba_error *err)
{
    checker *c = ud;
    for (guint i = 0; i < c->orphans->len; i++) {
        const char *rel = g_ptr_array_index(c->orphans, i);
        char sha[BA_SHA_MAX];
        g_strlcpy(sha, rel + strlen(BA_DIR_MASTERS "/ab/"), sizeof sha);
        int named = ba_catalog_master_referenced(cat, sha, err);
        if (named < 0)
            return -1;
        char *full = g_build_filename(ba_catalog_dir(cat), rel, NULL);
        struct stat st;
        if (!named && lstat(full, &st) == 0 && S_ISREG(st.st_mode) && !is_young(c, &st)) {
            bool removed = c->repair && locked && g_unlink(full) == 0;
            report(c, BA_PROBLEM_ORPHAN, 0, rel, removed,
                   "%s: file in masters/ that no photo references%s", rel,
                   removed ? "; removed"
                   : c->repair && !locked ? "; kept: the catalog cannot be locked" : "");
        }
        g_free(full);
    }
    return 0;
}

/* ---- render copies, consent evidence -------------------------------------------- */

/* Read LIBRARY/@rel and hash it; a message on failure (g_free it). */
static char *hash_file(checker *c, const char *rel, char sha[65])
{
    char *full = g_build_filename(ba_catalog_dir(c->cat), rel, NULL);
    char *data = NULL, *why = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (g_file_get_contents(full, &data, &len, &gerr))
        ba_sha256_hex(data, len, sha);
    else
        why = g_strdup(gerr->message);
    if (gerr)
        g_error_free(gerr);
    g_free(data);
    g_free(full);
    return why;
}

/* A render copy is the record of what a comparison showed.  A damaged copy
 * is moved to lost+found/ by --repair: the bytes are kept for whoever looks
 * into it, and the content address is freed, so the next identical
 * comparison stores a good copy there (a copy in place is never replaced). */
static int check_render(const ba_comparison_record *r, void *ud)
{
    checker *c = ud;
    if (!r->render[0] || g_hash_table_contains(c->renders, r->render))
        return 0;
    g_hash_table_add(c->renders, g_strdup(r->render));
    if (!inside(r->render, BA_DIR_RENDERS)) {
        report(c, BA_PROBLEM_RENDER, 0, r->render, false,
               "%s: stored copy of comparison %" G_GINT64_FORMAT " is recorded outside renders/",
               r->render, r->id);
        return 0;
    }
    char sha[65];
    char *why = hash_file(c, r->render, sha);
    if (why) {
        report(c, BA_PROBLEM_RENDER, 0, r->render, false,
               "%s: stored copy of comparison %" G_GINT64_FORMAT " is missing (%s)", r->render,
               r->id, why);
    } else if (strcmp(sha, r->sha256) != 0) {
        char moved[512] = "";
        bool done = c->repair && move_to_lost_found(c, r->render, moved, sizeof moved);
        report(c, BA_PROBLEM_RENDER, 0, r->render, done,
               "%s: stored copy of comparison %" G_GINT64_FORMAT " is damaged: its bytes hash "
               "to %.12s…%s%s", r->render, r->id, sha, done ? "; moved to " : "", moved);
    }
    g_free(why);
    return 0;
}

/* Consent evidence (a signed form) cannot be made again, and a damaged copy
 * is still evidence: it is reported, never moved or removed. */
static int check_evidence(const ba_consent *k, void *ud)
{
    checker *c = ud;
    if (!k->evidence_path[0] && !k->evidence_sha256[0])
        return 0;
    const char *rel = k->evidence_path;
    char sha[65];
    char *why = !inside(rel, BA_DIR_CONSENTS) ? g_strdup("recorded outside consents/")
                                         : hash_file(c, rel, sha);
    if (why)
        report(c, BA_PROBLEM_EVIDENCE, 0, rel, false,
               "%s: evidence of consent %" G_GINT64_FORMAT " (client %s) is missing (%s); "
               "restore it from a backup", rel[0] ? rel : "consents/", k->id, k->client, why);
    else if (strcmp(sha, k->evidence_sha256) != 0)
        report(c, BA_PROBLEM_EVIDENCE, 0, rel, false,
               "%s: evidence of consent %" G_GINT64_FORMAT " (client %s) is damaged: its bytes "
               "hash to %.12s…; restore it from a backup", rel, k->id, k->client, sha);
    g_free(why);
    return 0;
}

/* Exports recorded as pending whose writer is gone: images may sit in their
 * destination with no finished record.  One problem per export, naming its
 * destination and files; --repair marks it interrupted (the record keeps
 * listing the files for take-down) and removes its temporary folder. */
static int on_unfinished_export(const ba_export_record *e, const ba_export_item *items, int n,
                                void *ud)
{
    checker *c = ud;
    GString *files = g_string_new(NULL);
    for (int i = 0; i < n; i++)
        g_string_append_printf(files, "%s ", items[i].file);
    g_string_append(files, "export.json export.json.sig");
    bool repaired = strcmp(e->status, "interrupted") == 0;
    report(c, BA_PROBLEM_PENDING_EXPORT, 0, e->destination, repaired,
           "export %" G_GINT64_FORMAT " (%s) was interrupted before it finished: check %s for "
           "%s and take down what is there%s",
           e->id, e->purpose, e->destination, files->str,
           repaired ? "; marked interrupted (still listed for take-down)" : "");
    g_string_free(files, TRUE);
    return 0;
}

static void on_stale_export_folder(const char *folder, bool removed, void *ud)
{
    report(ud, BA_PROBLEM_STRAY_TMP, 0, folder, removed,
           "%s: temporary folder of an interrupted export%s", folder, removed ? "; removed" : "");
}

static int check_pending_exports(checker *c, ba_error *err)
{
    if (ba_consent_exports_unfinished(c->cat, c->repair, on_unfinished_export, c, NULL, err))
        return -1;
    ba_consent_exports_stale_tmp(c->cat, c->repair, on_stale_export_folder, c);
    return 0;
}

/* ---- tmp/ --------------------------------------------------------------------- */

/* What opening the library already removed (every writer sweeps dead
 * writers' files first): found, and dealt with. */
static void on_swept(const char *name, void *ud)
{
    checker *c = ud;
    char *rel = g_build_filename(BA_DIR_TMP, name, NULL);
    report(c, BA_PROBLEM_STRAY_TMP, 0, rel, true,
           "%s: temporary file left by an interrupted process; removed when the library was "
           "opened", rel);
    g_free(rel);
}

static void check_tmp(checker *c)
{
    ba_library_swept(ba_catalog_dir(c->cat), on_swept, c);
    char *tmp = ba_path_tmp_dir(ba_catalog_dir(c->cat));
    GDir *d = g_dir_open(tmp, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        /* <kind>-<pid>-…: a running process's file is not stale. */
        if (ba_path_tmp_writer_alive(name))
            continue;
        char *rel = g_build_filename(BA_DIR_TMP, name, NULL);
        char *full = g_build_filename(tmp, name, NULL);
        bool removed = c->repair && g_unlink(full) == 0;
        report(c, BA_PROBLEM_STRAY_TMP, 0, rel, removed,
               "%s: temporary file left by an interrupted process%s", rel,
               removed ? "; removed" : "");
        g_free(full);
        g_free(rel);
    }
    if (d)
        g_dir_close(d);
    g_free(tmp);
}

/* ---- private by default ----------------------------------------------------------- */

/* LIBRARY/@rel (a folder or file, never followed through a link) must not be
 * open to the group or others; repair keeps the owner's bits and drops theirs. */
static void check_mode_of(checker *c, const char *full, const char *rel, const struct stat *st)
{
    if (S_ISLNK(st->st_mode) || (st->st_mode & 077) == 0)
        return;
    bool dir = S_ISDIR(st->st_mode);
    bool fixed = c->repair && chmod(full, st->st_mode & 0700) == 0;
    report(c, BA_PROBLEM_MODE, 0, rel, fixed,
           "%s: %s is open to other users (mode %03o; a library is private: %s)%s", rel,
           dir ? "folder" : "file", (unsigned)(st->st_mode & 0777), dir ? "0700" : "0600",
           fixed ? "; tightened" : "");
}

static void check_modes_in(checker *c, const char *full, const char *rel, int depth)
{
    GDir *d = depth < 16 ? g_dir_open(full, 0, NULL) : NULL;
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *f = g_build_filename(full, name, NULL);
        char *r = rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
        struct stat st;
        if (lstat(f, &st) == 0) {
            check_mode_of(c, f, r, &st);
            if (S_ISDIR(st.st_mode))
                check_modes_in(c, f, r, depth + 1);
        }
        g_free(r);
        g_free(f);
    }
    if (d)
        g_dir_close(d);
}

static void check_modes(checker *c)
{
    const char *lib = ba_catalog_dir(c->cat);
    struct stat st;
    if (stat(lib, &st) == 0)
        check_mode_of(c, lib, ".", &st);
    check_modes_in(c, lib, NULL, 0);
}

/* ---- the whole check ------------------------------------------------------------ */

static int check_all(checker *c, ba_error *err)
{
    if (ba_catalog_check(c->cat, on_catalog_problem, c, err) < 0 ||
        ba_catalog_audit_check(c->cat, on_audit_problem, c, err) < 0 || check_photos(c, err))
        return -1;
    scan_masters(c);
    if (c->orphans->len &&
        ba_catalog_with_write_lock(c->cat, recheck_orphans, c, err))
        return -1;
    if (ba_catalog_comparison_list(c->cat, NULL, check_render, c, err) ||
        ba_catalog_consent_list(c->cat, NULL, NULL, check_evidence, c, err))
        return -1;
    if (check_pending_exports(c, err))
        return -1;
    check_tmp(c);
    check_modes(c);
    return 0;
}

int ba_verify_library(ba_catalog *cat, bool repair, ba_problem_fn fn, void *ud,
                      size_t *n_problems, ba_error *err)
{
    checker c = {.cat = cat, .repair = repair, .fn = fn, .ud = ud,
                 .known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                 .orphans = g_ptr_array_new_with_free_func(g_free),
                 .renders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    scan_clock(&c.start);
    int rc = check_all(&c, err);
    if (n_problems)
        *n_problems = c.count;
    g_hash_table_destroy(c.known);
    g_ptr_array_free(c.orphans, TRUE);
    g_hash_table_destroy(c.renders);
    return rc;
}
