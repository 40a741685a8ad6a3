/*
 * outbox_test: the webhook outbox of the real meetd-worker binary, driven
 * over its IPC channel as the gateway drives it, inside its seccomp
 * sandbox: which operations record which event with which data, that
 * nothing is recorded while webhooks are disabled or when an operation
 * fails, the per-room order, busy rooms, due times, attempts and dead
 * entries of OUTBOX_FETCH / OUTBOX_DONE, durability across a restart and a
 * SIGKILL, and the webhook configuration of the system database.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "ov_err.h"
#include "ov_room_delete.h"
#include "test.h"
#include "wk_outbox.h"


#define WK_HARNESS_NAME "outbox"
#include "wk_harness.h"

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- requests ---------------------------------------------------------- */

#define CONFIG_REC(on)                                                         \
    "{\"chat\":{\"enabled\":true},\"recording\":{\"enabled\":" on ","          \
    "\"layout\":\"grid\",\"encoding\":\"H264_720P_30\",\"allowAccessTo\":"     \
    "\"admin_moderator_speaker\"},\"virtualBackground\":{\"enabled\":true},"   \
    "\"e2ee\":{\"enabled\":false},\"captions\":{\"enabled\":true}}"

#define ASSERT_VIEW(v, s)                                                      \
    do {                                                                       \
        ov_str_t test__v = (v);                                                \
        const char *test__s = (s);                                             \
        if (!ov_str_eq(test__v, ov_str(test__s)))                              \
            TEST__FAIL("%s: \"%.*s\", expected \"%s\"", #v, (int)test__v.len,  \
                       test__v.ptr, test__s);                                  \
    } while (0)

/* Sends `b` (freed) and receives the reply, which must be of `type`. */
static void call(worker_t *w, ov_buf_t *b, uint64_t rid, uint32_t type,
                 ipc_frame_t *f)
{
    send_buf(w, b);
    ov_buf_free(b);
    recv_frame(w, f);
    ASSERT_INT_EQ(f->type, type);
    ASSERT_UINT_EQ(f->req_id, rid);
}

static int ack_recv(worker_t *w, ov_buf_t *b, uint64_t rid)
{
    ipc_frame_t f;
    call(w, b, rid, IPC_MSG_ACK, &f);
    ipc_ack_t rep;
    ASSERT_INT_EQ(ipc_ack_decode(&f, &rep), 0);
    ipc_frame_free(&f);
    return rep.err;
}

static void webhooks(worker_t *w, bool enabled)
{
    ipc_webhooks_state_t m;
    memset(&m, 0, sizeof(m));
    m.enabled = enabled;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_webhooks_state_encode(&b, rid, &m);
    ASSERT_INT_EQ(ack_recv(w, &b, rid), 0);
}

/* Creates an open room with the given autoDeletionPolicy (and date). */
static void create_room_ex(worker_t *w, const char *id, bool recording,
                           const char *wm, const char *wr, double ad)
{
    ipc_room_create_t m;
    memset(&m, 0, sizeof(m));
    m.room.room_id = ov_str(id);
    m.room.room_name = ov_str("Room");
    m.room.creation_date = 1735000000000LL;
    m.room.has_auto_deletion_date = ad > 0;
    m.room.auto_deletion_date = ad;
    m.room.with_meeting = ov_str(wm);
    m.room.with_recordings = ov_str(wr);
    m.room.config_json =
        ov_str(recording ? CONFIG_REC("true") : CONFIG_REC("false"));
    m.room.moderator_secret = ov_str("9a0c1e2f3b");
    m.room.speaker_secret = ov_str("71d2b3c4e5");
    m.room.status = ov_str("open");
    m.room.meeting_end_action = ov_str("none");
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_room_create_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_ROOM_REPLY, &f);
    ipc_room_reply_t rep;
    ASSERT_INT_EQ(ipc_room_reply_decode(&f, &rep), 0);
    ASSERT_INT_EQ(rep.err, 0);
    ipc_frame_free(&f);
}

static void create_room(worker_t *w, const char *id, bool recording)
{
    create_room_ex(w, id, recording, "when_meeting_ends", "close", 0);
}

/* Sends a MEETING_EVENT and returns its outcome (err must be 0). */
static uint32_t meet_ev(worker_t *w, const char *room, uint32_t kind,
                        const char *event_id, int64_t at)
{
    ipc_meeting_event_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(room);
    m.kind = kind;
    m.event_id = ov_str(event_id);
    m.created_at = at;
    m.participant = ov_str("");
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_meeting_event_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_MEETING_EVENT_REPLY, &f);
    ipc_meeting_event_reply_t rep;
    ASSERT_INT_EQ(ipc_meeting_event_reply_decode(&f, &rep), 0);
    ASSERT_INT_EQ(rep.err, 0);
    uint32_t outcome = rep.outcome;
    ipc_frame_free(&f);
    return outcome;
}

static void started(worker_t *w, const char *room, const char *ev, int64_t at)
{
    ASSERT_UINT_EQ(meet_ev(w, room, IPC_MEET_ROOM_STARTED, ev, at),
                   IPC_MEETEV_APPLIED);
}

static void finished(worker_t *w, const char *room, const char *ev, int64_t at)
{
    ASSERT_UINT_EQ(meet_ev(w, room, IPC_MEET_ROOM_FINISHED, ev, at),
                   IPC_MEETEV_APPLIED);
}

