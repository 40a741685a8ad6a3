/* wk_meetings: MEETING_EVENT and ROOMS_EXPIRE; see wk_meetings.h. */
#include "wk_meetings.h"

#include <stdlib.h>
#include <string.h>

#include "ov_err.h"
#include "ov_log.h"
#include "ov_room_delete.h"
#include "wk_outbox.h"
#include "wk_rooms.h"

/* Positions of the meeting clock after the room columns of
 * MEETING_ROOM_GET. */
enum {
    COL_STARTED_AT = WK_ROOM_NCOLS,
    COL_FINISHED_AT,
};

/* ---- shared with ROOM_DELETE ------------------------------------------- */

/* Drops the participants of `room_id` who joined at or before `until`. */
static int participants_clear(wk_db_t *db, ov_str_t room_id, int64_t until)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_PARTICIPANTS_CLEAR);
    wk__bind_str(st, 1, room_id);
    sqlite3_bind_int64(st, 2, until);
    return wk__step_done(db, st, "clearing participants");
}

int wk_meeting_end(wk_db_t *db, ipc_room_t *room, const int64_t *finished_at,
                   bool *deleted)
{
    *deleted = false;
    if (ov_str_eq(room->meeting_end_action, WK_ACT_DELETE)) {
        int err = wk_room_purge(db, room->room_id);
        /* §8.2: a deleted room is reported as it was, still in its meeting
         * with the delete action. */
        if (err == 0)
            err = wk_outbox_add_room(db, WK_EV_MEETING_ENDED, room);
        *deleted = err == 0;
        return err;
    }
    ov_str_t status = WK_ST_OPEN, action = room->meeting_end_action;
    if (ov_str_eq(action, WK_ACT_CLOSE)) {
        status = WK_ST_CLOSED;
        action = WK_ACT_NONE;
    }
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_MEETING_END);
    wk__bind_str(st, 1, room->room_id);
    wk__bind_str(st, 2, status);
    wk__bind_str(st, 3, action);
    if (finished_at != NULL)
        sqlite3_bind_int64(st, 4, *finished_at);
    int err = wk__step_done(db, st, "ending a meeting");
    /* A participant who joined after the finish (its events overtook the
     * room_finished) belongs to the next meeting and stays. */
    if (err == 0)
        err = participants_clear(db, room->room_id,
                                 finished_at ? *finished_at : INT64_MAX);
    if (err == 0) {
        room->status = status;
        room->meeting_end_action = action;
        err = wk_outbox_add_room(db, WK_EV_MEETING_ENDED, room);
    }
    return err;
}

int wk_room_participant_count(wk_db_t *db, ov_str_t room_id, int64_t *out)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_PARTICIPANT_COUNT);
    wk__bind_str(st, 1, room_id);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        err = wk_db_fail(db, "counting participants");
    sqlite3_reset(st);
    return err;
}

/* ---- MEETING_EVENT ----------------------------------------------------- */

static void reply_event(ov_buf_t *out, uint64_t req_id, uint32_t outcome,
                        const ipc_room_t *room)
{
    ipc_meeting_event_reply_t rep;
    memset(&rep, 0, sizeof(rep));
    rep.outcome = outcome;
    if (room != NULL) {
        rep.has_room = true;
        rep.room = *room;
    }
    ipc_meeting_event_reply_encode(out, req_id, &rep);
}

/* Replies `outcome` with the room as it is now, if it exists. */
static int reply_current(wk_db_t *db, ov_buf_t *out, uint64_t req_id,
                         uint32_t outcome, ov_str_t room_id)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_GET);
    wk__bind_str(st, 1, room_id);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        ipc_room_t room;
        wk__room_row_view(st, &room);
        reply_event(out, req_id, outcome, &room);
    } else if (rc == SQLITE_DONE) {
        reply_event(out, req_id, outcome, NULL);
    } else {
        err = wk_db_fail(db, "reading a room");
    }
    sqlite3_reset(st);
    return err;
}

