/* Unit tests of signed provenance: the library's export key (made once, 0600,
 * never replaced, one key when threads race to make it) and
 * ba_consent_export_verify() on folders built here, signed with that key. */
#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

typedef tu_fixture fixture;
#define setup tu_fixture_setup
#define teardown tu_fixture_teardown

static char *key_path(const fixture *f, const char *name)
{
    return g_build_filename(f->dir, "keys", name, NULL);
}

static int mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (int)(st.st_mode & 0777);
}

static int audit_rows(const fixture *f, const char *action)
{
    char *db = g_build_filename(f->dir, "catalog.db", NULL);
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *sql = sqlite3_mprintf("SELECT count(*) FROM audit_log WHERE action=%Q", action);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_free(sql);
    sqlite3_close(h);
    g_free(db);
    return n;
}

static void test_key_made_once(void **state)
{
    fixture *f = *state;
    ba_export_key k, again, read;
    ba_error err;
    assert_int_equal(ba_consent_export_key(f->cat, false, &k, &err), -1);
    assert_int_equal(err.code, BA_ERR_NOT_FOUND);
    assert_int_equal(ba_consent_export_key(f->cat, true, &k, &err), 0);
    assert_true(k.created);
    assert_int_equal(strlen(k.fingerprint), 64);
    assert_int_equal(strlen(k.public_key_base64), 44);
    char *sk = key_path(f, "export-ed25519.key"), *pk = key_path(f, "export-ed25519.pub");
    char *dir = g_build_filename(f->dir, "keys", NULL);
    assert_int_equal(mode_of(sk), 0600);
    assert_int_equal(mode_of(pk), 0600);
    assert_int_equal(mode_of(dir), 0700);
    size_t len1, len2;
    unsigned char *b1 = tu_read(sk, &len1);
    assert_int_equal(ba_consent_export_key(f->cat, true, &again, &err), 0);
    assert_false(again.created);
    assert_memory_equal(k.public_key, again.public_key, BA_EXPORT_KEY_BYTES);
    unsigned char *b2 = tu_read(sk, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(b1, b2, len1); /* never replaced */
    /* Without a catalog, as export verify --library reads it. */
    assert_int_equal(ba_consent_export_key_read(f->dir, &read, &err), 0);
    assert_string_equal(read.fingerprint, k.fingerprint);
    assert_int_equal(audit_rows(f, "export-key"), 1);
    free(b1);
    free(b2);
    g_free(dir);
    g_free(sk);
    g_free(pk);
}

/* ---- racing to make it ------------------------------------------------------ */

#define RACERS 6

typedef struct racer {
    const char *dir;
    GMutex *lock;
    GCond *go;
    int *waiting;
    ba_export_key key;
    int rc;
} racer;

static gpointer race(gpointer p)
{
    racer *r = p;
    ba_error err;
    ba_catalog *cat = ba_catalog_open(r->dir, &err);
    assert_non_null(cat);
    g_mutex_lock(r->lock);
    if (--*r->waiting == 0)
        g_cond_broadcast(r->go);
    while (*r->waiting > 0)
        g_cond_wait(r->go, r->lock);
    g_mutex_unlock(r->lock);
    r->rc = ba_consent_export_key(cat, true, &r->key, &err);
    ba_catalog_close(cat);
    return NULL;
}

static void test_racers_end_with_one_key(void **state)
{
    fixture *f = *state;
    GMutex lock;
    GCond go;
    g_mutex_init(&lock);
    g_cond_init(&go);
    int waiting = RACERS;
    racer r[RACERS];
    GThread *t[RACERS];
    for (int i = 0; i < RACERS; i++) {
        r[i] = (racer){.dir = f->dir, .lock = &lock, .go = &go, .waiting = &waiting};
        t[i] = g_thread_new("racer", race, &r[i]);
    }
    int created = 0;
    for (int i = 0; i < RACERS; i++) {
        g_thread_join(t[i]);
        assert_int_equal(r[i].rc, 0);
        assert_string_equal(r[i].key.fingerprint, r[0].key.fingerprint);
        created += r[i].key.created;
    }
    assert_int_equal(created, 1);
    assert_int_equal(audit_rows(f, "export-key"), 1);
    ba_export_key now;
    ba_error err;
    assert_int_equal(ba_consent_export_key_read(f->dir, &now, &err), 0);
    assert_string_equal(now.fingerprint, r[0].key.fingerprint);
    /* Nothing left in tmp/ by the losers. */
    char *tmp = g_build_filename(f->dir, "tmp", NULL);
    assert_int_equal(tu_count_files(tmp), 0);
    g_free(tmp);
    g_cond_clear(&go);
    g_mutex_clear(&lock);
}

static void test_damaged_key_refused(void **state)
{
    fixture *f = *state;
    ba_export_key k;
    ba_error err;
    assert_int_equal(ba_consent_export_key(f->cat, true, &k, &err), 0);
    char *sk = key_path(f, "export-ed25519.key");
    assert_true(g_file_set_contents(sk, "bm90IGEga2V5\n", -1, NULL));
    assert_int_equal(ba_consent_export_key(f->cat, true, &k, &err), -1);
    assert_int_equal(err.code, BA_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "export-ed25519.key"));
    assert_int_equal(ba_consent_export_key_read(f->dir, &k, &err), -1);
    g_free(sk);
}

