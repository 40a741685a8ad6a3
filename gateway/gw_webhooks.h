/*
 * gw_webhooks: outgoing webhooks (BEHAVIOUR.md §9), the gateway's half.
 *
 * The workers write every webhook event to an outbox in their shard, in
 * the transaction of the change that causes it, while webhooks are enabled
 * (ipc_msgs.h, "outgoing webhooks"). This module tells them whether to do
 * so (WEBHOOKS_STATE), keeps the global configuration {enabled, url} of the
 * system shard in memory, and delivers the outbox: a timer fetches due
 * entries from every shard (OUTBOX_FETCH), each entry becomes one signed
 * POST through libcurl's multi interface driven by the libuv loop (one
 * uv_poll_t per socket, one uv_timer_t for curl's timeouts; nothing here
 * blocks or starts a thread), and its outcome goes back as OUTBOX_DONE.
 * Delivery is at least once and in order per room: a room with a delivery
 * in flight is `busy` and none of its later events is fetched meanwhile.
 * A failed attempt is retried after MEET_WEBHOOK_BACKOFF_MS doubled per
 * failure, up to MEET_WEBHOOK_ATTEMPTS attempts; then the entry is kept as
 * dead and logged.
 *
 * Request: POST <url>, Content-Type: application/json, X-Timestamp: <ms>,
 * X-Signature: lowercase hex HMAC-SHA256 keyed with the API key over
 * "<timestamp>.<body>", body {"event":…,"creationDate":…,"data":…} with
 * the data as the API returns it. URLs inside the data use MEET_BASE_URL,
 * or else http://localhost:<SERVER_PORT>, plus the base path, because an
 * event has no request to take a Host from.
 */
#ifndef GW_WEBHOOKS_H
#define GW_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_app.h"
#include "ipc.h"
#include "ov_mem.h"

typedef struct gw_webhooks_s gw_webhooks_t;

/** Counters for /metrics. delivered, failed_attempts and dead_logged count
 *  since this process started; backlog and dead are the sums of what the
 *  shards last reported (pending and dead entries in their outboxes). */
typedef struct {
    uint64_t delivered;       /* entries delivered (2xx) */
    uint64_t failed_attempts; /* attempts that failed (retried or not) */
    uint64_t dead_logged;     /* entries given up by this process */
    int64_t backlog;
    int64_t dead;
    unsigned inflight; /* outbox deliveries under way */
} gw_webhooks_stats_t;

/** Returns a new engine for `app` (borrowed; it must outlive the engine,
 *  and app->pool and app->api_key are read only from gw_webhooks_start
 *  on). Nothing is sent before gw_webhooks_start. Free it with
 *  gw_webhooks_close. */
gw_webhooks_t *gw_webhooks_new(gw_app_t *app);

/** The pool's on_ready hook (gw_pool_opts_t.on_ready, data = the engine):
 *  sends WEBHOOKS_STATE to a worker that (re)started, once the
 *  configuration is known. */
void gw_webhooks_on_ready(uint32_t shard, void *data);

/** Loads the configuration: WEBHOOK_CONFIG_SET with init to the system
 *  shard (MEET_INITIAL_WEBHOOK_URL, enabled only if
 *  MEET_INITIAL_WEBHOOK_ENABLED and MEET_INITIAL_API_KEY is set), sends
 *  WEBHOOKS_STATE to every ready worker and starts delivering. Call after
 *  app->api_key is set and before events can happen (before listening).
 *  `cb` fires once: 0, or the ov_err code of the failed load. */
void gw_webhooks_start(gw_webhooks_t *wh, void (*cb)(int err, void *data),
                       void *data);

/** Makes the next fetch happen now instead of at the next tick: call after
 *  a request that may have produced events. Cheap; does nothing while
 *  webhooks are disabled. */
void gw_webhooks_kick(gw_webhooks_t *wh);

/** Fills `out` with the current counters. */
void gw_webhooks_stats(const gw_webhooks_t *wh, gw_webhooks_stats_t *out);

/** The configuration in memory (the stored one). The URL is borrowed,
 *  valid until the next configuration change; "" when none. */
bool gw_webhooks_enabled(const gw_webhooks_t *wh);
const char *gw_webhooks_url(const gw_webhooks_t *wh);

/** Stores {enabled, url} (WEBHOOK_CONFIG_SET), updates the memory copy,
 *  sends WEBHOOKS_STATE to every worker, then calls `cb` once with 0 or
 *  an ov_err code. `url` is copied; it was validated by the caller. */
void gw_webhooks_configure(gw_webhooks_t *wh, bool enabled, const char *url,
                           void (*cb)(int err, void *data), void *data);

/** Sends the reference's testEvent to `url` (copied), signed, once.
 *  `cb` fires exactly once, possibly before this returns: ok 1, or ok 0
 *  with a reason (borrowed, valid during the call). */
void gw_webhooks_test(gw_webhooks_t *wh, const char *url,
                      void (*cb)(void *data, int ok, const char *reason),
                      void *data);

/** Stops fetching, lets deliveries under way finish for a short grace
 *  period and cancels the rest (their entries stay pending and are sent
 *  again after the next start), waits for its IPC requests to be answered,
 *  closes every handle and frees the engine; then `cb` fires. Call before
 *  the pool stops. */
void gw_webhooks_close(gw_webhooks_t *wh, void (*cb)(void *data), void *data);

/* ---- pure helpers (exposed for the unit tests) ------------------------ */

/** Appends the delivery body of `e`:
 *  {"event":"<event>","creationDate":<ms>,"data":<room or recording>},
 *  compact, keys in that order; room URLs start with `base_url`. */
void gw_webhooks_body(ov_buf_t *out, const ipc_outbox_t *e,
                      const char *base_url, size_t base_len);

/** Writes the 64 lowercase hex characters and a NUL of
 *  HMAC-SHA256(key, "<timestamp>.<body>") into `out`. */
void gw_webhooks_sign(const char *key, int64_t timestamp, const char *body,
                      size_t len, char out[65]);

/* Results of gw_webhooks_url_check, as bits: the reference's zod checks
 * .url() ("Must be a valid URL") and .regex(/^https?:\/\//) ("URL must
 * start with http:// or https://"), which both report. */
#define GW_WEBHOOK_URL_INVALID 1u
#define GW_WEBHOOK_URL_NOT_HTTP 2u

/** Checks a webhook URL; returns 0 when it is a valid http(s):// URL. */
unsigned gw_webhooks_url_check(const char *url);

#endif
