/* container_commit.c - POST /commit: an image made of a container's image
 * layers and one more layer with its changes, as moby's
 * CreateImageFromContainer.
 *
 * The config is the body's Config (else the container's), with the
 * `changes` instructions applied, and what it leaves empty filled in from
 * the container's config (moby's merge). The image records "container"
 * and "container_config" as Docker's do, and a history entry whose
 * created_by is the container's command. Everything the caller got wrong
 * (reference, config, changes) is refused before anything is read or
 * paused. A running container is frozen (pause) while its layer is read
 * unless opts->pause is false; it is thawed when the image is stored.
 * An empty change set adds no layer, only an empty_layer history entry. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <berth/commit.h>
#include <berth/container.h>

#include "container_fs.h"
#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "events.h"
#include "image_config.h"
#include "image_store.h"
#include "layer_tar.h"
#include "ref.h"
#include "util.h"

static bool is_empty(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

/* Adds the members of from that into lacks. */
static void add_missing(json_t *into, const json_t *from)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)from, k, v)
    {
        if (!json_object_get(into, k))
            json_object_set(into, k, v);
    }
}

static size_t env_key_len(const char *s)
{
    const char *eq = strchr(s, '=');
    return eq ? (size_t)(eq - s) : strlen(s);
}

/* moby's merge(userConf, imageConf): what the new config leaves empty
 * comes from the container's. */
static void merge(json_t *cfg, const json_t *ctr)
{
    static const char *const plain[] = { "User", "WorkingDir", "StopSignal" };
    for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
        if (is_empty(json_object_get(cfg, plain[i])) && json_object_get(ctr, plain[i]))
            json_object_set(cfg, plain[i], json_object_get(ctr, plain[i]));
    static const char *const maps[] = { "ExposedPorts", "Volumes", "Labels" };
    for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
        json_t *from = json_object_get(ctr, maps[i]);
        if (!json_is_object(from))
            continue;
        json_t *into = json_object_get(cfg, maps[i]);
        if (!json_is_object(into))
            json_object_set_new(cfg, maps[i], json_deep_copy(from));
        else
            add_missing(into, from);
    }
    json_t *env = json_object_get(cfg, "Env");
    json_t *cenv = json_object_get(ctr, "Env");
    if (!json_is_array(env) || json_array_size(env) == 0) {
        if (cenv)
            json_object_set(cfg, "Env", cenv);
    } else {
        size_t i, k;
        json_t *ce, *e;
        json_array_foreach(cenv, i, ce)
        {
            const char *cs = json_string_value(ce);
            bool have = false;
            json_array_foreach(env, k, e)
            {
                const char *s = json_string_value(e);
                if (cs && s && env_key_len(s) == env_key_len(cs) &&
                    strncmp(s, cs, env_key_len(cs)) == 0)
                    have = true;
            }
            if (cs && !have)
                json_array_append(env, ce);
        }
    }
    if (is_empty(json_object_get(cfg, "Entrypoint"))) {
        if (is_empty(json_object_get(cfg, "Cmd")) && json_object_get(ctr, "Cmd"))
            json_object_set(cfg, "Cmd", json_object_get(ctr, "Cmd"));
        if (!json_is_array(json_object_get(cfg, "Entrypoint")) &&
            json_object_get(ctr, "Entrypoint"))
            json_object_set(cfg, "Entrypoint", json_object_get(ctr, "Entrypoint"));
    }
    if (!json_object_get(cfg, "Healthcheck") && json_object_get(ctr, "Healthcheck"))
        json_object_set(cfg, "Healthcheck", json_object_get(ctr, "Healthcheck"));
}

