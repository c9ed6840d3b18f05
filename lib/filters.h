/* filters.h - Docker's filters documents: {"key": ["v", ...]}, the older
 * {"key": {"v": true}}, or a single string, as every list and prune
 * endpoint takes them. */
#ifndef BERTH_FILTERS_H
#define BERTH_FILTERS_H

#include <jansson.h>
#include <stdbool.h>

#include <berth/error.h>

/* The values of one key (v may be NULL: none). false when v has another
 * shape (*out then holds what was read before the bad part). */
bool filter_values(const json_t *v, char ***out);

/* Parses a filters document: *out is its object (caller decrefs), NULL
 * when text is NULL or "". BERTH_EINVAL when it is not a JSON object. */
int filters_load(const char *text, json_t **out, berth_error *err);

#endif
