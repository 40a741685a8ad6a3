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
 * synthetic test pattern with a tone into local storage, and `livekit`,
 * whose events arrive as webhooks (its Twirp client is a separate module).
 *
 * Media files live at <recordings_dir>/<roomId>/<roomId>--<uid>.mp4; the
 * record's `filename` is the last segment.
 */
#ifndef GW_EGRESS_H
#define GW_EGRESS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

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

/** Starts an egress for `req`. On success returns 0, writes the egress id
 *  ("EG_" + 12 alphanumerics) into `egress_id` (at least 32 bytes) and the
 *  recording id into `recording_id` (at least 256 bytes); the STARTED event
 *  has been emitted before this returns, ACTIVE follows once media flows,
 *  and ENDED when it finishes or fails. Returns OV_EEGRESS if it cannot
 *  start (no event then). */
int gw_egress_start(gw_egress_t *e, const gw_egress_request_t *req,
                    char *egress_id, char *recording_id);

/** Returns the current status of `egress_id` of room `room_id`. */
gw_egress_status_t gw_egress_status(gw_egress_t *e, const char *room_id,
                                    const char *egress_id);

/** Stops an egress: ENDING is emitted now and ENDED when it has finished
 *  writing its file. Returns 0, or OV_ENOREC if it is unknown or ended. */
int gw_egress_stop(gw_egress_t *e, const char *egress_id);

/** Fills `out` (caller's array of `cap` entries) with the ids of the
 *  egresses that are running; returns how many there are (may exceed cap). */
size_t gw_egress_running(gw_egress_t *e, const char **out, size_t cap);

/** Like gw_egress_running, also filling rooms[i] with the room of out[i]
 *  (both borrowed, valid until the egress ends). */
size_t gw_egress_running_rooms(gw_egress_t *e, const char **out,
                               const char **rooms, size_t cap);

/** Stops every running egress of `room_id` (its meeting ended, or the room
 *  is gone). */
void gw_egress_stop_room(gw_egress_t *e, const char *room_id);

/** Returns the path of the media file of a recording (new string, free
 *  with free()), or NULL if `room_id` or `filename` could escape the
 *  recordings directory ('/', "..", NUL, empty). */
char *gw_egress_media_path(const gw_egress_t *e, const char *room_id,
                           const char *filename);

/** Returns the recordings directory (borrowed). */
const char *gw_egress_dir(const gw_egress_t *e);

/** Stops every egress (each ends as it would on stop) and frees the
 *  backend once they have exited (bounded wait); `cb` fires then. */
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
