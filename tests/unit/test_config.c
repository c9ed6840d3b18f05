/* test_config.c - create requests: validation, Docker's merge with the
 * image config, and the OCI spec that results. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "container.h"
#include "container_config.h"
#include "spec.h"
#include "util.h"

static const char *ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static const char *image_doc;

static json_t *image(void)
{
    if (image_doc)
        return json_loads(image_doc, 0, NULL);
    return json_loads("{\"config\":{\"Env\":[\"PATH=/img/bin\",\"A=image\"],"
                      "\"Cmd\":[\"sh\"],\"WorkingDir\":\"/srv\",\"User\":\"tester\","
                      "\"Labels\":{\"from\":\"image\",\"both\":\"image\"},"
                      "\"StopSignal\":\"SIGQUIT\"}}",
                      0, NULL);
}

static int build(const char *req_text, struct create_config *cc, berth_error *err)
{
    json_t *req = NULL;
    char *img_name = NULL;
    int r = create_request_parse(req_text, &req, &img_name, err);
    if (r < 0)
        return r;
    json_t *img = image();
    r = create_config_build(req, img, ID, "crun", cc, err);
    json_decref(img);
    json_decref(req);
    free(img_name);
    return r;
}

static const char *arr_str(const json_t *a, size_t i)
{
    return json_string_value(json_array_get(a, i));
}

static void test_merge(void)
{
    struct create_config cc;
    berth_error err = BERTH_ERROR_INIT;
    int r = build("{\"Image\":\"busybox\",\"Env\":[\"A=user\",\"B=2\"],"
                  "\"Labels\":{\"both\":\"user\"}}",
                  &cc, &err);
    CHECK(r == 0, "%s", err.message);
    if (r)
        return;
    CHECK_STR(cc.path, "sh");
    CHECK_INT(json_array_size(cc.args), 0);
    json_t *env = json_object_get(cc.config, "Env");
    CHECK_STR(arr_str(env, 0), "PATH=/img/bin");
    CHECK_STR(arr_str(env, 1), "A=user");
    CHECK_STR(arr_str(env, 2), "B=2");
    json_t *labels = json_object_get(cc.config, "Labels");
    CHECK_STR(json_string_value(json_object_get(labels, "from")), "image");
    CHECK_STR(json_string_value(json_object_get(labels, "both")), "user");
    CHECK_STR(json_get_str(cc.config, "WorkingDir", ""), "/srv");
    CHECK_STR(json_get_str(cc.config, "User", ""), "tester");
    CHECK_STR(json_get_str(cc.config, "Hostname", ""), "0123456789ab");
    CHECK_STR(json_get_str(cc.config, "StopSignal", ""), "SIGQUIT");
    CHECK_STR(json_get_str(json_object_get(cc.hostconfig, "LogConfig"), "Type", ""), "json-file");
    CHECK_STR(json_get_str(cc.hostconfig, "Runtime", ""), "crun");
    create_config_clear(&cc);

    /* an entrypoint in the request drops the image's command */
    r = build("{\"Image\":\"x\",\"Entrypoint\":[\"echo\"]}", &cc, &err);
    CHECK(r == 0, "%s", err.message);
    CHECK_STR(cc.path, "echo");
    CHECK_INT(json_array_size(cc.args), 0);
    create_config_clear(&cc);

    r = build("{\"Image\":\"x\",\"Entrypoint\":\"echo\",\"Cmd\":[\"a\",\"b\"]}", &cc, &err);
    CHECK(r == 0, "%s", err.message);
    CHECK_STR(cc.path, "echo");
    CHECK_STR(arr_str(cc.args, 1), "b");
    create_config_clear(&cc);

    /* [""] resets the entrypoint; the command then runs by itself */
    r = build("{\"Image\":\"x\",\"Entrypoint\":[\"\"],\"Cmd\":[\"true\"]}", &cc, &err);
    CHECK(r == 0, "%s", err.message);
    CHECK_STR(cc.path, "true");
    CHECK(json_is_null(json_object_get(cc.config, "Entrypoint")), "entrypoint should be null");
    create_config_clear(&cc);

    /* the docker CLI's empty endpoint for the default network asks for nothing */
    r = build("{\"Image\":\"x\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":"
              "{\"IPAMConfig\":null,\"Aliases\":null,\"MacAddress\":\"\",\"IPPrefixLen\":0}}}}",
              &cc, &err);
    CHECK(r == 0, "%s", err.message);
    create_config_clear(&cc);

    r = build("{\"Image\":\"x\",\"HostConfig\":{\"Runtime\":\"runc\",\"AutoRemove\":true,"
              "\"NetworkMode\":\"default\",\"RestartPolicy\":{\"Name\":\"no\"},"
              "\"LogConfig\":{\"Type\":\"\",\"Config\":{}},\"Memory\":0,\"Binds\":null}}",
              &cc, &err);
    CHECK(r == 0, "%s", err.message);
    CHECK_STR(json_get_str(cc.hostconfig, "Runtime", ""), "runc");
    CHECK(json_get_bool(cc.hostconfig, "AutoRemove"), "AutoRemove");
    create_config_clear(&cc);
}

