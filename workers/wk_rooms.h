/*
 * wk_rooms: handlers of the ROOM_* messages, which act on the rooms of one
 * shard (table `rooms` of DIR/shard-N.db).
 *
 * The gateway validates requests and chooses ids, secrets and dates; a
 * worker stores and returns what it is given, and decides only what depends
 * on stored state: existence, conflicts, the config merge, the status rules
 * of BEHAVIOUR.md §6.8 and the deletion matrix of §6.5 with the
 * end-of-meeting processing of §8.2. Every handler still checks its input as
 * if the gateway were hostile: enums, lengths, UTF-8 and JSON are verified
 * and a bad value is OV_EINVAL, never a crash or a stored corruption.
 *
 * Stored text is bounded (WK_ROOM_MAX_*) so that a page of WK_ROOM_LIST_MAX
 * rooms always fits in one IPC frame.
 *
 * The functions that delete rooms (wk_room_purge, wk_room_delete_apply) and
 * a few row helpers are shared with wk_meetings.c, whose meeting ends and
 * expiries apply the same rules.
 *
 * Every handler is a wk_handler_fn (see wk_serve.h): it runs inside the
 * serve loop's transaction and savepoint on the shard database, appends
 * exactly one reply frame on success, and otherwise returns OV_EPROTO for a
 * body that does not decode, OV_EINVAL for a bad value, OV_ESTORAGE if
 * SQLite fails, or the code documented below.
 */
#ifndef WK_ROOMS_H
#define WK_ROOMS_H

#include <stdbool.h>

#include "ov_room_delete.h"
#include "wk_serve.h"

/** Longest stored room id, room name and secret, in bytes. */
#define WK_ROOM_MAX_ID 256
#define WK_ROOM_MAX_NAME 1024
#define WK_ROOM_MAX_SECRET 64
/** Longest stored config_json, in bytes, also after a merge. */
#define WK_ROOM_MAX_CONFIG 8192
/** Largest `limit` of ROOM_LIST. */
#define WK_ROOM_LIST_MAX 1000

/** The stored values of a room's status and meeting_end_action. */
#define WK_ST_OPEN OV_STR_LIT("open")
#define WK_ST_ACTIVE OV_STR_LIT("active_meeting")
#define WK_ST_CLOSED OV_STR_LIT("closed")
#define WK_ACT_NONE OV_STR_LIT("none")
#define WK_ACT_CLOSE OV_STR_LIT("close")
#define WK_ACT_DELETE OV_STR_LIT("delete")

/** The number of WK_ROOM_COLS columns; statements that answer more put the
 *  extra columns after these. */
#define WK_ROOM_NCOLS 11

/**
 * ROOM_CREATE: stores the room and replies ROOM_REPLY {0, 0, room}.
 * Errors: OV_ECONFLICT if room_id exists; OV_EINVAL if a field is out of its
 * enum or bounds, a string is not UTF-8 or holds NUL, config_json is not a
 * JSON object, or has_auto_deletion_date with a non-finite date.
 */
int wk_room_create(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                   ov_buf_t *out);

/** ROOM_GET: replies ROOM_REPLY {0, 0, room}. Errors: OV_ENOROOM. */
int wk_room_get(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                ov_buf_t *out);

/**
 * ROOM_UPDATE_CONFIG: deep-merges config_patch_json into the stored config
 * (objects merge key by key; any other value, and any `encoding` value,
 * replaces), then disables recording if e2ee is enabled, keeping the key
 * order of the stored config. Replies ROOM_REPLY {0, 0, updated room}.
 * Errors: OV_EINVAL if the patch is not a JSON object or the result exceeds
 * WK_ROOM_MAX_CONFIG; OV_ENOROOM; OV_EROOMACTIVE if the room is in a
 * meeting.
 */
int wk_room_update_config(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                          ov_buf_t *out);

/**
 * ROOM_SET_STATUS (BEHAVIOUR.md §6.8): "closed" on a room in a meeting sets
 * meeting_end_action = close and replies outcome IPC_STATUS_SCHEDULED;
 * otherwise sets the status and meeting_end_action = none and replies
 * IPC_STATUS_APPLIED. The reply carries the room after the change.
 * Errors: OV_EINVAL for a status other than open or closed; OV_ENOROOM.
 */
