/* gw_curl: see gw_curl.h.
 *
 * The multi handle tells us, through its socket callback, which sockets to
 * watch and for what; each becomes a uv_poll_t. Through its timer callback
 * it asks for one timeout, kept in a uv_timer_t. When either fires we hand
 * the event back with curl_multi_socket_action() and then collect what
 * finished. Callers' callbacks only ever run from that collection step or
 * from gw_curl_close(), never from inside a curl call, so they may start,
 * cancel or close freely.
 *
 * Teardown is deferred: gw_curl_close() may be called from a request's
 * callback while we are still reading curl's message queue, so the multi
 * handle and the client itself are freed only from the last handle's close
 * callback, on a later loop iteration. */
#include "gw_curl.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ov_err.h"
#include "ov_log.h"
#include "ov_mem.h"

/* A socket curl asked us to watch. */
typedef struct sock_s {
    uv_poll_t poll;
    curl_socket_t fd;
    gw_curl_t *c;
    struct sock_s *prev, *next;
} sock_t;

struct gw_curl_s {
    uv_loop_t *loop;  /* borrowed */
    CURLM *multi;     /* NULL once cleaned up */
    uv_timer_t timer; /* curl's timeout */
    sock_t *socks;
    gw_curl_req_t *reqs; /* requests whose callback is still due */
    size_t npending;
    unsigned handles_open; /* the timer and every poll handle */
    int closing;
    void (*close_cb)(void *);
    void *close_data;
};

struct gw_curl_req_s {
    gw_curl_t *c;
    gw_curl_req_t *prev, *next;
    CURL *easy;
    struct curl_slist *hdrs;
    char *body; /* our copy of the request body */
    ov_buf_t reply;
    size_t max_reply;
    int too_large; /* the write callback refused more */
    int firing;    /* its callback is running */
    char errbuf[CURL_ERROR_SIZE];
    gw_curl_done_cb cb;
    void *data;
};

static void handle_closed_cb(uv_handle_t *h);
static void collect_done(gw_curl_t *c);

/* ---- requests --------------------------------------------------------- */

static void req_link(gw_curl_t *c, gw_curl_req_t *r)
{
    r->prev = NULL;
    r->next = c->reqs;
    if (c->reqs)
        c->reqs->prev = r;
    c->reqs = r;
    c->npending++;
}

static void req_unlink(gw_curl_t *c, gw_curl_req_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    c->npending--;
}

/* Takes the easy handle out of curl; the connection goes back to the
 * multi handle's cache for the next request to the same host. */
static void req_detach(gw_curl_req_t *r)
{
    if (!r->easy)
        return;
    curl_multi_remove_handle(r->c->multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
}

static void req_free(gw_curl_req_t *r)
{
    req_detach(r);
    curl_slist_free_all(r->hdrs);
    ov_buf_free(&r->reply);
    free(r->body);
    free(r);
}

/* Runs the callback of a request already unlinked and detached, then
 * frees it. */
static void req_fire(gw_curl_req_t *r, const gw_curl_result_t *res)
{
    r->firing = 1;
    r->cb(r->data, res);
    req_free(r);
}

/* ---- curl callbacks --------------------------------------------------- */

/* Workers are spawned from this process and must inherit no socket but
 * their channel, so every socket curl opens is close-on-exec. */
static curl_socket_t opensocket_cb(void *data, curlsocktype purpose,
                                   struct curl_sockaddr *a)
{
    (void)data;
    (void)purpose;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t write_cb(char *p, size_t size, size_t n, void *data)
{
    gw_curl_req_t *r = data;
    size_t len = size * n;
    if (r->max_reply == 0)
        return len;
    if (len > r->max_reply - r->reply.len) {
        /* Anything but `len` makes curl stop with CURLE_WRITE_ERROR. */
        r->too_large = 1;
        return 0;
    }
    ov_buf_append(&r->reply, p, len);
    return len;
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
    sock_t *s = p->data;
    gw_curl_t *c = s->c;
    int flags = 0, running;
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    collect_done(c);
}

static void sock_close(gw_curl_t *c, sock_t *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    /* uv_close() stops watching at once, before curl closes the
     * descriptor; the memory goes in the close callback. */
    uv_close((uv_handle_t *)&s->poll, handle_closed_cb);
}

static sock_t *sock_new(gw_curl_t *c, curl_socket_t fd)
{
    sock_t *s = ov_xcalloc(1, sizeof(*s));
    s->fd = fd;
    s->c = c;
    if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
        free(s);
        return NULL;
    }
    s->poll.data = s;
    c->handles_open++;
    s->next = c->socks;
    if (c->socks)
        c->socks->prev = s;
    c->socks = s;
    curl_multi_assign(c->multi, fd, s);
    return s;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int action, void *userp,
                     void *socketp)
{
    gw_curl_t *c = userp;
    sock_t *s = socketp;
    (void)easy;
    if (action == CURL_POLL_REMOVE) {
        if (s) {
            curl_multi_assign(c->multi, fd, NULL);
            sock_close(c, s);
        }
        return 0;
    }
    if (!s && !(s = sock_new(c, fd))) {
        /* curl fails the transfers on this socket. */
        ov_error("uv_poll_init_socket() failed for an HTTP client socket");
        return -1;
    }
    int ev = 0;
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&s->poll, ev, poll_cb);
    return 0;
}

