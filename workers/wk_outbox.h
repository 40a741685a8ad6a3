/*
 * wk_outbox: the durable outbox of outgoing webhooks (BEHAVIOUR.md §9) in a
 * shard's database, and the messages that drive it (WEBHOOKS_STATE,
 * OUTBOX_FETCH, OUTBOX_DONE).
 *
 * The handlers that change a room or a recording call wk_outbox_add_room()
 * or wk_outbox_add_rec() themselves, inside the serve loop's transaction
 * and savepoint, so that an event commits or rolls back with the change
 * that causes it: an acknowledged change always has its event stored, and
 * a failed operation leaves none. The gateway then fetches due entries,
 * delivers them and reports each attempt with OUTBOX_DONE; an entry stays
 * until delivered, so delivery is at least once, across restarts.
 *
 * Order: only the oldest pending entry of a room (its head) is ever handed
 * out, so one room's events leave one at a time, in the order they were
 * recorded; a dead entry no longer holds its room back. Across rooms,
 * entries go oldest first.
 *
 * Whether events are recorded at all is a flag in process memory, false at
 * start: the gateway sends WEBHOOKS_STATE after READY and whenever the
 * configuration changes, so a worker that restarts records nothing until
 * told again. Entries already stored stay and can be fetched either way.
 *
 * Handlers are wk_handler_fn (see wk_serve.h) on the shard database; they
 * return OV_EPROTO for a body that does not decode, OV_EINVAL for a bad
 * value and OV_ESTORAGE if SQLite fails.
 */
#ifndef WK_OUTBOX_H
#define WK_OUTBOX_H

#include <stdbool.h>

#include "wk_serve.h"

/** The webhook event names (typings/src/webhook.model.ts). */
#define WK_EV_MEETING_STARTED "meetingStarted"
#define WK_EV_MEETING_ENDED "meetingEnded"
#define WK_EV_RECORDING_STARTED "recordingStarted"
#define WK_EV_RECORDING_UPDATED "recordingUpdated"
#define WK_EV_RECORDING_ENDED "recordingEnded"

/** Largest `limit` of OUTBOX_FETCH. */
#define WK_OUTBOX_FETCH_MAX 1000
/** The most payload bytes one OUTBOX_FETCH_REPLY carries; entries past it
 *  wait for the next fetch, so that a reply always fits in one frame. */
#define WK_OUTBOX_REPLY_BUDGET (4u * 1024u * 1024u)

/**
 * Records `event` (a WK_EV_* name) with `room` as its data, if recording is
 * enabled; otherwise does nothing. `db` is the shard database, inside the
 * caller's transaction; `room` is borrowed for the call (it is encoded
 * before this returns). creation_date is now. Returns 0 or OV_ESTORAGE;
 * the caller must then fail its operation, so that the change it made is
 * rolled back with the event it could not record.
 */
int wk_outbox_add_room(wk_db_t *db, const char *event, const ipc_room_t *room);

/** As wk_outbox_add_room(), with a recording as the data; the entry belongs
 *  to rec->room_id. */
int wk_outbox_add_rec(wk_db_t *db, const char *event, const ipc_rec_t *rec);

/**
 * WEBHOOKS_STATE: sets whether events are recorded from the next request on
 * and replies ACK {0}. It touches no database.
 */
int wk_outbox_webhooks_state(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                             ov_buf_t *out);

/**
 * OUTBOX_FETCH: replies OUTBOX_FETCH_REPLY {0, entries, backlog, dead}.
 * entries: at most `limit` pending heads (see above) whose next attempt is
 * due at now_ms, oldest first, none of a room in `busy`, and no more than
 * WK_OUTBOX_REPLY_BUDGET payload bytes (at least one entry if any is due).
 * backlog counts every pending entry, due or not; dead counts the dead
 * ones. An entry whose stored payload no longer decodes is logged and left
 * out (its room then stays held until the entry is removed by hand).
 * Errors: OV_EINVAL for a limit above WK_OUTBOX_FETCH_MAX.
 */
int wk_outbox_fetch(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                    ov_buf_t *out);

/**
 * OUTBOX_DONE: the outcome of one delivery attempt of pending entry `seq`:
 * delivered → the entry is deleted (dead is then ignored); otherwise
 * attempts + 1 and, with dead, the entry is kept as dead (never fetched
 * again, counted in `dead`), else it is due again at next_attempt_ms.
 * When an entry leaves the pending set, the next entry of its room becomes
 * its head. Replies ACK {0}. Errors: OV_EINVAL if `seq` names no pending
 * entry (unknown, already delivered, or dead): the gateway may treat that
 * as "already done".
 */
int wk_outbox_done(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                   ov_buf_t *out);

#endif
