/*
 * ipc_msgs: the schema of every message between the gateway and the workers.
 *
 * This file is the one place that defines them. Each message is one row of
 * IPC_MSG_MAP: explicit numeric id, name, lowercase name, direction and field
 * list. Ids are added only at the end of their range and never reused; every
 * change to a row or a field list bumps IPC_PROTO_VERSION. Control messages
 * (1-99) are kept apart from operations (100 and up), as nginx keeps its
 * channel commands apart.
 *
 * Each request has exactly one reply type (IPC_RPC_MAP). Every reply's first
 * field is `err`, an ov_err code (0 on success); the other fields are
 * meaningful only when err is 0.
 *
 * Field types: U32, I32, I64, BOOL, F64 and STR; ROOM, a nested room record
 * (IPC_ROOM_FIELDS); ROOMS, a list of room records; REC, a nested recording
 * record (IPC_REC_FIELDS); RECS, a list of them; STRS, a list of strings.
 * A decoded STR is an ov_str_t view into the frame it came from, and decoded
 * lists are allocated in the frame's zone: all are valid until
 * ipc_frame_free().
 */
#ifndef IPC_MSGS_H
#define IPC_MSGS_H

#define IPC_PROTO_VERSION 8

typedef enum {
    IPC_GW2WK = 1, /* sent by the gateway, handled by a worker */
    IPC_WK2GW = 2, /* sent by a worker, handled by the gateway */
} ipc_dir_t;

/* READY: a worker has opened its shard, entered its sandbox and serves. */
#define IPC_READY_FIELDS(F)                                                    \
    F(U32, proto_version)                                                      \
    F(U32, shard)                                                              \
    F(I64, pid)

/* PING: liveness probe of a worker and its database. */
#define IPC_PING_FIELDS(F) F(I64, nonce)
#define IPC_PONG_FIELDS(F)                                                     \
    F(I32, err)                                                                \
    F(I64, nonce)

/* SHUTDOWN: finish what is queued, close the shard and exit 0. No reply. */
#define IPC_SHUTDOWN_FIELDS(F)

/* APIKEY_ENSURE (system shard only): return the stored API key; if none is
 * stored yet, store `candidate` first and report created = true. */
#define IPC_APIKEY_ENSURE_FIELDS(F) F(STR, candidate)
#define IPC_APIKEY_ENSURE_REPLY_FIELDS(F)                                      \
    F(I32, err)                                                                \
    F(STR, key)                                                                \
    F(BOOL, created)

/* A room as stored. config_json is the canonical JSON object of the five
 * config sections (chat, recording, virtualBackground, e2ee, captions).
 * auto_deletion_date (ms, may be fractional) is meaningful only when
 * has_auto_deletion_date. Secrets are 10 lowercase hex characters. status
 * is open | active_meeting | closed; meeting_end_action none | close |
 * delete; with_meeting / with_recordings are the autoDeletionPolicy. */
#define IPC_ROOM_FIELDS(F)                                                     \
    F(STR, room_id)                                                            \
    F(STR, room_name)                                                          \
    F(I64, creation_date)                                                      \
    F(BOOL, has_auto_deletion_date)                                            \
    F(F64, auto_deletion_date)                                                 \
    F(STR, with_meeting)                                                       \
    F(STR, with_recordings)                                                    \
    F(STR, config_json)                                                        \
    F(STR, moderator_secret)                                                   \
    F(STR, speaker_secret)                                                     \
    F(STR, status)                                                             \
    F(STR, meeting_end_action)

/* ROOM_CREATE: store a new room (the gateway has validated it and chosen its
 * id, secrets and dates). A room id that exists already → OV_ECONFLICT. */
#define IPC_ROOM_CREATE_FIELDS(F) F(ROOM, room)

/* The reply of every single-room operation: the room after the operation
 * (for a deletion, the room as it was). `outcome` is 0 except for
 * ROOM_SET_STATUS (IPC_STATUS_*) and ROOM_DELETE (ov_room_del_outcome_t).
 * A missing room → err OV_ENOROOM. */
#define IPC_ROOM_REPLY_FIELDS(F)                                               \
    F(I32, err)                                                                \
    F(U32, outcome)                                                            \
    F(ROOM, room)

