/*
 * rooms_test: the ROOM_* operations of the real meetd-worker binary, driven
 * over its IPC channel as the gateway drives it, inside its seccomp sandbox.
 * Recordings do not exist yet, so tests that need them insert rows into the
 * shard's recordings table with the SQLite API while no worker runs.
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


#define WK_HARNESS_NAME "rooms"
#include "wk_harness.h"

/* ---- requests ---------------------------------------------------------- */

#define DEFAULT_CONFIG                                                         \
    "{\"chat\":{\"enabled\":true},\"recording\":{\"enabled\":true,"            \
    "\"layout\":\"grid\",\"encoding\":\"H264_720P_30\",\"allowAccessTo\":"     \
    "\"admin_moderator_speaker\"},\"virtualBackground\":{\"enabled\":true},"   \
    "\"e2ee\":{\"enabled\":false},\"captions\":{\"enabled\":true}}"

static bool view_is(ov_str_t v, const char *s)
{
    return ov_str_eq(v, ov_str(s));
}

static bool view_has(ov_str_t v, const char *s)
{
    return memmem(v.ptr, v.len, s, strlen(s)) != NULL;
}

#define ASSERT_VIEW(v, s)                                                      \
    do {                                                                       \
        ov_str_t test__v = (v);                                                \
        const char *test__s = (s);                                             \
        if (!view_is(test__v, test__s))                                        \
            TEST__FAIL("%s: \"%.*s\", expected \"%s\"", #v, (int)test__v.len,  \
                       test__v.ptr, test__s);                                  \
    } while (0)