/* A room with its meeting clock (NULL columns: no such event yet). */
typedef struct {
    ipc_room_t room;
    char *block; /* owns the room's strings */
    bool has_started, has_finished;
    int64_t started_at, finished_at;
} wk_meeting_room_t;

/* Reads `room_id` into `m`. Returns 0, OV_ENOROOM or OV_ESTORAGE; on 0 the
 * caller frees m->block. */
static int meeting_room_read(wk_db_t *db, ov_str_t room_id,
                             wk_meeting_room_t *m)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_MEETING_ROOM_GET);
    wk__bind_str(st, 1, room_id);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        /* A copy, because the event's writes go to this very row. */
        wk__room_row_view(st, &m->room);
        m->block = wk__room_own(&m->room);
        m->has_started = sqlite3_column_type(st, COL_STARTED_AT) != SQLITE_NULL;
        m->started_at = sqlite3_column_int64(st, COL_STARTED_AT);
        m->has_finished =
            sqlite3_column_type(st, COL_FINISHED_AT) != SQLITE_NULL;
        m->finished_at = sqlite3_column_int64(st, COL_FINISHED_AT);
    } else if (rc == SQLITE_DONE) {
        err = OV_ENOROOM;
    } else {
        err = wk_db_fail(db, "reading a room");
    }
    sqlite3_reset(st);
    return err;
}

/* Runs a statement of the form (room_id ?1, integer ?2). */
static int run_room_int(wk_db_t *db, wk_stmt_id_t id, ov_str_t room_id,
                        int64_t v, const char *what)
{
    sqlite3_stmt *st = wk_db_stmt(db, id);
    wk__bind_str(st, 1, room_id);
    sqlite3_bind_int64(st, 2, v);
    return wk__step_done(db, st, what);
}

/* room_started at `t`. A room already in a meeting stays as it is, but its
 * start moves forward: had its previous finish been lost, a late
 * room_finished of the earlier meeting must not end this one. */
static int on_room_started(wk_db_t *db, wk_meeting_room_t *m, int64_t t,
                           uint32_t *outcome)
{
    if (m->has_finished && m->finished_at > t) {
        *outcome = IPC_MEETEV_STALE;
        return 0;
    }
    bool active = ov_str_eq(m->room.status, WK_ST_ACTIVE);
    if (active && m->has_started && m->started_at >= t)
        return 0;
    int err = run_room_int(db, WK_STMT_MEETING_SET_STARTED, m->room.room_id, t,
                           "starting a meeting");
    if (err == 0)
        m->room.status = WK_ST_ACTIVE;
    /* Only a start that made the room active is a meetingStarted: a newer
     * start of a meeting already active only moves the clock. */
    if (err == 0 && !active)
        err = wk_outbox_add_room(db, WK_EV_MEETING_STARTED, &m->room);
    return err;
}

/* room_finished at `t`. On a room that is not in a meeting (a redelivery
 * under another id, the finish of a meeting already ended by the API, or
 * after PUT status open) it changes nothing visible, but the finish still
 * dates later joins and ends the presence of earlier participants. */
static int on_room_finished(wk_db_t *db, wk_meeting_room_t *m, int64_t t,
                            uint32_t *outcome, bool *deleted)
{
    if (!ov_str_eq(m->room.status, WK_ST_ACTIVE)) {
        int err = 0;
        if (!m->has_finished || t > m->finished_at)
            err = run_room_int(db, WK_STMT_MEETING_SET_FINISHED,
                               m->room.room_id, t, "finishing a meeting");
        if (err == 0)
            err = participants_clear(db, m->room.room_id, t);
        return err;
    }
    if (m->has_started && t < m->started_at) {
        *outcome = IPC_MEETEV_STALE;
        return 0;
    }
    return wk_meeting_end(db, &m->room, &t, deleted);
}

