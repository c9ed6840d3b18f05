/* image_config.c - OCI image configs and Dockerfile --change instructions.
 *
 * The instruction parser follows the Dockerfile reference: words are
 * split on unquoted white space, then each is processed like a shell word
 * (quotes removed, backslash escapes, $VAR / ${VAR} / ${VAR:-x} /
 * ${VAR:+x} expanded from the config's Env as it was before the
 * instruction). CMD and ENTRYPOINT take a JSON array (exec form) or a
 * string run by /bin/sh -c (shell form), without expansion. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "errors.h"
#include "image_config.h"
#include "util.h"

json_t *image_config_new(int64_t created_ns)
{
    char created[40];
    format_rfc3339nano(created_ns, created, sizeof created);
    return json_pack("{s:s, s:{}, s:s, s:[], s:s, s:{s:s, s:[]}}", "architecture", "amd64",
                     "config", "created", created, "history", "os", "linux", "rootfs", "type",
                     "layers", "diff_ids");
}

void image_config_add_layer(json_t *cfg, const char *diff_id)
{
    json_t *rootfs = json_object_get(cfg, "rootfs");
    json_t *ids = json_object_get(rootfs, "diff_ids");
    json_array_append_new(ids, json_string(diff_id));
}

void image_config_add_history(json_t *cfg, int64_t created_ns, const char *created_by,
                              const char *comment)
{
    char created[40];
    format_rfc3339nano(created_ns, created, sizeof created);
    json_t *h = json_pack("{s:s}", "created", created);
    if (created_by && *created_by)
        json_object_set_new(h, "created_by", json_string(created_by));
    if (comment && *comment)
        json_object_set_new(h, "comment", json_string(comment));
    json_t *history = json_object_get(cfg, "history");
    if (!json_is_array(history)) {
        history = json_array();
        json_object_set_new(cfg, "history", history);
    }
    json_array_append_new(history, h);
}

char *image_config_dump(const json_t *cfg)
{
    char *s = json_dumps(cfg, JSON_COMPACT);
    if (!s)
        abort(); /* only fails on allocation */
    return s;
}

int image_config_parse(const char *data, size_t len, json_t **out, berth_error *err)
{
    json_error_t je;
    json_t *cfg = json_loadb(data, len, 0, &je);
    if (!cfg)
        return berr(err, BERTH_EINVAL, "invalid image config: %s", je.text);
    json_t *rootfs = json_object_get(cfg, "rootfs");
    json_t *ids = json_object_get(rootfs, "diff_ids");
    const char *type = json_string_value(json_object_get(rootfs, "type"));
    if (!json_is_object(cfg) || !json_is_array(ids) || !type || strcmp(type, "layers") != 0) {
        json_decref(cfg);
        return berr(err, BERTH_EINVAL, "invalid image config: no rootfs of type layers");
    }
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (!digest_is_valid(json_string_value(v))) {
            json_decref(cfg);
            return berr(err, BERTH_EINVAL, "invalid image config: bad diff_id at index %zu", i);
        }
    }
    json_t *config = json_object_get(cfg, "config");
    if (config && !json_is_object(config) && !json_is_null(config)) {
        json_decref(cfg);
        return berr(err, BERTH_EINVAL, "invalid image config: config is not an object");
    }
    *out = cfg;
    return 0;
}

