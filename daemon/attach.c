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
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "berthd.h"
#include "wsframe.h"

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
    /* GET .../attach/ws: output in websocket frames of ws_op (never
     * multiplexed), input decoded from the client's frames */
    bool ws;
    enum ws_opcode ws_op;
    struct ws_decoder wsd;
    bool ws_closed; /* our close frame went out */
    berth_attach_opts opts;
    berth_attach *attach; /* connected now, or NULL when pending */
    struct pending *pending;
    berth_detach_keys detach;
    berth_engine *engine;
    /* the client may not have read the 101 head yet: wait for it before
     * the first output (hijack_wait_head_read) */
    bool head_unread;
};

/* One piece of output: raw with a TTY, in Docker's multiplexing frame
 * without, in a websocket frame for /attach/ws. */
static int send_frame(int sock, const struct session *s, int stream, const char *data, size_t len)
{
    unsigned char hdr[WS_MAX_HEADER];
    size_t hlen = 0;
    if (s->ws) {
        hlen = ws_frame_header(hdr, s->ws_op, len);
    } else if (!s->tty) {
        hdr[0] = (unsigned char)stream;
        hdr[1] = hdr[2] = hdr[3] = 0;
        hdr[4] = (unsigned char)(len >> 24);
        hdr[5] = (unsigned char)(len >> 16);
        hdr[6] = (unsigned char)(len >> 8);
        hdr[7] = (unsigned char)len;
        hlen = 8;
    }
    if (hlen && write_all(sock, hdr, hlen) < 0)
        return -1;
    return write_all(sock, data, len);
}

static int send_ws_control(int sock, enum ws_opcode op, const unsigned char *data, size_t len)
{
    unsigned char hdr[WS_MAX_HEADER];
    size_t hlen = ws_frame_header(hdr, op, len);
    if (write_all(sock, hdr, hlen) < 0)
        return -1;
    return len ? write_all(sock, data, len) : 0;
}

/* Ends a websocket session with a close frame (status code, big-endian),
 * once. */
static void ws_close(struct session *s, int sock, const unsigned char *status, size_t len)
{
    if (!s->ws || s->ws_closed)
        return;
    s->ws_closed = true;
    send_ws_control(sock, WS_OP_CLOSE, status, len);
}

struct replay {
    int sock;
    const struct session *s;
};

