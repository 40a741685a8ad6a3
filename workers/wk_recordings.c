/* wk_recordings: the REC_* handlers; see wk_recordings.h. */
#include "wk_recordings.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"
#include "wk_meetings.h"
#include "wk_outbox.h"
#include "wk_rooms.h"

/* Positions of the WK_REC_COLS columns in a result row. */
enum {
    COL_ID,
    COL_ROOM_ID,
    COL_ROOM_NAME,
    COL_EGRESS_ID,
    COL_LAYOUT,
    COL_ENCODING,
    COL_STATUS,
    COL_FILENAME,
    COL_START_DATE,
    COL_END_DATE,
    COL_DURATION,
    COL_SIZE,
    COL_ERROR_CODE,
    COL_ERROR,
    COL_DETAILS,
    COL_PUBLIC_SECRET,
    COL_PRIVATE_SECRET,
    COL_UPDATED_AT,
    COL__COUNT,
};

/* The column of REC_ROOM_GET after the room's. */
#define COL_LOCK_TOKEN WK_ROOM_NCOLS

/* The seven stored statuses (§8.1); the first three are "in progress". */
static const ov_str_t statuses[] = {
    OV_STR_LIT("starting"),      OV_STR_LIT("active"), OV_STR_LIT("ending"),
    OV_STR_LIT("complete"),      OV_STR_LIT("failed"), OV_STR_LIT("aborted"),
    OV_STR_LIT("limit_reached"),
};
#define ST_STARTING statuses[0]
#define ST_FAILED statuses[4]
#define N_LIVE 3

/* Returns the index of `s` in statuses[], or -1. */
static int status_index(ov_str_t s)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        if (ov_str_eq(s, statuses[i]))
            return (int)i;
    }
    return -1;
}

/* ---- rows and replies -------------------------------------------------- */

/* Fills `r` with views of the current row of `st` (WK_REC_COLS first),
 * valid until `st` is stepped or reset; NULLs read as "" and 0. */
static void rec_row_view(sqlite3_stmt *st, ipc_rec_t *r)
{
    memset(r, 0, sizeof(*r));
    r->recording_id = wk__col_str(st, COL_ID);
    r->room_id = wk__col_str(st, COL_ROOM_ID);
    r->room_name = wk__col_str(st, COL_ROOM_NAME);
    r->egress_id = wk__col_str(st, COL_EGRESS_ID);
    r->layout = wk__col_str(st, COL_LAYOUT);
    r->encoding_json = wk__col_str(st, COL_ENCODING);
    r->status = wk__col_str(st, COL_STATUS);
    r->filename = wk__col_str(st, COL_FILENAME);
    r->start_date = sqlite3_column_double(st, COL_START_DATE);
    r->end_date = sqlite3_column_double(st, COL_END_DATE);
    r->duration = sqlite3_column_double(st, COL_DURATION);
    r->size = sqlite3_column_int64(st, COL_SIZE);
    r->error_code = (int32_t)sqlite3_column_int64(st, COL_ERROR_CODE);
    r->error = wk__col_str(st, COL_ERROR);
    r->details = wk__col_str(st, COL_DETAILS);
    r->public_secret = wk__col_str(st, COL_PUBLIC_SECRET);
    r->private_secret = wk__col_str(st, COL_PRIVATE_SECRET);
    r->updated_at = sqlite3_column_double(st, COL_UPDATED_AT);
}

/* Copies the strings `r` points to into one new block and points `r` at
 * the copies, so that the record outlives its row. Returns the block, free
 * with free(). */
static char *rec_own(ipc_rec_t *r)
{
    ov_str_t *s[] = {&r->recording_id, &r->room_id,       &r->room_name,
                     &r->egress_id,    &r->layout,        &r->encoding_json,
                     &r->status,       &r->filename,      &r->error,
                     &r->details,      &r->public_secret, &r->private_secret};
    size_t n = sizeof(s) / sizeof(s[0]);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += s[i]->len;
    char *block = ov_xmalloc(total);
    char *p = block;
    for (size_t i = 0; i < n; i++) {
        if (s[i]->len)
            memcpy(p, s[i]->ptr, s[i]->len);
        s[i]->ptr = p;
        p += s[i]->len;
    }
    return block;
}

static void reply_rec(ov_buf_t *out, uint64_t req_id, const ipc_rec_t *rec)
{
    ipc_rec_reply_t rep;
    memset(&rep, 0, sizeof(rep));
    rep.rec = *rec;
    ipc_rec_reply_encode(out, req_id, &rep);
}