/* A room as the gateway would create it: open, default policy. */
static ipc_room_t room_new(const char *id, const char *name)
{
    ipc_room_t r;
    memset(&r, 0, sizeof(r));
    r.room_id = ov_str(id);
    r.room_name = ov_str(name);
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

static void assert_room_eq(const ipc_room_t *a, const ipc_room_t *b)
{
    ASSERT(ov_str_eq(a->room_id, b->room_id));
    ASSERT(ov_str_eq(a->room_name, b->room_name));
    ASSERT_INT_EQ(a->creation_date, b->creation_date);
    ASSERT_INT_EQ(a->has_auto_deletion_date, b->has_auto_deletion_date);
    if (a->has_auto_deletion_date)
        ASSERT(a->auto_deletion_date == b->auto_deletion_date);
    ASSERT(ov_str_eq(a->with_meeting, b->with_meeting));
    ASSERT(ov_str_eq(a->with_recordings, b->with_recordings));
    ASSERT(ov_str_eq(a->config_json, b->config_json));
    ASSERT(ov_str_eq(a->moderator_secret, b->moderator_secret));
    ASSERT(ov_str_eq(a->speaker_secret, b->speaker_secret));
    ASSERT(ov_str_eq(a->status, b->status));
    ASSERT(ov_str_eq(a->meeting_end_action, b->meeting_end_action));
}

/* A ROOM_REPLY; m's strings are views into f. */
typedef struct {
    ipc_frame_t f;
    ipc_room_reply_t m;
} reply_t;

static void reply_recv(worker_t *w, uint64_t req_id, reply_t *rep)
{
    recv_frame(w, &rep->f);
    ASSERT_INT_EQ(rep->f.type, IPC_MSG_ROOM_REPLY);
    ASSERT_UINT_EQ(rep->f.req_id, req_id);
    ASSERT_INT_EQ(ipc_room_reply_decode(&rep->f, &rep->m), 0);
}

static void reply_free(reply_t *rep)
{
    ipc_frame_free(&rep->f);
}

/* Sends the frame in `b` (and frees it), then receives its ROOM_REPLY. */
static void call(worker_t *w, ov_buf_t *b, uint64_t req_id, reply_t *rep)
{
    send_buf(w, b);
    ov_buf_free(b);
    reply_recv(w, req_id, rep);
}

static int create(worker_t *w, const ipc_room_t *r, reply_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_create_t m = {0};
    m.room = *r;
    uint64_t id = next_req++;
    ipc_room_create_encode(&b, id, &m);
    call(w, &b, id, rep);
    return rep->m.err;
}

/* Creates `r` and checks that the reply is the room. */
static void create_ok(worker_t *w, const ipc_room_t *r)
{
    reply_t rep;
    ASSERT_INT_EQ(create(w, r, &rep), 0);
    ASSERT_UINT_EQ(rep.m.outcome, 0);
    assert_room_eq(&rep.m.room, r);
    reply_free(&rep);
}

static int create_err(worker_t *w, const ipc_room_t *r)
{
    reply_t rep;
    int err = create(w, r, &rep);
    reply_free(&rep);
    return err;
}

static int get_len(worker_t *w, const char *id, size_t len, reply_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_get_t m = {0};
    m.room_id = (ov_str_t){id, len};
    uint64_t rid = next_req++;
    ipc_room_get_encode(&b, rid, &m);
    call(w, &b, rid, rep);
    return rep->m.err;
}

static int get(worker_t *w, const char *id, reply_t *rep)
{
    return get_len(w, id, strlen(id), rep);
}

static int get_err(worker_t *w, const char *id)
{
    reply_t rep;
    int err = get(w, id, &rep);
    reply_free(&rep);
    return err;
}

static int update(worker_t *w, const char *id, const char *patch, reply_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_update_config_t m = {0};
    m.room_id = ov_str(id);
    m.config_patch_json = ov_str(patch);
    uint64_t rid = next_req++;
    ipc_room_update_config_encode(&b, rid, &m);
    call(w, &b, rid, rep);
    return rep->m.err;
}

/* Updates and checks the resulting config_json. */
static void update_expect(worker_t *w, const char *id, const char *patch,
                          const char *want)
{
    reply_t rep;
    ASSERT_INT_EQ(update(w, id, patch, &rep), 0);
    ASSERT_VIEW(rep.m.room.config_json, want);
    ASSERT_VIEW(rep.m.room.room_id, id);
    reply_free(&rep);
    ASSERT_INT_EQ(get(w, id, &rep), 0);
    ASSERT_VIEW(rep.m.room.config_json, want);
    reply_free(&rep);
}

static int update_err(worker_t *w, const char *id, const char *patch)
{
    reply_t rep;
    int err = update(w, id, patch, &rep);
    reply_free(&rep);
    return err;
}

static int set_status(worker_t *w, const char *id, const char *status,
                      reply_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_set_status_t m = {0};
    m.room_id = ov_str(id);
    m.status = ov_str(status);
    uint64_t rid = next_req++;
    ipc_room_set_status_encode(&b, rid, &m);
    call(w, &b, rid, rep);
    return rep->m.err;
}

static int del(worker_t *w, const char *id, const char *wm, const char *wr,
               reply_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_room_delete_t m = {0};
    m.room_id = ov_str(id);
    m.with_meeting = ov_str(wm);
    m.with_recordings = ov_str(wr);
    uint64_t rid = next_req++;
    ipc_room_delete_encode(&b, rid, &m);
    call(w, &b, rid, rep);
    return rep->m.err;
}

/* ---- create, get, durability ------------------------------------------- */

static void test_create_get(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);

    ipc_room_t a = room_new("my_room-3f2a9c0b1d4e5f6", "My Room");
    a.has_auto_deletion_date = true;
    a.auto_deletion_date = 1735009999000.625;
    a.with_meeting = ov_str("force");
    a.with_recordings = ov_str("force");
    a.status = ov_str("closed");
    a.meeting_end_action = ov_str("close");
    a.room_name = ov_str("Habitaci\xc3\xb3n \xf0\x9f\x8e\x89");
    create_ok(&w, &a);

    /* Without a date, whatever the date field holds is not stored. */
    ipc_room_t b = room_new("room-000000000000001", "Room");
    b.auto_deletion_date = 42.5;
    b.creation_date = -5;
    create_ok(&w, &b);

    reply_t rep;
    ASSERT_INT_EQ(get(&w, "my_room-3f2a9c0b1d4e5f6", &rep), 0);
    ASSERT_UINT_EQ(rep.m.outcome, 0);
    assert_room_eq(&rep.m.room, &a);
    ASSERT(rep.m.room.auto_deletion_date == 1735009999000.625);
    reply_free(&rep);
    ASSERT_INT_EQ(get(&w, "room-000000000000001", &rep), 0);
    assert_room_eq(&rep.m.room, &b);
    ASSERT_INT_EQ(rep.m.room.has_auto_deletion_date, false);
    ASSERT(rep.m.room.auto_deletion_date == 0.0);
    reply_free(&rep);

    /* A duplicate id changes nothing. */
    ipc_room_t dup = room_new("my_room-3f2a9c0b1d4e5f6", "Other");
    ASSERT_INT_EQ(create_err(&w, &dup), OV_ECONFLICT);
    ASSERT_INT_EQ(get(&w, "my_room-3f2a9c0b1d4e5f6", &rep), 0);
    assert_room_eq(&rep.m.room, &a);
    reply_free(&rep);

    ASSERT_INT_EQ(get_err(&w, "missing"), OV_ENOROOM);
    ASSERT_INT_EQ(get_err(&w, ""), OV_ENOROOM);
    ASSERT_INT_EQ(get_len(&w, "\xff\0\xfe", 3, &rep), OV_ENOROOM);
    reply_free(&rep);

    /* Hostile values are refused, not stored. */
    ipc_room_t bad = room_new("bad", "\xc3(");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "a");
    bad.room_name = (ov_str_t){"a\0b", 3};
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "overlong \xc0\xaf");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "surrogate \xed\xa0\x80");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("", "empty id");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "x");
    bad.config_json = ov_str("[1]");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad.config_json = ov_str("{\"a\":");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad.config_json = ov_str("");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "x");
    bad.status = ov_str("deleted");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "x");
    bad.meeting_end_action = ov_str("");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "x");
    bad.with_meeting = ov_str("close");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "x");
    bad.with_recordings = ov_str("when_meeting_ends");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad = room_new("bad", "x");
    bad.has_auto_deletion_date = true;
    bad.auto_deletion_date = NAN;
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    bad.auto_deletion_date = -INFINITY;
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    char *big = malloc(9000);
    memset(big, 'x', 8999);
    big[8999] = '\0';
    bad = room_new(big, "x");
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    big[0] = '{';
    memcpy(big + 1, "\"k\":\"", 5);
    memcpy(big + 8997, "\"}", 2);
    bad = room_new("bad", "x");
    bad.config_json = ov_str(big);
    ASSERT_INT_EQ(create_err(&w, &bad), OV_EINVAL);
    free(big);
    ASSERT_INT_EQ(get_err(&w, "bad"), OV_ENOROOM);
    stop(&w);
}

