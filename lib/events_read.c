/* events_read.c - reading and following the event log (berth/events.h).
 *
 * Following without polling (see events.h for the writers' side): the
 * reader watches "<db>-events" with inotify, which every writer touches
 * after it has committed events. The watch is added before the reader
 * notes the newest sequence number M and reads the past events up to M;
 * from then on it reads what is past its last sequence number each time
 * the watch fires. An event committed before M was noted is in the
 * catch-up, one committed after it wakes the watch: none is missed, and
 * none is sent twice. `until` in the future bounds the wait (a deadline,
 * not a poll); cancel_fd ends it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <berth/events.h>

#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "event_filter.h"
#include "events.h"
#include "util.h"

int berth_events_check(const berth_events_opts *opts, berth_error *err)
{
    if (!opts || opts->version != BERTH_EVENTS_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_events_opts version");
    if (opts->until_ns && opts->since_ns > opts->until_ns) {
        char since[40], until[40];
        format_rfc3339nano(opts->since_ns, since, sizeof since);
        format_rfc3339nano(opts->until_ns, until, sizeof until);
        return berr(err, BERTH_EINVAL, "`since` time (%s) cannot be after `until` time (%s)", since,
                    until);
    }
    struct event_filter f;
    int r = event_filter_parse(opts->filters_json, &f, err);
    event_filter_clear(&f);
    return r;
}

struct reader {
    sqlite3 *db;
    const berth_events_opts *opts;
    struct event_filter filter;
    berth_event_fn fn;
    void *userdata;
    sqlite3_int64 last; /* the newest sequence number handled */
    bool stop;          /* fn said stop */
};

/* Docker's events.Message for one row. */
static char *event_json(int64_t time, const char *type, const char *action, const char *id,
                        json_t *attrs)
{
    json_t *ev = json_object();
    bool legacy = str_eq(type, "container") || str_eq(type, "image");
    if (legacy) {
        json_object_set_new(ev, "status", json_string(action));
        json_object_set_new(ev, "id", json_string(id));
        const char *from = json_string_value(json_object_get(attrs, "image"));
        if (str_eq(type, "container") && from)
            json_object_set_new(ev, "from", json_string(from));
    }
    json_object_set_new(ev, "Type", json_string(type));
    json_object_set_new(ev, "Action", json_string(action));
    json_object_set_new(ev, "Actor", json_pack("{s:s, s:O}", "ID", id, "Attributes", attrs));
    json_object_set_new(ev, "scope", json_string("local"));
    json_object_set_new(ev, "time", json_integer(time / 1000000000));
    json_object_set_new(ev, "timeNano", json_integer(time));
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return s;
}

/* Sends the rows of s (seq, time, type, action, actor_id, attributes)
 * that pass the time bounds and the filters. */
static int send_rows(struct reader *rd, sqlite3_stmt *s, berth_error *err)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        rd->last = sqlite3_column_int64(s, 0);
        int64_t time = sqlite3_column_int64(s, 1);
        if (time < rd->opts->since_ns || (rd->opts->until_ns && time > rd->opts->until_ns))
            continue;
        const char *type = db_col_text(s, 2), *action = db_col_text(s, 3);
        const char *id = db_col_text(s, 4);
        json_t *attrs = json_loads(db_col_text(s, 5), 0, NULL);
        if (!json_is_object(attrs)) {
            json_decref(attrs);
            attrs = json_object();
        }
        char *text = NULL;
        if (event_filter_match(&rd->filter, type, action, id, attrs))
            text = event_json(time, type, action, id, attrs);
        json_decref(attrs);
        if (text) {
            int stop = rd->fn(rd->userdata, text, strlen(text));
            free(text);
            if (stop) {
                rd->stop = true;
                return 0;
            }
        }
    }
    if (rc != SQLITE_DONE)
        return db_error(rd->db, err, "reading the event log");
    return 0;
}

static int newest_seq(sqlite3 *db, sqlite3_int64 *out, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db, "SELECT coalesce(max(seq), 0) FROM events", &s, err);
    if (r < 0)
        return r;
    if (sqlite3_step(s) != SQLITE_ROW)
        return db_error(db, err, "reading the event log");
    *out = sqlite3_column_int64(s, 0);
    return 0;
}

/* Sends the events past rd->last: with upto (the catch-up) those up to
 * it recorded from since on, else (following) all of them. */
static int read_events(struct reader *rd, sqlite3_int64 upto, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(rd->db,
                       "SELECT seq, time, type, action, actor_id, attributes FROM events"
                       " WHERE seq > ?1 AND seq <= ?2 AND time >= ?3 ORDER BY seq",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_int64(s, 1, rd->last);
    sqlite3_bind_int64(s, 2, upto ? upto : INT64_MAX);
    sqlite3_bind_int64(s, 3, upto ? rd->opts->since_ns : INT64_MIN);
    return send_rows(rd, s, err);
}

/* An inotify descriptor watching the notify file (created if missing). */
static int watch_notify(sqlite3 *db, berth_error *err)
{
    _cleanup_free_ char *path = events_notify_path(db);
    _cleanup_close_ int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot create %s", path);
    int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "inotify");
    if (inotify_add_watch(in, path, IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE) < 0) {
        int e = errno;
        close(in);
        return berr_errno(err, BERTH_EINTERNAL, e, "cannot watch %s", path);
    }
    return in;
}

static void drain(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

int berth_events(berth_engine *e, const berth_events_opts *opts, berth_event_fn fn, void *userdata,
                 berth_error *err)
{
    int r = berth_events_check(opts, err);
    if (r < 0)
        return r;
    struct reader rd = { .db = e->db, .opts = opts, .fn = fn, .userdata = userdata };
    event_filter_parse(opts->filters_json, &rd.filter, NULL);
    bool follow = !opts->until_ns || opts->until_ns > now_ns();
    _cleanup_close_ int in = -1;
    if (follow && (in = r = watch_notify(e->db, err)) < 0)
        goto out;
    sqlite3_int64 upto = 0;
    if ((r = newest_seq(e->db, &upto, err)) < 0)
        goto out;
    if (opts->since_ns > 0 && upto > 0)
        r = read_events(&rd, upto, err);
    rd.last = upto;
    while (r == 0 && follow && !rd.stop) {
        int timeout = -1;
        if (opts->until_ns) {
            int64_t left = opts->until_ns - now_ns();
            if (left <= 0)
                break;
            /* rounded up: wake after until, not just before it */
            timeout = left / 1000000 >= 86400000 ? 86400000 : (int)((left + 999999) / 1000000);
        }
        struct pollfd p[2] = { { in, POLLIN, 0 }, { opts->cancel_fd, POLLIN, 0 } };
        int n = poll(p, opts->cancel_fd >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = berr_errno(err, BERTH_EINTERNAL, errno, "poll");
            break;
        }
        if (opts->cancel_fd >= 0 && p[1].revents)
            break;
        if (p[0].revents) {
            drain(in);
            r = read_events(&rd, 0, err);
        }
    }
out:
    event_filter_clear(&rd.filter);
    return r < 0 ? r : 0;
}
