/* berth/commit.h - a container's filesystem changes (docker diff) and
 * images made from them (docker commit). */
#ifndef BERTH_COMMIT_H
#define BERTH_COMMIT_H

#include <stdbool.h>
#include <stddef.h>

#include <berth/engine.h>
#include <berth/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The Kind of a change, as Docker's ChangeType. */
enum { BERTH_CHANGE_MODIFY = 0, BERTH_CHANGE_ADD = 1, BERTH_CHANGE_DELETE = 2 };

/* What the container changed in its filesystem, as Docker's
 * GET /containers/{id}/changes: a JSON array of {"Path", "Kind"} in path
 * order, or "null" when nothing changed. Works whether the container runs
 * or not. *json_out is owned by the caller. */
int berth_container_changes(berth_engine *engine, const char *name, char **json_out,
                            berth_error *err);

#define BERTH_COMMIT_OPTS_VERSION 1

typedef struct berth_commit_opts {
    unsigned version;
    /* "repo[:tag]" to tag the new image with, or NULL. */
    const char *reference;
    /* History comment and image author, or NULL. */
    const char *comment;
    const char *author;
    /* Freeze a running container while its changes are read. */
    bool pause;
    /* Dockerfile instructions applied to the config: CMD, ENTRYPOINT,
     * ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR. */
    const char *const *changes;
    size_t n_changes;
    /* A Docker Config (JSON) to use instead of the container's; what it
     * leaves empty comes from the container's config. NULL: none. */
    const char *config_json;
} berth_commit_opts;

#define BERTH_COMMIT_OPTS_INIT                                                                     \
    {                                                                                              \
        BERTH_COMMIT_OPTS_VERSION, NULL, NULL, NULL, true, NULL, 0, NULL                           \
    }

/* Makes an image of the container: its image's layers plus one layer of
 * its changes (a tar with the OCI whiteouts, the same bytes for the same
 * content), its config with the options applied. *id_out ("sha256:...")
 * is owned by the caller; it may be NULL. */
int berth_container_commit(berth_engine *engine, const char *name, const berth_commit_opts *opts,
                           char **id_out, berth_error *err);

#ifdef __cplusplus
}
#endif

#endif
