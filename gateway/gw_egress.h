/*
 * gw_egress: the recording backends behind one interface, and the mapping
 * of egress state to recording records.
 *
 * A backend starts and stops "egresses" (one recording each) and reports
 * their progress as events, exactly as LiveKit reports egress_started /
 * egress_updated / egress_ended in its webhooks: kind IPC_REC_EV_* and the
 * recording record the event implies (LIVEKIT.md §2.3). The gateway feeds
 * both sources into the same path (REC_EVENT to the room's shard).
 *
 * Backends: `local` (gw_egress_local.c), which runs ffmpeg to record a
 * synthetic test pattern with a tone into local storage, and `livekit`
 * (gw_egress_livekit.c), which drives a LiveKit server's egresses over its
 * Twirp API (gw_lkapi.h) and whose events arrive as webhooks. The generic
 * entry points are in gw_egress.c.
 *
 * Media files live at <recordings dir>/<roomId>/<roomId>--<uid>.mp4; the
 * record's `filename` is the last segment.
 */
#ifndef GW_EGRESS_H
#define GW_EGRESS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gw_lkapi.h"
#include "ipc.h"

typedef struct gw_egress_s gw_egress_t;

/** Called for every egress event; `rec` is valid during the call only.
 *  Its strings are not NUL-terminated views. */
typedef void (*gw_egress_event_cb)(void *data, uint32_t kind,
                                   const ipc_rec_t *rec);

typedef struct {
    const char *room_id;   /* the Meet room id (LiveKit room name) */
    const char *layout;    /* grid | speaker | single-speaker */
    const json_t *encoding; /* preset string or advanced-options object
                               (validated, BEHAVIOUR.md §4.1) */
} gw_egress_request_t;

/** Egress status as a backend knows it now (for stop, §7.2). */
typedef enum {
    GW_EGRESS_UNKNOWN = 0, /* no such egress */
    GW_EGRESS_STARTING,
    GW_EGRESS_ACTIVE,
    GW_EGRESS_ENDING,
    GW_EGRESS_ENDED, /* complete, failed, aborted, limit_reached */
} gw_egress_status_t;

/** Returns a new local backend (free with gw_egress_close). Recordings go
 *  under `recordings_dir` (created 0700 if missing); `ffmpeg` is the
 *  executable to run. Returns 0 or an ov_err code. */
int gw_egress_local_new(gw_egress_t **out, uv_loop_t *loop,
                        const char *recordings_dir, const char *ffmpeg,
                        gw_egress_event_cb cb, void *data);

/** Returns a new LiveKit backend driving egresses through `api` (borrowed;
 *  it must outlive the backend). The egress writes its files under
 *  `egress_dir`, at "<subbucket>/recordings/<roomId>/<roomId>--<uid>.mp4",
 *  which is where meetd serves them from. Its events arrive as LiveKit's
 *  webhooks, so `cb` is not called by this backend. Returns 0 or an
 *  ov_err code. */
int gw_egress_livekit_new(gw_egress_t **out, uv_loop_t *loop, gw_lkapi_t *api,
                          const char *egress_dir, const char *subbucket,
                          gw_egress_event_cb cb, void *data);

/* Every asynchronous call below fires its callback exactly once, possibly
 * before the call returns (the local backend knows its answers at once). */

/** `err` 0: the egress started; `egress_id` and `recording_id` are valid
 *  during the call. Otherwise OV_EEGRESS (it could not start). */
typedef void (*gw_egress_start_cb)(void *data, int err, const char *egress_id,
                                   const char *recording_id);

/** Starts an egress for `req`. The local backend emits STARTED before the
 *  callback, ACTIVE once media flows, and ENDED when it finishes or fails;
 *  LiveKit reports the same through its webhooks. */
void gw_egress_start(gw_egress_t *e, const gw_egress_request_t *req,
                     gw_egress_start_cb cb, void *data);

