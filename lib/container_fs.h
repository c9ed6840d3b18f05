/* container_fs.h - a container's writable layer and the layers below it,
 * as the changes (diff) and commit code read them. */
#ifndef BERTH_CONTAINER_FS_H
#define BERTH_CONTAINER_FS_H

#include "container.h"
#include "upper_walk.h"

/* Opens <root>/containers/<id>/upper (its descriptor in *upper_fd) and the
 * lower layers (the init layer, then the image layers, top first). */
int ctr_fs_open(berth_engine *e, const struct ctr *c, int *upper_fd, struct lowers *l,
                berth_error *err);

#endif
