/* Unit tests of consents: the policy, de-identification geometry, recording
 * and revoking, the append-only audit log, and export refusals/records. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "testutil.h"
#include "../../src/lib/catalog/writers.h"

/* The library + work folder of each test (testutil.h). */
typedef tu_fixture fixture;
#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

static ba_consent consent(int64_t id, const char *client, const char *scope, const char *granted,
                          const char *expires, const char *revoked, const char *allowed)
{
    ba_consent c;
    memset(&c, 0, sizeof c);
    c.id = id;
    g_strlcpy(c.client, client, sizeof c.client);
    g_strlcpy(c.scope, scope, sizeof c.scope);
    g_strlcpy(c.granted_at, granted, sizeof c.granted_at);
    g_strlcpy(c.expires_at, expires ? expires : "", sizeof c.expires_at);
    g_strlcpy(c.revoked_at, revoked ? revoked : "", sizeof c.revoked_at);
    g_strlcpy(c.allowed_deidentification, allowed ? allowed : "",
              sizeof c.allowed_deidentification);
    return c;
}

/* ---- policy ---------------------------------------------------------------- */

static void test_active_on_date(void **state)
{
    (void)state;
    ba_consent c = consent(1, "C-1", "marketing", "2026-01-10", "2026-06-30", NULL, NULL);
    assert_false(ba_consent_is_active(&c, "2026-01-09"));  /* before the grant */
    assert_true(ba_consent_is_active(&c, "2026-01-10"));   /* the grant day */
    assert_true(ba_consent_is_active(&c, "2026-03-01"));
    assert_true(ba_consent_is_active(&c, "2026-06-30"));   /* the last day */
    assert_false(ba_consent_is_active(&c, "2026-07-01"));  /* expired */
    c.expires_at[0] = '\0';
    assert_true(ba_consent_is_active(&c, "2099-12-31"));   /* no expiry */
    g_strlcpy(c.revoked_at, "2026-03-01T10:00:00Z", sizeof c.revoked_at);
    assert_false(ba_consent_is_active(&c, "2026-03-02"));  /* revoked */
    assert_false(ba_consent_is_active(&c, "2026-02-01"));  /* ... for good */
    assert_false(ba_consent_is_active(NULL, "2026-02-01"));
}

