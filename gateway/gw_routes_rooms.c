/* gw_routes_rooms: the rooms endpoints (BEHAVIOUR.md §6).
 *
 * Each handler validates synchronously (path, then body or query), sends
 * one IPC request per shard it needs, and answers from the reply callback.
 * A room lives in shard ov_shard_of(roomId); GET /rooms asks every shard
 * for one page and merges them; DELETE /rooms fans out one deletion per id
 * and answers when all are back, in input order. */
#include <stdlib.h>
#include <string.h>

#include "gw_app.h"
#include "gw_egress.h"
#include "gw_json.h"
#include "gw_page.h"
#include "gw_recordings.h"
#include "gw_webhooks.h"
#include "gw_room_json.h"
#include "gw_url.h"
#include "gw_valid.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_room_delete.h"
#include "ov_util.h"

/* The most ids one DELETE /rooms may name (the URL limit allows fewer). */
#define MAX_BULK_IDS 1000
#define ROOM_ID_HEX 15
#define SECRET_HEX 10

/* ---- shared helpers --------------------------------------------------- */

static uint32_t shard_of(const gw_ctx_t *ctx, const char *room_id)
{
    return ov_shard_of(room_id, strlen(room_id), gw_pool_size(ctx->app->pool));
}

/* Answers a failed shard operation: the room errors with their templated
 * messages, failures of ours as the reference's 500 for `operation`, and
 * availability errors (503) as they are. */
static void send_shard_err(gw_ctx_t *ctx, int err, const char *room_id,
                           const char *operation)
{
    char msg[512];
    switch (err) {
    case OV_ENOROOM:
        snprintf(msg, sizeof(msg), "Room '%s' does not exist", room_id);
        gw_ctx_send_error(ctx, 404, "Room Error", msg, NULL);
        return;
    case OV_EROOMACTIVE:
        snprintf(msg, sizeof(msg), "Room '%s' has an active meeting", room_id);
        gw_ctx_send_error(ctx, 409, "Room Error", msg, NULL);
        return;
    }
    if (ov_err_http_status(err) >= 500 && ov_err_http_status(err) != 503) {
        snprintf(msg, sizeof(msg), "Unexpected error while %s", operation);
        gw_ctx_send_error(ctx, 500, "Internal Server Error", msg, NULL);
        return;
    }
    if (ov_err_http_status(err) < 500) {
        /* A worker refused input we validated: a bug of ours. */
        ov_error("shard refused a validated request while %s: %s", operation,
                 ov_strerror(err));
        snprintf(msg, sizeof(msg), "Unexpected error while %s", operation);
        gw_ctx_send_error(ctx, 500, "Internal Server Error", msg, NULL);
        return;
    }
    gw_ctx_send_err(ctx, err, NULL);
}

/* Returns the base URL of ctx's request as a new string. */
static char *base_url(const gw_ctx_t *ctx)
{
    ov_buf_t b = OV_BUF_INIT;
    gw_url_base(ctx->app->cfg, ctx->req, &b);
    return b.data ? b.data : ov_xstrdup("");
}

static json_t *room_json(const gw_ctx_t *ctx, const ipc_room_t *room)
{
    char *base = base_url(ctx);
    json_t *j = gw_room_to_json(room, base);
    free(base);
    return j;
}

/* Appends the room's JSON for ctx's request to `out`, written directly. */
static void append_room(const gw_ctx_t *ctx, ov_buf_t *out,
                        const ipc_room_t *room)
{
    ov_buf_t base = OV_BUF_INIT;
    gw_url_base(ctx->app->cfg, ctx->req, &base);
    gw_room_append_json(out, room, base.data ? base.data : "", base.len);
    ov_buf_free(&base);
}

/* Validates the {roomId} path parameter under `field`. Returns the new
 * sanitised id, or NULL after answering 422. */
static char *path_room_id(gw_ctx_t *ctx, const char *field)
{
    char *id = NULL;
    json_t *details = NULL;
    const char *raw = gw_route_param(&ctx->match, "roomId");
    if (gw_valid_room_id(raw ? raw : "", "roomId", &id, &details) != 0) {
        /* The messages always name roomId; only the field differs (DELETE
         * reports it under ""). */
        size_t i;
        json_t *d;
        json_array_foreach(details, i, d)
            json_object_set_new(d, "field", json_string(field));
        gw_ctx_send_invalid(ctx, details);
        return NULL;
    }
    return id;
}

