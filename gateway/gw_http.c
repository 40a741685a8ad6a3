/*
 * gw_http: the HTTP/1.1 server of the gateway (see gw_http.h).
 *
 * Each connection owns one llhttp parser, one read buffer, one timer and a
 * queue of requests in arrival order. A request enters the queue when its
 * first byte is parsed and leaves it when its response has been written, so
 * the queue order is the write order. Responses that are ready at the head
 * of the queue are written together in one uv_write; only one write is in
 * flight per connection, and the next batch is built when it completes.
 * A streamed response stays at its place in the queue while its producer
 * adds bytes; each batch takes what it has produced so far, and nothing
 * behind it is written until it has finished.
 *
 * Errors detected while parsing (limits, malformed input, timeouts) become a
 * synthetic response on the request being parsed, queued behind the earlier
 * ones; the connection then ignores further input, and after the last write
 * it shuts down its sending side and drains the socket for a short while
 * (a "lingering close") so that the client reads the error instead of a
 * reset.
 *
 * Nothing is freed while it may still be on the stack: a connection is
 * freed only in the close callback of its last handle, and a request only
 * when its last reference is dropped.
 */
#include "gw_http.h"

#include <inttypes.h>
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

#define GW_READ_BUF_SIZE (64 * 1024)
/* Unsent response bytes above which a connection stops reading. */
#define GW_BACKLOG_MAX (1024 * 1024)
/* How long a closing connection drains input after its last response. */
#define GW_LINGER_MS 2000

typedef struct {
    size_t name_off, name_len;
    size_t val_off, val_len;
} gw_hraw_t;

struct gw_http_server_s {
    uv_loop_t *loop;
    uv_tcp_t listener;
    int listener_init;   /* uv_tcp_init done on the listener */
    int listener_closed; /* close callback of the listener has run */
    int port;
    gw_http_limits_t limits;
    gw_http_handler_cb handler;
    void *data;
    gw_http_headers_cb headers_cb;
    void *headers_data;
    gw_http_done_cb done_cb;
    llhttp_settings_t settings;
    gw_conn_t *conns; /* every connection not yet freed */
    size_t nconns;    /* served connections (rejected ones not counted) */
    size_t inflight;
    uint64_t next_id;
    int stopping;
    int closing;
    void (*close_cb)(void *);
    void *close_arg;
    time_t date_sec;
    char date[40];
};

struct gw_conn_s {
    gw_http_server_t *server;
    gw_conn_t *prev, *next;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    int handles; /* handles whose close callback is pending */
    llhttp_t parser;
    char peer[64];
    char *rbuf;       /* GW_READ_BUF_SIZE bytes, allocated on first read */
    const char *pend; /* unparsed bytes in rbuf while parsing is paused */
    size_t pend_len;
    gw_req_t *head, *tail; /* queue, in request order */
    size_t nqueued;
    gw_req_t *cur;        /* request being parsed (also in the queue) */
    size_t backlog;       /* response bytes queued and not yet written */
    uint64_t phase_start; /* loop time the header or body phase began */
    /* header parsing scratch, reset per request */
    ov_buf_t url;
    ov_buf_t hraw;
    gw_hraw_t *hents;
    size_t nhents, hents_cap;
    size_t hdr_bytes;
    int hstate;             /* 0 none, 1 in a field, 2 in a value */
    const char *exec_start; /* data given to the running llhttp_execute */
    int err;                /* ov_err code set by a callback that failed */
    unsigned in_body : 1;
    unsigned reading : 1;
    unsigned writing : 1;
    unsigned in_execute : 1;
    unsigned parse_paused : 1;
    unsigned no_more_input : 1;
    unsigned lingering : 1;
    unsigned closing : 1;
    unsigned rejected : 1;
};

typedef struct {
    uv_write_t w;
    gw_conn_t *conn;
    size_t ndone;    /* requests whose whole response is in this write */
    gw_req_t **reqs; /* the ndone requests, each referenced */
    uv_buf_t *bufs;
    ov_buf_t *own;      /* stream bytes taken from their requests */
    gw_req_t **own_req; /* the stream each own[] came from */
    size_t nown;
    size_t bytes; /* response bytes in this write (not "100 Continue") */
} gw_write_t;

/* A step run from a fresh stack on the next loop iteration: completing a
 * stream that finished with nothing left to write, or firing a drain
 * callback whose condition already holds. It references the request, so
 * it works after the connection (or the server) is gone. */
typedef struct {
    uv_timer_t timer;
    gw_req_t *req;
} gw_kick_t;

static void conn_update(gw_conn_t *c);
static void conn_close(gw_conn_t *c);
static void req_kick(gw_req_t *r);
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

/* ---- small helpers ---------------------------------------------------- */

static const char *status_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Entity";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}

/* The IMF-fixdate of the current second, formatted once per second. */
static const char *server_date(gw_http_server_t *s)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    struct tm tm;

    if (now != s->date_sec || s->date[0] == '\0') {
        gmtime_r(&now, &tm);
        snprintf(s->date, sizeof(s->date),
                 "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                 tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        s->date_sec = now;
    }
    return s->date;
}

static void peer_name(uv_tcp_t *tcp, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "";

    snprintf(out, outlen, "unknown");
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        uv_ip4_name(a, ip, sizeof(ip));
        snprintf(out, outlen, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, ip, sizeof(ip));
        snprintf(out, outlen, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    }
}

/* ---- requests ---------------------------------------------------------- */

/* Returns a new request appended to the queue of `c`, holding the
 * connection's reference. */
static gw_req_t *req_new(gw_conn_t *c)
{
    gw_req_t *r = ov_xcalloc(1, sizeof(*r));

    r->server = c->server;
    r->id = ++c->server->next_id;
    r->method = "";
    r->method_id = -1;
    r->target = (ov_str_t){"", 0};
    r->path = r->target;
    r->query = (ov_str_t){"", 0};
    r->start_ns = ov_time_mono_ns();
    r->refcount = 1;
    r->keep_alive = 1;
    r->conn = c;
    r->loop = c->server->loop;
    r->stream_left = -1;
    r->shard = -1;
    r->done_cb = c->server->done_cb;
    snprintf(r->peer, sizeof(r->peer), "%s", c->peer);
    if (c->tail)
        c->tail->next = r;
    else
        c->head = r;
    c->tail = r;
    c->nqueued++;
    return r;
}

