/* image_store.c - finding, describing, tagging and removing images.
 *
 * Guarantees: every change to the image tables happens in one BEGIN
 * IMMEDIATE transaction, and files are deleted only after the commit that
 * removed their rows (an orphan file is harmless, a row that points to a
 * missing file is not). Removal follows Docker's rules (moby's
 * ImageDelete): which references go, when an image goes with its last
 * reference, and the 409 conflicts, word for word. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <berth/image.h>

#include "db.h"
#include "events.h"
#include "filters.h"
#include "engine_int.h"
#include "errors.h"
#include "image_config.h"
#include "image_store.h"
#include "prune_filter.h"
#include "ref.h"
#include "util.h"

static void cleanup_jsonp(json_t **j)
{
    json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(cleanup_jsonp)))

/* ---- locking --------------------------------------------------------- */

int image_store_lock(berth_engine *e, bool exclusive, int *fd_out, berth_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/images.lock", e->root);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot open %s", path);
    while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
        if (errno != EINTR) {
            int en = errno;
            close(fd);
            return berr_errno(err, BERTH_EINTERNAL, en, "cannot lock %s", path);
        }
    }
    *fd_out = fd;
    return 0;
}

void image_store_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* ---- lookup ---------------------------------------------------------- */

static int not_found(berth_error *err, const char *name)
{
    return berr(err, BERTH_ENOTFOUND, "No such image: %s", name);
}

/* 0 and *id_out when one row of sql (with text parameter arg) exists. */
static int query_id(berth_engine *e, const char *sql, const char *arg, char **id_out,
                    berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, sql, &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
    int st = sqlite3_step(s);
    if (st == SQLITE_ROW) {
        *id_out = xstrdup(db_col_text(s, 0));
        return 0;
    }
    if (st != SQLITE_DONE)
        return db_error(e->db, err, "state database");
    return BERTH_ENOTFOUND;
}

int image_store_resolve(berth_engine *e, const char *name, char **id_out, char **ref_out,
                        berth_error *err)
{
    if (ref_out)
        *ref_out = NULL;
    if (!name || !*name)
        return not_found(err, name ? name : "");
    const char *hex = digest_hex(name);
    bool hexlike = str_is_hex(hex);

    /* A full ID first: 64 hex digits can never be a reference. */
    if (hexlike && strlen(hex) == DIGEST_HEX_LEN) {
        _cleanup_free_ char *full = xasprintf("sha256:%s", hex);
        int r = query_id(e, "SELECT id FROM images WHERE id=?", full, id_out, err);
        return r == BERTH_ENOTFOUND ? not_found(err, name) : r;
    }

    _cleanup_ref_ struct ref ref = { 0 };
    /* Docker names a missing tagged reference with its tag ("x:latest") */
    _cleanup_free_ char *missing = NULL;
    berth_error parse_err = BERTH_ERROR_INIT;
    bool parsed = ref_parse(name, &ref, &parse_err) == 0;
    if (parsed) {
        int r;
        _cleanup_free_ char *stored = NULL;
        if (ref.digest) {
            /* name@digest; a tag given with it does not matter */
            free(ref.tag);
            ref.tag = NULL;
            stored = ref_string(&ref);
            r = query_id(e,
                         "SELECT images.id FROM images, json_each(images.repo_digests) "
                         "WHERE json_each.value=?",
                         stored, id_out, err);
        } else {
            ref_default_tag(&ref);
            stored = ref_string(&ref);
            missing = ref_familiar_string(&ref);
            r = query_id(e, "SELECT image_id FROM tags WHERE ref=?", stored, id_out, err);
        }
        if (r == 0 && ref_out)
            *ref_out = steal_ptr(&stored);
        if (r != BERTH_ENOTFOUND)
            return r;
    }

    if (hexlike) {
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r =
            db_prepare(e->db, "SELECT id FROM images WHERE id >= ? AND id < ? LIMIT 2", &s, err);
        if (r < 0)
            return r;
        _cleanup_free_ char *lo = xasprintf("sha256:%s", hex);
        _cleanup_free_ char *hi = xasprintf("sha256:%sg", hex);
        sqlite3_bind_text(s, 1, lo, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, hi, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            _cleanup_free_ char *id = xstrdup(db_col_text(s, 0));
            if (sqlite3_step(s) == SQLITE_ROW)
                return berr(err, BERTH_EINVAL, "multiple images found with provided prefix: %s",
                            name);
            *id_out = steal_ptr(&id);
            return 0;
        }
    }
    if (!parsed) {
        /* neither a reference nor an ID: a bad parameter, as dockerd says */
        *err = parse_err;
        return parse_err.code;
    }
    return not_found(err, missing ? missing : name);
}

static int image_layers(berth_engine *e, const char *id, char ***out, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "SELECT diff_id FROM image_layers WHERE image_id=? ORDER BY idx", &s,
                       err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    char **v = xcalloc(1, sizeof(char *));
    while (sqlite3_step(s) == SQLITE_ROW)
        strv_push(&v, db_col_text(s, 0));
    *out = v;
    return 0;
}

int image_store_tags(berth_engine *e, const char *id, char ***out, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "SELECT ref FROM tags WHERE image_id=? ORDER BY ref", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    char **v = xcalloc(1, sizeof(char *));
    while (sqlite3_step(s) == SQLITE_ROW)
        strv_push(&v, db_col_text(s, 0));
    *out = v;
    return 0;
}

