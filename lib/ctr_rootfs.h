/* ctr_rootfs.h - a container's root filesystem as a directory descriptor,
 * whether the container runs or not, for archives (cp, export).
 *
 * A running container's root is the one its processes see
 * (/proc/<pid>/root: volumes and bind mounts included). A stopped one's
 * overlay is mounted by a forked child in a private mount namespace that
 * passes the mounted root back over a socketpair and stays until the
 * caller is done (ctr_rootfs_close), with the container's volumes and
 * bind mounts mounted over it there as the container would see them:
 * nothing is ever mounted in the caller's namespace. Every path under the root is then
 * resolved with inroot_open (openat2 RESOLVE_IN_ROOT). */
#ifndef BERTH_CTR_ROOTFS_H
#define BERTH_CTR_ROOTFS_H

#include <sys/types.h>

#include <berth/engine.h>
#include <berth/error.h>

#include "container.h"

enum ctr_rootfs_mode {
    CTR_ROOTFS_READ,  /* the container's view; stopped: a read-only overlay
                       * and its volumes */
    CTR_ROOTFS_WRITE, /* the container's view; stopped: its read-write
                       * overlay and its volumes */
    CTR_ROOTFS_IMAGE, /* always its own overlay, read-only, without mounts
                       * (docker export) */
};

struct ctr_rootfs {
    struct ctr *c;
    int root;         /* O_PATH directory descriptor of the root */
    int lock;         /* the container's lock, held until ctr_rootfs_close */
    int holder;       /* socket to the child holding the mount namespace */
    pid_t holder_pid; /* that child, or 0 */
};

/* Loads the container by name under its lock and opens its root. The
 * lock is kept, so that no start or removal runs during the copy. */
int ctr_rootfs_open(berth_engine *e, const char *name, enum ctr_rootfs_mode mode,
                    struct ctr_rootfs *out, berth_error *err);
void ctr_rootfs_close(struct ctr_rootfs *r);

#endif
