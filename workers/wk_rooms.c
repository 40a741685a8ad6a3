/* wk_rooms: the ROOM_* handlers; see wk_rooms.h. */
#include "wk_rooms.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ov_err.h"
#include "ov_log.h"
#include "ov_room_delete.h"
#include "wk_meetings.h"

/* Positions of the WK_ROOM_COLS columns in a result row. */
enum {
    COL_ID,
    COL_NAME,
    COL_CREATION_DATE,
    COL_AUTO_DELETION_DATE,
    COL_WITH_MEETING,
    COL_WITH_RECORDINGS,
    COL_CONFIG,
    COL_MODERATOR_SECRET,
    COL_SPEAKER_SECRET,
    COL_STATUS,
    COL_END_ACTION,
};
_Static_assert(COL_END_ACTION + 1 == WK_ROOM_NCOLS, "WK_ROOM_COLS changed");

/* ---- input checks ------------------------------------------------------ */

/* Returns true if `s` is at most `max` bytes of well-formed UTF-8 (no
 * overlong forms, surrogates or code points above U+10FFFF) without NUL.
 * Stored text must be, since the gateway turns it into JSON and SQLite's
 * text functions walk it as UTF-8. */
bool wk__text_ok(ov_str_t s, size_t max)
{
    if (s.len > max)
        return false;
    if (s.len == 0)
        return true;
    const unsigned char *p = (const unsigned char *)s.ptr;
    const unsigned char *end = p + s.len;
    while (p < end) {
        unsigned c = *p++;
        if (c < 0x80) {
            if (c == 0)
                return false;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if ((size_t)(end - p) < n)
            return false;
        for (size_t i = 0; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3fu);
        }
        p += n;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

static bool is_status(ov_str_t s)
{
    return ov_str_eq(s, WK_ST_OPEN) || ov_str_eq(s, WK_ST_ACTIVE) ||
           ov_str_eq(s, WK_ST_CLOSED);
}

static bool is_end_action(ov_str_t s)
{
    return ov_str_eq(s, WK_ACT_NONE) || ov_str_eq(s, WK_ACT_CLOSE) ||
           ov_str_eq(s, WK_ACT_DELETE);
}

/* Parses a withMeeting (`meeting`) or withRecordings policy. Each has three
 * of the four names: when_meeting_ends is only for meetings, close only for
 * recordings. Returns 0 or OV_EINVAL. */
int wk__policy_parse(ov_str_t s, bool meeting, ov_room_policy_t *out)
{
    char name[24];
    if (s.len == 0 || s.len >= sizeof(name) ||
        memchr(s.ptr, '\0', s.len) != NULL)
        return OV_EINVAL;
    memcpy(name, s.ptr, s.len);
    name[s.len] = '\0';
    if (ov_room_policy_parse(name, out) != 0)
        return OV_EINVAL;
    if (*out == (meeting ? OV_POLICY_CLOSE : OV_POLICY_WHEN_MEETING_ENDS))
        return OV_EINVAL;
    return 0;
}

/* Parses `s` as JSON; returns a new object (json_decref it) or NULL if it
 * is not exactly one JSON object. jansson rejects invalid UTF-8 and NUL
 * escapes and bounds the nesting depth. */
static json_t *json_object_parse(ov_str_t s)
{
    json_error_t jerr;
    json_t *j = json_loadb(s.len ? s.ptr : "", s.len, 0, &jerr);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int room_check(const ipc_room_t *r)
{
    ov_room_policy_t p;
    if (r->room_id.len == 0 || !wk__text_ok(r->room_id, WK_ROOM_MAX_ID) ||
        !wk__text_ok(r->room_name, WK_ROOM_MAX_NAME) ||
        !wk__text_ok(r->moderator_secret, WK_ROOM_MAX_SECRET) ||
        !wk__text_ok(r->speaker_secret, WK_ROOM_MAX_SECRET) ||
        !is_status(r->status) || !is_end_action(r->meeting_end_action) ||
        wk__policy_parse(r->with_meeting, true, &p) != 0 ||
        wk__policy_parse(r->with_recordings, false, &p) != 0)
        return OV_EINVAL;
    /* A non-finite date would collide with the -Infinity that stands for
     * "no date" in the list order (NaN is stored as NULL by SQLite). */
    if (r->has_auto_deletion_date && !isfinite(r->auto_deletion_date))
        return OV_EINVAL;
    /* The config is the gateway's canonical compact JSON object. A full
     * parse here cost a tenth of a create; the shape check suffices because
     * the worker reads the config only in ROOM_UPDATE_CONFIG, which parses
     * it and fails cleanly (OV_EINTERNAL) on anything malformed. */
    if (r->config_json.len < 2 || r->config_json.len > WK_ROOM_MAX_CONFIG ||
        r->config_json.ptr[0] != '{' ||
        r->config_json.ptr[r->config_json.len - 1] != '}' ||
        !wk__text_ok(r->config_json, WK_ROOM_MAX_CONFIG))
        return OV_EINVAL;
    return 0;
}

/* ---- rows and replies -------------------------------------------------- */

/* Binds a view for one step. SQLITE_STATIC: callers bind only memory that
 * outlives the step (the request frame, or a string freed after reset). */
void wk__bind_str(sqlite3_stmt *st, int i, ov_str_t s)
{
    sqlite3_bind_text(st, i, s.len ? s.ptr : "", (int)s.len, SQLITE_STATIC);
}

ov_str_t wk__col_str(sqlite3_stmt *st, int i)
{
    const char *p = (const char *)sqlite3_column_text(st, i);
    if (p == NULL)
        return (ov_str_t){"", 0};
    return (ov_str_t){p, (size_t)sqlite3_column_bytes(st, i)};
}

/* Fills `r` with views of the current row of `st`, valid until `st` is
 * stepped or reset. */
void wk__room_row_view(sqlite3_stmt *st, ipc_room_t *r)
{
    memset(r, 0, sizeof(*r));
    r->room_id = wk__col_str(st, COL_ID);
    r->room_name = wk__col_str(st, COL_NAME);
    r->creation_date = sqlite3_column_int64(st, COL_CREATION_DATE);
    r->has_auto_deletion_date =
        sqlite3_column_type(st, COL_AUTO_DELETION_DATE) != SQLITE_NULL;
    if (r->has_auto_deletion_date)
        r->auto_deletion_date =
            sqlite3_column_double(st, COL_AUTO_DELETION_DATE);
    r->with_meeting = wk__col_str(st, COL_WITH_MEETING);
    r->with_recordings = wk__col_str(st, COL_WITH_RECORDINGS);
    r->config_json = wk__col_str(st, COL_CONFIG);
    r->moderator_secret = wk__col_str(st, COL_MODERATOR_SECRET);
    r->speaker_secret = wk__col_str(st, COL_SPEAKER_SECRET);
    r->status = wk__col_str(st, COL_STATUS);
    r->meeting_end_action = wk__col_str(st, COL_END_ACTION);
}

/* Copies the strings `r` points to into one new block and points `r` at
 * the copies, so that the room outlives its row. Returns the block, free
 * with free(). */
char *wk__room_own(ipc_room_t *r)
{
    ov_str_t *s[] = {
        &r->room_id,         &r->room_name,   &r->with_meeting,
        &r->with_recordings, &r->config_json, &r->moderator_secret,
        &r->speaker_secret,  &r->status,      &r->meeting_end_action};
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

static void reply_room(ov_buf_t *out, uint64_t req_id, uint32_t outcome,
                       const ipc_room_t *room)
{
    ipc_room_reply_t rep;
    memset(&rep, 0, sizeof(rep));
    rep.outcome = outcome;
    rep.room = *room;
    ipc_room_reply_encode(out, req_id, &rep);
}

/* Steps a statement that answers at most one room and, when it does,
 * appends the reply before the row goes away. With `closing` (a request to
 * close), a room still in a meeting afterwards reports
 * IPC_STATUS_SCHEDULED. Returns 0, OV_ENOROOM for no row, or OV_ESTORAGE.
 * Leaves `st` reset. */
static int step_reply_room(wk_db_t *db, sqlite3_stmt *st, const char *what,
                           ov_buf_t *out, uint64_t req_id, bool closing)
{
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        ipc_room_t room;
        wk__room_row_view(st, &room);
        uint32_t outcome = 0;
        if (closing && ov_str_eq(room.status, WK_ST_ACTIVE))
            outcome = IPC_STATUS_SCHEDULED;
        reply_room(out, req_id, outcome, &room);
    } else if (rc == SQLITE_DONE) {
        err = OV_ENOROOM;
    } else {
        err = wk_db_fail(db, what);
    }
    sqlite3_reset(st);
    return err;
}

/* Runs a statement that returns no rows. Returns 0 or OV_ESTORAGE; leaves
 * `st` reset. */
int wk__step_done(wk_db_t *db, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_DONE ? 0 : wk_db_fail(db, what);
    sqlite3_reset(st);
    return err;
}

/* ---- create, get ------------------------------------------------------- */

int wk_room_create(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                   ov_buf_t *out)
{
    (void)ctx;
    ipc_room_create_t req;
    if (ipc_room_create_decode(f, &req) != 0)
        return OV_EPROTO;
    const ipc_room_t *r = &req.room;
    int err = room_check(r);
    if (err != 0)
        return err;

    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_INSERT);
    wk__bind_str(st, 1 + COL_ID, r->room_id);
    wk__bind_str(st, 1 + COL_NAME, r->room_name);
    sqlite3_bind_int64(st, 1 + COL_CREATION_DATE, r->creation_date);
    if (r->has_auto_deletion_date)
        sqlite3_bind_double(st, 1 + COL_AUTO_DELETION_DATE,
                            r->auto_deletion_date);
    wk__bind_str(st, 1 + COL_WITH_MEETING, r->with_meeting);
    wk__bind_str(st, 1 + COL_WITH_RECORDINGS, r->with_recordings);
    wk__bind_str(st, 1 + COL_CONFIG, r->config_json);
    wk__bind_str(st, 1 + COL_MODERATOR_SECRET, r->moderator_secret);
    wk__bind_str(st, 1 + COL_SPEAKER_SECRET, r->speaker_secret);
    wk__bind_str(st, 1 + COL_STATUS, r->status);
    wk__bind_str(st, 1 + COL_END_ACTION, r->meeting_end_action);
    err = wk__step_done(db, st, "inserting a room");
    if (err != 0)
        return err;
    /* ON CONFLICT DO NOTHING: an existing id is a quiet no-op rather than
     * a constraint error, and the count of changed rows tells it apart. */
    if (sqlite3_changes(db->db) == 0)
        return OV_ECONFLICT;

    /* The row holds exactly what was given, so the request is the reply. */
    ipc_room_t stored = *r;
    if (!stored.has_auto_deletion_date)
        stored.auto_deletion_date = 0.0;
    reply_room(out, f->req_id, 0, &stored);
    return 0;
}

int wk_room_get(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f, ov_buf_t *out)
{
    (void)ctx;
    ipc_room_get_t req;
    if (ipc_room_get_decode(f, &req) != 0)
        return OV_EPROTO;
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_GET);
    wk__bind_str(st, 1, req.room_id);
    return step_reply_room(db, st, "reading a room", out, f->req_id, false);
}

/* ---- config ------------------------------------------------------------ */

/* Merges `patch` into `dst`, both objects (BEHAVIOUR.md §6.7): an object
 * merges into an object key by key, at every depth (an advanced `encoding`
 * included); anything else replaces, so a preset string replaces an
 * encoding object and an object replaces a preset. Replaced keys keep their
 * position, new keys go last. Recursion is bounded by jansson's parse depth
 * limit. */
static void config_merge(json_t *dst, json_t *patch)
{
    const char *key;
    json_t *pv;
    json_object_foreach(patch, key, pv)
    {
        json_t *dv = json_object_get(dst, key);
        if (json_is_object(dv) && json_is_object(pv))
            config_merge(dv, pv);
        else
            json_object_set(dst, key, pv);
    }
}

/* The e2ee rule: end-to-end encryption makes recording impossible, so it
 * wins silently. */
static void config_e2ee_rule(json_t *cfg)
{
    json_t *rec = json_object_get(cfg, "recording");
    if (json_is_true(
            json_object_get(json_object_get(cfg, "e2ee"), "enabled")) &&
        json_is_true(json_object_get(rec, "enabled")))
        json_object_set_new(rec, "enabled", json_false());
}

int wk_room_update_config(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                          ov_buf_t *out)
{
    (void)ctx;
    ipc_room_update_config_t req;
    if (ipc_room_update_config_decode(f, &req) != 0)
        return OV_EPROTO;
    /* Validation comes before existence, as in the reference's order of
     * checks (422 before 404). */
    json_t *patch = json_object_parse(req.config_patch_json);
    if (patch == NULL)
        return OV_EINVAL;

    json_t *cfg = NULL;
    char *merged = NULL;
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_GET);
    wk__bind_str(st, 1, req.room_id);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        if (ov_str_eq(wk__col_str(st, COL_STATUS), WK_ST_ACTIVE)) {
            err = OV_EROOMACTIVE;
        } else {
            cfg = json_object_parse(wk__col_str(st, COL_CONFIG));
            if (cfg == NULL) {
                ov_error("room %.*s: stored config is not a JSON object",
                         (int)req.room_id.len, req.room_id.ptr);
                err = OV_EINTERNAL;
            }
        }
    } else if (rc == SQLITE_DONE) {
        err = OV_ENOROOM;
    } else {
        err = wk_db_fail(db, "reading a room");
    }
    sqlite3_reset(st);
    if (err != 0)
        goto done;

    config_merge(cfg, patch);
    config_e2ee_rule(cfg);
    /* Compact and in insertion order: the stored key order survives, and
     * new sections (which the gateway validated) follow it. */
    /* As the gateway (GW_JSON_CONFIG_FLAGS): reals with 15 digits. */
    merged = json_dumps(cfg, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (merged == NULL) {
        err = OV_EINTERNAL;
        goto done;
    }
    size_t len = strlen(merged);
    if (len > WK_ROOM_MAX_CONFIG) {
        err = OV_EINVAL;
        goto done;
    }

    st = wk_db_stmt(db, WK_STMT_ROOM_SET_CONFIG);
    wk__bind_str(st, 1, req.room_id);
    wk__bind_str(st, 2, (ov_str_t){merged, len});
    err = step_reply_room(db, st, "updating a room config", out, f->req_id,
                          false);
done:
    free(merged);
    json_decref(cfg);
    json_decref(patch);
    return err;
}