static void bad(const char *req, const char *want)
{
    struct create_config cc;
    berth_error err = BERTH_ERROR_INIT;
    int r = build(req, &cc, &err);
    CHECK(r == BERTH_EINVAL, "%s: expected 400, got %d", req, r);
    CHECK(strstr(err.message, want) != NULL, "%s: message \"%s\" lacks \"%s\"", req, err.message,
          want);
    if (r == 0)
        create_config_clear(&cc);
}

static void test_refusals(void)
{
    bad("{", "invalid JSON");
    bad("[]", "must be an object");
    bad("{\"Cmd\":[\"x\"]}", "No image");
    bad("{\"Image\":\"x\",\"Env\":\"A=1\"}", "Env");
    bad("{\"Image\":\"x\",\"Env\":[1]}", "Env");
    bad("{\"Image\":\"x\",\"Tty\":\"yes\"}", "Tty");
    bad("{\"Image\":\"x\",\"WorkingDir\":\"rel\"}", "absolute path");
    bad("{\"Image\":\"x\",\"StopSignal\":\"SIGNOPE\"}", "Invalid signal");
    bad("{\"Image\":\"x\",\"HostConfig\":{\"Memory\":1048576}}", "HostConfig.Memory");
    bad("{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}", "HostConfig.Privileged");
    bad("{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"bridge\"}}", "NetworkMode");
    bad("{\"Image\":\"x\",\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"always\"}}}",
        "RestartPolicy");
    bad("{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"/a:/b\"]}}", "HostConfig.Binds");
    bad("{\"Image\":\"x\",\"HostConfig\":{\"CapAdd\":[\"NOT A CAP\"]}}", "invalid capability");
    bad("{\"Image\":\"x\",\"Volumes\":{\"data\":{}}}", "invalid volume destination");
    bad("{\"Image\":\"x\",\"Volumes\":{\"/\":{}}}", "invalid volume destination");
    bad("{\"Image\":\"x\",\"Volumes\":{\"/a/..\":{}}}", "invalid volume destination");
    bad("{\"Image\":\"x\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":"
        "{\"Aliases\":[\"web\"]}}}}",
        "EndpointsConfig[default]");
    bad("{\"Image\":\"x\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"mynet\":{}}}}",
        "EndpointsConfig[mynet]");
    bad("{\"Image\":\"x\",\"HostConfig\":{\"PortBindings\":{\"80/tcp\":null}}}", "PortBindings");
    /* an empty request command falls back to the image's; none at all is an error */
    image_doc = "{\"config\":{}}";
    bad("{\"Image\":\"x\",\"Entrypoint\":[],\"Cmd\":[]}", "No command");
    bad("{\"Image\":\"x\"}", "No command");
    /* an image's config is as untrusted as a request */
    image_doc = "{\"config\":{\"Env\":[1],\"Cmd\":[\"sh\"]}}";
    bad("{\"Image\":\"x\",\"Env\":[\"A=1\"]}", "image config.Env");
    image_doc = "{\"config\":{\"Cmd\":[null]}}";
    bad("{\"Image\":\"x\"}", "image config.Cmd");
    image_doc = "{\"config\":[]}";
    bad("{\"Image\":\"x\"}", "not an object");
    image_doc = NULL;
}