/* Every acknowledged write survives a restart, even after SIGKILL. */
static void test_durability(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    ipc_room_t a = room_new("durable-a", "A");
    a.has_auto_deletion_date = true;
    a.auto_deletion_date = 1.5e12 + 0.25;
    create_ok(&w, &a);
    reply_t rep;
    ASSERT_INT_EQ(
        update(&w, "durable-a", "{\"chat\":{\"enabled\":false}}", &rep), 0);
    reply_free(&rep);
    ASSERT_INT_EQ(set_status(&w, "durable-a", "closed", &rep), 0);
    reply_free(&rep);
    stop(&w);

    start(&w, dir);
    ASSERT_INT_EQ(get(&w, "durable-a", &rep), 0);
    ASSERT_VIEW(rep.m.room.status, "closed");
    ASSERT(view_has(rep.m.room.config_json, "\"chat\":{\"enabled\":false}"));
    ASSERT(rep.m.room.auto_deletion_date == 1.5e12 + 0.25);
    reply_free(&rep);
    ipc_room_t b = room_new("durable-b", "B");
    create_ok(&w, &b);
    kill(w.pid, SIGKILL);
    ASSERT_INT_EQ(wait_exit(&w), 100 + SIGKILL);
    worker_free(&w);

    start(&w, dir);
    ASSERT_INT_EQ(get(&w, "durable-b", &rep), 0);
    assert_room_eq(&rep.m.room, &b);
    reply_free(&rep);
    stop(&w);
}

/* Many creates and gets in one write share a transaction; a duplicate
 * fails alone. Also a rough throughput figure. */
static void test_batch(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    enum { N = 20000, CHUNK = 500 };
    static char ids[N][24];
    long long t0 = now_ms();
    for (int base = 0; base < N; base += CHUNK) {
        ov_buf_t b = OV_BUF_INIT;
        uint64_t first = next_req;
        for (int i = base; i < base + CHUNK; i++) {
            /* Every 100th id repeats the previous one. */
            int k = (i % 100 == 99) ? i - 1 : i;
            snprintf(ids[i], sizeof(ids[i]), "batch-%06d", k);
            ipc_room_t r = room_new(ids[i], "Batch");
            ipc_room_create_t m = {0};
            m.room = r;
            ipc_room_create_encode(&b, next_req++, &m);
        }
        send_buf(&w, &b);
        ov_buf_free(&b);
        for (int i = base; i < base + CHUNK; i++) {
            reply_t rep;
            reply_recv(&w, first + (uint64_t)(i - base), &rep);
            ASSERT_INT_EQ(rep.m.err, i % 100 == 99 ? OV_ECONFLICT : 0);
            reply_free(&rep);
        }
    }
    long long t1 = now_ms();
    for (int base = 0; base < N; base += CHUNK) {
        ov_buf_t b = OV_BUF_INIT;
        uint64_t first = next_req;
        for (int i = base; i < base + CHUNK; i++) {
            ipc_room_get_t m = {0};
            m.room_id = ov_str(ids[i]);
            ipc_room_get_encode(&b, next_req++, &m);
        }
        send_buf(&w, &b);
        ov_buf_free(&b);
        for (int i = base; i < base + CHUNK; i++) {
            reply_t rep;
            reply_recv(&w, first + (uint64_t)(i - base), &rep);
            ASSERT_INT_EQ(rep.m.err, 0);
            ASSERT_VIEW(rep.m.room.room_id, ids[i]);
            reply_free(&rep);
        }
    }
    long long t2 = now_ms();
    printf("# %d creates in %lld ms, %d gets in %lld ms\n", N, t1 - t0, N,
           t2 - t1);
    stop(&w);
}

/* ---- config ------------------------------------------------------------ */

