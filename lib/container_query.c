/* container_query.c - inspect, list (with Docker's filters) and resolve,
 * in the shapes of the Docker Engine API. */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <berth/image.h>

#include "container.h"
#include "container_config.h"
#include "ctr_store.h"
#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "filters.h"
#include "image_store.h"
#include "layer.h"
#include "util.h"

static json_t *time_str(int64_t ns)
{
    char b[48];
    format_rfc3339nano(ns, b, sizeof b);
    return json_string(b);
}

/* Docker's State.Status. */
static const char *status_of(const struct ctr *c)
{
    return c->state;
}

/* Docker's human status: "Up 3 minutes", "Exited (0) 2 seconds ago"... */
static char *status_text(const struct ctr *c, int64_t now)
{
    char d[64];
    if (str_eq(c->state, "running") || str_eq(c->state, "paused")) {
        human_duration(now - c->started, d, sizeof d);
        return xasprintf("Up %s%s", d, str_eq(c->state, "paused") ? " (Paused)" : "");
    }
    if (str_eq(c->state, "restarting")) {
        human_duration(now - c->finished, d, sizeof d);
        return xasprintf("Restarting (%d) %s ago", c->exit_code, d);
    }
    if (str_eq(c->state, "removing"))
        return xstrdup("Removal In Progress");
    if (str_eq(c->state, "dead"))
        return xstrdup("Dead");
    if (c->started == 0)
        return xstrdup("Created");
    if (c->finished == 0)
        return xstrdup("");
    human_duration(now - c->finished, d, sizeof d);
    return xasprintf("Exited (%d) %s ago", c->exit_code, d);
}

static json_t *network_settings(const struct ctr *c, bool full)
{
    const char *mode = json_get_str(c->hostconfig, "NetworkMode", "default");
    const char *net = strcmp(mode, "host") == 0 ? "host" : "none";
    json_t *endpoint =
        json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n, s:n}",
                  "IPAMConfig", "Links", "Aliases", "NetworkID", "", "EndpointID", "", "Gateway",
                  "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "", "GlobalIPv6Address", "",
                  "GlobalIPv6PrefixLen", 0, "MacAddress", "", "DriverOpts", "DNSNames");
    json_t *networks = json_pack("{s:o}", net, endpoint);
    if (!full)
        return json_pack("{s:o}", "Networks", networks);
    return json_pack("{s:s, s:s, s:b, s:s, s:i, s:{}, s:s, s:n, s:n, s:s, s:s, s:s, s:i, s:s,"
                     " s:i, s:s, s:s, s:o}",
                     "Bridge", "", "SandboxID", "", "HairpinMode", 0, "LinkLocalIPv6Address", "",
                     "LinkLocalIPv6PrefixLen", 0, "Ports", "SandboxKey", "", "SecondaryIPAddresses",
                     "SecondaryIPv6Addresses", "EndpointID", "", "Gateway", "", "GlobalIPv6Address",
                     "", "GlobalIPv6PrefixLen", 0, "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway",
                     "", "MacAddress", "", "Networks", networks);
}

/* The IDs of the container's exec instances that have not ended, or null. */
static json_t *exec_ids(berth_engine *e, const char *id)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (db_prepare(e->db,
                   "SELECT id FROM execs WHERE container_id = ? AND state != 'exited'"
                   " ORDER BY created",
                   &s, &err) < 0)
        return json_null();
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    json_t *ids = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(ids, json_string(db_col_text(s, 0)));
    if (json_array_size(ids))
        return ids;
    json_decref(ids);
    return json_null();
}

