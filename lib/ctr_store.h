/* ctr_store.h - container state transitions in the state database that
 * both the engine and berth-monitor make, and removal of a container's
 * files and row. */
#ifndef BERTH_CTR_STORE_H
#define BERTH_CTR_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <berth/error.h>

int ctr_store_set_running(sqlite3 *db, const char *id, int pid, int monitor_pid,
                          uint64_t monitor_start, int64_t started, berth_error *err);

/* Records the end of a run. A container being removed stays "removing". */
int ctr_store_set_exited(sqlite3 *db, const char *id, int exit_code, bool oom, int64_t finished,
                         const char *error, berth_error *err);

/* Records a start that failed before the process ran: the container keeps
 * its state (created, or exited) and gets exit_code and error. */
int ctr_store_set_start_failed(sqlite3 *db, const char *id, int exit_code, const char *error,
                               berth_error *err);

/* What goes with a container besides its own directories. */
struct ctr_removal {
    char **layers;  /* diff_ids of layers only it still used */
    char **volumes; /* names of its anonymous volumes */
};
void ctr_removal_clear(struct ctr_removal *rm);

/* Deletes the container's row, then its state and run directories; with
 * volumes, also its anonymous volumes (as `rm -v` and `run --rm` do). */
int ctr_store_remove(sqlite3 *db, const char *root, const char *runroot, const char *id,
                     bool volumes, berth_error *err);

/* The two halves of ctr_store_remove. The first deletes the row and, in
 * the same transaction, the rows of layers that only this container still
 * used (its image was deleted meanwhile) and of its anonymous volumes; out
 * gets their names. The second removes the files of all of those. */
int ctr_store_remove_row(sqlite3 *db, const char *id, bool volumes, struct ctr_removal *out,
                         berth_error *err);
int ctr_store_remove_files(const char *root, const char *runroot, const char *id,
                           const struct ctr_removal *rm, berth_error *err);

/* The start time of a process (field 22 of /proc/PID/stat), 0 if gone. */
uint64_t proc_starttime(pid_t pid);

/* The process exists and is the one that started at starttime. */
bool proc_alive(pid_t pid, uint64_t starttime);

#endif
