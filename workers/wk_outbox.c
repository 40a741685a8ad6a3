/* wk_outbox: the webhook outbox of a shard; see wk_outbox.h. */
#include "wk_outbox.h"

#include <stdlib.h>
#include <string.h>

#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"
#include "wk_rooms.h"

/* Positions of the WK_OUTBOX_COLS columns in a result row. */
enum {
    COL_SEQ,
    COL_ROOM_ID,
    COL_EVENT,
    COL_CREATION_DATE,
    COL_ATTEMPTS,
    COL_HAS_REC,
    COL_PAYLOAD,
};

/* Process memory on purpose: the gateway owns the configuration and tells
 * every worker after READY, so a restarted worker must not act on a value
 * from its previous life. */
static bool webhooks_enabled;

/* ---- appending --------------------------------------------------------- */

/* Stores one entry whose data is the frame in `frame` (length prefix
 * included, as the ipc encoders write it). */
static int outbox_insert(wk_db_t *db, const char *event, ov_str_t room_id,
                         bool has_rec, const ov_buf_t *frame)
{
    /* The stored payload is the frame without its length prefix, which is
     * what ipc_frame_parse() reads back. */
    OV_ASSERT(frame->len > 4);
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_OUTBOX_INSERT);
    wk__bind_str(st, 1, room_id);
    sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ov_time_now_ms());
    sqlite3_bind_int(st, 4, has_rec ? 1 : 0);
    sqlite3_bind_blob(st, 5, frame->data + 4, (int)(frame->len - 4),
                      SQLITE_STATIC);
    return wk__step_done(db, st, "appending to the outbox");
}

int wk_outbox_add_room(wk_db_t *db, const char *event, const ipc_room_t *room)
{
    if (!webhooks_enabled)
        return 0;
    /* A ROOM_REPLY frame carries exactly one room record and has a strict
     * decoder already, so the codec of ipc/ is the payload format too. */
    ipc_room_reply_t m;
    memset(&m, 0, sizeof(m));
    m.room = *room;
    ov_buf_t frame = OV_BUF_INIT;
    ipc_room_reply_encode(&frame, 0, &m);
    int err = outbox_insert(db, event, room->room_id, false, &frame);
    ov_buf_free(&frame);
    return err;
}

int wk_outbox_add_rec(wk_db_t *db, const char *event, const ipc_rec_t *rec)
{
    if (!webhooks_enabled)
        return 0;
    ipc_rec_reply_t m;
    memset(&m, 0, sizeof(m));
    m.rec = *rec;
    ov_buf_t frame = OV_BUF_INIT;
    ipc_rec_reply_encode(&frame, 0, &m);
    int err = outbox_insert(db, event, rec->room_id, true, &frame);
    ov_buf_free(&frame);
    return err;
}

/* ---- WEBHOOKS_STATE ---------------------------------------------------- */

int wk_outbox_webhooks_state(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                             ov_buf_t *out)
{
    (void)ctx;
    (void)db;
    ipc_webhooks_state_t req;
    if (ipc_webhooks_state_decode(f, &req) != 0)
        return OV_EPROTO;
    if (req.enabled != webhooks_enabled)
        ov_info("webhook events %s", req.enabled ? "enabled" : "disabled");
    webhooks_enabled = req.enabled;
    ipc_ack_t rep;
    memset(&rep, 0, sizeof(rep));
    ipc_ack_encode(out, f->req_id, &rep);
    return 0;
}

/* ---- OUTBOX_FETCH ------------------------------------------------------ */

/* The entries of one reply. Each entry's strings live in its own block and
 * its record in its own frame (the stored payload, parsed), all freed
 * after the reply is encoded. */
typedef struct {
    ipc_outbox_t *items;
    char **blocks;
    ipc_frame_t *frames;
    uint32_t n, cap;
} wk_entries_t;

static void entries_free(wk_entries_t *v)
{
    for (uint32_t i = 0; i < v->n; i++) {
        free(v->blocks[i]);
        ipc_frame_free(&v->frames[i]);
    }
    free(v->items);
    free(v->blocks);
    free(v->frames);
    memset(v, 0, sizeof(*v));
}

/* Reads entry `seq` into the next slot of `v`. Sets *bytes to its payload
 * size. An entry that is gone or whose payload does not decode is skipped
 * (*bytes = 0); only SQLite failing is an error. */
