/*
 * gw_http: the gateway's HTTP/1.1 server on one libuv loop.
 *
 * It accepts TCP connections, parses requests with llhttp (Content-Length
 * and chunked bodies, Expect: 100-continue, keep-alive, pipelining), enforces
 * the limits of gw_http_limits_t with precise JSON errors (431, 414, 413,
 * 400 + close, 408 + close), and hands each complete request to one handler
 * callback. Responses to the requests of one connection are written in
 * request order, and the responses that are ready together go out in one
 * write. It knows nothing of routes, auth or shards.
 *
 * Lifetime of a request: the connection holds one reference while the
 * request is queued on it. A handler that answers later takes its own with
 * gw_req_ref() and drops it with gw_req_unref() after responding. If the
 * client goes away first, the request stays valid for its holders and
 * gw_req_is_gone() turns true; responding then is a harmless no-op.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ov_mem.h"

/* Longest X-Request-Id taken from a client. */
#define GW_REQ_ID_MAX 128

typedef struct gw_http_server_s gw_http_server_t;
typedef struct gw_conn_s gw_conn_t;
typedef struct gw_req_s gw_req_t;

typedef struct {
    size_t max_url_bytes;        /* 414 above; default 8 KiB */
    size_t max_header_bytes;     /* whole header section; 431 above; 16 KiB */
    unsigned max_headers;        /* header count; 431 above; default 100 */
    size_t max_body_bytes;       /* 413 above; default 1 MiB */
    unsigned header_timeout_ms;  /* first byte to end of headers; 408+close */
    unsigned body_timeout_ms;    /* end of headers to end of body; 408+close */
    unsigned idle_timeout_ms;    /* keep-alive idle; closed silently */
    unsigned max_connections;    /* over it, new connections are refused */
    unsigned max_pipeline;       /* queued requests per connection before
                                    reading pauses; default 32 */
} gw_http_limits_t;

/** Fills `l` with the defaults above (timeouts 10 s, 30 s, 60 s; 10000
 *  connections). */
void gw_http_limits_default(gw_http_limits_t *l);

typedef struct {
    ov_str_t name;  /* as received */
    ov_str_t value; /* leading and trailing whitespace removed */
} gw_header_t;

/* Read-only for handlers; every view points into memory the request owns. */
struct gw_req_s {
    gw_http_server_t *server;
    uint64_t id;          /* unique per server, increasing */
    const char *method;   /* "GET", "POST", ... (static string) */
    int method_id;        /* llhttp_method_t */
    ov_str_t target;      /* raw request-target, NUL-terminated */
    ov_str_t path;        /* target up to '?' (not decoded) */
    ov_str_t query;       /* after '?', not decoded; len 0 if none */
    gw_header_t *headers; /* duplicates of one name are merged, joined by
                             ", ", in order of appearance */
    size_t nheaders;
    ov_buf_t body;         /* decoded body (chunked framing removed) */
    char peer[64];         /* client address "ip:port" */
    uint64_t start_ns;     /* monotonic time the request began */
    void *app_data;        /* free for the handler's use */
    /* X-Request-Id, sent on every response: the client's own when it is
     * 1..GW_REQ_ID_MAX characters of [A-Za-z0-9._:-], else generated. */
    char req_id[GW_REQ_ID_MAX + 1];
    /* For the completion hook (logs, metrics); set by the handler. */
    const char *route;     /* route template, static; NULL: unmatched */
    int shard;             /* the one shard that served it, or -1 */
    int status;            /* status sent; 0 until answered */
    uint64_t bytes_out;    /* response bytes queued for the client */
    /* private */
    int refcount;
    int responded;
    int keep_alive;
    int head;              /* HEAD: send headers only */
    gw_conn_t *conn;       /* NULL once the client is gone */
    gw_req_t *next;        /* in the connection's queue */
    ov_buf_t out;          /* serialised response */
    ov_buf_t hdrbuf;       /* storage for the target, header names and
                              values, all NUL-terminated */
    int http10;            /* HTTP/1.0 client */
    int cont;              /* 100-continue: 0 none, 1 to send, 2 sent */
    int dispatched;        /* handed to the handler */
    int counted;           /* counted in the server's inflight */
    /* streamed responses (gw_http_stream_*) */
    int stream;            /* 0 none, 1 open, 2 finished */
    int chunked;           /* body in chunked transfer encoding */
    int no_body;           /* body bytes are dropped (HEAD, 204, 304) */
    int64_t stream_left;   /* Content-Length bytes still owed, or -1 */
    size_t unsent;         /* bytes of this response not yet written */
    void (*drain_cb)(gw_req_t *, void *); /* armed one-shot drain */
    void *drain_data;
    int kicked;            /* a deferred step (kick) is scheduled */
    uv_loop_t *loop;       /* for the kick, which may outlive the server */
    void (*done_cb)(gw_req_t *); /* the server's completion hook */
};

/** Called once per complete request, with the request holding one reference
 *  owned by the connection. The handler must respond exactly once, now or
 *  later. */
typedef void (*gw_http_handler_cb)(gw_req_t *req, void *data);

/** Returns a new server on `loop` (free with gw_http_server_close). Limits
 *  are copied. Returns 0. */
int gw_http_server_new(gw_http_server_t **out, uv_loop_t *loop,
                       const gw_http_limits_t *limits,
                       gw_http_handler_cb handler, void *data);

/** Adds the response headers every response carries beyond the ones
 *  gw_http writes itself: called while the header block of each response
 *  (also gw_http's own errors) is built, to append complete
 *  "Name: value\r\n" lines to `out`. Must not respond. */
