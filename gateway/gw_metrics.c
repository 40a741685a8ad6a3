/* gw_metrics: the Prometheus registry and the request log; see gw_metrics.h.
 *
 * Everything lives in static storage sized at compile time, so that an
 * update never allocates and a scrape only reads. Histograms keep one count
 * per bucket (not cumulative) so that an observation touches one slot; the
 * cumulative "le" series are summed at render time. Durations are kept in
 * integer nanoseconds and printed as exact decimals of seconds. */
#include "gw_metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ov_log.h"
#include "ov_util.h"

/* Bucket upper bounds, in nanoseconds and as printed in the "le" label. */
static const uint64_t bucket_ns[GW_METRICS_NBUCKETS] = {
    500000,     1000000,     2500000,     5000000,     10000000,
    25000000,   50000000,    100000000,   250000000,   500000000,
    1000000000, 2500000000u, 5000000000u, 10000000000u};
static const char *const bucket_le[GW_METRICS_NBUCKETS] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};

typedef struct {
    uint64_t buckets[GW_METRICS_NBUCKETS + 1]; /* the last one is +Inf */
    uint64_t count;
    uint64_t sum_ns;
} histo_t;

/* The methods that get a label of their own; any other is "OTHER". */
static const char *const methods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                      "PATCH", "DELETE", "OPTIONS"};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))
#define METHOD_OTHER NMETHODS

/* One (route, method, status) counter. key 0 marks a free cell. */
typedef struct {
    uint32_t key;
    uint64_t count;
} cell_t;

/* A power of two well above the combinations a server meets (routes times
 * the few methods and statuses each answers); observations of a full table
 * are counted in `dropped` rather than lost silently. */
#define NCELLS 4096

static struct {
    const char *routes[GW_METRICS_MAX_ROUTES]; /* [0] is "unmatched" */
    size_t nroutes;
    histo_t route_histo[GW_METRICS_MAX_ROUTES];
    cell_t cells[NCELLS];
    uint64_t dropped;
    histo_t shard_rtt[GW_METRICS_MAX_SHARDS];
    gw_log_format_t log_format;
    int log_enabled;
} M = {.routes = {GW_METRICS_UNMATCHED}, .nroutes = 1, .log_enabled = 1};

void gw_metrics_configure(gw_log_format_t format, int enabled)
{
    M.log_format = format;
    M.log_enabled = enabled;
}

int gw_metrics_log_format_parse(const char *s, gw_log_format_t *out)
{
    if (strcmp(s, "logfmt") == 0)
        *out = GW_LOGFMT_LOGFMT;
    else if (strcmp(s, "json") == 0)
        *out = GW_LOGFMT_JSON;
    else
        return -1;
    return 0;
}

/* Recording statuses (BEHAVIOUR.md §8.1), and "other" last. */
static const char *const rec_status_names[] = {
    "starting", "active", "ending", "complete", "failed", "aborted",
    "limit_reached", "other"};
#define REC_NSTATUS (sizeof(rec_status_names) / sizeof(rec_status_names[0]))
static uint64_t rec_status[REC_NSTATUS];

void gw_metrics_reset(void)
{
    memset(rec_status, 0, sizeof(rec_status));
    memset(M.routes, 0, sizeof(M.routes));
    M.routes[0] = GW_METRICS_UNMATCHED;
    M.nroutes = 1;
    memset(M.route_histo, 0, sizeof(M.route_histo));
    memset(M.cells, 0, sizeof(M.cells));
    M.dropped = 0;
    memset(M.shard_rtt, 0, sizeof(M.shard_rtt));
}

/* Returns the index of `route`, registering it on first sight. The address
 * scan is the fast path: routes are the route table's static strings. */
static size_t route_index(const char *route)
{
    if (route == NULL)
        return 0;
    for (size_t i = 0; i < M.nroutes; i++)
        if (M.routes[i] == route)
            return i;
    for (size_t i = 0; i < M.nroutes; i++)
        if (strcmp(M.routes[i], route) == 0)
            return i;
    if (M.nroutes == GW_METRICS_MAX_ROUTES)
        return 0;
    M.routes[M.nroutes] = route;
    return M.nroutes++;
}

static size_t method_index(const char *method)
{
    for (size_t i = 0; i < NMETHODS; i++)
        if (strcmp(methods[i], method) == 0)
            return i;
    return METHOD_OTHER;
}

static void histo_observe(histo_t *h, uint64_t ns)
{
    size_t b = 0;
    while (b < GW_METRICS_NBUCKETS && ns > bucket_ns[b])
        b++;
    h->buckets[b]++;
    h->count++;
    h->sum_ns += ns;
}

