/* berth/container.h - containers: create, run, stop, inspect, remove.
 *
 * Configuration is the Docker Engine API's ContainerCreateRequest (Config
 * fields at the top level plus "HostConfig" and "NetworkingConfig"), given
 * as JSON text; fields berth cannot honour are refused with BERTH_EINVAL,
 * never ignored. Documents returned as JSON have the Docker API's shapes
 * (ContainerInspectResponse, ContainerSummary) and belong to the caller.
 *
 * A running container is held by its own berth-monitor process, so it
 * outlives the process that started it. Names accept an ID, a unique ID
 * prefix or a name (with or without the leading '/').
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <berth/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

enum berth_stream {
    BERTH_STREAM_STDIN = 0,
    BERTH_STREAM_STDOUT = 1,
    BERTH_STREAM_STDERR = 2,
};

/* ---- create ---------------------------------------------------------- */

#define BERTH_CREATE_OPTS_VERSION 1

typedef struct berth_create_opts {
    unsigned version;
    /* Container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), or NULL for a generated one. */
    const char *name;
    /* ContainerCreateRequest JSON; "Image" is required. */
    const char *config_json;
} berth_create_opts;

#define BERTH_CREATE_OPTS_INIT                                                                     \
    {                                                                                              \
        BERTH_CREATE_OPTS_VERSION, NULL, NULL                                                      \
    }

/* *id_out (64 hex digits) is owned by the caller; it may be NULL. */
int berth_container_create(berth_engine *engine, const berth_create_opts *opts, char **id_out,
                           berth_error *err);

/* ---- attach ---------------------------------------------------------- */

typedef struct berth_attach berth_attach;

#define BERTH_ATTACH_OPTS_VERSION 1

typedef struct berth_attach_opts {
    unsigned version;
    bool attach_stdin;
    bool attach_stdout;
    bool attach_stderr;
} berth_attach_opts;

#define BERTH_ATTACH_OPTS_INIT                                                                     \
    {                                                                                              \
        BERTH_ATTACH_OPTS_VERSION, false, true, true                                               \
    }

/* Attaches to a running container's live output (and its stdin when the
 * container was created with OpenStdin), or to one being started (from a
 * berth_start_opts.before_start callback). */
int berth_container_attach(berth_engine *engine, const char *name, const berth_attach_opts *opts,
                           berth_attach **out, berth_error *err);

/* A descriptor that polls readable when berth_attach_read has data. */
int berth_attach_fd(const berth_attach *attach);

/* Reads the next piece of output: returns its length and sets *stream, or
 * 0 once the container has exited and all its output was read, or a
 * negative berth_code. A container with a TTY reports BERTH_STREAM_STDOUT. */
ssize_t berth_attach_read(berth_attach *attach, int *stream, void *buf, size_t cap,
                          berth_error *err);

/* Sends bytes to the container's stdin. */
int berth_attach_write(berth_attach *attach, const void *buf, size_t len, berth_error *err);

/* Closes the container's stdin (end of input). */
int berth_attach_close_stdin(berth_attach *attach, berth_error *err);

/* Sets the size of the container's terminal. */
int berth_attach_resize(berth_attach *attach, unsigned rows, unsigned cols, berth_error *err);

/* The exit code once berth_attach_read returned 0, else -1. */
int berth_attach_exit_code(const berth_attach *attach);

void berth_attach_free(berth_attach *attach);

/* Docker's detach keys: the sequence a client types to leave an attached
 * container running (default ctrl-p ctrl-q). */
typedef struct berth_detach_keys {
    unsigned char seq[8];
    size_t len;
    size_t matched; /* how much of seq the input ended with so far */
} berth_detach_keys;

/* Parses "ctrl-p,ctrl-q", "a,ctrl-@", ... (NULL or "": the default). */
int berth_detach_keys_parse(const char *spec, berth_detach_keys *keys, berth_error *err);

/* Follows the next n bytes of input. Sets *detached when the sequence is
 * complete and returns how many bytes before it are still to be sent to
 * the container; otherwise returns n. */
size_t berth_detach_keys_scan(berth_detach_keys *keys, const void *buf, size_t n, bool *detached);

