/* exec_store.c - exec instances' state transitions in the state database. */
#include <stdio.h>

#include "db.h"
#include "events.h"
#include "exec_store.h"
#include "util.h"

char *exec_event_action(const char *verb, const json_t *cmd)
{
    buf_t b = { 0 };
    buf_appendf(&b, "%s:", verb);
    size_t i;
    json_t *v;
    json_array_foreach(cmd, i, v) buf_appendf(&b, " %s", json_string_value(v));
    return buf_steal(&b);
}

/* The exec_start event goes in the same transaction as the state, so it
 * always comes before the exec_die of a process that ends at once. */
int exec_store_set_running(sqlite3 *db, const char *exec_id, int pid, int monitor_pid,
                           int64_t started, berth_error *err)
{
    int r = db_begin(db, err);
    if (r < 0)
        return r;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(db,
                   "UPDATE execs SET state = 'running', pid = ?, monitor_pid = ?, started = ?"
                   " WHERE id = ? RETURNING container_id, config",
                   &s, err);
    if (r < 0)
        goto fail;
    sqlite3_bind_int(s, 1, pid);
    sqlite3_bind_int(s, 2, monitor_pid);
    sqlite3_bind_int64(s, 3, started);
    sqlite3_bind_text(s, 4, exec_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        json_t *cfg = json_loads(db_col_text(s, 1), 0, NULL);
        _cleanup_free_ char *action = exec_event_action("exec_start", json_object_get(cfg, "Cmd"));
        json_decref(cfg);
        json_t *attrs = json_pack("{s:s}", "execID", exec_id);
        r = event_container(db, db_col_text(s, 0), action, attrs, err);
        json_decref(attrs);
        if (r < 0)
            goto fail;
        rc = sqlite3_step(s);
    }
    if (rc != SQLITE_DONE) {
        r = db_error(db, err, "recording an exec's start");
        goto fail;
    }
    sqlite3_finalize(s);
    s = NULL;
    return db_commit(db, err);
fail:
    db_rollback(db);
    return r;
}

int exec_store_set_exited(sqlite3 *db, const char *exec_id, int exit_code, int64_t finished,
                          berth_error *err)
{
    int r = db_begin(db, err);
    if (r < 0)
        return r;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(db,
                   "UPDATE execs SET state = 'exited', exit_code = ?, finished = ?"
                   " WHERE id = ? RETURNING container_id",
                   &s, err);
    if (r < 0)
        goto fail;
    sqlite3_bind_int(s, 1, exit_code);
    sqlite3_bind_int64(s, 2, finished);
    sqlite3_bind_text(s, 3, exec_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        /* the row is gone when its container was removed meanwhile */
        char code[16];
        snprintf(code, sizeof code, "%d", exit_code);
        json_t *attrs = json_pack("{s:s, s:s}", "execID", exec_id, "exitCode", code);
        r = event_container(db, db_col_text(s, 0), "exec_die", attrs, err);
        json_decref(attrs);
        if (r < 0)
            goto fail;
        rc = sqlite3_step(s);
    }
    if (rc != SQLITE_DONE) {
        r = db_error(db, err, "recording an exec's exit");
        goto fail;
    }
    sqlite3_finalize(s);
    s = NULL;
    return db_commit(db, err);
fail:
    db_rollback(db);
    return r;
}
