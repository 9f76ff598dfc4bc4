/* SHA-256 via OpenSSL EVP (hardware-accelerated where the CPU can). */
#include "common/sha256.h"

#include <glib.h>
#include <openssl/evp.h>

struct ba_sha256 {
    EVP_MD_CTX *ctx;
};

ba_sha256 *ba_sha256_new(void)
{
    ba_sha256 *h = g_new0(ba_sha256, 1);
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
        g_error("libcrypto cannot start a SHA-256"); /* out of memory: nothing sane to do */
    return h;
}

void ba_sha256_update(ba_sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void ba_sha256_finish(ba_sha256 *h, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, md, &n);
    static const char digits[] = "0123456789abcdef";
    for (unsigned int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    EVP_MD_CTX_free(h->ctx);
    g_free(h);
}

void ba_sha256_hex(const void *data, size_t len, char hex[65])
{
    ba_sha256 *h = ba_sha256_new();
    ba_sha256_update(h, data, len);
    ba_sha256_finish(h, hex);
}
