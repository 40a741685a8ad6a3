/*
 * recordings_test: the REC_* messages of the real meetd-worker binary,
 * driven over its IPC channel as the gateway drives it, inside its seccomp
 * sandbox: the start preconditions and the room's recording lock, the
 * event lifecycle of a record, deletion, the list orders, filters and
 * cursor, the stale-recordings job, durability across a restart and the
 * fate of recordings when their room is deleted.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
#include "wk_recordings.h"


#define WK_HARNESS_NAME "recordings"
#include "wk_harness.h"

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

#define ASSERT_DBL_EQ(a, b)                                                    \
    do {                                                                       \
        double test__a = (a), test__b = (b);                                   \
        if (test__a != test__b)                                                \
            TEST__FAIL("%s == %s: %.17g != %.17g", #a, #b, test__a, test__b);  \
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

static void create_room(worker_t *w, const char *id, const char *name,
                        bool recording)
{
    ipc_room_create_t m;
    memset(&m, 0, sizeof(m));
    m.room.room_id = ov_str(id);
    m.room.room_name = ov_str(name);
    m.room.creation_date = 1735000000000LL;
    m.room.with_meeting = ov_str("when_meeting_ends");
    m.room.with_recordings = ov_str("close");
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

static void join(worker_t *w, const char *room, const char *who)
{
    static int seq;
    char event_id[32];
    snprintf(event_id, sizeof(event_id), "EV_join_%d", ++seq);
    ipc_meeting_event_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(room);
    m.kind = IPC_MEET_PARTICIPANT_JOINED;
    m.event_id = ov_str(event_id);
    m.created_at = 100;
    m.participant = ov_str(who);
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_meeting_event_encode(&b, rid, &m);
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_MEETING_EVENT_REPLY, &f);
    ipc_meeting_event_reply_t rep;
    ASSERT_INT_EQ(ipc_meeting_event_reply_decode(&f, &rep), 0);
    ASSERT_INT_EQ(rep.err, 0);
    ASSERT_UINT_EQ(rep.outcome, IPC_MEETEV_APPLIED);
    ipc_frame_free(&f);
}

/* A ROOM_REPLY from REC_START or REC_UNLOCK: returns err and, on success,
 * checks that the reply names the room. */
static int room_op(worker_t *w, bool unlock, const char *room,
                   const char *token, bool check_participants)
{
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    if (unlock) {
        ipc_rec_unlock_t m;
        memset(&m, 0, sizeof(m));
        m.room_id = ov_str(room);
        m.lock_token = ov_str(token);
        ipc_rec_unlock_encode(&b, rid, &m);
    } else {
        ipc_rec_start_t m;
        memset(&m, 0, sizeof(m));
        m.room_id = ov_str(room);
        m.lock_token = ov_str(token);
        m.now_ms = 1735000000000LL;
        m.check_participants = check_participants;
        ipc_rec_start_encode(&b, rid, &m);
    }
    ipc_frame_t f;
    call(w, &b, rid, IPC_MSG_ROOM_REPLY, &f);
    ipc_room_reply_t rep;
    ASSERT_INT_EQ(ipc_room_reply_decode(&f, &rep), 0);
    int err = rep.err;
    if (err == 0) {
        ASSERT_VIEW(rep.room.room_id, room);
        ASSERT_UINT_EQ(rep.outcome, 0);
    }
    ipc_frame_free(&f);
    return err;
}

static int rec_start(worker_t *w, const char *room, const char *token,
                     bool check_participants)
{
    return room_op(w, false, room, token, check_participants);
}

static int rec_unlock(worker_t *w, const char *room, const char *token)
{
    return room_op(w, true, room, token, false);
}

/* A REC_REPLY; m's strings are views into f. */
typedef struct {
    ipc_frame_t f;
    ipc_rec_reply_t m;
} rrep_t;

static void rrep_free(rrep_t *r)
{
    ipc_frame_free(&r->f);
}

static int rec_recv(worker_t *w, ov_buf_t *b, uint64_t rid, rrep_t *rep)
{
    call(w, b, rid, IPC_MSG_REC_REPLY, &rep->f);
    ASSERT_INT_EQ(ipc_rec_reply_decode(&rep->f, &rep->m), 0);
    return rep->m.err;
}

static int rec_event(worker_t *w, uint32_t kind, const ipc_rec_t *r,
                     rrep_t *rep)
{
    ipc_rec_event_t m;
    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.rec = *r;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rec_event_encode(&b, rid, &m);
    return rec_recv(w, &b, rid, rep);
}

/* Sends an event and returns only its err. */
static int rec_event_err(worker_t *w, uint32_t kind, const ipc_rec_t *r)
{
    rrep_t rep;
    int err = rec_event(w, kind, r, &rep);
    rrep_free(&rep);
    return err;
}

static void rec_event_ok(worker_t *w, uint32_t kind, const ipc_rec_t *r)
{
    ASSERT_INT_EQ(rec_event_err(w, kind, r), 0);
}

static int rec_get(worker_t *w, const char *id, rrep_t *rep)
{
    ipc_rec_get_t m;
    memset(&m, 0, sizeof(m));
    m.recording_id = ov_str(id);
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rec_get_encode(&b, rid, &m);
    return rec_recv(w, &b, rid, rep);
}

static int rec_get_err(worker_t *w, const char *id)
{
    rrep_t rep;
    int err = rec_get(w, id, &rep);
    rrep_free(&rep);
    return err;
}

static int rec_delete(worker_t *w, const char *id, rrep_t *rep)
{
    ipc_rec_delete_t m;
    memset(&m, 0, sizeof(m));
    m.recording_id = ov_str(id);
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rec_delete_encode(&b, rid, &m);
    return rec_recv(w, &b, rid, rep);
}

