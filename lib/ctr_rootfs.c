/* ctr_rootfs.c - opening a container's root filesystem (see ctr_rootfs.h).
 *
 * berthd is multi-threaded and unshare(CLONE_NEWNS) fails in a threaded
 * process, hence the forked child for the overlay mount. A read-only
 * overlay stacks the container's upper directory as its top lower layer:
 * it needs no work directory, so it never competes with the container's
 * own read-write mount for upper/work. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <jansson.h>
#include <unistd.h>

#include "ctr_rootfs.h"
#include "engine_int.h"
#include "errors.h"
#include "fdpass.h"
#include "util.h"

static int send_fd(int sock, int fd)
{
    char byte = 0;
    return fdpass_send(sock, &byte, 1, &fd, 1);
}

/* Receives a descriptor, or (no descriptor attached) the errno the child
 * sent as its one data byte. */
static int recv_fd(int sock)
{
    unsigned char byte = 0;
    int fd;
    size_t n_fds;
    ssize_t n = fdpass_recv(sock, &byte, 1, &fd, 1, &n_fds, NULL);
    if (n < 0)
        return (int)n;
    if (n_fds)
        return fd;
    return n == 1 && byte ? -(int)byte : -EIO;
}

#define MAX_BINDS 128

/* The container's volumes and bind mounts, shallowest first, prepared
 * before the fork (the child of a threaded process must not allocate). */
struct binds {
    const char *src[MAX_BINDS], *dst[MAX_BINDS];
    bool rw[MAX_BINDS];
    size_t n;
};

static size_t depth(const char *p)
{
    size_t d = 0;
    for (; *p; p++)
        d += *p == '/';
    return d;
}

static void collect_binds(const struct ctr *c, struct binds *b)
{
    b->n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(c->mounts, i, m)
    {
        const char *src = json_string_value(json_object_get(m, "Source"));
        const char *dst = json_string_value(json_object_get(m, "Destination"));
        if (!src || !dst || b->n == MAX_BINDS)
            continue;
        size_t k = b->n++;
        /* insertion by depth, stable */
        while (k > 0 && depth(b->dst[k - 1]) > depth(dst)) {
            b->src[k] = b->src[k - 1];
            b->dst[k] = b->dst[k - 1];
            b->rw[k] = b->rw[k - 1];
            k--;
        }
        b->src[k] = src;
        b->dst[k] = dst;
        b->rw[k] = json_is_true(json_object_get(m, "RW"));
    }
}

/* "/proc/self/fd/N" without allocating. */
static void fd_path(int fd, char *buf)
{
    char digits[16];
    int n = 0;
    do
        digits[n++] = '0' + fd % 10;
    while ((fd /= 10) > 0);
    memcpy(buf, "/proc/self/fd/", 14);
    for (int i = 0; i < n; i++)
        buf[14 + i] = digits[n - 1 - i];
    buf[14 + n] = '\0';
}

/* Mounts one volume or bind over its destination inside the root (found
 * with RESOLVE_IN_ROOT; a destination that does not exist yet, in a
 * container never started, is left out). Returns 0 or an errno. */
static int child_bind(int root, const char *src, const char *dst, bool rw)
{
    struct open_how how = { 0 };
    how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long t = syscall(SYS_openat2, root, dst, &how, sizeof how);
    if (t < 0)
        return errno == ENOENT ? 0 : errno;
    /* a symlink planted at the destination is not mounted over: the
     * mount would follow it outside the root */
    struct stat st;
    if (fstat((int)t, &st) < 0 || S_ISLNK(st.st_mode)) {
        close((int)t);
        return 0;
    }
    char path[32];
    fd_path((int)t, path);
    int r = mount(src, path, NULL, MS_BIND | MS_REC, NULL) < 0 ? errno : 0;
    close((int)t);
    if (r || rw)
        return r;
    /* read-only: remount the new mount, reached through its root */
    t = syscall(SYS_openat2, root, dst, &how, sizeof how);
    if (t < 0)
        return errno;
    fd_path((int)t, path);
    r = mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0 ? errno : 0;
    close((int)t);
    return r;
}

