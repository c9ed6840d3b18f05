/* api_containers.c - the /containers endpoints of the Docker Engine API,
 * each a thin translation to one libberth call. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "berthd.h"

static int create(struct req *r)
{
    const char *platform = q_str(r, "platform");
    if (platform && *platform && strcmp(platform, "linux") != 0 &&
        strcmp(platform, "linux/amd64") != 0 && strcmp(platform, "linux/x86_64") != 0)
        return reply_message(r, 400,
                             "\"%s\": unknown or unsupported platform (berth runs "
                             "linux/amd64)",
                             platform);
    if (!r->body.len)
        return reply_message(r, 400, "invalid JSON: the request body is empty");
    berth_create_opts co = BERTH_CREATE_OPTS_INIT;
    co.name = q_str(r, "name");
    co.config_json = r->body.data;
    char *id = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_create(r->engine, &co, &id, &err) < 0)
        return reply_error(r, &err);
    json_t *doc = json_pack("{s:s, s:[]}", "Id", id, "Warnings");
    free(id);
    return reply_json(r, 201, doc);
}

/* Adds the legacy before/since query arguments to the filters document. */
static char *list_filters(struct req *r)
{
    const char *f = q_str(r, "filters");
    json_t *doc = f && *f ? json_loads(f, 0, NULL) : json_object();
    if (!doc)
        return f ? xstrdup(f) : NULL; /* let the engine report the bad JSON */
    const char *legacy[] = { "before", "since" };
    for (size_t i = 0; i < ARRAY_SIZE(legacy); i++) {
        const char *v = q_str(r, legacy[i]);
        if (v && *v)
            json_object_set_new(doc, legacy[i], json_pack("[s]", v));
    }
    char *s = json_object_size(doc) ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

static int list(struct req *r)
{
    berth_list_opts lo = BERTH_LIST_OPTS_INIT;
    long limit;
    if (!q_int(r, "limit", -1, &limit))
        return MHD_YES;
    lo.all = q_bool(r, "all", false);
    lo.size = q_bool(r, "size", false);
    lo.limit = limit > 0 ? (int)limit : 0;
    _cleanup_free_ char *filters = list_filters(r);
    lo.filters_json = filters;
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_list(r->engine, &lo, &out, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, out);
}

static int inspect(struct req *r)
{
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_inspect(r->engine, r->params[0], &out, &err) < 0)
        return reply_error(r, &err);
    if (!q_bool(r, "size", false))
        return reply_json_text(r, 200, out);
    /* the sizes come with the list */
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    const char *id = json_string_value(json_object_get(doc, "Id"));
    _cleanup_free_ char *filters = xasprintf("{\"id\":[\"^%s$\"]}", id);
    berth_list_opts lo = BERTH_LIST_OPTS_INIT;
    lo.all = true;
    lo.size = true;
    lo.filters_json = filters;
    char *ls = NULL;
    if (berth_container_list(r->engine, &lo, &ls, &err) == 0) {
        json_t *arr = json_loads(ls, 0, NULL);
        json_t *one = json_array_get(arr, 0);
        json_object_set(doc, "SizeRw", json_object_get(one, "SizeRw"));
        json_object_set(doc, "SizeRootFs", json_object_get(one, "SizeRootFs"));
        json_decref(arr);
        free(ls);
    }
    return reply_json(r, 200, doc);
}

/* The container's before_start hook (attach.c): attach requests waiting
 * for this container connect before its process runs. */
void pending_attach_connect(void *userdata, berth_engine *e, const char *id);

static int start(struct req *r)
{
    if (r->body.len) {
        json_t *b = json_loads(r->body.data, 0, NULL);
        bool empty = b && json_is_object(b) && json_object_size(b) == 0;
        json_decref(b);
        if (!empty && !(r->body.len == 4 && memcmp(r->body.data, "null", 4) == 0))
            return reply_message(r, 400,
                                 "starting container with non-empty request body was "
                                 "deprecated since API v1.22 and removed in v1.24");
    }
    berth_start_opts so = BERTH_START_OPTS_INIT;
    so.before_start = pending_attach_connect;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_start(r->engine, r->params[0], &so, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 204);
}

static bool timeout_arg(struct req *r, long *t)
{
    /* "t", or "timeout" from older clients; -1: the container's own */
    if (q_str(r, "t"))
        return q_int(r, "t", -1, t);
    return q_int(r, "timeout", -1, t);
}

