/* gw_routes_livekit: POST /livekit/webhook, LiveKit's events about rooms
 * and meetings (LIVEKIT.md §1-2).
 *
 * A request whose signature does not verify gets 401 and changes nothing.
 * A verified event is applied in its room's shard before the answer, so a
 * 200 means it is committed; if that shard is unavailable the answer is
 * 503, which makes LiveKit deliver the event again instead of losing it.
 * Everything else (malformed JSON, unknown rooms, events meetd does not act
 * on, duplicates) gets a prompt 200, never a hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw_app.h"
#include "gw_egress.h"
#include "gw_livekit.h"
#include "gw_recordings.h"
#include "gw_webhooks.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

static void answer_ok(gw_ctx_t *ctx)
{
    gw_http_respond(ctx->req, 200, NULL, NULL, "", 0);
    gw_ctx_release(ctx);
}

static void meeting_reply_cb(int err, const ipc_meeting_event_reply_t *reply,
                             void *data)
{
    gw_ctx_t *ctx = data;
    if (err != 0 && ov_err_http_status(err) == 503) {
        /* The shard could not apply it now: LiveKit retries on 5xx. */
        ov_warn("livekit webhook: %s; asking for a retry", ov_strerror(err));
        gw_ctx_send_err(ctx, err, NULL);
        return;
    }
    if (err != 0) {
        /* The event itself is unusable (e.g. an oversized identity); a
         * retry would fail the same way. */
        ov_warn("livekit webhook: event refused by its shard: %s",
                ov_strerror(err));
        answer_ok(ctx);
        return;
    }
    uint32_t kind = (uint32_t)(uintptr_t)ctx->op;
    ctx->op = NULL;
    int applied = reply->outcome == IPC_MEETEV_APPLIED;
    if (applied && ctx->app->webhooks)
        gw_webhooks_kick(ctx->app->webhooks); /* meetingStarted/Ended */
    if (kind == IPC_MEET_ROOM_FINISHED && applied && reply->has_room) {
        char *room =
            ov_xstrndup(reply->room.room_id.ptr, reply->room.room_id.len);
        /* The meeting is over: its recordings end with it, as LiveKit's
         * egresses do when their room closes. */
        if (ctx->app->egress)
            gw_egress_stop_room(ctx->app->egress, room);
        /* With meetingEndAction delete it took the room and its recordings
         * along; the reply shows the room as it was. */
        if (ov_str_eq(reply->room.meeting_end_action, OV_STR_LIT("delete")) &&
            ov_str_eq(reply->room.status, OV_STR_LIT("active_meeting")))
            gw_recordings_remove_room_media(ctx->app, room);
        free(room);
    }
    if (reply->outcome == IPC_MEETEV_STALE)
        ov_info("livekit webhook: stale event for room %.*s ignored",
                (int)reply->room.room_id.len, reply->room.room_id.ptr);
    answer_ok(ctx);
}

static uint32_t meeting_kind(gw_lk_kind_t k)
{
    switch (k) {
    case GW_LK_ROOM_STARTED:
        return IPC_MEET_ROOM_STARTED;
    case GW_LK_ROOM_FINISHED:
        return IPC_MEET_ROOM_FINISHED;
    case GW_LK_PARTICIPANT_JOINED:
        return IPC_MEET_PARTICIPANT_JOINED;
    case GW_LK_PARTICIPANT_LEFT:
        return IPC_MEET_PARTICIPANT_LEFT;
    default:
        return 0;
    }
}

static void egress_done_cb(void *data, int err, const ipc_rec_t *rec)
{
    gw_ctx_t *ctx = data;
    (void)rec;
    if (err != 0 && ov_err_http_status(err) == 503) {
        gw_ctx_send_err(ctx, err, NULL);
        return;
    }
    if (err != 0)
        ov_warn("livekit webhook: egress event refused: %s", ov_strerror(err));
    answer_ok(ctx);
}