void gw_req_ref(gw_req_t *req)
{
    OV_ASSERT(req->refcount > 0);
    req->refcount++;
}

void gw_req_unref(gw_req_t *req)
{
    if (req == NULL)
        return;
    OV_ASSERT(req->refcount > 0);
    if (--req->refcount > 0)
        return;
    /* The last reference goes once the response is written or the client
     * is gone: the one moment that is reached exactly once per request. */
    if (req->responded && req->done_cb)
        req->done_cb(req);
    free(req->headers);
    ov_buf_free(&req->body);
    ov_buf_free(&req->out);
    ov_buf_free(&req->hdrbuf);
    free(req);
}

int gw_req_is_gone(const gw_req_t *req)
{
    return req->conn == NULL;
}

const char *gw_req_header(const gw_req_t *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (ov_str_ieq(req->headers[i].name, name))
            return req->headers[i].value.ptr;
    return NULL;
}

static int all_responded(const gw_conn_t *c)
{
    for (const gw_req_t *r = c->head; r; r = r->next)
        if (!r->responded)
            return 0;
    return 1;
}

/* ---- responses ---------------------------------------------------------- */

static int req_id_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' ||
           ch == '-';
}

/* Takes the client's X-Request-Id if it is safe to echo and to log as is,
 * else generates one. Requests that fail before their headers are parsed
 * (431, 408) get a generated one when answered. */
static void req_set_id(gw_req_t *r, const char *client)
{
    if (client) {
        size_t n = 0;
        while (n <= GW_REQ_ID_MAX && client[n] &&
               req_id_char((unsigned char)client[n]))
            n++;
        if (n > 0 && n <= GW_REQ_ID_MAX && client[n] == '\0') {
            memcpy(r->req_id, client, n + 1);
            return;
        }
    }
    if (ov_rand_hex(r->req_id, 16) != 0)
        snprintf(r->req_id, sizeof(r->req_id), "%016" PRIx64, r->id);
}

/* The headers every response carries: X-Request-Id, then the hook's. */
static void req_common_headers(gw_req_t *r, ov_buf_t *o)
{
    if (r->req_id[0] == '\0')
        req_set_id(r, NULL);
    ov_buf_printf(o, "X-Request-Id: %s\r\n", r->req_id);
    if (r->server->headers_cb)
        r->server->headers_cb(r, o, r->server->headers_data);
}

void gw_http_respond(gw_req_t *req, int status, const char *content_type,
                     const char *extra_headers, const char *body,
                     size_t body_len)
{
    gw_conn_t *c;
    gw_http_server_t *s;
    ov_buf_t *o;
    int nobody;

    if (req == NULL || req->responded)
        return;
    req->responded = 1;
    req->status = status;
    c = req->conn;
    if (c == NULL || c->closing)
        return;
    s = c->server;

    /* A stopping server closes a connection after its last response. */
    if (s->stopping && req->next == NULL && c->cur == NULL)
        req->keep_alive = 0;

    nobody = status == 204 || status == 304 || (status >= 100 && status < 200);
    o = &req->out;
    ov_buf_printf(o, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
                  status_reason(status), server_date(s));
    if (content_type)
        ov_buf_printf(o, "Content-Type: %s\r\n", content_type);
    if (!nobody)
        ov_buf_printf(o, "Content-Length: %zu\r\n", body_len);
    if (!req->keep_alive)
        ov_buf_appends(o, "Connection: close\r\n");
    else if (req->http10)
        ov_buf_appends(o, "Connection: keep-alive\r\n");
    if (extra_headers)
        ov_buf_appends(o, extra_headers);
    req_common_headers(req, o);
    ov_buf_appends(o, "\r\n");
    if (!nobody && !req->head && body_len > 0)
        ov_buf_append(o, body, body_len);
    req->bytes_out = o->len;
    c->backlog += o->len;
    req->unsent = o->len;
    if (!req->keep_alive)
        c->no_more_input = 1;
    if (!c->in_execute)
        conn_update(c);
}

void gw_http_send_json(gw_req_t *req, int status, json_t *body,
                       const char *extra_headers)
{
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;

    gw_http_respond(req, status, "application/json; charset=utf-8",
                    extra_headers, s ? s : "", s ? strlen(s) : 0);
    free(s);
    json_decref(body);
}

void gw_http_send_error(gw_req_t *req, int status, const char *error,
                        const char *message, json_t *details)
{
    json_t *o = json_object();

    json_object_set_new(o, "error", json_string(error ? error : ""));
    json_object_set_new(o, "message", json_string(message ? message : ""));
    if (details)
        json_object_set_new(o, "details", details);
    gw_http_send_json(req, status, o, NULL);
}

void gw_http_send_err(gw_req_t *req, int err, const char *message)
{
    gw_http_send_error(req, ov_err_http_status(err), ov_err_name(err),
                       message ? message : ov_strerror(err), NULL);
}

/* ---- writing --------------------------------------------------------------
 */

static void write_cb(uv_write_t *w, int status);

/* True for a finished stream whose bytes have all been written. */
static int stream_spent(const gw_req_t *r)
{
    return r->stream == 2 && r->unsent == 0;
}

/* Writes every response ready at the head of the queue (and a pending
 * "100 Continue") in one uv_write. An open stream contributes the bytes it
 * has produced so far and ends the batch: what follows it waits. Stream
 * bytes move into the write, so that the producer can append to a fresh
 * buffer while they are in flight. */