static int on_participant(wk_db_t *db, wk_meeting_room_t *m, uint32_t kind,
                          ov_str_t identity, int64_t t, uint32_t *outcome)
{
    sqlite3_stmt *st;
    if (kind == IPC_MEET_PARTICIPANT_LEFT) {
        st = wk_db_stmt(db, WK_STMT_PARTICIPANT_LEAVE);
        wk__bind_str(st, 1, m->room.room_id);
        wk__bind_str(st, 2, identity);
        return wk__step_done(db, st, "removing a participant");
    }
    /* A join may precede its room_started (the two travel in one queue per
     * room, but the first join token creates the media room), so only the
     * last finish dates it. */
    if (m->has_finished && t < m->finished_at) {
        *outcome = IPC_MEETEV_STALE;
        return 0;
    }
    st = wk_db_stmt(db, WK_STMT_PARTICIPANT_JOIN);
    wk__bind_str(st, 1, m->room.room_id);
    wk__bind_str(st, 2, identity);
    sqlite3_bind_int64(st, 3, t);
    return wk__step_done(db, st, "adding a participant");
}

int wk_meeting_event(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                     ov_buf_t *out)
{
    (void)ctx;
    ipc_meeting_event_t req;
    if (ipc_meeting_event_decode(f, &req) != 0)
        return OV_EPROTO;
    bool participant = req.kind == IPC_MEET_PARTICIPANT_JOINED ||
                       req.kind == IPC_MEET_PARTICIPANT_LEFT;
    if ((req.kind != IPC_MEET_ROOM_STARTED &&
         req.kind != IPC_MEET_ROOM_FINISHED && !participant) ||
        !wk__text_ok(req.event_id, WK_MEETING_MAX_EVENT_ID) ||
        (participant &&
         (req.participant.len == 0 ||
          !wk__text_ok(req.participant, WK_MEETING_MAX_IDENTITY))))
        return OV_EINVAL;

    /* Recording the id first makes the duplicate check and the record one
     * statement; the common case (a new event for a known room) then costs
     * one insert, one read and the event's own write. */
    bool recorded = false;
    if (req.event_id.len > 0) {
        sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_EVENT_RECORD);
        wk__bind_str(st, 1, req.event_id);
        sqlite3_bind_int64(st, 2, req.created_at);
        int err = wk__step_done(db, st, "recording a webhook event");
        if (err != 0)
            return err;
        if (sqlite3_changes(db->db) == 0)
            return reply_current(db, out, f->req_id, IPC_MEETEV_DUPLICATE,
                                 req.room_id);
        recorded = true;
    }

    wk_meeting_room_t m;
    memset(&m, 0, sizeof(m));
    int err = meeting_room_read(db, req.room_id, &m);
    if (err == OV_ENOROOM) {
        /* Events of rooms this shard does not know (LiveKit rooms that are
         * not Meet rooms, or deleted ones) leave no trace. */
        if (recorded) {
            sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_EVENT_FORGET);
            wk__bind_str(st, 1, req.event_id);
            err = wk__step_done(db, st, "forgetting a webhook event");
            if (err != 0)
                return err;
        }
        reply_event(out, f->req_id, IPC_MEETEV_NO_ROOM, NULL);
        return 0;
    }
    if (err != 0)
        return err;

    uint32_t outcome = IPC_MEETEV_APPLIED;
    bool deleted = false;
    switch (req.kind) {
    case IPC_MEET_ROOM_STARTED:
        err = on_room_started(db, &m, req.created_at, &outcome);
        break;
    case IPC_MEET_ROOM_FINISHED:
        err = on_room_finished(db, &m, req.created_at, &outcome, &deleted);
        break;
    default:
        err = on_participant(db, &m, req.kind, req.participant, req.created_at,
                             &outcome);
        break;
    }
    if (err == 0)
        reply_event(out, f->req_id, outcome, &m.room);
    free(m.block);
    return err;
}

/* ---- ROOMS_EXPIRE ------------------------------------------------------ */

/* The expiry of one room. Sets *changed. A room left in place is at a
 * fixed point of its decision: every outcome that keeps a room either
 * changes nothing or leads to a state whose next decision changes nothing
 * (closed with recordings; the end action set; a meeting ended into
 * closed), so it is marked handled whether or not it changed now. */
