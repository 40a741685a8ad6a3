/*
 * http_test_server: the small HTTP/1.1 server the gateway's HTTP-client tests
 * (curl_test, lkapi_test) run on their own libuv loop, at 127.0.0.1 on a
 * port the kernel picks. It records the last complete request (method,
 * path, header section, body, counted by Content-Length), answers every
 * request with one fixed raw reply (or never, to play a silent server) and
 * counts the connections the peer closed. Also: canned() builds a reply,
 * url_of() a URL on the server, and run_until() runs the loop until a flag
 * is set or a deadline passes.
 *
 * A test includes this file once, after uv.h (or a header that brings it)
 * and test.h; it defines the test's `loop`, which the test initialises and
 * closes itself.
 */
#ifndef HTTP_TEST_SERVER_H
#define HTTP_TEST_SERVER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "ov_mem.h"
#include "test.h"

/* The test's loop: the server and run_until() run on it. */
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

static inline void conn_closed_cb(uv_handle_t *h)
{
    conn_t *c = h->data;
    ov_buf_free(&c->in);
    free(c);
}

/* Closes `c` once; a write ending after the peer's EOF (or cancelled by
 * the close) comes here a second time. */
static inline void conn_close(conn_t *c)
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

static inline void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    buf->base = ov_xmalloc(hint);
    buf->len = hint;
}

static inline void written_cb(uv_write_t *w, int status)
{
    conn_t *c = w->data;
    (void)status;
    free(w);
    /* The answer says "Connection: close". */
    conn_close(c);
}

/* Length of the header section (with its blank line), 0 if incomplete. */
static inline size_t head_len(const ov_buf_t *in)
{
    const char *end = in->data ? strstr(in->data, "\r\n\r\n") : NULL;
    return end ? (size_t)(end - in->data) + 4 : 0;
}

/* The value of header `name` in a header section (new), or NULL. */
static inline char *header_value(const char *head, const char *name)
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

static inline void request_done(conn_t *c, size_t hl, size_t cl)
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

static inline void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
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

static inline void accept_cb(uv_stream_t *l, int status)
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

static inline void srv_start(srv_t *s, const char *reply)
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

static inline void listener_closed_cb(uv_handle_t *h)
{
    srv_t *s = h->data;
    s->closing = 0;
}

/* Closes the server; returns once its port is free and `s` may be
 * reused. */
static inline void srv_stop(srv_t *s)
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
static inline char *canned(int status, const char *ctype, const char *body)
{
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_printf(&b,
                  "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: "
                  "%zu\r\nConnection: close\r\n\r\n%s",
                  status, ctype, strlen(body), body);
    return b.data;
}

/* The URL (new) of `path` on server `s`. */
static inline char *url_of(const srv_t *s, const char *path)
{
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_printf(&b, "http://127.0.0.1:%d%s", s->port, path);
    return b.data;
}

/* ---- running the loop ------------------------------------------------- */

static inline void tick_cb(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until *flag is set or `ms` have passed; returns *flag. */
static inline int run_until(const int *flag, int ms)
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

#endif
