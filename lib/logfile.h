/* logfile.h - the container log format, written by berth-monitor and read
 * by the engine.
 *
 * container.log: a 16-byte file header ("BERTHLG1", u32 version, u32 0),
 * then records, all integers little-endian:
 *     u32 length, u8 stream (1 stdout, 2 stderr), u8 flags, u16 0x4c47,
 *     i64 time (Unix ns, when the monitor read the bytes),
 *     length bytes of output exactly as the container wrote them,
 *     u32 length again.
 * A record holds what one read() returned, so writing costs one writev per
 * read whatever the line lengths. LOG_F_PARTIAL marks a record whose last
 * line goes on in a later record of the same stream. The trailing length
 * lets a reader walk backwards from the end (tail=N), and a torn last record
 * is detected and dropped on the next open.
 *
 * container.log.idx: (u64 offset, i64 time) of the first record written
 * after each LOG_INDEX_STEP bytes, so `since` finds its starting point by
 * binary search and reads at most one step too much.
 */
#ifndef BERTH_LOGFILE_H
#define BERTH_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_FILE_NAME   "container.log"
#define LOG_INDEX_NAME  "container.log.idx"
#define LOG_FILE_HDR    16
#define LOG_REC_HDR     16
#define LOG_REC_TRAILER 4
#define LOG_REC_MARK    0x4c47
#define LOG_INDEX_STEP  (1u << 20)
#define LOG_MAX_RECORD  (16u << 20)
#define LOG_F_PARTIAL   1

struct log_writer {
    int fd;
    int idx_fd;
    uint64_t size;
    uint64_t last_indexed;
};

/* Opens dirfd/LOG_FILE_NAME for appending, creating it or dropping a torn
 * last record. Returns 0 or -errno. */
int log_writer_open(struct log_writer *w, int dirfd);
int log_writer_append(struct log_writer *w, int stream, int64_t ts, const void *data, size_t len,
                      bool partial);
void log_writer_close(struct log_writer *w);

struct log_record {
    uint8_t stream;
    uint8_t flags;
    int64_t ts;
    const char *data; /* valid until the next log_reader call */
    uint32_t len;
};

struct log_reader {
    int fd;
    int idx_fd;
    uint64_t pos;  /* offset of the next record */
    uint32_t skip; /* bytes of that record's data to drop (after a tail seek) */
    char *buf;
    size_t cap;
    uint64_t buf_off;
    size_t buf_len;
};

/* Opens dirfd/LOG_FILE_NAME for reading; -ENOENT when there is no log yet. */
int log_reader_open(struct log_reader *r, int dirfd);
/* 1 and a record, 0 when no whole record follows yet, or -errno. */
int log_reader_next(struct log_reader *r, struct log_record *rec);
/* Positions at a record at or before the first one read at or after ts. */
int log_reader_seek_time(struct log_reader *r, int64_t ts);
/* Positions at the start of the n-th line from the end (n >= 0). */
int log_reader_seek_tail(struct log_reader *r, long n);
void log_reader_close(struct log_reader *r);

#endif
