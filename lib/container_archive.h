/* container_archive.h - what berth cp (container_cp.c) uses of the
 * archive endpoints' implementation. */
#ifndef BERTH_CONTAINER_ARCHIVE_INT_H
#define BERTH_CONTAINER_ARCHIVE_INT_H

#include <berth/archive.h>

/* berth_container_archive_get with the top entry named top (NULL:
 * Docker's name for it). */
int archive_get_as(berth_engine *e, const char *name, const char *path, int out_fd, const char *top,
                   void (*on_stat)(void *ud, const char *stat_json), void *ud, berth_error *err);

/* An unlinked read-write file in the state root's tmp/. */
int archive_spool_open(berth_engine *e, berth_error *err);

#endif
