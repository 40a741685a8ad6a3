/*
 * gw_egress_livekit: the `livekit` recording backend. Egresses are LiveKit
 * room-composite egresses, driven over LiveKit's Twirp API (gw_lkapi.h)
 * the way the reference drives them (LIVEKIT.md §3.2-§3.4, §5):
 *
 *   start         StartRoomCompositeEgress  grant roomRecord
 *   status        ListEgress {roomName, egressId}
 *   stop          StopEgress {egressId}
 *   running       ListEgress {roomName?, active: true}
 *   participants  ListParticipants {room}   grant roomAdmin + room
 *   end meeting   ListRooms {names} then DeleteRoom {room}  roomList,
 *                 roomCreate
 *
 * The egress writes "<subbucket>/recordings/<roomId>/<roomId>--<uid>.mp4"
 * relative to its storage, which meetd sees as `egress_dir`; so the
 * recordings directory is <egress_dir>/<subbucket>/recordings. Progress
 * (STARTED, ACTIVE, ENDING, ENDED) arrives as LiveKit's egress webhooks,
 * as in the reference: answers to these calls are never stored, so every
 * event is stored (and announced by an outgoing webhook) exactly once.
 *
 * Each call holds a `call_t` until its answer; closing waits for them, and
 * gw_recordings_close closes the API client right after, which fails the
 * calls still waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_egress_internal.h"
#include "gw_livekit.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_mem.h"
#include "ov_util.h"

#define EGRESS_SVC "livekit.Egress"
#define ROOM_SVC "livekit.RoomService"
#define ID_MAX 64 /* longest egress id taken from LiveKit */

typedef struct {
    gw_lkapi_t *api; /* borrowed */
    char *subbucket;
    size_t pending;   /* calls waiting for their answer */
    uv_timer_t final; /* never started; its close ends the backend's close */
} lk_backend_t;

typedef enum { CALL_START, CALL_STATUS, CALL_STOP, CALL_LIST, CALL_PARTS,
               CALL_FIND_ROOM, CALL_DELETE_ROOM } call_kind_t;

typedef struct {
    gw_egress_t *e;
    call_kind_t kind;
    union {
        gw_egress_start_cb start;
        gw_egress_status_cb status;
        gw_egress_stop_cb stop;
        gw_egress_list_cb list;
        gw_egress_participants_cb parts;
    } cb;
    void *data;
    char *room_id;
    char *egress_id; /* status, stop */
    char uid[11];    /* start */
} call_t;

static lk_backend_t *backend(const gw_egress_t *e)
{
    return e->impl;
}

static json_t *grant_record(void)
{
    return json_pack("{s:b}", "roomRecord", 1);
}

/* ---- finishing ---------------------------------------------------------- */

static void final_closed_cb(uv_handle_t *h)
{
    gw_egress_t *e = h->data;
    lk_backend_t *b = backend(e);
    free(b->subbucket);
    free(b);
    gw_egress_closed(e);
}

static void maybe_closed(gw_egress_t *e)
{
    lk_backend_t *b = backend(e);
    if (e->closing && b->pending == 0 && !uv_is_closing((uv_handle_t *)&b->final))
        uv_close((uv_handle_t *)&b->final, final_closed_cb);
}

static void call_free(call_t *c)
{
    gw_egress_t *e = c->e;
    free(c->room_id);
    free(c->egress_id);
    free(c);
    backend(e)->pending--;
    maybe_closed(e);
}

/* Reports a failure of `c` through its callback (none for the background
 * calls of end_meeting). */
static void call_fail(call_t *c, int err)
{
    switch (c->kind) {
    case CALL_START:
        c->cb.start(c->data, OV_EEGRESS, NULL, NULL);
        break;
    case CALL_STATUS:
        c->cb.status(c->data, err, GW_EGRESS_UNKNOWN);
        break;
    case CALL_STOP:
        if (c->cb.stop)
            c->cb.stop(c->data, err, NULL);
        break;
    case CALL_LIST:
        c->cb.list(c->data, err, 0, NULL, NULL);
        break;
    case CALL_PARTS:
        c->cb.parts(c->data, err, 0);
        break;
    case CALL_FIND_ROOM:
    case CALL_DELETE_ROOM:
        break;
    }
}

