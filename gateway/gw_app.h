/*
 * gw_app: what the gateway does with a parsed HTTP request.
 *
 * It finds the route (the API answers under /api/v1 and under
 * MEET_BASE_PATH + api/v1), parses a JSON body (a malformed one is a 400
 * before authentication, as in the reference), checks the API key, and
 * calls the route's handler with a gw_ctx_t. A handler answers exactly once
 * through one of the gw_ctx_send_* functions, now or later; that call
 * releases the context.
 */
#ifndef GW_APP_H
#define GW_APP_H

#include <jansson.h>
#include <stdint.h>

#include "gw_config.h"
#include "gw_http.h"
#include "gw_router.h"
#include "gw_shard.h"

typedef struct gw_app_s {
    const gw_config_t *cfg; /* borrowed */
    gw_pool_t *pool;        /* borrowed */
    char *api_key;          /* owned; the key the API accepts */
    uv_loop_t *loop;
    struct gw_egress_s *egress; /* the recording backend (gw_egress.h) */
    struct gw_lkapi_s *lkapi;   /* LiveKit's API (gw_lkapi.h), livekit
                                   backend only */
    struct gw_rec_waiter_s *rec_waiters; /* starts awaiting "active" */
    struct gw_rec_queue_s *rec_queues;   /* per shard: recording events
                                            waiting to be sent again */
    int rec_queues_closed;
    uint32_t rec_queues_open;            /* their timers not yet closed */
    uv_timer_t gc_timer;    /* the scheduled jobs (gw_jobs.c) */
    unsigned gc_running;    /* shards whose expiry pass is in progress */
    int64_t jobs_since_ms;  /* when the jobs started (this gateway's life) */
    struct gw_webhooks_s *webhooks; /* outgoing webhooks (gw_webhooks.h) */
} gw_app_t;

typedef struct gw_ctx_s {
    gw_app_t *app;
    gw_req_t *req;             /* a reference is held until the answer */
    const gw_route_t *route;
    gw_route_match_t match;    /* path parameters */
    gw_query_t query;
    json_t *body;              /* parsed JSON body, or an empty object */
    void *op;                  /* handler state for asynchronous work */
} gw_ctx_t;

typedef void (*gw_handler_fn)(gw_ctx_t *ctx);

/* Route flags. */
#define GW_ROUTE_AUTH 1u     /* requires the API key */
#define GW_ROUTE_RAW_BODY 2u /* the handler reads the raw body itself */

/** The gw_http handler: `data` is the gw_app_t. */
void gw_app_handle(gw_req_t *req, void *data);

/** Releases `ctx` after the handler answered through gw_http_* itself. */
void gw_ctx_release(gw_ctx_t *ctx);

/** Answers with JSON `body` (takes ownership) and releases `ctx`.
 *  `extra_headers` as for gw_http_respond. */
void gw_ctx_send_json(gw_ctx_t *ctx, int status, json_t *body,
                      const char *extra_headers);

/** Answers with `len` bytes of JSON text (copied) and releases `ctx`. */
void gw_ctx_send_json_text(gw_ctx_t *ctx, int status, const char *body,
                           size_t len, const char *extra_headers);

/** Answers 422 {"error":"Unprocessable Entity","message":"Invalid
 *  request","details":details} (takes ownership) and releases `ctx`. */
void gw_ctx_send_invalid(gw_ctx_t *ctx, json_t *details);

/** Answers with the error of an ov_err code (message NULL: the table's)
 *  and releases `ctx`. */
void gw_ctx_send_err(gw_ctx_t *ctx, int err, const char *message);

/** Answers {"error","message"[,"details"]} (details: takes ownership, may
 *  be NULL) and releases `ctx`. */
void gw_ctx_send_error(gw_ctx_t *ctx, int status, const char *error,
                       const char *message, json_t *details);

/* Route handlers, one file per family. */
void gw_route_health(gw_ctx_t *ctx);
void gw_route_openapi(gw_ctx_t *ctx);
void gw_route_docs(gw_ctx_t *ctx);
void gw_route_docs_asset(gw_ctx_t *ctx);
void gw_route_livekit_webhook(gw_ctx_t *ctx);
void gw_route_metrics(gw_ctx_t *ctx);
void gw_route_cors_preflight(gw_ctx_t *ctx);

/** gw_http's headers hook (data = the gw_app_t): the CORS headers of a
 *  response to a request with an Origin (gw_routes_metrics.c). */
void gw_app_cors_headers(gw_req_t *req, ov_buf_t *out, void *data);
void gw_route_rec_start(gw_ctx_t *ctx);
void gw_route_rec_stop(gw_ctx_t *ctx);
void gw_route_rec_get(gw_ctx_t *ctx);
void gw_route_rec_list(gw_ctx_t *ctx);
void gw_route_rec_delete(gw_ctx_t *ctx);
void gw_route_rec_bulk_delete(gw_ctx_t *ctx);
void gw_route_rec_url(gw_ctx_t *ctx);
void gw_route_room_create(gw_ctx_t *ctx);
void gw_route_rooms_list(gw_ctx_t *ctx);
void gw_route_rooms_bulk_delete(gw_ctx_t *ctx);
void gw_route_room_get(gw_ctx_t *ctx);
void gw_route_room_get_config(gw_ctx_t *ctx);
void gw_route_room_update_config(gw_ctx_t *ctx);
void gw_route_room_set_status(gw_ctx_t *ctx);
void gw_route_room_delete(gw_ctx_t *ctx);
void gw_route_webhooks_get(gw_ctx_t *ctx);
void gw_route_webhooks_put(gw_ctx_t *ctx);
void gw_route_webhooks_test(gw_ctx_t *ctx);

#endif
