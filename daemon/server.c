/* server.c - the HTTP side: libmicrohttpd with a thread per connection (a
 * slow client or a long wait holds only its own thread), versioned and
 * unversioned paths, routing, request bodies, query arguments.
 *
 * Request bodies are collected in memory for JSON endpoints (up to
 * JSON_BODY_MAX) and streamed through a pipe to a worker thread for tar
 * uploads, so an image of any size never sits in memory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "berthd.h"

/* A create request with every setting spelled out is a few kB; this leaves
 * room for thousands of labels or environment variables while bounding
 * what one connection can make berthd hold. */
#define JSON_BODY_MAX (4u << 20)
/* per connection, reset (zeroed) by libmicrohttpd for every request:
 * headers longer than this get 431 */
#define HEADER_MEMORY (64u << 10)
/* A connection that sends or reads nothing for this long is closed (a slow
 * or stuck client). Long waits inside a response are not affected. */
#define IDLE_TIMEOUT 300

const char *q_str(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct collect {
    const char *name;
    char **values;
};

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct collect *c = cls;
    if (key && value && strcmp(key, c->name) == 0)
        strv_push(&c->values, value);
    return MHD_YES;
}

char **q_all(struct req *r, const char *name)
{
    struct collect c = { name, NULL };
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_value, &c);
    return c.values;
}

bool q_bool(struct req *r, const char *name, bool fallback)
{
    const char *v = q_str(r, name);
    if (!v)
        return fallback;
    if (!*v)
        return true; /* "?stream" alone */
    return strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0 && strcasecmp(v, "no") != 0;
}

bool q_int(struct req *r, const char *name, long fallback, long *out)
{
    const char *v = q_str(r, name);
    if (!v || !*v) {
        *out = fallback;
        return true;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end) {
        reply_message(r, 400, "invalid value for %s: %s", name, v);
        return false;
    }
    *out = n;
    return true;
}

/* "/v1.41/containers/json" -> "/containers/json", minor 41. Returns false
 * for an unsupported version (*bad set to the text). */
static bool strip_version(const char *url, char **path, int *minor, char **bad)
{
    *minor = 44;
    *bad = NULL;
    if (url[0] == '/' && url[1] == 'v' && url[2] >= '0' && url[2] <= '9') {
        const char *p = url + 2;
        char *end;
        long major = strtol(p, &end, 10);
        if (*end == '.') {
            long mi = strtol(end + 1, &end, 10);
            if (*end == '/' || *end == '\0') {
                int len = (int)(end - (url + 2));
                if (major != 1 || mi < 24 || mi > 44) {
                    *bad = xasprintf("%.*s", len, url + 2);
                    return false;
                }
                *minor = (int)mi;
                *path = xstrdup(*end ? end : "/");
                return true;
            }
        }
    }
    *path = xstrdup(url);
    return true;
}

static const struct route *const route_tables[] = { system_routes, container_routes, image_routes,
                                                    volume_routes, exec_routes,      event_routes };

static size_t split(char *path, char **segs, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *s = strtok_r(path, "/", &save); s && n < max; s = strtok_r(NULL, "/", &save))
        segs[n++] = s;
    return n;
}

/* Matches a pattern against path segments. "{}" captures one segment;
 * "{*}" (at most one) captures one or more, joined by '/', since image
 * names contain slashes. Captures go to caps (caller frees). */
static bool match(const char *pattern, char **segs, size_t nseg, char **caps, size_t *ncaps)
{
    _cleanup_free_ char *pat = xstrdup(pattern);
    char *ps[16];
    size_t np = split(pat, ps, 16);
    size_t star = np;
    for (size_t i = 0; i < np; i++)
        if (strcmp(ps[i], "{*}") == 0)
            star = i;
    if (star == np ? nseg != np : nseg < np)
        return false;
    size_t suffix = star == np ? 0 : np - star - 1;
    *ncaps = 0;
    for (size_t i = 0; i < np; i++) {
        if (i == star) {
            buf_t b = { 0 };
            for (size_t k = star; k < nseg - suffix; k++)
                buf_appendf(&b, "%s%s", k > star ? "/" : "", segs[k]);
            caps[(*ncaps)++] = buf_steal(&b);
            continue;
        }
        const char *seg = i < star ? segs[i] : segs[nseg - (np - i)];
        if (strcmp(ps[i], "{}") == 0)
            caps[(*ncaps)++] = xstrdup(seg);
        else if (strcmp(ps[i], seg) != 0)
            goto no;
    }
    return true;
no:
    for (size_t k = 0; k < *ncaps; k++)
        free(caps[k]);
    *ncaps = 0;
    return false;
}

