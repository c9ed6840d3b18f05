/* inroot.h - paths resolved inside a container's root filesystem.
 *
 * The container controls its files, so every lookup goes through
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): "..", absolute symlinks
 * and symlinks planted to reach "/" all stay inside the root. */
#ifndef BERTH_INROOT_H
#define BERTH_INROOT_H

#include <sys/types.h>

/* Opens path (relative or absolute, resolved inside rootfd). Returns the
 * fd or -errno. */
int inroot_open(int rootfd, const char *path, int flags, mode_t mode);

/* Reads a small file (at most max bytes) inside the root. */
int inroot_read_file(int rootfd, const char *path, size_t max, char **out);

/* Creates path and its missing parents inside the root (owned by root). */
int inroot_mkdir_p(int rootfd, const char *path, mode_t mode);

/* Copies the tree at path (inside the root) into the directory dst_fd,
 * keeping owners, modes, times and symlinks as they are, never following
 * one; the top directory's owner and mode go to dst_fd itself. A missing
 * path copies nothing. Returns 0 or -errno. */
int inroot_copy_tree(int rootfd, const char *path, int dst_fd);

#endif
