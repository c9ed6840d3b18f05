/* test_untar.c - safe extraction: hostile archives must not write outside
 * the root, ordinary ones must come out exactly as archived. The archives
 * are built in memory with libarchive's writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "untar.h"
#include "util.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static char tmpdir[128];
static char rootdir[160];
static char outsidedir[160];
static char unique[64];

/* ---- building archives ---------------------------------------------- */

static la_ssize_t mem_write(struct archive *a, void *data, const void *buf, size_t n)
{
    (void)a;
    buf_append(data, buf, n);
    return n;
}

struct tb {
    struct archive *a;
    buf_t out;
};

static void tb_init(struct tb *t, int filter)
{
    memset(t, 0, sizeof *t);
    t->a = archive_write_new();
    archive_write_set_format_pax(t->a);
    if (filter != ARCHIVE_FILTER_NONE)
        archive_write_add_filter(t->a, filter);
    archive_write_set_bytes_in_last_block(t->a, 1);
    if (archive_write_open(t->a, &t->out, NULL, mem_write, NULL) != ARCHIVE_OK) {
        fprintf(stderr, "archive_write_open: %s\n", archive_error_string(t->a));
        exit(2);
    }
}

static struct archive_entry *entry(const char *name, mode_t type, mode_t perm)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 1600000000, 0);
    return e;
}

static void tb_put(struct tb *t, struct archive_entry *e, const char *data)
{
    if (data)
        archive_entry_set_size(e, strlen(data));
    if (archive_write_header(t->a, e) != ARCHIVE_OK) {
        fprintf(stderr, "archive_write_header: %s\n", archive_error_string(t->a));
        exit(2);
    }
    if (data)
        archive_write_data(t->a, data, strlen(data));
    archive_entry_free(e);
}

static void tb_file(struct tb *t, const char *name, const char *data, mode_t perm)
{
    tb_put(t, entry(name, AE_IFREG, perm), data);
}

static void tb_dir(struct tb *t, const char *name, mode_t perm)
{
    tb_put(t, entry(name, AE_IFDIR, perm), NULL);
}

static void tb_symlink(struct tb *t, const char *name, const char *target)
{
    struct archive_entry *e = entry(name, AE_IFLNK, 0777);
    archive_entry_set_symlink(e, target);
    tb_put(t, e, NULL);
}

static void tb_hardlink(struct tb *t, const char *name, const char *target)
{
    struct archive_entry *e = entry(name, AE_IFREG, 0644);
    archive_entry_set_hardlink(e, target);
    archive_entry_set_size(e, 0);
    tb_put(t, e, NULL);
}

/* Finishes the archive and returns a descriptor to read it from. */
static int tb_finish(struct tb *t)
{
    archive_write_close(t->a);
    archive_write_free(t->a);
    int fd = memfd_create("tar", MFD_CLOEXEC);
    if (fd < 0 || write_all(fd, t->out.data, t->out.len) < 0) {
        perror("memfd");
        exit(2);
    }
    lseek(fd, 0, SEEK_SET);
    buf_free(&t->out);
    return fd;
}

/* ---- inspecting the result ------------------------------------------ */

static void reset_dirs(void)
{
    rm_rf(rootdir);
    rm_rf(outsidedir);
    mkdir(rootdir, 0755);
    mkdir(outsidedir, 0755);
    write_file(strcat(strcpy((char[1024]){ 0 }, outsidedir), "/sentinel"), "original", 8, 0644);
}

