/* gw_routes_metrics: GET /metrics (Prometheus) and CORS.
 *
 * /metrics samples the gauges that other modules own and renders them
 * with the registry of gw_metrics.c. It needs no API key: operators scrape
 * it from inside their network; MEET_METRICS_TOKEN adds a bearer token for
 * the other cases.
 *
 * CORS follows the reference's Express `cors` middleware with origin
 * SERVER_CORS_ORIGIN and credentials allowed: responses to a request with
 * an Origin header allow that origin (a configured "*" reflects the
 * request's Origin, since browsers reject "*" together with credentials),
 * and an OPTIONS preflight is answered 204 before routing and auth. */
#include <string.h>
#include <strings.h>

#include "gw_app.h"
#include "gw_egress.h"
#include "gw_metrics.h"
#include "ov_util.h"

/* The cors package's default list of methods. */
#define CORS_METHODS "GET,HEAD,PUT,PATCH,POST,DELETE"

/* Returns 1 when `auth` is "Bearer <token>" (scheme in any case). */
static int bearer_ok(const char *auth, const char *token)
{
    if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
        return 0;
    const char *t = auth + 7;
    while (*t == ' ')
        t++;
    return ov_ct_equal(t, strlen(t), token, strlen(token));
}

void gw_route_metrics(gw_ctx_t *ctx)
{
    gw_app_t *app = ctx->app;
    const char *token = app->cfg->metrics_token;

    if (token[0] != '\0' &&
        !bearer_ok(gw_req_header(ctx->req, "authorization"), token)) {
        json_t *o = json_pack("{s:s, s:s}", "error", "Unauthorized", "message",
                              "Invalid or missing metrics token");
        gw_http_send_json(ctx->req, 401, o, "WWW-Authenticate: Bearer\r\n");
        gw_ctx_release(ctx);
        return;
    }

    gw_metrics_gauges_t g = {0};
    gw_metrics_shard_t shards[GW_METRICS_MAX_SHARDS];
    g.connections = gw_http_server_connections(ctx->req->server);
    g.requests_in_flight = gw_http_server_inflight(ctx->req->server);
    if (app->pool) {
        g.nshards = gw_pool_size(app->pool);
        if (g.nshards > GW_METRICS_MAX_SHARDS)
            g.nshards = GW_METRICS_MAX_SHARDS;
        for (uint32_t i = 0; i < g.nshards; i++) {
            gw_shard_info_t info;
            gw_pool_shard_info(app->pool, i, &info);
            shards[i].up = info.state == GW_SHARD_READY;
            shards[i].inflight = info.inflight;
            shards[i].restarts = info.restarts;
        }
    }
    g.shards = shards;
    if (app->webhooks) {
        g.have_webhooks = 1;
        gw_webhooks_stats(app->webhooks, &g.webhooks);
    }
    if (app->egress)
        g.egress_processes = gw_egress_processes(app->egress);

    ov_buf_t out = {0};
    gw_metrics_render(&out, &g);
    gw_http_respond(ctx->req, 200, GW_METRICS_CONTENT_TYPE, NULL, out.data,
                    out.len);
    ov_buf_free(&out);
    gw_ctx_release(ctx);
}

void gw_app_cors_headers(gw_req_t *req, ov_buf_t *out, void *data)
{
    const gw_app_t *app = data;

    /* Browsers look at these only on cross-origin requests, which carry an
     * Origin; other responses go without them. */
    if (gw_req_header(req, "origin") == NULL)
        return;
    /* As Express's cors package with {origin, credentials: true}: "*" is
     * sent as "*", a configured origin as itself with Vary: Origin. */
    if (strcmp(app->cfg->cors_origin, "*") == 0)
        ov_buf_appends(out, "Access-Control-Allow-Origin: *\r\n"
                            "Access-Control-Allow-Credentials: true\r\n");
    else
        ov_buf_printf(out,
                      "Access-Control-Allow-Origin: %s\r\n"
                      "Vary: Origin\r\n"
                      "Access-Control-Allow-Credentials: true\r\n",
                      app->cfg->cors_origin);
}

void gw_route_cors_preflight(gw_ctx_t *ctx)
{
    const char *hdrs =
        gw_req_header(ctx->req, "access-control-request-headers");
    ov_buf_t extra = {0};

    ov_buf_appends(&extra,
                   "Access-Control-Allow-Methods: " CORS_METHODS "\r\n");
    if (hdrs && hdrs[0])
        ov_buf_printf(&extra,
                      "Access-Control-Allow-Headers: %s\r\n"
                      "Vary: Access-Control-Request-Headers\r\n",
                      hdrs);
    /* A 204 carries no Content-Length of its own in gw_http; the cors
     * package sets "Content-Length: 0" explicitly. */
    ov_buf_appends(&extra, "Content-Length: 0\r\n");
    gw_http_respond(ctx->req, 204, NULL, extra.data, NULL, 0);
    ov_buf_free(&extra);
    gw_ctx_release(ctx);
}
