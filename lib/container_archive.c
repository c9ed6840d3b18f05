/* container_archive.c - `docker cp` and `docker export` (berth/archive.h).
 *
 * Path rules are moby's (daemon/archive.go): the path is taken as absolute
 * in the container and cleaned, keeping a trailing "/" or "/."; its
 * directory part is resolved inside the root following symlinks, its last
 * component is not (stat and GET describe a symlink itself), except for
 * PUT, whose target directory may be reached through one. All resolution
 * goes through inroot_open (openat2 RESOLVE_IN_ROOT), and the tree walks
 * and the extraction work on descriptors, never on joined path strings.
 *
 * PUT checks the whole archive before it writes anything: the upload is
 * spooled to an unlinked file in the state root (a regular file is read
 * where it is) and read through once by
 * libarchive (headers and data, so a truncated or corrupt tar is found),
 * then extracted from that file by untar_extract. Extracting into a
 * scratch directory and renaming would not do: the archive merges into
 * directories that exist, entry by entry. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include <berth/archive.h>

#include "container.h"
#include "container_archive.h"
#include "container_config.h"
#include "ctr_rootfs.h"
#include "engine_int.h"
#include "errors.h"
#include "events.h"
#include "inroot.h"
#include "tar_tree.h"
#include "untar.h"
#include "userdb.h"
#include "util.h"

/* Go's os.FileMode bits. */
#define GO_MODE_DIR        (1u << 31)
#define GO_MODE_SYMLINK    (1u << 27)
#define GO_MODE_DEVICE     (1u << 26)
#define GO_MODE_NAMED_PIPE (1u << 25)
#define GO_MODE_SOCKET     (1u << 24)
#define GO_MODE_SETUID     (1u << 23)
#define GO_MODE_SETGID     (1u << 22)
#define GO_MODE_CHARDEV    (1u << 21)
#define GO_MODE_STICKY     (1u << 20)

/* A container path, parsed as moby does. */
struct cpath {
    char *abs;         /* cleaned, absolute, trailing "/" or "/." kept */
    char *dir;         /* abs up to its last "/" (included) */
    char *base;        /* after it: "" (trailing "/"), "." or a name */
    char *name;        /* Go's filepath.Base(abs): the top entry's name */
    const char *given; /* the path as given, for messages */
    const char *ctr;   /* the container as named, for messages */
};

static void cpath_clear(struct cpath *p)
{
    free(p->abs);
    free(p->dir);
    free(p->base);
    free(p->name);
}

static bool names_current_dir(const char *p)
{
    size_t n = strlen(p);
    return (n == 1 && p[0] == '.') || (n >= 2 && strcmp(p + n - 2, "/.") == 0);
}

static int cpath_parse(const char *ctr, const char *path, struct cpath *out, berth_error *err)
{
    memset(out, 0, sizeof *out);
    out->given = path;
    out->ctr = ctr;
    if (!path || !*path)
        return berr(err, BERTH_EINVAL, "path cannot be empty");
    if (strlen(path) >= PATH_MAX)
        return berr(err, BERTH_EINVAL, "path is too long");
    char *abs = path_clean_abs(path);
    /* moby's PreserveTrailingDotOrSeparator */
    if (names_current_dir(path)) {
        char *t = xasprintf("%s%s.", abs, str_has_suffix(abs, "/") ? "" : "/");
        free(abs);
        abs = t;
    } else if (str_has_suffix(path, "/") && !str_has_suffix(abs, "/")) {
        char *t = xasprintf("%s/", abs);
        free(abs);
        abs = t;
    }
    char *slash = strrchr(abs, '/');
    out->abs = abs;
    out->dir = xstrndup(abs, slash - abs + 1);
    out->base = xstrdup(slash + 1);
    /* filepath.Base: trailing slashes dropped, "/" for the root */
    size_t n = strlen(abs);
    while (n > 1 && abs[n - 1] == '/')
        n--;
    const char *start = n == 1 ? abs : (char *)memrchr(abs, '/', n - 1) + 1;
    out->name = n == 1 ? xstrdup("/") : xstrndup(start, abs + n - start);
    return 0;
}

static int not_found(berth_error *err, const struct cpath *p)
{
    return berr(err, BERTH_ENOTFOUND, "Could not find the file %s in container %s", p->given,
                p->ctr);
}

/* The path's directory (*dirfd) and the node's stat (last component not
 * followed unless it is "" or "."). */
