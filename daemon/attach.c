/* attach.c - POST /containers/{id}/attach: the connection is hijacked
 * (101 with Upgrade: tcp) and becomes a raw stream: the container's output
 * in Docker's 8-byte multiplexed frames (raw with a TTY), the client's
 * bytes to the container's stdin.
 *
 * An attach to a container that has not started yet (docker run without -d
 * attaches, then starts) is kept pending; the start's before_start hook
 * connects it to the monitor before the process runs, so it sees every
 * byte. A client that closes its side (stdin EOF) still gets the output
 * until the container exits; the detach keys end the stream and leave the
 * container running. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "berthd.h"

struct pending {
    char id[65];
    berth_attach_opts opts;
    berth_attach *attach;
    bool done;
    bool claimed;       /* its connection was handed over (on_upgrade ran) */
    int64_t registered; /* monotonic ns */
    pthread_cond_t cond;
    struct pending *next;
};

/* An attach whose connection was never handed over after this long lost
 * its client before the upgrade: it must not hold a container's output. */
#define PENDING_UNCLAIMED_NS (10LL * 1000000000)

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending *pending_list;

void pending_attach_connect(void *userdata, berth_engine *e, const char *id);
void pending_attach_connect(void *userdata, berth_engine *e, const char *id)
{
    (void)userdata;
    pthread_mutex_lock(&pending_lock);
    for (struct pending **pp = &pending_list; *pp;) {
        struct pending *p = *pp;
        if (strcmp(p->id, id) != 0) {
            pp = &p->next;
            continue;
        }
        berth_error err = BERTH_ERROR_INIT;
        bool orphan = !p->claimed && monotonic_ns() - p->registered > PENDING_UNCLAIMED_NS;
        if (orphan || berth_container_attach(e, id, &p->opts, &p->attach, &err) < 0)
            p->attach = NULL;
        p->done = true;
        pthread_cond_signal(&p->cond);
        *pp = p->next;
    }
    pthread_mutex_unlock(&pending_lock);
}

static void pending_remove(struct pending *p)
{
    for (struct pending **pp = &pending_list; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            return;
        }
    }
}

struct session {
    char id[65];
    bool tty, want_stdin, stdin_once, logs, stream;
    berth_attach_opts opts;
    berth_attach *attach; /* connected now, or NULL when pending */
    struct pending *pending;
    unsigned char detach[8];
    size_t detach_len;
    berth_engine *engine;
};

/* Docker's detach keys: "ctrl-p,ctrl-q", "a", "ctrl-@"... */
bool detach_keys_parse(const char *spec, unsigned char *out, size_t *len)
{
    *len = 0;
    if (!spec || !*spec)
        spec = "ctrl-p,ctrl-q";
    _cleanup_free_ char *copy = xstrdup(spec);
    char *save = NULL;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        if (*len >= 8)
            return false;
        if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
            char c = k[5];
            if (c >= 'a' && c <= 'z')
                out[(*len)++] = (unsigned char)(c - 'a' + 1);
            else if (c == '@')
                out[(*len)++] = 0;
            else if (c == '[' || c == '\\' || c == ']' || c == '^' || c == '_')
                out[(*len)++] = (unsigned char)(c - '@');
            else
                return false;
        } else if (strlen(k) == 1) {
            out[(*len)++] = (unsigned char)k[0];
        } else {
            return false;
        }
    }
    return *len > 0;
}

int hijack_send_frame(int sock, bool tty, int stream, const char *data, size_t len)
{
    if (!tty) {
        unsigned char hdr[8] = { (unsigned char)stream,
                                 0,
                                 0,
                                 0,
                                 (unsigned char)(len >> 24),
                                 (unsigned char)(len >> 16),
                                 (unsigned char)(len >> 8),
                                 (unsigned char)len };
        if (write_all(sock, hdr, sizeof hdr) < 0)
            return -1;
    }
    return write_all(sock, data, len);
}

