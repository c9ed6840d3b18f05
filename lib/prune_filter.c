/* prune_filter.c - Docker's prune filters, parsed once and matched per
 * container or image. Matching follows moby exactly, quirks included: a
 * "label" filter never selects an object without labels, and several
 * "label!" values keep only what has all of them. */
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "filters.h"
#include "prune_filter.h"
#include "util.h"

static char *joined(char *const *v)
{
    buf_t b = { 0 };
    for (size_t i = 0; v && v[i]; i++)
        buf_appendf(&b, "%s%s", i ? "," : "", v[i]);
    return buf_steal(&b);
}

static int parse_dangling(char *const *vals, bool *out, berth_error *err)
{
    bool is_true = false, is_false = false;
    for (size_t i = 0; vals && vals[i]; i++) {
        if (!strcasecmp(vals[i], "true") || !strcmp(vals[i], "1"))
            is_true = true;
        else if (!strcasecmp(vals[i], "false") || !strcmp(vals[i], "0"))
            is_false = true;
    }
    if (is_true == is_false) {
        /* none, unknown values only, or both: moby's GetBoolOrDefault */
        _cleanup_free_ char *v = joined(vals);
        return berr(err, BERTH_EINVAL, *v ? "Invalid filter 'dangling=%s'" : "Invalid filter '%s'",
                    *v ? v : "dangling");
    }
    *out = is_true;
    return 0;
}

int prune_filter_parse(const char *text, bool images, int64_t now, struct prune_filter *f,
                       berth_error *err)
{
    memset(f, 0, sizeof *f);
    f->dangling = true;
    json_t *j;
    int r = filters_load(text, &j, err);
    if (r < 0 || !j)
        return r;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        bool known = !strcmp(key, "until") || !strcmp(key, "label") || !strcmp(key, "label!") ||
                     (images && !strcmp(key, "dangling"));
        _cleanup_strv_ char **vals = NULL;
        if (!known || !filter_values(v, &vals)) {
            r = berr(err, BERTH_EINVAL, "Invalid filter '%s'", key);
            break;
        }
        if (!strcmp(key, "label")) {
            for (size_t i = 0; vals && vals[i]; i++)
                strv_push(&f->labels, vals[i]);
        } else if (!strcmp(key, "label!")) {
            for (size_t i = 0; vals && vals[i]; i++)
                strv_push(&f->not_labels, vals[i]);
        } else if (!strcmp(key, "dangling")) {
            if ((r = parse_dangling(vals, &f->dangling, err)) < 0)
                break;
        } else if (strv_length(vals) > 1) {
            r = berr(err, BERTH_EINVAL, "more than one until filter specified");
            break;
        } else if (vals) {
            if (parse_time_arg(vals[0], now, &f->until) < 0) {
                r = berr(err, BERTH_EINVAL, "Invalid filter 'until=%s'", vals[0]);
                break;
            }
            f->have_until = true;
        }
    }
    json_decref(j);
    if (r < 0)
        prune_filter_clear(f);
    return r;
}

void prune_filter_clear(struct prune_filter *f)
{
    strv_free(f->labels);
    strv_free(f->not_labels);
    f->labels = f->not_labels = NULL;
}

/* moby's filters.Args.MatchKVList: true when there are no wanted labels,
 * false when there are and the object has no labels at all, else whether
 * it has every wanted key (with the wanted value, when one is given). */
static bool match_kv_list(char *const *want, const json_t *labels)
{
    if (!want || !want[0])
        return true;
    if (!json_is_object(labels) || json_object_size(labels) == 0)
        return false;
    for (size_t i = 0; want[i]; i++) {
        const char *eq = strchr(want[i], '=');
        _cleanup_free_ char *k = eq ? xstrndup(want[i], eq - want[i]) : xstrdup(want[i]);
        json_t *v = json_object_get(labels, k);
        if (!v)
            return false;
        const char *have = json_is_string(v) ? json_string_value(v) : "";
        if (eq && strcmp(have, eq + 1) != 0)
            return false;
    }
    return true;
}

bool prune_filter_match(const struct prune_filter *f, int64_t created, const json_t *labels)
{
    /* moby skips what was created after until, and an image whose
     * creation time is unknown */
    if (f->have_until && (created <= 0 || created > f->until))
        return false;
    if (!match_kv_list(f->labels, labels))
        return false;
    if (f->not_labels && match_kv_list(f->not_labels, labels))
        return false;
    return true;
}