/* A record for events: id "<room>--<egress>--<uid>" written into `id`. */
static ipc_rec_t rec_new(char *id, size_t idlen, const char *room,
                         const char *egress, const char *uid)
{
    snprintf(id, idlen, "%s--%s--%s", room, egress, uid);
    ipc_rec_t r;
    memset(&r, 0, sizeof(r));
    r.recording_id = ov_str(id);
    r.room_id = ov_str(room);
    r.egress_id = ov_str(egress);
    return r;
}

/* An update of record `id` of `room` that gives no field yet. */
static ipc_rec_t rec_upd(const char *id, const char *room)
{
    ipc_rec_t r;
    memset(&r, 0, sizeof(r));
    r.recording_id = ov_str(id);
    r.room_id = ov_str(room);
    return r;
}

static bool is_hex_secret(ov_str_t s)
{
    if (s.len != WK_REC_SECRET_LEN)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

/* ---- start and lock ---------------------------------------------------- */

static void test_start_preconditions(void)
{
    const char *dir = new_dir();
    worker_t w;
    start(&w, dir);
    create_room(&w, "on", "Room On", true);
    create_room(&w, "off", "Room Off", false);

    ASSERT_INT_EQ(rec_start(&w, "missing", "t1", true), OV_ENOROOM);
    ASSERT_INT_EQ(rec_start(&w, "off", "t1", true), OV_ERECDISABLED);
    ASSERT_INT_EQ(rec_start(&w, "off", "t1", false), OV_ERECDISABLED);
    ASSERT_INT_EQ(rec_start(&w, "on", "t1", true), OV_ENOPARTICIPANTS);
    /* A failed check takes no lock. */
    ASSERT_INT_EQ(rec_start(&w, "on", "t1", true), OV_ENOPARTICIPANTS);
    join(&w, "on", "alice");
    ASSERT_INT_EQ(rec_start(&w, "on", "t1", true), 0);
    /* Locked comes before "no participants" and after "disabled". */
    ASSERT_INT_EQ(rec_start(&w, "on", "t2", true), OV_ERECLOCKED);
    ASSERT_INT_EQ(rec_start(&w, "on", "t2", false), OV_ERECLOCKED);

    /* Unlock: a different token changes nothing; the holder's releases. */
    ASSERT_INT_EQ(rec_unlock(&w, "on", "t2"), 0);
    ASSERT_INT_EQ(rec_start(&w, "on", "t3", false), OV_ERECLOCKED);
    ASSERT_INT_EQ(rec_unlock(&w, "on", "t1"), 0);
    ASSERT_INT_EQ(rec_start(&w, "on", "t3", false), 0);
    /* An empty token releases whoever holds it. */
    ASSERT_INT_EQ(rec_unlock(&w, "on", ""), 0);
    ASSERT_INT_EQ(rec_start(&w, "on", "t4", false), 0);
    ASSERT_INT_EQ(rec_unlock(&w, "missing", ""), OV_ENOROOM);
    /* Unlocking a free lock is no error. */
    ASSERT_INT_EQ(rec_unlock(&w, "off", "t9"), 0);

    /* An ended event releases the lock, whatever token holds it. */
    char id[128];
    ipc_rec_t r = rec_new(id, sizeof(id), "on", "EG_lock", "00000000aa");
    r.status = ov_str("starting");
    rec_event_ok(&w, IPC_REC_EV_STARTED, &r);
    ASSERT_INT_EQ(rec_start(&w, "on", "t5", false), OV_ERECLOCKED);
    r.status = ov_str("active");
    rec_event_ok(&w, IPC_REC_EV_UPDATED, &r);
    ASSERT_INT_EQ(rec_start(&w, "on", "t5", false), OV_ERECLOCKED);
    r.status = ov_str("complete");
    rec_event_ok(&w, IPC_REC_EV_ENDED, &r);
    ASSERT_INT_EQ(rec_start(&w, "on", "t5", false), 0);

    /* Hostile tokens. */
    ASSERT_INT_EQ(rec_start(&w, "off", "", false), OV_EINVAL);
    char big[WK_REC_MAX_ID + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ASSERT_INT_EQ(rec_start(&w, "on", big, false), OV_EINVAL);
    ASSERT_INT_EQ(rec_unlock(&w, "on", big), OV_EINVAL);
    ASSERT_INT_EQ(rec_start(&w, "on", "\xff\xfe", false), OV_EINVAL);

    /* A stored config that is not an object is the shard's fault. */
    stop(&w);
    db_exec(dir, "UPDATE rooms SET config_json = '[]' WHERE room_id = 'off'");
    start(&w, dir);
    ASSERT_INT_EQ(rec_start(&w, "off", "t1", false), OV_EINTERNAL);
    stop(&w);
}

/* ---- events ------------------------------------------------------------ */

static void test_event_lifecycle(void)
{
    const char *dir = new_dir();
    worker_t w;
    start(&w, dir);
    create_room(&w, "life", "Life Room", true);
    ASSERT_INT_EQ(rec_start(&w, "life", "tok", false), 0);

    char id[128];
    ipc_rec_t r = rec_new(id, sizeof(id), "life", "EG_life", "0a1b2c3d4e");
    r.status = ov_str("starting");
    r.layout = ov_str("grid");
    r.encoding_json = ov_str("\"H264_720P_30\"");
    r.filename = ov_str("life--0a1b2c3d4e.mp4");
    r.start_date = 1735000000123.5;
    r.updated_at = 1735000000200.0;
    r.room_name = ov_str("ignored"); /* the room's name wins */
    r.public_secret = ov_str("ignored");

    rrep_t rep;
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_STARTED, &r, &rep), 0);
    ipc_rec_t *g = &rep.m.rec;
    ASSERT_VIEW(g->recording_id, id);
    ASSERT_VIEW(g->room_id, "life");
    ASSERT_VIEW(g->room_name, "Life Room");
    ASSERT_VIEW(g->egress_id, "EG_life");
    ASSERT_VIEW(g->status, "starting");
    ASSERT_VIEW(g->layout, "grid");
    ASSERT_VIEW(g->encoding_json, "\"H264_720P_30\"");
    ASSERT_VIEW(g->filename, "life--0a1b2c3d4e.mp4");
    ASSERT_DBL_EQ(g->start_date, 1735000000123.5);
    ASSERT_DBL_EQ(g->end_date, 0);
    ASSERT_DBL_EQ(g->duration, 0);
    ASSERT_INT_EQ(g->size, 0);
    ASSERT_INT_EQ(g->error_code, 0);
    ASSERT_VIEW(g->error, "");
    ASSERT_VIEW(g->details, "");
    ASSERT_DBL_EQ(g->updated_at, 1735000000200.0);
    ASSERT(is_hex_secret(g->public_secret));
    ASSERT(is_hex_secret(g->private_secret));
    ASSERT(!ov_str_eq(g->public_secret, g->private_secret));
    char pub[16], priv[16];
    snprintf(pub, sizeof(pub), "%.*s", (int)g->public_secret.len,
             g->public_secret.ptr);
    snprintf(priv, sizeof(priv), "%.*s", (int)g->private_secret.len,
             g->private_secret.ptr);
    rrep_free(&rep);

    /* updated → active: only the given fields change. */
    ipc_rec_t u = rec_upd(id, "life");
    u.status = ov_str("active");
    u.updated_at = 1735000001000.0;
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_UPDATED, &u, &rep), 0);
    ASSERT_VIEW(g->status, "active");
    ASSERT_VIEW(g->egress_id, "EG_life");
    ASSERT_VIEW(g->layout, "grid");
    ASSERT_VIEW(g->filename, "life--0a1b2c3d4e.mp4");
    ASSERT_DBL_EQ(g->start_date, 1735000000123.5);
    ASSERT_DBL_EQ(g->updated_at, 1735000001000.0);
    ASSERT_VIEW(g->public_secret, pub);
    ASSERT_VIEW(g->private_secret, priv);
    rrep_free(&rep);

    /* updated → ending, with details; an older updated_at keeps the
     * later one. */
    u = rec_upd(id, "life");
    u.status = ov_str("ending");
    u.details = ov_str("End reason: StopEgress API");
    u.duration = 12.5;
    u.updated_at = 1735000000500.0;
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_UPDATED, &u, &rep), 0);
    ASSERT_VIEW(g->status, "ending");
    ASSERT_VIEW(g->details, "End reason: StopEgress API");
    ASSERT_DBL_EQ(g->duration, 12.5);
    ASSERT_DBL_EQ(g->updated_at, 1735000001000.0);
    rrep_free(&rep);
    ASSERT_INT_EQ(rec_start(&w, "life", "tok2", false), OV_ERECLOCKED);

    /* ended → complete: everything accumulated, the lock released. */
    u = rec_upd(id, "life");
    u.status = ov_str("complete");
    u.end_date = 1735000060456.25;
    u.duration = 60.2;
    u.size = 1443846;
    u.updated_at = 1735000060500.0;
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_ENDED, &u, &rep), 0);
    ASSERT_VIEW(g->status, "complete");
    ASSERT_DBL_EQ(g->start_date, 1735000000123.5);
    ASSERT_DBL_EQ(g->end_date, 1735000060456.25);
    ASSERT_DBL_EQ(g->duration, 60.2);
    ASSERT_INT_EQ(g->size, 1443846);
    ASSERT_VIEW(g->details, "End reason: StopEgress API");
    ASSERT_VIEW(g->layout, "grid");
    ASSERT_VIEW(g->encoding_json, "\"H264_720P_30\"");
    ASSERT_VIEW(g->public_secret, pub);
    ASSERT_VIEW(g->private_secret, priv);
    ASSERT_DBL_EQ(g->updated_at, 1735000060500.0);
    rrep_free(&rep);
    ASSERT_INT_EQ(rec_start(&w, "life", "tok2", false), 0);

    /* A repeated start updates and keeps the secrets. */
    r.status = ov_str("");
    r.updated_at = 0;
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_STARTED, &r, &rep), 0);
    ASSERT_VIEW(g->status, "complete");
    ASSERT_VIEW(g->public_secret, pub);
    ASSERT_VIEW(g->private_secret, priv);
    rrep_free(&rep);

    /* GET returns the same, secrets included. */
    ASSERT_INT_EQ(rec_get(&w, id, &rep), 0);
    ASSERT_VIEW(g->status, "complete");
    ASSERT_INT_EQ(g->size, 1443846);
    ASSERT_VIEW(g->public_secret, pub);
    ASSERT_VIEW(g->private_secret, priv);
    rrep_free(&rep);
    ASSERT_INT_EQ(rec_get_err(&w, "life--EG_none--0000000000"), OV_ENOREC);

    /* Durability: the record and the lock survive a restart. */
    stop(&w);
    start(&w, dir);
    ASSERT_INT_EQ(rec_get(&w, id, &rep), 0);
    ASSERT_VIEW(g->status, "complete");
    ASSERT_VIEW(g->room_name, "Life Room");
    ASSERT_DBL_EQ(g->end_date, 1735000060456.25);
    ASSERT_VIEW(g->public_secret, pub);
    ASSERT_VIEW(g->private_secret, priv);
    rrep_free(&rep);
    ASSERT_INT_EQ(rec_start(&w, "life", "tok3", false), OV_ERECLOCKED);

    /* room_name is read again on every event, and kept when the room is
     * gone. */
    stop(&w);
    db_exec(dir, "UPDATE rooms SET room_name = 'Renamed' WHERE room_id ="
                 " 'life'");
    start(&w, dir);
    u = rec_upd(id, "life");
    u.error = ov_str("late error");
    u.error_code = 7;
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_UPDATED, &u, &rep), 0);
    ASSERT_VIEW(g->room_name, "Renamed");
    ASSERT_VIEW(g->error, "late error");
    ASSERT_INT_EQ(g->error_code, 7);
    rrep_free(&rep);
    stop(&w);
    db_exec(dir, "DELETE FROM rooms WHERE room_id = 'life'");
    start(&w, dir);
    u = rec_upd(id, "life");
    u.status = ov_str("failed");
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_ENDED, &u, &rep), 0);
    ASSERT_VIEW(g->room_name, "Renamed");
    ASSERT_VIEW(g->status, "failed");
    rrep_free(&rep);
    /* A start needs the room. */
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &r), OV_ENOROOM);
    stop(&w);
}