static void timer_fired_cb(uv_timer_t *t)
{
    gw_curl_t *c = t->data;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_done(c);
}

/* curl asks for its timeout to be (re)armed; a zero timeout runs on the
 * next loop iteration, never from inside this callback. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    gw_curl_t *c = userp;
    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, timer_fired_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- completion ------------------------------------------------------- */

/* Describes how curl ended `r`; the strings point into `r` or are static,
 * so the result lives as long as `r`. */
static void result_of(gw_curl_req_t *r, CURLcode rc, gw_curl_result_t *res)
{
    memset(res, 0, sizeof(*res));
    res->body = "";
    if (rc == CURLE_OK) {
        res->ok = 1;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res->status);
        if (r->reply.data) {
            res->body = r->reply.data;
            res->body_len = r->reply.len;
        }
        return;
    }
    if (r->too_large)
        res->error = "reply too large";
    else if (r->errbuf[0])
        res->error = r->errbuf;
    else
        res->error = curl_easy_strerror(rc);
}

static void collect_done(gw_curl_t *c)
{
    CURLMsg *msg;
    int left;
    /* A callback that closes the client has already ended every other
     * request; stop reading then. */
    while (!c->closing && (msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        CURLcode rc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        gw_curl_req_t *r = (gw_curl_req_t *)priv;
        OV_ASSERT(r && r->easy == msg->easy_handle);
        gw_curl_result_t res;
        result_of(r, rc, &res);
        /* Out of curl before the callback, so that the callback may start
         * a request that reuses this connection. */
        req_unlink(c, r);
        req_detach(r);
        req_fire(r, &res);
    }
}

/* ---- public ----------------------------------------------------------- */

/* The descriptors curl opens for itself (the multi handle's wake-up
 * socketpair) are not close-on-exec; being the lowest free numbers, they
 * are found by comparing which of the first FD_SCAN are open before and
 * after. */
#define FD_SCAN 1024

static void fds_open(unsigned char *open)
{
    for (int fd = 0; fd < FD_SCAN; fd++)
        open[fd] = fcntl(fd, F_GETFD) != -1;
}

static void fds_cloexec_new(const unsigned char *before)
{
    for (int fd = 0; fd < FD_SCAN; fd++) {
        int flags;
        if (before[fd] || (flags = fcntl(fd, F_GETFD)) == -1)
            continue;
        if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
            ov_fatal("fcntl(F_SETFD) failed");
    }
}

int gw_curl_new(gw_curl_t **out, uv_loop_t *loop)
{
    static unsigned char before[FD_SCAN];
    *out = NULL;
    fds_open(before);
    /* Counted by curl: every client takes one reference, released when it
     * is freed. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return OV_EINTERNAL;
    CURLM *multi = curl_multi_init();
    if (!multi) {
        curl_global_cleanup();
        return OV_EINTERNAL;
    }
    fds_cloexec_new(before);
    gw_curl_t *c = ov_xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->multi = multi;
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, c);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 1;
    *out = c;
    return 0;
}

/* Builds the header list: the caller's lines, plus an empty "Expect:" so
 * that larger bodies go out without a 100-continue round trip. Returns
 * NULL if curl could not allocate it. */
static struct curl_slist *headers_new(const char *const *headers)
{
    struct curl_slist *list = NULL, *next;
    for (size_t i = 0; headers && headers[i]; i++) {
        if (!(next = curl_slist_append(list, headers[i])))
            goto fail;
        list = next;
    }
    if (!(next = curl_slist_append(list, "Expect:")))
        goto fail;
    return next;
fail:
    curl_slist_free_all(list);
    return NULL;
}

static CURL *easy_new(gw_curl_req_t *r, const char *url, size_t len,
                      long timeout_ms)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "meetd");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    if (bad) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

gw_curl_req_t *gw_curl_post(gw_curl_t *c, const char *url,
                            const char *const *headers, const char *body,
                            size_t len, long timeout_ms, size_t max_reply,
                            gw_curl_done_cb cb, void *data)
{
    if (c->closing || !url || !cb)
        return NULL;
    gw_curl_req_t *r = ov_xcalloc(1, sizeof(*r));
    r->c = c;
    r->cb = cb;
    r->data = data;
    r->max_reply = max_reply;
    /* One byte more, so that an empty body is still a valid pointer. */
    r->body = ov_xmalloc(len + 1);
    if (len)
        memcpy(r->body, body, len);
    r->body[len] = '\0';
    if (!(r->hdrs = headers_new(headers)) ||
        !(r->easy = easy_new(r, url, len, timeout_ms > 0 ? timeout_ms : 0))) {
        req_free(r);
        return NULL;
    }
    if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        req_free(r);
        return NULL;
    }
    req_link(c, r);
    return r;
}

