/* ctr_store.c - the container row updates shared with berth-monitor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctr_store.h"
#include "db.h"
#include "events.h"
#include "errors.h"
#include "trace.h"
#include "util.h"

static int step_done(sqlite3 *db, sqlite3_stmt *s, berth_error *err, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE)
        return db_error(db, err, what);
    return 0;
}

/* Begins a transaction unless the caller has one; *own says whether this
 * call must end it. */
static int tx_begin(sqlite3 *db, bool *own, berth_error *err)
{
    *own = sqlite3_get_autocommit(db) != 0;
    return *own ? db_begin(db, err) : 0;
}

static int tx_end(sqlite3 *db, bool own, int r, berth_error *err)
{
    if (!own)
        return r;
    if (r < 0) {
        db_rollback(db);
        return r;
    }
    return db_commit(db, err);
}

int ctr_store_set_running(sqlite3 *db, const char *id, int pid, int monitor_pid,
                          uint64_t monitor_start, int64_t started, berth_error *err)
{
    bool own;
    int r = tx_begin(db, &own, err);
    if (r < 0)
        return r;
    {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        r = db_prepare(db,
                       "UPDATE containers SET state='running', pid=?2, monitor_pid=?3,"
                       " monitor_start=?4, started=?5, exit_code=0, error='', oom_killed=0,"
                       " finished=0 WHERE id=?1",
                       &s, err);
        if (r == 0) {
            sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_int(s, 2, pid);
            sqlite3_bind_int(s, 3, monitor_pid);
            sqlite3_bind_int64(s, 4, (sqlite3_int64)monitor_start);
            sqlite3_bind_int64(s, 5, started);
            r = step_done(db, s, err, "record container start");
        }
    }
    if (r == 0)
        r = event_container(db, id, "start", NULL, err);
    return tx_end(db, own, r, err);
}

int ctr_store_set_exited(sqlite3 *db, const char *id, int exit_code, bool oom, int64_t finished,
                         const char *error, berth_error *err)
{
    bool own;
    int r = tx_begin(db, &own, err);
    if (r < 0)
        return r;
    {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        r = db_prepare(db,
                       "UPDATE containers SET state=CASE WHEN state IN ('removing','dead')"
                       " THEN state ELSE 'exited' END, pid=0, monitor_pid=0, monitor_start=0,"
                       " exit_code=?2, oom_killed=?3, finished=?4, error=?5 WHERE id=?1",
                       &s, err);
        if (r == 0) {
            sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_int(s, 2, exit_code);
            sqlite3_bind_int(s, 3, oom ? 1 : 0);
            sqlite3_bind_int64(s, 4, finished);
            sqlite3_bind_text(s, 5, error ? error : "", -1, SQLITE_STATIC);
            r = step_done(db, s, err, "record container exit");
        }
    }
    /* as Docker: the OOM kill, then the exit */
    if (r == 0 && oom)
        r = event_container(db, id, "oom", NULL, err);
    if (r == 0) {
        char code[16];
        snprintf(code, sizeof code, "%d", exit_code);
        json_t *attrs = json_pack("{s:s}", "exitCode", code);
        r = event_container(db, id, "die", attrs, err);
        json_decref(attrs);
    }
    return tx_end(db, own, r, err);
}

int ctr_store_set_start_failed(sqlite3 *db, const char *id, int exit_code, const char *error,
                               berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(db,
                       "UPDATE containers SET state=CASE WHEN started=0 THEN 'created'"
                       " ELSE 'exited' END, pid=0, monitor_pid=0, monitor_start=0,"
                       " exit_code=?2, error=?3 WHERE id=?1",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, exit_code);
    sqlite3_bind_text(s, 3, error ? error : "", -1, SQLITE_STATIC);
    return step_done(db, s, err, "record failed start");
}

static bool exists(sqlite3 *db, const char *sql, const char *arg)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    if (db_prepare(db, sql, &s, NULL) < 0)
        return true; /* when in doubt, keep */
    sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
    return sqlite3_step(s) != SQLITE_DONE;
}

void ctr_removal_clear(struct ctr_removal *rm)
{
    strv_free(rm->layers);
    strv_free(rm->volumes);
    rm->layers = rm->volumes = NULL;
}

