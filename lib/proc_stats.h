/* proc_stats.h - the host-wide and per-process figures of Docker's stats
 * documents, parsed from /proc files given as text (so that they can be
 * tested on recorded files). */
#ifndef BERTH_PROC_STATS_H
#define BERTH_PROC_STATS_H

#include <jansson.h>
#include <stdint.h>

/* /proc/stat: the CPU time of the whole machine (user, nice, system, idle,
 * iowait, irq, softirq of the "cpu" line) in nanoseconds, as moby's
 * system_cpu_usage; 0 when the line is missing. */
uint64_t proc_stat_system_ns(const char *text, long clock_ticks);

/* /proc/meminfo: MemTotal in bytes; 0 when missing. */
uint64_t proc_meminfo_total(const char *text);

/* /proc/<pid>/net/dev: Docker's "networks" object ({ifname: {rx_bytes,
 * rx_packets, rx_errors, rx_dropped, tx_bytes, tx_packets, tx_errors,
 * tx_dropped}}), without the loopback interface, as Docker. */
json_t *proc_net_dev(const char *text);

#endif