static void conn_flush(gw_conn_t *c)
{
    static const char k100[] = "HTTP/1.1 100 Continue\r\n\r\n";
    size_t nbufs = 0, ndone = 0, nown = 0, i = 0, j = 0, k = 0;
    gw_write_t *wr;
    gw_req_t *r;
    char *mem;
    int rc;

    if (c->closing || c->writing || c->in_execute || c->lingering)
        return;
    if (c->head && stream_spent(c->head)) {
        /* Nothing to write, yet the stream must leave the queue through
         * the path a write completion takes, which may run the parser:
         * not on the producer's stack. */
        req_kick(c->head);
        return;
    }
    for (r = c->head; r; r = r->next) {
        if (!r->responded) {
            if (r->cont == 1 && !r->dispatched)
                nbufs++;
            break;
        }
        if (r->stream) {
            if (r->out.len > 0) {
                nbufs++;
                nown++;
            }
            if (r->stream == 1)
                break;
        } else {
            nbufs++;
        }
        ndone++;
        if (!r->keep_alive)
            break;
    }
    if (nbufs == 0)
        return;

    mem = ov_xcalloc(1, sizeof(*wr) + (ndone + nown) * sizeof(gw_req_t *) +
                            nbufs * sizeof(uv_buf_t) + nown * sizeof(ov_buf_t));
    wr = (gw_write_t *)(void *)mem;
    wr->bufs = (uv_buf_t *)(void *)(mem + sizeof(*wr));
    wr->own =
        (ov_buf_t *)(void *)(mem + sizeof(*wr) + nbufs * sizeof(uv_buf_t));
    wr->reqs =
        (gw_req_t **)(void *)(mem + sizeof(*wr) + nbufs * sizeof(uv_buf_t) +
                              nown * sizeof(ov_buf_t));
    wr->own_req = wr->reqs + ndone;
    wr->conn = c;
    wr->ndone = ndone;
    wr->nown = nown;
    for (r = c->head; r && (i < nbufs || j < ndone); r = r->next) {
        if (!r->responded) {
            wr->bufs[i++] = uv_buf_init((char *)k100, sizeof(k100) - 1);
            r->cont = 2;
            break;
        }
        if (r->stream) {
            if (r->out.len > 0) {
                wr->own[k] = r->out;
                wr->own_req[k] = r;
                memset(&r->out, 0, sizeof(r->out));
                wr->bufs[i++] =
                    uv_buf_init(wr->own[k].data, (unsigned)wr->own[k].len);
                wr->bytes += wr->own[k].len;
                k++;
            }
            if (r->stream == 1)
                break;
        } else {
            wr->bufs[i++] = uv_buf_init(r->out.data, (unsigned)r->out.len);
            wr->bytes += r->out.len;
        }
        wr->reqs[j++] = r;
        if (!r->keep_alive)
            break;
    }
    OV_ASSERT(i == nbufs && j == ndone && k == nown);
    rc = uv_write(&wr->w, (uv_stream_t *)&c->tcp, wr->bufs, (unsigned)nbufs,
                  write_cb);
    if (rc < 0) {
        ov_debug("http: uv_write() failed for %s: %s", c->peer,
                 uv_strerror(rc));
        for (k = 0; k < nown; k++)
            ov_buf_free(&wr->own[k]);
        free(wr);
        conn_close(c);
        return;
    }
    /* The write keeps its responses alive even if the connection closes. */
    for (j = 0; j < ndone; j++)
        gw_req_ref(wr->reqs[j]);
    c->writing = 1;
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    gw_conn_t *c = req->data;

    if (status < 0 && !c->closing)
        conn_close(c);
}

static void timer_cb(uv_timer_t *t);

/* Ends a connection whose last response has been written: shuts down the
 * sending side and drains input until EOF or GW_LINGER_MS. */
static void conn_linger(gw_conn_t *c)
{
    if (c->closing || c->lingering)
        return;
    c->lingering = 1;
    c->no_more_input = 1;
    c->parse_paused = 0;
    c->pend_len = 0;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, shutdown_cb) <
        0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, timer_cb, GW_LINGER_MS, 0);
    conn_update(c);
}

static void conn_parse(gw_conn_t *c, const char *data, size_t len);

/* Removes the head request, whose response has been written, from the
 * queue. Returns 1 if the connection ends after it. */
static int conn_pop_head(gw_conn_t *c)
{
    gw_req_t *r = c->head;
    int last = !r->keep_alive;

    c->head = r->next;
    if (c->head == NULL)
        c->tail = NULL;
    r->next = NULL;
    c->nqueued--;
    if (r->counted) {
        c->server->inflight--;
        r->counted = 0;
    }
    r->conn = NULL;
    gw_req_unref(r);
    return last;
}

/* The unsent bytes that hold `r` back: those of the responses up to and
 * including it. Responses behind it cannot go out first, so counting
 * them would let a later stream that waits behind `r` stall it. */
static size_t req_unsent_ahead(const gw_req_t *r)
{
    const gw_conn_t *c = r->conn;
    size_t n = 0;

    if (c == NULL || c->closing)
        return 0;
    for (const gw_req_t *q = c->head; q; q = q->next) {
        n += q->unsent;
        if (q == r)
            break;
    }
    return n;
}

/* Fires the armed drain callback of `r` if its condition holds: the
 * client is gone, or the unsent bytes ahead of it are below the low mark.
 * The callback is disarmed first, so it fires at most once. */
static void drain_maybe_fire(gw_req_t *r)
{
    void (*cb)(gw_req_t *, void *) = r->drain_cb;

    if (cb == NULL)
        return;
    if (req_unsent_ahead(r) >= GW_HTTP_STREAM_HIGH / 4)
        return;
    r->drain_cb = NULL;
    cb(r, r->drain_data);
}

/* Fires the drain callbacks armed on the queue. The candidates are taken
 * first, each referenced, because a callback may write, end its stream or
 * close the connection, all of which change the queue. */
static void conn_fire_drains(gw_conn_t *c)
{
    gw_req_t *r, **v;
    size_t n = 0, i = 0;

    if (c->closing)
        return;
    for (r = c->head; r; r = r->next)
        n += r->drain_cb != NULL;
    if (n == 0)
        return;
    v = ov_xmalloc(n * sizeof(*v));
    for (r = c->head; r; r = r->next) {
        if (r->drain_cb != NULL) {
            gw_req_ref(r);
            v[i++] = r;
        }
    }
    for (i = 0; i < n; i++) {
        drain_maybe_fire(v[i]);
        gw_req_unref(v[i]);
    }
    free(v);
}