size_t image_config_n_layers(const json_t *cfg)
{
    return json_array_size(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"));
}

const char *image_config_diff_id(const json_t *cfg, size_t i)
{
    return json_string_value(
        json_array_get(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"), i));
}

int64_t image_config_created(const json_t *cfg)
{
    const char *s = json_string_value(json_object_get(cfg, "created"));
    int64_t ns = 0;
    if (!s || parse_rfc3339(s, &ns) < 0)
        return 0;
    return ns;
}

const char *image_config_string(const json_t *cfg, const char *key)
{
    const char *s = json_string_value(json_object_get(cfg, key));
    return s ? s : "";
}

json_t *image_config_docker_config(const json_t *cfg)
{
    /* container.Config's fields in Docker's order; the omitempty ones
     * appear only when the image has them. */
    static const struct {
        const char *key;
        int kind; /* 0 omitempty, 's' "", 'b' false, 'n' null */
    } fields[] = {
        { "Hostname", 's' },    { "Domainname", 's' },   { "User", 's' },
        { "AttachStdin", 'b' }, { "AttachStdout", 'b' }, { "AttachStderr", 'b' },
        { "ExposedPorts", 0 },  { "Tty", 'b' },          { "OpenStdin", 'b' },
        { "StdinOnce", 'b' },   { "Env", 'n' },          { "Cmd", 'n' },
        { "Healthcheck", 0 },   { "ArgsEscaped", 0 },    { "Image", 's' },
        { "Volumes", 'n' },     { "WorkingDir", 's' },   { "Entrypoint", 'n' },
        { "OnBuild", 'n' },     { "Labels", 'n' },       { "StopSignal", 0 },
        { "StopTimeout", 0 },   { "Shell", 0 },
    };
    json_t *src = json_object_get(cfg, "config");
    json_t *out = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        json_t *v = json_object_get(src, fields[i].key);
        if (v)
            json_object_set(out, fields[i].key, v);
        else if (fields[i].kind == 's')
            json_object_set_new(out, fields[i].key, json_string(""));
        else if (fields[i].kind == 'b')
            json_object_set_new(out, fields[i].key, json_false());
        else if (fields[i].kind == 'n')
            json_object_set_new(out, fields[i].key, json_null());
    }
    const char *key;
    json_t *v;
    json_object_foreach(src, key, v)
    {
        if (!json_object_get(out, key))
            json_object_set(out, key, v);
    }
    return out;
}

/* ---- Dockerfile word processing ------------------------------------- */

/* Splits s on white space outside quotes, keeping quotes and escapes in
 * the words for process_word. */
static char **split_words(const char *s)
{
    char **words = NULL;
    buf_t w = { 0 };
    bool in_word = false;
    char quote = 0;
    for (const char *p = s; *p; p++) {
        if (!quote && isspace((unsigned char)*p)) {
            if (in_word)
                strv_push_take(&words, buf_steal(&w));
            in_word = false;
            continue;
        }
        in_word = true;
        if (*p == '\\' && quote != '\'' && p[1]) {
            buf_append(&w, p, 2);
            p++;
            continue;
        }
        buf_append(&w, p, 1);
        if (quote && *p == quote)
            quote = 0;
        else if (!quote && (*p == '"' || *p == '\''))
            quote = *p;
    }
    if (in_word)
        strv_push_take(&words, buf_steal(&w));
    buf_free(&w);
    if (!words)
        words = xcalloc(1, sizeof(char *));
    return words;
}

static const char *env_lookup(const json_t *env, const char *name, size_t n)
{
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *kv = json_string_value(v);
        if (kv && strncmp(kv, name, n) == 0 && kv[n] == '=')
            return kv + n + 1;
    }
    return NULL;
}

static bool is_name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int process_word_into(const char *in, const json_t *env, buf_t *out, bool in_braces,
                             const char **end, berth_error *err);

/* Expands the variable reference at *pp (just after '$'). */
static int expand_var(const char **pp, const json_t *env, buf_t *out, berth_error *err)
{
    const char *p = *pp;
    if (*p == '{') {
        p++;
        const char *name = p;
        while (is_name_char(*p))
            p++;
        size_t n = p - name;
        if (n == 0)
            return berr(err, BERTH_EINVAL, "missing ':' in substitution");
        const char *val = env_lookup(env, name, n);
        if (*p == '}') {
            if (val)
                buf_append(out, val, strlen(val));
            *pp = p + 1;
            return 0;
        }
        bool colon = *p == ':';
        if (colon)
            p++;
        char op = *p;
        if (op != '-' && op != '+')
            return berr(err, BERTH_EINVAL, "unsupported modifier (%c) in substitution", op);
        p++;
        buf_t word = { 0 };
        const char *stop;
        int r = process_word_into(p, env, &word, true, &stop, err);
        if (r < 0) {
            buf_free(&word);
            return r;
        }
        if (*stop != '}') {
            buf_free(&word);
            return berr(err, BERTH_EINVAL, "missing '}' in substitution");
        }
        bool set = val && (!colon || *val);
        if (op == '-')
            buf_append(out, set ? val : word.data ? word.data : "", set ? strlen(val) : word.len);
        else if (set)
            buf_append(out, word.data ? word.data : "", word.len);
        buf_free(&word);
        *pp = stop + 1;
        return 0;
    }
    if (is_name_start(*p)) {
        const char *name = p;
        while (is_name_char(*p))
            p++;
        const char *val = env_lookup(env, name, p - name);
        if (val)
            buf_append(out, val, strlen(val));
        *pp = p;
        return 0;
    }
    buf_append(out, "$", 1);
    return 0;
}

/* Processes one word; stops at the end, or at an unquoted '}' when
 * in_braces (the word of ${VAR:-word}). */
static int process_word_into(const char *in, const json_t *env, buf_t *out, bool in_braces,
                             const char **end, berth_error *err)
{
    const char *p = in;
    buf_append(out, "", 0);
    while (*p) {
        if (in_braces && *p == '}')
            break;
        if (*p == '\'') {
            const char *close = strchr(p + 1, '\'');
            if (!close)
                return berr(err, BERTH_EINVAL,
                            "unexpected end of statement while looking for matching single-quote");
            buf_append(out, p + 1, close - p - 1);
            p = close + 1;
        } else if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$')) {
                    buf_append(out, p + 1, 1);
                    p += 2;
                } else if (*p == '$') {
                    p++;
                    int r = expand_var(&p, env, out, err);
                    if (r < 0)
                        return r;
                } else {
                    buf_append(out, p++, 1);
                }
            }
            if (*p != '"')
                return berr(err, BERTH_EINVAL,
                            "unexpected end of statement while looking for matching double-quote");
            p++;
        } else if (*p == '\\') {
            if (p[1]) {
                buf_append(out, p + 1, 1);
                p += 2;
            } else {
                p++;
            }
        } else if (*p == '$') {
            p++;
            int r = expand_var(&p, env, out, err);
            if (r < 0)
                return r;
        } else {
            buf_append(out, p++, 1);
        }
    }
    if (end)
        *end = p;
    return 0;
}

