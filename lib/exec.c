/* exec.c - exec instances: create, start, resize, inspect.
 *
 * The ExecConfig is kept in the state database; a start claims the row
 * (created -> starting, so two starts cannot both run it), writes the
 * process's OCI description (the container's own process, with the exec's
 * command, terminal, environment, directory, user and capabilities) into
 * <runroot>/execs/<id>/process.json and hands it to a berth-monitor of its
 * own. That monitor runs `runtime exec --detach`, holds the stdio, serves
 * attach clients and records the exit code, as a container's monitor does
 * for the container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <berth/exec.h>

#include "attach_int.h"
#include "container.h"
#include "container_config.h"
#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "exec_store.h"
#include "inroot.h"
#include "monitor_spawn.h"
#include "spec.h"
#include "trace.h"
#include "userdb.h"
#include "util.h"

struct exec_row {
    char *id, *container_id, *state;
    json_t *config;
    int pid;
    bool exited;
    int exit_code;
};

static void exec_row_clear(struct exec_row *x)
{
    free(x->id);
    free(x->container_id);
    free(x->state);
    json_decref(x->config);
    memset(x, 0, sizeof *x);
}

static char *exec_rundir(const berth_engine *e, const char *id)
{
    return xasprintf("%s/execs/%s", e->runroot, id);
}

static bool is_exec_id(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
            return false;
    return n == 64;
}

/* The exec's row, with the exit its monitor has left in the run directory
 * and not yet recorded. The file is read before the row: the monitor
 * writes it before recording the exit and removes it after, so one or the
 * other has the exit once the monitor has told anyone. */
static int exec_load(berth_engine *e, const char *id, struct exec_row *x, berth_error *err)
{
    memset(x, 0, sizeof *x);
    if (!is_exec_id(id))
        return berr(err, BERTH_ENOTFOUND, "No such exec instance: %s", id);
    _cleanup_free_ char *rundir = exec_rundir(e, id);
    int file_code = 0;
    bool file_exit = exec_exit_file_read(rundir, &file_code) == 1;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db,
                       "SELECT id, container_id, config, state, pid, exit_code FROM execs"
                       " WHERE id = ?",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
        return berr(err, BERTH_ENOTFOUND, "No such exec instance: %s", id);
    if (rc != SQLITE_ROW)
        return db_error(e->db, err, "reading an exec instance");
    x->id = xstrdup(db_col_text(s, 0));
    x->container_id = xstrdup(db_col_text(s, 1));
    x->config = json_loads(db_col_text(s, 2), 0, NULL);
    if (!x->config)
        x->config = json_object();
    x->state = xstrdup(db_col_text(s, 3));
    x->pid = sqlite3_column_int(s, 4);
    x->exited = sqlite3_column_type(s, 5) != SQLITE_NULL;
    x->exit_code = sqlite3_column_int(s, 5);
    if (!x->exited && file_exit) {
        x->exited = true;
        x->exit_code = file_code;
        free(x->state);
        x->state = xstrdup("exited");
    }
    return 0;
}

static const char *const exec_keys[] = { "AttachStdin", "AttachStdout", "AttachStderr",
                                         "Tty",         "Privileged",   "Detach",
                                         "User",        "WorkingDir",   "DetachKeys",
                                         "Cmd",         "Env",          "ConsoleSize" };

/* Go's JSON decoder matches field names without regard to case, and
 * clients rely on it (docker-py sends "detachKeys"): known fields are
 * renamed to their canonical spelling. */
static void canonical_keys(json_t *cfg)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(cfg, tmp, key, v)
    {
        for (size_t i = 0; i < ARRAY_SIZE(exec_keys); i++) {
            if (strcasecmp(key, exec_keys[i]) == 0 && strcmp(key, exec_keys[i]) != 0) {
                json_object_set(cfg, exec_keys[i], v);
                json_object_del(cfg, key);
                break;
            }
        }
    }
}