static bool has(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) &&
                                      strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

static void test_spec(void)
{
    struct create_config cc;
    berth_error err = BERTH_ERROR_INIT;
    int r = build(
        "{\"Image\":\"x\",\"Cmd\":[\"id\"],\"Tty\":true,\"Env\":[\"PATH=/p\"],"
        "\"HostConfig\":{\"CapDrop\":[\"NET_RAW\"],\"CapAdd\":[\"SYS_ADMIN\",\"CAP_SYS_RESOURCE\"],"
        "\"ReadonlyRootfs\":true,\"ShmSize\":1048576}}",
        &cc, &err);
    CHECK(r == 0, "%s", err.message);
    if (r)
        return;
    struct ctr c = { 0 };
    c.id = (char *)ID;
    c.config = cc.config;
    c.hostconfig = cc.hostconfig;
    c.path = cc.path;
    c.args = cc.args;
    struct exec_user u = { 1000, 1000, NULL, 0, (char *)"/home/tester" };
    struct spec_host host = { false, 0x1fffeffffffULL, 40 }; /* no CAP_SYS_RESOURCE */
    json_t *spec = spec_build(&c, &u, "/ctr", "/run/rootfs", &host);
    json_t *proc = json_object_get(spec, "process");
    CHECK(json_is_true(json_object_get(proc, "terminal")), "terminal");
    CHECK_STR(arr_str(json_object_get(proc, "args"), 0), "id");
    json_t *env = json_object_get(proc, "env");
    CHECK_STR(arr_str(env, 0), "PATH=/p");
    CHECK_STR(arr_str(env, 1), "HOSTNAME=0123456789ab");
    CHECK_STR(arr_str(env, 2), "TERM=xterm");
    CHECK(has(env, "HOME=/home/tester"), "HOME from passwd");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(proc, "user"), "uid")), 1000);
    json_t *bounding = json_object_get(json_object_get(proc, "capabilities"), "bounding");
    CHECK(has(bounding, "CAP_CHOWN"), "default CAP_CHOWN");
    CHECK(has(bounding, "CAP_SYS_ADMIN"), "added CAP_SYS_ADMIN");
    CHECK(!has(bounding, "CAP_NET_RAW"), "dropped CAP_NET_RAW");
    CHECK(!has(bounding, "CAP_SYS_RESOURCE"), "a capability the host lacks is left out");
    CHECK(json_is_true(json_object_get(json_object_get(spec, "root"), "readonly")),
          "readonly root");
    json_t *linux_ = json_object_get(spec, "linux");
    CHECK(has(json_object_get(linux_, "maskedPaths"), "/proc/kcore"), "masked /proc/kcore");
    CHECK(has(json_object_get(linux_, "readonlyPaths"), "/proc/sys"), "read-only /proc/sys");
    size_t i;
    json_t *m;
    bool shm = false, hosts = false;
    json_array_foreach(json_object_get(spec, "mounts"), i, m)
    {
        const char *dest = json_string_value(json_object_get(m, "destination"));
        if (strcmp(dest, "/dev/shm") == 0)
            shm = has(json_object_get(m, "options"), "size=1048576");
        if (strcmp(dest, "/etc/hosts") == 0)
            hosts = strcmp(json_string_value(json_object_get(m, "source")), "/ctr/hosts") == 0;
    }
    CHECK(shm, "/dev/shm sized by ShmSize");
    CHECK(hosts, "/etc/hosts bound from the container directory");
    bool netns = false;
    json_array_foreach(json_object_get(linux_, "namespaces"), i, m) netns =
        netns || strcmp(json_string_value(json_object_get(m, "type")), "network") == 0;
    CHECK(netns, "own network namespace by default");
    json_decref(spec);
    create_config_clear(&cc);
}

int main(void)
{
    test_merge();
    test_refusals();
    test_spec();
    return check_exit();
}
