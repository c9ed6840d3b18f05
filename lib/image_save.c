/* image_save.c - `docker save`: one tar that every loader reads.
 *
 * The archive carries the images twice over the same blobs, as Docker 25+
 * writes it: Docker's manifest.json (+ repositories) for `docker load` and
 * `skopeo copy docker-archive:`, and an OCI image layout (oci-layout,
 * index.json, an OCI manifest per image) for OCI tools. Layers are the
 * stored uncompressed tars, so their blob digests are their diff_ids.
 * The output is deterministic: entries in a fixed order, owned by 0:0,
 * dated at the epoch. Every name is resolved before the first byte is
 * written, so an unknown name fails without a partial archive. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <berth/image.h>

#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "image_config.h"
#include "image_store.h"
#include "layer.h"
#include "ref.h"
#include "util.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX    "application/vnd.oci.image.index.v1+json"
#define MT_CONFIG   "application/vnd.oci.image.config.v1+json"
#define MT_LAYER    "application/vnd.oci.image.layer.v1.tar"

struct saved_image {
    char *id;
    char **tags; /* stored references */
    char *config;
    char **diff_ids;
    char *manifest; /* OCI manifest bytes */
    char manifest_digest[DIGEST_STR_LEN];
};

struct save {
    berth_engine *e;
    struct saved_image *images;
    size_t n_images;
    char **blob_digests; /* layer blobs, each once */
    berth_error *err;
};

static struct saved_image *image_slot(struct save *s, const char *id)
{
    for (size_t i = 0; i < s->n_images; i++)
        if (strcmp(s->images[i].id, id) == 0)
            return &s->images[i];
    s->images = xrealloc(s->images, (s->n_images + 1) * sizeof *s->images);
    struct saved_image *img = &s->images[s->n_images++];
    memset(img, 0, sizeof *img);
    img->id = xstrdup(id);
    img->tags = xcalloc(1, sizeof(char *));
    return img;
}

/* Every tag of a repository named without tag or digest ("busybox"
 * saves busybox:latest, busybox:1.36, ...), as `docker save` does. */
static int repository_tags(struct save *s, const struct ref *ref, bool *found)
{
    _cleanup_free_ char *name = ref_name(ref);
    _cleanup_free_ char *prefix = xasprintf("%s:", name);
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    int r = db_prepare(s->e->db,
                       "SELECT ref, image_id FROM tags WHERE substr(ref, 1, length(?1))=?1 "
                       "AND instr(substr(ref, length(?1) + 1), '/')=0 ORDER BY ref",
                       &st, s->err);
    if (r < 0)
        return r;
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    *found = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct saved_image *img = image_slot(s, db_col_text(st, 1));
        if (!strv_contains(img->tags, db_col_text(st, 0)))
            strv_push(&img->tags, db_col_text(st, 0));
        *found = true;
    }
    return 0;
}

static int add_name(struct save *s, const char *name)
{
    _cleanup_ref_ struct ref ref = { 0 };
    bool is_ref = ref_parse(name, &ref, NULL) == 0;
    if (is_ref && !ref.tag && !ref.digest) {
        bool found;
        int r = repository_tags(s, &ref, &found);
        if (r < 0 || found)
            return r;
    }
    _cleanup_free_ char *id = NULL;
    _cleanup_free_ char *matched = NULL;
    int r = image_store_resolve(s->e, name, &id, &matched, s->err);
    if (r < 0)
        return r;
    struct saved_image *img = image_slot(s, id);
    if (matched && !strchr(matched, '@') && !strv_contains(img->tags, matched))
        strv_push(&img->tags, matched);
    return 0;
}