static int entry_load(wk_db_t *db, int64_t seq, wk_entries_t *v, size_t *bytes)
{
    *bytes = 0;
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_OUTBOX_GET);
    sqlite3_bind_int64(st, 1, seq);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int err = rc == SQLITE_DONE ? 0 : wk_db_fail(db, "reading the outbox");
        sqlite3_reset(st);
        return err;
    }
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 16;
        v->items = ov_xrealloc(v->items, v->cap * sizeof(*v->items));
        v->blocks = ov_xrealloc(v->blocks, v->cap * sizeof(*v->blocks));
        v->frames = ov_xrealloc(v->frames, v->cap * sizeof(*v->frames));
    }
    ipc_outbox_t *e = &v->items[v->n];
    ipc_frame_t *fr = &v->frames[v->n];
    memset(e, 0, sizeof(*e));
    e->seq = sqlite3_column_int64(st, COL_SEQ);
    e->creation_date = sqlite3_column_int64(st, COL_CREATION_DATE);
    int64_t attempts = sqlite3_column_int64(st, COL_ATTEMPTS);
    e->attempts = attempts < 0            ? 0
                  : attempts > UINT32_MAX ? UINT32_MAX
                                          : (uint32_t)attempts;
    e->has_rec = sqlite3_column_int(st, COL_HAS_REC) != 0;

    /* The payload is parsed into a frame of its own (which copies it), and
     * the record's strings are views into that frame. */
    const char *p = sqlite3_column_blob(st, COL_PAYLOAD);
    size_t len = (size_t)sqlite3_column_bytes(st, COL_PAYLOAD);
    bool ok = p != NULL && ipc_frame_parse(p, len, fr) == 0;
    if (ok) {
        if (e->has_rec) {
            ipc_rec_reply_t m;
            ok = ipc_rec_reply_decode(fr, &m) == 0;
            e->rec = m.rec;
        } else {
            ipc_room_reply_t m;
            ok = ipc_room_reply_decode(fr, &m) == 0;
            e->room = m.room;
        }
        if (!ok)
            ipc_frame_free(fr);
    }
    if (!ok) {
        /* Only a damaged file gets here, since the worker wrote the
         * payload with the same codec; delivering a guess would be worse
         * than holding the room back, and the log says which entry. */
        ov_error("%s: outbox entry %lld has an undecodable payload; it is "
                 "not delivered",
                 db->path, (long long)e->seq);
        sqlite3_reset(st);
        return 0;
    }

    ov_str_t room_id = wk__col_str(st, COL_ROOM_ID);
    ov_str_t event = wk__col_str(st, COL_EVENT);
    char *block = ov_xmalloc(room_id.len + event.len + 1);
    memcpy(block, room_id.ptr, room_id.len);
    memcpy(block + room_id.len, event.ptr, event.len);
    e->room_id = (ov_str_t){block, room_id.len};
    e->event = (ov_str_t){block + room_id.len, event.len};
    v->blocks[v->n] = block;
    v->n++;
    *bytes = len + room_id.len + event.len;
    sqlite3_reset(st);
    return 0;
}

static int counts_read(wk_db_t *db, int64_t *backlog, int64_t *dead)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_OUTBOX_COUNTS);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        *backlog = sqlite3_column_int64(st, 0);
        *dead = sqlite3_column_int64(st, 1);
    } else {
        err = wk_db_fail(db, "reading the outbox counts");
    }
    sqlite3_reset(st);
    return err;
}

static int str_cmp_cb(const void *a, const void *b)
{
    return ov_str_cmp(*(const ov_str_t *)a, *(const ov_str_t *)b);
}

