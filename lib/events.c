/* events.c - appending to the event log (see events.h for the design). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "events.h"
#include "db.h"
#include "errors.h"
#include "util.h"

char *events_notify_path(sqlite3 *db)
{
    const char *path = sqlite3_db_filename(db, "main");
    return xasprintf("%s-events", path && *path ? path : "berth.db");
}

/* The connection's WAL hook while a transaction with events is open: runs
 * after the commit, wakes the readers, and puts back SQLite's own
 * auto-checkpoint hook (doing the checkpoint it would have done). */
static int events_committed(void *arg, sqlite3 *db, const char *schema, int pages)
{
    (void)arg;
    _cleanup_free_ char *path = events_notify_path(db);
    /* no file: no reader has started yet, and any that starts will read
     * this commit */
    utimensat(AT_FDCWD, path, NULL, 0);
    sqlite3_wal_autocheckpoint(db, DB_WAL_AUTOCHECKPOINT);
    if (pages >= DB_WAL_AUTOCHECKPOINT)
        sqlite3_wal_checkpoint(db, schema);
    return SQLITE_OK;
}

static int trim(sqlite3 *db, sqlite3_int64 seq, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db, "DELETE FROM events WHERE seq <= ?", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_int64(s, 1, seq - EVENTS_KEEP);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(db, err, "trimming the event log");
    return 0;
}

int event_record(sqlite3 *db, const char *type, const char *action, const char *actor_id,
                 json_t *attributes, berth_error *err)
{
    _cleanup_free_ char *attrs = attributes ? json_dumps(attributes, JSON_COMPACT) : NULL;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db,
                       "INSERT INTO events(time, type, action, actor_id, attributes)"
                       " VALUES (?, ?, ?, ?, ?)",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_int64(s, 1, now_ns());
    sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, actor_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, attrs ? attrs : "{}", -1, SQLITE_STATIC);
    /* armed before the step: outside a transaction the step commits */
    sqlite3_wal_hook(db, events_committed, NULL);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(db, err, "recording an event");
    sqlite3_int64 seq = sqlite3_last_insert_rowid(db);
    if (seq % EVENTS_TRIM_EVERY == 0 && seq > EVENTS_KEEP)
        return trim(db, seq, err);
    return 0;
}

/* Copies the string members of src into dst (a non-object src adds
 * nothing). */
static void merge_strings(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v)
    {
        if (json_is_string(v))
            json_object_set(dst, k, v);
    }
}

int event_container(sqlite3 *db, const char *container_id, const char *action, json_t *extra_attrs,
                    berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db, "SELECT name, image_ref, labels FROM containers WHERE id=?", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, container_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? berr(err, BERTH_ENOTFOUND, "No such container: %s", container_id)
                                 : db_error(db, err, "container lookup");
    json_t *attrs = json_object();
    json_t *labels = json_loads(db_col_text(s, 2), 0, NULL);
    merge_strings(attrs, labels);
    json_decref(labels);
    json_object_set_new(attrs, "image", json_string(db_col_text(s, 1)));
    json_object_set_new(attrs, "name", json_string(db_col_text(s, 0)));
    merge_strings(attrs, extra_attrs);
    r = event_record(db, "container", action, container_id, attrs, err);
    json_decref(attrs);
    return r;
}

int event_image(sqlite3 *db, const char *image_id, const char *action, const char *name,
                berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db, "SELECT json_extract(config, '$.config.Labels') FROM images WHERE id=?",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, image_id, -1, SQLITE_STATIC);
    json_t *attrs = json_object();
    if (sqlite3_step(s) == SQLITE_ROW) {
        json_t *labels = json_loads(db_col_text(s, 0), 0, NULL);
        merge_strings(attrs, labels);
        json_decref(labels);
    }
    json_object_set_new(attrs, "name", json_string(name ? name : image_id));
    r = event_record(db, "image", action, image_id, attrs, err);
    json_decref(attrs);
    return r;
}