/* ---- lifecycle ------------------------------------------------------- */

#define BERTH_START_OPTS_VERSION 1

typedef struct berth_start_opts {
    unsigned version;
    /* When set, *attach_out is attached before the process starts, so that
     * no output is missed. */
    const berth_attach_opts *attach;
    berth_attach **attach_out;
    /* Called once the container's monitor listens and before the process
     * starts (NULL: none): attach requests that came before the start
     * connect there with berth_container_attach and miss nothing. */
    void (*before_start)(void *userdata, berth_engine *engine, const char *id);
    void *userdata;
} berth_start_opts;

#define BERTH_START_OPTS_INIT                                                                      \
    {                                                                                              \
        BERTH_START_OPTS_VERSION, NULL, NULL, NULL, NULL                                           \
    }

/* BERTH_ENOTMODIFIED when already running. When the command cannot be
 * started, the container records exit code 126 or 127 and the call fails
 * with BERTH_EINVAL. */
int berth_container_start(berth_engine *engine, const char *name, const berth_start_opts *opts,
                          berth_error *err);

/* Sends the stop signal (signal, or the container's StopSignal, or SIGTERM)
 * and SIGKILL after timeout seconds (timeout < 0: the container's
 * StopTimeout, else 10). BERTH_ENOTMODIFIED when not running. */
int berth_container_stop(berth_engine *engine, const char *name, int timeout, const char *signal,
                         berth_error *err);

/* Stops (when running) and starts again. */
int berth_container_restart(berth_engine *engine, const char *name, int timeout, berth_error *err);

/* Sends a signal, by name ("SIGHUP", "HUP") or number; NULL means SIGKILL.
 * BERTH_ECONFLICT when the container is not running. */
int berth_container_kill(berth_engine *engine, const char *name, const char *signal,
                         berth_error *err);

/* Freezes every process of a running container (the OCI runtime's pause:
 * the cgroup freezer); its state becomes "paused" (still Running).
 * BERTH_ECONFLICT when it is not running or already paused. Stop, kill
 * and forced removal work on a paused container: as Docker does, it is
 * resumed right after SIGKILL or its stop signal is sent (any signal when
 * it has no stop signal). */
int berth_container_pause(berth_engine *engine, const char *name, berth_error *err);

/* Thaws a paused container. BERTH_ECONFLICT when it is not paused. */
int berth_container_unpause(berth_engine *engine, const char *name, berth_error *err);

typedef enum berth_wait_condition {
    BERTH_WAIT_NOT_RUNNING = 0,
    BERTH_WAIT_NEXT_EXIT = 1,
    BERTH_WAIT_REMOVED = 2,
} berth_wait_condition;

/* Blocks until the condition holds and stores the container's exit code.
 * A readable cancel_fd (or -1 for none) ends the wait with BERTH_EINTERNAL. */
int berth_container_wait(berth_engine *engine, const char *name, berth_wait_condition condition,
                         int cancel_fd, int *exit_code, berth_error *err);

/* The same in two steps, for callers that must tell someone the wait is in
 * place before it blocks (an API server answers with its headers then):
 * _begin registers the wait (an exit after it returns is never missed, even
 * for BERTH_WAIT_NEXT_EXIT), berth_waiter_wait blocks, in the same thread
 * and with the same engine. The waiter is freed with berth_waiter_free. */
typedef struct berth_waiter berth_waiter;
int berth_container_wait_begin(berth_engine *engine, const char *name,
                               berth_wait_condition condition, berth_waiter **out,
                               berth_error *err);
int berth_waiter_wait(berth_waiter *waiter, int cancel_fd, int *exit_code, berth_error *err);
void berth_waiter_free(berth_waiter *waiter);

/* Sets the size (rows, columns) of a running container's terminal; a
 * container without a TTY has none, and that is no error (as Docker).
 * BERTH_ECONFLICT when it is not running, BERTH_EINVAL above 65535. */
int berth_container_resize(berth_engine *engine, const char *name, unsigned rows, unsigned cols,
                           berth_error *err);

#define BERTH_REMOVE_OPTS_VERSION 1

