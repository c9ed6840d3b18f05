/* attach_int.h - the engine's side of the monitor protocol: attach
 * streams and control requests (signals, waiting for the exit). */
#ifndef BERTH_ATTACH_INT_H
#define BERTH_ATTACH_INT_H

#include <stdbool.h>

#include <berth/container.h>

/* Connects to the monitor in rundir and says which streams we want. */
int attach_connect(const char *rundir, const berth_attach_opts *opts, bool tty, berth_attach **out,
                   berth_error *err);

/* Makes the handle of an exec's start record the exec's exit with e (the
 * handle's, then, until it is freed) once its stream has carried it, and
 * tell the exec's monitor so: it then spares itself opening the state
 * database. The exit is recorded when the handle is freed, after its
 * caller has passed the end on to its own client. */
void attach_records_exec_exit(berth_attach *a, berth_engine *e, const char *exec_id);

/* Asks the monitor to signal the container. Returns 0, -ESRCH when the
 * container no longer runs, or -ENOENT/-ECONNREFUSED when no monitor. */
int monitor_kill(const char *rundir, int signo);

/* Sets the size of the container's terminal (nothing without one) and
 * returns once it is set: 0, -errno, or -ESRCH as monitor_kill. */
int monitor_resize(const char *rundir, unsigned rows, unsigned cols);

/* Waits for the container's exit: 0 and *exit_code, -ETIMEDOUT after
 * timeout_ms (< 0: no limit), -ECANCELED when cancel_fd is readable,
 * -ENOENT/-ECONNREFUSED when no monitor runs, -EPIPE when the monitor
 * ended without reporting an exit (the start failed). */
int monitor_wait(const char *rundir, int timeout_ms, int cancel_fd, int *exit_code);

#endif