static int extract(int tar_fd, unsigned flags, const char *base, berth_error *err)
{
    int root = open(rootdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct untar_opts opts = { flags, base, 0, 0 };
    int r = untar_extract(root, tar_fd, &opts, NULL, err);
    close(root);
    close(tar_fd);
    return r;
}

static char *rpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *rpath(const char *fmt, ...)
{
    static char bufs[4][1024];
    static int n;
    char rel[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    char *b = bufs[n++ % 4];
    snprintf(b, 1024, "%s/%s", rootdir, rel);
    return b;
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static char *content(const char *p)
{
    char *data = NULL;
    if (read_file(p, &data, NULL) < 0)
        return xstrdup("<unreadable>");
    return data;
}

/* Nothing may appear in tmpdir but root/ and outside/, and the sentinel
 * outside must be unchanged. */
static void check_outside(const char *what)
{
    DIR *d = opendir(tmpdir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "root") &&
            strcmp(de->d_name, "outside"))
            CHECK(false, "%s: %s appeared next to the root", what, de->d_name);
    }
    closedir(d);
    d = opendir(outsidedir);
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "sentinel"))
            CHECK(false, "%s: %s appeared outside the root", what, de->d_name);
    }
    closedir(d);
    char sentinel[1024];
    snprintf(sentinel, sizeof sentinel, "%s/sentinel", outsidedir);
    _cleanup_free_ char *c = content(sentinel);
    CHECK(strcmp(c, "original") == 0, "%s: the sentinel outside now holds '%s'", what, c);
    struct stat st;
    CHECK(lstat(sentinel, &st) == 0 && st.st_nlink == 1 && S_ISREG(st.st_mode),
          "%s: the sentinel gained a link or changed type", what);
    char abs[1024];
    snprintf(abs, sizeof abs, "/%s", unique);
    CHECK(!exists(abs), "%s: %s was created on the host", what, abs);
    snprintf(abs, sizeof abs, "/etc/%s", unique);
    CHECK(!exists(abs), "%s: %s was created on the host", what, abs);
    snprintf(abs, sizeof abs, "/tmp/%s", unique);
    CHECK(!exists(abs), "%s: %s was created on the host", what, abs);
}

/* ---- hostile archives ----------------------------------------------- */

static void test_dotdot(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_file(&t, "../escape", "x", 0644);
    tb_file(&t, "a/../../../escape2", "x", 0644);
    tb_file(&t, "../outside/sentinel", "overwritten", 0644);
    char name[1024];
    snprintf(name, sizeof name, "../../../../../../../../tmp/%s", unique);
    tb_file(&t, name, "x", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == 0, "extraction failed: %s", err.message);
    CHECK(exists(rpath("escape")), "../escape should land at the root");
    CHECK(exists(rpath("escape2")), "a/../../../escape2 should land at the root");
    CHECK(exists(rpath("outside/sentinel")), "../outside/sentinel should land inside");
    CHECK(exists(rpath("tmp/%s", unique)), "deep ../ should land inside");
    check_outside("dotdot");
}

static void test_absolute(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    char name[1024];
    snprintf(name, sizeof name, "/%s", unique);
    tb_file(&t, name, "abs", 0644);
    snprintf(name, sizeof name, "%s/sentinel", outsidedir);
    tb_file(&t, name, "overwritten", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == 0, "extraction failed: %s", err.message);
    _cleanup_free_ char *c = content(rpath("%s", unique));
    CHECK(strcmp(c, "abs") == 0, "/name should land at the root, got '%s'", c);
    CHECK(exists(rpath("%s/sentinel", outsidedir + 1)), "absolute path should land inside");
    check_outside("absolute");
}

static void test_symlink_root(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_symlink(&t, "evil", "/");
    char name[1024];
    snprintf(name, sizeof name, "evil/etc/%s", unique);
    tb_file(&t, name, "pwned", 0644);
    snprintf(name, sizeof name, "evil%s/sentinel", outsidedir);
    tb_file(&t, name, "overwritten", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == 0, "extraction failed: %s", err.message);
    CHECK(exists(rpath("etc/%s", unique)), "evil/etc/x should resolve to root/etc/x");
    char target[64] = "";
    CHECK(readlink(rpath("evil"), target, sizeof target - 1) == 1 && target[0] == '/',
          "the symlink should be kept as it is");
    check_outside("symlink to /");
}

static void test_symlink_up(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_symlink(&t, "up", "../../../..");
    tb_file(&t, "up/escape", "x", 0644);
    tb_file(&t, "up/outside/sentinel", "overwritten", 0644);
    tb_dir(&t, "d", 0755);
    tb_symlink(&t, "d/up2", "../..");
    tb_file(&t, "d/up2/escape2", "x", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == 0, "extraction failed: %s", err.message);
    CHECK(exists(rpath("escape")), "up/escape should land at the root");
    CHECK(exists(rpath("escape2")), "d/up2/escape2 should land at the root");
    check_outside("symlink to ../../..");
}

