/*
 * gw_egress_internal: what the recording backends share, private to
 * gw_egress.c and the backends (gw_egress_local.c, gw_egress_livekit.c).
 *
 * A gw_egress_t holds what every backend needs (loop, recordings
 * directory, event callback) and an ops table; the public functions of
 * gw_egress.h dispatch through it, so that a backend supplies only its
 * table and its state (`impl`).
 */
#ifndef GW_EGRESS_INTERNAL_H
#define GW_EGRESS_INTERNAL_H

#include "gw_egress.h"

typedef struct {
    void (*start)(gw_egress_t *e, const gw_egress_request_t *req,
                  gw_egress_start_cb cb, void *data);
    void (*status)(gw_egress_t *e, const char *room_id, const char *egress_id,
                   gw_egress_status_cb cb, void *data);
    void (*stop)(gw_egress_t *e, const char *room_id, const char *egress_id,
                 gw_egress_stop_cb cb, void *data);
    void (*list_running)(gw_egress_t *e, const char *room_id,
                         gw_egress_list_cb cb, void *data);
    /* NULL when the backend does not know participants. */
    void (*participants)(gw_egress_t *e, const char *room_id,
                         gw_egress_participants_cb cb, void *data);
    /* NULL when the backend has no meetings to end. */
    void (*end_meeting)(gw_egress_t *e, const char *room_id);
    size_t (*processes)(const gw_egress_t *e);
    /* Stops everything and calls gw_egress_closed() once the backend's
     * resources are gone (from the loop, never from inside this call). */
    void (*close)(gw_egress_t *e);
} gw_egress_ops_t;

struct gw_egress_s {
    const gw_egress_ops_t *ops;
    uv_loop_t *loop;
    char *dir; /* recordings directory, owned */
    gw_egress_event_cb cb;
    void *data;
    void (*close_cb)(void *);
    void *close_data;
    int closing;
    void *impl; /* the backend's state */
};

/** Creates the generic part for a backend: creates `dir` (and parents,
 *  0700) if missing and keeps it without trailing '/'. Returns 0 and *out,
 *  or OV_ESTORAGE / OV_EINTERNAL. */
int gw_egress_base_new(gw_egress_t **out, const gw_egress_ops_t *ops,
                       uv_loop_t *loop, const char *dir,
                       gw_egress_event_cb cb, void *data);

/** Called by a backend when it has released everything after ops->close:
 *  frees the generic part and reports the close. */
void gw_egress_closed(gw_egress_t *e);

/** 1 if `s` is a path segment that cannot leave its directory: non-empty,
 *  no '/', no "..", not ".". */
int gw_egress_safe_segment(const char *s);

/** Draws 10 lowercase hex characters (a file uid) into `out` (11 bytes)
 *  such that <dir>/<room_id>/<room_id>--<uid>.mp4 does not exist yet.
 *  Returns 0 or -1. */
int gw_egress_new_uid(const gw_egress_t *e, const char *room_id, char out[11]);

#endif
