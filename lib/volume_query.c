/* volume_query.c - volumes as Docker's API shows them: inspect and list.
 * The rows are made with their containers (container_create.c) and go
 * with them (ctr_store.c); here they are only read. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <berth/volume.h>

#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "filters.h"
#include "util.h"

/* A volume is in use while a container (in any state) mounts it. */
#define VOLUME_COLUMNS                                                                             \
    "name, created, anonymous,"                                                                    \
    " EXISTS (SELECT 1 FROM containers, json_each(containers.mounts)"                              \
    "   WHERE json_extract(json_each.value, '$.Name') = volumes.name)"

static json_t *volume_doc(const berth_engine *e, sqlite3_stmt *s)
{
    const char *name = db_col_text(s, 0);
    /* Docker's CreatedAt: RFC 3339 to the second */
    time_t t = (time_t)(sqlite3_column_int64(s, 1) / 1000000000);
    struct tm tm;
    char created[32];
    gmtime_r(&t, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *labels = json_object();
    if (sqlite3_column_int(s, 2))
        json_object_set_new(labels, "com.docker.volume.anonymous", json_string(""));
    char *mountpoint = xasprintf("%s/volumes/%s/_data", e->root, name);
    json_t *doc = json_pack("{s:s, s:s, s:o, s:s, s:s, s:n, s:s}", "CreatedAt", created, "Driver",
                            "local", "Labels", labels, "Mountpoint", mountpoint, "Name", name,
                            "Options", "Scope", "local");
    free(mountpoint);
    return doc;
}

int berth_volume_inspect(berth_engine *e, const char *name, char **json_out, berth_error *err)
{
    *json_out = NULL;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "SELECT " VOLUME_COLUMNS " FROM volumes WHERE name=?1", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, name ? name : "", -1, SQLITE_STATIC);
    int st = sqlite3_step(s);
    if (st == SQLITE_DONE)
        return berr(err, BERTH_ENOTFOUND, "get %s: no such volume", name ? name : "");
    if (st != SQLITE_ROW)
        return db_error(e->db, err, "state database");
    json_t *doc = volume_doc(e, s);
    *json_out = json_dumps(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return 0;
}

struct volume_filter {
    char **names; /* substrings: a volume matches one of them */
    int dangling; /* -1 either, 1 unused only, 0 used only */
};

static int parse_volume_filters(const char *text, struct volume_filter *f, berth_error *err)
{
    f->names = NULL;
    f->dangling = -1;
    json_t *j;
    int r = filters_load(text, &j, err);
    if (r < 0 || !j)
        return r;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        _cleanup_strv_ char **vals = NULL;
        if (!filter_values(v, &vals)) {
            r = berr(err, BERTH_EINVAL, "invalid filter '%s': not a list of strings", key);
            break;
        }
        if (strcmp(key, "name") == 0) {
            strv_free(f->names);
            f->names = steal_ptr(&vals);
        } else if (strcmp(key, "dangling") == 0) {
            for (size_t i = 0; vals && vals[i]; i++) {
                if (!strcasecmp(vals[i], "true") || !strcmp(vals[i], "1"))
                    f->dangling = 1;
                else if (!strcasecmp(vals[i], "false") || !strcmp(vals[i], "0"))
                    f->dangling = 0;
                else {
                    r = berr(err, BERTH_EINVAL, "invalid filter 'dangling=%s'", vals[i]);
                    break;
                }
            }
            if (r < 0)
                break;
        } else {
            r = berr(err, BERTH_EINVAL, "invalid filter '%s'", key);
            break;
        }
    }
    json_decref(j);
    return r;
}

static bool volume_selected(const struct volume_filter *f, const char *name, bool used)
{
    if (f->dangling == 1 && used)
        return false;
    if (f->dangling == 0 && !used)
        return false;
    if (!f->names)
        return true;
    for (size_t i = 0; f->names[i]; i++)
        if (strstr(name, f->names[i]))
            return true;
    return false;
}

int berth_volume_list(berth_engine *e, const char *filters_json, char **json_out, berth_error *err)
{
    *json_out = NULL;
    struct volume_filter f;
    int r = parse_volume_filters(filters_json, &f, err);
    if (r < 0) {
        strv_free(f.names);
        return r;
    }
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(e->db, "SELECT " VOLUME_COLUMNS " FROM volumes ORDER BY name", &s, err);
    if (r < 0) {
        strv_free(f.names);
        return r;
    }
    json_t *list = json_array();
    int st;
    while ((st = sqlite3_step(s)) == SQLITE_ROW)
        if (volume_selected(&f, db_col_text(s, 0), sqlite3_column_int(s, 3)))
            json_array_append_new(list, volume_doc(e, s));
    strv_free(f.names);
    if (st != SQLITE_DONE) {
        json_decref(list);
        return db_error(e->db, err, "state database");
    }
    json_t *doc = json_pack("{s:o, s:n}", "Volumes", list, "Warnings");
    *json_out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return 0;
}