void gw_metrics_observe_request(const char *route, const char *method,
                                int status, uint64_t duration_ns)
{
    size_t r = route_index(route);
    size_t m = method_index(method ? method : "");
    if (status < 0 || status > 999)
        status = 0;
    uint32_t key =
        (uint32_t)(((r * (NMETHODS + 1)) + m) * 1000u + (unsigned)status) + 1u;
    uint32_t h = (key * 2654435761u) & (NCELLS - 1);
    for (unsigned probe = 0; probe < NCELLS; probe++) {
        cell_t *c = &M.cells[(h + probe) & (NCELLS - 1)];
        if (c->key == key || c->key == 0) {
            c->key = key;
            c->count++;
            goto counted;
        }
    }
    M.dropped++;
counted:
    histo_observe(&M.route_histo[r], duration_ns);
}

void gw_metrics_observe_shard_rtt(uint32_t shard, uint64_t rtt_ns)
{
    if (shard < GW_METRICS_MAX_SHARDS)
        histo_observe(&M.shard_rtt[shard], rtt_ns);
}

/* ---- request log ------------------------------------------------------- */

void gw_metrics_request_done(gw_req_t *req)
{
    uint64_t ns = ov_time_mono_ns() - req->start_ns;
    const char *route = req->route ? req->route : GW_METRICS_UNMATCHED;
    const char *method = req->method[0] ? req->method : "-";

    gw_metrics_observe_request(req->route, req->method, req->status, ns);
    if (!M.log_enabled)
        return;

    char when[64], shard[16];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    if (req->shard >= 0)
        snprintf(shard, sizeof(shard), "%d", req->shard);
    else
        snprintf(shard, sizeof(shard), "-");
    /* Every value below is safe to print unquoted and unescaped: the time
     * and numbers are formatted here, the method is llhttp's static name,
     * the route a template of the route table and the request id was
     * checked to hold only [A-Za-z0-9._:-] (gw_http.c). */
    if (M.log_format == GW_LOGFMT_JSON)
        ov_info("{\"msg\":\"request\",\"time\":\"%s\",\"request_id\":\"%s\","
                "\"method\":\"%s\",\"route\":\"%s\",\"status\":%d,"
                "\"duration_ms\":%.3f,\"shard\":\"%s\",\"bytes\":%" PRIu64 "}",
                when, req->req_id, method, route, req->status, ns / 1e6, shard,
                req->bytes_out);
    else
        ov_info("msg=request time=%s request_id=%s method=%s route=%s "
                "status=%d duration_ms=%.3f shard=%s bytes=%" PRIu64,
                when, req->req_id, method, route, req->status, ns / 1e6, shard,
                req->bytes_out);
}

/* ---- exposition ------------------------------------------------------ */

void gw_metrics_escape_label(ov_buf_t *out, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\\')
            ov_buf_append(out, "\\\\", 2);
        else if (*p == '"')
            ov_buf_append(out, "\\\"", 2);
        else if (*p == '\n')
            ov_buf_append(out, "\\n", 2);
        else
            ov_buf_append(out, p, 1);
    }
}