static void test_update_config(void)
{
    worker_t w;
    start(&w, new_dir());
    ipc_room_t a = room_new("cfg", "Cfg");
    create_ok(&w, &a);

    /* Patches are validated before the room is looked up. */
    ASSERT_INT_EQ(update_err(&w, "cfg", "[1]"), OV_EINVAL);
    ASSERT_INT_EQ(update_err(&w, "cfg", "\"x\""), OV_EINVAL);
    ASSERT_INT_EQ(update_err(&w, "cfg", "{"), OV_EINVAL);
    ASSERT_INT_EQ(update_err(&w, "cfg", ""), OV_EINVAL);
    ASSERT_INT_EQ(update_err(&w, "cfg", "{\"a\":\"\xff\"}"), OV_EINVAL);
    ASSERT_INT_EQ(update_err(&w, "cfg", "{} {}"), OV_EINVAL);
    ASSERT_INT_EQ(update_err(&w, "missing", "[]"), OV_EINVAL);
    ASSERT_INT_EQ(update_err(&w, "missing", "{}"), OV_ENOROOM);

    update_expect(&w, "cfg", "{}", DEFAULT_CONFIG);
    update_expect(
        &w, "cfg", "{\"recording\":{\"enabled\":false}}",
        "{\"chat\":{\"enabled\":true},\"recording\":{\"enabled\":false,"
        "\"layout\":\"grid\",\"encoding\":\"H264_720P_30\",\"allowAccessTo\":"
        "\"admin_moderator_speaker\"},\"virtualBackground\":{\"enabled\":true},"
        "\"e2ee\":{\"enabled\":false},\"captions\":{\"enabled\":true}}");
    /* A string encoding becomes an object... */
    update_expect(
        &w, "cfg",
        "{\"recording\":{\"enabled\":true,\"layout\":\"speaker\","
        "\"encoding\":{\"video\":{\"width\":1280,\"height\":720},"
        "\"audio\":{\"codec\":\"OPUS\"}}}}",
        "{\"chat\":{\"enabled\":true},\"recording\":{\"enabled\":true,"
        "\"layout\":\"speaker\",\"encoding\":{\"video\":{\"width\":1280,"
        "\"height\":720},\"audio\":{\"codec\":\"OPUS\"}},\"allowAccessTo\":"
        "\"admin_moderator_speaker\"},\"virtualBackground\":{\"enabled\":true},"
        "\"e2ee\":{\"enabled\":false},\"captions\":{\"enabled\":true}}");
    /* ...an object merges into an object key by key (§6.7)... */
    update_expect(
        &w, "cfg",
        "{\"recording\":{\"enabled\":true,\"encoding\":{\"video\":"
        "{\"width\":640}}}}",
        "{\"chat\":{\"enabled\":true},\"recording\":{\"enabled\":true,"
        "\"layout\":\"speaker\",\"encoding\":{\"video\":{\"width\":640,"
        "\"height\":720},\"audio\":{\"codec\":\"OPUS\"}},"
        "\"allowAccessTo\":\"admin_moderator_speaker\"},\"virtualBackground\":"
        "{\"enabled\":true},\"e2ee\":{\"enabled\":false},\"captions\":"
        "{\"enabled\":true}}");
    /* ...and a preset string replaces an object. */
    update_expect(
        &w, "cfg",
        "{\"recording\":{\"enabled\":true,\"encoding\":\"H264_1080P_30\"}}",
        "{\"chat\":{\"enabled\":true},\"recording\":{\"enabled\":true,"
        "\"layout\":\"speaker\",\"encoding\":\"H264_1080P_30\","
        "\"allowAccessTo\":\"admin_moderator_speaker\"},\"virtualBackground\":"
        "{\"enabled\":true},\"e2ee\":{\"enabled\":false},\"captions\":"
        "{\"enabled\":true}}");
    /* Enabling e2ee disables recording; re-enabling recording stays off. */
    const char *e2ee_on =
        "{\"chat\":{\"enabled\":false},\"recording\":{\"enabled\":false,"
        "\"layout\":\"speaker\",\"encoding\":\"H264_1080P_30\","
        "\"allowAccessTo\":\"admin_moderator_speaker\"},\"virtualBackground\":"
        "{\"enabled\":true},\"e2ee\":{\"enabled\":true},\"captions\":"
        "{\"enabled\":true}}";
    update_expect(&w, "cfg",
                  "{\"e2ee\":{\"enabled\":true},\"chat\":{\"enabled\":false}}",
                  e2ee_on);
    update_expect(&w, "cfg", "{\"recording\":{\"enabled\":true}}", e2ee_on);
    update_expect(&w, "cfg",
                  "{\"recording\":{\"enabled\":true},\"e2ee\":{\"enabled\":"
                  "true}}",
                  e2ee_on);
    /* Turning e2ee off lets recording be enabled again. */
    update_expect(
        &w, "cfg",
        "{\"e2ee\":{\"enabled\":false},\"recording\":{\"enabled\":true}}",
        "{\"chat\":{\"enabled\":false},\"recording\":{\"enabled\":true,"
        "\"layout\":\"speaker\",\"encoding\":\"H264_1080P_30\","
        "\"allowAccessTo\":\"admin_moderator_speaker\"},\"virtualBackground\":"
        "{\"enabled\":true},\"e2ee\":{\"enabled\":false},\"captions\":"
        "{\"enabled\":true}}");

    /* The other fields do not change. */
    reply_t rep;
    ASSERT_INT_EQ(get(&w, "cfg", &rep), 0);
    ipc_room_t want = a;
    want.config_json = rep.m.room.config_json;
    assert_room_eq(&rep.m.room, &want);
    reply_free(&rep);

    /* A merge that outgrows the bound is refused. */
    char *big = malloc(9000);
    snprintf(big, 9000, "{\"x\":\"%08990d\"}", 0);
    ASSERT_INT_EQ(update_err(&w, "cfg", big), OV_EINVAL);
    free(big);

    /* Not during a meeting; a closed room may be updated. */
    ipc_room_t act = room_new("cfg-active", "Active");
    act.status = ov_str("active_meeting");
    create_ok(&w, &act);
    ASSERT_INT_EQ(update_err(&w, "cfg-active", "{}"), OV_EROOMACTIVE);
    ipc_room_t closed = room_new("cfg-closed", "Closed");
    closed.status = ov_str("closed");
    create_ok(&w, &closed);
    ASSERT_INT_EQ(
        update(&w, "cfg-closed", "{\"captions\":{\"enabled\":false}}", &rep),
        0);
    ASSERT_VIEW(rep.m.room.status, "closed");
    ASSERT(
        view_has(rep.m.room.config_json, "\"captions\":{\"enabled\":false}}"));
    reply_free(&rep);
    stop(&w);
}

/* ---- status ------------------------------------------------------------ */

static void expect_status(worker_t *w, const char *id, const char *status,
                          uint32_t outcome, const char *want_status,
                          const char *want_action)
{
    reply_t rep;
    ASSERT_INT_EQ(set_status(w, id, status, &rep), 0);
    ASSERT_UINT_EQ(rep.m.outcome, outcome);
    ASSERT_VIEW(rep.m.room.room_id, id);
    ASSERT_VIEW(rep.m.room.status, want_status);
    ASSERT_VIEW(rep.m.room.meeting_end_action, want_action);
    reply_free(&rep);
    ASSERT_INT_EQ(get(w, id, &rep), 0);
    ASSERT_VIEW(rep.m.room.status, want_status);
    ASSERT_VIEW(rep.m.room.meeting_end_action, want_action);
    reply_free(&rep);
}