/* egress_* events feed the recording state machine (LIVEKIT.md §2.3). */
static void handle_egress(gw_ctx_t *ctx, gw_lk_event_t *ev)
{
    uint32_t kind;
    ipc_rec_t rec;
    char *scratch = NULL;
    if (!ev->egress_info ||
        gw_egress_map_info(ev->egress_info, ev->kind, &kind, &rec,
                           &scratch) != 0) {
        free(scratch);
        answer_ok(ctx); /* not a recording egress */
        return;
    }
    gw_recordings_event(ctx->app, kind, &rec, egress_done_cb, ctx);
    free(scratch);
}

/* 1 if the request's media type is LiveKit's application/webhook+json
 * (parameters and case aside). */
static int is_webhook_json(const char *ctype)
{
    static const char want[] = "application/webhook+json";
    size_t n = sizeof(want) - 1;
    if (!ctype)
        return 0;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    return strncasecmp(ctype, want, n) == 0 &&
           (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ' ||
            ctype[n] == '\t');
}

void gw_route_livekit_webhook(gw_ctx_t *ctx)
{
    const gw_config_t *cfg = ctx->app->cfg;
    gw_req_t *req = ctx->req;
    char why[128];
    if (gw_lk_verify(gw_req_header(req, "authorization"), req->body.data,
                     req->body.len, cfg->livekit_api_key,
                     cfg->livekit_api_secret, ov_time_now_ms() / 1000, why,
                     sizeof(why)) != 0) {
        ov_warn("livekit webhook from %s rejected: %s", req->peer, why);
        char msg[192];
        snprintf(msg, sizeof(msg), "Invalid LiveKit webhook: %s", why);
        gw_ctx_send_error(ctx, 401, "Authentication Error", msg, NULL);
        return;
    }
    /* LiveKit always sends its own media type; the reference reads the raw
     * body only under it, so a signed event under another type is answered
     * and not applied. */
    if (!is_webhook_json(gw_req_header(req, "content-type"))) {
        ov_warn("livekit webhook from %s ignored: Content-Type is not "
                "application/webhook+json",
                req->peer);
        answer_ok(ctx);
        return;
    }
    gw_lk_event_t ev;
    if (gw_lk_event_parse(req->body.data, req->body.len, &ev) != 0) {
        ov_warn("livekit webhook: malformed event body ignored");
        answer_ok(ctx);
        return;
    }
    if (ev.kind == GW_LK_EGRESS_STARTED || ev.kind == GW_LK_EGRESS_UPDATED ||
        ev.kind == GW_LK_EGRESS_ENDED) {
        handle_egress(ctx, &ev);
        gw_lk_event_free(&ev);
        return;
    }
    uint32_t kind = meeting_kind(ev.kind);
    int participant = kind == IPC_MEET_PARTICIPANT_JOINED ||
                      kind == IPC_MEET_PARTICIPANT_LEFT;
    /* Only standard participants count (LIVEKIT.md §2.2): egress and agent
     * participants are not people in the meeting. */
    if (kind == 0 || ev.room_name[0] == '\0' ||
        (participant && (!ev.participant_standard || !ev.participant[0]))) {
        ov_debug("livekit webhook: %s ignored", ev.event);
        gw_lk_event_free(&ev);
        answer_ok(ctx);
        return;
    }
    ipc_meeting_event_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(ev.room_name);
    m.kind = kind;
    m.event_id = ov_str(ev.id);
    m.created_at = ev.created_at;
    m.participant = ov_str(participant ? ev.participant : "");
    ctx->op = (void *)(uintptr_t)kind; /* for the reply: which event */
    uint32_t shard = ov_shard_of(ev.room_name, strlen(ev.room_name),
                                 gw_pool_size(ctx->app->pool));
    int rc = gw_shard_meeting_event(ctx->app->pool, shard, &m,
                                    meeting_reply_cb, ctx);
    gw_lk_event_free(&ev);
    if (rc != 0)
        meeting_reply_cb(rc, NULL, ctx);
}
