/* inroot.c - openat2-based resolution inside a container root. */
#include <errno.h>
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
