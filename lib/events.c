/* events.c - appending to the event log. */
#include "events.h"
#include "db.h"
#include "util.h"

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
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(db, err, "recording an event");
    return 0;
}
