/* image_load.c - `docker load`: images from a `docker save` archive
 * (Docker's manifest.json, legacy or 25+) or an OCI image layout archive
 * (index.json + oci-layout), plain or compressed.
 *
 * The outer archive is first extracted with untar into a private scratch
 * directory (so nothing it names can land elsewhere), and every path
 * taken from its documents is then opened inside that directory with
 * RESOLVE_IN_ROOT and must be a regular file. Every digest the archive
 * states is checked against the bytes: config names and OCI descriptor
 * digests and sizes, layer blob names, and the config's diff_ids against
 * the uncompressed layers. The first failure ends the load with a clear
 * BERTH_EINVAL; images already loaded by then stay. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <berth/image.h>

#include "engine_int.h"
#include "errors.h"
#include "image_config.h"
#include "image_store.h"
#include "layer.h"
#include "ref.h"
#include "untar.h"
#include "util.h"

/* Documents (manifests, configs) are small; anything bigger is hostile. */
#define MAX_DOCUMENT    (16 << 20)
#define MAX_INDEX_DEPTH 4

struct load {
    berth_engine *e;
    int dir; /* the extracted archive */
    berth_progress_fn progress;
    void *userdata;
    berth_error *err;
};

static void say(struct load *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct load *l, const char *fmt, ...)
{
    if (!l->progress)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    l->progress(l->userdata, line);
}

/* Opens a regular file of the archive for reading; symlinks in the
 * archive (legacy saves link shared layers) resolve inside it. */
static int open_member(struct load *l, const char *path, int *fd_out)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    _cleanup_close_ int pfd = (int)syscall(SYS_openat2, l->dir, path, &how, sizeof how);
    if (pfd < 0)
        return berr_errno(l->err, BERTH_EINVAL, errno, "invalid archive: %s", path);
    struct stat st;
    if (fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode))
        return berr(l->err, BERTH_EINVAL, "invalid archive: %s is not a regular file", path);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
    int fd = open(proc, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berr_errno(l->err, BERTH_EINTERNAL, errno, "cannot open %s", path);
    *fd_out = fd;
    return 0;
}

