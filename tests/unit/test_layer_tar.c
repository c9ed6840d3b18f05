/* test_layer_tar.c - the layer tar of a writable layer (commit) and the
 * lower-layer lookups of changes: whiteouts and opaque directories come
 * out as the OCI ".wh." entries and come back as overlayfs whiteouts
 * through untar; the same tree gives the same bytes whatever its access
 * times; symlinks are stored, never followed, also in the lower layers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "check.h"
#include "layer_tar.h"
#include "untar.h"
#include "upper_walk.h"
#include "util.h"

static char base[64];

static char *p(const char *rel)
{
    return xasprintf("%s/%s", base, rel);
}

static void mk(const char *rel, const char *content)
{
    _cleanup_free_ char *path = p(rel);
    CHECK(write_file(path, content, strlen(content), 0644) == 0, "write %s", rel);
}

static void mkd(const char *rel)
{
    _cleanup_free_ char *path = p(rel);
    CHECK(mkdir(path, 0755) == 0, "mkdir %s", rel);
}

static void whiteout(const char *rel)
{
    _cleanup_free_ char *path = p(rel);
    CHECK(mknod(path, S_IFCHR | 0, makedev(0, 0)) == 0, "mknod %s", rel);
}

static void opaque(const char *rel)
{
    _cleanup_free_ char *path = p(rel);
    CHECK(setxattr(path, "trusted.overlay.opaque", "y", 1, 0) == 0, "setxattr %s", rel);
}

static void symlink_(const char *target, const char *rel)
{
    _cleanup_free_ char *path = p(rel);
    CHECK(symlink(target, path) == 0, "symlink %s", rel);
}

static int open_dir(const char *rel)
{
    _cleanup_free_ char *path = p(rel);
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The tar of upper/ as bytes. */
static char *tar_of(const char *rel, size_t *len, size_t *n_entries)
{
    int dir = open_dir(rel);
    FILE *f = tmpfile();
    berth_error err = BERTH_ERROR_INIT;
    CHECK(layer_tar_write(dir, fileno(f), n_entries, &err) == 0, "layer_tar_write: %s",
          err.message);
    close(dir);
    fflush(f);
    *len = (size_t)lseek(fileno(f), 0, SEEK_END);
    char *data = xmalloc(*len + 1);
    CHECK(pread(fileno(f), data, *len, 0) == (ssize_t)*len, "read back");
    fclose(f);
    return data;
}

