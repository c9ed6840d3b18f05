/* layer_tar.c - the tar of a writable layer, for commit. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "errors.h"
#include "layer_tar.h"
#include "upper_walk.h"
#include "util.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

struct link {
    dev_t dev;
    ino_t ino;
    char *name;
};

struct tar_state {
    struct archive *a;
    struct link *links; /* files with several names: the first one written */
    size_t n_links;
    size_t n_entries;
};

/* A header with the stable fields of st. */
static struct archive_entry *header(const char *name, const struct stat *st)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_pathname(e, name);
    archive_entry_set_mode(e, st->st_mode);
    archive_entry_set_uid(e, st->st_uid);
    archive_entry_set_gid(e, st->st_gid);
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
    return e;
}

static int put(struct tar_state *t, struct archive_entry *e, int data_fd, berth_error *err)
{
    int r = archive_write_header(t->a, e);
    if (r < ARCHIVE_WARN) {
        r = berr(err, BERTH_EINTERNAL, "cannot write %s to the layer: %s",
                 archive_entry_pathname(e), archive_error_string(t->a));
        archive_entry_free(e);
        return r;
    }
    int64_t left = archive_entry_size(e);
    const char *name = archive_entry_pathname(e);
    char buf[65536];
    while (data_fd >= 0 && left > 0) {
        ssize_t n = read(data_fd, buf, left < (int64_t)sizeof buf ? (size_t)left : sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = berr_errno(err, BERTH_EINTERNAL, errno, "cannot read %s", name);
            archive_entry_free(e);
            return r;
        }
        if (n == 0) /* shrunk meanwhile: libarchive pads the entry with zeros */
            break;
        if (archive_write_data(t->a, buf, n) != n) {
            r = berr(err, BERTH_EINTERNAL, "cannot write the layer: %s",
                     archive_error_string(t->a));
            archive_entry_free(e);
            return r;
        }
        left -= n;
    }
    archive_entry_free(e);
    t->n_entries++;
    return 0;
}

/* The first name written for a file with several links, or NULL (and
 * this one recorded). */
static const char *link_target(struct tar_state *t, const struct stat *st, const char *name)
{
    if (st->st_nlink < 2)
        return NULL;
    for (size_t i = 0; i < t->n_links; i++)
        if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
            return t->links[i].name;
    t->links = xrealloc(t->links, (t->n_links + 1) * sizeof *t->links);
    t->links[t->n_links++] = (struct link){ st->st_dev, st->st_ino, xstrdup(name) };
    return NULL;
}

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
        return put(t, header(wh, &st), -1, err);
    }
    struct archive_entry *e = NULL;
    int r;
    switch (ent->st.st_mode & S_IFMT) {
    case S_IFDIR:
        r = put(t, header(name, &ent->st), -1, err);
        if (r == 0 && ent->opaque) {
            _cleanup_free_ char *opq = xasprintf("%s/" WHITEOUT_OPAQUE, name);
            struct stat st = ent->st;
            st.st_mode = S_IFREG | (ent->st.st_mode & 0777);
            r = put(t, header(opq, &st), -1, err);
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
        e = header(name, &ent->st);
        archive_entry_copy_symlink(e, target);
        return put(t, e, -1, err);
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
        e = header(name, &st);
        const char *first = link_target(t, &st, name);
        if (first) {
            archive_entry_copy_hardlink(e, first);
            archive_entry_set_size(e, 0);
            return put(t, e, -1, err);
        }
        archive_entry_set_size(e, st.st_size);
        /* file capabilities, the one xattr Docker keeps in layers */
        char cap[64];
        ssize_t n = fgetxattr(fd, "security.capability", cap, sizeof cap);
        if (n > 0)
            archive_entry_xattr_add_entry(e, "security.capability", cap, (size_t)n);
        return put(t, e, fd, err);
    }
    case S_IFCHR:
    case S_IFBLK:
        e = header(name, &ent->st);
        archive_entry_set_rdev(e, ent->st.st_rdev);
        return put(t, e, -1, err);
    case S_IFIFO: return put(t, header(name, &ent->st), -1, err);
    default: /* sockets have no place in a tar, as in Docker's */ return 0;
    }
}

int layer_tar_write(int upper_fd, int out_fd, size_t *n_entries, berth_error *err)
{
    struct tar_state t = { archive_write_new(), NULL, 0, 0 };
    archive_write_set_format_pax_restricted(t.a);
    /* xattrs as Docker and Go write them, once (not also LIBARCHIVE.xattr) */
    archive_write_set_format_option(t.a, "pax", "xattrheader", "SCHILY");
    archive_write_set_bytes_in_last_block(t.a, 1);
    int r = 0;
    if (archive_write_open_fd(t.a, out_fd) != ARCHIVE_OK)
        r = berr(err, BERTH_EINTERNAL, "cannot write the layer: %s", archive_error_string(t.a));
    if (r == 0)
        r = upper_walk(upper_fd, visit, &t, err);
    if (r == 0 && archive_write_close(t.a) != ARCHIVE_OK)
        r = berr(err, BERTH_EINTERNAL, "cannot write the layer: %s", archive_error_string(t.a));
    archive_write_free(t.a);
    for (size_t i = 0; i < t.n_links; i++)
        free(t.links[i].name);
    free(t.links);
    *n_entries = t.n_entries;
    return r;
}
