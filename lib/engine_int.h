/* engine_int.h - the engine handle's insides, shared by libberth's modules. */
#ifndef BERTH_ENGINE_INT_H
#define BERTH_ENGINE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include <berth/engine.h>

struct runtime_def {
    char *name;
    char *path;
};

struct berth_engine {
    char *root;    /* state: berth.db, blobs/, layers/, containers/, tmp/ */
    char *runroot; /* volatile: containers/<id>/ bundles and sockets, runtime/ */
    sqlite3 *db;
    char *default_runtime;
    struct runtime_def *runtimes;
    size_t n_runtimes;
    bool builtins_found; /* crun and runc looked up on PATH (lazily) */
    char *monitor_path;
};

/* Looks up a runtime by name; returns its path (borrowed) or NULL. The
 * built-in crun and runc are searched on PATH the first time. */
const char *engine_runtime_path(berth_engine *e, const char *name);

/* Directory of a container's state (root/containers/<id>) and run files
 * (runroot/containers/<id>); caller frees. */
char *engine_ctr_dir(const berth_engine *e, const char *id);
char *engine_ctr_rundir(const berth_engine *e, const char *id);

/* Where every monitor mounts its container's root filesystem, each in its
 * own mount namespace: <runroot>/rootfs, an empty directory in the host's.
 * Caller frees. */
char *engine_rootfs_mountpoint(const berth_engine *e);

/* The init layer (lib/init_layer.c): made once, stacked on every container's
 * image layers. Caller frees *out. */
int engine_init_layer(berth_engine *e, char **out, berth_error *err);

/* A fresh private temporary directory under root/tmp; caller frees and removes. */
int engine_mktemp_dir(const berth_engine *e, const char *prefix, char **out, berth_error *err);

#endif
