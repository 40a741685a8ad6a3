/* wk_system: handlers on the system database; see wk_system.h. */
#include "wk_system.h"

#include <string.h>

#include "ov_err.h"
#include "ov_util.h"
#include "wk_rooms.h"

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

/* Replies with the stored webhook configuration (none: disabled, no URL). */
static int webhook_config_reply(wk_db_t *db, ov_buf_t *out, uint64_t req_id)
{
    sqlite3_stmt *st = wk_db_stmt(db, WK_STMT_WEBHOOK_CONFIG_GET);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        int err = wk_db_fail(db, "reading webhook_config");
        sqlite3_reset(st);
        return err;
    }
    ipc_webhook_config_reply_t rep;
    memset(&rep, 0, sizeof(rep));
    rep.url = OV_STR_LIT("");
    if (rc == SQLITE_ROW) {
        rep.enabled = sqlite3_column_int(st, 0) != 0;
        rep.url = wk__col_str(st, 1);
    }
    /* The column text is valid until the reset below. */
    ipc_webhook_config_reply_encode(out, req_id, &rep);
    sqlite3_reset(st);
    return 0;
}

int wk_system_webhook_config_get(wk_ctx_t *ctx, wk_db_t *db,
                                 const ipc_frame_t *f, ov_buf_t *out)
{
    (void)ctx;
    ipc_webhook_config_get_t req;
    if (ipc_webhook_config_get_decode(f, &req) != 0)
        return OV_EPROTO;
    return webhook_config_reply(db, out, f->req_id);
}

int wk_system_webhook_config_set(wk_ctx_t *ctx, wk_db_t *db,
                                 const ipc_frame_t *f, ov_buf_t *out)
{
    (void)ctx;
    ipc_webhook_config_set_t req;
    if (ipc_webhook_config_set_decode(f, &req) != 0)
        return OV_EPROTO;
    if (!wk__text_ok(req.url, WK_WEBHOOK_MAX_URL))
        return OV_EINVAL;

    sqlite3_stmt *st = wk_db_stmt(db, req.init ? WK_STMT_WEBHOOK_CONFIG_INIT
                                               : WK_STMT_WEBHOOK_CONFIG_PUT);
    sqlite3_bind_int(st, 1, req.enabled ? 1 : 0);
    /* The frame outlives the step, so SQLite may borrow its bytes. */
    wk__bind_str(st, 2, req.url);
    int err = wk__step_done(db, st, "writing webhook_config");
    if (err != 0)
        return err;
    return webhook_config_reply(db, out, f->req_id);
}
