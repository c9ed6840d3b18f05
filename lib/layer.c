/* layer.c - putting layers and blobs into the store, atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "engine_int.h"
#include "errors.h"
#include "layer.h"
#include "untar.h"
#include "util.h"

char *layer_dir_path(const berth_engine *e, const char *diff_id)
{
    return xasprintf("%s/layers/%s", e->root, digest_hex(diff_id));
}

char *blob_path(const berth_engine *e, const char *digest)
{
    return xasprintf("%s/blobs/sha256/%s", e->root, digest_hex(digest));
}

static bool path_exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

bool layer_store_present(berth_engine *e, const char *diff_id)
{
    _cleanup_free_ char *dir = layer_dir_path(e, diff_id);
    _cleanup_free_ char *blob = blob_path(e, diff_id);
    return path_exists(dir) && path_exists(blob);
}

/* The recorded sizes of a stored layer; 0 when present, else
 * BERTH_ENOTFOUND. */
static int recorded(berth_engine *e, const char *diff_id, struct layer_info *out, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(e->db, "SELECT size, unpacked FROM layers WHERE diff_id=?", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, diff_id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW)
        return BERTH_ENOTFOUND;
    snprintf(out->diff_id, sizeof out->diff_id, "%s", diff_id);
    out->size = sqlite3_column_int64(s, 0);
    out->unpacked = sqlite3_column_int64(s, 1);
    return 0;
}

/* Renames tmp_dir/name to final unless something is there already (an
 * equal copy, stored concurrently or earlier). */
static int move_into_place(int tmp_fd, const char *name, const char *final, berth_error *err)
{
    if (renameat2(tmp_fd, name, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST || errno == ENOTEMPTY)
        return 0;
    return berr_errno(err, BERTH_EINTERNAL, errno, "cannot move %s into place", final);
}

static int put_from(berth_engine *e, int tmp_fd, int tar_fd, const char *expect_diff_id,
                    const char *expect_digest, struct layer_info *out, berth_error *err)
{
    _cleanup_close_ int blob = openat(tmp_fd, "blob", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (blob < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot create layer blob");
    _cleanup_digest_ digest_t raw = { 0 };
    _cleanup_digest_ digest_t in = { 0 };
    int r = digest_init(&raw, err);
    if (r == 0 && expect_digest)
        r = digest_init(&in, err);
    if (r < 0)
        return r;
    r = untar_decompress(tar_fd, blob, &raw, &out->size, expect_digest ? &in : NULL, err);
    if (r < 0)
        return berr_prefix(err, "invalid layer");
    r = digest_final(&raw, out->diff_id, err);
    if (r < 0)
        return r;
    if (expect_digest) {
        char got[DIGEST_STR_LEN];
        r = digest_final(&in, got, err);
        if (r < 0)
            return r;
        if (strcmp(got, expect_digest) != 0)
            return berr(err, BERTH_EINVAL, "layer digest mismatch: expected %s, got %s",
                        expect_digest, got);
    }
    if (expect_diff_id && strcmp(out->diff_id, expect_diff_id) != 0)
        return berr(err, BERTH_EINVAL, "layer diff_id mismatch: expected %s, got %s",
                    expect_diff_id, out->diff_id);

    _cleanup_free_ char *dir = layer_dir_path(e, out->diff_id);
    struct layer_info known;
    bool need_unpack = !path_exists(dir) || recorded(e, out->diff_id, &known, NULL) < 0;
    if (need_unpack) {
        if (mkdirat(tmp_fd, "rootfs", 0755) < 0)
            return berr_errno(err, BERTH_EINTERNAL, errno, "cannot create layer directory");
        _cleanup_close_ int root = openat(tmp_fd, "rootfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
            return berr_errno(err, BERTH_EINTERNAL, errno, "cannot open layer directory");
        /* an archive without a "./" entry leaves the usual root mode */
        fchmod(root, 0755);
        if (lseek(blob, 0, SEEK_SET) < 0)
            return berr_errno(err, BERTH_EINTERNAL, errno, "cannot rewind layer blob");
        struct untar_opts opts = { UNTAR_OVERLAY_WHITEOUTS, NULL, 0, 0 };
        struct untar_stats stats = { 0 };
        r = untar_extract(root, blob, &opts, &stats, err);
        if (r < 0)
            return berr_prefix(err, "invalid layer");
        out->unpacked = stats.bytes;
    } else {
        out->unpacked = known.unpacked;
    }

    _cleanup_free_ char *final_blob = blob_path(e, out->diff_id);
    r = move_into_place(tmp_fd, "blob", final_blob, err);
    if (r == 0 && need_unpack)
        r = move_into_place(tmp_fd, "rootfs", dir, err);
    return r;
}

int layer_store_put(berth_engine *e, int tar_fd, const char *expect_diff_id,
                    const char *expect_digest, struct layer_info *out, berth_error *err)
{
    memset(out, 0, sizeof *out);
    if (expect_diff_id && layer_store_present(e, expect_diff_id) &&
        recorded(e, expect_diff_id, out, NULL) == 0)
        return 0;

    _cleanup_free_ char *tmp = NULL;
    int r = engine_mktemp_dir(e, "layer", &tmp, err);
    if (r < 0)
        return r;
    int tmp_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tmp_fd < 0)
        r = berr_errno(err, BERTH_EINTERNAL, errno, "cannot open %s", tmp);
    else
        r = put_from(e, tmp_fd, tar_fd, expect_diff_id, expect_digest, out, err);
    if (tmp_fd >= 0)
        close(tmp_fd);
    rm_rf(tmp);
    return r;
}

int layer_store_record(berth_engine *e, const struct layer_info *l, berth_error *err)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    int r = db_prepare(
        e->db, "INSERT OR IGNORE INTO layers(diff_id, size, unpacked) VALUES (?, ?, ?)", &s, err);
    if (r < 0)
        return r;
    sqlite3_bind_text(s, 1, l->diff_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)l->size);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)l->unpacked);
    if (sqlite3_step(s) != SQLITE_DONE)
        return db_error(e->db, err, "cannot record layer");
    return 0;
}

void layer_store_remove_files(berth_engine *e, const char *diff_id, char ***trash)
{
    _cleanup_free_ char *dir = layer_dir_path(e, diff_id);
    _cleanup_free_ char *blob = blob_path(e, diff_id);
    unlink(blob);
    _cleanup_free_ char *tmp = NULL;
    if (engine_mktemp_dir(e, "trash", &tmp, NULL) == 0) {
        _cleanup_free_ char *dest = xasprintf("%s/layer", tmp);
        int moved = rename(dir, dest) == 0;
        strv_push(trash, tmp);
        if (moved)
            return;
    }
    rm_rf(dir);
}

int blob_write(berth_engine *e, const void *data, size_t len, char *digest_out, berth_error *err)
{
    char digest[DIGEST_STR_LEN];
    int r = digest_buf(data, len, digest, err);
    if (r < 0)
        return r;
    if (digest_out)
        memcpy(digest_out, digest, DIGEST_STR_LEN);
    _cleanup_free_ char *path = blob_path(e, digest);
    if (path_exists(path))
        return 0;
    r = write_file(path, data, len, 0644);
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot write blob %s", path);
    return 0;
}