/* ---- status ------------------------------------------------------------ */

int wk_room_set_status(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                       ov_buf_t *out)
{
    (void)ctx;
    ipc_room_set_status_t req;
    if (ipc_room_set_status_decode(f, &req) != 0)
        return OV_EPROTO;
    if (!ov_str_eq(req.status, WK_ST_OPEN) &&
        !ov_str_eq(req.status, WK_ST_CLOSED))
        return OV_EINVAL;
    /* One UPDATE decides and applies §6.8; a room that is still in a
     * meeting after asking for "closed" is the scheduled case. */
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_SET_STATUS);
    wk__bind_str(st, 1, req.room_id);
    wk__bind_str(st, 2, req.status);
    return step_reply_room(db, st, "setting a room status", out, f->req_id,
                           ov_str_eq(req.status, WK_ST_CLOSED));
}

/* ---- deletion ---------------------------------------------------------- */

int wk_room_has_recordings(wk_db_t *db, const char *room_id, size_t len,
                           bool *out)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_HAS_RECORDINGS);
    wk__bind_str(st, 1, (ov_str_t){room_id, len});
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0) != 0;
    else
        err = wk_db_fail(db, "looking up recordings");
    sqlite3_reset(st);
    return err;
}

int wk_room_purge(wk_db_t *db, ov_str_t room_id)
{
    /* Recordings first, as the reference does (§8.2): a failure leaves the
     * room, so that the deletion can be retried. */
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_DELETE_RECORDINGS);
    wk__bind_str(st, 1, room_id);
    int err = wk__step_done(db, st, "deleting recordings");
    if (err == 0) {
        st = wk_db_stmt(db, WK_STMT_PARTICIPANTS_CLEAR);
        wk__bind_str(st, 1, room_id);
        sqlite3_bind_int64(st, 2, INT64_MAX);
        err = wk__step_done(db, st, "deleting participants");
    }
    if (err == 0) {
        st = wk_db_stmt(db, WK_STMT_ROOM_DELETE);
        wk__bind_str(st, 1, room_id);
        err = wk__step_done(db, st, "deleting a room");
    }
    return err;
}

