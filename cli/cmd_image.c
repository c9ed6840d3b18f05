/* cmd_image.c - berth images, import, load, save, rmi and tag. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

/* "localhost:5000/a/b:tag" -> repo "localhost:5000/a/b", tag "tag". */
static void split_ref(const char *ref, char **repo, char **tag)
{
    const char *slash = strrchr(ref, '/');
    const char *colon = strrchr(slash ? slash : ref, ':');
    if (colon) {
        *repo = xstrndup(ref, colon - ref);
        *tag = xstrdup(colon + 1);
    } else {
        *repo = xstrdup(ref);
        *tag = xstrdup("<none>");
    }
}

int cmd_images(berth_engine *e, int argc, char **argv)
{
    bool all = false, quiet = false, no_trunc = false;
    _cleanup_strv_ char **filters = NULL;
    struct opt opts[] = {
        { "all", 'a', OPT_BOOL, &all, NULL, "Show all images (default hides intermediate images)" },
        { "quiet", 'q', OPT_BOOL, &quiet, NULL, "Only show image IDs" },
        { "no-trunc", 0, OPT_BOOL, &no_trunc, NULL, "Don't truncate output" },
        { "filter", 'f', OPT_LIST, &filters, "filter",
          "Filter output based on conditions provided" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("images"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) > 1)
        return cli_failf("\"berth images\" requires at most 1 argument.");
    if (pos) {
        _cleanup_free_ char *f = xasprintf("reference=%s", pos[0]);
        strv_push(&filters, f);
    }
    _cleanup_free_ char *fj = filters_json(filters);
    if (fj && strcmp(fj, "!") == 0)
        return cli_failf("bad format of filter (expected name=value)");
    berth_image_list_opts lo = BERTH_IMAGE_LIST_OPTS_INIT;
    lo.all = all;
    lo.filters_json = fj;
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_list(e, &lo, &out, &err) < 0)
        return cli_fail(&err);
    json_t *list = json_loads(out, 0, NULL);
    free(out);
    size_t i;
    json_t *img;
    struct table *t = table_new(5);
    table_add(t, "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
    int64_t now = now_ns();
    char **seen = NULL;
    json_array_foreach(list, i, img)
    {
        const char *id = json_string_value(json_object_get(img, "Id"));
        const char *hex = str_has_prefix(id, "sha256:") ? id + 7 : id;
        char shortid[80];
        snprintf(shortid, sizeof shortid, "%.*s", no_trunc ? 200 : 12, no_trunc ? id : hex);
        if (quiet) {
            if (!strv_contains(seen, shortid)) {
                printf("%s\n", shortid);
                strv_push(&seen, shortid);
            }
            continue;
        }
        char ago[64], size[32];
        human_duration(now - json_integer_value(json_object_get(img, "Created")) * 1000000000LL,
                       ago, sizeof ago);
        _cleanup_free_ char *created = xasprintf("%s ago", ago);
        human_size((double)json_integer_value(json_object_get(img, "Size")), size, sizeof size);
        json_t *tags = json_object_get(img, "RepoTags");
        if (json_array_size(tags) == 0) {
            table_add(t, "<none>", "<none>", shortid, created, size);
            continue;
        }
        size_t k;
        json_t *tag;
        json_array_foreach(tags, k, tag)
        {
            char *repo, *tg;
            split_ref(json_string_value(tag), &repo, &tg);
            table_add(t, repo, tg, shortid, created, size);
            free(repo);
            free(tg);
        }
    }
    strv_free(seen);
    if (!quiet)
        table_print(t, stdout);
    table_free(t);
    json_decref(list);
    return 0;
}

static int open_input(const char *path, bool *close_it)
{
    *close_it = false;
    if (!path || strcmp(path, "-") == 0)
        return STDIN_FILENO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        *close_it = true;
    return fd;
}

int cmd_import(berth_engine *e, int argc, char **argv)
{
    _cleanup_strv_ char **changes = NULL;
    const char *message = NULL;
    struct opt opts[] = {
        { "change", 'c', OPT_LIST, &changes, "list",
          "Apply Dockerfile instruction to the created image" },
        { "message", 'm', OPT_STR, &message, "string", "Set commit message for imported image" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("import"), opts, argc, argv, false, &pos) < 0)
        return 1;
    size_t n = strv_length(pos);
    if (n < 1 || n > 2) {
        fprintf(stderr, "\"berth import\" requires at least 1 and at most 2 arguments.\n");
        return 1;
    }
    if (strstr(pos[0], "://"))
        return cli_failf("importing from a URL is not supported by berth (no network access)");
    bool close_it;
    int fd = open_input(pos[0], &close_it);
    if (fd < 0)
        return cli_failf("open %s: %s", pos[0], strerror(errno));
    berth_import_opts io = BERTH_IMPORT_OPTS_INIT;
    io.reference = n == 2 ? pos[1] : NULL;
    io.changes = (const char *const *)changes;
    io.n_changes = strv_length(changes);
    io.message = message;
    char *id = NULL;
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_image_import(e, fd, &io, &id, &err);
    if (close_it)
        close(fd);
    if (r < 0)
        return cli_fail(&err);
    printf("%s\n", id);
    free(id);
    return 0;
}

static void print_line(void *ud, const char *line)
{
    if (!*(bool *)ud)
        printf("%s\n", line);
}

int cmd_load(berth_engine *e, int argc, char **argv)
{
    const char *input = NULL;
    bool quiet = false;
    struct opt opts[] = {
        { "input", 'i', OPT_STR, &input, "string", "Read from tar archive file, instead of STDIN" },
        { "quiet", 'q', OPT_BOOL, &quiet, NULL, "Suppress the load output" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("load"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (pos)
        return cli_failf("\"berth load\" accepts no arguments.");
    if (!input && isatty(STDIN_FILENO))
        return cli_failf("requested load from stdin, but stdin is empty");
    bool close_it;
    int fd = open_input(input, &close_it);
    if (fd < 0)
        return cli_failf("open %s: %s", input, strerror(errno));
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_image_load(e, fd, print_line, &quiet, &err);
    if (close_it)
        close(fd);
    if (r < 0)
        return cli_fail(&err);
    return 0;
}

int cmd_save(berth_engine *e, int argc, char **argv)
{
    const char *output = NULL;
    struct opt opts[] = {
        { "output", 'o', OPT_STR, &output, "string", "Write to a file, instead of STDOUT" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("save"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (!pos) {
        fprintf(stderr, "\"berth save\" requires at least 1 argument.\n");
        return 1;
    }
    _cleanup_free_ char *tmp = NULL;
    int fd = cli_output_open(output, &tmp);
    if (fd < 0)
        return 1;
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_image_save(e, (const char *const *)pos, strv_length(pos), fd, &err);
    return cli_output_finish(fd, output, tmp, r, &err);
}

int cmd_rmi(berth_engine *e, int argc, char **argv)
{
    bool force = false, no_prune = false;
    struct opt opts[] = {
        { "force", 'f', OPT_BOOL, &force, NULL, "Force removal of the image" },
        { "no-prune", 0, OPT_BOOL, &no_prune, NULL, "Do not delete untagged parents" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("rmi"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (!pos) {
        fprintf(stderr, "\"berth rmi\" requires at least 1 argument.\n");
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; pos[i]; i++) {
        char *report = NULL;
        berth_error err = BERTH_ERROR_INIT;
        if (berth_image_remove(e, pos[i], force, no_prune, &report, &err) < 0) {
            cli_fail(&err);
            rc = 1;
            continue;
        }
        json_t *items = json_loads(report, 0, NULL);
        free(report);
        size_t k;
        json_t *it;
        json_array_foreach(items, k, it)
        {
            const char *u = json_string_value(json_object_get(it, "Untagged"));
            const char *d = json_string_value(json_object_get(it, "Deleted"));
            if (u)
                printf("Untagged: %s\n", u);
            if (d)
                printf("Deleted: %s\n", d);
        }
        json_decref(items);
    }
    return rc;
}

int cmd_tag(berth_engine *e, int argc, char **argv)
{
    _cleanup_strv_ char **pos = NULL;
    struct opt opts[] = { { NULL, 0, 0, NULL, NULL, NULL } };
    if (opts_parse(cli_find_cmd("tag"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) != 2) {
        fprintf(stderr, "\"berth tag\" requires exactly 2 arguments.\nSee 'berth tag --help'.\n");
        return 1;
    }
    berth_error err = BERTH_ERROR_INIT;
    if (berth_image_tag(e, pos[0], pos[1], &err) < 0)
        return cli_fail(&err);
    return 0;
}
