/* tar_tree.c - a file tree to a reproducible tar stream (see tar_tree.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "errors.h"
#include "tar_tree.h"
#include "util.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

#define DATA_CHUNK (1 << 20)
#define MAX_DEPTH  512

struct link_seen {
    dev_t dev;
    ino_t ino;
    char *name;
};

struct tar_tree {
    struct archive *a;
    berth_error *err;
    struct link_seen *links;
    size_t n_links, cap_links;
    char *data;
};

struct tar_tree *tar_tree_new(int out_fd, berth_error *err)
{
    struct archive *a = archive_write_new();
    if (!a) {
        berr(err, BERTH_EINTERNAL, "cannot allocate an archive writer");
        return NULL;
    }
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_per_block(a, 64 * 1024);
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open_fd(a, out_fd) != ARCHIVE_OK) {
        berr(err, BERTH_EINTERNAL, "cannot start the archive: %s", archive_error_string(a));
        archive_write_free(a);
        return NULL;
    }
    struct tar_tree *t = xcalloc(1, sizeof *t);
    t->a = a;
    t->err = err;
    t->data = xmalloc(DATA_CHUNK);
    return t;
}

void tar_tree_free(struct tar_tree *t)
{
    if (!t)
        return;
    archive_write_free(t->a);
    for (size_t i = 0; i < t->n_links; i++)
        free(t->links[i].name);
    free(t->links);
    free(t->data);
    free(t);
}

int tar_tree_finish(struct tar_tree *t)
{
    if (archive_write_close(t->a) != ARCHIVE_OK)
        return berr(t->err, BERTH_EINTERNAL, "cannot write the archive: %s",
                    archive_error_string(t->a));
    return 0;
}

static int write_fail(struct tar_tree *t, const char *name)
{
    return berr(t->err, BERTH_EINTERNAL, "cannot archive %s: %s", name, archive_error_string(t->a));
}

/* The name a hard link should point to, or NULL (and remembered as the
 * first name of its inode). */
static const char *seen_link(struct tar_tree *t, const struct stat *st, const char *name)
{
    if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
        return NULL;
    for (size_t i = 0; i < t->n_links; i++)
        if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
            return t->links[i].name;
    if (t->n_links == t->cap_links) {
        t->cap_links = t->cap_links ? 2 * t->cap_links : 64;
        t->links = xrealloc(t->links, t->cap_links * sizeof *t->links);
    }
    t->links[t->n_links++] = (struct link_seen){ st->st_dev, st->st_ino, xstrdup(name) };
    return NULL;
}

static struct archive_entry *make_entry(const struct stat *st, const char *name)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_pathname(e, name);
    archive_entry_set_mode(e, st->st_mode);
    archive_entry_set_uid(e, st->st_uid);
    archive_entry_set_gid(e, st->st_gid);
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        archive_entry_set_rdevmajor(e, major(st->st_rdev));
        archive_entry_set_rdevminor(e, minor(st->st_rdev));
    }
    archive_entry_set_size(e, S_ISREG(st->st_mode) ? st->st_size : 0);
    return e;
}

static int write_header(struct tar_tree *t, struct archive_entry *e, const char *name)
{
    int r = archive_write_header(t->a, e);
    /* a warning is a name that does not convert to UTF-8: written as raw
     * bytes (hdrcharset=BINARY), which is what Docker does */
    return r < ARCHIVE_WARN ? write_fail(t, name) : 0;
}