/* What follows a completed write (or a stream completed without one):
 * finished streams with nothing left leave the queue, then the connection
 * ends, resumes parsing or writes the next batch, and producers waiting
 * for room are told. */
static void conn_after_write(gw_conn_t *c, int finished)
{
    while (!finished && c->head && stream_spent(c->head))
        finished = conn_pop_head(c);
    if (finished) {
        conn_linger(c);
    } else if (c->parse_paused && !c->no_more_input &&
               c->nqueued < c->server->limits.max_pipeline &&
               c->backlog < GW_BACKLOG_MAX) {
        /* Parse what was left in the read buffer when parsing paused;
         * reading resumes once it is all consumed. */
        const char *p = c->pend;
        size_t n = c->pend_len;
        c->parse_paused = 0;
        c->pend = NULL;
        c->pend_len = 0;
        llhttp_resume(&c->parser);
        conn_parse(c, p, n);
    } else {
        conn_update(c);
    }
    conn_fire_drains(c);
}

static void write_cb(uv_write_t *w, int status)
{
    gw_write_t *wr = (gw_write_t *)(void *)w;
    gw_conn_t *c = wr->conn;
    int finished = 0;

    if (!c->closing) {
        c->writing = 0;
        if (status < 0) {
            ov_debug("http: write to %s failed: %s", c->peer,
                     uv_strerror(status));
            conn_close(c);
        } else {
            OV_ASSERT(c->backlog >= wr->bytes);
            c->backlog -= wr->bytes;
            /* An open stream is still queued (only a completion pops it,
             * and none runs while this write is in flight). */
            for (size_t i = 0; i < wr->nown; i++)
                wr->own_req[i]->unsent -= wr->own[i].len;
            for (size_t i = 0; i < wr->ndone; i++) {
                OV_ASSERT(c->head == wr->reqs[i]);
                finished |= conn_pop_head(c);
            }
            conn_after_write(c, finished);
        }
    }
    for (size_t i = 0; i < wr->ndone; i++)
        gw_req_unref(wr->reqs[i]);
    for (size_t i = 0; i < wr->nown; i++)
        ov_buf_free(&wr->own[i]);
    free(wr);
}

/* ---- streamed responses -------------------------------------------------
 *
 * A stream's request is "responded" from its start, so that it holds its
 * place in the queue and gw_http_respond() ignores it. Its `out` buffer
 * holds the bytes produced and not yet handed to a write; conn_flush()
 * moves them into the write. The request leaves the queue when it has
 * finished and its last bytes are written.
 */

static void kick_close_cb(uv_handle_t *h)
{
    gw_kick_t *k = h->data;

    gw_req_unref(k->req);
    free(k);
}

static void kick_cb(uv_timer_t *t)
{
    gw_kick_t *k = t->data;
    gw_req_t *r = k->req;
    gw_conn_t *c = r->conn;

    r->kicked = 0;
    if (c && !c->closing && !c->writing && !c->lingering && c->head == r &&
        stream_spent(r))
        conn_after_write(c, conn_pop_head(c));
    drain_maybe_fire(r);
    uv_close((uv_handle_t *)t, kick_close_cb);
}

/* Schedules kick_cb() for `r` on the next loop iteration (once, however
 * often it is asked for before it runs). */
static void req_kick(gw_req_t *r)
{
    gw_kick_t *k;

    if (r->kicked)
        return;
    r->kicked = 1;
    k = ov_xcalloc(1, sizeof(*k));
    k->req = r;
    gw_req_ref(r);
    uv_timer_init(r->loop, &k->timer);
    k->timer.data = k;
    uv_timer_start(&k->timer, kick_cb, 0, 0);
}

int gw_http_stream_start(gw_req_t *req, int status, const char *content_type,
                         const char *extra_headers, int64_t content_length)
{
    gw_conn_t *c;
    ov_buf_t *o;

    if (req == NULL || req->responded)
        return -1;
    req->responded = 1;
    req->stream = 1;
    req->status = status;
    c = req->conn;
    if (c == NULL || c->closing)
        return 0;

    if (c->server->stopping && req->next == NULL && c->cur == NULL)
        req->keep_alive = 0;
    req->no_body = req->head || status == 204 || status == 304 ||
                   (status >= 100 && status < 200);
    o = &req->out;
    ov_buf_printf(o, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
                  status_reason(status), server_date(c->server));
    if (content_type)
        ov_buf_printf(o, "Content-Type: %s\r\n", content_type);
    if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
        req->stream_left = 0;
    } else if (content_length >= 0) {
        ov_buf_printf(o, "Content-Length: %lld\r\n", (long long)content_length);
        req->stream_left = content_length;
    } else if (req->http10) {
        /* HTTP/1.0 has no chunked encoding: the end of the connection
         * ends the body. */
        if (!req->head)
            req->keep_alive = 0;
    } else {
        ov_buf_appends(o, "Transfer-Encoding: chunked\r\n");
        req->chunked = 1;
    }
    if (!req->keep_alive)
        ov_buf_appends(o, "Connection: close\r\n");
    else if (req->http10)
        ov_buf_appends(o, "Connection: keep-alive\r\n");
    if (extra_headers)
        ov_buf_appends(o, extra_headers);
    req_common_headers(req, o);
    ov_buf_appends(o, "\r\n");
    req->bytes_out += o->len;
    c->backlog += o->len;
    req->unsent += o->len;
    if (!req->keep_alive)
        c->no_more_input = 1;
    if (!c->in_execute)
        conn_update(c);
    return 0;
}

