/* container_wait.c - waiting for a container to stop, to exit once more
 * (next-exit) or to be removed.
 *
 * Registration and blocking are separate steps: once berth_container_wait_
 * begin returns, an exit is never missed. A running container is waited on
 * through its monitor's socket (the exit frame arrives after the exit is
 * recorded); otherwise inotify watches the run directory (a monitor socket
 * appearing: a start) and the state directory (its removal), and a pidfd
 * watches a monitor that stopped answering. Nothing polls. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach_int.h"
#include "container.h"
#include "engine_int.h"
#include "errors.h"
#include "monproto.h"
#include "util.h"

struct berth_waiter {
    berth_engine *e;
    char *id;
    char *rundir;
    berth_wait_condition condition;
    int64_t registered; /* exits recorded after this count for next-exit */
    int ifd;            /* inotify: rundir (starts) and the state dir (removal) */
    int mon_fd;         /* a monitor connection, -1 when none */
    bool exited;        /* the exit we wait for happened: code holds it */
    int code;
    bool known; /* code holds the last known exit code */
};

void berth_waiter_free(berth_waiter *w)
{
    if (!w)
        return;
    if (w->ifd >= 0)
        close(w->ifd);
    if (w->mon_fd >= 0)
        close(w->mon_fd);
    free(w->id);
    free(w->rundir);
    free(w);
}

static int monitor_connect(const char *rundir)
{
    int fd = mp_connect(rundir);
    if (fd < 0)
        return fd;
    uint8_t want = 0;
    if (mp_send(fd, MP_HELLO, &want, 1) < 0) {
        close(fd);
        return -EPIPE;
    }
    return fd;
}

int berth_container_wait_begin(berth_engine *e, const char *name, berth_wait_condition condition,
                               berth_waiter **out, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    berth_waiter *w = xcalloc(1, sizeof *w);
    w->e = e;
    w->id = xstrdup(c->id);
    w->rundir = engine_ctr_rundir(e, c->id);
    w->condition = condition;
    w->registered = now_ns();
    w->mon_fd = -1;
    w->code = c->exit_code;
    w->known = true;
    /* watch first, then look: a change in between is not missed */
    w->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (w->ifd < 0) {
        berth_waiter_free(w);
        return berr_errno(err, BERTH_EINTERNAL, errno, "inotify");
    }
    mkdir_p(w->rundir, 0700);
    _cleanup_free_ char *ctrdir = engine_ctr_dir(e, c->id);
    inotify_add_watch(w->ifd, w->rundir, IN_CREATE | IN_MOVED_TO);
    inotify_add_watch(w->ifd, ctrdir, IN_DELETE_SELF);
    if (ctr_is_running(c)) {
        int fd = monitor_connect(w->rundir);
        if (fd >= 0)
            w->mon_fd = fd;
    } else if (condition == BERTH_WAIT_NOT_RUNNING) {
        w->exited = true;
    }
    *out = w;
    return 0;
}

/* Waits for an inotify event, the exit of pidfd's process (-1: none), or
 * cancel_fd. Returns 0, or -ECANCELED. */
static int sleep_on(int ifd, int pidfd, int cancel_fd)
{
    struct pollfd pfd[3] = { { ifd, POLLIN, 0 }, { cancel_fd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
    for (;;) {
        int pr = poll(pfd, 3, -1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return -errno;
        if (cancel_fd >= 0 && pfd[1].revents)
            return -ECANCELED;
        char buf[4096];
        while (read(ifd, buf, sizeof buf) > 0) {
        }
        return 0;
    }
}

/* Reads the monitor's frames until its exit frame. 0 and *code, -EPIPE
 * when it ended without one, -ECANCELED. */
static int read_exit(int fd, int cancel_fd, int *code)
{
    for (;;) {
        struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { cancel_fd, POLLIN, 0 } };
        int pr = poll(pfd, cancel_fd >= 0 ? 2 : 1, -1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return -errno;
        if (cancel_fd >= 0 && pfd[1].revents)
            return -ECANCELED;
        uint8_t type;
        void *payload = NULL;
        uint32_t len;
        int r = mp_recv(fd, &type, &payload, &len);
        if (r <= 0)
            return -EPIPE;
        if (type == MP_EXIT && len >= 4) {
            *code = (int)mp_get_u32(payload);
            free(payload);
            return 0;
        }
        free(payload);
    }
}

int berth_waiter_wait(berth_waiter *w, int cancel_fd, int *exit_code, berth_error *err)
{
    for (;;) {
        if (w->exited && w->condition != BERTH_WAIT_REMOVED) {
            *exit_code = w->code;
            return 0;
        }
        /* A monitor socket means a run: connect, whatever the row says yet
         * (a starting monitor takes early clients when it starts the
         * process, so the exit frame reaches us). */
        if (w->mon_fd < 0 && !(w->exited && w->condition != BERTH_WAIT_REMOVED)) {
            int fd = monitor_connect(w->rundir);
            if (fd >= 0)
                w->mon_fd = fd;
        }
        if (w->mon_fd >= 0) {
            int code = 0;
            int r = read_exit(w->mon_fd, cancel_fd, &code);
            close(w->mon_fd);
            w->mon_fd = -1;
            if (r == -ECANCELED)
                return berr(err, BERTH_EINTERNAL, "wait cancelled");
            if (r == 0) {
                w->code = code;
                w->known = true;
                w->exited = true;
                continue;
            }
            /* it ended without an exit frame (a start that failed, or a
             * monitor that died): the state database knows the rest */
        }
        _cleanup_ctr_ struct ctr *now = NULL;
        if (ctr_reload(w->e, w->id, &now, NULL) < 0) {
            /* removed */
            if (w->condition == BERTH_WAIT_REMOVED || w->known) {
                *exit_code = w->code;
                return 0;
            }
            return berr(err, BERTH_ENOTFOUND, "No such container: %s", w->id);
        }
        bool running = ctr_is_running(now);
        if (!running) {
            if (w->condition == BERTH_WAIT_NOT_RUNNING ||
                (w->condition == BERTH_WAIT_NEXT_EXIT && now->started > 0 &&
                 now->finished >= w->registered)) {
                w->code = now->exit_code;
                w->exited = true;
                continue;
            }
            if (w->condition == BERTH_WAIT_REMOVED) {
                /* the last run's code, until the removal */
                w->code = now->exit_code;
                w->known = true;
            }
        }
        /* Nothing to read yet: sleep until something changes (a monitor
         * socket appears, the state directory goes). A monitor that does not
         * answer while the row says it runs has just died: its pidfd wakes
         * us. */
        _cleanup_close_ int pidfd = -1;
        if (running && now->monitor_pid > 0)
            pidfd = (int)syscall(SYS_pidfd_open, now->monitor_pid, 0);
        int r = sleep_on(w->ifd, pidfd, cancel_fd);
        if (r < 0)
            return berr(err, BERTH_EINTERNAL, "wait cancelled");
    }
}

int berth_container_wait(berth_engine *e, const char *name, berth_wait_condition condition,
                         int cancel_fd, int *exit_code, berth_error *err)
{
    berth_waiter *w = NULL;
    int r = berth_container_wait_begin(e, name, condition, &w, err);
    if (r < 0)
        return r;
    r = berth_waiter_wait(w, cancel_fd, exit_code, err);
    berth_waiter_free(w);
    return r;
}