static int process_word(const char *in, const json_t *env, char **out, berth_error *err)
{
    buf_t b = { 0 };
    int r = process_word_into(in, env, &b, false, NULL, err);
    if (r < 0) {
        buf_free(&b);
        return r;
    }
    *out = buf_steal(&b);
    return 0;
}

/* ---- instructions ---------------------------------------------------- */

struct change_state {
    json_t *config; /* the "config" object being changed */
    bool cmd_set;   /* a CMD came earlier in the same changes */
};

static json_t *env_array(json_t *config)
{
    json_t *env = json_object_get(config, "Env");
    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(config, "Env", env);
    }
    return env;
}

static json_t *object_member(json_t *config, const char *key)
{
    json_t *o = json_object_get(config, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(config, key, o);
    }
    return o;
}

static void env_set(json_t *config, const char *key, const char *value)
{
    json_t *env = env_array(config);
    size_t n = strlen(key), i;
    json_t *v;
    char *kv = xasprintf("%s=%s", key, value);
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, key, n) == 0 && s[n] == '=') {
            json_array_set_new(env, i, json_string(kv));
            free(kv);
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
    free(kv);
}

/* ENV and LABEL: "KEY value" (old form) or "k=v k2=v2". The pairs are
 * expanded with the environment from before the instruction. */
static int name_values(struct change_state *st, const char *instr, const char *rest, char ***keys,
                       char ***values, berth_error *err)
{
    _cleanup_strv_ char **words = split_words(rest);
    json_t *env = json_object_get(st->config, "Env");
    if (!words[0])
        return berr(err, BERTH_EINVAL, "%s requires at least one argument", instr);
    if (!strchr(words[0], '=')) {
        const char *p = rest;
        while (*p && !isspace((unsigned char)*p))
            p++;
        const char *key_end = p;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            return berr(err, BERTH_EINVAL, "%s must have two arguments", instr);
        _cleanup_free_ char *raw_key = xstrndup(rest, key_end - rest);
        char *k = NULL, *v = NULL;
        int r = process_word(raw_key, env, &k, err);
        if (r == 0)
            r = process_word(p, env, &v, err);
        if (r < 0) {
            free(k);
            return r;
        }
        strv_push_take(keys, k);
        strv_push_take(values, v);
        return 0;
    }
    for (size_t i = 0; words[i]; i++) {
        char *eq = strchr(words[i], '=');
        if (!eq)
            return berr(err, BERTH_EINVAL,
                        "Syntax error - can't find = in \"%s\". Must be of the form: name=value",
                        words[i]);
        *eq = '\0';
        char *k = NULL, *v = NULL;
        int r = process_word(words[i], env, &k, err);
        if (r == 0)
            r = process_word(eq + 1, env, &v, err);
        if (r < 0) {
            free(k);
            return r;
        }
        if (!*k) {
            free(k);
            free(v);
            return berr(err, BERTH_EINVAL, "%s names can not be blank", instr);
        }
        strv_push_take(keys, k);
        strv_push_take(values, v);
    }
    return 0;
}

