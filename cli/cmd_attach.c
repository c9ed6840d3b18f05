/* cmd_attach.c - berth attach: this terminal to a running container's
 * stdio (cli_stream does the streaming, as for run and start -a). */
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

int cmd_attach(berth_engine *e, int argc, char **argv)
{
    bool no_stdin = false, sig_proxy = true;
    const char *detach_keys = NULL;
    struct opt opts[] = {
        { "detach-keys", 0, OPT_STR, &detach_keys, "string",
          "Override the key sequence for detaching a container" },
        { "no-stdin", 0, OPT_BOOL, &no_stdin, NULL, "Do not attach STDIN" },
        { "sig-proxy", 0, OPT_BOOL, &sig_proxy, NULL,
          "Proxy all received signals to the process (default true)" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("attach"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) != 1) {
        fprintf(stderr,
                "\"berth attach\" requires exactly 1 argument.\nSee 'berth attach --help'.\n");
        return 1;
    }
    berth_error err = BERTH_ERROR_INIT;
    berth_detach_keys keys;
    if (berth_detach_keys_parse(detach_keys, &keys, &err) < 0)
        return cli_fail(&err);
    _cleanup_free_ char *inspect = NULL;
    if (berth_container_inspect(e, pos[0], &inspect, &err) < 0)
        return cli_fail(&err);
    json_t *doc = json_loads(inspect, 0, NULL);
    json_t *cfg = json_object_get(doc, "Config"), *state = json_object_get(doc, "State");
    _cleanup_free_ char *id = xstrdup(json_string_value(json_object_get(doc, "Id")));
    bool tty = json_is_true(json_object_get(cfg, "Tty"));
    bool open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
    bool running = json_is_true(json_object_get(state, "Running"));
    bool paused = json_is_true(json_object_get(state, "Paused"));
    json_decref(doc);
    if (!running)
        return cli_failf("You cannot attach to a stopped container, start it first");
    if (paused)
        return cli_failf("You cannot attach to a paused container, unpause it first");

    berth_attach_opts ao = BERTH_ATTACH_OPTS_INIT;
    ao.attach_stdin = open_stdin && !no_stdin;
    berth_attach *a = NULL;
    if (berth_container_attach(e, id, &ao, &a, &err) < 0)
        return cli_fail(&err);
    struct stream_opts so = { tty, ao.attach_stdin, sig_proxy, &keys };
    int code = cli_stream_with(e, id, a, &so);
    berth_attach_free(a);
    return code;
}
