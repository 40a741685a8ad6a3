/* gw_rec_access: who may read a recording; see gw_rec_access.h.
 *
 * The order follows the reference (BEHAVIOUR.md §7.6): with a secret the
 * record is fetched first, so an unknown recording is a 404 before any
 * credential is looked at; without one the API key is checked first, so
 * an anonymous client learns nothing about which recordings exist. */
#include "gw_rec_access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_auth.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

typedef struct {
    gw_ctx_t *ctx;
    char *recording_id;
    char *secret; /* NULL when the API key was checked instead */
    char *operation;
    gw_rec_access_cb cb;
    void *data;
} access_op_t;

static void op_free(access_op_t *op)
{
    free(op->recording_id);
    free(op->secret);
    free(op->operation);
    free(op);
}

/* Answers a failed lookup: the reference's 404, the 503 class as it is
 * (the shard is down or busy, the client may retry), anything else a 500
 * naming the operation. Frees `op`. */
static void fail(access_op_t *op, int err)
{
    gw_ctx_t *ctx = op->ctx;
    char msg[1024];

    if (err == OV_ENOREC) {
        snprintf(msg, sizeof(msg), "Recording '%s' not found",
                 op->recording_id);
        gw_ctx_send_error(ctx, 404, "Recording Error", msg, NULL);
    } else if (ov_err_http_status(err) == 503) {
        gw_ctx_send_err(ctx, err, NULL);
    } else {
        ov_warn("recordings: %s failed: %s", op->operation, ov_strerror(err));
        snprintf(msg, sizeof(msg), "Unexpected error while %s", op->operation);
        gw_ctx_send_error(ctx, 500, "Internal Server Error", msg, NULL);
    }
    op_free(op);
}

static int secret_is(const char *secret, ov_str_t stored)
{
    return stored.len > 0 &&
           ov_ct_equal(secret, strlen(secret), stored.ptr, stored.len);
}

static void get_reply_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    access_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;

    if (err == 0 && reply->err != 0)
        err = reply->err;
    if (err != 0) {
        fail(op, err);
        return;
    }
    if (op->secret != NULL) {
        const ipc_rec_t *rec = &reply->rec;
        if (secret_is(op->secret, rec->public_secret)) {
            /* Anonymous access; credentials sent along are ignored. */
        } else if (secret_is(op->secret, rec->private_secret)) {
            /* It needs a user's access token, which meetd does not issue:
             * an API key alone does not do (§7.6 rule 3). */
            gw_ctx_send_err(ctx, OV_EUNAUTH, NULL);
            op_free(op);
            return;
        } else {
            char msg[1024];
            snprintf(msg, sizeof(msg),
                     "Secret '%s' is not recognized for recording '%s'",
                     op->secret, op->recording_id);
            gw_ctx_send_error(ctx, 400, "Recording Error", msg, NULL);
            op_free(op);
            return;
        }
    }
    gw_rec_access_cb cb = op->cb;
    void *cb_data = op->data;
    op_free(op);
    cb(ctx, &reply->rec, cb_data);
}

void gw_rec_access(gw_ctx_t *ctx, const char *recording_id, const char *room_id,
                   const char *secret, const char *operation,
                   gw_rec_access_cb cb, void *data)
{
    access_op_t *op;
    int rc;

    if (secret == NULL || secret[0] == '\0') {
        rc = gw_auth_check_api_key(ctx->app->api_key,
                                   gw_req_header(ctx->req, "x-api-key"));
        if (rc != 0) {
            gw_ctx_send_err(ctx, rc, NULL);
            return;
        }
        secret = NULL;
    }
    op = ov_xcalloc(1, sizeof(*op));
    op->ctx = ctx;
    op->recording_id = ov_xstrdup(recording_id);
    op->secret = secret ? ov_xstrdup(secret) : NULL;
    op->operation = ov_xstrdup(operation);
    op->cb = cb;
    op->data = data;

    ipc_rec_get_t m = {.recording_id = ov_str(op->recording_id)};
    rc = gw_shard_rec_get(
        ctx->app->pool,
        ov_shard_of(room_id, strlen(room_id), gw_pool_size(ctx->app->pool)), &m,
        get_reply_cb, op);
    if (rc != 0)
        fail(op, rc);
}
