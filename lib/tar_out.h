/* tar_out.h - the entries of berth's reproducible tars, for docker
 * export/cp (tar_tree.c) and commit's layers (layer_tar.c): headers made
 * from a file's stat alone (mode, numeric uid/gid, mtime in whole seconds,
 * device numbers, the size of a regular file and 0 for anything else; no
 * atime/ctime, no user or group names), ustar unless an entry needs pax
 * (long or non-ASCII names, big sizes or ids, xattrs as SCHILY records,
 * as Go writes them), files with several links written once and then as
 * hard links to that first name, the archive ending right after its two
 * zero blocks. */
#ifndef BERTH_TAR_OUT_H
#define BERTH_TAR_OUT_H

#include <stddef.h>
#include <sys/stat.h>

#include <archive_entry.h>

#include <berth/error.h>

struct tar_out;

/* Starts a tar written to out_fd. NULL (and err) on failure. */
struct tar_out *tar_out_new(int out_fd, berth_error *err);

/* A header for name with the stable fields of st (see above). */
struct archive_entry *tar_out_entry(const struct stat *st, const char *name);

/* For a file with several links: the name it was first written as (the
 * entry should then be a hard link to it), or NULL, and name is
 * remembered as its first. */
const char *tar_out_first_link(struct tar_out *t, const struct stat *st, const char *name);

/* Writes e (and frees it), then, when data_fd >= 0, the entry's size in
 * bytes read from data_fd: zeros for what a file that shrank meanwhile no
 * longer has. */
int tar_out_put(struct tar_out *t, struct archive_entry *e, int data_fd, berth_error *err);

/* The entries written so far. */
size_t tar_out_count(const struct tar_out *t);

/* Writes the end of the archive. */
int tar_out_close(struct tar_out *t, berth_error *err);
void tar_out_free(struct tar_out *t);

#endif
