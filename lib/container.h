/* container.h - the engine's view of one container: its row in the state
 * database, loaded by ID, name or ID prefix, and checked against reality
 * (a row that says "running" whose monitor is gone is repaired on load). */
#ifndef BERTH_CONTAINER_INT_H
#define BERTH_CONTAINER_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <berth/container.h>

struct ctr {
    int64_t seq;
    char *id, *name, *image_id, *image_ref;
    int64_t created;
    json_t *config;     /* Docker Config, merged with the image's */
    json_t *hostconfig; /* Docker HostConfig */
    char *path;
    json_t *args;   /* array */
    json_t *labels; /* object */
    char *runtime, *runtime_path;
    char *state; /* created running paused restarting exited removing dead */
    int pid, monitor_pid;
    uint64_t monitor_start;
    int exit_code;
    char *error;
    int64_t started, finished;
    bool oom_killed, auto_remove;
    int restart_count;
    json_t *layers; /* array of diff_ids, lowest first: the container's own
                     * record, so it runs on even if its image is deleted */
    json_t *mounts; /* Docker's inspect Mounts (volumes) */
};

/* The column list that ctr_from_row() reads, in order. */
#define CTR_COLUMNS                                                                                \
    "seq, id, name, image_id, image_ref, created, config, hostconfig, path, args, labels,"         \
    " runtime, runtime_path, state, pid, monitor_pid, monitor_start, exit_code, error, started,"   \
    " finished, oom_killed, auto_remove, restart_count, layers, mounts"

struct sqlite3_stmt;
struct ctr *ctr_from_row(struct sqlite3_stmt *s);

/* Finds a container: full ID, then name, then unique ID prefix. */
int ctr_load(berth_engine *e, const char *name, struct ctr **out, berth_error *err);
/* Reloads by ID; BERTH_ENOTFOUND once it was removed. */
int ctr_reload(berth_engine *e, const char *id, struct ctr **out, berth_error *err);
void ctr_free(struct ctr *c);

static inline void cleanup_ctrp(struct ctr **c)
{
    ctr_free(*c);
}
#define _cleanup_ctr_ __attribute__((cleanup(cleanup_ctrp)))

bool ctr_is_running(const struct ctr *c);

/* Serializes state changes of one container between processes (flock on
 * root/containers/<id>/lock). Returns an fd to close, or a berth_code. */
int ctr_lock(berth_engine *e, const char *id, berth_error *err);

/* ctr_load, then the container's lock, then the row read again under the
 * lock (another process may have changed it meanwhile). *lock is the fd
 * to close. */
int ctr_load_locked(berth_engine *e, const char *name, struct ctr **out, int *lock,
                    berth_error *err);

/* Sends signo to the container's process through its monitor, under the
 * container's lock. A paused container is resumed right after the signal
 * when Docker would (moby's killWithSignal: for SIGKILL and for its stop
 * signal, or for any signal when it has none), so that the signal is
 * acted on: a frozen process does nothing, on cgroup v1 not even die of
 * SIGKILL. Returns 0 or monitor_kill's -errno (-ESRCH, -ENOENT or
 * -ECONNREFUSED: it no longer runs). */
int ctr_signal(berth_engine *e, const char *id, int signo);

/* "lowerdir" for overlayfs (the init layer, then the container's own
 * layer list, top first), as the monitor mounts it. Caller frees *out. */
int ctr_lower_dirs(berth_engine *e, const struct ctr *c, char **out, berth_error *err);

/* Docker's name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+, with an optional '/'. */
bool ctr_name_valid(const char *name);

/* A free "adjective_noun" name. */
char *ctr_generate_name(berth_engine *e);

/* The error Docker gives for a name in use. */
int ctr_name_conflict(berth_engine *e, const char *name, berth_error *err);

#endif