static int load_image(struct save *s, struct saved_image *img)
{
    _cleanup_stmt_ sqlite3_stmt *st = NULL;
    int r = db_prepare(s->e->db, "SELECT config FROM images WHERE id=?", &st, s->err);
    if (r < 0)
        return r;
    sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return berr(s->err, BERTH_ENOTFOUND, "No such image: %s", img->id);
    img->config = xstrdup(db_col_text(st, 0));

    _cleanup_stmt_ sqlite3_stmt *ls = NULL;
    r = db_prepare(s->e->db,
                   "SELECT il.diff_id, l.size FROM image_layers il JOIN layers l "
                   "ON l.diff_id=il.diff_id WHERE il.image_id=? ORDER BY il.idx",
                   &ls, s->err);
    if (r < 0)
        return r;
    sqlite3_bind_text(ls, 1, img->id, -1, SQLITE_STATIC);
    json_t *layers = json_array();
    img->diff_ids = xcalloc(1, sizeof(char *));
    while (sqlite3_step(ls) == SQLITE_ROW) {
        const char *d = db_col_text(ls, 0);
        strv_push(&img->diff_ids, d);
        if (!strv_contains(s->blob_digests, d))
            strv_push(&s->blob_digests, d);
        json_array_append_new(layers,
                              json_pack("{s:s, s:s, s:I}", "mediaType", MT_LAYER, "digest", d,
                                        "size", (json_int_t)sqlite3_column_int64(ls, 1)));
    }
    json_t *manifest =
        json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                  MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", img->id, "size",
                  (json_int_t)strlen(img->config), "layers", layers);
    img->manifest = json_dumps(manifest, JSON_COMPACT);
    json_decref(manifest);
    return digest_buf(img->manifest, strlen(img->manifest), img->manifest_digest, s->err);
}

/* ---- writing ----------------------------------------------------------- */

static struct archive_entry *header(const char *name, mode_t type, int64_t size)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 0, 0);
    if (type == AE_IFREG)
        archive_entry_set_size(e, size);
    return e;
}

static int write_header(struct save *s, struct archive *a, struct archive_entry *e)
{
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    if (r < ARCHIVE_WARN)
        return berr(s->err, BERTH_EINTERNAL, "cannot write archive: %s", archive_error_string(a));
    return 0;
}

static int write_data(struct save *s, struct archive *a, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        la_ssize_t n = archive_write_data(a, p, len);
        if (n < 0)
            return berr(s->err, BERTH_EINTERNAL, "cannot write archive: %s",
                        archive_error_string(a));
        p += n;
        len -= n;
    }
    return 0;
}

static int write_mem(struct save *s, struct archive *a, const char *name, const char *data)
{
    int r = write_header(s, a, header(name, AE_IFREG, strlen(data)));
    return r < 0 ? r : write_data(s, a, data, strlen(data));
}

