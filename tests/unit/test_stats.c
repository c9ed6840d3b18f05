/* test_stats.c - the stats readers on recorded cgroup and /proc files
 * (tests/unit/data): cgroup v2 (unified: cpu.stat in microseconds,
 * memory.current/max/stat, io.stat, pids), cgroup v1 (a hierarchy per
 * controller) and /proc/stat, /proc/meminfo, /proc/<pid>/net/dev. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_stats.h"
#include "check.h"
#include "proc_stats.h"
#include "util.h"

static const char *data;

static char *path(const char *rel)
{
    return xasprintf("%s/%s", data, rel);
}

static long long at(const json_t *doc, const char *p)
{
    /* "a.b.c" */
    _cleanup_free_ char *copy = xstrdup(p);
    const json_t *o = doc;
    char *save = NULL;
    for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
        o = json_object_get(o, k);
    if (!json_is_integer(o)) {
        fprintf(stderr, "%s: not an integer\n", p);
        return -1;
    }
    return json_integer_value(o);
}

static void check_entry(const json_t *a, size_t i, int maj, int min, const char *op, long long v)
{
    const json_t *e = json_array_get(a, i);
    CHECK_INT(json_integer_value(json_object_get(e, "major")), maj);
    CHECK_INT(json_integer_value(json_object_get(e, "minor")), min);
    CHECK_STR(json_string_value(json_object_get(e, "op")), op);
    CHECK_INT(json_integer_value(json_object_get(e, "value")), v);
}

static const uint64_t HOST_MEM = 24683656ULL * 1024;

static void test_v2(void)
{
    struct cgroup_dirs d = { .v2 = true, .unified = path("cgroup-v2") };
    json_t *doc = json_object();
    CHECK_INT(cgroup_stats_read(&d, HOST_MEM, doc), 0);
    /* microseconds become nanoseconds */
    CHECK_INT(at(doc, "cpu_stats.cpu_usage.total_usage"), 2345678000LL);
    CHECK_INT(at(doc, "cpu_stats.cpu_usage.usage_in_usermode"), 1500000000LL);
    CHECK_INT(at(doc, "cpu_stats.cpu_usage.usage_in_kernelmode"), 845678000LL);
    CHECK(!json_object_get(json_object_get(json_object_get(doc, "cpu_stats"), "cpu_usage"),
                           "percpu_usage"),
          "v2 has no per-CPU usage");
    CHECK_INT(at(doc, "cpu_stats.throttling_data.periods"), 120);
    CHECK_INT(at(doc, "cpu_stats.throttling_data.throttled_periods"), 7);
    CHECK_INT(at(doc, "cpu_stats.throttling_data.throttled_time"), 56789000LL);
    CHECK_INT(at(doc, "memory_stats.usage"), 8785920);
    /* memory.max "max": the host's memory, as Docker */
    CHECK_INT(at(doc, "memory_stats.limit"), (long long)HOST_MEM);
    CHECK(!json_object_get(json_object_get(doc, "memory_stats"), "max_usage"),
          "v2 has no max_usage");
    CHECK_INT(at(doc, "memory_stats.stats.inactive_file"), 4775936);
    CHECK_INT(at(doc, "memory_stats.stats.anon"), 2101248);
    CHECK_INT(at(doc, "memory_stats.stats.pgmajfault"), 12);
    CHECK_INT(json_object_size(json_object_get(json_object_get(doc, "memory_stats"), "stats")), 51);
    json_t *blk = json_object_get(doc, "blkio_stats");
    json_t *bytes = json_object_get(blk, "io_service_bytes_recursive");
    json_t *ios = json_object_get(blk, "io_serviced_recursive");
    CHECK_INT(json_array_size(bytes), 4);
    check_entry(bytes, 0, 8, 0, "read", 1130496);
    check_entry(bytes, 1, 8, 0, "write", 4096);
    check_entry(bytes, 2, 253, 1, "read", 0);
    check_entry(bytes, 3, 253, 1, "write", 8192);
    CHECK_INT(json_array_size(ios), 4);
    check_entry(ios, 0, 8, 0, "read", 45);
    check_entry(ios, 1, 8, 0, "write", 1);
    check_entry(ios, 3, 253, 1, "write", 2);
    CHECK(json_is_null(json_object_get(blk, "sectors_recursive")), "v2 has no sectors");
    CHECK_INT(at(doc, "pids_stats.current"), 3);
    CHECK_INT(at(doc, "pids_stats.limit"), 512);

    pid_t *pids = NULL;
    size_t n = 0;
    CHECK_INT(cgroup_procs(&d, &pids, &n), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(pids[0], 4242);
        CHECK_INT(pids[2], 4251);
    }
    free(pids);
    json_decref(doc);
    cgroup_dirs_free(&d);

    /* a memory limit below the host's is reported as it is; no pids limit */
    d.v2 = true;
    d.unified = path("cgroup-v2-limited");
    doc = json_object();
    CHECK_INT(cgroup_stats_read(&d, HOST_MEM, doc), 0);
    CHECK_INT(at(doc, "cpu_stats.cpu_usage.total_usage"), 10000);
    CHECK_INT(at(doc, "cpu_stats.throttling_data.periods"), 0);
    CHECK_INT(at(doc, "memory_stats.limit"), 67108864);
    CHECK_INT(at(doc, "pids_stats.current"), 1);
    CHECK(!json_object_get(json_object_get(doc, "pids_stats"), "limit"), "pids.max max");
    CHECK_INT(json_array_size(json_object_get(json_object_get(doc, "blkio_stats"),
                                              "io_service_bytes_recursive")),
              0);
    json_decref(doc);
    cgroup_dirs_free(&d);

    /* a cgroup that is gone (the container stopped) */
    d.v2 = true;
    d.unified = path("no-such-cgroup");
    doc = json_object();
    CHECK(cgroup_stats_read(&d, HOST_MEM, doc) < 0, "missing cgroup");
    json_decref(doc);
    cgroup_dirs_free(&d);
}

