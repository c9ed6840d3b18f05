/* test_image_store.c - the image store through the public API: import,
 * inspect, list with filters, tag, remove with Docker's conflicts, save and
 * load round trips, and interop with archives written by skopeo and umoci.
 * Runs on private temporary roots; needs BERTH_TEST_ROOTFS (the busybox
 * rootfs tarball from tests/make-busybox-rootfs.sh). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <berth/berth.h>

#include "db.h"
#include "digest.h"
#include "engine_int.h"
#include "image_store.h"
#include "util.h"

static int failures;
static char tmpdir[128];
static const char *rootfs;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Stops the test: what follows depends on this step. */
#define REQUIRE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: required step failed: %s: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static char *tpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *tpath(const char *fmt, ...)
{
    char rel[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    return xasprintf("%s/%s", tmpdir, rel);
}

static berth_engine *open_engine(const char *name)
{
    _cleanup_free_ char *root = tpath("%s/root", name);
    _cleanup_free_ char *run = tpath("%s/run", name);
    berth_engine_opts opts = BERTH_ENGINE_OPTS_INIT;
    opts.root = root;
    opts.runroot = run;
    berth_engine *e = NULL;
    berth_error err = BERTH_ERROR_INIT;
    REQUIRE(berth_engine_open(&e, &opts, &err) == 0, "%s", err.message);
    return e;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *import(berth_engine *e, const char *tar, const char *ref, const char *const *changes,
                    size_t n, const char *msg)
{
    int fd = open(tar, O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0, "open %s: %s", tar, strerror(errno));
    berth_import_opts opts = BERTH_IMPORT_OPTS_INIT;
    opts.reference = ref;
    opts.changes = changes;
    opts.n_changes = n;
    opts.message = msg;
    char *id = NULL;
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_image_import(e, fd, &opts, &id, &err);
    close(fd);
    REQUIRE(r == 0, "import %s: %s", tar, err.message);
    return id;
}

static json_t *inspect(berth_engine *e, const char *name)
{
    char *text = NULL;
    berth_error err = BERTH_ERROR_INIT;
    REQUIRE(berth_image_inspect(e, name, &text, &err) == 0, "inspect %s: %s", name, err.message);
    json_t *j = json_loads(text, 0, NULL);
    REQUIRE(j, "inspect %s: not JSON: %s", name, text);
    free(text);
    return j;
}

static json_t *list(berth_engine *e, const char *filters)
{
    berth_image_list_opts opts = BERTH_IMAGE_LIST_OPTS_INIT;
    opts.filters_json = filters;
    char *text = NULL;
    berth_error err = BERTH_ERROR_INIT;
    REQUIRE(berth_image_list(e, &opts, &text, &err) == 0, "list %s: %s", filters ? filters : "",
            err.message);
    json_t *j = json_loads(text, 0, NULL);
    REQUIRE(json_is_array(j), "list: not an array: %s", text);
    free(text);
    return j;
}

/* The Ids a list returns, joined by spaces. */
static char *list_ids(berth_engine *e, const char *filters)
{
    json_t *l = list(e, filters);
    buf_t b = { 0 };
    size_t i;
    json_t *v;
    json_array_foreach(l, i, v)
    {
        buf_appendf(&b, "%s%s", i ? " " : "", json_string_value(json_object_get(v, "Id")));
    }
    json_decref(l);
    return buf_steal(&b);
}

static char *resolve(berth_engine *e, const char *name)
{
    char *id = NULL;
    if (berth_image_resolve(e, name, &id, NULL) < 0)
        return xstrdup("(not found)");
    return id;
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static bool dir_is_empty(const char *p)
{
    DIR *d = opendir(p);
    if (!d)
        return false;
    struct dirent *de;
    bool empty = true;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = false;
    closedir(d);
    return empty;
}

static char *remove_image(berth_engine *e, const char *name, bool force, int want,
                          const char *want_msg)
{
    char *report = NULL;
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_image_remove(e, name, force, false, &report, &err);
    CHECK(r == want, "remove %s%s: got %d (%s), want %d", name, force ? " (force)" : "", r,
          err.message, want);
    if (want_msg)
        CHECK(strcmp(err.message, want_msg) == 0, "remove %s: message\n  '%s'\n want\n  '%s'", name,
              err.message, want_msg);
    return report ? report : xstrdup("");
}

static void add_container(berth_engine *e, const char *id, const char *image_id, const char *state)
{
    char *sql = xasprintf(
        "INSERT INTO containers(id, name, image_id, image_ref, created, config, hostconfig, "
        "path, args, labels, runtime, runtime_path, state) VALUES ('%s', 'c%.8s', '%s', 'x', 0, "
        "'{}', '{}', 'sh', '[]', '{}', 'crun', '/usr/bin/crun', '%s')",
        id, id, image_id, state);
    berth_error err = BERTH_ERROR_INIT;
    REQUIRE(db_exec(e->db, sql, &err) == 0, "%s", err.message);
    free(sql);
}

static void exec_sql(berth_engine *e, const char *sql)
{
    berth_error err = BERTH_ERROR_INIT;
    REQUIRE(db_exec(e->db, sql, &err) == 0, "%s: %s", sql, err.message);
}

static int64_t count(berth_engine *e, const char *sql)
{
    sqlite3_stmt *s = NULL;
    REQUIRE(sqlite3_prepare_v2(e->db, sql, -1, &s, NULL) == SQLITE_OK, "%s", sql);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return n;
}

/* ---- import, inspect, lookup ------------------------------------------- */

static char *diff_id_of(const char *tar)
{
    int fd = open(tar, O_RDONLY | O_CLOEXEC);
    char d[DIGEST_STR_LEN];
    REQUIRE(fd >= 0 && digest_fd(fd, d, NULL, NULL) == 0, "digest %s", tar);
    close(fd);
    return xstrdup(d);
}

static char *first_id, *second_id, *rootfs_diff;

static void test_import_inspect(berth_engine *e)
{
    const char *changes[] = { "CMD [\"sh\"]", "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                              "EXPOSE 80" };
    first_id = import(e, rootfs, "busybox", changes, 3, NULL);
    CHECK(digest_is_valid(first_id), "import returned %s", first_id);
    rootfs_diff = diff_id_of(rootfs);

    /* the ID is the digest of the stored config blob */
    _cleanup_free_ char *blob = tpath("main/root/blobs/sha256/%s", first_id + 7);
    _cleanup_free_ char *cfgid = diff_id_of(blob);
    CHECK(strcmp(cfgid, first_id) == 0, "config blob digest %s != image ID %s", cfgid, first_id);
    _cleanup_free_ char *layer = tpath("main/root/layers/%s/bin/busybox", rootfs_diff + 7);
    CHECK(exists(layer), "%s missing", layer);
    _cleanup_free_ char *layer_blob = tpath("main/root/blobs/sha256/%s", rootfs_diff + 7);
    CHECK(exists(layer_blob), "layer blob %s missing", layer_blob);
    _cleanup_free_ char *tmp = tpath("main/root/tmp");
    CHECK(dir_is_empty(tmp), "root/tmp is not empty after import");
    _cleanup_free_ char *home = tpath("main/root/layers/%s/home/tester", rootfs_diff + 7);
    struct stat st;
    CHECK(stat(home, &st) == 0 && st.st_uid == 1000, "layer ownership not kept");
    _cleanup_free_ char *tmpd = tpath("main/root/layers/%s/tmp", rootfs_diff + 7);
    CHECK(stat(tmpd, &st) == 0 && (st.st_mode & 07777) == 01777, "layer tmp mode %o",
          st.st_mode & 07777);

    json_t *j = inspect(e, "busybox");
    CHECK(strcmp(json_string_value(json_object_get(j, "Id")), first_id) == 0, "Id");
    json_t *tags = json_object_get(j, "RepoTags");
    CHECK(json_array_size(tags) == 1 &&
              strcmp(json_string_value(json_array_get(tags, 0)), "busybox:latest") == 0,
          "RepoTags");
    CHECK(json_array_size(json_object_get(j, "RepoDigests")) == 0, "RepoDigests");
    json_t *cfg = json_object_get(j, "Config");
    json_t *cmd = json_object_get(cfg, "Cmd");
    CHECK(json_array_size(cmd) == 1 && strcmp(json_string_value(json_array_get(cmd, 0)), "sh") == 0,
          "Config.Cmd");
    CHECK(json_object_get(json_object_get(cfg, "ExposedPorts"), "80/tcp"), "ExposedPorts");
    CHECK(json_is_null(json_object_get(cfg, "Entrypoint")), "Config.Entrypoint should be null");
    CHECK(json_is_string(json_object_get(cfg, "Hostname")), "Config.Hostname missing");
    CHECK(strcmp(json_string_value(json_object_get(j, "Architecture")), "amd64") == 0, "arch");
    CHECK(strcmp(json_string_value(json_object_get(j, "Os")), "linux") == 0, "os");
    CHECK(strcmp(json_string_value(json_object_get(j, "Comment")), "Imported from -") == 0,
          "Comment");
    CHECK(strcmp(json_string_value(json_object_get(j, "Parent")), "") == 0, "Parent");
    json_t *layers = json_object_get(json_object_get(j, "RootFS"), "Layers");
    CHECK(json_array_size(layers) == 1 &&
              strcmp(json_string_value(json_array_get(layers, 0)), rootfs_diff) == 0,
          "RootFS.Layers should hold the tarball's digest %s", rootfs_diff);
    CHECK(json_integer_value(json_object_get(j, "Size")) > 500000, "Size");
    CHECK(json_integer_value(json_object_get(j, "VirtualSize")) ==
              json_integer_value(json_object_get(j, "Size")),
          "VirtualSize");
    json_t *gd = json_object_get(j, "GraphDriver");
    CHECK(strcmp(json_string_value(json_object_get(gd, "Name")), "overlay2") == 0, "GraphDriver");
    CHECK(json_string_value(json_object_get(json_object_get(gd, "Data"), "UpperDir")),
          "GraphDriver.Data.UpperDir");
    const char *ltt =
        json_string_value(json_object_get(json_object_get(j, "Metadata"), "LastTagTime"));
    CHECK(ltt && !str_has_prefix(ltt, "0001"), "LastTagTime %s", ltt ? ltt : "(null)");
    const char *created = json_string_value(json_object_get(j, "Created"));
    CHECK(created && str_has_prefix(created, "20"), "Created %s", created ? created : "(null)");
    json_decref(j);

    /* every way of naming it */
    const char *names[] = { "busybox:latest", "docker.io/library/busybox",
                            "docker.io/library/busybox:latest", "library/busybox" };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        _cleanup_free_ char *id = resolve(e, names[i]);
        CHECK(strcmp(id, first_id) == 0, "%s resolved to %s", names[i], id);
    }
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%.12s", first_id + 7);
    char sprefix[32];
    snprintf(sprefix, sizeof sprefix, "sha256:%.10s", first_id + 7);
    const char *ids[] = { first_id, first_id + 7, prefix, sprefix };
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        _cleanup_free_ char *id = resolve(e, ids[i]);
        CHECK(strcmp(id, first_id) == 0, "%s resolved to %s", ids[i], id);
    }
    char *id = NULL;
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_image_resolve(e, "nope:1", &id, &err);
    CHECK(r == BERTH_ENOTFOUND && strcmp(err.message, "No such image: nope:1") == 0,
          "unknown image: %d %s", r, err.message);
    r = berth_image_inspect(e, "busybox:other", &id, &err);
    CHECK(r == BERTH_ENOTFOUND, "busybox:other should not be found: %d", r);

    struct image_rec *rec = NULL;
    r = image_store_lookup(e, "busybox", &rec, &err);
    CHECK(r == 0, "image_store_lookup: %s", err.message);
    if (r == 0) {
        CHECK(strv_length(rec->layer_dirs) == 1 && exists(rec->layer_dirs[0]),
              "layer_dirs of the image");
        CHECK(strcmp(rec->id, first_id) == 0, "rec id");
        CHECK(json_is_object(json_object_get(rec->config, "rootfs")), "rec config");
        image_rec_free(rec);
    }

    /* bad input stores nothing */
    const char *bad[] = { "RUN true" };
    berth_import_opts opts = BERTH_IMPORT_OPTS_INIT;
    opts.changes = bad;
    opts.n_changes = 1;
    int fd = open(rootfs, O_RDONLY);
    r = berth_image_import(e, fd, &opts, NULL, &err);
    close(fd);
    CHECK(r == BERTH_EINVAL && strstr(err.message, "not a valid change command"),
          "RUN change: %d %s", r, err.message);
    opts = (berth_import_opts)BERTH_IMPORT_OPTS_INIT;
    opts.reference = "Bad/Name";
    fd = open(rootfs, O_RDONLY);
    r = berth_image_import(e, fd, &opts, NULL, &err);
    close(fd);
    CHECK(r == BERTH_EINVAL, "bad reference: %d %s", r, err.message);
    fd = open("/etc/hostname", O_RDONLY);
    r = berth_image_import(e, fd, NULL, NULL, &err);
    close(fd);
    CHECK(r == BERTH_EINVAL, "a text file is no rootfs: %d %s", r, err.message);
    CHECK(count(e, "SELECT count(*) FROM images") == 1, "bad imports stored an image");
    CHECK(dir_is_empty(tmp), "root/tmp is not empty after failed imports");
}

static void test_compressed_import(berth_engine *e)
{
    _cleanup_free_ char *gz = tpath("rootfs.tar.gz");
    _cleanup_free_ char *zst = tpath("rootfs.tar.zst");
    REQUIRE(run("gzip -c '%s' > '%s'", rootfs, gz) == 0, "gzip");
    const char *changes[] = { "LABEL a=b", "ENTRYPOINT [\"/bin/busybox\"]" };
    second_id = import(e, gz, "localhost:5000/test/bb:v1", changes, 2, "second");
    CHECK(strcmp(second_id, first_id) != 0, "a different config must give a different ID");
    CHECK(count(e, "SELECT count(*) FROM layers") == 1, "the layer should be stored once");
    json_t *j = inspect(e, "localhost:5000/test/bb:v1");
    json_t *layers = json_object_get(json_object_get(j, "RootFS"), "Layers");
    CHECK(strcmp(json_string_value(json_array_get(layers, 0)), rootfs_diff) == 0,
          "gzip import: diff_id must be that of the uncompressed tar");
    CHECK(strcmp(json_string_value(json_object_get(j, "Comment")), "second") == 0, "message");
    json_t *tags = json_object_get(j, "RepoTags");
    CHECK(strcmp(json_string_value(json_array_get(tags, 0)), "localhost:5000/test/bb:v1") == 0,
          "RepoTags of a registry image");
    json_decref(j);

    if (run("command -v zstd >/dev/null") == 0) {
        REQUIRE(run("zstd -q -c '%s' > '%s'", rootfs, zst) == 0, "zstd");
        _cleanup_free_ char *id = import(e, zst, NULL, NULL, 0, NULL);
        json_t *k = inspect(e, id);
        layers = json_object_get(json_object_get(k, "RootFS"), "Layers");
        CHECK(strcmp(json_string_value(json_array_get(layers, 0)), rootfs_diff) == 0,
              "zstd import diff_id");
        CHECK(json_array_size(json_object_get(k, "RepoTags")) == 0, "untagged import");
        json_decref(k);
        free(remove_image(e, id, false, 0, NULL));
    }
}

/* ---- list ---------------------------------------------------------------- */

static void test_list(berth_engine *e)
{
    _cleanup_free_ char *all = list_ids(e, NULL);
    _cleanup_free_ char *want = xasprintf("%s %s", second_id, first_id);
    CHECK(strcmp(all, want) == 0, "list order (newest first):\n  %s\nwant\n  %s", all, want);

    json_t *l = list(e, NULL);
    json_t *s = json_array_get(l, 1);
    CHECK(json_integer_value(json_object_get(s, "Containers")) == -1, "Containers");
    CHECK(json_integer_value(json_object_get(s, "SharedSize")) == -1, "SharedSize");
    CHECK(json_integer_value(json_object_get(s, "Created")) > 1700000000 &&
              json_integer_value(json_object_get(s, "Created")) < 4000000000,
          "Created should be in seconds");
    CHECK(strcmp(json_string_value(json_object_get(s, "ParentId")), "") == 0, "ParentId");
    CHECK(json_integer_value(json_object_get(s, "Size")) > 0, "Size");
    CHECK(json_is_object(json_object_get(s, "Labels")), "Labels");
    CHECK(strcmp(json_string_value(json_array_get(json_object_get(s, "RepoTags"), 0)),
                 "busybox:latest") == 0,
          "RepoTags");
    CHECK(strcmp(json_string_value(
                     json_object_get(json_object_get(json_array_get(l, 0), "Labels"), "a")),
                 "b") == 0,
          "Labels of the second image");
    json_decref(l);

    struct {
        const char *filters;
        const char *want; /* "1", "2", "12", "21" or "" */
    } cases[] = {
        { "{\"dangling\":[\"true\"]}", "" },
        { "{\"dangling\":[\"false\"]}", "21" },
        { "{\"reference\":[\"busybox\"]}", "1" },
        { "{\"reference\":[\"busy*\"]}", "1" },
        { "{\"reference\":[\"busybox:latest\"]}", "1" },
        { "{\"reference\":[\"busybox:v*\"]}", "" },
        { "{\"reference\":[\"localhost:5000/*/*\"]}", "2" },
        { "{\"reference\":[\"busybox\",\"localhost:5000/test/bb\"]}", "21" },
        { "{\"reference\":{\"busybox\":true}}", "1" },
        { "{\"label\":[\"a=b\"]}", "2" },
        { "{\"label\":[\"a\"]}", "2" },
        { "{\"label\":[\"a=c\"]}", "" },
        { "{}", "21" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *got = list_ids(e, cases[i].filters);
        buf_t w = { 0 };
        for (const char *c = cases[i].want; *c; c++)
            buf_appendf(&w, "%s%s", w.len ? " " : "", *c == '1' ? first_id : second_id);
        _cleanup_free_ char *wanted = buf_steal(&w);
        CHECK(strcmp(got, wanted) == 0, "filters %s: got [%s] want [%s]", cases[i].filters, got,
              wanted);
    }
    char f[300];
    snprintf(f, sizeof f, "{\"before\":[\"%s\"]}", second_id);
    _cleanup_free_ char *before = list_ids(e, f);
    CHECK(strcmp(before, first_id) == 0, "before: %s", before);
    snprintf(f, sizeof f, "{\"since\":[\"busybox\"]}");
    _cleanup_free_ char *since = list_ids(e, f);
    CHECK(strcmp(since, second_id) == 0, "since: %s", since);

    berth_image_list_opts opts = BERTH_IMAGE_LIST_OPTS_INIT;
    char *text = NULL;
    berth_error err = BERTH_ERROR_INIT;
    opts.filters_json = "{\"bogus\":[\"x\"]}";
    CHECK(berth_image_list(e, &opts, &text, &err) == BERTH_EINVAL &&
              strcmp(err.message, "invalid filter 'bogus'") == 0,
          "unknown filter: %s", err.message);
    opts.filters_json = "{\"dangling\":[\"maybe\"]}";
    CHECK(berth_image_list(e, &opts, &text, &err) == BERTH_EINVAL, "bad dangling value");
    opts.filters_json = "not json";
    CHECK(berth_image_list(e, &opts, &text, &err) == BERTH_EINVAL, "bad filters JSON");
    opts.filters_json = "{\"before\":[\"nope\"]}";
    CHECK(berth_image_list(e, &opts, &text, &err) == BERTH_ENOTFOUND, "before an unknown image");
}

/* ---- tag and remove ------------------------------------------------------ */

static void test_tag_remove(berth_engine *e)
{
    berth_error err = BERTH_ERROR_INIT;
    CHECK(berth_image_tag(e, "busybox", "busybox:extra", &err) == 0, "tag: %s", err.message);
    /* moving busybox:latest to the second image */
    CHECK(berth_image_tag(e, second_id, "busybox", &err) == 0, "tag: %s", err.message);
    _cleanup_free_ char *now = resolve(e, "busybox:latest");
    CHECK(strcmp(now, second_id) == 0, "busybox:latest should have moved");
    CHECK(berth_image_tag(e, "busybox", "Bad", &err) == BERTH_EINVAL &&
              strcmp(err.message, "invalid reference format: repository name must be lowercase") ==
                  0,
          "uppercase tag: %s", err.message);
    char digest_ref[200];
    snprintf(digest_ref, sizeof digest_ref, "busybox@%s", first_id);
    CHECK(berth_image_tag(e, "busybox", digest_ref, &err) == BERTH_EINVAL, "a digest is no tag: %s",
          err.message);
    CHECK(berth_image_tag(e, "nope", "x:y", &err) == BERTH_ENOTFOUND, "unknown source");

    const char *ctr = "c0ffee0000000000000000000000000000000000000000000000000000000001";
    add_container(e, ctr, first_id, "exited");
    char msg[512];
    snprintf(msg, sizeof msg,
             "conflict: unable to remove repository reference \"busybox:extra\" (must force) - "
             "container %.12s is using its referenced image %.12s",
             ctr, first_id + 7);
    free(remove_image(e, "busybox:extra", false, BERTH_ECONFLICT, msg));

    snprintf(msg, sizeof msg,
             "conflict: unable to delete %.12s (must be forced) - image is being used by "
             "stopped container %.12s",
             first_id + 7, ctr);
    free(remove_image(e, first_id, false, BERTH_ECONFLICT, msg));

    exec_sql(e, "UPDATE containers SET state='running'");
    snprintf(msg, sizeof msg,
             "conflict: unable to delete %.12s (cannot be forced) - image is being used by "
             "running container %.12s",
             first_id + 7, ctr);
    free(remove_image(e, first_id + 7, true, BERTH_ECONFLICT, msg));
    exec_sql(e, "UPDATE containers SET state='exited'");

    /* two repositories: by ID needs force */
    CHECK(berth_image_tag(e, first_id, "other:1", &err) == 0, "tag: %s", err.message);
    snprintf(msg, sizeof msg,
             "conflict: unable to delete %.12s (must be forced) - image is referenced in "
             "multiple repositories",
             first_id + 7);
    free(remove_image(e, first_id, false, BERTH_ECONFLICT, msg));
    /* removing one of two references only untags, container or not */
    _cleanup_free_ char *rep = remove_image(e, "other:1", false, 0, NULL);
    CHECK(strcmp(rep, "[{\"Untagged\":\"other:1\"}]") == 0, "report %s", rep);
    CHECK(count(e, "SELECT count(*) FROM images") == 2, "untag must keep the image");
    CHECK(count(e, "SELECT count(*) FROM containers") == 1, "containers untouched");

    exec_sql(e, "DELETE FROM containers");
    _cleanup_free_ char *cfg_blob = tpath("main/root/blobs/sha256/%s", first_id + 7);
    _cleanup_free_ char *layer = tpath("main/root/layers/%s", rootfs_diff + 7);
    _cleanup_free_ char *rep2 = remove_image(e, "busybox:extra", false, 0, NULL);
    _cleanup_free_ char *want2 =
        xasprintf("[{\"Untagged\":\"busybox:extra\"},{\"Deleted\":\"%s\"}]", first_id);
    CHECK(strcmp(rep2, want2) == 0, "report\n  %s\nwant\n  %s", rep2, want2);
    CHECK(!exists(cfg_blob), "the config blob of a deleted image must go");
    CHECK(exists(layer), "a layer another image uses must stay");
    free(remove_image(e, first_id, false, BERTH_ENOTFOUND, NULL));

    /* the second image has tags in two repositories */
    snprintf(msg, sizeof msg,
             "conflict: unable to delete %.12s (must be forced) - image is referenced in "
             "multiple repositories",
             second_id + 7);
    free(remove_image(e, second_id, false, BERTH_ECONFLICT, msg));
    /* a stopped container does not stop a forced removal by ID */
    add_container(e, ctr, second_id, "exited");
    _cleanup_free_ char *rep3 = remove_image(e, second_id, true, 0, NULL);
    _cleanup_free_ char *want3 = xasprintf("[{\"Untagged\":\"busybox:latest\"},{\"Untagged\":"
                                           "\"localhost:5000/test/bb:v1\"},{\"Deleted\":\"%s\"}]",
                                           second_id);
    CHECK(strcmp(rep3, want3) == 0, "report\n  %s\nwant\n  %s", rep3, want3);
    exec_sql(e, "DELETE FROM containers");
    CHECK(!exists(layer), "the last image's layer directory must go");
    _cleanup_free_ char *lblob = tpath("main/root/blobs/sha256/%s", rootfs_diff + 7);
    CHECK(!exists(lblob), "the last image's layer blob must go");
    CHECK(count(e, "SELECT count(*) FROM layers") == 0, "layers table should be empty");
    CHECK(count(e, "SELECT count(*) FROM tags") == 0, "tags table should be empty");
    _cleanup_free_ char *tmp = tpath("main/root/tmp");
    CHECK(dir_is_empty(tmp), "root/tmp is not empty after removals");

    /* untagging by name an image a container uses, with force: kept */
    _cleanup_free_ char *id = import(e, rootfs, "keep:me", NULL, 0, NULL);
    add_container(e, ctr, id, "running");
    _cleanup_free_ char *rep4 = remove_image(e, "keep:me", true, 0, NULL);
    CHECK(strcmp(rep4, "[{\"Untagged\":\"keep:me\"}]") == 0, "report %s", rep4);
    _cleanup_free_ char *still = resolve(e, id);
    CHECK(strcmp(still, id) == 0, "an image a running container uses must stay");
    exec_sql(e, "DELETE FROM containers");
    free(remove_image(e, id, false, 0, NULL));
    free(remove_image(e, "nope", false, BERTH_ENOTFOUND, "No such image: nope:latest"));
}

/* ---- save and load ----------------------------------------------------- */

struct lines {
    char **v;
};

static void collect(void *userdata, const char *line)
{
    struct lines *l = userdata;
    strv_push(&l->v, line);
}

static char *load_file(berth_engine *e, const char *path, int want)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0, "open %s", path);
    struct lines l = { NULL };
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_image_load(e, fd, collect, &l, &err);
    close(fd);
    CHECK(r == want, "load %s: got %d (%s), want %d", path, r, err.message, want);
    buf_t b = { 0 };
    for (size_t i = 0; l.v && l.v[i]; i++)
        buf_appendf(&b, "%s\n", l.v[i]);
    strv_free(l.v);
    if (r < 0)
        buf_appendf(&b, "error: %s\n", err.message);
    return buf_steal(&b);
}

static void save_file(berth_engine *e, const char *const *names, size_t n, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0, "create %s", path);
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_image_save(e, names, n, fd, &err);
    close(fd);
    REQUIRE(r == 0, "save: %s", err.message);
}

