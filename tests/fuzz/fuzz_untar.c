/* fuzz_untar.c - extraction of hostile archives (untar.c): image layers,
 * `docker load` and `docker cp` archives all come from whoever made them.
 *
 * Input: a tar archive, plain or compressed. Each run extracts it twice,
 * each time into a fresh scratch directory laid out as
 *     WORK/root/           the extraction root, holding planted traps:
 *          escape -> ../sentinel         (relative symlink out)
 *          abs    -> WORK/sentinel       (absolute symlink out)
 *          efile  -> ../outside          (symlink to a file out)
 *          sub/                          (the base of the second pass)
 *          sub/up -> ../..               (climbs from the base)
 *     WORK/sentinel/       must stay empty and untouched
 *     WORK/outside         must keep its content, owner, mode, links
 * once as an image layer (overlay whiteouts, owners from the archive) and
 * once as `docker cp` into a directory (base "sub", no dir/non-dir
 * overwrite, no chown), with WORK as the working directory. Anything
 * created or changed outside root aborts. untar_decompress also runs on
 * the input. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "untar.h"
#include "util.h"

static char base_dir[64];
static int devnull = -1;

static void remove_base(void)
{
    if (base_dir[0]) {
        if (chdir("/") < 0) {
        }
        rm_rf(base_dir);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(base_dir, sizeof base_dir, "%s/berth-fuzz-untar.XXXXXX",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(base_dir)) {
        perror("scratch directory");
        abort();
    }
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0)
        abort();
    atexit(remove_base);
    return 0;
}

static const char outside_text[] = "outside the root\n";

struct trap {
    char work[128];
    struct stat sentinel, outside;
};

static void must(bool ok, const char *what)
{
    if (!ok) {
        perror(what);
        abort();
    }
}

static void lay_trap(struct trap *t)
{
    snprintf(t->work, sizeof t->work, "%s/w.XXXXXX", base_dir);
    must(mkdtemp(t->work) != NULL, "mkdtemp");
    int w = open(t->work, O_PATH | O_DIRECTORY | O_CLOEXEC);
    must(w >= 0, "open work");
    must(mkdirat(w, "root", 0755) == 0, "mkdir root");
    must(mkdirat(w, "sentinel", 0755) == 0, "mkdir sentinel");
    must(write_file_at(w, "outside", outside_text, sizeof outside_text - 1, 0644, false) == 0,
         "write outside");
    int root = openat(w, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
    must(root >= 0, "open root");
    char abs[192];
    snprintf(abs, sizeof abs, "%s/sentinel", t->work);
    must(symlinkat("../sentinel", root, "escape") == 0, "symlink escape");
    must(symlinkat(abs, root, "abs") == 0, "symlink abs");
    must(symlinkat("../outside", root, "efile") == 0, "symlink efile");
    must(mkdirat(root, "sub", 0755) == 0, "mkdir sub");
    must(symlinkat("../..", root, "sub/up") == 0, "symlink up");
    must(fstatat(w, "sentinel", &t->sentinel, AT_SYMLINK_NOFOLLOW) == 0, "stat sentinel");
    must(fstatat(w, "outside", &t->outside, AT_SYMLINK_NOFOLLOW) == 0, "stat outside");
    close(root);
    close(w);
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
           a->st_gid == b->st_gid && a->st_nlink == b->st_nlink && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Aborts if anything outside WORK/root was created or changed. */
static void check_trap(const struct trap *t)
{
    DIR *d = opendir(t->work);
    FUZZ_CHECK(d != NULL, "work directory %s is gone", t->work);
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        FUZZ_CHECK(!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "root") ||
                       !strcmp(n, "sentinel") || !strcmp(n, "outside"),
                   "escape: %s/%s was created next to the root", t->work, n);
    }
    closedir(d);

    char path[192];
    snprintf(path, sizeof path, "%s/sentinel", t->work);
    d = opendir(path);
    FUZZ_CHECK(d != NULL, "escape: the sentinel directory %s was replaced", path);
    while ((de = readdir(d)))
        FUZZ_CHECK(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."),
                   "escape: %s/%s was created outside the root", path, de->d_name);
    closedir(d);
    struct stat st;
    FUZZ_CHECK(lstat(path, &st) == 0 && same_stat(&st, &t->sentinel),
               "escape: the sentinel directory's owner, mode or times changed");

    snprintf(path, sizeof path, "%s/outside", t->work);
    FUZZ_CHECK(lstat(path, &st) == 0 && same_stat(&st, &t->outside),
               "escape: %s was changed or linked (mode %o, uid %u, nlink %lu, size %lld)", path,
               st.st_mode, st.st_uid, (unsigned long)st.st_nlink, (long long)st.st_size);
    char *text = NULL;
    size_t len = 0;
    FUZZ_CHECK(read_file(path, &text, &len) == 0 && len == sizeof outside_text - 1 &&
                   memcmp(text, outside_text, len) == 0,
               "escape: %s was rewritten", path);
    free(text);
}

static void extract(int tar_fd, const struct untar_opts *opts)
{
    struct trap t;
    lay_trap(&t);
    must(chdir(t.work) == 0, "chdir");
    char root_path[160];
    snprintf(root_path, sizeof root_path, "%s/root", t.work);
    int root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    must(root >= 0, "open root");
    must(lseek(tar_fd, 0, SEEK_SET) == 0, "lseek");

    struct untar_stats stats = { 0 };
    berth_error err = BERTH_ERROR_INIT;
    int r = untar_extract(root, tar_fd, opts, &stats, &err);
    if (r < 0)
        FUZZ_CHECK(err.code == r && err.message[0], "error %d without a message", r);
    close(root);
    check_trap(&t);
    must(chdir("/") == 0, "chdir /");
    must(rm_rf(t.work) == 0, "rm -rf work");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.tar", MFD_CLOEXEC);
    must(fd >= 0, "memfd_create");
    must(write_all(fd, data, size) == 0, "write");

    /* an image layer */
    struct untar_opts layer = { .flags = UNTAR_OVERLAY_WHITEOUTS, .base = NULL };
    extract(fd, &layer);
    /* docker cp into /sub of a container */
    struct untar_opts cp = { .flags = UNTAR_NO_OVERWRITE_DIR_NONDIR | UNTAR_NO_CHOWN,
                             .base = "sub" };
    extract(fd, &cp);

    must(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    berth_error err = BERTH_ERROR_INIT;
    uint64_t raw_size = 0;
    (void)untar_decompress(fd, devnull, NULL, &raw_size, NULL, &err);
    close(fd);
    return 0;
}
