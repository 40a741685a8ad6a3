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
#include <strings.h>
#include <unistd.h>

#include "ov_log.h"
#include "ov_mem.h"
#include "test.h"

static uv_loop_t loop;

/* ---- a test HTTP server ----------------------------------------------- */

/* One request as the server saw it. */
typedef struct {
    char method[16];
    char path[256];
    ov_buf_t head; /* request line and header lines */
    ov_buf_t body;
} seen_t;

typedef struct conn_s conn_t;

typedef struct {
    uv_tcp_t listener;
    int port;
    const char *reply; /* the raw answer; NULL: never answer */
    seen_t seen;       /* the last complete request */
    int nseen;
    int nclosed; /* connections the peer closed */
    conn_t *conns;
    int closing;
} srv_t;

struct conn_s {
    uv_tcp_t tcp;
    srv_t *srv;
    conn_t *prev, *next;
    ov_buf_t in;
    int answered;
    int closing;
};

static void conn_closed_cb(uv_handle_t *h)
{
    conn_t *c = h->data;
    ov_buf_free(&c->in);
    free(c);
}

/* Closes `c` once; a write ending after the peer's EOF (or cancelled by
 * the close) comes here a second time. */
static void conn_close(conn_t *c)
{
    srv_t *s = c->srv;
    if (c->closing)
        return;
    c->closing = 1;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    uv_close((uv_handle_t *)&c->tcp, conn_closed_cb);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    buf->base = ov_xmalloc(hint);
    buf->len = hint;
}

static void written_cb(uv_write_t *w, int status)
{
    conn_t *c = w->data;
    (void)status;
    free(w);
    /* The answer says "Connection: close". */
    conn_close(c);
}

/* Length of the header section (with its blank line), 0 if incomplete. */
static size_t head_len(const ov_buf_t *in)
{
    const char *end = in->data ? strstr(in->data, "\r\n\r\n") : NULL;
    return end ? (size_t)(end - in->data) + 4 : 0;
}

/* The value of header `name` in a header section (new), or NULL. */
static char *header_value(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l; l = strstr(l, "\r\n")) {
        l += 2;
        if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
            const char *v = l + n + 1;
            while (*v == ' ')
                v++;
            return ov_xstrndup(v, strcspn(v, "\r\n"));
        }
    }
    return NULL;
}

static void request_done(conn_t *c, size_t hl, size_t cl)
{
    srv_t *s = c->srv;
    seen_t *r = &s->seen;
    ov_buf_reset(&r->head);
    ov_buf_reset(&r->body);
    ov_buf_append(&r->head, c->in.data, hl);
    ov_buf_append(&r->body, c->in.data + hl, cl);
    ASSERT_INT_EQ(sscanf(c->in.data, "%15s %255s", r->method, r->path), 2);
    s->nseen++;
    c->answered = 1;
    if (!s->reply)
        return;
    uv_write_t *w = ov_xcalloc(1, sizeof(*w));
    w->data = c;
    uv_buf_t b = uv_buf_init((char *)s->reply, (unsigned)strlen(s->reply));
    ASSERT_INT_EQ(uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, written_cb), 0);
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    conn_t *c = st->data;
    if (n > 0)
        ov_buf_append(&c->in, buf->base, (size_t)n);
    free(buf->base);
    if (n < 0) {
        c->srv->nclosed++;
        conn_close(c);
        return;
    }
    size_t hl = head_len(&c->in);
    if (c->answered || hl == 0)
        return;
    char *cl_s = header_value(c->in.data, "Content-Length");
    size_t cl = cl_s ? (size_t)strtoul(cl_s, NULL, 10) : 0;
    free(cl_s);
    if (c->in.len >= hl + cl)
        request_done(c, hl, cl);
}

static void accept_cb(uv_stream_t *l, int status)
{
    srv_t *s = l->data;
    ASSERT_INT_EQ(status, 0);
    conn_t *c = ov_xcalloc(1, sizeof(*c));
    c->srv = s;
    uv_tcp_init(&loop, &c->tcp);
    c->tcp.data = c;
    ASSERT_INT_EQ(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    ASSERT_INT_EQ(uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb), 0);
}

static void srv_start(srv_t *s, const char *reply)
{
    struct sockaddr_in a;
    struct sockaddr_storage got;
    int len = sizeof(got);
    memset(s, 0, sizeof(*s));
    s->reply = reply;
    ASSERT_INT_EQ(uv_ip4_addr("127.0.0.1", 0, &a), 0);
    uv_tcp_init(&loop, &s->listener);
    s->listener.data = s;
    ASSERT_INT_EQ(uv_tcp_bind(&s->listener, (struct sockaddr *)&a, 0), 0);
    ASSERT_INT_EQ(uv_listen((uv_stream_t *)&s->listener, 16, accept_cb), 0);
    ASSERT_INT_EQ(
        uv_tcp_getsockname(&s->listener, (struct sockaddr *)&got, &len), 0);
    s->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
}

static void listener_closed_cb(uv_handle_t *h)
{
    srv_t *s = h->data;
    s->closing = 0;
}

/* Closes the server; returns once its port is free and `s` may be
 * reused. */
static void srv_stop(srv_t *s)
{
    while (s->conns)
        conn_close(s->conns);
    s->closing = 1;
    uv_close((uv_handle_t *)&s->listener, listener_closed_cb);
    while (s->closing)
        uv_run(&loop, UV_RUN_NOWAIT);
    ov_buf_free(&s->seen.head);
    ov_buf_free(&s->seen.body);
}

/* A raw HTTP/1.1 answer (new) with `body` and a matching length. */
static char *canned(int status, const char *ctype, const char *body)
{
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_printf(&b,
                  "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: "
                  "%zu\r\nConnection: close\r\n\r\n%s",
                  status, ctype, strlen(body), body);
    return b.data;
}

static char *url_of(const srv_t *s, const char *path)
{
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_printf(&b, "http://127.0.0.1:%d%s", s->port, path);
    return b.data;
}

/* ---- running the loop ------------------------------------------------- */

static void tick_cb(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until *flag is set or `ms` have passed; returns *flag. */
static int run_until(const int *flag, int ms)
{
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, tick_cb, 10, 10);
    uv_update_time(&loop);
    uint64_t deadline = uv_now(&loop) + (uint64_t)ms;
    while (!*flag) {
        uv_update_time(&loop);
        if (uv_now(&loop) >= deadline)
            break;
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return *flag;
}

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
