/* init_layer.c - the layer berth puts on top of every image's layers, as
 * Docker's "-init" layer: the mount points the runtime needs (/proc, /sys,
 * /dev) and the files it binds over (/etc/hosts, /etc/hostname,
 * /etc/resolv.conf) already exist, so starting a container copies nothing
 * up into its upper directory and removing it has nothing more to delete.
 * It is the same for every container, so it is made once, in a temporary
 * directory renamed into place (concurrent makers are both fine). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_int.h"
#include "errors.h"
#include "util.h"

#define INIT_LAYER "init-layer-1"

static int populate(const char *dir)
{
    static const struct {
        const char *path;
        mode_t mode;
    } dirs[] = { { "proc", 0555 }, { "sys", 0555 }, { "dev", 0755 }, { "etc", 0755 } };
    static const char *const files[] = { "etc/hosts", "etc/hostname", "etc/resolv.conf" };
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        if (mkdirat(dfd, dirs[i].path, dirs[i].mode) < 0)
            return -errno;
        /* the umask must not decide these modes */
        if (fchmodat(dfd, dirs[i].path, dirs[i].mode, 0) < 0)
            return -errno;
    }
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        int fd = openat(dfd, files[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            return -errno;
        fchmod(fd, 0644);
        close(fd);
    }
    return 0;
}

int engine_init_layer(berth_engine *e, char **out, berth_error *err)
{
    char *path = xasprintf("%s/%s", e->root, INIT_LAYER);
    struct stat st;
    if (stat(path, &st) == 0) {
        *out = path;
        return 0;
    }
    _cleanup_free_ char *tmp = NULL;
    int r = engine_mktemp_dir(e, "init", &tmp, err);
    if (r < 0) {
        free(path);
        return r;
    }
    _cleanup_free_ char *layer = xasprintf("%s/layer", tmp);
    int pr = mkdir(layer, 0755);
    if (pr == 0)
        pr = chmod(layer, 0755) == 0 ? populate(layer) : -errno;
    else
        pr = -errno;
    if (pr == 0 && rename(layer, path) < 0 && errno != EEXIST && errno != ENOTEMPTY)
        pr = -errno;
    rm_rf(tmp);
    if (pr < 0) {
        berr_errno(err, BERTH_EINTERNAL, -pr, "cannot make the init layer %s", path);
        free(path);
        return BERTH_EINTERNAL;
    }
    *out = path;
    return 0;
}