static char *saved_id;

static void test_save_load(berth_engine *e)
{
    const char *changes[] = { "CMD [\"sh\"]" };
    saved_id = import(e, rootfs, "busybox:latest", changes, 1, NULL);
    berth_error err = BERTH_ERROR_INIT;
    REQUIRE(berth_image_tag(e, "busybox", "busybox:1", &err) == 0, "%s", err.message);
    REQUIRE(berth_image_tag(e, "busybox", "unrelated:x", &err) == 0, "%s", err.message);

    _cleanup_free_ char *archive = tpath("save.tar");
    const char *names[] = { "busybox" };
    save_file(e, names, 1, archive);
    CHECK(run("tar -tf '%s' | grep -qx manifest.json && tar -tf '%s' | grep -qx index.json && "
              "tar -tf '%s' | grep -qx oci-layout",
              archive, archive, archive) == 0,
          "the archive lacks manifest.json, index.json or oci-layout");

    /* deterministic: the same images give the same bytes */
    _cleanup_free_ char *again = tpath("save2.tar");
    save_file(e, names, 1, again);
    CHECK(run("cmp -s '%s' '%s'", archive, again) == 0, "two saves differ");

    berth_engine *fresh = open_engine("fresh");
    _cleanup_free_ char *out = load_file(fresh, archive, 0);
    CHECK(strcmp(out, "Loaded image: busybox:1\nLoaded image: busybox:latest\n") == 0,
          "load output:\n%s", out);
    _cleanup_free_ char *id = resolve(fresh, "busybox:latest");
    CHECK(strcmp(id, saved_id) == 0, "round trip changed the ID: %s -> %s", saved_id, id);
    _cleanup_free_ char *id1 = resolve(fresh, "busybox:1");
    CHECK(strcmp(id1, saved_id) == 0, "busybox:1 after load: %s", id1);
    _cleanup_free_ char *un = resolve(fresh, "unrelated:x");
    CHECK(strcmp(un, "(not found)") == 0, "a tag of another repository was saved");
    json_t *j = inspect(fresh, "busybox");
    json_t *cmd = json_object_get(json_object_get(j, "Config"), "Cmd");
    CHECK(json_array_size(cmd) == 1, "loaded config");
    json_decref(j);
    /* loading again changes nothing */
    _cleanup_free_ char *out2 = load_file(fresh, archive, 0);
    CHECK(strcmp(out2, out) == 0, "second load output:\n%s", out2);
    CHECK(count(fresh, "SELECT count(*) FROM images") == 1, "second load duplicated");

    /* by ID: untagged */
    _cleanup_free_ char *byid = tpath("byid.tar");
    const char *idnames[] = { saved_id };
    save_file(e, idnames, 1, byid);
    berth_engine *third = open_engine("third");
    _cleanup_free_ char *out3 = load_file(third, byid, 0);
    _cleanup_free_ char *want3 = xasprintf("Loaded image ID: %s\n", saved_id);
    CHECK(strcmp(out3, want3) == 0, "load output:\n%s", out3);

    /* compressed archives load too */
    _cleanup_free_ char *gz = tpath("save.tar.gz");
    REQUIRE(run("gzip -c '%s' > '%s'", archive, gz) == 0, "gzip");
    _cleanup_free_ char *out4 = load_file(third, gz, 0);
    CHECK(strstr(out4, "Loaded image: busybox:latest"), "gzip load output:\n%s", out4);

    /* a tag moved by a load is reported */
    _cleanup_free_ char *other = import(third, rootfs, "busybox:1", NULL, 0, "other");
    _cleanup_free_ char *out5 = load_file(third, archive, 0);
    _cleanup_free_ char *want5 = xasprintf(
        "The image busybox:1 already exists, renaming the old one with ID %s to empty string\n"
        "Loaded image: busybox:1\nLoaded image: busybox:latest\n",
        other);
    CHECK(strcmp(out5, want5) == 0, "load output:\n%s", out5);

    /* errors */
    const char *missing[] = { "busybox", "nope:latest" };
    _cleanup_free_ char *bad = tpath("bad.tar");
    int fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(berth_image_save(e, missing, 2, fd, &err) == BERTH_ENOTFOUND, "save of a missing name");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "a failed save must write nothing");
    close(fd);
    free(load_file(third, bad, BERTH_EINVAL));
    _cleanup_free_ char *notar = tpath("notar.tar");
    REQUIRE(run("tar -cf '%s' -C /etc hostname", notar) == 0, "tar");
    _cleanup_free_ char *out7 = load_file(third, notar, BERTH_EINVAL);
    CHECK(strstr(out7, "neither manifest.json"), "load of a plain tar:\n%s", out7);

    /* a tampered layer is refused */
    _cleanup_free_ char *tdir = tpath("tamper");
    _cleanup_free_ char *tampered = tpath("tampered.tar");
    REQUIRE(run("mkdir -p '%s' && tar -xf '%s' -C '%s' && "
                "printf x >> '%s/blobs/sha256/%s' && tar -cf '%s' -C '%s' .",
                tdir, archive, tdir, tdir, rootfs_diff + 7, tampered, tdir) == 0,
            "tamper");
    berth_engine *fourth = open_engine("fourth");
    _cleanup_free_ char *out8 = load_file(fourth, tampered, BERTH_EINVAL);
    CHECK(strstr(out8, "mismatch") || strstr(out8, "invalid"), "tampered load:\n%s", out8);
    CHECK(count(fourth, "SELECT count(*) FROM images") == 0, "a tampered image was stored");
    _cleanup_free_ char *ftmp = tpath("fourth/root/tmp");
    CHECK(dir_is_empty(ftmp), "root/tmp is not empty after a failed load");
    berth_engine_free(fourth);
    berth_engine_free(third);
    berth_engine_free(fresh);
}

