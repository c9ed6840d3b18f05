/* cmd_prune.c - berth container prune and berth image prune, with
 * docker's confirmation prompt and output. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

/* docker's PromptForConfirmation: only "y" or "Y" goes on. */
static bool confirm(const char *warning)
{
    printf("%s [y/N] ", warning);
    fflush(stdout);
    char line[256];
    if (!fgets(line, sizeof line, stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    return strcasecmp(line, "y") == 0;
}

static void print_reclaimed(int64_t bytes)
{
    char size[32];
    human_size_precision((double)bytes, 4, size, sizeof size);
    printf("Total reclaimed space: %s\n", size);
}

/* The filters JSON for --filter flags, or an error (returns -1). */
static int build_filters(char **filters, char **out)
{
    *out = filters_json(filters);
    if (*out && strcmp(*out, "!") == 0) {
        free(*out);
        *out = NULL;
        cli_failf("bad format of filter (expected name=value)");
        return -1;
    }
    return 0;
}

int cmd_container_prune(berth_engine *e, int argc, char **argv)
{
    bool force = false;
    _cleanup_strv_ char **filters = NULL;
    struct opt opts[] = {
        { "force", 'f', OPT_BOOL, &force, NULL, "Do not prompt for confirmation" },
        { "filter", 0, OPT_LIST, &filters, "filter",
          "Provide filter values (e.g. \"until=<timestamp>\")" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_subcmd("container prune");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0)
        return 1;
    if (pos)
        return cli_failf("\"berth container prune\" accepts no arguments.");
    _cleanup_free_ char *fj = NULL;
    if (build_filters(filters, &fj) < 0)
        return 1;
    if (!force && !confirm("WARNING! This will remove all stopped containers.\n"
                           "Are you sure you want to continue?"))
        return 0;
    char *report = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_prune(e, fj, &report, &err) < 0)
        return cli_fail(&err);
    json_t *r = json_loads(report, 0, NULL);
    free(report);
    json_t *ids = json_object_get(r, "ContainersDeleted");
    int64_t bytes = 0;
    if (json_array_size(ids)) {
        printf("Deleted Containers:\n");
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id) printf("%s\n", json_string_value(id));
        printf("\n");
        bytes = json_integer_value(json_object_get(r, "SpaceReclaimed"));
    }
    print_reclaimed(bytes);
    json_decref(r);
    return 0;
}

int cmd_image_prune(berth_engine *e, int argc, char **argv)
{
    bool force = false, all = false;
    _cleanup_strv_ char **filters = NULL;
    struct opt opts[] = {
        { "all", 'a', OPT_BOOL, &all, NULL, "Remove all unused images, not just dangling ones" },
        { "force", 'f', OPT_BOOL, &force, NULL, "Do not prompt for confirmation" },
        { "filter", 0, OPT_LIST, &filters, "filter",
          "Provide filter values (e.g. \"until=<timestamp>\")" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_subcmd("image prune");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0)
        return 1;
    if (pos)
        return cli_failf("\"berth image prune\" accepts no arguments.");
    /* as docker's CLI: the flag becomes a filter, next to the user's */
    strv_push(&filters, all ? "dangling=false" : "dangling=true");
    _cleanup_free_ char *fj = NULL;
    if (build_filters(filters, &fj) < 0)
        return 1;
    const char *warning =
        all ? "WARNING! This will remove all images without at least one container associated "
              "to them.\nAre you sure you want to continue?"
            : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";
    if (!force && !confirm(warning))
        return 0;
    char *report = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_prune(e, fj, &report, &err) < 0)
        return cli_fail(&err);
    json_t *r = json_loads(report, 0, NULL);
    free(report);
    json_t *items = json_object_get(r, "ImagesDeleted");
    int64_t bytes = 0;
    if (json_array_size(items)) {
        printf("Deleted Images:\n");
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            const char *u = json_string_value(json_object_get(it, "Untagged"));
            if (u)
                printf("untagged: %s\n", u);
            else
                printf("deleted: %s\n", json_string_value(json_object_get(it, "Deleted")));
        }
        printf("\n");
        bytes = json_integer_value(json_object_get(r, "SpaceReclaimed"));
    }
    print_reclaimed(bytes);
    json_decref(r);
    return 0;
}
