/* layer_tar.c - the tar of a writable layer, for commit. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "errors.h"
#include "layer_tar.h"
#include "tar_out.h"
#include "upper_walk.h"
#include "util.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

struct tar_state {
    struct tar_out *out;
};

static int visit(void *ud, const struct upper_ent *ent, berth_error *err)
{
    struct tar_state *t = ud;
    const char *name = ent->path + 1;
    if (str_has_prefix(ent->name, WHITEOUT_PREFIX))
        return berr(err, BERTH_EINVAL, "cannot commit %s: the name begins with %s", ent->path,
                    WHITEOUT_PREFIX);
    if (ent->whiteout) {
        int dirlen = (int)(strlen(name) - strlen(ent->name)); /* "a/" of "a/b" */
        _cleanup_free_ char *wh = xasprintf("%.*s" WHITEOUT_PREFIX "%s", dirlen, name, ent->name);
        struct stat st = ent->st;
        st.st_mode = S_IFREG | 0600;
        st.st_size = 0;
        return tar_out_put(t->out, tar_out_entry(&st, wh), -1, err);
    }
    struct archive_entry *e = NULL;
    int r;
    switch (ent->st.st_mode & S_IFMT) {
    case S_IFDIR:
        r = tar_out_put(t->out, tar_out_entry(&ent->st, name), -1, err);
        if (r == 0 && ent->opaque) {
            _cleanup_free_ char *opq = xasprintf("%s/" WHITEOUT_OPAQUE, name);
            struct stat st = ent->st;
            st.st_mode = S_IFREG | (ent->st.st_mode & 0777);
            st.st_size = 0;
            r = tar_out_put(t->out, tar_out_entry(&st, opq), -1, err);
        }
        return r;
    case S_IFLNK: {
        char target[PATH_MAX + 1];
        ssize_t n = readlinkat(ent->dir_fd, ent->name, target, PATH_MAX);
        if (n < 0)
            return errno == ENOENT
                       ? 0
                       : berr_errno(err, BERTH_EINTERNAL, errno, "cannot read %s", ent->path);
        target[n] = '\0';
        e = tar_out_entry(&ent->st, name);
        archive_entry_copy_symlink(e, target);
        return tar_out_put(t->out, e, -1, err);
    }
    case S_IFREG: {
        /* the file as opened (never through a symlink, never blocking on
         * a FIFO put in its place) is what goes in */
        _cleanup_close_ int fd = openat(ent->dir_fd, ent->name,
                                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            return errno == ENOENT
                       ? 0
                       : berr_errno(err, BERTH_EINTERNAL, errno, "cannot open %s", ent->path);
        struct stat st;
        if (fstat(fd, &st) < 0)
            return berr_errno(err, BERTH_EINTERNAL, errno, "cannot stat %s", ent->path);
        if (!S_ISREG(st.st_mode))
            return 0; /* replaced meanwhile by something else */
        e = tar_out_entry(&st, name);
        const char *first = tar_out_first_link(t->out, &st, name);
        if (first) {
            archive_entry_copy_hardlink(e, first);
            archive_entry_set_size(e, 0);
            return tar_out_put(t->out, e, -1, err);
        }
        /* file capabilities, the one xattr Docker keeps in layers */
        char cap[64];
        ssize_t n = fgetxattr(fd, "security.capability", cap, sizeof cap);
        if (n > 0)
            archive_entry_xattr_add_entry(e, "security.capability", cap, (size_t)n);
        return tar_out_put(t->out, e, fd, err);
    }
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO: return tar_out_put(t->out, tar_out_entry(&ent->st, name), -1, err);
    default: /* sockets have no place in a tar, as in Docker's */ return 0;
    }
}

int layer_tar_write(int upper_fd, int out_fd, size_t *n_entries, berth_error *err)
{
    struct tar_state t = { tar_out_new(out_fd, err) };
    *n_entries = 0;
    if (!t.out)
        return BERTH_EINTERNAL; /* err says why */
    int r = upper_walk(upper_fd, visit, &t, err);
    if (r == 0)
        r = tar_out_close(t.out, err);
    *n_entries = tar_out_count(t.out);
    tar_out_free(t.out);
    return r;
}
