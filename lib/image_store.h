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

#include <jansson.h>

#include <berth/engine.h>

struct image_rec {
    char *id;          /* "sha256:<64 hex>" */
    json_t *config;    /* the whole OCI image config document (owned) */
    char **layer_dirs; /* NULL-terminated absolute paths, lowest layer first */
};

/* Finds an image by reference ("busybox", "busybox:1.36",
 * "localhost:5000/a/b:t", "name@sha256:..."), by full ID ("sha256:<hex>"
 * or "<hex>") or by a unique ID prefix. BERTH_ENOTFOUND with the message
 * "No such image: <name>" when there is none. */
int image_store_lookup(berth_engine *e, const char *name, struct image_rec **out,
                       berth_error *err);

void image_rec_free(struct image_rec *r);

#endif
