/* runtime.h - invoking the OCI runtime (crun, runc or any compatible one).
 *
 * Every invocation gets berth's own state directory for that runtime
 * (--root <runroot>/runtime/<name>) so berth never sees or touches
 * containers that other tools run with the same runtime. On a hybrid
 * cgroup host the runtime runs in a private mount namespace in which the
 * unified hierarchy shows no controllers (see cgroups.h). */
#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>

struct runtime_cmd {
    const char *path;       /* the runtime executable */
    const char *state_root; /* its --root */
    const char *log_path;   /* its --log (JSON), or NULL */
};

/* <runroot>/runtime/<name>; caller frees. */
char *runtime_state_root(const char *runroot, const char *name);

/* Starts `runtime [global flags] args...` with the given stdio (-1 means
 * /dev/null). With isolate, the child first enters a private mount
 * namespace and applies the hybrid workaround when the host needs it.
 * Returns the pid or -errno. */
pid_t runtime_spawn(const struct runtime_cmd *rt, const char *const *args, int in_fd, int out_fd,
                    int err_fd, bool isolate);

/* Runs the runtime to completion with stdio on /dev/null and stderr
 * captured. Returns its exit status (0 success) or -errno; on failure
 * *errmsg (caller frees) is the runtime's own error message. */
int runtime_run(const struct runtime_cmd *rt, const char *const *args, bool isolate, char **errmsg);

/* The last "error" message in a runtime's JSON log, or NULL. */
char *runtime_log_error(const char *log_path);

/* Docker's exit codes for a command (cmd, the process's first argument)
 * that could not be started: 127 when it was not found, 126 when it could
 * not be executed, else 125. */
int runtime_start_exit_code(const char *errmsg, const char *cmd);

/* waitpid() that retries on EINTR; returns the raw status or -errno. */
int wait_pid(pid_t pid);

/* Docker's exit code for a wait status: the code, or 128 + signal. */
int exit_code_from_status(int status);

#endif
