/* exec_store.c - exec instances' state transitions in the state database. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "events.h"
#include "exec_store.h"
#include "util.h"

int exec_event(sqlite3 *db, const char *container_id, const char *exec_id, const char *verb,
               const json_t *cmd, berth_error *err)
{
    buf_t b = { 0 };
    buf_appendf(&b, "%s:", verb);
    size_t i;
    json_t *v;
    json_array_foreach(cmd, i, v) buf_appendf(&b, " %s", json_string_value(v));
    _cleanup_free_ char *action = buf_steal(&b);
    json_t *attrs = json_pack("{s:s}", "execID", exec_id);
    int r = event_container(db, container_id, action, attrs, err);
    json_decref(attrs);
    return r;
}

/* The event of a state change, from the row the UPDATE returned. */
typedef int (*record_fn)(sqlite3 *db, const char *exec_id, sqlite3_stmt *row, int value,
                         berth_error *err);

/* Runs sql (an UPDATE of the exec ?1 setting ?2... from v, RETURNING
 * container_id, config) and records its event in the same transaction.
 * Returns 1 when a row changed, 0 when none did: the row is gone when its
 * container was removed meanwhile, or its state was not the one the
 * UPDATE's condition wants. */
static int update(sqlite3 *db, const char *exec_id, const char *sql, const int64_t v[3],
                  record_fn record, const char *what, berth_error *err)
{
    int changed = 0;
    int r = db_begin(db, err);
    if (r < 0)
        return r;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(db, sql, &s, err);
    if (r == 0) {
        sqlite3_bind_text(s, 1, exec_id, -1, SQLITE_STATIC);
        for (int k = 2; k <= sqlite3_bind_parameter_count(s) && k <= 4; k++)
            sqlite3_bind_int64(s, k, v[k - 2]);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            changed = 1;
            r = record(db, exec_id, s, (int)v[0], err);
            if (r == 0)
                rc = sqlite3_step(s);
        }
        if (r == 0 && rc != SQLITE_DONE)
            r = db_error(db, err, what);
    }
    if (r < 0) {
        db_rollback(db);
        return r;
    }
    sqlite3_finalize(s);
    s = NULL;
    r = db_commit(db, err);
    return r < 0 ? r : changed;
}

static int record_start(sqlite3 *db, const char *exec_id, sqlite3_stmt *row, int pid,
                        berth_error *err)
{
    (void)pid;
    json_t *cfg = json_loads(db_col_text(row, 1), 0, NULL);
    int r = exec_event(db, db_col_text(row, 0), exec_id, "exec_start", json_object_get(cfg, "Cmd"),
                       err);
    json_decref(cfg);
    return r;
}

/* created -> starting, for one start only, with the exec_start event (as
 * Docker logs it: when the start is asked for, before the process runs). */
int exec_store_claim(sqlite3 *db, const char *exec_id, berth_error *err)
{
    const int64_t v[3] = { 0, 0, 0 };
    return update(db, exec_id,
                  "UPDATE execs SET state = 'starting' WHERE id = ?1 AND state = 'created'"
                  " RETURNING container_id, config",
                  v, record_start, "starting the exec instance", err);
}

int exec_store_set_running(sqlite3 *db, const char *exec_id, int pid, int monitor_pid,
                           int64_t started, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db,
                       "UPDATE execs SET state = 'running', pid = ?2, monitor_pid = ?3,"
                       " started = ?4 WHERE id = ?1 AND state = 'starting'",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, exec_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, pid);
    sqlite3_bind_int(s, 3, monitor_pid);
    sqlite3_bind_int64(s, 4, started);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(db, err, "recording an exec's start");
    return 0;
}

static int record_die(sqlite3 *db, const char *exec_id, sqlite3_stmt *row, int exit_code,
                      berth_error *err)
{
    char code[16];
    snprintf(code, sizeof code, "%d", exit_code);
    json_t *attrs = json_pack("{s:s, s:s}", "execID", exec_id, "exitCode", code);
    int r = event_container(db, db_col_text(row, 0), "exec_die", attrs, err);
    json_decref(attrs);
    return r;
}

int exec_store_set_exited(sqlite3 *db, const char *exec_id, int exit_code, int64_t finished,
                          berth_error *err)
{
    const int64_t v[3] = { exit_code, finished, 0 };
    return update(db, exec_id,
                  "UPDATE execs SET state = 'exited', exit_code = ?2, finished = ?3"
                  " WHERE id = ?1 AND state != 'exited' RETURNING container_id, config",
                  v, record_die, "recording an exec's exit", err);
}

int exec_exit_file_create(int rundir_fd)
{
    int fd = openat(rundir_fd, EXEC_EXIT_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    return fd < 0 ? -errno : fd;
}

/* One write of one short line: a reader finds it whole, or no newline. */
int exec_exit_file_set(int fd, int exit_code)
{
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", exit_code);
    ssize_t w = pwrite(fd, line, (size_t)n, 0);
    if (w == n)
        return 0;
    return w < 0 ? -errno : -EIO;
}

int exec_exit_file_read(const char *rundir, int *exit_code)
{
    _cleanup_free_ char *path = xasprintf("%s/" EXEC_EXIT_FILE, rundir);
    _cleanup_free_ char *text = NULL;
    if (read_file(path, &text, NULL) < 0 || !strchr(text, '\n'))
        return 0;
    return sscanf(text, "%d", exit_code) == 1;
}