static void test_event_edge_cases(void)
{
    worker_t w;
    start(&w, new_dir());
    create_room(&w, "edge", "Edge", true);
    char id[128];

    /* Unknown statuses map to failed (§8.1); a start with none starts. */
    ipc_rec_t r = rec_new(id, sizeof(id), "edge", "EG_1", "0000000001");
    rrep_t rep;
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_STARTED, &r, &rep), 0);
    ASSERT_VIEW(rep.m.rec.status, "starting");
    rrep_free(&rep);
    r.status = ov_str("EGRESS_WEIRD");
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_UPDATED, &r, &rep), 0);
    ASSERT_VIEW(rep.m.rec.status, "failed");
    rrep_free(&rep);
    r = rec_new(id, sizeof(id), "edge", "EG_2", "0000000002");
    r.status = ov_str("Active");
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_STARTED, &r, &rep), 0);
    ASSERT_VIEW(rep.m.rec.status, "failed");
    rrep_free(&rep);
    r.status = ov_str("limit_reached");
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_ENDED, &r, &rep), 0);
    ASSERT_VIEW(rep.m.rec.status, "limit_reached");
    rrep_free(&rep);

    /* Missing room or record. */
    r = rec_new(id, sizeof(id), "nowhere", "EG_3", "0000000003");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &r), OV_ENOROOM);
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_UPDATED, &r), OV_ENOREC);
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_ENDED, &r), OV_ENOREC);
    r = rec_new(id, sizeof(id), "edge", "EG_4", "0000000004");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_UPDATED, &r), OV_ENOREC);
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_ENDED, &r), OV_ENOREC);
    ASSERT_INT_EQ(rec_get_err(&w, id), OV_ENOREC);

    /* Hostile values. */
    ASSERT_INT_EQ(rec_event_err(&w, 9, &r), OV_EINVAL);
    ipc_rec_t bad = r;
    bad.recording_id = ov_str("other--EG_4--0000000004");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad.recording_id = ov_str("edge--");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad.recording_id = ov_str("edge");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad = r;
    bad.room_id = ov_str("");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad = r;
    bad.filename = (ov_str_t){"a\0b", 3};
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad = r;
    bad.status = ov_str("\xc0\xaf");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad = r;
    bad.encoding_json = ov_str("{\"video\":");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad.encoding_json = ov_str("[1]");
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad = r;
    bad.duration = NAN;
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad = r;
    bad.start_date = INFINITY;
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    bad = r;
    bad.size = -1;
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    static char longid[WK_REC_MAX_ID + 16];
    snprintf(longid, sizeof(longid), "edge--");
    memset(longid + 6, 'x', WK_REC_MAX_ID);
    bad = r;
    bad.recording_id = ov_str(longid);
    ASSERT_INT_EQ(rec_event_err(&w, IPC_REC_EV_STARTED, &bad), OV_EINVAL);
    ASSERT_INT_EQ(rec_get_err(&w, longid), OV_EINVAL);
    ASSERT_INT_EQ(rec_get_err(&w, "\xff"), OV_EINVAL);
    ASSERT_INT_EQ(rec_delete(&w, "\xff", &rep), OV_EINVAL);
    rrep_free(&rep);
    ASSERT_INT_EQ(rec_get_err(&w, id), OV_ENOREC);

    /* An advanced encoding object; a long error is cut at a character
     * boundary rather than refused. */
    static char longerr[WK_REC_MAX_TEXT + 64];
    size_t n = 0;
    longerr[n++] = 'e';
    while (n + 2 < sizeof(longerr) - 1) {
        longerr[n++] = '\xc3'; /* é, two bytes, straddling the bound */
        longerr[n++] = '\xa9';
    }
    longerr[n] = '\0';
    r.encoding_json = ov_str("{\"video\":{\"width\":1280},\"audio\":{}}");
    r.error = ov_str(longerr);
    ASSERT_INT_EQ(rec_event(&w, IPC_REC_EV_STARTED, &r, &rep), 0);
    ASSERT_VIEW(rep.m.rec.encoding_json,
                "{\"video\":{\"width\":1280},\"audio\":{}}");
    ASSERT_INT_EQ(rep.m.rec.error.len, WK_REC_MAX_TEXT - 1);
    ASSERT(memcmp(rep.m.rec.error.ptr, longerr, WK_REC_MAX_TEXT - 1) == 0);
    rrep_free(&rep);
    stop(&w);
}

