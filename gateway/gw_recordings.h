/*
 * gw_recordings: the gateway's half of the recording state machine
 * (BEHAVIOUR.md §8.1).
 *
 * Egress events, from the local backend or from LiveKit's webhooks, become
 * REC_EVENT requests to the room's shard, in the order they happen. A start
 * request (POST /recordings) waits until its recording is stored as
 * `active`, or times out.
 */
#ifndef GW_RECORDINGS_H
#define GW_RECORDINGS_H

#include "gw_app.h"
#include "ipc.h"

/** Creates the configured egress backend into app->egress (local: under
 *  <data dir>/recordings, running MEET_FFMPEG). Returns 0 or an ov_err
 *  code. */
int gw_recordings_init(gw_app_t *app);

/** Stops running egresses and frees the backend; `cb` fires when done. */
void gw_recordings_close(gw_app_t *app, void (*cb)(void *), void *data);

/** Called when an event has been stored (err 0, `rec` the stored record,
 *  valid during the call) or could not be (err, rec NULL). */
typedef void (*gw_rec_event_done_cb)(void *data, int err,
                                     const ipc_rec_t *rec);

/** Sends one egress event to the recording's shard; `done` (may be NULL)
 *  fires once. A stored `active` recording wakes the starts waiting for
 *  it. */
void gw_recordings_event(gw_app_t *app, uint32_t kind, const ipc_rec_t *rec,
                         gw_rec_event_done_cb done, void *data);

/** Waits until `recording_id` is stored as active (cb err 0 with the
 *  record) or `timeout_ms` passes (cb err OV_ERECTIMEOUT, rec NULL). The
 *  callback fires exactly once. */
void gw_recordings_wait_active(gw_app_t *app, const char *recording_id,
                               unsigned timeout_ms, gw_rec_event_done_cb cb,
                               void *data);

/** Removes the media of a room (its directory under the recordings
 *  directory), after the room and its recordings were deleted. */
void gw_recordings_remove_room_media(gw_app_t *app, const char *room_id);

#endif
