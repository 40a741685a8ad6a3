/* gw_app: request dispatch; see gw_app.h.
 *
 * Order of checks, as in the reference: route → malformed JSON body (400)
 * → API key (401) → handler (validation, existence, conflicts). */
#include "gw_app.h"

#include <string.h>
#include <strings.h>

#include "gw_auth.h"
#include "gw_routes_media.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

#define A GW_ROUTE_AUTH

/* Routes of the public API, relative to its mount point. */
static const gw_route_t api_routes[] = {
    {"POST", "/rooms", (void *)gw_route_room_create, A},
    {"GET", "/rooms", (void *)gw_route_rooms_list, A},
    {"DELETE", "/rooms", (void *)gw_route_rooms_bulk_delete, A},
    {"GET", "/rooms/:roomId", (void *)gw_route_room_get, A},
    {"DELETE", "/rooms/:roomId", (void *)gw_route_room_delete, A},
    {"GET", "/rooms/:roomId/config", (void *)gw_route_room_get_config, A},
    {"PUT", "/rooms/:roomId/config", (void *)gw_route_room_update_config, A},
    {"PUT", "/rooms/:roomId/status", (void *)gw_route_room_set_status, A},
    {"POST", "/recordings", (void *)gw_route_rec_start, A},
    {"GET", "/recordings", (void *)gw_route_rec_list, A},
    {"DELETE", "/recordings", (void *)gw_route_rec_bulk_delete, A},
    /* Before /recordings/:recordingId, which would take "download". */
    {"GET", "/recordings/download", (void *)gw_route_rec_download, 0},
    {"GET", "/recordings/:recordingId", (void *)gw_route_rec_get, 0},
    {"DELETE", "/recordings/:recordingId", (void *)gw_route_rec_delete, A},
    {"POST", "/recordings/:recordingId/stop", (void *)gw_route_rec_stop, A},
    {"GET", "/recordings/:recordingId/media", (void *)gw_route_rec_media, 0},
    {"GET", "/recordings/:recordingId/url", (void *)gw_route_rec_url, A},
    {"GET", "/config/webhooks", (void *)gw_route_webhooks_get, A},
    {"PUT", "/config/webhooks", (void *)gw_route_webhooks_put, A},
    {"POST", "/config/webhooks/test", (void *)gw_route_webhooks_test, A},
    {"GET", "/openapi.yaml", (void *)gw_route_openapi, 0},
    {"GET", "/docs", (void *)gw_route_docs, 0},
    {"GET", "/docs/:asset", (void *)gw_route_docs_asset, 0},
};

#define API_NROUTES (sizeof(api_routes) / sizeof(api_routes[0]))

static const gw_route_t health_route = {"GET", "/health",
                                        (void *)gw_route_health, 0};

/* LiveKit's webhook receiver lives at the root, outside the base path, and
 * authenticates by its own signature, which covers the raw body. */
static const gw_route_t livekit_route = {"POST", "/livekit/webhook",
                                         (void *)gw_route_livekit_webhook,
                                         GW_ROUTE_RAW_BODY};

/* Prometheus scrapes at the root and under the base path. */
static const gw_route_t metrics_route = {"GET", "/metrics",
                                         (void *)gw_route_metrics, 0};

/* Any OPTIONS preflight, answered before routing and auth as the cors
 * middleware does; "preflight" is its route label in logs and metrics. */
static const gw_route_t preflight_route = {"OPTIONS", "preflight",
                                           (void *)gw_route_cors_preflight, 0};

#define MAX_QUERY_PARAMS 256

static void ctx_free(gw_ctx_t *ctx)
{
    gw_route_match_free(&ctx->match);
    gw_query_free(&ctx->query);
    if (ctx->body)
        json_decref(ctx->body);
    gw_req_unref(ctx->req);
    free(ctx);
}

void gw_ctx_release(gw_ctx_t *ctx)
{
    ctx_free(ctx);
}

void gw_ctx_send_json(gw_ctx_t *ctx, int status, json_t *body,
                      const char *extra_headers)
{
    gw_http_send_json(ctx->req, status, body, extra_headers);
    ctx_free(ctx);
}

void gw_ctx_send_json_text(gw_ctx_t *ctx, int status, const char *body,
                           size_t len, const char *extra_headers)
{
    gw_http_respond(ctx->req, status, "application/json; charset=utf-8",
                    extra_headers, body, len);
    ctx_free(ctx);
}

void gw_ctx_send_invalid(gw_ctx_t *ctx, json_t *details)
{
    gw_ctx_send_error(ctx, 422, "Unprocessable Entity", "Invalid request",
                      details);
}

