/* api_images.c - the /images endpoints: list, inspect, tag, remove,
 * import (POST /images/create?fromSrc=-), load, save (get), and an honest
 * answer to pulls, which berth does not do yet. Uploaded tars stream
 * through a pipe to a worker thread; results that come after the 200 (load,
 * import, pull) are reported in the body as Docker does, with errorDetail
 * for failures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berthd.h"

static json_t *stream_line(const char *key, const char *text)
{
    return json_pack("{s:s}", key, text);
}

static json_t *error_line(const char *msg)
{
    return json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg);
}

static int list(struct req *r)
{
    berth_image_list_opts lo = BERTH_IMAGE_LIST_OPTS_INIT;
    lo.all = q_bool(r, "all", false);
    lo.filters_json = q_str(r, "filters");
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_list(r->engine, &lo, &out, &err) < 0)
        return reply_error(r, &err);
    if (r->api_minor >= 43)
        return reply_json_text(r, 200, out);
    /* older clients expect placeholders for untagged images */
    json_t *arr = json_loads(out, 0, NULL);
    free(out);
    size_t i;
    json_t *img;
    json_array_foreach(arr, i, img)
    {
        if (json_array_size(json_object_get(img, "RepoTags")) == 0)
            json_object_set_new(img, "RepoTags", json_pack("[s]", "<none>:<none>"));
        if (json_array_size(json_object_get(img, "RepoDigests")) == 0)
            json_object_set_new(img, "RepoDigests", json_pack("[s]", "<none>@<none>"));
    }
    return reply_json(r, 200, arr);
}

static int history(struct req *r)
{
    char *doc = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_history(r->engine, r->params[0], &doc, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, doc);
}

static int inspect(struct req *r)
{
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_inspect(r->engine, r->params[0], &out, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, out);
}

static int tag(struct req *r)
{
    const char *repo = q_str(r, "repo");
    const char *tg = q_str(r, "tag");
    if (!repo || !*repo)
        return reply_message(r, 400, "repository name must have at least one component");
    _cleanup_free_ char *target = tg && *tg ? xasprintf("%s:%s", repo, tg) : xstrdup(repo);
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_tag(r->engine, r->params[0], target, &err) < 0)
        return reply_error(r, &err);
    return reply_empty(r, 201);
}

static int remove_(struct req *r)
{
    char *report = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_remove(r->engine, r->params[0], q_bool(r, "force", false),
                           q_bool(r, "noprune", false), &report, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, report);
}

/* ---- uploads: import and load ----------------------------------------- */

struct upload_result {
    bool failed;
    berth_error err;
    json_t *lines;
};

static void upload_result_free(void *p)
{
    struct upload_result *u = p;
    if (u)
        json_decref(u->lines);
    free(u);
}

static void on_progress(void *ud, const char *line)
{
    struct upload_result *u = ud;
    _cleanup_free_ char *with_nl = xasprintf("%s\n", line);
    json_array_append_new(u->lines, stream_line("stream", with_nl));
}

