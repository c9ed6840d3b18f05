/* db.c - opening the state database and creating or checking its schema.
 *
 * synchronous=NORMAL in WAL mode: a commit survives any process crash (the
 * data is in the kernel before COMMIT returns) and the database can never be
 * corrupted; only a power loss may drop the very last commits. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "errors.h"
#include "util.h"

static const char schema_v1[] =
    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
    "CREATE TABLE images("
    "  id TEXT PRIMARY KEY,"      /* sha256:<hex> of the config blob */
    "  config TEXT NOT NULL,"     /* the config blob, byte for byte */
    "  created INTEGER NOT NULL," /* config 'created', Unix ns */
    "  added INTEGER NOT NULL,"   /* when stored here, Unix ns */
    "  size INTEGER NOT NULL,"    /* unpacked bytes of all layers */
    "  repo_digests TEXT NOT NULL DEFAULT '[]',"
    "  comment TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE image_layers("
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  diff_id TEXT NOT NULL,"
    "  PRIMARY KEY(image_id, idx));"
    "CREATE INDEX image_layers_diff ON image_layers(diff_id);"
    "CREATE TABLE layers("
    "  diff_id TEXT PRIMARY KEY,"   /* sha256 of the uncompressed tar */
    "  size INTEGER NOT NULL,"      /* bytes of the uncompressed tar */
    "  unpacked INTEGER NOT NULL);" /* bytes of the files unpacked */
    "CREATE TABLE tags("
    "  ref TEXT PRIMARY KEY," /* normalized: docker.io/library/x:tag */
    "  image_id TEXT NOT NULL REFERENCES images(id),"
    "  added INTEGER NOT NULL);"
    "CREATE INDEX tags_image ON tags(image_id);"
    "CREATE TABLE containers("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL UNIQUE," /* without the leading '/' */
    "  image_id TEXT NOT NULL,"
    "  image_ref TEXT NOT NULL," /* as the user gave it */
    "  created INTEGER NOT NULL,"
    "  config TEXT NOT NULL,"     /* Docker Config, merged with the image */
    "  hostconfig TEXT NOT NULL," /* Docker HostConfig */
    "  path TEXT NOT NULL,"
    "  args TEXT NOT NULL,"   /* JSON array */
    "  labels TEXT NOT NULL," /* JSON object */
    "  runtime TEXT NOT NULL,"
    "  runtime_path TEXT NOT NULL,"
    "  state TEXT NOT NULL," /* created running paused exited removing dead */
    "  pid INTEGER NOT NULL DEFAULT 0,"
    "  monitor_pid INTEGER NOT NULL DEFAULT 0,"
    "  monitor_start INTEGER NOT NULL DEFAULT 0,"
    "  exit_code INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '',"
    "  started INTEGER NOT NULL DEFAULT 0,"
    "  finished INTEGER NOT NULL DEFAULT 0,"
    "  oom_killed INTEGER NOT NULL DEFAULT 0,"
    "  restart_count INTEGER NOT NULL DEFAULT 0,"
    "  auto_remove INTEGER NOT NULL DEFAULT 0,"
    "  layers TEXT NOT NULL DEFAULT '[]'," /* JSON diff_ids, lowest first */
    "  mounts TEXT NOT NULL DEFAULT '[]'," /* Docker's inspect Mounts */
    "  command TEXT NOT NULL DEFAULT '');" /* path and args, for listings */
    "CREATE TABLE volumes("
    "  name TEXT PRIMARY KEY,"
    "  created INTEGER NOT NULL,"
    "  anonymous INTEGER NOT NULL,"
    "  container_id TEXT NOT NULL DEFAULT '');" /* the creator of an anonymous one */
    "CREATE INDEX containers_image ON containers(image_id);"
    "CREATE INDEX containers_state ON containers(state);"
    "INSERT INTO schema_version VALUES (1);";

/* Version 2: exec instances and the event log. */
static const char schema_v2[] =
    "CREATE TABLE execs("
    "  id TEXT PRIMARY KEY," /* 64 hex digits */
    "  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
    "  config TEXT NOT NULL," /* Docker ExecConfig, as created */
    "  created INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'created'," /* created running exited */
    "  pid INTEGER NOT NULL DEFAULT 0,"
    "  monitor_pid INTEGER NOT NULL DEFAULT 0,"
    "  exit_code INTEGER,"
    "  started INTEGER NOT NULL DEFAULT 0,"
    "  finished INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX execs_container ON execs(container_id);"
    "CREATE TABLE events("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time INTEGER NOT NULL," /* Unix ns */
    "  type TEXT NOT NULL,"    /* container image volume network */
    "  action TEXT NOT NULL,"
    "  actor_id TEXT NOT NULL,"
    "  attributes TEXT NOT NULL DEFAULT '{}');" /* JSON object of strings */
    "CREATE INDEX events_time ON events(time);"
    "UPDATE schema_version SET version = 2;";

