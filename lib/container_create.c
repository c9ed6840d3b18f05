/* container_create.c - berth_container_create: a validated config, the
 * container's directories and files, then its row (the name's uniqueness
 * is the database's UNIQUE constraint, so two creators cannot both win). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "container_config.h"
#include "db.h"
#include "engine_int.h"
#include "events.h"
#include "errors.h"
#include "image_store.h"
#include "trace.h"
#include "util.h"

static const char hosts_base[] = "127.0.0.1\tlocalhost\n"
                                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                 "fe00::0\tip6-localnet\n"
                                 "ff00::0\tip6-mcastprefix\n"
                                 "ff02::1\tip6-allnodes\n"
                                 "ff02::2\tip6-allrouters\n";

/* The host's resolv.conf; without the host's network, nameservers on the
 * host's loopback cannot be reached from the container and are dropped. */
static char *resolv_conf(bool host_net)
{
    _cleanup_free_ char *host = NULL;
    if (read_file("/etc/resolv.conf", &host, NULL) < 0)
        return xstrdup("");
    if (host_net)
        return steal_ptr(&host);
    buf_t out = { 0 };
    char *save = NULL;
    for (char *line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (str_has_prefix(p, "nameserver")) {
            const char *a = p + 10;
            while (*a == ' ' || *a == '\t')
                a++;
            if (str_has_prefix(a, "127.") || str_has_prefix(a, "::1"))
                continue;
        }
        buf_appendf(&out, "%s\n", line);
    }
    return buf_steal(&out);
}

static int write_etc_files(int dfd, const json_t *config, const json_t *hostconfig)
{
    const char *netmode = json_get_str(hostconfig, "NetworkMode", "default");
    bool host_net = strcmp(netmode, "host") == 0;
    _cleanup_free_ char *hostname = xasprintf("%s\n", json_get_str(config, "Hostname", ""));
    /* the container's directory is new and its row not written yet:
     * nobody reads these files before they are whole */
    int r = write_new_file_at(dfd, "hostname", hostname, strlen(hostname), 0644);
    if (r < 0)
        return r;
    buf_t hosts = { 0 };
    _cleanup_free_ char *host_hosts = NULL;
    if (host_net && read_file("/etc/hosts", &host_hosts, NULL) == 0)
        buf_append(&hosts, host_hosts, strlen(host_hosts));
    else
        buf_append(&hosts, hosts_base, sizeof hosts_base - 1);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hostconfig, "ExtraHosts"), i, v)
    {
        const char *s = json_string_value(v);
        const char *colon = strchr(s, ':');
        buf_appendf(&hosts, "%s\t%.*s\n", colon + 1, (int)(colon - s), s);
    }
    r = write_new_file_at(dfd, "hosts", hosts.data, hosts.len, 0644);
    buf_free(&hosts);
    if (r < 0)
        return r;
    _cleanup_free_ char *resolv = resolv_conf(host_net);
    return write_new_file_at(dfd, "resolv.conf", resolv, strlen(resolv), 0644);
}

/* Inserts the row in a transaction that also checks that the image is
 * still there: image removal checks for containers in its own IMMEDIATE
 * transaction, so one of the two sees the other. */
