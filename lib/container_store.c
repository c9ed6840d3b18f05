/* container_store.c - loading container rows, repairing rows whose monitor
 * died, and per-container locks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "container.h"
#include "ctr_store.h"
#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "runtime.h"
#include "util.h"

static json_t *parse_json(const char *text, json_t *fallback)
{
    json_t *j = text && *text ? json_loads(text, 0, NULL) : NULL;
    if (!j)
        return fallback;
    json_decref(fallback);
    return j;
}

struct ctr *ctr_from_row(sqlite3_stmt *s)
{
    struct ctr *c = xcalloc(1, sizeof *c);
    int i = 0;
    c->seq = sqlite3_column_int64(s, i++);
    c->id = xstrdup(db_col_text(s, i++));
    c->name = xstrdup(db_col_text(s, i++));
    c->image_id = xstrdup(db_col_text(s, i++));
    c->image_ref = xstrdup(db_col_text(s, i++));
    c->created = sqlite3_column_int64(s, i++);
    c->config = parse_json(db_col_text(s, i++), json_object());
    c->hostconfig = parse_json(db_col_text(s, i++), json_object());
    c->path = xstrdup(db_col_text(s, i++));
    c->args = parse_json(db_col_text(s, i++), json_array());
    c->labels = parse_json(db_col_text(s, i++), json_object());
    c->runtime = xstrdup(db_col_text(s, i++));
    c->runtime_path = xstrdup(db_col_text(s, i++));
    c->state = xstrdup(db_col_text(s, i++));
    c->pid = sqlite3_column_int(s, i++);
    c->monitor_pid = sqlite3_column_int(s, i++);
    c->monitor_start = (uint64_t)sqlite3_column_int64(s, i++);
    c->exit_code = sqlite3_column_int(s, i++);
    c->error = xstrdup(db_col_text(s, i++));
    c->started = sqlite3_column_int64(s, i++);
    c->finished = sqlite3_column_int64(s, i++);
    c->oom_killed = sqlite3_column_int(s, i++) != 0;
    c->auto_remove = sqlite3_column_int(s, i++) != 0;
    c->restart_count = sqlite3_column_int(s, i++);
    c->layers = parse_json(db_col_text(s, i++), json_array());
    c->mounts = parse_json(db_col_text(s, i++), json_array());
    return c;
}

void ctr_free(struct ctr *c)
{
    if (!c)
        return;
    free(c->id);
    free(c->name);
    free(c->image_id);
    free(c->image_ref);
    json_decref(c->config);
    json_decref(c->hostconfig);
    free(c->path);
    json_decref(c->args);
    json_decref(c->labels);
    free(c->runtime);
    free(c->runtime_path);
    free(c->state);
    free(c->error);
    json_decref(c->layers);
    json_decref(c->mounts);
    free(c);
}

bool ctr_is_running(const struct ctr *c)
{
    return str_eq(c->state, "running") || str_eq(c->state, "paused") ||
           str_eq(c->state, "restarting");
}

static int query_one(berth_engine *e, const char *sql, const char *arg, struct ctr **out,
                     int *matches, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, sql, &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
    *matches = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (++*matches == 1)
            *out = ctr_from_row(s);
        else
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(e->db, err, "container lookup");
    return 0;
}

/* A row that says the container runs while its monitor is gone: the
 * monitor was killed before it could record the exit. Record it now,
 * re-checking under a write lock so a monitor that just finished wins. */
static void reconcile(berth_engine *e, struct ctr **cp)
{
    struct ctr *c = *cp;
    if (!ctr_is_running(c) || proc_alive(c->monitor_pid, c->monitor_start))
        return;
    berth_error err = BERTH_ERROR_INIT;
    if (db_begin(e->db, &err) < 0)
        return;
    struct ctr *fresh = NULL;
    int matches = 0;
    query_one(e, "SELECT " CTR_COLUMNS " FROM containers WHERE id=?1", c->id, &fresh, &matches,
              &err);
    if (fresh && ctr_is_running(fresh) && fresh->monitor_pid == c->monitor_pid) {
        if (fresh->pid > 0 && kill(fresh->pid, 0) == 0)
            kill(fresh->pid, SIGKILL);
        ctr_store_set_exited(e->db, c->id, 255, false, now_ns(),
                             "berth-monitor exited unexpectedly", &err);
    }
    db_commit(e->db, &err);
    ctr_free(fresh);
    /* the runtime may still hold state for it */
    const char *path = c->runtime_path;
    _cleanup_free_ char *state_root = runtime_state_root(e->runroot, c->runtime);
    struct runtime_cmd rt = { path, state_root, NULL };
    const char *args[] = { "delete", "--force", c->id, NULL };
    _cleanup_free_ char *msg = NULL;
    runtime_run(&rt, args, true, &msg);
    struct ctr *again = NULL;
    if (query_one(e, "SELECT " CTR_COLUMNS " FROM containers WHERE id=?1", c->id, &again, &matches,
                  &err) == 0 &&
        again) {
        ctr_free(c);
        *cp = again;
    }
}

