/* container_start.c - berth_container_start and restart.
 *
 * The hot path of `run`: look up the image, spawn the monitor (which
 * mounts the root filesystem in its own mount namespace), resolve the
 * user inside that root, write config.json, attach if asked, and let the
 * monitor run the runtime. No polling, no sleeps: each step waits on the
 * monitor's sync pipe. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach_int.h"
#include "container.h"
#include "container_config.h"
#include "engine_int.h"
#include "errors.h"
#include "events.h"
#include "image_store.h"
#include "inroot.h"
#include "layer.h"
#include "monitor_spawn.h"
#include "runtime.h"
#include "spec.h"
#include "userdb.h"
#include "trace.h"
#include "util.h"

/* Spawns berth-monitor with its sync pipe on fd 3 and go pipe on fd 4. */
static int spawn_monitor(berth_engine *e, const struct ctr *c, const char *lower, int *sync_out,
                         int *go_out, berth_error *err)
{
    const char *argv[32];
    size_t k = 0;
    monitor_common_args(e, c, argv, &k);
    argv[k++] = "--lower";
    argv[k++] = lower;
    argv[k++] = "--cmd0";
    argv[k++] = c->path;
    if (json_get_bool(c->config, "Tty"))
        argv[k++] = "--tty";
    if (json_get_bool(c->config, "OpenStdin"))
        argv[k++] = "--stdin";
    if (json_get_bool(c->config, "StdinOnce"))
        argv[k++] = "--stdin-once";
    if (c->auto_remove)
        argv[k++] = "--auto-remove";
    argv[k] = NULL;

    return monitor_spawn(e, argv, sync_out, go_out, err);
}

int ctr_lower_dirs(berth_engine *e, const struct ctr *c, char **out, berth_error *err)
{
    size_t n = json_array_size(c->layers);
    if (n == 0)
        return berr(err, BERTH_EINTERNAL, "container %s has no layers", c->id);
    _cleanup_free_ char *init = NULL;
    int r = engine_init_layer(e, &init, err);
    if (r < 0)
        return r;
    buf_t b = { 0 };
    buf_append(&b, init, strlen(init));
    for (size_t i = n; i-- > 0;) {
        _cleanup_free_ char *dir =
            layer_dir_path(e, json_string_value(json_array_get(c->layers, i)));
        struct stat st;
        if (strpbrk(dir, ":,") || stat(dir, &st) < 0) {
            buf_free(&b);
            return berr(err, BERTH_EINTERNAL, "layer %s of container %s is %s", dir, c->id,
                        strpbrk(dir, ":,") ? "not a path overlayfs takes" : "missing");
        }
        buf_appendf(&b, "%s%s", b.len ? ":" : "", dir);
    }
    *out = buf_steal(&b);
    return 0;
}

/* Resolves the container's user inside its root filesystem (as mounted in
 * the monitor's mount namespace, reached through /proc/<pid>/root). */
static int resolve_user(const struct ctr *c, int rootfd, struct exec_user *u, berth_error *err)
{
    struct userdb_files f;
    userdb_files_read(rootfd, &f);
    int r = userdb_resolve(json_get_str(c->config, "User", ""), f.passwd, f.group, u, err);
    if (r < 0) {
        userdb_files_clear(&f);
        return r;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->hostconfig, "GroupAdd"), i, v)
    {
        _cleanup_free_ char *spec = xasprintf("0:%s", json_string_value(v));
        struct exec_user g;
        r = userdb_resolve(spec, f.passwd, f.group, &g, err);
        if (r < 0) {
            exec_user_clear(u);
            break;
        }
        userdb_add_group(u, g.gid, false);
        exec_user_clear(&g);
    }
    userdb_files_clear(&f);
    return r;
}

/* A volume still empty gets the image's content at its path, as Docker
 * does when it mounts a new volume. */
static int fill_volumes(const struct ctr *c, int rootfd, berth_error *err)
{
    size_t i;
    json_t *m;
    json_array_foreach(c->mounts, i, m)
    {
        if (strcmp(json_get_str(m, "Type", ""), "volume") != 0)
            continue;
        const char *src = json_get_str(m, "Source", "");
        _cleanup_close_ int dst = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dst < 0)
            return berr_errno(err, BERTH_EINTERNAL, errno, "volume %s",
                              json_get_str(m, "Name", ""));
        _cleanup_closedir_ DIR *d = fdopendir(fcntl(dst, F_DUPFD_CLOEXEC, 3));
        bool empty = true;
        struct dirent *de;
        while (d && (de = readdir(d)))
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                empty = false;
        if (!empty)
            continue;
        int r = inroot_copy_tree(rootfd, json_get_str(m, "Destination", ""), dst);
        if (r < 0)
            return berr_errno(err, BERTH_EINTERNAL, -r, "cannot copy %s into volume %s",
                              json_get_str(m, "Destination", ""), json_get_str(m, "Name", ""));
    }
    return 0;
}