static int insert_row(berth_engine *e, const char *id, const char *name, const char *image_id,
                      const char *image_ref, const struct create_config *cc, const char *runtime,
                      const char *runtime_path, const char *config_s, const char *host_s,
                      const char *args_s, const char *labels_s, const char *layers_s,
                      const char *mounts_s, char *const *volumes, berth_error *err)
{
    /* (declared before the first goto: a jump must not skip a cleanup) */
    _cleanup_stmt_ sqlite3_stmt *chk = NULL, *s = NULL;
    int r = db_begin(e->db, err);
    if (r < 0)
        return r;
    r = db_prepare(e->db, "SELECT 1 FROM images WHERE id=?1", &chk, err);
    if (r < 0)
        goto fail;
    sqlite3_bind_text(chk, 1, image_id, -1, SQLITE_STATIC);
    if (sqlite3_step(chk) != SQLITE_ROW) {
        r = berr(err, BERTH_ENOTFOUND, "No such image: %s", image_ref);
        goto fail;
    }
    r = db_prepare(e->db,
                   "INSERT INTO containers (id, name, image_id, image_ref, created, config,"
                   " hostconfig, path, args, labels, runtime, runtime_path, state,"
                   " auto_remove, layers, mounts, command)"
                   " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,'created',?13,?14,?15,?16)",
                   &s, err);
    if (r < 0)
        goto fail;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, image_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, image_ref, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now_ns());
    sqlite3_bind_text(s, 6, config_s, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, host_s, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, cc->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, args_s, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, labels_s ? labels_s : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, runtime, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 12, runtime_path, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 13, json_get_bool(cc->hostconfig, "AutoRemove"));
    sqlite3_bind_text(s, 14, layers_s, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 15, mounts_s, -1, SQLITE_STATIC);
    buf_t cmd = { 0 };
    buf_append(&cmd, cc->path, strlen(cc->path));
    size_t i;
    json_t *a;
    /* as dockerd shows it: arguments with a space in single quotes */
    json_array_foreach(cc->args, i, a)
    {
        const char *s = json_string_value(a);
        buf_appendf(&cmd, strchr(s, ' ') ? " '%s'" : " %s", s);
    }
    sqlite3_bind_text(s, 16, cmd.data, (int)cmd.len, SQLITE_TRANSIENT);
    buf_free(&cmd);
    if (sqlite3_step(s) != SQLITE_DONE) {
        if ((sqlite3_extended_errcode(e->db) & 0xff) == SQLITE_CONSTRAINT) {
            db_rollback(e->db);
            return ctr_name_conflict(e, name, err);
        }
        r = db_error(e->db, err, "create container");
        goto fail;
    }
    for (size_t i = 0; volumes && volumes[i]; i++) {
        _cleanup_stmt_ sqlite3_stmt *v = NULL;
        r = db_prepare(e->db,
                       "INSERT INTO volumes (name, created, anonymous, container_id)"
                       " VALUES (?1, ?2, 1, ?3)",
                       &v, err);
        if (r < 0)
            goto fail;
        sqlite3_bind_text(v, 1, volumes[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(v, 2, now_ns());
        sqlite3_bind_text(v, 3, id, -1, SQLITE_STATIC);
        if (sqlite3_step(v) != SQLITE_DONE) {
            r = db_error(e->db, err, "create volume");
            goto fail;
        }
    }
    r = event_container(e->db, id, "create", NULL, err);
    if (r < 0)
        goto fail;
    return db_commit(e->db, err);
fail:
    db_rollback(e->db);
    return r;
}

/* An anonymous volume for each path in Config.Volumes (the image's VOLUME
 * instructions and the request's), as Docker makes them: a directory
 * <root>/volumes/<name>/_data mounted at the path. The image's content at
 * that path is copied in at the first start. */
static int make_volumes(berth_engine *e, const json_t *config, json_t **mounts_out,
                        char ***names_out, berth_error *err)
{
    json_t *mounts = json_array();
    const char *dest;
    json_t *v;
    json_object_foreach(json_object_get(config, "Volumes"), dest, v)
    {
        char name[65];
        if (random_hex(name, 32) < 0) {
            json_decref(mounts);
            return berr(err, BERTH_EINTERNAL, "no randomness for a volume name");
        }
        _cleanup_free_ char *data = xasprintf("%s/volumes/%s/_data", e->root, name);
        int r = mkdir_p(data, 0755);
        if (r < 0) {
            json_decref(mounts);
            return berr_errno(err, BERTH_EINTERNAL, -r, "cannot create volume %s", name);
        }
        strv_push(names_out, name);
        json_array_append_new(mounts,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "Type",
                                        "volume", "Name", name, "Source", data, "Destination", dest,
                                        "Driver", "local", "Mode", "", "RW", 1, "Propagation", ""));
    }
    *mounts_out = mounts;
    return 0;
}