static void test_symlink_absolute_outside(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    /* a link naming the real outside directory by its host path */
    tb_symlink(&t, "host", outsidedir);
    tb_file(&t, "host/pwn", "x", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), 0, NULL, &err);
    /* Inside the root that path does not exist: creating through the
     * dangling link must fail, not follow it on the host. */
    CHECK(r == BERTH_EINVAL, "expected BERTH_EINVAL, got %d (%s)", r, err.message);
    check_outside("symlink to the host path");
}

static void test_symlink_overwrite(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    char target[1024];
    snprintf(target, sizeof target, "%s/sentinel", outsidedir);
    tb_symlink(&t, "f", target);
    tb_file(&t, "f", "replaced", 0644);
    tb_symlink(&t, "g", "../outside/sentinel");
    tb_file(&t, "g", "replaced", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == 0, "extraction failed: %s", err.message);
    struct stat st;
    CHECK(lstat(rpath("f"), &st) == 0 && S_ISREG(st.st_mode), "f should now be a regular file");
    _cleanup_free_ char *c = content(rpath("g"));
    CHECK(strcmp(c, "replaced") == 0, "g holds '%s'", c);
    check_outside("file over symlink");
}

static void test_hardlink_outside(void)
{
    struct stat before, after;
    stat("/etc/passwd", &before);
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_hardlink(&t, "pw", "/etc/passwd");
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == BERTH_EINVAL, "a link to a file missing in the root must fail, got %d", r);
    CHECK(!exists(rpath("pw")), "pw must not exist");
    stat("/etc/passwd", &after);
    CHECK(before.st_nlink == after.st_nlink, "/etc/passwd gained a link");
    check_outside("hard link to /etc/passwd");

    reset_dirs();
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_hardlink(&t, "s", "../outside/sentinel");
    r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == BERTH_EINVAL, "a link to ../outside must fail, got %d", r);
    check_outside("hard link to ../outside");

    /* through a symlink planted first */
    reset_dirs();
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_symlink(&t, "o", outsidedir);
    tb_hardlink(&t, "s", "o/sentinel");
    tb_symlink(&t, "o2", "../outside");
    tb_hardlink(&t, "s2", "o2/sentinel");
    r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == BERTH_EINVAL, "a link through a symlink to outside must fail, got %d", r);
    check_outside("hard link through a symlink");

    /* a link to a symlink links the symlink itself, not its target */
    reset_dirs();
    tb_init(&t, ARCHIVE_FILTER_NONE);
    char target[1024];
    snprintf(target, sizeof target, "%s/sentinel", outsidedir);
    tb_symlink(&t, "ln", target);
    tb_hardlink(&t, "ln2", "ln");
    r = extract(tb_finish(&t), 0, NULL, &err);
    CHECK(r == 0, "hard link to a symlink failed: %s", err.message);
    struct stat st;
    CHECK(lstat(rpath("ln2"), &st) == 0 && S_ISLNK(st.st_mode), "ln2 should be the symlink");
    check_outside("hard link to a symlink");
}

/* ---- ordinary content ----------------------------------------------- */