/* ---- concurrency ------------------------------------------------------ */

/* Processes storing the same layer at once all succeed and share it. */
static void test_concurrent_import(void)
{
    enum { N = 4 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        REQUIRE(pids[i] >= 0, "fork");
        if (pids[i] == 0) {
            berth_engine *e = open_engine("concurrent");
            char msg[32], ref[32];
            snprintf(msg, sizeof msg, "import %d", i);
            snprintf(ref, sizeof ref, "conc:%d", i);
            int fd = open(rootfs, O_RDONLY | O_CLOEXEC);
            berth_import_opts opts = BERTH_IMPORT_OPTS_INIT;
            opts.reference = ref;
            opts.message = msg;
            berth_error err = BERTH_ERROR_INIT;
            int r = berth_image_import(e, fd, &opts, NULL, &err);
            if (r < 0)
                fprintf(stderr, "concurrent import %d: %s\n", i, err.message);
            berth_engine_free(e);
            _exit(r < 0 ? 1 : 0);
        }
    }
    for (int i = 0; i < N; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "concurrent import %d failed", i);
    }
    berth_engine *e = open_engine("concurrent");
    CHECK(count(e, "SELECT count(*) FROM images") == N, "concurrent imports: images");
    CHECK(count(e, "SELECT count(*) FROM layers") == 1, "concurrent imports: one shared layer");
    _cleanup_free_ char *tmp = tpath("concurrent/root/tmp");
    CHECK(dir_is_empty(tmp), "root/tmp is not empty after concurrent imports");
    _cleanup_free_ char *layer = tpath("concurrent/root/layers/%s/bin/busybox", rootfs_diff + 7);
    CHECK(exists(layer), "shared layer missing");
    berth_engine_free(e);
}

