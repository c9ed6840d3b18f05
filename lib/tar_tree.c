/* tar_tree.c - a file tree to a reproducible tar stream (see tar_tree.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "errors.h"
#include "tar_out.h"
#include "tar_tree.h"
#include "util.h"

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

#define MAX_DEPTH 512

struct tar_tree {
    struct tar_out *out;
    berth_error *err;
};

struct tar_tree *tar_tree_new(int out_fd, berth_error *err)
{
    struct tar_out *out = tar_out_new(out_fd, err);
    if (!out)
        return NULL;
    struct tar_tree *t = xcalloc(1, sizeof *t);
    t->out = out;
    t->err = err;
    return t;
}

void tar_tree_free(struct tar_tree *t)
{
    if (!t)
        return;
    tar_out_free(t->out);
    free(t);
}

int tar_tree_finish(struct tar_tree *t)
{
    return tar_out_close(t->out, t->err);
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
        struct archive_entry *e = tar_out_entry(&st, name);
        const char *first = tar_out_first_link(t->out, &st, name);
        if (first) {
            archive_entry_set_size(e, 0);
            archive_entry_copy_hardlink(e, first);
        } else if (S_ISLNK(st.st_mode)) {
            archive_entry_copy_symlink(e, target);
        }
        int r = tar_out_put(t->out, e, !first && S_ISREG(st.st_mode) ? fd : -1, t->err);
        if (r < 0 || first || S_ISREG(st.st_mode))
            return r;
    }
    if (S_ISDIR(st.st_mode))
        return add_children(t, fd, name, depth);
    return 0;
}

int tar_tree_add(struct tar_tree *t, int parent_fd, const char *leaf, const char *name)
{
    return add_node(t, parent_fd, leaf, name, 0);
}