int wk_outbox_fetch(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                    ov_buf_t *out)
{
    (void)ctx;
    ipc_outbox_fetch_t req;
    if (ipc_outbox_fetch_decode(f, &req) != 0)
        return OV_EPROTO;
    if (req.limit > WK_OUTBOX_FETCH_MAX)
        return OV_EINVAL;

    /* A sorted copy of the busy rooms, for lookups by bsearch; the views
     * point into the request frame, which outlives the call. */
    size_t nbusy = req.busy.n;
    ov_str_t *busy = NULL;
    if (nbusy > 0) {
        busy = ov_xmalloc(nbusy * sizeof(*busy));
        memcpy(busy, req.busy.items, nbusy * sizeof(*busy));
        qsort(busy, nbusy, sizeof(*busy), str_cmp_cb);
    }

    /* First the due heads' sequence numbers, then each entry by its key:
     * the sort then moves small index rows, never payloads. Each room has
     * one head, so `limit` + the busy rooms' count rows always suffice. */
    int64_t *seqs = NULL;
    uint32_t nseq = 0;
    int err = 0;
    if (req.limit > 0) {
        seqs = ov_xmalloc(req.limit * sizeof(*seqs));
        sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_OUTBOX_DUE);
        sqlite3_bind_int64(st, 1, req.now_ms);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)req.limit + (int64_t)nbusy);
        int rc = SQLITE_DONE;
        while (nseq < req.limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            ov_str_t room = wk__col_str(st, 1);
            if (nbusy > 0 &&
                bsearch(&room, busy, nbusy, sizeof(*busy), str_cmp_cb))
                continue;
            seqs[nseq++] = sqlite3_column_int64(st, 0);
        }
        if (nseq < req.limit && rc != SQLITE_DONE)
            err = wk_db_fail(db, "selecting due outbox entries");
        sqlite3_reset(st);
    }

    wk_entries_t v;
    memset(&v, 0, sizeof(v));
    size_t total = 0;
    for (uint32_t i = 0; err == 0 && i < nseq; i++) {
        size_t bytes;
        err = entry_load(db, seqs[i], &v, &bytes);
        total += bytes;
        if (total >= WK_OUTBOX_REPLY_BUDGET)
            break;
    }

    ipc_outbox_fetch_reply_t rep;
    memset(&rep, 0, sizeof(rep));
    if (err == 0)
        err = counts_read(db, &rep.backlog, &rep.dead);
    if (err == 0) {
        rep.entries.items = v.items;
        rep.entries.n = v.n;
        ipc_outbox_fetch_reply_encode(out, f->req_id, &rep);
    }
    entries_free(&v);
    free(seqs);
    free(busy);
    return err;
}

/* ---- OUTBOX_DONE ------------------------------------------------------- */

/* Runs OUTBOX_DELETE or OUTBOX_KILL on `seq` and, when the entry left the
 * pending set, makes the next entry of its room the head. Returns 0,
 * OV_EINVAL for no pending entry `seq`, or OV_ESTORAGE. */
static int entry_leave(wk_db_t *db, wk_stmt_id_t id, int64_t seq)
{
    sqlite3_stmt *st = wk_db_stmt(db, id);
    sqlite3_bind_int64(st, 1, seq);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int err = rc == SQLITE_DONE
                      ? OV_EINVAL
                      : wk_db_fail(db, "removing an outbox entry");
        sqlite3_reset(st);
        return err;
    }
    /* A copy: the next statement must not bind a row that reset frees. */
    ov_str_t v = wk__col_str(st, 0);
    char *room = ov_xstrndup(v.ptr, v.len);
    size_t room_len = v.len;
    sqlite3_reset(st);

    st = wk_db_stmt(db, WK_STMT_OUTBOX_UNBLOCK);
    wk__bind_str(st, 1, (ov_str_t){room, room_len});
    int err = wk__step_done(db, st, "advancing a room's outbox");
    free(room);
    return err;
}

int wk_outbox_done(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                   ov_buf_t *out)
{
    (void)ctx;
    ipc_outbox_done_t req;
    if (ipc_outbox_done_decode(f, &req) != 0)
        return OV_EPROTO;

    int err;
    if (req.delivered || req.dead) {
        err = entry_leave(
            db, req.delivered ? WK_STMT_OUTBOX_DELETE : WK_STMT_OUTBOX_KILL,
            req.seq);
    } else {
        sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_OUTBOX_RETRY);
        sqlite3_bind_int64(st, 1, req.seq);
        sqlite3_bind_int64(st, 2, req.next_attempt_ms);
        err = wk__step_done(db, st, "rescheduling an outbox entry");
        if (err == 0 && sqlite3_changes(db->db) == 0)
            err = OV_EINVAL;
    }
    if (err == 0) {
        ipc_ack_t rep;
        memset(&rep, 0, sizeof(rep));
        ipc_ack_encode(out, f->req_id, &rep);
    }
    return err;
}
