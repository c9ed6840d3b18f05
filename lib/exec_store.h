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

/* Claims a created exec for one start (created -> starting) and records
 * the exec_start event. Returns 1, 0 when the exec was not in "created"
 * (or is gone), or a negative error. */
int exec_store_claim(sqlite3 *db, const char *exec_id, berth_error *err);

/* Records the running state of a starting exec (its process and monitor);
 * nothing when its exit was recorded first. */
int exec_store_set_running(sqlite3 *db, const char *exec_id, int pid, int monitor_pid,
                           int64_t started, berth_error *err);

/* Records the exit code and the exec_die event, once: returns 1, or 0
 * when the exit was already recorded (or the exec is gone). */
int exec_store_set_exited(sqlite3 *db, const char *exec_id, int exit_code, int64_t finished,
                          berth_error *err);

/* The exit of an exec as its monitor leaves it in the exec's run
 * directory before it tells its clients, and before anyone records it in
 * the state database (see monitor/main.c, finish_exec): whoever reads an
 * exec that the database still calls starting or running looks here
 * first. The file is made empty while the exec runs (making a file can
 * take a few tenths of a millisecond on a journaling file system), gets
 * "<code>\n" at the exit, and goes with the run directory once
 * the database has the exit. */
#define EXEC_EXIT_FILE "exit"
/* The empty file; returns its fd or -errno. */
int exec_exit_file_create(int rundir_fd);
int exec_exit_file_set(int fd, int exit_code);
/* Returns 1 with *exit_code set when the file holds an exit, 0 when not. */
int exec_exit_file_read(const char *rundir, int *exit_code);

#endif