/* Docker's ExecConfig, checked the way the API decodes and validates it. */
static int check_config(const json_t *cfg, berth_error *err)
{
    if (!json_is_object(cfg))
        return berr(err, BERTH_EINVAL, "the exec configuration must be a JSON object");
    static const struct {
        const char *key;
        enum kind kind;
    } fields[] = { { "AttachStdin", K_BOOL },  { "AttachStdout", K_BOOL },
                   { "AttachStderr", K_BOOL }, { "Tty", K_BOOL },
                   { "Privileged", K_BOOL },   { "Detach", K_BOOL },
                   { "User", K_STR },          { "WorkingDir", K_STR },
                   { "DetachKeys", K_STR },    { "Cmd", K_STRV },
                   { "Env", K_STRV } };
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        int r = config_check_kind(fields[i].key, json_object_get(cfg, fields[i].key),
                                  fields[i].kind, err);
        if (r < 0)
            return r;
    }
    if (json_array_size(json_object_get(cfg, "Cmd")) == 0)
        return berr(err, BERTH_EINVAL, "No exec command specified");
    const json_t *cs = json_object_get(cfg, "ConsoleSize");
    if (cs && !json_is_null(cs)) {
        if (json_array_size(cs) != 2 || !json_is_integer(json_array_get(cs, 0)) ||
            !json_is_integer(json_array_get(cs, 1)) ||
            json_integer_value(json_array_get(cs, 0)) < 0 ||
            json_integer_value(json_array_get(cs, 1)) < 0 ||
            json_integer_value(json_array_get(cs, 0)) > 65535 ||
            json_integer_value(json_array_get(cs, 1)) > 65535)
            return berr(err, BERTH_EINVAL, "ConsoleSize must be [height, width]");
    }
    const char *wd = json_get_str(cfg, "WorkingDir", "");
    if (*wd && *wd != '/')
        return berr(err, BERTH_EINVAL,
                    "the working directory '%s' is invalid, it needs to be an absolute path", wd);
    return 0;
}

static int check_running(const struct ctr *c, berth_error *err)
{
    if (str_eq(c->state, "paused"))
        return berr(err, BERTH_ECONFLICT,
                    "Container %s is paused, unpause the container before exec", c->id);
    if (!ctr_is_running(c))
        return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);
    return 0;
}

static int insert_exec(berth_engine *e, const struct exec_row *x, berth_error *err)
{
    _cleanup_free_ char *text = json_dumps(x->config, JSON_COMPACT);
    int r = db_begin(e->db, err);
    if (r < 0)
        return r;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(
        e->db, "INSERT INTO execs(id, container_id, config, created) VALUES (?, ?, ?, ?)", &s, err);
    if (r == 0) {
        sqlite3_bind_text(s, 1, x->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, x->container_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, now_ns());
        if (sqlite3_step(s) != SQLITE_DONE)
            r = db_error(e->db, err, "storing the exec instance");
    }
    if (r == 0)
        r = exec_event(e->db, x->container_id, x->id, "exec_create",
                       json_object_get(x->config, "Cmd"), err);
    if (r < 0) {
        db_rollback(e->db);
        return r;
    }
    return db_commit(e->db, err);
}

int berth_exec_create(berth_engine *e, const char *container, const char *config_json,
                      char **id_out, berth_error *err)
{
    json_error_t je;
    json_t *cfg = json_loads(config_json ? config_json : "", 0, &je);
    if (!cfg)
        return berr(err, BERTH_EINVAL, "invalid JSON: %s", je.text);
    struct exec_row x = { 0 };
    x.config = cfg;
    if (json_is_object(cfg))
        canonical_keys(cfg);
    _cleanup_ctr_ struct ctr *c = NULL;
    char id[65];
    int r = check_config(cfg, err);
    if (r == 0)
        r = ctr_load(e, container, &c, err);
    if (r == 0)
        r = check_running(c, err);
    if (r == 0 && random_hex(id, 32) < 0)
        r = berr(err, BERTH_EINTERNAL, "no randomness for an exec ID");
    if (r == 0) {
        x.id = xstrdup(id);
        x.container_id = xstrdup(c->id);
        r = insert_exec(e, &x, err);
    }
    if (r == 0 && id_out)
        *id_out = xstrdup(id);
    exec_row_clear(&x);
    trace_point("exec created");
    return r;
}

