/* logfile.c - writer and reader of the container log format (logfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "logfile.h"
#include "util.h"

static const char file_magic[8] = { 'B', 'E', 'R', 'T', 'H', 'L', 'G', '1' };

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = v >> (8 * i);
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = v >> (8 * i);
}

static uint32_t get_le32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

struct rec_hdr {
    uint32_t len;
    uint8_t stream, flags;
    int64_t ts;
};

static bool parse_hdr(const unsigned char *p, struct rec_hdr *h)
{
    h->len = get_le32(p);
    h->stream = p[4];
    h->flags = p[5];
    uint16_t mark = p[6] | p[7] << 8;
    h->ts = (int64_t)get_le64(p + 8);
    return mark == LOG_REC_MARK && h->len <= LOG_MAX_RECORD && (h->stream == 1 || h->stream == 2);
}

static ssize_t pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, off + got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        got += n;
    }
    return got;
}

/* A whole record header starts at off (the index is trusted no further
 * than this: a damaged one must not send a reader astray). */
static bool record_at(int fd, uint64_t off)
{
    struct stat st;
    unsigned char hb[LOG_REC_HDR];
    struct rec_hdr h;
    return off >= LOG_FILE_HDR && fstat(fd, &st) == 0 && off < (uint64_t)st.st_size &&
           pread_all(fd, hb, sizeof hb, off) == (ssize_t)sizeof hb && parse_hdr(hb, &h);
}

/* Returns the offset just past the last whole record, scanning forward
 * from start (a record boundary). */
static uint64_t scan_valid_end(int fd, uint64_t start, uint64_t size)
{
    uint64_t pos = start;
    unsigned char hb[LOG_REC_HDR], tb[LOG_REC_TRAILER];
    while (pos + LOG_REC_HDR + LOG_REC_TRAILER <= size) {
        struct rec_hdr h;
        if (pread_all(fd, hb, sizeof hb, pos) != (ssize_t)sizeof hb || !parse_hdr(hb, &h))
            break;
        uint64_t end = pos + LOG_REC_HDR + h.len + LOG_REC_TRAILER;
        if (end > size ||
            pread_all(fd, tb, sizeof tb, end - LOG_REC_TRAILER) != (ssize_t)sizeof tb ||
            get_le32(tb) != h.len)
            break;
        pos = end;
    }
    return pos;
}

