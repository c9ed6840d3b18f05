/* db.h - the state database: SQLite in WAL mode, shared by every berth
 * process on the same root. Writers use BEGIN IMMEDIATE so concurrent
 * processes queue on the busy timeout instead of failing. */
#ifndef BERTH_DB_H
#define BERTH_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include <berth/error.h>

#define BERTH_SCHEMA_VERSION 2

/* Pages in the WAL after which a commit checkpoints it (see db_open). */
#define DB_WAL_AUTOCHECKPOINT 64

int db_open(const char *path, sqlite3 **out, berth_error *err);
void db_close(sqlite3 *db);

int db_exec(sqlite3 *db, const char *sql, berth_error *err);
int db_begin(sqlite3 *db, berth_error *err);
int db_commit(sqlite3 *db, berth_error *err);
void db_rollback(sqlite3 *db);

/* Prepares sql; on failure fills err with the SQLite message. */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, berth_error *err);

/* Fills err from the connection's last error; returns BERTH_EINTERNAL
 * (or BERTH_ECONFLICT for a constraint violation). */
int db_error(sqlite3 *db, berth_error *err, const char *what);

static inline void cleanup_stmtp(sqlite3_stmt **s)
{
    if (*s)
        sqlite3_finalize(*s);
}
#define _cleanup_stmt_ __attribute__((cleanup(cleanup_stmtp)))

/* Column text as a C string ("" for NULL), borrowed from the statement. */
const char *db_col_text(sqlite3_stmt *s, int col);

#endif