/* The new image's Config, from the options and the container's config. */
static int new_config(const struct ctr *c, const berth_commit_opts *o, json_t **out,
                      berth_error *err)
{
    json_t *base = NULL;
    if (o->config_json && *o->config_json) {
        json_error_t je;
        base = json_loads(o->config_json, JSON_DECODE_ANY, &je);
        if (!base)
            return berr(err, BERTH_EINVAL, "invalid JSON in the config: %s", je.text);
        if (json_is_null(base)) {
            json_decref(base);
            base = NULL;
        } else if (!json_is_object(base)) {
            json_decref(base);
            return berr(err, BERTH_EINVAL, "the config must be a JSON object");
        }
    }
    bool from_body = base != NULL;
    json_t *doc = json_pack("{s:o}", "config", base ? base : json_deep_copy(c->config));
    int r = image_config_apply_changes(doc, o->changes, o->n_changes, err);
    if (r < 0) {
        json_decref(doc);
        return r;
    }
    json_t *cfg = json_incref(json_object_get(doc, "config"));
    json_decref(doc);
    if (from_body)
        merge(cfg, c->config);
    *out = cfg;
    return 0;
}

/* moby's history created_by for a commit: the container's Cmd joined. */
static char *created_by(const struct ctr *c)
{
    buf_t b = { 0 };
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->config, "Cmd"), i, v)
        buf_appendf(&b, "%s%s", i ? " " : "", json_string_value(v) ? json_string_value(v) : "");
    buf_append(&b, "", 1);
    return buf_steal(&b);
}

/* The image config document of the commit. */
static json_t *image_doc(berth_engine *e, const struct ctr *c, json_t *config,
                         const berth_commit_opts *o, const char *new_layer, int64_t now)
{
    json_t *cfg = image_config_new(now);
    struct image_rec *parent = NULL;
    if (image_store_lookup(e, c->image_id, &parent, NULL) == 0) {
        static const char *const keep[] = { "architecture", "os", "variant", "os.version" };
        for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
            if (json_is_string(json_object_get(parent->config, keep[i])))
                json_object_set(cfg, keep[i], json_object_get(parent->config, keep[i]));
        json_t *h = json_object_get(parent->config, "history");
        if (json_is_array(h))
            json_object_set_new(cfg, "history", json_deep_copy(h));
        image_rec_free(parent);
    }
    if (o->author && *o->author)
        json_object_set_new(cfg, "author", json_string(o->author));
    if (o->comment && *o->comment)
        json_object_set_new(cfg, "comment", json_string(o->comment));
    json_object_set_new(cfg, "config", config);
    json_object_set_new(cfg, "container", json_string(c->id));
    json_object_set_new(cfg, "container_config", json_deep_copy(c->config));
    size_t i;
    json_t *v;
    json_array_foreach(c->layers, i, v) image_config_add_layer(cfg, json_string_value(v));
    if (new_layer)
        image_config_add_layer(cfg, new_layer);
    _cleanup_free_ char *by = created_by(c);
    image_config_add_history(cfg, now, by, o->comment);
    json_t *history = json_object_get(cfg, "history");
    json_t *last = json_array_get(history, json_array_size(history) - 1);
    if (o->author && *o->author)
        json_object_set_new(last, "author", json_string(o->author));
    if (!new_layer)
        json_object_set_new(last, "empty_layer", json_true());
    return cfg;
}

/* Writes the container's layer tar into a file under dir; stores it
 * unless it is empty (*stored false then). */
