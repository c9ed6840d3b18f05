/* berth - the daemonless command line: docker's verbs over libberth. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trace.h"
#include "util.h"

static const struct cmd cmds[] = {
    { "run", cmd_run, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
      "Create and run a new container from an image", false },
    { "create", cmd_create, "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container", false },
    { "start", cmd_start, "[OPTIONS] CONTAINER [CONTAINER...]",
      "Start one or more stopped containers", false },
    { "stop", cmd_stop, "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
      false },
    { "restart", cmd_restart, "[OPTIONS] CONTAINER [CONTAINER...]",
      "Restart one or more containers", false },
    { "kill", cmd_kill, "[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
      false },
    { "exec", cmd_exec, "[OPTIONS] CONTAINER COMMAND [ARG...]",
      "Execute a command in a running container", false },
    { "pause", cmd_pause, "CONTAINER [CONTAINER...]",
      "Pause all processes within one or more containers", false },
    { "unpause", cmd_unpause, "CONTAINER [CONTAINER...]",
      "Unpause all processes within one or more containers", false },
    { "rm", cmd_rm, "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", false },
    { "rename", cmd_rename, "CONTAINER NEW_NAME", "Rename a container", false },
    { "wait", cmd_wait, "CONTAINER [CONTAINER...]",
      "Block until one or more containers stop, then print their exit codes", false },
    { "ps", cmd_ps, "[OPTIONS]", "List containers", false },
    { "attach", cmd_attach, "[OPTIONS] CONTAINER",
      "Attach local standard input, output, and error streams to a running container", false },
    { "logs", cmd_logs, "[OPTIONS] CONTAINER", "Fetch the logs of a container", false },
    { "stats", cmd_stats, "[OPTIONS] [CONTAINER...]",
      "Display a live stream of container(s) resource usage statistics", false },
    { "top", cmd_top, "CONTAINER [ps OPTIONS]", "Display the running processes of a container",
      false },
    { "cp", cmd_cp,
      "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
      "       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
      "Copy files/folders between a container and the local filesystem", false },
    { "export", cmd_export, "[OPTIONS] CONTAINER",
      "Export a container's filesystem as a tar archive", false },
    { "diff", cmd_diff, "CONTAINER",
      "Inspect changes to files or directories on a container's filesystem", false },
    { "commit", cmd_commit, "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
      "Create a new image from a container's changes", false },
    { "inspect", cmd_inspect, "[OPTIONS] NAME|ID [NAME|ID...]",
      "Return low-level information on containers or images", false },
    { "images", cmd_images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", false },
    { "import", cmd_import, "[OPTIONS] file|- [REPOSITORY[:TAG]]",
      "Import the contents from a tarball to create a filesystem image", false },
    { "load", cmd_load, "[OPTIONS]", "Load an image from a tar archive or STDIN", false },
    { "save", cmd_save, "[OPTIONS] IMAGE [IMAGE...]",
      "Save one or more images to a tar archive (streamed to STDOUT by default)", false },
    { "rmi", cmd_rmi, "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", false },
    { "tag", cmd_tag, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
      "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", false },
    { "container", cmd_container, "COMMAND", "Manage containers", false },
    { "image", cmd_image, "COMMAND", "Manage images", false },
    { "events", cmd_events, "[OPTIONS]", "Get real time events from the server", false },
    { "version", cmd_version, "", "Show the berth version information", true },
};

const struct cmd *cli_find_cmd(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

int cmd_version(berth_engine *e, int argc, char **argv)
{
    (void)e;
    (void)argc;
    (void)argv;
    printf("berth version %s\n", berth_version());
    return 0;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "\nUsage:  berth [OPTIONS] COMMAND\n\n"
        "A container engine: docker's verbs, no daemon needed.\n\n"
        "Options:\n"
        "      --root string          State directory (default $BERTH_ROOT or /var/lib/berth)\n"
        "      --runroot string       Run-time directory (default $BERTH_RUNROOT or /run/berth)\n"
        "      --runtime string       Default OCI runtime (default crun)\n"
        "      --add-runtime name=path  Make another OCI runtime available by name\n"
        "  -v, --version              Print version information and quit\n\n"
        "Commands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        fprintf(out, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(out, "\nRun 'berth COMMAND --help' for more information on a command.\n");
}

int main(int argc, char **argv)
{
    trace_point("cli main");
    berth_engine_opts eo = BERTH_ENGINE_OPTS_INIT;
    _cleanup_strv_ char **runtimes = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char **dest = NULL;
        const char *name = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0)
            return cmd_version(NULL, 0, NULL);
        if (str_has_prefix(a, "--root"))
            dest = &eo.root, name = "--root";
        else if (str_has_prefix(a, "--runroot"))
            dest = &eo.runroot, name = "--runroot";
        else if (str_has_prefix(a, "--runtime"))
            dest = &eo.default_runtime, name = "--runtime";
        else if (str_has_prefix(a, "--add-runtime"))
            name = "--add-runtime";
        else {
            fprintf(stderr, "berth: unknown flag: %s\nSee 'berth --help'.\n", a);
            return 125;
        }
        const char *val;
        size_t nl = strlen(name);
        if (a[nl] == '=') {
            val = a + nl + 1;
        } else if (a[nl] == '\0' && i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "berth: flag needs an argument: %s\n", name);
            return 125;
        }
        if (dest)
            *dest = val;
        else
            strv_push(&runtimes, val);
    }
    if (i >= argc) {
        usage(stderr);
        return 1;
    }
    const struct cmd *cmd = cli_find_cmd(argv[i]);
    if (!cmd) {
        fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'\n", argv[i]);
        return 1;
    }
    eo.runtimes = (const char *const *)runtimes;
    berth_engine *e = NULL;
    if (!cmd->no_engine) {
        for (int k = i + 1; k < argc; k++) {
            if (strcmp(argv[k], "--") == 0)
                break;
            if (strcmp(argv[k], "--help") == 0) {
                /* help needs no engine (and no root privileges) */
                return cmd->run(NULL, argc - i, argv + i);
            }
        }
        berth_error err = BERTH_ERROR_INIT;
        if (berth_engine_open(&e, &eo, &err) < 0) {
            fprintf(stderr, "berth: %s\n", err.message);
            return 125;
        }
    }
    trace_point("cli engine open");
    int rc = cmd->run(e, argc - i, argv + i);
    trace_point("cli done");
    fflush(stdout);
    berth_engine_free(e);
    return rc;
}
