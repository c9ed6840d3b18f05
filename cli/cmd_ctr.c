/* cmd_ctr.c - berth stop, kill, restart, pause, unpause, rm, rename and wait. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

/* Runs fn on each named container, printing the name on success. */
static int each(char **names, int (*fn)(berth_engine *, const char *, void *, berth_error *),
                berth_engine *e, void *arg)
{
    int rc = 0;
    for (size_t i = 0; names && names[i]; i++) {
        berth_error err = BERTH_ERROR_INIT;
        int r = fn(e, names[i], arg, &err);
        if (r < 0 && r != BERTH_ENOTMODIFIED) {
            cli_fail(&err);
            rc = 1;
            continue;
        }
        printf("%s\n", names[i]);
    }
    return rc;
}

static int need_args(const struct cmd *cmd, char **pos, size_t min)
{
    if (strv_length(pos) < min) {
        fprintf(stderr, "\"berth %s\" requires at least %zu argument%s.\nSee 'berth %s --help'.\n",
                cmd->name, min, min == 1 ? "" : "s", cmd->name);
        return -1;
    }
    return 0;
}

struct stop_args {
    long timeout;
    const char *signal;
};

static int do_stop(berth_engine *e, const char *name, void *arg, berth_error *err)
{
    struct stop_args *a = arg;
    return berth_container_stop(e, name, (int)a->timeout, a->signal, err);
}

int cmd_stop(berth_engine *e, int argc, char **argv)
{
    struct stop_args a = { -1, NULL };
    struct opt opts[] = {
        { "time", 't', OPT_INT, &a.timeout, "int", "Seconds to wait before killing the container" },
        { "signal", 's', OPT_STR, &a.signal, "string", "Signal to send to the container" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("stop");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0 || need_args(cmd, pos, 1) < 0)
        return 1;
    return each(pos, do_stop, e, &a);
}

static int do_restart(berth_engine *e, const char *name, void *arg, berth_error *err)
{
    return berth_container_restart(e, name, (int)*(long *)arg, err);
}

int cmd_restart(berth_engine *e, int argc, char **argv)
{
    long timeout = -1;
    struct opt opts[] = {
        { "time", 't', OPT_INT, &timeout, "int", "Seconds to wait before killing the container" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("restart");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0 || need_args(cmd, pos, 1) < 0)
        return 1;
    return each(pos, do_restart, e, &timeout);
}

static int do_kill(berth_engine *e, const char *name, void *arg, berth_error *err)
{
    return berth_container_kill(e, name, *(const char **)arg, err);
}

int cmd_kill(berth_engine *e, int argc, char **argv)
{
    const char *signal = NULL;
    struct opt opts[] = {
        { "signal", 's', OPT_STR, &signal, "string",
          "Signal to send to the container (default KILL)" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("kill");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0 || need_args(cmd, pos, 1) < 0)
        return 1;
    if (signal) {
        int signo;
        berth_error err = BERTH_ERROR_INIT;
        if (berth_signal_parse(signal, &signo, &err) < 0)
            return cli_fail(&err);
    }
    return each(pos, do_kill, e, &signal);
}

static int do_pause(berth_engine *e, const char *name, void *arg, berth_error *err)
{
    (void)arg;
    return berth_container_pause(e, name, err);
}

int cmd_pause(berth_engine *e, int argc, char **argv)
{
    struct opt opts[] = { { NULL, 0, 0, NULL, NULL, NULL } };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("pause");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0 || need_args(cmd, pos, 1) < 0)
        return 1;
    return each(pos, do_pause, e, NULL);
}

static int do_unpause(berth_engine *e, const char *name, void *arg, berth_error *err)
{
    (void)arg;
    return berth_container_unpause(e, name, err);
}

int cmd_unpause(berth_engine *e, int argc, char **argv)
{
    struct opt opts[] = { { NULL, 0, 0, NULL, NULL, NULL } };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("unpause");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0 || need_args(cmd, pos, 1) < 0)
        return 1;
    return each(pos, do_unpause, e, NULL);
}

static int do_rm(berth_engine *e, const char *name, void *arg, berth_error *err)
{
    return berth_container_remove(e, name, arg, err);
}

int cmd_rm(berth_engine *e, int argc, char **argv)
{
    berth_remove_opts ro = BERTH_REMOVE_OPTS_INIT;
    bool link = false;
    struct opt opts[] = {
        { "force", 'f', OPT_BOOL, &ro.force, NULL,
          "Force the removal of a running container (uses SIGKILL)" },
        { "volumes", 'v', OPT_BOOL, &ro.volumes, NULL,
          "Remove anonymous volumes associated with the container" },
        { "link", 'l', OPT_BOOL, &link, NULL, "Remove the specified link (not supported)" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("rm");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0 || need_args(cmd, pos, 1) < 0)
        return 1;
    if (link)
        return cli_failf("links are not supported by berth");
    return each(pos, do_rm, e, &ro);
}

int cmd_rename(berth_engine *e, int argc, char **argv)
{
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("rename");
    struct opt opts[] = { { NULL, 0, 0, NULL, NULL, NULL } };
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) != 2) {
        fprintf(stderr,
                "\"berth rename\" requires exactly 2 arguments.\nSee 'berth rename --help'.\n");
        return 1;
    }
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_rename(e, pos[0], pos[1], &err) < 0)
        return cli_fail(&err);
    return 0;
}

int cmd_wait(berth_engine *e, int argc, char **argv)
{
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("wait");
    struct opt opts[] = { { NULL, 0, 0, NULL, NULL, NULL } };
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0 || need_args(cmd, pos, 1) < 0)
        return 1;
    int rc = 0;
    for (size_t i = 0; pos[i]; i++) {
        berth_error err = BERTH_ERROR_INIT;
        int code;
        if (berth_container_wait(e, pos[i], BERTH_WAIT_NOT_RUNNING, -1, &code, &err) < 0) {
            cli_fail(&err);
            rc = 1;
            continue;
        }
        printf("%d\n", code);
        fflush(stdout);
    }
    return rc;
}