static void answer_cb(void *data, const gw_lkapi_result_t *res);

static call_t *call_new(gw_egress_t *e, call_kind_t kind, const char *room_id,
                        const char *egress_id)
{
    call_t *c = ov_xcalloc(1, sizeof(*c));
    c->e = e;
    c->kind = kind;
    c->room_id = room_id ? ov_xstrdup(room_id) : NULL;
    c->egress_id = egress_id ? ov_xstrdup(egress_id) : NULL;
    backend(e)->pending++;
    return c;
}

/* Sends `c` (takes `grant` and `body`); a call that cannot even be sent
 * fails at once. */
static void call_send(call_t *c, const char *service, const char *method,
                      json_t *grant, json_t *body)
{
    int rc = c->e->closing
                 ? OV_ESHUTDOWN
                 : gw_lkapi_call(backend(c->e)->api, service, method, grant,
                                 body, answer_cb, c);
    json_decref(grant);
    json_decref(body);
    if (rc != 0) {
        ov_warn("LiveKit %s/%s not sent: %s", service, method, ov_strerror(rc));
        call_fail(c, OV_ELIVEKIT);
        call_free(c);
    }
}

static void log_failure(const char *what, const call_t *c,
                        const gw_lkapi_result_t *res)
{
    ov_warn("LiveKit %s for room %s failed: HTTP %ld %s%s%s", what,
            c->room_id ? c->room_id : "-", res->http_status, res->code,
            res->code[0] ? ": " : "", res->msg);
}

/* An egress id as LiveKit names them ("EG_..."): short, and safe to put in
 * a recording id, a path and a log line. */
static int id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return 0;
    return strstr(s, "--") == NULL;
}

/* EgressInfo.status as a gw_egress_status_t; proto3 leaves out the zero
 * value, so an absent status is EGRESS_STARTING. */
static gw_egress_status_t info_status(const json_t *info)
{
    const char *s = json_string_value(json_object_get(info, "status"));
    const json_t *v = json_object_get(info, "status");
    if (!v || json_is_null(v) || (s && strcmp(s, "EGRESS_STARTING") == 0) ||
        (json_is_integer(v) && json_integer_value(v) == 0))
        return GW_EGRESS_STARTING;
    if ((s && strcmp(s, "EGRESS_ACTIVE") == 0) ||
        (json_is_integer(v) && json_integer_value(v) == 1))
        return GW_EGRESS_ACTIVE;
    if ((s && strcmp(s, "EGRESS_ENDING") == 0) ||
        (json_is_integer(v) && json_integer_value(v) == 2))
        return GW_EGRESS_ENDING;
    return GW_EGRESS_ENDED;
}

/* 1 if an EgressInfo is not a file recording: it has stream, segment or
 * image outputs. */
static int is_stream(const json_t *info)
{
    return json_array_size(json_object_get(info, "streamResults")) > 0 ||
           json_array_size(json_object_get(info, "segmentResults")) > 0 ||
           json_array_size(json_object_get(info, "imageResults")) > 0;
}

/* ---- answers ------------------------------------------------------------ */

static void start_answer(call_t *c, const gw_lkapi_result_t *res)
{
    if (res->err != 0) {
        log_failure("StartRoomCompositeEgress", c, res);
        call_fail(c, res->err);
        return;
    }
    const char *id = json_string_value(json_object_get(res->reply, "egressId"));
    if (!id_ok(id)) {
        ov_warn("LiveKit StartRoomCompositeEgress for room %s: no usable "
                "egressId in the answer",
                c->room_id);
        call_fail(c, OV_ELIVEKIT);
        return;
    }
    /* The recording id as the egress events will name it (LIVEKIT.md
     * §2.3): the uid is the one in the file path sent. */
    ov_buf_t rid = OV_BUF_INIT;
    ov_buf_printf(&rid, "%s--%s--%s", c->room_id, id, c->uid);
    ov_info("egress %s: started in LiveKit for room %s", id, c->room_id);
    c->cb.start(c->data, 0, id, rid.data);
    ov_buf_free(&rid);
}

