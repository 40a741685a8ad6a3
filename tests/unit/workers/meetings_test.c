/*
 * meetings_test: MEETING_EVENT and ROOMS_EXPIRE of the real meetd-worker
 * binary, driven over its IPC channel as the gateway drives it, inside its
 * seccomp sandbox. Recordings do not exist yet, so tests that need them
 * insert rows into the shard's recordings table with the SQLite API while no
 * worker runs, and read the participant set the same way or through
 * wk_room_participant_count() on the shard opened in this process.
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
#include "wk_db.h"
#include "wk_meetings.h"


#define WK_HARNESS_NAME "meetings"
#include "wk_harness.h"

/* ---- requests ---------------------------------------------------------- */

#define DEFAULT_CONFIG                                                         \
    "{\"chat\":{\"enabled\":true},\"recording\":{\"enabled\":true,"            \
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

static const char *const outcome_names[] = {"APPLIED", "DUPLICATE", "NO_ROOM",
                                            "STALE"};

/* A room as the gateway would create it: open, default policy
 * (when_meeting_ends / close), no date. */
static ipc_room_t room_new(const char *id)
{
    ipc_room_t r;
    memset(&r, 0, sizeof(r));
    r.room_id = ov_str(id);
    r.room_name = ov_str(id);
    r.creation_date = 1735000000000LL;
    r.with_meeting = ov_str("when_meeting_ends");
    r.with_recordings = ov_str("close");
    r.config_json = ov_str(DEFAULT_CONFIG);
    r.moderator_secret = ov_str("9a0c1e2f3b");
    r.speaker_secret = ov_str("71d2b3c4e5");
    r.status = ov_str("open");
    r.meeting_end_action = ov_str("none");
    return r;
}

/* A ROOM_REPLY; m's strings are views into f. */
typedef struct {
    ipc_frame_t f;
    ipc_room_reply_t m;
} reply_t;

static void reply_free(reply_t *rep)
{
    ipc_frame_free(&rep->f);
}

static void room_call(worker_t *w, ov_buf_t *b, uint64_t rid, reply_t *rep)
{
    send_buf(w, b);
    ov_buf_free(b);
    recv_frame(w, &rep->f);
    ASSERT_INT_EQ(rep->f.type, IPC_MSG_ROOM_REPLY);
    ASSERT_UINT_EQ(rep->f.req_id, rid);
    ASSERT_INT_EQ(ipc_room_reply_decode(&rep->f, &rep->m), 0);
}

static void create_ok(worker_t *w, const ipc_room_t *r)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_create_t m = {0};
    m.room = *r;
    uint64_t rid = next_req++;
    ipc_room_create_encode(&b, rid, &m);
    reply_t rep;
    room_call(w, &b, rid, &rep);
    ASSERT_INT_EQ(rep.m.err, 0);
    reply_free(&rep);
}

static void create_room(worker_t *w, const char *id, const char *wm,
                        const char *wr, double ad)
{
    ipc_room_t r = room_new(id);
    r.with_meeting = ov_str(wm);
    r.with_recordings = ov_str(wr);
    if (ad != 0) {
        r.has_auto_deletion_date = true;
        r.auto_deletion_date = ad;
    }
    create_ok(w, &r);
}

static int get(worker_t *w, const char *id, reply_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_get_t m = {0};
    m.room_id = ov_str(id);
    uint64_t rid = next_req++;
    ipc_room_get_encode(&b, rid, &m);
    room_call(w, &b, rid, rep);
    return rep->m.err;
}

static void expect_state(worker_t *w, const char *id, const char *status,
                         const char *action)
{
    reply_t rep;
    if (get(w, id, &rep) != 0)
        TEST__FAIL("room %s: error %d", id, rep.m.err);
    ASSERT_VIEW(rep.m.room.status, status);
    ASSERT_VIEW(rep.m.room.meeting_end_action, action);
    reply_free(&rep);
}

static void expect_gone(worker_t *w, const char *id)
{
    reply_t rep;
    ASSERT_INT_EQ(get(w, id, &rep), OV_ENOROOM);
    reply_free(&rep);
}

static void set_status(worker_t *w, const char *id, const char *status,
                       unsigned want_outcome)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_set_status_t m = {0};
    m.room_id = ov_str(id);
    m.status = ov_str(status);
    uint64_t rid = next_req++;
    ipc_room_set_status_encode(&b, rid, &m);
    reply_t rep;
    room_call(w, &b, rid, &rep);
    ASSERT_INT_EQ(rep.m.err, 0);
    ASSERT_UINT_EQ(rep.m.outcome, want_outcome);
    reply_free(&rep);
}

/* Deletes and checks the outcome and the reply's room state (NULL: skip). */
static void expect_delete(worker_t *w, const char *id, const char *wm,
                          const char *wr, unsigned outcome,
                          const char *want_status, const char *want_action)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_delete_t m = {0};
    m.room_id = ov_str(id);
    m.with_meeting = ov_str(wm);
    m.with_recordings = ov_str(wr);
    uint64_t rid = next_req++;
    ipc_room_delete_encode(&b, rid, &m);
    reply_t rep;
    room_call(w, &b, rid, &rep);
    ASSERT_INT_EQ(rep.m.err, 0);
    if (rep.m.outcome != outcome)
        TEST__FAIL("delete %s %s/%s: outcome %s, expected %s", id, wm, wr,
                   ov_room_del_code(rep.m.outcome), ov_room_del_code(outcome));
    ASSERT_VIEW(rep.m.room.room_id, id);
    if (want_status) {
        ASSERT_VIEW(rep.m.room.status, want_status);
        ASSERT_VIEW(rep.m.room.meeting_end_action, want_action);
    }
    reply_free(&rep);
}

/* A MEETING_EVENT_REPLY; m's strings are views into f. */
typedef struct {
    ipc_frame_t f;
    ipc_meeting_event_reply_t m;
} ev_reply_t;

