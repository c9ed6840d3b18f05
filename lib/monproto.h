/* monproto.h - the wire protocol between berth-monitor and its clients.
 *
 * A client connects to <runroot>/containers/<id>/monitor.sock and sends a
 * HELLO frame saying which streams it wants. Frames in both directions are
 * Docker's 8-byte multiplexing header with more types:
 *   [type u8][0][0][0][length u32 big-endian] then length bytes.
 * Types 0, 1, 2 carry stdin, stdout and stderr; the letters are control.
 */
#ifndef BERTH_MONPROTO_H
#define BERTH_MONPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_HDR_LEN   8
#define MP_MAX_FRAME (4u << 20)

enum mp_type {
    MP_STDIN = 0,
    MP_STDOUT = 1,
    MP_STDERR = 2,
    MP_HELLO = 'H',       /* client: u8 flags (MP_WANT_*) */
    MP_CLOSE_STDIN = 'C', /* client: no payload */
    MP_RESIZE = 'R',      /* client: u16 rows, u16 cols (big-endian), [u8 1: answer
                             with MP_ACK once set] */
    MP_KILL = 'K',        /* client: u32 signal; answered with MP_ACK */
    MP_ACK = 'A',         /* monitor: i32 result (0 or -errno) */
    MP_EXIT = 'E',        /* monitor: i32 exit code, u8 oom killed, u8 removed */
    MP_RECORDED = 'D',    /* client, after an exec's MP_EXIT: the exit is in the state
                             database, the monitor need not open it */
};

enum {
    MP_WANT_STDIN = 1,
    MP_WANT_STDOUT = 2,
    MP_WANT_STDERR = 4,
};

static inline void mp_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static inline uint32_t mp_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void mp_header(unsigned char hdr[MP_HDR_LEN], uint8_t type, uint32_t len)
{
    hdr[0] = type;
    hdr[1] = hdr[2] = hdr[3] = 0;
    mp_put_u32(hdr + 4, len);
}

/* Writes one frame with a blocking write. Returns 0 or -errno. */
int mp_send(int fd, uint8_t type, const void *payload, uint32_t len);

/* Reads one whole frame with blocking reads. *payload is malloc'd (NULL
 * when empty). Returns 1, 0 at a clean EOF, or -errno. */
int mp_recv(int fd, uint8_t *type, void **payload, uint32_t *len);

/* Connects to the monitor socket in rundir. Returns the fd or -errno
 * (-ENOENT / -ECONNREFUSED when no monitor runs). */
int mp_connect(const char *rundir);

/* Binds a unix socket at dirfd/name, whatever the length of the
 * directory's path (it goes through /proc/self/fd). */
int mp_bind_at(int sock, int dirfd, const char *name);

#endif
