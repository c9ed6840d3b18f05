/* container_pause.c - pause and unpause, and signals that reach a paused
 * container.
 *
 * Pausing is the OCI runtime's own `pause` (the cgroup freezer), run as
 * every other runtime call is (private mount namespace, hybrid-cgroup
 * workaround), with the state root the container's monitor gave it. The
 * row's state changes under the container's lock and only after the
 * runtime succeeded, so "paused" in the state database always means
 * frozen. A signal to a frozen container stays pending until it thaws:
 * like Docker, berth resumes a paused container right after sending it
 * SIGKILL or its stop signal, so stop, kill and rm -f work on it and its
 * monitor records the exit as usual. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attach_int.h"
#include "container.h"
#include "container_config.h"
#include "ctr_store.h"
#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "events.h"
#include "runtime.h"
#include "util.h"

/* `runtime pause|resume ID`: 0, or the runtime's message in *msg. */
static int runtime_freeze(berth_engine *e, const struct ctr *c, bool freeze, char **msg)
{
    _cleanup_free_ char *state_root = runtime_state_root(e->runroot, c->runtime);
    struct runtime_cmd rt = { c->runtime_path, state_root, NULL };
    const char *args[] = { freeze ? "pause" : "resume", c->id, NULL };
    int r = runtime_run(&rt, args, true, msg);
    if (r < 0 && msg)
        *msg = xstrdup(strerror(-r));
    return r;
}

/* Moves the row from state `from` to `to`; a row in any other state (the
 * monitor recorded an exit meanwhile) is left alone. With event, a move
 * records that event in the same transaction. */
static int set_state(berth_engine *e, const char *id, const char *from, const char *to,
                     const char *event, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "UPDATE containers SET state=?3 WHERE id=?1 AND state=?2", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, to, -1, SQLITE_STATIC);
    if ((r = db_begin(e->db, err)) < 0)
        return r;
    if (sqlite3_step(s) != SQLITE_DONE)
        r = db_error(e->db, err, "record container state");
    else if (event && sqlite3_changes(e->db) > 0)
        r = event_container(e->db, id, event, NULL, err);
    if (r < 0) {
        db_rollback(e->db);
        return r;
    }
    return db_commit(e->db, err);
}

int berth_container_pause(berth_engine *e, const char *name, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    _cleanup_close_ int lock = -1;
    int r = ctr_load_locked(e, name, &c, &lock, err);
    if (r < 0)
        return r;
    /* moby's containerPause, in its order */
    if (!ctr_is_running(c))
        return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);
    if (str_eq(c->state, "paused"))
        return berr(err, BERTH_ECONFLICT, "Container %s is already paused", c->id);
    if (str_eq(c->state, "restarting"))
        return berr(err, BERTH_ECONFLICT,
                    "Container %s is restarting, wait until the container is running", c->id);
    _cleanup_free_ char *msg = NULL;
    if (runtime_freeze(e, c, true, &msg) != 0) {
        /* the process ended meanwhile: its monitor waits for our lock to
         * record the exit */
        if (c->pid > 0 && kill(c->pid, 0) < 0 && errno == ESRCH)
            return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);
        return berr(err, BERTH_EINTERNAL, "Cannot pause container %s: %s", c->id, msg);
    }
    r = set_state(e, c->id, "running", "paused", "pause", err);
    if (r < 0) {
        /* never leave a frozen container the state database calls running */
        runtime_freeze(e, c, false, NULL);
        return r;
    }
    return 0;
}

int berth_container_unpause(berth_engine *e, const char *name, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    _cleanup_close_ int lock = -1;
    int r = ctr_load_locked(e, name, &c, &lock, err);
    if (r < 0)
        return r;
    if (!str_eq(c->state, "paused"))
        return berr(err, BERTH_ECONFLICT, "Container %s is not paused", c->id);
    _cleanup_free_ char *msg = NULL;
    if (runtime_freeze(e, c, false, &msg) != 0)
        return berr(err, BERTH_EINTERNAL, "Cannot unpause container %s: %s", c->id, msg);
    return set_state(e, c->id, "paused", "running", "unpause", err);
}

/* Whether moby's killWithSignal resumes a paused container after signo. */
static bool resumes_for(const struct ctr *c, int signo)
{
    const char *stop = json_get_str(c->config, "StopSignal", "");
    if (!*stop || signo == SIGKILL)
        return true;
    int stop_signo;
    return berth_signal_parse(stop, &stop_signo, NULL) == 0 && stop_signo == signo;
}

int ctr_signal(berth_engine *e, const char *id, int signo)
{
    _cleanup_free_ char *rundir = engine_ctr_rundir(e, id);
    /* Under the lock, so that no pause comes between the signal and the
     * look at the state: a signal sent to a container that is then frozen
     * would wait for an unpause nobody asked for. */
    _cleanup_close_ int lock = ctr_lock(e, id, NULL);
    if (lock < 0)
        return -ESRCH;
    _cleanup_ctr_ struct ctr *c = NULL;
    if (ctr_reload(e, id, &c, NULL) < 0 || !ctr_is_running(c))
        return -ESRCH;
    int r = monitor_kill(rundir, signo);
    if (r == 0) {
        char num[16];
        snprintf(num, sizeof num, "%d", signo);
        json_t *attrs = json_pack("{s:s}", "signal", num);
        event_container(e->db, id, "kill", attrs, NULL);
        json_decref(attrs);
    }
    if (r == 0 && str_eq(c->state, "paused") && resumes_for(c, signo) &&
        runtime_freeze(e, c, false, NULL) == 0)
        set_state(e, id, "paused", "running", NULL, NULL);
    return r;
}