/** `err` 0 and the status (GW_EGRESS_UNKNOWN: no such egress), or
 *  OV_ELIVEKIT when the media server could not be asked. */
typedef void (*gw_egress_status_cb)(void *data, int err,
                                    gw_egress_status_t st);

/** Asks for the current status of `egress_id` of room `room_id`. */
void gw_egress_status(gw_egress_t *e, const char *room_id,
                      const char *egress_id, gw_egress_status_cb cb,
                      void *data);

/** `err` 0: stopping; `rec` is then the egress's state as the media server
 *  answered it, not stored (views valid during the call), or NULL when the
 *  backend has emitted the change as an event itself. Otherwise OV_ENOREC
 *  (unknown or already ended) or OV_ELIVEKIT. */
typedef void (*gw_egress_stop_cb)(void *data, int err, const ipc_rec_t *rec);

/** Stops an egress of room `room_id`; ENDING and then ENDED follow as
 *  events. `cb` may be NULL. */
void gw_egress_stop(gw_egress_t *e, const char *room_id,
                    const char *egress_id, gw_egress_stop_cb cb, void *data);

/** `err` 0 and the `n` egresses that are running (starting, active or
 *  ending), ids[i] of room rooms[i] (both valid during the call), or
 *  OV_ELIVEKIT. */
typedef void (*gw_egress_list_cb)(void *data, int err, size_t n,
                                  const char *const *ids,
                                  const char *const *rooms);

/** Lists the running egresses of `room_id`, or of every room if NULL. */
void gw_egress_list_running(gw_egress_t *e, const char *room_id,
                            gw_egress_list_cb cb, void *data);

/** Stops every running egress of `room_id` (its meeting ended, or the room
 *  is gone). */
void gw_egress_stop_room(gw_egress_t *e, const char *room_id);

/** 1 if the backend knows who is in a meeting (LiveKit: ListParticipants),
 *  0 if meetd's own meeting state must be used (local). */
int gw_egress_knows_participants(const gw_egress_t *e);

/** `err` 0 and whether the room has participants, or OV_ELIVEKIT. */
typedef void (*gw_egress_participants_cb)(void *data, int err, int any);

/** Asks whether `room_id` has participants; only for a backend that knows
 *  them (gw_egress_knows_participants). */
void gw_egress_participants(gw_egress_t *e, const char *room_id,
                            gw_egress_participants_cb cb, void *data);

/** Ends the meeting of `room_id` in the media server (LiveKit: DeleteRoom,
 *  if the room exists there), in the background. Nothing for the local
 *  backend, which has no meetings of its own. */
void gw_egress_end_meeting(gw_egress_t *e, const char *room_id);

/** Egress processes run by meetd itself (local backend), for metrics. */
size_t gw_egress_processes(const gw_egress_t *e);

/** Returns the path of the media file of a recording (new string, free
 *  with free()), or NULL if `room_id` or `filename` could escape the
 *  recordings directory ('/', "..", NUL, empty). */
char *gw_egress_media_path(const gw_egress_t *e, const char *room_id,
                           const char *filename);

/** Returns the recordings directory (borrowed). */
const char *gw_egress_dir(const gw_egress_t *e);

/** Stops every egress meetd runs (each ends as it would on stop) and frees
 *  the backend once they have exited (bounded wait); `cb` fires then. */
void gw_egress_close(gw_egress_t *e, void (*cb)(void *), void *data);

/** Maps a LiveKit EgressInfo object (protojson, LIVEKIT.md §1.6, §2.3-2.4)
 *  to a recording record and event kind for `event_kind` (GW_LK_EGRESS_*
 *  from gw_livekit.h). Returns 0 and fills `rec` (views into `info`, valid
 *  while it lives; encoding_json points into `scratch`, which the caller
 *  frees), or -1 if it is not a recording egress (no fileResults, or
 *  stream outputs) or lacks its ids. */
int gw_egress_map_info(const json_t *info, int event_kind, uint32_t *kind,
                       ipc_rec_t *rec, char **scratch);

#endif
