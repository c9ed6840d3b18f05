/* fuzz_create.c - the Docker ContainerCreateRequest (container_config.c):
 * create_request_parse on the request body, then create_config_build,
 * which merges it with the image's config.
 *
 * Input: REQUEST NUL IMAGE_CONFIG, or just REQUEST. The image config is
 * untrusted too (it comes with a pulled or loaded image): when it passes
 * image_config_parse it is used as it is, otherwise a busybox-like config
 * takes its place. Checks that a request berth accepts gives a command to
 * run and the two documents berth stores. */
#include "container_config.h"
#include "fuzz_common.h"
#include "image_config.h"

static const char default_image[] =
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\","
    "\"HOME=/root\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\",\"Labels\":{\"a\":\"b\"},"
    "\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/data\":{}},\"StopSignal\":\"SIGQUIT\"},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[]}";

static const char id[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *part[2];
    fuzz_split(data, size, part, 2);
    json_t *image = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (!part[1] || image_config_parse(part[1], strlen(part[1]), &image, &err) < 0) {
        image = NULL;
        if (image_config_parse(default_image, sizeof default_image - 1, &image, &err) < 0)
            abort();
    }

    json_t *req = NULL;
    char *image_name = NULL;
    err = (berth_error)BERTH_ERROR_INIT;
    if (create_request_parse(part[0], &req, &image_name, &err) < 0) {
        FUZZ_CHECK(err.code == BERTH_EINVAL && err.message[0], "error without a message");
        goto out;
    }
    FUZZ_CHECK(image_name && *image_name, "accepted a request without an image");
    struct create_config cc;
    err = (berth_error)BERTH_ERROR_INIT;
    if (create_config_build(req, image, id, "runc", &cc, &err) == 0) {
        FUZZ_CHECK(cc.path != NULL, "accepted request has no command");
        FUZZ_CHECK(json_is_array(cc.args), "args is not an array");
        FUZZ_CHECK(json_is_object(cc.config) && json_is_object(cc.hostconfig),
                   "config or hostconfig is not an object");
        /* berth stores both as JSON text */
        char *c = json_dumps(cc.config, JSON_COMPACT);
        char *h = json_dumps(cc.hostconfig, JSON_COMPACT);
        FUZZ_CHECK(c && h, "config does not serialize");
        free(c);
        free(h);
        (void)json_get_str(cc.config, "Hostname", "");
        (void)env_lookup(json_object_get(cc.config, "Env"), "PATH");
        create_config_clear(&cc);
    } else {
        FUZZ_CHECK(err.code < 0 && err.message[0], "error without a message");
    }
    free(image_name);
    json_decref(req);
out:
    json_decref(image);
    free(part[0]);
    free(part[1]);
    return 0;
}