/* ---- interop --------------------------------------------------------------- */

/* Loads archive into a fresh root; checks the output, and that name
 * (a reference or ID) then names an image with the busybox layer and
 * Cmd ["sh"]. Returns that image's ID. */
static char *expect_loads_as(const char *what, const char *archive, const char *name,
                             const char *want_output)
{
    static int n;
    char root[32];
    snprintf(root, sizeof root, "interop%d", n++);
    berth_engine *e = open_engine(root);
    _cleanup_free_ char *out = load_file(e, archive, 0);
    if (want_output)
        CHECK(strcmp(out, want_output) == 0, "%s: load output:\n%s", what, out);
    char *id = resolve(e, name);
    if (!str_has_prefix(id, "sha256:")) {
        CHECK(false, "%s: %s is not there after load", what, name);
    } else {
        json_t *j = inspect(e, id);
        json_t *layers = json_object_get(json_object_get(j, "RootFS"), "Layers");
        CHECK(json_array_size(layers) == 1 &&
                  strcmp(json_string_value(json_array_get(layers, 0)), rootfs_diff) == 0,
              "%s: the layer is not the busybox rootfs", what);
        json_t *cmd = json_object_get(json_object_get(j, "Config"), "Cmd");
        CHECK(json_array_size(cmd) == 1 && !strcmp(json_string_value(json_array_get(cmd, 0)), "sh"),
              "%s: Cmd lost", what);
        json_decref(j);
    }
    berth_engine_free(e);
    return id;
}

