/* berth/image.h - the local image store.
 *
 * Images follow the OCI image spec: a config blob (whose sha256 is the
 * image ID) and an ordered list of layers. Each layer is unpacked once and
 * shared read-only by every container that uses it. Names are Docker
 * references ("busybox", "localhost:5000/x/y:tag"), stored normalized
 * ("docker.io/library/busybox:latest") and shown in their familiar form.
 *
 * Documents returned as JSON have the shape of the Docker Engine API's
 * answers (ImageInspect, ImageSummary, ImageDeleteResponseItem) and are
 * owned by the caller (berth_free).
 */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <berth/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Called with one line of human-readable progress or result. */
typedef void (*berth_progress_fn)(void *userdata, const char *line);

#define BERTH_IMPORT_OPTS_VERSION 1

typedef struct berth_import_opts {
    unsigned version;
    /* "repo[:tag]" to tag the new image with, or NULL. */
    const char *reference;
    /* Dockerfile instructions applied to the config: ENV, CMD, ENTRYPOINT,
     * WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL. */
    const char *const *changes;
    size_t n_changes;
    /* Commit message recorded in the image history, or NULL. */
    const char *message;
} berth_import_opts;

#define BERTH_IMPORT_OPTS_INIT                                                                     \
    {                                                                                              \
        BERTH_IMPORT_OPTS_VERSION, NULL, NULL, 0, NULL                                             \
    }

/* Creates an image with one layer from a root filesystem tarball (plain,
 * gzip, bzip2, xz or zstd) read from tar_fd. *id_out ("sha256:...") is
 * owned by the caller; it may be NULL. */
int berth_image_import(berth_engine *engine, int tar_fd, const berth_import_opts *opts,
                       char **id_out, berth_error *err);

/* Loads every image of a `docker save` archive (Docker's manifest.json) or
 * an OCI image layout archive (index.json) read from tar_fd. Reports
 * "Loaded image: REF" or "Loaded image ID: ID" lines through progress. */
int berth_image_load(berth_engine *engine, int tar_fd, berth_progress_fn progress, void *userdata,
                     berth_error *err);

/* Writes a `docker save` archive of the named images (names or IDs) to
 * out_fd. The archive holds both manifest.json and an OCI layout. */
int berth_image_save(berth_engine *engine, const char *const *names, size_t n_names, int out_fd,
                     berth_error *err);

/* Adds the reference target ("repo[:tag]") to the image named source. */
int berth_image_tag(berth_engine *engine, const char *source, const char *target, berth_error *err);

/* Removes a reference, and the image once no reference is left. An image
 * that containers use is kept (409) unless force. *report_json is Docker's
 * [{"Untagged": ...}, {"Deleted": ...}] list, owned by the caller. */
int berth_image_remove(berth_engine *engine, const char *name, bool force, bool noprune,
                       char **report_json, berth_error *err);

/* Removes unused images, as Docker's image prune: with filter "dangling"
 * true (the default) only images without a tag, with false every image;
 * "until" (images created after it stay), "label" and "label!" as for
 * containers. An image that any container (in any state) uses always
 * stays. *report_json (may be NULL) is Docker's ImagesPruneReport
 * ({"ImagesDeleted": [{"Untagged": ...}, {"Deleted": ...}] or null,
 * "SpaceReclaimed": bytes}), owned by the caller. An unknown filter is
 * BERTH_EINVAL and removes nothing. */
int berth_image_prune(berth_engine *engine, const char *filters_json, char **report_json,
                      berth_error *err);

/* Docker's ImageInspect document for the image named name. */
int berth_image_inspect(berth_engine *engine, const char *name, char **json_out, berth_error *err);

/* Docker's [HistoryResponseItem], newest first: one entry per history
 * entry of the image's config (Id the image's for the newest, "<missing>"
 * for the others, as for a pulled image), Created in Unix seconds, Size
 * the unpacked size of the layer the entry made (0 for an empty_layer). */
int berth_image_history(berth_engine *engine, const char *name, char **json_out, berth_error *err);

/* The image ID ("sha256:...") that name refers to. */
int berth_image_resolve(berth_engine *engine, const char *name, char **id_out, berth_error *err);

#define BERTH_IMAGE_LIST_OPTS_VERSION 1

typedef struct berth_image_list_opts {
    unsigned version;
    bool all;
    /* Docker filters JSON ({"dangling":["true"],"reference":[...],
     * "label":[...],"before":[...],"since":[...]}), or NULL. */
    const char *filters_json;
} berth_image_list_opts;

#define BERTH_IMAGE_LIST_OPTS_INIT                                                                 \
    {                                                                                              \
        BERTH_IMAGE_LIST_OPTS_VERSION, false, NULL                                                 \
    }

/* Docker's [ImageSummary] array, newest first. */
int berth_image_list(berth_engine *engine, const berth_image_list_opts *opts, char **json_out,
                     berth_error *err);

#ifdef __cplusplus
}
#endif
#endif
