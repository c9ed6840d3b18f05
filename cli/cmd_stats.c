/* cmd_stats.c - berth stats (docker's live table of resource usage) and
 * berth top (a container's processes). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

/* ---- stats -------------------------------------------------------------- */

struct sampled {
    char *id;
    berth_stats *st;
    json_t *doc; /* the last document read */
};

static void sampled_free(struct sampled *s)
{
    free(s->id);
    berth_stats_free(s->st);
    json_decref(s->doc);
}

static uint64_t u64(const json_t *o, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(o, key));
}

/* docker's calculateCPUPercentUnix. */
static double cpu_percent(const json_t *doc)
{
    const json_t *cpu = json_object_get(doc, "cpu_stats");
    const json_t *pre = json_object_get(doc, "precpu_stats");
    double cpu_delta = (double)u64(json_object_get(cpu, "cpu_usage"), "total_usage") -
                       (double)u64(json_object_get(pre, "cpu_usage"), "total_usage");
    double sys_delta = (double)u64(cpu, "system_cpu_usage") - (double)u64(pre, "system_cpu_usage");
    double online = (double)u64(cpu, "online_cpus");
    if (online == 0)
        online = (double)json_array_size(
            json_object_get(json_object_get(cpu, "cpu_usage"), "percpu_usage"));
    if (sys_delta > 0 && cpu_delta > 0)
        return cpu_delta / sys_delta * online * 100.0;
    return 0;
}

/* docker's calculateMemUsageUnixNoCache: the page cache that could be
 * dropped does not count. */
static double mem_usage(const json_t *mem)
{
    uint64_t usage = u64(mem, "usage");
    const json_t *st = json_object_get(mem, "stats");
    const json_t *v1 = json_object_get(st, "total_inactive_file");
    if (v1 && (uint64_t)json_integer_value(v1) < usage)
        return (double)(usage - (uint64_t)json_integer_value(v1));
    if (!v1 && u64(st, "inactive_file") < usage)
        return (double)(usage - u64(st, "inactive_file"));
    return (double)usage;
}

static void io_pair(double a, double b, char *buf, size_t n)
{
    char x[32], y[32];
    human_size(a, x, sizeof x);
    human_size(b, y, sizeof y);
    snprintf(buf, n, "%s / %s", x, y);
}

static void add_row(struct table *t, const json_t *doc, bool no_trunc)
{
    const char *id = json_string_value(json_object_get(doc, "id"));
    const char *name = json_string_value(json_object_get(doc, "name"));
    char idb[65], cpu[32], mem[80], memp[32], net[80], blk[80], pids[32];
    snprintf(idb, sizeof idb, "%.*s", no_trunc ? 64 : 12, id ? id : "");
    snprintf(cpu, sizeof cpu, "%.2f%%", cpu_percent(doc));

    const json_t *m = json_object_get(doc, "memory_stats");
    double used = mem_usage(m), limit = (double)u64(m, "limit");
    char u[32], l[32];
    bytes_size(used, u, sizeof u);
    bytes_size(limit, l, sizeof l);
    snprintf(mem, sizeof mem, "%s / %s", u, l);
    snprintf(memp, sizeof memp, "%.2f%%", limit > 0 ? used / limit * 100.0 : 0.0);

    double rx = 0, tx = 0;
    const char *ifname;
    const json_t *nif;
    json_object_foreach((json_t *)json_object_get(doc, "networks"), ifname, nif)
    {
        rx += (double)u64(nif, "rx_bytes");
        tx += (double)u64(nif, "tx_bytes");
    }
    io_pair(rx, tx, net, sizeof net);

    double rd = 0, wr = 0;
    size_t i;
    const json_t *e;
    json_array_foreach(
        json_object_get(json_object_get(doc, "blkio_stats"), "io_service_bytes_recursive"), i, e)
    {
        const char *op = json_string_value(json_object_get(e, "op"));
        if (op && (op[0] == 'r' || op[0] == 'R'))
            rd += (double)u64(e, "value");
        else if (op && (op[0] == 'w' || op[0] == 'W'))
            wr += (double)u64(e, "value");
    }
    io_pair(rd, wr, blk, sizeof blk);
    snprintf(pids, sizeof pids, "%llu",
             (unsigned long long)u64(json_object_get(doc, "pids_stats"), "current"));
    table_add(t, idb, name && name[0] == '/' ? name + 1 : (name ? name : ""), cpu, mem, memp, net,
              blk, pids);
}

static int sample(struct sampled *s, berth_error *err)
{
    char *text = NULL;
    int r = berth_stats_read(s->st, &text, err);
    if (r < 0)
        return r;
    json_decref(s->doc);
    s->doc = json_loads(text, 0, NULL);
    berth_free(text);
    return 0;
}

/* The containers to show when none are named: the running ones (all with
 * --all), newest first, as `docker stats`. */