static json_t *inspect_doc(berth_engine *e, const struct ctr *c)
{
    _cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
    _cleanup_free_ char *p_resolv = xasprintf("%s/resolv.conf", dir);
    _cleanup_free_ char *p_hostname = xasprintf("%s/hostname", dir);
    _cleanup_free_ char *p_hosts = xasprintf("%s/hosts", dir);
    _cleanup_free_ char *p_log = xasprintf("%s/container.log", dir);
    _cleanup_free_ char *p_upper = xasprintf("%s/upper", dir);
    _cleanup_free_ char *p_work = xasprintf("%s/work", dir);
    _cleanup_free_ char *p_merged = engine_rootfs_mountpoint(e);
    _cleanup_free_ char *name = xasprintf("/%s", c->name);

    buf_t lower = { 0 };
    _cleanup_free_ char *init = NULL;
    if (engine_init_layer(e, &init, NULL) == 0)
        buf_append(&lower, init, strlen(init));
    for (size_t i = json_array_size(c->layers); i-- > 0;) {
        _cleanup_free_ char *dir =
            layer_dir_path(e, json_string_value(json_array_get(c->layers, i)));
        buf_appendf(&lower, "%s%s", lower.len ? ":" : "", dir);
    }
    _cleanup_free_ char *lower_s = buf_steal(&lower);

    bool running = str_eq(c->state, "running") || str_eq(c->state, "paused");
    json_t *state = json_pack(
        "{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:o, s:o}", "Status", status_of(c),
        "Running", running, "Paused", str_eq(c->state, "paused"), "Restarting",
        str_eq(c->state, "restarting"), "OOMKilled", c->oom_killed, "Dead",
        str_eq(c->state, "dead"), "Pid", running ? c->pid : 0, "ExitCode", c->exit_code, "Error",
        c->error, "StartedAt", time_str(c->started), "FinishedAt", time_str(c->finished));

    json_t *doc = json_pack(
        "{s:s, s:o, s:s, s:O, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:i,"
        " s:s, s:s, s:s, s:s, s:s, s:o, s:O}",
        "Id", c->id, "Created", time_str(c->created), "Path", c->path, "Args", c->args, "State",
        state, "Image", c->image_id, "ResolvConfPath", p_resolv, "HostnamePath", p_hostname,
        "HostsPath", p_hosts, "LogPath", p_log, "Name", name, "RestartCount", c->restart_count,
        "Driver", "overlay2", "Platform", "linux", "MountLabel", "", "ProcessLabel", "",
        "AppArmorProfile", "", "ExecIDs", exec_ids(e, c->id), "HostConfig", c->hostconfig);
    json_object_set_new(doc, "GraphDriver",
                        json_pack("{s:{s:s, s:s, s:s, s:s}, s:s}", "Data", "LowerDir", lower_s,
                                  "MergedDir", p_merged, "UpperDir", p_upper, "WorkDir", p_work,
                                  "Name", "overlay2"));
    json_object_set(doc, "Mounts", c->mounts);
    json_object_set(doc, "Config", c->config);
    json_object_set_new(doc, "NetworkSettings", network_settings(c, true));
    return doc;
}

