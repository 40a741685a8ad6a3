/* wk_db: opening, migrating and closing a worker's databases; see wk_db.h. */
#include "wk_db.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ov_err.h"
#include "ov_log.h"
#include "ov_mem.h"

/* How long a statement waits for a lock held by another process. With
 * exclusive locking the only other process is a second meetd on the same
 * data directory, which must fail quickly rather than wait. */
#define WK_DB_BUSY_TIMEOUT_MS 200

/* Keeps a persistent WAL from staying large after a burst of writes. */
#define WK_DB_WAL_LIMIT "67108864" /* 64 MiB */

/* Page cache per database, in KiB (SQLite's negative cache_size form).
 * Lookups by random id touch pages all over the file; with SQLite's 2 MiB
 * default a shard of some 50,000 rooms already reads most pages back from
 * the OS cache, one pread() each. */
#define WK_DB_CACHE_KIB "-65536"

/* Rooms are found by random ids, so every insert dirties a few random index
 * pages, and each commit writes every dirty page whole into the WAL. Small
 * pages keep that write volume (and the checkpoint that copies it back)
 * low; it applies only when a database file is created. */
#define WK_DB_PAGE_SIZE "4096"

/* Migrations, in order. Entry i takes a database from user_version i to
 * i + 1. Append only: a shipped entry is never edited. */