/* One image's row: config document and the columns the documents need. */
struct image_row {
    char *id;
    json_t *config;
    int64_t created;
    int64_t size;
    json_t *repo_digests;
};

static void image_row_clear(struct image_row *r)
{
    free(r->id);
    json_decref(r->config);
    json_decref(r->repo_digests);
    memset(r, 0, sizeof *r);
}

static void fill_row(sqlite3_stmt *s, struct image_row *row)
{
    row->id = xstrdup(db_col_text(s, 0));
    row->config = json_loads(db_col_text(s, 1), 0, NULL);
    if (!row->config)
        row->config = json_object();
    row->created = sqlite3_column_int64(s, 2);
    row->size = sqlite3_column_int64(s, 3);
    row->repo_digests = json_loads(db_col_text(s, 4), 0, NULL);
    if (!json_is_array(row->repo_digests)) {
        json_decref(row->repo_digests);
        row->repo_digests = json_array();
    }
}

#define ROW_COLUMNS "id, config, created, size, repo_digests"

static int load_row(berth_engine *e, const char *id, struct image_row *row, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "SELECT " ROW_COLUMNS " FROM images WHERE id=?", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        return not_found(err, id);
    fill_row(s, row);
    return 0;
}

int image_store_lookup(berth_engine *e, const char *name, struct image_rec **out, berth_error *err)
{
    _cleanup_free_ char *id = NULL;
    int r = image_store_resolve(e, name, &id, NULL, err);
    if (r < 0)
        return r;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(e->db, "SELECT config FROM images WHERE id=?", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        return not_found(err, name);
    json_error_t je;
    json_t *config = json_loads(db_col_text(s, 0), 0, &je);
    if (!config)
        return berr(err, BERTH_EINTERNAL, "image %s has an unreadable config: %s", id, je.text);
    _cleanup_strv_ char **diff_ids = NULL;
    r = image_layers(e, id, &diff_ids, err);
    if (r < 0) {
        json_decref(config);
        return r;
    }
    struct image_rec *rec = xcalloc(1, sizeof *rec);
    rec->id = steal_ptr(&id);
    rec->config = config;
    rec->layer_dirs = xcalloc(strv_length(diff_ids) + 1, sizeof(char *));
    for (size_t i = 0; diff_ids[i]; i++)
        rec->layer_dirs[i] = layer_dir_path(e, diff_ids[i]);
    *out = rec;
    return 0;
}

void image_rec_free(struct image_rec *r)
{
    if (!r)
        return;
    free(r->id);
    json_decref(r->config);
    strv_free(r->layer_dirs);
    free(r);
}

int berth_image_resolve(berth_engine *engine, const char *name, char **id_out, berth_error *err)
{
    return image_store_resolve(engine, name, id_out, NULL, err);
}

/* ---- documents ------------------------------------------------------- */

/* json_string that takes ownership of s. */
#define json_string_take(s)                                                                        \
    ({                                                                                             \
        char *_s = (s);                                                                            \
        json_t *_j = json_string(_s);                                                              \
        free(_s);                                                                                  \
        _j;                                                                                        \
    })

static json_t *familiar_array(char *const *refs)
{
    json_t *a = json_array();
    for (size_t i = 0; refs && refs[i]; i++)
        json_array_append_new(a, json_string_take(ref_familiar(refs[i])));
    return a;
}

static json_t *repo_digests_familiar(const json_t *stored)
{
    json_t *a = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(stored, i, v)
    {
        const char *s = json_string_value(v);
        if (s)
            json_array_append_new(a, json_string_take(ref_familiar(s)));
    }
    return a;
}

static int64_t last_tag_time(berth_engine *e, const char *id)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    if (db_prepare(e->db, "SELECT max(added) FROM tags WHERE image_id=?", &s, NULL) < 0)
        return 0;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        return 0;
    return sqlite3_column_int64(s, 0);
}

