/* berth/events.h - the event log: what happened to containers and images,
 * as Docker's GET /events reports it.
 *
 * Every process that acts on a state root (the berth CLI, berthd, the
 * containers' monitors, your program) records its actions in the root's
 * state database, so a reader sees them all, including those from before
 * it started or from before a restart of berthd. The newest 10000 events
 * are kept.
 */
#ifndef BERTH_EVENTS_H
#define BERTH_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <berth/engine.h>
#include <berth/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_EVENTS_OPTS_VERSION 1

typedef struct berth_events_opts {
    unsigned version;
    /* Unix ns. since > 0: first the recorded events from then on; 0: none
     * of the past, only what happens from now. */
    int64_t since_ns;
    /* Unix ns. 0: follow new events until cancelled; a time in the past:
     * the recorded events up to it, then return; a time to come: follow
     * new events until then. */
    int64_t until_ns;
    /* Docker's filters document ({"type": ["container"], "event":
     * ["start"], ...}); NULL or "" for none. Keys: type, event, container
     * (ID, ID prefix or name), image (ID or reference, with or without
     * tag), label ("k" or "k=v"), scope, and the kinds berth records none
     * of (volume, network, daemon, plugin, service, node, secret,
     * config); other keys are ignored, as Docker does. */
    const char *filters_json;
    /* Readable (or closed at the other end): stop following and return 0.
     * -1: none. */
    int cancel_fd;
} berth_events_opts;

#define BERTH_EVENTS_OPTS_INIT                                                                     \
    {                                                                                              \
        BERTH_EVENTS_OPTS_VERSION, 0, 0, NULL, -1                                                  \
    }

/* Called with each event in order, as Docker's JSON document (one line,
 * no newline): {"status", "id", "from", "Type", "Action", "Actor": {"ID",
 * "Attributes"}, "scope": "local", "time", "timeNano"}, status/id/from
 * only for container and image events. The text is borrowed for the call.
 * A non-zero return stops the stream (berth_events then returns 0). */
typedef int (*berth_event_fn)(void *userdata, const char *event_json, size_t len);

/* Checks opts (the filters document, since <= until) without reading
 * anything: BERTH_EINVAL with Docker's message when they are bad. */
int berth_events_check(const berth_events_opts *opts, berth_error *err);

/* Sends the events that opts select to fn: the recorded ones from since,
 * then (unless until has passed) new ones as they are recorded by any
 * process, without polling, until until, cancel_fd or fn says stop. */
int berth_events(berth_engine *engine, const berth_events_opts *opts, berth_event_fn fn,
                 void *userdata, berth_error *err);

#ifdef __cplusplus
}
#endif
#endif