int ctr_reload(berth_engine *e, const char *id, struct ctr **out, berth_error *err)
{
    struct ctr *c = NULL;
    int matches = 0;
    int r =
        query_one(e, "SELECT " CTR_COLUMNS " FROM containers WHERE id=?1", id, &c, &matches, err);
    if (r < 0)
        return r;
    if (!c)
        return berr(err, BERTH_ENOTFOUND, "No such container: %s", id);
    reconcile(e, &c);
    *out = c;
    return 0;
}

int ctr_load(berth_engine *e, const char *name, struct ctr **out, berth_error *err)
{
    if (!name || !*name)
        return berr(err, BERTH_ENOTFOUND, "No such container: %s", name ? name : "");
    const char *n = name[0] == '/' ? name + 1 : name;
    struct ctr *c = NULL;
    int matches = 0;
    int r = 0;
    if (strlen(n) == 64)
        r = query_one(e, "SELECT " CTR_COLUMNS " FROM containers WHERE id=?1", n, &c, &matches,
                      err);
    if (r == 0 && !c)
        r = query_one(e, "SELECT " CTR_COLUMNS " FROM containers WHERE name=?1", n, &c, &matches,
                      err);
    if (r == 0 && !c && str_is_hex(n)) {
        _cleanup_free_ char *pattern = xasprintf("%s*", n);
        r = query_one(e, "SELECT " CTR_COLUMNS " FROM containers WHERE id GLOB ?1", pattern, &c,
                      &matches, err);
        if (r == 0 && matches > 1) {
            ctr_free(c);
            return berr(err, BERTH_EINVAL, "multiple IDs found with provided prefix: %s", n);
        }
    }
    if (r < 0) {
        ctr_free(c);
        return r;
    }
    if (!c)
        return berr(err, BERTH_ENOTFOUND, "No such container: %s", name);
    reconcile(e, &c);
    *out = c;
    return 0;
}

int ctr_lock(berth_engine *e, const char *id, berth_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/containers/%s/lock", e->root, id);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == ENOENT)
            return berr(err, BERTH_ENOTFOUND, "No such container: %s", id);
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot lock container %s", id);
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int en = errno;
            close(fd);
            return berr_errno(err, BERTH_EINTERNAL, en, "cannot lock container %s", id);
        }
    }
    return fd;
}

int ctr_load_locked(berth_engine *e, const char *name, struct ctr **out, int *lock,
                    berth_error *err)
{
    struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *id = xstrdup(c->id);
    ctr_free(c);
    int fd = ctr_lock(e, id, err);
    if (fd < 0)
        return fd;
    r = ctr_reload(e, id, out, err);
    if (r < 0) {
        close(fd);
        return r;
    }
    *lock = fd;
    return 0;
}

bool ctr_name_valid(const char *name)
{
    if (!name)
        return false;
    if (name[0] == '/')
        name++;
    size_t n = strlen(name);
    if (n < 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
            return false;
    }
    return true;
}

int ctr_name_conflict(berth_engine *e, const char *name, berth_error *err)
{
    const char *n = name[0] == '/' ? name + 1 : name;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    char owner[65] = "";
    if (db_prepare(e->db, "SELECT id FROM containers WHERE name=?1", &s, NULL) == 0) {
        sqlite3_bind_text(s, 1, n, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            snprintf(owner, sizeof owner, "%s", db_col_text(s, 0));
    }
    return berr(err, BERTH_ECONFLICT,
                "Conflict. The container name \"/%s\" is already in use by container \"%s\". You "
                "have to remove (or rename) that container to be able to reuse that name.",
                n, owner);
}
