/* berth/engine.h - the engine handle: one state root and one run root.
 *
 * Several processes (berth CLIs, berthd) may open the same roots at once;
 * the state database and per-container locks keep them consistent.
 * A handle is not thread-safe: give each thread its own handle.
 */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include <berth/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct berth_engine berth_engine;

#define BERTH_ENGINE_OPTS_VERSION 1

typedef struct berth_engine_opts {
    unsigned version;
    /* State root; NULL means $BERTH_ROOT, else /var/lib/berth. */
    const char *root;
    /* Run root (tmpfs); NULL means $BERTH_RUNROOT, else /run/berth. */
    const char *runroot;
    /* Runtime used when a container names none; NULL means "crun". */
    const char *default_runtime;
    /* NULL-terminated list of "name=/path/to/runtime" added to the
     * built-in crun and runc (found on PATH). */
    const char *const *runtimes;
    /* Path of berth-monitor; NULL means $BERTH_MONITOR, else next to the
     * running executable, else the installed one. */
    const char *monitor_path;
} berth_engine_opts;

#define BERTH_ENGINE_OPTS_INIT                                                                     \
    {                                                                                              \
        BERTH_ENGINE_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL                                    \
    }

/* Opens (creating if needed) the roots. *out is owned by the caller and
 * released with berth_engine_free(). */
int berth_engine_open(berth_engine **out, const berth_engine_opts *opts, berth_error *err);
void berth_engine_free(berth_engine *engine);

/* Gives back the memory the handle caches (the state database's page
 * cache) while it stays open; for long-lived callers that go idle. */
void berth_engine_release_memory(berth_engine *engine);

/* Starts, for this process, a berth-monitor (the engine's) that stays
 * running and forks the monitor of every container start and exec that
 * an engine of this process asks for, instead of berth-monitor being
 * executed each time: about a millisecond less per start. For long-lived
 * callers (berthd); engines with another monitor path, and every engine
 * once the server is gone, spawn monitors as before. Monitors forked by
 * the server do not depend on it: it can stop while they run. */
int berth_monitor_server_start(berth_engine *engine, berth_error *err);
/* Stops the server (and waits for it); the monitors it forked run on. */
void berth_monitor_server_stop(void);

/* Borrowed strings, valid while the engine lives. */
const char *berth_engine_root(const berth_engine *engine);
const char *berth_engine_runroot(const berth_engine *engine);
const char *berth_engine_default_runtime(const berth_engine *engine);

/* The runtimes this engine knows, as Docker's /info shows them:
 * {"crun": {"path": "/usr/bin/crun"}, ...}. Caller frees (berth_free). */
char *berth_engine_runtimes_json(berth_engine *engine);

/* Frees any string or buffer that libberth handed to the caller. */
void berth_free(void *p);

/* The library version, e.g. "0.1.0". */
const char *berth_version(void);

#ifdef __cplusplus
}
#endif
#endif
