/* test_tar_tree.c - the tar writer of docker cp and export: the same tree
 * gives the same bytes whatever the order of creation or the times of
 * access, entries come sorted, hard links point to the first name, the
 * names are the caller's, no symlink is followed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "check.h"
#include "tar_tree.h"
#include "util.h"

static void make_tree(const char *dir, bool reversed)
{
    _cleanup_free_ char *sub = xasprintf("%s/sub", dir);
    mkdir(dir, 0755);
    const char *names[] = { "b.txt", "a.txt", "sub" };
    for (int k = 0; k < 3; k++) {
        const char *n = names[reversed ? 2 - k : k];
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, n);
        if (strcmp(n, "sub") == 0)
            mkdir(p, 0750);
        else
            write_file(p, n, strlen(n), 0644);
    }
    _cleanup_free_ char *deep = xasprintf("%s/sub/deep", dir);
    write_file(deep, "deep", 4, 0600);
    _cleanup_free_ char *up = xasprintf("%s/sub/up", dir);
    symlink("/", up);
    _cleanup_free_ char *a = xasprintf("%s/a.txt", dir), *hl = xasprintf("%s/sub/hard", dir);
    link(a, hl);
    /* same mtimes in both trees, the symlink's too (else the two trees
     * differ whenever their creation straddles a second) */
    const char *all[] = { "", "/a.txt", "/b.txt", "/sub", "/sub/deep", "/sub/up" };
    for (int k = 0; k < 6; k++) {
        _cleanup_free_ char *p = xasprintf("%s%s", dir, all[k]);
        struct timespec ts[2] = { { 1700000000 + reversed * 7, 0 }, { 1700000000, 0 } };
        utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW);
    }
}

static buf_t archive_of(const char *dir, const char *name)
{
    buf_t out = { 0 };
    char tmpl[] = "/tmp/test_tar_tree_outXXXXXX";
    int fd = mkstemp(tmpl);
    unlink(tmpl);
    int dfd = open(dir, O_PATH | O_DIRECTORY);
    berth_error err = BERTH_ERROR_INIT;
    struct tar_tree *t = tar_tree_new(fd, &err);
    CHECK(t, "%s", err.message);
    CHECK(tar_tree_add(t, dfd, NULL, name) == 0, "%s", err.message);
    CHECK(tar_tree_finish(t) == 0, "%s", err.message);
    tar_tree_free(t);
    off_t n = lseek(fd, 0, SEEK_END);
    out.data = xmalloc(n + 1);
    out.len = n;
    pread(fd, out.data, n, 0);
    close(fd);
    close(dfd);
    return out;
}

static char *listing(const buf_t *b)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_open_memory(a, b->data, b->len);
    buf_t l = { 0 };
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        buf_appendf(&l, "%s", archive_entry_pathname(e));
        if (archive_entry_hardlink(e))
            buf_appendf(&l, "=>%s", archive_entry_hardlink(e));
        if (archive_entry_symlink(e))
            buf_appendf(&l, "->%s", archive_entry_symlink(e));
        buf_appendf(&l, " ");
    }
    archive_read_free(a);
    return buf_steal(&l);
}

int main(void)
{
    char base[] = "/tmp/test_tar_treeXXXXXX";
    if (!mkdtemp(base))
        return 1;
    _cleanup_free_ char *one = xasprintf("%s/one", base), *two = xasprintf("%s/two", base);
    make_tree(one, false);
    make_tree(two, true);

    buf_t x = archive_of(one, ""), y = archive_of(two, "");
    CHECK(x.len == y.len && memcmp(x.data, y.data, x.len) == 0, "export not reproducible");
    _cleanup_free_ char *lx = listing(&x);
    CHECK_STR(lx, "a.txt b.txt sub/ sub/deep sub/hard=>a.txt sub/up->/ ");
    buf_t z = archive_of(one, "top");
    _cleanup_free_ char *lz = listing(&z);
    CHECK(strcmp(lz, "top/ top/a.txt top/b.txt top/sub/ top/sub/deep top/sub/hard=>top/a.txt "
                     "top/sub/up->/ ") == 0,
          "%s", lz);
    buf_t r = archive_of(one, "/");
    _cleanup_free_ char *lr = listing(&r);
    CHECK(str_has_prefix(lr, "/ /a.txt /b.txt /sub/ "), "%s", lr);
    buf_free(&x);
    buf_free(&y);
    buf_free(&z);
    buf_free(&r);
    rm_rf(base);
    return check_exit();
}