int berth_exec_inspect(berth_engine *e, const char *exec_id, char **json_out, berth_error *err)
{
    struct exec_row x;
    int r = exec_load(e, exec_id, &x, err);
    if (r < 0)
        return r;
    const json_t *cfg = x.config;
    const json_t *cmd = json_object_get(cfg, "Cmd");
    json_t *args = json_array();
    for (size_t i = 1; i < json_array_size(cmd); i++)
        json_array_append(args, json_array_get(cmd, i));
    json_t *doc = json_pack(
        "{s:b, s:s, s:s, s:o, s:s, s:b, s:b, s:b, s:{s:o, s:s, s:b, s:b, s:s}, s:b, s:i}",
        "CanRemove", 0, "ContainerID", x.container_id, "DetachKeys",
        json_get_str(cfg, "DetachKeys", ""), "ExitCode",
        x.exited ? json_integer(x.exit_code) : json_null(), "ID", x.id, "OpenStderr",
        json_get_bool(cfg, "AttachStderr"), "OpenStdin", json_get_bool(cfg, "AttachStdin"),
        "OpenStdout", json_get_bool(cfg, "AttachStdout"), "ProcessConfig", "arguments", args,
        "entrypoint", json_string_value(json_array_get(cmd, 0)), "privileged",
        json_get_bool(cfg, "Privileged"), "tty", json_get_bool(cfg, "Tty"), "user",
        json_get_str(cfg, "User", ""), "Running", str_eq(x.state, "running"), "Pid", x.pid);
    exec_row_clear(&x);
    *json_out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return 0;
}

/* The user an exec runs as, resolved in the container's files as the
 * container sees them (its root, reached through its process). */
static int exec_user(const struct ctr *c, const char *spec, json_t *process, berth_error *err)
{
    _cleanup_free_ char *root = xasprintf("/proc/%d/root", c->pid);
    _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return berr_errno(err, BERTH_ECONFLICT, errno, "Container %s is not running", c->id);
    struct exec_user u;
    int r = userdb_resolve_in_root(rootfd, spec, &u, err);
    if (r < 0)
        return r;
    json_object_set_new(process, "user", spec_user(&u));
    /* HOME follows the user, unless the exec sets it */
    json_t *home = json_array();
    _cleanup_free_ char *h = xasprintf("HOME=%s", u.home ? u.home : "/");
    json_array_append_new(home, json_string(h));
    spec_env_merge(json_object_get(process, "env"), home);
    json_decref(home);
    exec_user_clear(&u);
    return 0;
}

/* The exec's OCI process: the container's, changed as the ExecConfig says. */
static int build_process(berth_engine *e, const struct ctr *c, const json_t *cfg, unsigned rows,
                         unsigned cols, char **out, berth_error *err)
{
    _cleanup_free_ char *rundir = engine_ctr_rundir(e, c->id);
    _cleanup_free_ char *path = xasprintf("%s/config.json", rundir);
    json_error_t je;
    json_t *spec = json_load_file(path, 0, &je);
    if (!spec)
        return berr(err, BERTH_EINTERNAL, "cannot read the container's %s: %s", path, je.text);
    json_t *process = json_deep_copy(json_object_get(spec, "process"));
    json_decref(spec);
    if (!json_is_object(process)) {
        json_decref(process);
        return berr(err, BERTH_EINTERNAL, "the container's %s has no process", path);
    }
    bool tty = json_get_bool(cfg, "Tty");
    json_object_set_new(process, "args", json_deep_copy(json_object_get(cfg, "Cmd")));
    json_object_set_new(process, "terminal", json_boolean(tty));
    json_object_del(process, "consoleSize");
    if (tty) {
        const json_t *cs = json_object_get(cfg, "ConsoleSize");
        if (!rows && json_array_size(cs) == 2) {
            rows = (unsigned)json_integer_value(json_array_get(cs, 0));
            cols = (unsigned)json_integer_value(json_array_get(cs, 1));
        }
        if (rows && cols)
            json_object_set_new(process, "consoleSize",
                                json_pack("{s:i, s:i}", "height", rows, "width", cols));
    }
    json_t *env = json_object_get(process, "env");
    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(process, "env", env);
    }
    if (tty && !env_lookup(env, "TERM"))
        json_array_append_new(env, json_string("TERM=xterm"));
    const char *user = json_get_str(cfg, "User", "");
    if (*user) {
        int r = exec_user(c, user, process, err);
        if (r < 0) {
            json_decref(process);
            return r;
        }
    }
    spec_env_merge(env, json_object_get(cfg, "Env"));
    const char *wd = json_get_str(cfg, "WorkingDir", "");
    if (*wd)
        json_object_set_new(process, "cwd", json_string(wd));
    if (json_get_bool(cfg, "Privileged")) {
        /* every capability the host has, as for a privileged container */
        struct spec_host host;
        spec_host_probe(&host);
        json_t *all = json_pack("{s:[s]}", "CapAdd", "ALL");
        json_t *caps = spec_capabilities(all, &host);
        json_decref(all);
        json_object_set_new(
            process, "capabilities",
            json_pack("{s:O, s:O, s:O}", "bounding", caps, "effective", caps, "permitted", caps));
        json_decref(caps);
    }
    *out = json_dumps(process, JSON_COMPACT);
    json_decref(process);
    return 0;
}