typedef struct berth_remove_opts {
    unsigned version;
    bool force;   /* kill a running container first */
    bool volumes; /* remove anonymous volumes */
} berth_remove_opts;

#define BERTH_REMOVE_OPTS_INIT                                                                     \
    {                                                                                              \
        BERTH_REMOVE_OPTS_VERSION, false, false                                                    \
    }

/* BERTH_ECONFLICT for a running container without force. */
int berth_container_remove(berth_engine *engine, const char *name, const berth_remove_opts *opts,
                           berth_error *err);

/* Removes every stopped container (created, exited or dead) that the
 * Docker prune filters in filters_json select (NULL: all): "until" (a
 * time: containers created after it stay), "label" (k or k=v; all must
 * match) and "label!" (containers matching all of them stay). A container
 * started meanwhile stays. Anonymous volumes stay. *report_json (may be
 * NULL) is Docker's ContainersPruneReport ({"ContainersDeleted": [IDs] or
 * null, "SpaceReclaimed": bytes of their writable layers}), owned by the
 * caller. An unknown filter is BERTH_EINVAL and removes nothing. */
int berth_container_prune(berth_engine *engine, const char *filters_json, char **report_json,
                          berth_error *err);

/* BERTH_ECONFLICT when new_name is taken. */
int berth_container_rename(berth_engine *engine, const char *name, const char *new_name,
                           berth_error *err);

/* ---- queries --------------------------------------------------------- */

/* The full 64-hex ID of the container that name refers to. */
int berth_container_resolve(berth_engine *engine, const char *name, char **id_out,
                            berth_error *err);

int berth_container_inspect(berth_engine *engine, const char *name, char **json_out,
                            berth_error *err);

#define BERTH_LIST_OPTS_VERSION 1

typedef struct berth_list_opts {
    unsigned version;
    bool all;                 /* include containers that are not running */
    int limit;                /* the newest N only (also stopped ones); <= 0: no limit */
    bool size;                /* compute SizeRw and SizeRootFs */
    const char *filters_json; /* Docker filters: exited, status, label, id, name,
                                 ancestor, before, since; or NULL */
} berth_list_opts;

#define BERTH_LIST_OPTS_INIT                                                                       \
    {                                                                                              \
        BERTH_LIST_OPTS_VERSION, false, 0, false, NULL                                             \
    }

/* Docker's [ContainerSummary] array, newest first. */
int berth_container_list(berth_engine *engine, const berth_list_opts *opts, char **json_out,
                         berth_error *err);

/* ---- logs ------------------------------------------------------------ */

/* Called with one line (ending in '\n' unless the output ended without
 * one) or, when the caller did not ask for lines, a run of lines of one
 * stream. ts_ns is the time berth read it. A non-zero return stops reading. */
typedef int (*berth_log_fn)(void *userdata, int stream, int64_t ts_ns, const char *data,
                            size_t len);

#define BERTH_LOGS_OPTS_VERSION 1

typedef struct berth_logs_opts {
    unsigned version;
    bool want_stdout;
    bool want_stderr;
    bool follow;      /* keep reading until the container stops */
    bool lines;       /* one callback per line (needed for timestamps) */
    int64_t since_ns; /* only output read at or after this time; 0: all */
    int64_t until_ns; /* only output read before this time; 0: no limit */
    long tail;        /* only the last N lines; < 0: all */
    int cancel_fd;    /* readable: stop following; -1: none */
} berth_logs_opts;

#define BERTH_LOGS_OPTS_INIT                                                                       \
    {                                                                                              \
        BERTH_LOGS_OPTS_VERSION, true, true, false, true, 0, 0, -1, -1                             \
    }

int berth_container_logs(berth_engine *engine, const char *name, const berth_logs_opts *opts,
                         berth_log_fn fn, void *userdata, berth_error *err);

/* ---- helpers --------------------------------------------------------- */

/* Parses "SIGTERM", "TERM", "term", "15" or "SIGRTMIN+3". */
int berth_signal_parse(const char *text, int *signo, berth_error *err);

/* "SIGTERM" for 15; NULL for an unknown number. */
const char *berth_signal_name(int signo);

#ifdef __cplusplus
}
#endif
#endif