int berth_container_inspect(berth_engine *e, const char *name, char **json_out, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    json_t *doc = inspect_doc(e, c);
    *json_out = json_dumps(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return 0;
}

int berth_container_resolve(berth_engine *e, const char *name, char **id_out, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    *id_out = xstrdup(c->id);
    return 0;
}

/* ---- list ----------------------------------------------------------- */

struct filters {
    char **status, **label, **name, **id, **ancestor_ids, **ancestor_refs;
    int *exited;
    size_t n_exited;
    int64_t before_seq, since_seq; /* 0: none */
    bool is_task_true;
    regex_t *name_re, *id_re;
    size_t n_name_re, n_id_re;
};

static void filters_free(struct filters *f)
{
    strv_free(f->status);
    strv_free(f->label);
    strv_free(f->name);
    strv_free(f->id);
    strv_free(f->ancestor_ids);
    strv_free(f->ancestor_refs);
    free(f->exited);
    for (size_t i = 0; i < f->n_name_re; i++)
        regfree(&f->name_re[i]);
    for (size_t i = 0; i < f->n_id_re; i++)
        regfree(&f->id_re[i]);
    free(f->name_re);
    free(f->id_re);
}

/* Docker sends filters as {"key": ["v", ...]} or, from old clients,
 * {"key": {"v": true}}. */
static int compile_all(char **pats, regex_t **out, size_t *n, const char *key, berth_error *err)
{
    size_t k = strv_length(pats);
    *out = xcalloc(k ? k : 1, sizeof(regex_t));
    for (size_t i = 0; i < k; i++) {
        if (regcomp(&(*out)[i], pats[i], REG_EXTENDED | REG_NOSUB) != 0)
            return berr(err, BERTH_EINVAL, "invalid filter '%s=%s': not a regular expression", key,
                        pats[i]);
        (*n)++;
    }
    return 0;
}

static int seq_of(berth_engine *e, const char *name, int64_t *seq, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    *seq = c->seq;
    return 0;
}

static int parse_filters(berth_engine *e, const char *text, struct filters *f, bool *all,
                         berth_error *err)
{
    memset(f, 0, sizeof *f);
    if (!text || !*text)
        return 0;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return berr(err, BERTH_EINVAL, "invalid filters: %s", j ? "not an object" : je.text);
    }
    static const char *const states[] = { "created", "restarting", "running", "removing",
                                          "paused",  "exited",     "dead" };
    int r = 0;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        _cleanup_strv_ char **vals = NULL;
        if (!filter_values(v, &vals)) {
            r = berr(err, BERTH_EINVAL, "invalid filter '%s': not a list of strings", key);
            goto out;
        }
        if (strcmp(key, "status") == 0) {
            for (size_t i = 0; vals && vals[i]; i++) {
                bool ok = false;
                for (size_t k = 0; k < ARRAY_SIZE(states); k++)
                    ok = ok || strcmp(vals[i], states[k]) == 0;
                if (!ok) {
                    r = berr(err, BERTH_EINVAL, "Invalid filter 'status=%s'", vals[i]);
                    goto out;
                }
            }
            f->status = steal_ptr(&vals);
            *all = true;
        } else if (strcmp(key, "exited") == 0) {
            for (size_t i = 0; vals && vals[i]; i++) {
                char *end;
                long code = strtol(vals[i], &end, 10);
                if (!*vals[i] || *end) {
                    r = berr(err, BERTH_EINVAL, "Invalid filter 'exited=%s'", vals[i]);
                    goto out;
                }
                f->exited = xrealloc(f->exited, (f->n_exited + 1) * sizeof(int));
                f->exited[f->n_exited++] = (int)code;
            }
            *all = true;
        } else if (strcmp(key, "label") == 0) {
            f->label = steal_ptr(&vals);
        } else if (strcmp(key, "name") == 0) {
            f->name = steal_ptr(&vals);
            if ((r = compile_all(f->name, &f->name_re, &f->n_name_re, key, err)) < 0)
                goto out;
        } else if (strcmp(key, "id") == 0) {
            f->id = steal_ptr(&vals);
            if ((r = compile_all(f->id, &f->id_re, &f->n_id_re, key, err)) < 0)
                goto out;
        } else if (strcmp(key, "ancestor") == 0) {
            for (size_t i = 0; vals && vals[i]; i++) {
                char *id = NULL;
                if (berth_image_resolve(e, vals[i], &id, NULL) == 0)
                    strv_push_take(&f->ancestor_ids, id);
                strv_push(&f->ancestor_refs, vals[i]);
            }
        } else if (strcmp(key, "before") == 0 || strcmp(key, "since") == 0) {
            for (size_t i = 0; vals && vals[i]; i++) {
                int64_t seq;
                if ((r = seq_of(e, vals[i], &seq, err)) < 0)
                    goto out;
                if (key[0] == 'b')
                    f->before_seq = seq;
                else
                    f->since_seq = seq;
            }
        } else if (strcmp(key, "is-task") == 0) {
            for (size_t i = 0; vals && vals[i]; i++)
                f->is_task_true = f->is_task_true || strcmp(vals[i], "true") == 0;
        } else if (strcmp(key, "health") == 0 || strcmp(key, "network") == 0 ||
                   strcmp(key, "volume") == 0 || strcmp(key, "publish") == 0 ||
                   strcmp(key, "expose") == 0 || strcmp(key, "isolation") == 0) {
            r = berr(err, BERTH_EINVAL, "filter '%s' is not supported by berth yet", key);
            goto out;
        } else {
            r = berr(err, BERTH_EINVAL, "Invalid filter '%s'", key);
            goto out;
        }
    }
