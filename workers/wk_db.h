/*
 * wk_db: a worker's SQLite databases, opened once and owned for the life of
 * the process.
 *
 * A worker owns the file of its shard (DIR/shard-N.db) and, for the worker
 * started with --system, the system database (DIR/system.db). wk_db_open()
 * configures the connection (WAL, synchronous=FULL, exclusive locking so that
 * a second process on the same file fails with "database is locked"), brings
 * the schema up to date through the migration list of its kind (PRAGMA
 * user_version counts the migrations applied) and prepares every cached
 * statement of that kind.
 *
 * Ordering matters: the worker drops privileges and enters a seccomp sandbox
 * after opening its databases, so wk_db_open() runs one write transaction
 * before it returns. That creates and opens the -wal file and takes the
 * exclusive lock; from then on SQLite needs no new file (exclusive locking
 * uses no -shm, temp_store is MEMORY and the WAL is persistent, so closing
 * truncates it instead of unlinking it).
 *
 * Later features append migrations to the arrays in wk_db.c and statements to
 * WK_STMT_MAP; they never edit an existing migration.
 */
#ifndef WK_DB_H
#define WK_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    WK_DB_SHARD = 0,  /* DIR/shard-N.db: rooms, recordings, ... */
    WK_DB_SYSTEM = 1, /* DIR/system.db: API keys and global configuration */
    WK_DB__KINDS = 2,
} wk_db_kind_t;

/* The columns of a room, in the order of IPC_ROOM_FIELDS except that
 * has_auto_deletion_date is the NULLness of auto_deletion_date; wk_rooms.c
 * reads them by position. */
#define WK_ROOM_COLS                                                           \
    "room_id, room_name, creation_date, auto_deletion_date, with_meeting,"     \
    " with_recordings, config_json, moderator_secret, speaker_secret, status," \
    " meeting_end_action"

/* The rooms of a shard (wk_rooms.c). Single-room statements take the room
 * id as ?1; those that answer a room return WK_ROOM_COLS. */
#define WK__ROOM_STMTS(XX)                                                     \
    XX(ROOM_INSERT, WK_DB_SHARD,                                               \
       "INSERT INTO rooms(" WK_ROOM_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"   \
       " ?7, ?8, ?9, ?10, ?11) ON CONFLICT(room_id) DO NOTHING")               \
    XX(ROOM_GET, WK_DB_SHARD,                                                  \
       "SELECT " WK_ROOM_COLS " FROM rooms WHERE room_id = ?1")                \
    XX(ROOM_SET_CONFIG, WK_DB_SHARD,                                           \
       "UPDATE rooms SET config_json = ?2 WHERE room_id = ?1"                  \
       " RETURNING " WK_ROOM_COLS)                                             \
    /* BEHAVIOUR.md 6.8: closing a room in a meeting only schedules it. */     \
    XX(ROOM_SET_STATUS, WK_DB_SHARD,                                           \
       "UPDATE rooms SET"                                                      \
       " meeting_end_action = CASE WHEN ?2 = 'closed' AND"                     \
       " status = 'active_meeting' THEN 'close' ELSE 'none' END,"              \
       " status = CASE WHEN ?2 = 'closed' AND status = 'active_meeting'"       \
       " THEN status ELSE ?2 END"                                              \
       " WHERE room_id = ?1 RETURNING " WK_ROOM_COLS)                          \
    XX(ROOM_SET_STATE, WK_DB_SHARD,                                            \
       "UPDATE rooms SET status = ?2, meeting_end_action = ?3"                 \
       " WHERE room_id = ?1")                                                  \
    XX(ROOM_DELETE, WK_DB_SHARD, "DELETE FROM rooms WHERE room_id = ?1")       \
    XX(ROOM_HAS_RECORDINGS, WK_DB_SHARD,                                       \
       "SELECT EXISTS (SELECT 1 FROM recordings WHERE room_id = ?1)")          \
    XX(ROOM_DELETE_RECORDINGS, WK_DB_SHARD,                                    \
       "DELETE FROM recordings WHERE room_id = ?1")                            \
    WK__ROOM_LIST_STMTS(XX)

/* Meetings (wk_meetings.c). MEETING_ROOM_GET answers WK_ROOM_COLS followed
 * by meeting_started_at and meeting_finished_at. Times are the createdAt of
 * webhook events, in seconds. ROOMS_EXPIRING walks the partial index
 * rooms_expiring, whose WHERE clause it repeats word for word so that the
 * planner may use it. */