static int room_expire(wk_db_t *db, ipc_room_t *room, bool *changed,
                       bool *ended)
{
    *changed = false;
    *ended = false;
    ov_room_policy_t wm, wr;
    bool deleted = false;
    int err = 0;
    if (wk__policy_parse(room->with_meeting, true, &wm) != 0 ||
        wk__policy_parse(room->with_recordings, false, &wr) != 0) {
        /* ROOM_CREATE validates the policy, so this is a damaged row:
         * leave it alone rather than select it on every run. */
        ov_warn("room %.*s: stored autoDeletionPolicy is invalid; not "
                "expiring it",
                (int)room->room_id.len, room->room_id.ptr);
    } else {
        unsigned outcome;
        err =
            wk_room_delete_apply(db, room, wm, wr, &outcome, changed, &deleted);
        *ended = err == 0 &&
                 (ov_room_del_effects(outcome) & OV_DEL_FX_END_MEETING) != 0;
    }
    if (err == 0 && !deleted) {
        sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_ROOM_EXPIRY_HANDLED);
        wk__bind_str(st, 1, room->room_id);
        err = wk__step_done(db, st, "marking an expired room");
    }
    return err;
}

int wk_rooms_expire(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                    ov_buf_t *out)
{
    (void)ctx;
    ipc_rooms_expire_t req;
    if (ipc_rooms_expire_decode(f, &req) != 0)
        return OV_EPROTO;
    if (req.limit > WK_ROOMS_EXPIRE_MAX)
        return OV_EINVAL;

    /* Event ids are dated by their own createdAt, which LiveKit sets when
     * it sends the event; redeliveries stop within minutes, so a day is a
     * wide margin. */
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_EVENTS_PRUNE);
    sqlite3_bind_int64(st, 1, req.now_ms / 1000 - WK_EVENT_ID_TTL_S);
    sqlite3_bind_int64(st, 2, WK_EVENT_PRUNE_MAX);
    int err = wk__step_done(db, st, "forgetting old webhook events");
    if (err != 0)
        return err;
    bool more = sqlite3_changes(db->db) >= WK_EVENT_PRUNE_MAX;

    /* The rooms are read first and changed afterwards, because deleting or
     * marking a room removes it from the index the query walks. One row
     * beyond the limit tells whether more remain. */
    ipc_room_t *rooms = NULL;
    char **blocks = NULL;
    uint32_t n = 0, cap = 0;
    st = wk_db_stmt(db, WK_STMT_ROOMS_EXPIRING);
    sqlite3_bind_int64(st, 1, req.now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)req.limit + 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == req.limit) {
            more = true;
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            rooms = ov_xrealloc(rooms, cap * sizeof(*rooms));
            blocks = ov_xrealloc(blocks, cap * sizeof(*blocks));
        }
        wk__room_row_view(st, &rooms[n]);
        blocks[n] = wk__room_own(&rooms[n]);
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = wk_db_fail(db, "selecting expired rooms");
    sqlite3_reset(st);

    uint32_t processed = 0, nended = 0;
    ov_str_t *ended = ov_xcalloc(n ? n : 1, sizeof(*ended));
    for (uint32_t i = 0; i < n && err == 0; i++) {
        bool changed, meeting_ended;
        err = room_expire(db, &rooms[i], &changed, &meeting_ended);
        if (err == 0 && changed)
            processed++;
        if (err == 0 && meeting_ended)
            ended[nended++] = rooms[i].room_id;
    }
    if (err == 0) {
        ipc_rooms_expire_reply_t rep;
        memset(&rep, 0, sizeof(rep));
        rep.processed = processed;
        rep.more = more;
        rep.ended.items = ended;
        rep.ended.n = nended;
        ipc_rooms_expire_reply_encode(out, f->req_id, &rep);
    }
    free(ended);
    for (uint32_t i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
    free(rooms);
    return err;
}