/* ---- verifying a folder --------------------------------------------------- */

/* The library's secret key, as the export reads it. */
static void secret_key(const fixture *f, unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
    char *p = key_path(f, "export-ed25519.key");
    char *text = NULL;
    assert_true(g_file_get_contents(p, &text, NULL, NULL));
    gsize n = 0;
    guchar *raw = g_base64_decode(g_strstrip(text), &n);
    assert_int_equal(n, crypto_sign_SECRETKEYBYTES);
    memcpy(sk, raw, n);
    g_free(raw);
    g_free(text);
    g_free(p);
}

static void put(const char *dir, const char *name, const void *data, gssize len)
{
    char *p = g_build_filename(dir, name, NULL);
    assert_true(g_file_set_contents(p, data, len, NULL));
    g_free(p);
}

/* DIR/export.json naming the public key @pk64 and listing one image @file
 * (@sha, @bytes), and DIR/export.json.sig signed with @sk. */
static void sign_manifest(const char *dir, const char *pk64, const unsigned char *sk,
                          const char *file, const char *sha, int bytes)
{
    char *manifest = g_strdup_printf(
        "{\"format\":\"beforeafter-export\",\"export_id\":7,\"signature\":{\"algorithm\":"
        "\"Ed25519\",\"public_key\":\"%s\"},\"images\":[{\"file\":\"%s\",\"sha256\":\"%s\","
        "\"bytes\":%d}]}\n",
        pk64, file, sha, bytes);
    put(dir, "export.json", manifest, -1);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)manifest, strlen(manifest), sk);
    char *b64 = g_base64_encode(sig, sizeof sig);
    put(dir, "export.json.sig", b64, -1);
    g_free(b64);
    g_free(manifest);
}

/* DIR/7-1.png ("pixels"), export.json listing it, export.json.sig. */
static char *signed_folder(fixture *f, ba_export_key *k)
{
    ba_error err;
    assert_int_equal(ba_consent_export_key(f->cat, true, k, &err), 0);
    char *dir = g_build_filename(f->work, "export", NULL);
    assert_int_equal(g_mkdir(dir, 0755), 0);
    put(dir, "7-1.png", "pixels", 6);
    char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "pixels", 6);
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    secret_key(f, sk);
    sign_manifest(dir, k->public_key_base64, sk, "7-1.png", sha, 6);
    g_free(sha);
    return dir;
}

static void expect_failure(const char *dir, const unsigned char *pk, const char *words)
{
    ba_error err;
    ba_export_verify_result r;
    assert_int_equal(ba_consent_export_verify(dir, pk, &r, &err), -1);
    if (!strstr(err.message, words))
        fail_msg("expected '%s' in '%s'", words, err.message);
}

