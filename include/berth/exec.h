/* berth/exec.h - running more processes in a running container.
 *
 * An exec instance is created from Docker's ExecConfig, then started once.
 * Its process runs under the container's OCI runtime (`runtime exec`), in
 * the container's namespaces and cgroup, with the container's user,
 * capabilities, environment and working directory unless the ExecConfig
 * says otherwise (User, Privileged, Env added to the container's,
 * WorkingDir). Each started exec has its own berth-monitor, which holds its
 * stdio and records its exit code, so an exec outlives the process that
 * started it, as containers do. Exec instances are listed in the state
 * database until their container is removed.
 */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H

#include <stdbool.h>
#include <berth/container.h>
#include <berth/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* config_json is Docker's ExecConfig: Cmd (required), AttachStdin,
 * AttachStdout, AttachStderr, Tty, Env, User, WorkingDir, Privileged,
 * DetachKeys, ConsoleSize. BERTH_EINVAL for a bad document,
 * BERTH_ENOTFOUND for an unknown container, BERTH_ECONFLICT when it is not
 * running or paused. *id_out (64 hex digits) belongs to the caller. */
int berth_exec_create(berth_engine *engine, const char *container, const char *config_json,
                      char **id_out, berth_error *err);

#define BERTH_EXEC_START_OPTS_VERSION 1

typedef struct berth_exec_start_opts {
    unsigned version;
    /* Start and return: the output is discarded, no attach is made. */
    bool detach;
    /* The terminal's size at the start (0: leave it), for a Tty exec. */
    unsigned rows, cols;
} berth_exec_start_opts;

#define BERTH_EXEC_START_OPTS_INIT                                                                 \
    {                                                                                              \
        BERTH_EXEC_START_OPTS_VERSION, false, 0, 0                                                 \
    }

/* Starts the exec. Unless detached, *attach_out gets the process's
 * streams (those the ExecConfig attached), connected before the process
 * runs, so no byte is missed; berth_attach_read returns 0 at the exit and
 * berth_attach_exit_code then gives the exit code. BERTH_ENOTFOUND for an
 * unknown exec, BERTH_ECONFLICT when it was started already or its
 * container is not running. When the command cannot be run, the exec
 * records exit code 126 or 127 and the call fails with BERTH_EINVAL and
 * the runtime's message. The attach handle records the exit in the state
 * database with the engine when it is freed (sparing the exec's monitor
 * that work): the engine belongs to the handle until then, so do not use
 * it from another thread meanwhile. */
int berth_exec_start(berth_engine *engine, const char *exec_id, const berth_exec_start_opts *opts,
                     berth_attach **attach_out, berth_error *err);

/* Sets the size of a running Tty exec's terminal. */
int berth_exec_resize(berth_engine *engine, const char *exec_id, unsigned rows, unsigned cols,
                      berth_error *err);

/* Docker's ExecInspectResponse: ID, ContainerID, Running, ExitCode (null
 * until it ends), Pid, ProcessConfig, OpenStdin, OpenStdout, OpenStderr,
 * DetachKeys, CanRemove. */
int berth_exec_inspect(berth_engine *engine, const char *exec_id, char **json_out,
                       berth_error *err);

#ifdef __cplusplus
}
#endif

#endif