/* ROOM_SET_STATUS or ROOM_DELETE; returns the outcome (err must be 0). */
static uint32_t set_status(worker_t *w, const char *room, const char *status)
{
    ipc_room_set_status_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(room);
    m.status = ov_str(status);
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_room_set_status_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_ROOM_REPLY, &f);
    ipc_room_reply_t rep;
    ASSERT_INT_EQ(ipc_room_reply_decode(&f, &rep), 0);
    ASSERT_INT_EQ(rep.err, 0);
    uint32_t outcome = rep.outcome;
    ipc_frame_free(&f);
    return outcome;
}

static uint32_t room_delete(worker_t *w, const char *room, const char *wm,
                            const char *wr)
{
    ipc_room_delete_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(room);
    m.with_meeting = ov_str(wm);
    m.with_recordings = ov_str(wr);
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_room_delete_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_ROOM_REPLY, &f);
    ipc_room_reply_t rep;
    ASSERT_INT_EQ(ipc_room_reply_decode(&f, &rep), 0);
    ASSERT_INT_EQ(rep.err, 0);
    uint32_t outcome = rep.outcome;
    ipc_frame_free(&f);
    return outcome;
}

static int rec_start(worker_t *w, const char *room)
{
    ipc_rec_start_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(room);
    m.lock_token = ov_str("tok");
    m.now_ms = 1735000000000LL;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rec_start_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_ROOM_REPLY, &f);
    ipc_room_reply_t rep;
    ASSERT_INT_EQ(ipc_room_reply_decode(&f, &rep), 0);
    int err = rep.err;
    ipc_frame_free(&f);
    return err;
}

/* A REC_EVENT of `kind` for `id` in `room` with the given status (or none)
 * and updated_at; returns err. */
static int rec_ev(worker_t *w, uint32_t kind, const char *room, const char *id,
                  const char *status, double updated_at)
{
    ipc_rec_event_t m;
    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.rec.recording_id = ov_str(id);
    m.rec.room_id = ov_str(room);
    m.rec.egress_id = ov_str(kind == IPC_REC_EV_STARTED ? "EG_1" : "");
    m.rec.encoding_json =
        ov_str(kind == IPC_REC_EV_STARTED ? "\"H264_720P_30\"" : "");
    m.rec.status = ov_str(status);
    m.rec.start_date = kind == IPC_REC_EV_STARTED ? 1735000000000.0 : 0;
    m.rec.updated_at = updated_at;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rec_event_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_REC_REPLY, &f);
    ipc_rec_reply_t rep;
    ASSERT_INT_EQ(ipc_rec_reply_decode(&f, &rep), 0);
    int err = rep.err;
    ipc_frame_free(&f);
    return err;
}

static void abort_stale(worker_t *w, int64_t now, uint32_t expect_n)
{
    ipc_rec_abort_stale_t m;
    memset(&m, 0, sizeof(m));
    m.now_ms = now;
    m.older_than_ms = 0;
    m.limit = 100;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rec_abort_stale_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_REC_ABORT_STALE_REPLY, &f);
    ipc_rec_abort_stale_reply_t rep;
    ASSERT_INT_EQ(ipc_rec_abort_stale_reply_decode(&f, &rep), 0);
    ASSERT_INT_EQ(rep.err, 0);
    ASSERT_UINT_EQ(rep.aborted.n, expect_n);
    ipc_frame_free(&f);
}

static void expire(worker_t *w, int64_t now, uint32_t expect_processed)
{
    ipc_rooms_expire_t m;
    memset(&m, 0, sizeof(m));
    m.now_ms = now;
    m.limit = 100;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rooms_expire_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_ROOMS_EXPIRE_REPLY, &f);
    ipc_rooms_expire_reply_t rep;
    ASSERT_INT_EQ(ipc_rooms_expire_reply_decode(&f, &rep), 0);
    ASSERT_INT_EQ(rep.err, 0);
    ASSERT_UINT_EQ(rep.processed, expect_processed);
    ipc_frame_free(&f);
}

/* ---- the outbox -------------------------------------------------------- */

/* An OUTBOX_FETCH_REPLY; m's strings are views into f. */
typedef struct {
    ipc_frame_t f;
    ipc_outbox_fetch_reply_t m;
} fetch_t;

static void fetch_free(fetch_t *r)
{
    ipc_frame_free(&r->f);
}

static int fetch_busy(worker_t *w, int64_t now, uint32_t limit,
                      const char *const *busy, uint32_t nbusy, fetch_t *r)
{
    ipc_outbox_fetch_t m;
    memset(&m, 0, sizeof(m));
    m.now_ms = now;
    m.limit = limit;
    ov_str_t items[8];
    ASSERT(nbusy <= 8);
    for (uint32_t i = 0; i < nbusy; i++)
        items[i] = ov_str(busy[i]);
    m.busy.items = items;
    m.busy.n = nbusy;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_outbox_fetch_encode(&b, rid, &m);
    call(w, &b, rid, IPC_MSG_OUTBOX_FETCH_REPLY, &r->f);
    ASSERT_INT_EQ(ipc_outbox_fetch_reply_decode(&r->f, &r->m), 0);
    return r->m.err;
}

/* Fetches up to 100 entries due at `now`, none busy. */
static void fetch(worker_t *w, int64_t now, fetch_t *r)
{
    ASSERT_INT_EQ(fetch_busy(w, now, 100, NULL, 0, r), 0);
}

/* Checks the backlog and dead counts and that nothing is due at `now`. */
static void expect_none(worker_t *w, int64_t now, int64_t backlog, int64_t dead)
{
    fetch_t r;
    fetch(w, now, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 0);
    ASSERT_INT_EQ(r.m.backlog, backlog);
    ASSERT_INT_EQ(r.m.dead, dead);
    fetch_free(&r);
}

