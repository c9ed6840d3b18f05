/* tar_tree.h - writing a tree of files to a tar stream, reproducibly.
 *
 * Entries are walked through directory descriptors without following any
 * symlink (every open is O_NOFOLLOW relative to its parent's descriptor),
 * each directory's names sorted bytewise, so the same content gives the
 * same bytes: ustar headers with pax records only where ustar cannot hold
 * a value (long or non-ASCII names, big sizes or ids), mtime in whole
 * seconds, no atime/ctime, no user or group names, sizes of directories
 * and links 0. Files with several links become hard link entries to the
 * first name written. Sockets are skipped, as Docker does; directories
 * of the kernel's file systems (proc, sysfs, cgroup, ...) are written
 * without their content. */
#ifndef BERTH_TAR_TREE_H
#define BERTH_TAR_TREE_H

#include <berth/error.h>

struct tar_tree;

/* Starts a tar stream written to out_fd. */
struct tar_tree *tar_tree_new(int out_fd, berth_error *err);

/* Adds the node leaf in directory parent_fd (parent_fd itself when leaf is
 * NULL) as name, with everything under it when it is a directory. name ""
 * leaves the top directory out and names what is under it relative to it
 * (docker export). Returns 0 or a berth_code (err as given to _new). */
int tar_tree_add(struct tar_tree *t, int parent_fd, const char *leaf, const char *name);

/* Writes the end of the archive. */
int tar_tree_finish(struct tar_tree *t);
void tar_tree_free(struct tar_tree *t);

#endif
