/* pump.c - berth-monitor's event loop: container output to the log and to
 * attached clients, client input to the container, signals and exit.
 *
 * Output is read only while every attached client has room (less than
 * PUMP_HIGH bytes queued): a slow client slows the container down, the way
 * a slow reader of a pipe does, instead of growing memory without bound. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "monitor.h"
#include "monproto.h"

#define PUMP_HIGH           (1u << 20)
#define PUMP_LOW            (256u << 10)
#define DRAIN_AFTER_EXIT_NS (3LL * 1000000000)
#define PUMP_PIPE_SIZE      (1 << 20)

static char iobuf[65536];
static bool grown[3]; /* per stream: the pipe was made bigger */

void client_queue(struct client *c, uint8_t type, const void *data, uint32_t len)
{
    unsigned char hdr[MP_HDR_LEN];
    mp_header(hdr, type, len);
    if (c->out_off && c->out_off == c->out.len) {
        c->out.len = c->out_off = 0;
    }
    buf_append(&c->out, hdr, sizeof hdr);
    buf_append(&c->out, data, len);
}

static size_t client_pending(const struct client *c)
{
    return c->out.len - c->out_off;
}

void client_free(struct client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    buf_free(&c->out);
    free(c->payload);
    free(c);
}

static void remove_client(struct monitor *m, size_t i)
{
    struct client *c = m->clients[i];
    if (m->stdin_once && (c->want & MP_WANT_STDIN))
        m->stdin_close_pending = true;
    client_free(c);
    m->clients[i] = m->clients[--m->n_clients];
}

static void handle_frame(struct monitor *m, struct client *c, uint8_t type, const char *p,
                         uint32_t len)
{
    switch (type) {
    case MP_HELLO:
        c->want = len ? (uint8_t)p[0] : 0;
        c->hello = true;
        break;
    case MP_STDIN:
        if ((c->want & MP_WANT_STDIN) && m->in_fd >= 0 && !m->stdin_close_pending)
            buf_append(&m->stdin_q, p, len);
        break;
    case MP_CLOSE_STDIN:
        if (c->want & MP_WANT_STDIN)
            m->stdin_close_pending = true;
        break;
    case MP_RESIZE: {
        /* without a terminal there is nothing to size: not an error (Docker) */
        int result = 0;
        const unsigned char *u = (const unsigned char *)p;
        if (m->tty && m->out_fd >= 0 && len >= 4) {
            struct winsize ws = { 0 };
            ws.ws_row = u[0] << 8 | u[1];
            ws.ws_col = u[2] << 8 | u[3];
            if (ioctl(m->out_fd, TIOCSWINSZ, &ws) < 0)
                result = -errno;
        }
        if (len >= 5 && u[4]) {
            unsigned char r[4];
            mp_put_u32(r, (uint32_t)result);
            client_queue(c, MP_ACK, r, sizeof r);
        }
        break;
    }
    case MP_KILL: {
        int result = -ESRCH;
        if (len >= 4 && m->ctr_pid > 0 && !m->exited) {
            int sig = (int)mp_get_u32((const unsigned char *)p);
            result = kill(m->ctr_pid, sig) < 0 ? -errno : 0;
        }
        unsigned char r[4];
        mp_put_u32(r, (uint32_t)result);
        client_queue(c, MP_ACK, r, sizeof r);
        break;
    }
    default: break;
    }
}