/* ROOM_GET: read one room. */
#define IPC_ROOM_GET_FIELDS(F) F(STR, room_id)

/* ROOM_UPDATE_CONFIG: deep-merge `config_patch_json` (a JSON object with
 * some of the five sections, already validated) into the stored config,
 * then apply the e2ee rule (e2ee enabled disables recording). A room with
 * an active meeting → err OV_EROOMACTIVE. */
#define IPC_ROOM_UPDATE_CONFIG_FIELDS(F)                                       \
    F(STR, room_id)                                                            \
    F(STR, config_patch_json)

/* ROOM_SET_STATUS: status is open | closed (BEHAVIOUR.md §6.8). */
#define IPC_ROOM_SET_STATUS_FIELDS(F)                                          \
    F(STR, room_id)                                                            \
    F(STR, status)
#define IPC_STATUS_APPLIED 0u
#define IPC_STATUS_SCHEDULED 1u /* closed while in a meeting: at its end */

/* ROOM_DELETE: the deletion matrix of BEHAVIOUR.md §6.5 (see
 * common/ov_room_delete.h); policies are force | when_meeting_ends | fail
 * and force | close | fail. */
#define IPC_ROOM_DELETE_FIELDS(F)                                              \
    F(STR, room_id)                                                            \
    F(STR, with_meeting)                                                       \
    F(STR, with_recordings)

/* ROOM_LIST: one page of this shard's rooms in (sort_field, room_id) order,
 * ascending unless sort_desc; rooms without the sort value (no
 * autoDeletionDate) sort before all others in ascending order, and the
 * descending order is the exact reverse. sort_field is creationDate |
 * roomName | autoDeletionDate. Filters: name_filter (literal,
 * ASCII-case-insensitive substring of roomName; empty: none) and
 * status_filter (empty: any). With has_cursor, only rooms strictly after
 * the cursor (cursor value, cursor_id) in that order: the value is
 * cursor_num (creationDate, autoDeletionDate) or cursor_str (roomName), or
 * none at all when !cursor_has_value. At most `limit` rooms; `more` tells
 * whether further rooms follow. */
#define IPC_ROOM_LIST_FIELDS(F)                                                \
    F(STR, name_filter)                                                        \
    F(STR, status_filter)                                                      \
    F(STR, sort_field)                                                         \
    F(BOOL, sort_desc)                                                         \
    F(U32, limit)                                                              \
    F(BOOL, has_cursor)                                                        \
    F(BOOL, cursor_has_value)                                                  \
    F(STR, cursor_str)                                                         \
    F(F64, cursor_num)                                                         \
    F(STR, cursor_id)
#define IPC_ROOM_LIST_REPLY_FIELDS(F)                                          \
    F(I32, err)                                                                \
    F(ROOMS, rooms)                                                            \
    F(BOOL, more)

/* MEETING_EVENT: one verified LiveKit webhook about a room's meeting
 * (LIVEKIT.md §2.1, BEHAVIOUR.md §8.2). kind is IPC_MEET_*; created_at is
 * the event's createdAt in seconds; event_id is LiveKit's id (an event is
 * applied once, also across restarts); participant is the identity for
 * participant events ("" otherwise).
 *   room_started: status active_meeting (meetingEndAction kept).
 *   room_finished: the end-of-meeting processing, by meetingEndAction:
 *     none → open; close → closed and none; delete → recordings and room
 *     deleted. The participant set is cleared.
 *   participant_joined / participant_left: the room's participant set.
 * Events older than the room's last applied meeting start or end are
 * stale and change nothing. */
#define IPC_MEETING_EVENT_FIELDS(F)                                            \
    F(STR, room_id)                                                            \
    F(U32, kind)                                                               \
    F(STR, event_id)                                                           \
    F(I64, created_at)                                                         \
    F(STR, participant)
#define IPC_MEET_ROOM_STARTED 1u
#define IPC_MEET_ROOM_FINISHED 2u
#define IPC_MEET_PARTICIPANT_JOINED 3u
#define IPC_MEET_PARTICIPANT_LEFT 4u