/* created -> starting, for one start only. */
static int claim(berth_engine *e, const struct exec_row *x, berth_error *err)
{
    int r = exec_store_claim(e->db, x->id, err);
    if (r == 0)
        return berr(err, BERTH_ECONFLICT, "Error: Exec command %s is already running", x->id);
    return r < 0 ? r : 0;
}

/* A start that failed before the monitor took the exec over. */
static void give_up(berth_engine *e, const char *exec_id, int code)
{
    berth_error err = BERTH_ERROR_INIT;
    exec_store_set_exited(e->db, exec_id, code, now_ns(), &err);
}

static int start_claimed(berth_engine *e, const struct ctr *c, const struct exec_row *x,
                         const berth_exec_start_opts *opts, berth_attach **attach_out,
                         berth_error *err)
{
    const json_t *cfg = x->config;
    _cleanup_free_ char *process = NULL;
    int r = build_process(e, c, cfg, opts->rows, opts->cols, &process, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *rundir = exec_rundir(e, x->id);
    r = mkdir_p(rundir, 0700);
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot create %s", rundir);
    _cleanup_free_ char *ppath = xasprintf("%s/process.json", rundir);
    r = write_new_file_at(AT_FDCWD, ppath, process, strlen(process), 0600);
    if (r < 0) {
        rm_rf(rundir);
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot write %s", ppath);
    }
    bool tty = json_get_bool(cfg, "Tty");
    const char *argv[32];
    size_t k = 0;
    monitor_common_args(e, c, argv, &k);
    argv[k++] = "--exec-id";
    argv[k++] = x->id;
    argv[k++] = "--cmd0";
    argv[k++] = json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 0));
    if (tty)
        argv[k++] = "--tty";
    if (json_get_bool(cfg, "AttachStdin") && !opts->detach)
        argv[k++] = "--stdin";
    argv[k] = NULL;
    _cleanup_close_ int sync_fd = -1, go_fd = -1;
    trace_point("exec process written");
    r = monitor_spawn(e, argv, &sync_fd, &go_fd, err);
    if (r < 0) {
        rm_rf(rundir);
        return r;
    }
    struct sync_reader sr = { .fd = sync_fd };
    int monitor_pid = monitor_wait_ready(&sr, err);
    if (monitor_pid < 0) {
        rm_rf(rundir);
        return monitor_pid;
    }
    berth_attach *a = NULL;
    if (!opts->detach) {
        berth_attach_opts ao = BERTH_ATTACH_OPTS_INIT;
        ao.attach_stdin = json_get_bool(cfg, "AttachStdin");
        ao.attach_stdout = json_get_bool(cfg, "AttachStdout");
        ao.attach_stderr = json_get_bool(cfg, "AttachStderr");
        r = attach_connect(rundir, &ao, tty, &a, err);
        if (r < 0)
            return r; /* the monitor sees its go pipe close, and goes */
        attach_records_exec_exit(a, e, x->id);
    }
    if (write_all(go_fd, "g", 1) < 0) {
        berth_attach_free(a);
        return berr(err, BERTH_EINTERNAL, "berth-monitor went away before the exec started");
    }
    char line[2048];
    int n = sync_line(&sr, line, sizeof line, 120000);
    int pid;
    if (n > 0 && sscanf(line, "started %d", &pid) == 1) {
        /* The engine records the run (nothing, if the exit came first);
         * the monitor never opens the database for it. Should this fail,
         * the exec runs on regardless, and its exit is recorded all the
         * same. */
        berth_error ignored = BERTH_ERROR_INIT;
        exec_store_set_running(e->db, x->id, pid, monitor_pid, now_ns(), &ignored);
        if (attach_out)
            *attach_out = a;
        else
            berth_attach_free(a);
        return 0;
    }
    berth_attach_free(a);
    if (n <= 0)
        return berr(err, BERTH_EINTERNAL, "berth-monitor exited while starting the exec");
    int code = 126;
    const char *msg = line;
    if (sscanf(line, "error %d", &code) == 1) {
        msg = strchr(line + 6, ' ');
        msg = msg ? msg + 1 : line;
    }
    const char *cmd0 = json_string_value(json_array_get(json_object_get(cfg, "Cmd"), 0));
    if (code == 127)
        return berr(err, BERTH_EINVAL,
                    "OCI runtime exec failed: exec failed: unable to start container process: "
                    "exec: \"%s\": executable file not found in $PATH: unknown",
                    cmd0);
    if (code == 126)
        return berr(err, BERTH_EINVAL,
                    "OCI runtime exec failed: exec failed: unable to start container process: "
                    "exec: \"%s\": permission denied: unknown",
                    cmd0);
    return berr(err, BERTH_EINTERNAL, "OCI runtime exec failed: %s", msg);
}

