/* opts.c - docker-style flags: "-d", "-it", "-e K=V", "-eK=V", "--name x",
 * "--name=x", "--rm=false", and "--" to end the flags. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

void cmd_usage(const struct cmd *cmd, const struct opt *opts, FILE *out)
{
    fprintf(out, "\nUsage:  berth %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (opts && opts[0].name) {
        fprintf(out, "\nOptions:\n");
        for (const struct opt *o = opts; o->name; o++) {
            char left[64];
            if (o->shortname)
                snprintf(left, sizeof left, "-%c, --%s%s%s", o->shortname, o->name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
            else
                snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
                         o->arg ? o->arg : "");
            fprintf(out, "  %-28s %s\n", left, o->help);
        }
    }
    fprintf(out, "      --help                   Print usage\n");
}

static bool parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "TRUE") || !strcmp(v, "True")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "FALSE") || !strcmp(v, "False")) {
        *out = false;
        return true;
    }
    return false;
}

static int store(const struct cmd *cmd, const struct opt *o, const char *val, const char *spelled)
{
    switch (o->type) {
    case OPT_BOOL: {
        bool b = true;
        if (val && !parse_bool(val, &b))
            return cli_failf("invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: "
                             "parsing \"%s\": invalid syntax\nSee 'berth %s --help'.",
                             val, spelled, val, cmd->name)
                       ? -1
                       : -1;
        *(bool *)o->dest = b;
        return 0;
    }
    case OPT_STR: *(const char **)o->dest = val; return 0;
    case OPT_LIST: strv_push((char ***)o->dest, val); return 0;
    case OPT_INT: {
        char *end;
        long v = strtol(val, &end, 10);
        if (!*val || *end) {
            cli_failf("invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing "
                      "\"%s\": invalid syntax\nSee 'berth %s --help'.",
                      val, spelled, val, cmd->name);
            return -1;
        }
        *(long *)o->dest = v;
        return 0;
    }
    }
    return 0;
}

static const struct opt *find_long(const struct opt *opts, const char *name, size_t len)
{
    for (const struct opt *o = opts; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static const struct opt *find_short(const struct opt *opts, char c)
{
    for (const struct opt *o = opts; o && o->name; o++)
        if (o->shortname == c)
            return o;
    return NULL;
}

int opts_parse(const struct cmd *cmd, const struct opt *opts, int argc, char **argv,
               bool stop_at_positional, char ***pos)
{
    *pos = NULL;
    int i = 1;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--help") == 0 || (strcmp(a, "-h") == 0 && !find_short(opts, 'h'))) {
            cmd_usage(cmd, opts, stdout);
            exit(0);
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (stop_at_positional)
                break;
            strv_push(pos, a);
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const struct opt *o = find_long(opts, name, len);
            if (!o) {
                cli_failf("unknown flag: --%.*s\nSee 'berth %s --help'.", (int)len, name,
                          cmd->name);
                return -1;
            }
            const char *val = eq ? eq + 1 : NULL;
            if (o->type != OPT_BOOL && !val) {
                if (i + 1 >= argc) {
                    cli_failf("flag needs an argument: --%s\nSee 'berth %s --help'.", o->name,
                              cmd->name);
                    return -1;
                }
                val = argv[++i];
            }
            if (store(cmd, o, val, a) < 0)
                return -1;
            continue;
        }
        /* one or more short flags: -it, -e K=V, -eK=V */
        for (char *p = a + 1; *p; p++) {
            const struct opt *o = find_short(opts, *p);
            if (!o) {
                cli_failf("unknown shorthand flag: '%c' in %s\nSee 'berth %s --help'.", *p, a,
                          cmd->name);
                return -1;
            }
            if (o->type == OPT_BOOL) {
                const char *val = NULL;
                if (p[1] == '=') {
                    val = p + 2;
                    if (store(cmd, o, val, a) < 0)
                        return -1;
                    break;
                }
                if (store(cmd, o, NULL, a) < 0)
                    return -1;
                continue;
            }
            const char *val = p[1] ? p + 1 + (p[1] == '=') : NULL;
            if (!val) {
                if (i + 1 >= argc) {
                    cli_failf("flag needs an argument: '%c' in -%c\nSee 'berth %s --help'.", *p, *p,
                              cmd->name);
                    return -1;
                }
                val = argv[++i];
            }
            if (store(cmd, o, val, a) < 0)
                return -1;
            break;
        }
    }
    for (; i < argc; i++)
        strv_push(pos, argv[i]);
    return 0;
}

int cli_fail(const berth_error *err)
{
    fprintf(stderr, "Error: %s\n", err->message[0] ? err->message : "unknown error");
    return 1;
}

int cli_failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("berth: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

char *filters_json(char **filters)
{
    if (!filters || !filters[0])
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; filters[i]; i++) {
        const char *eq = strchr(filters[i], '=');
        if (!eq) {
            json_decref(o);
            return xstrdup("!");
        }
        _cleanup_free_ char *k = xstrndup(filters[i], eq - filters[i]);
        json_t *arr = json_object_get(o, k);
        if (!arr) {
            arr = json_array();
            json_object_set_new(o, k, arr);
        }
        json_array_append_new(arr, json_string(eq + 1));
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}
