/* container_ops.c - stop, kill, restart, remove and rename.
 *
 * Signals go through the container's monitor, which is the container
 * process's parent: until it reaps the process, the PID cannot be reused,
 * so a signal can never reach a stranger. A paused container is resumed
 * after the signal (ctr_signal), as Docker does. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach_int.h"
#include "container.h"
#include "container_config.h"
#include "ctr_store.h"
#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "events.h"
#include "util.h"

static int stop_signal(const struct ctr *c, const char *signal, int *signo, berth_error *err)
{
    const char *s = signal && *signal ? signal : json_get_str(c->config, "StopSignal", "");
    if (!*s) {
        *signo = SIGTERM;
        return 0;
    }
    return berth_signal_parse(s, signo, err);
}

/* Sends signo and waits up to timeout_s (< 0: forever) for the exit. */
static int signal_and_wait(berth_engine *e, const char *id, int signo, int timeout_s)
{
    _cleanup_free_ char *rundir = engine_ctr_rundir(e, id);
    int r = ctr_signal(e, id, signo);
    if (r < 0)
        return r == -ESRCH || r == -ENOENT || r == -ECONNREFUSED ? 0 : r;
    int code;
    r = monitor_wait(rundir, timeout_s < 0 ? -1 : timeout_s * 1000, -1, &code);
    if (r == -ENOENT || r == -ECONNREFUSED || r == -EPIPE)
        return 0;
    return r;
}

int berth_container_stop(berth_engine *e, const char *name, int timeout, const char *signal,
                         berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    if (!ctr_is_running(c))
        return berr(err, BERTH_ENOTMODIFIED, "Container %s is not running", name);
    int signo;
    r = stop_signal(c, signal, &signo, err);
    if (r < 0)
        return r;
    if (timeout < 0) {
        json_t *st = json_object_get(c->config, "StopTimeout");
        timeout = json_is_integer(st) ? (int)json_integer_value(st) : 10;
    }
    r = signal_and_wait(e, c->id, signo, timeout);
    if (r == -ETIMEDOUT)
        r = signal_and_wait(e, c->id, SIGKILL, -1);
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot stop container %s", name);
    /* the stop is done: an event log that cannot be written does not undo it */
    event_container(e->db, c->id, "stop", NULL, NULL);
    return 0;
}

int berth_container_kill(berth_engine *e, const char *name, const char *signal, berth_error *err)
{
    int signo = SIGKILL;
    int r;
    if (signal && *signal && (r = berth_signal_parse(signal, &signo, err)) < 0)
        return r;
    _cleanup_ctr_ struct ctr *c = NULL;
    r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    if (!ctr_is_running(c))
        return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);
    _cleanup_free_ char *rundir = engine_ctr_rundir(e, c->id);
    r = ctr_signal(e, c->id, signo);
    if (r == -ESRCH || r == -ENOENT || r == -ECONNREFUSED)
        return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot kill container %s", c->id);
    if (signo == SIGKILL) {
        /* like Docker, return once a SIGKILLed container is gone */
        int code;
        monitor_wait(rundir, 10000, -1, &code);
    }
    return 0;
}

int berth_container_resize(berth_engine *e, const char *name, unsigned rows, unsigned cols,
                           berth_error *err)
{
    if (rows > 65535 || cols > 65535)
        return berr(err, BERTH_EINVAL, "terminal size %ux%u is too large", rows, cols);
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    if (!ctr_is_running(c))
        return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);
    _cleanup_free_ char *rundir = engine_ctr_rundir(e, c->id);
    r = monitor_resize(rundir, rows, cols);
    if (r == -ESRCH || r == -ENOENT || r == -ECONNREFUSED)
        return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot resize the terminal of %s", c->id);
    return 0;
}

int berth_container_restart(berth_engine *e, const char *name, int timeout, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    r = berth_container_stop(e, c->id, timeout, NULL, err);
    if (r < 0 && r != BERTH_ENOTMODIFIED)
        return r;
    berth_error_clear(err);
    r = berth_container_start(e, c->id, NULL, err);
    if (r == 0)
        event_container(e->db, c->id, "restart", NULL, NULL);
    return r;
}

int berth_container_remove(berth_engine *e, const char *name, const berth_remove_opts *opts,
                           berth_error *err)
{
    berth_remove_opts defaults = BERTH_REMOVE_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *id = xstrdup(c->id);
    if (ctr_is_running(c)) {
        if (!opts->force && str_eq(c->state, "paused"))
            return berr(err, BERTH_ECONFLICT,
                        "You cannot remove a paused container %s. Unpause and then stop the "
                        "container before attempting removal or force remove",
                        id);
        if (!opts->force)
            return berr(err, BERTH_ECONFLICT,
                        "You cannot remove a running container %s. Stop the container before "
                        "attempting removal or force remove",
                        id);
        r = signal_and_wait(e, id, SIGKILL, 30);
        if (r < 0)
            return berr_errno(err, BERTH_EINTERNAL, -r, "cannot kill container %s", id);
    }
    _cleanup_close_ int lock = ctr_lock(e, id, err);
    if (lock < 0) {
        /* removed meanwhile (an auto-remove container): done */
        if (lock == BERTH_ENOTFOUND) {
            berth_error_clear(err);
            return 0;
        }
        return lock;
    }
    ctr_free(c);
    c = NULL;
    if (ctr_reload(e, id, &c, NULL) < 0)
        return 0;
    if (ctr_is_running(c))
        return berr(err, BERTH_ECONFLICT, "container %s was started again while being removed", id);
    return ctr_store_remove(e->db, e->root, e->runroot, id, opts->volumes, err);
}

int berth_container_rename(berth_engine *e, const char *name, const char *new_name,
                           berth_error *err)
{
    if (!new_name || !*new_name)
        return berr(err, BERTH_EINVAL, "Neither old nor new names may be empty");
    /* the container first, as dockerd: an unknown one is 404 whatever the
     * new name */
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    if (!ctr_name_valid(new_name))
        return berr(err, BERTH_EINVAL,
                    "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                    new_name);
    if (new_name[0] == '/')
        new_name++;
    if (strcmp(c->name, new_name) == 0)
        return berr(err, BERTH_EINVAL,
                    "Renaming a container with the same name as its current name");
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(e->db, "UPDATE containers SET name=?2 WHERE id=?1", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, new_name, -1, SQLITE_STATIC);
    if ((r = db_begin(e->db, err)) < 0)
        return r;
    if (sqlite3_step(s) != SQLITE_DONE) {
        bool conflict = (sqlite3_extended_errcode(e->db) & 0xff) == SQLITE_CONSTRAINT;
        r = conflict ? 0 : db_error(e->db, err, "rename container");
        db_rollback(e->db);
        return conflict ? ctr_name_conflict(e, new_name, err) : r;
    }
    /* Docker's oldName has the leading '/' */
    _cleanup_free_ char *old_name = xasprintf("/%s", c->name);
    json_t *attrs = json_pack("{s:s}", "oldName", old_name);
    r = event_container(e->db, c->id, "rename", attrs, err);
    json_decref(attrs);
    if (r < 0) {
        db_rollback(e->db);
        return r;
    }
    return db_commit(e->db, err);
}