/* ---- delete ------------------------------------------------------------ */

static void test_delete(void)
{
    static const char *const all[] = {"starting",     "active", "ending",
                                      "complete",     "failed", "aborted",
                                      "limit_reached"};
    worker_t w;
    start(&w, new_dir());
    create_room(&w, "del", "Del", true);
    char ids[7][128];
    for (int i = 0; i < 7; i++) {
        char egress[16];
        snprintf(egress, sizeof(egress), "EG_%d", i);
        ipc_rec_t r =
            rec_new(ids[i], sizeof(ids[i]), "del", egress, "00000000ff");
        r.status = ov_str(all[i]);
        r.size = 100 + i;
        rec_event_ok(&w, IPC_REC_EV_STARTED, &r);
    }
    for (int i = 0; i < 7; i++) {
        rrep_t rep;
        int err = rec_delete(&w, ids[i], &rep);
        if (i < 3) {
            ASSERT_INT_EQ(err, OV_ERECNOTSTOPPED);
            rrep_free(&rep);
            ASSERT_INT_EQ(rec_get_err(&w, ids[i]), 0);
            continue;
        }
        ASSERT_INT_EQ(err, 0);
        ASSERT_VIEW(rep.m.rec.recording_id, ids[i]);
        ASSERT_VIEW(rep.m.rec.status, all[i]);
        ASSERT_INT_EQ(rep.m.rec.size, 100 + i);
        ASSERT(is_hex_secret(rep.m.rec.public_secret));
        rrep_free(&rep);
        ASSERT_INT_EQ(rec_get_err(&w, ids[i]), OV_ENOREC);
        ASSERT_INT_EQ(rec_delete(&w, ids[i], &rep), OV_ENOREC);
        rrep_free(&rep);
    }
    stop(&w);
}

