/* container_config.h - what a Docker ContainerCreateRequest means to berth:
 * type checks, the fields berth honours, refusal of the ones it does not,
 * and Docker's rules for merging with the image's config. */
#ifndef BERTH_CONTAINER_CONFIG_H
#define BERTH_CONTAINER_CONFIG_H

#include <jansson.h>
#include <stdbool.h>

#include <berth/error.h>

struct create_config {
    json_t *config;     /* Docker Config, merged with the image (owned) */
    json_t *hostconfig; /* Docker HostConfig with Docker's defaults filled in (owned) */
    char *path;         /* the command */
    json_t *args;       /* its arguments (array, owned) */
};

/* Parses the request. *image_out (caller frees) is its "Image". */
int create_request_parse(const char *text, json_t **req_out, char **image_out, berth_error *err);

/* Validates req and merges it with the image's OCI config document.
 * runtime is the runtime name to record; id is the new container's ID. */
int create_config_build(const json_t *req, const json_t *image_config, const char *id,
                        const char *default_runtime, struct create_config *out, berth_error *err);

void create_config_clear(struct create_config *c);

/* Field kinds for type checking. */
enum kind { K_STR, K_BOOL, K_INT, K_OBJ, K_STRV, K_STRV_OR_STR, K_STRMAP, K_ANY };

/* 0 when v (absent or null, or) is of kind k; else BERTH_EINVAL with Go's
 * decoder message ("json: cannot unmarshal number into field Tty of type
 * bool"). */
int config_check_kind(const char *field, const json_t *v, enum kind k, berth_error *err);

/* Helpers that other parts use on stored configs. */
const char *json_get_str(const json_t *obj, const char *key, const char *fallback);
bool json_get_bool(const json_t *obj, const char *key);
/* The value of KEY in an array of "KEY=VALUE" strings, or NULL. */
const char *env_lookup(const json_t *env, const char *key);

#endif
