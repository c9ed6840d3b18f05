/* fdpass.h - descriptors passed over unix sockets (SCM_RIGHTS), with the
 * data of one message: the server's requests for a monitor (its sync and
 * go pipes), the runtime's pty master, the root a child process opened in
 * a mount namespace of its own. */
#ifndef BERTH_FDPASS_H
#define BERTH_FDPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes (at least 1) and the n descriptors fds in one message.
 * Returns 0, or -errno (-EIO when only part was sent). */
int fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t n);

/* Receives one message: up to cap bytes into buf and up to max
 * descriptors (close-on-exec) into fds, *n_fds saying how many came (the
 * kernel closes those beyond max). *truncated (unless NULL) says whether
 * the data or the descriptors did not fit. Returns the bytes received, 0
 * at the end of the stream, or -errno; EINTR is retried. */
ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fds, size_t max, size_t *n_fds,
                    bool *truncated);

#endif
