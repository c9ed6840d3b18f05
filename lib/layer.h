/* layer.h - the layer store: content-addressed blobs and unpacked layers.
 *
 *   root/blobs/sha256/<hex>  a blob (an image config, or a layer's
 *                            uncompressed tar, named by its diff_id)
 *   root/layers/<hex>/       the layer unpacked in overlayfs form
 *
 * A layer is unpacked under root/tmp and renamed into place, so its final
 * name never holds a half-written layer, and two processes storing the
 * same layer at once both succeed (the second rename loses and is thrown
 * away). The files are put in place first and recorded in the `layers`
 * table afterwards, inside the caller's transaction: a crash leaves at
 * worst an unrecorded file, never a row without its file. Callers hold
 * the image store lock (shared) from layer_store_put until their commit,
 * so that a concurrent image removal cannot delete the files in between. */
#ifndef BERTH_LAYER_H
#define BERTH_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include <berth/engine.h>

#include "digest.h"

struct layer_info {
    char diff_id[DIGEST_STR_LEN]; /* sha256 of the uncompressed tar */
    uint64_t size;                /* bytes of the uncompressed tar */
    uint64_t unpacked;            /* bytes of file data unpacked */
};

/* Stores the layer read from tar_fd (a tar, plain or compressed).
 * expect_diff_id and expect_digest (the digest of the bytes as read,
 * i.e. of the compressed blob) are checked when given: a mismatch is
 * BERTH_EINVAL and stores nothing. When expect_diff_id names a layer that
 * is already stored, tar_fd is not read at all. */
int layer_store_put(berth_engine *e, int tar_fd, const char *expect_diff_id,
                    const char *expect_digest, struct layer_info *out, berth_error *err);

/* Records the layer in the `layers` table; call inside a transaction. */
int layer_store_record(berth_engine *e, const struct layer_info *l, berth_error *err);

/* true when both the blob and the unpacked directory exist. */
bool layer_store_present(berth_engine *e, const char *diff_id);

/* Removes a layer's files: call after committing the removal of its row.
 * The blob is unlinked and the directory renamed to a scratch directory
 * whose path is appended to *trash, for the caller to rm_rf once it has
 * released the store lock (deleting a big layer takes a while). */
void layer_store_remove_files(berth_engine *e, const char *diff_id, char ***trash);

/* Paths, owned by the caller. */
char *layer_dir_path(const berth_engine *e, const char *diff_id);
char *blob_path(const berth_engine *e, const char *digest);

/* Writes data as the blob named by its digest (unless present); *digest_out
 * (DIGEST_STR_LEN bytes, may be NULL) receives the digest. */
int blob_write(berth_engine *e, const void *data, size_t len, char *digest_out, berth_error *err);

#endif