#define WK__MEETING_STMTS(XX)                                                  \
    XX(MEETING_ROOM_GET, WK_DB_SHARD,                                          \
       "SELECT " WK_ROOM_COLS ", meeting_started_at, meeting_finished_at"      \
       " FROM rooms WHERE room_id = ?1")                                       \
    XX(MEETING_SET_STARTED, WK_DB_SHARD,                                       \
       "UPDATE rooms SET status = 'active_meeting', meeting_started_at = ?2"   \
       " WHERE room_id = ?1")                                                  \
    XX(MEETING_SET_FINISHED, WK_DB_SHARD,                                      \
       "UPDATE rooms SET meeting_finished_at = ?2 WHERE room_id = ?1")         \
    /* The end of a meeting; the finish time becomes ?4 if that is later,      \
     * and stays as it is for ?4 NULL (a forced end). */                       \
    XX(MEETING_END, WK_DB_SHARD,                                               \
       "UPDATE rooms SET status = ?2, meeting_end_action = ?3,"                \
       " meeting_finished_at = CASE WHEN ?4 IS NULL THEN meeting_finished_at"  \
       " ELSE max(ifnull(meeting_finished_at, ?4), ?4) END"                    \
       " WHERE room_id = ?1")                                                  \
    XX(EVENT_RECORD, WK_DB_SHARD,                                              \
       "INSERT INTO webhook_events(event_id, created_at) VALUES (?1, ?2)"      \
       " ON CONFLICT(event_id) DO NOTHING")                                    \
    XX(EVENT_FORGET, WK_DB_SHARD,                                              \
       "DELETE FROM webhook_events WHERE event_id = ?1")                       \
    /* At most ?2 ids created before ?1, oldest first. */                      \
    XX(EVENTS_PRUNE, WK_DB_SHARD,                                              \
       "DELETE FROM webhook_events WHERE event_id IN (SELECT event_id"         \
       " FROM webhook_events WHERE created_at < ?1 ORDER BY created_at"        \
       " LIMIT ?2)")                                                           \
    XX(PARTICIPANT_JOIN, WK_DB_SHARD,                                          \
       "INSERT INTO participants(room_id, identity, joined_at)"                \
       " VALUES (?1, ?2, ?3) ON CONFLICT(room_id, identity)"                   \
       " DO UPDATE SET joined_at = max(joined_at, excluded.joined_at)")        \
    XX(PARTICIPANT_LEAVE, WK_DB_SHARD,                                         \
       "DELETE FROM participants WHERE room_id = ?1 AND identity = ?2")        \
    XX(PARTICIPANTS_CLEAR, WK_DB_SHARD,                                        \
       "DELETE FROM participants WHERE room_id = ?1 AND joined_at <= ?2")      \
    XX(PARTICIPANT_COUNT, WK_DB_SHARD,                                         \
       "SELECT count(*) FROM participants WHERE room_id = ?1")                 \
    XX(ROOMS_EXPIRING, WK_DB_SHARD,                                            \
       "SELECT " WK_ROOM_COLS " FROM rooms WHERE expiry_handled = 0"           \
       " AND auto_deletion_date IS NOT NULL AND ad_key <= ?1"                  \
       " ORDER BY ad_key, room_id LIMIT ?2")                                   \
    XX(ROOM_EXPIRY_HANDLED, WK_DB_SHARD,                                       \
       "UPDATE rooms SET expiry_handled = 1 WHERE room_id = ?1")

/* ROOM_LIST: one statement per sort key, direction, status filter (_S) and
 * cursor (_C), so that each one walks its index in order and stops after
 * ?1 rows. Parameters: ?1 limit, ?2 status, ?3 and ?4 the cursor's value and
 * room id, ?5 the name filter (NULL: none). The name filter is a literal,
 * ASCII-case-insensitive substring: lower() folds ASCII only, and instr()
 * over BLOBs compares bytes, with no wildcard or UTF-8 interpretation.
 * ad_key is auto_deletion_date with -Infinity for "none", so that rooms
 * without a date sort first in ascending order and last in descending
 * order, and a cursor on them is an ordinary row value. */
#define WK__RL_SELECT "SELECT " WK_ROOM_COLS " FROM rooms WHERE "
#define WK__RL_NAME                                                            \
    "(?5 IS NULL OR instr(CAST(lower(room_name) AS BLOB),"                     \
    " CAST(lower(?5) AS BLOB)) > 0)"
