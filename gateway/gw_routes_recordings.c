/* gw_routes_recordings: the recordings endpoints (BEHAVIOUR.md §7), but
 * media and ZIP downloads (gw_routes_media.c).
 *
 * A recording lives in its room's shard: the room id is the first part of
 * the recording id. Starting one takes the room's recording lock in the
 * shard (REC_START), starts an egress, and answers once the egress events
 * have stored the recording as active. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw_app.h"
#include "gw_egress.h"
#include "gw_json.h"
#include "gw_page.h"
#include "gw_rec_access.h"
#include "gw_rec_json.h"
#include "gw_recordings.h"
#include "gw_url.h"
#include "gw_valid.h"
#include "gw_valid_rec.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

#define MAX_BULK_IDS 1000

static uint32_t shard_of(const gw_ctx_t *ctx, const char *room_id)
{
    return ov_shard_of(room_id, strlen(room_id), gw_pool_size(ctx->app->pool));
}

/* Sends an error whose message is "<prefix>'<id>'<suffix>". */
static void send_templ(gw_ctx_t *ctx, int status, const char *error,
                       const char *prefix, const char *id, const char *suffix)
{
    char msg[768];
    snprintf(msg, sizeof(msg), "%s'%s'%s", prefix, id, suffix);
    gw_ctx_send_error(ctx, status, error, msg, NULL);
}

/* Answers an error a shard returned about recording `id` of room `room`;
 * `operation` completes "Unexpected error while ..." for 500s. */
static void send_rec_err(gw_ctx_t *ctx, int err, const char *id,
                         const char *room, const char *operation)
{
    switch (err) {
    case OV_ENOROOM:
        send_templ(ctx, 404, "Room Error", "Room ", room, " does not exist");
        return;
    case OV_ENOREC:
        send_templ(ctx, 404, "Recording Error", "Recording ", id, " not found");
        return;
    case OV_ERECNOTSTOPPED:
        send_templ(ctx, 409, "Recording Error", "Recording ", id,
                   " is not stopped yet");
        return;
    case OV_ERECDISABLED:
        send_templ(ctx, 403, "Recording Error", "Recording is disabled for room ",
                   room, "");
        return;
    case OV_ERECLOCKED:
        send_templ(ctx, 409, "Recording Error", "Room ", room,
                   " is already being recorded");
        return;
    case OV_ENOPARTICIPANTS:
        send_templ(ctx, 409, "Recording Error", "Room ", room,
                   " has no participants");
        return;
    }
    if (ov_err_http_status(err) == 503) {
        gw_ctx_send_err(ctx, err, NULL);
        return;
    }
    char msg[768];
    snprintf(msg, sizeof(msg), "Unexpected error while %s", operation);
    gw_ctx_send_error(ctx, 500, "Internal Server Error", msg, NULL);
}

static char *location_header(const gw_ctx_t *ctx, ov_str_t id)
{
    ov_buf_t h = OV_BUF_INIT;
    ov_buf_appends(&h, "Location: ");
    gw_url_base(ctx->app->cfg, ctx->req, &h);
    ov_buf_appends(&h, "/api/v1/recordings/");
    ov_buf_append(&h, id.ptr, id.len);
    ov_buf_appends(&h, "\r\n");
    return h.data;
}

static void send_rec(gw_ctx_t *ctx, int status, const ipc_rec_t *rec,
                     char **fields, size_t nfields, int has_fields,
                     int location)
{
    char *hdr = location ? location_header(ctx, rec->recording_id) : NULL;
    if (has_fields) {
        json_t *full = gw_rec_to_json(rec);
        json_t *p = gw_json_project(full, fields, nfields);
        json_decref(full);
        gw_ctx_send_json(ctx, status, p, hdr);
    } else {
        ov_buf_t b = OV_BUF_INIT;
        gw_rec_append_json(&b, rec);
        gw_ctx_send_json_text(ctx, status, b.data, b.len, hdr);
        ov_buf_free(&b);
    }
    free(hdr);
}