static int cpath_lookup(int root, const struct cpath *p, int *dirfd, struct stat *st,
                        berth_error *err)
{
    int fd = inroot_open(root, p->dir, O_PATH | O_DIRECTORY, 0);
    if (fd == -ENOENT)
        return not_found(err, p);
    if (fd < 0)
        return berr_errno(err, fd == -ENOTDIR || fd == -ELOOP ? BERTH_EINVAL : BERTH_EINTERNAL, -fd,
                          "cannot resolve %s", p->given);
    int r = *p->base && strcmp(p->base, ".") != 0 ? fstatat(fd, p->base, st, AT_SYMLINK_NOFOLLOW)
                                                  : fstat(fd, st);
    if (r < 0) {
        int saved = errno;
        close(fd);
        if (saved == ENOENT)
            return not_found(err, p);
        return berr_errno(err, BERTH_EINTERNAL, saved, "cannot stat %s", p->given);
    }
    *dirfd = fd;
    return 0;
}

/* Where the symlink at abs leads inside the root, resolved lexically as
 * moby's FollowSymlinkInScope (a dangling link resolves too); each link is
 * read through a directory opened inside the root. */
static char *follow_in_scope(int root, const char *abs)
{
    _cleanup_free_ char *pending = xstrdup(abs);
    buf_t cur = { 0 };
    buf_append(&cur, "", 0);
    int links = 0;
    while (*pending) {
        char *p = pending;
        while (*p == '/')
            p++;
        char *end = strchrnul(p, '/');
        _cleanup_free_ char *comp = xstrndup(p, end - p);
        char *rest = xstrdup(end);
        free(pending);
        pending = rest;
        if (!*comp || strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            char *slash = cur.len ? memrchr(cur.data, '/', cur.len) : NULL;
            cur.len = slash ? (size_t)(slash - cur.data) : 0;
            cur.data[cur.len] = '\0';
            continue;
        }
        _cleanup_close_ int dfd = inroot_open(root, cur.len ? cur.data : "/", O_PATH, 0);
        char target[PATH_MAX];
        ssize_t n = dfd >= 0 ? readlinkat(dfd, comp, target, sizeof target - 1) : -1;
        if (n < 0 || ++links > 255) {
            buf_appendf(&cur, "/%s", comp);
            continue;
        }
        target[n] = '\0';
        if (target[0] == '/')
            cur.len = 0;
        if (cur.data)
            cur.data[cur.len] = '\0';
        char *np = xasprintf("%s/%s", target, pending);
        free(pending);
        pending = np;
    }
    if (cur.len == 0)
        buf_append(&cur, "/", 1);
    return buf_steal(&cur);
}

static uint32_t go_file_mode(mode_t m)
{
    uint32_t g = m & 0777;
    switch (m & S_IFMT) {
    case S_IFBLK: g |= GO_MODE_DEVICE; break;
    case S_IFCHR: g |= GO_MODE_DEVICE | GO_MODE_CHARDEV; break;
    case S_IFDIR: g |= GO_MODE_DIR; break;
    case S_IFIFO: g |= GO_MODE_NAMED_PIPE; break;
    case S_IFLNK: g |= GO_MODE_SYMLINK; break;
    case S_IFSOCK: g |= GO_MODE_SOCKET; break;
    }
    if (m & S_ISUID)
        g |= GO_MODE_SETUID;
    if (m & S_ISGID)
        g |= GO_MODE_SETGID;
    if (m & S_ISVTX)
        g |= GO_MODE_STICKY;
    return g;
}

/* s with invalid UTF-8 replaced by U+FFFD, as Go's JSON encoder does. */
static char *utf8_sanitize(const char *s)
{
    buf_t b = { 0 };
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = 0;
        if (*p < 0x80)
            n = 1;
        else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
            n = 2;
        else if ((*p & 0xf0) == 0xe0)
            n = 3;
        else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
            n = 4;
        bool ok = n > 0;
        for (size_t i = 1; ok && i < n; i++)
            ok = (p[i] & 0xc0) == 0x80;
        if (ok && n == 3)
            ok = !(p[0] == 0xe0 && p[1] < 0xa0) && !(p[0] == 0xed && p[1] >= 0xa0);
        if (ok && n == 4)
            ok = !(p[0] == 0xf0 && p[1] < 0x90) && !(p[0] == 0xf4 && p[1] >= 0x90);
        if (ok) {
            buf_append(&b, p, n);
            p += n;
        } else {
            buf_append(&b, "\xef\xbf\xbd", 3);
            p++;
        }
    }
    buf_append(&b, "", 0);
    return buf_steal(&b);
}