static void reply_room(ov_buf_t *out, uint64_t req_id, const ipc_room_t *room)
{
    ipc_room_reply_t rep;
    memset(&rep, 0, sizeof(rep));
    rep.room = *room;
    ipc_room_reply_encode(out, req_id, &rep);
}

/* Reads record `id` and, when it exists, copies it into *rec and sets
 * *block (free it). Returns 0, OV_ENOREC or OV_ESTORAGE. */
static int rec_read(wk_db_t *db, ov_str_t id, ipc_rec_t *rec, char **block)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_GET);
    wk__bind_str(st, 1, id);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        rec_row_view(st, rec);
        *block = rec_own(rec);
    } else if (rc == SQLITE_DONE) {
        err = OV_ENOREC;
    } else {
        err = wk_db_fail(db, "reading a recording");
    }
    sqlite3_reset(st);
    return err;
}

/* Replies REC_REPLY with record `id` as stored now. */
static int reply_stored(wk_db_t *db, ov_buf_t *out, uint64_t req_id,
                        ov_str_t id)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_GET);
    wk__bind_str(st, 1, id);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        ipc_rec_t rec;
        rec_row_view(st, &rec);
        reply_rec(out, req_id, &rec);
    } else if (rc == SQLITE_DONE) {
        err = OV_ENOREC;
    } else {
        err = wk_db_fail(db, "reading a recording");
    }
    sqlite3_reset(st);
    return err;
}

/* Releases the recording lock of `room_id` if `token` holds it, or
 * whoever holds it for an empty token. */
static int lock_release(wk_db_t *db, ov_str_t room_id, ov_str_t token)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_LOCK_RELEASE);
    wk__bind_str(st, 1, room_id);
    if (token.len > 0)
        wk__bind_str(st, 2, token);
    return wk__step_done(db, st, "releasing a recording lock");
}

/* ---- REC_START, REC_UNLOCK --------------------------------------------- */

/* Whether the room config `cfg` has recording.enabled true. Returns 0, or
 * OV_EINTERNAL if it is not a JSON object (the worker stored it, so that is
 * corruption, not a client error). */
static int recording_enabled(ov_str_t room_id, ov_str_t cfg, bool *out)
{
    json_error_t jerr;
    json_t *j = json_loadb(cfg.len ? cfg.ptr : "", cfg.len, 0, &jerr);
    if (!json_is_object(j)) {
        json_decref(j);
        ov_error("room %.*s: stored config is not a JSON object",
                 (int)room_id.len, room_id.ptr);
        return OV_EINTERNAL;
    }
    *out = json_is_true(
        json_object_get(json_object_get(j, "recording"), "enabled"));
    json_decref(j);
    return 0;
}

int wk_rec_start(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                 ov_buf_t *out)
{
    (void)ctx;
    ipc_rec_start_t req;
    if (ipc_rec_start_decode(f, &req) != 0)
        return OV_EPROTO;
    if (req.lock_token.len == 0 || !wk__text_ok(req.lock_token, WK_REC_MAX_ID))
        return OV_EINVAL;

    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_ROOM_GET);
    wk__bind_str(st, 1, req.room_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int err =
            rc == SQLITE_DONE ? OV_ENOROOM : wk_db_fail(db, "reading a room");
        sqlite3_reset(st);
        return err;
    }
    ipc_room_t room;
    wk__room_row_view(st, &room);
    bool locked = sqlite3_column_type(st, COL_LOCK_TOKEN) != SQLITE_NULL;
    char *block = wk__room_own(&room);
    sqlite3_reset(st);

    /* The reference's order: disabled before locked before empty, so that
     * a client sees the same error for the same state. */
    bool enabled = false;
    int err = recording_enabled(room.room_id, room.config_json, &enabled);
    if (err == 0 && !enabled)
        err = OV_ERECDISABLED;
    if (err == 0 && locked)
        err = OV_ERECLOCKED;
    if (err == 0 && req.check_participants) {
        int64_t n = 0;
        err = wk_room_participant_count(db, room.room_id, &n);
        if (err == 0 && n == 0)
            err = OV_ENOPARTICIPANTS;
    }
    if (err == 0) {
        st = wk_db_stmt(db, WK_STMT_REC_LOCK_TAKE);
        wk__bind_str(st, 1, room.room_id);
        wk__bind_str(st, 2, req.lock_token);
        sqlite3_bind_int64(st, 3, req.now_ms);
        err = wk__step_done(db, st, "taking a recording lock");
    }
    if (err == 0)
        reply_room(out, f->req_id, &room);
    free(block);
    return err;
}