static void ev_encode(ov_buf_t *b, uint64_t rid, const char *room,
                      uint32_t kind, const char *event_id, int64_t t,
                      const char *participant)
{
    ipc_meeting_event_t m = {0};
    m.room_id = ov_str(room);
    m.kind = kind;
    m.event_id = ov_str(event_id);
    m.created_at = t;
    m.participant = ov_str(participant ? participant : "");
    ipc_meeting_event_encode(b, rid, &m);
}

static void ev_recv(worker_t *w, uint64_t rid, ev_reply_t *rep)
{
    recv_frame(w, &rep->f);
    ASSERT_INT_EQ(rep->f.type, IPC_MSG_MEETING_EVENT_REPLY);
    ASSERT_UINT_EQ(rep->f.req_id, rid);
    ASSERT_INT_EQ(ipc_meeting_event_reply_decode(&rep->f, &rep->m), 0);
}

/* Sends one event and returns its reply's err. */
static int ev_call(worker_t *w, const char *room, uint32_t kind,
                   const char *event_id, int64_t t, const char *participant,
                   ev_reply_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ev_encode(&b, rid, room, kind, event_id, t, participant);
    send_buf(w, &b);
    ov_buf_free(&b);
    ev_recv(w, rid, rep);
    return rep->m.err;
}

/* Sends one event and checks its outcome; with want_status, also that the
 * reply carries the room in that state (NULL: no room in the reply). */
static void ev_expect(worker_t *w, const char *room, uint32_t kind,
                      const char *event_id, int64_t t, const char *participant,
                      uint32_t outcome, const char *want_status,
                      const char *want_action)
{
    ev_reply_t rep;
    ASSERT_INT_EQ(ev_call(w, room, kind, event_id, t, participant, &rep), 0);
    if (rep.m.outcome != outcome)
        TEST__FAIL("event %s kind %u on %s at %lld: outcome %s, expected %s",
                   event_id, kind, room, (long long)t,
                   outcome_names[rep.m.outcome & 3], outcome_names[outcome]);
    if (want_status == NULL) {
        ASSERT(!rep.m.has_room);
    } else {
        ASSERT(rep.m.has_room);
        ASSERT_VIEW(rep.m.room.room_id, room);
        ASSERT_VIEW(rep.m.room.status, want_status);
        ASSERT_VIEW(rep.m.room.meeting_end_action, want_action);
    }
    ipc_frame_free(&rep.f);
}

static int ev_err(worker_t *w, const char *room, uint32_t kind,
                  const char *event_id, const char *participant)
{
    ev_reply_t rep;
    int err = ev_call(w, room, kind, event_id, 100, participant, &rep);
    ipc_frame_free(&rep.f);
    return err;
}

#define STARTED IPC_MEET_ROOM_STARTED
#define FINISHED IPC_MEET_ROOM_FINISHED
#define JOINED IPC_MEET_PARTICIPANT_JOINED
#define LEFT IPC_MEET_PARTICIPANT_LEFT
#define APPLIED IPC_MEETEV_APPLIED
#define DUPLICATE IPC_MEETEV_DUPLICATE
#define NO_ROOM IPC_MEETEV_NO_ROOM
#define STALE IPC_MEETEV_STALE

typedef struct {
    int err;
    uint32_t processed;
    bool more;
} expire_t;

static expire_t expire(worker_t *w, int64_t now, uint32_t limit)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_rooms_expire_t m = {0};
    m.now_ms = now;
    m.limit = limit;
    uint64_t rid = next_req++;
    ipc_rooms_expire_encode(&b, rid, &m);
    send_buf(w, &b);
    ov_buf_free(&b);
    ipc_frame_t f;
    recv_frame(w, &f);
    ASSERT_INT_EQ(f.type, IPC_MSG_ROOMS_EXPIRE_REPLY);
    ASSERT_UINT_EQ(f.req_id, rid);
    ipc_rooms_expire_reply_t rep;
    ASSERT_INT_EQ(ipc_rooms_expire_reply_decode(&f, &rep), 0);
    ipc_frame_free(&f);
    return (expire_t){rep.err, rep.processed, rep.more};
}

static void expire_expect(worker_t *w, int64_t now, uint32_t limit,
                          uint32_t processed, bool more)
{
    expire_t r = expire(w, now, limit);
    ASSERT_INT_EQ(r.err, 0);
    ASSERT_UINT_EQ(r.processed, processed);
    ASSERT_INT_EQ(r.more, more);
}

/* ---- recordings and participants, while no worker runs ---------------- */

/* Adds `n` recordings to room `id`. */
static void add_recordings(const char *dir, const char *id, int n)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k"
             " WHERE i < %d) INSERT INTO recordings(recording_id, room_id)"
             " SELECT '%s--EG_x--' || i, '%s' FROM k",
             n, id, id);
    db_exec(dir, sql);
}

static long long recordings_of(const char *dir, const char *id)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM recordings WHERE room_id = '%s'", id);
    return db_count(dir, sql);
}

/* The participant count through wk_room_participant_count(), on the shard
 * opened in this process as the worker opens it. */
static int64_t participants_of(const char *dir, const char *id)
{
    char path[256], err[256];
    snprintf(path, sizeof(path), "%s/shard-0.db", dir);
    wk_db_t db;
    ASSERT_INT_EQ(wk_db_open(&db, WK_DB_SHARD, path, 0, 1, err, sizeof(err)),
                  0);
    int64_t n = -1;
    ASSERT_INT_EQ(wk_room_participant_count(&db, ov_str(id), &n), 0);
    wk_db_close(&db);
    return n;
}

/* ---- room_started, room_finished, participants ------------------------- */