void gw_ctx_send_err(gw_ctx_t *ctx, int err, const char *message)
{
    gw_http_send_err(ctx->req, err, message);
    ctx_free(ctx);
}

void gw_ctx_send_error(gw_ctx_t *ctx, int status, const char *error,
                       const char *message, json_t *details)
{
    gw_http_send_error(ctx->req, status, error, message, details);
    ctx_free(ctx);
}

/* If `path` starts with `prefix` (ASCII case-insensitive) at a segment
 * boundary, stores the rest in *rest and returns 1. */
static int strip_prefix(ov_str_t path, const char *prefix, size_t plen,
                        ov_str_t *rest)
{
    if (path.len < plen || strncasecmp(path.ptr, prefix, plen) != 0)
        return 0;
    if (path.len > plen && path.ptr[plen] != '/' && prefix[plen - 1] != '/')
        return 0;
    rest->ptr = path.ptr + plen;
    rest->len = path.len - plen;
    return 1;
}

/* Finds the API route for `path`: under "/api/v1" or under the base path's
 * "api/v1". Returns 1 if `path` is under an API mount point at all. */
static int find_api_route(const gw_app_t *app, gw_req_t *req, ov_str_t *rest)
{
    const char *bp = app->cfg->base_path; /* starts and ends with '/' */
    char mount[1024];
    int n = snprintf(mount, sizeof(mount), "%sapi/v1", bp);
    if (n > 0 && (size_t)n < sizeof(mount) &&
        strip_prefix(req->path, mount, (size_t)n, rest))
        return 1;
    return strip_prefix(req->path, "/api/v1", 7, rest);
}

/* The reference answers "Path Not Found" for any unknown path under the
 * base path that contains /api/ or /internal-api/ (BEHAVIOUR.md §1.2). */
static int is_under_api_prefix(const gw_app_t *app, ov_str_t path)
{
    ov_str_t rest;
    const char *bp = app->cfg->base_path;
    /* meetd also serves the API at the root (/api/v1), so the root counts
     * as a base path here too. */
    if (!strip_prefix(path, bp, strlen(bp), &rest) &&
        !strip_prefix(path, "/api/", 5, &rest) &&
        !strip_prefix(path, "/internal-api/", 14, &rest))
        return 0;
    return memmem(path.ptr, path.len, "/api/", 5) != NULL ||
           memmem(path.ptr, path.len, "/internal-api/", 14) != NULL;
}

static int is_health_path(const gw_app_t *app, ov_str_t path)
{
    char alt[1024];
    int n = snprintf(alt, sizeof(alt), "%shealth", app->cfg->base_path);
    ov_str_t p = path;
    if (p.len > 1 && p.ptr[p.len - 1] == '/')
        p.len--;
    return ov_str_ieq(p, "/health") ||
           (n > 0 && (size_t)n < sizeof(alt) && ov_str_ieq(p, alt));
}

static int is_metrics_path(const gw_app_t *app, const gw_req_t *req)
{
    char alt[1024];
    int n = snprintf(alt, sizeof(alt), "%smetrics", app->cfg->base_path);
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
        return 0;
    return ov_str_ieq(req->path, "/metrics") ||
           (n > 0 && (size_t)n < sizeof(alt) && ov_str_ieq(req->path, alt));
}

static int content_type_is_json(const char *ct)
{
    if (!ct)
        return 0;
    const char *semi = strchr(ct, ';');
    size_t len = semi ? (size_t)(semi - ct) : strlen(ct);
    while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    if (len == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return 1;
    return len > 5 && strncasecmp(ct + len - 5, "+json", 5) == 0;
}

static int content_type_is_form(const char *ct)
{
    static const char form[] = "application/x-www-form-urlencoded";
    return ct && strncasecmp(ct, form, sizeof(form) - 1) == 0 &&
           (ct[sizeof(form) - 1] == '\0' || ct[sizeof(form) - 1] == ';' ||
            ct[sizeof(form) - 1] == ' ');
}

/* A urlencoded body becomes an object of its string values, as Express's
 * urlencoded parser gives the reference (the last of repeated keys wins).
 * Returns NULL for a body that does not decode. */
static json_t *form_to_json(const ov_buf_t *body)
{
    gw_query_t q;
    if (gw_query_parse((ov_str_t){body->data, body->len}, MAX_QUERY_PARAMS,
                       &q) != 0)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; i < q.n; i++) {
        json_t *v = json_stringn(q.items[i].value, q.items[i].value_len);
        if (!v) { /* not UTF-8 */
            json_decref(o);
            gw_query_free(&q);
            return NULL;
        }
        json_object_set_new(o, q.items[i].key, v);
    }
    gw_query_free(&q);
    return o;
}