size_t gw_http_stream_write(gw_req_t *req, const char *data, size_t len)
{
    gw_conn_t *c = req->conn;
    size_t before;

    if (c == NULL || c->closing)
        return 0;
    if (req->stream != 1 || req->no_body)
        return req_unsent_ahead(req);
    /* Bytes beyond the announced Content-Length would be read as the next
     * response; a producer whose source grew loses them instead. */
    if (req->stream_left >= 0 && (uint64_t)req->stream_left < len)
        len = (size_t)req->stream_left;
    if (len == 0)
        return req_unsent_ahead(req);
    if (req->stream_left >= 0)
        req->stream_left -= (int64_t)len;
    before = req->out.len;
    if (req->chunked)
        ov_buf_printf(&req->out, "%zx\r\n", len);
    ov_buf_append(&req->out, data, len);
    if (req->chunked)
        ov_buf_append(&req->out, "\r\n", 2);
    c->backlog += req->out.len - before;
    req->unsent += req->out.len - before;
    req->bytes_out += req->out.len - before;
    if (!c->in_execute)
        conn_update(c);
    return req_unsent_ahead(req);
}

void gw_http_stream_on_drain(gw_req_t *req, gw_http_drain_cb cb, void *data)
{
    req->drain_cb = cb;
    req->drain_data = data;
    /* A condition that already holds is reported from a fresh stack, never
     * from inside this call. */
    if (req_unsent_ahead(req) < GW_HTTP_STREAM_HIGH / 4)
        req_kick(req);
}

void gw_http_stream_end(gw_req_t *req, int abort)
{
    gw_conn_t *c = req->conn;

    if (req->stream != 1)
        return;
    req->stream = 2;
    req->drain_cb = NULL;
    if (c == NULL || c->closing)
        return;
    /* A body shorter than its Content-Length cannot be completed: the
     * client must see it cut, not wait for the rest. */
    if (!req->no_body && req->stream_left > 0)
        abort = 1;
    if (abort) {
        ov_debug("http: aborting streamed response to %s", c->peer);
        req->keep_alive = 0;
        c->no_more_input = 1;
    } else if (req->chunked && !req->no_body) {
        ov_buf_append(&req->out, "0\r\n\r\n", 5);
        req->bytes_out += 5;
        c->backlog += 5;
        req->unsent += 5;
    }
    if (!c->in_execute)
        conn_update(c);
}

/* ---- connection state ------------------------------------------------------
 */

static void conn_update_reading(gw_conn_t *c)
{
    const gw_http_limits_t *l = &c->server->limits;
    size_t waiting = c->nqueued - (c->cur ? 1 : 0);
    int want;

    if (c->lingering)
        want = 1;
    else
        want = !c->no_more_input && !c->parse_paused && !c->rejected &&
               waiting < l->max_pipeline && c->backlog < GW_BACKLOG_MAX;
    if (want && !c->reading) {
        c->reading = 1;
        if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) < 0)
            c->reading = 0;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
}

static void conn_update_timer(gw_conn_t *c)
{
    const gw_http_limits_t *l = &c->server->limits;
    uint64_t now = uv_now(c->server->loop);

    if (c->lingering)
        return;
    if (c->cur && !c->no_more_input) {
        uint64_t t = c->in_body ? l->body_timeout_ms : l->header_timeout_ms;
        uint64_t el = now - c->phase_start;
        uv_timer_start(&c->timer, timer_cb, el >= t ? 1 : t - el, 0);
    } else if (c->nqueued == 0 || all_responded(c)) {
        /* Idle, or only waiting for the client to take our bytes. */
        uv_timer_start(&c->timer, timer_cb, l->idle_timeout_ms, 0);
    } else {
        uv_timer_stop(&c->timer);
    }
}

static int conn_is_idle(const gw_conn_t *c)
{
    return c->cur == NULL && c->nqueued == 0 && !c->writing;
}

/* Brings writing, reading and the timer in line with the state. */
static void conn_update(gw_conn_t *c)
{
    if (c->closing)
        return;
    conn_flush(c);
    if (c->closing)
        return;
    if (c->server->stopping && !c->lingering && conn_is_idle(c)) {
        conn_close(c);
        return;
    }
    conn_update_reading(c);
    conn_update_timer(c);
}

/* Queues the error response of `err` after the earlier responses; the
 * connection closes once it is written. */
static void conn_fail(gw_conn_t *c, int err)
{
    gw_req_t *r = c->cur ? c->cur : req_new(c);

    c->cur = NULL;
    c->in_body = 0;
    c->no_more_input = 1;
    c->parse_paused = 0;
    c->pend_len = 0;
    r->keep_alive = 0;
    r->counted = 1;
    c->server->inflight++;
    gw_http_send_err(r, err, NULL);
}

static void conn_handle_close_cb(uv_handle_t *h)
{
    gw_conn_t *c = h->data;
    gw_http_server_t *s = c->server;

    if (--c->handles > 0)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (!c->rejected)
        s->nconns--;
    free(c->rbuf);
    ov_buf_free(&c->url);
    ov_buf_free(&c->hraw);
    free(c->hents);
    free(c);
    if (s->closing && s->conns == NULL &&
        (!s->listener_init || s->listener_closed)) {
        void (*cb)(void *) = s->close_cb;
        void *arg = s->close_arg;
        free(s);
        if (cb)
            cb(arg);
    }
}

/* Closes the connection now. Queued requests lose their connection (they
 * stay valid for their other holders); the memory goes in the close
 * callbacks. */
static void conn_close(gw_conn_t *c)
{
    gw_req_t *r, *next;

    if (c->closing)
        return;
    c->closing = 1;
    for (r = c->head; r; r = next) {
        next = r->next;
        r->next = NULL;
        r->conn = NULL;
        /* A producer waiting for room learns that the client is gone from
         * a fresh stack: conn_close() may run inside its own write. */
        if (r->drain_cb != NULL)
            req_kick(r);
        if (r->counted) {
            c->server->inflight--;
            r->counted = 0;
        }
        gw_req_unref(r);
    }
    c->head = c->tail = c->cur = NULL;
    c->nqueued = 0;
    c->backlog = 0;
    if (c->reading)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, conn_handle_close_cb);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_close_cb);
}

static void timer_cb(uv_timer_t *t)
{
    gw_conn_t *c = t->data;

    if (c->closing)
        return;
    if (!c->lingering && c->cur && !c->no_more_input) {
        conn_fail(c, OV_ETIMEOUT_REQ);
        conn_update(c);
    } else {
        conn_close(c);
    }
}

