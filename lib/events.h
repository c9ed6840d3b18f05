/* events.h - the event log behind GET /events and `berth events`.
 *
 * Every action Docker reports as an event (container create, start, die,
 * ...; image import, tag, ...) is a row of the events table of the state
 * database, written by whichever process did the action (the CLI, berthd
 * or a container's monitor), so events survive a daemon restart and reach
 * API clients whoever acted. */
#ifndef BERTH_EVENTS_H
#define BERTH_EVENTS_H

#include <jansson.h>
#include <sqlite3.h>

#include <berth/error.h>

/* Appends an event: type ("container", "image", ...), action ("start",
 * "die", "exec_create: sh -c ...") and the actor's ID, with the actor's
 * attributes (a JSON object of strings, borrowed; NULL for none). The time
 * is now. Call it inside the transaction of the action when there is one. */
int event_record(sqlite3 *db, const char *type, const char *action, const char *actor_id,
                 json_t *attributes, berth_error *err);

#endif