static void status_answer(call_t *c, const gw_lkapi_result_t *res)
{
    if (res->err != 0) {
        if (gw_lkapi_is_not_found(res)) {
            c->cb.status(c->data, 0, GW_EGRESS_UNKNOWN);
            return;
        }
        log_failure("ListEgress", c, res);
        call_fail(c, OV_ELIVEKIT);
        return;
    }
    const json_t *items = json_object_get(res->reply, "items");
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it) {
        const char *id = json_string_value(json_object_get(it, "egressId"));
        const char *room = json_string_value(json_object_get(it, "roomName"));
        if (id && room && strcmp(id, c->egress_id) == 0 &&
            strcmp(room, c->room_id) == 0) {
            c->cb.status(c->data, 0, info_status(it));
            return;
        }
    }
    c->cb.status(c->data, 0, GW_EGRESS_UNKNOWN);
}

static void stop_answer(call_t *c, const gw_lkapi_result_t *res)
{
    if (res->err != 0) {
        /* Unknown, or finished already ("cannot be stopped"). */
        int gone = gw_lkapi_is_not_found(res) || res->http_status == 412 ||
                   strcmp(res->code, "failed_precondition") == 0;
        if (!gone)
            log_failure("StopEgress", c, res);
        call_fail(c, gone ? OV_ENOREC : OV_ELIVEKIT);
        return;
    }
    ov_info("egress %s: stop requested from LiveKit", c->egress_id);
    if (!c->cb.stop)
        return;
    ipc_rec_t rec;
    uint32_t kind;
    char *scratch = NULL;
    if (gw_egress_map_info(res->reply, GW_LK_EGRESS_UPDATED, &kind, &rec,
                           &scratch) == 0)
        c->cb.stop(c->data, 0, &rec);
    else
        c->cb.stop(c->data, 0, NULL);
    free(scratch);
}

static void list_answer(call_t *c, const gw_lkapi_result_t *res)
{
    if (res->err != 0) {
        log_failure("ListEgress", c, res);
        call_fail(c, OV_ELIVEKIT);
        return;
    }
    const json_t *items = json_object_get(res->reply, "items");
    size_t cap = json_array_size(items), n = 0, i;
    const char **ids = ov_xcalloc(cap ? cap : 1, sizeof(*ids));
    const char **rooms = ov_xcalloc(cap ? cap : 1, sizeof(*rooms));
    const json_t *it;
    json_array_foreach(items, i, it) {
        const char *id = json_string_value(json_object_get(it, "egressId"));
        const char *room = json_string_value(json_object_get(it, "roomName"));
        /* Streams, segments and images are not recordings (LIVEKIT.md
         * §2.3) and not meetd's to stop; a running status was asked for,
         * but is checked again. */
        if (!id_ok(id) || !room || is_stream(it) ||
            info_status(it) == GW_EGRESS_ENDED)
            continue;
        ids[n] = id;
        rooms[n] = room;
        n++;
    }
    c->cb.list(c->data, 0, n, ids, rooms);
    free(ids);
    free(rooms);
}

static void parts_answer(call_t *c, const gw_lkapi_result_t *res)
{
    if (res->err != 0) {
        if (gw_lkapi_is_not_found(res)) {
            c->cb.parts(c->data, 0, 0);
            return;
        }
        log_failure("ListParticipants", c, res);
        call_fail(c, OV_ELIVEKIT);
        return;
    }
    c->cb.parts(c->data, 0,
                json_array_size(json_object_get(res->reply, "participants")) >
                    0);
}

static void find_room_answer(call_t *c, const gw_lkapi_result_t *res)
{
    if (res->err != 0) {
        log_failure("ListRooms", c, res);
        return;
    }
    if (json_array_size(json_object_get(res->reply, "rooms")) == 0)
        return; /* no meeting there: nothing to end */
    call_t *d = call_new(c->e, CALL_DELETE_ROOM, c->room_id, NULL);
    call_send(d, ROOM_SVC, "DeleteRoom",
              json_pack("{s:b}", "roomCreate", 1),
              json_pack("{s:s}", "room", c->room_id));
}

static void delete_room_answer(call_t *c, const gw_lkapi_result_t *res)
{
    if (res->err != 0 && !gw_lkapi_is_not_found(res))
        log_failure("DeleteRoom", c, res);
    else if (res->err == 0)
        ov_info("LiveKit room %s deleted: its meeting is over", c->room_id);
}