static void test_v1(void)
{
    struct cgroup_dirs d = {
        .cpu = path("cgroup-v1/cpu"),
        .cpuacct = path("cgroup-v1/cpuacct"),
        .memory = path("cgroup-v1/memory"),
        .blkio = path("cgroup-v1/blkio"),
        .pids = path("cgroup-v1/pids"),
    };
    json_t *doc = json_object();
    CHECK_INT(cgroup_stats_read(&d, HOST_MEM, doc), 0);
    CHECK_INT(at(doc, "cpu_stats.cpu_usage.total_usage"), 3581295);
    json_t *percpu = json_object_get(
        json_object_get(json_object_get(doc, "cpu_stats"), "cpu_usage"), "percpu_usage");
    CHECK_INT(json_array_size(percpu), 2);
    CHECK_INT(json_integer_value(json_array_get(percpu, 1)), 3045481);
    /* cpuacct.stat counts clock ticks */
    long long tick = 1000000000LL / sysconf(_SC_CLK_TCK);
    CHECK_INT(at(doc, "cpu_stats.cpu_usage.usage_in_usermode"), 12 * tick);
    CHECK_INT(at(doc, "cpu_stats.cpu_usage.usage_in_kernelmode"), 3 * tick);
    CHECK_INT(at(doc, "cpu_stats.throttling_data.periods"), 4);
    CHECK_INT(at(doc, "cpu_stats.throttling_data.throttled_periods"), 1);
    CHECK_INT(at(doc, "cpu_stats.throttling_data.throttled_time"), 900000);
    CHECK_INT(at(doc, "memory_stats.usage"), 323584);
    CHECK_INT(at(doc, "memory_stats.max_usage"), 770048);
    CHECK_INT(at(doc, "memory_stats.limit"), (long long)HOST_MEM);
    CHECK_INT(at(doc, "memory_stats.stats.total_inactive_file"), 0);
    CHECK_INT(at(doc, "memory_stats.stats.rss"), 102400);
    CHECK(!json_object_get(json_object_get(doc, "memory_stats"), "failcnt"), "failcnt 0");
    json_t *bytes =
        json_object_get(json_object_get(doc, "blkio_stats"), "io_service_bytes_recursive");
    /* every per-device line, not the last "Total" */
    CHECK_INT(json_array_size(bytes), 6);
    check_entry(bytes, 0, 8, 0, "Read", 4096);
    check_entry(bytes, 1, 8, 0, "Write", 12288);
    check_entry(bytes, 5, 8, 0, "Total", 16384);
    json_t *ios = json_object_get(json_object_get(doc, "blkio_stats"), "io_serviced_recursive");
    check_entry(ios, 1, 8, 0, "Write", 3);
    CHECK_INT(at(doc, "pids_stats.current"), 2);
    CHECK(!json_object_get(json_object_get(doc, "pids_stats"), "limit"), "pids.max max");
    pid_t *pids = NULL;
    size_t n = 0;
    CHECK_INT(cgroup_procs(&d, &pids, &n), 0);
    CHECK_INT(n, 2);
    if (n == 2)
        CHECK_INT(pids[1], 11368);
    free(pids);
    json_decref(doc);
    cgroup_dirs_free(&d);
}

static char *slurp(const char *rel)
{
    _cleanup_free_ char *p = path(rel);
    char *c = NULL;
    CHECK_INT(read_file(p, &c, NULL), 0);
    return c;
}

static void test_proc(void)
{
    _cleanup_free_ char *st = slurp("proc/stat");
    /* cpu  529117 0 426058 1584063 27988 0 4815 (13324 steal is not counted) */
    CHECK_INT(proc_stat_system_ns(st, 100),
              (529117LL + 426058 + 1584063 + 27988 + 4815) * 10000000LL);
    CHECK_INT(proc_stat_system_ns("garbage", 100), 0);
    _cleanup_free_ char *mi = slurp("proc/meminfo");
    CHECK_INT(proc_meminfo_total(mi), (long long)HOST_MEM);
    CHECK_INT(proc_meminfo_total("MemFree: 1 kB\n"), 0);
    _cleanup_free_ char *nd = slurp("proc/net-dev");
    json_t *nets = proc_net_dev(nd);
    CHECK(!json_object_get(nets, "lo"), "loopback is left out");
    CHECK_INT(json_object_size(nets), 1);
    CHECK_INT(at(nets, "eth0.rx_bytes"), 109875881);
    CHECK_INT(at(nets, "eth0.rx_packets"), 3026);
    CHECK_INT(at(nets, "eth0.rx_errors"), 1);
    CHECK_INT(at(nets, "eth0.rx_dropped"), 2);
    CHECK_INT(at(nets, "eth0.tx_bytes"), 133084);
    CHECK_INT(at(nets, "eth0.tx_packets"), 1804);
    CHECK_INT(at(nets, "eth0.tx_errors"), 3);
    CHECK_INT(at(nets, "eth0.tx_dropped"), 4);
    json_decref(nets);
}

int main(void)
{
    data = getenv("BERTH_TEST_DATA");
    if (!data) {
        fprintf(stderr, "BERTH_TEST_DATA is not set\n");
        return 1;
    }
    test_v2();
    test_v1();
    test_proc();
    return check_exit();
}
