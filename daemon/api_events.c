/* api_events.c - GET /events: the event log as Docker streams it, one
 * JSON document per line in a chunked answer. The log is libberth's
 * (every process that acts on the root records there), so the stream
 * shows what the berth CLI and the monitors do as well as what berthd
 * does, and `since` reaches back across restarts of berthd. */
#include <stdlib.h>
#include <string.h>

#include "berthd.h"

struct events_state {
    berth_events_opts opts;
    char *filters;
    int fd;
};

static void events_free(void *p)
{
    struct events_state *s = p;
    free(s->filters);
    free(s);
}

/* Writes one event and its newline; a failed write (the client went
 * away) stops the stream. */
static int send_event(void *ud, const char *json, size_t len)
{
    struct events_state *s = ud;
    char *line = xmalloc(len + 1);
    memcpy(line, json, len);
    line[len] = '\n';
    int r = write_all(s->fd, line, len + 1);
    free(line);
    return r < 0 ? 1 : 0;
}

static void events_producer(void *state, berth_engine *e, int fd, int cancel_fd)
{
    struct events_state *s = state;
    s->fd = fd;
    s->opts.cancel_fd = cancel_fd;
    berth_error err = BERTH_ERROR_INIT;
    berth_events(e, &s->opts, send_event, s, &err);
}

/* since/until: Unix seconds with an optional fraction
 * ("1700000000.123456789"), as clients send them, or RFC 3339. Docker
 * takes "0" as the epoch: every recorded event. */
static bool event_time(struct req *r, const char *name, int64_t *out)
{
    const char *v = q_str(r, name);
    *out = 0;
    if (!v || !*v)
        return true;
    if (parse_time_arg(v, now_ns(), out) < 0) {
        reply_message(r, 400, "invalid %s timestamp: %s", name, v);
        return false;
    }
    if (*out <= 0)
        *out = 1;
    return true;
}

static int events(struct req *r)
{
    struct events_state *s = xcalloc(1, sizeof *s);
    berth_events_opts init = BERTH_EVENTS_OPTS_INIT;
    s->opts = init;
    if (!event_time(r, "since", &s->opts.since_ns) || !event_time(r, "until", &s->opts.until_ns)) {
        events_free(s);
        return MHD_YES;
    }
    /* Without since: with until, every recorded event up to it, as Docker
     * sends all it has buffered; else what happens from the request on
     * (not from when the producer thread gets going: a client that acts
     * once it has the headers sees its action). */
    if (!s->opts.since_ns)
        s->opts.since_ns = s->opts.until_ns ? 1 : now_ns();
    const char *filters = q_str(r, "filters");
    s->filters = filters ? xstrdup(filters) : NULL;
    s->opts.filters_json = s->filters;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_events_check(&s->opts, &err) < 0) {
        events_free(s);
        return reply_error(r, &err);
    }
    return reply_stream(r, 200, "application/json", events_producer, s, events_free);
}

const struct route event_routes[] = {
    { "GET", "/events", events, BODY_NONE },
    { NULL, NULL, NULL, BODY_NONE },
};
