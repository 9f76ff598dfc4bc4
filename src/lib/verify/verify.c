/* verify: the library's files and its catalog agree, and nothing leaks. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "beforeafter/ingest.h"
#include "beforeafter/verify.h"
#include "common/sha256.h"

typedef struct checker {
    ba_catalog *cat;
    bool repair;
    ba_problem_fn fn;
    void *ud;
    size_t count;
    GHashTable *known; /* relative master paths referenced by photos */
} checker;

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

static void on_catalog_problem(const char *msg, void *ud)
{
    report(ud, BA_PROBLEM_CATALOG, 0, "catalog.db", false, "catalog.db: %s", msg);
}

static int check_photo(int64_t id, const char *master_sha256, const char *master_problem,
                       void *ud)
{
    checker *c = ud;
    /* The fields this check uses, as a photo would hold them. */
    struct {
        int64_t id;
        const char *master_sha256;
        const char *master_problem;
    } photo = {id, master_sha256, master_problem}, *p = &photo;
    char rel[96];
    ba_catalog_master_relpath(p->master_sha256, rel, sizeof rel);
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
        if (strcmp(sha, p->master_sha256) != 0) {
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
        /* A master that is whole again loses its mark. */
        if (!problem && p->master_problem[0] && c->repair)
            ba_catalog_photo_mark_master(c->cat, p->id, NULL, NULL);
    }
    g_free(path);
    return 0;
}

/* Files under masters/ that no photo references. */
static void check_orphans(checker *c)
{
    char *masters = g_build_filename(ba_catalog_dir(c->cat), "masters", NULL);
    GDir *top = g_dir_open(masters, 0, NULL);
    const char *sub;
    while (top && (sub = g_dir_read_name(top))) {
        char *subdir = g_build_filename(masters, sub, NULL);
        GDir *d = g_dir_open(subdir, 0, NULL);
        const char *name;
        if (!d) {
            char *rel = g_build_filename("masters", sub, NULL);
            bool removed = c->repair && g_unlink(subdir) == 0;
            report(c, BA_PROBLEM_ORPHAN, 0, rel, removed, "%s: stray file in masters/%s", rel,
                   removed ? "; removed" : "");
            g_free(rel);
        }
        while (d && (name = g_dir_read_name(d))) {
            char *rel = g_build_filename("masters", sub, name, NULL);
            if (!g_hash_table_contains(c->known, rel)) {
                char *full = g_build_filename(subdir, name, NULL);
                bool removed = c->repair && g_unlink(full) == 0;
                report(c, BA_PROBLEM_ORPHAN, 0, rel, removed,
                       "%s: file in masters/ that no photo references%s", rel,
                       removed ? "; removed" : "");
                g_free(full);
            }
            g_free(rel);
        }
        if (d)
            g_dir_close(d);
        g_free(subdir);
    }
    if (top)
        g_dir_close(top);
    g_free(masters);
}

static void check_tmp(checker *c)
{
    char *tmp = g_build_filename(ba_catalog_dir(c->cat), "tmp", NULL);
    GDir *d = g_dir_open(tmp, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        int pid = 0;
        if (sscanf(name, "ingest-%d-", &pid) == 1 && pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
            continue; /* a running ingest's file */
        char *rel = g_build_filename("tmp", name, NULL);
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

int ba_verify_library(ba_catalog *cat, bool repair, ba_problem_fn fn, void *ud,
                      size_t *n_problems, ba_error *err)
{
    checker c = {.cat = cat, .repair = repair, .fn = fn, .ud = ud,
                 .known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    int rc = -1;
    if (ba_catalog_check(cat, on_catalog_problem, &c, err) < 0)
        goto out;
    if (ba_catalog_master_list(cat, check_photo, &c, err))
        goto out;
    check_orphans(&c);
    check_tmp(&c);
    rc = 0;
out:
    if (n_problems)
        *n_problems = c.count;
    g_hash_table_destroy(c.known);
    return rc;
}
