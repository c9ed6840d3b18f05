/* cgroups.h - what berth needs to know about the host's cgroups. */
#ifndef BERTH_CGROUPS_H
#define BERTH_CGROUPS_H

#include <stdbool.h>
#include <stdint.h>

/* /sys/fs/cgroup is a cgroup2 mount (unified hierarchy). */
bool cgroup_is_v2(void);

/* A "hybrid" host: v1 hierarchies under /sys/fs/cgroup and a cgroup2 at
 * /sys/fs/cgroup/unified that has controllers. crun refuses to run there
 * ("cgroups in hybrid mode not supported"); cgroup_hide_unified() makes it
 * run by hiding those controllers in the caller's own mount namespace. */
bool cgroup_hybrid_with_controllers(void);

/* In a private mount namespace: bind /dev/null over the unified
 * hierarchy's cgroup.controllers. Returns 0 or -errno. */
int cgroup_hide_unified(void);

/* The cgroup path berth gives a container (relative to each hierarchy). */
#define CGROUP_PARENT "/berth"

/* Number of OOM kills recorded in a container's memory cgroup (0 when it
 * cannot be read). */
uint64_t cgroup_oom_kills(const char *cgroup_path);

#endif