#define WK__RL_ORDER(key, dir)                                                 \
    " ORDER BY " key " " dir ", room_id " dir " LIMIT ?1"
#define WK__RL_AFTER(key, op) "(" key ", room_id) " op " (?3, ?4) AND "
#define WK__RL_ROWS(XX, ID, key, dir, op)                                      \
    XX(ROOM_LIST_##ID, WK_DB_SHARD,                                            \
       WK__RL_SELECT WK__RL_NAME WK__RL_ORDER(key, dir))                       \
    XX(ROOM_LIST_##ID##_C, WK_DB_SHARD,                                        \
       WK__RL_SELECT WK__RL_AFTER(key, op) WK__RL_NAME WK__RL_ORDER(key, dir)) \
    XX(ROOM_LIST_##ID##_S, WK_DB_SHARD,                                        \
       WK__RL_SELECT "status = ?2 AND " WK__RL_NAME WK__RL_ORDER(key, dir))    \
    XX(ROOM_LIST_##ID##_SC, WK_DB_SHARD,                                       \
       WK__RL_SELECT "status = ?2 AND " WK__RL_AFTER(key, op)                  \
           WK__RL_NAME WK__RL_ORDER(key, dir))
#define WK__ROOM_LIST_STMTS(XX)                                                \
    WK__RL_ROWS(XX, CD_ASC, "creation_date", "ASC", ">")                       \
    WK__RL_ROWS(XX, CD_DESC, "creation_date", "DESC", "<")                     \
    WK__RL_ROWS(XX, NAME_ASC, "room_name", "ASC", ">")                         \
    WK__RL_ROWS(XX, NAME_DESC, "room_name", "DESC", "<")                       \
    WK__RL_ROWS(XX, AD_ASC, "ad_key", "ASC", ">")                              \
    WK__RL_ROWS(XX, AD_DESC, "ad_key", "DESC", "<")

/* The columns of a recording, in the order of IPC_REC_FIELDS; optional
 * values are NULL when absent. wk_recordings.c reads them by position. */
#define WK_REC_COLS                                                            \
    "recording_id, room_id, room_name, egress_id, layout, encoding_json,"      \
    " status, filename, start_date, end_date, duration, size, error_code,"     \
    " error, details, public_secret, private_secret, updated_at"

/* Recordings (wk_recordings.c). Single-recording statements take the
 * recording id as ?1. REC_UPDATE writes each of ?3..?15 that is not NULL
 * (?2, the room's name, too: NULL when the room is gone) and keeps the
 * latest updated_at. REC_LIVE_STALE repeats the WHERE clause of the
 * partial index recordings_live word for word so that the planner may use
 * it. The rec_lock_* statements act on the room's recording lock; a NULL
 * ?2 of REC_LOCK_RELEASE releases whichever token holds it. */
