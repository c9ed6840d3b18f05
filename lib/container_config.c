/* container_config.c - validating and merging create requests.
 *
 * berth refuses what it cannot honour: a HostConfig field with a value
 * other than Docker's default that berth does not implement is a 400 that
 * names the field, never silently dropped. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <berth/container.h>

#include "container_config.h"
#include "errors.h"
#include "util.h"

const char *json_get_str(const json_t *obj, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : fallback;
}

bool json_get_bool(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

const char *env_lookup(const json_t *env, const char *key)
{
    size_t kl = strlen(key), i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, key, kl) == 0 && s[kl] == '=')
            return s + kl + 1;
    }
    return NULL;
}

void create_config_clear(struct create_config *c)
{
    json_decref(c->config);
    json_decref(c->hostconfig);
    json_decref(c->args);
    free(c->path);
    memset(c, 0, sizeof *c);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int wrong_type(berth_error *err, const char *field, const char *want, const json_t *v)
{
    return berr(err, BERTH_EINVAL, "json: cannot unmarshal %s into field %s of type %s",
                type_name(v), field, want);
}

int config_check_kind(const char *field, const json_t *v, enum kind k, berth_error *err)
{
    if (!v || json_is_null(v))
        return 0;
    switch (k) {
    case K_STR: return json_is_string(v) ? 0 : wrong_type(err, field, "string", v);
    case K_BOOL: return json_is_boolean(v) ? 0 : wrong_type(err, field, "bool", v);
    case K_INT: return json_is_integer(v) ? 0 : wrong_type(err, field, "int64", v);
    case K_OBJ: return json_is_object(v) ? 0 : wrong_type(err, field, "struct", v);
    case K_STRMAP: {
        if (!json_is_object(v))
            return wrong_type(err, field, "map[string]string", v);
        const char *key;
        json_t *x;
        json_object_foreach((json_t *)v, key, x)
        {
            if (!json_is_string(x))
                return wrong_type(err, field, "string", x);
        }
        return 0;
    }
    case K_STRV_OR_STR:
        if (json_is_string(v))
            return 0;
        /* fall through */
    case K_STRV: {
        if (!json_is_array(v))
            return wrong_type(err, field, "[]string", v);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (!json_is_string(x))
                return wrong_type(err, field, "string", x);
        }
        return 0;
    }
    case K_ANY: return 0;
    }
    return 0;
}

/* Fields that are maps (not structs) in Docker's types: any key makes
 * them non-zero, whatever its value ({"/data": {}} is a volume). */
static const char *const map_fields[] = { "Volumes",         "ExposedPorts", "Labels",
                                          "PortBindings",    "Tmpfs",        "Sysctls",
                                          "StorageOpt",      "Annotations",  "DriverOpts",
                                          "EndpointsConfig", "Config" };

static bool is_zero(const json_t *v);

static bool is_zero_field(const char *key, const json_t *v)
{
    if (json_is_object(v)) {
        for (size_t i = 0; i < ARRAY_SIZE(map_fields); i++)
            if (strcmp(key, map_fields[i]) == 0)
                return json_object_size(v) == 0;
    }
    return is_zero(v);
}

/* Docker's zero value: what a client sends when it means "not set". */
static bool is_zero(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return true;
    if (json_is_integer(v))
        return json_integer_value(v) == 0;
    if (json_is_real(v))
        return json_real_value(v) == 0;
    if (json_is_string(v))
        return json_string_length(v) == 0;
    if (json_is_array(v))
        return json_array_size(v) == 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if (!is_zero_field(k, x))
                return false;
        }
        return true;
    }
    return false;
}

struct field {
    const char *name;
    enum kind kind;
};

static const struct field config_fields[] = {
    { "Hostname", K_STR },         { "Domainname", K_STR },    { "User", K_STR },
    { "AttachStdin", K_BOOL },     { "AttachStdout", K_BOOL }, { "AttachStderr", K_BOOL },
    { "ExposedPorts", K_OBJ },     { "Tty", K_BOOL },          { "OpenStdin", K_BOOL },
    { "StdinOnce", K_BOOL },       { "Env", K_STRV },          { "Cmd", K_STRV_OR_STR },
    { "Healthcheck", K_OBJ },      { "ArgsEscaped", K_BOOL },  { "Image", K_STR },
    { "Volumes", K_OBJ },          { "WorkingDir", K_STR },    { "Entrypoint", K_STRV_OR_STR },
    { "NetworkDisabled", K_BOOL }, { "MacAddress", K_STR },    { "OnBuild", K_STRV },
    { "Labels", K_STRMAP },        { "StopSignal", K_STR },    { "StopTimeout", K_INT },
    { "Shell", K_STRV },           { "HostConfig", K_OBJ },    { "NetworkingConfig", K_OBJ },
};