/* ---- parsing --------------------------------------------------------------
 */

static int on_message_begin(llhttp_t *p)
{
    gw_conn_t *c = p->data;

    c->cur = req_new(c);
    c->phase_start = uv_now(c->server->loop);
    c->in_body = 0;
    ov_buf_reset(&c->url);
    ov_buf_reset(&c->hraw);
    c->nhents = 0;
    c->hdr_bytes = 0;
    c->hstate = 0;
    c->err = 0;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    gw_conn_t *c = p->data;

    if (c->url.len + len > c->server->limits.max_url_bytes) {
        c->err = OV_EURILONG;
        return -1;
    }
    ov_buf_append(&c->url, at, len);
    return 0;
}

static int hdr_account(gw_conn_t *c, size_t len)
{
    c->hdr_bytes += len;
    if (c->hdr_bytes > c->server->limits.max_header_bytes) {
        c->err = OV_EHDRBIG;
        return -1;
    }
    return 0;
}

/* RFC 9110 tchar. llhttp 8 lets some separators (such as a space) into
 * header names; a name with one is a malformed request here. */
static int is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') ||
           (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch));
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    gw_conn_t *c = p->data;

    for (size_t i = 0; i < len; i++) {
        if (!is_tchar((unsigned char)at[i])) {
            c->err = OV_EBADREQ;
            return -1;
        }
    }

    if (c->in_body) /* trailers are counted, not kept */
        return hdr_account(c, len + (c->hstate != 1 ? 4 : 0));
    if (c->hstate != 1) {
        gw_hraw_t *h;
        if (c->nhents >= c->server->limits.max_headers) {
            c->err = OV_EHDRBIG;
            return -1;
        }
        if (hdr_account(c, 4) < 0) /* ": " and CRLF */
            return -1;
        if (c->nhents == c->hents_cap) {
            c->hents_cap = c->hents_cap ? c->hents_cap * 2 : 16;
            c->hents = ov_xrealloc(c->hents, c->hents_cap * sizeof(*h));
        }
        h = &c->hents[c->nhents++];
        h->name_off = c->hraw.len;
        h->name_len = 0;
        h->val_off = c->hraw.len;
        h->val_len = 0;
        c->hstate = 1;
    }
    if (hdr_account(c, len) < 0)
        return -1;
    ov_buf_append(&c->hraw, at, len);
    c->hents[c->nhents - 1].name_len += len;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    gw_conn_t *c = p->data;
    gw_hraw_t *h;

    /* llhttp 8 accepts obsolete line folding and reports the folded line
     * as a second span of the same value. A span of a value continues
     * across reads only at the start of a read, so a second span anywhere
     * else is a fold, which RFC 9112 lets a server reject. */
    if (c->in_body || c->nhents == 0)
        return hdr_account(c, len);
    if (c->hstate == 2 && at != c->exec_start) {
        c->err = OV_EBADREQ;
        return -1;
    }
    if (hdr_account(c, len) < 0)
        return -1;
    h = &c->hents[c->nhents - 1];
    if (c->hstate != 2) {
        c->hstate = 2;
        h->val_off = c->hraw.len;
        h->val_len = 0;
    }
    ov_buf_append(&c->hraw, at, len);
    h->val_len += len;
    return 0;
}

static int is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Builds req->hdrbuf (target, then merged names and values, each
 * NUL-terminated) and the views into it. The size is reserved first so
 * that the views stay valid. */
static void req_build_headers(gw_conn_t *c, gw_req_t *r)
{
    const char *raw = c->hraw.data;
    size_t total = c->url.len + 1, n = 0;
    char *q;

    for (size_t i = 0; i < c->nhents; i++) {
        gw_hraw_t *h = &c->hents[i];
        const char *v = raw + h->val_off;
        while (h->val_len > 0 && is_ows(v[0])) {
            v++;
            h->val_off++;
            h->val_len--;
        }
        while (h->val_len > 0 && is_ows(v[h->val_len - 1]))
            h->val_len--;
        total += h->name_len + 1 + h->val_len + 3;
    }
    ov_buf_reserve(&r->hdrbuf, total + 1);
    q = r->hdrbuf.data;
    if (c->url.len)
        memcpy(q, c->url.data, c->url.len);
    q[c->url.len] = '\0';
    r->target = (ov_str_t){q, c->url.len};
    q += c->url.len + 1;
    {
        const char *qm = memchr(r->target.ptr, '?', r->target.len);
        if (qm) {
            r->path = (ov_str_t){r->target.ptr, (size_t)(qm - r->target.ptr)};
            r->query = (ov_str_t){qm + 1, r->target.len - r->path.len - 1};
        } else {
            r->path = r->target;
            r->query = (ov_str_t){r->target.ptr + r->target.len, 0};
        }
    }

    r->headers = c->nhents ? ov_xcalloc(c->nhents, sizeof(gw_header_t)) : NULL;
    for (size_t i = 0; i < c->nhents; i++) {
        gw_hraw_t *h = &c->hents[i];
        ov_str_t name = {raw + h->name_off, h->name_len};
        char *start;
        int dup = 0;

        for (size_t k = 0; k < i; k++) {
            gw_hraw_t *e = &c->hents[k];
            if (e->name_len == h->name_len &&
                strncasecmp(raw + e->name_off, name.ptr, name.len) == 0) {
                dup = 1;
                break;
            }
        }
        if (dup)
            continue;
        memcpy(q, name.ptr, name.len);
        q[name.len] = '\0';
        r->headers[n].name = (ov_str_t){q, name.len};
        q += name.len + 1;
        start = q;
        for (size_t k = i; k < c->nhents; k++) {
            gw_hraw_t *e = &c->hents[k];
            if (e->name_len != h->name_len ||
                strncasecmp(raw + e->name_off, name.ptr, name.len) != 0)
                continue;
            if (q != start) {
                memcpy(q, ", ", 2);
                q += 2;
            }
            memcpy(q, raw + e->val_off, e->val_len);
            q += e->val_len;
        }
        *q = '\0';
        r->headers[n].value = (ov_str_t){start, (size_t)(q - start)};
        q++;
        n++;
    }
    r->nheaders = n;
    r->hdrbuf.len = (size_t)(q - r->hdrbuf.data);
    OV_ASSERT(r->hdrbuf.len <= total);
}