/* ---- list -------------------------------------------------------------- */

#define NREC 200

static const char *const list_rooms[3] = {"rl-a", "rl-b", "rl-c"};
static const char *const list_names[3] = {"Alpha Room", "beta ROOM",
                                          "Gamma 100%"};
static const char *const list_statuses[7] = {
    "starting", "active",  "ending",       "complete",
    "failed",   "aborted", "limit_reached"};

typedef struct {
    char id[64];
    int room;
    double start;
    double duration; /* 0: none */
    int64_t size;    /* 0: none */
    int status;
} trec_t;

static trec_t trecs[NREC];

/* The order under test, for qsort. */
static int sort_field; /* 0 startDate, 1 roomName, 2 duration, 3 size */
static bool sort_desc;

static double key_num(const trec_t *t)
{
    if (sort_field == 0)
        return t->start;
    if (sort_field == 2)
        return t->duration != 0 ? t->duration : -INFINITY;
    return t->size != 0 ? (double)t->size : -INFINITY;
}

static int trec_cmp(const void *pa, const void *pb)
{
    const trec_t *a = pa, *b = pb;
    int c;
    if (sort_field == 1) {
        c = strcmp(list_names[a->room], list_names[b->room]);
    } else {
        double x = key_num(a), y = key_num(b);
        c = x < y ? -1 : x > y;
    }
    if (c == 0)
        c = strcmp(a->id, b->id);
    return sort_desc ? -c : c;
}

static const char *const sort_names[4] = {"startDate", "roomName", "duration",
                                          "size"};

typedef struct {
    const char *room_id;   /* NULL: none */
    const char *room_name; /* NULL: none */
    const char *status;    /* NULL: any */
} filter_t;

static bool trec_match(const trec_t *t, const filter_t *flt)
{
    if (flt->status && strcmp(list_statuses[t->status], flt->status) != 0)
        return false;
    if (!flt->room_id && !flt->room_name)
        return true;
    if (flt->room_id && strcmp(list_rooms[t->room], flt->room_id) == 0)
        return true;
    if (flt->room_name) {
        /* ASCII case-insensitive literal substring. */
        const char *h = list_names[t->room];
        size_t hl = strlen(h), nl = strlen(flt->room_name);
        for (size_t i = 0; i + nl <= hl; i++) {
            size_t j = 0;
            while (j < nl && tolower((unsigned char)h[i + j]) ==
                                 tolower((unsigned char)flt->room_name[j]))
                j++;
            if (j == nl)
                return true;
        }
    }
    return false;
}

typedef struct {
    ipc_frame_t f;
    ipc_rec_list_reply_t m;
} lrep_t;

static int list_call(worker_t *w, const ipc_rec_list_t *m, lrep_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rec_list_encode(&b, rid, m);
    call(w, &b, rid, IPC_MSG_REC_LIST_REPLY, &rep->f);
    ASSERT_INT_EQ(ipc_rec_list_reply_decode(&rep->f, &rep->m), 0);
    return rep->m.err;
}

static ipc_rec_list_t list_req(const filter_t *flt, uint32_t limit)
{
    ipc_rec_list_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str(flt->room_id ? flt->room_id : "");
    m.room_name = ov_str(flt->room_name ? flt->room_name : "");
    m.status = ov_str(flt->status ? flt->status : "");
    m.sort_field = ov_str(sort_names[sort_field]);
    m.sort_desc = sort_desc;
    m.limit = limit;
    return m;
}

/* Pages through the list with `limit` and compares it with the order
 * computed here. */