static char *stat_json(int root, const struct cpath *p, const struct stat *st)
{
    _cleanup_free_ char *link = S_ISLNK(st->st_mode) ? follow_in_scope(root, p->abs) : NULL;
    _cleanup_free_ char *name = utf8_sanitize(p->name);
    _cleanup_free_ char *target = utf8_sanitize(link ? link : "");
    char mtime[40];
    format_rfc3339nano((int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec, mtime,
                       sizeof mtime);
    json_t *doc = json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", name, "size",
                            (json_int_t)st->st_size, "mode", (json_int_t)go_file_mode(st->st_mode),
                            "mtime", mtime, "linkTarget", target);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return text;
}

static void record_event(berth_engine *e, const char *id, const char *action)
{
    berth_error ignored = BERTH_ERROR_INIT;
    event_container(e->db, id, action, NULL, &ignored);
}

/* One tree as a whole tar stream. */
static int write_tree(int out_fd, int parent, const char *leaf, const char *name, berth_error *err)
{
    struct tar_tree *t = tar_tree_new(out_fd, err);
    if (!t)
        return err ? err->code : BERTH_EINTERNAL;
    int r = tar_tree_add(t, parent, leaf, name);
    if (r == 0)
        r = tar_tree_finish(t);
    tar_tree_free(t);
    return r;
}

static int get_locked(berth_engine *e, struct ctr_rootfs *rfs, const struct cpath *p, int out_fd,
                      const char *top, void (*on_stat)(void *ud, const char *stat_json), void *ud,
                      berth_error *err)
{
    _cleanup_close_ int dirfd = -1;
    struct stat st;
    int r = cpath_lookup(rfs->root, p, &dirfd, &st, err);
    if (r < 0)
        return r;
    if (on_stat) {
        _cleanup_free_ char *sj = stat_json(rfs->root, p, &st);
        on_stat(ud, sj);
    }
    if (out_fd < 0)
        return 0; /* a stat only */
    record_event(e, rfs->c->id, "archive-path");
    bool self = !*p->base || strcmp(p->base, ".") == 0;
    return write_tree(out_fd, dirfd, self ? NULL : p->base, top ? top : p->name, err);
}

int berth_container_archive_get(berth_engine *e, const char *name, const char *path, int out_fd,
                                void (*on_stat)(void *ud, const char *stat_json), void *ud,
                                berth_error *err)
{
    return archive_get_as(e, name, path, out_fd, NULL, on_stat, ud, err);
}

int archive_get_as(berth_engine *e, const char *name, const char *path, int out_fd, const char *top,
                   void (*on_stat)(void *ud, const char *stat_json), void *ud, berth_error *err)
{
    struct cpath p;
    int r = cpath_parse(name, path, &p, err);
    if (r < 0)
        return r;
    struct ctr_rootfs rfs;
    r = ctr_rootfs_open(e, name, CTR_ROOTFS_READ, &rfs, err);
    if (r == 0) {
        r = get_locked(e, &rfs, &p, out_fd, top, on_stat, ud, err);
        ctr_rootfs_close(&rfs);
    }
    cpath_clear(&p);
    return r;
}

int berth_container_export(berth_engine *e, const char *name, int out_fd, berth_error *err)
{
    struct ctr_rootfs rfs;
    int r = ctr_rootfs_open(e, name, CTR_ROOTFS_IMAGE, &rfs, err);
    if (r < 0)
        return r;
    record_event(e, rfs.c->id, "export");
    r = write_tree(out_fd, rfs.root, NULL, "", err);
    ctr_rootfs_close(&rfs);
    return r;
}

/* ---- PUT ------------------------------------------------------------- */

int archive_spool_open(berth_engine *e, berth_error *err)
{
    _cleanup_free_ char *tmp = xasprintf("%s/tmp", e->root);
    mkdir(tmp, 0700);
    int fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot create a file in %s", tmp);
    return fd;
}

/* Reads the whole archive once: headers and data, so that damage anywhere
 * is found before anything is written. */
static int check_archive(int fd, berth_error *err)
{
    struct archive *a = archive_read_new();
    if (!a)
        return berr(err, BERTH_EINTERNAL, "cannot allocate an archive reader");
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    int r = 0;
    if (archive_read_open_fd(a, fd, 1 << 20) != ARCHIVE_OK) {
        r = berr(err, BERTH_EINVAL, "invalid tar archive: %s", archive_error_string(a));
    } else {
        for (;;) {
            struct archive_entry *entry;
            int ar = archive_read_next_header(a, &entry);
            if (ar == ARCHIVE_EOF)
                break;
            if (ar < ARCHIVE_WARN) {
                r = berr(err, BERTH_EINVAL, "invalid tar archive: %s", archive_error_string(a));
                break;
            }
            const void *block;
            size_t size;
            la_int64_t offset;
            while ((ar = archive_read_data_block(a, &block, &size, &offset)) == ARCHIVE_OK ||
                   ar == ARCHIVE_WARN) {
            }
            if (ar != ARCHIVE_EOF) {
                r = berr(err, BERTH_EINVAL, "invalid tar archive: %s", archive_error_string(a));
                break;
            }
        }
    }
    archive_read_free(a);
    return r;
}

