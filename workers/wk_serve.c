/* wk_serve: the worker's serve loop and dispatch table; see wk_serve.h. */
#include "wk_serve.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ov_err.h"
#include "ov_log.h"
#include "wk_meetings.h"
#include "wk_outbox.h"
#include "wk_recordings.h"
#include "wk_rooms.h"
#include "wk_system.h"

/* The most read from the channel at once. A bigger read lets more requests
 * share one group commit; 256 KiB holds thousands of small ones. */
#define WK_READ_MAX (256 * 1024)

/* ---- control handlers ------------------------------------------------- */

static int handle_ping(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                       ov_buf_t *out)
{
    (void)db;
    ipc_ping_t req;
    if (ipc_ping_decode(f, &req) != 0)
        return OV_EPROTO;
    /* A PING checks the database as well as the process: a worker whose
     * file has become unreadable answers, but says so. */
    ipc_pong_t rep = {0};
    rep.err = wk_db_probe(&ctx->dbs[WK_DB_SHARD]) == 0 ? 0 : OV_ESTORAGE;
    rep.nonce = req.nonce;
    ipc_pong_encode(out, f->req_id, &rep);
    return 0;
}

static int handle_shutdown(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                           ov_buf_t *out)
{
    (void)db;
    (void)out;
    ipc_shutdown_t req;
    if (ipc_shutdown_decode(f, &req) != 0)
        return OV_EPROTO;
    ctx->stopping = true;
    return 0;
}

/* ---- dispatch table --------------------------------------------------- */

typedef struct {
    uint32_t type;
    /* For operations (ids >= 100): the database they run on, inside the
     * batch's transaction. Ignored for control messages. */
    wk_db_kind_t db;
    wk_handler_fn fn;
    /* A read-only operation needs no transaction of its own: before the
     * batch's first write it runs in autocommit, after it inside the open
     * transaction (seeing the batch's writes), never in a savepoint. */
    bool readonly;
} wk_route_t;

/* Every message a worker accepts. Adding an operation means adding its row
 * here and its handler in the file of its family. */
static const wk_route_t routes[] = {
    {IPC_MSG_PING, WK_DB_SHARD, handle_ping, false},
    {IPC_MSG_SHUTDOWN, WK_DB_SHARD, handle_shutdown, false},
    {IPC_MSG_APIKEY_ENSURE, WK_DB_SYSTEM, wk_system_apikey_ensure, false},
    {IPC_MSG_ROOM_CREATE, WK_DB_SHARD, wk_room_create, false},
    {IPC_MSG_ROOM_GET, WK_DB_SHARD, wk_room_get, true},
    {IPC_MSG_ROOM_UPDATE_CONFIG, WK_DB_SHARD, wk_room_update_config, false},
    {IPC_MSG_ROOM_SET_STATUS, WK_DB_SHARD, wk_room_set_status, false},
    {IPC_MSG_ROOM_DELETE, WK_DB_SHARD, wk_room_delete, false},
    {IPC_MSG_ROOM_LIST, WK_DB_SHARD, wk_room_list, true},
    {IPC_MSG_MEETING_EVENT, WK_DB_SHARD, wk_meeting_event, false},
    {IPC_MSG_ROOMS_EXPIRE, WK_DB_SHARD, wk_rooms_expire, false},
    {IPC_MSG_REC_START, WK_DB_SHARD, wk_rec_start, false},
    {IPC_MSG_REC_UNLOCK, WK_DB_SHARD, wk_rec_unlock, false},
    {IPC_MSG_REC_EVENT, WK_DB_SHARD, wk_rec_event, false},
    {IPC_MSG_REC_GET, WK_DB_SHARD, wk_rec_get, true},
    {IPC_MSG_REC_DELETE, WK_DB_SHARD, wk_rec_delete, false},
    {IPC_MSG_REC_LIST, WK_DB_SHARD, wk_rec_list, true},
    {IPC_MSG_REC_ABORT_STALE, WK_DB_SHARD, wk_rec_abort_stale, false},
    /* WEBHOOKS_STATE only sets a flag; "read-only" keeps it from opening a
     * write transaction, while leaving its place in the batch's order. */
    {IPC_MSG_WEBHOOKS_STATE, WK_DB_SHARD, wk_outbox_webhooks_state, true},
    {IPC_MSG_OUTBOX_FETCH, WK_DB_SHARD, wk_outbox_fetch, true},
    {IPC_MSG_OUTBOX_DONE, WK_DB_SHARD, wk_outbox_done, false},
    {IPC_MSG_WEBHOOK_CONFIG_GET, WK_DB_SYSTEM, wk_system_webhook_config_get,
     true},
    {IPC_MSG_WEBHOOK_CONFIG_SET, WK_DB_SYSTEM, wk_system_webhook_config_set,
     false},
};

