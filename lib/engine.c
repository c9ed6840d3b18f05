/* engine.c - opening the state and run roots, and the runtime table. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "util.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif
#ifndef BERTH_LIBEXECDIR
#define BERTH_LIBEXECDIR "/usr/local/libexec/berth"
#endif

const char *berth_version(void)
{
    return BERTH_VERSION;
}

void berth_free(void *p)
{
    free(p);
}

static char *find_in_path(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    _cleanup_free_ char *copy = xstrdup(path);
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *cand = xasprintf("%s/%s", *dir ? dir : ".", name);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
    }
    return NULL;
}

static void add_runtime(berth_engine *e, const char *name, char *path, bool replace)
{
    for (size_t i = 0; i < e->n_runtimes; i++) {
        if (strcmp(e->runtimes[i].name, name) == 0) {
            if (replace) {
                free(e->runtimes[i].path);
                e->runtimes[i].path = path;
            } else {
                free(path);
            }
            return;
        }
    }
    e->runtimes = xrealloc(e->runtimes, (e->n_runtimes + 1) * sizeof *e->runtimes);
    e->runtimes[e->n_runtimes].name = xstrdup(name);
    e->runtimes[e->n_runtimes].path = path;
    e->n_runtimes++;
}

const char *engine_runtime_path(berth_engine *e, const char *name)
{
    if (!e->builtins_found) {
        /* configured runtimes take precedence over what PATH holds */
        static const char *builtin[] = { "crun", "runc" };
        for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
            char *p = find_in_path(builtin[i]);
            if (p)
                add_runtime(e, builtin[i], p, false);
        }
        e->builtins_found = true;
    }
    for (size_t i = 0; i < e->n_runtimes; i++)
        if (strcmp(e->runtimes[i].name, name) == 0)
            return e->runtimes[i].path;
    return NULL;
}

static char *find_monitor(const char *configured)
{
    if (configured)
        return xstrdup(configured);
    const char *env = getenv("BERTH_MONITOR");
    if (env && *env)
        return xstrdup(env);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            char *cand = xasprintf("%s/berth-monitor", self);
            if (access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
    }
    return xstrdup(BERTH_LIBEXECDIR "/berth-monitor");
}

static char *absolute(const char *p)
{
    if (p[0] == '/')
        return xstrdup(p);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return xstrdup(p);
    return xasprintf("%s/%s", cwd, p);
}

int berth_engine_open(berth_engine **out, const berth_engine_opts *opts, berth_error *err)
{
    berth_engine_opts defaults = BERTH_ENGINE_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    if (opts->version != BERTH_ENGINE_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_engine_opts version %u", opts->version);

    const char *root = opts->root ? opts->root : getenv("BERTH_ROOT");
    const char *runroot = opts->runroot ? opts->runroot : getenv("BERTH_RUNROOT");
    berth_engine *e = xcalloc(1, sizeof *e);
    e->root = absolute(root && *root ? root : "/var/lib/berth");
    e->runroot = absolute(runroot && *runroot ? runroot : "/run/berth");
    const char *defrt = opts->default_runtime ? opts->default_runtime : getenv("BERTH_RUNTIME");
    e->default_runtime = xstrdup(defrt && *defrt ? defrt : "crun");
    e->monitor_path = find_monitor(opts->monitor_path);

    for (size_t i = 0; opts->runtimes && opts->runtimes[i]; i++) {
        const char *eq = strchr(opts->runtimes[i], '=');
        if (!eq || eq == opts->runtimes[i] || !eq[1]) {
            berth_engine_free(e);
            return berr(err, BERTH_EINVAL, "invalid runtime %s: expected NAME=PATH",
                        opts->runtimes[i]);
        }
        _cleanup_free_ char *name = xstrndup(opts->runtimes[i], eq - opts->runtimes[i]);
        add_runtime(e, name, xstrdup(eq + 1), true);
    }

    static const char *root_dirs[] = { "",         "/blobs/sha256", "/layers", "/containers",
                                       "/volumes", "/tmp" };
    static const char *run_dirs[] = { "", "/containers", "/runtime", "/rootfs" };
    /* Made on first use; the run root may have been emptied by a reboot. */
    _cleanup_free_ char *probe_root = xasprintf("%s/tmp", e->root);
    _cleanup_free_ char *probe_run = xasprintf("%s/rootfs", e->runroot);
    struct stat st;
    bool ready = stat(probe_root, &st) == 0 && stat(probe_run, &st) == 0;
    for (size_t i = 0; !ready && i < ARRAY_SIZE(root_dirs); i++) {
        _cleanup_free_ char *d = xasprintf("%s%s", e->root, root_dirs[i]);
        int r = mkdir_p(d, 0711);
        if (r < 0) {
            berr_errno(err, BERTH_EINTERNAL, -r, "cannot create %s", d);
            berth_engine_free(e);
            return BERTH_EINTERNAL;
        }
    }
    for (size_t i = 0; !ready && i < ARRAY_SIZE(run_dirs); i++) {
        _cleanup_free_ char *d = xasprintf("%s%s", e->runroot, run_dirs[i]);
        int r = mkdir_p(d, 0711);
        if (r < 0) {
            berr_errno(err, BERTH_EINTERNAL, -r, "cannot create %s", d);
            berth_engine_free(e);
            return BERTH_EINTERNAL;
        }
    }
    _cleanup_free_ char *dbpath = xasprintf("%s/berth.db", e->root);
    int r = db_open(dbpath, &e->db, err);
    if (r < 0) {
        berth_engine_free(e);
        return r;
    }
    *out = e;
    return 0;
}

void berth_engine_release_memory(berth_engine *e)
{
    if (e && e->db)
        sqlite3_db_release_memory(e->db);
}

void berth_engine_free(berth_engine *e)
{
    if (!e)
        return;
    db_close(e->db);
    for (size_t i = 0; i < e->n_runtimes; i++) {
        free(e->runtimes[i].name);
        free(e->runtimes[i].path);
    }
    free(e->runtimes);
    free(e->root);
    free(e->runroot);
    free(e->default_runtime);
    free(e->monitor_path);
    free(e);
}

char *berth_engine_runtimes_json(berth_engine *e)
{
    engine_runtime_path(e, ""); /* finds the built-in ones */
    json_t *o = json_object();
    for (size_t i = 0; i < e->n_runtimes; i++)
        json_object_set_new(o, e->runtimes[i].name,
                            json_pack("{s:s}", "path", e->runtimes[i].path));
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

const char *berth_engine_root(const berth_engine *e)
{
    return e->root;
}

const char *berth_engine_runroot(const berth_engine *e)
{
    return e->runroot;
}

const char *berth_engine_default_runtime(const berth_engine *e)
{
    return e->default_runtime;
}

char *engine_rootfs_mountpoint(const berth_engine *e)
{
    return xasprintf("%s/rootfs", e->runroot);
}

char *engine_ctr_dir(const berth_engine *e, const char *id)
{
    return xasprintf("%s/containers/%s", e->root, id);
}

char *engine_ctr_rundir(const berth_engine *e, const char *id)
{
    return xasprintf("%s/containers/%s", e->runroot, id);
}

int engine_mktemp_dir(const berth_engine *e, const char *prefix, char **out, berth_error *err)
{
    char *tmpl = xasprintf("%s/tmp/%s-XXXXXX", e->root, prefix);
    if (!mkdtemp(tmpl)) {
        int en = errno;
        free(tmpl);
        return berr_errno(err, BERTH_EINTERNAL, en, "cannot create a temporary directory");
    }
    *out = tmpl;
    return 0;
}