int berth_container_create(berth_engine *e, const berth_create_opts *opts, char **id_out,
                           berth_error *err)
{
    if (!opts || opts->version != BERTH_CREATE_OPTS_VERSION)
        return berr(err, BERTH_EINVAL, "unknown berth_create_opts version");
    const char *name = opts->name && *opts->name ? opts->name : NULL;
    if (name && !ctr_name_valid(name))
        return berr(err, BERTH_EINVAL,
                    "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                    name);
    if (name && name[0] == '/')
        name++;

    trace_point("create begin");
    json_t *req = NULL;
    _cleanup_free_ char *image_name = NULL;
    int r = create_request_parse(opts->config_json, &req, &image_name, err);
    if (r < 0)
        return r;
    struct image_rec *img = NULL;
    r = image_store_lookup(e, image_name, &img, err);
    if (r < 0) {
        json_decref(req);
        return r;
    }

    char id[65];
    if (random_hex(id, 32) < 0) {
        json_decref(req);
        image_rec_free(img);
        return berr(err, BERTH_EINTERNAL, "no randomness for a container ID");
    }
    struct create_config cc;
    r = create_config_build(req, img->config, id, e->default_runtime, &cc, err);
    json_decref(req);
    if (r < 0) {
        image_rec_free(img);
        return r;
    }
    const char *runtime = json_get_str(cc.hostconfig, "Runtime", e->default_runtime);
    const char *runtime_path = engine_runtime_path(e, runtime);
    if (!runtime_path) {
        r = berr(err, BERTH_EINVAL, "Unknown runtime specified %s", runtime);
        create_config_clear(&cc);
        image_rec_free(img);
        return r;
    }

    _cleanup_free_ char *gen_name = name ? NULL : ctr_generate_name(e);
    const char *final_name = name ? name : gen_name;
    _cleanup_free_ char *dir = engine_ctr_dir(e, id);
    _cleanup_close_ int dfd = -1;
    _cleanup_free_ char *config_s = NULL, *host_s = NULL, *args_s = NULL, *labels_s = NULL;
    _cleanup_free_ char *layers_s = NULL, *mounts_s = NULL;
    _cleanup_strv_ char **volumes = NULL;
    json_t *mounts = NULL;
    if (mkdir(dir, 0710) < 0) {
        r = berr_errno(err, BERTH_EINTERNAL, errno, "cannot create %s", dir);
        goto out;
    }
    dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || mkdirat(dfd, "upper", 0755) < 0 || mkdirat(dfd, "work", 0700) < 0) {
        r = berr_errno(err, BERTH_EINTERNAL, errno, "cannot create %s", dir);
        goto fail_dir;
    }
    r = write_etc_files(dfd, cc.config, cc.hostconfig);
    if (r < 0) {
        r = berr_errno(err, BERTH_EINTERNAL, -r, "cannot write the container's /etc files");
        goto fail_dir;
    }

    config_s = json_dumps(cc.config, JSON_COMPACT);
    host_s = json_dumps(cc.hostconfig, JSON_COMPACT);
    args_s = json_dumps(cc.args, JSON_COMPACT);
    labels_s = json_dumps(json_object_get(cc.config, "Labels"), JSON_COMPACT);
    layers_s = json_dumps(json_object_get(json_object_get(img->config, "rootfs"), "diff_ids"),
                          JSON_COMPACT);
    if (!layers_s || strcmp(layers_s, "[]") == 0) {
        r = berr(err, BERTH_EINTERNAL, "image %s has no layers", img->id);
        goto fail_dir;
    }
    r = make_volumes(e, cc.config, &mounts, &volumes, err);
    if (r < 0)
        goto fail_dir;
    mounts_s = json_dumps(mounts, JSON_COMPACT);
    json_decref(mounts);
    r = insert_row(e, id, final_name, img->id, image_name, &cc, runtime, runtime_path, config_s,
                   host_s, args_s, labels_s, layers_s, mounts_s, volumes, err);
    if (r < 0)
        goto fail_dir;
    trace_point("create done");
    if (id_out)
        *id_out = xstrdup(id);
    r = 0;
    goto out;
fail_dir:
    rm_rf(dir);
    for (size_t i = 0; volumes && volumes[i]; i++) {
        _cleanup_free_ char *vdir = xasprintf("%s/volumes/%s", e->root, volumes[i]);
        rm_rf(vdir);
    }
out:
    create_config_clear(&cc);
    image_rec_free(img);
    return r;
}
