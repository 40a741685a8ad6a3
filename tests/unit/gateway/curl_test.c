/*
 * curl_test: gw_curl on a libuv loop against a small HTTP server that the
 * test runs on the same loop (127.0.0.1, a port picked by the kernel): a
 * POST with its headers and body, answers kept or discarded, a reply over
 * the limit, a silent server (timeout), a refused connection, a cancelled
 * request, a close with requests pending and a close from inside a
 * callback. Every test ends by closing its loop, which fails if a handle
 * was left open.
 */
#include "gw_curl.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ov_log.h"
#include "ov_mem.h"
#include "test.h"

#include "http_test_server.h"

/* ---- the callbacks' record -------------------------------------------- */

typedef struct {
    int fired;
    int ok, shutdown;
    long status;
    char body[256];
    size_t body_len;
    char error[512];
} got_t;

static void got_cb(void *data, const gw_curl_result_t *res)
{
    got_t *g = data;
    g->fired++;
    g->ok = res->ok;
    g->shutdown = res->shutdown;
    g->status = res->status;
    ASSERT_NOT_NULL(res->body);
    ASSERT_INT_EQ(res->body[res->body_len], '\0');
    ASSERT(res->body_len < sizeof(g->body));
    memcpy(g->body, res->body, res->body_len + 1);
    g->body_len = res->body_len;
    snprintf(g->error, sizeof(g->error), "%s", res->error ? res->error : "");
}

static int closed;

static void closed_cb(void *data)
{
    (void)data;
    closed++;
}

static void close_client(gw_curl_t *c)
{
    closed = 0;
    gw_curl_close(c, closed_cb, NULL);
    ASSERT_INT_EQ(closed, 0); /* later, on the loop */
    ASSERT(run_until(&closed, 2000));
    ASSERT_INT_EQ(closed, 1);
}

static void loop_done(void)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}

/* ---- tests ------------------------------------------------------------ */

static void test_post(void)
{
    srv_t s;
    gw_curl_t *c;
    got_t g = {0};
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    char *reply = canned(201, "text/plain", "made it");
    srv_start(&s, reply);
    ASSERT_INT_EQ(gw_curl_new(&c, &loop), 0);
    char *url = url_of(&s, "/hook?x=1");
    const char *hdrs[] = {"Content-Type: application/json", "X-One: 1", NULL};
    char body[] = "{\"a\":1}";
    gw_curl_req_t *r =
        gw_curl_post(c, url, hdrs, body, strlen(body), 5000, 1024, got_cb, &g);
    ASSERT_NOT_NULL(r);
    /* Copied: the caller's buffer may change at once. */
    memset(body, 'x', sizeof(body) - 1);
    ASSERT_UINT_EQ(gw_curl_pending(c), 1);
    ASSERT_INT_EQ(g.fired, 0);
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_INT_EQ(g.fired, 1);
    ASSERT_UINT_EQ(gw_curl_pending(c), 0);
    ASSERT_INT_EQ(g.ok, 1);
    ASSERT_INT_EQ(g.shutdown, 0);
    ASSERT_INT_EQ(g.status, 201);
    ASSERT_STR_EQ(g.body, "made it");
    ASSERT_UINT_EQ(g.body_len, 7);
    ASSERT_STR_EQ(g.error, "");
    ASSERT_STR_EQ(s.seen.method, "POST");
    ASSERT_STR_EQ(s.seen.path, "/hook?x=1");
    ASSERT_STR_EQ(s.seen.body.data, "{\"a\":1}");
    char *v = header_value(s.seen.head.data, "content-type");
    ASSERT_STR_EQ(v, "application/json");
    free(v);
    v = header_value(s.seen.head.data, "x-one");
    ASSERT_STR_EQ(v, "1");
    free(v);
    v = header_value(s.seen.head.data, "user-agent");
    ASSERT_STR_EQ(v, "meetd");
    free(v);
    /* No 100-continue round trip. */
    ASSERT_NULL(header_value(s.seen.head.data, "expect"));

    /* max_reply 0: the answer's body is dropped, its status kept. */
    memset(&g, 0, sizeof(g));
    ASSERT_NOT_NULL(gw_curl_post(c, url, NULL, "", 0, 5000, 0, got_cb, &g));
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_INT_EQ(g.ok, 1);
    ASSERT_INT_EQ(g.status, 201);
    ASSERT_STR_EQ(g.body, "");
    ASSERT_UINT_EQ(g.body_len, 0);
    ASSERT_STR_EQ(s.seen.body.data ? s.seen.body.data : "", "");
    ASSERT_INT_EQ(s.nseen, 2);

    close_client(c);
    srv_stop(&s);
    free(url);
    free(reply);
    loop_done();
}