static const char *const shard_migrations[] = {
    /* 1: the shard's identity, so that a data directory cannot be reopened
     *    with another shard layout. */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;",
    /* 2: rooms (wk_rooms.c), and the recordings table that room deletion
     *    consults; the recordings feature adds its columns later. ad_key
     *    orders auto_deletion_date with "none" as -Infinity (-9e999
     *    overflows to it), first in ascending order. Each list order has an
     *    index of its own and one behind a status equality, so that every
     *    page of ROOM_LIST is a range scan that stops after `limit` rows. */
    "CREATE TABLE rooms("
    " room_id TEXT PRIMARY KEY,"
    " room_name TEXT NOT NULL,"
    " creation_date INTEGER NOT NULL,"
    " auto_deletion_date REAL,"
    " with_meeting TEXT NOT NULL,"
    " with_recordings TEXT NOT NULL,"
    " config_json TEXT NOT NULL,"
    " moderator_secret TEXT NOT NULL,"
    " speaker_secret TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " meeting_end_action TEXT NOT NULL,"
    " ad_key REAL NOT NULL"
    "  GENERATED ALWAYS AS (ifnull(auto_deletion_date, -9e999)) VIRTUAL"
    ") STRICT;"
    "CREATE INDEX rooms_by_cd ON rooms(creation_date, room_id);"
    "CREATE INDEX rooms_by_name ON rooms(room_name, room_id);"
    "CREATE INDEX rooms_by_ad ON rooms(ad_key, room_id);"
    "CREATE INDEX rooms_by_status_cd ON rooms(status, creation_date, room_id);"
    "CREATE TABLE recordings("
    " recording_id TEXT PRIMARY KEY,"
    " room_id TEXT NOT NULL"
    ") STRICT;"
    "CREATE INDEX recordings_by_room ON recordings(room_id);",
    /* 3: meetings (wk_meetings.c), learnt from LiveKit webhooks.
     *  - participants: who is in each room's meeting, with the createdAt
     *    (s) of the join event.
     *  - webhook_events: the ids of applied webhook events, written in the
     *    transaction that applies the event, so that a redelivery is
     *    recognised also after a restart; created_at (the event's createdAt,
     *    s) lets ROOMS_EXPIRE forget them after a day.
     *  - rooms.meeting_started_at / meeting_finished_at: the createdAt (s)
     *    of the last applied room_started and room_finished (NULL: none),
     *    against which late events are judged stale.
     *  - rooms.expiry_handled: 1 once ROOMS_EXPIRE has taken the room to a
     *    state its auto-deletion decision leaves unchanged (closed with
     *    recordings, or a meeting whose end action is set). The triggers
     *    clear it whenever an input of that decision changes (status, end
     *    action, policy, date, or the room's set of recordings), and the
     *    partial index holds only the rooms with a date that are not
     *    handled, so that each run walks only rooms it may still change. */
    "CREATE TABLE participants("
    " room_id TEXT NOT NULL,"
    " identity TEXT NOT NULL,"
    " joined_at INTEGER NOT NULL,"
    " PRIMARY KEY(room_id, identity)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE webhook_events("
    " event_id TEXT PRIMARY KEY,"
    " created_at INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX webhook_events_by_age ON webhook_events(created_at);"
    "ALTER TABLE rooms ADD COLUMN meeting_started_at INTEGER;"
    "ALTER TABLE rooms ADD COLUMN meeting_finished_at INTEGER;"
    "ALTER TABLE rooms ADD COLUMN expiry_handled INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX rooms_expiring ON rooms(ad_key, room_id)"
    " WHERE expiry_handled = 0 AND auto_deletion_date IS NOT NULL;"
    "CREATE TRIGGER rooms_expiry_reset AFTER UPDATE OF status,"
    " meeting_end_action, with_meeting, with_recordings, auto_deletion_date"
    " ON rooms WHEN OLD.expiry_handled <> 0 AND (NEW.status IS NOT OLD.status"
    " OR NEW.meeting_end_action IS NOT OLD.meeting_end_action"
    " OR NEW.with_meeting IS NOT OLD.with_meeting"
    " OR NEW.with_recordings IS NOT OLD.with_recordings"
    " OR NEW.auto_deletion_date IS NOT OLD.auto_deletion_date) BEGIN"
    " UPDATE rooms SET expiry_handled = 0 WHERE room_id = NEW.room_id; END;"
    "CREATE TRIGGER recordings_insert_expiry AFTER INSERT ON recordings BEGIN"
    " UPDATE rooms SET expiry_handled = 0"
    " WHERE room_id = NEW.room_id AND expiry_handled <> 0; END;"
    "CREATE TRIGGER recordings_delete_expiry AFTER DELETE ON recordings BEGIN"
    " UPDATE rooms SET expiry_handled = 0"
    " WHERE room_id = OLD.room_id AND expiry_handled <> 0; END;",
    /* 4: recordings (wk_recordings.c). Columns are added in place rather
     *    than by rebuilding the table, so that the recordings_*_expiry
     *    triggers of migration 3 stay as they are. Optional values (end
     *    date, duration, size, error code and texts, layout, updated_at)
     *    are NULL when absent. dur_key and size_key order a missing value
     *    as -Infinity (-9e999 overflows to it), first in ascending order,
     *    as rooms' ad_key does. Each list order has an index over the whole
     *    shard and one behind a room_id equality (which also serves the
     *    lookups by room, replacing recordings_by_room), so that a page is
     *    a range scan that stops after `limit` rows. recordings_live holds
     *    only the in-progress recordings, which the stale job walks by age.
     *    rooms.rec_lock_token / rec_lock_since: the room's recording lock
     *    (NULL: free) and when it was taken (ms). */
    "ALTER TABLE recordings ADD COLUMN room_name TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE recordings ADD COLUMN egress_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE recordings ADD COLUMN layout TEXT;"
    "ALTER TABLE recordings ADD COLUMN encoding_json TEXT NOT NULL"
    " DEFAULT '';"
    "ALTER TABLE recordings ADD COLUMN status TEXT NOT NULL"
    " DEFAULT 'failed';"
    "ALTER TABLE recordings ADD COLUMN filename TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE recordings ADD COLUMN start_date REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE recordings ADD COLUMN end_date REAL;"
    "ALTER TABLE recordings ADD COLUMN duration REAL;"
    "ALTER TABLE recordings ADD COLUMN size INTEGER;"
    "ALTER TABLE recordings ADD COLUMN error_code INTEGER;"
    "ALTER TABLE recordings ADD COLUMN error TEXT;"
    "ALTER TABLE recordings ADD COLUMN details TEXT;"
    "ALTER TABLE recordings ADD COLUMN public_secret TEXT NOT NULL"
    " DEFAULT '';"
    "ALTER TABLE recordings ADD COLUMN private_secret TEXT NOT NULL"
    " DEFAULT '';"
    "ALTER TABLE recordings ADD COLUMN updated_at REAL;"
    "ALTER TABLE recordings ADD COLUMN dur_key REAL"
    " GENERATED ALWAYS AS (ifnull(duration, -9e999)) VIRTUAL;"
    "ALTER TABLE recordings ADD COLUMN size_key REAL"
    " GENERATED ALWAYS AS (ifnull(size, -9e999)) VIRTUAL;"
    "CREATE INDEX recordings_by_start ON recordings(start_date, recording_id);"
    "CREATE INDEX recordings_by_name ON recordings(room_name, recording_id);"
    "CREATE INDEX recordings_by_dur ON recordings(dur_key, recording_id);"
    "CREATE INDEX recordings_by_size ON recordings(size_key, recording_id);"
    "CREATE INDEX recordings_by_room_start"
    " ON recordings(room_id, start_date, recording_id);"
    "CREATE INDEX recordings_by_room_name"
    " ON recordings(room_id, room_name, recording_id);"
    "CREATE INDEX recordings_by_room_dur"
    " ON recordings(room_id, dur_key, recording_id);"
    "CREATE INDEX recordings_by_room_size"
    " ON recordings(room_id, size_key, recording_id);"
    "DROP INDEX recordings_by_room;"
    "CREATE INDEX recordings_live ON recordings(updated_at, recording_id)"
    " WHERE status IN ('starting', 'active', 'ending');"
    "ALTER TABLE rooms ADD COLUMN rec_lock_token TEXT;"
    "ALTER TABLE rooms ADD COLUMN rec_lock_since INTEGER;",
    /* 5: the outbox of outgoing webhooks (wk_outbox.c). payload is the
     *    event's data as an IPC frame: a ROOM_REPLY or REC_REPLY frame
     *    without its length prefix, has_rec telling which. An entry is
     *    pending until delivered (deleted) or dead (kept for inspection).
     *    blocked is 0 exactly for the oldest pending entry of each room,
     *    which alone may be delivered: INSERT sets it from the room's other
     *    pending entries and OUTBOX_DONE clears it on the next one when the
     *    head leaves. So the due heads are one range of outbox_due and an
     *    idle fetch reads no row; outbox_by_room answers "is there an older
     *    pending entry of this room". outbox_stats holds the pending and
     *    dead counts, kept by triggers in the transaction that changes
     *    them, so that a fetch reports them without counting. The indexes
     *    repeat the columns of their WHERE clause so that the queries on
     *    them never read the table, and payload comes last so that reading
     *    the other columns of a row never walks its overflow pages. */
    "CREATE TABLE outbox("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " room_id TEXT NOT NULL,"
    " event TEXT NOT NULL,"
    " creation_date INTEGER NOT NULL,"
    " has_rec INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
    " blocked INTEGER NOT NULL DEFAULT 0,"
    " dead INTEGER NOT NULL DEFAULT 0,"
    " payload BLOB NOT NULL"
    ") STRICT;"
    "CREATE INDEX outbox_due"
    " ON outbox(next_attempt_ms, seq, room_id, dead, blocked)"
    " WHERE dead = 0 AND blocked = 0;"
    "CREATE INDEX outbox_by_room ON outbox(room_id, seq, dead)"
    " WHERE dead = 0;"
    "CREATE TABLE outbox_stats("
    " id INTEGER PRIMARY KEY CHECK (id = 0),"
    " pending INTEGER NOT NULL,"
    " dead INTEGER NOT NULL"
    ") STRICT;"
    "INSERT INTO outbox_stats(id, pending, dead) VALUES (0, 0, 0);"
    "CREATE TRIGGER outbox_stats_insert AFTER INSERT ON outbox BEGIN"
    " UPDATE outbox_stats SET pending = pending + (NEW.dead = 0),"
    " dead = dead + (NEW.dead <> 0) WHERE id = 0; END;"
    "CREATE TRIGGER outbox_stats_delete AFTER DELETE ON outbox BEGIN"
    " UPDATE outbox_stats SET pending = pending - (OLD.dead = 0),"
    " dead = dead - (OLD.dead <> 0) WHERE id = 0; END;"
    "CREATE TRIGGER outbox_stats_update AFTER UPDATE OF dead ON outbox"
    " WHEN NEW.dead IS NOT OLD.dead BEGIN"
    " UPDATE outbox_stats SET"
    " pending = pending + (NEW.dead = 0) - (OLD.dead = 0),"
    " dead = dead + (NEW.dead <> 0) - (OLD.dead <> 0) WHERE id = 0; END;",
    /* 6: rooms_locked holds only the rooms whose recording lock is taken,
     *    by age, for the job that frees locks left without a recording
     *    (REC_LOCK_ORPHANS). */
    "CREATE INDEX rooms_locked ON rooms(rec_lock_since, room_id)"
    " WHERE rec_lock_token IS NOT NULL;",
};

