/* cmd_inspect.c - berth inspect: containers, then images, as docker does;
 * -f takes the common template forms {{.Path.To.Field}} and {{json .X}}. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

static const json_t *lookup(const json_t *doc, const char *path, size_t len)
{
    const json_t *cur = doc;
    const char *p = path, *end = path + len;
    while (p < end && cur) {
        if (*p == '.')
            p++;
        const char *q = p;
        while (q < end && *q != '.')
            q++;
        if (q == p)
            break;
        _cleanup_free_ char *key = xstrndup(p, q - p);
        cur = json_object_get(cur, key);
        p = q;
    }
    return cur;
}

static void print_value(buf_t *out, const json_t *v, bool as_json)
{
    if (!v) {
        buf_appendf(out, "<no value>");
        return;
    }
    if (!as_json && json_is_string(v)) {
        buf_append(out, json_string_value(v), json_string_length(v));
        return;
    }
    if (!as_json && json_is_null(v)) {
        buf_appendf(out, "<nil>");
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    buf_append(out, s, strlen(s));
    free(s);
}

char *cli_template_render(const char *tmpl, const json_t *doc, char **errmsg)
{
    buf_t out = { 0 };
    const char *p = tmpl;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            buf_append(&out, p, strlen(p));
            break;
        }
        buf_append(&out, p, open - p);
        const char *close = strstr(open, "}}");
        if (!close) {
            *errmsg = xstrdup("template: unclosed action");
            buf_free(&out);
            return NULL;
        }
        const char *a = open + 2, *b = close;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        bool as_json = false;
        if (b - a > 5 && strncmp(a, "json ", 5) == 0) {
            as_json = true;
            a += 5;
            while (a < b && isspace((unsigned char)*a))
                a++;
        }
        if (a >= b || *a != '.') {
            *errmsg = xasprintf("template: unsupported action \"%.*s\"", (int)(close - open - 2),
                                open + 2);
            buf_free(&out);
            return NULL;
        }
        print_value(&out, b - a == 1 ? doc : lookup(doc, a, b - a), as_json);
        p = close + 2;
    }
    return buf_steal(&out);
}

int cmd_inspect(berth_engine *e, int argc, char **argv)
{
    const char *format = NULL, *type = NULL;
    struct opt opts[] = {
        { "format", 'f', OPT_STR, &format, "string", "Format the output using the given template" },
        { "type", 0, OPT_STR, &type, "string",
          "Return JSON for specified type (container or image)" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("inspect"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (!pos) {
        fprintf(stderr, "\"berth inspect\" requires at least 1 argument.\n");
        return 1;
    }
    if (type && strcmp(type, "container") != 0 && strcmp(type, "image") != 0)
        return cli_failf("\"%s\" is not a valid value for --type", type);
    json_t *docs = json_array();
    int rc = 0;
    for (size_t i = 0; pos[i]; i++) {
        char *out = NULL;
        berth_error err = BERTH_ERROR_INIT;
        int r = BERTH_ENOTFOUND;
        if (!type || strcmp(type, "container") == 0)
            r = berth_container_inspect(e, pos[i], &out, &err);
        if (r == BERTH_ENOTFOUND && (!type || strcmp(type, "image") == 0))
            r = berth_image_inspect(e, pos[i], &out, &err);
        if (r < 0) {
            if (r == BERTH_ENOTFOUND && !type)
                fprintf(stderr, "Error: No such object: %s\n", pos[i]);
            else if (r == BERTH_ENOTFOUND && strcmp(type, "image") == 0)
                fprintf(stderr, "Error: No such image: %s\n", pos[i]);
            else if (r == BERTH_ENOTFOUND)
                fprintf(stderr, "Error: No such container: %s\n", pos[i]);
            else
                cli_fail(&err);
            rc = 1;
            continue;
        }
        json_array_append_new(docs, json_loads(out, 0, NULL));
        free(out);
    }
    size_t i;
    json_t *d;
    if (format) {
        json_array_foreach(docs, i, d)
        {
            char *msg = NULL;
            char *s = cli_template_render(format, d, &msg);
            if (!s) {
                fprintf(stderr, "Error: %s\n", msg);
                free(msg);
                json_decref(docs);
                return 1;
            }
            printf("%s\n", s);
            free(s);
        }
    } else {
        char *s = json_dumps(docs, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
    }
    json_decref(docs);
    return rc;
}