static int do_env(struct change_state *st, const char *rest, berth_error *err)
{
    _cleanup_strv_ char **keys = NULL;
    _cleanup_strv_ char **values = NULL;
    int r = name_values(st, "ENV", rest, &keys, &values, err);
    if (r < 0)
        return r;
    for (size_t i = 0; keys[i]; i++)
        env_set(st->config, keys[i], values[i]);
    return 0;
}

static int do_label(struct change_state *st, const char *rest, berth_error *err)
{
    _cleanup_strv_ char **keys = NULL;
    _cleanup_strv_ char **values = NULL;
    int r = name_values(st, "LABEL", rest, &keys, &values, err);
    if (r < 0)
        return r;
    json_t *labels = object_member(st->config, "Labels");
    for (size_t i = 0; keys[i]; i++)
        json_object_set_new(labels, keys[i], json_string(values[i]));
    return 0;
}

/* A JSON array of strings (exec form), or NULL. */
static json_t *json_string_list(const char *rest)
{
    if (*rest != '[')
        return NULL;
    json_t *a = json_loads(rest, JSON_DECODE_ANY, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return NULL;
    }
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static int do_cmd(struct change_state *st, const char *instr, const char *key, const char *rest,
                  berth_error *err)
{
    json_t *list = json_string_list(rest);
    if (!list) {
        if (!*rest)
            return berr(err, BERTH_EINVAL, "%s requires at least one argument", instr);
        list = json_pack("[s, s, s]", "/bin/sh", "-c", rest);
    }
    json_object_set_new(st->config, key, list);
    if (strcmp(key, "Cmd") == 0) {
        st->cmd_set = true;
    } else if (!st->cmd_set) {
        /* as in a Dockerfile: a new ENTRYPOINT drops the CMD inherited
         * from before, unless these changes set one */
        json_object_set_new(st->config, "Cmd", json_null());
    }
    return 0;
}

/* The single argument of WORKDIR, USER and STOPSIGNAL, expanded. */
static int one_arg(struct change_state *st, const char *instr, const char *rest, char **out,
                   berth_error *err)
{
    if (!*rest)
        return berr(err, BERTH_EINVAL, "%s requires exactly one argument", instr);
    return process_word(rest, json_object_get(st->config, "Env"), out, err);
}

static int do_workdir(struct change_state *st, const char *rest, berth_error *err)
{
    _cleanup_free_ char *dir = NULL;
    int r = one_arg(st, "WORKDIR", rest, &dir, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *joined = NULL;
    if (dir[0] != '/') {
        const char *cur = json_string_value(json_object_get(st->config, "WorkingDir"));
        joined = xasprintf("/%s/%s", cur ? cur : "", dir);
    }
    _cleanup_free_ char *clean = path_clean_abs(joined ? joined : dir);
    json_object_set_new(st->config, "WorkingDir", json_string(clean));
    return 0;
}

static int do_user(struct change_state *st, const char *rest, berth_error *err)
{
    _cleanup_free_ char *user = NULL;
    int r = one_arg(st, "USER", rest, &user, err);
    if (r < 0)
        return r;
    json_object_set_new(st->config, "User", json_string(user));
    return 0;
}

static bool valid_signal(const char *s)
{
    char *end;
    if (isdigit((unsigned char)*s)) {
        unsigned long n = strtoul(s, &end, 10);
        return !*end && n > 0 && n <= 255;
    }
    const char *name = s;
    if (strncasecmp(name, "SIG", 3) == 0)
        name += 3;
    for (int i = 1; i < SIGRTMIN; i++) {
        const char *abbrev = sigabbrev_np(i);
        if (abbrev && strcasecmp(abbrev, name) == 0)
            return true;
    }
    if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
        const char *p = name + 5;
        if (!*p)
            return true;
        if ((*p == '+' && !strncasecmp(name, "RTMIN", 5)) ||
            (*p == '-' && !strncasecmp(name, "RTMAX", 5))) {
            long n = strtol(p + 1, &end, 10);
            return !*end && end != p + 1 && n > 0 && n < SIGRTMAX - SIGRTMIN;
        }
    }
    return false;
}

static int do_stopsignal(struct change_state *st, const char *rest, berth_error *err)
{
    _cleanup_free_ char *sig = NULL;
    int r = one_arg(st, "STOPSIGNAL", rest, &sig, err);
    if (r < 0)
        return r;
    if (!valid_signal(sig))
        return berr(err, BERTH_EINVAL, "Invalid signal: %s", sig);
    json_object_set_new(st->config, "StopSignal", json_string(sig));
    return 0;
}

static int parse_port(const char *s, unsigned long *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long n = strtoul(s, &end, 10);
    if (*end || n > 65535)
        return -1;
    *out = n;
    return 0;
}

static int do_expose(struct change_state *st, const char *rest, berth_error *err)
{
    _cleanup_strv_ char **words = split_words(rest);
    if (!words[0])
        return berr(err, BERTH_EINVAL, "EXPOSE requires at least one argument");
    json_t *env = json_object_get(st->config, "Env");
    json_t *ports = json_object();
    for (size_t i = 0; words[i]; i++) {
        _cleanup_free_ char *spec = NULL;
        int r = process_word(words[i], env, &spec, err);
        if (r < 0) {
            json_decref(ports);
            return r;
        }
        char *slash = strchr(spec, '/');
        const char *proto = "tcp";
        if (slash) {
            *slash = '\0';
            proto = slash + 1;
            for (char *p = slash + 1; *p; p++)
                *p = tolower((unsigned char)*p);
            if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")) {
                json_decref(ports);
                return berr(err, BERTH_EINVAL, "invalid proto: %s", proto);
            }
        }
        unsigned long lo, hi;
        char *dash = strchr(spec, '-');
        if (dash)
            *dash = '\0';
        if (parse_port(spec, &lo) < 0 || (dash && parse_port(dash + 1, &hi) < 0) ||
            (dash && hi < lo)) {
            if (dash)
                *dash = '-';
            json_decref(ports);
            return berr(err, BERTH_EINVAL, "invalid containerPort: %s", spec);
        }
        if (!dash)
            hi = lo;
        for (unsigned long p = lo; p <= hi; p++) {
            char key[32];
            snprintf(key, sizeof key, "%lu/%s", p, proto);
            json_object_set_new(ports, key, json_object());
        }
    }
    json_object_update(object_member(st->config, "ExposedPorts"), ports);
    json_decref(ports);
    return 0;
}

