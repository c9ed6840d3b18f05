/* api_stats.c - GET /containers/{id}/stats and GET /containers/{id}/top.
 *
 * Stats, as dockerd answers them: stream=true (the default) sends one
 * document a second, each on its own line of a chunked body, until the
 * client goes or the container is removed (a container that does not run
 * gets Docker's zeroed document each second, as moby's collector
 * publishes, so that `docker stats` shows it with zeros); stream=false
 * waits for a second sample so that precpu_stats is filled (CPU % needs
 * two), unless one-shot=true asks for the first at once; it answers a
 * container that does not run with the zeroed document at once. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "berthd.h"

struct stats_req {
    berth_stats *st;
    char *first; /* the document read before the headers went out */
    bool stream;
};

static void stats_req_free(void *p)
{
    struct stats_req *s = p;
    berth_stats_free(s->st);
    free(s->first);
    free(s);
}

/* The document and its newline in one write, so that they reach the
 * client in one chunk: docker-py fails on a stream whose last chunk is a
 * lone newline. */
static bool send_doc(int fd, const char *doc)
{
    _cleanup_free_ char *line = xasprintf("%s\n", doc);
    return write_all(fd, line, strlen(line)) == 0;
}

/* Waits a second; false when the client went away meanwhile. */
static bool tick(int cancel_fd)
{
    struct pollfd p = { cancel_fd, POLLIN, 0 };
    return poll(&p, 1, 1000) == 0;
}

static void stats_producer(void *state, berth_engine *e, int fd, int cancel_fd)
{
    (void)e;
    struct stats_req *s = state;
    if (s->stream && !send_doc(fd, s->first))
        return;
    while (tick(cancel_fd)) {
        char *doc = NULL;
        berth_error err = BERTH_ERROR_INIT;
        /* < 0: the container was removed meanwhile */
        int r = berth_stats_read(s->st, &doc, &err);
        bool ok = r >= 0 && send_doc(fd, doc);
        berth_free(doc);
        if (!ok || !s->stream)
            return;
    }
}

int handle_stats(struct req *r)
{
    bool stream = q_bool(r, "stream", true);
    bool one_shot = q_bool(r, "one-shot", false);
    if (stream && one_shot)
        return reply_message(r, 400, "cannot have stream=true and one-shot=true");
    berth_error err = BERTH_ERROR_INIT;
    struct stats_req *s = xcalloc(1, sizeof *s);
    s->stream = stream;
    if (berth_stats_open(r->engine, r->params[0], &s->st, &err) < 0) {
        stats_req_free(s);
        return reply_error(r, &err);
    }
    int running = berth_stats_read(s->st, &s->first, &err);
    if (running < 0) {
        stats_req_free(s);
        return reply_error(r, &err);
    }
    if (!stream && (running == 0 || one_shot)) {
        /* Docker answers at once: the zeroed document of a container
         * that does not run, or the one-shot sample */
        char *doc = s->first;
        s->first = NULL;
        stats_req_free(s);
        return reply_json_text(r, 200, doc);
    }
    return reply_stream(r, 200, "application/json", stats_producer, s, stats_req_free);
}

int handle_top(struct req *r)
{
    char *doc = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_top(r->engine, r->params[0], q_str(r, "ps_args"), &doc, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, doc);
}