/* HostConfig fields berth implements. Every other field must be zero or
 * one of the default spellings in host_default_ok(). */
static const struct field host_supported[] = {
    { "AutoRemove", K_BOOL },      { "Runtime", K_STR },     { "NetworkMode", K_STR },
    { "ConsoleSize", K_ANY },      { "LogConfig", K_OBJ },   { "RestartPolicy", K_OBJ },
    { "ReadonlyRootfs", K_BOOL },  { "ShmSize", K_INT },     { "CapAdd", K_STRV },
    { "CapDrop", K_STRV },         { "ExtraHosts", K_STRV }, { "GroupAdd", K_STRV },
    { "CgroupnsMode", K_STR },     { "IpcMode", K_STR },     { "Isolation", K_STR },
    { "MemorySwappiness", K_ANY }, { "PidsLimit", K_ANY },   { "OomKillDisable", K_ANY },
    { "ContainerIDFile", K_STR },
};

static int host_field_check(const char *key, const json_t *v, berth_error *err)
{
    const char *s = json_string_value(v);
    if (strcmp(key, "NetworkMode") == 0) {
        if (!s || !*s || strcmp(s, "default") == 0 || strcmp(s, "none") == 0 ||
            strcmp(s, "host") == 0)
            return 0;
        return berr(err, BERTH_EINVAL,
                    "HostConfig.NetworkMode %s is not supported by berth yet (use none or host)",
                    s);
    }
    if (strcmp(key, "LogConfig") == 0) {
        const char *type = json_get_str(v, "Type", "");
        if (*type && strcmp(type, "json-file") != 0 && strcmp(type, "local") != 0)
            return berr(err, BERTH_EINVAL,
                        "HostConfig.LogConfig.Type %s is not supported by berth (its own log "
                        "format serves the json-file API)",
                        type);
        if (!is_zero(json_object_get(v, "Config")))
            return berr(err, BERTH_EINVAL,
                        "HostConfig.LogConfig.Config options are not supported by berth yet");
        return 0;
    }
    if (strcmp(key, "RestartPolicy") == 0) {
        const char *name = json_get_str(v, "Name", "");
        if (*name && strcmp(name, "no") != 0)
            return berr(err, BERTH_EINVAL,
                        "HostConfig.RestartPolicy %s is not supported by berth yet", name);
        return 0;
    }
    if (strcmp(key, "CgroupnsMode") == 0) {
        if (!s || !*s || strcmp(s, "host") == 0 || strcmp(s, "private") == 0)
            return 0;
        return berr(err, BERTH_EINVAL, "invalid cgroup namespace mode: %s", s);
    }
    if (strcmp(key, "IpcMode") == 0) {
        if (!s || !*s || strcmp(s, "private") == 0 || strcmp(s, "shareable") == 0)
            return 0;
        return berr(err, BERTH_EINVAL, "HostConfig.IpcMode %s is not supported by berth yet", s);
    }
    if (strcmp(key, "Isolation") == 0) {
        if (!s || !*s || strcmp(s, "default") == 0)
            return 0;
        return berr(err, BERTH_EINVAL, "invalid isolation: %s on linux", s);
    }
    if (strcmp(key, "MemorySwappiness") == 0 || strcmp(key, "PidsLimit") == 0) {
        if (json_is_null(v) ||
            (json_is_integer(v) && (json_integer_value(v) == -1 || json_integer_value(v) == 0)))
            return 0;
        return berr(err, BERTH_EINVAL, "HostConfig.%s is not supported by berth yet", key);
    }
    if (strcmp(key, "OomKillDisable") == 0) {
        if (is_zero(v))
            return 0;
        return berr(err, BERTH_EINVAL, "HostConfig.OomKillDisable is not supported by berth yet");
    }
    if (strcmp(key, "ConsoleSize") == 0) {
        if (json_is_null(v))
            return 0;
        if (!json_is_array(v) || json_array_size(v) != 2 ||
            !json_is_integer(json_array_get(v, 0)) || !json_is_integer(json_array_get(v, 1)) ||
            json_integer_value(json_array_get(v, 0)) < 0 ||
            json_integer_value(json_array_get(v, 1)) < 0)
            return berr(err, BERTH_EINVAL, "HostConfig.ConsoleSize must be [height, width]");
        return 0;
    }
    if (strcmp(key, "ShmSize") == 0 && json_integer_value(v) < 0)
        return berr(err, BERTH_EINVAL, "SHM size can not be less than 0");
    return 0;
}

