/* proc_stats.c - parsing /proc/stat, /proc/meminfo and /proc/<pid>/net/dev
 * for container stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_stats.h"
#include "util.h"

uint64_t proc_stat_system_ns(const char *text, long clock_ticks)
{
    unsigned long long f[7];
    if (!text || clock_ticks <= 0 ||
        sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4],
               &f[5], &f[6]) != 7)
        return 0;
    uint64_t ticks = 0;
    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        ticks += f[i];
    return ticks * (1000000000ULL / (uint64_t)clock_ticks);
}

uint64_t proc_meminfo_total(const char *text)
{
    const char *p = text ? strstr(text, "MemTotal:") : NULL;
    if (!p || (p != text && p[-1] != '\n'))
        return 0;
    return strtoull(p + strlen("MemTotal:"), NULL, 10) * 1024;
}

json_t *proc_net_dev(const char *text)
{
    static const char *const names[] = { "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
                                         "tx_bytes", "tx_packets", "tx_errors", "tx_dropped" };
    /* the columns of those names: receive bytes packets errs drop, then
     * (after fifo frame compressed multicast) transmit bytes packets errs drop */
    static const int cols[] = { 0, 1, 2, 3, 8, 9, 10, 11 };
    json_t *nets = json_object();
    if (!text)
        return nets;
    _cleanup_free_ char *copy = xstrdup(text);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon || strchr(line, '|'))
            continue; /* the two header lines */
        *colon = '\0';
        char *name = line + strspn(line, " ");
        if (!*name || strcmp(name, "lo") == 0)
            continue;
        unsigned long long v[16];
        char *p = colon + 1;
        size_t n = 0;
        while (n < ARRAY_SIZE(v)) {
            char *end;
            v[n] = strtoull(p, &end, 10);
            if (end == p)
                break;
            p = end;
            n++;
        }
        if (n < 12)
            continue;
        json_t *o = json_object();
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
            json_object_set_new(o, names[i], json_integer((json_int_t)v[cols[i]]));
        json_object_set_new(nets, name, o);
    }
    return nets;
}