int wk_rec_unlock(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                  ov_buf_t *out)
{
    (void)ctx;
    ipc_rec_unlock_t req;
    if (ipc_rec_unlock_decode(f, &req) != 0)
        return OV_EPROTO;
    if (!wk__text_ok(req.lock_token, WK_REC_MAX_ID))
        return OV_EINVAL;
    int err = lock_release(db, req.room_id, req.lock_token);
    if (err != 0)
        return err;

    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_GET);
    wk__bind_str(st, 1, req.room_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ipc_room_t room;
        wk__room_row_view(st, &room);
        reply_room(out, f->req_id, &room);
    } else {
        err = rc == SQLITE_DONE ? OV_ENOROOM : wk_db_fail(db, "reading a room");
    }
    sqlite3_reset(st);
    return err;
}

/* ---- REC_EVENT --------------------------------------------------------- */

/* Cuts `s` (valid UTF-8) to at most `max` bytes without splitting a
 * character. */
static ov_str_t text_clip(ov_str_t s, size_t max)
{
    if (s.len <= max)
        return s;
    size_t n = max;
    while (n > 0 && ((unsigned char)s.ptr[n] & 0xc0) == 0x80)
        n--;
    return (ov_str_t){s.ptr, n};
}

/* Whether `s` is a JSON string or object: what the gateway embeds as the
 * recording's encoding. jansson also rejects invalid UTF-8 and NUL. */
static bool encoding_ok(ov_str_t s)
{
    json_error_t jerr;
    json_t *j = json_loadb(s.ptr, s.len, JSON_DECODE_ANY, &jerr);
    bool ok = json_is_string(j) || json_is_object(j);
    json_decref(j);
    return ok;
}

/* Checks an event's record, and cuts error and details to their bound. */
static int rec_check(ipc_rec_t *r)
{
    const ov_str_t *id = &r->recording_id, *room = &r->room_id;
    if (room->len == 0 || !wk__text_ok(*room, WK_ROOM_MAX_ID) ||
        !wk__text_ok(*id, WK_REC_MAX_ID) || id->len <= room->len + 2 ||
        memcmp(id->ptr, room->ptr, room->len) != 0 ||
        memcmp(id->ptr + room->len, "--", 2) != 0)
        return OV_EINVAL;
    if (!wk__text_ok(r->egress_id, WK_REC_MAX_ID) ||
        !wk__text_ok(r->layout, WK_REC_MAX_LAYOUT) ||
        !wk__text_ok(r->status, WK_REC_MAX_STATUS) ||
        !wk__text_ok(r->filename, WK_REC_MAX_FILENAME) ||
        !wk__text_ok(r->encoding_json, WK_REC_MAX_ENCODING) ||
        (r->encoding_json.len > 0 && !encoding_ok(r->encoding_json)) ||
        !wk__text_ok(r->error, IPC_MAX_STR) ||
        !wk__text_ok(r->details, IPC_MAX_STR))
        return OV_EINVAL;
    /* NaN would be stored as NULL, and an infinity would collide with the
     * -Infinity that stands for "none" in the list order. */
    if (!isfinite(r->start_date) || !isfinite(r->end_date) ||
        !isfinite(r->duration) || !isfinite(r->updated_at) || r->size < 0)
        return OV_EINVAL;
    r->error = text_clip(r->error, WK_REC_MAX_TEXT);
    r->details = text_clip(r->details, WK_REC_MAX_TEXT);
    return 0;
}

/* The status to store for a given one: §8.1 maps unknown values to failed. */
static ov_str_t status_canon(ov_str_t s)
{
    int i = status_index(s);
    return i >= 0 ? statuses[i] : ST_FAILED;
}

static void bind_opt_str(sqlite3_stmt *st, int i, ov_str_t s)
{
    if (s.len > 0)
        wk__bind_str(st, i, s);
}

static void bind_opt_f64(sqlite3_stmt *st, int i, double v)
{
    if (v != 0.0)
        sqlite3_bind_double(st, i, v);
}

static void bind_opt_i64(sqlite3_stmt *st, int i, int64_t v)
{
    if (v != 0)
        sqlite3_bind_int64(st, i, v);
}

