/* image_config.h - OCI image config documents: building them (import),
 * applying Dockerfile --change instructions, reading them back.
 *
 * The config is the image's identity: its bytes, exactly as first stored,
 * hash to the image ID. Built configs are serialized once with
 * image_config_dump and never re-serialized; configs that come from
 * elsewhere (load, pull) are kept byte for byte and only parsed. */
#ifndef BERTH_IMAGE_CONFIG_H
#define BERTH_IMAGE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <berth/error.h>

/* A config for an image made here: amd64/linux, created at created_ns,
 * an empty "config", no layers and no history yet. New reference. */
json_t *image_config_new(int64_t created_ns);

/* Applies Dockerfile instructions (`docker import/commit --change`): ENV,
 * LABEL, CMD, ENTRYPOINT, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL,
 * ONBUILD. On a bad one returns BERTH_EINVAL with Docker's message and
 * leaves cfg unchanged. */
int image_config_apply_changes(json_t *cfg, const char *const *changes, size_t n_changes,
                               berth_error *err);

/* Appends a layer's diff_id to rootfs.diff_ids. */
void image_config_add_layer(json_t *cfg, const char *diff_id);

/* Appends a history entry; created_by and comment may be NULL. */
void image_config_add_history(json_t *cfg, int64_t created_ns, const char *created_by,
                              const char *comment);

/* The bytes to store (compact JSON); owned by the caller. */
char *image_config_dump(const json_t *cfg);

/* Parses a config blob and checks what berth relies on: an object whose
 * rootfs has type "layers" and diff_ids that are all sha256 digests. */
int image_config_parse(const char *data, size_t len, json_t **out, berth_error *err);

/* Readers; strings are borrowed from cfg. */
size_t image_config_n_layers(const json_t *cfg);
const char *image_config_diff_id(const json_t *cfg, size_t i);
/* "created" in Unix ns; 0 when absent or unparsable. */
int64_t image_config_created(const json_t *cfg);
/* A top-level string member, or "" ("comment", "author", ...). */
const char *image_config_string(const json_t *cfg, const char *key);

/* Docker's ImageInspect "Config": the image's config with the keys of
 * Docker's container.Config that it lacks filled in. New reference. */
json_t *image_config_docker_config(const json_t *cfg);

#endif