/* Finds the route and fills params. *path_known tells a wrong method from
 * an unknown path. */
static const struct route *find_route(struct req *r, bool *path_known)
{
    *path_known = false;
    char *segs[32];
    _cleanup_free_ char *copy = xstrdup(r->path);
    size_t nseg = split(copy, segs, 32);
    for (size_t t = 0; t < ARRAY_SIZE(route_tables); t++) {
        for (const struct route *rt = route_tables[t]; rt->pattern; rt++) {
            char *caps[4];
            size_t ncaps = 0;
            if (!match(rt->pattern, segs, nseg, caps, &ncaps))
                continue;
            *path_known = true;
            bool method_ok = strcmp(rt->method, r->method) == 0 ||
                             (strcmp(rt->method, "GET") == 0 && strcmp(r->method, "HEAD") == 0);
            if (!method_ok) {
                for (size_t k = 0; k < ncaps; k++)
                    free(caps[k]);
                continue;
            }
            for (size_t k = 0; k < ncaps && k < ARRAY_SIZE(r->params); k++)
                r->params[k] = caps[k];
            return rt;
        }
    }
    return NULL;
}

static void req_free(struct req *r)
{
    if (!r)
        return;
    if (r->pipe_wr >= 0)
        close(r->pipe_wr);
    if (r->pipe_rd >= 0)
        close(r->pipe_rd);
    for (size_t i = 0; i < ARRAY_SIZE(r->params); i++)
        free(r->params[i]);
    buf_free(&r->body);
    if (r->free_result)
        r->free_result(r->result);
    engine_put(r->engine);
    free(r->extra_value);
    free(r->path);
    free(r);
}

/* Requests in progress, and when the last one ended (monotonic ns): the
 * main thread gives memory back once berthd has been idle a while. */
static atomic_int active_requests;
static _Atomic int64_t last_completion;

int64_t server_idle_since(void)
{
    return atomic_load(&active_requests) > 0 ? -1 : atomic_load(&last_completion);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    (void)code;
    if (*con_cls) {
        req_free(*con_cls);
        *con_cls = NULL;
        atomic_store(&last_completion, monotonic_ns());
        atomic_fetch_sub(&active_requests, 1);
    }
}

/* BODY_PIPE routes: the route's worker reads the upload from a pipe on its
 * own thread while the connection thread writes what arrives. */
struct pipe_worker {
    pthread_t thread;
    struct req *r;
};

static void *pipe_worker_main(void *p)
{
    struct req *r = p;
    r->route->fn(r); /* in worker mode: reads r->pipe_rd, keeps its result */
    close(r->pipe_rd);
    r->pipe_rd = -1;
    return NULL;
}

static bool start_pipe(struct req *r)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return false;
    r->pipe_rd = p[0];
    r->pipe_wr = p[1];
    struct pipe_worker *w = xcalloc(1, sizeof *w);
    w->r = r;
    r->pipe_state = w;
    if (pthread_create(&w->thread, NULL, pipe_worker_main, r) != 0) {
        free(w);
        r->pipe_state = NULL;
        return false;
    }
    r->pipe_started = true;
    return true;
}

static void finish_pipe(struct req *r)
{
    if (!r->pipe_started)
        return;
    close(r->pipe_wr);
    r->pipe_wr = -1;
    struct pipe_worker *w = r->pipe_state;
    pthread_join(w->thread, NULL);
    free(w);
    r->pipe_state = NULL;
    r->pipe_started = false;
}