/* Inserts a new record with fresh secrets. */
static int rec_insert(wk_db_t *db, const ipc_rec_t *r, ov_str_t room_name)
{
    char pub[WK_REC_SECRET_LEN + 1], priv[WK_REC_SECRET_LEN + 1];
    if (ov_rand_hex(pub, WK_REC_SECRET_LEN) != 0 ||
        ov_rand_hex(priv, WK_REC_SECRET_LEN) != 0) {
        ov_error("recording %.*s: the CSPRNG failed", (int)r->recording_id.len,
                 r->recording_id.ptr);
        return OV_EINTERNAL;
    }
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_INSERT);
    wk__bind_str(st, 1 + COL_ID, r->recording_id);
    wk__bind_str(st, 1 + COL_ROOM_ID, r->room_id);
    wk__bind_str(st, 1 + COL_ROOM_NAME, room_name);
    wk__bind_str(st, 1 + COL_EGRESS_ID, r->egress_id);
    bind_opt_str(st, 1 + COL_LAYOUT, r->layout);
    wk__bind_str(st, 1 + COL_ENCODING, r->encoding_json);
    wk__bind_str(st, 1 + COL_STATUS,
                 r->status.len ? status_canon(r->status) : ST_STARTING);
    wk__bind_str(st, 1 + COL_FILENAME, r->filename);
    sqlite3_bind_double(st, 1 + COL_START_DATE, r->start_date);
    bind_opt_f64(st, 1 + COL_END_DATE, r->end_date);
    bind_opt_f64(st, 1 + COL_DURATION, r->duration);
    bind_opt_i64(st, 1 + COL_SIZE, r->size);
    bind_opt_i64(st, 1 + COL_ERROR_CODE, r->error_code);
    bind_opt_str(st, 1 + COL_ERROR, r->error);
    bind_opt_str(st, 1 + COL_DETAILS, r->details);
    wk__bind_str(st, 1 + COL_PUBLIC_SECRET, (ov_str_t){pub, WK_REC_SECRET_LEN});
    wk__bind_str(st, 1 + COL_PRIVATE_SECRET,
                 (ov_str_t){priv, WK_REC_SECRET_LEN});
    bind_opt_f64(st, 1 + COL_UPDATED_AT, r->updated_at);
    return wk__step_done(db, st, "inserting a recording");
}

/* Writes the given fields of `r` over the stored record (NULL parameters
 * keep the stored values). `room_name` is NULL when the room is gone.
 * Returns 0, OV_ENOREC or OV_ESTORAGE. */
static int rec_update(wk_db_t *db, const ipc_rec_t *r,
                      const ov_str_t *room_name)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_UPDATE);
    wk__bind_str(st, 1, r->recording_id);
    if (room_name != NULL)
        wk__bind_str(st, 2, *room_name);
    bind_opt_str(st, 3, r->egress_id);
    bind_opt_str(st, 4, r->layout);
    bind_opt_str(st, 5, r->encoding_json);
    if (r->status.len > 0)
        wk__bind_str(st, 6, status_canon(r->status));
    bind_opt_str(st, 7, r->filename);
    bind_opt_f64(st, 8, r->start_date);
    bind_opt_f64(st, 9, r->end_date);
    bind_opt_f64(st, 10, r->duration);
    bind_opt_i64(st, 11, r->size);
    bind_opt_i64(st, 12, r->error_code);
    bind_opt_str(st, 13, r->error);
    bind_opt_str(st, 14, r->details);
    bind_opt_f64(st, 15, r->updated_at);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_DONE)
        err = OV_ENOREC;
    else if (rc != SQLITE_ROW)
        err = wk_db_fail(db, "updating a recording");
    sqlite3_reset(st);
    return err;
}

/* Records the webhook of an applied REC_EVENT of `kind` (§8.1) with record
 * `id` as stored now, and replies REC_REPLY with it. */
static int reply_event(wk_db_t *db, ov_buf_t *out, uint64_t req_id,
                       uint32_t kind, ov_str_t id)
{
    const char *event = kind == IPC_REC_EV_STARTED   ? WK_EV_RECORDING_STARTED
                        : kind == IPC_REC_EV_UPDATED ? WK_EV_RECORDING_UPDATED
                                                     : WK_EV_RECORDING_ENDED;
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_GET);
    wk__bind_str(st, 1, id);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        /* The row stays valid while the outbox statement runs: only
         * stepping or resetting this statement ends it. */
        ipc_rec_t rec;
        rec_row_view(st, &rec);
        err = wk_outbox_add_rec(db, event, &rec);
        if (err == 0)
            reply_rec(out, req_id, &rec);
    } else if (rc == SQLITE_DONE) {
        err = OV_ENOREC;
    } else {
        err = wk_db_fail(db, "reading a recording");
    }
    sqlite3_reset(st);
    return err;
}