static void test_reply_too_large(void)
{
    srv_t s;
    gw_curl_t *c;
    got_t g = {0};
    char big[201];
    memset(big, 'b', 200);
    big[200] = '\0';
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    char *reply = canned(200, "text/plain", big);
    srv_start(&s, reply);
    ASSERT_INT_EQ(gw_curl_new(&c, &loop), 0);
    char *url = url_of(&s, "/");
    ASSERT_NOT_NULL(gw_curl_post(c, url, NULL, "x", 1, 5000, 199, got_cb, &g));
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_INT_EQ(g.ok, 0);
    ASSERT_INT_EQ(g.status, 0);
    ASSERT_STR_EQ(g.error, "reply too large");
    ASSERT_STR_EQ(g.body, "");
    /* Exactly at the limit is fine. */
    memset(&g, 0, sizeof(g));
    ASSERT_NOT_NULL(gw_curl_post(c, url, NULL, "x", 1, 5000, 200, got_cb, &g));
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_INT_EQ(g.ok, 1);
    ASSERT_UINT_EQ(g.body_len, 200);
    close_client(c);
    srv_stop(&s);
    free(url);
    free(reply);
    loop_done();
}

static int contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

static void test_timeout_and_refused(void)
{
    srv_t s;
    gw_curl_t *c;
    got_t g = {0};
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    srv_start(&s, NULL); /* never answers */
    ASSERT_INT_EQ(gw_curl_new(&c, &loop), 0);
    char *url = url_of(&s, "/slow");
    uint64_t t0 = uv_hrtime();
    ASSERT_NOT_NULL(gw_curl_post(c, url, NULL, "x", 1, 300, 0, got_cb, &g));
    ASSERT(run_until(&g.fired, 5000));
    uint64_t ms = (uv_hrtime() - t0) / 1000000u;
    ASSERT(ms >= 250 && ms < 3000);
    ASSERT_INT_EQ(s.nseen, 1);
    ASSERT_INT_EQ(g.ok, 0);
    ASSERT_INT_EQ(g.status, 0);
    ASSERT(contains(g.error, "timed out"));
    srv_stop(&s);

    /* A port nobody listens on any more. */
    memset(&g, 0, sizeof(g));
    ASSERT_NOT_NULL(gw_curl_post(c, url, NULL, "x", 1, 3000, 0, got_cb, &g));
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_INT_EQ(g.ok, 0);
    ASSERT_INT_EQ(g.status, 0);
    ASSERT_INT_EQ(g.shutdown, 0);
    ASSERT(g.error[0] != '\0');

    /* Only http and https. */
    memset(&g, 0, sizeof(g));
    gw_curl_req_t *r =
        gw_curl_post(c, "ftp://127.0.0.1/x", NULL, "x", 1, 3000, 0, got_cb, &g);
    if (r) {
        ASSERT(run_until(&g.fired, 5000));
        ASSERT_INT_EQ(g.ok, 0);
    }
    close_client(c);
    free(url);
    loop_done();
}

static void never_cb(void *data, const gw_curl_result_t *res)
{
    (void)data;
    (void)res;
    TEST__FAIL("a cancelled request's callback fired");
}

static int seen_one(const srv_t *s)
{
    return s->nseen >= 1;
}

