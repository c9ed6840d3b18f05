/* ctr_store.c - the container row updates shared with berth-monitor. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctr_store.h"
#include "db.h"
#include "errors.h"
#include "trace.h"
#include "util.h"

static int step_done(sqlite3 *db, sqlite3_stmt *s, berth_error *err, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        return db_error(db, err, what);
    return 0;
}

int ctr_store_set_running(sqlite3 *db, const char *id, int pid, int monitor_pid,
                          uint64_t monitor_start, int64_t started, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db,
                       "UPDATE containers SET state='running', pid=?2, monitor_pid=?3,"
                       " monitor_start=?4, started=?5, exit_code=0, error='', oom_killed=0,"
                       " finished=0 WHERE id=?1",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, pid);
    sqlite3_bind_int(s, 3, monitor_pid);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)monitor_start);
    sqlite3_bind_int64(s, 5, started);
    return step_done(db, s, err, "record container start");
}

int ctr_store_set_exited(sqlite3 *db, const char *id, int exit_code, bool oom, int64_t finished,
                         const char *error, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db,
                       "UPDATE containers SET state=CASE WHEN state IN ('removing','dead')"
                       " THEN state ELSE 'exited' END, pid=0, monitor_pid=0, monitor_start=0,"
                       " exit_code=?2, oom_killed=?3, finished=?4, error=?5 WHERE id=?1",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, exit_code);
    sqlite3_bind_int(s, 3, oom ? 1 : 0);
    sqlite3_bind_int64(s, 4, finished);
    sqlite3_bind_text(s, 5, error ? error : "", -1, SQLITE_STATIC);
    return step_done(db, s, err, "record container exit");
}

int ctr_store_set_start_failed(sqlite3 *db, const char *id, int exit_code, const char *error,
                               berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db,
                       "UPDATE containers SET state=CASE WHEN started=0 THEN 'created'"
                       " ELSE 'exited' END, pid=0, monitor_pid=0, monitor_start=0,"
                       " exit_code=?2, error=?3 WHERE id=?1",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, exit_code);
    sqlite3_bind_text(s, 3, error ? error : "", -1, SQLITE_STATIC);
    return step_done(db, s, err, "record failed start");
}

int ctr_store_remove_row(sqlite3 *db, const char *id, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db, "DELETE FROM containers WHERE id=?1", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    return step_done(db, s, err, "delete container");
}

int ctr_store_remove_files(const char *root, const char *runroot, const char *id, berth_error *err)
{
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
    _cleanup_free_ char *rundir = xasprintf("%s/containers/%s", runroot, id);
    int fr = rm_rf(rundir);
    trace_point("remove rundir");
    int fr2 = rm_rf(dir);
    trace_point("remove dir");
    if (fr < 0 || fr2 < 0)
        return berr_errno(err, BERTH_EINTERNAL, fr < 0 ? -fr : -fr2,
                          "container %s removed, but not all of its files", id);
    return 0;
}

int ctr_store_remove(sqlite3 *db, const char *root, const char *runroot, const char *id,
                     berth_error *err)
{
    /* The row goes first: a crash after it leaves orphan files, which are
     * harmless, and never a row that points at missing files. */
    int r = ctr_store_remove_row(db, id, err);
    if (r < 0)
        return r;
    return ctr_store_remove_files(root, runroot, id, err);
}

uint64_t proc_starttime(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    _cleanup_free_ char *c = NULL;
    if (read_file(path, &c, NULL) < 0)
        return 0;
    /* the command name may hold spaces and parentheses: skip past the last ')' */
    char *p = strrchr(c, ')');
    if (!p)
        return 0;
    p++;
    /* after ')': field 3 (state) ... field 22 (starttime) */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p + 1, ' ');
    }
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

bool proc_alive(pid_t pid, uint64_t starttime)
{
    if (pid <= 0)
        return false;
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return false;
    return starttime == 0 || proc_starttime(pid) == starttime;
}