/* Validates the {recordingId} parameter under `field`; NULL after a 422. */
static char *path_rec_id(gw_ctx_t *ctx, const char *field, char **room_id,
                         char **egress_id, json_t **details_out)
{
    char *id = NULL;
    json_t *details = NULL;
    const char *raw = gw_route_param(&ctx->match, "recordingId");
    if (gw_valid_recording_id(raw ? raw : "", field, &id, room_id, egress_id,
                              &details) != 0) {
        if (details_out) {
            *details_out = details; /* the caller adds its own issues */
            return NULL;
        }
        gw_ctx_send_invalid(ctx, details);
        return NULL;
    }
    return id;
}

/* ---- POST /recordings ------------------------------------------------- */

typedef struct {
    gw_ctx_t *ctx;
    gw_app_t *app;
    gw_rec_start_in_t in;
    char token[33];
    char *layout;     /* chosen for the egress, owned */
    json_t *encoding; /* chosen for the egress, owned */
    char egress_id[32];
    char recording_id[256];
} start_op_t;

static void start_op_free(start_op_t *op)
{
    gw_rec_start_in_free(&op->in);
    free(op->layout);
    json_decref(op->encoding);
    free(op);
}

static void unlock_cb(int err, const ipc_room_reply_t *reply, void *data)
{
    (void)reply;
    (void)data;
    if (err != 0 && err != OV_ENOROOM)
        ov_warn("releasing a recording lock failed: %s", ov_strerror(err));
}

static void unlock_room(gw_app_t *app, const char *room_id, const char *token)
{
    ipc_rec_unlock_t m = {.room_id = ov_str(room_id), .lock_token = ov_str(token)};
    int rc = gw_shard_rec_unlock(app->pool,
                                 ov_shard_of(room_id, strlen(room_id),
                                             gw_pool_size(app->pool)),
                                 &m, unlock_cb, NULL);
    if (rc != 0)
        unlock_cb(rc, NULL, NULL);
}

static void start_active_cb(void *data, int err, const ipc_rec_t *rec)
{
    start_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;
    if (err == 0) {
        send_rec(ctx, 201, rec, NULL, 0, 0, 1);
        start_op_free(op);
        return;
    }
    if (err == OV_ERECTIMEOUT) {
        /* In the background, as the reference does: the recording is
         * marked failed, stopped, and the room's lock released. */
        ov_warn("recording %s did not become active in time", op->recording_id);
        gw_egress_stop(op->app->egress, op->in.room_id, op->egress_id, NULL,
                       NULL);
        ipc_rec_t r;
        memset(&r, 0, sizeof(r));
        r.recording_id = ov_str(op->recording_id);
        r.room_id = ov_str(op->in.room_id);
        r.egress_id = ov_str(op->egress_id);
        r.status = OV_STR_LIT("failed");
        r.updated_at = (double)ov_time_now_ms();
        gw_recordings_event(op->app, IPC_REC_EV_UPDATED, &r, NULL, NULL);
        unlock_room(op->app, op->in.room_id, op->token);
        send_templ(ctx, 503, "Recording Error", "Recording in room ",
                   op->in.room_id, " timed out while starting");
    } else {
        gw_ctx_send_err(ctx, err, NULL);
    }
    start_op_free(op);
}

static void egress_started_cb(void *data, int err, const char *egress_id,
                              const char *recording_id)
{
    start_op_t *op = data;
    if (err != 0) {
        unlock_room(op->app, op->in.room_id, op->token);
        char msg[300];
        snprintf(msg, sizeof(msg),
                 "Unexpected error while starting Room Composite Egress for "
                 "room '%s'",
                 op->in.room_id);
        gw_ctx_send_error(op->ctx, 500, "Internal Server Error", msg, NULL);
        start_op_free(op);
        return;
    }
    snprintf(op->egress_id, sizeof(op->egress_id), "%s", egress_id);
    snprintf(op->recording_id, sizeof(op->recording_id), "%s", recording_id);
    gw_recordings_wait_active(op->app, op->recording_id,
                              (unsigned)op->app->cfg->recording_start_timeout_ms,
                              start_active_cb, op);
}

static void start_egress(start_op_t *op)
{
    gw_egress_request_t req;
    memset(&req, 0, sizeof(req));
    req.room_id = op->in.room_id;
    req.layout = op->layout;
    req.encoding = op->encoding;
    gw_egress_start(op->app->egress, &req, egress_started_cb, op);
}

