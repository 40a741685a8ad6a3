/*
 * gw_rec_access: who may read a recording (BEHAVIOUR.md §7.6), shared by
 * GET /recordings/{id} and GET /recordings/{id}/media.
 *
 * With a non-empty `secret` the normal authentication is replaced: the
 * recording is looked up first (404 if missing, before any auth); the
 * public secret allows anonymous access; the private one needs a user's
 * access token, which meetd does not issue, so it is 401 Unauthorized; any
 * other value is 400 "Secret '<s>' is not recognized for recording '<id>'".
 * Without a secret the API key is required (the reference's 401 bodies).
 */
#ifndef GW_REC_ACCESS_H
#define GW_REC_ACCESS_H

#include "gw_app.h"
#include "ipc.h"

/** Called with the record when access is granted; `rec` is valid during
 *  the call only. The callback answers (and so releases ctx). */
typedef void (*gw_rec_access_cb)(gw_ctx_t *ctx, const ipc_rec_t *rec,
                                 void *data);

/** Looks up `recording_id` in its room's shard and applies the rules
 *  above; on any failure it answers ctx with the error itself. `secret`
 *  may be NULL. `operation` names the 500 message ("getting recording
 *  '<id>'", "streaming recording '<id>'"). */
void gw_rec_access(gw_ctx_t *ctx, const char *recording_id, const char *room_id,
                   const char *secret, const char *operation,
                   gw_rec_access_cb cb, void *data);

#endif