struct replay {
    int sock;
    bool tty;
};

static int replay_line(void *ud, int stream, int64_t ts, const char *data, size_t len)
{
    (void)ts;
    struct replay *rp = ud;
    return hijack_send_frame(rp->sock, rp->tty, stream, data, len) < 0 ? 1 : 0;
}

/* Waits for a pending attach to be connected by the start, or the client
 * to go away. */
static bool wait_pending(struct pending *p, int sock)
{
    pthread_mutex_lock(&pending_lock);
    while (!p->done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&p->cond, &pending_lock, &ts);
        if (p->done)
            break;
        /* only a hangup is looked for here: a client may send stdin early */
        struct pollfd pf = { sock, POLLRDHUP, 0 };
        if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            pending_remove(p);
            pthread_mutex_unlock(&pending_lock);
            return false;
        }
    }
    pthread_mutex_unlock(&pending_lock);
    return p->attach != NULL;
}

void hijack_pump(const struct hijack *s, berth_attach *attach, int sock)
{
    /* blocking writes: a slow client holds the output back, nothing is lost */
    set_nonblock(sock, false);
    static __thread char buf[65536];
    bool client_open = true;
    size_t matched = 0; /* detach keys seen so far */
    berth_error err = BERTH_ERROR_INIT;
    for (;;) {
        struct pollfd p[2] = { { berth_attach_fd(attach), POLLIN, 0 },
                               { client_open ? sock : -1, POLLIN | POLLRDHUP, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[0].revents) {
            int stream;
            ssize_t n = berth_attach_read(attach, &stream, buf, sizeof buf, &err);
            if (n <= 0)
                return; /* the container is gone */
            if (hijack_send_frame(sock, s->tty, stream, buf, (size_t)n) < 0)
                return; /* the client is gone */
        }
        if (p[1].revents) {
            ssize_t n = read(sock, buf, sizeof buf);
            if (n > 0 && s->want_stdin) {
                /* the detach sequence ends the attach; other bytes go on */
                size_t start = 0;
                for (ssize_t i = 0; i < n; i++) {
                    if ((unsigned char)buf[i] == s->detach[matched]) {
                        if (++matched == s->detach_len)
                            return;
                    } else {
                        matched = (unsigned char)buf[i] == s->detach[0] ? 1 : 0;
                    }
                    (void)start;
                }
                berth_attach_write(attach, buf, (size_t)n, &err);
            } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                /* the client closed its side: stdin ends, the output goes on */
                client_open = false;
                if (s->want_stdin && s->stdin_once)
                    berth_attach_close_stdin(attach, &err);
                if (n < 0)
                    return;
            }
        }
    }
}

/* Waits (at most 250 ms) until the client has read the 101 head off the
 * socket. Clients such as docker-py read the head through a buffered
 * reader and then read the raw socket: bytes that arrive together with the
 * head stay in that buffer and are lost. On a unix socket SIOCOUTQ counts
 * the bytes the peer has not read yet; on TCP, those not yet acknowledged. */
