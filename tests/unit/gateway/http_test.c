/*
 * http_test: gw_http over real loopback sockets.
 *
 * The server runs on its own uv loop in a second thread; the tests are
 * blocking BSD-socket clients in the main thread with a receive timeout.
 * Code that must touch the server (counters, shutdown) runs on the loop
 * thread through run_on_loop().
 */
#include "gw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ov_util.h"
#include "test.h"

/* ---- the server thread ----------------------------------------------------
 */

static uv_loop_t loop;
static uv_async_t async;
static pthread_t thread;
static gw_http_server_t *srv;
static int port;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static void (*pending_fn)(void);
static int fn_done;

/* Observations made on the loop thread. */
static size_t obs_conns, obs_inflight;
static int gone_count, handled_count;

static void async_cb(uv_async_t *a)
{
    void (*fn)(void);

    (void)a;
    pthread_mutex_lock(&mu);
    fn = pending_fn;
    pending_fn = NULL;
    pthread_mutex_unlock(&mu);
    if (fn == NULL)
        return;
    fn();
    pthread_mutex_lock(&mu);
    fn_done = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static void run_on_loop(void (*fn)(void))
{
    pthread_mutex_lock(&mu);
    pending_fn = fn;
    fn_done = 0;
    pthread_mutex_unlock(&mu);
    uv_async_send(&async);
    pthread_mutex_lock(&mu);
    while (!fn_done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void echo(gw_req_t *req)
{
    json_t *o = json_object();
    const char *xt = gw_req_header(req, "x-test");

    json_object_set_new(o, "method", json_string(req->method));
    json_object_set_new(o, "target",
                        json_stringn(req->target.ptr, req->target.len));
    json_object_set_new(o, "path", json_stringn(req->path.ptr, req->path.len));
    json_object_set_new(o, "query",
                        json_stringn(req->query.ptr, req->query.len));
    json_object_set_new(o, "x_test", xt ? json_string(xt) : json_null());
    json_object_set_new(o, "body_len", json_integer((json_int_t)req->body.len));
    json_object_set_new(
        o, "body",
        json_stringn(req->body.len ? req->body.data : "", req->body.len));
    gw_http_send_json(req, 200, o, "X-Echo: 1\r\n");
}

static void slow_close_cb(uv_handle_t *h)
{
    free(h);
}

static void slow_cb(uv_timer_t *t)
{
    gw_req_t *req = t->data;

    if (gw_req_is_gone(req))
        gone_count++;
    echo(req);
    gw_req_unref(req);
    uv_close((uv_handle_t *)t, slow_close_cb);
}

static void answer_later(gw_req_t *req, unsigned ms)
{
    uv_timer_t *t = malloc(sizeof(*t));

    gw_req_ref(req);
    uv_timer_init(&loop, t);
    t->data = req;
    uv_timer_start(t, slow_cb, ms, 0);
}

/* ---- streamed responses: a producer on the loop thread -----------------
 *
 * GET /stream?n=<bytes>&chunk=<bytes>[&chunked=1][&delay=<ms>][&abort=<at>]
 * answers n bytes of pattern_byte() through the streaming API, writing
 * while the unsent bytes stay below GW_HTTP_STREAM_HIGH and otherwise
 * waiting for the drain callback, exactly as a file producer does. */

typedef struct {
    gw_req_t *req;
    uv_timer_t timer;
    size_t total, sent, chunk, abort_at;
    int chunked;
} prod_t;

/* Observed on the loop thread. */
static int prod_active, prod_gone, prod_waits, prod_done;
static size_t prod_max_backlog;

static unsigned char pattern_byte(size_t i)
{
    return (unsigned char)(i * 131u + (i >> 16));
}

static size_t query_num(const gw_req_t *req, const char *key, size_t dflt)
{
    char pat[32];
    const char *q = req->query.ptr, *p;
    size_t kl = (size_t)snprintf(pat, sizeof(pat), "%s=", key);

    for (p = q; (p = strstr(p, pat)) != NULL; p += kl)
        if (p == q || p[-1] == '&')
            return (size_t)strtoull(p + kl, NULL, 10);
    return dflt;
}

static void prod_close_cb(uv_handle_t *h)
{
    prod_t *p = h->data;

    gw_req_unref(p->req);
    free(p);
    prod_active--;
}

static void prod_finish(prod_t *p)
{
    uv_close((uv_handle_t *)&p->timer, prod_close_cb);
}

static void prod_run(prod_t *p);

static void prod_drain_cb(gw_req_t *req, void *data)
{
    (void)req;
    prod_run(data);
}

static void prod_run(prod_t *p)
{
    char buf[65536];

    for (;;) {
        size_t n, b;
        if (gw_req_is_gone(p->req)) {
            prod_gone++;
            prod_finish(p);
            return;
        }
        if (p->abort_at && p->sent >= p->abort_at) {
            gw_http_stream_end(p->req, 1);
            prod_finish(p);
            return;
        }
        if (p->sent == p->total) {
            gw_http_stream_end(p->req, 0);
            prod_done++;
            prod_finish(p);
            return;
        }
        n = p->total - p->sent;
        if (n > p->chunk)
            n = p->chunk;
        if (n > sizeof(buf))
            n = sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)pattern_byte(p->sent + i);
        b = gw_http_stream_write(p->req, buf, n);
        p->sent += n;
        if (b > prod_max_backlog)
            prod_max_backlog = b;
        if (b >= GW_HTTP_STREAM_HIGH) {
            prod_waits++;
            gw_http_stream_on_drain(p->req, prod_drain_cb, p);
            return;
        }
    }
}

static void prod_start(prod_t *p)
{
    ASSERT_INT_EQ(gw_http_stream_start(p->req, 200, "application/octet-stream",
                                       "X-Stream: 1\r\n",
                                       p->chunked ? -1 : (int64_t)p->total),
                  0);
    /* A second answer to the same request is refused. */
    ASSERT_INT_EQ(gw_http_stream_start(p->req, 200, NULL, NULL, 0), -1);
    gw_http_respond(p->req, 500, NULL, NULL, "x", 1);
    prod_run(p);
}

static void prod_delay_cb(uv_timer_t *t)
{
    prod_start(t->data);
}

static void stream_handler(gw_req_t *req)
{
    prod_t *p = calloc(1, sizeof(*p));
    size_t delay = query_num(req, "delay", 0);

    p->req = req;
    gw_req_ref(req);
    p->total = query_num(req, "n", 0);
    p->chunk = query_num(req, "chunk", 65536);
    p->chunked = query_num(req, "chunked", 0) != 0;
    p->abort_at = query_num(req, "abort", 0);
    uv_timer_init(&loop, &p->timer);
    p->timer.data = p;
    prod_active++;
    if (delay)
        uv_timer_start(&p->timer, prod_delay_cb, delay, 0);
    else
        prod_start(p);
}

static void handler(gw_req_t *req, void *data)
{
    (void)data;
    handled_count++;
    if (ov_str_eq(req->path, OV_STR_LIT("/slow")))
        answer_later(req, 100);
    else if (ov_str_eq(req->path, OV_STR_LIT("/hold")))
        answer_later(req, 300);
    else if (ov_str_eq(req->path, OV_STR_LIT("/stream")))
        stream_handler(req);
    else if (ov_str_eq(req->path, OV_STR_LIT("/nocontent")))
        gw_http_respond(req, 204, NULL, NULL, NULL, 0);
    else if (ov_str_eq(req->path, OV_STR_LIT("/error")))
        gw_http_send_error(req, 404, "Not Found", "No such thing",
                           json_pack("{s:s}", "id", "x"));
    else
        echo(req);
}

static void *thread_main(void *arg)
{
    (void)arg;
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static void server_start(void)
{
    gw_http_limits_t l;

    gw_http_limits_default(&l);
    l.max_url_bytes = 1024;
    l.max_header_bytes = 4096;
    l.max_headers = 20;
    l.max_body_bytes = 65536;
    l.header_timeout_ms = 300;
    l.body_timeout_ms = 300;
    l.idle_timeout_ms = 500;
    l.max_connections = 8;
    l.max_pipeline = 32;
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    ASSERT_INT_EQ(uv_async_init(&loop, &async, async_cb), 0);
    ASSERT_INT_EQ(gw_http_server_new(&srv, &loop, &l, handler, NULL), 0);
    ASSERT_INT_EQ(gw_http_server_port(srv), -1);
    ASSERT_INT_EQ(gw_http_server_listen(srv, "127.0.0.1", 0), 0);
    port = gw_http_server_port(srv);
    ASSERT(port > 0);
    ASSERT_INT_EQ(pthread_create(&thread, NULL, thread_main, NULL), 0);
}

static void observe(void)
{
    obs_conns = gw_http_server_connections(srv);
    obs_inflight = gw_http_server_inflight(srv);
}

static int server_closed;

static void on_server_closed(void *arg)
{
    (void)arg;
    server_closed = 1;
    uv_close((uv_handle_t *)&async, NULL);
}

static void do_close(void)
{
    gw_http_server_close(srv, on_server_closed, NULL);
    srv = NULL;
}

static void do_stop_accepting(void)
{
    gw_http_server_stop_accepting(srv);
}

static void server_stop(void)
{
    run_on_loop(do_close);
    ASSERT_INT_EQ(pthread_join(thread, NULL), 0);
    ASSERT_INT_EQ(server_closed, 1);
    ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}

/* ---- the client side --------------------------------------------------------
 */

typedef struct {
    int fd;
    char buf[1 << 18];
    size_t len;
} client_t;

typedef struct {
    int status;
    char head[8192]; /* status line and header lines */
    char *body;      /* NUL-terminated, owned */
    size_t body_len;
} resp_t;

static uint64_t now_ms(void)
{
    return ov_time_mono_ns() / 1000000u;
}

static client_t *cli_open(void)
{
    client_t *c = calloc(1, sizeof(*c));
    struct sockaddr_in a;
    struct timeval tv = {3, 0};

    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(c->fd >= 0);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_INT_EQ(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return c;
}

static void cli_close(client_t *c)
{
    close(c->fd);
    free(c);
}

static void cli_sendn(client_t *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return; /* the server may have closed; reads tell */
        p += k;
        n -= (size_t)k;
    }
}

static void cli_send(client_t *c, const char *s)
{
    cli_sendn(c, s, strlen(s));
}

/* Reads more bytes; returns the count, 0 on EOF, -1 on timeout/error. */
static ssize_t cli_fill(client_t *c)
{
    ssize_t k;

    /* One byte stays free for the NUL that the readers put after it. */
    ASSERT(c->len < sizeof(c->buf) - 1);
    do
        k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
    while (k < 0 && errno == EINTR);
    if (k > 0)
        c->len += (size_t)k;
    return k < 0 ? -1 : k;
}

static const char *find_header(const resp_t *r, const char *name)
{
    static char val[1024];
    size_t nl = strlen(name);
    const char *p = strstr(r->head, "\r\n");

    while (p && p[2] != '\0') {
        const char *line = p + 2;
        const char *end = strstr(line, "\r\n");
        if (end == NULL)
            break;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(val, sizeof(val), "%.*s", (int)(end - v), v);
            return val;
        }
        p = end;
    }
    return NULL;
}

/* Reads one response; `head_only` for HEAD requests. Returns 0, or -1 on
 * EOF/timeout before a complete response. */
static int cli_read_resp_ex(client_t *c, resp_t *r, int head_only)
{
    char *eoh;
    size_t hlen, need;
    const char *cl;

    memset(r, 0, sizeof(*r));
    for (;;) {
        c->buf[c->len] = '\0';
        eoh = c->len ? strstr(c->buf, "\r\n\r\n") : NULL;
        if (eoh)
            break;
        if (cli_fill(c) <= 0)
            return -1;
    }
    hlen = (size_t)(eoh - c->buf) + 4;
    ASSERT(hlen < sizeof(r->head));
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    ASSERT(sscanf(r->head, "HTTP/1.1 %d ", &r->status) == 1);
    cl = find_header(r, "Content-Length");
    need = (cl && !head_only) ? (size_t)strtoul(cl, NULL, 10) : 0;
    while (c->len < hlen + need)
        if (cli_fill(c) <= 0)
            return -1;
    r->body = malloc(need + 1);
    memcpy(r->body, c->buf + hlen, need);
    r->body[need] = '\0';
    r->body_len = need;
    memmove(c->buf, c->buf + hlen + need, c->len - hlen - need);
    c->len -= hlen + need;
    return 0;
}

static void cli_read_resp(client_t *c, resp_t *r)
{
    ASSERT_INT_EQ(cli_read_resp_ex(c, r, 0), 0);
}

static void resp_free(resp_t *r)
{
    free(r->body);
    r->body = NULL;
}

/* True if the server closes the connection (EOF, or a reset) with no more
 * data. */
static int cli_eof(client_t *c)
{
    ssize_t k = cli_fill(c);

    if (k == 0)
        return 1;
    if (k < 0 && errno == ECONNRESET)
        return 1;
    return 0;
}

static const char *json_str(const char *body, const char *key)
{
    static char out[2048];
    json_t *o = json_loads(body, 0, NULL);
    json_t *v;

    out[0] = '\0';
    ASSERT_NOT_NULL(o);
    v = json_object_get(o, key);
    if (json_is_string(v))
        snprintf(out, sizeof(out), "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, sizeof(out), "%lld", (long long)json_integer_value(v));
    else if (json_is_null(v))
        snprintf(out, sizeof(out), "null");
    else
        snprintf(out, sizeof(out), "(absent)");
    json_decref(o);
    return out;
}

/* Sends `req` on a new connection, expects an error `status` with the
 * exact JSON body, "Connection: close", then EOF. */
static void expect_error_close(client_t *c, int status, const char *body)
{
    resp_t r;

    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, status);
    ASSERT_STR_EQ(r.body, body);
    ASSERT_STR_EQ(find_header(&r, "Content-Type"),
                  "application/json; charset=utf-8");
    ASSERT_STR_EQ(find_header(&r, "Connection"), "close");
    resp_free(&r);
    ASSERT(cli_eof(c));
}

static void wait_connections(size_t n)
{
    for (int i = 0; i < 300; i++) {
        run_on_loop(observe);
        if (obs_conns == n)
            return;
        usleep(10000);
    }
    ASSERT_UINT_EQ(obs_conns, n);
}

/* ---- tests ----------------------------------------------------------------
 */

static void test_simple_get(void)
{
    client_t *c = cli_open();
    resp_t r;
    const char *date;
    char want[64];

    cli_send(c, "GET /echo?a=1&b=2 HTTP/1.1\r\nHost: x\r\n"
                "X-Test:  v1 \r\nOther: o\r\nx-TEST:\tv2\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
    ASSERT_STR_EQ(r.body,
                  "{\"method\":\"GET\",\"target\":\"/echo?a=1&b=2\","
                  "\"path\":\"/echo\",\"query\":\"a=1&b=2\","
                  "\"x_test\":\"v1, v2\",\"body_len\":0,\"body\":\"\"}");
    ASSERT_STR_EQ(find_header(&r, "Content-Type"),
                  "application/json; charset=utf-8");
    snprintf(want, sizeof(want), "%zu", r.body_len);
    ASSERT_STR_EQ(find_header(&r, "Content-Length"), want);
    ASSERT_STR_EQ(find_header(&r, "X-Echo"), "1");
    ASSERT_NULL(find_header(&r, "Connection"));
    date = find_header(&r, "Date");
    ASSERT_NOT_NULL(date);
    ASSERT_UINT_EQ(strlen(date), 29); /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    ASSERT(strcmp(date + 25, " GMT") == 0);
    resp_free(&r);

    /* A request without a query; gw_http_send_error with details. */
    cli_send(c, "GET /error HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT(strncmp(r.head, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
    ASSERT_STR_EQ(r.body,
                  "{\"error\":\"Not Found\",\"message\":\"No such thing\","
                  "\"details\":{\"id\":\"x\"}}");
    resp_free(&r);

    /* 204 carries no body and no Content-Length. */
    cli_send(c, "DELETE /nocontent HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT(strncmp(r.head, "HTTP/1.1 204 No Content\r\n", 25) == 0);
    ASSERT_NULL(find_header(&r, "Content-Length"));
    resp_free(&r);
    cli_close(c);
}

static void test_keep_alive(void)
{
    client_t *c = cli_open();
    resp_t r;

    cli_send(c, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(json_str(r.body, "path"), "/one");
    resp_free(&r);
    cli_send(c,
             "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(json_str(r.body, "path"), "/two");
    ASSERT_STR_EQ(json_str(r.body, "method"), "POST");
    ASSERT_STR_EQ(json_str(r.body, "body"), "abc");
    resp_free(&r);
    cli_close(c);
}

static void test_pipelining(void)
{
    client_t *c = cli_open();
    resp_t r;
    uint64_t t0 = now_ms();

    cli_send(c,
             "GET /slow?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /a?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /b?n=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(json_str(r.body, "target"), "/slow?n=1");
    ASSERT(now_ms() - t0 >= 90);
    resp_free(&r);
    /* The two fast answers were ready first and went out right behind. */
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "target"), "/a?n=2");
    resp_free(&r);
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "target"), "/b?n=3");
    ASSERT_STR_EQ(json_str(r.body, "body"), "hi");
    resp_free(&r);
    cli_close(c);
}

static void test_pipeline_many(void)
{
    client_t *c = cli_open();
    ov_buf_t b = OV_BUF_INIT;
    resp_t r;
    char want[32];

    /* More than max_pipeline (32) requests in one send: reading pauses and
     * resumes, and every answer comes back in order. */
    for (int i = 0; i < 100; i++)
        ov_buf_printf(&b, "GET /%s?i=%d HTTP/1.1\r\nHost: x\r\n\r\n",
                      i % 10 == 0 ? "slow" : "p", i);
    cli_sendn(c, b.data, b.len);
    ov_buf_free(&b);
    for (int i = 0; i < 100; i++) {
        cli_read_resp(c, &r);
        ASSERT_INT_EQ(r.status, 200);
        snprintf(want, sizeof(want), "i=%d", i);
        ASSERT_STR_EQ(json_str(r.body, "query"), want);
        resp_free(&r);
    }
    cli_close(c);
}

static void test_chunked(void)
{
    client_t *c = cli_open();
    resp_t r;

    cli_send(
        c, "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5\r\nhello\r\n");
    usleep(20000);
    cli_send(c, "6;ext=1\r\n world\r\n0\r\nTrailer-X: y\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(json_str(r.body, "body"), "hello world");
    ASSERT_STR_EQ(json_str(r.body, "body_len"), "11");
    resp_free(&r);
    cli_close(c);
}

static void test_expect_continue(void)
{
    client_t *c = cli_open();
    resp_t r;

    cli_send(c, "PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                "Content-Length: 5\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(r.head, "HTTP/1.1 100 Continue\r\n\r\n");
    resp_free(&r);
    cli_send(c, "12345");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(json_str(r.body, "body"), "12345");
    resp_free(&r);
    cli_close(c);

    /* Too large: 413 at once, no 100. */
    c = cli_open();
    cli_send(c, "PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                "Content-Length: 100000\r\n\r\n");
    expect_error_close(c, 413,
                       "{\"error\":\"Payload Too Large\",\"message\":"
                       "\"Request body exceeds the size limit\"}");
    cli_close(c);

    /* Unknown expectation: 417. */
    c = cli_open();
    cli_send(c, "PUT /e HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n"
                "Content-Length: 5\r\n\r\n12345");
    expect_error_close(c, 417,
                       "{\"error\":\"Expectation Failed\",\"message\":"
                       "\"Unsupported expectation\"}");
    cli_close(c);
}

static void test_uri_too_long(void)
{
    client_t *c = cli_open();
    char target[1100];
    resp_t r;

    memset(target, 'a', sizeof(target) - 1);
    target[0] = '/';
    target[sizeof(target) - 1] = '\0';
    /* An answer before the error is written first. */
    cli_send(c, "GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET ");
    cli_send(c, target);
    cli_send(c, " HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_NULL(find_header(&r, "Connection"));
    resp_free(&r);
    expect_error_close(c, 414,
                       "{\"error\":\"URI Too Long\",\"message\":"
                       "\"Request URL exceeds the size limit\"}");
    cli_close(c);
}

static void test_headers_too_big(void)
{
    static const char body[] =
        "{\"error\":\"Request Header Fields Too Large\",\"message\":"
        "\"Request header section exceeds the size limit\"}";
    client_t *c = cli_open();
    char big[5000];
    ov_buf_t b = OV_BUF_INIT;

    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cli_send(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    cli_send(c, big);
    cli_send(c, "\r\n\r\n");
    expect_error_close(c, 431, body);
    cli_close(c);

    /* Too many headers (the limit is 20). */
    c = cli_open();
    ov_buf_appends(&b, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 25; i++)
        ov_buf_printf(&b, "X-H%d: %d\r\n", i, i);
    ov_buf_appends(&b, "\r\n");
    cli_sendn(c, b.data, b.len);
    ov_buf_free(&b);
    expect_error_close(c, 431, body);
    cli_close(c);
}

static void test_body_too_big(void)
{
    static const char body[] = "{\"error\":\"Payload Too Large\",\"message\":"
                               "\"Request body exceeds the size limit\"}";
    client_t *c = cli_open();
    char chunk[8192 + 16];

    cli_send(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n");
    expect_error_close(c, 413, body);
    cli_close(c);

    c = cli_open();
    cli_send(
        c, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    memset(chunk, 'z', sizeof(chunk));
    memcpy(chunk, "2000\r\n", 6);
    memcpy(chunk + 6 + 8192, "\r\n", 2);
    for (int i = 0; i < 9; i++)
        cli_sendn(c, chunk, 6 + 8192 + 2);
    expect_error_close(c, 413, body);
    cli_close(c);
}

static void test_bad_requests(void)
{
    static const char body[] =
        "{\"error\":\"Bad Request\",\"message\":\"Malformed request\"}";
    static const char *const reqs[] = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
        "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
        "Content-Length: 3\r\n\r\nabc",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n bad-fold\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    };
    resp_t r;

    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        client_t *c = cli_open();
        cli_send(c, reqs[i]);
        expect_error_close(c, 400, body);
        cli_close(c);
    }

    /* A good request, then garbage: 200, then 400 and close. */
    {
        client_t *c = cli_open();
        cli_send(c, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n\x01\x02 junk\r\n\r\n");
        cli_read_resp(c, &r);
        ASSERT_INT_EQ(r.status, 200);
        resp_free(&r);
        expect_error_close(c, 400, body);
        cli_close(c);
    }
}

static void test_timeouts(void)
{
    static const char body[] = "{\"error\":\"Request Timeout\",\"message\":"
                               "\"Request was not received in time\"}";
    client_t *c = cli_open();
    uint64_t t0 = now_ms(), el;

    /* Slow headers. */
    cli_send(c, "GET /x HTTP/1.1\r\nHost: x\r\n");
    expect_error_close(c, 408, body);
    el = now_ms() - t0;
    ASSERT(el >= 250 && el < 2000);
    cli_close(c);

    /* Slow body. */
    c = cli_open();
    t0 = now_ms();
    cli_send(c, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    expect_error_close(c, 408, body);
    el = now_ms() - t0;
    ASSERT(el >= 250 && el < 2000);
    cli_close(c);

    /* Idle keep-alive: closed silently after 500 ms. */
    c = cli_open();
    {
        resp_t r;
        cli_send(c, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
        cli_read_resp(c, &r);
        ASSERT_INT_EQ(r.status, 200);
        resp_free(&r);
    }
    t0 = now_ms();
    ASSERT(cli_eof(c));
    el = now_ms() - t0;
    ASSERT(el >= 400 && el < 2000);
    ASSERT_UINT_EQ(c->len, 0);
    cli_close(c);

    /* A connection that never sends anything is idle too. */
    c = cli_open();
    t0 = now_ms();
    ASSERT(cli_eof(c));
    ASSERT_UINT_EQ(c->len, 0);
    ASSERT(now_ms() - t0 >= 400);
    cli_close(c);
}

static void test_head(void)
{
    client_t *c = cli_open();
    resp_t r;

    cli_send(c, "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: "
                "x\r\n\r\n");
    ASSERT_INT_EQ(cli_read_resp_ex(c, &r, 1), 0);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT(strtoul(find_header(&r, "Content-Length"), NULL, 10) > 20);
    resp_free(&r);
    /* The next bytes are the GET's response, not a HEAD body. */
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(json_str(r.body, "path"), "/g");
    resp_free(&r);
    cli_close(c);
}

static void test_http10(void)
{
    client_t *c = cli_open();
    resp_t r;

    cli_send(c, "GET /old HTTP/1.0\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(find_header(&r, "Connection"), "close");
    ASSERT_STR_EQ(json_str(r.body, "path"), "/old");
    resp_free(&r);
    ASSERT(cli_eof(c));
    cli_close(c);

    c = cli_open();
    cli_send(c, "GET /old1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(find_header(&r, "Connection"), "keep-alive");
    resp_free(&r);
    cli_send(c, "GET /old2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "path"), "/old2");
    resp_free(&r);
    cli_close(c);

    /* HTTP/1.1 with Connection: close; what follows is ignored. */
    c = cli_open();
    cli_send(c, "GET /bye HTTP/1.1\r\nConnection: close\r\n\r\n"
                "GET /ignored HTTP/1.1\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(find_header(&r, "Connection"), "close");
    ASSERT_STR_EQ(json_str(r.body, "path"), "/bye");
    resp_free(&r);
    ASSERT(cli_eof(c));
    ASSERT_UINT_EQ(c->len, 0);
    cli_close(c);
}

static void test_client_gone(void)
{
    client_t *c = cli_open();

    gone_count = 0;
    cli_send(c, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    usleep(50000);
    cli_close(c);
    usleep(400000);
    run_on_loop(observe);
    ASSERT_INT_EQ(gone_count, 1);
    ASSERT_UINT_EQ(obs_inflight, 0);
}

/* Mutated and truncated requests, sent in pieces on connections that the
 * client drops at once: nothing may crash or leak, and the server keeps
 * serving. */
static void test_garbage(void)
{
    static const char *const base[] = {
        "POST /echo?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "X-Test: t\r\n\r\nhelloGET /slow HTTP/1.1\r\n\r\n",
        "PUT /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: "
        "100-continue\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n",
        "GET /hold HTTP/1.0\r\nConnection: keep-alive\r\n\r\nHEAD / "
        "HTTP/1.1\r\n\r\n",
    };
    unsigned seed = 12345;
    client_t *c;
    resp_t r;

    for (int it = 0; it < 300; it++) {
        char buf[256];
        size_t n, off = 0;

        snprintf(buf, sizeof(buf), "%s", base[it % 3]);
        n = strlen(buf);
        for (int k = 0; k < it % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % n] = (char)(seed >> 16);
        }
        seed = seed * 1103515245u + 12345u;
        if (it % 5 == 0)
            n = (seed >> 8) % n;
        c = cli_open();
        while (off < n) {
            size_t k = 1 + (size_t)((seed >> 4) % 40);
            if (k > n - off)
                k = n - off;
            cli_sendn(c, buf + off, k);
            off += k;
        }
        if (it % 10 == 0)
            usleep(1000);
        cli_close(c);
    }
    wait_connections(0);
    run_on_loop(observe);
    ASSERT_UINT_EQ(obs_inflight, 0);
    c = cli_open();
    cli_send(c, "GET /alive HTTP/1.1\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    resp_free(&r);
    cli_close(c);
}

static void test_connection_limit(void)
{
    client_t *cs[8];
    client_t *extra;
    resp_t r;

    wait_connections(0);
    for (int i = 0; i < 8; i++) {
        cs[i] = cli_open();
        cli_send(cs[i], "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
        cli_read_resp(cs[i], &r);
        ASSERT_INT_EQ(r.status, 200);
        resp_free(&r);
    }
    run_on_loop(observe);
    ASSERT_UINT_EQ(obs_conns, 8);
    extra = cli_open();
    expect_error_close(extra, 503,
                       "{\"error\":\"Service Unavailable\","
                       "\"message\":\"Too many connections\"}");
    cli_close(extra);
    /* The served connections still work. */
    cli_send(cs[3], "GET /still HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(cs[3], &r);
    ASSERT_INT_EQ(r.status, 200);
    resp_free(&r);
    for (int i = 0; i < 8; i++)
        cli_close(cs[i]);
    wait_connections(0);
    /* Room again. */
    extra = cli_open();
    cli_send(extra, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(extra, &r);
    ASSERT_INT_EQ(r.status, 200);
    resp_free(&r);
    cli_close(extra);
}

static void test_stop_accepting(void)
{
    client_t *idle = cli_open();
    client_t *busy = cli_open();
    struct sockaddr_in a;
    resp_t r;
    int fd;

    wait_connections(2);
    cli_send(busy, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    usleep(50000);
    run_on_loop(do_stop_accepting);
    /* The idle connection closes at once; the busy one gets its answer
     * with "Connection: close". */
    ASSERT(cli_eof(idle));
    cli_read_resp(busy, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(find_header(&r, "Connection"), "close");
    resp_free(&r);
    ASSERT(cli_eof(busy));
    cli_close(idle);
    cli_close(busy);

    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_INT_NE(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    close(fd);
    wait_connections(0);
    run_on_loop(observe);
    ASSERT_UINT_EQ(obs_inflight, 0);
}

/* ---- streamed responses ---------------------------------------------------
 */

static void prod_reset(void)
{
    prod_gone = prod_waits = prod_done = 0;
    prod_max_backlog = 0;
}

/* Reads a response's status line and headers, leaving the body in c->buf.
 * Returns 0, or -1 on EOF/timeout first. */
static int cli_read_head(client_t *c, resp_t *r)
{
    char *eoh;
    size_t hlen;

    memset(r, 0, sizeof(*r));
    for (;;) {
        eoh = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (eoh)
            break;
        if (cli_fill(c) <= 0)
            return -1;
    }
    hlen = (size_t)(eoh - c->buf) + 4;
    ASSERT(hlen < sizeof(r->head));
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    ASSERT(sscanf(r->head, "HTTP/1.1 %d ", &r->status) == 1);
    memmove(c->buf, c->buf + hlen, c->len - hlen);
    c->len -= hlen;
    return 0;
}

/* Takes up to `max` buffered bytes (reading more if none), checking them
 * against the pattern from offset *off. Returns the count, 0 on EOF. */
static size_t cli_take_pattern(client_t *c, size_t max, size_t *off)
{
    size_t n;

    if (c->len == 0 && cli_fill(c) <= 0)
        return 0;
    n = c->len < max ? c->len : max;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)c->buf[i] != pattern_byte(*off + i))
            TEST__FAIL("body byte %zu differs", *off + i);
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    *off += n;
    return n;
}

/* Reads a CRLF-terminated line into `out`. Returns 0, or -1 on EOF. */
static int cli_read_line(client_t *c, char *out, size_t outlen)
{
    char *nl;
    size_t n;

    for (;;) {
        nl = memmem(c->buf, c->len, "\r\n", 2);
        if (nl)
            break;
        if (cli_fill(c) <= 0)
            return -1;
    }
    n = (size_t)(nl - c->buf);
    ASSERT(n < outlen);
    memcpy(out, c->buf, n);
    out[n] = '\0';
    memmove(c->buf, nl + 2, c->len - n - 2);
    c->len -= n + 2;
    return 0;
}

/* Reads a body of `n` pattern bytes; returns how many arrived. */
static size_t cli_read_pattern(client_t *c, size_t n)
{
    size_t off = 0;

    while (off < n)
        if (cli_take_pattern(c, n - off, &off) == 0)
            break;
    return off;
}

/* Reads a chunked body of pattern bytes; returns the total, or (size_t)-1
 * if it ended before the last chunk. Counts the chunks in *nchunks. */
static size_t cli_read_chunked_pattern(client_t *c, size_t *nchunks)
{
    char line[64];
    size_t off = 0;

    *nchunks = 0;
    for (;;) {
        size_t len, got = 0;
        if (cli_read_line(c, line, sizeof(line)) < 0)
            return (size_t)-1;
        len = (size_t)strtoul(line, NULL, 16);
        if (len == 0)
            break;
        (*nchunks)++;
        while (got < len) {
            size_t k = cli_take_pattern(c, len - got, &off);
            if (k == 0)
                return (size_t)-1;
            got += k;
        }
        if (cli_read_line(c, line, sizeof(line)) < 0)
            return (size_t)-1;
        ASSERT_STR_EQ(line, "");
    }
    ASSERT_INT_EQ(cli_read_line(c, line, sizeof(line)), 0); /* no trailers */
    ASSERT_STR_EQ(line, "");
    return off;
}

static void wait_producers(void)
{
    for (int i = 0; i < 300; i++) {
        run_on_loop(observe);
        if (prod_active == 0 && obs_inflight == 0)
            return;
        usleep(10000);
    }
    ASSERT_INT_EQ(prod_active, 0);
    ASSERT_UINT_EQ(obs_inflight, 0);
}

static void test_stream_content_length(void)
{
    client_t *c = cli_open();
    resp_t r;
    const size_t n = 8u * 1024u * 1024u + 123u;
    char req[128];

    prod_reset();
    /* Odd-sized chunks, so that writes straddle the high-water mark. */
    snprintf(req, sizeof(req),
             "GET /stream?n=%zu&chunk=10007 HTTP/1.1\r\nHost: x\r\n\r\n", n);
    cli_send(c, req);
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_UINT_EQ(strtoull(find_header(&r, "Content-Length"), NULL, 10), n);
    ASSERT_STR_EQ(find_header(&r, "Content-Type"), "application/octet-stream");
    ASSERT_STR_EQ(find_header(&r, "X-Stream"), "1");
    ASSERT_NULL(find_header(&r, "Transfer-Encoding"));
    ASSERT_NULL(find_header(&r, "Connection"));
    /* Read slowly at first, so that the producer must wait. */
    usleep(100000);
    ASSERT_UINT_EQ(cli_read_pattern(c, n), n);

    /* The connection stays usable after a complete stream. */
    cli_send(c, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(json_str(r.body, "path"), "/after");
    resp_free(&r);
    wait_producers();
    ASSERT_INT_EQ(prod_done, 1);
    ASSERT(prod_waits > 10);
    /* Memory stays bounded: at most the mark plus one chunk and the
     * headers are ever queued. */
    ASSERT(prod_max_backlog < GW_HTTP_STREAM_HIGH + 10007 + 512);
    cli_close(c);
}

static void test_stream_chunked(void)
{
    client_t *c = cli_open();
    resp_t r;
    size_t nchunks;

    prod_reset();
    cli_send(c, "GET /stream?n=3000000&chunk=30000&chunked=1 HTTP/1.1\r\n"
                "Host: x\r\n\r\n");
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(find_header(&r, "Transfer-Encoding"), "chunked");
    ASSERT_NULL(find_header(&r, "Content-Length"));
    ASSERT_UINT_EQ(cli_read_chunked_pattern(c, &nchunks), 3000000);
    ASSERT_UINT_EQ(nchunks, 100);

    /* An empty chunked stream is just the last chunk. */
    cli_send(c, "GET /stream?n=0&chunked=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT_UINT_EQ(cli_read_chunked_pattern(c, &nchunks), 0);
    ASSERT_UINT_EQ(nchunks, 0);

    /* An empty stream with Content-Length: 0 completes with no body byte
     * to write, and the connection carries on. */
    cli_send(c, "GET /stream?n=0&delay=20 HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_INT_EQ(r.status, 200);
    ASSERT_STR_EQ(find_header(&r, "Content-Length"), "0");
    resp_free(&r);
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "path"), "/next");
    resp_free(&r);
    wait_producers();
    ASSERT_INT_EQ(prod_done, 3);
    cli_close(c);
}

static void test_stream_pipelined(void)
{
    client_t *c = cli_open();
    resp_t r;
    size_t nchunks;

    prod_reset();
    /* The stream starts while a slower earlier answer is pending, and a
     * later request is answered before the stream even starts: the bytes
     * still come out in request order. */
    cli_send(c, "GET /slow?i=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /stream?n=2000000&chunk=65536 HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /e?i=3 HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /stream?n=1500000&chunked=1&delay=30 HTTP/1.1\r\n"
                "Host: x\r\n\r\n"
                "GET /e?i=5 HTTP/1.1\r\nHost: x\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "target"), "/slow?i=1");
    resp_free(&r);
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT_STR_EQ(find_header(&r, "Content-Length"), "2000000");
    ASSERT_UINT_EQ(cli_read_pattern(c, 2000000), 2000000);
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "target"), "/e?i=3");
    resp_free(&r);
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT_STR_EQ(find_header(&r, "Transfer-Encoding"), "chunked");
    ASSERT_UINT_EQ(cli_read_chunked_pattern(c, &nchunks), 1500000);
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "target"), "/e?i=5");
    resp_free(&r);
    wait_producers();
    ASSERT_INT_EQ(prod_done, 2);
    ASSERT(prod_max_backlog < GW_HTTP_STREAM_HIGH + 65536 + 4096);
    cli_close(c);
}

static void test_stream_head(void)
{
    client_t *c = cli_open();
    resp_t r;

    prod_reset();
    cli_send(c, "HEAD /stream?n=1000000 HTTP/1.1\r\nHost: x\r\n\r\n"
                "HEAD /stream?n=1000000&chunked=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /after-head HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_INT_EQ(cli_read_resp_ex(c, &r, 1), 0);
    ASSERT_STR_EQ(find_header(&r, "Content-Length"), "1000000");
    resp_free(&r);
    ASSERT_INT_EQ(cli_read_resp_ex(c, &r, 1), 0);
    ASSERT_STR_EQ(find_header(&r, "Transfer-Encoding"), "chunked");
    resp_free(&r);
    /* No body bytes were sent for either. */
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "path"), "/after-head");
    resp_free(&r);
    wait_producers();
    ASSERT_INT_EQ(prod_done, 2);
    cli_close(c);
}

static void test_stream_abort(void)
{
    client_t *c = cli_open();
    resp_t r;

    prod_reset();
    /* An aborted stream closes the connection after what was produced, so
     * the client sees fewer bytes than announced, then EOF. */
    cli_send(c, "GET /stream?n=1000000&chunk=1000&abort=300000 HTTP/1.1\r\n"
                "Host: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT_STR_EQ(find_header(&r, "Content-Length"), "1000000");
    ASSERT_UINT_EQ(cli_read_pattern(c, 1000000), 300000);
    ASSERT(cli_eof(c));
    cli_close(c);

    /* A chunked one ends without the last chunk. */
    c = cli_open();
    cli_send(c, "GET /stream?n=1000000&chunk=1000&abort=5000&chunked=1 "
                "HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    {
        size_t nchunks;
        ASSERT_UINT_EQ(cli_read_chunked_pattern(c, &nchunks), (size_t)-1);
        ASSERT_UINT_EQ(nchunks, 5);
    }
    cli_close(c);
    wait_producers();
}

static void test_stream_http10(void)
{
    client_t *c = cli_open();
    resp_t r;

    prod_reset();
    /* HTTP/1.0 has no chunked encoding: the body runs to the end of the
     * connection. */
    cli_send(c, "GET /stream?n=300000&chunked=1 HTTP/1.0\r\n\r\n");
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
    ASSERT_NULL(find_header(&r, "Transfer-Encoding"));
    ASSERT_NULL(find_header(&r, "Content-Length"));
    ASSERT_STR_EQ(find_header(&r, "Connection"), "close");
    ASSERT_UINT_EQ(cli_read_pattern(c, 1000000), 300000);
    cli_close(c);

    /* With a length it keeps the connection when asked to. */
    c = cli_open();
    cli_send(c, "GET /stream?n=300000 HTTP/1.0\r\n"
                "Connection: keep-alive\r\n\r\n");
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT_STR_EQ(find_header(&r, "Content-Length"), "300000");
    ASSERT_STR_EQ(find_header(&r, "Connection"), "keep-alive");
    ASSERT_UINT_EQ(cli_read_pattern(c, 300000), 300000);
    cli_send(c, "GET /again HTTP/1.0\r\n\r\n");
    cli_read_resp(c, &r);
    ASSERT_STR_EQ(json_str(r.body, "path"), "/again");
    resp_free(&r);
    cli_close(c);
    wait_producers();
    ASSERT_INT_EQ(prod_done, 2);
}

static void test_stream_client_gone(void)
{
    client_t *c = cli_open();
    resp_t r;
    char small[4096];

    prod_reset();
    /* The client takes the headers and a little, stops reading, then
     * leaves: the producer, waiting for room, hears of it through its
     * drain callback and everything is released. */
    cli_send(c, "GET /stream?n=500000000 HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_INT_EQ(cli_read_head(c, &r), 0);
    ASSERT(recv(c->fd, small, sizeof(small), 0) > 0);
    usleep(200000);
    run_on_loop(observe);
    ASSERT_INT_EQ(prod_active, 1);
    ASSERT(prod_waits >= 1);
    ASSERT(prod_max_backlog < GW_HTTP_STREAM_HIGH + 65536 + 512);
    cli_close(c);
    wait_producers();
    ASSERT_INT_EQ(prod_gone, 1);
    ASSERT_INT_EQ(prod_done, 0);
    wait_connections(0);

    /* Same with a client that leaves while the stream waits behind an
     * earlier answer. */
    prod_reset();
    c = cli_open();
    cli_send(c, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /stream?n=50000000 HTTP/1.1\r\nHost: x\r\n\r\n");
    usleep(50000);
    cli_close(c);
    wait_producers();
    ASSERT_INT_EQ(prod_gone, 1);
    wait_connections(0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    server_start();
    TEST_RUN(test_simple_get);
    TEST_RUN(test_keep_alive);
    TEST_RUN(test_pipelining);
    TEST_RUN(test_pipeline_many);
    TEST_RUN(test_chunked);
    TEST_RUN(test_expect_continue);
    TEST_RUN(test_uri_too_long);
    TEST_RUN(test_headers_too_big);
    TEST_RUN(test_body_too_big);
    TEST_RUN(test_bad_requests);
    TEST_RUN(test_timeouts);
    TEST_RUN(test_head);
    TEST_RUN(test_http10);
    TEST_RUN(test_client_gone);
    TEST_RUN(test_garbage);
    TEST_RUN(test_connection_limit);
    TEST_RUN(test_stream_content_length);
    TEST_RUN(test_stream_chunked);
    TEST_RUN(test_stream_pipelined);
    TEST_RUN(test_stream_head);
    TEST_RUN(test_stream_abort);
    TEST_RUN(test_stream_http10);
    TEST_RUN(test_stream_client_gone);
    TEST_RUN(test_stop_accepting);
    server_stop();
    return 0;
}