static int on_headers_complete(llhttp_t *p)
{
    gw_conn_t *c = p->data;
    gw_req_t *r = c->cur;
    const gw_http_limits_t *l = &c->server->limits;
    int has_body = (p->flags & F_CHUNKED) ||
                   ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
    const char *expect;

    req_build_headers(c, r);
    req_set_id(r, gw_req_header(r, "x-request-id"));
    r->method_id = p->method;
    r->method = llhttp_method_name((llhttp_method_t)p->method);
    r->head = p->method == HTTP_HEAD;
    r->http10 = p->http_major == 1 && p->http_minor == 0;
    c->in_body = 1;
    c->phase_start = uv_now(c->server->loop);

    if ((p->flags & F_CONTENT_LENGTH) &&
        p->content_length > l->max_body_bytes) {
        c->err = OV_ETOOBIG;
        return -1;
    }
    expect = gw_req_header(r, "Expect");
    if (expect) {
        if (strcasecmp(expect, "100-continue") != 0) {
            c->err = OV_EEXPECT;
            return -1;
        }
        if (has_body && !r->http10)
            r->cont = 1;
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    gw_conn_t *c = p->data;
    gw_req_t *r = c->cur;

    if (r->body.len + len > c->server->limits.max_body_bytes) {
        c->err = OV_ETOOBIG;
        return -1;
    }
    ov_buf_append(&r->body, at, len);
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    gw_conn_t *c = p->data;
    gw_http_server_t *s = c->server;
    gw_req_t *r = c->cur;

    c->cur = NULL;
    c->in_body = 0;
    r->keep_alive = llhttp_should_keep_alive(p) && !s->stopping &&
                    p->method != HTTP_CONNECT && !p->upgrade;
    if (!r->keep_alive)
        c->no_more_input = 1;
    r->dispatched = 1;
    r->counted = 1;
    s->inflight++;
    s->handler(r, s->data);
    if (c->closing || c->no_more_input ||
        c->nqueued >= s->limits.max_pipeline || c->backlog >= GW_BACKLOG_MAX)
        return HPE_PAUSED;
    return 0;
}

static void conn_parse(gw_conn_t *c, const char *data, size_t len)
{
    llhttp_errno_t e;

    c->in_execute = 1;
    c->exec_start = data;
    e = llhttp_execute(&c->parser, data, len);
    c->in_execute = 0;
    if (c->closing)
        return;
    if (e == HPE_PAUSED) {
        const char *pos = llhttp_get_error_pos(&c->parser);
        size_t left = pos ? (size_t)(data + len - pos) : 0;
        if (!c->no_more_input && left > 0) {
            c->pend = pos;
            c->pend_len = left;
            c->parse_paused = 1;
        } else {
            llhttp_resume(&c->parser);
        }
    } else if (e == HPE_PAUSED_UPGRADE) {
        c->no_more_input = 1;
    } else if (e != HPE_OK && !c->no_more_input) {
        if (c->err == 0)
            ov_debug("http: bad request from %s: %s (%s)", c->peer,
                     llhttp_errno_name(e), llhttp_get_error_reason(&c->parser));
        conn_fail(c, c->err ? c->err : OV_EBADREQ);
    }
    conn_update(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    gw_conn_t *c = h->data;

    (void)suggested;
    if (c->rbuf == NULL)
        c->rbuf = ov_xmalloc(GW_READ_BUF_SIZE);
    *buf = uv_buf_init(c->rbuf, GW_READ_BUF_SIZE);
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    gw_conn_t *c = st->data;

    if (c->closing || nread == 0)
        return;
    if (nread < 0) {
        /* EOF or error: the client is gone (we do not serve half-closed
         * connections). */
        conn_close(c);
        return;
    }
    if (c->lingering || c->no_more_input || c->parse_paused)
        return;
    conn_parse(c, buf->base, (size_t)nread);
}

/* ---- connections and the listener ---------------------------------------- */

static void on_connection(uv_stream_t *server, int status)
{
    gw_http_server_t *s = server->data;
    gw_conn_t *c;
    int rc;

    if (status < 0) {
        ov_warn("http: accept failed: %s", uv_strerror(status));
        return;
    }
    c = ov_xcalloc(1, sizeof(*c));
    c->server = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    rc = uv_accept(server, (uv_stream_t *)&c->tcp);
    if (rc < 0) {
        ov_warn("http: uv_accept() failed: %s", uv_strerror(rc));
        c->rejected = 1;
        conn_close(c);
        return;
    }
    if (s->closing || s->stopping) {
        c->rejected = 1;
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    peer_name(&c->tcp, c->peer, sizeof(c->peer));
    llhttp_init(&c->parser, HTTP_REQUEST, &s->settings);
    c->parser.data = c;
    c->phase_start = uv_now(s->loop);
    if (s->nconns >= s->limits.max_connections) {
        gw_req_t *r;
        c->rejected = 1;
        r = req_new(c);
        r->keep_alive = 0;
        c->no_more_input = 1;
        ov_debug("http: refusing %s: too many connections", c->peer);
        gw_http_send_err(r, OV_ETOOMANYCONN, NULL);
        return;
    }
    s->nconns++;
    conn_update(c);
}

void gw_http_limits_default(gw_http_limits_t *l)
{
    l->max_url_bytes = 8 * 1024;
    l->max_header_bytes = 16 * 1024;
    l->max_headers = 100;
    l->max_body_bytes = 1024 * 1024;
    l->header_timeout_ms = 10000;
    l->body_timeout_ms = 30000;
    l->idle_timeout_ms = 60000;
    l->max_connections = 10000;
    l->max_pipeline = 32;
}

int gw_http_server_new(gw_http_server_t **out, uv_loop_t *loop,
                       const gw_http_limits_t *limits,
                       gw_http_handler_cb handler, void *data)
{
    gw_http_server_t *s = ov_xcalloc(1, sizeof(*s));

    s->loop = loop;
    s->limits = *limits;
    if (s->limits.max_pipeline == 0)
        s->limits.max_pipeline = 1;
    s->handler = handler;
    s->data = data;
    s->port = -1;
    llhttp_settings_init(&s->settings);
    s->settings.on_message_begin = on_message_begin;
    s->settings.on_url = on_url;
    s->settings.on_header_field = on_header_field;
    s->settings.on_header_value = on_header_value;
    s->settings.on_headers_complete = on_headers_complete;
    s->settings.on_body = on_body;
    s->settings.on_message_complete = on_message_complete;
    *out = s;
    return 0;
}

int gw_http_server_listen(gw_http_server_t *s, const char *host, int port)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    int rc;

    memset(&ss, 0, sizeof(ss));
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0) {
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
        if (rc != 0)
            return rc;
    }
    if (!s->listener_init) {
        rc = uv_tcp_init(s->loop, &s->listener);
        if (rc < 0)
            return rc;
        s->listener.data = s;
        s->listener_init = 1;
    }
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    if (rc < 0)
        return rc;
    if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len) == 0)
        s->port = ntohs(ss.ss_family == AF_INET6
                            ? ((struct sockaddr_in6 *)&ss)->sin6_port
                            : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

int gw_http_server_port(const gw_http_server_t *s)
{
    return s->port;
}

size_t gw_http_server_inflight(const gw_http_server_t *s)
{
    return s->inflight;
}

void gw_http_server_set_hooks(gw_http_server_t *s,
                              gw_http_headers_cb headers_cb, void *data,
                              gw_http_done_cb done_cb)
{
    s->headers_cb = headers_cb;
    s->headers_data = data;
    s->done_cb = done_cb;
}

size_t gw_http_server_connections(const gw_http_server_t *s)
{
    return s->nconns;
}

static void listener_close_cb(uv_handle_t *h)
{
    gw_http_server_t *s = h->data;

    s->listener_closed = 1;
    if (s->closing && s->conns == NULL) {
        void (*cb)(void *) = s->close_cb;
        void *arg = s->close_arg;
        free(s);
        if (cb)
            cb(arg);
    }
}

static void server_close_listener(gw_http_server_t *s)
{
    if (s->listener_init && !uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, listener_close_cb);
    s->port = -1;
}

void gw_http_server_stop_accepting(gw_http_server_t *s)
{
    gw_conn_t *c, *next;

    if (s->stopping)
        return;
    s->stopping = 1;
    server_close_listener(s);
    for (c = s->conns; c; c = next) {
        next = c->next;
        if (!c->closing && !c->lingering && conn_is_idle(c))
            conn_close(c);
    }
}

void gw_http_server_close(gw_http_server_t *s, void (*cb)(void *), void *arg)
{
    gw_conn_t *c;

    OV_ASSERT(!s->closing);
    s->closing = 1;
    s->stopping = 1;
    s->close_cb = cb;
    s->close_arg = arg;
    server_close_listener(s);
    for (c = s->conns; c; c = c->next)
        conn_close(c);
    if (s->conns == NULL && (!s->listener_init || s->listener_closed)) {
        free(s);
        if (cb)
            cb(arg);
    }
}

#ifdef MEET_FUZZ
/* ---- test seam for tests/fuzz/fuzz_http.c ----------------------------------
 *
 * Serves `len` bytes on a connection of `s` as if they arrived from a
 * client in reads of `piece` bytes (0: all at once), through the real
 * callbacks, limits, pipelining and write path. The connection's socket
 * is one end of a socketpair (no network); the other end reads the
 * responses and is discarded. Runs `s`'s loop until the connection is
 * freed. `data` must stay valid until this returns. */
#include <sys/socket.h>
#include <unistd.h>

/* True while `c` is open: uv_run() may close and free it. */
static int fuzz_open(const gw_http_server_t *s, const gw_conn_t *c)
{
    for (const gw_conn_t *x = s->conns; x; x = x->next)
        if (x == c)
            return !x->closing;
    return 0;
}

static void fuzz_drain(int fd)
{
    char sink[16384];

    while (read(fd, sink, sizeof(sink)) > 0)
        ;
}

void gw__http_fuzz_feed(gw_http_server_t *s, const char *data, size_t len,
                        size_t piece)
{
    gw_conn_t *c;
    int sv[2];
    size_t off = 0;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        ov_fatal("socketpair() failed");
    c = ov_xcalloc(1, sizeof(*c));
    c->server = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles = 2;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    if (uv_tcp_open(&c->tcp, sv[0]) < 0)
        ov_fatalx("uv_tcp_open() failed");
    snprintf(c->peer, sizeof(c->peer), "fuzz");
    llhttp_init(&c->parser, HTTP_REQUEST, &s->settings);
    c->parser.data = c;
    c->phase_start = uv_now(s->loop);
    s->nconns++;
    conn_update(c);
    if (piece == 0)
        piece = len ? len : 1;
    while (off < len && fuzz_open(s, c)) {
        size_t n = len - off < piece ? len - off : piece;
        /* Let queued writes complete and a paused parse resume, as the
         * loop would between two reads. */
        for (int i = 0; i < 4 && fuzz_open(s, c); i++) {
            uv_run(s->loop, UV_RUN_NOWAIT);
            fuzz_drain(sv[1]);
        }
        if (!fuzz_open(s, c) || c->lingering || c->no_more_input ||
            c->parse_paused || !c->reading)
            break;
        conn_parse(c, data + off, n);
        off += n;
    }
    for (int i = 0; i < 4 && fuzz_open(s, c); i++) {
        uv_run(s->loop, UV_RUN_NOWAIT);
        fuzz_drain(sv[1]);
    }
    close(sv[1]);
    if (fuzz_open(s, c))
        conn_close(c);
    uv_run(s->loop, UV_RUN_DEFAULT);
}
#endif