/* Reads what the client sent. Returns false when it went away. */
static bool client_read(struct monitor *m, struct client *c)
{
    for (;;) {
        if (c->hdr_got < MP_HDR_LEN) {
            ssize_t n = read(c->fd, c->hdr + c->hdr_got, MP_HDR_LEN - c->hdr_got);
            if (n < 0)
                return errno == EAGAIN || errno == EINTR;
            if (n == 0)
                return false;
            c->hdr_got += n;
            if (c->hdr_got < MP_HDR_LEN)
                continue;
            c->len = mp_get_u32(c->hdr + 4);
            if (c->len > MP_MAX_FRAME)
                return false;
            free(c->payload);
            c->payload = c->len ? xmalloc(c->len) : NULL;
            c->got = 0;
        }
        if (c->got < c->len) {
            ssize_t n = read(c->fd, c->payload + c->got, c->len - c->got);
            if (n < 0)
                return errno == EAGAIN || errno == EINTR;
            if (n == 0)
                return false;
            c->got += n;
            if (c->got < c->len)
                continue;
        }
        handle_frame(m, c, c->hdr[0], c->payload, c->len);
        free(c->payload);
        c->payload = NULL;
        c->hdr_got = 0;
        c->len = 0;
        c->got = 0;
    }
}

static bool client_write(struct client *c)
{
    while (client_pending(c)) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, client_pending(c), MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        c->out_off += n;
    }
    c->out.len = c->out_off = 0;
    if (c->out.cap > (PUMP_HIGH * 2)) {
        buf_free(&c->out);
    }
    return true;
}

int accept_clients(struct monitor *m, bool wait_hello)
{
    int n = 0;
    for (;;) {
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            break;
        struct client *c = xcalloc(1, sizeof *c);
        c->fd = fd;
        if (wait_hello) {
            /* a client that connected before "go" sent its HELLO first */
            struct pollfd pfd = { fd, POLLIN, 0 };
            for (int tries = 0; !c->hello && tries < 10; tries++) {
                if (poll(&pfd, 1, 100) > 0 && !client_read(m, c))
                    break;
            }
        }
        m->clients = xrealloc(m->clients, (m->n_clients + 1) * sizeof *m->clients);
        m->clients[m->n_clients++] = c;
        n++;
    }
    return n;
}

static void read_output(struct monitor *m, int *fdp, int stream)
{
    ssize_t n = read(*fdp, iobuf, sizeof iobuf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        /* EOF, or EIO from a pty whose other side is gone */
        if (*fdp == m->in_fd)
            m->in_fd = -1;
        close(*fdp);
        *fdp = -1;
        return;
    }
    if ((size_t)n == sizeof iobuf && !m->tty && !grown[stream]) {
        /* A fast writer: a bigger pipe lets it write on while we log, and
         * gives fewer, bigger records. Only then: every pipe's size counts
         * against its user's pipe buffer limits (fs.pipe-user-pages-*),
         * which the container's processes share with ours. */
        grown[stream] = true;
        fcntl(*fdp, F_SETPIPE_SZ, PUMP_PIPE_SIZE);
    }
    int64_t ts = now_ns();
    log_writer_append(&m->log, stream, ts, iobuf, n, iobuf[n - 1] != '\n');
    uint8_t want = stream == 1 ? MP_WANT_STDOUT : MP_WANT_STDERR;
    for (size_t i = 0; i < m->n_clients; i++) {
        struct client *c = m->clients[i];
        if (c->want & want)
            client_queue(c, (uint8_t)stream, iobuf, (uint32_t)n);
    }
}

static void write_stdin(struct monitor *m)
{
    while (m->in_fd >= 0 && m->stdin_off < m->stdin_q.len) {
        ssize_t n = write(m->in_fd, m->stdin_q.data + m->stdin_off, m->stdin_q.len - m->stdin_off);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            /* the container closed its stdin */
            if (m->tty && m->in_fd != m->out_fd) {
                close(m->in_fd);
            } else if (!m->tty) {
                close(m->in_fd);
            }
            m->in_fd = -1;
            break;
        }
        m->stdin_off += n;
    }
    m->stdin_q.len = m->stdin_off = 0;
    if (m->stdin_close_pending && m->in_fd >= 0) {
        if (m->tty) {
            /* a terminal has no half-close: send EOF (^D) the way a user would */
            char eot = 4;
            if (write(m->in_fd, &eot, 1) < 0) {
            }
        }
        close(m->in_fd);
        m->in_fd = -1;
    }
}