int berth_image_inspect(berth_engine *engine, const char *name, char **json_out, berth_error *err)
{
    _cleanup_free_ char *id = NULL;
    int r = image_store_resolve(engine, name, &id, NULL, err);
    if (r < 0)
        return r;
    struct image_row row = { 0 };
    r = load_row(engine, id, &row, err);
    if (r < 0)
        return r;
    _cleanup_strv_ char **tags = NULL;
    _cleanup_strv_ char **diff_ids = NULL;
    r = image_store_tags(engine, id, &tags, err);
    if (r == 0)
        r = image_layers(engine, id, &diff_ids, err);
    if (r < 0) {
        image_row_clear(&row);
        return r;
    }

    char created[40], tagged[40];
    format_rfc3339nano(row.created, created, sizeof created);
    format_rfc3339nano(last_tag_time(engine, id), tagged, sizeof tagged);

    /* overlay2's view: the top layer is UpperDir, the rest LowerDir
     * (topmost first), as Docker reports an image's layers */
    size_t n = strv_length(diff_ids);
    json_t *gdata = json_object();
    if (n > 0) {
        buf_t lower = { 0 };
        for (size_t i = n - 1; i-- > 0;) {
            _cleanup_free_ char *d = layer_dir_path(engine, diff_ids[i]);
            buf_appendf(&lower, "%s%s", lower.len ? ":" : "", d);
        }
        if (lower.len)
            json_object_set_new(gdata, "LowerDir", json_string(lower.data));
        buf_free(&lower);
        json_object_set_new(gdata, "UpperDir",
                            json_string_take(layer_dir_path(engine, diff_ids[n - 1])));
    }
    json_t *layers = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(layers, json_string(diff_ids[i]));

    const json_t *cfg = row.config;
    json_t *doc =
        json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "Id", id, "RepoTags",
                  familiar_array(tags), "RepoDigests", repo_digests_familiar(row.repo_digests),
                  "Parent", "", "Comment", image_config_string(cfg, "comment"), "Created", created,
                  "DockerVersion", image_config_string(cfg, "docker_version"), "Author",
                  image_config_string(cfg, "author"), "Config", image_config_docker_config(cfg),
                  "Architecture", image_config_string(cfg, "architecture"));
    /* what a commit records (Docker's inspect has both before API 1.45) */
    json_object_set_new(doc, "Container", json_string(image_config_string(cfg, "container")));
    json_t *ccfg = json_object_get(cfg, "container_config");
    json_t *cc = json_is_object(ccfg) ? json_pack("{s:O}", "config", ccfg) : json_object();
    json_object_set_new(doc, "ContainerConfig", image_config_docker_config(cc));
    json_decref(cc);
    const char *variant = image_config_string(cfg, "variant");
    if (*variant)
        json_object_set_new(doc, "Variant", json_string(variant));
    json_object_set_new(doc, "Os", json_string(image_config_string(cfg, "os")));
    const char *osv = image_config_string(cfg, "os.version");
    if (*osv)
        json_object_set_new(doc, "OsVersion", json_string(osv));
    json_object_set_new(doc, "Size", json_integer(row.size));
    json_object_set_new(doc, "VirtualSize", json_integer(row.size));
    json_object_set_new(doc, "GraphDriver",
                        json_pack("{s:o, s:s}", "Data", gdata, "Name", "overlay2"));
    json_object_set_new(doc, "RootFS", json_pack("{s:s, s:o}", "Type", "layers", "Layers", layers));
    json_object_set_new(doc, "Metadata", json_pack("{s:s}", "LastTagTime", tagged));
    image_row_clear(&row);
    *json_out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return 0;
}

/* ---- list ------------------------------------------------------------ */

/* The values of one key of Docker's filters document (none if it has
 * another shape). */
static char **key_values(json_t *filters, const char *key)
{
    char **out = NULL;
    if (!filter_values(json_object_get(filters, key), &out)) {
        strv_free(out);
        out = NULL;
    }
    return out;
}

static int parse_filters(const char *text, json_t **out, berth_error *err)
{
    *out = NULL;
    json_t *f;
    int r = filters_load(text, &f, err);
    if (r < 0 || !f)
        return r;
    static const char *const known[] = { "before",    "dangling", "label",
                                         "reference", "since",    "until" };
    const char *key;
    json_t *v;
    json_object_foreach(f, key, v)
    {
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(known); i++)
            ok = ok || strcmp(key, known[i]) == 0;
        if (!ok) {
            r = berr(err, BERTH_EINVAL, "invalid filter '%s'", key);
            json_decref(f);
            return r;
        }
    }
    *out = f;
    return 0;
}

struct list_filter {
    int dangling; /* -1 any, 0 only tagged, 1 only untagged */
    char **labels;
    char **patterns;
    bool have_before, have_since, have_until;
    int64_t before, since, until;
};

static void list_filter_clear(struct list_filter *f)
{
    strv_free(f->labels);
    strv_free(f->patterns);
}