static int store_layer(berth_engine *e, const struct ctr *c, const char *dir,
                       struct layer_info *layer, bool *stored, berth_error *err)
{
    _cleanup_close_ int upper = -1;
    struct lowers lowers = { 0 };
    int r = ctr_fs_open(e, c, &upper, &lowers, err);
    if (r < 0)
        return r;
    lowers_close(&lowers);
    _cleanup_free_ char *path = xasprintf("%s/layer.tar", dir);
    _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot create %s", path);
    size_t n = 0;
    r = layer_tar_write(upper, fd, &n, err);
    if (r < 0)
        return r;
    *stored = n > 0;
    if (!*stored)
        return 0;
    if (lseek(fd, 0, SEEK_SET) < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot rewind %s", path);
    return layer_store_put(e, fd, NULL, NULL, layer, err);
}

static int commit_locked(berth_engine *e, const struct ctr *c, json_t *config,
                         const berth_commit_opts *o, const char *tag, char id[DIGEST_STR_LEN],
                         berth_error *err)
{
    size_t n_old = json_array_size(c->layers);
    struct layer_info *layers = xcalloc(n_old + 1, sizeof *layers);
    int r = 0;
    for (size_t i = 0; i < n_old && r == 0; i++)
        r = layer_store_put(e, -1, json_string_value(json_array_get(c->layers, i)), NULL,
                            &layers[i], err);
    _cleanup_free_ char *tmp = NULL;
    if (r == 0)
        r = engine_mktemp_dir(e, "commit", &tmp, err);
    bool stored = false;
    if (r == 0)
        r = store_layer(e, c, tmp, &layers[n_old], &stored, err);
    if (tmp)
        rm_rf(tmp);
    if (r < 0) {
        free(layers);
        json_decref(config);
        return r;
    }
    int64_t now = now_ns();
    json_t *cfg = image_doc(e, c, config, o, stored ? layers[n_old].diff_id : NULL, now);
    _cleanup_free_ char *blob = image_config_dump(cfg);
    json_decref(cfg);
    char *tags[] = { (char *)tag, NULL };
    struct image_add add = {
        .config = blob,
        .config_len = strlen(blob),
        .layers = layers,
        .n_layers = n_old + (stored ? 1 : 0),
        .tags = tag ? tags : NULL,
        .tag_events = true,
    };
    r = image_store_add(e, &add, id, NULL, err);
    free(layers);
    return r;
}

int berth_container_commit(berth_engine *e, const char *name, const berth_commit_opts *opts,
                           char **id_out, berth_error *err)
{
    berth_commit_opts defaults = BERTH_COMMIT_OPTS_INIT;
    const berth_commit_opts *o = opts ? opts : &defaults;
    if (o->version != BERTH_COMMIT_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_commit_opts version %u", o->version);
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;

    _cleanup_free_ char *tag = NULL;
    if (o->reference && *o->reference) {
        r = ref_normalize_tag(o->reference, "commit", &tag, err);
        if (r < 0)
            return r;
    }
    static const char *const texts[] = { "comment", "author" };
    const char *values[] = { o->comment, o->author };
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        json_t *probe = values[i] ? json_string(values[i]) : json_null();
        if (!probe)
            return berr(err, BERTH_EINVAL, "the %s is not valid UTF-8", texts[i]);
        json_decref(probe);
    }
    json_t *config = NULL;
    r = new_config(c, o, &config, err);
    if (r < 0)
        return r;

    bool paused = false;
    if (o->pause && str_eq(c->state, "running")) {
        r = berth_container_pause(e, c->id, err);
        if (r < 0 && r != BERTH_ECONFLICT) { /* conflict: it stopped meanwhile */
            json_decref(config);
            return r;
        }
        paused = r == 0;
    }
    int lock = -1;
    char id[DIGEST_STR_LEN];
    r = image_store_lock(e, false, &lock, err);
    if (r == 0) {
        r = commit_locked(e, c, config, o, tag, id, err);
        image_store_unlock(lock);
    } else {
        json_decref(config);
    }
    if (paused)
        berth_container_unpause(e, c->id, NULL);
    if (r < 0)
        return r;

    /* moby's LogContainerEventWithAttributes(container, "commit", ...) */
    _cleanup_free_ char *familiar = tag ? ref_familiar(tag) : NULL;
    json_t *attrs = json_pack("{s:s, s:s, s:s}", "comment", o->comment ? o->comment : "", "imageID",
                              id, "imageRef", familiar ? familiar : "");
    event_container(e->db, c->id, "commit", attrs, NULL);
    json_decref(attrs);
    if (id_out)
        *id_out = xstrdup(id);
    return 0;
}