static void test_set_status(void)
{
    worker_t w;
    start(&w, new_dir());
    ipc_room_t a = room_new("st", "St");
    create_ok(&w, &a);
    ipc_room_t m = room_new("st-meeting", "Meeting");
    m.status = ov_str("active_meeting");
    m.meeting_end_action = ov_str("delete");
    create_ok(&w, &m);

    expect_status(&w, "st", "closed", IPC_STATUS_APPLIED, "closed", "none");
    expect_status(&w, "st", "closed", IPC_STATUS_APPLIED, "closed", "none");
    expect_status(&w, "st", "open", IPC_STATUS_APPLIED, "open", "none");
    /* Closing during a meeting overrides a pending delete with close... */
    expect_status(&w, "st-meeting", "closed", IPC_STATUS_SCHEDULED,
                  "active_meeting", "close");
    /* ...and opening ends the meeting's status at once (quirk). */
    expect_status(&w, "st-meeting", "open", IPC_STATUS_APPLIED, "open", "none");

    reply_t rep;
    ASSERT_INT_EQ(set_status(&w, "st", "active_meeting", &rep), OV_EINVAL);
    reply_free(&rep);
    ASSERT_INT_EQ(set_status(&w, "st", "CLOSED", &rep), OV_EINVAL);
    reply_free(&rep);
    ASSERT_INT_EQ(set_status(&w, "st", "", &rep), OV_EINVAL);
    reply_free(&rep);
    ASSERT_INT_EQ(set_status(&w, "missing", "open", &rep), OV_ENOROOM);
    reply_free(&rep);
    stop(&w);
}

/* ---- deletion ---------------------------------------------------------- */

/* Deletes and checks the outcome and the reply's room state (NULL: skip). */
static void expect_delete(worker_t *w, const char *id, const char *wm,
                          const char *wr, unsigned outcome,
                          const char *want_status, const char *want_action)
{
    reply_t rep;
    ASSERT_INT_EQ(del(w, id, wm, wr, &rep), 0);
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

static void expect_gone(worker_t *w, const char *id)
{
    ASSERT_INT_EQ(get_err(w, id), OV_ENOROOM);
}

static void expect_state(worker_t *w, const char *id, const char *status,
                         const char *action)
{
    reply_t rep;
    ASSERT_INT_EQ(get(w, id, &rep), 0);
    ASSERT_VIEW(rep.m.room.status, status);
    ASSERT_VIEW(rep.m.room.meeting_end_action, action);
    reply_free(&rep);
}

static void create_state(worker_t *w, const char *id, const char *status)
{
    ipc_room_t r = room_new(id, id);
    r.status = ov_str(status);
    create_ok(w, &r);
}

static void test_delete_without_recordings(void)
{
    worker_t w;
    start(&w, new_dir());
    static const char *const wms[] = {"force", "when_meeting_ends", "fail"};
    static const char *const wrs[] = {"force", "close", "fail"};
    char id[32];

    /* No meeting and no recordings: deleted whatever the policies. */
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            snprintf(id, sizeof(id), "plain-%d%d", i, j);
            create_state(&w, id, (i + j) % 2 ? "closed" : "open");
            expect_delete(&w, id, wms[i], wrs[j], OV_ROOM_DEL_DELETED, NULL,
                          NULL);
            expect_gone(&w, id);
        }
    }

    for (int j = 0; j < 3; j++) {
        snprintf(id, sizeof(id), "meet-fail-%d", j);
        create_state(&w, id, "active_meeting");
        expect_delete(&w, id, "fail", wrs[j], OV_ROOM_DEL_HAS_ACTIVE_MEETING,
                      "active_meeting", "none");
        expect_state(&w, id, "active_meeting", "none");

        snprintf(id, sizeof(id), "meet-force-%d", j);
        create_state(&w, id, "active_meeting");
        expect_delete(&w, id, "force", wrs[j],
                      OV_ROOM_DEL_WITH_ACTIVE_MEETING_DELETED, NULL, NULL);
        expect_gone(&w, id);

        snprintf(id, sizeof(id), "meet-wme-%d", j);
        create_state(&w, id, "active_meeting");
        expect_delete(&w, id, "when_meeting_ends", wrs[j],
                      OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_DELETED,
                      "active_meeting", "delete");
        expect_state(&w, id, "active_meeting", "delete");
    }

    /* A room scheduled to close is deleted by force all the same. */
    ipc_room_t r = room_new("meet-close", "x");
    r.status = ov_str("active_meeting");
    r.meeting_end_action = ov_str("close");
    create_ok(&w, &r);
    expect_delete(&w, "meet-close", "force", "fail",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_DELETED, NULL, NULL);
    expect_gone(&w, "meet-close");

    reply_t rep;
    create_state(&w, "keep", "open");
    ASSERT_INT_EQ(del(&w, "keep", "close", "fail", &rep), OV_EINVAL);
    reply_free(&rep);
    ASSERT_INT_EQ(del(&w, "keep", "fail", "when_meeting_ends", &rep),
                  OV_EINVAL);
    reply_free(&rep);
    ASSERT_INT_EQ(del(&w, "keep", "", "fail", &rep), OV_EINVAL);
    reply_free(&rep);
    ASSERT_INT_EQ(del(&w, "keep", "force\xff", "fail", &rep), OV_EINVAL);
    reply_free(&rep);
    ASSERT_INT_EQ(
        del(&w, "keep", "when_meeting_ends_and_more_text", "fail", &rep),
        OV_EINVAL);
    reply_free(&rep);
    ASSERT_INT_EQ(del(&w, "missing", "force", "force", &rep), OV_ENOROOM);
    reply_free(&rep);
    expect_state(&w, "keep", "open", "none");
    stop(&w);
}