static int write_blob_file(struct save *s, struct archive *a, const char *digest)
{
    _cleanup_free_ char *path = blob_path(s->e, digest);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return berr_errno(s->err, BERTH_EINTERNAL, errno, "layer blob %s is missing", path);
    _cleanup_free_ char *name = xasprintf("blobs/sha256/%s", digest_hex(digest));
    int r = write_header(s, a, header(name, AE_IFREG, st.st_size));
    if (r < 0)
        return r;
    _cleanup_free_ char *buf = xmalloc(65536);
    int64_t left = st.st_size;
    while (left > 0) {
        ssize_t n = read(fd, buf, left < 65536 ? left : 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return berr_errno(s->err, BERTH_EINTERNAL, n < 0 ? errno : EIO,
                              "cannot read layer blob %s", path);
        r = write_data(s, a, buf, n);
        if (r < 0)
            return r;
        left -= n;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* index.json, manifest.json and repositories. */
static void build_documents(struct save *s, char **index, char **manifest, char **repositories)
{
    json_t *descs = json_array();
    json_t *docker = json_array();
    json_t *repos = json_object();
    for (size_t i = 0; i < s->n_images; i++) {
        struct saved_image *img = &s->images[i];
        json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", MT_MANIFEST, "digest",
                                 img->manifest_digest, "size", (json_int_t)strlen(img->manifest));
        json_t *repo_tags = json_array();
        for (size_t t = 0; img->tags[t]; t++) {
            _cleanup_ref_ struct ref ref = { 0 };
            if (ref_parse(img->tags[t], &ref, NULL) < 0)
                continue;
            json_t *d = json_deep_copy(desc);
            json_object_set_new(d, "annotations",
                                json_pack("{s:s, s:s}", "io.containerd.image.name", img->tags[t],
                                          "org.opencontainers.image.ref.name", ref.tag));
            json_array_append_new(descs, d);
            char *familiar = ref_familiar_string(&ref);
            json_array_append_new(repo_tags, json_string(familiar));
            free(familiar);
            _cleanup_free_ char *repo = ref_familiar_name(&ref);
            json_t *r = json_object_get(repos, repo);
            if (!r) {
                r = json_object();
                json_object_set_new(repos, repo, r);
            }
            size_t n = strv_length(img->diff_ids);
            if (n > 0)
                json_object_set_new(r, ref.tag, json_string(digest_hex(img->diff_ids[n - 1])));
        }
        if (!img->tags[0])
            json_array_append(descs, desc);
        json_decref(desc);
        json_t *layers = json_array();
        for (size_t l = 0; img->diff_ids[l]; l++)
            json_array_append_new(layers,
                                  json_sprintf("blobs/sha256/%s", digest_hex(img->diff_ids[l])));
        json_t *entry = json_pack(
            "{s:o, s:o, s:o}", "Config", json_sprintf("blobs/sha256/%s", digest_hex(img->id)),
            "RepoTags", json_array_size(repo_tags) ? repo_tags : json_null(), "Layers", layers);
        if (!json_array_size(repo_tags))
            json_decref(repo_tags);
        json_array_append_new(docker, entry);
    }
    json_t *idx =
        json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests", descs);
    *index = json_dumps(idx, JSON_COMPACT);
    *manifest = json_dumps(docker, JSON_COMPACT);
    *repositories = json_object_size(repos) ? json_dumps(repos, JSON_COMPACT) : NULL;
    json_decref(idx);
    json_decref(docker);
    json_decref(repos);
}

static int write_archive(struct save *s, int out_fd)
{
    struct archive *a = archive_write_new();
    if (!a)
        return berr(s->err, BERTH_EINTERNAL, "cannot allocate an archive writer");
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    int r = 0;
    if (archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
        r = berr(s->err, BERTH_EINTERNAL, "cannot write archive: %s", archive_error_string(a));

    /* blobs: configs, manifests and layers, in digest order */
    char **blobs = strv_copy(s->blob_digests);
    for (size_t i = 0; i < s->n_images; i++) {
        if (!strv_contains(blobs, s->images[i].id))
            strv_push(&blobs, s->images[i].id);
        if (!strv_contains(blobs, s->images[i].manifest_digest))
            strv_push(&blobs, s->images[i].manifest_digest);
    }
    qsort(blobs, strv_length(blobs), sizeof(char *), cmp_str);
    if (r == 0)
        r = write_header(s, a, header("blobs/", AE_IFDIR, 0));
    if (r == 0)
        r = write_header(s, a, header("blobs/sha256/", AE_IFDIR, 0));
    for (size_t i = 0; r == 0 && blobs[i]; i++) {
        const char *mem = NULL;
        for (size_t k = 0; k < s->n_images && !mem; k++) {
            if (strcmp(s->images[k].id, blobs[i]) == 0)
                mem = s->images[k].config;
            else if (strcmp(s->images[k].manifest_digest, blobs[i]) == 0)
                mem = s->images[k].manifest;
        }
        if (mem) {
            _cleanup_free_ char *name = xasprintf("blobs/sha256/%s", digest_hex(blobs[i]));
            r = write_mem(s, a, name, mem);
        } else {
            r = write_blob_file(s, a, blobs[i]);
        }
    }
    strv_free(blobs);

    _cleanup_free_ char *index = NULL, *manifest = NULL, *repositories = NULL;
    build_documents(s, &index, &manifest, &repositories);
    if (r == 0)
        r = write_mem(s, a, "index.json", index);
    if (r == 0)
        r = write_mem(s, a, "manifest.json", manifest);
    if (r == 0)
        r = write_mem(s, a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
    if (r == 0 && repositories)
        r = write_mem(s, a, "repositories", repositories);
    if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
        r = berr(s->err, BERTH_EINTERNAL, "cannot write archive: %s", archive_error_string(a));
    archive_write_free(a);
    return r;
}

int berth_image_save(berth_engine *engine, const char *const *names, size_t n_names, int out_fd,
                     berth_error *err)
{
    if (n_names == 0)
        return berr(err, BERTH_EINVAL, "no image names given");
    struct save s = { .e = engine, .err = err };
    int r = 0;
    for (size_t i = 0; r == 0 && i < n_names; i++)
        r = add_name(&s, names[i]);
    for (size_t i = 0; r == 0 && i < s.n_images; i++)
        r = load_image(&s, &s.images[i]);
    if (r == 0)
        r = write_archive(&s, out_fd);
    for (size_t i = 0; i < s.n_images; i++) {
        free(s.images[i].id);
        strv_free(s.images[i].tags);
        free(s.images[i].config);
        strv_free(s.images[i].diff_ids);
        free(s.images[i].manifest);
    }
    free(s.images);
    strv_free(s.blob_digests);
    return r;
}
