/* api_volumes.c - the /volumes endpoints berth serves: list and inspect
 * of the anonymous volumes its containers have. */
#include "berthd.h"

static int list(struct req *r)
{
    const char *f = q_str(r, "filters");
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_volume_list(r->engine, f && *f ? f : NULL, &out, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, out);
}

static int inspect(struct req *r)
{
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_volume_inspect(r->engine, r->params[0], &out, &err) < 0)
        return reply_error(r, &err);
    return reply_json_text(r, 200, out);
}

const struct route volume_routes[] = {
    { "GET", "/volumes", list, BODY_NONE },
    { "GET", "/volumes/{*}", inspect, BODY_NONE },
    { "POST", "/volumes/{*}", reply_not_implemented, BODY_NONE },
    { "DELETE", "/volumes/{*}", reply_not_implemented, BODY_NONE },
    { NULL, NULL, NULL, BODY_NONE },
};
