/* container_cp.c - `berth cp`: docker cp's rules between the host and a
 * container, on top of the archive calls (container_archive.c).
 *
 * As the docker CLI does it: the destination is looked at first; an
 * existing directory receives the source under its own name (or, for
 * "SRC/.", its content), anything else is replaced by (or created as)
 * the source under the destination's name. On the host side the archive
 * is extracted by untar_extract confined to the destination's directory,
 * and written from the host through tar_tree (no symlink followed but,
 * with follow_link, the source itself). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <berth/archive.h>

#include "container_archive.h"
#include "errors.h"
#include "tar_tree.h"
#include "untar.h"
#include "util.h"

#define GO_MODE_DIR     (1u << 31)
#define GO_MODE_SYMLINK (1u << 27)

static bool names_contents(const char *p)
{
    size_t n = strlen(p);
    return (n == 1 && p[0] == '.') || (n >= 2 && strcmp(p + n - 2, "/.") == 0);
}

/* dirname and basename of a host or container path, trailing "/" ignored. */
static void split(const char *path, char **dir, char **base)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    const char *slash = memrchr(path, '/', n);
    if (!slash) {
        *dir = xstrdup(".");
        *base = xstrndup(path, n);
    } else {
        *dir = slash == path ? xstrdup("/") : xstrndup(path, slash - path);
        *base = xstrndup(slash + 1, n - (slash + 1 - path));
    }
}

struct cstat {
    bool found, dir, link;
    char *target;
};

static int container_stat(berth_engine *e, const char *name, const char *path, struct cstat *cs,
                          berth_error *err)
{
    memset(cs, 0, sizeof *cs);
    char *text = NULL;
    berth_error local = BERTH_ERROR_INIT;
    int r = berth_container_archive_stat(e, name, path, &text, &local);
    if (r == BERTH_ENOTFOUND && strstr(local.message, "Could not find the file"))
        return 0;
    if (r < 0) {
        if (err)
            *err = local;
        return r;
    }
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    json_int_t mode = json_integer_value(json_object_get(doc, "mode"));
    cs->found = true;
    cs->dir = mode & GO_MODE_DIR;
    cs->link = mode & GO_MODE_SYMLINK;
    cs->target = xstrdup(json_string_value(json_object_get(doc, "linkTarget")) ?: "");
    json_decref(doc);
    return 0;
}

int berth_container_copy_from(berth_engine *e, const char *name, const char *src,
                              const char *host_dest, bool follow_link, berth_error *err)
{
    struct cstat cs;
    int r = container_stat(e, name, src, &cs, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *followed = NULL;
    if (cs.found && cs.link && follow_link) {
        followed = cs.target;
        r = container_stat(e, name, followed, &cs, err);
        if (r < 0) {
            free(cs.target);
            return r;
        }
        src = followed;
    }
    free(cs.target);
    if (!cs.found)
        return berr(err, BERTH_ENOTFOUND, "Could not find the file %s in container %s", src, name);
    _cleanup_free_ char *dir = NULL, *top = NULL;
    struct stat st;
    bool exists = stat(host_dest, &st) == 0;
    if (!exists && errno != ENOENT)
        return berr_errno(err, BERTH_EINVAL, errno, "%s", host_dest);
    if (exists && S_ISDIR(st.st_mode)) {
        dir = xstrdup(host_dest);
        top = names_contents(src) ? xstrdup(".") : NULL;
    } else {
        if (exists && cs.dir)
            return berr(err, BERTH_EINVAL, "cannot copy a directory to a file: %s", host_dest);
        if (!exists && !cs.dir && str_has_suffix(host_dest, "/"))
            return berr(err, BERTH_EINVAL, "destination directory %s does not exist", host_dest);
        split(host_dest, &dir, &top);
    }
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berr_errno(err, BERTH_EINVAL, errno, "%s", dir);
    _cleanup_close_ int spool = archive_spool_open(e, err);
    if (spool < 0)
        return spool;
    r = archive_get_as(e, name, src, spool, top, NULL, NULL, err);
    if (r < 0)
        return r;
    if (lseek(spool, 0, SEEK_SET) < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot rewind the archive");
    struct untar_opts uo = { UNTAR_NO_CHOWN, NULL, 0, 0 };
    return untar_extract(dfd, spool, &uo, NULL, err);
}

int berth_container_copy_to(berth_engine *e, const char *name, const char *host_src,
                            const char *dest, bool follow_link, bool copy_uid_gid, berth_error *err)
{
    /* -L: the link's target is copied, under the target's own name */
    _cleanup_free_ char *real = follow_link ? realpath(host_src, NULL) : NULL;
    if (follow_link && !real)
        return berr_errno(err, BERTH_EINVAL, errno, "%s", host_src);
    if (real && names_contents(host_src)) {
        char *t = xasprintf("%s/.", real);
        free(real);
        real = t;
    }
    if (real)
        host_src = real;
    struct stat sst;
    if (lstat(host_src, &sst) < 0)
        return berr_errno(err, BERTH_EINVAL, errno, "%s", host_src);
    struct cstat cs;
    int r = container_stat(e, name, dest, &cs, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *target = cs.target;
    if (cs.found && cs.link) {
        r = container_stat(e, name, target, &cs, err);
        free(cs.target);
        if (r < 0)
            return r;
        dest = target;
    }
    _cleanup_free_ char *cdir = NULL, *top = NULL;
    if (cs.found && cs.dir) {
        cdir = xstrdup(dest);
    } else {
        if (cs.found && S_ISDIR(sst.st_mode))
            return berr(err, BERTH_EINVAL, "cannot copy a directory to a file: %s", dest);
        if (!cs.found && str_has_suffix(dest, "/"))
            return berr(err, BERTH_ENOTFOUND, "destination directory %s does not exist", dest);
        split(dest, &cdir, &top);
    }
    _cleanup_free_ char *hdir = NULL, *hbase = NULL;
    split(host_src, &hdir, &hbase);
    bool contents = S_ISDIR(sst.st_mode) && names_contents(host_src);
    _cleanup_close_ int parent =
        open(contents ? host_src : hdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0)
        return berr_errno(err, BERTH_EINVAL, errno, "%s", host_src);
    _cleanup_close_ int spool = archive_spool_open(e, err);
    if (spool < 0)
        return spool;
    struct tar_tree *t = tar_tree_new(spool, err);
    if (!t)
        return BERTH_EINTERNAL;
    r = tar_tree_add(t, parent, contents ? NULL : hbase, top ? top : contents ? "." : hbase);
    if (r == 0)
        r = tar_tree_finish(t);
    tar_tree_free(t);
    if (r < 0)
        return r;
    if (lseek(spool, 0, SEEK_SET) < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot rewind the archive");
    berth_archive_put_opts o = BERTH_ARCHIVE_PUT_OPTS_INIT;
    o.copy_uid_gid = copy_uid_gid;
    return berth_container_archive_put(e, name, cdir, spool, &o, err);
}
