/* respond.c - building Docker-shaped responses: JSON bodies, errors
 * ({"message": ...} with the status that matches the error code), empty
 * answers, and streamed bodies produced by a worker thread. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berthd.h"

void add_common_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    MHD_add_response_header(resp, "Docker-Experimental", "false");
    MHD_add_response_header(resp, "Ostype", "linux");
    MHD_add_response_header(resp, "Server", "berth/" BERTH_VERSION " (linux)");
}

static int queue(struct req *r, unsigned status, struct MHD_Response *resp)
{
    if (!resp)
        return MHD_NO;
    add_common_headers(resp);
    if (r->extra_header && r->extra_value)
        MHD_add_response_header(resp, r->extra_header, r->extra_value);
    int ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return ret;
}

int reply_json_text(struct req *r, unsigned status, char *text)
{
    size_t len = strlen(text);
    /* a newline after the document, as Docker's encoder writes */
    text = xrealloc(text, len + 2);
    text[len++] = '\n';
    text[len] = '\0';
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    return queue(r, status, resp);
}

/* A body already in memory, sent chunked (without a length). */
struct chunked_body {
    buf_t b;
    size_t off;
};

static ssize_t chunked_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct chunked_body *c = cls;
    size_t n = c->b.len - c->off;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n > max)
        n = max;
    memcpy(buf, c->b.data + c->off, n);
    c->off += n;
    return (ssize_t)n;
}

static void chunked_free(void *cls)
{
    struct chunked_body *c = cls;
    buf_free(&c->b);
    free(c);
}

int reply_json_lines(struct req *r, unsigned status, json_t *lines)
{
    struct chunked_body *c = xcalloc(1, sizeof *c);
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        char *s = json_dumps(l, JSON_COMPACT | JSON_PRESERVE_ORDER);
        buf_appendf(&c->b, "%s\r\n", s);
        free(s);
    }
    json_decref(lines);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                                  chunked_read, c, chunked_free);
    if (!resp) {
        chunked_free(c);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    return queue(r, status, resp);
}

int reply_json(struct req *r, unsigned status, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref(doc);
    return reply_json_text(r, status, text ? text : xstrdup("null"));
}

int reply_empty(struct req *r, unsigned status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    return queue(r, status, resp);
}

int reply_message(struct req *r, unsigned status, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return reply_json(r, status, json_pack("{s:s}", "message", msg));
}

int reply_not_implemented(struct req *r)
{
    return reply_message(r, 501, "%s %s is not implemented by berth yet", r->method, r->path);
}

int reply_error(struct req *r, const berth_error *err)
{
    int status = berth_code_http_status(err->code ? err->code : BERTH_EINTERNAL);
    if (status == 304)
        return reply_empty(r, 304);
    return reply_message(r, (unsigned)status, "%s", err->message[0] ? err->message : "error");
}

int client_fd(struct req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

/* ---- streamed bodies -------------------------------------------------- */

struct stream {
    int rd; /* the body comes out of here */
    int wr; /* the producer writes here */
    int cancel_rd, cancel_wr;
    int client;
    pthread_t thread;
    producer_fn fn;
    void *state;
    void (*free_state)(void *);
    berth_engine *engine;
};

static void *producer_main(void *p)
{
    struct stream *s = p;
    s->fn(s->state, s->engine, s->wr, s->cancel_rd);
    close(s->wr);
    s->wr = -1;
    return NULL;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *s = cls;
    for (;;) {
        struct pollfd p[2] = { { s->rd, POLLIN, 0 }, { s->client, POLLRDHUP, 0 } };
        if (poll(p, s->client >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (p[0].revents) {
            ssize_t n = read(s->rd, buf, max);
            if (n > 0)
                return n;
            if (n == 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
            return MHD_CONTENT_READER_END_WITH_ERROR; /* the client went away */
    }
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    /* tell the producer to stop, and make its writes fail */
    close(s->cancel_wr);
    close(s->rd);
    pthread_join(s->thread, NULL);
    close(s->cancel_rd);
    if (s->free_state)
        s->free_state(s->state);
    engine_put(s->engine);
    free(s);
}

int reply_stream(struct req *r, unsigned status, const char *content_type, producer_fn fn,
                 void *state, void (*free_state)(void *))
{
    struct stream *s = xcalloc(1, sizeof *s);
    int body[2], cancel[2];
    if (pipe2(body, O_CLOEXEC) < 0) {
        free(s);
        if (free_state)
            free_state(state);
        return reply_message(r, 500, "pipe: %s", strerror(errno));
    }
    if (pipe2(cancel, O_CLOEXEC) < 0) {
        close(body[0]);
        close(body[1]);
        free(s);
        if (free_state)
            free_state(state);
        return reply_message(r, 500, "pipe: %s", strerror(errno));
    }
    s->rd = body[0];
    s->wr = body[1];
    s->cancel_rd = cancel[0];
    s->cancel_wr = cancel[1];
    s->client = client_fd(r);
    s->fn = fn;
    s->state = state;
    s->free_state = free_state;
    /* the engine now belongs to the producer, until the stream is freed */
    s->engine = r->engine;
    r->engine = NULL;
    if (pthread_create(&s->thread, NULL, producer_main, s) != 0) {
        r->engine = s->engine;
        close(body[0]);
        close(body[1]);
        close(cancel[0]);
        close(cancel[1]);
        if (free_state)
            free_state(state);
        free(s);
        return reply_message(r, 500, "cannot start a thread");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    return queue(r, status, resp);
}