static void answer_cb(void *data, const gw_lkapi_result_t *res)
{
    call_t *c = data;
    switch (c->kind) {
    case CALL_START:
        start_answer(c, res);
        break;
    case CALL_STATUS:
        status_answer(c, res);
        break;
    case CALL_STOP:
        stop_answer(c, res);
        break;
    case CALL_LIST:
        list_answer(c, res);
        break;
    case CALL_PARTS:
        parts_answer(c, res);
        break;
    case CALL_FIND_ROOM:
        find_room_answer(c, res);
        break;
    case CALL_DELETE_ROOM:
        delete_room_answer(c, res);
        break;
    }
    call_free(c);
}

/* ---- requests ----------------------------------------------------------- */

/* Meet's advanced encoding options as LiveKit's EncodingOptions (LIVEKIT.md
 * §2.4), in field-number order, each only when given. */
static json_t *advanced_options(const json_t *enc)
{
    const json_t *video = json_object_get(enc, "video");
    const json_t *audio = json_object_get(enc, "audio");
    json_t *o = json_object();
    static const struct {
        const char *group, *from, *to;
    } nums[] = {
        {"video", "width", "width"},        {"video", "height", "height"},
        {"video", "depth", "depth"},        {"video", "framerate", "framerate"},
        {"audio", "codec", "audioCodec"},   {"audio", "bitrate", "audioBitrate"},
        {"audio", "frequency", "audioFrequency"},
        {"video", "codec", "videoCodec"},   {"video", "bitrate", "videoBitrate"},
        {"video", "keyFrameInterval", "keyFrameInterval"},
    };
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        const json_t *g = strcmp(nums[i].group, "video") == 0 ? video : audio;
        const json_t *v = json_object_get(g, nums[i].from);
        if (!v)
            continue;
        if (strcmp(nums[i].from, "codec") == 0) {
            const char *s = json_string_value(v);
            int is_video = g == video;
            int known =
                s && (is_video ? (strcmp(s, "H264_BASELINE") == 0 ||
                                  strcmp(s, "H264_MAIN") == 0 ||
                                  strcmp(s, "H264_HIGH") == 0 ||
                                  strcmp(s, "VP8") == 0)
                               : (strcmp(s, "OPUS") == 0 ||
                                  strcmp(s, "AAC") == 0));
            json_object_set_new(o, nums[i].to,
                                json_string(known ? s
                                            : is_video ? "H264_MAIN"
                                                       : "OPUS"));
        } else if (json_is_number(v)) {
            json_object_set(o, nums[i].to, (json_t *)v);
        }
    }
    return o;
}

static void lk_start(gw_egress_t *e, const gw_egress_request_t *req,
                     gw_egress_start_cb cb, void *data)
{
    if (!gw_egress_safe_segment(req->room_id) || strlen(req->room_id) > 200) {
        ov_warn("egress: invalid room id for a recording");
        cb(data, OV_EEGRESS, NULL, NULL);
        return;
    }
    call_t *c = call_new(e, CALL_START, req->room_id, NULL);
    c->cb.start = cb;
    c->data = data;
    if (gw_egress_new_uid(e, req->room_id, c->uid) != 0) {
        ov_error("egress: cannot choose a file name for room %s", req->room_id);
        call_fail(c, OV_EEGRESS);
        call_free(c);
        return;
    }
    ov_buf_t path = OV_BUF_INIT;
    ov_buf_printf(&path, "%s/recordings/%s/%s--%s", backend(e)->subbucket,
                  req->room_id, req->room_id, c->uid);
    /* As the reference's SDK sends it (LIVEKIT.md §3.2): the one file
     * output both in the deprecated `file` and in `fileOutputs`. */
    json_t *body = json_pack("{s:s}", "roomName", req->room_id);
    if (req->layout && *req->layout)
        json_object_set_new(body, "layout", json_string(req->layout));
    json_object_set_new(body, "file",
                        json_pack("{s:s, s:b}", "filepath", path.data,
                                  "disableManifest", 1));
    if (json_is_string(req->encoding))
        json_object_set(body, "preset", (json_t *)req->encoding);
    else if (json_is_object(req->encoding))
        json_object_set_new(body, "advanced", advanced_options(req->encoding));
    json_object_set_new(body, "fileOutputs",
                        json_pack("[{s:s, s:b}]", "filepath", path.data,
                                  "disableManifest", 1));
    ov_buf_free(&path);
    call_send(c, EGRESS_SVC, "StartRoomCompositeEgress", grant_record(), body);
}