static void test_tar(void)
{
    mkd("upper");
    mk("upper/new", "hello");
    mkd("upper/bin");
    whiteout("upper/bin/ls");
    mkd("upper/usr");
    opaque("upper/usr");
    mk("upper/usr/n", "");
    symlink_("/etc/shadow", "upper/lnk");
    _cleanup_free_ char *h1 = p("upper/h1"), *h2 = p("upper/h2"), *fifo = p("upper/ff");
    mk("upper/h1", "linked");
    CHECK(link(h1, h2) == 0, "link");
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");

    size_t len1, len2, n1, n2;
    _cleanup_free_ char *one = tar_of("upper", &len1, &n1);
    /* reading changes access times; they are not in the tar */
    struct timespec ts[2] = { { 12345, 0 }, { 0, UTIME_OMIT } };
    CHECK(utimensat(AT_FDCWD, h1, ts, AT_SYMLINK_NOFOLLOW) == 0, "utimensat");
    _cleanup_free_ char *two = tar_of("upper", &len2, &n2);
    CHECK(len1 == len2 && memcmp(one, two, len1) == 0, "two tars of one tree differ");
    CHECK_INT(n1, 10);
    CHECK_INT(len1 % 512, 0);

    /* the entries, in walk order, with the OCI whiteouts */
    static const char *const want[] = {
        "bin/", "bin/.wh.ls", "ff", "h1", "h2", "lnk", "new", "usr/", "usr/.wh..wh..opq", "usr/n"
    };
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    CHECK(archive_read_open_memory(a, one, len1) == ARCHIVE_OK, "open");
    struct archive_entry *e;
    size_t i = 0;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (strcmp(name, "bin/.wh.ls") == 0)
            CHECK(archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) == 0, "whiteout");
        if (strcmp(name, "lnk") == 0)
            CHECK_STR(archive_entry_symlink(e), "/etc/shadow");
        if (strcmp(name, "h2") == 0)
            CHECK_STR(archive_entry_hardlink(e), "h1");
        if (strcmp(name, "ff") == 0)
            CHECK(archive_entry_filetype(e) == AE_IFIFO, "fifo");
        const char *un = archive_entry_uname(e), *gn = archive_entry_gname(e);
        CHECK((!un || !*un) && (!gn || !*gn), "%s has names", name);
        CHECK(!archive_entry_atime_is_set(e) && !archive_entry_ctime_is_set(e), "%s has times",
              name);
        if (i < ARRAY_SIZE(want))
            CHECK_STR(name, want[i]);
        i++;
    }
    CHECK_INT(i, ARRAY_SIZE(want));
    archive_read_free(a);

    /* and back through untar: overlayfs whiteouts again */
    mkd("back");
    int back = open_dir("back");
    FILE *f = tmpfile();
    CHECK(fwrite(one, 1, len1, f) == len1, "write");
    fflush(f);
    lseek(fileno(f), 0, SEEK_SET);
    struct untar_opts opts = { UNTAR_OVERLAY_WHITEOUTS, NULL, 0, 0 };
    struct untar_stats stats = { 0 };
    berth_error err = BERTH_ERROR_INIT;
    CHECK(untar_extract(back, fileno(f), &opts, &stats, &err) == 0, "untar: %s", err.message);
    fclose(f);
    struct stat st;
    CHECK(fstatat(back, "bin/ls", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
              st.st_rdev == makedev(0, 0),
          "whiteout not restored");
    char v[4] = { 0 };
    _cleanup_free_ char *usr = p("back/usr");
    CHECK(getxattr(usr, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y', "opaque");
    CHECK(faccessat(back, "usr/.wh..wh..opq", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "marker kept");
    close(back);
}

static void test_empty(void)
{
    mkd("empty");
    size_t len, n;
    _cleanup_free_ char *t = tar_of("empty", &len, &n);
    CHECK_INT(n, 0);
    CHECK_INT(len, 1024); /* Docker's empty layer: two zero blocks */
}

static void test_lowers(void)
{
    /* top: whiteout of /etc/gone, opaque /opt; bottom: the files, and a
     * symlink "host" to / that a lookup must not go through */
    mkd("top");
    mkd("top/etc");
    whiteout("top/etc/gone");
    mkd("top/opt");
    opaque("top/opt");
    mk("top/opt/kept", "");
    mkd("bottom");
    mkd("bottom/etc");
    mk("bottom/etc/gone", "");
    mk("bottom/etc/here", "");
    mkd("bottom/opt");
    mk("bottom/opt/hidden", "");
    symlink_("/", "bottom/host");
    _cleanup_free_ char *top = p("top"), *bottom = p("bottom");
    char *dirs[] = { top, bottom, NULL };
    struct lowers l;
    berth_error err = BERTH_ERROR_INIT;
    CHECK(lowers_open(dirs, &l, &err) == 0, "lowers_open: %s", err.message);
    CHECK(lowers_has(&l, "/etc/here"), "/etc/here");
    CHECK(!lowers_has(&l, "/etc/gone"), "/etc/gone is whited out");
    CHECK(!lowers_has(&l, "/opt/hidden"), "/opt/hidden is under an opaque dir");
    CHECK(lowers_has(&l, "/opt/kept"), "/opt/kept");
    CHECK(lowers_has(&l, "/host"), "/host itself");
    CHECK(!lowers_has(&l, "/host/etc/passwd"), "a lookup went through a symlink");
    CHECK(!lowers_has(&l, "/../../etc/passwd"), "a lookup climbed out");
    char **names = lowers_list(&l, "/etc");
    CHECK(strv_length(names) == 1 && strcmp(names[0], "here") == 0, "list /etc");
    strv_free(names);
    names = lowers_list(&l, "/opt");
    CHECK(strv_length(names) == 1 && strcmp(names[0], "kept") == 0, "list /opt");
    strv_free(names);
    CHECK(lowers_list(&l, "/host") == NULL, "listed through a symlink");
    lowers_close(&l);
}

int main(void)
{
    snprintf(base, sizeof base, "/tmp/berth-test-layer-tar-XXXXXX");
    if (!mkdtemp(base))
        return 1;
    test_tar();
    test_empty();
    test_lowers();
    rm_rf(base);
    return check_exit();
}