static int read_member(struct load *l, const char *path, char **data, size_t *len)
{
    _cleanup_close_ int fd = -1;
    int r = open_member(l, path, &fd);
    if (r < 0)
        return r;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size > MAX_DOCUMENT)
        return berr(l->err, BERTH_EINVAL, "invalid archive: %s is too large", path);
    char *buf = xmalloc(st.st_size + 1);
    ssize_t n = read_all(fd, buf, st.st_size);
    if (n != st.st_size) {
        free(buf);
        return berr(l->err, BERTH_EINTERNAL, "cannot read %s", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static bool member_exists(struct load *l, const char *path)
{
    struct stat st;
    return fstatat(l->dir, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* "sha256:<hex>" when the last components of path name a digest the way
 * the archive formats do ("blobs/sha256/<hex>", "<hex>.json"). */
static bool digest_from_path(const char *path, char out[DIGEST_STR_LEN])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (str_has_suffix(base, ".json"))
        n -= 5;
    if (n != DIGEST_HEX_LEN)
        return false;
    snprintf(out, DIGEST_STR_LEN, "sha256:%.64s", base);
    return digest_is_valid(out);
}

static int check_digest(struct load *l, const char *what, const char *data, size_t len,
                        const char *want)
{
    char got[DIGEST_STR_LEN];
    int r = digest_buf(data, len, got, l->err);
    if (r < 0)
        return r;
    if (strcmp(got, want) != 0)
        return berr(l->err, BERTH_EINVAL, "invalid archive: %s has digest %s, expected %s", what,
                    got, want);
    return 0;
}

/* Stores the image from its config and layer files, tags it and reports
 * it as `docker load` does. tags are stored references (may be NULL). */
static int store_image(struct load *l, const char *config, size_t config_len,
                       char *const *layer_paths, char *const *layer_digests, char *const *tags)
{
    json_t *cfg = NULL;
    int r = image_config_parse(config, config_len, &cfg, l->err);
    if (r < 0)
        return berr_prefix(l->err, "invalid archive");
    size_t n = image_config_n_layers(cfg);
    if (strv_length(layer_paths) != n) {
        json_decref(cfg);
        return berr(l->err, BERTH_EINVAL,
                    "invalid archive: the image config lists %zu layers, the manifest %zu", n,
                    strv_length(layer_paths));
    }
    struct layer_info *layers = xcalloc(n ? n : 1, sizeof *layers);
    for (size_t i = 0; r == 0 && i < n; i++) {
        _cleanup_close_ int fd = -1;
        r = open_member(l, layer_paths[i], &fd);
        if (r == 0) {
            const char *want = layer_digests ? layer_digests[i] : NULL;
            r = layer_store_put(l->e, fd, image_config_diff_id(cfg, i), want && *want ? want : NULL,
                                &layers[i], l->err);
        }
    }
    _cleanup_strv_ char **replaced = NULL;
    char id[DIGEST_STR_LEN];
    if (r == 0) {
        struct image_add add = {
            .config = config,
            .config_len = config_len,
            .layers = layers,
            .n_layers = n,
            .tags = tags,
            .event = "load",
        };
        r = image_store_add(l->e, &add, id, &replaced, l->err);
    }
    free(layers);
    json_decref(cfg);
    if (r < 0)
        return r;
    for (size_t i = 0; tags && tags[i]; i++) {
        _cleanup_free_ char *familiar = ref_familiar(tags[i]);
        if (replaced && replaced[i] && *replaced[i])
            say(l, "The image %s already exists, renaming the old one with ID %s to empty string",
                familiar, replaced[i]);
        say(l, "Loaded image: %s", familiar);
    }
    if (!tags || !tags[0])
        say(l, "Loaded image ID: %s", id);
    return 0;
}

/* ---- Docker's manifest.json -------------------------------------------- */

static int load_docker_entry(struct load *l, json_t *entry, size_t index)
{
    const char *config_path = json_string_value(json_object_get(entry, "Config"));
    json_t *layers = json_object_get(entry, "Layers");
    json_t *repo_tags = json_object_get(entry, "RepoTags");
    if (!config_path || !json_is_array(layers) ||
        (repo_tags && !json_is_array(repo_tags) && !json_is_null(repo_tags)))
        return berr(l->err, BERTH_EINVAL, "invalid archive: manifest.json entry %zu is malformed",
                    index);
    _cleanup_strv_ char **tags = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(repo_tags, i, v)
    {
        const char *t = json_string_value(v);
        _cleanup_ref_ struct ref ref = { 0 };
        if (!t || ref_parse(t, &ref, l->err) < 0)
            return berr(l->err, BERTH_EINVAL, "invalid archive: invalid tag %s", t ? t : "");
        if (!ref.tag || ref.digest)
            return berr(l->err, BERTH_EINVAL, "invalid tag \"%s\"", t);
        strv_push_take(&tags, ref_string(&ref));
    }
    _cleanup_strv_ char **paths = xcalloc(1, sizeof(char *));
    _cleanup_strv_ char **digests = xcalloc(1, sizeof(char *));
    json_array_foreach(layers, i, v)
    {
        const char *p = json_string_value(v);
        if (!p)
            return berr(l->err, BERTH_EINVAL, "invalid archive: bad layer path in entry %zu",
                        index);
        char d[DIGEST_STR_LEN];
        strv_push(&paths, p);
        /* Docker 25+ names layers blobs/sha256/<digest>; legacy saves use
         * <v1 id>/layer.tar, which is no digest */
        strv_push(&digests, str_has_prefix(p, "blobs/") && digest_from_path(p, d) ? d : "");
    }
    _cleanup_free_ char *config = NULL;
    size_t config_len = 0;
    int r = read_member(l, config_path, &config, &config_len);
    if (r < 0)
        return r;
    char want[DIGEST_STR_LEN];
    if (digest_from_path(config_path, want)) {
        r = check_digest(l, config_path, config, config_len, want);
        if (r < 0)
            return r;
    }
    return store_image(l, config, config_len, paths, digests, tags);
}

static int load_docker(struct load *l)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_member(l, "manifest.json", &text, &len);
    if (r < 0)
        return r;
    json_error_t je;
    json_t *manifest = json_loadb(text, len, 0, &je);
    if (!json_is_array(manifest)) {
        json_decref(manifest);
        return berr(l->err, BERTH_EINVAL, "invalid archive: manifest.json: %s",
                    manifest ? "not an array" : je.text);
    }
    size_t i;
    json_t *entry;
    json_array_foreach(manifest, i, entry)
    {
        r = load_docker_entry(l, entry, i);
        if (r < 0)
            break;
    }
    json_decref(manifest);
    return r;
}

/* ---- OCI image layout -------------------------------------------------- */

static char *oci_blob_path(const char *digest)
{
    return xasprintf("blobs/sha256/%s", digest_hex(digest));
}

/* Reads the blob a descriptor points to and checks its digest and size. */
static int read_descriptor(struct load *l, json_t *desc, char **data, size_t *len)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    if (!digest_is_valid(digest))
        return berr(l->err, BERTH_EINVAL, "invalid archive: unsupported or bad digest %s",
                    digest ? digest : "(none)");
    _cleanup_free_ char *path = oci_blob_path(digest);
    int r = read_member(l, path, data, len);
    if (r < 0)
        return r;
    json_t *size = json_object_get(desc, "size");
    if (json_is_integer(size) && (size_t)json_integer_value(size) != *len)
        r = berr(l->err, BERTH_EINVAL, "invalid archive: %s has %zu bytes, expected %lld", path,
                 *len, (long long)json_integer_value(size));
    if (r == 0)
        r = check_digest(l, path, *data, *len, digest);
    if (r < 0) {
        free(*data);
        *data = NULL;
    }
    return r;
}

static bool is_index_type(const char *mt)
{
    return mt && (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
                  strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

/* The image name a top-level index descriptor carries, stored form, or
 * NULL. ref.name is taken only when it is a whole reference: alone, a
 * tag such as "latest" names no repository. */
static char *descriptor_name(json_t *desc)
{
    json_t *ann = json_object_get(desc, "annotations");
    const char *names[] = {
        json_string_value(json_object_get(ann, "io.containerd.image.name")),
        json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name")),
    };
    for (size_t i = 0; i < 2; i++) {
        const char *n = names[i];
        if (!n || (i == 1 && !strpbrk(n, ":/@")))
            continue;
        _cleanup_ref_ struct ref ref = { 0 };
        if (ref_parse(n, &ref, NULL) == 0 && !ref.digest) {
            ref_default_tag(&ref);
            return ref_string(&ref);
        }
    }
    return NULL;
}

static int load_oci_manifest(struct load *l, json_t *desc, char *const *tags, int depth)
{
    if (depth > MAX_INDEX_DEPTH)
        return berr(l->err, BERTH_EINVAL, "invalid archive: image indexes nested too deep");
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_descriptor(l, desc, &text, &len);
    if (r < 0)
        return r;
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return berr(l->err, BERTH_EINVAL, "invalid archive: bad manifest: %s",
                    doc ? "not an object" : je.text);
    }
    const char *mt = json_string_value(json_object_get(desc, "mediaType"));
    if (!mt)
        mt = json_string_value(json_object_get(doc, "mediaType"));
    if (is_index_type(mt) || json_is_array(json_object_get(doc, "manifests"))) {
        /* a multi-platform image: the linux/amd64 one */
        json_t *chosen = NULL;
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(doc, "manifests"), i, m)
        {
            json_t *p = json_object_get(m, "platform");
            const char *os = json_string_value(json_object_get(p, "os"));
            const char *arch = json_string_value(json_object_get(p, "architecture"));
            if (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64")) {
                chosen = m;
                break;
            }
        }
        r = chosen ? load_oci_manifest(l, chosen, tags, depth + 1)
                   : berr(l->err, BERTH_EINVAL, "invalid archive: no linux/amd64 image in index");
        json_decref(doc);
        return r;
    }
    json_t *config_desc = json_object_get(doc, "config");
    json_t *layers = json_object_get(doc, "layers");
    if (!json_is_object(config_desc) || !json_is_array(layers)) {
        json_decref(doc);
        return berr(l->err, BERTH_EINVAL, "invalid archive: manifest without config or layers");
    }
    _cleanup_free_ char *config = NULL;
    size_t config_len;
    r = read_descriptor(l, config_desc, &config, &config_len);
    _cleanup_strv_ char **paths = xcalloc(1, sizeof(char *));
    _cleanup_strv_ char **digests = xcalloc(1, sizeof(char *));
    size_t i;
    json_t *ld;
    json_array_foreach(layers, i, ld)
    {
        const char *d = json_string_value(json_object_get(ld, "digest"));
        if (!digest_is_valid(d)) {
            r = r < 0 ? r
                      : berr(l->err, BERTH_EINVAL, "invalid archive: bad layer digest %s",
                             d ? d : "(none)");
            break;
        }
        strv_push_take(&paths, oci_blob_path(d));
        strv_push(&digests, d);
    }
    json_decref(doc);
    if (r < 0)
        return r;
    return store_image(l, config, config_len, paths, digests, tags);
}

static int load_oci(struct load *l)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_member(l, "index.json", &text, &len);
    if (r < 0)
        return r;
    json_error_t je;
    json_t *index = json_loadb(text, len, 0, &je);
    json_t *manifests = json_object_get(index, "manifests");
    if (!json_is_array(manifests)) {
        json_decref(index);
        return berr(l->err, BERTH_EINVAL, "invalid archive: index.json: %s",
                    index ? "no manifests" : je.text);
    }
    size_t i;
    json_t *desc;
    json_array_foreach(manifests, i, desc)
    {
        char *name = descriptor_name(desc);
        char *tags[] = { name, NULL };
        r = load_oci_manifest(l, desc, name ? tags : NULL, 0);
        free(name);
        if (r < 0)
            break;
    }
    json_decref(index);
    return r;
}