static void test_meeting_cycle(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    create_room(&w, "cycle", "when_meeting_ends", "close", 0);

    ev_expect(&w, "cycle", JOINED, "EV_j1", 99, "alice", APPLIED, "open",
              "none");
    ev_expect(&w, "cycle", STARTED, "EV_s1", 100, NULL, APPLIED,
              "active_meeting", "none");
    expect_state(&w, "cycle", "active_meeting", "none");
    /* Already in a meeting: no change. */
    ev_expect(&w, "cycle", STARTED, "EV_s1b", 101, NULL, APPLIED,
              "active_meeting", "none");
    ev_expect(&w, "cycle", JOINED, "EV_j2", 102, "bob", APPLIED,
              "active_meeting", "none");
    ev_expect(&w, "cycle", JOINED, "EV_j3", 103, "carol", APPLIED,
              "active_meeting", "none");
    /* A rejoin under another event id is one participant. */
    ev_expect(&w, "cycle", JOINED, "EV_j4", 104, "bob", APPLIED,
              "active_meeting", "none");
    ev_expect(&w, "cycle", LEFT, "EV_l1", 105, "carol", APPLIED,
              "active_meeting", "none");
    /* Leaving twice, or without having joined, is no error. */
    ev_expect(&w, "cycle", LEFT, "EV_l2", 106, "carol", APPLIED,
              "active_meeting", "none");
    ev_expect(&w, "cycle", LEFT, "EV_l3", 106, "nobody", APPLIED,
              "active_meeting", "none");
    stop(&w);
    ASSERT_INT_EQ(participants_of(dir, "cycle"), 2);
    ASSERT_INT_EQ(participants_of(dir, "missing"), 0);

    start(&w, dir);
    ev_expect(&w, "cycle", FINISHED, "EV_f1", 200, NULL, APPLIED, "open",
              "none");
    expect_state(&w, "cycle", "open", "none");
    /* A second finish (another id) on a room no longer in a meeting. */
    ev_expect(&w, "cycle", FINISHED, "EV_f2", 201, NULL, APPLIED, "open",
              "none");
    /* A new meeting. */
    ev_expect(&w, "cycle", STARTED, "EV_s2", 300, NULL, APPLIED,
              "active_meeting", "none");
    ev_expect(&w, "cycle", JOINED, "EV_j5", 301, "dave", APPLIED,
              "active_meeting", "none");
    stop(&w);
    ASSERT_INT_EQ(participants_of(dir, "cycle"), 1);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM participants"), 1);
}

/* The end of a meeting by meetingEndAction. */
static void test_end_actions(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    create_room(&w, "act-none", "when_meeting_ends", "close", 0);
    create_room(&w, "act-close", "when_meeting_ends", "close", 0);
    create_room(&w, "act-delete", "when_meeting_ends", "close", 0);
    create_room(&w, "bystander", "when_meeting_ends", "close", 0);
    stop(&w);
    add_recordings(dir, "act-close", 2);
    add_recordings(dir, "act-delete", 3);
    add_recordings(dir, "bystander", 1);

    start(&w, dir);
    const char *const ids[] = {"act-none", "act-close", "act-delete"};
    for (int i = 0; i < 3; i++) {
        char ev[32];
        snprintf(ev, sizeof(ev), "EV_start_%d", i);
        ev_expect(&w, ids[i], STARTED, ev, 10, NULL, APPLIED, "active_meeting",
                  "none");
        snprintf(ev, sizeof(ev), "EV_join_%d", i);
        ev_expect(&w, ids[i], JOINED, ev, 11, "p", APPLIED, "active_meeting",
                  "none");
    }
    ev_expect(&w, "bystander", JOINED, "EV_join_b", 11, "p", APPLIED, "open",
              "none");
    /* PUT status closed during a meeting schedules close. */
    set_status(&w, "act-close", "closed", IPC_STATUS_SCHEDULED);
    expect_state(&w, "act-close", "active_meeting", "close");
    expect_delete(
        &w, "act-delete", "when_meeting_ends", "force",
        OV_ROOM_DEL_WITH_ACTIVE_MEETING_AND_RECORDINGS_SCHEDULED_TO_BE_DELETED,
        "active_meeting", "delete");

    ev_expect(&w, "act-none", FINISHED, "EV_fin_0", 20, NULL, APPLIED, "open",
              "none");
    ev_expect(&w, "act-close", FINISHED, "EV_fin_1", 20, NULL, APPLIED,
              "closed", "none");
    /* The reply shows the room as it was just before its deletion. */
    ev_expect(&w, "act-delete", FINISHED, "EV_fin_2", 20, NULL, APPLIED,
              "active_meeting", "delete");
    expect_state(&w, "act-none", "open", "none");
    expect_state(&w, "act-close", "closed", "none");
    expect_gone(&w, "act-delete");
    /* Later events of the deleted room find no room, and leave no id. */
    ev_expect(&w, "act-delete", FINISHED, "EV_fin_2b", 21, NULL, NO_ROOM, NULL,
              NULL);
    ev_expect(&w, "act-delete", JOINED, "EV_late", 21, "q", NO_ROOM, NULL,
              NULL);
    /* A redelivery of the deleting event is still a duplicate. */
    ev_expect(&w, "act-delete", FINISHED, "EV_fin_2", 20, NULL, DUPLICATE, NULL,
              NULL);
    stop(&w);

    ASSERT_INT_EQ(recordings_of(dir, "act-delete"), 0);
    ASSERT_INT_EQ(recordings_of(dir, "act-close"), 2);
    ASSERT_INT_EQ(recordings_of(dir, "bystander"), 1);
    ASSERT_INT_EQ(participants_of(dir, "act-none"), 0);
    ASSERT_INT_EQ(participants_of(dir, "act-close"), 0);
    ASSERT_INT_EQ(participants_of(dir, "act-delete"), 0);
    ASSERT_INT_EQ(participants_of(dir, "bystander"), 1);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM webhook_events WHERE"
                                " event_id IN ('EV_fin_2b', 'EV_late')"),
                  0);

    /* A room created again under the id of a deleted one starts afresh:
     * no participants and no meeting clock. */
    start(&w, dir);
    create_room(&w, "act-delete", "when_meeting_ends", "close", 0);
    ev_expect(&w, "act-delete", STARTED, "EV_again", 5, NULL, APPLIED,
              "active_meeting", "none");
    stop(&w);
    ASSERT_INT_EQ(participants_of(dir, "act-delete"), 0);
}

