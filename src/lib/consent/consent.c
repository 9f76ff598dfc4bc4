/* Recording, revoking and listing consents; the evidence file kept with them. */
#include "beforeafter/consent.h"
#include "common/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "catalog/writers.h"
#include "compose/output.h"
#include "ingest/load.h"
#include "library/clock.h"
#include "library/errors.h"
#include "library/paths.h"
#include "library/place.h"

/* JPEG quality of re-encoded JPEG evidence: a scan must stay legible. */
#define EVIDENCE_JPEG_QUALITY 95

void ba_consent_grant_options_init(ba_consent_grant_options *o)
{
    memset(o, 0, sizeof *o);
}

/* ---- evidence ------------------------------------------------------------ */

typedef enum { EV_UNKNOWN, EV_PDF, EV_JPEG, EV_IMAGE } evidence_kind;

/* What the file is, by its first bytes (never by its name). */
static evidence_kind sniff(const unsigned char *b, size_t n)
{
    if (n >= 5 && memcmp(b, "%PDF-", 5) == 0)
        return EV_PDF;
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return EV_JPEG;
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return EV_IMAGE;
    if (n >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0))
        return EV_IMAGE;
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return EV_IMAGE;
    if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0)
        return EV_IMAGE; /* HEIF/HEIC/AVIF: the loader decides */
    return EV_UNKNOWN;
}

static int io_error(ba_error *err, const char *path, const char *what, int e)
{
    return ba_errno_set(err, e, "%s: %s", path, what);
}

/* Stream @path through SHA-256, optionally copying it to @copy. */
static int hash_file(const char *path, ba_place_file *copy, char sha[BA_SHA_MAX], ba_error *err)
{
    int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return io_error(err, path, "cannot read the evidence file", errno);
    ba_sha256 *ck = ba_sha256_new();
    unsigned char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = io_error(err, path, "cannot read the evidence file", errno);
            break;
        }
        if (got == 0)
            break;
        ba_sha256_update(ck, buf, (size_t)got);
        int e = copy ? ba_place_write(copy, buf, (size_t)got) : 0;
        if (e) {
            rc = io_error(err, "consents", "cannot copy the evidence file", e);
            break;
        }
    }
    close(fd);
    char hex[65];
    ba_sha256_finish(ck, hex);
    if (rc == 0)
        g_strlcpy(sha, hex, BA_SHA_MAX);
    return rc;
}

/* A stored evidence file: where it went and whether this call created it. */
typedef struct stored_evidence {
    char *path;   /* absolute */
    bool created; /* remove on failure */
} stored_evidence;

/* Move @tmp to LIBRARY/consents/<sha>.<ext> (kept when already there). */
static int place(ba_catalog *cat, const char *tmp, const char *sha, const char *ext,
                 ba_consent *c, stored_evidence *st, ba_error *err)
{
    char *dir = g_build_filename(ba_catalog_dir(cat), BA_DIR_CONSENTS, NULL);
    int rc = -1;
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        io_error(err, dir, "cannot create", errno);
        goto out;
    }
    ba_path_consent(sha, ext, c->evidence_path, sizeof c->evidence_path);
    g_strlcpy(c->evidence_sha256, sha, sizeof c->evidence_sha256);
    st->path = g_build_filename(ba_catalog_dir(cat), c->evidence_path, NULL);
    /* Content-addressed: a file of that name already holds these bytes. */
    int e = ba_place_move(tmp, st->path, BA_PLACE_KEEP_EXISTING, &st->created, NULL);
    if (e) {
        io_error(err, st->path, "cannot store the evidence file", e);
        goto out;
    }
    rc = 0;
out:
    g_free(dir);
    return rc;
}

/* A name for the evidence in LIBRARY/tmp (consent-<pid>-XXXXXX.<ext>),
 * reserved by creating the file; NULL with @err set when that fails. */
