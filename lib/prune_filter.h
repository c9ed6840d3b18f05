/* prune_filter.h - the filters of Docker's prune requests: "until",
 * "label", "label!" and, for images, "dangling", with moby's meaning
 * (daemon/prune.go, filters.Args.MatchKVList and GetBoolOrDefault). */
#ifndef BERTH_PRUNE_FILTER_H
#define BERTH_PRUNE_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <berth/error.h>

struct prune_filter {
    bool have_until;
    int64_t until;     /* Unix ns: what was created after it stays */
    char **labels;     /* "k" or "k=v": only what has all of them goes */
    char **not_labels; /* "label!": what has all of them stays */
    bool dangling;     /* images: only untagged ones (the default) */
};

/* Parses Docker's filters JSON ({"key": ["v", ...]}, or the older
 * {"key": {"v": true}}); NULL or "" is no filter. Durations in "until"
 * count back from now (Unix ns). "dangling" is accepted only with
 * images. An unknown key or a bad value is BERTH_EINVAL ("Invalid filter
 * 'key'"). f is always initialized; clear it with prune_filter_clear. */
int prune_filter_parse(const char *text, bool images, int64_t now, struct prune_filter *f,
                       berth_error *err);

void prune_filter_clear(struct prune_filter *f);

/* Whether an object created at created (Unix ns; 0 if unknown) with
 * labels (a JSON object of strings, or NULL) is selected by the "until",
 * "label" and "label!" filters. */
bool prune_filter_match(const struct prune_filter *f, int64_t created, const json_t *labels);

#endif