static int prepare_rundir(const char *rundir, berth_error *err)
{
    if (mkdir(rundir, 0700) == 0)
        return 0; /* new: nothing stale in it */
    int r = errno == EEXIST ? 0 : mkdir_p(rundir, 0700);
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot create %s", rundir);
    static const char *const stale[] = { "monitor.sock", "console.sock", "pid", "runtime.log",
                                         "config.json" };
    _cleanup_close_ int dfd = open(rundir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (size_t i = 0; dfd >= 0 && i < ARRAY_SIZE(stale); i++)
        unlinkat(dfd, stale[i], 0);
    return 0;
}

static int start_locked(berth_engine *e, struct ctr *c, const berth_start_opts *opts,
                        berth_error *err)
{
    if (str_eq(c->state, "paused"))
        return berr(err, BERTH_ECONFLICT, "cannot start a paused container, try unpause instead");
    if (ctr_is_running(c))
        return berr(err, BERTH_ENOTMODIFIED, "container %s is already running", c->id);
    if (!str_eq(c->state, "created") && !str_eq(c->state, "exited"))
        return berr(err, BERTH_ECONFLICT, "cannot start container %s in state %s", c->id, c->state);

    _cleanup_free_ char *lower = NULL;
    int r = ctr_lower_dirs(e, c, &lower, err);
    if (r < 0)
        return r;

    _cleanup_free_ char *rundir = engine_ctr_rundir(e, c->id);
    _cleanup_free_ char *ctrdir = engine_ctr_dir(e, c->id);
    r = prepare_rundir(rundir, err);
    if (r < 0)
        return r;

    trace_point("start prepared");
    _cleanup_close_ int sync_fd = -1, go_fd = -1;
    r = spawn_monitor(e, c, lower, &sync_fd, &go_fd, err);
    if (r < 0)
        return r;
    trace_point("start monitor spawned");
    struct sync_reader sr = { .fd = sync_fd };
    int monitor_pid = monitor_wait_ready(&sr, err);
    if (monitor_pid < 0)
        return monitor_pid;
    char line[2048];

    trace_point("start monitor ready");
    /* The rootfs as the monitor mounted it, in its mount namespace. */
    _cleanup_free_ char *mountpoint = engine_rootfs_mountpoint(e);
    _cleanup_free_ char *rootfs = xasprintf("/proc/%d/root%s", monitor_pid, mountpoint);
    _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot open the container's root %s",
                          rootfs);
    struct exec_user user;
    r = resolve_user(c, rootfd, &user, err);
    if (r < 0)
        return r;
    const char *workdir = json_get_str(c->config, "WorkingDir", "");
    if (*workdir && (r = inroot_mkdir_p(rootfd, workdir, 0755)) < 0) {
        exec_user_clear(&user);
        return berr_errno(err, BERTH_EINVAL, -r, "cannot create the working directory %s", workdir);
    }
    r = fill_volumes(c, rootfd, err);
    if (r < 0) {
        exec_user_clear(&user);
        return r;
    }
    struct spec_host host;
    spec_host_probe(&host);
    json_t *spec = spec_build(c, &user, ctrdir, mountpoint, &host);
    exec_user_clear(&user);
    _cleanup_free_ char *spec_s = json_dumps(spec, JSON_COMPACT);
    json_decref(spec);
    _cleanup_free_ char *spec_path = xasprintf("%s/config.json", rundir);
    /* the runtime reads it only after "go" */
    r = write_new_file_at(AT_FDCWD, spec_path, spec_s, strlen(spec_s), 0600);
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot write %s", spec_path);

    berth_attach *attach = NULL;
    if (opts && opts->attach && opts->attach_out) {
        r = attach_connect(rundir, opts->attach, json_get_bool(c->config, "Tty"), &attach, err);
        if (r < 0)
            return r;
        event_container(e->db, c->id, "attach", NULL, NULL);
    }
    if (opts && opts->before_start)
        opts->before_start(opts->userdata, e, c->id);
    trace_point("start go");
    if (write_all(go_fd, "g", 1) < 0) {
        berth_attach_free(attach);
        return berr(err, BERTH_EINTERNAL, "berth-monitor went away before the start");
    }
    int n = sync_line(&sr, line, sizeof line, 120000);
    trace_point("start answered");
    if (n > 0 && str_has_prefix(line, "started ")) {
        if (attach)
            *opts->attach_out = attach;
        return 0;
    }
    berth_attach_free(attach);
    if (n <= 0)
        return berr(err, BERTH_EINTERNAL, "berth-monitor exited while starting the container");
    int code = 125;
    const char *msg = line;
    if (sscanf(line, "error %d", &code) == 1) {
        msg = strchr(line + 6, ' ');
        msg = msg ? msg + 1 : line;
    }
    /* Docker's wording, which clients (the docker CLI) match to choose
     * their own exit code, then the runtime's own message */
    if (code == 127)
        return berr(err, BERTH_EINVAL,
                    "failed to create task for container: exec: \"%s\": executable file not "
                    "found in $PATH: %s",
                    c->path, msg);
    if (code == 126)
        return berr(err, BERTH_EINVAL,
                    "failed to create task for container: exec: \"%s\": permission denied: %s",
                    c->path, msg);
    return berr(err, BERTH_EINTERNAL,
                "failed to create task for container: OCI runtime start failed: %s", msg);
}

int berth_container_start(berth_engine *e, const char *name, const berth_start_opts *opts,
                          berth_error *err)
{
    if (opts && opts->version != BERTH_START_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_start_opts version");
    _cleanup_ctr_ struct ctr *c = NULL;
    _cleanup_close_ int lock = -1;
    int r = ctr_load_locked(e, name, &c, &lock, err);
    if (r < 0)
        return r;
    return start_locked(e, c, opts, err);
}
