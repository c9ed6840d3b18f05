/* cmd_events.c - berth events: the event log of the root, as `docker
 * events` prints it, past events from --since and then new ones as any
 * process records them, until --until or an interrupt. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

struct events_ctx {
    const char *format;
    bool raw_json; /* the format is {{json .}}: the document as it came */
    bool failed;
};

static int by_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* docker's prettyPrintEvent: time, type, action, actor, then the
 * attributes sorted by key. */
static void print_pretty(const json_t *ev)
{
    char t[48];
    format_rfc3339nano_fixed(json_integer_value(json_object_get(ev, "timeNano")), t, sizeof t);
    const json_t *actor = json_object_get(ev, "Actor");
    printf("%s %s %s %s", t, json_string_value(json_object_get(ev, "Type")),
           json_string_value(json_object_get(ev, "Action")),
           json_string_value(json_object_get(actor, "ID")));
    const json_t *attrs = json_object_get(actor, "Attributes");
    size_t n = json_object_size(attrs), k = 0;
    if (n) {
        const char **keys = xcalloc(n, sizeof *keys);
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)attrs, key, v)
        {
            keys[k++] = key;
        }
        qsort(keys, n, sizeof *keys, by_key);
        printf(" (");
        for (size_t i = 0; i < n; i++)
            printf("%s%s=%s", i ? ", " : "", keys[i],
                   json_string_value(json_object_get(attrs, keys[i])));
        printf(")");
        free(keys);
    }
    printf("\n");
}

/* Go templates see events.Message's field names: ID, Status, From, Scope,
 * Time, TimeNano beside Type, Action and Actor. */
static void add_go_names(json_t *ev)
{
    static const char *const names[][2] = { { "id", "ID" },     { "status", "Status" },
                                            { "from", "From" }, { "scope", "Scope" },
                                            { "time", "Time" }, { "timeNano", "TimeNano" } };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        json_t *v = json_object_get(ev, names[i][0]);
        if (v)
            json_object_set(ev, names[i][1], v);
    }
}

static int on_event(void *ud, const char *text, size_t len)
{
    struct events_ctx *c = ud;
    if (c->raw_json) {
        fwrite(text, 1, len, stdout);
        putchar('\n');
    } else {
        json_t *ev = json_loadb(text, len, 0, NULL);
        if (!ev)
            return 0;
        if (c->format) {
            add_go_names(ev);
            char *msg = NULL;
            char *s = cli_template_render(c->format, ev, &msg);
            if (!s) {
                json_decref(ev);
                cli_failf("%s", msg);
                free(msg);
                c->failed = true;
                return 1;
            }
            printf("%s\n", s);
            free(s);
        } else {
            print_pretty(ev);
        }
        json_decref(ev);
    }
    fflush(stdout);
    return ferror(stdout) ? 1 : 0;
}

static int time_flag(const char *name, const char *v, int64_t now, int64_t *out)
{
    if (!v)
        return 0;
    if (parse_time_arg(v, now, out) < 0) {
        cli_failf("invalid value for \"%s\": failed to parse value as time or duration: \"%s\"",
                  name, v);
        return -1;
    }
    if (*out <= 0)
        *out = 1; /* "0": the epoch, every recorded event */
    return 0;
}

int cmd_events(berth_engine *e, int argc, char **argv)
{
    const char *since = NULL, *until = NULL, *format = NULL;
    _cleanup_strv_ char **filters = NULL;
    struct opt opts[] = {
        { "filter", 'f', OPT_LIST, &filters, "filter",
          "Filter output based on conditions provided" },
        { "format", 0, OPT_STR, &format, "string",
          "Format the output using the given Go template ('{{json .}}', '{{.Type}} {{.Action}}')" },
        { "since", 0, OPT_STR, &since, "string", "Show all events created since timestamp" },
        { "until", 0, OPT_STR, &until, "string", "Stream events until this timestamp" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("events"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) != 0) {
        fprintf(stderr, "\"berth events\" accepts no arguments.\nSee 'berth events --help'.\n");
        return 1;
    }
    berth_events_opts eo = BERTH_EVENTS_OPTS_INIT;
    int64_t now = now_ns();
    if (time_flag("since", since, now, &eo.since_ns) < 0 ||
        time_flag("until", until, now, &eo.until_ns) < 0)
        return 1;
    _cleanup_free_ char *fj = filters_json(filters);
    if (fj && strcmp(fj, "!") == 0)
        return cli_failf("bad format of filter (expected name=value)");
    eo.filters_json = fj;
    struct events_ctx ctx = { format, false, false };
    if (format) {
        const char *a = format;
        while (*a == ' ')
            a++;
        ctx.raw_json = strncmp(a, "{{json .}}", 10) == 0 && strspn(a + 10, " ") == strlen(a + 10);
    }
    berth_error err = BERTH_ERROR_INIT;
    if (berth_events(e, &eo, on_event, &ctx, &err) < 0)
        return cli_fail(&err);
    return ctx.failed ? 1 : 0;
}
