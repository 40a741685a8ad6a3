/* wk_system: handlers on the system database; see wk_system.h. */
#include "wk_system.h"

#include "ov_err.h"
#include "ov_util.h"

int wk_system_apikey_ensure(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                            ov_buf_t *out)
{
    (void)ctx;
    ipc_apikey_ensure_t req;
    if (ipc_apikey_ensure_decode(f, &req) != 0)
        return OV_EPROTO;

    /* The stored key wins: the gateway proposes a candidate on every start,
     * and only the first one ever stored may become the key. */
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_APIKEY_GET);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ipc_apikey_ensure_reply_t rep = {0};
        rep.err = 0;
        rep.key.ptr = (const char *)sqlite3_column_text(st, 0);
        rep.key.len = (size_t)sqlite3_column_bytes(st, 0);
        rep.created = false;
        /* The column text is valid until the reset below. */
        ipc_apikey_ensure_reply_encode(out, f->req_id, &rep);
        sqlite3_reset(st);
        return 0;
    }
    if (rc != SQLITE_DONE) {
        int err = wk_db_fail(db, "reading api_keys");
        sqlite3_reset(st);
        return err;
    }
    sqlite3_reset(st);

    if (req.candidate.len == 0)
        return OV_EINVAL;

    st = wk_db_stmt(db, WK_STMT_APIKEY_INSERT);
    /* The frame outlives the step, so SQLite may borrow its bytes. */
    sqlite3_bind_text(st, 1, req.candidate.ptr, (int)req.candidate.len,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ov_time_now_ms());
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        int err = wk_db_fail(db, "inserting into api_keys");
        sqlite3_reset(st);
        return err;
    }
    sqlite3_reset(st);

    ipc_apikey_ensure_reply_t rep = {0};
    rep.err = 0;
    rep.key = req.candidate;
    rep.created = true;
    ipc_apikey_ensure_reply_encode(out, f->req_id, &rep);
    return 0;
}
