/*
 * gw_metrics: the gateway's Prometheus registry and its request log.
 *
 * The registry is one fixed, statically allocated set of counters and
 * histograms for the whole process (like a client library's default
 * registry): request counts by route template, method and status, request
 * durations by route, and IPC round-trip times by shard. Label sets are
 * bounded by construction: routes are the route table's templates (at most
 * GW_METRICS_MAX_ROUTES, the rest count as "unmatched"), methods are a
 * fixed list plus "OTHER", and (route, method, status) cells live in a
 * fixed table. An update is a few array increments: no allocation, no lock
 * (the gateway is one libuv thread).
 *
 * Gauges that other modules own (connections, shard state, webhooks,
 * egress processes) are not stored here: the /metrics handler samples them
 * into gw_metrics_gauges_t at scrape time and gw_metrics_render() writes
 * everything in the text exposition format 0.0.4.
 *
 * gw_metrics_request_done() is gw_http's completion hook: it records the
 * request and writes its log line (MEET_LOG_FORMAT logfmt or json) with
 * the route template only, never the raw path, query or headers, so that
 * API keys and secrets cannot reach the log.
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "gw_http.h"
#include "gw_webhooks.h"
#include "ov_mem.h"

#define GW_METRICS_MAX_ROUTES 48
#define GW_METRICS_MAX_SHARDS 256
/* Number of finite histogram buckets (see gw_metrics.c for the bounds). */
#define GW_METRICS_NBUCKETS 14

/** Content-Type of the exposition format. */
#define GW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The route label of requests that matched no route. */
#define GW_METRICS_UNMATCHED "unmatched"

typedef enum {
    GW_LOGFMT_LOGFMT = 0,
    GW_LOGFMT_JSON = 1,
} gw_log_format_t;

typedef struct {
    int up;            /* 1 when ready */
    unsigned inflight; /* IPC requests awaiting a reply */
    unsigned restarts;
} gw_metrics_shard_t;

/* Values sampled at scrape time from the modules that own them. */
typedef struct {
    size_t connections;
    size_t requests_in_flight;
    uint32_t nshards;
    const gw_metrics_shard_t *shards; /* nshards entries, borrowed */
    int have_webhooks;                /* 0: the webhook lines are omitted */
    gw_webhooks_stats_t webhooks;
    size_t egress_processes;
} gw_metrics_gauges_t;

/** Sets the request log's format and whether it is written at all (it is
 *  an info line: `enabled` is 0 when MEET_LOG_LEVEL is above info). Call
 *  once at start; the default is logfmt, enabled. */
void gw_metrics_configure(gw_log_format_t format, int enabled);

/** Parses "logfmt" or "json". Returns 0, or -1 for anything else. */
int gw_metrics_log_format_parse(const char *s, gw_log_format_t *out);

/** Clears every counter and histogram (for the unit tests). */
void gw_metrics_reset(void);

/** Counts one finished request. `route` is a template with static
 *  lifetime (compared by address, then by content) or NULL for
 *  "unmatched"; `method` any method name. Never allocates. */
void gw_metrics_observe_request(const char *route, const char *method,
                                int status, uint64_t duration_ns);

/** Counts a recording stored in status `status` (n bytes) by an egress
 *  event: recordings by status as they move through the state machine. */
void gw_metrics_observe_recording(const char *status, size_t n);

/** Adds one IPC round trip of `shard` to its histogram. */
void gw_metrics_observe_shard_rtt(uint32_t shard, uint64_t rtt_ns);

/** gw_http's completion hook: counts `req` and logs it (see above). */
void gw_metrics_request_done(gw_req_t *req);

/** Appends the whole exposition to `out`. */
void gw_metrics_render(ov_buf_t *out, const gw_metrics_gauges_t *g);

/** Appends `s` escaped as a label value (backslash, double quote and
 *  newline become \\, \" and \n). */
void gw_metrics_escape_label(ov_buf_t *out, const char *s);

#endif
