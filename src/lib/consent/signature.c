/* Signed provenance: the library's own Ed25519 key pair (libsodium), made
 * once and never replaced, and the detached signature over every export's
 * export.json.  The manifest names the public key, so that anyone holding
 * the folder can check it; `export verify --library` also checks that it is
 * the library's own (verify_export.c). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "beforeafter/beforeafter.h"
#include "catalog/writers.h"
#include "common/sha256.h"
#include "consent/signature.h"
#include "library/errors.h"
#include "library/paths.h"
#include "library/place.h"

void ex_key_describe(ba_export_key *key)
{
    char *b64 = g_base64_encode(key->public_key, BA_EXPORT_KEY_BYTES);
    g_strlcpy(key->public_key_base64, b64, sizeof key->public_key_base64);
    g_free(b64);
    ba_sha256_hex(key->public_key, BA_EXPORT_KEY_BYTES, key->fingerprint);
}

/* The base64 text of @path decoded into @out (exactly @len bytes).
 * 1 when the file is missing, 0 when read, -1 with @err otherwise. */
static int read_b64(const char *path, const char *shown, unsigned char *out, size_t len,
                    ba_error *err)
{
    char *text = NULL;
    gsize n = 0;
    GError *gerr = NULL;
    if (!g_file_get_contents(path, &text, &n, &gerr)) {
        bool missing = g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        if (!missing)
            ba_error_set(err, BA_ERR_IO, "%s: cannot read: %s", shown, gerr->message);
        g_error_free(gerr);
        return missing ? 1 : -1;
    }
    int rc = -1;
    gsize got = 0;
    guchar *raw = NULL;
    if (n < 256 && g_utf8_validate(text, (gssize)n, NULL)) {
        g_strstrip(text);
        raw = *text ? g_base64_decode(text, &got) : NULL;
    }
    if (raw && got == len) {
        memcpy(out, raw, len);
        rc = 0;
    } else {
        ba_error_set(err, BA_ERR_CORRUPT, "%s: not an Ed25519 key (base64 of %zu bytes)", shown,
                     len);
    }
    if (raw) {
        sodium_memzero(raw, got);
        g_free(raw);
    }
    sodium_memzero(text, n);
    g_free(text);
    return rc;
}

/* The secret key of @library_dir into @sk; 1 when it has none. */
static int read_secret(const char *library_dir, unsigned char sk[crypto_sign_SECRETKEYBYTES],
                       ba_error *err)
{
    char *path = g_build_filename(library_dir, BA_PATH_EXPORT_KEY, NULL);
    int rc = read_b64(path, BA_PATH_EXPORT_KEY, sk, crypto_sign_SECRETKEYBYTES, err);
    g_free(path);
    if (rc)
        return rc;
    /* The secret key carries its public half: it must be the seed's. */
    unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES],
        again[crypto_sign_SECRETKEYBYTES];
    crypto_sign_ed25519_sk_to_seed(seed, sk);
    crypto_sign_seed_keypair(pk, again, seed);
    bool same = sodium_memcmp(again, sk, sizeof again) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(again, sizeof again);
    if (!same) {
        sodium_memzero(sk, crypto_sign_SECRETKEYBYTES);
        ba_error_set(err, BA_ERR_CORRUPT,
                     BA_PATH_EXPORT_KEY ": damaged (its public half is not its seed's)");
        return -1;
    }
    return 0;
}

int ba_consent_export_key_read(const char *library_dir, ba_export_key *out, ba_error *err)
{
    memset(out, 0, sizeof *out);
    if (sodium_init() < 0) {
        ba_error_set(err, BA_ERR_INTERNAL, "cannot start libsodium");
        return -1;
    }
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    ba_error e;
    int rc = read_secret(library_dir, sk, &e);
    if (rc == 0) {
        crypto_sign_ed25519_sk_to_pk(out->public_key, sk);
        sodium_memzero(sk, sizeof sk);
    } else if (rc < 0 && e.code != BA_ERR_IO) {
        *err = e; /* a damaged secret key: nothing else is trusted */
        return -1;
    } else {
        /* Missing or not readable by this user: the public file then. */
        char *path = g_build_filename(library_dir, BA_PATH_EXPORT_PUB, NULL);
        rc = read_b64(path, BA_PATH_EXPORT_PUB, out->public_key, BA_EXPORT_KEY_BYTES, err);
        g_free(path);
        if (rc == 1)
            ba_error_set(err, BA_ERR_NOT_FOUND,
                         "library %s has no export key yet (it is made by the first export)",
                         library_dir);
        if (rc)
            return -1;
    }
    ex_key_describe(out);
    return 0;
}

