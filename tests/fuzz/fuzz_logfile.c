/* fuzz_logfile.c - the container log reader (logfile.c) on a damaged log.
 * The log and its index are files in the container's directory: a full
 * disk, a crash or a hand edit can leave anything in them, and `logs`
 * must then fail cleanly, never read out of bounds or loop.
 *
 * Input (all integers little-endian):
 *     i8   tail n (negative: no tail, read everything)
 *     i64  since (Unix ns; <= 0: no since)
 *     u8   k, the number of 16-byte index entries that follow
 *     k*16 bytes of container.log.idx
 *     the rest: container.log
 * Each run writes both files into a scratch directory, then reads the log
 * as `logs` does: from the start, after seek_tail(n) and after
 * seek_time(since), draining every record; then reads it again after a
 * continued read, and opens it for writing (which repairs a torn end) and
 * appends, as a restarted monitor does. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "logfile.h"
#include "util.h"

static int dirfd_ = -1;
static char dir[64];

static void remove_dir(void)
{
    if (dir[0])
        rm_rf(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/berth-fuzz-log.XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(dir) || (dirfd_ = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
        perror("scratch directory");
        abort();
    }
    atexit(remove_dir);
    return 0;
}

static void put(const char *name, const uint8_t *p, size_t n)
{
    int fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, p, n) < 0)
        abort();
    close(fd);
}

/* Reads every record, touching every byte so ASan checks the range. */
static void drain(struct log_reader *r, uint64_t file_size)
{
    struct log_record rec;
    unsigned sum = 0;
    for (int i = 0; i < 100000; i++) {
        int n = log_reader_next(r, &rec);
        if (n <= 0)
            break;
        FUZZ_CHECK(rec.stream == 1 || rec.stream == 2, "stream %u", rec.stream);
        FUZZ_CHECK(rec.len <= LOG_MAX_RECORD && rec.len <= file_size,
                   "record of %u bytes in a "
                   "file of %llu",
                   rec.len, (unsigned long long)file_size);
        for (uint32_t j = 0; j < rec.len; j++)
            sum += (unsigned char)rec.data[j];
    }
    __asm__ volatile("" : : "r"(sum));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 10)
        return 0;
    long tail = (int8_t)data[0];
    int64_t since = 0;
    for (int i = 7; i >= 0; i--)
        since = (int64_t)((uint64_t)since << 8 | data[1 + i]);
    size_t k = data[9];
    const uint8_t *p = data + 10;
    size_t left = size - 10;
    size_t idx_len = k * 16 < left ? k * 16 : left;
    put(LOG_INDEX_NAME, p, idx_len);
    put(LOG_FILE_NAME, p + idx_len, left - idx_len);
    uint64_t log_size = left - idx_len;

    struct log_reader r;
    FUZZ_CHECK(log_reader_open(&r, dirfd_) == 0, "cannot open the log");
    drain(&r, log_size);
    if (tail >= 0) {
        if (log_reader_seek_tail(&r, tail) == 0)
            drain(&r, log_size);
    }
    if (since > 0) {
        if (log_reader_seek_time(&r, since) == 0)
            drain(&r, log_size);
    }
    log_reader_close(&r);

    /* a fresh reader, positioned before reading, as `logs` does */
    FUZZ_CHECK(log_reader_open(&r, dirfd_) == 0, "cannot open the log");
    if (tail >= 0)
        log_reader_seek_tail(&r, tail);
    else if (since > 0)
        log_reader_seek_time(&r, since);
    drain(&r, log_size);
    log_reader_close(&r);

    /* a monitor restarted on this log repairs it and appends */
    struct log_writer w;
    if (log_writer_open(&w, dirfd_) == 0) {
        struct stat st;
        FUZZ_CHECK(fstat(w.fd, &st) == 0 && (uint64_t)st.st_size == w.size,
                   "writer size %llu, file %lld", (unsigned long long)w.size,
                   (long long)st.st_size);
        FUZZ_CHECK(log_writer_append(&w, 1, since, "fuzz\n", 5, false) == 0, "append failed");
        uint64_t end = w.size;
        log_writer_close(&w);
        FUZZ_CHECK(log_reader_open(&r, dirfd_) == 0, "cannot open the log");
        log_reader_seek_tail(&r, 1);
        drain(&r, end);
        log_reader_close(&r);
    }
    return 0;
}
