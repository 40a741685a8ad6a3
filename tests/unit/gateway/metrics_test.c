/*
 * metrics_test: the exposition text of gw_metrics' registry: HELP/TYPE
 * lines, label escaping, cumulative histogram buckets with +Inf, _sum and
 * _count, route and method labels, and the bound on routes.
 */
#include "gw_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static char *render(const gw_metrics_gauges_t *g)
{
    ov_buf_t out = OV_BUF_INIT;
    gw_metrics_render(&out, g);
    return out.data;
}

static void assert_has(const char *text, const char *line)
{
    if (strstr(text, line) == NULL) {
        fprintf(stderr, "missing line: %s\n--- exposition ---\n%s\n", line,
                text);
        abort();
    }
}

static void test_escape(void)
{
    ov_buf_t b = OV_BUF_INIT;
    gw_metrics_escape_label(&b, "a\\b\"c\nd");
    ASSERT_STR_EQ(b.data, "a\\\\b\\\"c\\nd");
    ov_buf_free(&b);

    gw_metrics_reset();
    gw_metrics_observe_request("/we\"ird\\\n", "GET", 200, 1000);
    gw_metrics_gauges_t g = {0};
    char *t = render(&g);
    assert_has(t, "meetd_http_requests_total{route=\"/we\\\"ird\\\\\\n\","
                  "method=\"GET\",status=\"200\"} 1\n");
    assert_has(t, "meetd_http_request_duration_seconds_count{route=\"/we\\\""
                  "ird\\\\\\n\"} 1\n");
    free(t);
}

static void test_counters(void)
{
    static const char route[] = "/rooms/:roomId";
    char copy[sizeof(route)];
    memcpy(copy, route, sizeof(route));

    gw_metrics_reset();
    gw_metrics_observe_request(route, "GET", 200, 1000);
    gw_metrics_observe_request(route, "GET", 200, 1000);
    /* The same template at another address is the same label. */
    gw_metrics_observe_request(copy, "GET", 404, 1000);
    gw_metrics_observe_request(route, "DELETE", 204, 1000);
    gw_metrics_observe_request(NULL, "BREW", 404, 1000);
    gw_metrics_gauges_t g = {0};
    char *t = render(&g);
    assert_has(t, "# HELP meetd_http_requests_total ");
    assert_has(t, "# TYPE meetd_http_requests_total counter\n");
    assert_has(t, "meetd_http_requests_total{route=\"/rooms/:roomId\","
                  "method=\"GET\",status=\"200\"} 2\n");
    assert_has(t, "meetd_http_requests_total{route=\"/rooms/:roomId\","
                  "method=\"GET\",status=\"404\"} 1\n");
    assert_has(t, "meetd_http_requests_total{route=\"/rooms/:roomId\","
                  "method=\"DELETE\",status=\"204\"} 1\n");
    assert_has(t, "meetd_http_requests_total{route=\"unmatched\","
                  "method=\"OTHER\",status=\"404\"} 1\n");
    assert_has(t, "meetd_http_request_duration_seconds_count{route=\"/rooms/"
                  ":roomId\"} 4\n");
    free(t);
}

static void test_histogram(void)
{
    gw_metrics_reset();
    /* 0.3 ms, 0.5 ms exactly (le is inclusive), 3 ms, 2 s, 20 s. */
    gw_metrics_observe_request("/h", "GET", 200, 300000);
    gw_metrics_observe_request("/h", "GET", 200, 500000);
    gw_metrics_observe_request("/h", "GET", 200, 3000000);
    gw_metrics_observe_request("/h", "GET", 200, 2000000000u);
    gw_metrics_observe_request("/h", "GET", 200, 20000000000u);
    gw_metrics_gauges_t g = {0};
    char *t = render(&g);
    const char *n = "meetd_http_request_duration_seconds";
    char line[256];
    assert_has(t, "# TYPE meetd_http_request_duration_seconds histogram\n");
    static const struct {
        const char *le;
        int count;
    } want[] = {{"0.0005", 2}, {"0.001", 2}, {"0.0025", 2}, {"0.005", 3},
                {"1", 3},      {"2.5", 4},   {"10", 4},     {"+Inf", 5}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        snprintf(line, sizeof(line), "%s_bucket{route=\"/h\",le=\"%s\"} %d\n",
                 n, want[i].le, want[i].count);
        assert_has(t, line);
    }
    assert_has(t, "meetd_http_request_duration_seconds_sum{route=\"/h\"} "
                  "22.003800000\n");
    assert_has(t, "meetd_http_request_duration_seconds_count{route=\"/h\"} "
                  "5\n");
    /* Buckets are listed in increasing order, +Inf last. */
    const char *a = strstr(t, "le=\"0.0005\"");
    const char *b = strstr(t, "le=\"10\"");
    const char *c = strstr(t, "le=\"+Inf\"");
    ASSERT(a && b && c && a < b && b < c);
    free(t);
}

