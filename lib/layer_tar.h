/* layer_tar.h - a layer tar of a container's writable layer (docker
 * commit), reproducible: entries in walk order (sorted by name), headers
 * made from the files alone (mode, numeric uid/gid, mtime in whole
 * seconds, no atime/ctime, no user or group names), ustar unless an entry
 * needs pax (long or non-ASCII names, big ids, a file's security.capability,
 * the one xattr kept, as Docker). overlayfs whiteouts become
 * ".wh.<name>" entries and opaque directories a ".wh..wh..opq" entry. */
#ifndef BERTH_LAYER_TAR_H
#define BERTH_LAYER_TAR_H

#include <stddef.h>

#include <berth/error.h>

/* Writes the tar of the tree below upper_fd to out_fd; *n_entries counts
 * the entries written (0: an empty layer). */
int layer_tar_write(int upper_fd, int out_fd, size_t *n_entries, berth_error *err);

#endif
