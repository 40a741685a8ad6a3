/*
 * wk_serve: a worker's serve loop, from bytes on the IPC channel to replies.
 *
 * The loop poll()s the channel, reads what is available, cuts every whole
 * frame and dispatches each through a table from message type to handler.
 * Only messages the gateway may send (IPC_GW2WK) are in the table; any other
 * type, or a frame or body that fails to decode, is a protocol violation and
 * ends the loop (the gateway then answers the worker's in-flight requests
 * with 503 and respawns it).
 *
 * Group commit: the operation requests (ids 100 and up) cut from one read run
 * in one transaction per database, each inside its own savepoint so that a
 * request that fails rolls back alone. Replies are written only after COMMIT
 * succeeds; if it fails, every reply of that database's requests in the batch
 * becomes OV_ESTORAGE. All replies of a batch leave in one write.
 */
#ifndef WK_SERVE_H
#define WK_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc.h"
#include "wk_db.h"

/** Exit statuses of a worker; the gateway reads them. */
enum {
    WK_EXIT_OK = 0,        /* SHUTDOWN or the gateway closed the channel */
    WK_EXIT_IO = 1,        /* the channel failed */
    WK_EXIT_PROTOCOL = 2,  /* the gateway broke the protocol */
    WK_EXIT_PERMANENT = 3, /* bad arguments or database: do not respawn */
};

/** What a worker serves with. Caller-allocated; the loop borrows it. */
typedef struct wk_ctx_s {
    int fd;         /* the IPC channel */
    uint32_t shard; /* this worker's shard index */
    /* Indexed by wk_db_kind_t; a database that is not open is zeroed. */
    wk_db_t dbs[WK_DB__KINDS];
    bool stopping; /* set by SHUTDOWN */
} wk_ctx_t;

/**
 * A request handler. `db` is the database the table assigns to the message
 * (NULL for control messages); for operations it is inside a transaction and
 * a savepoint that the loop owns. `f` is borrowed for the call.
 *
 * Returns 0 after appending exactly one reply frame (echoing f->req_id) to
 * `out` (none for a message without a reply type); or an ov_err code with
 * nothing appended, which the loop answers with an error reply; or OV_EPROTO
 * if the body does not decode, which ends the loop as a protocol violation.
 */
typedef int (*wk_handler_fn)(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                             ov_buf_t *out);

/** Sends READY {IPC_PROTO_VERSION, shard, pid}. Returns 0, or -1 with
 *  errno set if the channel could not be written. */
int wk_serve_send_ready(wk_ctx_t *ctx);

/** Serves until SHUTDOWN, end of file, a channel error or a protocol
 *  violation. Returns the WK_EXIT_* status the process should exit with;
 *  the caller closes the databases. The reason is logged here. */
int wk_serve_run(wk_ctx_t *ctx);

#endif