static const char *const system_migrations[] = {
    /* 1: the API keys of the REST API. */
    "CREATE TABLE api_keys(key TEXT PRIMARY KEY,"
    " creation_date INTEGER NOT NULL) WITHOUT ROWID;",
    /* 2: the global webhook configuration (wk_system.c), at most one row:
     *    no row means none was ever stored, which the first start fills in
     *    from MEET_INITIAL_WEBHOOK_*. */
    "CREATE TABLE webhook_config("
    " id INTEGER PRIMARY KEY CHECK (id = 0),"
    " enabled INTEGER NOT NULL,"
    " url TEXT NOT NULL"
    ") STRICT;",
};

static const struct {
    const char *const *sql;
    int count;
    const char *name;
} migrations[WK_DB__KINDS] = {
    [WK_DB_SHARD] = {shard_migrations,
                     (int)(sizeof(shard_migrations) / sizeof(char *)), "shard"},
    [WK_DB_SYSTEM] = {system_migrations,
                      (int)(sizeof(system_migrations) / sizeof(char *)),
                      "system"},
};

static const struct {
    wk_db_kind_t kind;
    const char *sql;
} stmt_defs[WK_STMT__COUNT] = {
#define WK__STMT_DEF(ID, k, s) [WK_STMT_##ID] = {k, s},
    WK_STMT_MAP(WK__STMT_DEF)
#undef WK__STMT_DEF
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Runs SQL text that returns no rows we need. */
static int exec_sql(wk_db_t *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(err, errlen, "%s: %s: %s", db->path, sql,
                msg ? msg : sqlite3_errmsg(db->db));
        sqlite3_free(msg);
        return OV_ESTORAGE;
    }
    return 0;
}