#define WK__REC_STMTS(XX)                                                      \
    XX(REC_GET, WK_DB_SHARD,                                                   \
       "SELECT " WK_REC_COLS " FROM recordings WHERE recording_id = ?1")       \
    XX(REC_INSERT, WK_DB_SHARD,                                                \
       "INSERT INTO recordings(" WK_REC_COLS ") VALUES (?1, ?2, ?3, ?4, ?5,"   \
       " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)")        \
    XX(REC_UPDATE, WK_DB_SHARD,                                                \
       "UPDATE recordings SET room_name = ifnull(?2, room_name),"              \
       " egress_id = ifnull(?3, egress_id), layout = ifnull(?4, layout),"      \
       " encoding_json = ifnull(?5, encoding_json),"                           \
       " status = ifnull(?6, status), filename = ifnull(?7, filename),"        \
       " start_date = ifnull(?8, start_date),"                                 \
       " end_date = ifnull(?9, end_date), duration = ifnull(?10, duration),"   \
       " size = ifnull(?11, size), error_code = ifnull(?12, error_code),"      \
       " error = ifnull(?13, error), details = ifnull(?14, details),"          \
       " updated_at = CASE WHEN ?15 IS NULL THEN updated_at"                   \
       " ELSE max(ifnull(updated_at, ?15), ?15) END"                           \
       " WHERE recording_id = ?1 RETURNING " WK_REC_COLS)                      \
    XX(REC_DELETE, WK_DB_SHARD,                                                \
       "DELETE FROM recordings WHERE recording_id = ?1")                       \
    XX(REC_ROOM_GET, WK_DB_SHARD,                                              \
       "SELECT " WK_ROOM_COLS ", rec_lock_token FROM rooms"                    \
       " WHERE room_id = ?1")                                                  \
    XX(REC_ROOM_NAME, WK_DB_SHARD,                                             \
       "SELECT room_name FROM rooms WHERE room_id = ?1")                       \
    XX(REC_LOCK_TAKE, WK_DB_SHARD,                                             \
       "UPDATE rooms SET rec_lock_token = ?2, rec_lock_since = ?3"             \
       " WHERE room_id = ?1")                                                  \
    XX(REC_LOCK_RELEASE, WK_DB_SHARD,                                          \
       "UPDATE rooms SET rec_lock_token = NULL, rec_lock_since = NULL"         \
       " WHERE room_id = ?1 AND rec_lock_token IS NOT NULL"                    \
       " AND (?2 IS NULL OR rec_lock_token = ?2)")                             \
    /* In-progress recordings last changed before ?1, oldest first. */         \
    XX(REC_LIVE_STALE, WK_DB_SHARD,                                            \
       "SELECT recording_id, egress_id FROM recordings"                        \
       " WHERE status IN ('starting', 'active', 'ending')"                     \
       " AND updated_at < ?1 ORDER BY updated_at, recording_id")               \
    /* Frees the locks taken before ?1 whose room has no recording in      \
     * progress (a start that died between lock and recording). */         \
    XX(REC_LOCK_ORPHANS, WK_DB_SHARD,                                          \
       "UPDATE rooms SET rec_lock_token = NULL, rec_lock_since = NULL"         \
       " WHERE rec_lock_token IS NOT NULL AND rec_lock_since < ?1"             \
       " AND NOT EXISTS (SELECT 1 FROM recordings r"                          \
       " WHERE r.room_id = rooms.room_id"                                      \
       " AND r.status IN ('starting', 'active', 'ending'))")                  \
    XX(REC_ABORT, WK_DB_SHARD,                                                 \
       "UPDATE recordings SET status = 'aborted', updated_at = ?2"             \
       " WHERE recording_id = ?1 RETURNING " WK_REC_COLS)                      \
    WK__REC_LIST_STMTS(XX)

/* REC_LIST: one statement per sort key, direction, cursor (_C) and filter
 * family, so that each one walks an index in order and stops after ?1 rows.
 * Parameters: ?1 limit, ?2 room id, ?3 status (NULL: any), ?4 and ?6 the
 * cursor's value and recording id, ?5 the name filter. The general family
 * ORs the room id and name filters (NULL: not given; both NULL: no filter)
 * over the shard-wide index; the _R family, for a room id alone, walks the
 * index behind room_id. The name filter is the literal, ASCII-case-
 * insensitive substring of ROOM_LIST. */
#define WK__RC_SELECT "SELECT " WK_REC_COLS " FROM recordings WHERE "
#define WK__RC_STATUS "(?3 IS NULL OR status = ?3)"
#define WK__RC_WHO                                                             \
    " AND (?2 IS NULL AND ?5 IS NULL OR room_id = ?2 OR"                       \
    " instr(CAST(lower(room_name) AS BLOB), CAST(lower(?5) AS BLOB)) > 0)"
#define WK__RC_ORDER(key, dir)                                                 \
    " ORDER BY " key " " dir ", recording_id " dir " LIMIT ?1"
#define WK__RC_AFTER(key, op) "(" key ", recording_id) " op " (?4, ?6) AND "
#define WK__RC_ROWS(XX, ID, key, dir, op)                                      \
    XX(REC_LIST_##ID, WK_DB_SHARD,                                             \
       WK__RC_SELECT WK__RC_STATUS WK__RC_WHO WK__RC_ORDER(key, dir))          \
    XX(REC_LIST_##ID##_C, WK_DB_SHARD,                                         \
       WK__RC_SELECT WK__RC_AFTER(key, op)                                     \
           WK__RC_STATUS WK__RC_WHO WK__RC_ORDER(key, dir))                    \
    XX(REC_LIST_##ID##_R, WK_DB_SHARD,                                         \
       WK__RC_SELECT "room_id = ?2 AND " WK__RC_STATUS WK__RC_ORDER(key, dir)) \
    XX(REC_LIST_##ID##_RC, WK_DB_SHARD,                                        \
       WK__RC_SELECT "room_id = ?2 AND " WK__RC_AFTER(key, op)                 \
           WK__RC_STATUS WK__RC_ORDER(key, dir))
