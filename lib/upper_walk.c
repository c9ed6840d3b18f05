/* upper_walk.c - walking a writable layer and looking into its lowers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "errors.h"
#include "upper_walk.h"
#include "util.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory fd, sorted; -errno on failure. */
static int read_names(int fd, char ***out)
{
    int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup_fd < 0)
        return -errno;
    DIR *d = fdopendir(dup_fd);
    if (!d) {
        int e = errno;
        close(dup_fd);
        return -e;
    }
    char **names = NULL;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
            strv_push(&names, de->d_name);
    closedir(d);
    if (names)
        qsort(names, strv_length(names), sizeof *names, cmp_str);
    *out = names;
    return 0;
}

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool is_opaque(int dir_fd)
{
    char v[4];
    ssize_t n = fgetxattr(dir_fd, "trusted.overlay.opaque", v, sizeof v);
    return n == 1 && v[0] == 'y';
}

static int walk_dir(int fd, const char *path, bool in_opaque, upper_fn fn, void *ud,
                    berth_error *err)
{
    _cleanup_strv_ char **names = NULL;
    int r = read_names(fd, &names);
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot read %s in the container's layer",
                          *path ? path : "/");
    for (size_t i = 0; names && names[i]; i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", path, names[i]);
        struct upper_ent ent = { p, names[i], fd, -1, { 0 }, false, false, in_opaque };
        if (fstatat(fd, names[i], &ent.st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) /* removed meanwhile (a running container) */
                continue;
            return berr_errno(err, BERTH_EINTERNAL, errno, "cannot stat %s", p);
        }
        _cleanup_close_ int sub = -1;
        if (S_ISDIR(ent.st.st_mode)) {
            sub = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
                    continue; /* replaced meanwhile */
                return berr_errno(err, BERTH_EINTERNAL, errno, "cannot open %s", p);
            }
            /* what we walk is what we opened */
            if (fstat(sub, &ent.st) < 0)
                return berr_errno(err, BERTH_EINTERNAL, errno, "cannot stat %s", p);
            ent.fd = sub;
            ent.opaque = is_opaque(sub);
        } else {
            ent.whiteout = is_whiteout(&ent.st);
        }
        r = fn(ud, &ent, err);
        if (r < 0)
            return r;
        if (sub >= 0) {
            r = walk_dir(sub, p, in_opaque || ent.opaque, fn, ud, err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

int upper_walk(int root_fd, upper_fn fn, void *ud, berth_error *err)
{
    return walk_dir(root_fd, "", false, fn, ud, err);
}

int lowers_open(char *const *dirs, struct lowers *l, berth_error *err)
{
    l->n = strv_length(dirs);
    l->fds = xcalloc(l->n + 1, sizeof *l->fds);
    for (size_t i = 0; i < l->n; i++) {
        l->fds[i] = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (l->fds[i] < 0) {
            int e = errno;
            l->n = i;
            lowers_close(l);
            return berr_errno(err, BERTH_EINTERNAL, e, "cannot open layer %s", dirs[i]);
        }
    }
    return 0;
}

void lowers_close(struct lowers *l)
{
    for (size_t i = 0; i < l->n; i++)
        close(l->fds[i]);
    free(l->fds);
    l->fds = NULL;
    l->n = 0;
}

/* Opens path (relative: "a/b", or "" for the top) below layer_fd without
 * following any symlink: an O_PATH descriptor of the entry itself. */
static int open_beneath(int layer_fd, const char *rel, bool dir)
{
    struct open_how how = { 0 };
    how.flags = dir ? (O_RDONLY | O_DIRECTORY | O_CLOEXEC) : (O_PATH | O_NOFOLLOW | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, layer_fd, *rel ? rel : ".", &how, sizeof how);
    return fd < 0 ? -errno : (int)fd;
}

/* 1 the layer has path, 0 it does not say, -1 it deletes it (a whiteout,
 * or an opaque parent). */
static int layer_says(int layer_fd, const char *rel)
{
    _cleanup_close_ int fd = open_beneath(layer_fd, rel, false);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) < 0)
            return 0;
        return is_whiteout(&st) ? -1 : 1;
    }
    /* an opaque parent hides what the layers below have */
    const char *slash = strrchr(rel, '/');
    _cleanup_free_ char *parent = slash ? xstrndup(rel, slash - rel) : xstrdup("");
    _cleanup_close_ int pfd = *parent ? open_beneath(layer_fd, parent, true) : -1;
    return pfd >= 0 && is_opaque(pfd) ? -1 : 0;
}

bool lowers_has(const struct lowers *l, const char *path)
{
    const char *rel = path + (*path == '/');
    for (size_t i = 0; i < l->n; i++) {
        int s = layer_says(l->fds[i], rel);
        if (s)
            return s > 0;
    }
    return false;
}

char **lowers_list(const struct lowers *l, const char *path)
{
    const char *rel = path + (*path == '/');
    char **seen = NULL, **out = NULL;
    for (size_t i = 0; i < l->n; i++) {
        _cleanup_close_ int fd = open_beneath(l->fds[i], rel, true);
        if (fd < 0)
            continue;
        _cleanup_strv_ char **names = NULL;
        if (read_names(fd, &names) < 0)
            continue;
        for (size_t k = 0; names && names[k]; k++) {
            if (strv_contains(seen, names[k]))
                continue;
            strv_push(&seen, names[k]);
            struct stat st;
            if (fstatat(fd, names[k], &st, AT_SYMLINK_NOFOLLOW) == 0 && !is_whiteout(&st))
                strv_push(&out, names[k]);
        }
        if (is_opaque(fd))
            break;
    }
    strv_free(seen);
    if (out)
        qsort(out, strv_length(out), sizeof *out, cmp_str);
    return out;
}