/* Runs a PRAGMA that answers one text row and checks the answer, since
 * SQLite reports a refused journal or locking mode by answering the old one
 * rather than by failing. */
static int pragma_expect(wk_db_t *db, const char *sql, const char *want,
                         char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        set_err(err, errlen, "%s: %s: %s", db->path, sql,
                sqlite3_errmsg(db->db));
        sqlite3_finalize(st);
        return OV_ESTORAGE;
    }
    const char *got = (const char *)sqlite3_column_text(st, 0);
    int ok = got && strcmp(got, want) == 0;
    if (!ok)
        set_err(err, errlen, "%s: %s answered \"%s\", expected \"%s\"",
                db->path, sql, got ? got : "", want);
    sqlite3_finalize(st);
    return ok ? 0 : OV_ESTORAGE;
}

static int read_user_version(wk_db_t *db, int *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        set_err(err, errlen, "%s: reading user_version: %s", db->path,
                sqlite3_errmsg(db->db));
        sqlite3_finalize(st);
        return OV_ESTORAGE;
    }
    *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* Stores the shard's identity on first open and verifies it afterwards. A
 * data directory created with another number of shards holds its rooms in
 * other files than hash mod nshards says, so opening it would silently lose
 * data. */
static int check_meta(wk_db_t *db, uint32_t shard, uint32_t nshards, char *err,
                      size_t errlen)
{
    static const char *const keys[2] = {"shard", "nshards"};
    const uint32_t want[2] = {shard, nshards};

    for (int i = 0; i < 2; i++) {
        char val[16];
        snprintf(val, sizeof(val), "%" PRIu32, want[i]);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(
            db->db, "INSERT OR IGNORE INTO meta(key, value) VALUES (?1, ?2)",
            -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, val, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(st);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            set_err(err, errlen, "%s: writing meta: %s", db->path,
                    sqlite3_errmsg(db->db));
            return OV_ESTORAGE;
        }

        st = NULL;
        rc = sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key = ?1",
                                -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
        }
        if (rc != SQLITE_ROW) {
            set_err(err, errlen, "%s: reading meta: %s", db->path,
                    sqlite3_errmsg(db->db));
            sqlite3_finalize(st);
            return OV_ESTORAGE;
        }
        const char *got = (const char *)sqlite3_column_text(st, 0);
        int same = got && strcmp(got, val) == 0;
        if (!same)
            set_err(err, errlen,
                    "%s was created with %s=%s but this worker was started "
                    "with %s=%s; the number of shards of a data directory "
                    "cannot change",
                    db->path, keys[i], got ? got : "(null)", keys[i], val);
        sqlite3_finalize(st);
        if (!same)
            return OV_EINVAL;
    }
    return 0;
}