/* The reply: outcome IPC_MEETEV_*; has_room tells whether `room` holds the
 * room after the event (for a deletion: as it was just before). */
#define IPC_MEETING_EVENT_REPLY_FIELDS(F)                                      \
    F(I32, err)                                                                \
    F(U32, outcome)                                                            \
    F(BOOL, has_room)                                                          \
    F(ROOM, room)
#define IPC_MEETEV_APPLIED 0u
#define IPC_MEETEV_DUPLICATE 1u /* this event_id was applied before */
#define IPC_MEETEV_NO_ROOM 2u   /* no such room in this shard */
#define IPC_MEETEV_STALE 3u     /* older than the room's meeting state */

/* ROOMS_EXPIRE: the scheduled job of BEHAVIOUR.md §10 for this shard:
 * every room whose autoDeletionDate <= now_ms goes through the §6.5
 * decision with its own autoDeletionPolicy (a room with an active meeting
 * gets its meetingEndAction set, or with force its meeting ended now). At
 * most `limit` rooms per call; `more` asks for another call. A room whose
 * outcome would change nothing (already closed, action already set) is
 * not counted and not revisited. Also forgets applied webhook event ids
 * older than a day. The reply's `ended` lists the rooms whose meeting was
 * ended now, for the gateway to end it in the media server too. */
#define IPC_ROOMS_EXPIRE_FIELDS(F)                                             \
    F(I64, now_ms)                                                             \
    F(U32, limit)
#define IPC_ROOMS_EXPIRE_REPLY_FIELDS(F)                                       \
    F(I32, err)                                                                \
    F(U32, processed)                                                          \
    F(BOOL, more)                                                              \
    F(STRS, ended)

/* A recording as stored (BEHAVIOUR.md §5.2). recording_id is
 * "<roomId>--<egressId>--<uid>". Optional values are absent when zero or
 * empty: layout, end_date, duration (s), size (bytes), error_code, error,
 * details. encoding_json is the JSON of the encoding: a preset string
 * ("\"H264_720P_30\"") or an advanced-options object. Dates are ms and may
 * be fractional. status is starting | active | ending | complete | failed |
 * aborted | limit_reached. The two secrets are never shown by the API but
 * in /url; updated_at (ms) is when the record last changed. */
#define IPC_REC_FIELDS(F)                                                      \
    F(STR, recording_id)                                                       \
    F(STR, room_id)                                                            \
    F(STR, room_name)                                                          \
    F(STR, egress_id)                                                          \
    F(STR, layout)                                                             \
    F(STR, encoding_json)                                                      \
    F(STR, status)                                                             \
    F(STR, filename)                                                           \
    F(F64, start_date)                                                         \
    F(F64, end_date)                                                           \
    F(F64, duration)                                                           \
    F(I64, size)                                                               \
    F(I32, error_code)                                                         \
    F(STR, error)                                                              \
    F(STR, details)                                                            \
    F(STR, public_secret)                                                      \
    F(STR, private_secret)                                                     \
    F(F64, updated_at)

/* REC_START: the preconditions of starting a recording, in the reference's
 * order (§7.1 steps 3, 4, 6, 7): the room exists (OV_ENOROOM), has
 * recording enabled (OV_ERECDISABLED), no recording lock is held
 * (OV_ERECLOCKED), and (when check_participants) it has at least one
 * participant (OV_ENOPARTICIPANTS). On success the room's recording lock
 * is taken with `lock_token` and the room is returned. */
#define IPC_REC_START_FIELDS(F)                                                \
    F(STR, room_id)                                                            \
    F(STR, lock_token)                                                         \
    F(I64, now_ms)                                                             \
    F(BOOL, check_participants)

/* REC_UNLOCK: releases the room's recording lock if `lock_token` holds it
 * (an empty token releases any holder). Replies ROOM_REPLY (OV_ENOROOM if
 * the room is gone, which is not an error for the caller). */
#define IPC_REC_UNLOCK_FIELDS(F)                                               \
    F(STR, room_id)                                                            \
    F(STR, lock_token)