int wk_rec_event(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                 ov_buf_t *out)
{
    (void)ctx;
    ipc_rec_event_t req;
    if (ipc_rec_event_decode(f, &req) != 0)
        return OV_EPROTO;
    if (req.kind != IPC_REC_EV_STARTED && req.kind != IPC_REC_EV_UPDATED &&
        req.kind != IPC_REC_EV_ENDED)
        return OV_EINVAL;
    ipc_rec_t *r = &req.rec;
    int err = rec_check(r);
    if (err != 0)
        return err;

    /* The room's name now (§5.2: read again on every event). A copy,
     * because the writes below reuse the statement. */
    char *name = NULL;
    size_t name_len = 0;
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_ROOM_NAME);
    wk__bind_str(st, 1, r->room_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ov_str_t v = wk__col_str(st, 0);
        name = ov_xstrndup(v.ptr, v.len);
        name_len = v.len;
    } else if (rc != SQLITE_DONE) {
        err = wk_db_fail(db, "reading a room");
    }
    sqlite3_reset(st);
    if (err != 0)
        return err;
    ov_str_t room_name = {name, name_len};

    if (req.kind == IPC_REC_EV_STARTED) {
        if (name == NULL) {
            err = OV_ENOROOM;
        } else {
            /* A redelivered or repeated start updates instead, so that the
             * secrets handed out stay valid. */
            err = rec_update(db, r, &room_name);
            if (err == OV_ENOREC)
                err = rec_insert(db, r, room_name);
        }
    } else {
        err = rec_update(db, r, name ? &room_name : NULL);
        /* The egress is over, so the room may record again (§8.1); the
         * token does not matter, since the lock only ever guards the one
         * recording a room can have. */
        if (err == 0 && req.kind == IPC_REC_EV_ENDED)
            err = lock_release(db, r->room_id, OV_STR_LIT(""));
    }
    if (err == 0)
        err = reply_event(db, out, f->req_id, req.kind, r->recording_id);
    free(name);
    return err;
}

/* ---- REC_GET, REC_DELETE ----------------------------------------------- */

int wk_rec_get(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f, ov_buf_t *out)
{
    (void)ctx;
    ipc_rec_get_t req;
    if (ipc_rec_get_decode(f, &req) != 0)
        return OV_EPROTO;
    if (!wk__text_ok(req.recording_id, WK_REC_MAX_ID))
        return OV_EINVAL;
    return reply_stored(db, out, f->req_id, req.recording_id);
}

int wk_rec_delete(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                  ov_buf_t *out)
{
    (void)ctx;
    ipc_rec_delete_t req;
    if (ipc_rec_delete_decode(f, &req) != 0)
        return OV_EPROTO;
    if (!wk__text_ok(req.recording_id, WK_REC_MAX_ID))
        return OV_EINVAL;
    ipc_rec_t rec;
    char *block = NULL;
    int err = rec_read(db, req.recording_id, &rec, &block);
    if (err != 0)
        return err;
    int si = status_index(rec.status);
    if (si >= 0 && si < N_LIVE) {
        err = OV_ERECNOTSTOPPED;
    } else {
        sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_DELETE);
        wk__bind_str(st, 1, req.recording_id);
        err = wk__step_done(db, st, "deleting a recording");
    }
    if (err == 0)
        reply_rec(out, f->req_id, &rec);
    free(block);
    return err;
}

/* ---- REC_LIST ---------------------------------------------------------- */

typedef enum {
    SORT_START_DATE,
    SORT_ROOM_NAME,
    SORT_DURATION,
    SORT_SIZE,
} wk_rec_sort_t;