out:
    json_decref(j);
    return r;
}

static bool label_match(const json_t *labels, char *const *want)
{
    for (size_t i = 0; want && want[i]; i++) {
        const char *eq = strchr(want[i], '=');
        _cleanup_free_ char *k = eq ? xstrndup(want[i], eq - want[i]) : xstrdup(want[i]);
        json_t *v = json_object_get(labels, k);
        if (!v)
            return false;
        if (eq && strcmp(json_string_value(v) ? json_string_value(v) : "", eq + 1) != 0)
            return false;
    }
    return true;
}

static bool any_regex(regex_t *re, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (regexec(&re[i], s, 0, NULL, 0) == 0)
            return true;
    return false;
}

static bool include(const struct ctr *c, const struct filters *f, bool all)
{
    bool running =
        str_eq(c->state, "running") || str_eq(c->state, "paused") || str_eq(c->state, "restarting");
    if (!all && !running)
        return false;
    if (f->is_task_true)
        return false;
    if (f->status && !strv_contains(f->status, c->state))
        return false;
    if (f->n_exited) {
        bool ok = false;
        for (size_t i = 0; i < f->n_exited; i++)
            ok = ok || (str_eq(c->state, "exited") && c->exit_code == f->exited[i]);
        if (!ok)
            return false;
    }
    if (f->label && !label_match(c->labels, f->label))
        return false;
    if (f->n_name_re) {
        _cleanup_free_ char *slashed = xasprintf("/%s", c->name);
        if (!any_regex(f->name_re, f->n_name_re, slashed))
            return false;
    }
    if (f->n_id_re && !any_regex(f->id_re, f->n_id_re, c->id))
        return false;
    if (f->ancestor_refs && !strv_contains(f->ancestor_ids, c->image_id) &&
        !strv_contains(f->ancestor_refs, c->image_ref))
        return false;
    if (f->before_seq && c->seq >= f->before_seq)
        return false;
    if (f->since_seq && c->seq <= f->since_seq)
        return false;
    return true;
}

static int64_t image_size(berth_engine *e, const char *image_id)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    if (db_prepare(e->db, "SELECT size FROM images WHERE id=?1", &s, NULL) < 0)
        return 0;
    sqlite3_bind_text(s, 1, image_id, -1, SQLITE_STATIC);
    return sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
}

/* The columns a listing reads: no config documents to parse. */
#define LIST_COLUMNS                                                                               \
    "seq, id, name, image_id, image_ref, created, labels, state, exit_code, started, finished,"    \
    " monitor_pid, monitor_start, command, json_extract(hostconfig, '$.NetworkMode'), mounts"

static struct ctr *light_row(sqlite3_stmt *s, bool need_labels)
{
    struct ctr *c = xcalloc(1, sizeof *c);
    c->seq = sqlite3_column_int64(s, 0);
    c->id = xstrdup(db_col_text(s, 1));
    c->name = xstrdup(db_col_text(s, 2));
    c->image_id = xstrdup(db_col_text(s, 3));
    c->image_ref = xstrdup(db_col_text(s, 4));
    c->created = sqlite3_column_int64(s, 5);
    if (need_labels)
        c->labels = json_loads(db_col_text(s, 6), 0, NULL);
    c->state = xstrdup(db_col_text(s, 7));
    c->exit_code = sqlite3_column_int(s, 8);
    c->started = sqlite3_column_int64(s, 9);
    c->finished = sqlite3_column_int64(s, 10);
    c->monitor_pid = sqlite3_column_int(s, 11);
    c->monitor_start = (uint64_t)sqlite3_column_int64(s, 12);
    return c;
}

