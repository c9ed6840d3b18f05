/* cmd_commit.c - berth diff and berth commit. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

int cmd_diff(berth_engine *e, int argc, char **argv)
{
    struct opt opts[] = { { NULL, 0, 0, NULL, NULL, NULL } };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("diff"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) != 1)
        return cli_failf("\"berth diff\" requires exactly 1 argument.");
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_changes(e, pos[0], &out, &err) < 0)
        return cli_fail(&err);
    json_t *list = json_loads(out, JSON_DECODE_ANY, NULL);
    berth_free(out);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        json_int_t kind = json_integer_value(json_object_get(c, "Kind"));
        printf("%c %s\n",
               kind == BERTH_CHANGE_ADD      ? 'A'
               : kind == BERTH_CHANGE_DELETE ? 'D'
                                             : 'C',
               json_string_value(json_object_get(c, "Path")));
    }
    json_decref(list);
    return 0;
}

int cmd_commit(berth_engine *e, int argc, char **argv)
{
    const char *author = NULL, *message = NULL;
    _cleanup_strv_ char **changes = NULL;
    bool pause = true;
    struct opt opts[] = {
        { "author", 'a', OPT_STR, &author, "string",
          "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")" },
        { "change", 'c', OPT_LIST, &changes, "list",
          "Apply Dockerfile instruction to the created image" },
        { "message", 'm', OPT_STR, &message, "string", "Commit message" },
        { "pause", 'p', OPT_BOOL, &pause, NULL, "Pause container during commit (default true)" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("commit"), opts, argc, argv, false, &pos) < 0)
        return 1;
    size_t n = strv_length(pos);
    if (n < 1 || n > 2)
        return cli_failf("\"berth commit\" requires at least 1 and at most 2 arguments.");
    berth_commit_opts co = BERTH_COMMIT_OPTS_INIT;
    co.reference = n > 1 ? pos[1] : NULL;
    co.author = author;
    co.comment = message;
    co.pause = pause;
    co.changes = (const char *const *)changes;
    co.n_changes = strv_length(changes);
    char *id = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_commit(e, pos[0], &co, &id, &err) < 0)
        return cli_fail(&err);
    printf("%s\n", id);
    berth_free(id);
    return 0;
}
