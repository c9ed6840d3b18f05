/* fuzz_change.c - image configs (image_config.c): the config blob of a
 * loaded or pulled image (image_config_parse and the readers berth runs on
 * it), and the Dockerfile instructions of `import/commit --change`
 * (image_config_apply_changes).
 *
 * Input: CONFIG NUL CHANGES, or just CHANGES when there is no NUL byte.
 * CONFIG is parsed as an image config; when it is not a valid one, a fresh
 * config with a few Env entries takes its place. CHANGES holds one
 * instruction per line. Checks the documented contract: a failing change
 * leaves the config exactly as it was, and a config that changes produced
 * is one that image_config_parse accepts again (import stores it, load and
 * inspect read it back). */
#include "fuzz_common.h"
#include "image_config.h"
#include "util.h"

static json_t *base_config(void)
{
    json_t *cfg = image_config_new((int64_t)1700000000 * 1000000000);
    json_t *env = json_pack("[s, s, s]", "PATH=/usr/bin:/bin", "HOME=/root", "EMPTY=");
    json_object_set_new(json_object_get(cfg, "config"), "Env", env);
    image_config_add_layer(
        cfg, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    image_config_add_history(cfg, 1, "fuzz", NULL);
    return cfg;
}

/* What berth reads from a stored config. */
static void read_config(const json_t *cfg)
{
    size_t n = image_config_n_layers(cfg);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(image_config_diff_id(cfg, i) != NULL, "diff_id %zu vanished", i);
    (void)image_config_created(cfg);
    (void)image_config_string(cfg, "author");
    json_decref(image_config_docker_config(cfg));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    json_t *cfg = NULL;
    const uint8_t *changes = data;
    size_t changes_len = size;
    if (nul) {
        berth_error err = BERTH_ERROR_INIT;
        if (image_config_parse((const char *)data, nul - data, &cfg, &err) == 0)
            read_config(cfg);
        else
            FUZZ_CHECK(err.code == BERTH_EINVAL && err.message[0], "error without a message");
        changes = nul + 1;
        changes_len = size - (nul + 1 - data);
    }
    if (!cfg)
        cfg = base_config();

    /* one change per line */
    char *text = fuzz_strdup(changes, changes_len);
    size_t n = 0;
    for (char *p = text; *p; p++)
        n += *p == '\n';
    const char **lines = calloc(n + 2, sizeof *lines);
    size_t k = 0;
    for (char *p = text, *save = NULL, *line; (line = strtok_r(p, "\n", &save)); p = NULL)
        lines[k++] = line;

    char *before = image_config_dump(cfg);
    berth_error err = BERTH_ERROR_INIT;
    int r = image_config_apply_changes(cfg, lines, k, &err);
    char *after = image_config_dump(cfg);
    if (r < 0) {
        FUZZ_CHECK(r == BERTH_EINVAL && err.code == r && err.message[0], "bad error %d", r);
        FUZZ_CHECK(strcmp(before, after) == 0, "a failed change altered the config");
    } else {
        json_t *back = NULL;
        berth_error perr = BERTH_ERROR_INIT;
        FUZZ_CHECK(image_config_parse(after, strlen(after), &back, &perr) == 0,
                   "changes made a config that does not parse: %s", perr.message);
        read_config(back);
        json_decref(back);
    }
    free(before);
    free(after);
    free(lines);
    free(text);
    json_decref(cfg);
    return 0;
}
