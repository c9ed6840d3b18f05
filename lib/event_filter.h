/* event_filter.h - Docker's filters of GET /events, with moby's matching
 * (daemon/events/filter.go): exact matches on type, scope and event (a
 * prefix match when an event filter names exec_create, exec_start or
 * health_status, whose actions carry a suffix), a prefix match on the
 * actor's ID or "name" attribute for container and the other kinds of
 * object, image by ID or name with or without tag, labels against the
 * attributes. Keys Docker does not know are ignored, as Docker does. */
#ifndef BERTH_EVENT_FILTER_H
#define BERTH_EVENT_FILTER_H

#include <jansson.h>
#include <stdbool.h>

#include <berth/error.h>

struct event_filter {
    json_t *args; /* {"key": ["value", ...]} */
};

/* Parses a filters document; NULL or "" is no filter. BERTH_EINVAL for a
 * document that is not Docker's shape. f is always initialized. */
int event_filter_parse(const char *text, struct event_filter *f, berth_error *err);
void event_filter_clear(struct event_filter *f);

/* Whether an event passes: type, action, actor ID, attributes (a JSON
 * object of strings, may be NULL). */
bool event_filter_match(const struct event_filter *f, const char *type, const char *action,
                        const char *actor_id, const json_t *attrs);

#endif