/* ---- duplicates, order, validation ------------------------------------- */

static void test_duplicates(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    create_room(&w, "dup", "when_meeting_ends", "close", 0);
    ev_expect(&w, "dup", STARTED, "EV_a", 10, NULL, APPLIED, "active_meeting",
              "none");
    ev_expect(&w, "dup", STARTED, "EV_a", 10, NULL, DUPLICATE, "active_meeting",
              "none");
    ev_expect(&w, "dup", FINISHED, "EV_b", 20, NULL, APPLIED, "open", "none");
    /* A duplicate changes nothing: the start is not applied again. */
    ev_expect(&w, "dup", STARTED, "EV_a", 10, NULL, DUPLICATE, "open", "none");
    ev_expect(&w, "dup", JOINED, "EV_c", 30, "p", APPLIED, "open", "none");
    ev_expect(&w, "dup", LEFT, "EV_d", 31, "p", APPLIED, "open", "none");
    ev_expect(&w, "dup", JOINED, "EV_c", 30, "p", DUPLICATE, "open", "none");
    stop(&w);
    ASSERT_INT_EQ(participants_of(dir, "dup"), 0);

    /* Also after a restart, and after SIGKILL. */
    start(&w, dir);
    ev_expect(&w, "dup", STARTED, "EV_a", 10, NULL, DUPLICATE, "open", "none");
    ev_expect(&w, "dup", STARTED, "EV_e", 40, NULL, APPLIED, "active_meeting",
              "none");
    kill(w.pid, SIGKILL);
    ASSERT_INT_EQ(wait_exit(&w), 100 + SIGKILL);
    worker_free(&w);
    start(&w, dir);
    ev_expect(&w, "dup", STARTED, "EV_e", 40, NULL, DUPLICATE, "active_meeting",
              "none");
    ev_expect(&w, "dup", FINISHED, "EV_b", 20, NULL, DUPLICATE,
              "active_meeting", "none");

    /* An empty id is never deduplicated. */
    ev_expect(&w, "dup", JOINED, "", 50, "q", APPLIED, "active_meeting",
              "none");
    ev_expect(&w, "dup", JOINED, "", 50, "r", APPLIED, "active_meeting",
              "none");
    ev_expect(&w, "dup", FINISHED, "", 60, NULL, APPLIED, "open", "none");
    ev_expect(&w, "dup", FINISHED, "", 60, NULL, APPLIED, "open", "none");
    ev_expect(&w, "dup", STARTED, "", 70, NULL, APPLIED, "active_meeting",
              "none");

    /* An event of an unknown room is not recorded: once the room exists,
     * the same id applies. */
    ev_expect(&w, "later", STARTED, "EV_x", 10, NULL, NO_ROOM, NULL, NULL);
    ev_expect(&w, "later", STARTED, "EV_x", 10, NULL, NO_ROOM, NULL, NULL);
    create_room(&w, "later", "when_meeting_ends", "close", 0);
    ev_expect(&w, "later", STARTED, "EV_x", 10, NULL, APPLIED, "active_meeting",
              "none");
    ev_expect(&w, "later", STARTED, "EV_x", 10, NULL, DUPLICATE,
              "active_meeting", "none");
    /* Ids are global to the shard: another room's id is a duplicate. */
    create_room(&w, "other", "when_meeting_ends", "close", 0);
    ev_expect(&w, "other", STARTED, "EV_x", 10, NULL, DUPLICATE, "open",
              "none");
    stop(&w);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM webhook_events"), 6);
}

static void test_out_of_order(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    create_room(&w, "ooo", "when_meeting_ends", "close", 0);

    ev_expect(&w, "ooo", STARTED, "EV_s1", 100, NULL, APPLIED, "active_meeting",
              "none");
    ev_expect(&w, "ooo", JOINED, "EV_j1", 110, "alice", APPLIED,
              "active_meeting", "none");
    /* A finish older than the start belongs to an earlier meeting. */
    ev_expect(&w, "ooo", FINISHED, "EV_f0", 99, NULL, STALE, "active_meeting",
              "none");
    /* The same second is not older. */
    ev_expect(&w, "ooo", FINISHED, "EV_f1", 100, NULL, APPLIED, "open", "none");
    ev_expect(&w, "ooo", FINISHED, "EV_f2", 200, NULL, APPLIED, "open", "none");
    /* A start older than the last finish (200) is stale and reopens no
     * meeting; participant_left after the finish is fine; a join older
     * than the finish is stale. */
    ev_expect(&w, "ooo", STARTED, "EV_s0", 150, NULL, STALE, "open", "none");
    ev_expect(&w, "ooo", LEFT, "EV_l1", 120, "alice", APPLIED, "open", "none");
    ev_expect(&w, "ooo", JOINED, "EV_j0", 199, "bob", STALE, "open", "none");
    expect_state(&w, "ooo", "open", "none");
    /* A stale event is recorded: its redelivery is a duplicate. */
    ev_expect(&w, "ooo", STARTED, "EV_s0", 150, NULL, DUPLICATE, "open",
              "none");
    stop(&w);
    ASSERT_INT_EQ(participants_of(dir, "ooo"), 0);

    start(&w, dir);
    /* A join at the finish's second, and joins before the next
     * room_started, are kept. */
    ev_expect(&w, "ooo", JOINED, "EV_j2", 200, "carol", APPLIED, "open",
              "none");
    ev_expect(&w, "ooo", JOINED, "EV_j3", 250, "dave", APPLIED, "open", "none");
    ev_expect(&w, "ooo", STARTED, "EV_s2", 200, NULL, APPLIED, "active_meeting",
              "none");
    /* A lost finish: a later start moves the meeting's start forward, so
     * the late finish of the earlier meeting does not end this one. */
    ev_expect(&w, "ooo", STARTED, "EV_s3", 400, NULL, APPLIED, "active_meeting",
              "none");
    ev_expect(&w, "ooo", FINISHED, "EV_f3", 300, NULL, STALE, "active_meeting",
              "none");
    ev_expect(&w, "ooo", JOINED, "EV_j4", 410, "erin", APPLIED,
              "active_meeting", "none");
    stop(&w);
    ASSERT_INT_EQ(participants_of(dir, "ooo"), 3);

    /* A finish drops those who joined at or before it, even when the room
     * is no longer in a meeting (opened by PUT status, the quirk). */
    start(&w, dir);
    set_status(&w, "ooo", "open", IPC_STATUS_APPLIED);
    ev_expect(&w, "ooo", FINISHED, "EV_f4", 405, NULL, APPLIED, "open", "none");
    stop(&w);
    ASSERT_INT_EQ(participants_of(dir, "ooo"), 1);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM participants WHERE"
                                " identity = 'erin'"),
                  1);
}

