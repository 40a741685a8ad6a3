/*
 * gw_curl: HTTP requests with libcurl's multi interface, driven by the
 * libuv loop (curl's sockets are watched by uv_poll_t handles, its timeout
 * by a uv_timer_t). Nothing blocks: a request's callback fires once, on
 * the loop, when curl is done with it.
 *
 * Used by the outgoing webhooks (gw_webhooks.c) and the LiveKit server API
 * client (gw_lkapi.c). Every socket curl opens is close-on-exec.
 */
#ifndef GW_CURL_H
#define GW_CURL_H

#include <stddef.h>
#include <uv.h>

typedef struct gw_curl_s gw_curl_t;
typedef struct gw_curl_req_s gw_curl_req_t;

/** What a finished request produced; valid during the callback only. */
typedef struct {
    int ok;            /* 1: an HTTP answer arrived (any status) */
    long status;       /* HTTP status, 0 without an answer */
    const char *body;  /* the answer's body, NUL-terminated ("" if none) */
    size_t body_len;
    const char *error; /* without an answer: why (curl's message, "timed
                          out", "reply too large", "shutting down") */
    int shutdown;      /* 1: the client was closed before an answer */
} gw_curl_result_t;

typedef void (*gw_curl_done_cb)(void *data, const gw_curl_result_t *res);

/** Creates a client on `loop`. Returns 0 or an ov_err code. */
int gw_curl_new(gw_curl_t **out, uv_loop_t *loop);

/** Starts a POST of `body` (`len` bytes, copied) to `url` (http or https
 *  only) with the extra header lines `headers` ("Name: value", NULL-ended
 *  array, copied; may be NULL). The whole exchange may take `timeout_ms`;
 *  an answer body longer than `max_reply` bytes ends it without an answer
 *  ("reply too large"; 0 = the body is discarded). `cb` fires exactly once,
 *  later, on the loop. Returns the request (owned by the client; valid
 *  until its callback returns or it is cancelled), or NULL if curl refused
 *  it (no callback then). */
gw_curl_req_t *gw_curl_post(gw_curl_t *c, const char *url,
                            const char *const *headers, const char *body,
                            size_t len, long timeout_ms, size_t max_reply,
                            gw_curl_done_cb cb, void *data);

/** Abandons a request whose callback has not fired yet; it never will. */
void gw_curl_cancel(gw_curl_req_t *r);

/** Requests in flight. */
size_t gw_curl_pending(const gw_curl_t *c);

/** Ends every pending request (callbacks fire with shutdown = 1), closes
 *  the handles and frees the client; `cb` (may be NULL) fires when all is
 *  closed. */
void gw_curl_close(gw_curl_t *c, void (*cb)(void *), void *data);

#endif