static void test_content(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_dir(&t, "./", 0755);
    tb_dir(&t, "ro", 0555);
    tb_file(&t, "ro/inside", "hello\n", 0644);
    tb_dir(&t, "tmp", 01777);
    struct archive_entry *e = entry("bin/suid", AE_IFREG, 04755);
    archive_entry_set_uid(e, 1000);
    archive_entry_set_gid(e, 1001);
    archive_entry_set_mtime(e, 1500000000, 123456789);
    tb_put(&t, e, "#!/bin/sh\n");
    tb_symlink(&t, "bin/sh", "busybox");
    tb_hardlink(&t, "bin/suid2", "bin/suid");
    e = entry("dev/null", AE_IFCHR, 0666);
    archive_entry_set_rdevmajor(e, 1);
    archive_entry_set_rdevminor(e, 3);
    tb_put(&t, e, NULL);
    tb_put(&t, entry("fifo", AE_IFIFO, 0600), NULL);
    e = entry("x", AE_IFREG, 0644);
    archive_entry_xattr_add_entry(e, "user.berth", "value", 5);
    archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/etc", 4);
    tb_put(&t, e, "xattr");
    /* replacement: a directory by a file and a file by a directory */
    tb_dir(&t, "r1", 0755);
    tb_file(&t, "r1/child", "c", 0644);
    tb_file(&t, "r1", "now a file", 0600);
    tb_file(&t, "r2", "a file", 0644);
    tb_dir(&t, "r2", 0700);
    tb_file(&t, "r2/child", "c", 0644);
    tb_file(&t, "implicit/parents/file", "p", 0644);
    tb_file(&t, ".wh.kept", "", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int root = open(rootdir, O_RDONLY | O_DIRECTORY);
    struct untar_stats stats = { 0 };
    int tfd = tb_finish(&t);
    int r = untar_extract(root, tfd, NULL, &stats, &err);
    close(root);
    close(tfd);
    CHECK(r == 0, "extraction failed: %s", err.message);
    CHECK(stats.entries == 18, "expected 18 entries, counted %llu",
          (unsigned long long)stats.entries);
    CHECK(stats.bytes == 6 + 10 + 5 + 10 + 6 + 1 + 1 + 1, "counted %llu bytes",
          (unsigned long long)stats.bytes);

    struct stat st;
    CHECK(stat(rpath("ro"), &st) == 0 && (st.st_mode & 07777) == 0555, "ro has mode %o",
          st.st_mode & 07777);
    _cleanup_free_ char *c = content(rpath("ro/inside"));
    CHECK(strcmp(c, "hello\n") == 0, "ro/inside holds '%s'", c);
    CHECK(stat(rpath("tmp"), &st) == 0 && (st.st_mode & 07777) == 01777, "tmp has mode %o",
          st.st_mode & 07777);
    CHECK(stat(rpath("ro"), &st) == 0 && st.st_mtime == 1600000000,
          "ro mtime %ld (children must not change it)", (long)st.st_mtime);
    CHECK(stat(rpath("bin/suid"), &st) == 0 && (st.st_mode & 07777) == 04755 && st.st_uid == 1000 &&
              st.st_gid == 1001,
          "bin/suid: mode %o owner %d:%d", st.st_mode & 07777, st.st_uid, st.st_gid);
    CHECK(st.st_mtim.tv_sec == 1500000000 && st.st_mtim.tv_nsec == 123456789,
          "bin/suid mtime %ld.%09ld", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    CHECK(st.st_nlink == 2, "bin/suid should have 2 links, has %lu", (unsigned long)st.st_nlink);
    struct stat st2;
    CHECK(stat(rpath("bin/suid2"), &st2) == 0 && st2.st_ino == st.st_ino,
          "bin/suid2 should be a hard link of bin/suid");
    char target[64] = "";
    ssize_t n = readlink(rpath("bin/sh"), target, sizeof target - 1);
    CHECK(n == 7 && memcmp(target, "busybox", 7) == 0, "bin/sh -> '%s'", target);
    CHECK(lstat(rpath("dev/null"), &st) == 0 && S_ISCHR(st.st_mode) &&
              st.st_rdev == makedev(1, 3) && (st.st_mode & 07777) == 0666,
          "dev/null is not char 1:3 0666");
    CHECK(lstat(rpath("fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "fifo is not a fifo");
    char val[16] = "";
    CHECK(getxattr(rpath("x"), "user.berth", val, sizeof val) == 5 && memcmp(val, "value", 5) == 0,
          "user.berth xattr missing");
    CHECK(getxattr(rpath("x"), "trusted.overlay.redirect", val, sizeof val) < 0,
          "trusted.overlay.* from an archive must be dropped");
    CHECK(lstat(rpath("r1"), &st) == 0 && S_ISREG(st.st_mode), "r1 should be a file");
    CHECK(lstat(rpath("r2/child"), &st) == 0, "r2 should be a directory with a child");
    CHECK(exists(rpath("implicit/parents/file")), "implicit parents not created");
    CHECK(lstat(rpath(".wh.kept"), &st) == 0 && S_ISREG(st.st_mode),
          "without the overlay flag a whiteout is an ordinary file");
    check_outside("content");
}

static void test_whiteouts(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_dir(&t, "d", 0755);
    tb_file(&t, "d/.wh.gone", "", 0644);
    tb_file(&t, "opaque/.wh..wh..opq", "", 0644);
    tb_file(&t, "opaque/new", "n", 0644);
    tb_dir(&t, "opaque", 0710);
    tb_file(&t, ".wh..wh.plnk", "", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), UNTAR_OVERLAY_WHITEOUTS, NULL, &err);
    CHECK(r == 0, "extraction failed: %s", err.message);
    struct stat st;
    CHECK(lstat(rpath("d/gone"), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
          "d/gone should be a 0:0 character device");
    CHECK(!exists(rpath("d/.wh.gone")), "the whiteout file itself must not be written");
    char val[8] = "";
    CHECK(getxattr(rpath("opaque"), "trusted.overlay.opaque", val, sizeof val) == 1 &&
              val[0] == 'y',
          "opaque should carry trusted.overlay.opaque=y");
    CHECK(stat(rpath("opaque"), &st) == 0 && (st.st_mode & 07777) == 0710, "opaque dir mode %o",
          st.st_mode & 07777);
    CHECK(!exists(rpath("opaque/.wh..wh..opq")), "the opaque marker must not be written");
    CHECK(!exists(rpath(".wh..wh.plnk")), "AUFS metadata must be skipped");
    check_outside("whiteouts");
}

static void test_base_and_flags(void)
{
    reset_dirs();
    mkdir(rpath("sub"), 0755);
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_file(&t, "../../x", "x", 0644);
    tb_file(&t, "d", "file", 0644);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(tb_finish(&t), 0, "sub", &err);
    CHECK(r == 0, "extraction failed: %s", err.message);
    CHECK(exists(rpath("sub/x")), "../../x under base sub should land in sub/x");
    CHECK(!exists(rpath("x")), "../../x must not climb above the base");

    mkdir(rpath("sub/dir"), 0755);
    tb_init(&t, ARCHIVE_FILTER_NONE);
    tb_file(&t, "dir", "file", 0644);
    r = extract(tb_finish(&t), UNTAR_NO_OVERWRITE_DIR_NONDIR | UNTAR_NO_CHOWN, "sub", &err);
    CHECK(r == BERTH_EINVAL, "replacing a directory must fail with the flag, got %d", r);
    struct stat st;
    CHECK(lstat(rpath("sub/dir"), &st) == 0 && S_ISDIR(st.st_mode), "sub/dir must stay");

    r = extract(open("/dev/null", O_RDONLY), 0, "missing", &err);
    CHECK(r == BERTH_ENOTFOUND, "a missing base should be BERTH_ENOTFOUND, got %d", r);
    check_outside("base");
}

/* ---- compression and corruption ------------------------------------- */

static void test_filters(void)
{
    static const int filters[] = { ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_BZIP2, ARCHIVE_FILTER_XZ,
                                   ARCHIVE_FILTER_ZSTD };
    for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
        reset_dirs();
        struct tb t;
        tb_init(&t, filters[i]);
        tb_file(&t, "compressed", "data", 0644);
        berth_error err = BERTH_ERROR_INIT;
        int r = extract(tb_finish(&t), 0, NULL, &err);
        CHECK(r == 0, "filter %d: %s", filters[i], err.message);
        CHECK(exists(rpath("compressed")), "filter %d: file missing", filters[i]);
    }
}

static void test_corrupt(void)
{
    reset_dirs();
    struct tb t;
    tb_init(&t, ARCHIVE_FILTER_NONE);
    char big[4000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tb_file(&t, "big", big, 0644);
    archive_write_close(t.a);
    archive_write_free(t.a);
    /* cut inside the file data */
    int fd = memfd_create("tar", MFD_CLOEXEC);
    write_all(fd, t.out.data, 512 + 1000);
    lseek(fd, 0, SEEK_SET);
    buf_free(&t.out);
    berth_error err = BERTH_ERROR_INIT;
    int r = extract(fd, 0, NULL, &err);
    CHECK(r == BERTH_EINVAL, "truncated archive: expected BERTH_EINVAL, got %d (%s)", r,
          err.message);

    fd = memfd_create("tar", MFD_CLOEXEC);
    const char junk[] = "this is not a tar archive at all, just some words\n";
    for (int i = 0; i < 40; i++)
        write_all(fd, junk, sizeof junk - 1);
    lseek(fd, 0, SEEK_SET);
    r = extract(fd, 0, NULL, &err);
    CHECK(r == BERTH_EINVAL, "garbage: expected BERTH_EINVAL, got %d", r);
    CHECK(strstr(err.message, "invalid tar archive") != NULL, "message: %s", err.message);

    fd = memfd_create("tar", MFD_CLOEXEC);
    r = extract(fd, 0, NULL, &err);
    CHECK(r == BERTH_EINVAL, "empty input: expected BERTH_EINVAL, got %d", r);
}

static void test_decompress(void)
{
    /* the same archive plain and gzip-compressed */
    struct tb plain, gz;
    tb_init(&plain, ARCHIVE_FILTER_NONE);
    tb_init(&gz, ARCHIVE_FILTER_GZIP);
    tb_file(&plain, "f", "content", 0644);
    tb_file(&gz, "f", "content", 0644);
    archive_write_close(plain.a);
    archive_write_free(plain.a);
    int gzfd = tb_finish(&gz);
    char want_raw[DIGEST_STR_LEN], want_in[DIGEST_STR_LEN];
    digest_buf(plain.out.data, plain.out.len, want_raw, NULL);
    uint64_t gzsize;
    digest_fd(gzfd, want_in, &gzsize, NULL);
    lseek(gzfd, 0, SEEK_SET);

    int out = memfd_create("raw", MFD_CLOEXEC);
    digest_t raw = { 0 }, in = { 0 };
    digest_init(&raw, NULL);
    digest_init(&in, NULL);
    uint64_t size = 0;
    berth_error err = BERTH_ERROR_INIT;
    int r = untar_decompress(gzfd, out, &raw, &size, &in, &err);
    CHECK(r == 0, "decompress failed: %s", err.message);
    char got_raw[DIGEST_STR_LEN], got_in[DIGEST_STR_LEN];
    digest_final(&raw, got_raw, NULL);
    digest_final(&in, got_in, NULL);
    CHECK(size == plain.out.len, "decompressed %llu bytes, want %zu", (unsigned long long)size,
          plain.out.len);
    CHECK(strcmp(got_raw, want_raw) == 0, "raw digest %s, want %s", got_raw, want_raw);
    CHECK(strcmp(got_in, want_in) == 0, "input digest %s, want %s", got_in, want_in);
    lseek(out, 0, SEEK_SET);
    char *back = xmalloc(size + 1);
    CHECK(read_all(out, back, size) == (ssize_t)size && memcmp(back, plain.out.data, size) == 0,
          "decompressed bytes differ");
    free(back);
    close(out);
    close(gzfd);
    buf_free(&plain.out);

    /* corrupt gzip */
    int bad = memfd_create("bad", MFD_CLOEXEC);
    write_all(bad, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbagegarbage", 24);
    lseek(bad, 0, SEEK_SET);
    out = memfd_create("raw", MFD_CLOEXEC);
    r = untar_decompress(bad, out, NULL, NULL, NULL, &err);
    CHECK(r == BERTH_EINVAL, "corrupt gzip: expected BERTH_EINVAL, got %d", r);
    close(bad);
    close(out);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/berth-test-untar-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(rootdir, sizeof rootdir, "%s/root", tmpdir);
    snprintf(outsidedir, sizeof outsidedir, "%s/outside", tmpdir);
    snprintf(unique, sizeof unique, "berth-untar-escape-%d", (int)getpid());

    test_dotdot();
    test_absolute();
    test_symlink_root();
    test_symlink_up();
    test_symlink_absolute_outside();
    test_symlink_overwrite();
    test_hardlink_outside();
    test_content();
    test_whiteouts();
    test_base_and_flags();
    test_filters();
    test_corrupt();
    test_decompress();

    rm_rf(tmpdir);
    if (failures) {
        fprintf(stderr, "test_untar: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_untar: all checks passed\n");
    return 0;
}