static int stop(struct req *r)
{
    long t;
    if (!timeout_arg(r, &t))
        return MHD_YES;
    berth_error err = BERTH_ERROR_INIT;
    const char *sig = q_str(r, "signal");
    if (berth_container_stop(r->engine, r->params[0], (int)t, sig && *sig ? sig : NULL, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 204);
}

static int restart(struct req *r)
{
    long t;
    if (!timeout_arg(r, &t))
        return MHD_YES;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_restart(r->engine, r->params[0], (int)t, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 204);
}

static int kill_(struct req *r)
{
    berth_error err = BERTH_ERROR_INIT;
    const char *sig = q_str(r, "signal");
    if (berth_container_kill(r->engine, r->params[0], sig && *sig ? sig : NULL, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 204);
}

static int rename_(struct req *r)
{
    const char *name = q_str(r, "name");
    if (!name || !*name)
        return reply_message(r, 400, "Neither old nor new names may be empty");
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_rename(r->engine, r->params[0], name, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 204);
}

static int remove_(struct req *r)
{
    if (q_bool(r, "link", false))
        return reply_message(r, 400, "berth has no links to remove");
    berth_remove_opts ro = BERTH_REMOVE_OPTS_INIT;
    ro.force = q_bool(r, "force", false);
    ro.volumes = q_bool(r, "v", false);
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_remove(r->engine, r->params[0], &ro, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 204);
}

/* ---- wait -------------------------------------------------------------- */

static void wait_producer(void *state, berth_engine *e, int fd, int cancel_fd)
{
    (void)e;
    berth_waiter *w = state;
    int code = 0;
    berth_error err = BERTH_ERROR_INIT;
    json_t *doc;
    if (berth_waiter_wait(w, cancel_fd, &code, &err) < 0)
        doc = json_pack("{s:{s:s}, s:i}", "Error", "Message", err.message, "StatusCode", -1);
    else
        doc = json_pack("{s:n, s:i}", "Error", "StatusCode", code);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    write_all(fd, s, strlen(s));
    write_all(fd, "\n", 1);
    free(s);
}

static void waiter_free(void *p)
{
    berth_waiter_free(p);
}

static int wait_(struct req *r)
{
    const char *cond = q_str(r, "condition");
    berth_wait_condition c = BERTH_WAIT_NOT_RUNNING;
    if (cond && *cond) {
        if (strcmp(cond, "not-running") == 0)
            c = BERTH_WAIT_NOT_RUNNING;
        else if (strcmp(cond, "next-exit") == 0)
            c = BERTH_WAIT_NEXT_EXIT;
        else if (strcmp(cond, "removed") == 0)
            c = BERTH_WAIT_REMOVED;
        else
            return reply_message(r, 400, "invalid condition: \"%s\"", cond);
    }
    /* registered before the headers go out: the client may start the
     * container as soon as it has them */
    berth_waiter *w = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_wait_begin(r->engine, r->params[0], c, &w, &err) < 0)
        return reply_error(r, &err);
    return reply_stream(r, 200, "application/json", wait_producer, w, waiter_free);
}

/* ---- logs -------------------------------------------------------------- */

struct logs_state {
    char *id;
    berth_logs_opts opts;
    bool tty, timestamps;
    int fd;
    /* Without follow the frames are gathered and written 64 kB at a time
     * (with timestamps there is a callback per line); a followed log is
     * written as it comes. */
    buf_t out;
};

#define LOGS_FLUSH_AT (64u << 10)

static int logs_flush(struct logs_state *s)
{
    int r = s->out.len ? write_all(s->fd, s->out.data, s->out.len) : 0;
    s->out.len = 0;
    return r;
}

static int log_frame(void *ud, int stream, int64_t ts, const char *data, size_t len)
{
    struct logs_state *s = ud;
    char prefix[48];
    size_t plen = 0;
    if (s->timestamps) {
        format_rfc3339nano_fixed(ts, prefix, sizeof prefix - 1);
        plen = strlen(prefix);
        prefix[plen++] = ' ';
    }
    unsigned char hdr[8] = { (unsigned char)stream, 0, 0, 0 };
    uint32_t total = (uint32_t)(plen + len);
    hdr[4] = total >> 24;
    hdr[5] = total >> 16;
    hdr[6] = total >> 8;
    hdr[7] = total;
    size_t hlen = s->tty ? 0 : sizeof hdr;
    if (!s->opts.follow && s->out.len + hlen + plen + len <= LOGS_FLUSH_AT) {
        buf_append(&s->out, hdr, hlen);
        buf_append(&s->out, prefix, plen);
        buf_append(&s->out, data, len);
        return 0;
    }
    if (logs_flush(s) < 0)
        return 1;
    struct iovec iov[3] = { { hdr, hlen }, { prefix, plen }, { (void *)data, len } };
    return writev_all(s->fd, iov, 3) < 0 ? 1 : 0;
}

static void logs_producer(void *state, berth_engine *e, int fd, int cancel_fd)
{
    struct logs_state *s = state;
    s->fd = fd;
    s->opts.cancel_fd = cancel_fd;
    berth_error err = BERTH_ERROR_INIT;
    berth_container_logs(e, s->id, &s->opts, log_frame, s, &err);
    logs_flush(s);
}

static void logs_free(void *p)
{
    struct logs_state *s = p;
    free(s->id);
    buf_free(&s->out);
    free(s);
}

static bool time_arg(struct req *r, const char *name, int64_t *out)
{
    const char *v = q_str(r, name);
    *out = 0;
    if (!v || !*v || strcmp(v, "0") == 0)
        return true;
    if (parse_time_arg(v, now_ns(), out) < 0) {
        reply_message(r, 400, "invalid value for %s: %s", name, v);
        return false;
    }
    return true;
}

static int logs(struct req *r)
{
    struct logs_state *s = xcalloc(1, sizeof *s);
    berth_logs_opts lo = BERTH_LOGS_OPTS_INIT;
    s->opts = lo;
    s->opts.want_stdout = q_bool(r, "stdout", false);
    s->opts.want_stderr = q_bool(r, "stderr", false);
    s->opts.follow = q_bool(r, "follow", false);
    s->timestamps = q_bool(r, "timestamps", false);
    s->opts.lines = s->timestamps;
    if (!s->opts.want_stdout && !s->opts.want_stderr) {
        logs_free(s);
        return reply_message(r, 400, "Bad parameters: you must choose at least one stream");
    }
    const char *tail = q_str(r, "tail");
    if (tail && *tail && strcmp(tail, "all") != 0) {
        char *end;
        long n = strtol(tail, &end, 10);
        if (*end) {
            logs_free(s);
            return reply_message(r, 400, "invalid value for tail: %s", tail);
        }
        s->opts.tail = n < 0 ? -1 : n;
    }
    if (!time_arg(r, "since", &s->opts.since_ns) || !time_arg(r, "until", &s->opts.until_ns)) {
        logs_free(s);
        return MHD_YES;
    }
    /* the container must exist, and its TTY decides the framing */
    char *doc = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_inspect(r->engine, r->params[0], &doc, &err) < 0) {
        logs_free(s);
        return reply_error(r, &err);
    }
    json_t *j = json_loads(doc, 0, NULL);
    free(doc);
    s->tty = json_is_true(json_object_get(json_object_get(j, "Config"), "Tty"));
    s->id = xstrdup(json_string_value(json_object_get(j, "Id")));
    json_decref(j);
    return reply_stream(r, 200,
                        s->tty ? "application/vnd.docker.raw-stream"
                               : "application/vnd.docker.multiplexed-stream",
                        logs_producer, s, logs_free);
}

