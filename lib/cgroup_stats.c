/* cgroup_stats.c - reading a container's cgroup into Docker's stats
 * shapes, the way moby (through containerd's cgroups packages) does:
 *
 * v1: cpuacct.usage, cpuacct.usage_percpu, cpuacct.stat (clock ticks) and
 *     cpu.stat (throttling); memory.usage_in_bytes, max_usage_in_bytes,
 *     failcnt, limit_in_bytes and memory.stat; blkio.throttle.*_recursive;
 *     pids.current and pids.max.
 * v2: cpu.stat (microseconds); memory.current, memory.max, memory.stat;
 *     io.stat (rbytes/wbytes, rios/wios as "read"/"write" entries);
 *     pids.current and pids.max.
 *
 * Times are reported in nanoseconds. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_stats.h"
#include "cgroups.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

void cgroup_dirs_host(const char *cgroup_path, struct cgroup_dirs *out)
{
    memset(out, 0, sizeof *out);
    out->v2 = cgroup_is_v2();
    if (out->v2) {
        out->unified = xasprintf(CGROUP_ROOT "%s", cgroup_path);
        return;
    }
    out->cpu = xasprintf(CGROUP_ROOT "/cpu%s", cgroup_path);
    out->cpuacct = xasprintf(CGROUP_ROOT "/cpuacct%s", cgroup_path);
    out->memory = xasprintf(CGROUP_ROOT "/memory%s", cgroup_path);
    out->blkio = xasprintf(CGROUP_ROOT "/blkio%s", cgroup_path);
    out->pids = xasprintf(CGROUP_ROOT "/pids%s", cgroup_path);
}

void cgroup_dirs_free(struct cgroup_dirs *d)
{
    free(d->unified);
    free(d->cpu);
    free(d->cpuacct);
    free(d->memory);
    free(d->blkio);
    free(d->pids);
    memset(d, 0, sizeof *d);
}

/* The contents of dir/name, or NULL (errno set). */
static char *slurp(const char *dir, const char *name)
{
    if (!dir) {
        errno = ENOENT;
        return NULL;
    }
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
    char *c = NULL;
    int r = read_file(p, &c, NULL);
    if (r < 0) {
        errno = -r;
        return NULL;
    }
    return c;
}

/* A file holding one number, or "max" (*unlimited set). 0 or -errno. */
static int read_u64(const char *dir, const char *name, uint64_t *v, bool *unlimited)
{
    _cleanup_free_ char *c = slurp(dir, name);
    if (!c)
        return -errno;
    if (unlimited)
        *unlimited = strncmp(c, "max", 3) == 0;
    *v = strtoull(c, NULL, 10);
    return 0;
}

/* "key value" lines into a JSON object of integers (values that are not
 * numbers are skipped). */
static json_t *keyed(const char *text)
{
    json_t *o = json_object();
    if (!text)
        return o;
    _cleanup_free_ char *copy = xstrdup(text);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[128];
        unsigned long long v;
        if (sscanf(line, "%127s %llu", key, &v) == 2)
            json_object_set_new(o, key, json_integer((json_int_t)v));
    }
    return o;
}

static uint64_t key_u64(const json_t *o, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(o, key));
}

