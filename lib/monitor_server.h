/* monitor_server.h - the protocol between the engine and a berth-monitor
 * in server mode (`berth-monitor --serve`, its socket on fd 3): one
 * SOCK_SEQPACKET datagram per monitor to fork, holding the monitor's argv
 * (each string with its NUL) and, as SCM_RIGHTS, its sync and go fds,
 * which the forked monitor finds on fds 3 and 4 as a spawned one does.
 * The server's last argument is MONITOR_SERVER_TITLE_ROOM spaces: each
 * monitor writes its own argv there, so that ps and /proc/PID/cmdline
 * show what it serves, as for a spawned monitor. */
#ifndef BERTH_MONITOR_SERVER_H
#define BERTH_MONITOR_SERVER_H

#define MONITOR_SERVER_ARG        "--serve"
#define MONITOR_SERVER_FD         3
#define MONITOR_SERVER_MAX_MSG    65536
#define MONITOR_SERVER_MAX_ARGS   64
#define MONITOR_SERVER_TITLE_ROOM 16384

/* Asks the server (if this process started one for monitor_path) to fork
 * a monitor with argv, handing it sync_fd and go_fd (the caller keeps its
 * own copies, to close). 0, -ENOENT without a server, or -errno. */
int monitor_server_fork(const char *monitor_path, const char *const *argv, int sync_fd, int go_fd);

#endif