int berth_image_load(berth_engine *engine, int tar_fd, berth_progress_fn progress, void *userdata,
                     berth_error *err)
{
    _cleanup_free_ char *tmp = NULL;
    int r = engine_mktemp_dir(engine, "load", &tmp, err);
    if (r < 0)
        return r;
    struct load l = { engine, -1, progress, userdata, err };
    l.dir = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l.dir < 0)
        r = berr_errno(err, BERTH_EINTERNAL, errno, "cannot open %s", tmp);
    if (r == 0) {
        struct untar_opts opts = { UNTAR_NO_CHOWN, NULL, 0, 0 };
        r = untar_extract(l.dir, tar_fd, &opts, NULL, err);
    }
    int lock = -1;
    if (r == 0)
        r = image_store_lock(engine, false, &lock, err);
    if (r == 0) {
        if (member_exists(&l, "manifest.json"))
            r = load_docker(&l);
        else if (member_exists(&l, "index.json") && member_exists(&l, "oci-layout"))
            r = load_oci(&l);
        else
            r = berr(err, BERTH_EINVAL,
                     "invalid archive: neither manifest.json (docker save) nor index.json and "
                     "oci-layout (OCI image layout) found");
        image_store_unlock(lock);
    }
    if (l.dir >= 0)
        close(l.dir);
    rm_rf(tmp);
    return r;
}
