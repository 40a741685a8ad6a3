/*
 * wk_recordings: handlers of the REC_* messages, which act on the recordings
 * of one shard (table `recordings` of DIR/shard-N.db) and on the recording
 * lock of its rooms (rooms.rec_lock_token).
 *
 * A recording lives in the shard of its room: its id is
 * "<roomId>--<egressId>--<uid>", and the worker refuses a record whose id
 * does not start with its room id and "--". The gateway drives the egress
 * (LiveKit or the local backend) and turns its events into REC_EVENT; the
 * worker keeps the record, its hidden access secrets (generated here, from
 * the CSPRNG, when the record is created) and the per-room lock of
 * BEHAVIOUR.md §7.1 step 6, which makes "one recording per room" a check
 * inside the shard's transaction rather than a race between gateways.
 *
 * The lock is a token chosen by the gateway (REC_START) and the time it was
 * taken. It is released by REC_UNLOCK with that token (or any token), by an
 * ended event, and by the stale-recordings job; it goes with its room when
 * the room is deleted, since it is a column of the room's row.
 *
 * Every handler checks its input as if the gateway were hostile: ids, texts
 * and enums are bounded and verified as UTF-8, numbers as finite, and a bad
 * value is OV_EINVAL, never a crash or a stored corruption. Stored text is
 * bounded (WK_REC_MAX_*) so that a page of WK_REC_LIST_MAX records always
 * fits in one IPC frame; the free texts error and details are cut at a
 * character boundary instead, so that a long diagnostic never loses the
 * event that carries it.
 *
 * Every handler is a wk_handler_fn (see wk_serve.h): it runs inside the
 * serve loop's transaction (and, except REC_GET and REC_LIST, a savepoint)
 * on the shard database, appends exactly one reply frame on success, and
 * otherwise returns OV_EPROTO for a body that does not decode, OV_EINVAL
 * for a bad value, OV_ESTORAGE if SQLite fails, or the code documented
 * below.
 */
#ifndef WK_RECORDINGS_H
#define WK_RECORDINGS_H

#include "wk_serve.h"

/** Longest accepted recording id, egress id and lock token, in bytes. */
#define WK_REC_MAX_ID 512
/** Longest stored layout, status name, filename and encoding JSON. */
#define WK_REC_MAX_LAYOUT 64
#define WK_REC_MAX_STATUS 64
#define WK_REC_MAX_FILENAME 1024
#define WK_REC_MAX_ENCODING 2048
/** Longest stored error and details; longer ones are cut to this. */
#define WK_REC_MAX_TEXT 2048
/** Longest accepted name filter of REC_LIST. */
#define WK_REC_MAX_FILTER 8192
/** Largest `limit` of REC_LIST and REC_ABORT_STALE. */
#define WK_REC_LIST_MAX 1000
/** Length of each access secret, in lowercase hex characters. */
#define WK_REC_SECRET_LEN 10

/**
 * REC_START (BEHAVIOUR.md §7.1 steps 3, 4, 6, 7, in that order): the room
 * exists (OV_ENOROOM), its config has recording.enabled true
 * (OV_ERECDISABLED), its recording lock is free (OV_ERECLOCKED), and with
 * check_participants it has a participant (OV_ENOPARTICIPANTS). Then takes
 * the lock with lock_token since now_ms and replies ROOM_REPLY {0, 0,
 * room}. Errors also: OV_EINVAL for an empty or oversized token;
 * OV_EINTERNAL if the stored config is not a JSON object.
 */
int wk_rec_start(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                 ov_buf_t *out);

/**
 * REC_UNLOCK: releases the room's recording lock if lock_token holds it, or
 * whoever holds it for an empty token; a different token changes nothing
 * and is no error. Replies ROOM_REPLY {0, 0, room}. Errors: OV_ENOROOM;
 * OV_EINVAL for an oversized token.
 */
int wk_rec_unlock(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                  ov_buf_t *out);

/**
 * REC_EVENT (LIVEKIT.md §2.3, BEHAVIOUR.md §8.1):
 *   started: inserts the record with fresh secrets (status "starting" if
 *     none is given), or updates it as below if the id exists (its secrets
 *     stay). The room must exist (OV_ENOROOM).
 *   updated / ended: writes every given field of `rec` (a non-empty
 *     string, a non-zero number) over the stored record (OV_ENOREC if
 *     there is none); ended also releases the room's lock, whoever holds
 *     it.
 * A status outside the seven names is stored as "failed". room_name is the
 * room's current name (kept as stored when the room is gone); the given
 * room_name and secrets are ignored. updated_at becomes the later of the
 * stored and the given one. Replies REC_REPLY {0, record after the event}.
 * Errors also: OV_EINVAL for an unknown kind, a recording id that does not
 * start with "<room_id>--", an id, text or enum out of its bounds or not
 * UTF-8, encoding_json that is neither a JSON string nor an object, a
 * non-finite date, duration or updated_at, or a negative size;
 * OV_EINTERNAL if the CSPRNG fails.
 */
int wk_rec_event(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                 ov_buf_t *out);

/** REC_GET: replies REC_REPLY {0, record with its secrets}. Errors:
 *  OV_ENOREC; OV_EINVAL for an id that is not UTF-8 text within
 *  WK_REC_MAX_ID. */
int wk_rec_get(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f, ov_buf_t *out);

/**
 * REC_DELETE: deletes a record whose status is complete, failed, aborted or
 * limit_reached and replies REC_REPLY {0, the record as it was}. Errors:
 * OV_ENOREC; OV_ERECNOTSTOPPED for starting, active or ending; OV_EINVAL
 * as for REC_GET.
 */
int wk_rec_delete(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                  ov_buf_t *out);

/**
 * REC_LIST: one page in the order, filter and cursor semantics of
 * IPC_REC_LIST_FIELDS. Replies REC_LIST_REPLY {0, recs, more}, with at most
 * `limit` records and more = whether a further matching record follows.
 * A cursor without a value on startDate or roomName (which every record
 * has) stands before every record ascending and after every one
 * descending. Errors: OV_EINVAL for an unknown sort_field or status, a
 * limit above WK_REC_LIST_MAX, a NaN cursor value, or a filter or cursor
 * id that is not UTF-8 text within its bound.
 */
int wk_rec_list(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                ov_buf_t *out);

/**
 * REC_ABORT_STALE (BEHAVIOUR.md §10, staleRecordingsGC): takes the
 * recordings in starting, active or ending whose updated_at is before
 * now_ms - older_than_ms (a record without updated_at is kept) and whose
 * egress id is not in `running`, oldest first; sets at most `limit` of them
 * to aborted with updated_at = now_ms and releases their rooms' locks.
 * Replies REC_ABORT_STALE_REPLY {0, the aborted records after the change,
 * more = further such records remain}. Errors: OV_EINVAL for a limit
 * above WK_REC_LIST_MAX or a negative older_than_ms.
 */
int wk_rec_abort_stale(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                       ov_buf_t *out);

#endif
