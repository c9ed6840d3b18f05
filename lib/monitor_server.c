/* monitor_server.c - a berth-monitor kept running to fork monitors.
 *
 * Executing berth-monitor for each container start and each exec costs
 * about a millisecond (exec, the loader's work, a fork to detach). A
 * long-lived caller (berthd) starts one berth-monitor in server mode
 * instead: it waits on a socket pair for "argv + sync fd + go fd" and
 * forks a monitor for each request, which then behaves exactly as a
 * spawned one (see monitor/serve.c). Should the server be gone, monitors
 * are spawned the usual way. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <berth/engine.h>

#include "engine_int.h"
#include "errors.h"
#include "fdpass.h"
#include "monitor_server.h"
#include "monitor_spawn.h"
#include "runtime.h"
#include "util.h"

_Static_assert(MONITOR_SERVER_FD == 3, "monitor_posix_spawn puts its first fd on 3");

static int server_fd = -1;
static pid_t server_pid = -1;
static char *server_path;

int berth_monitor_server_start(berth_engine *e, berth_error *err)
{
    if (server_fd >= 0)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "socketpair");
    /* room for the command line of each monitor it forks (serve.c) */
    _cleanup_free_ char *room = xmalloc(MONITOR_SERVER_TITLE_ROOM + 1);
    memset(room, ' ', MONITOR_SERVER_TITLE_ROOM);
    room[MONITOR_SERVER_TITLE_ROOM] = '\0';
    const char *argv[] = { "berth-monitor", MONITOR_SERVER_ARG, room, NULL };
    pid_t pid;
    int r = monitor_posix_spawn(e->monitor_path, argv, &sv[1], 1, &pid);
    close(sv[1]);
    if (r != 0) {
        close(sv[0]);
        return berr_errno(err, BERTH_EINTERNAL, r, "cannot run %s", e->monitor_path);
    }
    server_fd = sv[0];
    server_pid = pid;
    server_path = xstrdup(e->monitor_path);
    return 0;
}

void berth_monitor_server_stop(void)
{
    if (server_fd < 0)
        return;
    close(server_fd); /* the server sees the end of its socket, and goes */
    server_fd = -1;
    wait_pid(server_pid);
    server_pid = -1;
    free(server_path);
    server_path = NULL;
}

int monitor_server_fork(const char *monitor_path, const char *const *argv, int sync_fd, int go_fd)
{
    if (server_fd < 0 || !str_eq(monitor_path, server_path))
        return -ENOENT;
    char msg[MONITOR_SERVER_MAX_MSG];
    size_t len = 0;
    for (size_t i = 0; argv[i]; i++) {
        size_t n = strlen(argv[i]) + 1;
        if (len + n > sizeof msg)
            return -E2BIG;
        memcpy(msg + len, argv[i], n);
        len += n;
    }
    /* one datagram: requests from several threads never interleave */
    const int fds[2] = { sync_fd, go_fd };
    return fdpass_send(server_fd, msg, len, fds, 2);
}