static int validate_hostconfig(const json_t *hc, berth_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)hc, key, v)
    {
        bool supported = false;
        for (size_t i = 0; i < ARRAY_SIZE(host_supported); i++) {
            if (strcmp(host_supported[i].name, key) != 0)
                continue;
            supported = true;
            _cleanup_free_ char *field = xasprintf("HostConfig.%s", key);
            int r = config_check_kind(field, v, host_supported[i].kind, err);
            if (r < 0)
                return r;
            r = host_field_check(key, v, err);
            if (r < 0)
                return r;
        }
        if (!supported && !is_zero_field(key, v))
            return berr(err, BERTH_EINVAL, "HostConfig.%s is not supported by berth yet", key);
    }
    return 0;
}

int create_request_parse(const char *text, json_t **req_out, char **image_out, berth_error *err)
{
    json_error_t je;
    /* a duplicate key: the last one wins, as with dockerd's Go decoder */
    json_t *req = json_loads(text ? text : "", 0, &je);
    if (!req)
        return berr(err, BERTH_EINVAL, "invalid JSON: %s", je.text);
    if (!json_is_object(req)) {
        json_decref(req);
        return berr(err, BERTH_EINVAL, "invalid JSON: the request body must be an object");
    }
    for (size_t i = 0; i < ARRAY_SIZE(config_fields); i++) {
        int r =
            config_check_kind(config_fields[i].name, json_object_get(req, config_fields[i].name),
                              config_fields[i].kind, err);
        if (r < 0) {
            json_decref(req);
            return r;
        }
    }
    const char *image = json_get_str(req, "Image", "");
    if (!*image) {
        json_decref(req);
        return berr(err, BERTH_EINVAL, "No image was specified for the container (Config.Image)");
    }
    *image_out = xstrdup(image);
    *req_out = req;
    return 0;
}

/* A string or array value as an array (NULL stays NULL). */
static json_t *as_strv(const json_t *v)
{
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v)) {
        json_t *a = json_array();
        json_array_append(a, (json_t *)v);
        return a;
    }
    return json_deep_copy(v);
}

