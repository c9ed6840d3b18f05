/* untar.c - writing tar archives to disk without ever leaving the root.
 *
 * libarchive parses; every file system change is made here with *at()
 * calls on descriptors, never with path strings joined onto the root:
 *  - an entry's parent directory is opened with openat2(RESOLVE_IN_ROOT |
 *    RESOLVE_NO_MAGICLINKS), so ".." and symlinks (absolute or relative,
 *    planted earlier in the same archive or already there) resolve inside
 *    the root;
 *  - the last component is created with O_EXCL/O_NOFOLLOW or with calls
 *    that do not follow it, after removing whatever was there;
 *  - hard link sources are opened the same way (O_PATH, last component
 *    not followed) and linked by descriptor.
 * Directory modes and times are applied after all entries, so a read-only
 * directory in the archive does not stop its own children from being
 * written and their creation does not change its mtime. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <linux/openat2.h>

#include "errors.h"
#include "untar.h"
#include "util.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META   ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE  "trusted.overlay.opaque"

static void cleanup_archive_readp(struct archive **a)
{
    if (*a)
        archive_read_free(*a);
}
#define _cleanup_archive_read_ __attribute__((cleanup(cleanup_archive_readp)))

static void add_filters(struct archive *a)
{
    /* Named one by one: the _all variant would pull in formats and
     * external-program filters the static binaries do not carry. */
    archive_read_support_filter_none(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
}

/* openat2 confined to root; the last component is followed unless flags
 * has O_NOFOLLOW. Retries the EAGAIN that a concurrent rename may cause. */
static int open_in_root(int root, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    for (int i = 0; i < 16; i++) {
        long fd = syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof how);
        if (fd >= 0 || errno != EAGAIN)
            return (int)fd;
    }
    return -1;
}

/* Appends the components of name to out, dropping "." and empty ones and
 * letting ".." remove the last component added after floor (never the
 * ones before it). */
static void push_clean(buf_t *out, size_t floor, const char *name)
{
    const char *p = name;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t n = end - p;
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (out->len > floor) {
                char *slash = memrchr(out->data + floor, '/', out->len - floor);
                out->len = slash ? (size_t)(slash - out->data) : floor;
                out->data[out->len] = '\0';
            }
        } else {
            if (out->len > 0)
                buf_append(out, "/", 1);
            buf_append(out, p, n);
        }
        p = end;
    }
    if (!out->data)
        buf_append(out, "", 0);
}

/* base (already clean) + name, cleaned, with ".." stopping at base. */
static char *clean_path(const char *base, const char *name)
{
    buf_t b = { 0 };
    buf_append(&b, base, strlen(base));
    push_clean(&b, b.len, name);
    return buf_steal(&b);
}

struct dir_fixup {
    char *path;
    mode_t mode;
    struct timespec times[2];
};

struct untar {
    int root;
    unsigned flags;
    unsigned uid, gid; /* UNTAR_FORCE_OWNER */
    char *base;
    struct archive *a;
    struct dir_fixup *dirs;
    size_t n_dirs, cap_dirs;
    struct untar_stats stats;
    berth_error *err;
    const char *entry; /* name of the entry being written, for messages */
};

static int fail_errno(struct untar *u, int errnum, const char *what)
{
    return berr_errno(u->err, errnum == ENOSPC || errnum == EIO ? BERTH_EINTERNAL : BERTH_EINVAL,
                      errnum, "cannot extract %s: %s", u->entry, what);
}