static void list_check(worker_t *w, const filter_t *flt, uint32_t limit)
{
    static trec_t want[NREC];
    int nwant = 0;
    for (int i = 0; i < NREC; i++) {
        if (trec_match(&trecs[i], flt))
            want[nwant++] = trecs[i];
    }
    qsort(want, (size_t)nwant, sizeof(want[0]), trec_cmp);

    int got = 0;
    bool has_cursor = false, cursor_has_value = false;
    char cursor_str[64] = "", cursor_id[64] = "";
    double cursor_num = 0;
    for (int pages = 0;; pages++) {
        ASSERT(pages <= NREC);
        ipc_rec_list_t m = list_req(flt, limit);
        m.has_cursor = has_cursor;
        m.cursor_has_value = cursor_has_value;
        m.cursor_str = ov_str(cursor_str);
        m.cursor_num = cursor_num;
        m.cursor_id = ov_str(cursor_id);
        lrep_t rep;
        ASSERT_INT_EQ(list_call(w, &m, &rep), 0);
        ASSERT(rep.m.recs.n <= limit);
        for (uint32_t i = 0; i < rep.m.recs.n; i++, got++) {
            const ipc_rec_t *r = &rep.m.recs.items[i];
            if (got >= nwant ||
                !ov_str_eq(r->recording_id, ov_str(want[got].id)))
                TEST__FAIL("sort %s %s filter %s/%s/%s: item %d is %.*s, "
                           "expected %s",
                           sort_names[sort_field], sort_desc ? "desc" : "asc",
                           flt->room_id ? flt->room_id : "-",
                           flt->room_name ? flt->room_name : "-",
                           flt->status ? flt->status : "-", got,
                           (int)r->recording_id.len, r->recording_id.ptr,
                           got < nwant ? want[got].id : "(end)");
            ASSERT(is_hex_secret(r->public_secret));
        }
        bool more = rep.m.more;
        if (more)
            ASSERT_UINT_EQ(rep.m.recs.n, limit);
        if (rep.m.recs.n > 0) {
            const ipc_rec_t *last = &rep.m.recs.items[rep.m.recs.n - 1];
            has_cursor = true;
            snprintf(cursor_id, sizeof(cursor_id), "%.*s",
                     (int)last->recording_id.len, last->recording_id.ptr);
            snprintf(cursor_str, sizeof(cursor_str), "%.*s",
                     (int)last->room_name.len, last->room_name.ptr);
            switch (sort_field) {
            case 0:
                cursor_has_value = true;
                cursor_num = last->start_date;
                break;
            case 1:
                cursor_has_value = true;
                break;
            case 2:
                cursor_has_value = last->duration != 0;
                cursor_num = last->duration;
                break;
            default:
                cursor_has_value = last->size != 0;
                cursor_num = (double)last->size;
            }
        }
        ipc_frame_free(&rep.f);
        if (!more)
            break;
    }
    ASSERT_INT_EQ(got, nwant);
}

static void list_fill(worker_t *w)
{
    for (int i = 0; i < 3; i++)
        create_room(w, list_rooms[i], list_names[i], true);
    for (int i = 0; i < NREC; i++) {
        trec_t *t = &trecs[i];
        t->room = (i * 7 + i / 5) % 3;
        char egress[16], uid[16];
        snprintf(egress, sizeof(egress), "EG_%03d", (i * 61) % NREC);
        snprintf(uid, sizeof(uid), "%010x", (unsigned)(i * 2654435761u));
        ipc_rec_t r =
            rec_new(t->id, sizeof(t->id), list_rooms[t->room], egress, uid);
        /* Ties on every key, so that the id breaks them. */
        t->start = 1735000000000.0 + (double)((i * 37) % 50) * 1000.5;
        t->duration = i % 5 == 0 ? 0 : (double)((i * 13) % 40) + 0.25;
        t->size = i % 4 == 0 ? 0 : (int64_t)((i * 17) % 30) * 1000 + 1;
        t->status = (i * 3) % 7;
        r.start_date = t->start;
        r.duration = t->duration;
        r.size = t->size;
        r.status = ov_str(list_statuses[t->status]);
        rec_event_ok(w, IPC_REC_EV_STARTED, &r);
    }
}

