/* cmd_ps.c - berth ps: docker's table, filters and flags. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

/* docker's Ellipsis: at most n display columns, the last one "…". */
static char *ellipsis(const char *s, size_t n)
{
    size_t cols = 0;
    const char *p = s;
    while (*p) {
        const char *q = p + 1;
        while ((*q & 0xc0) == 0x80)
            q++;
        if (cols + 1 > n)
            break;
        cols++;
        p = q;
    }
    if (!*p)
        return xstrdup(s);
    /* too long: keep n-1 columns and add the ellipsis */
    size_t keep = 0;
    const char *k = s;
    while (keep + 1 < n && *k) {
        const char *q = k + 1;
        while ((*q & 0xc0) == 0x80)
            q++;
        keep++;
        k = q;
    }
    return xasprintf("%.*s\xe2\x80\xa6", (int)(k - s), s);
}

int cmd_ps(berth_engine *e, int argc, char **argv)
{
    bool all = false, quiet = false, no_trunc = false, latest = false, size = false;
    long last = -1;
    _cleanup_strv_ char **filters = NULL;
    struct opt opts[] = {
        { "all", 'a', OPT_BOOL, &all, NULL, "Show all containers (default shows just running)" },
        { "quiet", 'q', OPT_BOOL, &quiet, NULL, "Only display container IDs" },
        { "filter", 'f', OPT_LIST, &filters, "filter",
          "Filter output based on conditions provided" },
        { "no-trunc", 0, OPT_BOOL, &no_trunc, NULL, "Don't truncate output" },
        { "last", 'n', OPT_INT, &last, "int",
          "Show n last created containers (includes all states)" },
        { "latest", 'l', OPT_BOOL, &latest, NULL,
          "Show the latest created container (includes all states)" },
        { "size", 's', OPT_BOOL, &size, NULL, "Display total file sizes" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("ps"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (pos)
        return cli_failf("\"berth ps\" accepts no arguments.");
    _cleanup_free_ char *fj = filters_json(filters);
    if (fj && strcmp(fj, "!") == 0)
        return cli_failf("bad format of filter (expected name=value)");
    berth_list_opts lo = BERTH_LIST_OPTS_INIT;
    lo.all = all;
    lo.limit = latest ? 1 : (int)last;
    lo.size = size;
    lo.filters_json = fj;
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_list(e, &lo, &out, &err) < 0)
        return cli_fail(&err);
    json_t *list = json_loads(out, 0, NULL);
    free(out);
    size_t i;
    json_t *c;
    if (quiet) {
        json_array_foreach(list, i, c)
        {
            const char *id = json_string_value(json_object_get(c, "Id"));
            printf("%.*s\n", no_trunc ? 64 : 12, id);
        }
        json_decref(list);
        return 0;
    }
    struct table *t = table_new(size ? 8 : 7);
    if (size)
        table_add(t, "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES",
                  "SIZE");
    else
        table_add(t, "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
    int64_t now = now_ns();
    json_array_foreach(list, i, c)
    {
        const char *id = json_string_value(json_object_get(c, "Id"));
        char idb[65];
        snprintf(idb, sizeof idb, "%.*s", no_trunc ? 64 : 12, id);
        const char *cmd = json_string_value(json_object_get(c, "Command"));
        _cleanup_free_ char *shortcmd = no_trunc ? xstrdup(cmd) : ellipsis(cmd, 20);
        _cleanup_free_ char *quoted = xasprintf("\"%s\"", shortcmd);
        char ago[64];
        human_duration(now - json_integer_value(json_object_get(c, "Created")) * 1000000000LL, ago,
                       sizeof ago);
        _cleanup_free_ char *created = xasprintf("%s ago", ago);
        buf_t names = { 0 };
        size_t k;
        json_t *n;
        json_array_foreach(json_object_get(c, "Names"), k, n)
        {
            const char *s = json_string_value(n);
            buf_appendf(&names, "%s%s", names.len ? "," : "", s[0] == '/' ? s + 1 : s);
        }
        _cleanup_free_ char *names_s = buf_steal(&names);
        const char *image = json_string_value(json_object_get(c, "Image"));
        const char *status = json_string_value(json_object_get(c, "Status"));
        if (size) {
            char rw[32], total[32];
            human_size((double)json_integer_value(json_object_get(c, "SizeRw")), rw, sizeof rw);
            human_size((double)json_integer_value(json_object_get(c, "SizeRootFs")), total,
                       sizeof total);
            _cleanup_free_ char *sz = xasprintf("%s (virtual %s)", rw, total);
            table_add(t, idb, image, quoted, created, status, "", names_s, sz);
        } else {
            table_add(t, idb, image, quoted, created, status, "", names_s);
        }
    }
    table_print(t, stdout);
    table_free(t);
    json_decref(list);
    return 0;
}