/* A terminal dimension: a decimal number 0..65535 (Docker's uint). */
static bool resize_arg(struct req *r, const char *name, const char *what, unsigned *out)
{
    const char *v = q_str(r, name);
    char *end = NULL;
    unsigned long n = v && *v >= '0' && *v <= '9' ? strtoul(v, &end, 10) : 0;
    if (!end || *end || n > 65535) {
        reply_message(r, 400, "invalid resize %s \"%s\"", what, v ? v : "");
        return false;
    }
    *out = (unsigned)n;
    return true;
}

static int resize(struct req *r)
{
    unsigned h, w;
    if (!resize_arg(r, "h", "height", &h) || !resize_arg(r, "w", "width", &w))
        return MHD_YES;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_resize(r->engine, r->params[0], h, w, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 200);
}

static int pause_(struct req *r)
{
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_pause(r->engine, r->params[0], &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 204);
}

static int unpause(struct req *r)
{
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_unpause(r->engine, r->params[0], &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 204);
}

static int prune(struct req *r)
{
    const char *f = q_str(r, "filters");
    char *report = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_prune(r->engine, f && *f ? f : NULL, &report, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, report);
}

const struct route container_routes[] = {
    { "POST", "/containers/create", create, BODY_JSON },
    { "GET", "/containers/json", list, BODY_NONE },
    { "POST", "/containers/prune", prune, BODY_NONE },
    { "GET", "/containers/{}/json", inspect, BODY_NONE },
    { "POST", "/containers/{}/start", start, BODY_JSON },
    { "POST", "/containers/{}/stop", stop, BODY_NONE },
    { "POST", "/containers/{}/restart", restart, BODY_NONE },
    { "POST", "/containers/{}/kill", kill_, BODY_NONE },
    { "POST", "/containers/{}/wait", wait_, BODY_NONE },
    { "POST", "/containers/{}/rename", rename_, BODY_NONE },
    { "POST", "/containers/{}/pause", pause_, BODY_NONE },
    { "POST", "/containers/{}/unpause", unpause, BODY_NONE },
    { "DELETE", "/containers/{}", remove_, BODY_NONE },
    { "GET", "/containers/{}/logs", logs, BODY_NONE },
    { "POST", "/containers/{}/attach", handle_attach, BODY_NONE },
    { "GET", "/containers/{}/attach/ws", handle_attach_ws, BODY_NONE },
    { "GET", "/containers/{}/top", handle_top, BODY_NONE },
    { "GET", "/containers/{}/stats", handle_stats, BODY_NONE },
    { "GET", "/containers/{}/changes", handle_changes, BODY_NONE },
    { "GET", "/containers/{}/export", handle_export, BODY_NONE },
    { "GET", "/containers/{}/archive", handle_archive_get, BODY_NONE }, /* and HEAD */
    { "PUT", "/containers/{}/archive", handle_archive_put, BODY_PIPE },
    { "POST", "/containers/{}/resize", resize, BODY_NONE },
    { "POST", "/containers/{}/update", reply_not_implemented, BODY_NONE },
    { "POST", "/commit", handle_commit, BODY_JSON },
    { NULL, NULL, NULL, BODY_NONE },
};