/* Place @text at LIBRARY/@rel unless a file is there; *@created says which. */
static int place_key_file(const char *library_dir, const char *rel, const char *text,
                          bool *created, ba_error *err)
{
    char *path = g_build_filename(library_dir, rel, NULL);
    char *tmp = ba_path_tmp_dir(library_dir);
    int e = ba_place_make_parent(path, BA_MODE_DIR, err);
    if (e == 0)
        e = ba_place_bytes(path, text, strlen(text), tmp, BA_MODE_FILE, BA_PLACE_KEEP_EXISTING,
                           NULL, created, NULL);
    if (e)
        ba_errno_cannot_write(err, e, rel);
    g_free(tmp);
    g_free(path);
    return e ? -1 : 0;
}

/* The "export-key" audit row: the fingerprint of the key just made. */
static int audit_created(ba_catalog *cat, const ba_export_key *key, ba_error *err)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "algorithm");
    json_builder_add_string_value(b, "Ed25519");
    json_builder_set_member_name(b, "fingerprint");
    json_builder_add_string_value(b, key->fingerprint);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *detail = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    ba_audit_entry a = {.action = "export-key", .objects = "export signing key",
                        .result = "ok", .detail = detail};
    int rc = ba_catalog_audit_add(cat, &a, err);
    g_free(detail);
    return rc;
}

int ba_consent_export_key(ba_catalog *cat, bool create, ba_export_key *out, ba_error *err)
{
    const char *lib = ba_catalog_dir(cat);
    memset(out, 0, sizeof *out);
    if (sodium_init() < 0) {
        ba_error_set(err, BA_ERR_INTERNAL, "cannot start libsodium");
        return -1;
    }
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    int rc = read_secret(lib, sk, err);
    if (rc < 0)
        return -1;
    if (rc == 1 && !create)
        return ba_consent_export_key_read(lib, out, err);
    if (rc == 1) {
        /* A new pair, linked in beside whatever a racing process linked
         * first: then theirs is read back and used by both. */
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        crypto_sign_keypair(pk, sk);
        char *text = g_base64_encode(sk, sizeof sk);
        char *line = g_strconcat(text, "\n", NULL);
        sodium_memzero(sk, sizeof sk);
        sodium_memzero(text, strlen(text));
        g_free(text);
        rc = place_key_file(lib, BA_PATH_EXPORT_KEY, line, &out->created, err);
        sodium_memzero(line, strlen(line));
        g_free(line);
        if (rc || read_secret(lib, sk, err))
            return -1;
    }
    crypto_sign_ed25519_sk_to_pk(out->public_key, sk);
    sodium_memzero(sk, sizeof sk);
    ex_key_describe(out);
    /* The public half beside it, for whoever checks exports by hand; it
     * must say the same as the secret key. */
    char *line = g_strconcat(out->public_key_base64, "\n", NULL);
    bool pub_created = false;
    rc = place_key_file(lib, BA_PATH_EXPORT_PUB, line, &pub_created, err);
    g_free(line);
    if (rc)
        return -1;
    unsigned char pub[BA_EXPORT_KEY_BYTES];
    char *path = g_build_filename(lib, BA_PATH_EXPORT_PUB, NULL);
    rc = read_b64(path, BA_PATH_EXPORT_PUB, pub, sizeof pub, err);
    g_free(path);
    if (rc == 0 && memcmp(pub, out->public_key, sizeof pub) != 0) {
        ba_error_set(err, BA_ERR_CORRUPT,
                     BA_PATH_EXPORT_PUB ": is not the public half of " BA_PATH_EXPORT_KEY
                     " (fingerprint %.16s…); nothing was signed",
                     out->fingerprint);
        ba_error_hint(err, BA_HINT_RUN_VERIFY);
        return -1;
    }
    if (rc)
        return -1;
    if (out->created && audit_created(cat, out, err))
        return -1;
    return 0;
}

