/* serve.c - berth-monitor in server mode (see lib/monitor_server.h).
 *
 * It reads one request at a time from the socket on fd 3 and forks a
 * monitor for it; the child puts the request's sync and go fds on 3 and
 * 4 and runs as a monitor that was spawned with that argv, but without
 * the fork that detaches a spawned one: it is already nobody's child but
 * the server's, and the server lets the kernel reap it. The server ends
 * when the engine's end of the socket closes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "monitor.h"
#include "monitor_server.h"

/* Puts fd at want, whatever fds the two share. */
static void place(int fd, int want)
{
    dup2(fd, want);
    if (fd != want)
        close(fd);
}

/* The command line the server was given, as one area of memory. */
static char *title;
static size_t title_len;

/* Writes argv over the server's command line (NUL-separated, the rest
 * NULs; cut short if it does not fit). */
static void set_title(char *const *argv)
{
    size_t off = 0;
    for (size_t i = 0; argv[i] && off < title_len; i++) {
        size_t n = strlen(argv[i]) + 1;
        if (n > title_len - off)
            n = title_len - off;
        memcpy(title + off, argv[i], n);
        off += n;
    }
    memset(title + off, 0, title_len - off);
}

static void run_child(char *msg, size_t len, int fds[2])
{
    char *argv[MONITOR_SERVER_MAX_ARGS + 1];
    int argc = 0;
    for (size_t off = 0; off < len && argc < MONITOR_SERVER_MAX_ARGS;) {
        argv[argc++] = msg + off;
        off += strlen(msg + off) + 1;
    }
    argv[argc] = NULL;
    set_title(argv);
    signal(SIGCHLD, SIG_DFL);
    /* out of the way of 3 and 4 first, then onto them (the server's
     * socket on 3 goes with it) */
    int a = fcntl(fds[0], F_DUPFD_CLOEXEC, 10), b = fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
    close(fds[0]);
    close(fds[1]);
    place(a, 3);
    place(b, 4);
    exit(monitor_run(argc, argv, true));
}

int monitor_serve(int argc, char **argv)
{
    title = argv[0];
    title_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
    /* the monitors are children of the server: nobody waits for them */
    signal(SIGCHLD, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    /* It runs as long as berthd and needs little of its code (the loop
     * below): its pages of code go back, which costs the monitors it
     * forks nothing (fork copies no page table entries of a file mapping:
     * they fault the code in either way). */
    monitor_shrink();
    static char msg[MONITOR_SERVER_MAX_MSG + 1];
    for (;;) {
        int fds[2];
        size_t n_fds;
        bool truncated;
        ssize_t n =
            fdpass_recv(MONITOR_SERVER_FD, msg, MONITOR_SERVER_MAX_MSG, fds, 2, &n_fds, &truncated);
        if (n <= 0)
            return 0; /* the engine is gone */
        if (n_fds != 2 || truncated || msg[n - 1] != '\0') {
            /* not a request: its fds closed, so its sender sees EOF */
            for (size_t i = 0; i < n_fds; i++)
                close(fds[i]);
            continue;
        }
        pid_t pid = fork();
        if (pid == 0)
            run_child(msg, (size_t)n, fds);
        /* the child has them now (or, if fork failed, the sender sees
         * its sync pipe close) */
        close(fds[0]);
        close(fds[1]);
    }
}
