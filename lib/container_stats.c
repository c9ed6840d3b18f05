/* container_stats.c - Docker's stats documents for one container: its
 * cgroup (cgroup_stats.c), the machine's CPU time and memory, and the
 * interfaces of its network namespace (/proc/<pid>/net/dev).
 *
 * A handle keeps the previous sample's cpu_stats and time, which become
 * the next document's precpu_stats and preread, as a Docker stats stream
 * does. Each read looks at the container's row again, so a stream ends
 * when the container stops, whoever stopped it. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/stats.h>

#include "cgroup_stats.h"
#include "cgroups.h"
#include "container.h"
#include "container_config.h"
#include "errors.h"
#include "proc_stats.h"
#include "util.h"

struct berth_stats {
    berth_engine *e;
    char *id;
    json_t *prev_cpu; /* the previous sample's cpu_stats, or NULL */
    int64_t prev_read;
    uint64_t host_mem;
};

int berth_stats_open(berth_engine *e, const char *name, berth_stats **out, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    berth_stats *s = xcalloc(1, sizeof *s);
    s->e = e;
    s->id = xstrdup(c->id);
    _cleanup_free_ char *mi = NULL;
    if (read_file("/proc/meminfo", &mi, NULL) == 0)
        s->host_mem = proc_meminfo_total(mi);
    *out = s;
    return 0;
}

void berth_stats_free(berth_stats *s)
{
    if (!s)
        return;
    free(s->id);
    json_decref(s->prev_cpu);
    free(s);
}

static json_t *time_json(int64_t ns)
{
    char b[48];
    format_rfc3339nano(ns, b, sizeof b);
    return json_string(b);
}

/* Docker's cpu_stats of a container that does not run (or of no sample). */
static json_t *empty_cpu(void)
{
    return json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage", 0,
                     "usage_in_kernelmode", 0, "usage_in_usermode", 0, "throttling_data", "periods",
                     0, "throttled_periods", 0, "throttled_time", 0);
}

/* The document's common frame, in Docker's key order. */
static json_t *frame(const struct ctr *c, int64_t read, int64_t preread)
{
    _cleanup_free_ char *name = xasprintf("/%s", c->name);
    return json_pack("{s:o, s:o, s:s, s:s, s:i, s:{}, s:o, s:o, s:{}, s:{}, s:o}", "read",
                     time_json(read), "preread", time_json(preread), "name", name, "id", c->id,
                     "num_procs", 0, "pids_stats", "cpu_stats", empty_cpu(), "precpu_stats",
                     empty_cpu(), "memory_stats", "storage_stats", "blkio_stats",
                     json_pack("{s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n}",
                               "io_service_bytes_recursive", "io_serviced_recursive",
                               "io_queue_recursive", "io_service_time_recursive",
                               "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive",
                               "sectors_recursive"));
}

static int emit(json_t *doc, char **json_out)
{
    *json_out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return *json_out ? 0 : -ENOMEM;
}

/* The zeroed document Docker answers for a container that does not run;
 * the next sample starts afresh. */
static int not_running(berth_stats *s, const struct ctr *c, char **json_out)
{
    json_decref(s->prev_cpu);
    s->prev_cpu = NULL;
    s->prev_read = 0;
    emit(frame(c, 0, 0), json_out);
    return 0;
}

int berth_stats_read(berth_stats *s, char **json_out, berth_error *err)
{
    *json_out = NULL;
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_reload(s->e, s->id, &c, err);
    if (r < 0)
        return r;
    if (!ctr_is_running(c) || c->pid <= 0)
        return not_running(s, c, json_out);

    int64_t now = now_ns();
    json_t *doc = frame(c, now, s->prev_read);
    _cleanup_free_ char *cgpath = xasprintf("%s/%s", CGROUP_PARENT, c->id);
    struct cgroup_dirs dirs;
    cgroup_dirs_host(cgpath, &dirs);
    r = cgroup_stats_read(&dirs, s->host_mem, doc);
    cgroup_dirs_free(&dirs);
    if (r < 0) {
        /* the cgroup went away: the container stopped meanwhile */
        json_decref(doc);
        if (kill(c->pid, 0) < 0 && errno == ESRCH)
            return not_running(s, c, json_out);
        return berr_errno(err, BERTH_EINTERNAL, -r, "cannot read the cgroup of container %s",
                          c->id);
    }

    json_t *cpu = json_object_get(doc, "cpu_stats");
    _cleanup_free_ char *st = NULL;
    if (read_file("/proc/stat", &st, NULL) == 0)
        json_object_set_new(
            cpu, "system_cpu_usage",
            json_integer((json_int_t)proc_stat_system_ns(st, sysconf(_SC_CLK_TCK))));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    json_object_set_new(cpu, "online_cpus", json_integer(ncpu > 0 ? ncpu : 1));
    if (s->prev_cpu)
        json_object_set(doc, "precpu_stats", s->prev_cpu);
    json_decref(s->prev_cpu);
    s->prev_cpu = json_deep_copy(cpu);
    s->prev_read = now;

    /* the interfaces of its own network namespace; a container on the
     * host's network has none of its own */
    if (!str_eq(json_get_str(c->hostconfig, "NetworkMode", ""), "host")) {
        _cleanup_free_ char *p = xasprintf("/proc/%d/net/dev", c->pid);
        _cleanup_free_ char *nd = NULL;
        if (read_file(p, &nd, NULL) == 0) {
            json_t *nets = proc_net_dev(nd);
            if (json_object_size(nets))
                json_object_set_new(doc, "networks", nets);
            else
                json_decref(nets);
        }
    }
    if (emit(doc, json_out) < 0)
        return berr(err, BERTH_EINTERNAL, "cannot encode stats");
    return 1;
}
