/* image_history.c - berth_image_history: Docker's image history, from
 * the image config's history entries and the sizes of its layers. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "image_store.h"
#include "ref.h"
#include "util.h"

/* The unpacked sizes of the image's layers, lowest first. */
static int layer_sizes(berth_engine *e, const char *id, json_t *out, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db,
                       "SELECT l.unpacked FROM image_layers il JOIN layers l"
                       " ON l.diff_id = il.diff_id WHERE il.image_id = ? ORDER BY il.idx",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(out, json_integer(sqlite3_column_int64(s, 0)));
    return 0;
}

static int load_config(berth_engine *e, const char *id, json_t **out, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "SELECT config FROM images WHERE id = ?", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        return berr(err, BERTH_ENOTFOUND, "No such image: %s", id);
    *out = json_loads(db_col_text(s, 0), 0, NULL);
    return *out ? 0 : berr(err, BERTH_EINTERNAL, "image %s has a config that is not JSON", id);
}

int berth_image_history(berth_engine *e, const char *name, char **json_out, berth_error *err)
{
    _cleanup_free_ char *id = NULL;
    int r = image_store_resolve(e, name, &id, NULL, err);
    if (r < 0)
        return r;
    json_t *cfg = NULL;
    r = load_config(e, id, &cfg, err);
    if (r < 0)
        return r;
    json_t *sizes = json_array();
    _cleanup_strv_ char **tags = NULL;
    r = layer_sizes(e, id, sizes, err);
    if (r == 0)
        r = image_store_tags(e, id, &tags, err);
    if (r < 0) {
        json_decref(cfg);
        json_decref(sizes);
        return r;
    }
    /* oldest first, as the config has them; each entry that made a layer
     * takes the next layer's size */
    json_t *entries = json_array();
    size_t layer = 0, i;
    json_t *h;
    json_array_foreach(json_object_get(cfg, "history"), i, h)
    {
        bool empty = json_is_true(json_object_get(h, "empty_layer"));
        json_int_t size = 0;
        if (!empty)
            size = json_integer_value(json_array_get(sizes, layer++));
        int64_t created = 0;
        const char *c = json_string_value(json_object_get(h, "created"));
        if (c)
            parse_rfc3339(c, &created);
        const char *by = json_string_value(json_object_get(h, "created_by"));
        const char *comment = json_string_value(json_object_get(h, "comment"));
        json_array_append_new(
            entries, json_pack("{s:s, s:I, s:s, s:n, s:I, s:s}", "Id", "<missing>", "Created",
                               (json_int_t)(created / 1000000000), "CreatedBy", by ? by : "",
                               "Tags", "Size", size, "Comment", comment ? comment : ""));
    }
    json_decref(cfg);
    json_decref(sizes);
    /* newest first; the newest is this image, with its tags */
    json_t *doc = json_array();
    for (size_t k = json_array_size(entries); k-- > 0;)
        json_array_append(doc, json_array_get(entries, k));
    json_decref(entries);
    json_t *top = json_array_get(doc, 0);
    if (top) {
        json_object_set_new(top, "Id", json_string(id));
        if (tags && tags[0]) {
            json_t *t = json_array();
            for (size_t k = 0; tags[k]; k++) {
                char *f = ref_familiar(tags[k]);
                json_array_append_new(t, json_string(f));
                free(f);
            }
            json_object_set_new(top, "Tags", t);
        }
    }
    *json_out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return 0;
}
