/* monitor.h - berth-monitor's state, shared by its files. */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr_store.h"
#include "logfile.h"
#include "util.h"

struct client {
    int fd;
    uint8_t want; /* MP_WANT_* from the client's HELLO */
    bool hello;
    /* frame being received */
    unsigned char hdr[8];
    size_t hdr_got;
    uint32_t len;
    char *payload;
    size_t got;
    /* bytes waiting to be sent */
    buf_t out;
    size_t out_off;
};

struct sqlite3;

struct monitor {
    /* arguments */
    const char *id, *root, *runroot, *runtime_name, *runtime_path, *lower, *cmd0;
    const char *exec_id; /* this monitor holds one exec in container id */
    bool tty, open_stdin, stdin_once, auto_remove;
    int sync_fd, go_fd;

    char *rundir, *ctrdir, *state_root, *runtime_log;
    int rundir_fd, ctrdir_fd;
    int listen_fd, console_fd, sig_fd;
    int exit_fd; /* an exec's exit file (exec_store.h) */
    /* the container's stdio, our ends: out/err readable, in writable.
     * With a TTY, out_fd is the pty master and in_fd a duplicate of it. */
    int out_fd, err_fd, in_fd;
    buf_t stdin_q;
    size_t stdin_off;
    bool stdin_close_pending;

    struct log_writer log;
    struct client **clients;
    size_t n_clients;

    struct sqlite3 *db;         /* open from "ready" until the start is recorded */
    struct ctr_removal removal; /* what goes with an auto-remove container */
    pid_t ctr_pid;
    bool exited;
    int exit_status;
    int64_t exit_time;
    int64_t idle_at; /* monotonic time of monitor_idle, 0: done or not for us */
};

/* How long a container's monitor keeps what it used to start. */
#define MONITOR_IDLE_AFTER_NS (1000LL * 1000000)

/* pump.c */
void monitor_loop(struct monitor *m);
void client_queue(struct client *c, uint8_t type, const void *data, uint32_t len);
void client_free(struct client *c);
int accept_clients(struct monitor *m, bool wait_hello);

/* The monitor proper, from its command line (main.c). forked: it was
 * forked by the server (serve.c), not spawned, and need not detach. */
int monitor_run(int argc, char **argv, bool forked);
/* A running container's monitor settles down: the state database's
 * connection closed, the pages of its startup code given back. */
void monitor_idle(struct monitor *m);
/* Drops the executable's read-only pages and trims the heap: what is
 * used again is refaulted from the page cache. */
void monitor_shrink(void);
/* Server mode: forks monitors on request until the engine goes. */
int monitor_serve(int argc, char **argv);

#endif
