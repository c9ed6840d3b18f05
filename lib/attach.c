/* attach.c - attach streams and control requests over the monitor socket. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach_int.h"
#include "container.h"
#include "engine_int.h"
#include "errors.h"
#include "events.h"
#include "exec_store.h"
#include "monproto.h"
#include "util.h"

struct berth_attach {
    int fd;
    bool tty;
    int exit_code;
    bool ended, exit_seen;
    uint8_t cur_type;
    uint32_t cur_left;
    /* an exec's: whose exit to record, with which engine, once seen */
    berth_engine *engine;
    char *exec_id;
};

static int hello(int fd, uint8_t want)
{
    return mp_send(fd, MP_HELLO, &want, 1);
}

int attach_connect(const char *rundir, const berth_attach_opts *opts, bool tty, berth_attach **out,
                   berth_error *err)
{
    int fd = mp_connect(rundir);
    if (fd < 0)
        return berr_errno(err, BERTH_ECONFLICT, -fd, "cannot attach: the container is not running");
    uint8_t want = 0;
    if (opts->attach_stdin)
        want |= MP_WANT_STDIN;
    if (opts->attach_stdout)
        want |= MP_WANT_STDOUT;
    if (opts->attach_stderr)
        want |= MP_WANT_STDERR;
    int r = hello(fd, want);
    if (r < 0) {
        close(fd);
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot attach");
    }
    berth_attach *a = xcalloc(1, sizeof *a);
    a->fd = fd;
    a->tty = tty;
    a->exit_code = -1;
    *out = a;
    return 0;
}

int berth_container_attach(berth_engine *e, const char *name, const berth_attach_opts *opts,
                           berth_attach **out, berth_error *err)
{
    berth_attach_opts defaults = BERTH_ATTACH_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *rundir = engine_ctr_rundir(e, c->id);
    /* a container being started has its monitor listening already */
    r = attach_connect(rundir, opts, json_is_true(json_object_get(c->config, "Tty")), out, err);
    if (r < 0 && !ctr_is_running(c))
        return berr(err, BERTH_ECONFLICT,
                    "You cannot attach to a stopped container, start it first");
    if (r == 0)
        event_container(e->db, c->id, "attach", NULL, NULL);
    return r;
}

int berth_attach_fd(const berth_attach *a)
{
    return a->fd;
}

static int discard(int fd, uint32_t len)
{
    char tmp[512];
    while (len) {
        ssize_t n = read_all(fd, tmp, len < sizeof tmp ? len : sizeof tmp);
        if (n <= 0)
            return n < 0 ? (int)n : -EPIPE;
        len -= n;
    }
    return 0;
}

ssize_t berth_attach_read(berth_attach *a, int *stream, void *buf, size_t cap, berth_error *err)
{
    for (;;) {
        if (a->ended)
            return 0;
        if (a->cur_left) {
            size_t want = a->cur_left < cap ? a->cur_left : cap;
            ssize_t n = read(a->fd, buf, want);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                a->ended = true;
                return n < 0 ? berr_errno(err, BERTH_EINTERNAL, errno, "attach") : 0;
            }
            a->cur_left -= n;
            *stream = a->cur_type;
            return n;
        }
        unsigned char hdr[MP_HDR_LEN];
        ssize_t n = read_all(a->fd, hdr, sizeof hdr);
        if (n != MP_HDR_LEN) {
            a->ended = true;
            return 0;
        }
        uint8_t type = hdr[0];
        uint32_t len = mp_get_u32(hdr + 4);
        if (type == MP_STDOUT || type == MP_STDERR) {
            a->cur_type = type;
            a->cur_left = len;
            continue;
        }
        if (type == MP_EXIT) {
            unsigned char p[6] = { 0 };
            if (len >= 4 && read_all(a->fd, p, len < sizeof p ? len : sizeof p) > 0) {
                a->exit_code = (int)mp_get_u32(p);
                a->exit_seen = true;
            }
            a->ended = true;
            return 0;
        }
        if (discard(a->fd, len) < 0) {
            a->ended = true;
            return 0;
        }
    }
}

int berth_attach_write(berth_attach *a, const void *buf, size_t len, berth_error *err)
{
    const char *p = buf;
    while (len) {
        uint32_t chunk = len > (1u << 20) ? (1u << 20) : (uint32_t)len;
        int r = mp_send(a->fd, MP_STDIN, p, chunk);
        if (r < 0)
            return berr_errno(err, BERTH_EINTERNAL, -r, "cannot write to the container");
        p += chunk;
        len -= chunk;
    }
    return 0;
}

