/* api_archive.c - a container's files as tar archives: GET, HEAD and PUT
 * /containers/{id}/archive (docker cp) and GET /containers/{id}/export.
 *
 * GET and HEAD answer with the path's stat as base64 JSON in
 * X-Docker-Container-Path-Stat; GET then streams the tar. A PUT body is an
 * upload: it streams through a pipe to a worker (server.c's BODY_PIPE),
 * which hands it to libberth, and the final call answers with the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "berthd.h"

#define STAT_HEADER "X-Docker-Container-Path-Stat"

static char *base64(const char *text)
{
    size_t n = strlen(text);
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)n);
    return out;
}

struct get_state {
    char *id, *path;
};

static void get_free(void *p)
{
    struct get_state *s = p;
    free(s->id);
    free(s->path);
    free(s);
}

static void get_producer(void *state, berth_engine *e, int fd, int cancel_fd)
{
    (void)cancel_fd;
    struct get_state *s = state;
    berth_error err = BERTH_ERROR_INIT;
    /* a failure half way can only cut the stream: the status is sent */
    berth_container_archive_get(e, s->id, s->path, fd, NULL, NULL, &err);
}

static bool path_given(struct req *r, const char **path)
{
    *path = q_str(r, "path");
    if (!*path || !**path) {
        reply_message(r, 400, "bad parameter: path cannot be empty");
        return false;
    }
    return true;
}

int handle_archive_get(struct req *r)
{
    const char *path;
    if (!path_given(r, &path))
        return MHD_YES;
    char *stat = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_archive_stat(r->engine, r->params[0], path, &stat, &err) < 0)
        return reply_error(r, &err);
    r->extra_header = STAT_HEADER;
    r->extra_value = base64(stat);
    berth_free(stat);
    if (strcmp(r->method, "HEAD") == 0)
        return reply_empty(r, 200);
    struct get_state *s = xcalloc(1, sizeof *s);
    s->id = xstrdup(r->params[0]);
    s->path = xstrdup(path);
    return reply_stream(r, 200, "application/x-tar", get_producer, s, get_free);
}

struct put_result {
    int code;
    berth_error err;
};

static void drain(int fd)
{
    char buf[65536];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

int handle_archive_put(struct req *r)
{
    if (in_pipe_worker(r)) {
        struct put_result *u = xcalloc(1, sizeof *u);
        berth_archive_put_opts o = BERTH_ARCHIVE_PUT_OPTS_INIT;
        o.no_overwrite_dir_non_dir = q_bool(r, "noOverwriteDirNonDir", false);
        o.copy_uid_gid = q_bool(r, "copyUIDGID", false);
        const char *path = q_str(r, "path");
        berth_engine *e = engine_get();
        if (!e) {
            u->code = BERTH_EINTERNAL;
            snprintf(u->err.message, sizeof u->err.message, "cannot open the state root");
        } else if (path && *path) {
            u->code = berth_container_archive_put(e, r->params[0], path, r->pipe_rd, &o, &u->err);
        }
        engine_put(e);
        drain(r->pipe_rd);
        r->result = u;
        r->free_result = free;
        return MHD_YES;
    }
    const char *path;
    if (!path_given(r, &path))
        return MHD_YES;
    struct put_result *u = r->result;
    if (!u)
        return reply_message(r, 500, "the extraction did not run");
    if (u->code < 0) {
        u->err.code = u->code;
        return reply_error(r, &u->err);
    }
    return reply_empty(r, 200);
}

struct export_state {
    char *id;
};

static void export_free(void *p)
{
    struct export_state *s = p;
    free(s->id);
    free(s);
}

static void export_producer(void *state, berth_engine *e, int fd, int cancel_fd)
{
    (void)cancel_fd;
    struct export_state *s = state;
    berth_error err = BERTH_ERROR_INIT;
    berth_container_export(e, s->id, fd, &err);
}

int handle_export(struct req *r)
{
    /* the container must exist before the 200 goes out */
    char *doc = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_inspect(r->engine, r->params[0], &doc, &err) < 0)
        return reply_error(r, &err);
    berth_free(doc);
    struct export_state *s = xcalloc(1, sizeof *s);
    s->id = xstrdup(r->params[0]);
    return reply_stream(r, 200, "application/x-tar", export_producer, s, export_free);
}