#define WK__REC_LIST_STMTS(XX)                                                 \
    WK__RC_ROWS(XX, SD_ASC, "start_date", "ASC", ">")                          \
    WK__RC_ROWS(XX, SD_DESC, "start_date", "DESC", "<")                        \
    WK__RC_ROWS(XX, NAME_ASC, "room_name", "ASC", ">")                         \
    WK__RC_ROWS(XX, NAME_DESC, "room_name", "DESC", "<")                       \
    WK__RC_ROWS(XX, DUR_ASC, "dur_key", "ASC", ">")                            \
    WK__RC_ROWS(XX, DUR_DESC, "dur_key", "DESC", "<")                          \
    WK__RC_ROWS(XX, SIZE_ASC, "size_key", "ASC", ">")                          \
    WK__RC_ROWS(XX, SIZE_DESC, "size_key", "DESC", "<")

/* The global webhook configuration (wk_system.c), the single row 0 of
 * webhook_config. WEBHOOK_CONFIG_INIT stores only when no row exists. */
#define WK__WEBHOOK_CONFIG_STMTS(XX)                                           \
    XX(WEBHOOK_CONFIG_GET, WK_DB_SYSTEM,                                       \
       "SELECT enabled, url FROM webhook_config WHERE id = 0")                 \
    XX(WEBHOOK_CONFIG_INIT, WK_DB_SYSTEM,                                      \
       "INSERT INTO webhook_config(id, enabled, url) VALUES (0, ?1, ?2)"       \
       " ON CONFLICT(id) DO NOTHING")                                          \
    XX(WEBHOOK_CONFIG_PUT, WK_DB_SYSTEM,                                       \
       "INSERT INTO webhook_config(id, enabled, url) VALUES (0, ?1, ?2)"       \
       " ON CONFLICT(id) DO UPDATE SET enabled = excluded.enabled,"            \
       " url = excluded.url")

/* The outbox of outgoing webhooks (wk_outbox.c); see shard migration 5 for
 * the meaning of `blocked`. OUTBOX_INSERT blocks a new entry behind any
 * pending entry of its room. OUTBOX_DUE walks outbox_due (named, so that
 * the planner never prefers a scan of the whole table in seq order) and
 * sorts only the due heads. OUTBOX_UNBLOCK makes the oldest pending entry
 * of room ?1 its head, after the previous head was deleted or died. */
#define WK_OUTBOX_COLS                                                         \
    "seq, room_id, event, creation_date, attempts, has_rec, payload"
#define WK__OUTBOX_STMTS(XX)                                                   \
    XX(OUTBOX_INSERT, WK_DB_SHARD,                                             \
       "INSERT INTO outbox(room_id, event, creation_date, has_rec, payload,"   \
       " blocked) VALUES (?1, ?2, ?3, ?4, ?5, EXISTS (SELECT 1 FROM outbox"    \
       " WHERE room_id = ?1 AND dead = 0))")                                   \
    XX(OUTBOX_DUE, WK_DB_SHARD,                                                \
       "SELECT seq, room_id FROM outbox INDEXED BY outbox_due"                 \
       " WHERE dead = 0 AND blocked = 0 AND next_attempt_ms <= ?1"             \
       " ORDER BY seq LIMIT ?2")                                               \
    XX(OUTBOX_GET, WK_DB_SHARD,                                                \
       "SELECT " WK_OUTBOX_COLS " FROM outbox WHERE seq = ?1")                 \
    XX(OUTBOX_COUNTS, WK_DB_SHARD,                                             \
       "SELECT pending, dead FROM outbox_stats WHERE id = 0")                  \
    XX(OUTBOX_DELETE, WK_DB_SHARD,                                             \
       "DELETE FROM outbox WHERE seq = ?1 AND dead = 0 RETURNING room_id")     \
    XX(OUTBOX_KILL, WK_DB_SHARD,                                               \
       "UPDATE outbox SET attempts = attempts + 1, dead = 1"                   \
       " WHERE seq = ?1 AND dead = 0 RETURNING room_id")                       \
    XX(OUTBOX_RETRY, WK_DB_SHARD,                                              \
       "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?2"       \
       " WHERE seq = ?1 AND dead = 0")                                         \
    XX(OUTBOX_UNBLOCK, WK_DB_SHARD,                                            \
       "UPDATE outbox SET blocked = 0 WHERE seq = (SELECT min(seq)"            \
       " FROM outbox WHERE room_id = ?1 AND dead = 0) AND blocked <> 0")