static void test_delete_with_recordings(void)
{
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);
    static const char *const open_rooms[] = {"o-fail", "o-force", "o-close"};
    static const char *const meet_rooms[] = {
        "m-fail",        "m-force-fail", "m-wme-fail", "m-force-force",
        "m-force-close", "m-wme-force",  "m-wme-close"};
    for (size_t i = 0; i < 3; i++)
        create_state(&w, open_rooms[i], "open");
    for (size_t i = 0; i < 7; i++)
        create_state(&w, meet_rooms[i], "active_meeting");
    create_state(&w, "bystander", "open");
    stop(&w);

    /* Two recordings per room, and one of a room that is not touched. */
    db_exec(dir, "WITH r(id) AS (VALUES ('o-fail'), ('o-force'), ('o-close'),"
                 " ('m-fail'), ('m-force-fail'), ('m-wme-fail'),"
                 " ('m-force-force'), ('m-force-close'), ('m-wme-force'),"
                 " ('m-wme-close'), ('bystander'))"
                 " INSERT INTO recordings(recording_id, room_id)"
                 " SELECT id || '--EG_a--' || n, id FROM r,"
                 " (SELECT 1 AS n UNION ALL SELECT 2) WHERE n = 1 OR"
                 " id <> 'bystander'");
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM recordings"), 21);

    start(&w, dir);
    expect_delete(&w, "o-fail", "force", "fail", OV_ROOM_DEL_HAS_RECORDINGS,
                  "open", "none");
    expect_state(&w, "o-fail", "open", "none");
    expect_delete(&w, "o-force", "fail", "force",
                  OV_ROOM_DEL_AND_RECORDINGS_DELETED, NULL, NULL);
    expect_gone(&w, "o-force");
    expect_delete(&w, "o-close", "fail", "close", OV_ROOM_DEL_CLOSED, "closed",
                  "none");
    expect_state(&w, "o-close", "closed", "none");
    /* A closed room with recordings is closed again, not deleted. */
    expect_delete(&w, "o-close", "force", "close", OV_ROOM_DEL_CLOSED, "closed",
                  "none");

    expect_delete(&w, "m-fail", "fail", "force",
                  OV_ROOM_DEL_WITH_RECORDINGS_HAS_ACTIVE_MEETING,
                  "active_meeting", "none");
    expect_delete(&w, "m-force-fail", "force", "fail",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_HAS_RECORDINGS,
                  "active_meeting", "none");
    expect_delete(
        &w, "m-wme-fail", "when_meeting_ends", "fail",
        OV_ROOM_DEL_WITH_ACTIVE_MEETING_HAS_RECORDINGS_CANNOT_SCHEDULE_DELETION,
        "active_meeting", "none");
    expect_delete(&w, "m-force-force", "force", "force",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_AND_RECORDINGS_DELETED,
                  "active_meeting", "delete");
    expect_gone(&w, "m-force-force");
    /* The meeting is ended at once, so its close action has run. */
    expect_delete(&w, "m-force-close", "force", "close",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_CLOSED, "closed", "none");
    expect_state(&w, "m-force-close", "closed", "none");
    expect_delete(
        &w, "m-wme-force", "when_meeting_ends", "force",
        OV_ROOM_DEL_WITH_ACTIVE_MEETING_AND_RECORDINGS_SCHEDULED_TO_BE_DELETED,
        "active_meeting", "delete");
    expect_state(&w, "m-wme-force", "active_meeting", "delete");
    expect_delete(&w, "m-wme-close", "when_meeting_ends", "close",
                  OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_CLOSED,
                  "active_meeting", "close");
    expect_state(&w, "m-wme-close", "active_meeting", "close");
    for (size_t i = 0; i < 3; i++)
        if (strcmp(open_rooms[i], "o-force") != 0)
            expect_state(&w, open_rooms[i], i == 2 ? "closed" : "open", "none");
    stop(&w);

    /* Only the two forced deletions took their recordings along. */
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM recordings"), 17);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM recordings WHERE"
                                " room_id IN ('o-force', 'm-force-force')"),
                  0);
    ASSERT_INT_EQ(db_count(dir, "SELECT count(*) FROM recordings WHERE"
                                " room_id = 'bystander'"),
                  1);
}

/* ---- list -------------------------------------------------------------- */

#define NLIST 300

typedef struct {
    char id[16];
    const char *name;
    int64_t cd;
    bool has_ad;
    double ad;
    const char *status;
} troom_t;

static troom_t trooms[NLIST];
static int cmp_sort; /* 0 creationDate, 1 roomName, 2 autoDeletionDate */
static bool cmp_desc;

static const char *const sort_names[3] = {"creationDate", "roomName",
                                          "autoDeletionDate"};

static int troom_cmp(const void *pa, const void *pb)
{
    const troom_t *a = *(const troom_t *const *)pa;
    const troom_t *b = *(const troom_t *const *)pb;
    int c = 0;
    if (cmp_sort == 0) {
        c = (a->cd > b->cd) - (a->cd < b->cd);
    } else if (cmp_sort == 1) {
        c = strcmp(a->name, b->name);
    } else if (a->has_ad != b->has_ad) {
        c = a->has_ad ? 1 : -1; /* no date first in ascending order */
    } else if (a->has_ad) {
        c = (a->ad > b->ad) - (a->ad < b->ad);
    }
    if (c == 0)
        c = strcmp(a->id, b->id);
    return cmp_desc ? -c : c;
}

/* ASCII-case-insensitive substring, the documented filter. */
static bool name_matches(const char *name, const char *filter)
{
    size_t n = strlen(name), m = strlen(filter);
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && tolower((unsigned char)name[i + j]) ==
                            tolower((unsigned char)filter[j]))
            j++;
        if (j == m)
            return true;
    }
    return false;
}

/* The expected order: fills `out` and returns the count. */
static size_t expected(int sort, bool desc, const char *status,
                       const char *name, const troom_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < NLIST; i++) {
        if (status && strcmp(trooms[i].status, status) != 0)
            continue;
        if (name && !name_matches(trooms[i].name, name))
            continue;
        out[n++] = &trooms[i];
    }
    cmp_sort = sort;
    cmp_desc = desc;
    qsort(out, n, sizeof(*out), troom_cmp);
    return n;
}