static json_t *jint(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *throttling(uint64_t periods, uint64_t throttled, uint64_t time_ns)
{
    return json_pack("{s:o, s:o, s:o}", "periods", jint(periods), "throttled_periods",
                     jint(throttled), "throttled_time", jint(time_ns));
}

static json_t *blkio_null(void)
{
    static const char *const keys[] = { "io_service_bytes_recursive", "io_serviced_recursive",
                                        "io_queue_recursive",         "io_service_time_recursive",
                                        "io_wait_time_recursive",     "io_merged_recursive",
                                        "io_time_recursive",          "sectors_recursive" };
    json_t *o = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        json_object_set_new(o, keys[i], json_null());
    return o;
}

static json_t *blkio_entry(unsigned maj, unsigned min, const char *op, uint64_t v)
{
    return json_pack("{s:i, s:i, s:s, s:o}", "major", (int)maj, "minor", (int)min, "op", op,
                     "value", jint(v));
}

static json_t *pids_stats(const char *dir)
{
    json_t *p = json_object();
    uint64_t cur = 0, max = 0;
    bool unlimited = false;
    if (read_u64(dir, "pids.current", &cur, NULL) == 0)
        json_object_set_new(p, "current", jint(cur));
    /* no limit: left out, as containerd reports it as 0 (omitempty) */
    if (read_u64(dir, "pids.max", &max, &unlimited) == 0 && !unlimited)
        json_object_set_new(p, "limit", jint(max));
    return p;
}

/* ---- cgroup v1 ---------------------------------------------------------- */

/* blkio.throttle.*_recursive: "MAJ:MIN Op value" lines; the last "Total
 * N" line (two fields) is left out, as containerd does. */
static json_t *blkio_v1_list(const char *dir, const char *name)
{
    _cleanup_free_ char *c = slurp(dir, name);
    json_t *a = json_array();
    if (!c)
        return a;
    char *save = NULL;
    for (char *line = strtok_r(c, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned maj, min;
        char op[32];
        unsigned long long v;
        if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
            json_array_append_new(a, blkio_entry(maj, min, op, v));
    }
    return a;
}

static int read_v1(const struct cgroup_dirs *d, uint64_t host_mem, json_t *doc)
{
    uint64_t total = 0;
    int r = read_u64(d->cpuacct, "cpuacct.usage", &total, NULL);
    if (r < 0)
        return r;
    json_t *percpu = json_array();
    _cleanup_free_ char *pc = slurp(d->cpuacct, "cpuacct.usage_percpu");
    for (char *p = pc; p && *p;) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p)
            break;
        json_array_append_new(percpu, jint(v));
        p = end;
    }
    _cleanup_free_ char *st = slurp(d->cpuacct, "cpuacct.stat");
    json_t *ticks = keyed(st);
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t per_tick = hz > 0 ? 1000000000ULL / (uint64_t)hz : 10000000ULL;
    json_t *usage =
        json_pack("{s:o, s:o, s:o, s:o}", "total_usage", jint(total), "percpu_usage", percpu,
                  "usage_in_kernelmode", jint(key_u64(ticks, "system") * per_tick),
                  "usage_in_usermode", jint(key_u64(ticks, "user") * per_tick));
    json_decref(ticks);
    _cleanup_free_ char *cs = slurp(d->cpu, "cpu.stat");
    json_t *cpu_stat = keyed(cs);
    json_object_set_new(
        doc, "cpu_stats",
        json_pack("{s:o, s:o}", "cpu_usage", usage, "throttling_data",
                  throttling(key_u64(cpu_stat, "nr_periods"), key_u64(cpu_stat, "nr_throttled"),
                             key_u64(cpu_stat, "throttled_time"))));
    json_decref(cpu_stat);

    json_t *mem = json_object();
    uint64_t v = 0;
    if (read_u64(d->memory, "memory.usage_in_bytes", &v, NULL) == 0)
        json_object_set_new(mem, "usage", jint(v));
    if (read_u64(d->memory, "memory.max_usage_in_bytes", &v, NULL) == 0)
        json_object_set_new(mem, "max_usage", jint(v));
    _cleanup_free_ char *ms = slurp(d->memory, "memory.stat");
    json_object_set_new(mem, "stats", keyed(ms));
    if (read_u64(d->memory, "memory.failcnt", &v, NULL) == 0 && v)
        json_object_set_new(mem, "failcnt", jint(v));
    if (read_u64(d->memory, "memory.limit_in_bytes", &v, NULL) == 0)
        json_object_set_new(mem, "limit", jint(host_mem && v > host_mem ? host_mem : v));
    json_object_set_new(doc, "memory_stats", mem);

    json_t *blk = blkio_null();
    json_object_set_new(blk, "io_service_bytes_recursive",
                        blkio_v1_list(d->blkio, "blkio.throttle.io_service_bytes_recursive"));
    json_object_set_new(blk, "io_serviced_recursive",
                        blkio_v1_list(d->blkio, "blkio.throttle.io_serviced_recursive"));
    json_object_set_new(doc, "blkio_stats", blk);
    json_object_set_new(doc, "pids_stats", pids_stats(d->pids));
    return 0;
}

