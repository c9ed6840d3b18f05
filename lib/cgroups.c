/* cgroups.c - cgroup version detection, the hybrid-host workaround and OOM
 * counters (cgroup v1 memory.oom_control, v2 memory.events). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroups.h"
#include "util.h"

#define UNIFIED_CONTROLLERS "/sys/fs/cgroup/unified/cgroup.controllers"

static bool fs_is(const char *path, unsigned long magic)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == magic;
}

bool cgroup_is_v2(void)
{
    return fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC);
}

bool cgroup_hybrid_with_controllers(void)
{
    if (cgroup_is_v2() || !fs_is("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC))
        return false;
    _cleanup_free_ char *c = NULL;
    if (read_file(UNIFIED_CONTROLLERS, &c, NULL) < 0)
        return false;
    for (char *p = c; *p; p++)
        if (*p != ' ' && *p != '\n')
            return true;
    return false;
}

int cgroup_hide_unified(void)
{
    if (mount("/dev/null", UNIFIED_CONTROLLERS, NULL, MS_BIND, NULL) < 0)
        return -errno;
    return 0;
}

static uint64_t read_key(const char *path, const char *key)
{
    _cleanup_free_ char *c = NULL;
    if (read_file(path, &c, NULL) < 0)
        return 0;
    size_t kl = strlen(key);
    for (char *line = c; line && *line;) {
        char *nl = strchr(line, '\n');
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
            return strtoull(line + kl + 1, NULL, 10);
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

uint64_t cgroup_oom_kills(const char *cgroup_path)
{
    _cleanup_free_ char *p = NULL;
    if (cgroup_is_v2()) {
        p = xasprintf("/sys/fs/cgroup%s/memory.events", cgroup_path);
        return read_key(p, "oom_kill");
    }
    p = xasprintf("/sys/fs/cgroup/memory%s/memory.oom_control", cgroup_path);
    return read_key(p, "oom_kill");
}