/* Reads what is left of an upload the engine did not want. */
static void drain(int fd)
{
    char buf[65536];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static int load(struct req *r)
{
    if (in_pipe_worker(r)) {
        struct upload_result *u = xcalloc(1, sizeof *u);
        u->lines = json_array();
        berth_engine *e = engine_get();
        if (!e || berth_image_load(e, r->pipe_rd, on_progress, u, &u->err) < 0) {
            u->failed = true;
            if (!e)
                snprintf(u->err.message, sizeof u->err.message, "cannot open the state root");
        }
        engine_put(e);
        drain(r->pipe_rd);
        r->result = u;
        r->free_result = upload_result_free;
        return MHD_YES;
    }
    struct upload_result *u = r->result;
    if (!u)
        return reply_message(r, 500, "the load did not run");
    json_t *lines = json_deep_copy(u->lines);
    if (u->failed)
        json_array_append_new(lines, error_line(u->err.message));
    /* quiet=1 only silences progress, which berth does not send: the
     * "Loaded image" lines are the result, as in Docker */
    return reply_json_lines(r, 200, lines);
}

char **q_changes(struct req *r)
{
    /* ?changes=... may repeat; each value may hold several lines */
    _cleanup_strv_ char **raw = q_all(r, "changes");
    char **out = NULL;
    for (size_t i = 0; raw && raw[i]; i++) {
        _cleanup_free_ char *copy = xstrdup(raw[i]);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
            if (*line)
                strv_push(&out, line);
    }
    return out;
}

static void import_worker(struct req *r)
{
    struct upload_result *u = xcalloc(1, sizeof *u);
    u->lines = json_array();
    _cleanup_strv_ char **changes = q_changes(r);
    const char *repo = q_str(r, "repo");
    const char *tg = q_str(r, "tag");
    _cleanup_free_ char *ref = NULL;
    if (repo && *repo)
        ref = tg && *tg ? xasprintf("%s:%s", repo, tg) : xstrdup(repo);
    berth_import_opts io = BERTH_IMPORT_OPTS_INIT;
    io.reference = ref;
    io.changes = (const char *const *)changes;
    io.n_changes = strv_length(changes);
    io.message = q_str(r, "message");
    char *id = NULL;
    berth_engine *e = engine_get();
    if (!e || berth_image_import(e, r->pipe_rd, &io, &id, &u->err) < 0) {
        u->failed = true;
        if (!e)
            snprintf(u->err.message, sizeof u->err.message, "cannot open the state root");
    } else {
        json_array_append_new(u->lines, stream_line("status", id));
    }
    berth_free(id);
    engine_put(e);
    drain(r->pipe_rd);
    r->result = u;
    r->free_result = upload_result_free;
}

/* POST /images/create: fromSrc (import) or fromImage (pull). */
static int create(struct req *r)
{
    const char *src = q_str(r, "fromSrc");
    const char *image = q_str(r, "fromImage");
    if (in_pipe_worker(r)) {
        if (src && strcmp(src, "-") == 0)
            import_worker(r);
        return MHD_YES;
    }
    if (src) {
        if (strcmp(src, "-") != 0)
            return reply_json_lines(r, 200,
                                    json_pack("[o]", error_line("importing from a URL is not "
                                                                "supported by berth (no network "
                                                                "access); send the tar as the "
                                                                "request body with fromSrc=-")));
        struct upload_result *u = r->result;
        if (!u)
            return reply_message(r, 500, "the import did not run");
        json_t *lines = json_deep_copy(u->lines);
        if (u->failed)
            json_array_append_new(lines, error_line(u->err.message));
        return reply_json_lines(r, 200, lines);
    }
    if (image && *image) {
        /* named as Docker shows names: without the default registry */
        if (str_has_prefix(image, "docker.io/library/"))
            image += strlen("docker.io/library/");
        else if (str_has_prefix(image, "docker.io/"))
            image += strlen("docker.io/");
        const char *tg = q_str(r, "tag");
        _cleanup_free_ char *name =
            tg && *tg && !strchr(image, '@') ? xasprintf("%s:%s", image, tg) : xstrdup(image);
        _cleanup_free_ char *msg =
            xasprintf("pull access denied for %s: berth cannot pull images yet; load or import it "
                      "(docker load, docker import)",
                      name);
        return reply_json_lines(r, 200, json_pack("[o]", error_line(msg)));
    }
    return reply_message(r, 400, "one of fromSrc or fromImage is required");
}

/* ---- save ---------------------------------------------------------------- */

struct save_state {
    char **names;
};

static void save_free(void *p)
{
    struct save_state *s = p;
    strv_free(s->names);
    free(s);
}

static void save_producer(void *state, berth_engine *e, int fd, int cancel_fd)
{
    (void)cancel_fd;
    struct save_state *s = state;
    berth_error err = BERTH_ERROR_INIT;
    /* a failure half way can only cut the stream: the status is sent */
    berth_image_save(e, (const char *const *)s->names, strv_length(s->names), fd, &err);
}

static int save_names(struct req *r, char **names)
{
    if (!names)
        return reply_message(r, 400, "no image names given");
    /* every name must exist before the 200 goes out */
    for (size_t i = 0; names[i]; i++) {
        char *id = NULL;
        berth_error err = BERTH_ERROR_INIT;
        if (berth_image_resolve(r->engine, names[i], &id, &err) < 0) {
            strv_free(names);
            return reply_error(r, &err);
        }
        berth_free(id);
    }
    struct save_state *s = xcalloc(1, sizeof *s);
    s->names = names;
    return reply_stream(r, 200, "application/x-tar", save_producer, s, save_free);
}

static int get_one(struct req *r)
{
    char **names = NULL;
    strv_push(&names, r->params[0]);
    return save_names(r, names);
}

static int get_many(struct req *r)
{
    return save_names(r, q_all(r, "names"));
}

static int prune(struct req *r)
{
    const char *f = q_str(r, "filters");
    char *report = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_prune(r->engine, f && *f ? f : NULL, &report, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, report);
}

const struct route image_routes[] = {
    { "GET", "/images/json", list, BODY_NONE },
    { "POST", "/images/create", create, BODY_PIPE },
    { "POST", "/images/load", load, BODY_PIPE },
    { "GET", "/images/get", get_many, BODY_NONE },
    { "POST", "/images/prune", prune, BODY_NONE },
    { "GET", "/images/search", reply_not_implemented, BODY_NONE },
    { "GET", "/images/{*}/json", inspect, BODY_NONE },
    { "GET", "/images/{*}/get", get_one, BODY_NONE },
    { "GET", "/images/{*}/history", history, BODY_NONE },
    { "POST", "/images/{*}/tag", tag, BODY_NONE },
    { "POST", "/images/{*}/push", reply_not_implemented, BODY_NONE },
    { "DELETE", "/images/{*}", remove_, BODY_NONE },
    { NULL, NULL, NULL, BODY_NONE },
};