/* Checks made when the headers of a request with a JSON body are in, so
 * that a body that will be refused is never read: false when answered. */
static bool json_body_acceptable(struct req *r)
{
    const char *len = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Transfer-Encoding");
    unsigned long long n = len ? strtoull(len, NULL, 10) : 0;
    if (n > JSON_BODY_MAX) {
        reply_message(r, 413, "request body too large: %llu bytes (at most %u)", n, JSON_BODY_MAX);
        return false;
    }
    if (n == 0 && !te)
        return true; /* no body */
    /* as dockerd: no Content-Type, or JSON's */
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    if (!ct || !*ct)
        return true;
    size_t mlen = strcspn(ct, ";");
    while (mlen && (ct[mlen - 1] == ' ' || ct[mlen - 1] == '\t'))
        mlen--;
    if (mlen == strlen("application/json") && strncasecmp(ct, "application/json", mlen) == 0)
        return true;
    /* answered once the body is read: answering first would close the
     * connection under a client still sending it (EPIPE on its side) */
    r->bad_content_type = true;
    return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct req *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        r->conn = conn;
        r->method = method;
        r->pipe_rd = r->pipe_wr = -1;
        char *bad = NULL;
        if (!strip_version(url, &r->path, &r->api_minor, &bad)) {
            r->path = bad; /* answered at the end of the request */
            r->api_minor = -1;
        } else {
            bool known;
            r->route = find_route(r, &known);
            if (!r->route && known)
                r->api_minor = -2; /* wrong method */
        }
        *con_cls = r;
        atomic_fetch_add(&active_requests, 1);
        if (r->route && r->route->body == BODY_JSON)
            json_body_acceptable(r);
        return MHD_YES;
    }
    if (*upload_size && r->responded) {
        *upload_size = 0; /* refused already: the rest is dropped */
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->route && r->route->body == BODY_JSON) {
            if (r->bad_content_type)
                ; /* read and dropped */
            else if (r->body.len + *upload_size > JSON_BODY_MAX)
                r->body_too_large = true;
            else
                buf_append(&r->body, upload_data, *upload_size);
        } else if (r->route && r->route->body == BODY_PIPE && r->api_minor >= 0) {
            if (!r->pipe_started && !start_pipe(r))
                r->body_too_large = true;
            /* a worker that stopped reading early makes this fail: the
             * rest of the upload is dropped */
            if (r->pipe_wr >= 0 && write_all(r->pipe_wr, upload_data, *upload_size) < 0) {
                close(r->pipe_wr);
                r->pipe_wr = -1;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->responded)
        return MHD_YES;
    if (r->api_minor == -1)
        return reply_message(r, 400,
                             "client version %s is not supported: this berthd speaks API "
                             "versions " API_MIN_VERSION " to " API_VERSION,
                             r->path);
    if (r->api_minor == -2)
        return reply_message(r, 405, "%s is not allowed on %s", method, r->path);
    if (!r->route)
        return reply_message(r, 404, "page not found");
    if (r->body_too_large)
        return reply_message(r, 413, "request body too large");
    if (r->bad_content_type)
        return reply_message(r, 400,
                             "unsupported Content-Type header (%s): must be 'application/json'",
                             MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type"));
    r->engine = engine_get();
    if (!r->engine)
        return reply_message(r, 500, "cannot open the state root");
    if (r->route->body == BODY_PIPE) {
        if (!r->pipe_started && !start_pipe(r))
            return reply_message(r, 500, "cannot start a worker");
        finish_pipe(r);
    }
    return (enum MHD_Result)r->route->fn(r);
}

struct MHD_Daemon *server_start(int listen_fd, berth_error *err)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG | MHD_USE_POLL;
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET,
                         listen_fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT, MHD_OPTION_END);
    if (!d) {
        err->code = BERTH_EINTERNAL;
        snprintf(err->message, sizeof err->message, "cannot start the HTTP server");
        return NULL;
    }
    return d;
}