/* Only for a backend that knows who is in the meeting (LiveKit): the room
 * needs someone to record. As the reference, a media server that cannot
 * be asked counts as an empty room. */
static void participants_cb(void *data, int err, int any)
{
    start_op_t *op = data;
    if (err != 0)
        ov_warn("cannot list the participants of room %s: %s",
                op->in.room_id, ov_strerror(err));
    if (err != 0 || !any) {
        unlock_room(op->app, op->in.room_id, op->token);
        send_rec_err(op->ctx, OV_ENOPARTICIPANTS, "", op->in.room_id, "");
        start_op_free(op);
        return;
    }
    start_egress(op);
}

static void rec_start_cb(int err, const ipc_room_reply_t *reply, void *data)
{
    start_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;
    char op_name[300];
    snprintf(op_name, sizeof(op_name), "starting recording in room '%s'",
             op->in.room_id);
    if (err != 0) {
        /* Without an answer the shard may have taken the lock all the
         * same (it died before replying): give it back. The token makes
         * this harmless if it did not. */
        if (err != OV_ENOROOM && err != OV_ERECDISABLED &&
            err != OV_ERECLOCKED && err != OV_ENOPARTICIPANTS)
            unlock_room(op->app, op->in.room_id, op->token);
        send_rec_err(ctx, err, "", op->in.room_id, op_name);
        start_op_free(op);
        return;
    }
    if (!op->app->egress) { /* shutting down */
        unlock_room(op->app, op->in.room_id, op->token);
        gw_ctx_send_err(ctx, OV_ESHUTDOWN, NULL);
        start_op_free(op);
        return;
    }
    /* The start request's layout and encoding win over the room's. */
    json_t *cfg = gw_room_config_json(&reply->room);
    json_t *rcfg = json_object_get(cfg, "recording");
    const char *layout = op->in.layout;
    if (!layout)
        layout = json_string_value(json_object_get(rcfg, "layout"));
    op->layout = ov_xstrdup(layout ? layout : "grid");
    json_t *enc = op->in.encoding ? op->in.encoding
                                  : json_object_get(rcfg, "encoding");
    op->encoding = enc ? json_incref(enc) : json_string("H264_720P_30");
    json_decref(cfg);
    if (gw_egress_knows_participants(op->app->egress))
        gw_egress_participants(op->app->egress, op->in.room_id,
                               participants_cb, op);
    else
        start_egress(op);
}

void gw_route_rec_start(gw_ctx_t *ctx)
{
    start_op_t *op = ov_xcalloc(1, sizeof(*op));
    json_t *details = NULL;
    if (gw_valid_rec_start(ctx->body, &op->in, &details) != 0) {
        free(op);
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    op->ctx = ctx;
    op->app = ctx->app;
    if (!ctx->app->egress) {
        start_op_free(op);
        gw_ctx_send_err(ctx, OV_ESHUTDOWN, NULL);
        return;
    }
    if (ov_rand_hex(op->token, 32) != 0) {
        start_op_free(op);
        gw_ctx_send_err(ctx, OV_EINTERNAL, NULL);
        return;
    }
    ipc_rec_start_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(op->in.room_id);
    m.lock_token = ov_str(op->token);
    m.now_ms = ov_time_now_ms();
    /* A backend that knows the participants is asked once the lock is
     * taken (participants_cb); otherwise the shard's meeting state tells. */
    m.check_participants = !gw_egress_knows_participants(ctx->app->egress);
    int rc = gw_shard_rec_start(ctx->app->pool, shard_of(ctx, op->in.room_id),
                                &m, rec_start_cb, op);
    if (rc != 0)
        rec_start_cb(rc, NULL, op);
}

/* ---- POST /recordings/{recordingId}/stop ------------------------------ */

typedef struct {
    gw_ctx_t *ctx;
    char *id, *room_id, *egress_id;
} rec_op_t;

static void rec_op_free(rec_op_t *op)
{
    free(op->id);
    free(op->room_id);
    free(op->egress_id);
    free(op);
}

static void stop_state_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    rec_op_t *op = data;
    char opname[600];
    snprintf(opname, sizeof(opname), "stopping recording '%s'", op->id);
    if (err != 0)
        send_rec_err(op->ctx, err, op->id, op->room_id, opname);
    else
        send_rec(op->ctx, 202, &reply->rec, NULL, 0, 0, 1);
    rec_op_free(op);
}

