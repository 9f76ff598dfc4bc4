/* The server's TLS certificate: the one given, or a self-signed one made
 * on first start and kept in the library (key 0600), so that a browser that
 * trusted it once keeps trusting it. */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

/* Write @data to @path with @mode, refusing to replace a file. */
static gboolean write_new(const char *path, const char *data, size_t len, mode_t mode,
                          GError **error)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    gboolean ok = done == len && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (!ok) {
        g_unlink(path);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", path,
                    g_strerror(saved));
    }
    return ok;
}

/* PEM text of @key and a self-signed certificate for it (localhost and the
 * loopback addresses as names: the clinic replaces it with a real one for
 * other hosts). */
static gboolean make_self_signed(char **cert_pem, char **key_pem, GError **error)
{
    gboolean ok = FALSE;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    if (!key || !x || !cb || !kb)
        goto out;
    X509_set_version(x, 2);
    unsigned char serial[16];
    FILE *r = fopen("/dev/urandom", "rb");
    if (!r || fread(serial, 1, sizeof serial, r) != sizeof serial) {
        if (r)
            fclose(r);
        goto out;
    }
    fclose(r);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 825L * 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"beforeafter",
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               (const unsigned char *)"beforeafter clinic server", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    const char *exts[][2] = {
        {"subjectAltName", "DNS:localhost,IP:127.0.0.1,IP:::1"},
        {"basicConstraints", "critical,CA:FALSE"},
        {"keyUsage", "critical,digitalSignature"},
        {"extendedKeyUsage", "serverAuth"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(exts); i++) {
        X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
        if (!e)
            goto out;
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    if (!X509_sign(x, key, EVP_sha256()) || !PEM_write_bio_X509(cb, x) ||
        !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL))
        goto out;
    char *p = NULL;
    long n = BIO_get_mem_data(cb, &p);
    *cert_pem = g_strndup(p, (gsize)n);
    n = BIO_get_mem_data(kb, &p);
    *key_pem = g_strndup(p, (gsize)n);
    ok = TRUE;
out:
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make a TLS certificate");
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

/* SHA-256 of the DER certificate, as "AB:CD:…". */
static void fingerprint_of(GTlsCertificate *cert, char *out, size_t size)
{
    GByteArray *der = NULL;
    g_object_get(cert, "certificate", &der, NULL);
    out[0] = '\0';
    if (!der)
        return;
    GChecksum *h = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(h, der->data, der->len);
    guint8 digest[32];
    gsize len = sizeof digest;
    g_checksum_get_digest(h, digest, &len);
    g_checksum_free(h);
    g_byte_array_unref(der);
    GString *s = g_string_new(NULL);
    for (gsize i = 0; i < len; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", digest[i]);
    g_strlcpy(out, s->str, size);
    g_string_free(s, TRUE);
}

GTlsCertificate *srv_tls_certificate(const char *library, const char *cert_file,
                                     const char *key_file, char *fingerprint, size_t fp_size,
                                     gboolean *created, GError **error)
{
    *created = FALSE;
    char *dir = NULL, *cert = NULL, *key = NULL;
    if (cert_file && key_file) {
        cert = g_strdup(cert_file);
        key = g_strdup(key_file);
    } else {
        dir = g_build_filename(library, "server", NULL);
        cert = g_build_filename(dir, "tls-cert.pem", NULL);
        key = g_build_filename(dir, "tls-key.pem", NULL);
        if (!g_file_test(cert, G_FILE_TEST_EXISTS)) {
            char *cpem = NULL, *kpem = NULL;
            gboolean ok = (g_mkdir(dir, 0700) == 0 || errno == EEXIST) &&
                          make_self_signed(&cpem, &kpem, error) &&
                          write_new(key, kpem, strlen(kpem), 0600, error) &&
                          write_new(cert, cpem, strlen(cpem), 0600, error);
            if (kpem)
                memset(kpem, 0, strlen(kpem));
            g_free(kpem);
            g_free(cpem);
            if (!ok) {
                if (error && !*error)
                    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", dir,
                                g_strerror(errno));
                g_free(dir);
                g_free(cert);
                g_free(key);
                return NULL;
            }
            *created = TRUE;
        }
    }
    GTlsCertificate *c = g_tls_certificate_new_from_files(cert, key, error);
    if (c)
        fingerprint_of(c, fingerprint, fp_size);
    g_free(dir);
    g_free(cert);
    g_free(key);
    return c;
}