/* [sort][descending][room id only][cursor] */
static const wk_stmt_id_t list_stmts[4][2][2][2] = {
#define WK__LIST_ROW(ID)                                                       \
    {                                                                          \
        {WK_STMT_REC_LIST_##ID, WK_STMT_REC_LIST_##ID##_C},                    \
        {                                                                      \
            WK_STMT_REC_LIST_##ID##_R, WK_STMT_REC_LIST_##ID##_RC              \
        }                                                                      \
    }
    [SORT_START_DATE] = {WK__LIST_ROW(SD_ASC), WK__LIST_ROW(SD_DESC)},
    [SORT_ROOM_NAME] = {WK__LIST_ROW(NAME_ASC), WK__LIST_ROW(NAME_DESC)},
    [SORT_DURATION] = {WK__LIST_ROW(DUR_ASC), WK__LIST_ROW(DUR_DESC)},
    [SORT_SIZE] = {WK__LIST_ROW(SIZE_ASC), WK__LIST_ROW(SIZE_DESC)},
#undef WK__LIST_ROW
};

static int sort_parse(ov_str_t s, wk_rec_sort_t *out)
{
    if (ov_str_eq(s, OV_STR_LIT("startDate")))
        *out = SORT_START_DATE;
    else if (ov_str_eq(s, OV_STR_LIT("roomName")))
        *out = SORT_ROOM_NAME;
    else if (ov_str_eq(s, OV_STR_LIT("duration")))
        *out = SORT_DURATION;
    else if (ov_str_eq(s, OV_STR_LIT("size")))
        *out = SORT_SIZE;
    else
        return OV_EINVAL;
    return 0;
}

/* Records read from rows, each owning its strings. */
typedef struct {
    ipc_rec_t *items;
    char **blocks;
    uint32_t n, cap;
} wk_rec_vec_t;

static void vec_push_row(wk_rec_vec_t *v, sqlite3_stmt *st)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 16;
        v->items = ov_xrealloc(v->items, v->cap * sizeof(*v->items));
        v->blocks = ov_xrealloc(v->blocks, v->cap * sizeof(*v->blocks));
    }
    rec_row_view(st, &v->items[v->n]);
    v->blocks[v->n] = rec_own(&v->items[v->n]);
    v->n++;
}

