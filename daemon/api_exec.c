/* api_exec.c - exec instances: POST /containers/{id}/exec, POST
 * /exec/{id}/start (hijacked with Upgrade: tcp, or a plain streamed 200
 * for a client that does not ask to upgrade), POST /exec/{id}/resize and
 * GET /exec/{id}/json.
 *
 * The exec is started, with its streams connected, before the response
 * goes out, so no byte of output is missed; the start request's Tty
 * decides the framing, as in Docker. A command that cannot be run is
 * reported the Docker way: the connection is hijacked all the same and
 * carries the runtime's message, and the exec's ExitCode says 126 or 127. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berthd.h"

static int create(struct req *r)
{
    if (!r->body.len)
        return reply_message(r, 400, "invalid JSON: the request body is empty");
    char *id = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_exec_create(r->engine, r->params[0], r->body.data, &id, &err) < 0)
        return reply_error(r, &err);
    json_t *doc = json_pack("{s:s}", "Id", id);
    free(id);
    return reply_json(r, 201, doc);
}

static int inspect(struct req *r)
{
    char *doc = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_exec_inspect(r->engine, r->params[0], &doc, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, doc);
}

static int resize(struct req *r)
{
    long h, w;
    if (!q_int(r, "h", -1, &h) || !q_int(r, "w", -1, &w) || h < 0 || w < 0)
        return reply_message(r, 400, "h and w must be non-negative integers");
    berth_error err = BERTH_ERROR_INIT;
    if (berth_exec_resize(r->engine, r->params[0], (unsigned)h, (unsigned)w, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 200);
}

struct session {
    struct hijack h;
    berth_attach *attach; /* NULL when the start failed: failure carries why */
    char *failure;
    /* the request's engine: the attach handle records the exit with it
     * when freed (exec.h), so it stays with the session until then */
    berth_engine *engine;
};

static void session_free(void *p)
{
    struct session *s = p;
    berth_attach_free(s->attach);
    engine_put(s->engine);
    free(s->failure);
    free(s);
}

static void tell_failure(const struct session *s, int sock)
{
    _cleanup_free_ char *line = xasprintf("%s\r\n", s->failure);
    hijack_send_frame(sock, s->h.tty, BERTH_STREAM_STDOUT, line, strlen(line));
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn;
    (void)con_cls;
    struct session *s = cls;
    if (s->attach) {
        berth_error err = BERTH_ERROR_INIT;
        if (extra_in_size && s->h.want_stdin)
            berth_attach_write(s->attach, extra_in, extra_in_size, &err);
        hijack_pump(&s->h, s->attach, sock); /* waits for the head to be read before output */
    } else {
        hijack_wait_head_read(sock);
        tell_failure(s, sock);
    }
    shutdown(sock, SHUT_RDWR);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    session_free(s);
}

/* Without an upgrade: the output only, in the body of a 200. */
static void produce(void *state, berth_engine *e, int fd, int cancel_fd)
{
    (void)e;
    struct session *s = state;
    if (!s->attach) {
        tell_failure(s, fd);
        return;
    }
    static __thread char buf[65536];
    berth_error err = BERTH_ERROR_INIT;
    berth_attach_close_stdin(s->attach, &err);
    for (;;) {
        struct pollfd p[2] = { { berth_attach_fd(s->attach), POLLIN, 0 },
                               { cancel_fd, POLLIN, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[1].revents)
            return;
        int stream;
        ssize_t n = berth_attach_read(s->attach, &stream, buf, sizeof buf, &err);
        if (n <= 0 || hijack_send_frame(fd, s->h.tty, stream, buf, (size_t)n) < 0)
            return;
    }
}

static bool wants_upgrade(struct req *r)
{
    const char *u = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Upgrade");
    return u && *u;
}

static int start(struct req *r)
{
    json_t *body = r->body.len ? json_loads(r->body.data, 0, NULL) : json_object();
    if (!json_is_object(body)) {
        json_decref(body);
        return reply_message(r, 400, "invalid JSON in the exec start request");
    }
    json_t *detach_v = json_object_get(body, "Detach"), *tty_v = json_object_get(body, "Tty");
    json_t *cs = json_object_get(body, "ConsoleSize");
    bool bad = (detach_v && !json_is_boolean(detach_v) && !json_is_null(detach_v)) ||
               (tty_v && !json_is_boolean(tty_v) && !json_is_null(tty_v)) ||
               (cs && !json_is_null(cs) &&
                (json_array_size(cs) != 2 || !json_is_integer(json_array_get(cs, 0)) ||
                 !json_is_integer(json_array_get(cs, 1)) ||
                 json_integer_value(json_array_get(cs, 0)) < 0 ||
                 json_integer_value(json_array_get(cs, 1)) < 0));
    berth_exec_start_opts so = BERTH_EXEC_START_OPTS_INIT;
    so.detach = json_is_true(detach_v);
    if (json_array_size(cs) == 2) {
        so.rows = (unsigned)json_integer_value(json_array_get(cs, 0));
        so.cols = (unsigned)json_integer_value(json_array_get(cs, 1));
    }
    json_decref(body);
    if (bad)
        return reply_message(r, 400,
                             "Detach and Tty must be booleans, ConsoleSize [height, width]");

    /* what the exec attaches, from its configuration */
    char *doc = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_exec_inspect(r->engine, r->params[0], &doc, &err) < 0)
        return reply_error(r, &err);
    json_t *x = json_loads(doc, 0, NULL);
    free(doc);
    struct session *s = xcalloc(1, sizeof *s);
    s->h.tty = tty_v && json_is_boolean(tty_v)
                   ? json_is_true(tty_v)
                   : json_is_true(json_object_get(json_object_get(x, "ProcessConfig"), "tty"));
    s->h.want_stdin = json_is_true(json_object_get(x, "OpenStdin"));
    s->h.stdin_once = true;
    const char *keys = json_string_value(json_object_get(x, "DetachKeys"));
    if (berth_detach_keys_parse(keys, &s->h.detach, &err) < 0)
        berth_detach_keys_parse(NULL, &s->h.detach, &err);
    json_decref(x);

    if (so.detach) {
        session_free(s);
        if (berth_exec_start(r->engine, r->params[0], &so, NULL, &err) < 0)
            return reply_error(r, &err);
        return reply_empty(r, 200);
    }
    if (berth_exec_start(r->engine, r->params[0], &so, &s->attach, &err) < 0) {
        if (err.code != BERTH_EINVAL) {
            session_free(s);
            return reply_error(r, &err);
        }
        s->failure = xstrdup(err.message); /* the command could not be run */
    }
    s->engine = r->engine;
    r->engine = NULL;
    if (!wants_upgrade(r))
        return reply_stream(r, 200, "application/vnd.docker.raw-stream", produce, s, session_free);
    return reply_upgrade(r, s->h.tty, NULL, on_upgrade, s);
}

const struct route exec_routes[] = {
    { "POST", "/containers/{}/exec", create, BODY_JSON },
    { "POST", "/exec/{}/start", start, BODY_JSON },
    { "POST", "/exec/{}/resize", resize, BODY_NONE },
    { "GET", "/exec/{}/json", inspect, BODY_NONE },
    { NULL, NULL, NULL, BODY_NONE },
};