static void test_list(void)
{
    worker_t w;
    start(&w, new_dir());
    list_fill(&w);

    const filter_t filters[] = {
        {NULL, NULL, NULL},          {"rl-b", NULL, NULL},
        {NULL, "room", NULL},        {NULL, NULL, "complete"},
        {"rl-c", "ALPHA", NULL},     {"rl-a", NULL, "failed"},
        {"rl-b", "gamma", "active"}, {NULL, "%", NULL},
        {NULL, "_", NULL},           {"rl-none", NULL, NULL},
    };
    for (sort_field = 0; sort_field < 4; sort_field++) {
        for (int d = 0; d < 2; d++) {
            sort_desc = d;
            for (size_t k = 0; k < sizeof(filters) / sizeof(filters[0]); k++)
                list_check(&w, &filters[k], 7);
            list_check(&w, &filters[0], 1000);
            list_check(&w, &filters[0], 1);
        }
    }

    /* limit 0 reports only whether anything matches. */
    sort_field = 0;
    sort_desc = true;
    lrep_t rep;
    ipc_rec_list_t m = list_req(&filters[0], 0);
    ASSERT_INT_EQ(list_call(&w, &m, &rep), 0);
    ASSERT_UINT_EQ(rep.m.recs.n, 0);
    ASSERT(rep.m.more);
    ipc_frame_free(&rep.f);
    m = list_req(&filters[8], 0);
    ASSERT_INT_EQ(list_call(&w, &m, &rep), 0);
    ASSERT_UINT_EQ(rep.m.recs.n, 0);
    ASSERT(!rep.m.more);
    ipc_frame_free(&rep.f);

    /* A cursor without a value on startDate: before all ascending, after
     * all descending. */
    m = list_req(&filters[0], 1000);
    m.has_cursor = true;
    m.cursor_id = ov_str("zzz");
    ASSERT_INT_EQ(list_call(&w, &m, &rep), 0);
    ASSERT_UINT_EQ(rep.m.recs.n, 0);
    ASSERT(!rep.m.more);
    ipc_frame_free(&rep.f);
    m.sort_desc = false;
    ASSERT_INT_EQ(list_call(&w, &m, &rep), 0);
    ASSERT_UINT_EQ(rep.m.recs.n, NREC);
    ipc_frame_free(&rep.f);

    /* Hostile requests. */
    m = list_req(&filters[0], 1001);
    ASSERT_INT_EQ(list_call(&w, &m, &rep), OV_EINVAL);
    ipc_frame_free(&rep.f);
    m = list_req(&filters[0], 10);
    m.sort_field = ov_str("creationDate");
    ASSERT_INT_EQ(list_call(&w, &m, &rep), OV_EINVAL);
    ipc_frame_free(&rep.f);
    m = list_req(&filters[0], 10);
    m.status = ov_str("done");
    ASSERT_INT_EQ(list_call(&w, &m, &rep), OV_EINVAL);
    ipc_frame_free(&rep.f);
    m = list_req(&filters[0], 10);
    m.has_cursor = m.cursor_has_value = true;
    m.cursor_num = NAN;
    ASSERT_INT_EQ(list_call(&w, &m, &rep), OV_EINVAL);
    ipc_frame_free(&rep.f);
    m = list_req(&filters[0], 10);
    m.room_name = ov_str("\xe0\x80\x80");
    ASSERT_INT_EQ(list_call(&w, &m, &rep), OV_EINVAL);
    ipc_frame_free(&rep.f);
    stop(&w);
}

/* ---- the stale-recordings job ------------------------------------------ */

typedef struct {
    ipc_frame_t f;
    ipc_rec_abort_stale_reply_t m;
} arep_t;

static int abort_stale(worker_t *w, int64_t now, int64_t older,
                       const char *const *running, uint32_t nrunning,
                       uint32_t limit, arep_t *rep)
{
    ov_str_t run[8];
    ASSERT(nrunning <= 8);
    for (uint32_t i = 0; i < nrunning; i++)
        run[i] = ov_str(running[i]);
    ipc_rec_abort_stale_t m;
    memset(&m, 0, sizeof(m));
    m.now_ms = now;
    m.older_than_ms = older;
    m.running.items = run;
    m.running.n = nrunning;
    m.limit = limit;
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_rec_abort_stale_encode(&b, rid, &m);
    call(w, &b, rid, IPC_MSG_REC_ABORT_STALE_REPLY, &rep->f);
    ASSERT_INT_EQ(ipc_rec_abort_stale_reply_decode(&rep->f, &rep->m), 0);
    return rep->m.err;
}

static void stale_add(worker_t *w, char *id, size_t idlen, const char *room,
                      const char *egress, const char *status, double updated_at)
{
    ipc_rec_t r = rec_new(id, idlen, room, egress, "5a5a5a5a5a");
    r.status = ov_str(status);
    r.updated_at = updated_at;
    rec_event_ok(w, IPC_REC_EV_STARTED, &r);
}

static void expect_status(worker_t *w, const char *id, const char *status)
{
    rrep_t rep;
    ASSERT_INT_EQ(rec_get(w, id, &rep), 0);
    ASSERT_VIEW(rep.m.rec.status, status);
    rrep_free(&rep);
}