static int image_created(berth_engine *e, const char *name, int64_t *out, berth_error *err)
{
    _cleanup_free_ char *id = NULL;
    int r = image_store_resolve(e, name, &id, NULL, err);
    if (r < 0)
        return r;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(e->db, "SELECT created FROM images WHERE id=?", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        return not_found(err, name);
    *out = sqlite3_column_int64(s, 0);
    return 0;
}

static int build_filter(berth_engine *e, json_t *filters, struct list_filter *f, berth_error *err)
{
    memset(f, 0, sizeof *f);
    f->dangling = -1;
    if (!filters)
        return 0;
    _cleanup_strv_ char **dangling = key_values(filters, "dangling");
    for (size_t i = 0; dangling && dangling[i]; i++) {
        const char *v = dangling[i];
        if (!strcasecmp(v, "true") || !strcmp(v, "1"))
            f->dangling = 1;
        else if (!strcasecmp(v, "false") || !strcmp(v, "0"))
            f->dangling = 0;
        else
            return berr(err, BERTH_EINVAL, "invalid filter 'dangling=%s'", v);
    }
    f->labels = key_values(filters, "label");
    f->patterns = key_values(filters, "reference");
    static const char *const times[] = { "before", "since" };
    for (size_t k = 0; k < 2; k++) {
        _cleanup_strv_ char **v = key_values(filters, times[k]);
        for (size_t i = 0; v && v[i]; i++) {
            int64_t t = 0;
            int r = image_created(e, v[i], &t, err);
            if (r < 0)
                return r;
            if (k == 0) {
                f->have_before = true;
                f->before = t;
            } else {
                f->have_since = true;
                f->since = t;
            }
        }
    }
    _cleanup_strv_ char **until = key_values(filters, "until");
    for (size_t i = 0; until && until[i]; i++) {
        if (parse_time_arg(until[i], now_ns(), &f->until) < 0)
            return berr(err, BERTH_EINVAL, "invalid filter 'until=%s'", until[i]);
        f->have_until = true;
    }
    return 0;
}

static bool labels_match(const json_t *labels, char *const *want)
{
    for (size_t i = 0; want && want[i]; i++) {
        const char *eq = strchr(want[i], '=');
        _cleanup_free_ char *key = eq ? xstrndup(want[i], eq - want[i]) : xstrdup(want[i]);
        const char *have = json_string_value(json_object_get(labels, key));
        if (!have || (eq && strcmp(have, eq + 1) != 0))
            return false;
    }
    return true;
}

static bool pattern_match(char *const *patterns, const char *stored)
{
    for (size_t i = 0; patterns[i]; i++)
        if (ref_familiar_match(patterns[i], stored))
            return true;
    return false;
}

/* The summary of one image, or NULL when the filters drop it. */
static json_t *summarize(berth_engine *e, const struct image_row *row, const struct list_filter *f,
                         berth_error *err)
{
    if (f->have_before && row->created >= f->before)
        return NULL;
    if (f->have_since && row->created <= f->since)
        return NULL;
    if (f->have_until && row->created >= f->until)
        return NULL;
    json_t *labels = json_object_get(json_object_get(row->config, "config"), "Labels");
    if (f->labels && !labels_match(labels, f->labels))
        return NULL;

    _cleanup_strv_ char **tags = NULL;
    if (image_store_tags(e, row->id, &tags, err) < 0)
        return NULL;
    json_t *repo_tags = json_array();
    json_t *repo_digests = json_array();
    for (size_t i = 0; tags[i]; i++)
        if (!f->patterns || pattern_match(f->patterns, tags[i]))
            json_array_append_new(repo_tags, json_string_take(ref_familiar(tags[i])));
    size_t i;
    json_t *v;
    json_array_foreach(row->repo_digests, i, v)
    {
        const char *d = json_string_value(v);
        if (d && (!f->patterns || pattern_match(f->patterns, d)))
            json_array_append_new(repo_digests, json_string_take(ref_familiar(d)));
    }
    bool untagged = json_array_size(repo_tags) == 0 && json_array_size(repo_digests) == 0;
    bool drop = (untagged && (f->dangling == 0 || f->patterns)) ||
                (f->dangling == 1 && (json_array_size(repo_tags) > 0 || tags[0]));
    if (drop) {
        json_decref(repo_tags);
        json_decref(repo_digests);
        return NULL;
    }
    return json_pack("{s:i, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:o}", "Containers", -1, "Id",
                     row->id, "ParentId", "", "RepoTags", repo_tags, "RepoDigests", repo_digests,
                     "Created", (json_int_t)(row->created / 1000000000), "Size",
                     (json_int_t)row->size, "SharedSize", (json_int_t)-1, "VirtualSize",
                     (json_int_t)row->size, "Labels",
                     json_is_object(labels) ? json_incref(labels) : json_object());
}

int berth_image_list(berth_engine *engine, const berth_image_list_opts *opts, char **json_out,
                     berth_error *err)
{
    berth_image_list_opts defaults = BERTH_IMAGE_LIST_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    if (opts->version != BERTH_IMAGE_LIST_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_image_list_opts version %u", opts->version);
    _cleanup_json_ json_t *filters = NULL;
    int r = parse_filters(opts->filters_json, &filters, err);
    if (r < 0)
        return r;
    struct list_filter f;
    r = build_filter(engine, filters, &f, err);
    if (r < 0) {
        list_filter_clear(&f);
        return r;
    }
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(engine->db,
                   "SELECT " ROW_COLUMNS " FROM images ORDER BY created DESC, added DESC, id", &s,
                   err);
    if (r < 0) {
        list_filter_clear(&f);
        return r;
    }
    json_t *out = json_array();
    berth_error lerr = BERTH_ERROR_INIT;
    while (sqlite3_step(s) == SQLITE_ROW) {
        struct image_row row = { 0 };
        fill_row(s, &row);
        json_t *sum = summarize(engine, &row, &f, &lerr);
        image_row_clear(&row);
        if (sum)
            json_array_append_new(out, sum);
    }
    list_filter_clear(&f);
    if (lerr.code) {
        json_decref(out);
        return berr(err, lerr.code, "%s", lerr.message);
    }
    *json_out = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    return 0;
}

/* ---- adding ---------------------------------------------------------- */

static int exec_bind(berth_engine *e, const char *sql, const char *a, const char *b, int64_t n,
                     berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, sql, &s, err);
    if (r < 0)
        return r;
    int idx = 1;
    if (a)
        sqlite3_bind_text(s, idx++, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(s, idx++, b, -1, SQLITE_STATIC);
    if (n >= 0)
        sqlite3_bind_int64(s, idx++, n);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(e->db, err, "state database");
    return 0;
}

static int add_rows(berth_engine *e, const struct image_add *add, const char *id, const json_t *cfg,
                    char ***replaced, berth_error *err)
{
    int64_t size = 0;
    for (size_t i = 0; i < add->n_layers; i++) {
        if (!layer_store_present(e, add->layers[i].diff_id))
            return berr(err, BERTH_EINTERNAL, "layer %s vanished before it was recorded",
                        add->layers[i].diff_id);
        size += add->layers[i].unpacked;
    }
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db,
                       "INSERT OR IGNORE INTO images(id, config, created, added, size, comment) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, add->config, (int)add->config_len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, image_config_created(cfg));
    sqlite3_bind_int64(s, 4, now_ns());
    sqlite3_bind_int64(s, 5, size);
    sqlite3_bind_text(s, 6, image_config_string(cfg, "comment"), -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(e->db, err, "cannot record image");
    if (sqlite3_changes(e->db) > 0) {
        for (size_t i = 0; i < add->n_layers; i++) {
            r = layer_store_record(e, &add->layers[i], err);
            if (r == 0)
                r = exec_bind(e,
                              "INSERT INTO image_layers(image_id, diff_id, idx) VALUES (?, ?, ?)",
                              id, add->layers[i].diff_id, (int64_t)i, err);
            if (r < 0)
                return r;
        }
    }
    if (add->repo_digest) {
        r = exec_bind(e,
                      "UPDATE images SET repo_digests=json_insert(repo_digests, '$[#]', ?1) "
                      "WHERE id=?2 AND NOT EXISTS (SELECT 1 FROM json_each(repo_digests) "
                      "WHERE value=?1)",
                      add->repo_digest, id, -1, err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; add->tags && add->tags[i]; i++) {
        _cleanup_free_ char *old = NULL;
        r = query_id(e, "SELECT image_id FROM tags WHERE ref=?", add->tags[i], &old, err);
        if (r < 0 && r != BERTH_ENOTFOUND)
            return r;
        if (replaced)
            strv_push(replaced, old && strcmp(old, id) != 0 ? old : "");
        if (old && strcmp(old, id) == 0)
            continue;
        r = exec_bind(e, "INSERT OR REPLACE INTO tags(ref, image_id, added) VALUES (?, ?, ?)",
                      add->tags[i], id, now_ns(), err);
        if (r == 0 && (add->tag_events || str_eq(add->event, "import"))) {
            _cleanup_free_ char *familiar = ref_familiar(add->tags[i]);
            r = event_image(e->db, id, "tag", familiar, err);
        }
        if (r < 0)
            return r;
    }
    return add->event ? event_image(e->db, id, add->event, id, err) : 0;
}

int image_store_add(berth_engine *e, const struct image_add *add, char id_out[DIGEST_STR_LEN],
                    char ***replaced, berth_error *err)
{
    _cleanup_json_ json_t *cfg = NULL;
    int r = image_config_parse(add->config, add->config_len, &cfg, err);
    if (r < 0)
        return r;
    if (image_config_n_layers(cfg) != add->n_layers)
        return berr(err, BERTH_EINVAL, "image config lists %zu layers, the image has %zu",
                    image_config_n_layers(cfg), add->n_layers);
    for (size_t i = 0; i < add->n_layers; i++)
        if (strcmp(image_config_diff_id(cfg, i), add->layers[i].diff_id) != 0)
            return berr(err, BERTH_EINVAL, "layer %zu is %s but the image config expects %s", i,
                        add->layers[i].diff_id, image_config_diff_id(cfg, i));
    r = blob_write(e, add->config, add->config_len, id_out, err);
    if (r < 0)
        return r;
    if (replaced)
        *replaced = xcalloc(1, sizeof(char *));
    r = db_begin(e->db, err);
    if (r < 0)
        return r;
    r = add_rows(e, add, id_out, cfg, replaced, err);
    if (r < 0) {
        db_rollback(e->db);
        return r;
    }
    return db_commit(e->db, err);
}

/* ---- tag ------------------------------------------------------------- */

int berth_image_tag(berth_engine *engine, const char *source, const char *target, berth_error *err)
{
    _cleanup_ref_ struct ref ref = { 0 };
    int r = ref_parse(target, &ref, err);
    if (r < 0)
        return r;
    if (ref.digest)
        return berr(err, BERTH_EINVAL, "refusing to create a tag with a digest reference");
    ref_default_tag(&ref);
    _cleanup_free_ char *stored = ref_string(&ref);
    r = db_begin(engine->db, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *id = NULL;
    r = image_store_resolve(engine, source, &id, NULL, err);
    if (r == 0)
        r = exec_bind(engine, "INSERT OR REPLACE INTO tags(ref, image_id, added) VALUES (?, ?, ?)",
                      stored, id, now_ns(), err);
    if (r == 0) {
        _cleanup_free_ char *familiar = ref_familiar(stored);
        r = event_image(engine->db, id, "tag", familiar, err);
    }
    if (r < 0) {
        db_rollback(engine->db);
        return r;
    }
    return db_commit(engine->db, err);
}

/* ---- remove ---------------------------------------------------------- */

struct removal {
    berth_engine *e;
    const char *id;
    json_t *report;
    char **doomed_layers; /* diff_ids whose files go after the commit */
    bool deleted;
};

/* A container using the image, preferring running ones when running is
 * set (state running or paused), else any. NULL when none. */
static char *container_using(berth_engine *e, const char *id, int running)
{
    static const char *const sql[] = {
        "SELECT id FROM containers WHERE image_id=? AND state NOT IN "
        "('running','paused','restarting') ORDER BY seq LIMIT 1",
        "SELECT id FROM containers WHERE image_id=? AND state IN "
        "('running','paused','restarting') ORDER BY seq LIMIT 1",
        "SELECT id FROM containers WHERE image_id=? ORDER BY seq LIMIT 1",
    };
    char *out = NULL;
    if (query_id(e, sql[running], id, &out, NULL) < 0)
        return NULL;
    return out;
}

/* All references to the image: tags, then repo digests (stored forms). */
static int all_refs(struct removal *rm, char ***out, berth_error *err)
{
    int r = image_store_tags(rm->e, rm->id, out, err);
    if (r < 0)
        return r;
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(rm->e->db,
                   "SELECT value FROM images, json_each(images.repo_digests) WHERE images.id=?", &s,
                   err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, rm->id, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW)
        strv_push(out, db_col_text(s, 0));
    return 0;
}

static char *repo_of(const char *stored)
{
    _cleanup_ref_ struct ref r = { 0 };
    if (ref_parse(stored, &r, NULL) < 0)
        return xstrdup(stored);
    return ref_name(&r);
}

static bool is_digest_ref(const char *stored)
{
    return strchr(stored, '@') != NULL;
}

/* Docker's isSingleReference: all references in one repository and at
 * most one of them a tag. */
static bool single_reference(char *const *refs)
{
    if (!refs || !refs[0])
        return false;
    _cleanup_free_ char *repo = repo_of(refs[0]);
    size_t tags = 0;
    for (size_t i = 0; refs[i]; i++) {
        _cleanup_free_ char *r = repo_of(refs[i]);
        if (strcmp(r, repo) != 0)
            return false;
        if (!is_digest_ref(refs[i]))
            tags++;
    }
    return tags <= 1;
}

static int untag(struct removal *rm, const char *stored, berth_error *err)
{
    int r;
    if (is_digest_ref(stored))
        r = exec_bind(rm->e,
                      "UPDATE images SET repo_digests=(SELECT json_group_array(value) FROM "
                      "json_each(repo_digests) WHERE value<>?1) WHERE id=?2",
                      stored, rm->id, -1, err);
    else
        r = exec_bind(rm->e, "DELETE FROM tags WHERE ref=?", stored, NULL, -1, err);
    /* Docker names the image by its ID in an untag event */
    if (r == 0)
        r = event_image(rm->e->db, rm->id, "untag", rm->id, err);
    if (r < 0)
        return r;
    json_array_append_new(rm->report,
                          json_pack("{s:o}", "Untagged", json_string_take(ref_familiar(stored))));
    return 0;
}

enum {
    CONFLICT_RUNNING = 1,
    CONFLICT_REFERENCE = 2,
    CONFLICT_STOPPED = 4,
};

/* Docker's checkImageDeleteConflict for the conflicts in mask. Returns 0,
 * or BERTH_ECONFLICT with Docker's message; *used tells whether a
 * container was the reason. */
static int check_conflict(struct removal *rm, int mask, bool *used, berth_error *err)
{
    const char *hex = digest_hex(rm->id);
    *used = false;
    if (mask & CONFLICT_RUNNING) {
        _cleanup_free_ char *c = container_using(rm->e, rm->id, 1);
        if (c) {
            *used = true;
            return berr(err, BERTH_ECONFLICT,
                        "conflict: unable to delete %.12s (cannot be forced) - image is being "
                        "used by running container %.12s",
                        hex, c);
        }
    }
    if (mask & CONFLICT_REFERENCE) {
        _cleanup_strv_ char **refs = NULL;
        int r = all_refs(rm, &refs, err);
        if (r < 0)
            return r;
        if (refs[0])
            return berr(err, BERTH_ECONFLICT,
                        "conflict: unable to delete %.12s (must be forced) - image is "
                        "referenced in multiple repositories",
                        hex);
    }
    if (mask & CONFLICT_STOPPED) {
        _cleanup_free_ char *c = container_using(rm->e, rm->id, 0);
        if (c) {
            *used = true;
            return berr(err, BERTH_ECONFLICT,
                        "conflict: unable to delete %.12s (must be forced) - image is being "
                        "used by stopped container %.12s",
                        hex, c);
        }
    }
    return 0;
}

/* Deletes the image's rows and those of the layers only it used. */
static int delete_image(struct removal *rm, berth_error *err)
{
    _cleanup_strv_ char **refs = NULL;
    int r = all_refs(rm, &refs, err);
    for (size_t i = 0; r == 0 && refs[i]; i++)
        if (!is_digest_ref(refs[i]))
            r = untag(rm, refs[i], err);
    for (size_t i = 0; r == 0 && refs[i]; i++)
        if (is_digest_ref(refs[i]))
            json_array_append_new(rm->report, json_pack("{s:o}", "Untagged",
                                                        json_string_take(ref_familiar(refs[i]))));
    _cleanup_strv_ char **diff_ids = NULL;
    if (r == 0)
        r = image_layers(rm->e, rm->id, &diff_ids, err);
    if (r == 0)
        r = event_image(rm->e->db, rm->id, "delete", rm->id, err);
    if (r == 0)
        r = exec_bind(rm->e, "DELETE FROM images WHERE id=?", rm->id, NULL, -1, err);
    for (size_t i = 0; r == 0 && diff_ids[i]; i++) {
        _cleanup_free_ char *user = NULL;
        int q = query_id(rm->e, "SELECT image_id FROM image_layers WHERE diff_id=? LIMIT 1",
                         diff_ids[i], &user, err);
        /* a container keeps the layers it runs on, even when its image goes
         * (rmi -f of an image a stopped container uses), as Docker does */
        if (q == BERTH_ENOTFOUND)
            q = query_id(rm->e, "SELECT id FROM containers WHERE instr(layers, ?) > 0 LIMIT 1",
                         diff_ids[i], &user, err);
        if (q == BERTH_ENOTFOUND && !strv_contains(rm->doomed_layers, diff_ids[i])) {
            r = exec_bind(rm->e, "DELETE FROM layers WHERE diff_id=?", diff_ids[i], NULL, -1, err);
            strv_push(&rm->doomed_layers, diff_ids[i]);
        } else if (q < 0 && q != BERTH_ENOTFOUND) {
            r = q;
        }
    }
    if (r == 0) {
        json_array_append_new(rm->report, json_pack("{s:s}", "Deleted", rm->id));
        rm->deleted = true;
    }
    return r;
}

/* moby's ImageDelete, inside the transaction. */
static int remove_in_tx(struct removal *rm, const char *name, const char *matched_ref, bool force,
                        berth_error *err)
{
    _cleanup_strv_ char **refs = NULL;
    int r = all_refs(rm, &refs, err);
    if (r < 0)
        return r;
    bool used;
    bool removed_ref = false;
    if (matched_ref) {
        if (!force && single_reference(refs)) {
            _cleanup_free_ char *c = container_using(rm->e, rm->id, 2);
            if (c)
                return berr(err, BERTH_ECONFLICT,
                            "conflict: unable to remove repository reference \"%s\" (must "
                            "force) - container %.12s is using its referenced image %.12s",
                            name, c, digest_hex(rm->id));
        }
        r = untag(rm, matched_ref, err);
        if (r < 0)
            return r;
        strv_free(refs);
        refs = NULL;
        r = all_refs(rm, &refs, err);
        if (r < 0)
            return r;
        /* a tag gone, and only digests of its repository left: they go
         * too, as in Docker */
        if (!is_digest_ref(matched_ref) && refs[0]) {
            _cleanup_free_ char *repo = repo_of(matched_ref);
            bool only_digests = true;
            for (size_t i = 0; refs[i]; i++) {
                _cleanup_free_ char *rr = repo_of(refs[i]);
                if (strcmp(rr, repo) == 0 && !is_digest_ref(refs[i]))
                    only_digests = false;
            }
            for (size_t i = 0; only_digests && refs[i]; i++) {
                _cleanup_free_ char *rr = repo_of(refs[i]);
                if (strcmp(rr, repo) == 0 && (r = untag(rm, refs[i], err)) < 0)
                    return r;
            }
            strv_free(refs);
            refs = NULL;
            r = all_refs(rm, &refs, err);
            if (r < 0)
                return r;
        }
        if (refs[0])
            return 0;
        removed_ref = true;
    } else if (single_reference(refs)) {
        r = check_conflict(rm, CONFLICT_RUNNING | (force ? 0 : CONFLICT_STOPPED), &used, err);
        if (r < 0)
            return r;
        for (size_t i = 0; refs[i]; i++)
            if ((r = untag(rm, refs[i], err)) < 0)
                return r;
    }
    int mask = CONFLICT_RUNNING | (force ? 0 : CONFLICT_REFERENCE | CONFLICT_STOPPED);
    berth_error cerr = BERTH_ERROR_INIT;
    r = check_conflict(rm, mask, &used, &cerr);
    if (r < 0) {
        /* Untagging by name leaves an image that a container uses: kept,
         * quietly, as Docker does. */
        if (removed_ref && used)
            return 0;
        return berr(err, r, "%s", cerr.message);
    }
    return delete_image(rm, err);
}

int berth_image_remove(berth_engine *engine, const char *name, bool force, bool noprune,
                       char **report_json, berth_error *err)
{
    (void)noprune; /* berth images have no parent chain to prune */
    int lock = -1;
    int r = image_store_lock(engine, true, &lock, err);
    if (r < 0)
        return r;
    struct removal rm = { .e = engine, .report = json_array() };
    _cleanup_free_ char *id = NULL;
    _cleanup_free_ char *matched = NULL;
    r = db_begin(engine->db, err);
    if (r == 0) {
        r = image_store_resolve(engine, name, &id, &matched, err);
        rm.id = id;
        if (r == 0)
            r = remove_in_tx(&rm, name, matched, force, err);
        if (r == 0)
            r = db_commit(engine->db, err);
        else
            db_rollback(engine->db);
    }
    _cleanup_strv_ char **trash = NULL;
    if (r == 0 && rm.deleted) {
        _cleanup_free_ char *cfg = blob_path(engine, id);
        unlink(cfg);
        for (size_t i = 0; rm.doomed_layers && rm.doomed_layers[i]; i++)
            layer_store_remove_files(engine, rm.doomed_layers[i], &trash);
    }
    image_store_unlock(lock);
    for (size_t i = 0; trash && trash[i]; i++)
        rm_rf(trash[i]);
    strv_free(rm.doomed_layers);
    if (r == 0 && report_json)
        *report_json = json_dumps(rm.report, JSON_COMPACT);
    json_decref(rm.report);
    return r;
}

/* ---- prune ----------------------------------------------------------- */

/* On-disk bytes (unpacked files and tar) of each layer of the image. */
static int layer_bytes(berth_engine *e, const char *id, char ***diff_ids, int64_t **bytes,
                       berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db,
                       "SELECT l.diff_id, l.size + l.unpacked FROM image_layers il JOIN layers l"
                       " ON l.diff_id = il.diff_id WHERE il.image_id=?",
                       &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    size_t n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        strv_push(diff_ids, db_col_text(s, 0));
        *bytes = xrealloc(*bytes, (n + 1) * sizeof **bytes);
        (*bytes)[n++] = sqlite3_column_int64(s, 1);
    }
    return 0;
}

/* Deletes the image rm->id unless a container uses it (or, dangling
 * only, it has a tag); adds the bytes this frees (its config blob and
 * the layers no other image or container keeps) to *freed. */
static int prune_image(struct removal *rm, bool dangling_only, int64_t *freed, berth_error *err)
{
    rm->deleted = false;
    if (dangling_only) {
        _cleanup_strv_ char **tags = NULL;
        int r = image_store_tags(rm->e, rm->id, &tags, err);
        if (r < 0 || tags[0])
            return r;
    }
    bool used = false;
    berth_error cerr = BERTH_ERROR_INIT;
    int r = check_conflict(rm, CONFLICT_RUNNING | CONFLICT_STOPPED, &used, &cerr);
    if (r < 0)
        return used ? 0 : berr(err, r, "%s", cerr.message);
    _cleanup_strv_ char **diff_ids = NULL;
    _cleanup_free_ int64_t *bytes = NULL;
    if ((r = layer_bytes(rm->e, rm->id, &diff_ids, &bytes, err)) < 0)
        return r;
    size_t before = strv_length(rm->doomed_layers);
    if ((r = delete_image(rm, err)) < 0)
        return r;
    _cleanup_free_ char *blob = blob_path(rm->e, rm->id);
    struct stat st;
    if (stat(blob, &st) == 0)
        *freed += st.st_size;
    for (size_t i = before; rm->doomed_layers && rm->doomed_layers[i]; i++)
        for (size_t k = 0; diff_ids && diff_ids[k]; k++)
            if (strcmp(diff_ids[k], rm->doomed_layers[i]) == 0)
                *freed += bytes[k];
    return 0;
}

/* The IDs of the images that the until and label filters select, oldest
 * first. */
static int prune_candidates(berth_engine *e, const struct prune_filter *f, char ***out,
                            berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "SELECT " ROW_COLUMNS " FROM images ORDER BY created, added, id", &s,
                       err);
    if (r < 0)
        return r;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct image_row row = { 0 };
        fill_row(s, &row);
        json_t *labels = json_object_get(json_object_get(row.config, "config"), "Labels");
        if (prune_filter_match(f, row.created, labels))
            strv_push(out, row.id);
        image_row_clear(&row);
    }
    if (rc != SQLITE_DONE)
        return db_error(e->db, err, "list images");
    return 0;
}

int berth_image_prune(berth_engine *engine, const char *filters_json, char **report_json,
                      berth_error *err)
{
    struct prune_filter f;
    int r = prune_filter_parse(filters_json, true, now_ns(), &f, err);
    if (r < 0)
        return r;
    int lock = -1;
    r = image_store_lock(engine, true, &lock, err);
    if (r < 0) {
        prune_filter_clear(&f);
        return r;
    }
    /* One transaction: the check that no container uses an image and its
     * removal are atomic against a create, which inserts its row only if
     * the image is still there (container_create.c). */
    struct removal rm = { .e = engine, .report = json_array() };
    _cleanup_strv_ char **ids = NULL;
    _cleanup_strv_ char **deleted = NULL;
    int64_t freed = 0;
    r = db_begin(engine->db, err);
    if (r == 0) {
        r = prune_candidates(engine, &f, &ids, err);
        for (size_t i = 0; r == 0 && ids && ids[i]; i++) {
            rm.id = ids[i];
            r = prune_image(&rm, f.dangling, &freed, err);
            if (r == 0 && rm.deleted)
                strv_push(&deleted, ids[i]);
        }
        if (r == 0)
            r = db_commit(engine->db, err);
        else
            db_rollback(engine->db);
    }
    prune_filter_clear(&f);
    _cleanup_strv_ char **trash = NULL;
    if (r == 0) {
        for (size_t i = 0; deleted && deleted[i]; i++) {
            _cleanup_free_ char *cfg = blob_path(engine, deleted[i]);
            unlink(cfg);
        }
        for (size_t i = 0; rm.doomed_layers && rm.doomed_layers[i]; i++)
            layer_store_remove_files(engine, rm.doomed_layers[i], &trash);
    }
    image_store_unlock(lock);
    for (size_t i = 0; trash && trash[i]; i++)
        rm_rf(trash[i]);
    strv_free(rm.doomed_layers);
    if (r == 0 && report_json) {
        json_t *report = json_pack("{s:O, s:I}", "ImagesDeleted",
                                   json_array_size(rm.report) ? rm.report : json_null(),
                                   "SpaceReclaimed", (json_int_t)freed);
        *report_json = json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(report);
    }
    json_decref(rm.report);
    return r;
}