static void test_validation(void)
{
    worker_t w;
    start(&w, new_dir());
    create_room(&w, "v", "when_meeting_ends", "close", 0);
    ASSERT_INT_EQ(ev_err(&w, "v", 0, "EV_1", NULL), OV_EINVAL);
    ASSERT_INT_EQ(ev_err(&w, "v", 5, "EV_1", NULL), OV_EINVAL);
    ASSERT_INT_EQ(ev_err(&w, "v", JOINED, "EV_1", NULL), OV_EINVAL);
    ASSERT_INT_EQ(ev_err(&w, "v", LEFT, "EV_1", ""), OV_EINVAL);
    ASSERT_INT_EQ(ev_err(&w, "v", JOINED, "EV_1", "bad \xc3("), OV_EINVAL);
    ASSERT_INT_EQ(ev_err(&w, "v", STARTED, "EV_\xff", NULL), OV_EINVAL);
    char big[WK_MEETING_MAX_IDENTITY + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ASSERT_INT_EQ(ev_err(&w, "v", JOINED, "EV_1", big), OV_EINVAL);
    big[WK_MEETING_MAX_EVENT_ID + 1] = '\0';
    ASSERT_INT_EQ(ev_err(&w, "v", STARTED, big, NULL), OV_EINVAL);
    /* None of them was recorded or applied. */
    ev_expect(&w, "v", STARTED, "EV_1", 1, NULL, APPLIED, "active_meeting",
              "none");
    /* The identity is ignored for room events. */
    ev_expect(&w, "v", FINISHED, "EV_2", 2, "ignored", APPLIED, "open", "none");
    expire_t r = expire(&w, 0, WK_ROOMS_EXPIRE_MAX + 1);
    ASSERT_INT_EQ(r.err, OV_EINVAL);
    stop(&w);
}

/* ---- the deletion matrix with meetings from webhooks ------------------- */

static void start_meeting(worker_t *w, const char *id)
{
    char ev[64];
    snprintf(ev, sizeof(ev), "EV_start_%s", id);
    ev_expect(w, id, STARTED, ev, 1000, NULL, APPLIED, "active_meeting",
              "none");
    snprintf(ev, sizeof(ev), "EV_join_%s", id);
    ev_expect(w, id, JOINED, ev, 1001, "someone", APPLIED, "active_meeting",
              "none");
}

static void finish_meeting(worker_t *w, const char *id, const char *status,
                           const char *action)
{
    char ev[64];
    snprintf(ev, sizeof(ev), "EV_finish_%s", id);
    ev_expect(w, id, FINISHED, ev, 2000, NULL, APPLIED, status, action);
}

static void test_delete_with_live_meeting(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    static const char *const plain[] = {"p-force", "p-wme", "p-fail"};
    static const char *const recs[] = {"r-force-force", "r-force-close",
                                       "r-wme-force", "r-wme-close",
                                       "r-force-fail"};
    for (int i = 0; i < 3; i++)
        create_room(&w, plain[i], "when_meeting_ends", "close", 0);
    for (int i = 0; i < 5; i++)
        create_room(&w, recs[i], "when_meeting_ends", "close", 0);
    stop(&w);
    for (int i = 0; i < 5; i++)
        add_recordings(dir, recs[i], 2);

    start(&w, dir);
    for (int i = 0; i < 3; i++)
        start_meeting(&w, plain[i]);
    for (int i = 0; i < 5; i++)
        start_meeting(&w, recs[i]);

    /* force: the meeting ends at once, which deletes or closes the room. */
    expect_delete(&w, "p-force", "force", "fail",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_DELETED, NULL, NULL);
    expect_gone(&w, "p-force");
    expect_delete(&w, "r-force-force", "force", "force",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_AND_RECORDINGS_DELETED, NULL,
                  NULL);
    expect_gone(&w, "r-force-force");
    expect_delete(&w, "r-force-close", "force", "close",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_CLOSED, "closed", "none");
    expect_state(&w, "r-force-close", "closed", "none");
    /* fail policies change nothing. */
    expect_delete(&w, "p-fail", "fail", "force", OV_ROOM_DEL_HAS_ACTIVE_MEETING,
                  "active_meeting", "none");
    expect_delete(&w, "r-force-fail", "force", "fail",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_HAS_RECORDINGS,
                  "active_meeting", "none");
    /* when_meeting_ends: scheduled (the 202 outcomes)... */
    expect_delete(&w, "p-wme", "when_meeting_ends", "close",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_DELETED,
                  "active_meeting", "delete");
    expect_delete(
        &w, "r-wme-force", "when_meeting_ends", "force",
        OV_ROOM_DEL_WITH_ACTIVE_MEETING_AND_RECORDINGS_SCHEDULED_TO_BE_DELETED,
        "active_meeting", "delete");
    expect_delete(&w, "r-wme-close", "when_meeting_ends", "close",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_CLOSED,
                  "active_meeting", "close");
    /* ...and applied by room_finished. */
    finish_meeting(&w, "p-wme", "active_meeting", "delete");
    finish_meeting(&w, "r-wme-force", "active_meeting", "delete");
    finish_meeting(&w, "r-wme-close", "closed", "none");
    expect_gone(&w, "p-wme");
    expect_gone(&w, "r-wme-force");
    expect_state(&w, "r-wme-close", "closed", "none");
    /* The room_finished that follows a forced end finds the room closed,
     * or gone, and changes nothing. */
    finish_meeting(&w, "r-force-close", "closed", "none");
    char ev[] = "EV_finish_p-force";
    ev_expect(&w, "p-force", FINISHED, ev, 2000, NULL, NO_ROOM, NULL, NULL);
    finish_meeting(&w, "p-fail", "open", "none");
    stop(&w);

    ASSERT_INT_EQ(recordings_of(dir, "r-force-force"), 0);
    ASSERT_INT_EQ(recordings_of(dir, "r-wme-force"), 0);
    ASSERT_INT_EQ(recordings_of(dir, "r-force-close"), 2);
    ASSERT_INT_EQ(recordings_of(dir, "r-wme-close"), 2);
    ASSERT_INT_EQ(recordings_of(dir, "r-force-fail"), 2);
    /* Forced and webhook ends alike leave no participants behind. */
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM participants WHERE"
                                " room_id <> 'r-force-fail'"),
                  0);
    ASSERT_INT_EQ(participants_of(dir, "r-force-fail"), 1);
}