/* The offset of the last index entry at or before limit, or the header. */
static uint64_t index_floor(int fd, int idx_fd, uint64_t limit)
{
    struct stat st;
    if (idx_fd < 0 || fstat(idx_fd, &st) < 0)
        return LOG_FILE_HDR;
    uint64_t n = st.st_size / 16, best = LOG_FILE_HDR;
    for (uint64_t lo = 0, hi = n; lo < hi;) {
        uint64_t mid = (lo + hi) / 2;
        unsigned char e[16];
        if (pread_all(idx_fd, e, 16, mid * 16) != 16)
            break;
        uint64_t off = get_le64(e);
        if (off <= limit) {
            best = off;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return record_at(fd, best) ? best : LOG_FILE_HDR;
}

int log_writer_open(struct log_writer *w, int dirfd)
{
    w->fd = openat(dirfd, LOG_FILE_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (w->fd < 0)
        return -errno;
    w->idx_fd = openat(dirfd, LOG_INDEX_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (w->idx_fd < 0) {
        int e = errno;
        close(w->fd);
        return -e;
    }
    struct stat st;
    if (fstat(w->fd, &st) < 0)
        goto fail;
    unsigned char hdr[LOG_FILE_HDR];
    if (st.st_size < LOG_FILE_HDR || pread_all(w->fd, hdr, sizeof hdr, 0) != LOG_FILE_HDR ||
        memcmp(hdr, file_magic, sizeof file_magic) != 0) {
        /* new, or not ours: start afresh */
        memset(hdr, 0, sizeof hdr);
        memcpy(hdr, file_magic, sizeof file_magic);
        put_le32(hdr + 8, 1);
        if (ftruncate(w->fd, 0) < 0 || ftruncate(w->idx_fd, 0) < 0 ||
            pwrite(w->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr)
            goto fail;
        w->size = LOG_FILE_HDR;
        w->last_indexed = LOG_FILE_HDR;
    } else {
        uint64_t size = st.st_size;
        uint64_t start = index_floor(w->fd, w->idx_fd, size);
        uint64_t end = scan_valid_end(w->fd, start, size);
        if (end != size && ftruncate(w->fd, end) < 0)
            goto fail;
        /* drop index entries that point past the end */
        struct stat ist;
        if (fstat(w->idx_fd, &ist) == 0) {
            uint64_t n = ist.st_size / 16;
            while (n > 0) {
                unsigned char e[16];
                if (pread_all(w->idx_fd, e, 16, (n - 1) * 16) != 16 || get_le64(e) < end)
                    break;
                n--;
            }
            if (ftruncate(w->idx_fd, n * 16) < 0)
                goto fail;
            w->last_indexed = start;
        }
        w->size = end;
    }
    return 0;
fail:;
    int e = errno;
    close(w->fd);
    close(w->idx_fd);
    w->fd = w->idx_fd = -1;
    return -e;
}

int log_writer_append(struct log_writer *w, int stream, int64_t ts, const void *data, size_t len,
                      bool partial)
{
    if (len == 0 || w->fd < 0)
        return 0; /* nothing asked to be logged (an exec's output) */
    if (len > LOG_MAX_RECORD)
        return -E2BIG;
    unsigned char hdr[LOG_REC_HDR], trl[LOG_REC_TRAILER];
    put_le32(hdr, (uint32_t)len);
    hdr[4] = (uint8_t)stream;
    hdr[5] = partial ? LOG_F_PARTIAL : 0;
    hdr[6] = LOG_REC_MARK & 0xff;
    hdr[7] = LOG_REC_MARK >> 8;
    put_le64(hdr + 8, (uint64_t)ts);
    put_le32(trl, (uint32_t)len);
    if (w->size - w->last_indexed >= LOG_INDEX_STEP) {
        unsigned char e[16];
        put_le64(e, w->size);
        put_le64(e + 8, (uint64_t)ts);
        struct stat ist;
        if (fstat(w->idx_fd, &ist) == 0 &&
            pwrite(w->idx_fd, e, sizeof e, ist.st_size - ist.st_size % 16) == (ssize_t)sizeof e)
            w->last_indexed = w->size;
    }
    struct iovec iov[3] = { { hdr, sizeof hdr }, { (void *)data, len }, { trl, sizeof trl } };
    size_t total = sizeof hdr + len + sizeof trl, done = 0;
    while (done < total) {
        struct iovec cur[3];
        int k = 0;
        size_t skip = done;
        for (int i = 0; i < 3; i++) {
            if (skip >= iov[i].iov_len) {
                skip -= iov[i].iov_len;
                continue;
            }
            cur[k].iov_base = (char *)iov[i].iov_base + skip;
            cur[k].iov_len = iov[i].iov_len - skip;
            skip = 0;
            k++;
        }
        ssize_t n = pwritev(w->fd, cur, k, w->size + done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            /* leave no torn record behind */
            if (ftruncate(w->fd, w->size) < 0) {
            }
            return -e;
        }
        done += n;
    }
    w->size += total;
    return 0;
}

void log_writer_close(struct log_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->idx_fd >= 0)
        close(w->idx_fd);
    w->fd = w->idx_fd = -1;
}

int log_reader_open(struct log_reader *r, int dirfd)
{
    memset(r, 0, sizeof *r);
    r->idx_fd = -1;
    r->fd = openat(dirfd, LOG_FILE_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (r->fd < 0)
        return -errno;
    r->idx_fd = openat(dirfd, LOG_INDEX_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    r->pos = LOG_FILE_HDR;
    return 0;
}

void log_reader_close(struct log_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    if (r->idx_fd >= 0)
        close(r->idx_fd);
    free(r->buf);
    memset(r, 0, sizeof *r);
    r->fd = r->idx_fd = -1;
}

/* Makes [off, off+len) available in the buffer; returns the bytes there
 * (fewer at the end of the file) or -errno. */
static ssize_t window(struct log_reader *r, uint64_t off, size_t len, const char **out)
{
    /* (written so that no sum can wrap around, whatever off is) */
    if (off >= r->buf_off && off - r->buf_off <= r->buf_len &&
        len <= r->buf_len - (off - r->buf_off)) {
        *out = r->buf + (off - r->buf_off);
        return len;
    }
    size_t want = len < (256u << 10) ? (256u << 10) : len;
    if (r->cap < want) {
        r->buf = xrealloc(r->buf, want);
        r->cap = want;
    }
    ssize_t n = pread_all(r->fd, r->buf, want, off);
    if (n < 0)
        return n;
    r->buf_off = off;
    r->buf_len = n;
    *out = r->buf;
    return (size_t)n < len ? n : (ssize_t)len;
}

int log_reader_next(struct log_reader *r, struct log_record *rec)
{
    const char *p;
    ssize_t n = window(r, r->pos, LOG_REC_HDR, &p);
    if (n < 0)
        return (int)n;
    if (n < LOG_REC_HDR)
        return 0;
    struct rec_hdr h;
    if (!parse_hdr((const unsigned char *)p, &h))
        return -EBADMSG;
    size_t total = LOG_REC_HDR + h.len + LOG_REC_TRAILER;
    n = window(r, r->pos, total, &p);
    if (n < 0)
        return (int)n;
    if ((size_t)n < total)
        return 0;
    if (get_le32((const unsigned char *)p + LOG_REC_HDR + h.len) != h.len)
        return -EBADMSG;
    rec->stream = h.stream;
    rec->flags = h.flags;
    rec->ts = h.ts;
    uint32_t skip = r->skip < h.len ? r->skip : h.len;
    rec->data = p + LOG_REC_HDR + skip;
    rec->len = h.len - skip;
    r->skip = 0;
    r->pos += total;
    return 1;
}

int log_reader_seek_time(struct log_reader *r, int64_t ts)
{
    r->skip = 0;
    r->pos = LOG_FILE_HDR;
    struct stat st;
    if (r->idx_fd < 0 || fstat(r->idx_fd, &st) < 0)
        return 0;
    uint64_t n = st.st_size / 16;
    for (uint64_t lo = 0, hi = n; lo < hi;) {
        uint64_t mid = (lo + hi) / 2;
        unsigned char e[16];
        if (pread_all(r->idx_fd, e, 16, mid * 16) != 16)
            break;
        if ((int64_t)get_le64(e + 8) < ts) {
            r->pos = get_le64(e);
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (!record_at(r->fd, r->pos))
        r->pos = LOG_FILE_HDR;
    return 0;
}

int log_reader_seek_tail(struct log_reader *r, long n)
{
    struct stat st;
    if (fstat(r->fd, &st) < 0)
        return -errno;
    uint64_t end = scan_valid_end(r->fd, index_floor(r->fd, r->idx_fd, st.st_size), st.st_size);
    r->skip = 0;
    if (n <= 0) {
        r->pos = end;
        return 0;
    }
    /* Count newlines backwards. The last line may lack its newline; then
     * it counts as a line of its own. We stop just after the newline that
     * ends the line before the n-th last one. */
    long want = n;
    bool first = true;
    uint64_t pos = end;
    char *data = NULL;
    size_t cap = 0;
    while (pos > LOG_FILE_HDR) {
        unsigned char tb[LOG_REC_TRAILER], hb[LOG_REC_HDR];
        if (pread_all(r->fd, tb, sizeof tb, pos - LOG_REC_TRAILER) != LOG_REC_TRAILER)
            break;
        uint32_t len = get_le32(tb);
        if (pos < LOG_FILE_HDR + LOG_REC_HDR + len + LOG_REC_TRAILER)
            break;
        uint64_t start = pos - LOG_REC_TRAILER - len - LOG_REC_HDR;
        struct rec_hdr h;
        if (pread_all(r->fd, hb, sizeof hb, start) != LOG_REC_HDR || !parse_hdr(hb, &h) ||
            h.len != len)
            break;
        if (cap < len) {
            data = xrealloc(data, len);
            cap = len;
        }
        if (pread_all(r->fd, data, len, start + LOG_REC_HDR) != (ssize_t)len)
            break;
        for (long i = (long)len - 1; i >= 0; i--) {
            if (data[i] != '\n')
                continue;
            if (first && i == (long)len - 1) {
                /* the newline that ends the very last line */
                first = false;
                continue;
            }
            first = false;
            if (--want == 0) {
                free(data);
                if ((uint32_t)i + 1 == len) {
                    /* the line starts with the next record */
                    r->pos = start + LOG_REC_HDR + len + LOG_REC_TRAILER;
                    r->skip = 0;
                } else {
                    r->pos = start;
                    r->skip = (uint32_t)i + 1;
                }
                return 0;
            }
        }
        if (len)
            first = false;
        pos = start;
    }
    free(data);
    r->pos = LOG_FILE_HDR;
    return 0;
}
