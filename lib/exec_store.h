/* exec_store.h - the rows of exec instances (table execs) that both the
 * engine and an exec's berth-monitor write. An exec goes created ->
 * starting (claimed by one start) -> running -> exited; a start that fails
 * goes straight to exited with 126 or 127, as Docker reports it. */
#ifndef BERTH_EXEC_STORE_H
#define BERTH_EXEC_STORE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include <berth/error.h>

/* Records the container event of an exec: action "<verb>: <cmd...>"
 * ("exec_create: sh -c date", as Docker names it), attribute execID. */
int exec_event(sqlite3 *db, const char *container_id, const char *exec_id, const char *verb,
               const json_t *cmd, berth_error *err);

/* Records the running state and the exec_start event. */
int exec_store_set_running(sqlite3 *db, const char *exec_id, int pid, int monitor_pid,
                           int64_t started, berth_error *err);

/* Records the exit code and the exec_die event. */
int exec_store_set_exited(sqlite3 *db, const char *exec_id, int exit_code, int64_t finished,
                          berth_error *err);

#endif
