/* gw_routes_system: GET /health, which pings every shard over IPC, and
 * GET /api/v1/openapi.yaml, meetd's API document (embedded at build time).
 *
 * The answer waits for every shard's PONG, but never longer than
 * HEALTH_TIMEOUT_MS: a shard that has not answered by then is reported
 * "unresponsive". The operation is reference-counted because PONGs may
 * arrive after the answer was sent. */
#include <stdlib.h>
#include <string.h>

#include "gw_app.h"
#include "gw_version.h"
#include "ov_err.h"
#include "ov_util.h"

#define HEALTH_TIMEOUT_MS 1000

typedef struct {
    gw_ctx_t *ctx; /* NULL once answered */
    json_t *workers;
    unsigned refs;
    unsigned waiting;
    int all_ok;
    uv_timer_t timer;
} health_op_t;

typedef struct {
    health_op_t *op;
    uint32_t shard;
    uint64_t t0;
} health_ping_t;

static void health_unref(health_op_t *op)
{
    if (--op->refs == 0) {
        json_decref(op->workers);
        free(op);
    }
}

static void health_timer_closed_cb(uv_handle_t *h)
{
    health_unref(h->data);
}

static void health_answer(health_op_t *op)
{
    if (!op->ctx)
        return;
    gw_ctx_t *ctx = op->ctx;
    op->ctx = NULL;
    size_t i;
    json_t *w;
    json_array_foreach(op->workers, i, w)
    {
        if (json_object_get(w, "ok") == NULL) {
            json_object_set_new(w, "state", json_string("unresponsive"));
            op->all_ok = 0;
        }
        json_object_del(w, "ok");
    }
    json_t *body = json_pack("{s:s, s:s, s:O}", "status",
                             op->all_ok ? "ok" : "unavailable", "version",
                             gw_version(), "workers", op->workers);
    uv_timer_stop(&op->timer);
    uv_close((uv_handle_t *)&op->timer, health_timer_closed_cb);
    gw_ctx_send_json(ctx, op->all_ok ? 200 : 503, body, NULL);
}

static void health_timeout_cb(uv_timer_t *t)
{
    health_answer(t->data);
}

static void health_record(health_op_t *op, uint32_t shard, int err,
                          double rtt_ms)
{
    json_t *w = json_array_get(op->workers, shard);
    if (op->ctx && w) {
        gw_shard_info_t info;
        gw_pool_shard_info(op->ctx->app->pool, shard, &info);
        json_object_set_new(w, "state",
                            json_string(err == 0 ? "ready"
                                                 : gw_shard_state_name(info.state)));
        json_object_set_new(w, "pid", json_integer(info.pid));
        json_object_set_new(w, "restarts", json_integer(info.restarts));
        json_object_set_new(w, "inflight", json_integer(info.inflight));
        if (err == 0)
            json_object_set_new(w, "rttMs", json_real(rtt_ms));
        else
            json_object_set_new(w, "error", json_string(ov_strerror(err)));
        json_object_set_new(w, "ok", json_boolean(err == 0));
        if (err != 0)
            op->all_ok = 0;
    }
    if (--op->waiting == 0)
        health_answer(op);
}

static void health_pong_cb(int err, const ipc_pong_t *reply, void *data)
{
    health_ping_t *hp = data;
    double rtt = (double)(ov_time_mono_ns() - hp->t0) / 1e6;
    (void)reply;
    health_record(hp->op, hp->shard, err, rtt);
    health_unref(hp->op);
    free(hp);
}

void gw_route_health(gw_ctx_t *ctx)
{
    gw_pool_t *pool = ctx->app->pool;
    uint32_t n = gw_pool_size(pool);
    health_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->ctx = ctx;
    op->all_ok = 1;
    op->workers = json_array();
    op->refs = 1; /* the timer */
    op->waiting = n;
    uv_timer_init(ctx->app->loop, &op->timer);
    op->timer.data = op;
    uv_timer_start(&op->timer, health_timeout_cb, HEALTH_TIMEOUT_MS, 0);
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(op->workers, json_pack("{s:i}", "shard", (int)i));
    /* The pings may answer synchronously (shard down), so every slot and
     * reference is in place before the first one is sent. */
    op->refs += n;
    for (uint32_t i = 0; i < n; i++) {
        health_ping_t *hp = ov_xcalloc(1, sizeof(*hp));
        hp->op = op;
        hp->shard = i;
        hp->t0 = ov_time_mono_ns();
        ipc_ping_t ping = {.nonce = (int64_t)hp->t0};
        int rc = gw_shard_ping(pool, i, &ping, health_pong_cb, hp);
        if (rc != 0)
            health_pong_cb(rc, NULL, hp);
    }
}

/* Generated from docs/openapi.yaml by cmake/embed.cmake. */
extern const unsigned char gw_openapi_yaml[];
extern const unsigned long gw_openapi_yaml_len;

void gw_route_openapi(gw_ctx_t *ctx)
{
    gw_http_respond(ctx->req, 200, "application/yaml; charset=utf-8", NULL,
                    (const char *)gw_openapi_yaml, gw_openapi_yaml_len);
    gw_ctx_release(ctx);
}
