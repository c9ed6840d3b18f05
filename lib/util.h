/* util.h - small helpers shared by libberth and berth-monitor: memory,
 * strings, string vectors, files and time. Allocation failure aborts:
 * an engine that cannot allocate a few bytes cannot keep its promises. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline bool str_eq(const char *a, const char *b)
{
    return a && b && __builtin_strcmp(a, b) == 0;
}
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* true if s is non-empty and only lowercase hex digits */
bool str_is_hex(const char *s);

/* NULL-terminated string vectors. */
size_t strv_length(char *const *v);
/* Appends a copy of s; *v may be NULL. */
void strv_push(char ***v, const char *s);
/* Appends s, taking ownership. */
void strv_push_take(char ***v, char *s);
char **strv_copy(char *const *v);
bool strv_contains(char *const *v, const char *s);

/* A growable byte buffer. */
typedef struct buf {
    char *data;
    size_t len, cap;
} buf_t;
void buf_append(buf_t *b, const void *data, size_t len);
void buf_appendf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(buf_t *b);
/* Appends s as a JSON string literal (quotes and escapes included); s must
 * be UTF-8, as everything that reaches the state database is. */
void buf_append_json_str(buf_t *b, const char *s);
/* Returns the NUL-terminated contents and resets b. */
char *buf_steal(buf_t *b);

/* Files. Return 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);
/* Removes path recursively without following symlinks or descending into
 * mount points (-EBUSY); ENOENT is success. */
int rm_rf(const char *path);
int rm_rf_at(int dirfd, const char *name);
/* Writes a file atomically (temporary file, then rename). */
int write_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                  bool sync);
int write_file(const char *path, const void *data, size_t len, mode_t mode);
/* Creates (or truncates) and writes a file in place, for files that nobody
 * reads until the writer says so: no temporary file, no rename. */
int write_new_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* Reads a whole file; *out is NUL-terminated and owned by the caller. */
int read_file_at(int dirfd, const char *name, char **out, size_t *len);
int read_file(const char *path, char **out, size_t *len);
/* Bytes in the files under path (st_size of everything but directories,
 * each inode once, this filesystem only), as Docker measures a container's
 * writable layer. 0 when it cannot be read. */
int64_t dir_size(const char *path);
int write_all(int fd, const void *data, size_t len);
/* writev until every byte of the n buffers is written (iov is changed). */
struct iovec;
int writev_all(int fd, struct iovec *iov, int n);
ssize_t read_all(int fd, void *data, size_t len);
/* Copies src_fd to dst_fd until EOF. Returns bytes copied or -errno. */
int64_t copy_fd(int src_fd, int dst_fd);
int set_cloexec(int fd, bool on);
int set_nonblock(int fd, bool on);

/* Go's path.Clean of "/" + path: absolute, "." and empty components
 * dropped, ".." stopping at "/". Caller frees. */
char *path_clean_abs(const char *path);

/* Time. */
int64_t now_ns(void);
int64_t monotonic_ns(void);
/* Go's RFC3339Nano ("2006-01-02T15:04:05.999999999Z"); 0 gives Go's zero
 * time "0001-01-01T00:00:00Z". buf must hold 40 bytes. */
void format_rfc3339nano(int64_t ns, char *buf, size_t size);
/* The same with always nine digits of fraction, as `docker logs -t`. */
void format_rfc3339nano_fixed(int64_t ns, char *buf, size_t size);
/* Parses RFC3339 (with optional fraction and zone offset). */
int parse_rfc3339(const char *s, int64_t *ns_out);
/* Parses a Go duration ("1h2m3.5s", "300ms"). */
int parse_go_duration(const char *s, int64_t *ns_out);
/* Docker's --since/--until: RFC3339, a date, a Unix time ("1700000000.5"),
 * or a duration before now ("10m"). */
int parse_time_arg(const char *s, int64_t now, int64_t *ns_out);

/* Random lowercase hex of n bytes (2n digits) into out (2n+1 bytes). */
int random_hex(char *out, size_t nbytes);

/* Docker's (go-units) HumanDuration: "Less than a second", "About a
 * minute", "3 hours", "2 weeks"... into buf. */
void human_duration(int64_t ns, char *buf, size_t size);
/* Drops from memory the never-written loadable segments (code, read-only
 * data) of the loaded objects that select picks by path ("" is the
 * executable): for code a process will not run again. */
void drop_readonly_pages(bool (*select)(const char *path, void *userdata), void *userdata);

#endif