static const wk_route_t *route_find(uint32_t type)
{
    /* The direction check keeps a mistaken table row from letting a worker
     * accept a message that only workers send. */
    if (ipc_msg_dir(type) != IPC_GW2WK)
        return NULL;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (routes[i].type == type)
            return &routes[i];
    }
    return NULL;
}

/* Decodes the frame with the decoder of its type, to reject a malformed body
 * before dispatch, whichever path (handler, error reply) the message then
 * takes. Handlers decode again into their own struct; that is cheap. */
static bool frame_valid(const ipc_frame_t *f)
{
    switch (f->type) {
#define WK__VALID(id, NAME, name, dir, FIELDS)                                 \
    case id: {                                                                 \
        ipc_##name##_t m;                                                      \
        return ipc_##name##_decode(f, &m) == 0;                                \
    }
        IPC_MSG_MAP(WK__VALID)
#undef WK__VALID
    }
    return false;
}

static bool is_operation(uint32_t type)
{
    return type >= 100;
}

/* ---- output ----------------------------------------------------------- */

/* Writes all `n` bytes at `p`, retrying on EINTR, on EAGAIN (fd 3 may be
 * non-blocking if the gateway made it so) and after partial writes. Returns
 * 0, or -1 with errno set. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                    return -1;
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int wk_serve_send_ready(wk_ctx_t *ctx)
{
    ov_buf_t out = OV_BUF_INIT;
    ipc_ready_t m = {0};
    m.proto_version = IPC_PROTO_VERSION;
    m.shard = ctx->shard;
    m.pid = (int64_t)getpid();
    ipc_ready_encode(&out, 0, &m);
    int rc = write_all(ctx->fd, out.data, out.len);
    int saved = errno;
    ov_buf_free(&out);
    errno = saved;
    return rc;
}

/* ---- one batch -------------------------------------------------------- */

/* One answered request of a batch: where its reply sits in the staging
 * buffer, and what to send instead if its transaction does not commit. */
typedef struct {
    uint32_t reply_type; /* 0: the message has no reply */
    uint64_t req_id;
    int db; /* wk_db_kind_t of its transaction, or -1 for none */
    size_t off, len;
} wk_item_t;

typedef struct {
    ipc_frame_t *frames;
    size_t nframes, cap;
    wk_item_t *items;
    size_t nitems, icap;
    ov_buf_t stage; /* replies as the handlers wrote them */
    ov_buf_t out;   /* replies as they will be sent */
    bool began[WK_DB__KINDS];
    bool failed[WK_DB__KINDS];
} wk_batch_t;

static void batch_reset(wk_batch_t *b)
{
    for (size_t i = 0; i < b->nframes; i++)
        ipc_frame_free(&b->frames[i]);
    b->nframes = 0;
    b->nitems = 0;
    ov_buf_reset(&b->stage);
    ov_buf_reset(&b->out);
    memset(b->began, 0, sizeof(b->began));
    memset(b->failed, 0, sizeof(b->failed));
}