/* Per-request state of the single-room handlers. */
typedef struct {
    char *room_id;
    char **fields;
    size_t nfields;
    int has_fields;
    gw_room_create_in_t create;
    int attempts;
} room_op_t;

static room_op_t *room_op_new(gw_ctx_t *ctx, char *room_id)
{
    room_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->room_id = room_id;
    ctx->op = op;
    return op;
}

/* Frees the op of `ctx`; call before answering. */
static void room_op_free(gw_ctx_t *ctx)
{
    room_op_t *op = ctx->op;
    if (!op)
        return;
    free(op->room_id);
    gw_fields_free(op->fields, op->nfields);
    if (op->create.config)
        gw_room_create_in_free(&op->create);
    free(op);
    ctx->op = NULL;
}

/* Answers a shard error for the op's room and releases everything. */
static void fail_op(gw_ctx_t *ctx, int err, const char *operation_fmt)
{
    room_op_t *op = ctx->op;
    char operation[256];
    snprintf(operation, sizeof(operation), operation_fmt,
             op && op->room_id ? op->room_id : "");
    char *id = op && op->room_id ? ov_xstrdup(op->room_id) : ov_xstrdup("");
    room_op_free(ctx);
    send_shard_err(ctx, err, id, operation);
    free(id);
}

/* ---- POST /rooms ------------------------------------------------------ */

static void create_send(gw_ctx_t *ctx);

static void create_reply_cb(int err, const ipc_room_reply_t *reply, void *data)
{
    gw_ctx_t *ctx = data;
    room_op_t *op = ctx->op;
    if (err == OV_ECONFLICT && op->attempts < 5) {
        /* 60 random bits collided with a stored id: draw another. */
        create_send(ctx);
        return;
    }
    if (err != 0) {
        fail_op(ctx, err, "creating room");
        return;
    }
    ov_buf_t body = OV_BUF_INIT;
    append_room(ctx, &body, &reply->room);
    char *base = base_url(ctx);
    ov_buf_t hdr = OV_BUF_INIT;
    ov_buf_printf(&hdr, "Location: %s/api/v1/rooms/%.*s\r\n", base,
                  (int)reply->room.room_id.len, reply->room.room_id.ptr);
    free(base);
    room_op_free(ctx);
    gw_ctx_send_json_text(ctx, 201, body.data, body.len, hdr.data);
    ov_buf_free(&hdr);
    ov_buf_free(&body);
}

static void create_send(gw_ctx_t *ctx)
{
    room_op_t *op = ctx->op;
    gw_room_create_in_t *in = &op->create;
    op->attempts++;
    char *prefix = gw_room_id_prefix(in->room_name);
    char hex[ROOM_ID_HEX + 1], mod[SECRET_HEX + 1], spk[SECRET_HEX + 1];
    if (ov_rand_hex(hex, ROOM_ID_HEX) != 0 ||
        ov_rand_hex(mod, SECRET_HEX) != 0 || ov_rand_hex(spk, SECRET_HEX) != 0) {
        free(prefix);
        fail_op(ctx, OV_EINTERNAL, "creating room");
        return;
    }
    free(op->room_id);
    ov_buf_t id = OV_BUF_INIT;
    ov_buf_printf(&id, "%s-%s", prefix, hex);
    free(prefix);
    op->room_id = id.data;
    char *config = json_dumps(in->config, GW_JSON_CONFIG_FLAGS);

    ipc_room_create_t m;
    memset(&m, 0, sizeof(m));
    m.room.room_id = ov_str(op->room_id);
    m.room.room_name = ov_str(in->room_name);
    m.room.creation_date = ov_time_now_ms();
    m.room.has_auto_deletion_date = in->has_auto_deletion_date;
    m.room.auto_deletion_date = in->auto_deletion_date;
    m.room.with_meeting = ov_str(in->with_meeting);
    m.room.with_recordings = ov_str(in->with_recordings);
    m.room.config_json = ov_str(config);
    m.room.moderator_secret = ov_str(mod);
    m.room.speaker_secret = ov_str(spk);
    m.room.status = OV_STR_LIT("open");
    m.room.meeting_end_action = OV_STR_LIT("none");
    int rc = gw_shard_room_create(ctx->app->pool, shard_of(ctx, op->room_id),
                                  &m, create_reply_cb, ctx);
    free(config);
    if (rc != 0)
        fail_op(ctx, rc, "creating room");
}