/* The media server's answer to the stop (as JSON, owned), completed with
 * what only the store knows (the room's name) before it goes out. */
typedef struct {
    rec_op_t *op;
    json_t *answer;
} stop_answer_t;

static void stop_answer_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    stop_answer_t *a = data;
    gw_ctx_t *ctx = a->op->ctx;
    if (err == 0)
        json_object_set_new(a->answer, "roomName",
                            json_stringn(reply->rec.room_name.ptr
                                             ? reply->rec.room_name.ptr
                                             : "",
                                         reply->rec.room_name.len));
    char *hdr = location_header(ctx, ov_str(a->op->id));
    gw_ctx_send_json(ctx, 202, a->answer, hdr);
    free(hdr);
    rec_op_free(a->op);
    free(a);
}

static void stopped_cb(void *data, int err, const ipc_rec_t *rec)
{
    rec_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;
    if (err == OV_ENOREC) {
        send_templ(ctx, 409, "Recording Error", "Recording ", op->id,
                   " is already stopped");
        rec_op_free(op);
        return;
    }
    if (err != 0) {
        send_templ(ctx, 500, "Internal Server Error",
                   "Unexpected error while stopping egress ", op->egress_id,
                   "");
        rec_op_free(op);
        return;
    }
    ipc_rec_get_t m = {.recording_id = ov_str(op->id)};
    int rc;
    if (!rec) {
        /* The backend sent the ENDING event to the shard just now; the
         * read queues behind it and so returns the stopped state. */
        rc = gw_shard_rec_get(ctx->app->pool, shard_of(ctx, op->room_id), &m,
                              stop_state_cb, op);
        if (rc != 0)
            stop_state_cb(rc, NULL, op);
        return;
    }
    stop_answer_t *a = ov_xcalloc(1, sizeof(*a));
    a->op = op;
    a->answer = gw_rec_to_json(rec);
    rc = gw_shard_rec_get(ctx->app->pool, shard_of(ctx, op->room_id), &m,
                          stop_answer_cb, a);
    if (rc != 0)
        stop_answer_cb(rc, NULL, a);
}

static void stop_status_cb(void *data, int err, gw_egress_status_t st)
{
    rec_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;
    if (err != 0) {
        send_templ(ctx, 500, "Internal Server Error",
                   "Unexpected error while getting egress ", op->egress_id, "");
        rec_op_free(op);
        return;
    }
    switch (st) {
    case GW_EGRESS_UNKNOWN:
        send_templ(ctx, 404, "Recording Error", "Recording ", op->egress_id,
                   " not found");
        break;
    case GW_EGRESS_STARTING:
        gw_egress_stop(ctx->app->egress, op->room_id, op->egress_id, NULL,
                       NULL);
        send_templ(ctx, 409, "Recording Error", "Recording ", op->id,
                   " cannot be stopped while starting");
        break;
    case GW_EGRESS_ACTIVE:
        gw_egress_stop(ctx->app->egress, op->room_id, op->egress_id,
                       stopped_cb, op);
        return;
    default:
        send_templ(ctx, 409, "Recording Error", "Recording ", op->id,
                   " is already stopped");
        break;
    }
    rec_op_free(op);
}

static void stop_room_cb(int err, const ipc_room_reply_t *reply, void *data)
{
    rec_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;
    char opname[600];
    snprintf(opname, sizeof(opname), "stopping recording '%s'", op->id);
    if (err != 0) {
        send_rec_err(ctx, err, op->id, op->room_id, opname);
        rec_op_free(op);
        return;
    }
    json_t *cfg = gw_room_config_json(&reply->room);
    int enabled = json_is_true(json_object_get(
        json_object_get(cfg, "recording"), "enabled"));
    json_decref(cfg);
    if (!enabled) {
        send_rec_err(ctx, OV_ERECDISABLED, op->id, op->room_id, opname);
        rec_op_free(op);
        return;
    }
    if (!ctx->app->egress) { /* shutting down */
        gw_ctx_send_err(ctx, OV_ESHUTDOWN, NULL);
        rec_op_free(op);
        return;
    }
    /* As the reference, the media server's view decides, not the record. */
    gw_egress_status(ctx->app->egress, op->room_id, op->egress_id,
                     stop_status_cb, op);
}