static int done(worker_t *w, int64_t seq, bool delivered, bool dead,
                int64_t next)
{
    ipc_outbox_done_t m;
    memset(&m, 0, sizeof(m));
    m.seq = seq;
    m.delivered = delivered;
    m.dead = dead;
    m.next_attempt_ms = next;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_outbox_done_encode(&b, rid, &m);
    return ack_recv(w, &b, rid);
}

/* Checks a room entry: event, room id, status and end action, a recent
 * creation date. */
static void expect_room_entry(const ipc_outbox_t *e, const char *event,
                              const char *room, const char *status,
                              const char *action)
{
    ASSERT_VIEW(e->event, event);
    ASSERT_VIEW(e->room_id, room);
    ASSERT(!e->has_rec);
    ASSERT_VIEW(e->room.room_id, room);
    ASSERT_VIEW(e->room.room_name, "Room");
    ASSERT_VIEW(e->room.moderator_secret, "9a0c1e2f3b");
    ASSERT_VIEW(e->room.status, status);
    ASSERT_VIEW(e->room.meeting_end_action, action);
    ASSERT(e->creation_date > wall_ms() - 60000 &&
           e->creation_date <= wall_ms() + 1000);
}

static void expect_rec_entry(const ipc_outbox_t *e, const char *event,
                             const char *room, const char *id,
                             const char *status)
{
    ASSERT_VIEW(e->event, event);
    ASSERT_VIEW(e->room_id, room);
    ASSERT(e->has_rec);
    ASSERT_VIEW(e->rec.recording_id, id);
    ASSERT_VIEW(e->rec.room_id, room);
    ASSERT_VIEW(e->rec.room_name, "Room");
    ASSERT_VIEW(e->rec.egress_id, "EG_1");
    ASSERT_VIEW(e->rec.status, status);
    ASSERT_UINT_EQ(e->rec.public_secret.len, 10);
}

/* Takes the one due room entry, checks it and marks it delivered. */
static void pop_room(worker_t *w, const char *event, const char *room,
                     const char *status, const char *action)
{
    fetch_t r;
    fetch(w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    expect_room_entry(&r.m.entries.items[0], event, room, status, action);
    ASSERT_UINT_EQ(r.m.entries.items[0].attempts, 0);
    int64_t seq = r.m.entries.items[0].seq;
    fetch_free(&r);
    ASSERT_INT_EQ(done(w, seq, true, false, 0), 0);
}

static void pop_rec(worker_t *w, const char *event, const char *room,
                    const char *id, const char *status)
{
    fetch_t r;
    fetch(w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    expect_rec_entry(&r.m.entries.items[0], event, room, id, status);
    int64_t seq = r.m.entries.items[0].seq;
    fetch_free(&r);
    ASSERT_INT_EQ(done(w, seq, true, false, 0), 0);
}

/* ---- tests ------------------------------------------------------------- */

static void test_disabled_by_default(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    expect_none(&w, 0, 0, 0);
    create_room(&w, "r1", true);
    started(&w, "r1", "E1", 100);
    finished(&w, "r1", "E2", 200);
    ASSERT_INT_EQ(rec_start(&w, "r1"), 0);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_STARTED, "r1", "r1--EG_1--u1", "", 1),
                  0);
    expect_none(&w, INT64_MAX, 0, 0);

    /* Enabled, then disabled again: only what happened in between. */
    webhooks(&w, true);
    started(&w, "r1", "E3", 300);
    webhooks(&w, false);
    finished(&w, "r1", "E4", 400);
    pop_room(&w, WK_EV_MEETING_STARTED, "r1", "active_meeting", "none");
    expect_none(&w, INT64_MAX, 0, 0);
    stop(&w);
}