/* One ContainerSummary, written as JSON text straight from the row. */
static void summary_text(buf_t *b, berth_engine *e, sqlite3_stmt *s, const struct ctr *c, bool size,
                         int64_t now)
{
    const char *netmode = db_col_text(s, 14);
    if (!*netmode)
        netmode = "default";
    const char *net = strcmp(netmode, "host") == 0 ? "host" : "none";
    const char *labels = db_col_text(s, 6);
    const char *mounts = db_col_text(s, 15);
    _cleanup_free_ char *status = status_text(c, now);
    buf_appendf(b, "{\"Id\":\"%s\",\"Names\":[", c->id);
    _cleanup_free_ char *slashed = xasprintf("/%s", c->name);
    buf_append_json_str(b, slashed);
    buf_append(b, "],\"Image\":", 10);
    buf_append_json_str(b, c->image_ref);
    buf_appendf(b, ",\"ImageID\":\"%s\",\"Command\":", c->image_id);
    buf_append_json_str(b, db_col_text(s, 13));
    buf_appendf(b, ",\"Created\":%lld,\"Ports\":[],\"Labels\":%s,\"State\":\"%s\",\"Status\":",
                (long long)(c->created / 1000000000), *labels ? labels : "{}", c->state);
    buf_append_json_str(b, status);
    buf_append(b, ",\"HostConfig\":{\"NetworkMode\":", 29);
    buf_append_json_str(b, netmode);
    buf_appendf(b,
                "},\"NetworkSettings\":{\"Networks\":{\"%s\":{\"IPAMConfig\":null,\"Links\":null,"
                "\"Aliases\":null,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\","
                "\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\","
                "\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"MacAddress\":\"\","
                "\"DriverOpts\":null,\"DNSNames\":null}}},\"Mounts\":%s",
                net, *mounts ? mounts : "[]");
    if (size) {
        _cleanup_free_ char *upper = xasprintf("%s/containers/%s/upper", e->root, c->id);
        int64_t rw = dir_size(upper);
        buf_appendf(b, ",\"SizeRw\":%lld,\"SizeRootFs\":%lld", (long long)rw,
                    (long long)(rw + image_size(e, c->image_id)));
    }
    buf_append(b, "}", 1);
}

int berth_container_list(berth_engine *e, const berth_list_opts *opts, char **json_out,
                         berth_error *err)
{
    berth_list_opts defaults = BERTH_LIST_OPTS_INIT;
    if (!opts)
        opts = &defaults;
    bool all = opts->all || opts->limit > 0;
    struct filters f;
    int r = parse_filters(e, opts->filters_json, &f, &all, err);
    if (r < 0) {
        filters_free(&f);
        return r;
    }
    if (f.before_seq || f.since_seq)
        all = true;
    /* a row that claims to run while its monitor is gone is repaired first */
    {
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        if (db_prepare(e->db,
                       "SELECT id, monitor_pid, monitor_start FROM containers"
                       " WHERE state IN ('running','paused','restarting')",
                       &q, NULL) == 0) {
            char **dead = NULL;
            while (sqlite3_step(q) == SQLITE_ROW)
                if (!proc_alive(sqlite3_column_int(q, 1), (uint64_t)sqlite3_column_int64(q, 2)))
                    strv_push(&dead, db_col_text(q, 0));
            sqlite3_finalize(q);
            q = NULL;
            for (size_t i = 0; dead && dead[i]; i++) {
                struct ctr *fresh = NULL;
                if (ctr_reload(e, dead[i], &fresh, NULL) == 0)
                    ctr_free(fresh);
            }
            strv_free(dead);
        }
    }
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    r = db_prepare(e->db, "SELECT " LIST_COLUMNS " FROM containers ORDER BY seq DESC", &s, err);
    if (r < 0) {
        filters_free(&f);
        return r;
    }
    buf_t out = { 0 };
    buf_append(&out, "[", 1);
    size_t n = 0;
    int64_t now = now_ns();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct ctr *c = light_row(s, f.label != NULL);
        if (include(c, &f, all)) {
            if (n++)
                buf_append(&out, ",", 1);
            summary_text(&out, e, s, c, opts->size, now);
        }
        ctr_free(c);
        if (opts->limit > 0 && n >= (size_t)opts->limit)
            break;
    }
    filters_free(&f);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        buf_free(&out);
        return db_error(e->db, err, "list containers");
    }
    buf_append(&out, "]", 1);
    *json_out = buf_steal(&out);
    return 0;
}