/* The uid/gid of the container's user, for copyUIDGID. false: no User. */
static int container_owner(const struct ctr *c, int root, struct untar_opts *o, berth_error *err)
{
    const char *user = json_get_str(c->config, "User", "");
    if (!*user)
        return 0;
    struct exec_user u = { 0 };
    int r = userdb_resolve_in_root(root, user, &u, err);
    if (r < 0)
        return r;
    o->flags |= UNTAR_FORCE_OWNER;
    o->uid = u.uid;
    o->gid = u.gid;
    exec_user_clear(&u);
    return 0;
}

static int put_locked(berth_engine *e, struct ctr_rootfs *rfs, const struct cpath *p, int spool,
                      off_t start, bool empty, const berth_archive_put_opts *opts, berth_error *err)
{
    /* the target directory may be reached through a symlink */
    _cleanup_close_ int dfd = inroot_open(rfs->root, p->abs, O_PATH | O_DIRECTORY, 0);
    if (dfd == -ENOENT)
        return not_found(err, p);
    if (dfd == -ENOTDIR)
        return berr(err, BERTH_EINVAL, "extraction point is not a directory");
    if (dfd < 0)
        return berr_errno(err, BERTH_EINTERNAL, -dfd, "cannot resolve %s", p->given);
    if (empty)
        return 0;
    struct untar_opts uo = { 0, p->abs, 0, 0 };
    if (opts && opts->no_overwrite_dir_non_dir)
        uo.flags |= UNTAR_NO_OVERWRITE_DIR_NONDIR;
    if (opts && opts->copy_uid_gid) {
        int r = container_owner(rfs->c, rfs->root, &uo, err);
        if (r < 0)
            return r;
    }
    if (lseek(spool, start, SEEK_SET) < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot rewind the archive");
    int r = untar_extract(rfs->root, spool, &uo, NULL, err);
    if (r == 0)
        record_event(e, rfs->c->id, "extract-to-dir");
    return r;
}

int berth_container_archive_put(berth_engine *e, const char *name, const char *path, int in_fd,
                                const berth_archive_put_opts *opts, berth_error *err)
{
    if (opts && opts->version != BERTH_ARCHIVE_PUT_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_archive_put_opts version");
    struct cpath p;
    int r = cpath_parse(name, path, &p, err);
    if (r < 0)
        return r;
    /* the container must exist before its upload is read */
    _cleanup_ctr_ struct ctr *c = NULL;
    r = ctr_load(e, name, &c, err);
    /* a regular file is read in place (berth cp spools its own tar);
     * anything else is spooled */
    struct stat ist;
    off_t start = 0;
    bool in_place =
        fstat(in_fd, &ist) == 0 && S_ISREG(ist.st_mode) && (start = lseek(in_fd, 0, SEEK_CUR)) >= 0;
    _cleanup_close_ int spool = r < 0      ? -1
                                : in_place ? fcntl(in_fd, F_DUPFD_CLOEXEC, 3)
                                           : archive_spool_open(e, err);
    if (r == 0 && spool < 0)
        r = in_place ? berr_errno(err, BERTH_EINTERNAL, errno, "dup") : spool;
    int64_t size = 0;
    if (r == 0 && in_place) {
        size = ist.st_size > start ? ist.st_size - start : 0;
    } else if (r == 0) {
        size = copy_fd(in_fd, spool);
        if (size < 0)
            r = berr_errno(err, BERTH_EINTERNAL, (int)-size, "cannot read the archive");
    }
    if (r == 0 && size > 0) {
        if (lseek(spool, start, SEEK_SET) < 0)
            r = berr_errno(err, BERTH_EINTERNAL, errno, "cannot rewind the archive");
        else
            r = check_archive(spool, err);
    }
    if (r == 0) {
        struct ctr_rootfs rfs;
        r = ctr_rootfs_open(e, c->id, CTR_ROOTFS_WRITE, &rfs, err);
        if (r == 0) {
            r = put_locked(e, &rfs, &p, spool, start, size == 0, opts, err);
            ctr_rootfs_close(&rfs);
        }
    }
    cpath_clear(&p);
    return r;
}

static void keep_stat(void *ud, const char *stat_json)
{
    *(char **)ud = xstrdup(stat_json);
}

int berth_container_archive_stat(berth_engine *e, const char *name, const char *path, char **out,
                                 berth_error *err)
{
    *out = NULL;
    return berth_container_archive_get(e, name, path, -1, keep_stat, out, err);
}