static int child_mount(const char *mountpoint, const char *opts, bool ro, const struct binds *b)
{
    if (unshare(CLONE_NEWNS) < 0)
        return errno;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return errno;
    if (mount("overlay", mountpoint, "overlay", ro ? MS_RDONLY : 0, opts) < 0)
        return errno;
    int fd = open(mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    for (size_t i = 0; i < b->n; i++) {
        int r = child_bind(fd, b->src[i], b->dst[i], b->rw[i]);
        if (r)
            return r;
    }
    return -fd;
}

static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

/* Mounts the overlay in a child's private mount namespace; *out gets the
 * root, *holder the socket whose closing ends the child *holder_pid. */
static int mount_overlay(berth_engine *e, const struct ctr *c, bool ro, bool with_binds, int *out,
                         int *holder, pid_t *holder_pid, berth_error *err)
{
    struct binds b;
    collect_binds(c, &b);
    if (!with_binds)
        b.n = 0;
    _cleanup_free_ char *lower = NULL;
    int r = ctr_lower_dirs(e, c, &lower, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
    _cleanup_free_ char *opts =
        ro ? xasprintf("lowerdir=%s/upper:%s", dir, lower)
           : xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, dir, dir);
    if (strlen(opts) >= 4000)
        return berr(err, BERTH_EINTERNAL, "container %s has too many layers to mount", c->id);
    _cleanup_free_ char *mountpoint = engine_rootfs_mountpoint(e);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "socketpair");
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(sv[0]);
        close(sv[1]);
        return berr_errno(err, BERTH_EINTERNAL, saved, "fork");
    }
    if (pid == 0) {
        /* nothing of the parent's but the socket: a pipe end kept here
         * would hold another request's stream open */
        if (sv[1] != 3 && (dup2(sv[1], 3) < 0))
            _exit(1);
        close_range(4, ~0U, 0);
        int res = child_mount(mountpoint, opts, ro, &b);
        if (res >= 0) {
            unsigned char byte = res > 0 && res < 256 ? res : EIO;
            _exit(write(3, &byte, 1) == 1 ? 0 : 1);
        }
        if (send_fd(3, -res) < 0)
            _exit(1);
        /* the namespace lives on until the caller is done: on a mount
         * whose namespace is gone every mntput takes the mount lock, and
         * openat2 RESOLVE_IN_ROOT then fails every ".." with EAGAIN */
        char byte;
        while (read(3, &byte, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
    }
    close(sv[1]);
    int fd = recv_fd(sv[0]);
    if (fd < 0) {
        close(sv[0]);
        reap(pid);
        return berr_errno(err, BERTH_EINTERNAL, -fd,
                          "cannot mount the root filesystem of container %s", c->id);
    }
    *out = fd;
    *holder = sv[0];
    *holder_pid = pid;
    return 0;
}

/* The root as the container's processes see it. -ESRCH: no process. */
static int open_proc_root(const struct ctr *c)
{
    if (c->pid <= 0)
        return -ESRCH;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/root", c->pid);
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ctr_rootfs_open(berth_engine *e, const char *name, enum ctr_rootfs_mode mode,
                    struct ctr_rootfs *out, berth_error *err)
{
    out->c = NULL;
    out->root = out->lock = out->holder = -1;
    out->holder_pid = 0;
    int r = ctr_load_locked(e, name, &out->c, &out->lock, err);
    if (r < 0)
        return r;
    if (mode != CTR_ROOTFS_IMAGE && ctr_is_running(out->c)) {
        int fd = open_proc_root(out->c);
        if (fd >= 0) {
            out->root = fd;
            return 0;
        }
    }
    /* a running (or restarting) container owns its upper and work
     * directories: another mount may only stack them read-only */
    bool running = ctr_is_running(out->c);
    if (mode == CTR_ROOTFS_WRITE && running)
        r = berr(err, BERTH_ECONFLICT, "container %s is restarting: try again", name);
    else
        r = mount_overlay(e, out->c, mode != CTR_ROOTFS_WRITE, mode != CTR_ROOTFS_IMAGE, &out->root,
                          &out->holder, &out->holder_pid, err);
    if (r < 0)
        ctr_rootfs_close(out);
    return r;
}

void ctr_rootfs_close(struct ctr_rootfs *r)
{
    if (r->root >= 0)
        close(r->root);
    if (r->holder >= 0)
        close(r->holder);
    if (r->holder_pid > 0)
        reap(r->holder_pid);
    if (r->lock >= 0)
        close(r->lock);
    ctr_free(r->c);
    r->c = NULL;
    r->root = r->lock = r->holder = -1;
    r->holder_pid = 0;
}