#define FD_SCAN 1024

/* Marks which of the first FD_SCAN descriptors are open. */
static void fds_open(unsigned char *open)
{
    for (int fd = 0; fd < FD_SCAN; fd++)
        open[fd] = fcntl(fd, F_GETFD) != -1;
}

/* Every descriptor opened since `before` is close-on-exec; returns how
 * many there are. */
static int fds_new_cloexec(const unsigned char *before)
{
    int n = 0;
    for (int fd = 0; fd < FD_SCAN; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (before[fd] || flags == -1)
            continue;
        if (!(flags & FD_CLOEXEC))
            TEST__FAIL("descriptor %d is not close-on-exec", fd);
        n++;
    }
    return n;
}

static void test_cancel(void)
{
    srv_t s;
    gw_curl_t *c;
    got_t g = {0};
    static unsigned char before[FD_SCAN];
    fds_open(before);
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    srv_start(&s, NULL);
    ASSERT_INT_EQ(gw_curl_new(&c, &loop), 0);
    char *url = url_of(&s, "/");

    /* Cancelled before anything happened. */
    gw_curl_req_t *r =
        gw_curl_post(c, url, NULL, "a", 1, 5000, 0, never_cb, NULL);
    ASSERT_NOT_NULL(r);
    gw_curl_cancel(r);
    ASSERT_UINT_EQ(gw_curl_pending(c), 0);

    /* Cancelled while the server holds it: the connection is dropped. */
    r = gw_curl_post(c, url, NULL, "b", 1, 5000, 0, never_cb, NULL);
    ASSERT_NOT_NULL(r);
    for (int i = 0; i < 200 && !seen_one(&s); i++) {
        uv_timer_t t;
        uv_timer_init(&loop, &t);
        uv_timer_start(&t, tick_cb, 10, 0);
        uv_run(&loop, UV_RUN_ONCE);
        uv_close((uv_handle_t *)&t, NULL);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    ASSERT(seen_one(&s));
    ASSERT_STR_EQ(s.seen.body.data, "b");
    /* Workers are spawned from the gateway: neither the client's socket
     * nor curl's own descriptors may leak into them. */
    ASSERT(fds_new_cloexec(before) >= 3);
    gw_curl_cancel(r);
    ASSERT_UINT_EQ(gw_curl_pending(c), 0);
    run_until(&s.nclosed, 2000);
    ASSERT_INT_EQ(s.nclosed, 1);

    /* The client still works afterwards. */
    srv_stop(&s);
    char *reply = canned(204, "text/plain", "");
    srv_start(&s, reply);
    free(url);
    url = url_of(&s, "/");
    ASSERT_NOT_NULL(gw_curl_post(c, url, NULL, "c", 1, 5000, 0, got_cb, &g));
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_INT_EQ(g.status, 204);
    close_client(c);
    srv_stop(&s);
    free(url);
    free(reply);
    loop_done();
}

/* ---- closing ---------------------------------------------------------- */

typedef struct {
    gw_curl_t *c;
    const char *url;
    got_t g;
    int post_returned_null;
} shut_t;

static void shut_cb(void *data, const gw_curl_result_t *res)
{
    shut_t *sh = data;
    got_cb(&sh->g, res);
    /* A closing client takes no new request. */
    sh->post_returned_null = gw_curl_post(sh->c, sh->url, NULL, "", 0, 1000, 0,
                                          never_cb, NULL) == NULL;
}

static void test_close_pending(void)
{
    srv_t s;
    gw_curl_t *c;
    shut_t a = {0}, b = {0};
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    srv_start(&s, NULL);
    ASSERT_INT_EQ(gw_curl_new(&c, &loop), 0);
    char *url = url_of(&s, "/");
    a.c = b.c = c;
    a.url = b.url = url;
    ASSERT_NOT_NULL(gw_curl_post(c, url, NULL, "a", 1, 5000, 0, shut_cb, &a));
    ASSERT_NOT_NULL(gw_curl_post(c, url, NULL, "b", 1, 5000, 0, shut_cb, &b));
    run_until(&s.nseen, 2000);
    closed = 0;
    gw_curl_close(c, closed_cb, NULL);
    /* The pending callbacks fire from gw_curl_close itself. */
    ASSERT_INT_EQ(a.g.fired, 1);
    ASSERT_INT_EQ(b.g.fired, 1);
    ASSERT_INT_EQ(a.g.shutdown, 1);
    ASSERT_INT_EQ(b.g.shutdown, 1);
    ASSERT_INT_EQ(a.g.ok, 0);
    ASSERT_INT_EQ(a.g.status, 0);
    ASSERT_STR_EQ(a.g.error, "shutting down");
    ASSERT(a.post_returned_null && b.post_returned_null);
    ASSERT(run_until(&closed, 2000));
    srv_stop(&s);
    free(url);
    loop_done();

    /* Nothing pending: the close callback still comes later. */
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    ASSERT_INT_EQ(gw_curl_new(&c, &loop), 0);
    close_client(c);
    loop_done();
}

typedef struct {
    gw_curl_t *c;
    gw_curl_req_t *other;
    got_t g;
} reentry_t;

/* Closes the client from a request's callback. */
static void close_in_cb(void *data, const gw_curl_result_t *res)
{
    reentry_t *re = data;
    got_cb(&re->g, res);
    closed = 0;
    gw_curl_close(re->c, closed_cb, NULL);
}

/* Cancels another request from a request's callback. */
static void cancel_in_cb(void *data, const gw_curl_result_t *res)
{
    reentry_t *re = data;
    got_cb(&re->g, res);
    gw_curl_cancel(re->other);
}

static void test_reentry(void)
{
    srv_t fast, slow;
    gw_curl_t *c;
    reentry_t re = {0};
    got_t other = {0};
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    char *reply = canned(200, "application/json", "{}");
    srv_start(&fast, reply);
    srv_start(&slow, NULL);
    char *fast_url = url_of(&fast, "/"), *slow_url = url_of(&slow, "/");

    ASSERT_INT_EQ(gw_curl_new(&c, &loop), 0);
    re.c = c;
    ASSERT_NOT_NULL(
        gw_curl_post(c, slow_url, NULL, "", 0, 5000, 0, got_cb, &other));
    ASSERT_NOT_NULL(
        gw_curl_post(c, fast_url, NULL, "", 0, 5000, 0, close_in_cb, &re));
    ASSERT(run_until(&re.g.fired, 5000));
    ASSERT_INT_EQ(re.g.status, 200);
    ASSERT_INT_EQ(other.fired, 1);
    ASSERT_INT_EQ(other.shutdown, 1);
    ASSERT(run_until(&closed, 2000));

    ASSERT_INT_EQ(gw_curl_new(&c, &loop), 0);
    memset(&re, 0, sizeof(re));
    re.c = c;
    re.other = gw_curl_post(c, slow_url, NULL, "", 0, 5000, 0, never_cb, NULL);
    ASSERT_NOT_NULL(re.other);
    ASSERT_NOT_NULL(
        gw_curl_post(c, fast_url, NULL, "", 0, 5000, 0, cancel_in_cb, &re));
    ASSERT(run_until(&re.g.fired, 5000));
    ASSERT_UINT_EQ(gw_curl_pending(c), 0);
    close_client(c);

    srv_stop(&fast);
    srv_stop(&slow);
    free(fast_url);
    free(slow_url);
    free(reply);
    loop_done();
}

int main(void)
{
    ov_log_init("curl-test", OV_LOG_WARN);
    /* A hung test fails instead of waiting for ctest's timeout. */
    alarm(60);
    TEST_RUN(test_post);
    TEST_RUN(test_reply_too_large);
    TEST_RUN(test_timeout_and_refused);
    TEST_RUN(test_cancel);
    TEST_RUN(test_close_pending);
    TEST_RUN(test_reentry);
    return 0;
}
