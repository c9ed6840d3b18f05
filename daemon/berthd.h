/* berthd.h - the daemon's shared declarations.
 *
 * berthd is thin: it turns Docker Engine API requests into libberth calls
 * and libberth's answers into Docker's responses. It holds no state that
 * matters; everything is in the state root that libberth manages, shared
 * with the berth CLI. */
#ifndef BERTHD_H
#define BERTHD_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include <berth/berth.h>

#include "util.h"

#define API_VERSION     "1.44"
#define API_MIN_VERSION "1.24"

struct req;
typedef int (*handler_fn)(struct req *r);

enum body_kind {
    BODY_NONE, /* anything sent is ignored */
    BODY_JSON, /* collected in memory (limited) */
    BODY_PIPE, /* streamed into a pipe read by a worker (tar uploads) */
};

struct route {
    const char *method;
    const char *pattern; /* "/containers/{}/json"; {} matches one segment */
    handler_fn fn;
    enum body_kind body;
};

struct req {
    struct MHD_Connection *conn;
    const char *method;
    char *path;    /* without the /vX.Y prefix */
    int api_minor; /* the version the client asked for, e.g. 44 */
    const struct route *route;
    char *params[4]; /* the {} segments */
    buf_t body;
    bool body_too_large;
    bool bad_content_type; /* a JSON route's body declared as something else */
    /* BODY_PIPE: the handler's worker reads pipe_rd; the upload goes to pipe_wr */
    int pipe_rd, pipe_wr;
    bool pipe_started;
    void *pipe_state;
    void *result; /* a BODY_PIPE worker's outcome, for the final call */
    void (*free_result)(void *);
    berth_engine *engine;
    bool responded;
    /* one more response header (X-Docker-Container-Path-Stat), if set */
    const char *extra_header;
    char *extra_value;
};

/* engines.c: a pool of engine handles (one is never used by two threads at
 * once). */
int engines_init(const berth_engine_opts *opts, berth_error *err);
berth_engine *engine_get(void);
void engine_put(berth_engine *e);
/* Closes idle handles beyond keep (each holds a database connection and
 * its page cache) and empties the caches of those kept. */
void engines_trim(size_t keep);
void engines_free(void);

/* server.c */
struct MHD_Daemon *server_start(int listen_fd, berth_error *err);
/* When the last request ended (monotonic ns; 0: none yet), or -1 while one
 * is in progress. */
int64_t server_idle_since(void);

/* Query arguments. */
const char *q_str(struct req *r, const char *name);
/* Docker's booleans: 1/0, true/false, True/False; absent: fallback. */
bool q_bool(struct req *r, const char *name, bool fallback);
/* An integer argument; false (and a 400 already sent) when malformed. */
bool q_int(struct req *r, const char *name, long fallback, long *out);

/* Responses (respond.c). Each returns MHD_YES/MHD_NO for the handler to
 * return. */
int reply_json(struct req *r, unsigned status, json_t *doc);     /* steals doc */
int reply_json_text(struct req *r, unsigned status, char *text); /* takes text */
/* A stream of JSON documents, one per line, as the progress streams of
 * load, import and pull: chunked, as clients parse such answers line by
 * line only when they come without a length. Steals lines (an array). */
int reply_json_lines(struct req *r, unsigned status, json_t *lines);
int reply_empty(struct req *r, unsigned status);
int reply_error(struct req *r, const berth_error *err);
int reply_message(struct req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 501 for an endpoint berth does not have (yet); a route handler. */
int reply_not_implemented(struct req *r);

/* A streamed body: producer runs on a worker thread and writes to fd (a
 * pipe whose other end becomes the chunked response); it should stop when a
 * write fails (the client went away) or cancel_fd becomes readable. */
typedef void (*producer_fn)(void *state, berth_engine *e, int fd, int cancel_fd);
int reply_stream(struct req *r, unsigned status, const char *content_type, producer_fn fn,
                 void *state, void (*free_state)(void *));

/* The connection's socket, readable when the client sends more or goes
 * away: the cancel descriptor for long waits. */
int client_fd(struct req *r);

/* All values of a repeated query argument (?names=a&names=b); caller
 * frees the vector. */
char **q_all(struct req *r, const char *name);
/* The Dockerfile instructions of ?changes= (repeated, or several lines in
 * one value), one per element; NULL when none. */
char **q_changes(struct req *r);

/* True while a BODY_PIPE route's fn runs as the worker that reads the
 * upload from r->pipe_rd; false on the final call that answers. */
static inline bool in_pipe_worker(const struct req *r)
{
    return r->pipe_rd >= 0;
}

/* Routes. */
extern const struct route system_routes[];
extern const struct route container_routes[];
extern const struct route exec_routes[];
extern const struct route image_routes[];
extern const struct route volume_routes[];
extern const struct route event_routes[];

/* attach.c */
int handle_attach(struct req *r);
/* GET /containers/{id}/attach/ws: the same over a websocket. */
int handle_attach_ws(struct req *r);

/* attach.c: the raw stream of a hijacked connection (attach, exec start). */
struct hijack {
    bool tty;        /* raw output; else Docker's 8-byte frames */
    bool want_stdin; /* the client's bytes go to the process */
    bool stdin_once; /* the client's EOF closes the process's stdin */
    berth_detach_keys detach;
};
int hijack_send_frame(int sock, bool tty, int stream, const char *data, size_t len);
/* Copies until the process ends, the client goes or types the detach keys.
 * Before the first output it waits for the client to have read the 101
 * head (hijack_wait_head_read); a process that prints nothing costs no
 * wait. */
void hijack_pump(const struct hijack *h, berth_attach *attach, int sock);
/* Answers 101 with Upgrade: tcp and Docker's stream content type (or,
 * given the websocket accept key, Upgrade: websocket); fn gets the
 * connection once the head is out. */
int reply_upgrade(struct req *r, bool tty, const char *ws_accept, MHD_UpgradeHandler fn, void *cls);
/* Waits (briefly) until the client has read the 101 head off the socket. */
void hijack_wait_head_read(int sock);

/* api_commit.c */
int handle_changes(struct req *r);
int handle_commit(struct req *r);

/* api_stats.c */
int handle_stats(struct req *r);
int handle_top(struct req *r);

/* api_archive.c: GET/HEAD/PUT /containers/{id}/archive and export */
int handle_archive_get(struct req *r);
int handle_archive_put(struct req *r);
int handle_export(struct req *r);

/* The response headers every answer carries. */
void add_common_headers(struct MHD_Response *resp);

#endif
