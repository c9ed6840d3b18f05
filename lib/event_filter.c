/* event_filter.c - the filters of GET /events (see event_filter.h). */
#include <string.h>

#include "errors.h"
#include "event_filter.h"
#include "filters.h"
#include "ref.h"
#include "util.h"

int event_filter_parse(const char *text, struct event_filter *f, berth_error *err)
{
    f->args = json_object();
    json_t *j;
    int r = filters_load(text, &j, err);
    if (r < 0)
        return r;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        _cleanup_strv_ char **vals = NULL;
        if (!filter_values(v, &vals)) {
            r = berr(err, BERTH_EINVAL, "Invalid filter '%s'", key); /* key is j's */
            json_decref(j);
            return r;
        }
        json_t *arr = json_array();
        for (size_t i = 0; vals && vals[i]; i++)
            json_array_append_new(arr, json_string(vals[i]));
        json_object_set_new(f->args, key, arr);
    }
    json_decref(j);
    return 0;
}

void event_filter_clear(struct event_filter *f)
{
    json_decref(f->args);
    f->args = NULL;
}

static const json_t *values(const struct event_filter *f, const char *key)
{
    const json_t *v = json_object_get(f->args, key);
    return json_array_size(v) ? v : NULL;
}

/* filters.Args.ExactMatch: no values for key, or source is one of them. */
static bool exact(const struct event_filter *f, const char *key, const char *source)
{
    const json_t *vals = values(f, key);
    if (!vals)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v)
    {
        if (str_eq(json_string_value(v), source))
            return true;
    }
    return false;
}

/* filters.Args.FuzzyMatch: ExactMatch, or source starts with a value. */
static bool fuzzy(const struct event_filter *f, const char *key, const char *source)
{
    if (exact(f, key, source))
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(values(f, key), i, v)
    {
        if (source && str_has_prefix(source, json_string_value(v)))
            return true;
    }
    return false;
}

static const char *attr(const json_t *attrs, const char *name)
{
    return json_string_value(json_object_get(attrs, name));
}

static bool match_name(const struct event_filter *f, const char *key, const char *actor_id,
                       const json_t *attrs)
{
    return fuzzy(f, key, actor_id) || fuzzy(f, key, attr(attrs, "name"));
}

static bool match_event(const struct event_filter *f, const char *action)
{
    size_t i;
    json_t *v;
    json_array_foreach(values(f, "event"), i, v)
    {
        const char *s = json_string_value(v);
        if (str_eq(s, "exec_create") || str_eq(s, "exec_start") || str_eq(s, "health_status"))
            return fuzzy(f, "event", action);
    }
    return exact(f, "event", action);
}

/* moby's stripTag: the familiar name without tag or digest; what does not
 * parse as a reference stays as it is. */
static char *strip_tag(const char *image)
{
    struct ref r;
    if (!image || ref_parse(image, &r, NULL) < 0)
        return image ? xstrdup(image) : NULL;
    char *name = ref_familiar_name(&r);
    ref_clear(&r);
    return name;
}

static bool match_image(const struct event_filter *f, const char *type, const char *actor_id,
                        const json_t *attrs)
{
    if (!values(f, "image"))
        return true;
    const char *name = attr(attrs, str_eq(type, "image") ? "name" : "image");
    if (!name)
        name = "";
    if (exact(f, "image", actor_id) || exact(f, "image", name))
        return true;
    _cleanup_free_ char *id_stripped = strip_tag(actor_id);
    _cleanup_free_ char *name_stripped = strip_tag(name);
    return exact(f, "image", id_stripped) || exact(f, "image", name_stripped);
}

/* filters.Args.MatchKVList: every "k" or "k=v" value is in attrs. */
static bool match_labels(const struct event_filter *f, const json_t *attrs)
{
    const json_t *vals = values(f, "label");
    if (!vals)
        return true;
    if (json_object_size(attrs) == 0)
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v)
    {
        const char *kv = json_string_value(v);
        const char *eq = strchr(kv, '=');
        _cleanup_free_ char *k = eq ? xstrndup(kv, eq - kv) : xstrdup(kv);
        const char *have = attr(attrs, k);
        if (!have || (eq && strcmp(have, eq + 1) != 0))
            return false;
    }
    return true;
}

bool event_filter_match(const struct event_filter *f, const char *type, const char *action,
                        const char *actor_id, const json_t *attrs)
{
    static const char *const by_name[] = { "daemon",  "container", "plugin", "volume", "network",
                                           "service", "node",      "secret", "config" };
    if (!match_event(f, action) || !exact(f, "type", type))
        return false;
    if (values(f, "scope") && !exact(f, "scope", "local"))
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(by_name); i++)
        if (!match_name(f, by_name[i], actor_id, attrs))
            return false;
    return match_image(f, type, actor_id, attrs) && match_labels(f, attrs);
}