int wk_room_delete_apply(wk_db_t *db, ipc_room_t *room, ov_room_policy_t wm,
                         ov_room_policy_t wr, unsigned *outcome, bool *changed,
                         bool *deleted)
{
    *changed = false;
    *deleted = false;
    bool has_recordings = false;
    int err = wk_room_has_recordings(db, room->room_id.ptr, room->room_id.len,
                                     &has_recordings);
    if (err != 0)
        return err;
    *outcome = ov_room_delete_decide(ov_str_eq(room->status, WK_ST_ACTIVE),
                                     has_recordings, wm, wr);
    unsigned fx = ov_room_del_effects(*outcome);

    /* The effects in the order of ov_room_delete.h. Deleting the room takes
     * its recordings along, and no outcome deletes recordings alone. */
    OV_ASSERT(!(fx & OV_DEL_FX_DELETE_RECORDINGS) ||
              (fx & OV_DEL_FX_DELETE_ROOM));
    if (fx & OV_DEL_FX_DELETE_ROOM) {
        err = wk_room_purge(db, room->room_id);
        *changed = *deleted = err == 0;
        return err;
    }
    ov_str_t status = room->status, action = room->meeting_end_action;
    if (fx & OV_DEL_FX_CLOSE)
        status = WK_ST_CLOSED;
    if (fx & OV_DEL_FX_END_ACTION_DELETE)
        action = WK_ACT_DELETE;
    if (fx & OV_DEL_FX_END_ACTION_CLOSE)
        action = WK_ACT_CLOSE;
    bool differs = !ov_str_eq(status, room->status) ||
                   !ov_str_eq(action, room->meeting_end_action);
    room->status = status;
    room->meeting_end_action = action;
    if (fx & OV_DEL_FX_END_MEETING) {
        /* The meeting ends now, with the end action just set: one write
         * takes the room to its final state (or deletes it). */
        err = wk_meeting_end(db, room, NULL, deleted);
        *changed = err == 0;
    } else if (differs) {
        sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_SET_STATE);
        wk__bind_str(st, 1, room->room_id);
        wk__bind_str(st, 2, status);
        wk__bind_str(st, 3, action);
        err = wk__step_done(db, st, "updating a room");
        *changed = err == 0;
    }
    return err;
}