int wk_room_set_status(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                       ov_buf_t *out);

/**
 * ROOM_DELETE (BEHAVIOUR.md §6.5): decides with ov_room_delete_decide() and
 * applies the outcome's effects, a forced meeting end included (§8.2).
 * Replies ROOM_REPLY {0, outcome, room}: the room after the effects, or as
 * it was just before its deletion. Conflict outcomes change nothing and are
 * replies too, not errors. Errors: OV_EINVAL for a policy outside its enum;
 * OV_ENOROOM.
 */
int wk_room_delete(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                   ov_buf_t *out);

/**
 * ROOM_LIST: one page in the order, cursor and filter semantics of
 * IPC_ROOM_LIST_FIELDS. Replies ROOM_LIST_REPLY {0, rooms, more}, with at
 * most `limit` rooms and more = whether a further matching room follows.
 * Errors: OV_EINVAL for an unknown sort_field or status_filter, a limit
 * above WK_ROOM_LIST_MAX or a NaN cursor value.
 */
int wk_room_list(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                 ov_buf_t *out);

/**
 * Sets *out to whether any recording of room `room_id` (`len` bytes) is
 * stored in this shard, in any status: the "has recordings" of the deletion
 * matrix. `db` is a shard database. Returns 0 or OV_ESTORAGE.
 */
int wk_room_has_recordings(wk_db_t *db, const char *room_id, size_t len,
                           bool *out);

/**
 * Deletes room `room_id` of the shard database `db` with its recordings and
 * its participants, recordings first; a room that does not exist is no
 * error. Returns 0 or OV_ESTORAGE.
 */
int wk_room_purge(wk_db_t *db, ov_str_t room_id);

/**
 * Runs the deletion decision of BEHAVIOUR.md §6.5 on `room` with the
 * policies `wm` (withMeeting) and `wr` (withRecordings) and applies the
 * outcome's effects, a forced meeting end included (wk_meeting_end()).
 * `room` is the stored room; its strings must stay valid for the call.
 * Sets *outcome (ov_room_del_outcome_t), *changed (whether anything stored
 * changed) and *deleted (whether the room is gone), and updates
 * room->status and room->meeting_end_action to the stored values (static
 * strings), which for a deleted room stay as they were just before.
 * Returns 0 or OV_ESTORAGE.
 */
int wk_room_delete_apply(wk_db_t *db, ipc_room_t *room, ov_room_policy_t wm,
                         ov_room_policy_t wr, unsigned *outcome, bool *changed,
                         bool *deleted);

/* ---- helpers for the other handler files of workers/ -------------------- */

/** Returns true if `s` is at most `max` bytes of well-formed UTF-8 without
 *  NUL: what may be stored as text. */
bool wk__text_ok(ov_str_t s, size_t max);

/** Parses a stored or requested withMeeting (`meeting`) or withRecordings
 *  policy; each accepts only its own three names. Returns 0 or OV_EINVAL. */
int wk__policy_parse(ov_str_t s, bool meeting, ov_room_policy_t *out);

/** Binds `s` to parameter `i` of `st` without copying: `s` must outlive
 *  the statement's next step. */
void wk__bind_str(sqlite3_stmt *st, int i, ov_str_t s);

/** Returns column `i` of the current row as a view ("" for NULL), valid
 *  until `st` is stepped or reset. */
ov_str_t wk__col_str(sqlite3_stmt *st, int i);

/** Fills `r` with views of the WK_ROOM_COLS at the start of the current row
 *  of `st`, valid until `st` is stepped or reset. */
void wk__room_row_view(sqlite3_stmt *st, ipc_room_t *r);

/** Copies the strings `r` points to into one new block and points `r` at
 *  the copies. Returns the block: new, free with free(). */
char *wk__room_own(ipc_room_t *r);

/** Steps `st`, which returns no rows, to completion and resets it. Returns
 *  0, or OV_ESTORAGE (logged with `what`). */
int wk__step_done(wk_db_t *db, sqlite3_stmt *st, const char *what);

#endif