/* Applies the missing migrations in one write transaction. The transaction
 * always writes (user_version is stored even when unchanged), which is what
 * creates and opens the -wal file and takes the exclusive lock before the
 * caller drops privileges. */
static int migrate(wk_db_t *db, uint32_t shard, uint32_t nshards, char *err,
                   size_t errlen)
{
    int rc = exec_sql(db, "BEGIN IMMEDIATE", err, errlen);
    if (rc != 0)
        return rc;

    int have;
    int want = migrations[db->kind].count;
    rc = read_user_version(db, &have, err, errlen);
    if (rc == 0 && (have < 0 || have > want)) {
        set_err(err, errlen,
                "%s has schema version %d but this meetd knows only %d "
                "(%s database); it was written by a newer meetd",
                db->path, have, want, migrations[db->kind].name);
        rc = OV_EINVAL;
    }
    for (int i = have; rc == 0 && i < want; i++)
        rc = exec_sql(db, migrations[db->kind].sql[i], err, errlen);
    if (rc == 0) {
        char sql[48];
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", want);
        rc = exec_sql(db, sql, err, errlen);
    }
    if (rc == 0 && db->kind == WK_DB_SHARD)
        rc = check_meta(db, shard, nshards, err, errlen);
    if (rc == 0)
        rc = exec_sql(db, "COMMIT", err, errlen);
    if (rc != 0 && !sqlite3_get_autocommit(db->db))
        sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int prepare_all(wk_db_t *db, char *err, size_t errlen)
{
    for (int i = 0; i < WK_STMT__COUNT; i++) {
        if (stmt_defs[i].kind != WK_DB__KINDS && stmt_defs[i].kind != db->kind)
            continue;
        if (sqlite3_prepare_v3(db->db, stmt_defs[i].sql, -1,
                               SQLITE_PREPARE_PERSISTENT, &db->stmts[i],
                               NULL) != SQLITE_OK) {
            set_err(err, errlen, "%s: preparing \"%s\": %s", db->path,
                    stmt_defs[i].sql, sqlite3_errmsg(db->db));
            return OV_ESTORAGE;
        }
    }
    return 0;
}

int wk_db_open(wk_db_t *db, wk_db_kind_t kind, const char *path, uint32_t shard,
               uint32_t nshards, char *err, size_t errlen)
{
    OV_ASSERT(kind == WK_DB_SHARD || kind == WK_DB_SYSTEM);
    memset(db, 0, sizeof(*db));
    db->kind = kind;
    db->path = ov_xstrdup(path);
    if (errlen > 0)
        err[0] = '\0';

    int rc = sqlite3_open_v2(path, &db->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                             NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, "%s: cannot open: %s", path,
                db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(rc));
        wk_db_close(db);
        return OV_ESTORAGE;
    }
    sqlite3_extended_result_codes(db->db, 1);
    sqlite3_busy_timeout(db->db, WK_DB_BUSY_TIMEOUT_MS);

    /* A persistent WAL is truncated on close instead of deleted: deleting
     * needs write access to the directory, which the worker has given up by
     * then (it runs as nobody inside its sandbox). */
    int one = 1;
    sqlite3_file_control(db->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);

    /* The locking mode goes first: entering WAL mode while exclusive makes
     * SQLite keep the WAL index in heap memory, with no -shm file. */
    rc = exec_sql(db, "PRAGMA page_size = " WK_DB_PAGE_SIZE, err, errlen);
    if (rc == 0)
        rc = pragma_expect(db, "PRAGMA locking_mode = EXCLUSIVE", "exclusive",
                           err, errlen);
    if (rc == 0)
        rc = pragma_expect(db, "PRAGMA journal_mode = WAL", "wal", err, errlen);
    if (rc == 0)
        rc = exec_sql(db,
                      "PRAGMA synchronous = FULL;"
                      "PRAGMA temp_store = MEMORY;"
                      "PRAGMA foreign_keys = ON;"
                      "PRAGMA wal_autocheckpoint = 10000;"
                      "PRAGMA cache_size = " WK_DB_CACHE_KIB ";"
                      "PRAGMA journal_size_limit = " WK_DB_WAL_LIMIT,
                      err, errlen);
    if (rc == 0)
        rc = migrate(db, shard, nshards, err, errlen);
    if (rc == 0)
        rc = prepare_all(db, err, errlen);
    if (rc != 0 && (sqlite3_errcode(db->db) & 0xff) == SQLITE_BUSY) {
        size_t used = strlen(err);
        if (used < errlen)
            snprintf(err + used, errlen - used,
                     " (another process holds it: is a second meetd running "
                     "on the same data directory?)");
    }
    if (rc != 0) {
        wk_db_close(db);
        return rc;
    }
    return 0;
}