/* ---- cgroup v2 ---------------------------------------------------------- */

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static void io_v2(const char *dir, json_t *blk)
{
    json_t *bytes = json_array(), *ios = json_array();
    _cleanup_free_ char *c = slurp(dir, "io.stat");
    char *save = NULL;
    for (char *line = c ? strtok_r(c, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        unsigned maj, min;
        int off = 0;
        if (sscanf(line, "%u:%u%n", &maj, &min, &off) != 2)
            continue;
        uint64_t rb = 0, wb = 0, ri = 0, wi = 0;
        char *save2 = NULL;
        for (char *kv = strtok_r(line + off, " ", &save2); kv; kv = strtok_r(NULL, " ", &save2)) {
            char *eq = strchr(kv, '=');
            if (!eq)
                continue;
            *eq = '\0';
            uint64_t n = strtoull(eq + 1, NULL, 10);
            if (strcmp(kv, "rbytes") == 0)
                rb = n;
            else if (strcmp(kv, "wbytes") == 0)
                wb = n;
            else if (strcmp(kv, "rios") == 0)
                ri = n;
            else if (strcmp(kv, "wios") == 0)
                wi = n;
        }
        json_array_append_new(bytes, blkio_entry(maj, min, "read", rb));
        json_array_append_new(bytes, blkio_entry(maj, min, "write", wb));
        json_array_append_new(ios, blkio_entry(maj, min, "read", ri));
        json_array_append_new(ios, blkio_entry(maj, min, "write", wi));
    }
    json_object_set_new(blk, "io_service_bytes_recursive", bytes);
    json_object_set_new(blk, "io_serviced_recursive", ios);
}

static int read_v2(const struct cgroup_dirs *d, uint64_t host_mem, json_t *doc)
{
    _cleanup_free_ char *cs = slurp(d->unified, "cpu.stat");
    if (!cs)
        return -errno;
    json_t *cpu = keyed(cs);
    json_t *usage =
        json_pack("{s:o, s:o, s:o}", "total_usage", jint(key_u64(cpu, "usage_usec") * 1000),
                  "usage_in_kernelmode", jint(key_u64(cpu, "system_usec") * 1000),
                  "usage_in_usermode", jint(key_u64(cpu, "user_usec") * 1000));
    json_object_set_new(
        doc, "cpu_stats",
        json_pack("{s:o, s:o}", "cpu_usage", usage, "throttling_data",
                  throttling(key_u64(cpu, "nr_periods"), key_u64(cpu, "nr_throttled"),
                             key_u64(cpu, "throttled_usec") * 1000)));
    json_decref(cpu);

    json_t *mem = json_object();
    uint64_t v = 0;
    bool unlimited = false;
    if (read_u64(d->unified, "memory.current", &v, NULL) == 0)
        json_object_set_new(mem, "usage", jint(v));
    _cleanup_free_ char *ms = slurp(d->unified, "memory.stat");
    json_object_set_new(mem, "stats", keyed(ms));
    if (read_u64(d->unified, "memory.max", &v, &unlimited) == 0) {
        if (unlimited || (host_mem && v > host_mem))
            v = host_mem;
        json_object_set_new(mem, "limit", jint(v));
    }
    json_object_set_new(doc, "memory_stats", mem);

    json_t *blk = blkio_null();
    io_v2(d->unified, blk);
    json_object_set_new(doc, "blkio_stats", blk);
    json_object_set_new(doc, "pids_stats", pids_stats(d->unified));
    return 0;
}

int cgroup_stats_read(const struct cgroup_dirs *d, uint64_t host_mem, json_t *doc)
{
    return d->v2 ? read_v2(d, host_mem, doc) : read_v1(d, host_mem, doc);
}

int cgroup_procs(const struct cgroup_dirs *d, pid_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    _cleanup_free_ char *c =
        slurp(d->v2 ? d->unified : (d->pids ? d->pids : d->memory), "cgroup.procs");
    if (!c)
        return -errno;
    size_t cap = 0;
    for (char *p = c; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = (pid_t)v;
        p = end;
    }
    return 0;
}
