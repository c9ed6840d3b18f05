/* berth/archive.h - a container's files as tar archives: `docker cp` in
 * both directions (GET/PUT /containers/{id}/archive) and `docker export`.
 *
 * Work on running and stopped containers alike. A running container is
 * seen as its processes see it (volumes and bind mounts included); a
 * stopped one through its own overlay, mounted for the call in a private
 * mount namespace. Paths are resolved inside the container's root
 * (openat2 RESOLVE_IN_ROOT): "..", absolute symlinks and symlinks the
 * container plants or swaps in during the copy never lead out of it.
 * The container's lock is held for the call: it is not started, stopped
 * or removed meanwhile. */
#ifndef BERTH_ARCHIVE_H
#define BERTH_ARCHIVE_H

#include <stdbool.h>
#include <berth/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Docker's ContainerPathStat of path in the container, as JSON text
 * ({"name", "size", "mode" (Go's os.FileMode bits), "mtime" (RFC 3339),
 * "linkTarget"}); caller frees (berth_free). A symlink as the last
 * component is described, not followed; its linkTarget is where it leads
 * inside the container. Errors: BERTH_ENOTFOUND for a missing container
 * or path, BERTH_EINVAL for a bad path. */
int berth_container_archive_stat(berth_engine *engine, const char *name, const char *path,
                                 char **stat_json, berth_error *err);

/* Writes a tar of path to out_fd, named as Docker names it: the top entry
 * is the path's last component ("dir/", "dir/file", ...); "dir/." gives
 * the directory's content ("./", "./file"); "/" gives "/", "/bin", ...
 * on_stat (may be NULL) gets the stat as above before the first byte is
 * written, so that a server can send it ahead of the archive. out_fd -1:
 * the stat only. */
int berth_container_archive_get(berth_engine *engine, const char *name, const char *path,
                                int out_fd, void (*on_stat)(void *ud, const char *stat_json),
                                void *ud, berth_error *err);

#define BERTH_ARCHIVE_PUT_OPTS_VERSION 1

typedef struct berth_archive_put_opts {
    unsigned version;
    /* Refuse to replace a directory by a non-directory or the reverse. */
    bool no_overwrite_dir_non_dir;
    /* Own the files by the container's user (Config.User, resolved in the
     * container's /etc/passwd) instead of the archive's owners. */
    bool copy_uid_gid;
} berth_archive_put_opts;

#define BERTH_ARCHIVE_PUT_OPTS_INIT                                                                \
    {                                                                                              \
        BERTH_ARCHIVE_PUT_OPTS_VERSION, false, false                                               \
    }

/* Extracts the tar read from in_fd (plain, gzip, bzip2, xz or zstd) into
 * the directory path of the container (a symlink to a directory is
 * followed inside the container). The whole input is read and checked
 * before anything is written, so a corrupt archive (BERTH_EINVAL) changes
 * nothing; an empty input changes nothing and succeeds. Entry names stay
 * under path: a leading "/" is dropped and ".." stops at path; hard links
 * only reach files under path. Errors: BERTH_ENOTFOUND (no such path),
 * BERTH_EINVAL (path is not a directory, bad archive). */
int berth_container_archive_put(berth_engine *engine, const char *name, const char *path, int in_fd,
                                const berth_archive_put_opts *opts, berth_error *err);

/* Writes the container's whole root filesystem (its layers and its
 * changes, without volumes or other mounts) to out_fd as a tar, entries
 * named relative to the root ("bin/", "bin/sh", ...). The same content
 * gives the same bytes: entries sorted, headers without access or change
 * times, user or group names. */
int berth_container_export(berth_engine *engine, const char *name, int out_fd, berth_error *err);

/* docker cp from a container to the host: src (in the container) is
 * copied to host_dest. An existing directory host_dest receives src under
 * its own name ("src/." : its content); otherwise host_dest is created or
 * replaced (files) as the copy. follow_link (-L): a symlink src is
 * followed inside the container. Files get the caller's owner. */
int berth_container_copy_from(berth_engine *engine, const char *name, const char *src,
                              const char *host_dest, bool follow_link, berth_error *err);

/* docker cp from the host into a container, by the same rules; the
 * container side goes through berth_container_archive_put. follow_link
 * (-L): a symlink host_src is followed. copy_uid_gid (-a): see
 * berth_archive_put_opts. */
int berth_container_copy_to(berth_engine *engine, const char *name, const char *host_src,
                            const char *dest, bool follow_link, bool copy_uid_gid,
                            berth_error *err);

#ifdef __cplusplus
}
#endif

#endif