void gw_route_rec_stop(gw_ctx_t *ctx)
{
    rec_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->ctx = ctx;
    op->id = path_rec_id(ctx, "recordingId", &op->room_id, &op->egress_id, NULL);
    if (!op->id) {
        rec_op_free(op);
        return;
    }
    ipc_room_get_t m = {.room_id = ov_str(op->room_id)};
    int rc = gw_shard_room_get(ctx->app->pool, shard_of(ctx, op->room_id), &m,
                               stop_room_cb, op);
    if (rc != 0)
        stop_room_cb(rc, NULL, op);
}

/* ---- GET /recordings/{recordingId} ------------------------------------ */

static void rec_get_access_cb(gw_ctx_t *ctx, const ipc_rec_t *rec, void *data)
{
    (void)data;
    /* `fields` is read here rather than carried: gw_rec_access does not
     * call back on its own errors, so nothing may be allocated for it. */
    const char *fields = gw_query_get(&ctx->query, "fields");
    char **f = NULL;
    size_t nf = fields ? gw_fields_parse(fields, &f) : 0;
    send_rec(ctx, 200, rec, f, nf, fields != NULL, 0);
    gw_fields_free(f, nf);
}

void gw_route_rec_get(gw_ctx_t *ctx)
{
    char *room_id = NULL, *secret = NULL;
    json_t *details = NULL, *sdetails = NULL;
    char *id = path_rec_id(ctx, "params.recordingId", &room_id, NULL, &details);
    /* Both issues are reported together, the path's first. */
    if (gw_valid_rec_secret(&ctx->query, &secret, &sdetails) != 0 || !id) {
        json_t *all = details ? details : json_array();
        if (sdetails)
            json_array_extend(all, sdetails);
        json_decref(sdetails);
        free(id);
        free(room_id);
        free(secret);
        gw_ctx_send_invalid(ctx, all);
        return;
    }
    char opname[600];
    snprintf(opname, sizeof(opname), "getting recording '%s'", id);
    gw_rec_access(ctx, id, room_id, secret, opname, rec_get_access_cb, NULL);
    free(id);
    free(room_id);
    free(secret);
}

/* ---- GET /recordings/{recordingId}/url -------------------------------- */

typedef struct {
    gw_ctx_t *ctx;
    char *id;
    bool private_access;
} url_op_t;

static void url_reply_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    url_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;
    if (err != 0) {
        char opname[600];
        snprintf(opname, sizeof(opname), "getting URL for recording '%s'",
                 op->id);
        send_rec_err(ctx, err, op->id, "", opname);
    } else {
        ov_buf_t u = OV_BUF_INIT;
        gw_url_base(ctx->app->cfg, ctx->req, &u);
        ov_buf_printf(&u, "/recording/%s?secret=", op->id);
        ov_str_t s = op->private_access ? reply->rec.private_secret
                                        : reply->rec.public_secret;
        ov_buf_append(&u, s.ptr, s.len);
        json_t *body = json_object();
        json_object_set_new(body, "url", json_stringn(u.data, u.len));
        ov_buf_free(&u);
        gw_ctx_send_json(ctx, 200, body, NULL);
    }
    free(op->id);
    free(op);
}

void gw_route_rec_url(gw_ctx_t *ctx)
{
    char *room_id = NULL;
    json_t *details = NULL, *pdetails = NULL;
    bool priv = false;
    char *id = path_rec_id(ctx, "params.recordingId", &room_id, NULL, &details);
    if (gw_valid_private_access(&ctx->query, &priv, &pdetails) != 0 || !id) {
        json_t *all = details ? details : json_array();
        if (pdetails)
            json_array_extend(all, pdetails);
        json_decref(pdetails);
        free(id);
        free(room_id);
        gw_ctx_send_invalid(ctx, all);
        return;
    }
    url_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->ctx = ctx;
    op->id = id;
    op->private_access = priv;
    ipc_rec_get_t m = {.recording_id = ov_str(id)};
    int rc = gw_shard_rec_get(ctx->app->pool, shard_of(ctx, room_id), &m,
                              url_reply_cb, op);
    free(room_id);
    if (rc != 0)
        url_reply_cb(rc, NULL, op);
}

