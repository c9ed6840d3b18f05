/* cgroup_stats.h - a container's resource usage read from its cgroup, in
 * the Docker Engine API's stats shapes, for cgroup v1 (one hierarchy per
 * controller) and cgroup v2 (the unified hierarchy). */
#ifndef BERTH_CGROUP_STATS_H
#define BERTH_CGROUP_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The directories of one cgroup. With v2 only `unified` is used; with v1
 * each controller's own (NULL when the host has no such hierarchy). */
struct cgroup_dirs {
    bool v2;
    char *unified;
    char *cpu, *cpuacct, *memory, *blkio, *pids;
};

/* The directories of cgroup_path ("/berth/<id>") on this host. */
void cgroup_dirs_host(const char *cgroup_path, struct cgroup_dirs *out);
void cgroup_dirs_free(struct cgroup_dirs *d);

/* Sets "cpu_stats" (cpu_usage and throttling_data), "memory_stats",
 * "blkio_stats" and "pids_stats" in doc. A memory limit above host_mem
 * (unlimited) is reported as host_mem, as Docker does. Returns 0, or
 * -ENOENT when the cgroup is gone (its container stopped). */
int cgroup_stats_read(const struct cgroup_dirs *d, uint64_t host_mem, json_t *doc);

/* The processes in the cgroup (its cgroup.procs); *out is owned by the
 * caller. Returns 0 or -errno. */
int cgroup_procs(const struct cgroup_dirs *d, pid_t **out, size_t *n);

#endif