static char **list_ids(berth_engine *e, bool all, berth_error *err)
{
    berth_list_opts lo = BERTH_LIST_OPTS_INIT;
    lo.all = all;
    char *out = NULL;
    if (berth_container_list(e, &lo, &out, err) < 0)
        return NULL;
    json_t *list = json_loads(out, 0, NULL);
    berth_free(out);
    char **ids = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) strv_push(&ids, json_string_value(json_object_get(c, "Id")));
    json_decref(list);
    if (!ids)
        ids = xcalloc(1, sizeof *ids);
    return ids;
}

/* Keeps the handles of ids that are already open (their previous sample
 * makes the CPU %), opens the others, drops the rest. */
static int refresh(berth_engine *e, char **ids, struct sampled **set, size_t *n, berth_error *err)
{
    struct sampled *next = xcalloc(strv_length(ids) + 1, sizeof *next);
    size_t m = 0;
    int r = 0;
    for (size_t i = 0; ids[i] && r == 0; i++) {
        size_t k;
        for (k = 0; k < *n; k++)
            if ((*set)[k].id && str_eq((*set)[k].id, ids[i]))
                break;
        if (k < *n) {
            next[m++] = (*set)[k];
            memset(&(*set)[k], 0, sizeof **set);
            continue;
        }
        berth_stats *st = NULL;
        r = berth_stats_open(e, ids[i], &st, err);
        if (r == 0)
            next[m++] = (struct sampled){ xstrdup(ids[i]), st, NULL };
    }
    for (size_t k = 0; k < *n; k++)
        sampled_free(&(*set)[k]);
    free(*set);
    *set = next;
    *n = m;
    return r;
}

static void sleep_second(void)
{
    struct timespec ts = { 1, 0 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int cmd_stats(berth_engine *e, int argc, char **argv)
{
    bool all = false, no_stream = false, no_trunc = false;
    struct opt opts[] = {
        { "all", 'a', OPT_BOOL, &all, NULL, "Show all containers (default shows just running)" },
        { "no-stream", 0, OPT_BOOL, &no_stream, NULL,
          "Disable streaming stats and only pull the first result" },
        { "no-trunc", 0, OPT_BOOL, &no_trunc, NULL, "Do not truncate output" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("stats"), opts, argc, argv, false, &pos) < 0)
        return 1;
    berth_error err = BERTH_ERROR_INIT;
    struct sampled *set = NULL;
    size_t n = 0;
    int rc = 0;
    for (unsigned round = 0;; round++) {
        /* named containers are opened once (an unknown one is an error);
         * otherwise the list is looked at again each time */
        if (!pos || round == 0) {
            _cleanup_strv_ char **ids = pos ? strv_copy(pos) : list_ids(e, all, &err);
            if (!ids || refresh(e, ids, &set, &n, &err) < 0) {
                rc = cli_fail(&err);
                break;
            }
        }
        bool failed = false;
        for (size_t i = 0; i < n && !failed; i++)
            failed = sample(&set[i], &err) < 0;
        if (failed) {
            rc = cli_fail(&err);
            break;
        }
        /* the first sample has no previous one: a CPU % needs two */
        if (no_stream && round == 0) {
            sleep_second();
            continue;
        }
        struct table *t = table_new(8);
        table_add(t, "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O",
                  "BLOCK I/O", "PIDS");
        for (size_t i = 0; i < n; i++)
            if (set[i].doc)
                add_row(t, set[i].doc, no_trunc);
        if (!no_stream)
            fputs("\033[2J\033[H", stdout);
        table_print(t, stdout);
        table_free(t);
        fflush(stdout);
        if (no_stream)
            break;
        sleep_second();
    }
    for (size_t i = 0; i < n; i++)
        sampled_free(&set[i]);
    free(set);
    return rc;
}

/* ---- top ---------------------------------------------------------------- */

int cmd_top(berth_engine *e, int argc, char **argv)
{
    struct opt opts[] = { { NULL, 0, 0, NULL, NULL, NULL } };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("top"), opts, argc, argv, true, &pos) < 0)
        return 1;
    if (!pos)
        return cli_failf("\"berth top\" requires at least 1 argument.");
    buf_t args = { 0 };
    for (size_t i = 1; pos[i]; i++)
        buf_appendf(&args, "%s%s", i > 1 ? " " : "", pos[i]);
    _cleanup_free_ char *ps_args = buf_steal(&args);
    char *out = NULL;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_top(e, pos[0], ps_args, &out, &err) < 0)
        return cli_fail(&err);
    json_t *doc = json_loads(out, 0, NULL);
    berth_free(out);
    const json_t *titles = json_object_get(doc, "Titles");
    size_t ncols = json_array_size(titles);
    struct table *t = table_new(ncols);
    table_min_width(t, 20); /* docker top's tabwriter */
    const char **cells = xcalloc(ncols, sizeof *cells);
    size_t i, k;
    const json_t *row;
    for (k = 0; k < ncols; k++)
        cells[k] = json_string_value(json_array_get(titles, k));
    table_add_row(t, cells);
    json_array_foreach(json_object_get(doc, "Processes"), i, row)
    {
        for (k = 0; k < ncols; k++)
            cells[k] = json_string_value(json_array_get(row, k));
        table_add_row(t, cells);
    }
    table_print(t, stdout);
    table_free(t);
    free(cells);
    json_decref(doc);
    return 0;
}