/* ---- DELETE /recordings/{recordingId} --------------------------------- */

static void remove_media(gw_app_t *app, const ipc_rec_t *rec)
{
    char *room = ov_xstrndup(rec->room_id.ptr, rec->room_id.len);
    char *file = ov_xstrndup(rec->filename.ptr, rec->filename.len);
    char *path = gw_egress_media_path(app->egress, room, file);
    if (path && unlink(path) != 0)
        ov_debug("no media to remove at %s", path);
    free(path);
    free(room);
    free(file);
}

static void delete_reply_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    rec_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;
    if (err != 0) {
        char opname[600];
        snprintf(opname, sizeof(opname), "deleting recording '%s'", op->id);
        send_rec_err(ctx, err, op->id, op->room_id, opname);
    } else {
        remove_media(ctx->app, &reply->rec);
        char msg[600];
        snprintf(msg, sizeof(msg), "Recording '%s' deleted successfully",
                 op->id);
        gw_ctx_send_json(ctx, 200, json_pack("{s:s}", "message", msg), NULL);
    }
    rec_op_free(op);
}

void gw_route_rec_delete(gw_ctx_t *ctx)
{
    rec_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->ctx = ctx;
    op->id = path_rec_id(ctx, "recordingId", &op->room_id, NULL, NULL);
    if (!op->id) {
        rec_op_free(op);
        return;
    }
    ipc_rec_delete_t m = {.recording_id = ov_str(op->id)};
    int rc = gw_shard_rec_delete(ctx->app->pool, shard_of(ctx, op->room_id),
                                 &m, delete_reply_cb, op);
    if (rc != 0)
        delete_reply_cb(rc, NULL, op);
}

/* ---- DELETE /recordings (bulk) ---------------------------------------- */

typedef struct {
    gw_ctx_t *ctx;
    char **ids;     /* as requested, duplicates included */
    size_t n;
    char **uniq;    /* borrowed from ids */
    int *result;    /* per unique id: 0 deleted, else an ov_err */
    size_t nuniq;
    size_t waiting;
} bulk_op_t;

typedef struct {
    bulk_op_t *b;
    size_t u;
} bulk_item_t;

static void bulk_finish(bulk_op_t *b)
{
    json_t *deleted = json_array(), *failed = json_array();
    size_t nfailed = 0;
    for (size_t i = 0; i < b->n; i++) {
        size_t u = 0;
        while (strcmp(b->uniq[u], b->ids[i]) != 0)
            u++;
        if (b->result[u] == 0) {
            /* A duplicate that was deleted is listed once. */
            int seen = 0;
            for (size_t j = 0; j < i; j++)
                seen |= strcmp(b->ids[j], b->ids[i]) == 0;
            if (!seen)
                json_array_append_new(deleted, json_string(b->ids[i]));
            continue;
        }
        const char *id = b->ids[i];
        char msg[600];
        if (b->result[u] == OV_ENOREC)
            snprintf(msg, sizeof(msg), "Recording '%s' not found", id);
        else if (b->result[u] == OV_ERECNOTSTOPPED)
            snprintf(msg, sizeof(msg), "Recording '%s' is not stopped yet", id);
        else
            snprintf(msg, sizeof(msg), "Unexpected error while deleting "
                                       "recording '%s'",
                     id);
        json_array_append_new(failed, json_pack("{s:s, s:s}", "recordingId", id,
                                                "error", msg));
        nfailed++;
    }
    json_t *body;
    int status;
    if (nfailed == 0 && json_array_size(deleted) > 0) {
        body = json_pack("{s:s, s:o}", "message",
                         "All recordings deleted successfully", "deleted",
                         deleted);
        json_decref(failed);
        status = 200;
    } else {
        char msg[128];
        snprintf(msg, sizeof(msg), "%zu recording(s) could not be deleted",
                 nfailed);
        body = json_pack("{s:s, s:o, s:o}", "message", msg, "deleted", deleted,
                         "failed", failed);
        status = 400;
    }
    gw_ctx_t *ctx = b->ctx;
    gw_fields_free(b->ids, b->n);
    free(b->uniq);
    free(b->result);
    free(b);
    gw_ctx_send_json(ctx, status, body, NULL);
}

