/* cmd_exec.c - berth exec: run a command in a running container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

/* The exit code the exec's monitor recorded (126 when there is none). */
static int recorded_exit_code(berth_engine *e, const char *id)
{
    _cleanup_free_ char *doc = NULL;
    json_t *j = berth_exec_inspect(e, id, &doc, NULL) == 0 ? json_loads(doc, 0, NULL) : NULL;
    int code = json_is_integer(json_object_get(j, "ExitCode"))
                   ? (int)json_integer_value(json_object_get(j, "ExitCode"))
                   : 126;
    json_decref(j);
    return code;
}

int cmd_exec(berth_engine *e, int argc, char **argv)
{
    bool detach = false, interactive = false, tty = false, privileged = false;
    const char *user = NULL, *workdir = NULL, *detach_keys = NULL;
    _cleanup_strv_ char **env = NULL, **env_file = NULL;
    struct opt opts[] = {
        { "detach", 'd', OPT_BOOL, &detach, NULL, "Detached mode: run command in the background" },
        { "detach-keys", 0, OPT_STR, &detach_keys, "string",
          "Override the key sequence for detaching a container" },
        { "env", 'e', OPT_LIST, &env, "list", "Set environment variables" },
        { "env-file", 0, OPT_LIST, &env_file, "list", "Read in a file of environment variables" },
        { "interactive", 'i', OPT_BOOL, &interactive, NULL,
          "Keep STDIN open even if not attached" },
        { "privileged", 0, OPT_BOOL, &privileged, NULL, "Give extended privileges to the command" },
        { "tty", 't', OPT_BOOL, &tty, NULL, "Allocate a pseudo-TTY" },
        { "user", 'u', OPT_STR, &user, "string",
          "Username or UID (format: \"<name|uid>[:<group|gid>]\")" },
        { "workdir", 'w', OPT_STR, &workdir, "string", "Working directory inside the container" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("exec"), opts, argc, argv, true, &pos) < 0)
        return 1;
    if (strv_length(pos) < 2) {
        fprintf(stderr,
                "\"berth exec\" requires at least 2 arguments.\nSee 'berth exec --help'.\n");
        return 1;
    }
    json_t *jenv = json_array();
    for (size_t i = 0; env_file && env_file[i]; i++) {
        _cleanup_free_ char *c = NULL;
        if (read_file(env_file[i], &c, NULL) < 0) {
            json_decref(jenv);
            return cli_failf("open %s: no such file or directory", env_file[i]);
        }
        char *save = NULL;
        for (char *l = strtok_r(c, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            if (*l && *l != '#')
                cli_add_env(jenv, l);
    }
    for (size_t i = 0; env && env[i]; i++)
        cli_add_env(jenv, env[i]);
    json_t *cmd = json_array();
    for (size_t i = 1; pos[i]; i++)
        json_array_append_new(cmd, json_string(pos[i]));
    json_t *cfg = json_pack("{s:b, s:b, s:b, s:b, s:b, s:o, s:o}", "AttachStdin",
                            interactive && !detach, "AttachStdout", !detach, "AttachStderr",
                            !detach, "Tty", tty, "Privileged", privileged, "Env", jenv, "Cmd", cmd);
    if (user)
        json_object_set_new(cfg, "User", json_string(user));
    if (workdir)
        json_object_set_new(cfg, "WorkingDir", json_string(workdir));
    if (detach_keys)
        json_object_set_new(cfg, "DetachKeys", json_string(detach_keys));
    _cleanup_free_ char *text = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);

    berth_error err = BERTH_ERROR_INIT;
    berth_detach_keys check;
    if (berth_detach_keys_parse(detach_keys, &check, &err) < 0)
        return cli_fail(&err);
    _cleanup_free_ char *id = NULL;
    if (berth_exec_create(e, pos[0], text, &id, &err) < 0)
        return cli_fail(&err);
    berth_exec_start_opts so = BERTH_EXEC_START_OPTS_INIT;
    so.detach = detach;
    berth_attach *a = NULL;
    if (berth_exec_start(e, id, &so, detach ? NULL : &a, &err) < 0) {
        fprintf(stderr, "%s\n", err.message);
        return recorded_exit_code(e, id);
    }
    if (detach)
        return 0;
    berth_detach_keys keys;
    berth_detach_keys_parse(detach_keys, &keys, NULL);
    struct stream_opts o = { tty, interactive, false, &keys };
    int code = cli_stream_with(e, NULL, a, &o);
    berth_attach_free(a);
    return code < 0 ? recorded_exit_code(e, id) : code;
}