/* PUT status during a meeting, then its end. */
static void test_status_during_meeting(void)
{
    worker_t w;
    start(&w, new_dir());
    create_room(&w, "put-closed", "when_meeting_ends", "close", 0);
    create_room(&w, "put-open", "when_meeting_ends", "close", 0);
    create_room(&w, "put-over", "when_meeting_ends", "close", 0);
    start_meeting(&w, "put-closed");
    start_meeting(&w, "put-open");
    start_meeting(&w, "put-over");

    set_status(&w, "put-closed", "closed", IPC_STATUS_SCHEDULED);
    finish_meeting(&w, "put-closed", "closed", "none");
    expect_state(&w, "put-closed", "closed", "none");
    /* A new meeting in a closed room (LiveKit knows no Meet status). */
    ev_expect(&w, "put-closed", STARTED, "EV_s_again", 3000, NULL, APPLIED,
              "active_meeting", "none");

    /* The quirk: open during a meeting ends its status at once; the
     * finish then changes nothing. */
    set_status(&w, "put-open", "open", IPC_STATUS_APPLIED);
    finish_meeting(&w, "put-open", "open", "none");

    /* Closing overrides a scheduled deletion. */
    expect_delete(&w, "put-over", "when_meeting_ends", "force",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_DELETED,
                  "active_meeting", "delete");
    set_status(&w, "put-over", "closed", IPC_STATUS_SCHEDULED);
    finish_meeting(&w, "put-over", "closed", "none");
    stop(&w);
}

/* ---- ROOMS_EXPIRE ------------------------------------------------------ */

#define NOW 1800000000000LL /* ms */
#define PAST (NOW - 3600000.0)
#define FUTURE (NOW + 3600000.0)