static int delete_by(sqlite3 *db, const char *sql, const char *arg, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *d = NULL;
    int r = db_prepare(db, sql, &d, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(d, 1, arg, -1, SQLITE_STATIC);
    return step_done(db, d, err, "delete");
}

int ctr_store_remove_row(sqlite3 *db, const char *id, bool volumes, struct ctr_removal *out,
                         berth_error *err)
{
    int r = db_begin(db, err);
    if (r < 0)
        return r;
    json_t *layers = NULL, *mounts = NULL;
    {
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        if ((r = db_prepare(db, "SELECT layers, mounts FROM containers WHERE id=?1", &q, err)) < 0)
            goto fail;
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            layers = json_loads(db_col_text(q, 0), 0, NULL);
            mounts = json_loads(db_col_text(q, 1), 0, NULL);
        }
    }
    /* recorded while the row is there to name the container */
    r = event_container(db, id, "destroy", NULL, err);
    if (r == BERTH_ENOTFOUND)
        berth_error_clear(err); /* removed meanwhile: the delete does nothing */
    else if (r < 0)
        goto fail;
    {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        if ((r = db_prepare(db, "DELETE FROM containers WHERE id=?1", &s, err)) < 0)
            goto fail;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        if ((r = step_done(db, s, err, "delete container")) < 0)
            goto fail;
    }
    /* Layers kept only for this container (its image was deleted while it
     * existed) go with it. */
    size_t i;
    json_t *v;
    json_array_foreach(layers, i, v)
    {
        const char *diff_id = json_string_value(v);
        if (!diff_id || exists(db, "SELECT 1 FROM image_layers WHERE diff_id=?1", diff_id) ||
            exists(db, "SELECT 1 FROM containers WHERE instr(layers, ?1) > 0", diff_id) ||
            !exists(db, "SELECT 1 FROM layers WHERE diff_id=?1", diff_id))
            continue;
        if ((r = delete_by(db, "DELETE FROM layers WHERE diff_id=?1", diff_id, err)) < 0)
            goto fail;
        if (out)
            strv_push(&out->layers, diff_id);
    }
    json_array_foreach(volumes ? mounts : NULL, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "Name"));
        if (!name || !exists(db, "SELECT 1 FROM volumes WHERE name=?1 AND anonymous=1", name))
            continue;
        if ((r = delete_by(db, "DELETE FROM volumes WHERE name=?1", name, err)) < 0)
            goto fail;
        if (out)
            strv_push(&out->volumes, name);
    }
    json_decref(layers);
    json_decref(mounts);
    return db_commit(db, err);
fail:
    json_decref(layers);
    json_decref(mounts);
    db_rollback(db);
    return r;
}

static const char *hex_of(const char *digest)
{
    const char *colon = strchr(digest, ':');
    return colon ? colon + 1 : digest;
}

int ctr_store_remove_files(const char *root, const char *runroot, const char *id,
                           const struct ctr_removal *rm, berth_error *err)
{
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
    _cleanup_free_ char *rundir = xasprintf("%s/containers/%s", runroot, id);
    int fr = rm_rf(rundir);
    trace_point("remove rundir");
    int fr2 = rm_rf(dir);
    trace_point("remove dir");
    /* the image store's layout: layers/<hex>/ and blobs/sha256/<hex> */
    for (size_t i = 0; rm && rm->layers && rm->layers[i]; i++) {
        _cleanup_free_ char *ldir = xasprintf("%s/layers/%s", root, hex_of(rm->layers[i]));
        _cleanup_free_ char *blob = xasprintf("%s/blobs/sha256/%s", root, hex_of(rm->layers[i]));
        rm_rf(ldir);
        unlink(blob);
    }
    for (size_t i = 0; rm && rm->volumes && rm->volumes[i]; i++) {
        _cleanup_free_ char *vdir = xasprintf("%s/volumes/%s", root, rm->volumes[i]);
        rm_rf(vdir);
    }
    if (fr < 0 || fr2 < 0)
        return berr_errno(err, BERTH_EINTERNAL, fr < 0 ? -fr : -fr2,
                          "container %s removed, but not all of its files", id);
    return 0;
}

int ctr_store_remove(sqlite3 *db, const char *root, const char *runroot, const char *id,
                     bool volumes, berth_error *err)
{
    /* The row goes first: a crash after it leaves orphan files, which are
     * harmless, and never a row that points at missing files. */
    struct ctr_removal rm = { NULL, NULL };
    int r = ctr_store_remove_row(db, id, volumes, &rm, err);
    if (r == 0)
        r = ctr_store_remove_files(root, runroot, id, &rm, err);
    ctr_removal_clear(&rm);
    return r;
}

/* Reads the state letter and start time (fields 3 and 22) of a process.
 * Returns false when it cannot be read. */
static bool proc_stat(pid_t pid, char *state, uint64_t *starttime)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    _cleanup_free_ char *c = NULL;
    if (read_file(path, &c, NULL) < 0)
        return false;
    /* the command name may hold spaces and parentheses: skip past the last ')' */
    char *p = strrchr(c, ')');
    if (!p || p[1] != ' ')
        return false;
    *state = p[2];
    p++;
    /* p is at the space before field 3; walk to the one before field 22 */
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return false;
    *starttime = strtoull(p + 1, NULL, 10);
    return true;
}

uint64_t proc_starttime(pid_t pid)
{
    char state;
    uint64_t start;
    return proc_stat(pid, &state, &start) ? start : 0;
}

bool proc_alive(pid_t pid, uint64_t starttime)
{
    if (pid <= 0)
        return false;
    char state;
    uint64_t start;
    if (!proc_stat(pid, &state, &start))
        return false;
    /* a zombie has exited; its parent just has not reaped it yet */
    if (state == 'Z' || state == 'X')
        return false;
    return starttime == 0 || start == starttime;
}