void hijack_wait_head_read(int sock)
{
    for (int i = 0; i < 250; i++) {
        int queued = 0;
        if (ioctl(sock, SIOCOUTQ, &queued) < 0 || queued == 0)
            return;
        struct timespec ms = { 0, 1000 * 1000 };
        nanosleep(&ms, NULL);
    }
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn;
    (void)con_cls;
    struct session *s = cls;
    struct pending *p = s->pending;
    if (p) {
        pthread_mutex_lock(&pending_lock);
        p->claimed = true;
        pthread_mutex_unlock(&pending_lock);
    }
    hijack_wait_head_read(sock);
    if (s->logs) {
        struct replay rp = { sock, s->tty };
        berth_logs_opts lo = BERTH_LOGS_OPTS_INIT;
        lo.lines = false;
        lo.want_stdout = s->opts.attach_stdout;
        lo.want_stderr = s->opts.attach_stderr;
        berth_error err = BERTH_ERROR_INIT;
        berth_container_logs(s->engine, s->id, &lo, replay_line, &rp, &err);
    }
    if (p && wait_pending(p, sock))
        s->attach = p->attach;
    if (s->attach) {
        if (extra_in_size && s->want_stdin) {
            berth_error err = BERTH_ERROR_INIT;
            berth_attach_write(s->attach, extra_in, extra_in_size, &err);
        }
        struct hijack h = { s->tty, s->want_stdin, s->stdin_once, { 0 }, s->detach_len };
        memcpy(h.detach, s->detach, sizeof h.detach);
        hijack_pump(&h, s->attach, sock);
        berth_attach_free(s->attach);
    }
    if (p) {
        pthread_cond_destroy(&p->cond);
        free(p);
    }
    shutdown(sock, SHUT_RDWR);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    engine_put(s->engine);
    free(s);
}

int handle_attach(struct req *r)
{
    char *doc = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_inspect(r->engine, r->params[0], &doc, &err) < 0)
        return reply_error(r, &err);
    json_t *j = json_loads(doc, 0, NULL);
    free(doc);
    struct session *s = xcalloc(1, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", json_string_value(json_object_get(j, "Id")));
    json_t *cfg = json_object_get(j, "Config");
    s->tty = json_is_true(json_object_get(cfg, "Tty"));
    s->stdin_once = json_is_true(json_object_get(cfg, "StdinOnce"));
    bool running = json_is_true(json_object_get(json_object_get(j, "State"), "Running"));
    json_decref(j);
    s->stream = q_bool(r, "stream", false);
    s->logs = q_bool(r, "logs", false);
    s->want_stdin = q_bool(r, "stdin", false);
    s->opts.version = BERTH_ATTACH_OPTS_VERSION;
    s->opts.attach_stdin = s->want_stdin;
    s->opts.attach_stdout = q_bool(r, "stdout", false);
    s->opts.attach_stderr = q_bool(r, "stderr", false);
    if (!detach_keys_parse(q_str(r, "detachKeys"), s->detach, &s->detach_len)) {
        free(s);
        return reply_message(r, 400, "Invalid detach keys (%s) provided", q_str(r, "detachKeys"));
    }
    if (s->stream && running &&
        berth_container_attach(r->engine, s->id, &s->opts, &s->attach, &err) < 0) {
        free(s);
        return reply_error(r, &err);
    }
    if (!s->stream)
        s->attach = NULL;
    if (!s->attach && s->stream) {
        /* Registered before the 101 goes out: MHD calls on_upgrade only
         * after sending it, and the client may start the container as soon
         * as it has read it. */
        struct pending *p = xcalloc(1, sizeof *p);
        snprintf(p->id, sizeof p->id, "%s", s->id);
        p->opts = s->opts;
        p->registered = monotonic_ns();
        pthread_cond_init(&p->cond, NULL);
        pthread_mutex_lock(&pending_lock);
        p->next = pending_list;
        pending_list = p;
        pthread_mutex_unlock(&pending_lock);
        s->pending = p;
    }
    s->engine = r->engine;
    r->engine = NULL;
    return reply_upgrade(r, s->tty, on_upgrade, s);
}

int reply_upgrade(struct req *r, bool tty, MHD_UpgradeHandler fn, void *cls)
{
    struct MHD_Response *resp = MHD_create_response_for_upgrade(fn, cls);
    add_common_headers(resp);
    MHD_add_response_header(resp, "Content-Type",
                            tty || r->api_minor < 42 ? "application/vnd.docker.raw-stream"
                                                     : "application/vnd.docker.multiplexed-stream");
    MHD_add_response_header(resp, "Connection", "Upgrade");
    MHD_add_response_header(resp, "Upgrade", "tcp");
    int ret = MHD_queue_response(r->conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return ret;
}