int wk_room_delete(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                   ov_buf_t *out)
{
    (void)ctx;
    ipc_room_delete_t req;
    if (ipc_room_delete_decode(f, &req) != 0)
        return OV_EPROTO;
    ov_room_policy_t wm, wr;
    if (wk__policy_parse(req.with_meeting, true, &wm) != 0 ||
        wk__policy_parse(req.with_recordings, false, &wr) != 0)
        return OV_EINVAL;

    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_GET);
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
    char *block = wk__room_own(&room);
    sqlite3_reset(st);

    unsigned outcome = 0;
    bool changed, deleted;
    int err =
        wk_room_delete_apply(db, &room, wm, wr, &outcome, &changed, &deleted);
    if (err == 0)
        reply_room(out, f->req_id, outcome, &room);
    free(block);
    return err;
}

/* ---- list -------------------------------------------------------------- */

typedef enum {
    SORT_CREATION_DATE,
    SORT_ROOM_NAME,
    SORT_AUTO_DELETION_DATE,
} wk_room_sort_t;

/* [sort][descending][status filter][cursor] */
static const wk_stmt_id_t list_stmts[3][2][2][2] = {
#define WK__LIST_ROW(ID)                                                       \
    {                                                                          \
        {WK_STMT_ROOM_LIST_##ID, WK_STMT_ROOM_LIST_##ID##_C},                  \
        {                                                                      \
            WK_STMT_ROOM_LIST_##ID##_S, WK_STMT_ROOM_LIST_##ID##_SC            \
        }                                                                      \
    }
    [SORT_CREATION_DATE] = {WK__LIST_ROW(CD_ASC), WK__LIST_ROW(CD_DESC)},
    [SORT_ROOM_NAME] = {WK__LIST_ROW(NAME_ASC), WK__LIST_ROW(NAME_DESC)},
    [SORT_AUTO_DELETION_DATE] = {WK__LIST_ROW(AD_ASC), WK__LIST_ROW(AD_DESC)},
#undef WK__LIST_ROW
};

static int sort_parse(ov_str_t s, wk_room_sort_t *out)
{
    if (ov_str_eq(s, OV_STR_LIT("creationDate")))
        *out = SORT_CREATION_DATE;
    else if (ov_str_eq(s, OV_STR_LIT("roomName")))
        *out = SORT_ROOM_NAME;
    else if (ov_str_eq(s, OV_STR_LIT("autoDeletionDate")))
        *out = SORT_AUTO_DELETION_DATE;
    else
        return OV_EINVAL;
    return 0;
}

static void reply_list(ov_buf_t *out, uint64_t req_id, ipc_room_t *items,
                       uint32_t n, bool more)
{
    ipc_room_list_reply_t rep;
    memset(&rep, 0, sizeof(rep));
    rep.rooms.items = items;
    rep.rooms.n = n;
    rep.more = more;
    ipc_room_list_reply_encode(out, req_id, &rep);
}

int wk_room_list(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                 ov_buf_t *out)
{
    (void)ctx;
    ipc_room_list_t req;
    if (ipc_room_list_decode(f, &req) != 0)
        return OV_EPROTO;
    wk_room_sort_t sort;
    if (sort_parse(req.sort_field, &sort) != 0 ||
        req.limit > WK_ROOM_LIST_MAX ||
        (req.status_filter.len > 0 && !is_status(req.status_filter)) ||
        (req.has_cursor && req.cursor_has_value && isnan(req.cursor_num)))
        return OV_EINVAL;

    bool cursor = req.has_cursor;
    if (cursor && !req.cursor_has_value && sort != SORT_AUTO_DELETION_DATE) {
        /* Every room has a creation date and a name, so a cursor without a
         * value stands before all of them in ascending order and after all
         * of them in descending order. */
        if (req.sort_desc) {
            reply_list(out, f->req_id, NULL, 0, false);
            return 0;
        }
        cursor = false;
    }

    sqlite3_stmt *st = wk_db_stmt(
        db, list_stmts[sort][req.sort_desc][req.status_filter.len > 0][cursor]);
    /* One row more than asked tells whether more follow. */
    sqlite3_bind_int64(st, 1, (sqlite3_int64)req.limit + 1);
    if (req.status_filter.len > 0)
        wk__bind_str(st, 2, req.status_filter);
    if (cursor) {
        if (sort == SORT_ROOM_NAME)
            wk__bind_str(st, 3, req.cursor_str);
        else if (req.cursor_has_value)
            sqlite3_bind_double(st, 3, req.cursor_num);
        else
            sqlite3_bind_double(st, 3, -INFINITY); /* ad_key of "none" */
        wk__bind_str(st, 4, req.cursor_id);
    }
    if (req.name_filter.len > 0)
        wk__bind_str(st, 5, req.name_filter);

    ipc_room_t *items = NULL;
    char **blocks = NULL;
    uint32_t n = 0, cap = 0;
    bool more = false;
    int err = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == req.limit) {
            more = true;
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            items = ov_xrealloc(items, cap * sizeof(*items));
            blocks = ov_xrealloc(blocks, cap * sizeof(*blocks));
        }
        wk__room_row_view(st, &items[n]);
        blocks[n] = wk__room_own(&items[n]);
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = wk_db_fail(db, "listing rooms");
    sqlite3_reset(st);

    if (err == 0)
        reply_list(out, f->req_id, items, n, more);
    for (uint32_t i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
    free(items);
    return err;
}