static void header(ov_buf_t *out, const char *name, const char *type,
                   const char *help)
{
    ov_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void seconds(ov_buf_t *out, uint64_t ns)
{
    ov_buf_printf(out, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u,
                  ns % 1000000000u);
}

/* Writes the series of one histogram; `label` is the already escaped
 * `name="value"` pair that precedes "le". */
static void histo_render(ov_buf_t *out, const char *name, const char *label,
                         const histo_t *h)
{
    uint64_t cum = 0;
    for (size_t b = 0; b < GW_METRICS_NBUCKETS; b++) {
        cum += h->buckets[b];
        ov_buf_printf(out, "%s_bucket{%s,le=\"%s\"} %" PRIu64 "\n", name, label,
                      bucket_le[b], cum);
    }
    ov_buf_printf(out, "%s_bucket{%s,le=\"+Inf\"} %" PRIu64 "\n", name, label,
                  h->count);
    ov_buf_printf(out, "%s_sum{%s} ", name, label);
    seconds(out, h->sum_ns);
    ov_buf_printf(out, "\n%s_count{%s} %" PRIu64 "\n", name, label, h->count);
}

static void render_requests(ov_buf_t *out)
{
    header(out, "meetd_http_requests_total", "counter",
           "HTTP requests answered, by route template, method and status.");
    for (size_t i = 0; i < NCELLS; i++) {
        const cell_t *c = &M.cells[i];
        if (c->key == 0)
            continue;
        uint32_t k = c->key - 1u;
        unsigned status = k % 1000u;
        size_t rm = k / 1000u;
        size_t m = rm % (NMETHODS + 1), r = rm / (NMETHODS + 1);
        ov_buf_appends(out, "meetd_http_requests_total{route=\"");
        gw_metrics_escape_label(out, M.routes[r]);
        ov_buf_printf(out, "\",method=\"%s\",status=\"%u\"} %" PRIu64 "\n",
                      m == METHOD_OTHER ? "OTHER" : methods[m], status,
                      c->count);
    }
    header(out, "meetd_http_request_duration_seconds", "histogram",
           "Time from the start of a request to the end of its response.");
    ov_buf_t label = {0};
    for (size_t r = 0; r < M.nroutes; r++) {
        if (M.route_histo[r].count == 0)
            continue;
        ov_buf_reset(&label);
        ov_buf_appends(&label, "route=\"");
        gw_metrics_escape_label(&label, M.routes[r]);
        ov_buf_appends(&label, "\"");
        histo_render(out, "meetd_http_request_duration_seconds", label.data,
                     &M.route_histo[r]);
    }
    ov_buf_free(&label);
    header(out, "meetd_metrics_dropped_observations_total", "counter",
           "Request observations not counted because the label table was "
           "full.");
    ov_buf_printf(out, "meetd_metrics_dropped_observations_total %" PRIu64 "\n",
                  M.dropped);
}

static void render_shards(ov_buf_t *out, const gw_metrics_gauges_t *g)
{
    header(out, "meetd_shard_up", "gauge",
           "1 when the shard's worker is ready, else 0.");
    for (uint32_t i = 0; i < g->nshards; i++)
        ov_buf_printf(out, "meetd_shard_up{shard=\"%u\"} %d\n", i,
                      g->shards[i].up);
    header(out, "meetd_shard_inflight", "gauge",
           "IPC requests sent to the shard and awaiting a reply.");
    for (uint32_t i = 0; i < g->nshards; i++)
        ov_buf_printf(out, "meetd_shard_inflight{shard=\"%u\"} %u\n", i,
                      g->shards[i].inflight);
    header(out, "meetd_shard_restarts_total", "counter",
           "Times the shard's worker was restarted.");
    for (uint32_t i = 0; i < g->nshards; i++)
        ov_buf_printf(out, "meetd_shard_restarts_total{shard=\"%u\"} %u\n", i,
                      g->shards[i].restarts);
    header(out, "meetd_shard_rtt_seconds", "histogram",
           "IPC round-trip time from sending a request to its reply.");
    for (uint32_t i = 0; i < g->nshards && i < GW_METRICS_MAX_SHARDS; i++) {
        char label[32];
        snprintf(label, sizeof(label), "shard=\"%u\"", i);
        histo_render(out, "meetd_shard_rtt_seconds", label, &M.shard_rtt[i]);
    }
}

static void gauge(ov_buf_t *out, const char *name, const char *type,
                  const char *help, uint64_t v)
{
    header(out, name, type, help);
    ov_buf_printf(out, "%s %" PRIu64 "\n", name, v);
}

void gw_metrics_render(ov_buf_t *out, const gw_metrics_gauges_t *g)
{
    render_requests(out);
    gauge(out, "meetd_http_connections", "gauge", "Open client connections.",
          g->connections);
    gauge(out, "meetd_http_requests_in_flight", "gauge",
          "Requests received and not yet fully answered.",
          g->requests_in_flight);
    render_shards(out, g);
    if (g->have_webhooks) {
        const gw_webhooks_stats_t *w = &g->webhooks;
        gauge(out, "meetd_webhooks_delivered_total", "counter",
              "Webhooks delivered (2xx) by this process.", w->delivered);
        gauge(out, "meetd_webhooks_failed_attempts_total", "counter",
              "Webhook delivery attempts that failed.", w->failed_attempts);
        gauge(out, "meetd_webhooks_dead_total", "counter",
              "Webhooks given up after their last attempt by this process.",
              w->dead_logged);
        gauge(out, "meetd_webhooks_dead", "gauge",
              "Webhooks kept as dead in the shards' outboxes.",
              w->dead > 0 ? (uint64_t)w->dead : 0);
        gauge(out, "meetd_webhooks_backlog", "gauge",
              "Webhooks pending in the shards' outboxes.",
              w->backlog > 0 ? (uint64_t)w->backlog : 0);
        gauge(out, "meetd_webhooks_in_flight", "gauge",
              "Webhook deliveries under way.", w->inflight);
    }
    gauge(out, "meetd_egress_processes", "gauge",
          "Recording (egress) processes running.", g->egress_processes);
    ov_buf_appends(out, "# HELP meetd_recording_transitions_total Recordings "
                        "stored in each status by egress events.\n"
                        "# TYPE meetd_recording_transitions_total counter\n");
    for (size_t i = 0; i < REC_NSTATUS; i++)
        ov_buf_printf(out, "meetd_recording_transitions_total{status=\"%s\"} "
                           "%llu\n",
                      rec_status_names[i], (unsigned long long)rec_status[i]);
}

void gw_metrics_observe_recording(const char *status, size_t n)
{
    size_t i;
    for (i = 0; i + 1 < REC_NSTATUS; i++)
        if (strlen(rec_status_names[i]) == n &&
            memcmp(rec_status_names[i], status, n) == 0)
            break;
    rec_status[i]++; /* the last slot is "other" */
}