static void test_meeting_events(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    webhooks(&w, true);

    /* none: open again. Duplicates, stale events and a start of a room
     * already in its meeting record nothing. */
    create_room(&w, "m1", false);
    started(&w, "m1", "E1", 100);
    ASSERT_UINT_EQ(meet_ev(&w, "m1", IPC_MEET_ROOM_STARTED, "E1", 100),
                   IPC_MEETEV_DUPLICATE);
    started(&w, "m1", "E1b", 150); /* already active: only the clock moves */
    ASSERT_UINT_EQ(meet_ev(&w, "m1", IPC_MEET_ROOM_FINISHED, "E0", 90),
                   IPC_MEETEV_STALE);
    pop_room(&w, WK_EV_MEETING_STARTED, "m1", "active_meeting", "none");
    expect_none(&w, 0, 0, 0);
    finished(&w, "m1", "E2", 200);
    ASSERT_UINT_EQ(meet_ev(&w, "m1", IPC_MEET_ROOM_FINISHED, "E2", 200),
                   IPC_MEETEV_DUPLICATE);
    ASSERT_UINT_EQ(meet_ev(&w, "m1", IPC_MEET_ROOM_STARTED, "E3", 190),
                   IPC_MEETEV_STALE);
    finished(&w, "m1", "E4", 210); /* not in a meeting: nothing visible */
    pop_room(&w, WK_EV_MEETING_ENDED, "m1", "open", "none");
    expect_none(&w, 0, 0, 0);
    /* Participants change no room and record nothing. */
    ASSERT_UINT_EQ(meet_ev(&w, "m1", IPC_MEET_ROOM_STARTED, "E5", 300),
                   IPC_MEETEV_APPLIED);
    pop_room(&w, WK_EV_MEETING_STARTED, "m1", "active_meeting", "none");
    {
        ipc_meeting_event_t m;
        memset(&m, 0, sizeof(m));
        m.room_id = ov_str("m1");
        m.kind = IPC_MEET_PARTICIPANT_JOINED;
        m.event_id = ov_str("E6");
        m.created_at = 301;
        m.participant = ov_str("alice");
        ov_buf_t b = OV_BUF_INIT;
        uint64_t rid = next_req++;
        ipc_meeting_event_encode(&b, rid, &m);
        ipc_frame_t f;
        call(&w, &b, rid, IPC_MSG_MEETING_EVENT_REPLY, &f);
        ipc_frame_free(&f);
    }
    expect_none(&w, 0, 0, 0);

    /* close: closed with the action reset. */
    ASSERT_UINT_EQ(set_status(&w, "m1", "closed"), IPC_STATUS_SCHEDULED);
    expect_none(&w, 0, 0, 0);
    finished(&w, "m1", "E7", 400);
    pop_room(&w, WK_EV_MEETING_ENDED, "m1", "closed", "none");

    /* delete: the room as it was, and gone. A scheduled deletion records
     * nothing by itself. */
    create_room(&w, "m2", false);
    started(&w, "m2", "E8", 100);
    pop_room(&w, WK_EV_MEETING_STARTED, "m2", "active_meeting", "none");
    ASSERT_UINT_EQ(room_delete(&w, "m2", "when_meeting_ends", "force"),
                   OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_DELETED);
    expect_none(&w, 0, 0, 0);
    finished(&w, "m2", "E9", 200);
    pop_room(&w, WK_EV_MEETING_ENDED, "m2", "active_meeting", "delete");
    ASSERT_UINT_EQ(meet_ev(&w, "m2", IPC_MEET_ROOM_STARTED, "E10", 300),
                   IPC_MEETEV_NO_ROOM);
    expect_none(&w, 0, 0, 0);

    /* Deleting an idle room, or one whose end is only scheduled, records
     * nothing. */
    create_room(&w, "m3", false);
    ASSERT_UINT_EQ(room_delete(&w, "m3", "force", "force"),
                   OV_ROOM_DEL_DELETED);
    expect_none(&w, 0, 0, 0);
    stop(&w);
}

static void test_forced_ends(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    webhooks(&w, true);

    /* DELETE force during a meeting: meetingEnded for the deleted room. */
    create_room(&w, "f1", false);
    started(&w, "f1", "E1", 100);
    pop_room(&w, WK_EV_MEETING_STARTED, "f1", "active_meeting", "none");
    ASSERT_UINT_EQ(room_delete(&w, "f1", "force", "force"),
                   OV_ROOM_DEL_WITH_ACTIVE_MEETING_DELETED);
    pop_room(&w, WK_EV_MEETING_ENDED, "f1", "active_meeting", "delete");
    expect_none(&w, 0, 0, 0);

    /* DELETE force with recordings kept (close): the room closed. */
    create_room(&w, "f2", true);
    started(&w, "f2", "E2", 100);
    pop_room(&w, WK_EV_MEETING_STARTED, "f2", "active_meeting", "none");
    ASSERT_INT_EQ(rec_start(&w, "f2"), 0);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_STARTED, "f2", "f2--EG_1--u", "", 1),
                  0);
    pop_rec(&w, WK_EV_RECORDING_STARTED, "f2", "f2--EG_1--u", "starting");
    ASSERT_UINT_EQ(room_delete(&w, "f2", "force", "close"),
                   OV_ROOM_DEL_WITH_ACTIVE_MEETING_CLOSED);
    pop_room(&w, WK_EV_MEETING_ENDED, "f2", "closed", "none");

    /* DELETE force with recordings deleted: one meetingEnded, and no
     * event for the recordings that go with the room. */
    create_room(&w, "f3", true);
    started(&w, "f3", "E3", 100);
    pop_room(&w, WK_EV_MEETING_STARTED, "f3", "active_meeting", "none");
    ASSERT_INT_EQ(rec_start(&w, "f3"), 0);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_STARTED, "f3", "f3--EG_1--u", "", 1),
                  0);
    pop_rec(&w, WK_EV_RECORDING_STARTED, "f3", "f3--EG_1--u", "starting");
    ASSERT_UINT_EQ(room_delete(&w, "f3", "force", "force"),
                   OV_ROOM_DEL_WITH_ACTIVE_MEETING_AND_RECORDINGS_DELETED);
    pop_room(&w, WK_EV_MEETING_ENDED, "f3", "active_meeting", "delete");
    expect_none(&w, 0, 0, 0);

    /* Expiry with force ends the meeting too. */
    create_room_ex(&w, "f4", false, "force", "force", 1000.0);
    started(&w, "f4", "E4", 100);
    pop_room(&w, WK_EV_MEETING_STARTED, "f4", "active_meeting", "none");
    expire(&w, 2000, 1);
    pop_room(&w, WK_EV_MEETING_ENDED, "f4", "active_meeting", "delete");
    expect_none(&w, 0, 0, 0);
    stop(&w);
}