static void test_expire_policies(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    /* Idle rooms. */
    create_room(&w, "i-norec", "when_meeting_ends", "close", PAST);
    create_room(&w, "i-rec-close", "when_meeting_ends", "close", PAST);
    create_room(&w, "i-rec-force", "force", "force", PAST);
    create_room(&w, "i-closed-rec", "when_meeting_ends", "close", PAST);
    create_room(&w, "i-closed-norec", "force", "close", PAST);
    create_room(&w, "i-exact", "when_meeting_ends", "close", (double)NOW);
    create_room(&w, "i-future", "force", "force", FUTURE);
    create_room(&w, "i-nodate", "force", "force", 0);
    create_room(&w, "i-future-rec", "force", "close", FUTURE);
    /* Rooms in a meeting. */
    create_room(&w, "m-wme-norec", "when_meeting_ends", "force", PAST);
    create_room(&w, "m-wme-close", "when_meeting_ends", "close", PAST);
    create_room(&w, "m-wme-force", "when_meeting_ends", "force", PAST);
    create_room(&w, "m-force-norec", "force", "close", PAST);
    create_room(&w, "m-force-close", "force", "close", PAST);
    create_room(&w, "m-force-force", "force", "force", PAST);
    create_room(&w, "m-set-close", "when_meeting_ends", "close", PAST);
    create_room(&w, "m-set-delete", "when_meeting_ends", "force", PAST);
    create_room(&w, "m-future", "force", "force", FUTURE);
    set_status(&w, "i-closed-rec", "closed", IPC_STATUS_APPLIED);
    set_status(&w, "i-closed-norec", "closed", IPC_STATUS_APPLIED);
    stop(&w);
    static const char *const with_recs[] = {
        "i-rec-close",   "i-rec-force",   "i-closed-rec",
        "i-future-rec",  "m-wme-close",   "m-wme-force",
        "m-force-close", "m-force-force", "m-set-close"};
    for (size_t i = 0; i < sizeof(with_recs) / sizeof(with_recs[0]); i++)
        add_recordings(dir, with_recs[i], 2);

    start(&w, dir);
    static const char *const meetings[] = {
        "m-wme-norec",   "m-wme-close",   "m-wme-force",
        "m-force-norec", "m-force-close", "m-force-force",
        "m-set-close",   "m-set-delete",  "m-future"};
    for (size_t i = 0; i < sizeof(meetings) / sizeof(meetings[0]); i++)
        start_meeting(&w, meetings[i]);
    /* End actions already what expiry would set: no change. */
    set_status(&w, "m-set-close", "closed", IPC_STATUS_SCHEDULED);
    expect_delete(&w, "m-set-delete", "when_meeting_ends", "force",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_DELETED,
                  "active_meeting", "delete");

    /* Changed: i-norec, i-rec-close, i-rec-force, i-closed-norec, i-exact,
     * m-wme-norec, m-wme-close, m-wme-force, m-force-norec, m-force-close,
     * m-force-force. Unchanged: i-closed-rec, m-set-close, m-set-delete. */
    expire_expect(&w, NOW, 100, 11, false);
    expect_gone(&w, "i-norec");
    expect_state(&w, "i-rec-close", "closed", "none");
    expect_gone(&w, "i-rec-force");
    expect_state(&w, "i-closed-rec", "closed", "none");
    expect_gone(&w, "i-closed-norec");
    expect_gone(&w, "i-exact");
    expect_state(&w, "i-future", "open", "none");
    expect_state(&w, "i-nodate", "open", "none");
    expect_state(&w, "i-future-rec", "open", "none");
    expect_state(&w, "m-wme-norec", "active_meeting", "delete");
    expect_state(&w, "m-wme-close", "active_meeting", "close");
    expect_state(&w, "m-wme-force", "active_meeting", "delete");
    expect_gone(&w, "m-force-norec");
    expect_state(&w, "m-force-close", "closed", "none");
    expect_gone(&w, "m-force-force");
    expect_state(&w, "m-set-close", "active_meeting", "close");
    expect_state(&w, "m-set-delete", "active_meeting", "delete");
    expect_state(&w, "m-future", "active_meeting", "none");

    /* A second run changes and counts nothing. */
    expire_expect(&w, NOW, 100, 0, false);
    expire_expect(&w, NOW + 1, 1, 0, false);

    /* The scheduled actions run at the meeting's end. */
    finish_meeting(&w, "m-wme-norec", "active_meeting", "delete");
    finish_meeting(&w, "m-wme-close", "closed", "none");
    finish_meeting(&w, "m-wme-force", "active_meeting", "delete");
    expect_gone(&w, "m-wme-norec");
    expect_gone(&w, "m-wme-force");
    /* m-wme-close is now closed with recordings, as expiry leaves it. */
    expire_expect(&w, NOW, 100, 0, false);

    /* Time passes: the future rooms expire. */
    expire_expect(&w, (int64_t)FUTURE, 100, 3, false);
    expect_gone(&w, "i-future");
    expect_state(&w, "i-future-rec", "closed", "none");
    expect_gone(&w, "m-future");
    stop(&w);

    ASSERT_INT_EQ(recordings_of(dir, "i-rec-force"), 0);
    ASSERT_INT_EQ(recordings_of(dir, "m-force-force"), 0);
    ASSERT_INT_EQ(recordings_of(dir, "m-wme-force"), 0);
    ASSERT_INT_EQ(recordings_of(dir, "i-rec-close"), 2);
    ASSERT_INT_EQ(recordings_of(dir, "m-force-close"), 2);
    ASSERT_INT_EQ(participants_of(dir, "m-force-close"), 0);
}

/* A handled room is visited again once an input of its decision changes. */
static void test_expire_revisit(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    create_room(&w, "rv-status", "when_meeting_ends", "close", PAST);
    create_room(&w, "rv-recs", "when_meeting_ends", "close", PAST);
    create_room(&w, "rv-meeting", "when_meeting_ends", "close", PAST);
    create_room(&w, "rv-newrec", "when_meeting_ends", "close", PAST);
    stop(&w);
    add_recordings(dir, "rv-status", 1);
    add_recordings(dir, "rv-recs", 2);
    add_recordings(dir, "rv-meeting", 1);

    start(&w, dir);
    start_meeting(&w, "rv-newrec");
    /* rv-status, rv-recs, rv-meeting closed; rv-newrec set to delete. */
    expire_expect(&w, NOW, 100, 4, false);
    expect_state(&w, "rv-newrec", "active_meeting", "delete");
    expire_expect(&w, NOW, 100, 0, false);
    /* Reopened: closed again and counted. */
    set_status(&w, "rv-status", "open", IPC_STATUS_APPLIED);
    expire_expect(&w, NOW, 100, 1, false);
    expect_state(&w, "rv-status", "closed", "none");
    /* Closed again by PUT: no change, not counted. */
    set_status(&w, "rv-status", "closed", IPC_STATUS_APPLIED);
    expire_expect(&w, NOW, 100, 0, false);
    /* A meeting starts in a closed expired room: its end action is set. */
    ev_expect(&w, "rv-meeting", STARTED, "EV_rv", 5000, NULL, APPLIED,
              "active_meeting", "none");
    expire_expect(&w, NOW, 100, 1, false);
    expect_state(&w, "rv-meeting", "active_meeting", "close");
    stop(&w);

    /* Recordings go away: the closed room is deleted. A recording appears
     * in a room scheduled for deletion: its action becomes close. */
    db_exec(dir, "DELETE FROM recordings WHERE room_id = 'rv-recs'");
    add_recordings(dir, "rv-newrec", 1);
    start(&w, dir);
    expire_expect(&w, NOW, 100, 2, false);
    expect_gone(&w, "rv-recs");
    expect_state(&w, "rv-newrec", "active_meeting", "close");
    expire_expect(&w, NOW, 100, 0, false);
    stop(&w);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM rooms WHERE"
                                " expiry_handled = 0"),
                  0);
}