/* schema_steps[v] brings a database at version v to v + 1. */
static const char *const schema_steps[] = { schema_v1, schema_v2 };
_Static_assert(sizeof schema_steps / sizeof schema_steps[0] == BERTH_SCHEMA_VERSION,
               "one schema step per version");

int db_error(sqlite3 *db, berth_error *err, const char *what)
{
    int ext = sqlite3_extended_errcode(db);
    int code = (ext & 0xff) == SQLITE_CONSTRAINT ? BERTH_ECONFLICT : BERTH_EINTERNAL;
    return berr(err, code, "%s: %s", what, sqlite3_errmsg(db));
}

int db_exec(sqlite3 *db, const char *sql, berth_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = (sqlite3_extended_errcode(db) & 0xff) == SQLITE_CONSTRAINT ? BERTH_ECONFLICT
                                                                              : BERTH_EINTERNAL;
        berr(err, code, "state database: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return code;
    }
    return 0;
}

int db_begin(sqlite3 *db, berth_error *err)
{
    return db_exec(db, "BEGIN IMMEDIATE", err);
}

int db_commit(sqlite3 *db, berth_error *err)
{
    int r = db_exec(db, "COMMIT", err);
    if (r < 0)
        db_rollback(db);
    return r;
}

void db_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, berth_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK)
        return db_error(db, err, "state database");
    return 0;
}

const char *db_col_text(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? (const char *)t : "";
}

/* Some statements of the first open (switching to WAL, the schema check
 * while another process creates the schema) get SQLITE_BUSY without the
 * busy handler being asked; they are retried for up to 30 s. */
static int exec_retrying(sqlite3 *db, const char *sql, berth_error *err)
{
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            return db_error(db, err, "state database");
        if (attempt > 3000)
            return db_error(db, err, "state database");
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* The schema version, 0 when there is no schema yet, or -1 when the
 * database stayed busy. */
static int schema_version(sqlite3 *db)
{
    for (int attempt = 0; attempt < 3000; attempt++) {
        sqlite3_stmt *s = NULL;
        int rc = sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &s, NULL);
        if (rc == SQLITE_OK) {
            int v = 0;
            rc = sqlite3_step(s);
            if (rc == SQLITE_ROW)
                v = sqlite3_column_int(s, 0);
            sqlite3_finalize(s);
            if (rc == SQLITE_ROW || rc == SQLITE_DONE)
                return v;
        } else if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
            return 0; /* no table yet */
        }
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return -1;
}

int db_open(const char *path, sqlite3 **out, berth_error *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        int r = berr(err, BERTH_EINTERNAL, "cannot open state database %s: %s", path,
                     db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return r;
    }
    sqlite3_busy_timeout(db, 30000);
    sqlite3_extended_result_codes(db, 1);
    /* Every CLI run is usually the last connection to close, and SQLite
     * would checkpoint the WAL (four fsyncs) on each such close; it is also
     * usually the first to open, which rebuilds the WAL index by reading
     * the whole WAL. So: no checkpoint on close, and a small WAL (a
     * checkpoint every 64 pages) that is cheap to read at open. */
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_wal_autocheckpoint(db, DB_WAL_AUTOCHECKPOINT);
    /* a 1 MB page cache: the database is small, and berthd keeps a few
     * connections open for good */
    int r = exec_retrying(db,
                          "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
                          " PRAGMA cache_size=-1024",
                          err);
    if (r < 0)
        goto fail;

    int v = schema_version(db);
    if (v >= 0 && v < BERTH_SCHEMA_VERSION) {
        /* First use or an older berth's database, perhaps opened by two
         * processes at once: the IMMEDIATE transaction serializes them and
         * the loser sees the new schema. */
        if (v == 0) {
            r = exec_retrying(db, "PRAGMA journal_mode=WAL", err);
            if (r < 0)
                goto fail;
        }
        r = exec_retrying(db, "BEGIN IMMEDIATE", err);
        if (r < 0)
            goto fail;
        for (v = schema_version(db); v >= 0 && v < BERTH_SCHEMA_VERSION; v++) {
            r = db_exec(db, schema_steps[v], err);
            if (r < 0) {
                db_rollback(db);
                goto fail;
            }
        }
        r = db_commit(db, err);
        if (r < 0)
            goto fail;
        v = schema_version(db);
    }
    if (v != BERTH_SCHEMA_VERSION) {
        r = berr(err, BERTH_EINTERNAL,
                 "state database %s has schema version %d; this berth knows version %d", path, v,
                 BERTH_SCHEMA_VERSION);
        goto fail;
    }
    *out = db;
    return 0;
fail:
    sqlite3_close(db);
    return r;
}

void db_close(sqlite3 *db)
{
    if (db)
        sqlite3_close(db);
}