/* REC_EVENT: an egress event mapped to a recording (LIVEKIT.md §2.3), from
 * LiveKit's webhooks or the local backend. kind is IPC_REC_EV_*.
 *   started: insert the record (the room must exist: OV_ENOROOM), with
 *     fresh secrets and the room's current name; an existing id is updated.
 *   updated / ended: update the stored record with every non-empty field
 *     of `rec` (a missing record: OV_ENOREC); ended also releases the
 *     room's recording lock.
 * room_name is always re-read from the room. The reply holds the record
 * after the event. */
#define IPC_REC_EVENT_FIELDS(F)                                                \
    F(U32, kind)                                                               \
    F(REC, rec)
#define IPC_REC_EV_STARTED 1u
#define IPC_REC_EV_UPDATED 2u
#define IPC_REC_EV_ENDED 3u

/* The reply of every single-recording operation. */
#define IPC_REC_REPLY_FIELDS(F)                                                \
    F(I32, err)                                                                \
    F(REC, rec)

/* REC_GET: one recording, secrets included (OV_ENOREC if missing). */
#define IPC_REC_GET_FIELDS(F) F(STR, recording_id)

/* REC_DELETE: deletes a record whose status is complete, failed, aborted or
 * limit_reached; in progress → OV_ERECNOTSTOPPED; missing → OV_ENOREC.
 * The reply holds the record as it was (the gateway removes the media). */
#define IPC_REC_DELETE_FIELDS(F) F(STR, recording_id)

/* REC_LIST: one page of this shard's recordings in (sort_field,
 * recording_id) order, ascending unless sort_desc; records without the sort
 * value (duration, size) sort first ascending, the descending order is the
 * exact reverse. sort_field: startDate | roomName | duration | size.
 * Filters: room_id (exact) and room_name (literal ASCII-case-insensitive
 * substring) are ORed when both are given (§7.3); status is ANDed; empty
 * means none. Cursor as in ROOM_LIST (cursor_num for numbers, cursor_str
 * for roomName, no value for a record without it). */
#define IPC_REC_LIST_FIELDS(F)                                                 \
    F(STR, room_id)                                                            \
    F(STR, room_name)                                                          \
    F(STR, status)                                                             \
    F(STR, sort_field)                                                         \
    F(BOOL, sort_desc)                                                         \
    F(U32, limit)                                                              \
    F(BOOL, has_cursor)                                                        \
    F(BOOL, cursor_has_value)                                                  \
    F(STR, cursor_str)                                                         \
    F(F64, cursor_num)                                                         \
    F(STR, cursor_id)
#define IPC_REC_LIST_REPLY_FIELDS(F)                                           \
    F(I32, err)                                                                \
    F(RECS, recs)                                                              \
    F(BOOL, more)

/* REC_ABORT_STALE: the stale-recordings job (§10): every recording in
 * starting / active / ending whose egress is not among `running` (ids the
 * egress backend knows to be live) and whose updated_at is older than
 * now_ms - older_than_ms becomes aborted, and its room's lock is released.
 * At most `limit` per call. Then every lock taken before now_ms -
 * lock_older_than_ms whose room has no recording in progress is released
 * (a start that died between taking it and its recording's first event). */
#define IPC_REC_ABORT_STALE_FIELDS(F)                                          \
    F(I64, now_ms)                                                             \
    F(I64, older_than_ms)                                                      \
    F(STRS, running)                                                           \
    F(U32, limit)                                                              \
    F(I64, lock_older_than_ms)
#define IPC_REC_ABORT_STALE_REPLY_FIELDS(F)                                    \
    F(I32, err)                                                                \
    F(RECS, aborted)                                                           \
    F(BOOL, more)

/* ---- outgoing webhooks (BEHAVIOUR.md §9) ----------------------------
 *
 * Every webhook event is written to an outbox in the shard's database in
 * the same transaction as the change that causes it, and delivered by the
 * gateway (at least once, in order per room). A worker records events only
 * while webhooks are enabled: the gateway tells each worker with
 * WEBHOOKS_STATE after READY and whenever the configuration changes.
 *
 * Events and their moments: meetingStarted (room_started made the room
 * active; data = the room after), meetingEnded (the end-of-meeting
 * processing ran, from room_finished, a forced end or expiry; data = the
 * room as mutated: open, closed/none, or active_meeting/delete when it was
 * deleted), recordingStarted / recordingUpdated / recordingEnded
 * (REC_EVENT started / updated / ended; data = the record after). */