static void test_recording_events(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    webhooks(&w, true);
    create_room(&w, "r1", true);
    ASSERT_INT_EQ(rec_start(&w, "r1"), 0);
    expect_none(&w, 0, 0, 0);

    /* A normal cycle: four events, in order, handed out one at a time. */
    const char *id = "r1--EG_1--u1";
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_STARTED, "r1", id, "", 10), 0);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_UPDATED, "r1", id, "active", 20), 0);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_UPDATED, "r1", id, "ending", 30), 0);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_ENDED, "r1", id, "complete", 40), 0);
    fetch_t r;
    fetch(&w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT_INT_EQ(r.m.backlog, 4);
    fetch_free(&r);
    pop_rec(&w, WK_EV_RECORDING_STARTED, "r1", id, "starting");
    pop_rec(&w, WK_EV_RECORDING_UPDATED, "r1", id, "active");
    pop_rec(&w, WK_EV_RECORDING_UPDATED, "r1", id, "ending");
    pop_rec(&w, WK_EV_RECORDING_ENDED, "r1", id, "complete");
    expect_none(&w, 0, 0, 0);

    /* Failed events record nothing: an unknown record, a bad id, a room
     * that is gone. */
    ASSERT_INT_EQ(
        rec_ev(&w, IPC_REC_EV_UPDATED, "r1", "r1--EG_1--zz", "active", 50),
        OV_ENOREC);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_STARTED, "r1", "r2--EG_1--u", "", 1),
                  OV_EINVAL);
    ASSERT_INT_EQ(
        rec_ev(&w, IPC_REC_EV_STARTED, "nope", "nope--EG_1--u", "", 1),
        OV_ENOROOM);
    expect_none(&w, 0, 0, 0);

    /* The stale job's aborts send no webhook (§8.1). */
    ASSERT_INT_EQ(rec_start(&w, "r1"), 0);
    const char *id2 = "r1--EG_1--u2";
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_STARTED, "r1", id2, "", 10), 0);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_UPDATED, "r1", id2, "active", 20), 0);
    pop_rec(&w, WK_EV_RECORDING_STARTED, "r1", id2, "starting");
    pop_rec(&w, WK_EV_RECORDING_UPDATED, "r1", id2, "active");
    abort_stale(&w, 1000, 1);
    expect_none(&w, 0, 0, 0);
    stop(&w);
}

/* An operation that fails after its change and its event were written
 * rolls both back: a trigger makes the outbox refuse recordingEnded, so
 * REC_EVENT ended fails after updating the record and releasing the lock. */
static void test_rollback(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    webhooks(&w, true);
    create_room(&w, "rb", true);
    ASSERT_INT_EQ(rec_start(&w, "rb"), 0);
    const char *id = "rb--EG_1--u";
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_STARTED, "rb", id, "", 10), 0);
    pop_rec(&w, WK_EV_RECORDING_STARTED, "rb", id, "starting");
    stop(&w);

    db_exec(dir, "CREATE TRIGGER refuse BEFORE INSERT ON outbox"
                 " WHEN NEW.event = 'recordingEnded' BEGIN"
                 " SELECT RAISE(ABORT, 'refused'); END;");
    start(&w, dir);
    webhooks(&w, true);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_ENDED, "rb", id, "complete", 40),
                  OV_ESTORAGE);
    /* Still starting, the lock still held, and no entry. */
    ASSERT_INT_EQ(rec_start(&w, "rb"), OV_ERECLOCKED);
    expect_none(&w, 0, 0, 0);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_UPDATED, "rb", id, "active", 20), 0);
    pop_rec(&w, WK_EV_RECORDING_UPDATED, "rb", id, "active");
    stop(&w);

    db_exec(dir, "DROP TRIGGER refuse;");
    start(&w, dir);
    webhooks(&w, true);
    ASSERT_INT_EQ(rec_ev(&w, IPC_REC_EV_ENDED, "rb", id, "complete", 40), 0);
    pop_rec(&w, WK_EV_RECORDING_ENDED, "rb", id, "complete");
    ASSERT_INT_EQ(rec_start(&w, "rb"), 0);
    stop(&w);
}

