/* upper_walk.h - reading a container's writable layer (its overlayfs upper
 * directory, <root>/containers/<id>/upper) against its lower layers, for
 * `diff` (changes) and `commit`.
 *
 * The upper directory holds files the container made: every name is
 * opened relative to its parent's descriptor with O_NOFOLLOW, symlinks are
 * read with readlinkat and never followed, and the lower layers are looked
 * up with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so nothing the
 * container planted leads outside. The walk is Go's filepath.Walk order
 * (a directory, then its entries sorted by name, depth first), which is
 * the order of Docker's changes and of the layer tar. */
#ifndef BERTH_UPPER_WALK_H
#define BERTH_UPPER_WALK_H

#include <stdbool.h>
#include <sys/stat.h>

#include <berth/error.h>

struct upper_ent {
    const char *path; /* "/a/b" */
    const char *name; /* "b" */
    int dir_fd;       /* the parent directory */
    int fd;           /* a directory's own descriptor, else -1 */
    struct stat st;
    bool whiteout;  /* a 0/0 character device: the lower entry is deleted */
    bool opaque;    /* a directory whose lower content is hidden */
    bool in_opaque; /* below an opaque directory: no lower entry shows */
};

/* Called for every entry; a negative return stops the walk. */
typedef int (*upper_fn)(void *ud, const struct upper_ent *ent, berth_error *err);

/* Walks the tree below root_fd (the root itself is not visited). */
int upper_walk(int root_fd, upper_fn fn, void *ud, berth_error *err);

/* The lower layers of a container, topmost first. */
struct lowers {
    int *fds;
    size_t n;
};

/* Opens the directories (absolute paths, topmost first). */
int lowers_open(char *const *dirs, struct lowers *l, berth_error *err);
void lowers_close(struct lowers *l);

/* Whether path ("/a/b") exists in the merged lower layers: the topmost
 * layer that has the name decides (a whiteout there means it does not). */
bool lowers_has(const struct lowers *l, const char *path);

/* The names the merged lower layers show in directory path, sorted;
 * NULL when none. */
char **lowers_list(const struct lowers *l, const char *path);

#endif
