/* image_import.c - `docker import`: an image of one layer made from a root
 * filesystem tarball, with a config built from defaults and --change
 * instructions. As in Docker, the history entry carries the commit message
 * as its comment ("Imported from -" when there is none). Everything the
 * caller got wrong (reference, changes) is refused before the tarball is
 * read, so bad input stores nothing. */
#include <string.h>

#include <berth/image.h>

#include "engine_int.h"
#include "errors.h"
#include "image_config.h"
#include "image_store.h"
#include "ref.h"
#include "util.h"

int berth_image_import(berth_engine *engine, int tar_fd, const berth_import_opts *opts,
                       char **id_out, berth_error *err)
{
    berth_import_opts defaults = BERTH_IMPORT_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    if (opts->version != BERTH_IMPORT_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_import_opts version %u", opts->version);

    _cleanup_free_ char *tag = NULL;
    if (opts->reference && *opts->reference) {
        int r = ref_normalize_tag(opts->reference, "import", &tag, err);
        if (r < 0)
            return r;
    }

    int64_t now = now_ns();
    json_t *cfg = image_config_new(now);
    int r = image_config_apply_changes(cfg, opts->changes, opts->n_changes, err);
    if (r < 0) {
        json_decref(cfg);
        return r;
    }
    const char *comment = opts->message && *opts->message ? opts->message : "Imported from -";
    json_t *probe = json_string(comment);
    if (!probe)
        return berr(err, BERTH_EINVAL, "the message is not valid UTF-8");
    json_decref(probe);

    int lock = -1;
    r = image_store_lock(engine, false, &lock, err);
    if (r < 0) {
        json_decref(cfg);
        return r;
    }
    struct layer_info layer;
    r = layer_store_put(engine, tar_fd, NULL, NULL, &layer, err);
    if (r == 0) {
        image_config_add_layer(cfg, layer.diff_id);
        image_config_add_history(cfg, now, NULL, comment);
        json_object_set_new(cfg, "comment", json_string(comment));
        _cleanup_free_ char *blob = image_config_dump(cfg);
        char *tags[] = { tag, NULL };
        struct image_add add = {
            .config = blob,
            .config_len = strlen(blob),
            .layers = &layer,
            .n_layers = 1,
            .tags = tag ? tags : NULL,
            .event = "import",
        };
        char id[DIGEST_STR_LEN];
        r = image_store_add(engine, &add, id, NULL, err);
        if (r == 0 && id_out)
            *id_out = xstrdup(id);
    }
    image_store_unlock(lock);
    json_decref(cfg);
    return r;
}