void gw_curl_cancel(gw_curl_req_t *r)
{
    /* Its callback is running: it is freed when that returns anyway. */
    if (r->firing)
        return;
    req_unlink(r->c, r);
    req_free(r);
}

size_t gw_curl_pending(const gw_curl_t *c)
{
    return c->npending;
}

static void handle_closed_cb(uv_handle_t *h)
{
    gw_curl_t *c;
    if (h->type == UV_POLL) {
        sock_t *s = h->data;
        c = s->c;
        free(s);
    } else {
        c = h->data;
    }
    if (--c->handles_open > 0 || !c->closing)
        return;
    /* Nothing watches curl's sockets any more and no callback is set, so
     * curl may now close its cached connections quietly. */
    curl_multi_cleanup(c->multi);
    curl_global_cleanup();
    void (*cb)(void *) = c->close_cb;
    void *data = c->close_data;
    free(c);
    if (cb)
        cb(data);
}

void gw_curl_close(gw_curl_t *c, void (*cb)(void *), void *data)
{
    OV_ASSERT(!c->closing);
    c->closing = 1;
    c->close_cb = cb;
    c->close_data = data;
    /* Callbacks may cancel other requests: take the head each time. */
    while (c->reqs) {
        gw_curl_req_t *r = c->reqs;
        req_unlink(c, r);
        req_detach(r);
        gw_curl_result_t res;
        memset(&res, 0, sizeof(res));
        res.body = "";
        res.error = "shutting down";
        res.shutdown = 1;
        req_fire(r, &res);
    }
    /* curl must not call back while it is torn down; its sockets stop
     * being watched before it closes them. */
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, NULL);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, NULL);
    while (c->socks) {
        curl_multi_assign(c->multi, c->socks->fd, NULL);
        sock_close(c, c->socks);
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, handle_closed_cb);
}