/* Every cached statement: XX(ID, kind, sql). Kind WK_DB__KINDS means the
 * statement is prepared on databases of every kind. */
#define WK_STMT_MAP(XX)                                                        \
    XX(BEGIN, WK_DB__KINDS, "BEGIN IMMEDIATE")                                 \
    XX(COMMIT, WK_DB__KINDS, "COMMIT")                                         \
    XX(ROLLBACK, WK_DB__KINDS, "ROLLBACK")                                     \
    XX(SAVEPOINT, WK_DB__KINDS, "SAVEPOINT wk_op")                             \
    XX(RELEASE, WK_DB__KINDS, "RELEASE wk_op")                                 \
    XX(ROLLBACK_TO, WK_DB__KINDS, "ROLLBACK TO wk_op")                         \
    XX(PROBE, WK_DB__KINDS, "SELECT count(*) FROM sqlite_schema")              \
    XX(APIKEY_GET, WK_DB_SYSTEM,                                               \
       "SELECT key FROM api_keys ORDER BY creation_date, key LIMIT 1")         \
    XX(APIKEY_INSERT, WK_DB_SYSTEM,                                            \
       "INSERT INTO api_keys(key, creation_date) VALUES (?1, ?2)")             \
    WK__WEBHOOK_CONFIG_STMTS(XX)                                               \
    WK__ROOM_STMTS(XX)                                                         \
    WK__MEETING_STMTS(XX)                                                      \
    WK__REC_STMTS(XX)                                                          \
    WK__OUTBOX_STMTS(XX)

typedef enum {
#define WK__STMT_ENUM(ID, kind, sql) WK_STMT_##ID,
    WK_STMT_MAP(WK__STMT_ENUM)
#undef WK__STMT_ENUM
        WK_STMT__COUNT
} wk_stmt_id_t;

/** One open database. Caller-allocated; zeroed means closed. */
typedef struct wk_db_s {
    sqlite3 *db;
    wk_db_kind_t kind;
    char *path;                          /* owned */
    sqlite3_stmt *stmts[WK_STMT__COUNT]; /* NULL for the other kind's */
} wk_db_t;

/**
 * Opens (creating if needed) the database of `kind` at `path` into `db`,
 * migrates it, and for WK_DB_SHARD records or verifies `shard` and `nshards`
 * in its meta table.
 *
 * Returns 0, or on failure an ov_err code with a one-line explanation
 * written to `err` (NUL-terminated, truncated to `errlen`) and `db` left
 * closed:
 *   OV_ESTORAGE  the file cannot be opened or written, or is locked by
 *                another process ("database is locked");
 *   OV_EINVAL    the file belongs to another shard layout (shard index or
 *                nshards differ) or has a schema newer than this binary.
 * Every failure is permanent for this file: the caller should not retry.
 */
int wk_db_open(wk_db_t *db, wk_db_kind_t kind, const char *path, uint32_t shard,
               uint32_t nshards, char *err, size_t errlen);

/** Finalizes the statements and closes the connection (rolling back an open
 *  transaction). Safe on a closed or zeroed `db`. */
void wk_db_close(wk_db_t *db);

/** Returns true if `db` is open. */
static inline bool wk_db_is_open(const wk_db_t *db)
{
    return db->db != NULL;
}

/** Returns the cached statement `id`, reset and with its bindings cleared.
 *  Borrowed, valid until wk_db_close(). Asserts that it exists for this
 *  database's kind. */
sqlite3_stmt *wk_db_stmt(wk_db_t *db, wk_stmt_id_t id);

/** Runs the cached statement `id` (which takes no parameters) to completion
 *  and resets it. Returns 0, or OV_ESTORAGE if SQLite reports an error (its
 *  message is logged at warn level). */
int wk_db_run(wk_db_t *db, wk_stmt_id_t id);

/** Returns true while `db` has a transaction open. */
bool wk_db_in_txn(const wk_db_t *db);

/** A trivial read of the database file, for PING. Returns 0 or
 *  OV_ESTORAGE. */
int wk_db_probe(wk_db_t *db);

/** Logs (warn) the current SQLite error of `db` with `what` as context and
 *  returns OV_ESTORAGE; for handlers that stepped a statement themselves. */
int wk_db_fail(wk_db_t *db, const char *what);

#endif