static void test_fetch_order(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    webhooks(&w, true);
    create_room(&w, "A", false);
    create_room(&w, "B", false);
    started(&w, "A", "EA1", 100);  /* A1 */
    finished(&w, "A", "EA2", 200); /* A2 */
    started(&w, "B", "EB1", 100);  /* B1 */

    /* One entry per room, oldest first. */
    fetch_t r;
    fetch(&w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 2);
    ASSERT_INT_EQ(r.m.backlog, 3);
    ASSERT_INT_EQ(r.m.dead, 0);
    const ipc_outbox_t *e = r.m.entries.items;
    expect_room_entry(&e[0], WK_EV_MEETING_STARTED, "A", "active_meeting",
                      "none");
    expect_room_entry(&e[1], WK_EV_MEETING_STARTED, "B", "active_meeting",
                      "none");
    ASSERT(e[0].seq < e[1].seq);
    int64_t a1 = e[0].seq, b1 = e[1].seq;
    fetch_free(&r);

    /* limit */
    ASSERT_INT_EQ(fetch_busy(&w, 0, 1, NULL, 0, &r), 0);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT_INT_EQ(r.m.entries.items[0].seq, a1);
    fetch_free(&r);
    ASSERT_INT_EQ(fetch_busy(&w, 0, 0, NULL, 0, &r), 0);
    ASSERT_UINT_EQ(r.m.entries.n, 0);
    ASSERT_INT_EQ(r.m.backlog, 3);
    fetch_free(&r);
    ASSERT_INT_EQ(fetch_busy(&w, 0, WK_OUTBOX_FETCH_MAX + 1, NULL, 0, &r),
                  OV_EINVAL);
    fetch_free(&r);

    /* busy rooms are left out, and the limit still fills. */
    const char *busy_a[] = {"A", "zzz"};
    ASSERT_INT_EQ(fetch_busy(&w, 0, 1, busy_a, 2, &r), 0);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT_INT_EQ(r.m.entries.items[0].seq, b1);
    fetch_free(&r);
    const char *busy_ab[] = {"B", "A"};
    ASSERT_INT_EQ(fetch_busy(&w, 0, 10, busy_ab, 2, &r), 0);
    ASSERT_UINT_EQ(r.m.entries.n, 0);
    ASSERT_INT_EQ(r.m.backlog, 3);
    fetch_free(&r);

    /* A1 delivered: A2 is A's head now. */
    ASSERT_INT_EQ(done(&w, a1, true, false, 0), 0);
    ASSERT_INT_EQ(done(&w, a1, true, false, 0), OV_EINVAL);
    fetch(&w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 2);
    ASSERT_INT_EQ(r.m.backlog, 2);
    e = r.m.entries.items;
    expect_room_entry(&e[0], WK_EV_MEETING_ENDED, "A", "open", "none");
    ASSERT_INT_EQ(e[1].seq, b1);
    int64_t a2 = e[0].seq;
    fetch_free(&r);

    /* A failed attempt: due again later, attempts counted. */
    int64_t t0 = 1000000;
    ASSERT_INT_EQ(done(&w, a2, false, false, t0 + 500), 0);
    fetch(&w, t0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT_INT_EQ(r.m.entries.items[0].seq, b1);
    fetch_free(&r);
    /* A's head is not due, so nothing newer of A may go either. */
    started(&w, "A", "EA3", 300); /* A3 */
    fetch(&w, t0 + 499, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT_INT_EQ(r.m.entries.items[0].seq, b1);
    ASSERT_INT_EQ(r.m.backlog, 3);
    fetch_free(&r);
    fetch(&w, t0 + 500, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 2);
    ASSERT_INT_EQ(r.m.entries.items[0].seq, a2);
    ASSERT_UINT_EQ(r.m.entries.items[0].attempts, 1);
    ASSERT_INT_EQ(r.m.entries.items[1].seq, b1);
    ASSERT_UINT_EQ(r.m.entries.items[1].attempts, 0);
    fetch_free(&r);
    ASSERT_INT_EQ(done(&w, a2, false, false, t0 + 1000), 0);
    fetch(&w, t0 + 1000, &r);
    ASSERT_UINT_EQ(r.m.entries.items[0].attempts, 2);
    fetch_free(&r);

    /* Dead: kept, counted, never fetched; A3 comes next. */
    ASSERT_INT_EQ(done(&w, a2, false, true, 0), 0);
    ASSERT_INT_EQ(done(&w, a2, false, true, 0), OV_EINVAL);
    ASSERT_INT_EQ(done(&w, a2, true, false, 0), OV_EINVAL);
    ASSERT_INT_EQ(done(&w, a2, false, false, 0), OV_EINVAL);
    fetch(&w, INT64_MAX, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 2);
    ASSERT_INT_EQ(r.m.backlog, 2);
    ASSERT_INT_EQ(r.m.dead, 1);
    ASSERT_INT_EQ(r.m.entries.items[0].seq, b1);
    expect_room_entry(&r.m.entries.items[1], WK_EV_MEETING_STARTED, "A",
                      "active_meeting", "none");
    int64_t a3 = r.m.entries.items[1].seq;
    fetch_free(&r);
    ASSERT_INT_EQ(done(&w, 999999, true, false, 0), OV_EINVAL);
    ASSERT_INT_EQ(done(&w, b1, true, false, 0), 0);
    ASSERT_INT_EQ(done(&w, a3, false, true, 0), 0);
    expect_none(&w, INT64_MAX, 0, 2);

    /* A delivered entry that was not its room's head (a confused gateway)
     * leaves the head as it is. */
    started(&w, "B", "EB2", 50);   /* stale: nothing */
    finished(&w, "B", "EB3", 200); /* B2 */
    started(&w, "B", "EB4", 300);  /* B3 */
    fetch(&w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    int64_t b2 = r.m.entries.items[0].seq;
    fetch_free(&r);
    ASSERT_INT_EQ(done(&w, b2 + 1, true, false, 0), 0);
    fetch(&w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT_INT_EQ(r.m.entries.items[0].seq, b2);
    ASSERT_INT_EQ(r.m.backlog, 1);
    fetch_free(&r);
    stop(&w);

    /* A payload that no longer decodes is not handed out (and holds its
     * room back), while other rooms go on. */
    db_exec(dir, "UPDATE outbox SET payload = x'93010290' WHERE room_id = 'B'");
    start(&w, dir);
    webhooks(&w, true);
    finished(&w, "A", "EA5", 500);
    fetch(&w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT_VIEW(r.m.entries.items[0].room_id, "A");
    ASSERT_INT_EQ(r.m.backlog, 2);
    fetch_free(&r);
    stop(&w);
}

static void test_durability(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    webhooks(&w, true);
    create_room(&w, "d1", false);
    started(&w, "d1", "E1", 100);
    stop(&w);

    /* After a restart the entry is there, and recording is off until the
     * gateway says otherwise. */
    start(&w, dir);
    finished(&w, "d1", "E2", 200);
    fetch_t r;
    fetch(&w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT_INT_EQ(r.m.backlog, 1);
    expect_room_entry(&r.m.entries.items[0], WK_EV_MEETING_STARTED, "d1",
                      "active_meeting", "none");
    int64_t seq = r.m.entries.items[0].seq;
    fetch_free(&r);
    ASSERT_INT_EQ(done(&w, seq, false, false, 5000), 0);

    /* SIGKILL right after the replies: what was acknowledged stays. */
    webhooks(&w, true);
    started(&w, "d1", "E3", 300);
    finished(&w, "d1", "E4", 400);
    kill(w.pid, SIGKILL);
    ASSERT_INT_EQ(wait_exit(&w), 100 + SIGKILL);
    worker_free(&w);

    start(&w, dir);
    fetch(&w, 4999, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 0);
    ASSERT_INT_EQ(r.m.backlog, 3);
    fetch_free(&r);
    int64_t seqs[3];
    for (int i = 0; i < 3; i++) {
        fetch(&w, 5000, &r);
        ASSERT_UINT_EQ(r.m.entries.n, 1);
        seqs[i] = r.m.entries.items[0].seq;
        /* The first entry, then E3's start and E4's end (E2 came while
         * recording was off). */
        expect_room_entry(&r.m.entries.items[0],
                          i < 2 ? WK_EV_MEETING_STARTED : WK_EV_MEETING_ENDED,
                          "d1", i < 2 ? "active_meeting" : "open", "none");
        ASSERT_UINT_EQ(r.m.entries.items[0].attempts, i == 0 ? 1 : 0);
        fetch_free(&r);
        ASSERT_INT_EQ(done(&w, seqs[i], true, false, 0), 0);
    }
    ASSERT(seqs[0] < seqs[1] && seqs[1] < seqs[2]);
    expect_none(&w, INT64_MAX, 0, 0);
    stop(&w);

    /* Sequence numbers are never reused, even after the outbox empties. */
    start(&w, dir);
    webhooks(&w, true);
    started(&w, "d1", "E5", 500);
    fetch(&w, 0, &r);
    ASSERT_UINT_EQ(r.m.entries.n, 1);
    ASSERT(r.m.entries.items[0].seq > seqs[2]);
    fetch_free(&r);
    stop(&w);
}

/* Requests written in one go run as one batch, in order: the flag applies
 * from the request after WEBHOOKS_STATE on. Many entries with big rooms
 * come back over several fetches, each within the reply budget. */
static void test_batch_and_budget(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    create_room(&w, "b0", false);
    ov_buf_t b = OV_BUF_INIT;
    ipc_meeting_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.room_id = ov_str("b0");
    ev.participant = ov_str("");
    ev.kind = IPC_MEET_ROOM_STARTED;
    ev.event_id = ov_str("S");
    ev.created_at = 100;
    uint64_t r1 = next_req++;
    ipc_meeting_event_encode(&b, r1, &ev);
    ipc_webhooks_state_t ws;
    memset(&ws, 0, sizeof(ws));
    ws.enabled = true;
    uint64_t r2 = next_req++;
    ipc_webhooks_state_encode(&b, r2, &ws);
    ev.kind = IPC_MEET_ROOM_FINISHED;
    ev.event_id = ov_str("F");
    ev.created_at = 200;
    uint64_t r3 = next_req++;
    ipc_meeting_event_encode(&b, r3, &ev);
    send_buf(&w, &b);
    ov_buf_free(&b);
    uint64_t rids[3] = {r1, r2, r3};
    for (int i = 0; i < 3; i++) {
        ipc_frame_t f;
        recv_frame(&w, &f);
        ASSERT_UINT_EQ(f.req_id, rids[i]);
        ipc_frame_free(&f);
    }
    pop_room(&w, WK_EV_MEETING_ENDED, "b0", "open", "none");
    expect_none(&w, 0, 0, 0);

    /* Rooms of some 8 KiB each, created and started in one batch. */
    enum { N = 600 };
    static char config[8192];
    const char *base = CONFIG_REC("false");
    size_t blen = strlen(base);
    size_t pad = 8000 - blen;
    memcpy(config, base, blen - 1);
    memcpy(config + blen - 1, ",\"pad\":\"", 8);
    memset(config + blen + 7, 'x', pad);
    memcpy(config + blen + 7 + pad, "\"}", 3);
    /* In groups, so that neither side's socket buffer fills up with
     * requests or replies the other is not reading yet. */
    enum { GROUP = 10 };
    for (int g = 0; g < N; g += GROUP) {
        for (int i = g; i < g + GROUP; i++) {
            char id[16];
            snprintf(id, sizeof(id), "big%03d", i);
            ipc_room_create_t m;
            memset(&m, 0, sizeof(m));
            m.room.room_id = ov_str(id);
            m.room.room_name = ov_str("Room");
            m.room.creation_date = 1735000000000LL;
            m.room.with_meeting = ov_str("when_meeting_ends");
            m.room.with_recordings = ov_str("close");
            m.room.config_json = ov_str(config);
            m.room.moderator_secret = ov_str("9a0c1e2f3b");
            m.room.speaker_secret = ov_str("71d2b3c4e5");
            m.room.status = ov_str("open");
            m.room.meeting_end_action = ov_str("none");
            ipc_room_create_encode(&b, next_req++, &m);
            memset(&ev, 0, sizeof(ev));
            ev.room_id = ov_str(id);
            ev.participant = ov_str("");
            ev.kind = IPC_MEET_ROOM_STARTED;
            ev.created_at = 100;
            ipc_meeting_event_encode(&b, next_req++, &ev);
        }
        send_buf(&w, &b);
        ov_buf_free(&b);
        for (int i = 0; i < 2 * GROUP; i++) {
            ipc_frame_t f;
            recv_frame(&w, &f);
            if (f.type == IPC_MSG_ROOM_REPLY) {
                ipc_room_reply_t rep;
                ASSERT_INT_EQ(ipc_room_reply_decode(&f, &rep), 0);
                ASSERT_INT_EQ(rep.err, 0);
            } else {
                ipc_meeting_event_reply_t rep;
                ASSERT_INT_EQ(ipc_meeting_event_reply_decode(&f, &rep), 0);
                ASSERT_INT_EQ(rep.err, 0);
                ASSERT_UINT_EQ(rep.outcome, IPC_MEETEV_APPLIED);
            }
            ipc_frame_free(&f);
        }
    }
    int got = 0, fetches = 0;
    int64_t last = 0;
    while (got < N) {
        fetch_t r;
        ASSERT_INT_EQ(fetch_busy(&w, 0, WK_OUTBOX_FETCH_MAX, NULL, 0, &r), 0);
        ASSERT(r.m.entries.n > 0);
        ASSERT(r.f.len < WK_OUTBOX_REPLY_BUDGET + 64 * 1024);
        ASSERT_INT_EQ(r.m.backlog, N - got);
        for (uint32_t i = 0; i < r.m.entries.n; i++) {
            const ipc_outbox_t *e = &r.m.entries.items[i];
            ASSERT(e->seq > last);
            last = e->seq;
            char id[16];
            snprintf(id, sizeof(id), "big%03d", got + (int)i);
            expect_room_entry(e, WK_EV_MEETING_STARTED, id, "active_meeting",
                              "none");
            ASSERT_VIEW(e->room.config_json, config);
            ASSERT_INT_EQ(done(&w, e->seq, true, false, 0), 0);
        }
        got += (int)r.m.entries.n;
        fetches++;
        fetch_free(&r);
    }
    ASSERT_INT_EQ(got, N);
    ASSERT(fetches >= 2);
    expect_none(&w, 0, 0, 0);
    stop(&w);
}

/* ---- the webhook configuration ----------------------------------------- */

static int config_call(worker_t *w, bool get, bool enabled, const char *url,
                       bool init, bool *out_enabled, char *out_url,
                       size_t url_cap)
{
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    if (get) {
        ipc_webhook_config_get_t m;
        memset(&m, 0, sizeof(m));
        ipc_webhook_config_get_encode(&b, rid, &m);
    } else {
        ipc_webhook_config_set_t m;
        memset(&m, 0, sizeof(m));
        m.enabled = enabled;
        m.url.ptr = url;
        m.url.len = strlen(url);
        m.init = init;
        ipc_webhook_config_set_encode(&b, rid, &m);
    }
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_WEBHOOK_CONFIG_REPLY, &f);
    ipc_webhook_config_reply_t rep;
    ASSERT_INT_EQ(ipc_webhook_config_reply_decode(&f, &rep), 0);
    int err = rep.err;
    if (err == 0) {
        *out_enabled = rep.enabled;
        ASSERT(rep.url.len < url_cap);
        memcpy(out_url, rep.url.ptr, rep.url.len);
        out_url[rep.url.len] = '\0';
    }
    ipc_frame_free(&f);
    return err;
}

static void config_expect(worker_t *w, bool get, bool enabled, const char *url,
                          bool init, bool want_enabled, const char *want_url)
{
    bool en = !want_enabled;
    char got[256];
    ASSERT_INT_EQ(
        config_call(w, get, enabled, url, init, &en, got, sizeof(got)), 0);
    ASSERT_INT_EQ(en, want_enabled);
    ASSERT_STR_EQ(got, want_url);
}

static void test_webhook_config(void)
{
    worker_t w;
    const char *dir = new_dir();
    start_sys(&w, dir, true);
    const char *u1 = "http://hooks.example:8080/a";
    const char *u2 = "https://hooks.example/b";
    config_expect(&w, true, false, "", false, false, "");
    /* init stores only the first time. */
    config_expect(&w, false, true, u1, true, true, u1);
    config_expect(&w, false, false, u2, true, true, u1);
    config_expect(&w, true, false, "", false, true, u1);
    /* A plain set replaces. */
    config_expect(&w, false, false, u2, false, false, u2);
    config_expect(&w, false, false, u1, true, false, u2);
    bool en;
    char got[64];
    char bad[] = {'h', (char)0xff, 0};
    ASSERT_INT_EQ(
        config_call(&w, false, true, bad, false, &en, got, sizeof(got)),
        OV_EINVAL);
    stop(&w);

    /* Stored across restarts. */
    start_sys(&w, dir, true);
    config_expect(&w, true, false, "", false, false, u2);
    config_expect(&w, false, true, u1, false, true, u1);
    stop(&w);
    start_sys(&w, dir, true);
    config_expect(&w, true, false, "", false, true, u1);
    stop(&w);

    /* Only the system worker has it. */
    start(&w, new_dir());
    ASSERT_INT_EQ(
        config_call(&w, true, false, "", false, &en, got, sizeof(got)),
        OV_EINTERNAL);
    stop(&w);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    ASSERT_NOT_NULL(mkdtemp(tmpdir));
    TEST_RUN(test_disabled_by_default);
    TEST_RUN(test_meeting_events);
    TEST_RUN(test_forced_ends);
    TEST_RUN(test_recording_events);
    TEST_RUN(test_rollback);
    TEST_RUN(test_fetch_order);
    TEST_RUN(test_durability);
    TEST_RUN(test_batch_and_budget);
    TEST_RUN(test_webhook_config);
    cleanup();
    return 0;
}
