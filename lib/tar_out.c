/* tar_out.c - reproducible tar entries (see tar_out.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>

#include "errors.h"
#include "tar_out.h"
#include "util.h"

#define DATA_CHUNK (1 << 20)

struct link_seen {
    dev_t dev;
    ino_t ino;
    char *name;
};

struct tar_out {
    struct archive *a;
    struct link_seen *links;
    size_t n_links, cap_links;
    size_t n_entries;
    char *data;
};

struct tar_out *tar_out_new(int out_fd, berth_error *err)
{
    struct archive *a = archive_write_new();
    if (!a) {
        berr(err, BERTH_EINTERNAL, "cannot allocate an archive writer");
        return NULL;
    }
    archive_write_set_format_pax_restricted(a);
    /* xattrs as Docker and Go write them, once (not also LIBARCHIVE.xattr) */
    archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY");
    archive_write_set_bytes_per_block(a, 64 * 1024);
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open_fd(a, out_fd) != ARCHIVE_OK) {
        berr(err, BERTH_EINTERNAL, "cannot start the archive: %s", archive_error_string(a));
        archive_write_free(a);
        return NULL;
    }
    struct tar_out *t = xcalloc(1, sizeof *t);
    t->a = a;
    t->data = xmalloc(DATA_CHUNK);
    return t;
}

void tar_out_free(struct tar_out *t)
{
    if (!t)
        return;
    archive_write_free(t->a);
    for (size_t i = 0; i < t->n_links; i++)
        free(t->links[i].name);
    free(t->links);
    free(t->data);
    free(t);
}

int tar_out_close(struct tar_out *t, berth_error *err)
{
    if (archive_write_close(t->a) != ARCHIVE_OK)
        return berr(err, BERTH_EINTERNAL, "cannot write the archive: %s",
                    archive_error_string(t->a));
    return 0;
}

size_t tar_out_count(const struct tar_out *t)
{
    return t->n_entries;
}

struct archive_entry *tar_out_entry(const struct stat *st, const char *name)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_pathname(e, name);
    archive_entry_set_mode(e, st->st_mode);
    archive_entry_set_uid(e, st->st_uid);
    archive_entry_set_gid(e, st->st_gid);
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        archive_entry_set_rdevmajor(e, major(st->st_rdev));
        archive_entry_set_rdevminor(e, minor(st->st_rdev));
    }
    archive_entry_set_size(e, S_ISREG(st->st_mode) ? st->st_size : 0);
    return e;
}

const char *tar_out_first_link(struct tar_out *t, const struct stat *st, const char *name)
{
    if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
        return NULL;
    for (size_t i = 0; i < t->n_links; i++)
        if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
            return t->links[i].name;
    if (t->n_links == t->cap_links) {
        t->cap_links = t->cap_links ? 2 * t->cap_links : 64;
        t->links = xrealloc(t->links, t->cap_links * sizeof *t->links);
    }
    t->links[t->n_links++] = (struct link_seen){ st->st_dev, st->st_ino, xstrdup(name) };
    return NULL;
}

static int body(struct tar_out *t, int fd, int64_t left, const char *name, berth_error *err)
{
    while (left > 0) {
        ssize_t n = read(fd, t->data, left < DATA_CHUNK ? left : DATA_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return berr_errno(err, BERTH_EINTERNAL, errno, "cannot read %s", name);
        if (n == 0) {
            /* shrunk while being read: pad, the header is out already */
            n = left < DATA_CHUNK ? left : DATA_CHUNK;
            memset(t->data, 0, n);
        }
        if (archive_write_data(t->a, t->data, n) != n)
            return berr(err, BERTH_EINTERNAL, "cannot archive %s: %s", name,
                        archive_error_string(t->a));
        left -= n;
    }
    return 0;
}

int tar_out_put(struct tar_out *t, struct archive_entry *e, int data_fd, berth_error *err)
{
    const char *path = archive_entry_pathname(e);
    _cleanup_free_ char *name = xstrdup(path ? path : "an entry");
    int r = archive_write_header(t->a, e);
    int64_t size = archive_entry_size(e);
    archive_entry_free(e);
    /* a warning is a name that does not convert to UTF-8: written as raw
     * bytes (hdrcharset=BINARY), which is what Docker does */
    if (r < ARCHIVE_WARN)
        return berr(err, BERTH_EINTERNAL, "cannot archive %s: %s", name,
                    archive_error_string(t->a));
    t->n_entries++;
    return data_fd >= 0 ? body(t, data_fd, size, name, err) : 0;
}
