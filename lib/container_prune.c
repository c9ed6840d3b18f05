/* container_prune.c - removing every stopped container that Docker's
 * prune filters select (POST /containers/prune).
 *
 * Candidates are chosen from the rows first; each is then removed under
 * its own lock, after its state is read again under that lock, exactly as
 * berth_container_remove does: a container that was started meanwhile
 * stays, and a start never sees a half-removed container. The space
 * reported is that of each writable layer, measured under the lock just
 * before it goes. */
#include <string.h>

#include "container.h"
#include "ctr_store.h"
#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "prune_filter.h"
#include "util.h"

static bool is_stopped(const struct ctr *c)
{
    return str_eq(c->state, "created") || str_eq(c->state, "exited") || str_eq(c->state, "dead");
}

/* The IDs of the stopped containers that f selects, oldest first. */
static int candidates(berth_engine *e, const struct prune_filter *f, char ***out, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "SELECT " CTR_COLUMNS " FROM containers ORDER BY seq", &s, err);
    if (r < 0)
        return r;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct ctr *c = ctr_from_row(s);
        if (ctr_is_running(c) && !proc_alive(c->monitor_pid, c->monitor_start)) {
            /* its monitor died: the reload records the exit */
            struct ctr *fresh = NULL;
            if (ctr_reload(e, c->id, &fresh, NULL) == 0) {
                ctr_free(c);
                c = fresh;
            }
        }
        if (is_stopped(c) && prune_filter_match(f, c->created, c->labels))
            strv_push(out, c->id);
        ctr_free(c);
    }
    if (rc != SQLITE_DONE)
        return db_error(e->db, err, "list containers");
    return 0;
}

/* Removes one container if it is still stopped. Returns true when it
 * went, adding the size of its writable layer to *bytes. */
static bool prune_one(berth_engine *e, const char *id, int64_t *bytes)
{
    _cleanup_close_ int lock = ctr_lock(e, id, NULL);
    if (lock < 0)
        return false; /* removed meanwhile */
    _cleanup_ctr_ struct ctr *c = NULL;
    if (ctr_reload(e, id, &c, NULL) < 0 || !is_stopped(c))
        return false;
    _cleanup_free_ char *upper = xasprintf("%s/containers/%s/upper", e->root, id);
    int64_t size = dir_size(upper);
    struct ctr_removal rm = { NULL, NULL };
    berth_error err = BERTH_ERROR_INIT;
    if (ctr_store_remove_row(e->db, id, false, &rm, &err) < 0)
        return false;
    /* the row is gone: leftover files are orphans, harmless */
    ctr_store_remove_files(e->root, e->runroot, id, &rm, &err);
    ctr_removal_clear(&rm);
    *bytes += size;
    return true;
}

int berth_container_prune(berth_engine *e, const char *filters_json, char **report_json,
                          berth_error *err)
{
    struct prune_filter f;
    int r = prune_filter_parse(filters_json, false, now_ns(), &f, err);
    if (r < 0)
        return r;
    _cleanup_strv_ char **ids = NULL;
    r = candidates(e, &f, &ids, err);
    prune_filter_clear(&f);
    if (r < 0)
        return r;
    json_t *deleted = json_array();
    int64_t bytes = 0;
    for (size_t i = 0; ids && ids[i]; i++)
        if (prune_one(e, ids[i], &bytes))
            json_array_append_new(deleted, json_string(ids[i]));
    json_t *report = json_pack("{s:o, s:I}", "ContainersDeleted",
                               json_array_size(deleted) ? deleted : json_null(), "SpaceReclaimed",
                               (json_int_t)bytes);
    if (!json_array_size(deleted))
        json_decref(deleted);
    if (report_json)
        *report_json = json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(report);
    return 0;
}