/* Image env, then the request's entries replacing same-named ones. */
static json_t *merge_env(const json_t *image_env, const json_t *user_env)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(image_env, i, v) json_array_append(out, v);
    json_array_foreach(user_env, i, v)
    {
        const char *s = json_string_value(v);
        const char *eq = strchr(s, '=');
        size_t kl = eq ? (size_t)(eq - s) : strlen(s);
        bool replaced = false;
        size_t j;
        json_t *w;
        json_array_foreach(out, j, w)
        {
            const char *t = json_string_value(w);
            if (strncmp(t, s, kl) == 0 && (t[kl] == '=' || t[kl] == '\0')) {
                json_array_set(out, j, v);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append(out, v);
    }
    return out;
}

static json_t *merge_objects(const json_t *a, const json_t *b)
{
    json_t *out = json_object();
    if (json_is_object(a))
        json_object_update(out, (json_t *)a);
    if (json_is_object(b))
        json_object_update(out, (json_t *)b);
    return out;
}

static json_t *nullable(json_t *v)
{
    return v ? v : json_null();
}

static json_t *default_hostconfig(const char *runtime)
{
    json_t *h = json_pack(
        "{s:n, s:s, s:{s:s, s:{}}, s:s, s:{}, s:{s:s, s:i}, s:b, s:s, s:n, s:[i,i], s:n, s:n,"
        " s:s, s:[], s:[], s:[], s:n, s:n, s:s, s:s, s:n, s:i, s:s, s:b, s:b, s:b, s:n, s:s,"
        " s:s, s:I, s:s, s:s}",
        "Binds", "ContainerIDFile", "", "LogConfig", "Type", "json-file", "Config", "NetworkMode",
        "default", "PortBindings", "RestartPolicy", "Name", "no", "MaximumRetryCount", 0,
        "AutoRemove", 0, "VolumeDriver", "", "VolumesFrom", "ConsoleSize", 0, 0, "CapAdd",
        "CapDrop", "CgroupnsMode", "host", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts",
        "GroupAdd", "IpcMode", "private", "Cgroup", "", "Links", "OomScoreAdj", 0, "PidMode", "",
        "Privileged", 0, "PublishAllPorts", 0, "ReadonlyRootfs", 0, "SecurityOpt", "UTSMode", "",
        "UsernsMode", "", "ShmSize", (json_int_t)67108864, "Runtime", runtime, "Isolation", "");
    json_t *rest = json_pack(
        "{s:i, s:I, s:I, s:s, s:i, s:[], s:[], s:[], s:[], s:[], s:I, s:I, s:I, s:I, s:s, s:s,"
        " s:[], s:n, s:n, s:I, s:I, s:n, s:b, s:n, s:n, s:i, s:i, s:I, s:I}",
        "CpuShares", 0, "Memory", (json_int_t)0, "NanoCpus", (json_int_t)0, "CgroupParent", "",
        "BlkioWeight", 0, "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "CpuPeriod", (json_int_t)0, "CpuQuota",
        (json_int_t)0, "CpuRealtimePeriod", (json_int_t)0, "CpuRealtimeRuntime", (json_int_t)0,
        "CpusetCpus", "", "CpusetMems", "", "Devices", "DeviceCgroupRules", "DeviceRequests",
        "MemoryReservation", (json_int_t)0, "MemorySwap", (json_int_t)0, "MemorySwappiness",
        "OomKillDisable", 0, "PidsLimit", "Ulimits", "CpuCount", 0, "CpuPercent", 0,
        "IOMaximumIOps", (json_int_t)0, "IOMaximumBandwidth", (json_int_t)0);
    json_object_update(h, rest);
    json_decref(rest);
    return h;
}

static bool valid_cap_name(const char *s)
{
    if (strcasecmp(s, "ALL") == 0)
        return true;
    const char *p = strncasecmp(s, "CAP_", 4) == 0 ? s + 4 : s;
    if (!*p)
        return false;
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

/* An image's config comes from whoever made the image: its fields get the
 * same type checks as a request's before anything uses them. */
static int check_image_config(const json_t *img, berth_error *err)
{
    if (img && !json_is_object(img) && !json_is_null(img))
        return berr(err, BERTH_EINVAL, "invalid image config: config is not an object");
    for (size_t i = 0; i < ARRAY_SIZE(config_fields); i++) {
        char field[64];
        snprintf(field, sizeof field, "image config.%s", config_fields[i].name);
        int r = config_check_kind(field, json_object_get(img, config_fields[i].name),
                                  config_fields[i].kind, err);
        if (r < 0)
            return r;
    }
    return 0;
}

int create_config_build(const json_t *req, const json_t *image_doc, const char *id,
                        const char *default_runtime, struct create_config *out, berth_error *err)
{
    memset(out, 0, sizeof *out);
    const json_t *img = json_object_get(image_doc, "config");
    int ir = check_image_config(img, err);
    if (ir < 0)
        return ir;
    const json_t *hc_in = json_object_get(req, "HostConfig");
    if (!json_is_object(hc_in))
        hc_in = NULL;
    int r;
    if (hc_in && (r = validate_hostconfig(hc_in, err)) < 0)
        return r;

    /* The docker CLI sends an empty endpoint for the container's own network
     * mode ("default"): that asks for nothing. Any other endpoint does. */
    const json_t *endpoints =
        json_object_get(json_object_get(req, "NetworkingConfig"), "EndpointsConfig");
    const char *ep_name;
    json_t *ep;
    const char *mode = hc_in ? json_get_str(hc_in, "NetworkMode", "default") : "default";
    json_object_foreach((json_t *)endpoints, ep_name, ep)
    {
        bool own = strcmp(ep_name, mode) == 0 || strcmp(ep_name, "default") == 0 ||
                   strcmp(ep_name, "none") == 0 || strcmp(ep_name, "host") == 0;
        if (!own || !is_zero(ep))
            return berr(err, BERTH_EINVAL,
                        "NetworkingConfig.EndpointsConfig[%s] is not supported by berth yet",
                        ep_name);
    }
    if (!is_zero(json_object_get(req, "Healthcheck")))
        return berr(err, BERTH_EINVAL, "Config.Healthcheck is not supported by berth yet");
    if (!is_zero(json_object_get(req, "MacAddress")))
        return berr(err, BERTH_EINVAL, "Config.MacAddress is not supported by berth yet");

    const char *workdir = json_get_str(req, "WorkingDir", "");
    if (*workdir && workdir[0] != '/')
        return berr(err, BERTH_EINVAL,
                    "the working directory '%s' is invalid, it needs to be an absolute path",
                    workdir);
    const char *stopsig = json_get_str(req, "StopSignal", "");
    if (*stopsig) {
        int signo;
        if ((r = berth_signal_parse(stopsig, &signo, err)) < 0)
            return r;
    }
    const json_t *env = json_object_get(req, "Env");
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (!*s || s[0] == '=')
            return berr(err, BERTH_EINVAL, "invalid environment variable: %s", s);
    }
    if (hc_in) {
        const char *lists[] = { "CapAdd", "CapDrop" };
        for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
            json_array_foreach(json_object_get(hc_in, lists[k]), i, v)
            {
                if (!valid_cap_name(json_string_value(v)))
                    return berr(err, BERTH_EINVAL, "invalid capability: %s", json_string_value(v));
            }
        }
        json_array_foreach(json_object_get(hc_in, "ExtraHosts"), i, v)
        {
            const char *s = json_string_value(v);
            const char *colon = strchr(s, ':');
            if (!colon || colon == s || !colon[1])
                return berr(err, BERTH_EINVAL, "invalid extra host: %s (want host:ip)", s);
        }
    }

    /* Docker's merge of the command: an entrypoint in the request drops
     * the image's command; [""] resets the entrypoint. */
    json_t *entry = as_strv(json_object_get(req, "Entrypoint"));
    json_t *cmd = as_strv(json_object_get(req, "Cmd"));
    bool entry_reset = entry && json_array_size(entry) == 1 &&
                       strcmp(json_string_value(json_array_get(entry, 0)), "") == 0;
    if (entry_reset) {
        json_decref(entry);
        entry = json_array();
    }
    if (!entry || json_array_size(entry) == 0) {
        if (!cmd || json_array_size(cmd) == 0) {
            json_decref(cmd);
            cmd = as_strv(json_object_get(img, "Cmd"));
        }
        if (!entry) {
            entry = as_strv(json_object_get(img, "Entrypoint"));
        }
    }
    if (entry && json_array_size(entry) == 0) {
        json_decref(entry);
        entry = NULL;
    }
    json_t *argv = json_array();
    if (entry)
        json_array_extend(argv, entry);
    if (cmd)
        json_array_extend(argv, cmd);
    if (json_array_size(argv) == 0) {
        json_decref(argv);
        json_decref(entry);
        json_decref(cmd);
        return berr(err, BERTH_EINVAL, "No command specified");
    }
    out->path = xstrdup(json_string_value(json_array_get(argv, 0)));
    out->args = json_array();
    for (i = 1; i < json_array_size(argv); i++)
        json_array_append(out->args, json_array_get(argv, i));
    json_decref(argv);

    const char *hostname = json_get_str(req, "Hostname", "");
    char short_id[13];
    snprintf(short_id, sizeof short_id, "%s", id);
    const char *netmode = hc_in ? json_get_str(hc_in, "NetworkMode", "") : "";
    bool host_net = strcmp(netmode, "host") == 0;
    char hostbuf[256] = "";
    if (!*hostname) {
        if (host_net && gethostname(hostbuf, sizeof hostbuf - 1) == 0)
            hostname = hostbuf;
        else
            hostname = short_id;
    }

    json_t *user_env = json_object_get(req, "Env");
    json_t *merged_env = merge_env(json_object_get(img, "Env"), user_env);
    json_t *labels = merge_objects(json_object_get(img, "Labels"), json_object_get(req, "Labels"));
    json_t *ports =
        merge_objects(json_object_get(img, "ExposedPorts"), json_object_get(req, "ExposedPorts"));
    json_t *volumes =
        merge_objects(json_object_get(img, "Volumes"), json_object_get(req, "Volumes"));
    const char *vkey;
    json_t *vval;
    json_object_foreach(volumes, vkey, vval)
    {
        if (vkey[0] != '/' || strcmp(vkey, "/") == 0 || strstr(vkey, "/../") ||
            str_has_suffix(vkey, "/..")) {
            /* the message first: vkey lives in volumes */
            int r = berr(err, BERTH_EINVAL,
                         "invalid volume destination %s: it must be an absolute path other "
                         "than /",
                         vkey);
            json_decref(volumes);
            json_decref(labels);
            json_decref(ports);
            json_decref(merged_env);
            json_decref(entry);
            json_decref(cmd);
            create_config_clear(out);
            return r;
        }
    }
    const char *user = json_get_str(req, "User", "");
    if (!*user)
        user = json_get_str(img, "User", "");
    if (!*workdir)
        workdir = json_get_str(img, "WorkingDir", "");
    if (!*stopsig)
        stopsig = json_get_str(img, "StopSignal", "");

    json_t *c = json_object();
    json_object_set_new(c, "Hostname", json_string(hostname));
    json_object_set_new(c, "Domainname", json_string(json_get_str(req, "Domainname", "")));
    json_object_set_new(c, "User", json_string(user));
    json_object_set_new(c, "AttachStdin", json_boolean(json_get_bool(req, "AttachStdin")));
    json_object_set_new(c, "AttachStdout", json_boolean(json_get_bool(req, "AttachStdout")));
    json_object_set_new(c, "AttachStderr", json_boolean(json_get_bool(req, "AttachStderr")));
    if (json_object_size(ports))
        json_object_set(c, "ExposedPorts", ports);
    json_object_set_new(c, "Tty", json_boolean(json_get_bool(req, "Tty")));
    json_object_set_new(c, "OpenStdin", json_boolean(json_get_bool(req, "OpenStdin")));
    json_object_set_new(c, "StdinOnce", json_boolean(json_get_bool(req, "StdinOnce")));
    json_object_set_new(c, "Env", merged_env);
    json_object_set_new(c, "Cmd", nullable(cmd));
    json_object_set_new(c, "Image", json_string(json_get_str(req, "Image", "")));
    json_object_set_new(c, "Volumes",
                        json_object_size(volumes) ? json_incref(volumes) : json_null());
    json_object_set_new(c, "WorkingDir", json_string(workdir));
    json_object_set_new(c, "Entrypoint", nullable(entry));
    if (json_get_bool(req, "NetworkDisabled"))
        json_object_set_new(c, "NetworkDisabled", json_true());
    json_object_set_new(c, "OnBuild", json_null());
    json_object_set_new(c, "Labels", labels);
    if (*stopsig)
        json_object_set_new(c, "StopSignal", json_string(stopsig));
    json_t *st = json_object_get(req, "StopTimeout");
    if (json_is_integer(st))
        json_object_set(c, "StopTimeout", st);
    json_decref(ports);
    json_decref(volumes);

    const char *runtime = hc_in ? json_get_str(hc_in, "Runtime", "") : "";
    json_t *h = default_hostconfig(*runtime ? runtime : default_runtime);
    if (hc_in) {
        const char *key;
        json_object_foreach((json_t *)hc_in, key, v)
        {
            if (json_is_null(v) && json_object_get(h, key))
                continue;
            if (strcmp(key, "Runtime") == 0 && !*json_string_value(v))
                continue;
            if (strcmp(key, "LogConfig") == 0) {
                continue; /* always json-file: berth serves logs through that API */
            }
            if (strcmp(key, "RestartPolicy") == 0)
                continue;
            if (strcmp(key, "ShmSize") == 0 && json_integer_value(v) == 0)
                continue;
            if (strcmp(key, "CgroupnsMode") == 0 && !*json_string_value(v))
                continue;
            if (strcmp(key, "IpcMode") == 0 && !*json_string_value(v))
                continue;
            if (strcmp(key, "NetworkMode") == 0 && !*json_string_value(v))
                continue;
            json_object_set(h, key, v);
        }
    }
    if (json_get_bool(req, "NetworkDisabled"))
        json_object_set_new(h, "NetworkMode", json_string("none"));
    out->config = c;
    out->hostconfig = h;
    return 0;
}