/* WEBHOOKS_STATE: whether this worker records outbox events from now on. */
#define IPC_WEBHOOKS_STATE_FIELDS(F) F(BOOL, enabled)
/* ACK: the reply of requests that only succeed or fail. */
#define IPC_ACK_FIELDS(F) F(I32, err)

/* An outbox entry. event is the webhook event name; creation_date (ms) is
 * when it happened (it becomes creationDate and X-Timestamp); exactly one
 * of room / rec is meaningful: has_rec tells which. attempts counts failed
 * deliveries so far. */
#define IPC_OUTBOX_ENTRY_FIELDS(F)                                             \
    F(I64, seq)                                                                \
    F(STR, room_id)                                                            \
    F(STR, event)                                                              \
    F(I64, creation_date)                                                      \
    F(U32, attempts)                                                           \
    F(BOOL, has_rec)                                                           \
    F(ROOM, room)                                                              \
    F(REC, rec)

/* OUTBOX_FETCH: up to `limit` pending entries due at now_ms (next attempt
 * time reached), oldest first, at most the first pending entry of each room
 * (so that one room's events go out in order, one at a time) and none of a
 * room in `busy` (rooms whose delivery is in flight). */
#define IPC_OUTBOX_FETCH_FIELDS(F)                                             \
    F(I64, now_ms)                                                             \
    F(U32, limit)                                                              \
    F(STRS, busy)
#define IPC_OUTBOX_FETCH_REPLY_FIELDS(F)                                       \
    F(I32, err)                                                                \
    F(OUTBOXES, entries)                                                       \
    F(I64, backlog) /* pending entries in this shard */                        \
    F(I64, dead)    /* entries that exhausted their attempts */

/* OUTBOX_DONE: the outcome of one delivery attempt of entry `seq`:
 * delivered → removed; otherwise attempts + 1 and, with dead, kept as dead
 * (never fetched again), else due again at next_attempt_ms. Replies ACK. */
#define IPC_OUTBOX_DONE_FIELDS(F)                                              \
    F(I64, seq)                                                                \
    F(BOOL, delivered)                                                         \
    F(BOOL, dead)                                                              \
    F(I64, next_attempt_ms)

/* WEBHOOK_CONFIG_GET / _SET (system shard): the global webhook
 * configuration. SET stores {enabled, url}; `init` makes it apply only if
 * no configuration is stored yet (first start: MEET_INITIAL_WEBHOOK_*).
 * Both reply with the stored configuration. */
#define IPC_WEBHOOK_CONFIG_GET_FIELDS(F)
#define IPC_WEBHOOK_CONFIG_SET_FIELDS(F)                                       \
    F(BOOL, enabled)                                                           \
    F(STR, url)                                                                \
    F(BOOL, init)
#define IPC_WEBHOOK_CONFIG_REPLY_FIELDS(F)                                     \
    F(I32, err)                                                                \
    F(BOOL, enabled)                                                           \
    F(STR, url)

