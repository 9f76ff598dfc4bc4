/* export verify: an export folder checked against its signed manifest,
 * without a catalog.  The signature first (over the exact bytes of
 * export.json, with the key the manifest names, or the one the caller
 * requires), then every listed image's size and SHA-256, then that nothing
 * unlisted is in the folder. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "beforeafter/beforeafter.h"
#include "common/sha256.h"
#include "consent/signature.h"

/* export.json is small: anything far bigger is not one of ours. */
#define MANIFEST_MAX (16 * 1024 * 1024)

typedef struct check {
    const char *dir;
    ba_export_verify_result *out;
    ba_error *err;
    char who[48]; /* "export 7", or the folder until the id is known */
} check;

static int fail(check *c, ba_code code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int fail(check *c, ba_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ba_error_set(c->err, code, "%s: %s", c->who, why);
    g_free(why);
    return -1;
}

/* The whole of DIR/@name into *@data; a missing file is said so. */
static int read_whole(check *c, const char *name, gsize max, char **data, gsize *len)
{
    char *path = g_build_filename(c->dir, name, NULL);
    GStatBuf st;
    int rc = 0;
    if (g_lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        rc = fail(c, BA_ERR_CORRUPT, "%s is missing", name);
    else if ((gsize)st.st_size > max)
        rc = fail(c, BA_ERR_CORRUPT, "%s is too large to be one (%lld bytes)", name,
                  (long long)st.st_size);
    GError *gerr = NULL;
    if (rc == 0 && !g_file_get_contents(path, data, len, &gerr)) {
        rc = fail(c, BA_ERR_IO, "%s: cannot read: %s", name, gerr->message);
        g_error_free(gerr);
    }
    g_free(path);
    return rc;
}

/* A listed file name: a plain name in the folder, not the manifest's own. */
static bool plain_name(const char *f)
{
    return f && *f && strchr(f, '/') == NULL && strcmp(f, ".") != 0 && strcmp(f, "..") != 0 &&
           strcmp(f, MANIFEST) != 0 && strcmp(f, MANIFEST_SIG) != 0;
}

static int check_signature(check *c, JsonObject *m, const char *text, gsize len,
                           const unsigned char *required)
{
    JsonObject *s = json_object_has_member(m, "signature") &&
                            JSON_NODE_HOLDS_OBJECT(json_object_get_member(m, "signature"))
                        ? json_object_get_object_member(m, "signature")
                        : NULL;
    const char *alg = s ? json_object_get_string_member_with_default(s, "algorithm", "") : "";
    const char *pk64 = s ? json_object_get_string_member_with_default(s, "public_key", "") : "";
    if (strcmp(alg, "Ed25519") != 0)
        return fail(c, BA_ERR_CORRUPT, MANIFEST " names no Ed25519 signing key (unsigned)");
    gsize n = 0;
    guchar *pk = *pk64 ? g_base64_decode(pk64, &n) : NULL;
    if (n != BA_EXPORT_KEY_BYTES) {
        g_free(pk);
        return fail(c, BA_ERR_CORRUPT, MANIFEST "'s public key is not an Ed25519 key");
    }
    ba_export_key named;
    memcpy(named.public_key, pk, BA_EXPORT_KEY_BYTES);
    g_free(pk);
    ex_key_describe(&named);
    g_strlcpy(c->out->fingerprint, named.fingerprint, sizeof c->out->fingerprint);
    if (required && memcmp(required, named.public_key, BA_EXPORT_KEY_BYTES) != 0) {
        ba_export_key want;
        memcpy(want.public_key, required, BA_EXPORT_KEY_BYTES);
        ex_key_describe(&want);
        return fail(c, BA_ERR_CORRUPT,
                    "signed with key %.16s…, not the library's own (%.16s…)", named.fingerprint,
                    want.fingerprint);
    }
    char *sig_text = NULL;
    gsize sig_len = 0;
    if (read_whole(c, MANIFEST_SIG, 4096, &sig_text, &sig_len))
        return -1;
    gsize got = 0;
    guchar *sig = NULL;
    if (g_utf8_validate(sig_text, (gssize)sig_len, NULL)) {
        g_strstrip(sig_text);
        sig = *sig_text ? g_base64_decode(sig_text, &got) : NULL;
    }
    g_free(sig_text);
    bool good = got == crypto_sign_BYTES &&
                crypto_sign_verify_detached(sig, (const unsigned char *)text, len,
                                            named.public_key) == 0;
    g_free(sig);
    if (!good)
        return fail(c, BA_ERR_CORRUPT,
                    MANIFEST " does not match its signature (" MANIFEST_SIG "): the manifest "
                    "or the signature was changed, or they come from different exports");
    c->out->signature_ok = true;
    c->out->library_key = required != NULL;
    return 0;
}

/* One image of the manifest: present, a regular file, the listed size and hash. */
static int check_image(check *c, JsonNode *node, GHashTable *listed)
{
    JsonObject *im = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    const char *file = im ? json_object_get_string_member_with_default(im, "file", NULL) : NULL;
    const char *sha = im ? json_object_get_string_member_with_default(im, "sha256", NULL) : NULL;
    gint64 bytes = im ? json_object_get_int_member_with_default(im, "bytes", -1) : -1;
    if (!plain_name(file) || !sha || bytes < 0)
        return fail(c, BA_ERR_CORRUPT, MANIFEST " lists an image without a plain file name, "
                                       "sha256 and bytes");
    if (g_hash_table_contains(listed, file))
        return fail(c, BA_ERR_CORRUPT, MANIFEST " lists %s twice", file);
    g_hash_table_add(listed, g_strdup(file));
    char *path = g_build_filename(c->dir, file, NULL);
    GStatBuf st;
    int rc = 0;
    if (g_lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = fail(c, BA_ERR_CORRUPT, "%s is missing", file);
    } else if ((gint64)st.st_size != bytes) {
        rc = fail(c, BA_ERR_CORRUPT,
                  "%s does not match the manifest (%lld bytes, listed %" G_GINT64_FORMAT ")",
                  file, (long long)st.st_size, bytes);
    } else {
        char *data = NULL;
        gsize len = 0;
        GError *gerr = NULL;
        if (!g_file_get_contents(path, &data, &len, &gerr)) {
            rc = fail(c, BA_ERR_IO, "%s: cannot read: %s", file, gerr->message);
            g_error_free(gerr);
        } else {
            char have[65];
            ba_sha256_hex(data, len, have);
            g_free(data);
            if (g_ascii_strcasecmp(have, sha) != 0)
                rc = fail(c, BA_ERR_CORRUPT,
                          "%s does not match the manifest (sha256 %.16s…, listed %.16s…)", file,
                          have, sha);
        }
    }
    g_free(path);
    return rc;
}

/* Nothing in the folder but the manifest, its signature and what it lists. */
static int check_unlisted(check *c, GHashTable *listed)
{
    GError *gerr = NULL;
    GDir *d = g_dir_open(c->dir, 0, &gerr);
    if (!d) {
        int rc = fail(c, BA_ERR_IO, "cannot read the folder: %s", gerr->message);
        g_error_free(gerr);
        return rc;
    }
    const char *n;
    GPtrArray *extra = g_ptr_array_new_with_free_func(g_free);
    while ((n = g_dir_read_name(d)))
        if (strcmp(n, MANIFEST) != 0 && strcmp(n, MANIFEST_SIG) != 0 &&
            !g_hash_table_contains(listed, n))
            g_ptr_array_add(extra, g_strdup(n));
    g_dir_close(d);
    int rc = 0;
    if (extra->len) {
        /* The same first name whatever order the folder lists them in. */
        g_ptr_array_sort(extra, (GCompareFunc)g_strcmp0);
        char **first = (char **)extra->pdata;
        rc = fail(c, BA_ERR_CORRUPT, "%s is in the folder but not in the manifest%s", first[0],
                  extra->len > 1 ? " (and more)" : "");
    }
    g_ptr_array_free(extra, TRUE);
    return rc;
}

int ba_consent_export_verify(const char *dir, const unsigned char *public_key,
                             ba_export_verify_result *out, ba_error *err)
{
    ba_export_verify_result local;
    if (!out)
        out = &local;
    memset(out, 0, sizeof *out);
    ba_error own;
    if (!err)
        err = &own;
    if (!dir || !*dir) {
        ba_error_set(err, BA_ERR_USAGE, "no export folder given");
        return -1;
    }
    if (sodium_init() < 0) {
        ba_error_set(err, BA_ERR_INTERNAL, "cannot start libsodium");
        return -1;
    }
    check c = {.dir = dir, .out = out, .err = err};
    g_strlcpy(c.who, dir, sizeof c.who);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        ba_error_set(err, BA_ERR_NOT_FOUND, "%s: not a folder", dir);
        return -1;
    }
    char *text = NULL;
    gsize len = 0;
    if (read_whole(&c, MANIFEST, MANIFEST_MAX, &text, &len))
        return -1;
    JsonParser *p = json_parser_new();
    int rc = -1;
    GHashTable *listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!json_parser_load_from_data(p, text, (gssize)len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        fail(&c, BA_ERR_CORRUPT, MANIFEST " is not a JSON object");
        goto out;
    }
    JsonObject *m = json_node_get_object(json_parser_get_root(p));
    if (g_strcmp0(json_object_get_string_member_with_default(m, "format", ""),
                  "beforeafter-export") != 0) {
        fail(&c, BA_ERR_CORRUPT, MANIFEST " is not a beforeafter export manifest");
        goto out;
    }
    gint64 id = json_object_get_int_member_with_default(m, "export_id", 0);
    if (id > 0) {
        out->export_id = id;
        snprintf(c.who, sizeof c.who, "export %" G_GINT64_FORMAT, id);
    }
    if (check_signature(&c, m, text, len, public_key))
        goto out;
    /* From here on the manifest is the one that was signed. */
    JsonNode *images = json_object_get_member(m, "images");
    if (!images || !JSON_NODE_HOLDS_ARRAY(images)) {
        fail(&c, BA_ERR_CORRUPT, MANIFEST " lists no images");
        goto out;
    }
    JsonArray *a = json_node_get_array(images);
    out->n_images = (int)json_array_get_length(a);
    for (guint i = 0; i < json_array_get_length(a); i++)
        if (check_image(&c, json_array_get_element(a, i), listed))
            goto out;
    if (check_unlisted(&c, listed))
        goto out;
    rc = 0;
out:
    g_hash_table_destroy(listed);
    g_object_unref(p);
    g_free(text);
    return rc;
}