static void reap(struct monitor *m)
{
    struct signalfd_siginfo si;
    while (read(m->sig_fd, &si, sizeof si) > 0) {
    }
    for (;;) {
        int status;
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p <= 0)
            break;
        if (p == m->ctr_pid) {
            m->exited = true;
            m->exit_status = status;
            m->exit_time = now_ns();
        }
    }
}

void monitor_loop(struct monitor *m)
{
    struct pollfd *pfds = NULL;
    size_t cap = 0;
    /* the container may already have exited while we were starting it */
    reap(m);
    for (;;) {
        if (m->exited && m->out_fd < 0 && m->err_fd < 0)
            break;
        int timeout = -1;
        if (m->exited) {
            int64_t left = m->exit_time + DRAIN_AFTER_EXIT_NS - now_ns();
            if (left <= 0) {
                /* something outside the container holds its output open */
                if (m->out_fd >= 0)
                    close(m->out_fd);
                if (m->err_fd >= 0)
                    close(m->err_fd);
                m->out_fd = m->err_fd = -1;
                break;
            }
            timeout = (int)(left / 1000000) + 1;
        }
        if (m->idle_at && !m->exited) {
            int64_t left = m->idle_at - monotonic_ns();
            if (left <= 0)
                monitor_idle(m);
            else if (timeout < 0 || left / 1000000 + 1 < timeout)
                timeout = (int)(left / 1000000) + 1;
        }
        if (m->stdin_close_pending && m->stdin_q.len == 0)
            write_stdin(m);

        bool room = true;
        for (size_t i = 0; i < m->n_clients; i++)
            if (client_pending(m->clients[i]) > PUMP_HIGH)
                room = false;

        size_t need = 5 + m->n_clients;
        if (cap < need) {
            cap = need * 2;
            pfds = xrealloc(pfds, cap * sizeof *pfds);
        }
        size_t n = 0;
        pfds[n++] = (struct pollfd){ m->sig_fd, POLLIN, 0 };
        pfds[n++] = (struct pollfd){ m->listen_fd, POLLIN, 0 };
        size_t i_out = n;
        pfds[n++] = (struct pollfd){ room ? m->out_fd : -1, POLLIN, 0 };
        size_t i_err = n;
        pfds[n++] = (struct pollfd){ room ? m->err_fd : -1, POLLIN, 0 };
        size_t i_in = n;
        bool tty_shared = m->tty && m->in_fd >= 0;
        pfds[n++] = (struct pollfd){ m->stdin_q.len && m->in_fd >= 0 ? m->in_fd : -1, POLLOUT, 0 };
        (void)tty_shared;
        size_t i_clients = n;
        for (size_t i = 0; i < m->n_clients; i++) {
            struct client *c = m->clients[i];
            short ev = POLLIN;
            if (client_pending(c))
                ev |= POLLOUT;
            pfds[n++] = (struct pollfd){ c->fd, ev, 0 };
        }
        int pr = poll(pfds, n, timeout);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfds[0].revents)
            reap(m);
        if (pfds[1].revents & POLLIN)
            accept_clients(m, false);
        if (pfds[i_out].revents && m->out_fd >= 0)
            read_output(m, &m->out_fd, 1);
        if (pfds[i_err].revents && m->err_fd >= 0)
            read_output(m, &m->err_fd, 2);
        if (pfds[i_in].revents)
            write_stdin(m);
        /* clients: walk backwards so removal does not skip any */
        size_t nc = n - i_clients;
        for (size_t k = nc; k-- > 0;) {
            if (k >= m->n_clients)
                continue;
            struct client *c = m->clients[k];
            short re = pfds[i_clients + k].revents;
            bool alive = true;
            if (re & (POLLIN | POLLHUP | POLLERR))
                alive = client_read(m, c);
            if (alive && (re & POLLOUT))
                alive = client_write(c);
            if (!alive)
                remove_client(m, k);
        }
        if (m->stdin_q.len)
            write_stdin(m);
    }
    free(pfds);
}