/* XX(id, NAME, name, direction, FIELDS) */
#define IPC_MSG_MAP(XX)                                                        \
    XX(1, READY, ready, IPC_WK2GW, IPC_READY_FIELDS)                           \
    XX(2, PING, ping, IPC_GW2WK, IPC_PING_FIELDS)                              \
    XX(3, PONG, pong, IPC_WK2GW, IPC_PONG_FIELDS)                              \
    XX(4, SHUTDOWN, shutdown, IPC_GW2WK, IPC_SHUTDOWN_FIELDS)                  \
    XX(100, APIKEY_ENSURE, apikey_ensure, IPC_GW2WK,                           \
       IPC_APIKEY_ENSURE_FIELDS)                                               \
    XX(101, APIKEY_ENSURE_REPLY, apikey_ensure_reply, IPC_WK2GW,               \
       IPC_APIKEY_ENSURE_REPLY_FIELDS)                                         \
    XX(102, ROOM_CREATE, room_create, IPC_GW2WK, IPC_ROOM_CREATE_FIELDS)       \
    XX(103, ROOM_REPLY, room_reply, IPC_WK2GW, IPC_ROOM_REPLY_FIELDS)          \
    XX(104, ROOM_GET, room_get, IPC_GW2WK, IPC_ROOM_GET_FIELDS)                \
    XX(105, ROOM_UPDATE_CONFIG, room_update_config, IPC_GW2WK,                 \
       IPC_ROOM_UPDATE_CONFIG_FIELDS)                                          \
    XX(106, ROOM_SET_STATUS, room_set_status, IPC_GW2WK,                       \
       IPC_ROOM_SET_STATUS_FIELDS)                                             \
    XX(107, ROOM_DELETE, room_delete, IPC_GW2WK, IPC_ROOM_DELETE_FIELDS)       \
    XX(108, ROOM_LIST, room_list, IPC_GW2WK, IPC_ROOM_LIST_FIELDS)             \
    XX(109, ROOM_LIST_REPLY, room_list_reply, IPC_WK2GW,                       \
       IPC_ROOM_LIST_REPLY_FIELDS)                                             \
    XX(110, MEETING_EVENT, meeting_event, IPC_GW2WK, IPC_MEETING_EVENT_FIELDS) \
    XX(111, MEETING_EVENT_REPLY, meeting_event_reply, IPC_WK2GW,               \
       IPC_MEETING_EVENT_REPLY_FIELDS)                                         \
    XX(112, ROOMS_EXPIRE, rooms_expire, IPC_GW2WK, IPC_ROOMS_EXPIRE_FIELDS)    \
    XX(113, ROOMS_EXPIRE_REPLY, rooms_expire_reply, IPC_WK2GW,                 \
       IPC_ROOMS_EXPIRE_REPLY_FIELDS)                                          \
    XX(114, REC_START, rec_start, IPC_GW2WK, IPC_REC_START_FIELDS)             \
    XX(115, REC_UNLOCK, rec_unlock, IPC_GW2WK, IPC_REC_UNLOCK_FIELDS)          \
    XX(116, REC_EVENT, rec_event, IPC_GW2WK, IPC_REC_EVENT_FIELDS)             \
    XX(117, REC_REPLY, rec_reply, IPC_WK2GW, IPC_REC_REPLY_FIELDS)             \
    XX(118, REC_GET, rec_get, IPC_GW2WK, IPC_REC_GET_FIELDS)                   \
    XX(119, REC_DELETE, rec_delete, IPC_GW2WK, IPC_REC_DELETE_FIELDS)          \
    XX(120, REC_LIST, rec_list, IPC_GW2WK, IPC_REC_LIST_FIELDS)                \
    XX(121, REC_LIST_REPLY, rec_list_reply, IPC_WK2GW,                         \
       IPC_REC_LIST_REPLY_FIELDS)                                              \
    XX(122, REC_ABORT_STALE, rec_abort_stale, IPC_GW2WK,                       \
       IPC_REC_ABORT_STALE_FIELDS)                                             \
    XX(123, REC_ABORT_STALE_REPLY, rec_abort_stale_reply, IPC_WK2GW,           \
       IPC_REC_ABORT_STALE_REPLY_FIELDS)                                       \
    XX(124, WEBHOOKS_STATE, webhooks_state, IPC_GW2WK,                         \
       IPC_WEBHOOKS_STATE_FIELDS)                                              \
    XX(125, ACK, ack, IPC_WK2GW, IPC_ACK_FIELDS)                               \
    XX(126, OUTBOX_FETCH, outbox_fetch, IPC_GW2WK, IPC_OUTBOX_FETCH_FIELDS)    \
    XX(127, OUTBOX_FETCH_REPLY, outbox_fetch_reply, IPC_WK2GW,                 \
       IPC_OUTBOX_FETCH_REPLY_FIELDS)                                          \
    XX(128, OUTBOX_DONE, outbox_done, IPC_GW2WK, IPC_OUTBOX_DONE_FIELDS)       \
    XX(129, WEBHOOK_CONFIG_GET, webhook_config_get, IPC_GW2WK,                 \
       IPC_WEBHOOK_CONFIG_GET_FIELDS)                                          \
    XX(130, WEBHOOK_CONFIG_SET, webhook_config_set, IPC_GW2WK,                 \
       IPC_WEBHOOK_CONFIG_SET_FIELDS)                                          \
    XX(131, WEBHOOK_CONFIG_REPLY, webhook_config_reply, IPC_WK2GW,             \
       IPC_WEBHOOK_CONFIG_REPLY_FIELDS)

