/* spec.h - the OCI runtime config (config.json) for a container, with
 * Docker's defaults: namespaces, capabilities, mounts, masked and
 * read-only /proc paths, device rules. */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H

#include <jansson.h>
#include <stdbool.h>

#include "container.h"
#include "userdb.h"

struct spec_host {
    bool cgroup_v2;            /* the host's /sys/fs/cgroup is cgroup2 */
    unsigned long long capbnd; /* the host's capability bounding set */
    int cap_last;              /* highest capability the kernel knows */
};

/* The host facts spec_build needs. */
void spec_host_probe(struct spec_host *h);

/* ctrdir holds the container's hostname, hosts and resolv.conf files;
 * rootfs is where its root filesystem is mounted (in the monitor's mount
 * namespace, which the runtime runs in). */
json_t *spec_build(const struct ctr *c, const struct exec_user *user, const char *ctrdir,
                   const char *rootfs, const struct spec_host *host);

/* The capability set (names) for a container: Docker's defaults with
 * HostConfig.CapAdd / CapDrop applied, limited to what the host has. */
json_t *spec_capabilities(const json_t *hostconfig, const struct spec_host *host);

/* The OCI process "user" of a resolved user: uid, gid, additionalGids. */
json_t *spec_user(const struct exec_user *user);

/* Sets each "NAME=value" of the array items in the environment array env,
 * replacing the variable's earlier value; items without '=' are skipped. */
void spec_env_merge(json_t *env, const json_t *items);

/* Docker's default capabilities. */
extern const char *const spec_default_caps[];

#endif