typedef struct {
    ipc_frame_t f;
    ipc_room_list_reply_t m;
} list_reply_t;

static void list_call(worker_t *w, const ipc_room_list_t *req,
                      list_reply_t *rep)
{
    ov_buf_t b = OV_BUF_INIT;
    uint64_t rid = next_req++;
    ipc_room_list_encode(&b, rid, req);
    send_buf(w, &b);
    ov_buf_free(&b);
    recv_frame(w, &rep->f);
    ASSERT_INT_EQ(rep->f.type, IPC_MSG_ROOM_LIST_REPLY);
    ASSERT_UINT_EQ(rep->f.req_id, rid);
    ASSERT_INT_EQ(ipc_room_list_reply_decode(&rep->f, &rep->m), 0);
}

static ipc_room_list_t list_req(int sort, bool desc, const char *status,
                                const char *name, uint32_t limit)
{
    ipc_room_list_t req;
    memset(&req, 0, sizeof(req));
    req.sort_field = ov_str(sort_names[sort]);
    req.sort_desc = desc;
    req.status_filter = ov_str(status ? status : "");
    req.name_filter = ov_str(name ? name : "");
    req.limit = limit;
    return req;
}

static int list_err(worker_t *w, const ipc_room_list_t *req)
{
    list_reply_t rep;
    list_call(w, req, &rep);
    int err = rep.m.err;
    ipc_frame_free(&rep.f);
    return err;
}

/* Pages through one order and filter with `limit` rooms per page and
 * checks every room once, in the exact expected order. */
static void check_paging(worker_t *w, int sort, bool desc, const char *status,
                         const char *name, uint32_t limit)
{
    static const troom_t *want[NLIST];
    size_t nwant = expected(sort, desc, status, name, want);
    size_t got = 0;
    ipc_room_list_t req = list_req(sort, desc, status, name, limit);
    char cur_id[32], cur_name[64];
    for (int pages = 0;; pages++) {
        ASSERT(pages <= NLIST + 1);
        list_reply_t rep;
        list_call(w, &req, &rep);
        ASSERT_INT_EQ(rep.m.err, 0);
        ASSERT(rep.m.rooms.n <= limit);
        for (uint32_t i = 0; i < rep.m.rooms.n; i++, got++) {
            const ipc_room_t *r = &rep.m.rooms.items[i];
            if (got >= nwant || !view_is(r->room_id, want[got]->id))
                TEST__FAIL("%s %s status=%s name=%s: item %zu is %.*s, "
                           "expected %s",
                           sort_names[sort], desc ? "desc" : "asc",
                           status ? status : "-", name ? name : "-", got,
                           (int)r->room_id.len, r->room_id.ptr,
                           got < nwant ? want[got]->id : "(end)");
            ASSERT_VIEW(r->room_name, want[got]->name);
            ASSERT_INT_EQ(r->creation_date, want[got]->cd);
            ASSERT_INT_EQ(r->has_auto_deletion_date, want[got]->has_ad);
            if (want[got]->has_ad)
                ASSERT(r->auto_deletion_date == want[got]->ad);
            ASSERT_VIEW(r->status, want[got]->status);
            ASSERT_VIEW(r->config_json, DEFAULT_CONFIG);
        }
        bool more = rep.m.more;
        if (more) {
            ASSERT_UINT_EQ(rep.m.rooms.n, limit);
            const ipc_room_t *last = &rep.m.rooms.items[limit - 1];
            snprintf(cur_id, sizeof(cur_id), "%.*s", (int)last->room_id.len,
                     last->room_id.ptr);
            snprintf(cur_name, sizeof(cur_name), "%.*s",
                     (int)last->room_name.len, last->room_name.ptr);
            req.has_cursor = true;
            req.cursor_id = ov_str(cur_id);
            req.cursor_str = ov_str(cur_name);
            req.cursor_has_value = sort != 2 || last->has_auto_deletion_date;
            req.cursor_num = sort == 0   ? (double)last->creation_date
                             : sort == 2 ? last->auto_deletion_date
                                         : 0.0;
        }
        ipc_frame_free(&rep.f);
        if (!more)
            break;
    }
    ASSERT_UINT_EQ(got, nwant);
}