static void test_interop(void)
{
    if (run("command -v skopeo >/dev/null 2>&1") != 0) {
        printf("SKIP interop: skopeo is not installed\n");
        return;
    }
    _cleanup_free_ char *archive = tpath("save.tar");
    _cleanup_free_ char *oci = tpath("skopeo-oci.tar");
    _cleanup_free_ char *dock = tpath("skopeo-docker.tar");
    _cleanup_free_ char *dock2 = tpath("skopeo-docker2.tar");
    const char *quiet = "--insecure-policy";

    /* ours, read by skopeo as a docker-archive, written as an OCI archive;
     * skopeo re-serializes the config on the way (the ID changes) */
    CHECK(run("skopeo %s copy --quiet 'docker-archive:%s:busybox:latest' "
              "'oci-archive:%s:busybox:latest'",
              quiet, archive, oci) == 0,
          "skopeo cannot read our archive as docker-archive");
    _cleanup_free_ char *converted = expect_loads_as("skopeo oci-archive", oci, "busybox:latest",
                                                     "Loaded image: busybox:latest\n");

    /* ours, read by skopeo as an OCI archive, written as a docker-archive:
     * the config passes unchanged, so the ID does too */
    CHECK(run("skopeo %s copy --quiet 'oci-archive:%s:latest' 'docker-archive:%s:img/from:oci'",
              quiet, archive, dock) == 0,
          "skopeo cannot read our archive as oci-archive");
    _cleanup_free_ char *same = expect_loads_as("skopeo docker-archive", dock, "img/from:oci",
                                                "Loaded image: img/from:oci\n");
    CHECK(strcmp(same, saved_id) == 0, "skopeo docker-archive: ID %s, want %s", same, saved_id);

    /* skopeo's OCI archive turned into a docker-archive without a name */
    CHECK(run("skopeo %s copy --quiet 'oci-archive:%s:busybox:latest' 'docker-archive:%s'", quiet,
              oci, dock2) == 0,
          "skopeo oci -> docker-archive");
    _cleanup_free_ char *want = xasprintf("Loaded image ID: %s\n", converted);
    free(expect_loads_as("untagged docker-archive", dock2, converted, want));

    if (run("command -v umoci >/dev/null 2>&1") != 0) {
        printf("SKIP umoci interop: umoci is not installed\n");
        return;
    }
    /* an OCI image built by umoci from the rootfs tarball */
    _cleanup_free_ char *layout = tpath("umoci");
    _cleanup_free_ char *utar = tpath("umoci.tar");
    CHECK(run("umoci init --layout '%s' && umoci new --image '%s:latest' && "
              "umoci raw add-layer --image '%s:latest' '%s' && "
              "umoci config --image '%s:latest' --config.cmd sh && "
              "tar -cf '%s' -C '%s' .",
              layout, layout, layout, rootfs, layout, utar, layout) == 0,
          "umoci");
    berth_engine *e = open_engine("umoci");
    _cleanup_free_ char *out = load_file(e, utar, 0);
    CHECK(str_has_prefix(out, "Loaded image ID: sha256:"), "umoci layout load:\n%s", out);
    json_t *l = list(e, NULL);
    json_t *img = json_array_get(l, 0);
    CHECK(json_array_size(l) == 1, "umoci: one image expected");
    if (img) {
        json_t *j = inspect(e, json_string_value(json_object_get(img, "Id")));
        json_t *layers = json_object_get(json_object_get(j, "RootFS"), "Layers");
        CHECK(json_array_size(layers) == 1 &&
                  strcmp(json_string_value(json_array_get(layers, 0)), rootfs_diff) == 0,
              "umoci image layer");
        json_t *cmd = json_object_get(json_object_get(j, "Config"), "Cmd");
        CHECK(json_array_size(cmd) == 1, "umoci image Cmd");
        json_decref(j);
    }
    json_decref(l);
    berth_engine_free(e);
}

int main(void)
{
    rootfs = getenv("BERTH_TEST_ROOTFS");
    if (!rootfs || access(rootfs, R_OK) != 0) {
        fprintf(stderr, "BERTH_TEST_ROOTFS must name the busybox rootfs tarball "
                        "(tests/make-busybox-rootfs.sh)\n");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/berth-test-images-XXXXXX");
    REQUIRE(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));

    berth_engine *e = open_engine("main");
    test_import_inspect(e);
    test_compressed_import(e);
    test_list(e);
    test_tag_remove(e);
    test_save_load(e);
    test_concurrent_import();
    test_interop();
    berth_engine_free(e);

    if (failures) {
        fprintf(stderr, "test_image_store: %d check(s) failed (files kept in %s)\n", failures,
                tmpdir);
        return 1;
    }
    rm_rf(tmpdir);
    printf("test_image_store: all checks passed\n");
    return 0;
}
