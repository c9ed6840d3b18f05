/* digest.h - SHA-256 content digests in the OCI form "sha256:<64 hex>".
 *
 * Every content address in the image store (image IDs, blob names, layer
 * diff_ids) is made here, so there is one definition of the format. */
#ifndef BERTH_DIGEST_H
#define BERTH_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <berth/error.h>

/* "sha256:" + 64 hex digits + NUL */
#define DIGEST_STR_LEN 72
#define DIGEST_HEX_LEN 64

typedef struct digest {
    void *ctx; /* EVP_MD_CTX */
} digest_t;

/* Starts a SHA-256 computation. Returns 0 or BERTH_EINTERNAL. */
int digest_init(digest_t *d, berth_error *err);
void digest_update(digest_t *d, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (DIGEST_STR_LEN bytes) and releases d. */
int digest_final(digest_t *d, char out[DIGEST_STR_LEN], berth_error *err);
/* Releases d without a result; safe on a released or zeroed digest. */
void digest_free(digest_t *d);

static inline void cleanup_digestp(digest_t *d)
{
    digest_free(d);
}
#define _cleanup_digest_ __attribute__((cleanup(cleanup_digestp)))

/* Digest of a buffer. */
int digest_buf(const void *data, size_t len, char out[DIGEST_STR_LEN], berth_error *err);

/* Digest of everything read from fd until EOF; *size (may be NULL) gets
 * the number of bytes read. */
int digest_fd(int fd, char out[DIGEST_STR_LEN], uint64_t *size, berth_error *err);

/* true for "sha256:" followed by exactly 64 lowercase hex digits. */
bool digest_is_valid(const char *s);

/* The hex part of a "sha256:<hex>" digest (borrowed), or s itself when it
 * has no "sha256:" prefix. */
const char *digest_hex(const char *s);

#endif