static void test_abort_stale(void)
{
    worker_t w;
    start(&w, new_dir());
    create_room(&w, "s-a", "SA", true);
    create_room(&w, "s-b", "SB", true);
    create_room(&w, "s-c", "SC", true);
    ASSERT_INT_EQ(rec_start(&w, "s-a", "ta", false), 0);
    ASSERT_INT_EQ(rec_start(&w, "s-b", "tb", false), 0);
    ASSERT_INT_EQ(rec_start(&w, "s-c", "tc", false), 0);

    char a1[64], a2[64], b1[64], c1[64], c2[64], c3[64], c4[64];
    stale_add(&w, a1, sizeof(a1), "s-a", "EG_A1", "active", 1000);
    stale_add(&w, b1, sizeof(b1), "s-b", "EG_B1", "starting", 2000);
    stale_add(&w, c1, sizeof(c1), "s-c", "EG_C1", "ending", 3000);
    stale_add(&w, c2, sizeof(c2), "s-c", "EG_C2", "active", 9500);
    stale_add(&w, c3, sizeof(c3), "s-c", "EG_C3", "active", 0);
    stale_add(&w, c4, sizeof(c4), "s-c", "EG_C4", "complete", 100);
    stale_add(&w, a2, sizeof(a2), "s-a", "EG_A2", "starting", 4000);

    static const char *const running[] = {"EG_ZZ", "EG_B1", "EG_00"};
    arep_t rep;
    ASSERT_INT_EQ(abort_stale(&w, 10000, 1000, running, 3, 2, &rep), 0);
    ASSERT_UINT_EQ(rep.m.aborted.n, 2);
    ASSERT(rep.m.more);
    ASSERT_VIEW(rep.m.aborted.items[0].recording_id, a1);
    ASSERT_VIEW(rep.m.aborted.items[1].recording_id, c1);
    for (int i = 0; i < 2; i++) {
        ASSERT_VIEW(rep.m.aborted.items[i].status, "aborted");
        ASSERT_DBL_EQ(rep.m.aborted.items[i].updated_at, 10000);
        ASSERT(is_hex_secret(rep.m.aborted.items[i].private_secret));
    }
    ipc_frame_free(&rep.f);
    /* Their rooms' locks are free again; the running one's is not. */
    ASSERT_INT_EQ(rec_start(&w, "s-a", "ta2", false), 0);
    ASSERT_INT_EQ(rec_start(&w, "s-c", "tc2", false), 0);
    ASSERT_INT_EQ(rec_start(&w, "s-b", "tb2", false), OV_ERECLOCKED);

    ASSERT_INT_EQ(abort_stale(&w, 10000, 1000, running, 3, 2, &rep), 0);
    ASSERT_UINT_EQ(rep.m.aborted.n, 1);
    ASSERT(!rep.m.more);
    ASSERT_VIEW(rep.m.aborted.items[0].recording_id, a2);
    ipc_frame_free(&rep.f);
    ASSERT_INT_EQ(rec_start(&w, "s-a", "ta3", false), 0);

    /* Nothing left at that age; a later run takes the recent one; the
     * record without updated_at is kept. limit 0 only reports more. */
    ASSERT_INT_EQ(abort_stale(&w, 10000, 1000, running, 3, 5, &rep), 0);
    ASSERT_UINT_EQ(rep.m.aborted.n, 0);
    ASSERT(!rep.m.more);
    ipc_frame_free(&rep.f);
    ASSERT_INT_EQ(abort_stale(&w, 20000, 1000, running, 3, 0, &rep), 0);
    ASSERT_UINT_EQ(rep.m.aborted.n, 0);
    ASSERT(rep.m.more);
    ipc_frame_free(&rep.f);
    ASSERT_INT_EQ(abort_stale(&w, 20000, 1000, NULL, 0, 5, &rep), 0);
    ASSERT_UINT_EQ(rep.m.aborted.n, 2);
    ASSERT_VIEW(rep.m.aborted.items[0].recording_id, b1);
    ASSERT_VIEW(rep.m.aborted.items[1].recording_id, c2);
    ASSERT(!rep.m.more);
    ipc_frame_free(&rep.f);
    expect_status(&w, c3, "active");
    expect_status(&w, c4, "complete");
    expect_status(&w, a1, "aborted");
    rrep_t rr;
    ASSERT_INT_EQ(rec_delete(&w, a1, &rr), 0);
    rrep_free(&rr);

    ASSERT_INT_EQ(abort_stale(&w, 20000, 1000, NULL, 0, 1001, &rep), OV_EINVAL);
    ipc_frame_free(&rep.f);
    ASSERT_INT_EQ(abort_stale(&w, 20000, -1, NULL, 0, 10, &rep), OV_EINVAL);
    ipc_frame_free(&rep.f);
    stop(&w);
}

/* ---- room deletion ----------------------------------------------------- */

static void test_room_delete(void)
{
    worker_t w;
    start(&w, new_dir());
    create_room(&w, "gone", "Gone", true);
    create_room(&w, "stays", "Stays", true);
    ASSERT_INT_EQ(rec_start(&w, "gone", "tok", false), 0);
    char ids[3][64], other[64];
    stale_add(&w, ids[0], sizeof(ids[0]), "gone", "EG_1", "active", 1);
    stale_add(&w, ids[1], sizeof(ids[1]), "gone", "EG_2", "complete", 1);
    stale_add(&w, ids[2], sizeof(ids[2]), "gone", "EG_3", "failed", 1);
    stale_add(&w, other, sizeof(other), "stays", "EG_4", "complete", 1);

    ipc_room_delete_t m;
    memset(&m, 0, sizeof(m));
    m.room_id = ov_str("gone");
    m.with_meeting = ov_str("force");
    m.with_recordings = ov_str("force");
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_room_delete_encode(&b, rid, &m);
    ipc_frame_t f;
    call(&w, &b, rid, IPC_MSG_ROOM_REPLY, &f);
    ipc_room_reply_t rep;
    ASSERT_INT_EQ(ipc_room_reply_decode(&f, &rep), 0);
    ASSERT_INT_EQ(rep.err, 0);
    ipc_frame_free(&f);

    for (int i = 0; i < 3; i++)
        ASSERT_INT_EQ(rec_get_err(&w, ids[i]), OV_ENOREC);
    ASSERT_INT_EQ(rec_get_err(&w, other), 0);
    sort_field = 0;
    sort_desc = false;
    filter_t flt = {"gone", NULL, NULL};
    lrep_t lr;
    ipc_rec_list_t lm = list_req(&flt, 10);
    ASSERT_INT_EQ(list_call(&w, &lm, &lr), 0);
    ASSERT_UINT_EQ(lr.m.recs.n, 0);
    ipc_frame_free(&lr.f);
    /* The lock went with the room. */
    ASSERT_INT_EQ(rec_start(&w, "gone", "tok2", false), OV_ENOROOM);
    create_room(&w, "gone", "Gone again", true);
    ASSERT_INT_EQ(rec_start(&w, "gone", "tok2", false), 0);
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
    TEST_RUN(test_start_preconditions);
    TEST_RUN(test_event_lifecycle);
    TEST_RUN(test_event_edge_cases);
    TEST_RUN(test_delete);
    TEST_RUN(test_list);
    TEST_RUN(test_abort_stale);
    TEST_RUN(test_room_delete);
    cleanup();
    return 0;
}