typedef void (*gw_http_headers_cb)(gw_req_t *req, ov_buf_t *out, void *data);

/** Called exactly once per answered request, when its last reference is
 *  dropped (after the response was written, or the client went away):
 *  req->status, route, shard and bytes_out are final. It may run after the
 *  server is freed, so it gets no server data. Must not respond. */
typedef void (*gw_http_done_cb)(gw_req_t *req);

/** Installs the hooks (each may be NULL); requests received later use
 *  them. `data` is borrowed and passed to `headers_cb`. */
void gw_http_server_set_hooks(gw_http_server_t *s,
                              gw_http_headers_cb headers_cb, void *data,
                              gw_http_done_cb done_cb);

/** Binds and listens on host:port (port 0 picks a free one). Returns 0 or a
 *  negative libuv error. */
int gw_http_server_listen(gw_http_server_t *s, const char *host, int port);

/** Returns the bound port, or -1 if not listening. */
int gw_http_server_port(const gw_http_server_t *s);

/** Stops accepting and closes idle keep-alive connections; connections with
 *  requests in flight close after their last response. */
void gw_http_server_stop_accepting(gw_http_server_t *s);

/** Number of requests received and not yet fully answered. */
size_t gw_http_server_inflight(const gw_http_server_t *s);
/** Number of open connections. */
size_t gw_http_server_connections(const gw_http_server_t *s);

/** Closes every connection and the listener; `cb` (may be NULL) fires once
 *  all handles are closed, after which `s` is freed. */
void gw_http_server_close(gw_http_server_t *s, void (*cb)(void *), void *arg);

/** Returns the merged value of header `name` (case-insensitive) as a
 *  NUL-terminated string owned by the request, or NULL if absent. */
const char *gw_req_header(const gw_req_t *req, const char *name);

void gw_req_ref(gw_req_t *req);
void gw_req_unref(gw_req_t *req);
/** True once the client connection has closed. */
int gw_req_is_gone(const gw_req_t *req);

/** Sends the response. `extra_headers` is NULL or a block of complete
 *  "Name: value\r\n" lines; Content-Length, Content-Type (if non-NULL),
 *  Date and Connection are added here. The body is copied. Only the first
 *  call per request has an effect. */
void gw_http_respond(gw_req_t *req, int status, const char *content_type,
                     const char *extra_headers, const char *body,
                     size_t body_len);

/** Sends `body` (takes ownership) as "application/json; charset=utf-8". */
void gw_http_send_json(gw_req_t *req, int status, json_t *body,
                       const char *extra_headers);

/** The one exit for client errors: {"error","message"[,"details"]}.
 *  `details` (takes ownership) may be NULL. */
void gw_http_send_error(gw_req_t *req, int status, const char *error,
                        const char *message, json_t *details);

/** gw_http_send_error() for an ov_err code; `message` NULL uses the
 *  table's default message. */
void gw_http_send_err(gw_req_t *req, int err, const char *message);

/* ---- streamed responses (media, ZIP) ------------------------------------
 *
 * A handler that produces a large body starts a stream instead of calling
 * gw_http_respond(): the status line and headers are queued at once, body
 * bytes follow with gw_http_stream_write(), and gw_http_stream_end()
 * finishes the response. Pipelined responses keep their order: bytes of a
 * stream wait behind the responses of earlier requests. Memory stays
 * bounded because the producer writes only while the connection's unsent
 * bytes are below GW_HTTP_STREAM_HIGH and otherwise waits for the drain
 * callback. If the client goes away, the drain callback still fires once
 * with gw_req_is_gone() true, so the producer can release what it holds. */

/** Unsent bytes above which a producer should wait for the drain callback. */
#define GW_HTTP_STREAM_HIGH (256u * 1024u)

typedef void (*gw_http_drain_cb)(gw_req_t *req, void *data);

/** Starts a streamed response. `content_length` >= 0 sends Content-Length
 *  (the producer must then write exactly that many bytes); -1 uses chunked
 *  transfer encoding. Returns 0, or -1 if the request was already answered
 *  (nothing is sent then). */
int gw_http_stream_start(gw_req_t *req, int status, const char *content_type,
                         const char *extra_headers, int64_t content_length);

/** Queues `len` body bytes (copied). Returns the connection's unsent byte
 *  count after queuing, counting the responses up to and including this
 *  one (later ones wait behind it and so do not hold it back); 0 bytes are
 *  queued, and 0 is returned, when the client is gone. */
size_t gw_http_stream_write(gw_req_t *req, const char *data, size_t len);

/** Arms a one-shot callback, fired when the unsent bytes (counted as by
 *  gw_http_stream_write) fall below GW_HTTP_STREAM_HIGH / 4, or when the
 *  client is gone. It never fires from inside this call: a condition that
 *  already holds is reported on the next loop iteration. */
void gw_http_stream_on_drain(gw_req_t *req, gw_http_drain_cb cb, void *data);

/** Finishes the streamed response (the last chunk for chunked encoding).
 *  With `abort` the connection is closed instead, so that the client sees
 *  a truncated body rather than a complete-looking one. */
void gw_http_stream_end(gw_req_t *req, int abort);

#ifdef MEET_FUZZ
/** Test seam (tests/fuzz/fuzz_http.c): serves `len` bytes, arriving in
 *  reads of `piece` bytes (0: one read), on a new connection of `s` bound
 *  to a socketpair, and runs the loop until that connection is freed. */
void gw__http_fuzz_feed(gw_http_server_t *s, const char *data, size_t len,
                        size_t piece);
#endif

#endif