int ex_key_ensure(ba_catalog *cat, ba_export_key *key, ba_error *err)
{
    return ba_consent_export_key(cat, true, key, err);
}

int ex_seal_images(job *j, ba_error *err)
{
    for (guint i = 0; i < j->items->len; i++) {
        item *it = g_ptr_array_index(j->items, i);
        if (it->refused)
            continue;
        char *data = NULL;
        gsize len = 0;
        GError *gerr = NULL;
        if (!g_file_get_contents(it->tmp, &data, &len, &gerr)) {
            ba_error_set(err, BA_ERR_IO, "%s: cannot read: %s", it->tmp, gerr->message);
            g_error_free(gerr);
            return -1;
        }
        char sha[65];
        ba_sha256_hex(data, len, sha);
        g_free(data);
        if (strcmp(sha, it->out.sha256) != 0) {
            ba_error_set(err, BA_ERR_IO,
                         "comparison %" G_GINT64_FORMAT ": the rendered file changed before it "
                         "was placed (sha256 %.12s…, rendered %.12s…); nothing was written",
                         it->rec.id, sha, it->out.sha256);
            return -1;
        }
        it->bytes = (gint64)len;
    }
    return 0;
}

static void member_str(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value && *value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void ex_manifest_panel(JsonBuilder *b, const ba_photo *ph)
{
    member_str(b, "original_sha256", ph->original_sha256);
    member_str(b, "captured_at", ph->capture.captured_at);
    member_str(b, "session_date", ph->session_date);
}

void ex_manifest_provenance(JsonBuilder *b, job *j)
{
    json_builder_set_member_name(b, "consents");
    json_builder_begin_array(b);
    for (guint i = 0; i < j->consents->len; i++) {
        int64_t id = g_array_index(j->consents, int64_t, i);
        bool dup = false;
        for (guint k = 0; k < i && !dup; k++)
            dup = g_array_index(j->consents, int64_t, k) == id;
        ba_consent c;
        ba_error e;
        if (dup || ba_catalog_consent_get(j->cat, id, &c, &e))
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "consent_id");
        json_builder_add_int_value(b, id);
        member_str(b, "scope", c.scope);
        member_str(b, "granted_at", c.granted_at);
        member_str(b, "expires_at", c.expires_at);
        member_str(b, "evidence_sha256", c.evidence_sha256);
        member_str(b, "evidence_original_sha256", c.evidence_original_sha256);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "signature");
    json_builder_begin_object(b);
    member_str(b, "algorithm", "Ed25519");
    member_str(b, "public_key", j->key.public_key_base64);
    member_str(b, "key_fingerprint", j->key.fingerprint);
    member_str(b, "file", MANIFEST_SIG);
    member_str(b, "covers", "the exact bytes of " MANIFEST);
    member_str(b, "encoding", "base64 of the 64-byte detached signature, one line");
    json_builder_end_object(b);
}

int ex_place_signature(job *j, const char *text, size_t len, ba_error *err)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];
    int rc = read_secret(ba_catalog_dir(j->cat), sk, err);
    if (rc == 1)
        ba_error_set(err, BA_ERR_IO, BA_PATH_EXPORT_KEY ": removed while exporting");
    if (rc)
        return -1;
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    if (memcmp(pk, j->key.public_key, sizeof pk) != 0) {
        sodium_memzero(sk, sizeof sk);
        ba_error_set(err, BA_ERR_IO, BA_PATH_EXPORT_KEY ": replaced while exporting");
        return -1;
    }
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)text, len, sk);
    sodium_memzero(sk, sizeof sk);
    char *b64 = g_base64_encode(sig, sizeof sig);
    char *line = g_strconcat(b64, "\n", NULL);
    g_free(b64);
    char *to = g_build_filename(j->dest, MANIFEST_SIG, NULL);
    int e = ba_place_bytes(to, line, strlen(line), j->tmpdir, 0644, BA_PLACE_NEVER_REPLACE, NULL,
                           NULL, NULL);
    g_free(line);
    if (e) {
        if (e == EEXIST)
            ba_error_set(err, BA_ERR_EXISTS,
                         "%s: already exists; an export never replaces a file", to);
        else
            ba_errno_cannot_write(err, e, to);
        g_free(to);
        return -1;
    }
    g_ptr_array_add(j->placed, to);
    return 0;
}