static void test_decide(void **state)
{
    (void)state;
    const char *day = "2026-04-01";
    char why[512];
    int64_t used = -1;

    /* Clinical is implied: no consent at all is needed. */
    assert_int_equal(ba_consent_decide(NULL, 0, "C-1", BA_SCOPE_CLINICAL, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_ALLOWED);
    assert_int_equal(used, 0);

    /* None at all: the reason names the client and the scope. */
    assert_int_equal(ba_consent_decide(NULL, 0, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_NONE);
    assert_non_null(strstr(why, "C-1"));
    assert_non_null(strstr(why, "marketing"));

    /* Wrong scope: education consent, marketing purpose. */
    ba_consent edu = consent(1, "C-1", "education", "2026-01-01", NULL, NULL, NULL);
    assert_int_equal(ba_consent_decide(&edu, 1, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_NONE);
    assert_non_null(strstr(why, "marketing"));
    assert_int_equal(ba_consent_decide(&edu, 1, "C-1", BA_SCOPE_EDUCATION, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_ALLOWED);
    assert_int_equal(used, 1);

    /* Another client's consent does not count. */
    ba_consent other = consent(2, "C-2", "marketing", "2026-01-01", NULL, NULL, NULL);
    assert_int_equal(ba_consent_decide(&other, 1, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_NONE);

    /* Expired, revoked, not yet. */
    ba_consent old = consent(3, "C-1", "marketing", "2025-01-01", "2026-03-31", NULL, NULL);
    assert_int_equal(ba_consent_decide(&old, 1, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_EXPIRED);
    assert_non_null(strstr(why, "expired on 2026-03-31"));
    assert_non_null(strstr(why, "C-1"));
    ba_consent gone = consent(4, "C-1", "marketing", "2026-01-01", NULL, "2026-03-15T08:00:00Z",
                              NULL);
    assert_int_equal(ba_consent_decide(&gone, 1, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_REVOKED);
    assert_non_null(strstr(why, "revoked on 2026-03-15"));
    ba_consent later = consent(5, "C-1", "marketing", "2026-05-01", NULL, NULL, NULL);
    assert_int_equal(ba_consent_decide(&later, 1, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_NOT_YET);

    /* De-identification the consent does not allow. */
    ba_consent eyes = consent(6, "C-1", "marketing", "2026-01-01", NULL, NULL,
                              "eyes,half-letterbox");
    assert_int_equal(ba_consent_decide(&eyes, 1, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_NONE,
                                       &used, why, sizeof why),
                     BA_CONSENT_DEID_NOT_ALLOWED);
    assert_non_null(strstr(why, "'none'"));
    assert_int_equal(ba_consent_decide(&eyes, 1, "C-1", BA_SCOPE_MARKETING, day,
                                       BA_DEID_BLUR_FACE, &used, why, sizeof why),
                     BA_CONSENT_DEID_NOT_ALLOWED);
    assert_int_equal(ba_consent_decide(&eyes, 1, "C-1", BA_SCOPE_MARKETING, day,
                                       BA_DEID_HALF_LETTERBOX, &used, why, sizeof why),
                     BA_CONSENT_ALLOWED);
    assert_int_equal(used, 6);

    /* Among several, the newest active one is used; an old revoked one does not block. */
    ba_consent many[] = {gone, old, consent(7, "C-1", "marketing", "2026-03-20", NULL, NULL, NULL),
                         edu};
    assert_int_equal(ba_consent_decide(many, 4, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_EYES,
                                       &used, why, sizeof why),
                     BA_CONSENT_ALLOWED);
    assert_int_equal(used, 7);
    /* Without it, the newest inactive one explains the refusal. */
    assert_int_equal(ba_consent_decide(many, 2, "C-1", BA_SCOPE_MARKETING, day, BA_DEID_EYES,
                                       &used, why, sizeof why),
                     BA_CONSENT_REVOKED);
    assert_int_equal(used, 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(ba_consent_scope_parse("marketing"), BA_SCOPE_MARKETING);
    assert_int_equal(ba_consent_scope_parse("Marketing"), -1);
    assert_int_equal(ba_consent_scope_parse(NULL), -1);
    assert_string_equal(ba_consent_scope_name(BA_SCOPE_EDUCATION), "education");
    assert_int_equal(ba_consent_deid_parse("half-letterbox"), BA_DEID_HALF_LETTERBOX);
    assert_int_equal(ba_consent_deid_parse("mask"), -1);
    char out[64];
    ba_error err;
    assert_int_equal(ba_consent_deid_list_check(" eyes , blur-face,eyes", out, sizeof out, &err),
                     0);
    assert_string_equal(out, "eyes,blur-face");
    assert_int_equal(ba_consent_deid_list_check("eyes,nose", out, sizeof out, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "nose"));
    assert_int_equal(ba_consent_deid_list_check(" , ", out, sizeof out, &err), -1);
}

/* ---- de-identification geometry -------------------------------------------- */

static void test_deid_regions(void **state)
{
    (void)state;
    ba_redaction r[4];
    int n = -1;
    ba_error err;
    const double eyes[4] = {200, 300, 100, 300}; /* d = 100, either order */
    assert_int_equal(ba_consent_deid_regions(BA_DEID_EYES, eyes, NULL, 640, 480, r, 4, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].mode, BA_REDACT_BAR);
    assert_true(r[0].x == 50 && r[0].y == 270 && r[0].w == 200 && r[0].h == 60);

    assert_int_equal(
        ba_consent_deid_regions(BA_DEID_HALF_LETTERBOX, eyes, NULL, 640, 480, r, 4, &n, &err), 0);
    /* Half the height, centred on the eye line: the pupils are under it. */
    assert_true(r[0].x == 50 && r[0].y == 285 && r[0].w == 200 && r[0].h == 30);

    assert_int_equal(
        ba_consent_deid_regions(BA_DEID_BLUR_FACE, eyes, NULL, 640, 480, r, 4, &n, &err), 0);
    assert_int_equal(r[0].mode, BA_REDACT_BLUR);
    /* 2.6 d wide around x = 150, 1.3 d above y = 300 to 2.1 d below, clipped at 480. */
    assert_true(r[0].x == 20 && r[0].y == 170 && r[0].w == 260 && r[0].h == 310);

    const double face[4] = {10, 20, 30, 40};
    assert_int_equal(
        ba_consent_deid_regions(BA_DEID_BLUR_FACE, eyes, face, 640, 480, r, 4, &n, &err), 0);
    assert_true(r[0].x == 10 && r[0].y == 20 && r[0].w == 30 && r[0].h == 40);

    /* Tilted head: the bar covers both eyes. */
    const double tilted[4] = {100, 100, 180, 160}; /* d = 100 */
    assert_int_equal(ba_consent_deid_regions(BA_DEID_EYES, tilted, NULL, 640, 480, r, 4, &n, &err),
                     0);
    assert_true(r[0].x == 50 && r[0].y == 70 && r[0].w == 180 && r[0].h == 120);

    /* Near an edge: clipped to the photo. */
    const double edge[4] = {10, 10, 60, 10};
    assert_int_equal(ba_consent_deid_regions(BA_DEID_EYES, edge, NULL, 640, 480, r, 4, &n, &err), 0);
    assert_true(r[0].x == 0 && r[0].y == 0 && r[0].w == 85 && r[0].h == 25);

    /* Refusals. */
    assert_int_equal(ba_consent_deid_regions(BA_DEID_EYES, NULL, NULL, 640, 480, r, 4, &n, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_non_null(strstr(err.message, "eye centres"));
    assert_int_equal(err.hint, BA_HINT_GIVE_EYES); /* the CLI says --eyes, not the library */
    assert_null(strstr(err.message, "--"));
    const double outside[4] = {100, 100, 700, 100};
    assert_int_equal(
        ba_consent_deid_regions(BA_DEID_EYES, outside, NULL, 640, 480, r, 4, &n, &err), -1);
    const double same[4] = {100, 100, 101, 101};
    assert_int_equal(ba_consent_deid_regions(BA_DEID_EYES, same, NULL, 640, 480, r, 4, &n, &err), -1);
    const double badface[4] = {700, 10, 30, 40};
    assert_int_equal(
        ba_consent_deid_regions(BA_DEID_BLUR_FACE, NULL, badface, 640, 480, r, 4, &n, &err), -1);
    assert_int_equal(ba_consent_deid_regions(BA_DEID_NONE, NULL, NULL, 640, 480, r, 4, &n, &err), 0);
    assert_int_equal(n, 0);
}

/* ---- recording ------------------------------------------------------------ */

static int64_t count(fixture *f, const char *table)
{
    char *db = g_build_filename(f->dir, "catalog.db", NULL);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    char *sql = g_strdup_printf("SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    g_free(sql);
    g_free(db);
    return n;
}

static int count_consent_files(fixture *f)
{
    char *d = g_build_filename(f->dir, "consents", NULL);
    int n = tu_count_files(d);
    g_free(d);
    return n;
}

static void test_grant_bad_input(void **state)
{
    fixture *f = *state;
    char *pdf = g_build_filename(f->work, "form.pdf", NULL);
    g_file_set_contents(pdf, "%PDF-1.4\n%signed\n%%EOF\n", -1, NULL);
    char *missing = g_build_filename(f->work, "nope.pdf", NULL);
    char *txt = g_build_filename(f->work, "form.txt", NULL);
    g_file_set_contents(txt, "I agree", -1, NULL);
    struct {
        const char *client, *scope, *granted, *expires, *evidence, *allow;
        ba_code code;
        const char *says;
    } bad[] = {
        {"C-9", "marketing", NULL, NULL, pdf, NULL, BA_ERR_NOT_FOUND, "C-9"},
        {"C-1", "advertising", NULL, NULL, pdf, NULL, BA_ERR_USAGE, "advertising"},
        {"C-1", "marketing", "2026-03-01", "2026-02-28", pdf, NULL, BA_ERR_USAGE, "before"},
        {"C-1", "marketing", NULL, NULL, missing, NULL, BA_ERR_NOT_FOUND, "nope.pdf"},
        {"C-1", "marketing", "2026-02-30", NULL, pdf, NULL, BA_ERR_USAGE, "2026-02-30"},
        {"C-1", "marketing", "2999-01-01", NULL, pdf, NULL, BA_ERR_USAGE, "future"},
        {"C-1", "marketing", NULL, NULL, txt, NULL, BA_ERR_FORMAT, "PDF"},
        {"C-1", "marketing", NULL, NULL, pdf, "eyes,mask", BA_ERR_USAGE, "mask"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ba_consent_grant_options o;
        ba_consent_grant_options_init(&o);
        o.client = bad[i].client;
        o.scope = bad[i].scope;
        o.granted = bad[i].granted;
        o.expires = bad[i].expires;
        o.evidence = bad[i].evidence;
        o.allow_deidentify = bad[i].allow;
        ba_error err;
        assert_int_equal(ba_consent_grant(f->cat, &o, NULL, &err), -1);
        if (err.code != bad[i].code || !strstr(err.message, bad[i].says))
            fail_msg("case %zu: got %d '%s'", i, err.code, err.message);
        assert_null(strchr(err.message, '\n'));
    }
    assert_int_equal(count(f, "consents"), 0);
    assert_int_equal(count(f, "audit_log"), 0);
    assert_int_equal(count_consent_files(f), 0);
    char *tmp = g_build_filename(f->dir, "tmp", NULL);
    assert_int_equal(tu_count_files(tmp), 0);
    g_free(tmp);
    g_free(pdf);
    g_free(missing);
    g_free(txt);
}

/* Binary-safe search (g_strstr_len stops at the first NUL byte). */
static bool has_bytes(const unsigned char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return true;
    return false;
}

static void test_grant_evidence(void **state)
{
    fixture *f = *state;
    ba_error err;
    /* A PDF is kept byte for byte. */
    const char *form = "%PDF-1.4\n1 0 obj << /Author (Dr Who) >> endobj\n%%EOF\n";
    char *pdf = g_build_filename(f->work, "form.pdf", NULL);
    g_file_set_contents(pdf, form, -1, NULL);
    ba_consent_grant_options o;
    ba_consent_grant_options_init(&o);
    o.client = "C-1";
    o.scope = "marketing";
    o.granted = "2026-01-05";
    o.expires = "2027-01-04";
    o.evidence = pdf;
    o.allow_deidentify = "half-letterbox, eyes";
    o.note = "signed at\nreception";
    ba_consent c;
    if (ba_consent_grant(f->cat, &o, &c, &err))
        fail_msg("%s", err.message);
    assert_true(c.id > 0);
    assert_string_equal(c.allowed_deidentification, "half-letterbox,eyes");
    assert_string_equal(c.note, "signed at reception");
    assert_string_equal(c.evidence_sha256, c.evidence_original_sha256);
    char *want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, form, -1);
    assert_string_equal(c.evidence_sha256, want);
    char *rel = g_strdup_printf("consents/%s.pdf", want);
    assert_string_equal(c.evidence_path, rel);
    char *stored = g_build_filename(f->dir, rel, NULL);
    size_t len;
    unsigned char *bytes = tu_read(stored, &len);
    assert_int_equal(len, strlen(form));
    assert_memory_equal(bytes, form, len);
    g_free(bytes);

    /* An image is re-encoded without metadata; its name is the stored bytes' hash. */
    VipsImage *scene = tu_scene(200, 150);
    char *jpg = g_build_filename(f->work, "scan.jpg", NULL);
    VipsImage *tagged = NULL;
    assert_int_equal(vips_copy(scene, &tagged, NULL), 0);
    const char xmp[] = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf="
                       "'http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description "
                       "xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:creator>Secret Owner"
                       "</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>";
    vips_image_set_blob_copy(tagged, "xmp-data", xmp, sizeof xmp - 1);
    char *spec = g_strdup_printf("%s[Q=90]", jpg);
    tu_save(tagged, spec);
    size_t in_len;
    unsigned char *in = tu_read(jpg, &in_len);
    assert_true(has_bytes(in, in_len, "Secret Owner"));
    g_free(in);
    o.scope = "education";
    o.evidence = jpg;
    o.allow_deidentify = NULL;
    o.note = NULL;
    ba_consent img;
    if (ba_consent_grant(f->cat, &o, &img, &err))
        fail_msg("%s", err.message);
    assert_true(g_str_has_suffix(img.evidence_path, ".jpg"));
    assert_string_not_equal(img.evidence_sha256, img.evidence_original_sha256);
    char *kept = g_build_filename(f->dir, img.evidence_path, NULL);
    size_t kept_len;
    unsigned char *k = tu_read(kept, &kept_len);
    assert_false(has_bytes(k, kept_len, "Secret"));
    assert_false(has_bytes(k, kept_len, "xmpmeta"));
    assert_false(has_bytes(k, kept_len, "Exif"));
    char *ksha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, k, kept_len);
    assert_string_equal(ksha, img.evidence_sha256);
    assert_non_null(strstr(img.evidence_path, ksha));
    g_free(k);

    /* Both recorded, each with one audit row. */
    assert_int_equal(count(f, "consents"), 2);
    assert_int_equal(count(f, "audit_log"), 2);
    assert_int_equal(count_consent_files(f), 2);
    ba_consent back;
    assert_int_equal(ba_catalog_consent_get(f->cat, c.id, &back, &err), 0);
    assert_string_equal(back.expires_at, "2027-01-04");
    assert_string_equal(back.client, "C-1");

    g_object_unref(scene);
    g_object_unref(tagged);
    g_free(ksha);
    g_free(kept);
    g_free(spec);
    g_free(jpg);
    g_free(stored);
    g_free(rel);
    g_free(want);
    g_free(pdf);
}

typedef struct seen {
    GArray *ids;
} seen;

static int note_export(const ba_export_record *e, const ba_export_item *items, int n, void *ud)
{
    (void)items;
    (void)n;
    g_array_append_val(((seen *)ud)->ids, e->id);
    return 0;
}

static int note_audit(const ba_audit_entry *a, void *ud)
{
    g_ptr_array_add(ud, g_strdup_printf("%s %s %s", a->action, a->result,
                                        a->objects ? a->objects : ""));
    return 0;
}

/* Record an export directly in the catalog (no files), relying on @consent_id. */
static int64_t fake_export(fixture *f, int64_t consent_id, int64_t comparison_id)
{
    ba_error err;
    ba_export_record e = {.purpose = "marketing", .created_at = "2026-04-01T10:00:00Z",
                          .destination = "/srv/web", .deidentification = "eyes",
                          .tool_version = "t", .consent_ids = &consent_id, .n_consents = 1};
    ba_export_item it = {.n = 1, .comparison_id = comparison_id, .file = "x-1.png",
                         .sha256 = "00"};
    ba_audit_entry a = {.action = "export", .client = "C-1", .objects = "o", .result = "ok"};
    if (ba_catalog_export_add(f->cat, &e, &it, 1, &a, 1, NULL, &err))
        fail_msg("%s", err.message);
    return e.id;
}

static int64_t one_comparison(fixture *f)
{
    /* A comparison row needs photos: ingest two small scenes. */
    ba_error err;
    int64_t ids[2];
    for (int i = 0; i < 2; i++) {
        VipsImage *s = tu_scene(160 + 8 * i, 120);
        char *p = g_strdup_printf("%s/p%d.png", f->work, i);
        tu_save(s, p);
        ba_ingest_options o;
        tu_options(&o);
        o.date = i ? "2026-02-01" : "2026-01-01";
        o.stage = i ? "after" : "before";
        ba_ingest_result r;
        if (ba_ingest_file(f->cat, p, &o, &r, &err))
            fail_msg("%s", err.message);
        ids[i] = r.photo_id;
        g_object_unref(s);
        g_free(p);
    }
    ba_compose_options co;
    ba_compose_options_init(&co);
    co.align = false;
    co.labels = BA_LABEL_NONE;
    co.gutter = 0;
    co.width = 320;
    char *out = g_build_filename(f->work, "cmp.png", NULL);
    ba_comparison c;
    if (ba_compose_photos(f->cat, ids, 2, &co, out, &c, &err))
        fail_msg("%s", err.message);
    g_free(out);
    return c.id;
}

static void test_revoke_lists_exports(void **state)
{
    fixture *f = *state;
    ba_error err;
    int64_t cmp = one_comparison(f);
    assert_int_equal(ba_catalog_client_add(f->cat, "C-2", NULL, NULL, &err), 0);
    ba_consent_grant_options o;
    ba_consent_grant_options_init(&o);
    o.client = "C-1";
    o.scope = "marketing";
    ba_consent m1, e1, m2;
    assert_int_equal(ba_consent_grant(f->cat, &o, &m1, &err), 0);
    o.scope = "education";
    assert_int_equal(ba_consent_grant(f->cat, &o, &e1, &err), 0);
    o.client = "C-2";
    o.scope = "marketing";
    assert_int_equal(ba_consent_grant(f->cat, &o, &m2, &err), 0);
    int64_t x1 = fake_export(f, m1.id, cmp);
    fake_export(f, e1.id, cmp);
    int64_t x3 = fake_export(f, m1.id, cmp);
    fake_export(f, m2.id, cmp);

    /* Nothing to take down yet. */
    seen s = {g_array_new(FALSE, FALSE, sizeof(int64_t))};
    assert_int_equal(ba_consent_takedown_list(f->cat, NULL, note_export, &s, &err), 0);
    assert_int_equal(s.ids->len, 0);

    /* Revoking C-1's marketing consent lists exactly the two exports under it. */
    int n = 0;
    assert_int_equal(ba_consent_revoke(f->cat, "C-1", "marketing", note_export, &s, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(s.ids->len, 2);
    assert_int_equal(g_array_index(s.ids, int64_t, 0), x1);
    assert_int_equal(g_array_index(s.ids, int64_t, 1), x3);
    g_array_set_size(s.ids, 0);
    assert_int_equal(ba_consent_takedown_list(f->cat, "C-1", note_export, &s, &err), 0);
    assert_int_equal(s.ids->len, 2);
    g_array_set_size(s.ids, 0);
    assert_int_equal(ba_consent_takedown_list(f->cat, "C-2", note_export, &s, &err), 0);
    assert_int_equal(s.ids->len, 0);

    /* The policy now refuses C-1 marketing, still allows C-1 education. */
    char today[11];
    GDateTime *now = g_date_time_new_now_local();
    char *t = g_date_time_format(now, "%Y-%m-%d");
    g_strlcpy(today, t, sizeof today);
    g_free(t);
    g_date_time_unref(now);
    assert_int_equal(ba_consent_check(f->cat, "C-1", BA_SCOPE_MARKETING, today, BA_DEID_EYES,
                                      NULL, &err),
                     -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "revoked"));
    int64_t used = 0;
    assert_int_equal(ba_consent_check(f->cat, "C-1", BA_SCOPE_EDUCATION, today, BA_DEID_NONE,
                                      &used, &err),
                     0);
    assert_int_equal(used, e1.id);

    /* Revoking again: nothing left to revoke, nothing recorded. */
    int64_t audits = count(f, "audit_log");
    assert_int_equal(ba_consent_revoke(f->cat, "C-1", "marketing", NULL, NULL, &n, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(ba_consent_revoke(f->cat, "C-1", "publicity", NULL, NULL, &n, &err), -1);
    assert_int_equal(err.code, BA_ERR_USAGE);
    assert_int_equal(ba_consent_revoke(f->cat, "C-9", "marketing", NULL, NULL, &n, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(count(f, "audit_log"), audits);

    /* The audit log holds the grants, the exports and the revocation, in order. */
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
    assert_int_equal(ba_catalog_audit_list(f->cat, "C-1", note_audit, rows, &err), 0);
    assert_int_equal(rows->len, 2 + 4 + 1);
    assert_string_equal(g_ptr_array_index(rows, 0), "consent-grant ok consent 1");
    assert_string_equal(g_ptr_array_index(rows, rows->len - 1), "consent-revoke ok consent 1");
    g_ptr_array_free(rows, TRUE);
    g_array_free(s.ids, TRUE);
}

/* ---- append-only ----------------------------------------------------------- */

static void expect_sql_fails(sqlite3 *raw, const char *sql, const char *says)
{
    char *msg = NULL;
    int rc = sqlite3_exec(raw, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        fail_msg("'%s' succeeded", sql);
    if (says && (!msg || !strstr(msg, says)))
        fail_msg("'%s': expected '%s', got '%s'", sql, says, msg ? msg : "");
    sqlite3_free(msg);
}

static void test_append_only(void **state)
{
    fixture *f = *state;
    ba_error err;
    ba_consent_grant_options o;
    ba_consent_grant_options_init(&o);
    o.client = "C-1";
    o.scope = "marketing";
    ba_consent c;
    assert_int_equal(ba_consent_grant(f->cat, &o, &c, &err), 0);
    ba_audit_entry a = {.action = "test", .client = "C-1", .result = "ok", .detail = "x"};
    assert_int_equal(ba_catalog_audit_add(f->cat, &a, &err), 0);
    assert_int_equal(count(f, "audit_log"), 2);

    char *db = g_build_filename(f->dir, "catalog.db", NULL);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    expect_sql_fails(raw, "UPDATE audit_log SET result = 'forged'", "audit_log is append-only");
    expect_sql_fails(raw, "UPDATE audit_log SET detail = NULL WHERE id = 1",
                     "audit_log is append-only");
    expect_sql_fails(raw, "DELETE FROM audit_log", "audit_log is append-only");
    expect_sql_fails(raw, "DELETE FROM audit_log WHERE id = 2", "audit_log is append-only");
    expect_sql_fails(raw, "INSERT OR REPLACE INTO audit_log(id, at, action, result)"
                          " VALUES(1, 'x', 'y', 'z')",
                     "append-only");
    /* Consents are never deleted or rewritten; revoked once, for good. */
    expect_sql_fails(raw, "DELETE FROM consents", "revoke instead");
    expect_sql_fails(raw, "UPDATE consents SET expires_at = '2099-01-01'", "only be revoked");
    expect_sql_fails(raw, "UPDATE consents SET scope = 'education'", "only be revoked");
    assert_int_equal(sqlite3_exec(raw, "UPDATE consents SET revoked_at = '2026-01-01T00:00:00Z'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    expect_sql_fails(raw, "UPDATE consents SET revoked_at = NULL", "revoked, once");
    expect_sql_fails(raw, "UPDATE consents SET revoked_at = '2027-01-01T00:00:00Z'",
                     "revoked, once");
    /* Exports likewise. */
    assert_int_equal(sqlite3_exec(raw, "INSERT INTO exports(purpose, created_at, destination,"
                                       " deidentification, item_count, tool_version)"
                                       " VALUES('marketing','t','/d','none',0,'v')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    expect_sql_fails(raw, "UPDATE exports SET destination = '/elsewhere'", "append-only");
    expect_sql_fails(raw, "DELETE FROM exports", "append-only");
    /* REPLACE deletes without firing DELETE triggers: refused too. */
    expect_sql_fails(raw, "REPLACE INTO exports(id, purpose, created_at, destination,"
                          " deidentification, item_count, tool_version)"
                          " VALUES(1,'clinical','t','/d','none',0,'v')",
                     "append-only");
    expect_sql_fails(raw, "INSERT OR REPLACE INTO consents(id, client_id, scope, granted_at,"
                          " recorded_at) VALUES(1, 1, 'marketing', '2020-01-01', 'x')",
                     "revoke instead");

    sqlite3_close(raw);
    g_free(db);
    assert_int_equal(count(f, "audit_log"), 2);
    assert_int_equal(count(f, "consents"), 1);
}

/* ---- export ------------------------------------------------------------------ */

static void test_export_refused_then_done(void **state)
{
    fixture *f = *state;
    ba_error err;
    int64_t cmp = one_comparison(f);
    char *dest = g_build_filename(f->work, "web", NULL);
    ba_export_options o;
    ba_consent_export_options_init(&o);
    o.comparisons = &cmp;
    o.n_comparisons = 1;
    o.purpose = "marketing";
    o.destination = dest;
    ba_export_result r;

    /* No consent: refused, nothing written (not even the folder), one audit row. */
    assert_int_equal(ba_consent_export(f->cat, &o, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_non_null(strstr(err.message, "C-1"));
    assert_non_null(strstr(err.message, "marketing"));
    assert_false(g_file_test(dest, G_FILE_TEST_EXISTS));
    assert_int_equal(count(f, "audit_log"), 1);
    assert_int_equal(count(f, "exports"), 0);

    /* Education consent, marketing purpose: still refused. */
    ba_consent_grant_options g;
    ba_consent_grant_options_init(&g);
    g.client = "C-1";
    g.scope = "education";
    assert_int_equal(ba_consent_grant(f->cat, &g, NULL, &err), 0);
    assert_int_equal(ba_consent_export(f->cat, &o, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_false(g_file_test(dest, G_FILE_TEST_EXISTS));

    /* Clinical needs no consent; eyes to hide that the detector does not
     * find (no face in these photos) refuse, asking for them. */
    o.purpose = "clinical";
    o.deidentify = "eyes";
    assert_int_equal(ba_consent_export(f->cat, &o, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_REFUSED);
    assert_int_equal(err.hint, BA_HINT_GIVE_EYES);
    assert_false(g_file_test(dest, G_FILE_TEST_EXISTS));
    o.deidentify = NULL;
    o.purpose = "marketing";

    /* Marketing consent allowing only the eye bar: plain export refused, eyes allowed. */
    g.scope = "marketing";
    g.allow_deidentify = "eyes";
    assert_int_equal(ba_consent_grant(f->cat, &g, NULL, &err), 0);
    assert_int_equal(ba_consent_export(f->cat, &o, &r, &err), -1);
    assert_non_null(strstr(err.message, "does not allow"));
    const double eyes[4] = {50, 40, 90, 40};
    o.deidentify = "eyes";
    o.eyes = eyes;
    o.caption = "Individual results vary.";
    if (ba_consent_export(f->cat, &o, &r, &err))
        fail_msg("%s", err.message);
    assert_true(r.export_id > 0);
    assert_int_equal(r.n_items, 1);
    assert_int_equal(tu_count_files(dest), 3); /* <id>-1.png, export.json(.sig); no temp folder */
    char *png = g_strdup_printf("%s/%" G_GINT64_FORMAT "-1.png", dest, r.export_id);
    assert_true(g_file_test(png, G_FILE_TEST_IS_REGULAR));
    char *manifest = g_build_filename(dest, "export.json", NULL);
    size_t len;
    char *text = (char *)tu_read(manifest, &len);
    assert_null(strstr(text, "C-1"));
    assert_null(strstr(text, "Test Client"));
    assert_null(strstr(text, "p0.png"));
    /* Capture dates are part of the provenance the manifest signs (issue 13). */
    assert_non_null(strstr(text, "\"captured_at\""));
    assert_non_null(strstr(text, "\"redact\""));
    assert_non_null(strstr(text, "Individual results vary."));
    assert_non_null(strstr(text, ba_version()));
    g_free(text);
    assert_int_equal(count(f, "exports"), 1);
    assert_int_equal(count(f, "export_items"), 1);
    assert_int_equal(count(f, "export_consents"), 1);

    /* The same folder again: refused (never overwrite), nothing recorded. */
    int64_t audits = count(f, "audit_log");
    assert_int_equal(ba_consent_export(f->cat, &o, &r, &err), -1);
    assert_int_equal(err.code, BA_ERR_EXISTS);
    assert_int_equal(count(f, "exports"), 1);
    assert_int_equal(count(f, "audit_log"), audits);
    assert_int_equal(tu_count_files(dest), 3);

    g_free(manifest);
    g_free(png);
    g_free(dest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_active_on_date),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_deid_regions),
        cmocka_unit_test_setup_teardown(test_grant_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_evidence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_lists_exports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_refused_then_done, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
