/* floor-exec - runs a command the way berth-monitor runs the OCI runtime:
 * in a private mount namespace, with the unified hierarchy's controllers
 * hidden on a hybrid-cgroup host (crun refuses such hosts otherwise). The
 * benchmark uses it for the floor, `crun run` of the same bundle, so the
 * floor pays one exec for this and no more.
 * Usage: floor-exec PROGRAM [ARG...] */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cgroups.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: floor-exec PROGRAM [ARG...]\n");
        return 2;
    }
    bool hybrid = cgroup_hybrid_with_controllers();
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        perror("floor-exec: mount namespace");
        return 125;
    }
    if (hybrid && cgroup_hide_unified() < 0) {
        perror("floor-exec: hide unified controllers");
        return 125;
    }
    execv(argv[1], argv + 1);
    fprintf(stderr, "floor-exec: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
