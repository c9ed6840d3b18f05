/* digest.c - SHA-256 over OpenSSL's EVP interface, formatted as OCI digests.
 *
 * EVP (not the deprecated SHA256_* calls) so that the FIPS provider and
 * hardware implementations are used when the host configures them. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digest.h"
#include "errors.h"
#include "util.h"

int digest_init(digest_t *d, berth_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return berr(err, BERTH_EINTERNAL, "cannot allocate a digest context");
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return berr(err, BERTH_EINTERNAL, "cannot initialise SHA-256");
    }
    d->ctx = ctx;
    return 0;
}

void digest_update(digest_t *d, const void *data, size_t len)
{
    if (d->ctx && len)
        EVP_DigestUpdate(d->ctx, data, len);
}

int digest_final(digest_t *d, char out[DIGEST_STR_LEN], berth_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = d->ctx && EVP_DigestFinal_ex(d->ctx, md, &n) == 1 && n == 32;
    digest_free(d);
    if (!ok)
        return berr(err, BERTH_EINTERNAL, "cannot compute SHA-256");
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (unsigned i = 0; i < n; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[7 + 2 * i + 1] = hex[md[i] & 15];
    }
    out[7 + 2 * n] = '\0';
    return 0;
}

void digest_free(digest_t *d)
{
    if (d && d->ctx) {
        EVP_MD_CTX_free(d->ctx);
        d->ctx = NULL;
    }
}

int digest_buf(const void *data, size_t len, char out[DIGEST_STR_LEN], berth_error *err)
{
    digest_t d = { 0 };
    int r = digest_init(&d, err);
    if (r < 0)
        return r;
    digest_update(&d, data, len);
    return digest_final(&d, out, err);
}

int digest_fd(int fd, char out[DIGEST_STR_LEN], uint64_t *size, berth_error *err)
{
    _cleanup_digest_ digest_t d = { 0 };
    int r = digest_init(&d, err);
    if (r < 0)
        return r;
    uint64_t total = 0;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return berr_errno(err, BERTH_EINTERNAL, errno, "cannot read data to digest");
        }
        if (n == 0)
            break;
        digest_update(&d, buf, n);
        total += n;
    }
    if (size)
        *size = total;
    return digest_final(&d, out, err);
}

bool digest_is_valid(const char *s)
{
    return s && strncmp(s, "sha256:", 7) == 0 && strlen(s + 7) == DIGEST_HEX_LEN &&
           str_is_hex(s + 7);
}

const char *digest_hex(const char *s)
{
    return str_has_prefix(s, "sha256:") ? s + 7 : s;
}