static void test_gauges_and_shards(void)
{
    gw_metrics_reset();
    gw_metrics_observe_shard_rtt(1, 200000);
    gw_metrics_observe_shard_rtt(1, 7000000);
    gw_metrics_shard_t shards[2] = {{1, 0, 0}, {0, 3, 2}};
    gw_metrics_gauges_t g = {0};
    g.connections = 4;
    g.requests_in_flight = 1;
    g.nshards = 2;
    g.shards = shards;
    g.have_webhooks = 1;
    g.webhooks.delivered = 7;
    g.webhooks.backlog = 2;
    g.egress_processes = 1;
    char *t = render(&g);
    assert_has(t, "# TYPE meetd_http_connections gauge\n"
                  "meetd_http_connections 4\n");
    assert_has(t, "meetd_http_requests_in_flight 1\n");
    assert_has(t, "meetd_shard_up{shard=\"0\"} 1\n");
    assert_has(t, "meetd_shard_up{shard=\"1\"} 0\n");
    assert_has(t, "meetd_shard_inflight{shard=\"1\"} 3\n");
    assert_has(t, "meetd_shard_restarts_total{shard=\"1\"} 2\n");
    assert_has(t, "meetd_shard_rtt_seconds_bucket{shard=\"1\",le=\"0.0005\"} "
                  "1\n");
    assert_has(t, "meetd_shard_rtt_seconds_bucket{shard=\"1\",le=\"0.01\"} "
                  "2\n");
    assert_has(t, "meetd_shard_rtt_seconds_sum{shard=\"1\"} 0.007200000\n");
    assert_has(t, "meetd_shard_rtt_seconds_count{shard=\"0\"} 0\n");
    assert_has(t, "meetd_webhooks_delivered_total 7\n");
    assert_has(t, "meetd_webhooks_backlog 2\n");
    assert_has(t, "meetd_egress_processes 1\n");
    /* Every line is a comment or "name{labels} value"; every family has
     * HELP and TYPE before its samples. */
    for (char *p = t; *p;) {
        char *nl = strchr(p, '\n');
        ASSERT_NOT_NULL(nl);
        ASSERT(nl > p);
        if (*p != '#')
            ASSERT(memchr(p, ' ', (size_t)(nl - p)) != NULL);
        p = nl + 1;
    }
    free(t);
}

static void test_route_bound(void)
{
    static char names[GW_METRICS_MAX_ROUTES + 10][16];
    gw_metrics_reset();
    for (int i = 0; i < GW_METRICS_MAX_ROUTES + 10; i++) {
        snprintf(names[i], sizeof(names[i]), "/r%d", i);
        gw_metrics_observe_request(names[i], "GET", 200, 1);
    }
    gw_metrics_gauges_t g = {0};
    char *t = render(&g);
    /* "unmatched" holds one slot, so 47 routes get their own label and the
     * 11 beyond count as "unmatched". */
    assert_has(t, "meetd_http_requests_total{route=\"unmatched\","
                  "method=\"GET\",status=\"200\"} 11\n");
    free(t);
}

static void test_log_format_parse(void)
{
    gw_log_format_t f;
    ASSERT_INT_EQ(gw_metrics_log_format_parse("json", &f), 0);
    ASSERT_INT_EQ(f, GW_LOGFMT_JSON);
    ASSERT_INT_EQ(gw_metrics_log_format_parse("logfmt", &f), 0);
    ASSERT_INT_EQ(f, GW_LOGFMT_LOGFMT);
    ASSERT_INT_EQ(gw_metrics_log_format_parse("text", &f), -1);
}

int main(void)
{
    TEST_RUN(test_escape);
    TEST_RUN(test_counters);
    TEST_RUN(test_histogram);
    TEST_RUN(test_gauges_and_shards);
    TEST_RUN(test_route_bound);
    TEST_RUN(test_log_format_parse);
    return 0;
}