void wk_db_close(wk_db_t *db)
{
    for (int i = 0; i < WK_STMT__COUNT; i++) {
        sqlite3_finalize(db->stmts[i]);
        db->stmts[i] = NULL;
    }
    if (db->db) {
        /* With every statement finalized, close cannot report SQLITE_BUSY;
         * an I/O error of the final checkpoint leaves the WAL intact, and the
         * next open recovers from it. */
        if (sqlite3_close(db->db) != SQLITE_OK)
            ov_warn("%s: close failed: %s", db->path, sqlite3_errmsg(db->db));
        db->db = NULL;
    }
    free(db->path);
    db->path = NULL;
}

sqlite3_stmt *wk_db_stmt(wk_db_t *db, wk_stmt_id_t id)
{
    OV_ASSERT(id < WK_STMT__COUNT && db->stmts[id] != NULL);
    sqlite3_stmt *st = db->stmts[id];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

int wk_db_fail(wk_db_t *db, const char *what)
{
    ov_warn("%s: %s: %s (%d)", db->path, what, sqlite3_errmsg(db->db),
            sqlite3_extended_errcode(db->db));
    return OV_ESTORAGE;
}

int wk_db_run(wk_db_t *db, wk_stmt_id_t id)
{
    sqlite3_stmt *st = wk_db_stmt(db, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE) {
        int err = wk_db_fail(db, stmt_defs[id].sql);
        sqlite3_reset(st);
        return err;
    }
    sqlite3_reset(st);
    return 0;
}

bool wk_db_in_txn(const wk_db_t *db)
{
    return db->db != NULL && !sqlite3_get_autocommit(db->db);
}

int wk_db_probe(wk_db_t *db)
{
    return wk_db_run(db, WK_STMT_PROBE);
}