static char *tmp_name(ba_catalog *cat, const char *ext, ba_error *err)
{
    char *dir = ba_path_tmp_dir(ba_catalog_dir(cat));
    char *suffix = g_strdup_printf(".%s", ext);
    char *path = ba_path_tmp_template(dir, "consent", suffix);
    g_free(suffix);
    int fd = g_mkstemp_full(path, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        io_error(err, dir, "cannot create", errno);
        g_free(path);
        path = NULL;
    } else {
        close(fd);
    }
    g_free(dir);
    return path;
}

/* Copy a PDF byte for byte (its signature must stay valid). */
static int store_pdf(ba_catalog *cat, const char *path, ba_consent *c, stored_evidence *st,
                     ba_error *err)
{
    char *dir = ba_path_tmp_dir(ba_catalog_dir(cat));
    ba_place_file copy;
    int e = ba_place_open_in(&copy, dir, "consent", ".pdf", 0600, false, NULL);
    if (e)
        io_error(err, dir, "cannot create", e);
    g_free(dir);
    char sha[BA_SHA_MAX];
    int rc = e ? -1 : hash_file(path, &copy, sha, err);
    if (rc == 0 && (e = ba_place_finish(&copy, NULL)) != 0)
        rc = io_error(err, copy.tmp_path, "cannot write", e);
    if (rc == 0) {
        g_strlcpy(c->evidence_original_sha256, sha, sizeof c->evidence_original_sha256);
        rc = place(cat, copy.tmp_path, sha, "pdf", c, st, err);
        if (rc == 0) {
            g_free(copy.tmp_path); /* placed (or the same bytes were kept) */
            copy.tmp_path = NULL;
        }
    }
    ba_place_discard(&copy);
    return rc;
}

/* Decode with ingest's checks and re-encode with no metadata at all. */
static int store_image(ba_catalog *cat, const char *path, bool jpeg, ba_consent *c,
                       stored_evidence *st, ba_error *err)
{
    if (hash_file(path, NULL, c->evidence_original_sha256, err))
        return -1;
    VipsImage *img = NULL;
    if (ba_ingest_load(path, 0, &img, NULL, err))
        return -1;
    const char *ext = jpeg ? "jpg" : "png";
    char *tmp = tmp_name(cat, ext, err);
    if (!tmp) {
        g_object_unref(img);
        return -1;
    }
    char sha[BA_SHA_MAX];
    int rc = ba_output_write(img, tmp, jpeg ? BA_OUT_JPEG : BA_OUT_PNG, EVIDENCE_JPEG_QUALITY,
                             sha, err);
    g_object_unref(img);
    if (rc == 0)
        rc = place(cat, tmp, sha, ext, c, st, err);
    if (rc) {
        g_unlink(tmp);
        /* Name the evidence file, not our temporary one. */
        if (err && g_str_has_prefix(err->message, tmp)) {
            char *why = g_strdup(err->message + strlen(tmp));
            ba_error_set(err, err->code, "%s: evidence image cannot be stored%s", path, why);
            g_free(why);
        }
    }
    g_free(tmp);
    return rc;
}

static int store_evidence(ba_catalog *cat, const char *path, ba_consent *c, stored_evidence *st,
                          ba_error *err)
{
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "%s: evidence file does not exist", path);
        return -1;
    }
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        ba_error_set(err, BA_ERR_USAGE, "%s: evidence is not a regular file", path);
        return -1;
    }
    unsigned char head[16] = {0};
    size_t n = 0;
    FILE *f = g_fopen(path, "rb");
    if (!f)
        return io_error(err, path, "cannot read the evidence file", errno);
    n = fread(head, 1, sizeof head, f);
    fclose(f);
    switch (sniff(head, n)) {
    case EV_PDF:
        return store_pdf(cat, path, c, st, err);
    case EV_JPEG:
        return store_image(cat, path, true, c, st, err);
    case EV_IMAGE:
        return store_image(cat, path, false, c, st, err);
    default:
        ba_error_set(err, BA_ERR_FORMAT,
                     "%s: evidence must be a PDF or an image (JPEG, PNG, HEIF, TIFF, WebP)",
                     path);
        return -1;
    }
}