/* Parses the body into ctx->body: JSON, or urlencoded as the reference
 * also accepts. Bodies of other content types are taken as {} (the
 * reference does not enforce Content-Type). Returns 0 or OV_EBADBODY. */
static int parse_body(gw_ctx_t *ctx)
{
    gw_req_t *req = ctx->req;
    const char *ct = gw_req_header(req, "content-type");
    if (req->body.len > 0 && content_type_is_form(ct)) {
        ctx->body = form_to_json(&req->body);
        return ctx->body ? 0 : OV_EBADBODY;
    }
    if (req->body.len > 0 && content_type_is_json(ct)) {
        json_error_t jerr;
        json_t *j = json_loadb(req->body.data, req->body.len, 0, &jerr);
        if (!j)
            return OV_EBADBODY;
        ctx->body = j;
        return 0;
    }
    ctx->body = json_object();
    return 0;
}

void gw_app_handle(gw_req_t *req, void *data)
{
    gw_app_t *app = data;
    gw_ctx_t *ctx = ov_xcalloc(1, sizeof(*ctx));
    ctx->app = app;
    ctx->req = req;
    gw_req_ref(req);

    ov_str_t rest, lk = req->path;
    if (lk.len > 1 && lk.ptr[lk.len - 1] == '/')
        lk.len--;
    if (strcmp(req->method, "OPTIONS") == 0 &&
        gw_req_header(req, "access-control-request-method") != NULL) {
        req->route = preflight_route.pattern;
        gw_route_cors_preflight(ctx);
        return;
    }
    if (is_health_path(app, req->path)) {
        ctx->route = &health_route;
    } else if (is_metrics_path(app, req)) {
        req->route = metrics_route.pattern;
        gw_route_metrics(ctx);
        return;
    } else if (ov_str_ieq(lk, "/livekit/webhook")) {
        if (strcmp(req->method, "POST") != 0) {
            gw_ctx_send_err(ctx, OV_ENOPATH, NULL);
            return;
        }
        ctx->route = &livekit_route;
    } else if (find_api_route(app, req, &rest)) {
        int rc = gw_route_find(api_routes, API_NROUTES, req->method, rest,
                               &ctx->route, &ctx->match);
        if (rc == OV_EBADREQ) {
            gw_ctx_send_err(ctx, OV_EBADREQ, "Malformed URL path parameter");
            return;
        }
        if (rc != 0) {
            gw_ctx_send_err(ctx, OV_ENOPATH, NULL);
            return;
        }
    } else if (is_under_api_prefix(app, req->path)) {
        gw_ctx_send_err(ctx, OV_ENOPATH, NULL);
        return;
    } else {
        /* Outside the API there is nothing to serve. The reference answers
         * these with its framework's HTML page; meetd stays JSON. */
        gw_ctx_send_error(ctx, 404, "Not Found", "Path not found", NULL);
        return;
    }
    req->route = ctx->route->pattern;
    if (gw_query_parse(req->query, MAX_QUERY_PARAMS, &ctx->query) != 0) {
        gw_ctx_send_err(ctx, OV_EBADREQ, "Malformed query string");
        return;
    }
    if (ctx->route->flags & GW_ROUTE_RAW_BODY) {
        ctx->body = json_object();
    } else if (parse_body(ctx) != 0) {
        gw_ctx_send_err(ctx, OV_EBADBODY, NULL);
        return;
    }
    if (ctx->route->flags & GW_ROUTE_AUTH) {
        int rc = gw_auth_check_api_key(app->api_key,
                                       gw_req_header(req, "x-api-key"));
        if (rc != 0) {
            gw_ctx_send_err(ctx, rc, NULL);
            return;
        }
    }
#ifdef MEET_FUZZ
    /* tests/fuzz/fuzz_http.c: an app without workers stops here, after
     * routing, query and body parsing and auth. */
    if (app->pool == NULL) {
        gw_ctx_send_json(ctx, 200,
                         json_pack("{s:s}", "route", ctx->route->pattern),
                         NULL);
        return;
    }
#endif
    /* Shard requests the handler sends act for this HTTP request (trace in
     * the worker's log, shard in the request log). The handler may answer
     * and release ctx, but the connection still holds `req`. */
    if (app->pool)
        gw_pool_set_current(app->pool, req);
    ((gw_handler_fn)ctx->route->handler)(ctx);
    if (app->pool)
        gw_pool_set_current(app->pool, NULL);
}