void gw_route_room_create(gw_ctx_t *ctx)
{
    json_t *details = NULL;
    room_op_t *op = room_op_new(ctx, NULL);
    if (gw_valid_room_create(ctx->body, ov_time_now_ms(), &op->create,
                             &details) != 0) {
        room_op_free(ctx);
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    create_send(ctx);
}

/* ---- GET /rooms/{roomId} and /config ---------------------------------- */

static void get_reply_cb(int err, const ipc_room_reply_t *reply, void *data)
{
    gw_ctx_t *ctx = data;
    room_op_t *op = ctx->op;
    if (err != 0) {
        fail_op(ctx, err, "getting room '%s'");
        return;
    }
    if (op->has_fields) {
        json_t *full = room_json(ctx, &reply->room);
        json_t *p = gw_json_project(full, op->fields, op->nfields);
        json_decref(full);
        room_op_free(ctx);
        gw_ctx_send_json(ctx, 200, p, NULL);
        return;
    }
    ov_buf_t body = OV_BUF_INIT;
    append_room(ctx, &body, &reply->room);
    room_op_free(ctx);
    gw_ctx_send_json_text(ctx, 200, body.data, body.len, NULL);
    ov_buf_free(&body);
}

void gw_route_room_get(gw_ctx_t *ctx)
{
    char *id = path_room_id(ctx, "roomId");
    if (!id)
        return;
    room_op_t *op = room_op_new(ctx, id);
    const char *fields = gw_query_get(&ctx->query, "fields");
    if (fields) {
        op->has_fields = 1;
        op->nfields = gw_fields_parse(fields, &op->fields);
    }
    ipc_room_get_t m = {.room_id = ov_str(id)};
    int rc = gw_shard_room_get(ctx->app->pool, shard_of(ctx, id), &m,
                               get_reply_cb, ctx);
    if (rc != 0)
        fail_op(ctx, rc, "getting room '%s'");
}

static void get_config_reply_cb(int err, const ipc_room_reply_t *reply,
                                void *data)
{
    gw_ctx_t *ctx = data;
    if (err != 0) {
        fail_op(ctx, err, "getting room config for room '%s'");
        return;
    }
    room_op_free(ctx);
    gw_ctx_send_json(ctx, 200, gw_room_config_json(&reply->room), NULL);
}

void gw_route_room_get_config(gw_ctx_t *ctx)
{
    char *id = path_room_id(ctx, "roomId");
    if (!id)
        return;
    room_op_new(ctx, id);
    ipc_room_get_t m = {.room_id = ov_str(id)};
    int rc = gw_shard_room_get(ctx->app->pool, shard_of(ctx, id), &m,
                               get_config_reply_cb, ctx);
    if (rc != 0)
        fail_op(ctx, rc, "getting room config for room '%s'");
}

/* ---- PUT /rooms/{roomId}/config --------------------------------------- */

static void update_config_reply_cb(int err, const ipc_room_reply_t *reply,
                                   void *data)
{
    gw_ctx_t *ctx = data;
    room_op_t *op = ctx->op;
    (void)reply;
    if (err != 0) {
        fail_op(ctx, err, "updating room config for room '%s'");
        return;
    }
    char msg[256];
    snprintf(msg, sizeof(msg), "Room config for room '%s' updated successfully",
             op->room_id);
    room_op_free(ctx);
    gw_ctx_send_json(ctx, 200, json_pack("{s:s}", "message", msg), NULL);
}

void gw_route_room_update_config(gw_ctx_t *ctx)
{
    char *id = path_room_id(ctx, "roomId");
    if (!id)
        return;
    json_t *patch = NULL, *details = NULL;
    if (gw_valid_room_config_patch(ctx->body, &patch, &details) != 0) {
        free(id);
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    room_op_new(ctx, id);
    char *text = json_dumps(patch, GW_JSON_CONFIG_FLAGS);
    json_decref(patch);
    ipc_room_update_config_t m = {.room_id = ov_str(id),
                                  .config_patch_json = ov_str(text)};
    int rc = gw_shard_room_update_config(ctx->app->pool, shard_of(ctx, id),
                                         &m, update_config_reply_cb, ctx);
    free(text);
    if (rc != 0)
        fail_op(ctx, rc, "updating room config for room '%s'");
}

/* ---- PUT /rooms/{roomId}/status --------------------------------------- */

static void set_status_reply_cb(int err, const ipc_room_reply_t *reply,
                                void *data)
{
    gw_ctx_t *ctx = data;
    room_op_t *op = ctx->op;
    if (err != 0) {
        fail_op(ctx, err, "updating room status for room '%s'");
        return;
    }
    char msg[256];
    int status = 200;
    if (reply->outcome == IPC_STATUS_SCHEDULED) {
        snprintf(msg, sizeof(msg),
                 "Room '%s' scheduled to be closed when the meeting ends",
                 op->room_id);
        status = 202;
    } else {
        snprintf(msg, sizeof(msg), "Room '%s' %.*s successfully", op->room_id,
                 (int)reply->room.status.len, reply->room.status.ptr);
    }
    json_t *body = json_pack("{s:s, s:o}", "message", msg, "room",
                             room_json(ctx, &reply->room));
    room_op_free(ctx);
    gw_ctx_send_json(ctx, status, body, NULL);
}

void gw_route_room_set_status(gw_ctx_t *ctx)
{
    char *id = path_room_id(ctx, "roomId");
    if (!id)
        return;
    const char *status = NULL;
    json_t *details = NULL;
    if (gw_valid_room_status(ctx->body, &status, &details) != 0) {
        free(id);
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    room_op_new(ctx, id);
    ipc_room_set_status_t m = {.room_id = ov_str(id), .status = ov_str(status)};
    int rc = gw_shard_room_set_status(ctx->app->pool, shard_of(ctx, id), &m,
                                      set_status_reply_cb, ctx);
    if (rc != 0)
        fail_op(ctx, rc, "updating room status for room '%s'");
}

/* ---- DELETE /rooms/{roomId} ------------------------------------------- */

/* After a deletion that removed the room (or its recordings), their media
 * goes too: the shard has forgotten the records already. */
static void after_delete(gw_app_t *app, const char *room_id, unsigned outcome)
{
    unsigned fx = ov_room_del_effects(outcome);
    if ((fx & OV_DEL_FX_END_MEETING) && app->webhooks)
        gw_webhooks_kick(app->webhooks); /* meetingEnded */
    /* A meeting ended here, or the room and its recordings are gone: its
     * running recordings stop, as LiveKit's would with the room. */
    if (app->egress && (fx & (OV_DEL_FX_END_MEETING | OV_DEL_FX_DELETE_ROOM |
                              OV_DEL_FX_DELETE_RECORDINGS)))
        gw_egress_stop_room(app->egress, room_id);
    /* The media server ends the meeting too (LiveKit: DeleteRoom), so that
     * nobody stays connected to a room meetd has ended. */
    if (app->egress && (fx & OV_DEL_FX_END_MEETING))
        gw_egress_end_meeting(app->egress, room_id);
    if ((fx & (OV_DEL_FX_DELETE_ROOM | OV_DEL_FX_DELETE_RECORDINGS)) ||
        ((fx & OV_DEL_FX_END_MEETING) && (fx & OV_DEL_FX_END_ACTION_DELETE)))
        gw_recordings_remove_room_media(app, room_id);
}

/* Builds the body of a deletion outcome: for a 409 {"error","message"},
 * otherwise {"successCode","message","room"?}. Returns the HTTP status. */
static int delete_outcome_json(const gw_ctx_t *ctx, const char *room_id,
                               const ipc_room_reply_t *reply, json_t **out)
{
    unsigned o = reply->outcome;
    int status = ov_room_del_http_status(o);
    char msg[512];
    snprintf(msg, sizeof(msg), "Room '%s'%s", room_id,
             ov_room_del_message(o) ? ov_room_del_message(o) : "");
    if (status == 0) {
        *out = NULL;
        return 0;
    }
    if (status == 409) {
        *out = json_pack("{s:s, s:s}", "error", ov_room_del_code(o), "message",
                         msg);
        return status;
    }
    json_t *body = json_pack("{s:s, s:s}", "successCode", ov_room_del_code(o),
                             "message", msg);
    if (ov_room_del_includes_room(o))
        json_object_set_new(body, "room", room_json(ctx, &reply->room));
    *out = body;
    return status;
}

static void delete_reply_cb(int err, const ipc_room_reply_t *reply, void *data)
{
    gw_ctx_t *ctx = data;
    room_op_t *op = ctx->op;
    if (err != 0) {
        fail_op(ctx, err, "deleting room '%s'");
        return;
    }
    json_t *body;
    int status = delete_outcome_json(ctx, op->room_id, reply, &body);
    if (status == 0) {
        fail_op(ctx, OV_EPROTO, "deleting room '%s'");
        return;
    }
    if (status != 409)
        after_delete(ctx->app, op->room_id, reply->outcome);
    room_op_free(ctx);
    gw_ctx_send_json(ctx, status, body, NULL);
}

void gw_route_room_delete(gw_ctx_t *ctx)
{
    /* The reference reports this path parameter under the empty field. */
    char *id = path_room_id(ctx, "");
    if (!id)
        return;
    const char *wm, *wr;
    json_t *details = NULL;
    if (gw_valid_delete_policies(&ctx->query, &wm, &wr, &details) != 0) {
        free(id);
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    room_op_new(ctx, id);
    ipc_room_delete_t m = {.room_id = ov_str(id),
                           .with_meeting = ov_str(wm),
                           .with_recordings = ov_str(wr)};
    int rc = gw_shard_room_delete(ctx->app->pool, shard_of(ctx, id), &m,
                                  delete_reply_cb, ctx);
    if (rc != 0)
        fail_op(ctx, rc, "deleting room '%s'");
}

/* ---- DELETE /rooms (bulk) --------------------------------------------- */

typedef struct bulk_op_s bulk_op_t;

typedef struct {
    bulk_op_t *bulk;
    size_t index;
} bulk_item_t;

struct bulk_op_s {
    gw_ctx_t *ctx;
    char **ids;
    size_t n;
    json_t **results; /* per id: a successful or failed item */
    int *ok;
    size_t waiting;
    bulk_item_t *items;
};

static void bulk_finish(bulk_op_t *b)
{
    json_t *successful = json_array(), *failed = json_array();
    size_t nfailed = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->ok[i]) {
            json_array_append_new(successful, b->results[i]);
        } else {
            json_array_append_new(failed, b->results[i]);
            nfailed++;
        }
    }
    json_t *body;
    int status;
    if (nfailed == 0) {
        body = json_pack("{s:s, s:o}", "message",
                         "All rooms successfully processed for deletion",
                         "successful", successful);
        json_decref(failed);
        status = 200;
    } else {
        char msg[128];
        snprintf(msg, sizeof(msg), "%zu room(s) failed to process while deleting",
                 nfailed);
        body = json_pack("{s:s, s:o, s:o}", "message", msg, "successful",
                         successful, "failed", failed);
        status = 400;
    }
    gw_ctx_t *ctx = b->ctx;
    gw_fields_free(b->ids, b->n);
    free(b->results);
    free(b->ok);
    free(b->items);
    free(b);
    ctx->op = NULL;
    gw_ctx_send_json(ctx, status, body, NULL);
}

static void bulk_reply_cb(int err, const ipc_room_reply_t *reply, void *data)
{
    bulk_item_t *it = data;
    bulk_op_t *b = it->bulk;
    const char *id = b->ids[it->index];
    json_t *item = NULL;
    int ok = 0;
    char msg[512];
    if (err == OV_ENOROOM) {
        snprintf(msg, sizeof(msg), "Room '%s' does not exist", id);
        item = json_pack("{s:s, s:s, s:s}", "roomId", id, "error",
                         "Room Error", "message", msg);
    } else if (err != 0) {
        snprintf(msg, sizeof(msg), "Unexpected error while deleting room '%s'",
                 id);
        item = json_pack("{s:s, s:s, s:s}", "roomId", id, "error",
                         ov_err_http_status(err) == 503 ? ov_err_name(err)
                                                        : "Internal Server Error",
                         "message",
                         ov_err_http_status(err) == 503 ? ov_strerror(err) : msg);
    } else {
        json_t *body;
        int status = delete_outcome_json(b->ctx, id, reply, &body);
        if (status == 409) {
            item = json_pack("{s:s, s:O, s:O}", "roomId", id, "error",
                             json_object_get(body, "error"), "message",
                             json_object_get(body, "message"));
            json_decref(body);
        } else if (status != 0) {
            after_delete(b->ctx->app, id, reply->outcome);
            item = json_pack("{s:s}", "roomId", id);
            json_object_update(item, body);
            json_decref(body);
            ok = 1;
        } else {
            snprintf(msg, sizeof(msg),
                     "Unexpected error while deleting room '%s'", id);
            item = json_pack("{s:s, s:s, s:s}", "roomId", id, "error",
                             "Internal Server Error", "message", msg);
        }
    }
    b->results[it->index] = item;
    b->ok[it->index] = ok;
    if (--b->waiting == 0)
        bulk_finish(b);
}

void gw_route_rooms_bulk_delete(gw_ctx_t *ctx)
{
    char **ids = NULL;
    size_t n = 0;
    const char *wm, *wr;
    json_t *d_ids = NULL, *d_pol = NULL;
    /* Both are checked so that one 422 lists every issue, roomIds first. */
    int rc_ids = gw_valid_room_ids(&ctx->query, MAX_BULK_IDS, &ids, &n, &d_ids);
    int rc_pol = gw_valid_delete_policies(&ctx->query, &wm, &wr, &d_pol);
    if (rc_ids != 0 || rc_pol != 0) {
        json_t *details = json_array();
        if (d_ids)
            json_array_extend(details, d_ids);
        if (d_pol)
            json_array_extend(details, d_pol);
        json_decref(d_ids);
        json_decref(d_pol);
        if (rc_ids == 0)
            gw_fields_free(ids, n);
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    bulk_op_t *b = ov_xcalloc(1, sizeof(*b));
    b->ctx = ctx;
    b->ids = ids;
    b->n = n;
    b->results = ov_xcalloc(n, sizeof(json_t *));
    b->ok = ov_xcalloc(n, sizeof(int));
    b->items = ov_xcalloc(n, sizeof(bulk_item_t));
    b->waiting = n;
    ctx->op = NULL; /* the bulk op frees itself in bulk_finish */
    for (size_t i = 0; i < n; i++) {
        b->items[i].bulk = b;
        b->items[i].index = i;
        ipc_room_delete_t m = {.room_id = ov_str(ids[i]),
                               .with_meeting = ov_str(wm),
                               .with_recordings = ov_str(wr)};
        int rc = gw_shard_room_delete(ctx->app->pool, shard_of(ctx, ids[i]),
                                      &m, bulk_reply_cb, &b->items[i]);
        if (rc != 0)
            bulk_reply_cb(rc, NULL, &b->items[i]);
    }
}

/* ---- GET /rooms ------------------------------------------------------ */

/* One room of a shard's page, copied out of the reply frame (whose views
 * die with the callback): every string of the room lives in one block. Only
 * the rooms that make the merged page are turned into JSON. */
typedef struct {
    ipc_room_t room; /* string views into `blob` */
    char *blob;      /* owned */
} list_item_t;

typedef struct {
    gw_ctx_t *ctx;
    gw_room_list_in_t in;
    uint32_t waiting;
    int err;
    int more;
    ov_buf_t base; /* base URL of this request */
    list_item_t *items;
    size_t n, cap;
} list_op_t;

static int item_cmp(const void *a, const void *b, void *arg)
{
    const gw_room_list_in_t *in = arg;
    int c = gw_room_cmp(&((const list_item_t *)a)->room,
                        &((const list_item_t *)b)->room, in->sort_field);
    return in->sort_desc ? -c : c;
}

static void list_op_free(list_op_t *op)
{
    for (size_t i = 0; i < op->n; i++)
        free(op->items[i].blob);
    free(op->items);
    ov_buf_free(&op->base);
    gw_room_list_in_free(&op->in);
    free(op);
}

static void list_finish(list_op_t *op)
{
    gw_ctx_t *ctx = op->ctx;
    if (op->err != 0) {
        int err = op->err;
        list_op_free(op);
        send_shard_err(ctx, err, "", "getting rooms");
        return;
    }
    if (op->n > 1)
        qsort_r(op->items, op->n, sizeof(list_item_t), item_cmp, &op->in);
    size_t take = op->n < op->in.max_items ? op->n : op->in.max_items;
    int truncated = op->more || op->n > take;
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_appends(&b, "{\"rooms\":[");
    const char *base = op->base.data ? op->base.data : "";
    for (size_t i = 0; i < take; i++) {
        if (i > 0)
            ov_buf_append(&b, ",", 1);
        if (op->in.fields) {
            json_t *full = gw_room_to_json(&op->items[i].room, base);
            json_t *p = gw_json_project(full, op->in.fields, op->in.nfields);
            char *text = json_dumps(p, JSON_COMPACT);
            ov_buf_appends(&b, text);
            free(text);
            json_decref(p);
            json_decref(full);
        } else {
            gw_room_append_json(&b, &op->items[i].room, base, op->base.len);
        }
    }
    char *next = truncated && take > 0
                     ? gw_cursor_encode(&op->items[take - 1].room,
                          op->in.sort_field, op->in.sort_desc)
                     : NULL;
    gw_page_append_tail(&b, truncated, next, op->in.next_page_token,
                        op->in.max_items);
    list_op_free(op);
    gw_ctx_send_json_text(ctx, 200, b.data, b.len, NULL);
    ov_buf_free(&b);
}

static void list_add(list_op_t *op, const ipc_room_t *r)
{
    if (op->n == op->cap) {
        op->cap = op->cap ? op->cap * 2 : 32;
        op->items = ov_xrealloc(op->items, op->cap * sizeof(list_item_t));
    }
    list_item_t *it = &op->items[op->n++];
    it->room = *r;
    const ov_str_t *strs[] = {&r->room_id,          &r->room_name,
                              &r->with_meeting,     &r->with_recordings,
                              &r->config_json,      &r->moderator_secret,
                              &r->speaker_secret,   &r->status,
                              &r->meeting_end_action};
    ov_str_t *dst[] = {&it->room.room_id,          &it->room.room_name,
                       &it->room.with_meeting,     &it->room.with_recordings,
                       &it->room.config_json,      &it->room.moderator_secret,
                       &it->room.speaker_secret,   &it->room.status,
                       &it->room.meeting_end_action};
    size_t total = 0, n = sizeof(strs) / sizeof(strs[0]);
    for (size_t i = 0; i < n; i++)
        total += strs[i]->len;
    it->blob = ov_xmalloc(total);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (strs[i]->len)
            memcpy(it->blob + off, strs[i]->ptr, strs[i]->len);
        dst[i]->ptr = it->blob + off;
        off += strs[i]->len;
    }
}

static void list_reply_cb(int err, const ipc_room_list_reply_t *reply,
                          void *data)
{
    list_op_t *op = data;
    if (err != 0) {
        if (op->err == 0)
            op->err = err;
    } else {
        op->more |= reply->more;
        for (uint32_t i = 0; i < reply->rooms.n; i++)
            list_add(op, &reply->rooms.items[i]);
    }
    if (--op->waiting == 0)
        list_finish(op);
}

void gw_route_rooms_list(gw_ctx_t *ctx)
{
    list_op_t *op = ov_xcalloc(1, sizeof(*op));
    json_t *details = NULL;
    if (gw_valid_room_list(&ctx->query, &op->in, &details) != 0) {
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
    gw_url_base(ctx->app->cfg, ctx->req, &op->base);
    uint32_t nshards = gw_pool_size(ctx->app->pool);
    /* Every reply may arrive synchronously (a shard down), so the count is
     * set before the first request goes out. */
    op->waiting = nshards;
    ipc_room_list_t m;
    memset(&m, 0, sizeof(m));
    m.name_filter = ov_str(op->in.room_name ? op->in.room_name : "");
    m.status_filter = ov_str(op->in.status ? op->in.status : "");
    m.sort_field = ov_str(op->in.sort_field);
    m.sort_desc = op->in.sort_desc;
    m.limit = op->in.max_items;
    m.has_cursor = op->in.next_page_token != NULL;
    m.cursor_has_value = cur.has_value;
    m.cursor_str = ov_str(cur.str ? cur.str : "");
    m.cursor_num = cur.num;
    m.cursor_id = ov_str(cur.id ? cur.id : "");
    for (uint32_t s = 0; s < nshards; s++) {
        int rc = gw_shard_room_list(ctx->app->pool, s, &m, list_reply_cb, op);
        if (rc != 0)
            list_reply_cb(rc, NULL, op);
    }
    gw_cursor_free(&cur);
}