static void batch_free(wk_batch_t *b)
{
    batch_reset(b);
    free(b->frames);
    free(b->items);
    ov_buf_free(&b->stage);
    ov_buf_free(&b->out);
    memset(b, 0, sizeof(*b));
}

static ipc_frame_t *batch_push_frame(wk_batch_t *b)
{
    if (b->nframes == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->frames = ov_xrealloc(b->frames, b->cap * sizeof(*b->frames));
    }
    return &b->frames[b->nframes++];
}

static void batch_push_item(wk_batch_t *b, const wk_item_t *it)
{
    if (b->nitems == b->icap) {
        b->icap = b->icap ? 2 * b->icap : 16;
        b->items = ov_xrealloc(b->items, b->icap * sizeof(*b->items));
    }
    b->items[b->nitems++] = *it;
}

/* Runs one operation inside its own savepoint of the batch's transaction on
 * `db`, opening that transaction on first use. Returns the handler's result,
 * or OV_ESTORAGE if the transaction is unusable. */
static int run_operation(wk_ctx_t *ctx, wk_batch_t *b, const wk_route_t *r,
                         const ipc_frame_t *f)
{
    wk_db_t *db = &ctx->dbs[r->db];
    if (r->readonly && !b->failed[r->db]) {
        size_t off = b->stage.len;
        int rc = r->fn(ctx, db, f, &b->stage);
        if (rc != 0)
            b->stage.len = off;
        return rc;
    }
    if (!b->began[r->db]) {
        b->began[r->db] = true;
        if (wk_db_run(db, WK_STMT_BEGIN) != 0)
            b->failed[r->db] = true;
    }
    if (b->failed[r->db])
        return OV_ESTORAGE;
    if (wk_db_run(db, WK_STMT_SAVEPOINT) != 0) {
        b->failed[r->db] = true;
        return OV_ESTORAGE;
    }

    size_t off = b->stage.len;
    int rc = r->fn(ctx, db, f, &b->stage);
    if (rc != 0) {
        b->stage.len = off; /* a failed handler's reply is never sent */
        if (wk_db_run(db, WK_STMT_ROLLBACK_TO) != 0 ||
            wk_db_run(db, WK_STMT_RELEASE) != 0)
            b->failed[r->db] = true;
    } else if (wk_db_run(db, WK_STMT_RELEASE) != 0) {
        b->failed[r->db] = true;
    }
    /* Some errors (SQLITE_FULL, SQLITE_IOERR, ...) make SQLite roll the
     * whole transaction back by itself; what the earlier requests of the
     * batch did is gone then, so none of them may be acknowledged. */
    if (!wk_db_in_txn(db))
        b->failed[r->db] = true;
    if (b->failed[r->db] && rc != OV_EPROTO)
        rc = OV_ESTORAGE;
    return rc;
}

/* Dispatches every frame of the batch, commits, and builds b->out. Returns
 * 0, or -1 after logging a protocol violation. */