static int replay_line(void *ud, int stream, int64_t ts, const char *data, size_t len)
{
    (void)ts;
    struct replay *rp = ud;
    return send_frame(rp->sock, rp->s, stream, data, len) < 0 ? 1 : 0;
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

/* The client's bytes for the container's stdin: the detach sequence ends
 * the attach (false), other bytes go on. */
static bool stdin_bytes(struct session *s, const unsigned char *p, size_t n)
{
    if (!s->want_stdin)
        return true;
    berth_error err = BERTH_ERROR_INIT;
    bool detached;
    size_t pass = berth_detach_keys_scan(&s->detach, p, n, &detached);
    if (pass)
        berth_attach_write(s->attach, p, pass, &err);
    return !detached;
}

/* Bytes read from the client (buf is ours to change). False when the
 * session ends: detached, or a websocket closed or broken. */
static bool client_input(struct session *s, int sock, unsigned char *buf, size_t n)
{
    if (!s->ws)
        return stdin_bytes(s, buf, n);
    while (n) {
        struct ws_event ev;
        size_t used = ws_decode(&s->wsd, buf, n, &ev);
        buf += used;
        n -= used;
        switch (ev.type) {
        case WS_EV_DATA:
            if (!stdin_bytes(s, ev.data, ev.len))
                return false;
            break;
        case WS_EV_PING: send_ws_control(sock, WS_OP_PONG, ev.data, ev.len); break;
        case WS_EV_CLOSE:
            /* answer with the client's status code, and end */
            ws_close(s, sock, ev.data, ev.len >= 2 ? 2 : 0);
            return false;
        case WS_EV_ERROR: {
            static const unsigned char protocol_error[2] = { 1002 >> 8, 1002 & 255 };
            ws_close(s, sock, protocol_error, 2);
            return false;
        }
        case WS_EV_NONE:
        case WS_EV_PONG: break;
        }
    }
    return true;
}

static void pump(struct session *s, int sock)
{
    static __thread char buf[65536];
    bool client_open = true;
    berth_error err = BERTH_ERROR_INIT;
    for (;;) {
        struct pollfd p[2] = { { berth_attach_fd(s->attach), POLLIN, 0 },
                               { client_open ? sock : -1, POLLIN | POLLRDHUP, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[0].revents) {
            int stream;
            ssize_t n = berth_attach_read(s->attach, &stream, buf, sizeof buf, &err);
            if (n <= 0)
                return; /* the container is gone */
            if (s->head_unread) {
                hijack_wait_head_read(sock);
                s->head_unread = false;
            }
            if (send_frame(sock, s, stream, buf, (size_t)n) < 0)
                return; /* the client is gone */
        }
        if (p[1].revents) {
            ssize_t n = read(sock, buf, sizeof buf);
            if (n > 0) {
                if (!client_input(s, sock, (unsigned char *)buf, (size_t)n))
                    return;
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                /* the client closed its side: stdin ends, the output goes on */
                client_open = false;
                if (s->want_stdin && s->stdin_once)
                    berth_attach_close_stdin(s->attach, &err);
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

/* libmicrohttpd hands the socket over non-blocking: a client slower than
 * the container would make a write fail with EAGAIN and the stream end
 * early. Blocking writes slow the container down instead. */
static void blocking(int sock)
{
    int fl = fcntl(sock, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        fcntl(sock, F_SETFL, fl & ~O_NONBLOCK);
}

void hijack_pump(const struct hijack *h, berth_attach *attach, int sock)
{
    struct session s = { 0 };
    s.tty = h->tty;
    s.want_stdin = h->want_stdin;
    s.stdin_once = h->stdin_once;
    s.detach = h->detach;
    s.attach = attach;
    s.head_unread = true;
    blocking(sock);
    pump(&s, sock);
}

int hijack_send_frame(int sock, bool tty, int stream, const char *data, size_t len)
{
    struct session s = { 0 };
    s.tty = tty;
    blocking(sock);
    return send_frame(sock, &s, stream, data, len);
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
    blocking(sock);
    hijack_wait_head_read(sock);
    if (s->logs) {
        struct replay rp = { sock, s };
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
        /* what the client sent right after its request */
        static __thread unsigned char early[4096];
        bool go_on = true;
        for (size_t off = 0; go_on && off < extra_in_size; off += sizeof early) {
            size_t n = extra_in_size - off < sizeof early ? extra_in_size - off : sizeof early;
            memcpy(early, extra_in + off, n);
            go_on = client_input(s, sock, early, n);
        }
        if (go_on)
            pump(s, sock);
        berth_attach_free(s->attach);
    }
    if (p) {
        pthread_cond_destroy(&p->cond);
        free(p);
    }
    static const unsigned char normal[2] = { 1000 >> 8, 1000 & 255 };
    ws_close(s, sock, normal, 2);
    shutdown(sock, SHUT_RDWR);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    engine_put(s->engine);
    free(s);
}

/* The websocket handshake's key, or NULL (and a 400 sent) when the
 * request is no websocket upgrade. */
static const char *ws_key(struct req *r)
{
    const char *up = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Upgrade");
    const char *key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    const char *ver =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    if (!up || strcasecmp(up, "websocket") != 0 || !key || !*key || strlen(key) > 64 ||
        (ver && strcmp(ver, "13") != 0)) {
        reply_message(r, 400,
                      "websocket: the request must be a websocket upgrade (Upgrade: websocket, "
                      "Sec-WebSocket-Key, Sec-WebSocket-Version: 13)");
        return NULL;
    }
    return key;
}

static int attach(struct req *r, bool ws)
{
    const char *key = NULL;
    if (ws && !(key = ws_key(r)))
        return MHD_YES;
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
    /* the websocket attach takes all three streams before API 1.42 (moby) */
    bool all = ws && r->api_minor < 42;
    s->opts.version = BERTH_ATTACH_OPTS_VERSION;
    s->opts.attach_stdin = all || q_bool(r, "stdin", false);
    s->opts.attach_stdout = all || q_bool(r, "stdout", false);
    s->opts.attach_stderr = all || q_bool(r, "stderr", false);
    s->want_stdin = s->opts.attach_stdin;
    s->ws = ws;
    /* binary frames since API 1.28, text before (moby) */
    s->ws_op = r->api_minor >= 28 ? WS_OP_BINARY : WS_OP_TEXT;
    ws_decoder_init(&s->wsd);
    if (berth_detach_keys_parse(q_str(r, "detachKeys"), &s->detach, &err) < 0) {
        free(s);
        return reply_error(r, &err);
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
    char accept[29];
    if (ws)
        ws_accept_key(key, accept);
    return reply_upgrade(r, s->tty, ws ? accept : NULL, on_upgrade, s);
}

int reply_upgrade(struct req *r, bool tty, const char *ws_accept, MHD_UpgradeHandler fn, void *cls)
{
    struct MHD_Response *resp = MHD_create_response_for_upgrade(fn, cls);
    add_common_headers(resp);
    if (ws_accept) {
        MHD_add_response_header(resp, "Upgrade", "websocket");
        MHD_add_response_header(resp, "Sec-WebSocket-Accept", ws_accept);
    } else {
        MHD_add_response_header(resp, "Content-Type",
                                tty || r->api_minor < 42
                                    ? "application/vnd.docker.raw-stream"
                                    : "application/vnd.docker.multiplexed-stream");
        MHD_add_response_header(resp, "Upgrade", "tcp");
    }
    MHD_add_response_header(resp, "Connection", "Upgrade");
    int ret = MHD_queue_response(r->conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return ret;
}

int handle_attach(struct req *r)
{
    return attach(r, false);
}

int handle_attach_ws(struct req *r)
{
    return attach(r, true);
}