/* XX(REQUEST, request, REPLY, reply) */
#define IPC_RPC_MAP(XX)                                                        \
    XX(PING, ping, PONG, pong)                                                 \
    XX(APIKEY_ENSURE, apikey_ensure, APIKEY_ENSURE_REPLY, apikey_ensure_reply) \
    XX(ROOM_CREATE, room_create, ROOM_REPLY, room_reply)                       \
    XX(ROOM_GET, room_get, ROOM_REPLY, room_reply)                             \
    XX(ROOM_UPDATE_CONFIG, room_update_config, ROOM_REPLY, room_reply)         \
    XX(ROOM_SET_STATUS, room_set_status, ROOM_REPLY, room_reply)               \
    XX(ROOM_DELETE, room_delete, ROOM_REPLY, room_reply)                       \
    XX(ROOM_LIST, room_list, ROOM_LIST_REPLY, room_list_reply)                 \
    XX(MEETING_EVENT, meeting_event, MEETING_EVENT_REPLY,                      \
       meeting_event_reply)                                                    \
    XX(ROOMS_EXPIRE, rooms_expire, ROOMS_EXPIRE_REPLY, rooms_expire_reply)     \
    XX(REC_START, rec_start, ROOM_REPLY, room_reply)                           \
    XX(REC_UNLOCK, rec_unlock, ROOM_REPLY, room_reply)                         \
    XX(REC_EVENT, rec_event, REC_REPLY, rec_reply)                             \
    XX(REC_GET, rec_get, REC_REPLY, rec_reply)                                 \
    XX(REC_DELETE, rec_delete, REC_REPLY, rec_reply)                           \
    XX(REC_LIST, rec_list, REC_LIST_REPLY, rec_list_reply)                     \
    XX(REC_ABORT_STALE, rec_abort_stale, REC_ABORT_STALE_REPLY,                \
       rec_abort_stale_reply)                                                  \
    XX(WEBHOOKS_STATE, webhooks_state, ACK, ack)                               \
    XX(OUTBOX_FETCH, outbox_fetch, OUTBOX_FETCH_REPLY, outbox_fetch_reply)     \
    XX(OUTBOX_DONE, outbox_done, ACK, ack)                                     \
    XX(WEBHOOK_CONFIG_GET, webhook_config_get, WEBHOOK_CONFIG_REPLY,           \
       webhook_config_reply)                                                   \
    XX(WEBHOOK_CONFIG_SET, webhook_config_set, WEBHOOK_CONFIG_REPLY,           \
       webhook_config_reply)

/* Every reply type once: XX(REPLY, reply). */
#define IPC_REPLY_MAP(XX)                                                      \
    XX(PONG, pong)                                                             \
    XX(APIKEY_ENSURE_REPLY, apikey_ensure_reply)                               \
    XX(ROOM_REPLY, room_reply)                                                 \
    XX(ROOM_LIST_REPLY, room_list_reply)                                       \
    XX(MEETING_EVENT_REPLY, meeting_event_reply)                               \
    XX(ROOMS_EXPIRE_REPLY, rooms_expire_reply)                                 \
    XX(REC_REPLY, rec_reply)                                                   \
    XX(REC_LIST_REPLY, rec_list_reply)                                         \
    XX(REC_ABORT_STALE_REPLY, rec_abort_stale_reply)                           \
    XX(ACK, ack)                                                               \
    XX(OUTBOX_FETCH_REPLY, outbox_fetch_reply)                                 \
    XX(WEBHOOK_CONFIG_REPLY, webhook_config_reply)

typedef enum {
#define IPC__MSG_ENUM(id, NAME, name, dir, FIELDS) IPC_MSG_##NAME = (id),
    IPC_MSG_MAP(IPC__MSG_ENUM)
#undef IPC__MSG_ENUM
} ipc_msg_type_t;

#endif
