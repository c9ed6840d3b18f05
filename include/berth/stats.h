/* berth/stats.h - a container's resource usage (Docker's stats) and its
 * processes (Docker's top).
 *
 * Stats are read from the container's cgroup (v1 or v2) and /proc, and
 * returned as the Docker Engine API's stats document (ContainerStatsResponse):
 * "read", "preread", "name", "id", "num_procs", "pids_stats", "cpu_stats",
 * "precpu_stats", "memory_stats", "blkio_stats" and, when the container
 * has interfaces other than loopback in its own network namespace,
 * "networks". CPU times are nanoseconds; an unlimited memory limit is
 * reported as the host's memory, as Docker does.
 *
 *     berth_stats *st;
 *     berth_stats_open(engine, "web", &st, &err);
 *     for (;;) {
 *         char *doc;
 *         int r = berth_stats_read(st, &doc, &err);   // 1, 0 or < 0
 *         ...                                          // doc: berth_free
 *         if (r <= 0) break;
 *         sleep(1);
 *     }
 *     berth_stats_free(st);
 *
 * Every document after the first carries the previous one's cpu_stats as
 * its precpu_stats (and that one's "read" as "preread"), which is what a
 * CPU percentage is computed from; the first has empty precpu_stats.
 */
#ifndef BERTH_STATS_H
#define BERTH_STATS_H

#include <berth/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_stats berth_stats;

/* Starts taking samples of a container (by ID, ID prefix or name), which
 * may be stopped. BERTH_ENOTFOUND for an unknown container. The handle
 * uses engine, which must outlive it. */
int berth_stats_open(berth_engine *engine, const char *name, berth_stats **out, berth_error *err);

/* Takes a sample. Returns 1 and the document in *json_out while the
 * container runs (or is paused); 0 while it does not, with Docker's zeroed
 * document (only "name" and "id" set) in *json_out (a container started
 * again gives samples again, the first with empty precpu_stats); a
 * negative berth_code on failure, BERTH_ENOTFOUND once it was removed. */
int berth_stats_read(berth_stats *stats, char **json_out, berth_error *err);

void berth_stats_free(berth_stats *stats);

/* The processes of a running container, as Docker's ContainerTopResponse
 * ({"Titles": [...], "Processes": [[...], ...]}): the host's `ps` run with
 * ps_args (split at spaces; NULL or "" is "-ef"), its output kept for the
 * rows whose PID is in the container's cgroup. BERTH_ECONFLICT when the
 * container is not running; BERTH_EINTERNAL with ps's own message when ps
 * fails (bad arguments) or its output has no PID column. */
int berth_container_top(berth_engine *engine, const char *name, const char *ps_args,
                        char **json_out, berth_error *err);

#ifdef __cplusplus
}
#endif
#endif