static void test_expire_limit(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    char id[32];
    /* 25 rooms to delete, 6 already in their final state (closed, with
     * recordings), all expired, and 3 that are not. */
    for (int i = 0; i < 25; i++) {
        snprintf(id, sizeof(id), "lim-del-%02d", i);
        create_room(&w, id, "when_meeting_ends", "close", PAST + i);
    }
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof(id), "lim-kept-%d", i);
        create_room(&w, id, "when_meeting_ends", "close", PAST - 10 + i);
        set_status(&w, id, "closed", IPC_STATUS_APPLIED);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof(id), "lim-future-%d", i);
        create_room(&w, id, "force", "force", FUTURE);
    }
    stop(&w);
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof(id), "lim-kept-%d", i);
        add_recordings(dir, id, 1);
    }

    start(&w, dir);
    /* limit 0 only tells whether there is work. */
    expire_expect(&w, NOW, 0, 0, true);
    /* The oldest dates first: the 6 unchanged rooms, then 4 deletions. */
    expire_expect(&w, NOW, 10, 4, true);
    expire_expect(&w, NOW, 10, 10, true);
    expire_expect(&w, NOW, 10, 10, true);
    expire_expect(&w, NOW, 10, 1, false);
    expire_expect(&w, NOW, 10, 0, false);
    expire_expect(&w, NOW, 0, 0, false);
    stop(&w);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM rooms"), 9);
}

static void test_expire_prunes_event_ids(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    create_room(&w, "prune", "when_meeting_ends", "close", 0);
    int64_t now_s = NOW / 1000;
    ev_expect(&w, "prune", JOINED, "EV_old", now_s - 2 * 86400, "a", APPLIED,
              "open", "none");
    ev_expect(&w, "prune", JOINED, "EV_edge", now_s - 86400, "b", APPLIED,
              "open", "none");
    ev_expect(&w, "prune", JOINED, "EV_new", now_s - 60, "c", APPLIED, "open",
              "none");
    expire_expect(&w, NOW, 10, 0, false);
    /* The old id is forgotten, the others are not. */
    ev_expect(&w, "prune", JOINED, "EV_old", now_s - 2 * 86400, "a", APPLIED,
              "open", "none");
    ev_expect(&w, "prune", JOINED, "EV_edge", now_s - 86400, "b", DUPLICATE,
              "open", "none");
    ev_expect(&w, "prune", JOINED, "EV_new", now_s - 60, "c", DUPLICATE, "open",
              "none");
    stop(&w);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM webhook_events"), 3);

    /* Many old ids are forgotten over several calls. */
    char sql[512];
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k"
             " WHERE i < %d) INSERT INTO webhook_events(event_id, created_at)"
             " SELECT 'EV_bulk_' || i, %lld FROM k",
             WK_EVENT_PRUNE_MAX + 5, (long long)(now_s - 3 * 86400));
    db_exec(dir, sql);
    start(&w, dir);
    expire_expect(&w, NOW, 10, 0, true);
    expire_expect(&w, NOW, 10, 0, false);
    stop(&w);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM webhook_events"), 2);
}

/* Many events in one write share a transaction; a rough throughput
 * figure. */
static void test_event_batch(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    enum { NROOMS = 50, N = 40000, CHUNK = 1000 };
    char id[32];
    for (int i = 0; i < NROOMS; i++) {
        snprintf(id, sizeof(id), "batch-%02d", i);
        create_room(&w, id, "when_meeting_ends", "close", 0);
    }
    long long t0 = now_ms();
    for (int base = 0; base < N; base += CHUNK) {
        ov_buf_t b = OV_BUF_INIT;
        uint64_t first = next_req;
        for (int i = base; i < base + CHUNK; i++) {
            char ev[32], who[32];
            snprintf(id, sizeof(id), "batch-%02d", i % NROOMS);
            snprintf(ev, sizeof(ev), "EV_b%06d", i);
            snprintf(who, sizeof(who), "user-%d", (i / NROOMS) % 20);
            /* Per room: start, then joins and leaves, every 400th event a
             * finish. */
            uint32_t kind = i < NROOMS         ? STARTED
                            : i % 400 >= 350   ? FINISHED
                            : (i / NROOMS) % 2 ? LEFT
                                               : JOINED;
            ev_encode(&b, next_req++, id, kind, ev, 1000 + i / NROOMS,
                      kind == JOINED || kind == LEFT ? who : NULL);
        }
        send_buf(&w, &b);
        ov_buf_free(&b);
        for (int i = base; i < base + CHUNK; i++) {
            ev_reply_t rep;
            ev_recv(&w, first + (uint64_t)(i - base), &rep);
            ASSERT_INT_EQ(rep.m.err, 0);
            ASSERT(rep.m.outcome == APPLIED || rep.m.outcome == STALE);
            ipc_frame_free(&rep.f);
        }
    }
    long long t1 = now_ms();
    printf("# %d meeting events in %lld ms\n", N, t1 - t0);
    stop(&w);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM webhook_events"), N);
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
    TEST_RUN(test_meeting_cycle);
    TEST_RUN(test_end_actions);
    TEST_RUN(test_duplicates);
    TEST_RUN(test_out_of_order);
    TEST_RUN(test_validation);
    TEST_RUN(test_delete_with_live_meeting);
    TEST_RUN(test_status_during_meeting);
    TEST_RUN(test_expire_policies);
    TEST_RUN(test_expire_revisit);
    TEST_RUN(test_expire_limit);
    TEST_RUN(test_expire_prunes_event_ids);
    TEST_RUN(test_event_batch);
    cleanup();
    return 0;
}
