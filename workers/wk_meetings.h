/*
 * wk_meetings: the meetings of a shard's rooms, learnt from LiveKit webhooks
 * (MEETING_EVENT), and the auto-deletion job (ROOMS_EXPIRE).
 *
 * The gateway verifies each webhook and forwards it to the shard of its
 * room. Webhooks are delivered at least once and, across rooms and egresses,
 * out of order (LIVEKIT.md §1.7), so every event is judged against what the
 * shard has already applied:
 *   - its event id, recorded in the transaction that applies it, makes a
 *     redelivery a DUPLICATE, also after a restart;
 *   - the createdAt of the room's last applied room_started and
 *     room_finished (the meeting clock, in seconds) makes a late event
 *     STALE: a room_started older than the last finish, a room_finished
 *     older than the last start, a participant_joined older than the last
 *     finish.
 * Only room_started and room_finished change a room (BEHAVIOUR.md §8.2);
 * participant events maintain the room's participant set, which no REST
 * reply shows but later features read (wk_room_participant_count()).
 *
 * ROOMS_EXPIRE runs the deletion decision of §6.5 with each expired room's
 * own autoDeletionPolicy, through the same code as ROOM_DELETE. A room
 * that the job has left in a state its decision no longer changes (closed
 * with recordings; a meeting whose end action is set) is marked handled in
 * the shard (rooms.expiry_handled) and is not selected again until an input
 * of the decision changes: its status or end action, its policy or date, or
 * its set of recordings (SQLite triggers clear the mark). So `more` never
 * stays true for rooms that cannot change, and each run walks only rooms it
 * may still change.
 *
 * Handlers are wk_handler_fn (see wk_serve.h) and run inside the serve
 * loop's transaction and savepoint; they return OV_EPROTO for a body that
 * does not decode, OV_EINVAL for a bad value and OV_ESTORAGE if SQLite
 * fails.
 */
#ifndef WK_MEETINGS_H
#define WK_MEETINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "wk_serve.h"

/** Longest accepted webhook event id and participant identity, in bytes. */
#define WK_MEETING_MAX_EVENT_ID 256
#define WK_MEETING_MAX_IDENTITY 1024
/** Largest `limit` of ROOMS_EXPIRE. */
#define WK_ROOMS_EXPIRE_MAX 1000
/** How long applied event ids are remembered, in seconds of createdAt. */
#define WK_EVENT_ID_TTL_S (24 * 3600)
/** The most event ids one ROOMS_EXPIRE forgets, so that a call stays short
 *  after a busy day; more are forgotten by the calls `more` asks for. */
#define WK_EVENT_PRUNE_MAX 20000

/**
 * MEETING_EVENT: applies one webhook event to its room, as described in
 * IPC_MEETING_EVENT_FIELDS, and replies MEETING_EVENT_REPLY {0, outcome,
 * has_room, room}:
 *   IPC_MEETEV_DUPLICATE  the (non-empty) event id was applied before;
 *                         nothing changes; room = the room now, if any.
 *   IPC_MEETEV_NO_ROOM    no such room; nothing is recorded; no room.
 *   IPC_MEETEV_STALE      older than the room's meeting clock; nothing
 *                         changes but the id is recorded; room = the room.
 *   IPC_MEETEV_APPLIED    room = the room after the event, or as it was
 *                         just before the end of its meeting deleted it.
 * room_started sets status active_meeting (already active: no change).
 * room_finished on a room in a meeting runs wk_meeting_end(); on any other
 * room it changes nothing visible (the finish is remembered and the
 * participants who joined before it are dropped). An empty event id is
 * never deduplicated.
 * Errors: OV_EINVAL for an unknown kind, an event id or identity that is
 * not UTF-8 text within its bound, or a participant event without an
 * identity.
 */
int wk_meeting_event(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                     ov_buf_t *out);

/**
 * ROOMS_EXPIRE: forgets at most WK_EVENT_PRUNE_MAX event ids whose createdAt
 * is over WK_EVENT_ID_TTL_S before now_ms, then takes up to `limit` rooms
 * with autoDeletionDate <= now_ms that are not marked handled, in
 * (autoDeletionDate, roomId) order, and applies wk_room_delete_apply() with
 * each one's own policy. Every room left in place is marked handled.
 * Replies ROOMS_EXPIRE_REPLY {0, processed, more}: processed = rooms that
 * changed (deleted, closed, end action set, meeting ended); more = further
 * eligible rooms, or further old event ids, remain.
 * Errors: OV_EINVAL for a limit above WK_ROOMS_EXPIRE_MAX.
 */
int wk_rooms_expire(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                    ov_buf_t *out);

/**
 * The end-of-meeting processing of BEHAVIOUR.md §8.2 for `room` (a room of
 * the shard database `db`, normally in a meeting), by its
 * meeting_end_action: none → status open; close → status closed and action
 * none; delete → the room and its recordings deleted (wk_room_purge()).
 * `finished_at` is the createdAt (s) of the room_finished event, which
 * becomes the room's last finish if later, and drops the participants who
 * joined at or before it; NULL, for a meeting ended by the API, keeps the
 * finish time and drops every participant.
 * Updates room->status and room->meeting_end_action to the stored values
 * (static strings); a deleted room keeps the values it had, which is how
 * §8.2 reports it. Sets *deleted. Returns 0 or OV_ESTORAGE.
 */
int wk_meeting_end(wk_db_t *db, ipc_room_t *room, const int64_t *finished_at,
                   bool *deleted);

/**
 * Sets *out to the number of participants of room `room_id` in the shard
 * database `db` (0 for an unknown room). Returns 0 or OV_ESTORAGE.
 */
int wk_room_participant_count(wk_db_t *db, ov_str_t room_id, int64_t *out);

#endif