static void test_list(void)
{
    static const char *const names[] = {
        "Alpha",    "alpha",    "ALPHA team",  "Beta (x)", "beta",
        "50% off",  "100%",     "under_score", "plain",    "Zeta",
        "zeta_(2)", "a%b_c(d)", "xalphay",     "Room",     "room",
        "x%_y",     "gamma",    "Gamma",       "a",        "ab"};
    worker_t w;
    const char *dir = new_dir();
    start(&w, dir);

    /* Ids in an order unrelated to creation, with ties on every key. */
    ov_buf_t b = OV_BUF_INIT;
    uint64_t first = next_req;
    for (int i = 0; i < NLIST; i++) {
        troom_t *t = &trooms[i];
        snprintf(t->id, sizeof(t->id), "r%c-%03d", 'a' + (i * 7) % 26,
                 (i * 131) % NLIST);
        t->name = names[(i * 13) % (int)(sizeof(names) / sizeof(names[0]))];
        t->cd = 1700000000000LL + (i * 7919) % 50;
        t->has_ad = i % 3 != 0;
        t->ad = 1800000000000.0 + (i % 20) * 0.5;
        t->status = i % 5 == 0   ? "active_meeting"
                    : i % 7 == 0 ? "closed"
                                 : "open";
        ipc_room_t r = room_new(t->id, t->name);
        r.creation_date = t->cd;
        r.has_auto_deletion_date = t->has_ad;
        r.auto_deletion_date = t->ad;
        r.status = ov_str(t->status);
        ipc_room_create_t m = {0};
        m.room = r;
        ipc_room_create_encode(&b, next_req++, &m);
    }
    send_buf(&w, &b);
    ov_buf_free(&b);
    for (int i = 0; i < NLIST; i++) {
        reply_t rep;
        reply_recv(&w, first + (uint64_t)i, &rep);
        ASSERT_INT_EQ(rep.m.err, 0);
        reply_free(&rep);
    }

    static const char *const filters[][2] = {
        {NULL, NULL},     {"open", NULL},     {"active_meeting", NULL},
        {"closed", NULL}, {NULL, "alpha"},    {NULL, "ALPHA"},
        {NULL, "%"},      {NULL, "_"},        {NULL, "("},
        {NULL, "%_"},     {NULL, "b_c("},     {NULL, "zzz"},
        {"open", "a"},    {"closed", "ZeTa"},
    };
    for (int sort = 0; sort < 3; sort++) {
        for (int desc = 0; desc < 2; desc++) {
            for (size_t k = 0; k < sizeof(filters) / sizeof(filters[0]); k++)
                check_paging(&w, sort, desc, filters[k][0], filters[k][1], 7);
            check_paging(&w, sort, desc, NULL, NULL, 1);
            check_paging(&w, sort, desc, NULL, NULL, 1000);
            check_paging(&w, sort, desc, "open", NULL, 100);
        }
    }

    /* limit 0: no rooms, but whether any match. */
    list_reply_t rep;
    ipc_room_list_t req = list_req(0, true, NULL, NULL, 0);
    list_call(&w, &req, &rep);
    ASSERT_INT_EQ(rep.m.err, 0);
    ASSERT_UINT_EQ(rep.m.rooms.n, 0);
    ASSERT_INT_EQ(rep.m.more, true);
    ipc_frame_free(&rep.f);
    req = list_req(1, false, NULL, "zzz", 0);
    list_call(&w, &req, &rep);
    ASSERT_UINT_EQ(rep.m.rooms.n, 0);
    ASSERT_INT_EQ(rep.m.more, false);
    ipc_frame_free(&rep.f);

    /* A cursor without a value stands before every creation date in
     * ascending order and after all of them in descending order. */
    req = list_req(0, false, NULL, NULL, 1000);
    req.has_cursor = true;
    req.cursor_id = ov_str("zzz");
    list_call(&w, &req, &rep);
    ASSERT_UINT_EQ(rep.m.rooms.n, NLIST);
    ipc_frame_free(&rep.f);
    req.sort_desc = true;
    list_call(&w, &req, &rep);
    ASSERT_INT_EQ(rep.m.err, 0);
    ASSERT_UINT_EQ(rep.m.rooms.n, 0);
    ASSERT_INT_EQ(rep.m.more, false);
    ipc_frame_free(&rep.f);
    /* On autoDeletionDate, it is a position among the rooms without one. */
    req = list_req(2, false, NULL, NULL, 1000);
    req.has_cursor = true;
    req.cursor_id = ov_str("");
    list_call(&w, &req, &rep);
    ASSERT_UINT_EQ(rep.m.rooms.n, NLIST);
    ipc_frame_free(&rep.f);
    req.cursor_id = ov_str("\x7f");
    list_call(&w, &req, &rep);
    ASSERT_UINT_EQ(rep.m.rooms.n, NLIST - NLIST / 3);
    ipc_frame_free(&rep.f);

    /* Hostile or invalid requests. */
    req = list_req(0, false, NULL, "\xff\xfe\0", 10);
    req.name_filter.len = 3;
    list_call(&w, &req, &rep);
    ASSERT_INT_EQ(rep.m.err, 0);
    ASSERT_UINT_EQ(rep.m.rooms.n, 0);
    ipc_frame_free(&rep.f);
    req = list_req(0, false, NULL, NULL, 10);
    req.sort_field = ov_str("roomId");
    ASSERT_INT_EQ(list_err(&w, &req), OV_EINVAL);
    req.sort_field = ov_str("");
    ASSERT_INT_EQ(list_err(&w, &req), OV_EINVAL);
    req = list_req(0, false, NULL, NULL, 1001);
    ASSERT_INT_EQ(list_err(&w, &req), OV_EINVAL);
    req = list_req(0, false, NULL, NULL, UINT32_MAX);
    ASSERT_INT_EQ(list_err(&w, &req), OV_EINVAL);
    req = list_req(0, false, "deleted", NULL, 10);
    ASSERT_INT_EQ(list_err(&w, &req), OV_EINVAL);
    req = list_req(2, false, NULL, NULL, 10);
    req.has_cursor = req.cursor_has_value = true;
    req.cursor_num = NAN;
    ASSERT_INT_EQ(list_err(&w, &req), OV_EINVAL);
    req.cursor_num = INFINITY;
    list_call(&w, &req, &rep);
    ASSERT_INT_EQ(rep.m.err, 0);
    ASSERT_UINT_EQ(rep.m.rooms.n, 0);
    ipc_frame_free(&rep.f);
    stop(&w);

    /* The same pages after a restart. */
    start(&w, dir);
    check_paging(&w, 2, true, NULL, NULL, 7);
    check_paging(&w, 1, false, "open", "a", 7);
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
    TEST_RUN(test_create_get);
    TEST_RUN(test_durability);
    TEST_RUN(test_update_config);
    TEST_RUN(test_set_status);
    TEST_RUN(test_delete_without_recordings);
    TEST_RUN(test_delete_with_recordings);
    TEST_RUN(test_list);
    TEST_RUN(test_batch);
    cleanup();
    return 0;
}
