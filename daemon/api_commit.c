/* api_commit.c - GET /containers/{id}/changes and POST /commit. */
#include <string.h>

#include "berthd.h"

int handle_changes(struct req *r)
{
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_changes(r->engine, r->params[0], &out, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, out);
}

/* POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=,
 * the body a Config to use instead of the container's. */
int handle_commit(struct req *r)
{
    const char *repo = q_str(r, "repo");
    const char *tag = q_str(r, "tag");
    _cleanup_free_ char *ref = NULL;
    if (repo && *repo)
        ref = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
    else if (tag && *tag)
        return reply_message(r, 400, "invalid reference format: a tag (%s) needs a repository",
                             tag);
    _cleanup_strv_ char **changes = q_changes(r);
    berth_commit_opts o = BERTH_COMMIT_OPTS_INIT;
    o.reference = ref;
    o.comment = q_str(r, "comment");
    o.author = q_str(r, "author");
    o.pause = q_bool(r, "pause", true);
    o.changes = (const char *const *)changes;
    o.n_changes = strv_length(changes);
    o.config_json = r->body.len ? r->body.data : NULL;
    const char *container = q_str(r, "container");
    char *id = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_commit(r->engine, container ? container : "", &o, &id, &err) < 0)
        return reply_error(r, &err);
    json_t *doc = json_pack("{s:s}", "Id", id);
    berth_free(id);
    return reply_json(r, 201, doc);
}