/* Opens directory rel inside the root, creating missing components. */
static int ensure_dir(struct untar *u, const char *rel, int *out)
{
    int fd = open_in_root(u->root, rel, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        *out = fd;
        return 0;
    }
    if (errno != ENOENT || !*rel)
        return fail_errno(u, errno, "cannot open parent directory");
    const char *slash = strrchr(rel, '/');
    _cleanup_free_ char *parent = slash ? xstrndup(rel, slash - rel) : xstrdup("");
    const char *leaf = slash ? slash + 1 : rel;
    _cleanup_close_ int pfd = -1;
    int r = ensure_dir(u, parent, &pfd);
    if (r < 0)
        return r;
    if (mkdirat(pfd, leaf, 0755) < 0 && errno != EEXIST)
        return fail_errno(u, errno, "cannot create parent directory");
    fd = open_in_root(u->root, rel, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return fail_errno(u, errno, "cannot open parent directory");
    *out = fd;
    return 0;
}

/* Makes room for a new entry named leaf in parent. *keep_dir is set when a
 * directory is there and the new entry is a directory too. */
static int clear_leaf(struct untar *u, int parent, const char *leaf, bool new_is_dir,
                      bool *keep_dir)
{
    struct stat st;
    *keep_dir = false;
    if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return fail_errno(u, errno, "cannot inspect existing file");
    }
    bool old_is_dir = S_ISDIR(st.st_mode);
    if (old_is_dir && new_is_dir) {
        *keep_dir = true;
        return 0;
    }
    if ((u->flags & UNTAR_NO_OVERWRITE_DIR_NONDIR) && old_is_dir != new_is_dir)
        return berr(u->err, BERTH_EINVAL, "cannot overwrite %s %s with a %s",
                    old_is_dir ? "directory" : "non-directory", u->entry,
                    new_is_dir ? "directory" : "non-directory");
    int r = old_is_dir ? rm_rf_at(parent, leaf) : (unlinkat(parent, leaf, 0) < 0 ? -errno : 0);
    if (r < 0 && r != -ENOENT)
        return fail_errno(u, -r, "cannot remove existing file");
    return 0;
}

static unsigned owner_uid(const struct untar *u, struct archive_entry *e)
{
    return u->flags & UNTAR_FORCE_OWNER ? u->uid : (unsigned)archive_entry_uid(e);
}

static unsigned owner_gid(const struct untar *u, struct archive_entry *e)
{
    return u->flags & UNTAR_FORCE_OWNER ? u->gid : (unsigned)archive_entry_gid(e);
}

static bool keep_xattr(const char *name)
{
    /* Overlay's own attributes are berth's to set (whiteouts); taken from
     * an archive they could redirect lookups into other layers. */
    return !str_has_prefix(name, "trusted.overlay.");
}

/* Sets the entry's xattrs through fd, or (fd < 0) on leaf in parent
 * without following it. */
static int apply_xattrs(struct untar *u, struct archive_entry *e, int fd, int parent,
                        const char *leaf, bool is_symlink)
{
    if (archive_entry_xattr_reset(e) == 0)
        return 0;
    const char *name;
    const void *value;
    size_t size;
    char proc[64 + PATH_MAX];
    if (fd < 0)
        snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", parent, leaf);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (!name || !keep_xattr(name))
            continue;
        int r =
            fd >= 0 ? fsetxattr(fd, name, value, size, 0) : lsetxattr(proc, name, value, size, 0);
        if (r < 0) {
            /* A file system without xattrs, or a symlink (which takes only
             * trusted.* and security.*), cannot carry them: skipped. */
            if (errno == ENOTSUP || (is_symlink && errno == EPERM))
                continue;
            char what[300];
            snprintf(what, sizeof what, "cannot set extended attribute %s", name);
            return fail_errno(u, errno, what);
        }
    }
    return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        ts[0] = ts[1];
    }
}

/* Owner, mode, xattrs and times through an open descriptor. The order
 * matters: chown clears setuid bits and file capabilities. */
static int apply_meta_fd(struct untar *u, struct archive_entry *e, int fd, bool times)
{
    if (!(u->flags & UNTAR_NO_CHOWN) && fchown(fd, owner_uid(u, e), owner_gid(u, e)) < 0)
        return fail_errno(u, errno, "cannot set owner");
    if (fchmod(fd, archive_entry_mode(e) & 07777) < 0)
        return fail_errno(u, errno, "cannot set mode");
    int r = apply_xattrs(u, e, fd, -1, NULL, false);
    if (r < 0)
        return r;
    if (times) {
        struct timespec ts[2];
        entry_times(e, ts);
        if (futimens(fd, ts) < 0)
            return fail_errno(u, errno, "cannot set times");
    }
    return 0;
}

