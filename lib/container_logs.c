/* container_logs.c - reading a container's log: tail, since, until,
 * stream selection, line assembly, and following until the container
 * exits (inotify on the log, plus the monitor's socket for the end). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "container.h"
#include "engine_int.h"
#include "errors.h"
#include "logfile.h"
#include "monproto.h"
#include "util.h"

struct emitter {
    const berth_logs_opts *o;
    berth_log_fn fn;
    void *ud;
    buf_t pend[3];
    int64_t pend_ts[3];
    bool stop;
};

static void emit(struct emitter *em, int stream, int64_t ts, const char *d, size_t n)
{
    if (!em->stop && em->fn(em->ud, stream, ts, d, n) != 0)
        em->stop = true;
}

static void flush_pending(struct emitter *em)
{
    for (int s = 1; s <= 2; s++) {
        if (em->pend[s].len)
            emit(em, s, em->pend_ts[s], em->pend[s].data, em->pend[s].len);
        buf_free(&em->pend[s]);
    }
}

static void feed(struct emitter *em, const struct log_record *rec)
{
    int s = rec->stream;
    if ((s == 1 && !em->o->want_stdout) || (s == 2 && !em->o->want_stderr))
        return;
    if (!em->o->lines) {
        emit(em, s, rec->ts, rec->data, rec->len);
        return;
    }
    const char *p = rec->data, *end = rec->data + rec->len;
    while (p < end && !em->stop) {
        const char *nl = memchr(p, '\n', end - p);
        if (!nl) {
            if (!em->pend[s].len)
                em->pend_ts[s] = rec->ts;
            buf_append(&em->pend[s], p, end - p);
            break;
        }
        if (em->pend[s].len) {
            buf_append(&em->pend[s], p, nl + 1 - p);
            emit(em, s, em->pend_ts[s], em->pend[s].data, em->pend[s].len);
            em->pend[s].len = 0;
        } else {
            emit(em, s, rec->ts, p, nl + 1 - p);
        }
        p = nl + 1;
    }
}

/* Reads every whole record available. Returns 1 when `until` was reached
 * or the callback asked to stop, 0 at the current end, <0 on error. */
static int drain(struct log_reader *rd, struct emitter *em)
{
    const berth_logs_opts *o = em->o;
    for (;;) {
        struct log_record rec;
        int r = log_reader_next(rd, &rec);
        if (r <= 0)
            return r;
        if (o->until_ns > 0 && rec.ts >= o->until_ns)
            return 1;
        if (o->since_ns > 0 && rec.ts < o->since_ns)
            continue;
        feed(em, &rec);
        if (em->stop)
            return 1;
    }
}

int berth_container_logs(berth_engine *e, const char *name, const berth_logs_opts *opts,
                         berth_log_fn fn, void *userdata, berth_error *err)
{
    berth_logs_opts defaults = BERTH_LOGS_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    if (opts->version != BERTH_LOGS_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_logs_opts version");
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
    _cleanup_free_ char *rundir = engine_ctr_rundir(e, c->id);
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berr(err, BERTH_ENOTFOUND, "No such container: %s", name);

    /* For follow: subscribe to the end before reading, so an exit between
     * the read and the subscription is not missed. */
    _cleanup_close_ int waiter = -1;
    _cleanup_close_ int ifd = -1;
    if (opts->follow && ctr_is_running(c)) {
        waiter = mp_connect(rundir);
        if (waiter >= 0) {
            uint8_t want = 0;
            if (mp_send(waiter, MP_HELLO, &want, 1) < 0) {
                close(waiter);
                waiter = -1;
            }
        }
    }

    struct log_reader rd;
    r = log_reader_open(&rd, dfd);
    if (r == -ENOENT && waiter < 0)
        return 0; /* never ran: no output */
    if (r < 0 && r != -ENOENT)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot open the log of %s", name);
    bool have_log = r == 0;
    if (waiter >= 0) {
        ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ifd >= 0) {
            _cleanup_free_ char *path = xasprintf("%s/%s", dir, LOG_FILE_NAME);
            inotify_add_watch(ifd, have_log ? path : dir, have_log ? IN_MODIFY : IN_CREATE);
        }
    }
    if (have_log) {
        if (opts->tail >= 0)
            r = log_reader_seek_tail(&rd, opts->tail);
        else if (opts->since_ns > 0)
            r = log_reader_seek_time(&rd, opts->since_ns);
        if (r < 0) {
            log_reader_close(&rd);
            return berr_errno(err, BERTH_EINTERNAL, -r, "cannot read the log of %s", name);
        }
    }

    struct emitter em = { .o = opts, .fn = fn, .ud = userdata };
    int ret = 0;
    for (;;) {
        if (have_log) {
            r = drain(&rd, &em);
            if (r < 0) {
                ret = berr_errno(err, BERTH_EINTERNAL, -r, "corrupt log for %s", name);
                break;
            }
            if (r == 1)
                break;
        }
        if (waiter < 0)
            break;
        struct pollfd pfd[3] = { { waiter, POLLIN, 0 },
                                 { ifd, POLLIN, 0 },
                                 { opts->cancel_fd, POLLIN, 0 } };
        int timeout = -1;
        if (opts->until_ns > 0) {
            int64_t left = opts->until_ns - now_ns();
            if (left <= 0)
                break;
            timeout = (int)(left / 1000000) + 1;
        }
        int pr = poll(pfd, opts->cancel_fd >= 0 ? 3 : 2, timeout);
        if (pr < 0 && errno != EINTR)
            break;
        if (opts->cancel_fd >= 0 && pfd[2].revents)
            break;
        if (pfd[1].revents) {
            char evbuf[4096];
            while (read(ifd, evbuf, sizeof evbuf) > 0) {
            }
            if (!have_log && log_reader_open(&rd, dfd) == 0) {
                have_log = true;
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, LOG_FILE_NAME);
                inotify_add_watch(ifd, path, IN_MODIFY);
            }
        }
        if (pfd[0].revents) {
            /* the container exited (or its monitor did): read what is left */
            close(waiter);
            waiter = -1;
            if (!have_log && log_reader_open(&rd, dfd) == 0)
                have_log = true;
        }
    }
    flush_pending(&em);
    if (have_log)
        log_reader_close(&rd);
    return ret;
}