static void lk_status(gw_egress_t *e, const char *room_id,
                      const char *egress_id, gw_egress_status_cb cb, void *data)
{
    call_t *c = call_new(e, CALL_STATUS, room_id, egress_id);
    c->cb.status = cb;
    c->data = data;
    call_send(c, EGRESS_SVC, "ListEgress", grant_record(),
              json_pack("{s:s, s:s}", "roomName", room_id, "egressId",
                        egress_id));
}

static void lk_stop(gw_egress_t *e, const char *room_id, const char *egress_id,
                    gw_egress_stop_cb cb, void *data)
{
    call_t *c = call_new(e, CALL_STOP, room_id, egress_id);
    c->cb.stop = cb;
    c->data = data;
    call_send(c, EGRESS_SVC, "StopEgress", grant_record(),
              json_pack("{s:s}", "egressId", egress_id));
}

static void lk_list_running(gw_egress_t *e, const char *room_id,
                            gw_egress_list_cb cb, void *data)
{
    call_t *c = call_new(e, CALL_LIST, room_id, NULL);
    c->cb.list = cb;
    c->data = data;
    json_t *body = json_object();
    if (room_id)
        json_object_set_new(body, "roomName", json_string(room_id));
    json_object_set_new(body, "active", json_true());
    call_send(c, EGRESS_SVC, "ListEgress", grant_record(), body);
}

static void lk_participants(gw_egress_t *e, const char *room_id,
                            gw_egress_participants_cb cb, void *data)
{
    call_t *c = call_new(e, CALL_PARTS, room_id, NULL);
    c->cb.parts = cb;
    c->data = data;
    call_send(c, ROOM_SVC, "ListParticipants",
              json_pack("{s:b, s:s}", "roomAdmin", 1, "room", room_id),
              json_pack("{s:s}", "room", room_id));
}

/* As the reference: DeleteRoom only for a room LiveKit has (ListRooms
 * first), which disconnects everyone and makes LiveKit send
 * room_finished. */
static void lk_end_meeting(gw_egress_t *e, const char *room_id)
{
    call_t *c = call_new(e, CALL_FIND_ROOM, room_id, NULL);
    call_send(c, ROOM_SVC, "ListRooms", json_pack("{s:b}", "roomList", 1),
              json_pack("{s:[s]}", "names", room_id));
}

/* LiveKit's egresses are not meetd's to stop on the way out: they keep
 * recording, and their webhooks find meetd again after a restart. */
static void lk_close(gw_egress_t *e)
{
    maybe_closed(e);
}

static const gw_egress_ops_t lk_ops = {
    .start = lk_start,
    .status = lk_status,
    .stop = lk_stop,
    .list_running = lk_list_running,
    .participants = lk_participants,
    .end_meeting = lk_end_meeting,
    .close = lk_close,
};

int gw_egress_livekit_new(gw_egress_t **out, uv_loop_t *loop, gw_lkapi_t *api,
                          const char *egress_dir, const char *subbucket,
                          gw_egress_event_cb cb, void *data)
{
    if (!api || !egress_dir[0] || !gw_egress_safe_segment(subbucket))
        return OV_EINTERNAL;
    ov_buf_t dir = OV_BUF_INIT;
    ov_buf_printf(&dir, "%s/%s/recordings", egress_dir, subbucket);
    gw_egress_t *e;
    int rc = gw_egress_base_new(&e, &lk_ops, loop, dir.data, cb, data);
    ov_buf_free(&dir);
    if (rc != 0)
        return rc;
    lk_backend_t *b = ov_xcalloc(1, sizeof(*b));
    b->api = api;
    b->subbucket = ov_xstrdup(subbucket);
    uv_timer_init(loop, &b->final);
    b->final.data = e;
    e->impl = b;
    *out = e;
    return 0;
}