static void test_verify_good_and_tampered(void **state)
{
    fixture *f = *state;
    ba_export_key k;
    char *dir = signed_folder(f, &k);
    ba_export_verify_result r;
    ba_error err;
    assert_int_equal(ba_consent_export_verify(dir, NULL, &r, &err), 0);
    assert_int_equal(r.export_id, 7);
    assert_int_equal(r.n_images, 1);
    assert_true(r.signature_ok);
    assert_false(r.library_key);
    assert_string_equal(r.fingerprint, k.fingerprint);
    assert_int_equal(ba_consent_export_verify(dir, k.public_key, &r, &err), 0);
    assert_true(r.library_key);

    /* Another key required: refused before anything else. */
    unsigned char other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(other_pk, other_sk);
    expect_failure(dir, other_pk, "export 7: signed with key");

    /* Same size, other bytes; then another size. */
    put(dir, "7-1.png", "pixelz", 6);
    expect_failure(dir, NULL, "export 7: 7-1.png does not match the manifest (sha256");
    put(dir, "7-1.png", "pixels!", 7);
    expect_failure(dir, NULL, "7-1.png does not match the manifest (7 bytes, listed 6)");
    put(dir, "7-1.png", "pixels", 6);
    assert_int_equal(ba_consent_export_verify(dir, NULL, &r, &err), 0);

    /* An extra file, then the image gone. */
    put(dir, "7-2.png", "more", 4);
    expect_failure(dir, NULL, "7-2.png is in the folder but not in the manifest");
    char *extra = g_build_filename(dir, "7-2.png", NULL), *img = g_build_filename(dir, "7-1.png", NULL);
    g_unlink(extra);
    g_unlink(img);
    expect_failure(dir, NULL, "export 7: 7-1.png is missing");
    put(dir, "7-1.png", "pixels", 6);

    /* One byte of the manifest, or of the signature. */
    char *m = g_build_filename(dir, "export.json", NULL), *text = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(m, &text, &len, NULL));
    char *digit = strstr(text, "\"export_id\":7") + strlen("\"export_id\":");
    *digit = '8'; /* still JSON, one byte changed */
    put(dir, "export.json", text, (gssize)len);
    expect_failure(dir, NULL, "export 8: export.json does not match its signature");
    *digit = '7';
    put(dir, "export.json", text, (gssize)len);
    assert_int_equal(ba_consent_export_verify(dir, NULL, &r, &err), 0);
    put(dir, "export.json.sig", "AAAA", 4);
    expect_failure(dir, NULL, "does not match its signature");
    g_free(text);
    g_free(m);
    g_free(img);
    g_free(extra);
    tu_rmtree(dir);
    g_free(dir);
}

/* A manifest re-signed by someone else with their own key inside is
 * consistent alone; only the library's key tells it is not the library's. */
static void test_resigned_manifest(void **state)
{
    fixture *f = *state;
    ba_export_key k;
    char *dir = signed_folder(f, &k);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    char *pk64 = g_base64_encode(pk, sizeof pk);
    put(dir, "7-1.png", "forged", 6);
    char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "forged", 6);
    sign_manifest(dir, pk64, sk, "7-1.png", sha, 6);
    ba_export_verify_result r;
    ba_error err;
    assert_int_equal(ba_consent_export_verify(dir, NULL, &r, &err), 0);
    expect_failure(dir, k.public_key, "not the library's own");
    g_free(sha);
    g_free(pk64);
    tu_rmtree(dir);
    g_free(dir);
}

static void test_listed_names_stay_in_the_folder(void **state)
{
    fixture *f = *state;
    ba_export_key k;
    ba_error err;
    assert_int_equal(ba_consent_export_key(f->cat, true, &k, &err), 0);
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    secret_key(f, sk);
    const char *names[] = {"../7-1.png", "export.json", "a/b.png"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *dir = g_build_filename(f->work, "names", NULL);
        assert_int_equal(g_mkdir(dir, 0755), 0);
        sign_manifest(dir, k.public_key_base64, sk, names[i], "00", 0);
        expect_failure(dir, NULL, "without a plain file name");
        tu_rmtree(dir);
        g_free(dir);
    }
    expect_failure(f->work, NULL, "export.json is missing");
}

int main(void)
{
    ba_error err;
    if (ba_init("test_signature", &err))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_made_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_racers_end_with_one_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_key_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_good_and_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resigned_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listed_names_stay_in_the_folder, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ba_shutdown();
    return rc;
}
