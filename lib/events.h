/* events.h - the event log behind GET /events and `berth events`.
 *
 * Every action Docker reports as an event (container create, start, die,
 * ...; image import, tag, ...) is a row of the events table of the state
 * database, written by whichever process did the action (the CLI, berthd
 * or a container's monitor), so events survive a daemon restart and reach
 * API clients whoever acted.
 *
 * Waking readers. A reader that follows the log (lib/events_read.c) must
 * learn of rows that other processes commit, without polling. Each
 * writer touches a small file beside the database, "<db>-events"
 * (utimensat: one system call, no descriptor), and readers watch it with
 * inotify. The touch must come after the commit, or a woken reader could
 * look before the row is visible and then sleep past it: event_record
 * therefore does not touch the file itself but arms the connection's WAL
 * hook, which SQLite calls once the transaction has committed (the row is
 * visible to every other connection by then) and which then touches the
 * file. A reader adds its inotify watch before it reads what is already
 * there, so a commit is either seen by that read or wakes it afterwards:
 * nothing written between the catch-up and the following is missed.
 *
 * The table is bounded: every EVENTS_TRIM_EVERY-th event deletes what is
 * older than the newest EVENTS_KEEP (one range delete on the primary key). */
#ifndef BERTH_EVENTS_INT_H
#define BERTH_EVENTS_INT_H

#include <jansson.h>
#include <sqlite3.h>

#include <berth/error.h>

#define EVENTS_KEEP       10000
#define EVENTS_TRIM_EVERY 1000

/* Appends an event: type ("container", "image", ...), action ("start",
 * "die", "exec_create: sh -c ...") and the actor's ID, with the actor's
 * attributes (a JSON object of strings, borrowed; NULL for none). The time
 * is now. Call it inside the transaction of the action when there is one. */
int event_record(sqlite3 *db, const char *type, const char *action, const char *actor_id,
                 json_t *attributes, berth_error *err);

/* A container event with Docker's attributes: the container's labels,
 * then "image" (as the user gave it) and "name", then extra_attrs
 * (borrowed, may be NULL: "exitCode", "signal", "oldName", "execID"...).
 * The container's row must exist (record "destroy" before deleting it). */
int event_container(sqlite3 *db, const char *container_id, const char *action,
                    json_t *extra_attrs /* borrowed, may be NULL */, berth_error *err);

/* An image event as Docker's LogImageEvent: actor image_id
 * ("sha256:..."), attributes the image's labels and "name" (a familiar
 * reference, or the ID). The image's row must exist. */
int event_image(sqlite3 *db, const char *image_id, const char *action, const char *name,
                berth_error *err);

/* The file writers touch after committing events: "<database path>-events".
 * Caller frees. */
char *events_notify_path(sqlite3 *db);

#endif