static void vec_free(wk_rec_vec_t *v)
{
    for (uint32_t i = 0; i < v->n; i++)
        free(v->blocks[i]);
    free(v->blocks);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

static void reply_list(ov_buf_t *out, uint64_t req_id, const wk_rec_vec_t *v,
                       bool more)
{
    ipc_rec_list_reply_t rep;
    memset(&rep, 0, sizeof(rep));
    rep.recs.items = v->items;
    rep.recs.n = v->n;
    rep.more = more;
    ipc_rec_list_reply_encode(out, req_id, &rep);
}

int wk_rec_list(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f, ov_buf_t *out)
{
    (void)ctx;
    ipc_rec_list_t req;
    if (ipc_rec_list_decode(f, &req) != 0)
        return OV_EPROTO;
    wk_rec_sort_t sort;
    if (sort_parse(req.sort_field, &sort) != 0 || req.limit > WK_REC_LIST_MAX ||
        (req.status.len > 0 && status_index(req.status) < 0) ||
        !wk__text_ok(req.room_id, WK_ROOM_MAX_ID) ||
        !wk__text_ok(req.room_name, WK_REC_MAX_FILTER) ||
        !wk__text_ok(req.cursor_id, WK_REC_MAX_ID) ||
        !wk__text_ok(req.cursor_str, WK_REC_MAX_FILTER) ||
        (req.has_cursor && req.cursor_has_value && isnan(req.cursor_num)))
        return OV_EINVAL;

    wk_rec_vec_t v;
    memset(&v, 0, sizeof(v));
    bool cursor = req.has_cursor;
    bool by_value = sort == SORT_START_DATE || sort == SORT_ROOM_NAME;
    if (cursor && !req.cursor_has_value && by_value) {
        /* Every record has a start date and a room name, so a cursor
         * without a value stands before all of them in ascending order and
         * after all of them in descending order. */
        if (req.sort_desc) {
            reply_list(out, f->req_id, &v, false);
            return 0;
        }
        cursor = false;
    }

    bool room_only = req.room_id.len > 0 && req.room_name.len == 0;
    sqlite3_stmt *st =
        wk_db_stmt(db, list_stmts[sort][req.sort_desc][room_only][cursor]);
    /* One row more than asked tells whether more follow. */
    sqlite3_bind_int64(st, 1, (sqlite3_int64)req.limit + 1);
    bind_opt_str(st, 2, req.room_id);
    bind_opt_str(st, 3, req.status);
    if (cursor) {
        if (sort == SORT_ROOM_NAME)
            wk__bind_str(st, 4, req.cursor_str);
        else if (req.cursor_has_value)
            sqlite3_bind_double(st, 4, req.cursor_num);
        else
            sqlite3_bind_double(st, 4, -INFINITY); /* the key of "none" */
        wk__bind_str(st, 6, req.cursor_id);
    }
    if (!room_only)
        bind_opt_str(st, 5, req.room_name);

    bool more = false;
    int err = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (v.n == req.limit) {
            more = true;
            break;
        }
        vec_push_row(&v, st);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = wk_db_fail(db, "listing recordings");
    sqlite3_reset(st);

    if (err == 0)
        reply_list(out, f->req_id, &v, more);
    vec_free(&v);
    return err;
}

/* ---- REC_ABORT_STALE --------------------------------------------------- */

static int str_cmp_cb(const void *a, const void *b)
{
    return ov_str_cmp(*(const ov_str_t *)a, *(const ov_str_t *)b);
}

int wk_rec_abort_stale(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                       ov_buf_t *out)
{
    (void)ctx;
    ipc_rec_abort_stale_t req;
    if (ipc_rec_abort_stale_decode(f, &req) != 0)
        return OV_EPROTO;
    if (req.limit > WK_REC_LIST_MAX || req.older_than_ms < 0 ||
        req.lock_older_than_ms < 0)
        return OV_EINVAL;

    /* A sorted copy of the live egress ids, for lookups by bsearch. The
     * views point into the request frame, which outlives the call. */
    size_t nrun = req.running.n;
    ov_str_t *running = NULL;
    if (nrun > 0) {
        running = ov_xmalloc(nrun * sizeof(*running));
        memcpy(running, req.running.items, nrun * sizeof(*running));
        qsort(running, nrun, sizeof(*running), str_cmp_cb);
    }

    /* First the ids, then the writes: updating rows while the statement
     * walks the partial index they leave would make the walk undefined. */
    double before = (double)req.now_ms - (double)req.older_than_ms;
    char **ids = NULL;
    uint32_t nids = 0;
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_REC_LIVE_STALE);
    sqlite3_bind_double(st, 1, before);
    int rc = SQLITE_DONE;
    int err = 0;
    while (nids <= req.limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ov_str_t egress = wk__col_str(st, 1);
        if (nrun > 0 &&
            bsearch(&egress, running, nrun, sizeof(*running), str_cmp_cb))
            continue;
        ov_str_t id = wk__col_str(st, 0);
        ids = ov_xrealloc(ids, (nids + 1) * sizeof(*ids));
        ids[nids++] = ov_xstrndup(id.ptr, id.len);
    }
    if (nids <= req.limit && rc != SQLITE_DONE)
        err = wk_db_fail(db, "listing live recordings");
    sqlite3_reset(st);

    bool more = nids > req.limit;
    uint32_t todo = more ? req.limit : nids;
    wk_rec_vec_t v;
    memset(&v, 0, sizeof(v));
    for (uint32_t i = 0; err == 0 && i < todo; i++) {
        st = wk_db_stmt(db, WK_STMT_REC_ABORT);
        wk__bind_str(st, 1, ov_str(ids[i]));
        sqlite3_bind_double(st, 2, (double)req.now_ms);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            vec_push_row(&v, st);
        else
            err = wk_db_fail(db, "aborting a recording");
        sqlite3_reset(st);
        if (err == 0)
            err = lock_release(db, v.items[v.n - 1].room_id, OV_STR_LIT(""));
    }

    if (err == 0 && !more) {
        st = wk_db_stmt(db, WK_STMT_REC_LOCK_ORPHANS);
        sqlite3_bind_int64(st, 1, req.now_ms - req.lock_older_than_ms);
        err = wk__step_done(db, st, "releasing orphaned recording locks");
        int n = err == 0 ? sqlite3_changes(db->db) : 0;
        if (n > 0)
            ov_info("released %d recording lock(s) left without a recording",
                    n);
    }
    if (err == 0) {
        ipc_rec_abort_stale_reply_t rep;
        memset(&rep, 0, sizeof(rep));
        rep.aborted.items = v.items;
        rep.aborted.n = v.n;
        rep.more = more;
        ipc_rec_abort_stale_reply_encode(out, f->req_id, &rep);
    }
    vec_free(&v);
    for (uint32_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    free(running);
    return err;
}