int berth_exec_start(berth_engine *e, const char *exec_id, const berth_exec_start_opts *opts,
                     berth_attach **attach_out, berth_error *err)
{
    berth_exec_start_opts defaults = BERTH_EXEC_START_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    if (opts->version != BERTH_EXEC_START_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_exec_start_opts version");
    if (opts->rows > 65535 || opts->cols > 65535)
        return berr(err, BERTH_EINVAL, "terminal size %ux%u is too large", opts->rows, opts->cols);
    struct exec_row x;
    int r = exec_load(e, exec_id, &x, err);
    if (r < 0)
        return r;
    _cleanup_ctr_ struct ctr *c = NULL;
    if (x.exited)
        r = berr(err, BERTH_ECONFLICT, "Error: Exec command %s has already run", x.id);
    else if (!str_eq(x.state, "created"))
        r = berr(err, BERTH_ECONFLICT, "Error: Exec command %s is already running", x.id);
    if (r == 0)
        r = ctr_load(e, x.container_id, &c, err);
    if (r == 0)
        r = check_running(c, err);
    if (r == 0)
        r = claim(e, &x, err);
    trace_point("exec claimed");
    if (r == 0) {
        r = start_claimed(e, c, &x, opts, attach_out, err);
        if (r < 0 && !str_has_prefix(err->message, "OCI runtime exec failed"))
            give_up(e, x.id, 126);
    }
    exec_row_clear(&x);
    return r;
}

int berth_exec_resize(berth_engine *e, const char *exec_id, unsigned rows, unsigned cols,
                      berth_error *err)
{
    if (rows > 65535 || cols > 65535)
        return berr(err, BERTH_EINVAL, "terminal size %ux%u is too large", rows, cols);
    struct exec_row x;
    int r = exec_load(e, exec_id, &x, err);
    if (r < 0)
        return r;
    bool running = str_eq(x.state, "running");
    exec_row_clear(&x);
    if (!running)
        return berr(err, BERTH_ECONFLICT, "Exec %s is not running", exec_id);
    _cleanup_free_ char *rundir = exec_rundir(e, exec_id);
    r = monitor_resize(rundir, rows, cols);
    if (r < 0)
        return berr_errno(err, BERTH_ECONFLICT, -r, "Exec %s is not running", exec_id);
    return 0;
}