static int batch_run(wk_ctx_t *ctx, wk_batch_t *b)
{
    for (size_t i = 0; i < b->nframes && !ctx->stopping; i++) {
        const ipc_frame_t *f = &b->frames[i];
        const wk_route_t *r = route_find(f->type);
        if (r == NULL) {
            ov_error("protocol violation: unexpected message %s (type %u) "
                     "from the gateway",
                     ipc_msg_name(f->type), f->type);
            return -1;
        }
        if (!frame_valid(f)) {
            ov_error("protocol violation: malformed %s (req_id %llu)",
                     ipc_msg_name(f->type), (unsigned long long)f->req_id);
            return -1;
        }

        wk_item_t it = {ipc_msg_reply_type(f->type), f->req_id, -1,
                        b->stage.len, 0};
        int rc;
        /* Lines logged while handling it name the HTTP request it serves. */
        ov_log_set_context(f->trace.ptr, f->trace.len);
        ov_debug("%s", ipc_msg_name(f->type));
        if (!is_operation(f->type)) {
            rc = r->fn(ctx, NULL, f, &b->stage);
        } else if (!wk_db_is_open(&ctx->dbs[r->db])) {
            /* The gateway routed this to a worker that does not own the
             * database: a gateway bug, but not a hostile message. */
            rc = OV_EINTERNAL;
        } else {
            it.db = (int)r->db;
            rc = run_operation(ctx, b, r, f);
        }
        ov_log_set_context(NULL, 0);
        if (rc == OV_EPROTO) {
            ov_error("protocol violation: malformed %s (req_id %llu)",
                     ipc_msg_name(f->type), (unsigned long long)f->req_id);
            return -1;
        }
        if (rc != 0) {
            OV_ASSERT(it.reply_type != 0);
            b->stage.len = it.off;
            ipc_error_reply_encode(&b->stage, it.reply_type, f->req_id, rc);
        }
        it.len = b->stage.len - it.off;
        batch_push_item(b, &it);
    }

    for (int k = 0; k < WK_DB__KINDS; k++) {
        if (!b->began[k])
            continue;
        wk_db_t *db = &ctx->dbs[k];
        if (!b->failed[k] && wk_db_run(db, WK_STMT_COMMIT) != 0)
            b->failed[k] = true;
        /* A failed COMMIT may leave the transaction open (SQLITE_BUSY);
         * rolling back returns the connection to a clean state. */
        if (b->failed[k] && wk_db_in_txn(db))
            (void)wk_db_run(db, WK_STMT_ROLLBACK);
    }

    for (size_t i = 0; i < b->nitems; i++) {
        const wk_item_t *it = &b->items[i];
        if (it->db >= 0 && b->failed[it->db])
            ipc_error_reply_encode(&b->out, it->reply_type, it->req_id,
                                   OV_ESTORAGE);
        else
            ov_buf_append(&b->out, b->stage.data + it->off, it->len);
    }
    return 0;
}

/* ---- the loop --------------------------------------------------------- */

int wk_serve_run(wk_ctx_t *ctx)
{
    ipc_reader_t rd;
    ipc_reader_init(&rd);
    wk_batch_t b;
    memset(&b, 0, sizeof(b));
    char *buf = ov_xmalloc(WK_READ_MAX);
    int status = WK_EXIT_OK;

    for (;;) {
        struct pollfd pfd = {.fd = ctx->fd, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            ov_error("poll() failed: %s", strerror(errno));
            status = WK_EXIT_IO;
            break;
        }
        ssize_t n = read(ctx->fd, buf, WK_READ_MAX);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            if (errno == ECONNRESET) {
                ov_info("gateway closed the channel; exiting");
                break;
            }
            ov_error("read() failed: %s", strerror(errno));
            status = WK_EXIT_IO;
            break;
        }
        if (n == 0) {
            ov_info("gateway closed the channel; exiting");
            break;
        }
        ipc_reader_feed(&rd, buf, (size_t)n);

        int rc;
        ipc_frame_t f;
        while ((rc = ipc_reader_next(&rd, &f)) == 1)
            *batch_push_frame(&b) = f;
        if (rc < 0) {
            ov_error("protocol violation: oversized or unparsable frame");
            status = WK_EXIT_PROTOCOL;
            break;
        }
        if (b.nframes == 0)
            continue;

        if (batch_run(ctx, &b) != 0) {
            status = WK_EXIT_PROTOCOL;
            break;
        }
        if (b.out.len > 0 && write_all(ctx->fd, b.out.data, b.out.len)) {
            if (errno == EPIPE || errno == ECONNRESET) {
                ov_info("gateway closed the channel; exiting");
            } else {
                ov_error("write() failed: %s", strerror(errno));
                status = WK_EXIT_IO;
            }
            break;
        }
        batch_reset(&b);
        if (ctx->stopping) {
            ov_info("shutdown requested; exiting");
            break;
        }
    }

    batch_free(&b);
    free(buf);
    ipc_reader_free(&rd);
    return status;
}
