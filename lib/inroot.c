/* inroot.c - openat2-based resolution inside a container root. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inroot.h"
#include "util.h"

int inroot_open(int rootfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = { 0 };
    how.flags = (unsigned long long)flags | O_CLOEXEC;
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    while (*path == '/')
        path++;
    if (!*path)
        path = ".";
    for (;;) {
        long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
    }
}

int inroot_read_file(int rootfd, const char *path, size_t max, char **out)
{
    _cleanup_close_ int fd = inroot_open(rootfd, path, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((size_t)st.st_size > max)
        return -EFBIG;
    char *data = xmalloc(st.st_size + 1);
    ssize_t n = read_all(fd, data, st.st_size);
    if (n < 0) {
        free(data);
        return (int)n;
    }
    data[n] = '\0';
    *out = data;
    return 0;
}

int inroot_mkdir_p(int rootfd, const char *path, mode_t mode)
{
    _cleanup_free_ char *p = xstrdup(path);
    size_t len = strlen(p);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        /* each prefix is resolved inside the root, symlinks included */
        int fd = inroot_open(rootfd, p, O_PATH | O_DIRECTORY, 0);
        if (fd >= 0) {
            close(fd);
        } else if (fd == -ENOENT) {
            char *slash = strrchr(p, '/');
            const char *name = slash ? slash + 1 : p;
            int pfd;
            if (slash) {
                *slash = '\0';
                pfd = inroot_open(rootfd, *p ? p : "/", O_PATH | O_DIRECTORY, 0);
                *slash = '/';
            } else {
                pfd = inroot_open(rootfd, ".", O_PATH | O_DIRECTORY, 0);
            }
            if (pfd < 0)
                return pfd;
            int r = mkdirat(pfd, name, mode) < 0 && errno != EEXIST ? -errno : 0;
            close(pfd);
            if (r < 0)
                return r;
        } else {
            return fd;
        }
        p[i] = saved;
    }
    return 0;
}

static int copy_meta(int fd, const struct stat *st)
{
    if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
        return -errno;
    struct timespec times[2] = { st->st_atim, st->st_mtim };
    futimens(fd, times);
    return 0;
}

static int copy_dir(int src, int dst, int depth);

static int copy_entry(int src, int dst, const char *name, int depth)
{
    struct stat st;
    if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode)) {
        if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST)
            return -errno;
        _cleanup_close_ int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || d < 0)
            return -errno;
        int r = copy_dir(s, d, depth + 1);
        return r < 0 ? r : copy_meta(d, &st);
    }
    if (S_ISREG(st.st_mode)) {
        _cleanup_close_ int s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d =
            openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s < 0 || d < 0)
            return -errno;
        int64_t n = copy_fd(s, d);
        if (n < 0)
            return (int)n;
        return copy_meta(d, &st);
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(src, name, target, sizeof target - 1);
        if (n < 0)
            return -errno;
        target[n] = '\0';
        if (symlinkat(target, dst, name) < 0)
            return -errno;
        fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        return 0;
    }
    /* fifos, sockets and device nodes */
    if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
        return -errno;
    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int copy_dir(int src, int dst, int depth)
{
    if (depth > 256)
        return -ELOOP;
    int fd = fcntl(src, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    _cleanup_closedir_ DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        int r = copy_entry(src, dst, de->d_name, depth);
        if (r < 0)
            return r;
    }
    return 0;
}

int inroot_copy_tree(int rootfd, const char *path, int dst_fd)
{
    _cleanup_close_ int src = inroot_open(rootfd, path, O_RDONLY | O_DIRECTORY, 0);
    if (src == -ENOENT || src == -ENOTDIR)
        return 0;
    if (src < 0)
        return src;
    struct stat st;
    if (fstat(src, &st) < 0)
        return -errno;
    int r = copy_dir(src, dst_fd, 0);
    return r < 0 ? r : copy_meta(dst_fd, &st);
}
