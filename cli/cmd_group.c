/* cmd_group.c - docker's two-word verbs: "berth container VERB" and
 * "berth image VERB". Most are other names for the one-word verbs; the
 * prune verbs exist only here, as in docker. */
#include <string.h>

#include "cli.h"
#include "util.h"

static const struct cmd subcmds[] = {
    { "container commit", cmd_commit, "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
      "Create a new image from a container's changes", false },
    { "container create", cmd_create, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
      "Create a new container", false },
    { "container diff", cmd_diff, "CONTAINER",
      "Inspect changes to files or directories on a container's filesystem", false },
    { "container inspect", cmd_inspect, "[OPTIONS] CONTAINER [CONTAINER...]",
      "Display detailed information on one or more containers", false },
    { "container kill", cmd_kill, "[OPTIONS] CONTAINER [CONTAINER...]",
      "Kill one or more running containers", false },
    { "container logs", cmd_logs, "[OPTIONS] CONTAINER", "Fetch the logs of a container", false },
    { "container ls", cmd_ps, "[OPTIONS]", "List containers", false },
    { "container pause", cmd_pause, "CONTAINER [CONTAINER...]",
      "Pause all processes within one or more containers", false },
    { "container prune", cmd_container_prune, "[OPTIONS]", "Remove all stopped containers", false },
    { "container ps", cmd_ps, "[OPTIONS]", "List containers", false },
    { "container rename", cmd_rename, "CONTAINER NEW_NAME", "Rename a container", false },
    { "container restart", cmd_restart, "[OPTIONS] CONTAINER [CONTAINER...]",
      "Restart one or more containers", false },
    { "container rm", cmd_rm, "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers",
      false },
    { "container run", cmd_run, "[OPTIONS] IMAGE [COMMAND] [ARG...]",
      "Create and run a new container from an image", false },
    { "container start", cmd_start, "[OPTIONS] CONTAINER [CONTAINER...]",
      "Start one or more stopped containers", false },
    { "container stats", cmd_stats, "[OPTIONS] [CONTAINER...]",
      "Display a live stream of container(s) resource usage statistics", false },
    { "container stop", cmd_stop, "[OPTIONS] CONTAINER [CONTAINER...]",
      "Stop one or more running containers", false },
    { "container top", cmd_top, "CONTAINER [ps OPTIONS]",
      "Display the running processes of a container", false },
    { "container unpause", cmd_unpause, "CONTAINER [CONTAINER...]",
      "Unpause all processes within one or more containers", false },
    { "container wait", cmd_wait, "CONTAINER [CONTAINER...]",
      "Block until one or more containers stop, then print their exit codes", false },
    { "image import", cmd_import, "[OPTIONS] file|- [REPOSITORY[:TAG]]",
      "Import the contents from a tarball to create a filesystem image", false },
    { "image inspect", cmd_inspect, "[OPTIONS] IMAGE [IMAGE...]",
      "Display detailed information on one or more images", false },
    { "image load", cmd_load, "[OPTIONS]", "Load an image from a tar archive or STDIN", false },
    { "image ls", cmd_images, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", false },
    { "image prune", cmd_image_prune, "[OPTIONS]", "Remove unused images", false },
    { "image rm", cmd_rmi, "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", false },
    { "image save", cmd_save, "[OPTIONS] IMAGE [IMAGE...]",
      "Save one or more images to a tar archive (streamed to STDOUT by default)", false },
    { "image tag", cmd_tag, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
      "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", false },
};

const struct cmd *cli_find_subcmd(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
        if (strcmp(subcmds[i].name, name) == 0)
            return &subcmds[i];
    return NULL;
}

static void group_usage(const char *group, const char *summary, FILE *out)
{
    fprintf(out, "\nUsage:  berth %s COMMAND\n\n%s\n\nCommands:\n", group, summary);
    size_t gl = strlen(group);
    for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
        if (strncmp(subcmds[i].name, group, gl) == 0 && subcmds[i].name[gl] == ' ')
            fprintf(out, "  %-10s %s\n", subcmds[i].name + gl + 1, subcmds[i].summary);
    fprintf(out, "\nRun 'berth %s COMMAND --help' for more information on a command.\n", group);
}

/* argv[0] is the group, argv[1] the verb. */
static int dispatch(const char *group, const char *summary, berth_engine *e, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        group_usage(group, summary, argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    _cleanup_free_ char *full = xasprintf("%s %s", group, argv[1]);
    const struct cmd *sub = cli_find_subcmd(full);
    if (!sub) {
        fprintf(stderr, "berth: '%s' is not a berth %s command.\nSee 'berth %s --help'\n", argv[1],
                group, group);
        return 1;
    }
    return sub->run(e, argc - 1, argv + 1);
}

int cmd_container(berth_engine *e, int argc, char **argv)
{
    return dispatch("container", "Manage containers", e, argc, argv);
}

int cmd_image(berth_engine *e, int argc, char **argv)
{
    return dispatch("image", "Manage images", e, argc, argv);
}