int berth_attach_close_stdin(berth_attach *a, berth_error *err)
{
    int r = mp_send(a->fd, MP_CLOSE_STDIN, NULL, 0);
    return r < 0 ? berr_errno(err, BERTH_EINTERNAL, -r, "cannot close stdin") : 0;
}

int berth_attach_resize(berth_attach *a, unsigned rows, unsigned cols, berth_error *err)
{
    if (rows > 65535 || cols > 65535)
        return berr(err, BERTH_EINVAL, "terminal size %ux%u is too large", rows, cols);
    unsigned char p[4] = { rows >> 8, rows & 255, cols >> 8, cols & 255 };
    int r = mp_send(a->fd, MP_RESIZE, p, sizeof p);
    return r < 0 ? berr_errno(err, BERTH_EINTERNAL, -r, "cannot resize") : 0;
}

int berth_attach_exit_code(const berth_attach *a)
{
    return a->exit_code;
}

void attach_records_exec_exit(berth_attach *a, berth_engine *e, const char *exec_id)
{
    a->engine = e;
    free(a->exec_id);
    a->exec_id = xstrdup(exec_id);
}

void berth_attach_free(berth_attach *a)
{
    if (!a)
        return;
    if (a->exec_id && a->exit_seen) {
        /* after the caller has passed the end on: recording takes a
         * fraction of a millisecond that nobody needs to wait for */
        berth_error err = BERTH_ERROR_INIT;
        if (exec_store_set_exited(a->engine->db, a->exec_id, a->exit_code, now_ns(), &err) >= 0)
            mp_send(a->fd, MP_RECORDED, NULL, 0);
    }
    if (a->fd >= 0)
        close(a->fd);
    free(a->exec_id);
    free(a);
}

/* Sends one request that the monitor answers with MP_ACK; returns its
 * result, or -ESRCH when the container exits meanwhile. */
static int monitor_request(const char *rundir, uint8_t type, const void *payload, uint32_t len)
{
    _cleanup_close_ int fd = mp_connect(rundir);
    if (fd < 0)
        return fd;
    int r = hello(fd, 0);
    if (r == 0)
        r = mp_send(fd, type, payload, len);
    if (r < 0)
        return r;
    for (;;) {
        uint8_t t;
        void *p = NULL;
        uint32_t n;
        r = mp_recv(fd, &t, &p, &n);
        if (r <= 0)
            return -ESRCH; /* it exited meanwhile */
        if (t == MP_ACK && n >= 4) {
            int result = (int)mp_get_u32(p);
            free(p);
            return result;
        }
        bool exited = t == MP_EXIT;
        free(p);
        if (exited)
            return -ESRCH;
    }
}

int monitor_kill(const char *rundir, int signo)
{
    unsigned char p[4];
    mp_put_u32(p, (uint32_t)signo);
    return monitor_request(rundir, MP_KILL, p, sizeof p);
}

int monitor_resize(const char *rundir, unsigned rows, unsigned cols)
{
    /* the fifth byte asks for an MP_ACK once the size is set */
    unsigned char p[5] = { rows >> 8, rows & 255, cols >> 8, cols & 255, 1 };
    return monitor_request(rundir, MP_RESIZE, p, sizeof p);
}

int monitor_wait(const char *rundir, int timeout_ms, int cancel_fd, int *exit_code)
{
    _cleanup_close_ int fd = mp_connect(rundir);
    if (fd < 0)
        return fd;
    int r = hello(fd, 0);
    if (r < 0)
        return r;
    int64_t deadline = timeout_ms >= 0 ? monotonic_ns() + (int64_t)timeout_ms * 1000000 : 0;
    for (;;) {
        struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { cancel_fd, POLLIN, 0 } };
        int wait_ms = -1;
        if (timeout_ms >= 0) {
            int64_t left = deadline - monotonic_ns();
            if (left <= 0)
                return -ETIMEDOUT;
            wait_ms = (int)(left / 1000000) + 1;
        }
        int pr = poll(pfd, cancel_fd >= 0 ? 2 : 1, wait_ms);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (pr == 0)
            continue;
        if (cancel_fd >= 0 && pfd[1].revents)
            return -ECANCELED;
        uint8_t type;
        void *payload = NULL;
        uint32_t len;
        r = mp_recv(fd, &type, &payload, &len);
        if (r <= 0)
            return -EPIPE;
        if (type == MP_EXIT && len >= 4) {
            *exit_code = (int)mp_get_u32(payload);
            free(payload);
            return 0;
        }
        free(payload);
    }
}
