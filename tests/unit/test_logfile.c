/* test_logfile.c - the container log format: records round-trip with their
 * streams and times, tail=N counts lines across records and streams,
 * since uses the index, and a torn last record is dropped on reopen. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "logfile.h"
#include "util.h"

struct collected {
    buf_t text;
    int n;
};

static void read_all_records(struct log_reader *r, struct collected *c)
{
    struct log_record rec;
    while (log_reader_next(r, &rec) == 1) {
        buf_appendf(&c->text, "%d:", rec.stream);
        buf_append(&c->text, rec.data, rec.len);
        c->n++;
    }
}

static void test_roundtrip(int dfd)
{
    struct log_writer w;
    CHECK_INT(log_writer_open(&w, dfd), 0);
    CHECK_INT(log_writer_append(&w, 1, 100, "a\nb\n", 4, false), 0);
    CHECK_INT(log_writer_append(&w, 2, 200, "err\n", 4, false), 0);
    CHECK_INT(log_writer_append(&w, 1, 300, "partial", 7, true), 0);
    CHECK_INT(log_writer_append(&w, 1, 400, " end\n", 5, false), 0);
    log_writer_close(&w);

    struct log_reader r;
    CHECK_INT(log_reader_open(&r, dfd), 0);
    struct collected c = { 0 };
    read_all_records(&r, &c);
    CHECK_INT(c.n, 4);
    CHECK_STR(c.text.data, "1:a\nb\n2:err\n1:partial1: end\n");
    buf_free(&c.text);

    /* tail counts lines, whatever record or stream they are in */
    struct {
        long n;
        const char *want;
    } tails[] = {
        { 1, "1:partial1: end\n" },
        { 2, "2:err\n1:partial1: end\n" },
        { 3, "1:b\n2:err\n1:partial1: end\n" },
        { 4, "1:a\nb\n2:err\n1:partial1: end\n" },
        { 100, "1:a\nb\n2:err\n1:partial1: end\n" },
        { 0, "" },
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        CHECK_INT(log_reader_seek_tail(&r, tails[i].n), 0);
        struct collected t = { 0 };
        read_all_records(&r, &t);
        CHECK(strcmp(t.text.data ? t.text.data : "", tails[i].want) == 0,
              "tail %ld: got \"%s\", want \"%s\"", tails[i].n, t.text.data ? t.text.data : "",
              tails[i].want);
        buf_free(&t.text);
    }
    log_reader_close(&r);
}

static void test_reopen_appends_and_drops_torn(int dfd)
{
    struct log_writer w;
    CHECK_INT(log_writer_open(&w, dfd), 0);
    uint64_t good = w.size;
    CHECK_INT(log_writer_append(&w, 1, 500, "more\n", 5, false), 0);
    good = w.size;
    log_writer_close(&w);
    /* a crash in the middle of a write: half a record at the end */
    int fd = openat(dfd, LOG_FILE_NAME, O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open log");
    CHECK_INT(write(fd, "\x10\x00\x00\x00\x01\x00\x47\x4c", 8), 8);
    close(fd);

    struct log_reader r;
    CHECK_INT(log_reader_open(&r, dfd), 0);
    CHECK_INT(log_reader_seek_tail(&r, 1), 0);
    struct collected c = { 0 };
    read_all_records(&r, &c);
    CHECK_STR(c.text.data, "1:more\n");
    buf_free(&c.text);
    log_reader_close(&r);

    CHECK_INT(log_writer_open(&w, dfd), 0);
    CHECK_INT(w.size, good);
    CHECK_INT(log_writer_append(&w, 2, 600, "after\n", 6, false), 0);
    log_writer_close(&w);
    CHECK_INT(log_reader_open(&r, dfd), 0);
    CHECK_INT(log_reader_seek_tail(&r, 2), 0);
    struct collected d = { 0 };
    read_all_records(&r, &d);
    CHECK_STR(d.text.data, "1:more\n2:after\n");
    buf_free(&d.text);
    log_reader_close(&r);
}

/* Enough data for several index entries; since must land at or before the
 * first record with that time, and not read the whole file. */
static void test_since_index(int dfd)
{
    unlinkat(dfd, LOG_FILE_NAME, 0);
    unlinkat(dfd, LOG_INDEX_NAME, 0);
    struct log_writer w;
    CHECK_INT(log_writer_open(&w, dfd), 0);
    static char chunk[4096];
    memset(chunk, 'x', sizeof chunk - 1);
    chunk[sizeof chunk - 1] = '\n';
    int n = 4000; /* ~16 MB: 15 index entries */
    for (int i = 0; i < n; i++)
        CHECK_INT(log_writer_append(&w, 1, 1000 + i, chunk, sizeof chunk, false), 0);
    log_writer_close(&w);
    struct stat st;
    CHECK_INT(fstatat(dfd, LOG_INDEX_NAME, &st, 0), 0);
    CHECK(st.st_size >= 15 * 16, "index has %lld bytes", (long long)st.st_size);

    struct log_reader r;
    CHECK_INT(log_reader_open(&r, dfd), 0);
    int64_t since = 1000 + 3000;
    CHECK_INT(log_reader_seek_time(&r, since), 0);
    CHECK(r.pos > LOG_FILE_HDR, "since should skip ahead, pos %llu", (unsigned long long)r.pos);
    struct log_record rec;
    int skipped = 0;
    int64_t first = -1;
    while (log_reader_next(&r, &rec) == 1) {
        if (rec.ts < since) {
            skipped++;
            continue;
        }
        if (first < 0)
            first = rec.ts;
    }
    CHECK_INT(first, since);
    CHECK(skipped <= (int)(LOG_INDEX_STEP / sizeof chunk) + 1, "read %d records too many", skipped);
    log_reader_close(&r);
}

int main(void)
{
    char tmpl[] = "/tmp/berth-test-log-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL, "mkdtemp");
    int dfd = open(tmpl, O_PATH | O_DIRECTORY);
    test_roundtrip(dfd);
    test_reopen_appends_and_drops_torn(dfd);
    test_since_index(dfd);
    close(dfd);
    rm_rf(tmpl);
    return check_exit();
}