static int write_body(struct tar_tree *t, int fd, const struct stat *st, const char *name)
{
    int64_t left = st->st_size;
    while (left > 0) {
        ssize_t n = read(fd, t->data, left < DATA_CHUNK ? left : DATA_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return berr_errno(t->err, BERTH_EINTERNAL, errno, "cannot read %s", name);
        if (n == 0) {
            /* shrunk while being read: pad, the header is out already */
            n = left < DATA_CHUNK ? left : DATA_CHUNK;
            memset(t->data, 0, n);
        }
        if (archive_write_data(t->a, t->data, n) != n)
            return write_fail(t, name);
        left -= n;
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_node(struct tar_tree *t, int parent, const char *leaf, const char *name, int depth);

static char *child_name(const char *name, const char *child)
{
    if (!*name)
        return xstrdup(child);
    if (str_has_suffix(name, "/"))
        return xasprintf("%s%s", name, child);
    return xasprintf("%s/%s", name, child);
}

/* The kernel's views (/proc, /sys, ... of a running container): archived
 * as the empty directories they are mounted on, never read through. */
static bool pseudo_fs(int dfd)
{
    struct statfs sf;
    if (fstatfs(dfd, &sf) < 0)
        return false;
    switch ((unsigned long)sf.f_type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case MQUEUE_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case BPF_FS_MAGIC: return true;
    default: return false;
    }
}

static int add_children(struct tar_tree *t, int dfd, const char *name, int depth)
{
    if (pseudo_fs(dfd))
        return 0;
    if (depth > MAX_DEPTH)
        return berr(t->err, BERTH_EINTERNAL, "cannot archive %s: too deep", name);
    int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return berr_errno(t->err, BERTH_EINTERNAL, errno, "cannot read %s", name);
    _cleanup_closedir_ DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return berr_errno(t->err, BERTH_EINTERNAL, errno, "cannot read %s", name);
    }
    _cleanup_strv_ char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        strv_push(&names, de->d_name);
        n++;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *cn = child_name(name, names[i]);
        int r = add_node(t, dfd, names[i], cn, depth + 1);
        if (r < 0)
            return r;
    }
    return 0;
}

static int add_node(struct tar_tree *t, int parent, const char *leaf, const char *name, int depth)
{
    struct stat st;
    _cleanup_close_ int fd = -1;
    if (!leaf) {
        if (fstat(parent, &st) < 0)
            return berr_errno(t->err, BERTH_EINTERNAL, errno, "cannot read %s", name);
    } else if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0; /* gone meanwhile */
        return berr_errno(t->err, BERTH_EINTERNAL, errno, "cannot read %s", name);
    }
    if (S_ISSOCK(st.st_mode))
        return 0;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        /* opened without following, then described by what was opened,
         * so a node swapped meanwhile is archived as what it now is */
        int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
                    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0);
        fd = leaf ? openat(parent, leaf, flags) : openat(parent, ".", flags);
        if (fd < 0) {
            /* gone, or swapped for another kind of node meanwhile: left
             * out, as a file removed during the walk */
            if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR || errno == ENXIO)
                return 0;
            return berr_errno(t->err, BERTH_EINTERNAL, errno, "cannot open %s", name);
        }
        if (fstat(fd, &st) < 0)
            return berr_errno(t->err, BERTH_EINTERNAL, errno, "cannot read %s", name);
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            return 0;
    }
    char target[PATH_MAX];
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(parent, leaf, target, sizeof target - 1);
        if (n < 0)
            return errno == ENOENT || errno == EINVAL
                       ? 0
                       : berr_errno(t->err, BERTH_EINTERNAL, errno, "cannot read %s", name);
        target[n] = '\0';
    }
    if (*name) {
        struct archive_entry *e = make_entry(&st, name);
        const char *first = seen_link(t, &st, name);
        if (first) {
            archive_entry_set_size(e, 0);
            archive_entry_copy_hardlink(e, first);
        } else if (S_ISLNK(st.st_mode)) {
            archive_entry_copy_symlink(e, target);
        }
        int r = write_header(t, e, name);
        archive_entry_free(e);
        if (r < 0)
            return r;
        if (first)
            return 0;
        if (S_ISREG(st.st_mode))
            return write_body(t, fd, &st, name);
    }
    if (S_ISDIR(st.st_mode))
        return add_children(t, fd, name, depth);
    return 0;
}

int tar_tree_add(struct tar_tree *t, int parent_fd, const char *leaf, const char *name)
{
    return add_node(t, parent_fd, leaf, name, 0);
}