static void bulk_reply_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    bulk_item_t *it = data;
    bulk_op_t *b = it->b;
    b->result[it->u] = err;
    if (err == 0)
        remove_media(b->ctx->app, &reply->rec);
    free(it);
    if (--b->waiting == 0)
        bulk_finish(b);
}

void gw_route_rec_bulk_delete(gw_ctx_t *ctx)
{
    char **ids = NULL;
    size_t n = 0;
    json_t *details = NULL;
    if (gw_valid_recording_ids(&ctx->query, MAX_BULK_IDS, &ids, &n,
                               &details) != 0) {
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    bulk_op_t *b = ov_xcalloc(1, sizeof(*b));
    b->ctx = ctx;
    b->ids = ids;
    b->n = n;
    b->uniq = ov_xcalloc(n, sizeof(char *));
    b->result = ov_xcalloc(n, sizeof(int));
    for (size_t i = 0; i < n; i++) {
        size_t u = 0;
        while (u < b->nuniq && strcmp(b->uniq[u], ids[i]) != 0)
            u++;
        if (u == b->nuniq)
            b->uniq[b->nuniq++] = ids[i];
    }
    /* Every reply may come synchronously; count first. */
    b->waiting = b->nuniq;
    size_t nuniq = b->nuniq;
    for (size_t u = 0; u < nuniq; u++) {
        const char *id = b->uniq[u];
        const char *sep = strstr(id, "--");
        size_t rlen = sep ? (size_t)(sep - id) : strlen(id);
        bulk_item_t *it = ov_xcalloc(1, sizeof(*it));
        it->b = b;
        it->u = u;
        ipc_rec_delete_t m = {.recording_id = ov_str(id)};
        int rc = gw_shard_rec_delete(
            ctx->app->pool,
            ov_shard_of(id, rlen, gw_pool_size(ctx->app->pool)), &m,
            bulk_reply_cb, it);
        if (rc != 0)
            bulk_reply_cb(rc, NULL, it);
    }
}

/* ---- GET /recordings -------------------------------------------------- */

/* One recording of a shard's page, copied out of its frame: every string
 * lives in one block. */
typedef struct {
    ipc_rec_t rec; /* string views into `blob` */
    char *blob;    /* owned */
} list_item_t;

typedef struct {
    gw_ctx_t *ctx;
    gw_rec_list_in_t in;
    uint32_t waiting;
    int err;
    int more;
    list_item_t *items;
    size_t n, cap;
} list_op_t;

static int item_cmp(const void *a, const void *b, void *arg)
{
    const gw_rec_list_in_t *in = arg;
    int c = gw_rec_cmp(&((const list_item_t *)a)->rec,
                       &((const list_item_t *)b)->rec, in->sort_field);
    return in->sort_desc ? -c : c;
}

static void list_op_free(list_op_t *op)
{
    for (size_t i = 0; i < op->n; i++)
        free(op->items[i].blob);
    free(op->items);
    gw_rec_list_in_free(&op->in);
    free(op);
}

static void list_add(list_op_t *op, const ipc_rec_t *r)
{
    if (op->n == op->cap) {
        op->cap = op->cap ? op->cap * 2 : 32;
        op->items = ov_xrealloc(op->items, op->cap * sizeof(list_item_t));
    }
    list_item_t *it = &op->items[op->n++];
    it->rec = *r;
    /* The secrets stay behind: a page never shows them. */
    ov_str_t *strs[] = {&it->rec.recording_id, &it->rec.room_id,
                        &it->rec.room_name,    &it->rec.egress_id,
                        &it->rec.layout,       &it->rec.encoding_json,
                        &it->rec.status,       &it->rec.filename,
                        &it->rec.error,        &it->rec.details};
    size_t n = sizeof(strs) / sizeof(strs[0]), total = 0, off = 0;
    for (size_t i = 0; i < n; i++)
        total += strs[i]->len;
    it->blob = ov_xmalloc(total ? total : 1);
    for (size_t i = 0; i < n; i++) {
        if (strs[i]->len)
            memcpy(it->blob + off, strs[i]->ptr, strs[i]->len);
        strs[i]->ptr = it->blob + off;
        off += strs[i]->len;
    }
    it->rec.public_secret = it->rec.private_secret = (ov_str_t){"", 0};
}

static void list_finish(list_op_t *op)
{
    gw_ctx_t *ctx = op->ctx;
    if (op->err != 0) {
        int err = op->err;
        list_op_free(op);
        send_rec_err(ctx, err, "", "", "getting recordings");
        return;
    }
    if (op->n > 1)
        qsort_r(op->items, op->n, sizeof(list_item_t), item_cmp, &op->in);
    size_t take = op->n < op->in.max_items ? op->n : op->in.max_items;
    int truncated = op->more || op->n > take;
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_appends(&b, "{\"recordings\":[");
    for (size_t i = 0; i < take; i++) {
        if (i > 0)
            ov_buf_append(&b, ",", 1);
        if (op->in.fields) {
            json_t *full = gw_rec_to_json(&op->items[i].rec);
            json_t *p = gw_json_project(full, op->in.fields, op->in.nfields);
            char *text = json_dumps(p, JSON_COMPACT);
            ov_buf_appends(&b, text);
            free(text);
            json_decref(p);
            json_decref(full);
        } else {
            gw_rec_append_json(&b, &op->items[i].rec);
        }
    }
    char *next = truncated && take > 0
                     ? gw_rec_cursor_encode(&op->items[take - 1].rec,
                          op->in.sort_field, op->in.sort_desc)
                     : NULL;
    gw_page_append_tail(&b, truncated, next, op->in.next_page_token,
                        op->in.max_items);
    list_op_free(op);
    gw_ctx_send_json_text(ctx, 200, b.data, b.len, NULL);
    ov_buf_free(&b);
}

static void list_reply_cb(int err, const ipc_rec_list_reply_t *reply,
                          void *data)
{
    list_op_t *op = data;
    if (err != 0) {
        if (op->err == 0)
            op->err = err;
    } else {
        op->more |= reply->more;
        for (uint32_t i = 0; i < reply->recs.n; i++)
            list_add(op, &reply->recs.items[i]);
    }
    if (--op->waiting == 0)
        list_finish(op);
}

void gw_route_rec_list(gw_ctx_t *ctx)
{
    list_op_t *op = ov_xcalloc(1, sizeof(*op));
    json_t *details = NULL;
    if (gw_valid_rec_list(&ctx->query, &op->in, &details) != 0) {
        free(op);
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    gw_cursor_t cur;
    if (gw_page_cursor(ctx, op->in.next_page_token, op->in.sort_field,
                       op->in.sort_desc, &cur) != 0) {
        list_op_free(op);
        return;
    }
    op->ctx = ctx;
    uint32_t nshards = gw_pool_size(ctx->app->pool);
    op->waiting = nshards;
    ipc_rec_list_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(op->in.room_id ? op->in.room_id : "");
    m.room_name = ov_str(op->in.room_name ? op->in.room_name : "");
    m.status = ov_str(op->in.status ? op->in.status : "");
    m.sort_field = ov_str(op->in.sort_field);
    m.sort_desc = op->in.sort_desc;
    m.limit = op->in.max_items;
    m.has_cursor = op->in.next_page_token != NULL;
    m.cursor_has_value = cur.has_value;
    m.cursor_str = ov_str(cur.str ? cur.str : "");
    m.cursor_num = cur.num;
    m.cursor_id = ov_str(cur.id ? cur.id : "");
    for (uint32_t s = 0; s < nshards; s++) {
        int rc = gw_shard_rec_list(ctx->app->pool, s, &m, list_reply_cb, op);
        if (rc != 0)
            list_reply_cb(rc, NULL, op);
    }
    gw_cursor_free(&cur);
}