/* The same for a node that cannot be opened for writing (symlink, device,
 * fifo), by name in parent and never following it. */
static int apply_meta_at(struct untar *u, struct archive_entry *e, int parent, const char *leaf,
                         bool is_symlink)
{
    if (!(u->flags & UNTAR_NO_CHOWN) &&
        fchownat(parent, leaf, owner_uid(u, e), owner_gid(u, e), AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno(u, errno, "cannot set owner");
    if (!is_symlink &&
        fchmodat(parent, leaf, archive_entry_mode(e) & 07777, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno(u, errno, "cannot set mode");
    int r = apply_xattrs(u, e, -1, parent, leaf, is_symlink);
    if (r < 0)
        return r;
    struct timespec ts[2];
    entry_times(e, ts);
    if (utimensat(parent, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno(u, errno, "cannot set times");
    return 0;
}

static int write_data(struct untar *u, int fd, struct archive_entry *e)
{
    const void *block;
    size_t size;
    la_int64_t offset;
    for (;;) {
        int r = archive_read_data_block(u->a, &block, &size, &offset);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return berr(u->err, BERTH_EINVAL, "invalid tar archive: %s: %s", u->entry,
                        archive_error_string(u->a));
        const char *p = block;
        while (size > 0) {
            ssize_t n = pwrite(fd, p, size, offset);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return fail_errno(u, errno, "cannot write file data");
            }
            p += n;
            size -= n;
            offset += n;
            u->stats.bytes += n;
        }
    }
    /* Sparse files end in a hole that no block covers. */
    if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
        return fail_errno(u, errno, "cannot set file size");
    return 0;
}

static int add_dir_fixup(struct untar *u, const char *path, struct archive_entry *e)
{
    if (u->n_dirs == u->cap_dirs) {
        u->cap_dirs = u->cap_dirs ? 2 * u->cap_dirs : 64;
        u->dirs = xrealloc(u->dirs, u->cap_dirs * sizeof *u->dirs);
    }
    struct dir_fixup *d = &u->dirs[u->n_dirs++];
    d->path = xstrdup(path);
    d->mode = archive_entry_mode(e) & 07777;
    entry_times(e, d->times);
    return 0;
}

static int extract_dir(struct untar *u, struct archive_entry *e, const char *path, int parent,
                       const char *leaf)
{
    _cleanup_close_ int fd = -1;
    if (!leaf) {
        fd = open_in_root(u->root, path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
            return fail_errno(u, errno, "cannot open directory");
    } else {
        bool keep;
        int r = clear_leaf(u, parent, leaf, true, &keep);
        if (r < 0)
            return r;
        if (!keep && mkdirat(parent, leaf, 0700) < 0)
            return fail_errno(u, errno, "cannot create directory");
        fd = openat(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return fail_errno(u, errno, "cannot open directory");
    }
    if (!(u->flags & UNTAR_NO_CHOWN) && fchown(fd, owner_uid(u, e), owner_gid(u, e)) < 0)
        return fail_errno(u, errno, "cannot set owner");
    int r = apply_xattrs(u, e, fd, -1, NULL, false);
    if (r < 0)
        return r;
    return add_dir_fixup(u, path, e);
}

static int extract_file(struct untar *u, struct archive_entry *e, int parent, const char *leaf)
{
    bool keep;
    int r = clear_leaf(u, parent, leaf, false, &keep);
    if (r < 0)
        return r;
    _cleanup_close_ int fd =
        openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail_errno(u, errno, "cannot create file");
    r = write_data(u, fd, e);
    if (r < 0)
        return r;
    return apply_meta_fd(u, e, fd, true);
}

static int extract_symlink(struct untar *u, struct archive_entry *e, int parent, const char *leaf)
{
    const char *target = archive_entry_symlink(e);
    if (!target)
        target = archive_entry_symlink_utf8(e);
    if (!target || !*target)
        return berr(u->err, BERTH_EINVAL, "invalid tar archive: symlink %s has no target",
                    u->entry);
    bool keep;
    int r = clear_leaf(u, parent, leaf, false, &keep);
    if (r < 0)
        return r;
    /* The target is stored as it is: it is only ever resolved inside the
     * root (here) or inside the container. */
    if (symlinkat(target, parent, leaf) < 0)
        return fail_errno(u, errno, "cannot create symlink");
    return apply_meta_at(u, e, parent, leaf, true);
}

static int extract_node(struct untar *u, struct archive_entry *e, int parent, const char *leaf,
                        mode_t type)
{
    bool keep;
    int r = clear_leaf(u, parent, leaf, false, &keep);
    if (r < 0)
        return r;
    dev_t dev =
        type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (mknodat(parent, leaf, type | 0600, dev) < 0)
        return fail_errno(u, errno, "cannot create device node");
    return apply_meta_at(u, e, parent, leaf, false);
}

static int extract_hardlink(struct untar *u, const char *path, const char *target, int parent,
                            const char *leaf)
{
    _cleanup_free_ char *src = clean_path(u->base, target);
    if (strcmp(src, path) == 0)
        return 0; /* a link to itself: already there */
    _cleanup_close_ int sfd = open_in_root(u->root, src, O_PATH | O_NOFOLLOW);
    if (sfd < 0)
        return berr_errno(u->err, BERTH_EINVAL, errno, "cannot extract %s: hard link target %s",
                          u->entry, target);
    struct stat st;
    if (fstat(sfd, &st) < 0)
        return fail_errno(u, errno, "cannot inspect hard link target");
    if (S_ISDIR(st.st_mode))
        return berr(u->err, BERTH_EINVAL, "cannot extract %s: hard link to directory %s", u->entry,
                    target);
    bool keep;
    int r = clear_leaf(u, parent, leaf, false, &keep);
    if (r < 0)
        return r;
    if (linkat(sfd, "", parent, leaf, AT_EMPTY_PATH) < 0) {
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the descriptor's
         * /proc link names the same inode without it. */
        if (errno != ENOENT && errno != EPERM)
            return fail_errno(u, errno, "cannot create hard link");
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", sfd);
        if (linkat(AT_FDCWD, proc, parent, leaf, AT_SYMLINK_FOLLOW) < 0)
            return fail_errno(u, errno, "cannot create hard link");
    }
    return 0;
}

/* OCI whiteouts in overlayfs form. Returns 1 when the entry was one. */
static int extract_whiteout(struct untar *u, struct archive_entry *e, const char *dir,
                            const char *leaf)
{
    if (!str_has_prefix(leaf, WHITEOUT_PREFIX))
        return 0;
    _cleanup_close_ int dfd = -1;
    int r = ensure_dir(u, dir, &dfd);
    if (r < 0)
        return r;
    if (strcmp(leaf, WHITEOUT_OPAQUE) == 0) {
        if (fsetxattr(dfd, OVERLAY_OPAQUE, "y", 1, 0) < 0)
            return fail_errno(u, errno, "cannot mark directory opaque");
        return 1;
    }
    if (str_has_prefix(leaf, WHITEOUT_META))
        return 1; /* other AUFS metadata: meaningless to overlayfs */
    const char *name = leaf + strlen(WHITEOUT_PREFIX);
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return berr(u->err, BERTH_EINVAL, "invalid tar archive: bad whiteout %s", u->entry);
    bool keep;
    r = clear_leaf(u, dfd, name, false, &keep);
    if (r < 0)
        return r;
    if (mknodat(dfd, name, S_IFCHR, makedev(0, 0)) < 0)
        return fail_errno(u, errno, "cannot create whiteout");
    if (!(u->flags & UNTAR_NO_CHOWN) &&
        fchownat(dfd, name, owner_uid(u, e), owner_gid(u, e), AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno(u, errno, "cannot set owner");
    return 1;
}

static int extract_entry(struct untar *u, struct archive_entry *e)
{
    const char *name = archive_entry_pathname(e);
    if (!name)
        name = archive_entry_pathname_utf8(e);
    if (!name)
        return berr(u->err, BERTH_EINVAL, "invalid tar archive: entry without a name");
    u->entry = name;
    _cleanup_free_ char *path = clean_path(u->base, name);
    const char *hardlink = archive_entry_hardlink(e);
    if (!hardlink)
        hardlink = archive_entry_hardlink_utf8(e);
    mode_t type = archive_entry_filetype(e);

    if (strlen(path) == strlen(u->base)) {
        /* The entry names the root (or base) itself: "./" or "/". */
        if (hardlink || type != AE_IFDIR)
            return berr(u->err, BERTH_EINVAL, "invalid tar archive: %s is not a directory", name);
        return extract_dir(u, e, path, -1, NULL);
    }
    char *slash = strrchr(path, '/');
    _cleanup_free_ char *dir = slash ? xstrndup(path, slash - path) : xstrdup("");
    const char *leaf = slash ? slash + 1 : path;

    if (u->flags & UNTAR_OVERLAY_WHITEOUTS) {
        int r = extract_whiteout(u, e, dir, leaf);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    _cleanup_close_ int parent = -1;
    int r = ensure_dir(u, dir, &parent);
    if (r < 0)
        return r;
    if (hardlink)
        return extract_hardlink(u, path, hardlink, parent, leaf);
    switch (type) {
    case AE_IFREG: return extract_file(u, e, parent, leaf);
    case AE_IFDIR: return extract_dir(u, e, path, parent, leaf);
    case AE_IFLNK: return extract_symlink(u, e, parent, leaf);
    case AE_IFCHR: return extract_node(u, e, parent, leaf, S_IFCHR);
    case AE_IFBLK: return extract_node(u, e, parent, leaf, S_IFBLK);
    case AE_IFIFO: return extract_node(u, e, parent, leaf, S_IFIFO);
    default:
        return berr(u->err, BERTH_EINVAL, "invalid tar archive: %s has unsupported type 0%o", name,
                    (unsigned)type);
    }
}

static int fix_dirs(struct untar *u)
{
    for (size_t i = 0; i < u->n_dirs; i++) {
        struct dir_fixup *d = &u->dirs[i];
        /* A later entry may have replaced the directory: then it is not
         * ours to fix any more. */
        _cleanup_close_ int fd =
            open_in_root(u->root, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0)
            continue;
        u->entry = d->path;
        if (fchmod(fd, d->mode) < 0)
            return fail_errno(u, errno, "cannot set directory mode");
        if (futimens(fd, d->times) < 0)
            return fail_errno(u, errno, "cannot set directory times");
    }
    return 0;
}

static int run_extract(struct untar *u, int tar_fd, const char *base_arg)
{
    if (*u->base) {
        _cleanup_close_ int bfd = open_in_root(u->root, u->base, O_PATH | O_DIRECTORY);
        if (bfd < 0)
            return berr_errno(u->err, BERTH_ENOTFOUND, errno, "cannot open %s", base_arg);
    }
    _cleanup_archive_read_ struct archive *a = archive_read_new();
    if (!a)
        return berr(u->err, BERTH_EINTERNAL, "cannot allocate an archive reader");
    u->a = a;
    archive_read_support_format_tar(a);
    add_filters(a);
    if (archive_read_open_fd(a, tar_fd, 65536) != ARCHIVE_OK)
        return berr(u->err, BERTH_EINVAL, "invalid tar archive: %s", archive_error_string(a));
    for (;;) {
        struct archive_entry *e;
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar < ARCHIVE_WARN)
            return berr(u->err, BERTH_EINVAL, "invalid tar archive: %s", archive_error_string(a));
        int r = extract_entry(u, e);
        if (r < 0)
            return r;
        u->stats.entries++;
    }
    return fix_dirs(u);
}

int untar_extract(int root_fd, int tar_fd, const struct untar_opts *opts, struct untar_stats *stats,
                  berth_error *err)
{
    static const struct untar_opts defaults = { 0, NULL, 0, 0 };
    if (!opts)
        opts = &defaults;
    struct untar u = { .root = root_fd,
                       .flags = opts->flags,
                       .uid = opts->uid,
                       .gid = opts->gid,
                       .err = err,
                       .entry = "" };
    u.base = clean_path("", opts->base ? opts->base : "");
    int r = run_extract(&u, tar_fd, opts->base);
    if (r == 0 && stats)
        *stats = u.stats;
    for (size_t i = 0; i < u.n_dirs; i++)
        free(u.dirs[i].path);
    free(u.dirs);
    free(u.base);
    return r;
}

struct raw_source {
    int fd;
    digest_t *in;
    int error; /* errno of a failed read */
    char buf[65536];
};

static la_ssize_t raw_read(struct archive *a, void *data, const void **out)
{
    (void)a;
    struct raw_source *s = data;
    for (;;) {
        ssize_t n = read(s->fd, s->buf, sizeof s->buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s->error = errno;
            return -1;
        }
        if (s->in)
            digest_update(s->in, s->buf, n);
        *out = s->buf;
        return n;
    }
}

static int copy_raw(struct archive *a, struct raw_source *src, int out_fd, digest_t *raw,
                    uint64_t *total, berth_error *err)
{
    _cleanup_free_ char *buf = xmalloc(65536);
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, 65536);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (src->error)
                return berr_errno(err, BERTH_EINTERNAL, src->error, "cannot read archive");
            return berr(err, BERTH_EINVAL, "invalid compressed data: %s", archive_error_string(a));
        }
        int w = write_all(out_fd, buf, n);
        if (w < 0)
            return berr_errno(err, BERTH_EINTERNAL, -w, "cannot write decompressed data");
        if (raw)
            digest_update(raw, buf, n);
        *total += n;
    }
}

int untar_decompress(int in_fd, int out_fd, digest_t *raw, uint64_t *raw_size, digest_t *in,
                     berth_error *err)
{
    /* Declared first so that it outlives the reader that points to it. */
    _cleanup_free_ struct raw_source *src = xcalloc(1, sizeof *src);
    _cleanup_archive_read_ struct archive *a = archive_read_new();
    if (!a)
        return berr(err, BERTH_EINTERNAL, "cannot allocate an archive reader");
    add_filters(a);
    archive_read_support_format_raw(a);
    src->fd = in_fd;
    src->in = in;
    struct archive_entry *e;
    int r = archive_read_open(a, src, NULL, raw_read, NULL);
    if (r == ARCHIVE_OK)
        r = archive_read_next_header(a, &e);
    if (src->error)
        return berr_errno(err, BERTH_EINTERNAL, src->error, "cannot read archive");
    uint64_t total = 0;
    if (r != ARCHIVE_EOF) { /* EOF right away: empty input */
        if (r < ARCHIVE_WARN)
            return berr(err, BERTH_EINVAL, "invalid compressed data: %s", archive_error_string(a));
        int w = copy_raw(a, src, out_fd, raw, &total, err);
        if (w < 0)
            return w;
    }
    /* The digest of the input covers every byte, also any the
     * decompressor did not need (padding after the last gzip member). */
    while (in) {
        ssize_t n = read(in_fd, src->buf, sizeof src->buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return berr_errno(err, BERTH_EINTERNAL, errno, "cannot read archive");
        if (n == 0)
            break;
        digest_update(in, src->buf, n);
    }
    if (raw_size)
        *raw_size = total;
    return 0;
}
