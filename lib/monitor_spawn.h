/* monitor_spawn.h - starting a berth-monitor and reading its sync pipe.
 *
 * A monitor (for a container, or for one exec in it) is spawned with its
 * sync pipe on fd 3 and its go pipe on fd 4. It forks the real monitor,
 * which says "ready <pid>" on the sync pipe once its socket listens, waits
 * for a byte on the go pipe, then says "started <pid>" or
 * "error <code> <message>". */
#ifndef BERTH_MONITOR_SPAWN_H
#define BERTH_MONITOR_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include <berth/error.h>

struct berth_engine;

struct sync_reader {
    int fd;
    char buf[4096];
    size_t len;
};

/* Reads one line from the monitor. Returns its length, 0 at EOF, -errno. */
int sync_line(struct sync_reader *sr, char *line, size_t cap, int timeout_ms);

/* posix_spawn of a berth-monitor at path: fds[i] on fd 3 + i, /dev/null
 * on 0-2, default signals unblocked, a session of its own. Returns 0 or
 * an errno value. */
int monitor_posix_spawn(const char *path, const char *const *argv, const int *fds, int nfds,
                        pid_t *pid_out);

/* Spawns (or has this process's monitor server fork, see
 * monitor_server.h) the engine's berth-monitor with argv (argv[0] is its name; the
 * options are the caller's) and waits for the spawned process, which
 * leaves the real monitor running detached. *sync_out is the read end of
 * the sync pipe, *go_out the write end of the go pipe. */
int monitor_spawn(struct berth_engine *e, const char *const *argv, int *sync_out, int *go_out,
                  berth_error *err);

/* Puts the options every monitor takes (container, roots, runtime, sync
 * and go fds) at argv[*k...]; argv needs room for 17 more. */
struct ctr;
void monitor_common_args(const struct berth_engine *e, const struct ctr *c, const char **argv,
                         size_t *k);

/* Waits for "ready <pid>". Returns the monitor's pid, or a berth error
 * with the monitor's message. */
int monitor_wait_ready(struct sync_reader *sr, berth_error *err);

#endif
