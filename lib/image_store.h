/* image_store.h - what the container code needs from the image store.
 *
 * The store keeps image configs and metadata in the state database (tables
 * images, image_layers, layers, tags: see db.c) and the data in files:
 *   root/blobs/sha256/<hex>   content-addressed blobs: image config blobs
 *                             and uncompressed layer tars (named by diff_id)
 *   root/layers/<hex>/        each layer unpacked once, in overlayfs form
 *                             (whiteouts as 0:0 char devices, opaque
 *                             directories with trusted.overlay.opaque=y),
 *                             named by the hex of its diff_id and shared
 *                             read-only by all images and containers.
 */
#ifndef BERTH_IMAGE_STORE_H
#define BERTH_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <berth/engine.h>

#include "layer.h"

struct image_rec {
    char *id;          /* "sha256:<64 hex>" */
    json_t *config;    /* the whole OCI image config document (owned) */
    char **layer_dirs; /* NULL-terminated absolute paths, lowest layer first */
};

/* Finds an image by reference ("busybox", "busybox:1.36",
 * "localhost:5000/a/b:t", "name@sha256:..."), by full ID ("sha256:<hex>"
 * or "<hex>") or by a unique ID prefix. BERTH_ENOTFOUND with the message
 * "No such image: <name>" when there is none. */
int image_store_lookup(berth_engine *e, const char *name, struct image_rec **out, berth_error *err);

void image_rec_free(struct image_rec *r);

/* ---- inside the image store (import, load, save, pull) -------------- */

/* The store lock (a flock on root/images.lock): shared while adding
 * images (from storing the first layer to the commit), exclusive while
 * removing them, so that a removal never deletes files an addition is
 * about to record. Lock before any transaction. *fd_out is released with
 * image_store_unlock. */
int image_store_lock(berth_engine *e, bool exclusive, int *fd_out, berth_error *err);
void image_store_unlock(int fd);

struct image_add {
    const char *config; /* the config blob, stored byte for byte */
    size_t config_len;
    const struct layer_info *layers; /* as in the config's rootfs.diff_ids */
    size_t n_layers;
    char *const *tags;       /* stored references to point here, or NULL */
    const char *repo_digest; /* stored "name@sha256:..." to record, or NULL */
    /* the image event to record ("import", "load", "pull"), or NULL; an
     * import also records a "tag" for each tag that moved, as Docker */
    const char *event;
    bool tag_events; /* record a "tag" for each tag that moved (commit) */
};

/* Records an image whose layers are stored (layer_store_put) and points
 * the tags at it, in one transaction; the caller holds the store lock.
 * id_out receives the image ID. When replaced is not NULL it receives,
 * for each tag, the ID of the image the tag left ("" when none). */
int image_store_add(berth_engine *e, const struct image_add *add, char id_out[DIGEST_STR_LEN],
                    char ***replaced, berth_error *err);

/* Resolves name as image_store_lookup does. *id_out is "sha256:<hex>";
 * *ref_out (may be NULL) receives the stored reference when name matched
 * a tag or digest reference, NULL when it matched an ID. */
int image_store_resolve(berth_engine *e, const char *name, char **id_out, char **ref_out,
                        berth_error *err);

/* The stored tag references of an image, sorted. */
int image_store_tags(berth_engine *e, const char *id, char ***out, berth_error *err);

#endif