static int do_volume(struct change_state *st, const char *rest, berth_error *err)
{
    json_t *list = json_string_list(rest);
    _cleanup_strv_ char **paths = NULL;
    if (list) {
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v) strv_push(&paths, json_string_value(v));
        json_decref(list);
    } else {
        _cleanup_strv_ char **words = split_words(rest);
        for (size_t i = 0; words[i]; i++) {
            char *p = NULL;
            int r = process_word(words[i], json_object_get(st->config, "Env"), &p, err);
            if (r < 0)
                return r;
            strv_push_take(&paths, p);
        }
    }
    if (!paths)
        return berr(err, BERTH_EINVAL, "VOLUME requires at least one argument");
    for (size_t i = 0; paths[i]; i++)
        if (!*paths[i])
            return berr(err, BERTH_EINVAL, "VOLUME specified can not be an empty string");
    json_t *vols = object_member(st->config, "Volumes");
    for (size_t i = 0; paths[i]; i++)
        json_object_set_new(vols, paths[i], json_object());
    return 0;
}

static int do_onbuild(struct change_state *st, const char *rest, berth_error *err)
{
    if (!*rest)
        return berr(err, BERTH_EINVAL, "ONBUILD requires at least one argument");
    size_t n = strcspn(rest, " \t");
    if (n == 7 && strncasecmp(rest, "ONBUILD", 7) == 0)
        return berr(err, BERTH_EINVAL, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if ((n == 4 && strncasecmp(rest, "FROM", 4) == 0) ||
        (n == 10 && strncasecmp(rest, "MAINTAINER", 10) == 0))
        return berr(err, BERTH_EINVAL, "%.*s isn't allowed as an ONBUILD trigger", (int)n, rest);
    json_t *onbuild = json_object_get(st->config, "OnBuild");
    if (!json_is_array(onbuild)) {
        onbuild = json_array();
        json_object_set_new(st->config, "OnBuild", onbuild);
    }
    json_array_append_new(onbuild, json_string(rest));
    return 0;
}

static int apply_one(struct change_state *st, const char *change, size_t line, berth_error *err)
{
    const char *p = change;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p || *p == '#')
        return 0;
    const char *word = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    _cleanup_free_ char *instr = xstrndup(word, p - word);
    for (char *c = instr; *c; c++)
        *c = toupper((unsigned char)*c);
    while (isspace((unsigned char)*p))
        p++;
    _cleanup_free_ char *rest = xstrdup(p);
    for (size_t n = strlen(rest); n > 0 && isspace((unsigned char)rest[n - 1]); n--)
        rest[n - 1] = '\0';

    if (strcmp(instr, "ENV") == 0)
        return do_env(st, rest, err);
    if (strcmp(instr, "LABEL") == 0)
        return do_label(st, rest, err);
    if (strcmp(instr, "CMD") == 0)
        return do_cmd(st, "CMD", "Cmd", rest, err);
    if (strcmp(instr, "ENTRYPOINT") == 0)
        return do_cmd(st, "ENTRYPOINT", "Entrypoint", rest, err);
    if (strcmp(instr, "WORKDIR") == 0)
        return do_workdir(st, rest, err);
    if (strcmp(instr, "USER") == 0)
        return do_user(st, rest, err);
    if (strcmp(instr, "EXPOSE") == 0)
        return do_expose(st, rest, err);
    if (strcmp(instr, "VOLUME") == 0)
        return do_volume(st, rest, err);
    if (strcmp(instr, "STOPSIGNAL") == 0)
        return do_stopsignal(st, rest, err);
    if (strcmp(instr, "ONBUILD") == 0)
        return do_onbuild(st, rest, err);

    /* Dockerfile instructions that a change cannot carry, worded as
     * Docker words them; anything else is not Dockerfile at all. */
    static const char *const not_changes[] = { "ADD",         "ARG",        "COPY", "FROM",
                                               "HEALTHCHECK", "MAINTAINER", "RUN",  "SHELL" };
    for (size_t i = 0; i < ARRAY_SIZE(not_changes); i++) {
        if (strcmp(instr, not_changes[i]) == 0) {
            for (char *c = instr; *c; c++)
                *c = tolower((unsigned char)*c);
            return berr(err, BERTH_EINVAL, "%s is not a valid change command", instr);
        }
    }
    return berr(err, BERTH_EINVAL, "dockerfile parse error on line %zu: unknown instruction: %s",
                line, instr);
}

int image_config_apply_changes(json_t *cfg, const char *const *changes, size_t n_changes,
                               berth_error *err)
{
    json_t *orig = json_object_get(cfg, "config");
    json_t *config = json_is_object(orig) ? json_deep_copy(orig) : json_object();
    struct change_state st = { config, false };
    for (size_t i = 0; i < n_changes; i++) {
        if (!changes[i])
            continue;
        /* JSON strings hold UTF-8 only: a value jansson cannot store would
         * silently vanish from the config */
        json_t *probe = json_string(changes[i]);
        if (!probe) {
            json_decref(config);
            return berr(err, BERTH_EINVAL, "dockerfile parse error line %zu: invalid UTF-8", i + 1);
        }
        json_decref(probe);
        int r = apply_one(&st, changes[i], i + 1, err);
        if (r < 0) {
            json_decref(config);
            return r;
        }
    }
    json_object_set_new(cfg, "config", config);
    return 0;
}