/* ---- grant, revoke, list ----------------------------------------------- */

static int check_grant(ba_catalog *cat, const ba_consent_grant_options *o, ba_consent *c,
                       ba_error *err)
{
    if (!o || !o->client || !*o->client) {
        ba_error_set(err, BA_ERR_USAGE, "no client given");
        return -1;
    }
    g_strlcpy(c->client, o->client, sizeof c->client);
    int scope = ba_consent_scope_parse(o->scope);
    if (scope < 0) {
        ba_error_set(err, BA_ERR_USAGE,
                     "unknown consent scope '%s' (clinical, education, marketing)",
                     o->scope ? o->scope : "");
        return -1;
    }
    g_strlcpy(c->scope, o->scope, sizeof c->scope);
    char today[BA_DATE_MAX];
    ba_catalog_today(cat, today);
    if (o->granted) {
        if (ba_date_check(o->granted, err))
            return -1;
        if (strcmp(o->granted, today) > 0) {
            ba_error_set(err, BA_ERR_USAGE,
                         "grant date %s is in the future (today is %s); record a consent "
                         "when it is given",
                         o->granted, today);
            return -1;
        }
    }
    g_strlcpy(c->granted_at, o->granted ? o->granted : today, sizeof c->granted_at);
    if (o->expires) {
        if (ba_date_check(o->expires, err))
            return -1;
        if (strcmp(o->expires, c->granted_at) < 0) {
            ba_error_set(err, BA_ERR_USAGE, "expiry date %s is before the grant date %s",
                         o->expires, c->granted_at);
            return -1;
        }
        g_strlcpy(c->expires_at, o->expires, sizeof c->expires_at);
    }
    if (o->allow_deidentify &&
        ba_consent_deid_list_check(o->allow_deidentify, c->allowed_deidentification,
                                   sizeof c->allowed_deidentification, err))
        return -1;
    if (o->note) {
        if (strlen(o->note) >= sizeof c->note || !g_utf8_validate(o->note, -1, NULL)) {
            ba_error_set(err, BA_ERR_USAGE, "note must be UTF-8 and under %d bytes",
                         (int)sizeof c->note);
            return -1;
        }
        g_strlcpy(c->note, o->note, sizeof c->note);
        for (char *p = c->note; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = ' ';
    }
    return 0;
}

int ba_consent_grant(ba_catalog *cat, const ba_consent_grant_options *o, ba_consent *out,
                     ba_error *err)
{
    ba_consent c;
    memset(&c, 0, sizeof c);
    if (check_grant(cat, o, &c, err))
        return -1;
    ba_client client;
    if (ba_catalog_client_get(cat, c.client, &client, err))
        return -1;
    stored_evidence st = {0};
    if (o->evidence && store_evidence(cat, o->evidence, &c, &st, err)) {
        g_free(st.path);
        return -1;
    }
    char *detail = g_strdup_printf(
        "granted %s%s%s; evidence %s; allows %s", c.granted_at,
        c.expires_at[0] ? ", expires " : ", no expiry", c.expires_at,
        c.evidence_sha256[0] ? c.evidence_path : "none",
        c.allowed_deidentification[0] ? c.allowed_deidentification : "any de-identification");
    ba_audit_entry a = {.action = "consent-grant", .client = c.client, .purpose = c.scope,
                        .result = "ok", .detail = detail};
    int rc = ba_catalog_consent_add(cat, &c, &a, err);
    g_free(detail);
    if (rc && st.created)
        g_unlink(st.path);
    g_free(st.path);
    if (rc == 0 && out)
        *out = c;
    return rc;
}

static int collect_open(const ba_consent *c, void *ud)
{
    if (!c->revoked_at[0])
        g_array_append_val((GArray *)ud, c->id);
    return 0;
}

typedef struct takedown_ids {
    GArray *ids;
    GHashTable *seen;
} takedown_ids;

static int collect_export(const ba_export_record *e, const ba_export_item *items, int n,
                          void *ud)
{
    (void)items;
    (void)n;
    takedown_ids *t = ud;
    if (g_hash_table_add(t->seen, g_memdup2(&e->id, sizeof e->id)))
        g_array_append_val(t->ids, e->id);
    return 0;
}

static gint cmp_id(gconstpointer a, gconstpointer b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Call @fn once for every export that relied on one of the consents @ids. */
static int each_export_of(ba_catalog *cat, const GArray *ids, ba_export_fn fn, void *ud,
                          ba_error *err)
{
    takedown_ids t = {g_array_new(FALSE, FALSE, sizeof(int64_t)),
                      g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL)};
    int rc = 0;
    for (guint i = 0; rc == 0 && i < ids->len; i++) {
        ba_export_filter f = {.consent_id = g_array_index(ids, int64_t, i)};
        rc = ba_catalog_export_list(cat, &f, collect_export, &t, err);
    }
    g_array_sort(t.ids, cmp_id);
    for (guint i = 0; rc == 0 && fn && i < t.ids->len; i++) {
        ba_export_filter f = {.export_id = g_array_index(t.ids, int64_t, i)};
        rc = ba_catalog_export_list(cat, &f, fn, ud, err);
    }
    g_array_free(t.ids, TRUE);
    g_hash_table_destroy(t.seen);
    return rc;
}

int ba_consent_revoke(ba_catalog *cat, const char *client, const char *scope,
                      ba_export_fn takedown, void *ud, int *n_revoked, ba_error *err)
{
    if (n_revoked)
        *n_revoked = 0;
    if (ba_consent_scope_parse(scope) < 0) {
        ba_error_set(err, BA_ERR_USAGE,
                     "unknown consent scope '%s' (clinical, education, marketing)",
                     scope ? scope : "");
        return -1;
    }
    ba_client cl;
    if (ba_catalog_client_get(cat, client, &cl, err))
        return -1;
    GArray *open = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GString *objects = g_string_new("consent ");
    int rc = -1;
    if (ba_catalog_consent_list(cat, client, scope, collect_open, open, err))
        goto out;
    if (open->len == 0) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "client %s has no %s consent to revoke", client,
                     scope);
        goto out;
    }
    for (guint i = 0; i < open->len; i++)
        g_string_append_printf(objects, "%s%" G_GINT64_FORMAT, i ? "," : "",
                               g_array_index(open, int64_t, i));
    char now[BA_STAMP_MAX];
    ba_clock_utc_stamp(now, sizeof now);
    /* The catalog lists the exports to take down under the revocation's own
     * write lock: an export that is being recorded either is in that list or
     * decides consent again after the revocation and is refused. */
    ba_audit_entry a = {.action = "consent-revoke", .client = client, .objects = objects->str,
                        .purpose = scope, .result = "ok", .detail = NULL};
    if (ba_catalog_consent_revoke(cat, (const int64_t *)open->data, (int)open->len, now, &a,
                                  n_revoked, err))
        goto out;
    rc = takedown ? each_export_of(cat, open, takedown, ud, err) : 0;
out:
    g_array_free(open, TRUE);
    g_string_free(objects, TRUE);
    return rc;
}

int ba_consent_list(ba_catalog *cat, const char *client, ba_consent_fn fn, void *ud,
                    ba_error *err)
{
    ba_client cl;
    if (client && ba_catalog_client_get(cat, client, &cl, err))
        return -1;
    return ba_catalog_consent_list(cat, client, NULL, fn, ud, err);
}

int ba_consent_takedown_list(ba_catalog *cat, const char *client, ba_export_fn fn, void *ud,
                             ba_error *err)
{
    ba_client cl;
    if (client && ba_catalog_client_get(cat, client, &cl, err))
        return -1;
    ba_export_filter f = {.client = client, .revoked_only = true};
    return ba_catalog_export_list(cat, &f, fn, ud, err);
}
