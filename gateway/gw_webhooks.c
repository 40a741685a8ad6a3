/* gw_webhooks: see gw_webhooks.h.
 *
 * Life of an outbox entry here: a tick sends OUTBOX_FETCH to each shard
 * that has no fetch outstanding, naming the rooms of that shard with a
 * delivery under way (`busy`); each entry of the reply becomes a delivery
 * (one gw_curl request); when gw_curl is done with it, its outcome goes
 * back as OUTBOX_DONE, and only when that is acknowledged is the delivery
 * freed, so its room stays busy until the shard has recorded the outcome
 * and cannot hand out the room's next event too early. The
 * number of live deliveries is capped (MAX_INFLIGHT), and the fetch limits
 * of outstanding fetches are reserved against that cap.
 *
 * Nothing waits: the POSTs go through gw_curl on the loop, so a slow or
 * silent receiver costs one idle socket and never delays the loop that
 * serves the API. */
#include "gw_webhooks.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw_curl.h"
#include "gw_json.h"
#include "gw_rec_json.h"
#include "gw_room_json.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

#define TICK_MS 100         /* how often due entries are fetched */
#define MAX_INFLIGHT 64     /* outbox deliveries alive at once */
#define FETCH_LIMIT 64      /* entries asked from one shard at once */
#define CLOSE_GRACE_MS 1000 /* deliveries under way may finish within it */
#define CLOSE_POLL_MS 10

typedef struct delivery_s delivery_t;

typedef struct {
    int fetching;      /* an OUTBOX_FETCH is outstanding */
    unsigned reserved; /* its limit, reserved against MAX_INFLIGHT */
    int64_t backlog;   /* last reported */
    int64_t dead;      /* last reported */
} shard_state_t;

struct gw_webhooks_s {
    gw_app_t *app;
    gw_curl_t *curl; /* NULL once closed */
    uv_timer_t tick; /* fetch timer; the close poll during closing */
    char *base_url;  /* base of the URLs inside room data */
    size_t base_len;

    /* The configuration as stored in the system shard. */
    int configured;
    bool enabled;
    char *url;

    shard_state_t *shards;
    uint32_t nshards;
    delivery_t *outbox; /* deliveries of outbox entries, live */
    unsigned noutbox;
    unsigned reserved;    /* sum of the shards' reservations */
    delivery_t *tests;    /* test events under way */
    unsigned ipc_pending; /* IPC requests awaiting their callback */

    uint64_t delivered, failed_attempts, dead_logged;

    int closing;
    int curl_closing; /* gw_curl_close was called */
    uint64_t close_deadline_ns;
    void (*close_cb)(void *data);
    void *close_data;
};

struct delivery_s {
    gw_webhooks_t *wh;
    delivery_t *prev, *next;
    gw_curl_req_t *req; /* NULL once its callback has fired */
    ov_buf_t body;
    /* test events */
    int is_test;
    void (*test_cb)(void *data, int ok, const char *reason);
    void *test_data;
    /* outbox entries */
    uint32_t shard;
    int64_t seq;
    uint32_t attempts; /* failed attempts before this one */
    char *room_id;
    char *event;
};

/* ---- pure helpers ----------------------------------------------------- */

void gw_webhooks_body(ov_buf_t *out, const ipc_outbox_t *e,
                      const char *base_url, size_t base_len)
{
    ov_buf_appends(out, "{\"event\":");
    gw_json_put_str(out, e->event.ptr ? e->event.ptr : "", e->event.len);
    ov_buf_printf(
        out, ",\"creationDate\":%lld,\"data\":", (long long)e->creation_date);
    if (e->has_rec)
        gw_rec_append_json(out, &e->rec);
    else
        gw_room_append_json(out, &e->room, base_url, base_len);
    ov_buf_append(out, "}", 1);
}

void gw_webhooks_sign(const char *key, int64_t timestamp, const char *body,
                      size_t len, char out[65])
{
    /* The one-shot HMAC() over a joined copy: the streaming HMAC_CTX API
     * is deprecated in OpenSSL 3. */
    ov_buf_t msg = OV_BUF_INIT;
    ov_buf_printf(&msg, "%lld.", (long long)timestamp);
    ov_buf_append(&msg, body, len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), key, (int)strlen(key),
              (const unsigned char *)msg.data, msg.len, mac, &maclen) ||
        maclen != 32)
        ov_fatalx("HMAC-SHA256 failed");
    ov_buf_free(&msg);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
}

/* WHATWG's URL parser (what zod's .url() runs) accepts any "scheme:rest";
 * only the special schemes need an authority with a valid host and port,
 * which curl's URL parser checks well enough. */
static int url_is_valid(const char *url)
{
    /* The parser ignores leading and trailing C0 controls and spaces. */
    size_t start = 0, end = strlen(url);
    while (start < end && (unsigned char)url[start] <= 0x20)
        start++;
    while (end > start && (unsigned char)url[end - 1] <= 0x20)
        end--;
    const char *s = url + start;
    size_t n = end - start;
    if (n == 0 || !isalpha((unsigned char)s[0]))
        return 0;
    size_t i = 1;
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' ||
                     s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= n || s[i] != ':')
        return 0;
    static const char *const special[] = {"http", "https", "ws", "wss", "ftp"};
    int is_special = 0;
    for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++)
        if (strlen(special[k]) == i && strncasecmp(s, special[k], i) == 0)
            is_special = 1;
    if (!is_special)
        return 1;
    char *copy = ov_xstrndup(s, n);
    CURLU *u = curl_url();
    if (!u)
        ov_fatalx("curl_url() failed");
    CURLUcode rc =
        curl_url_set(u, CURLUPART_URL, copy, CURLU_NON_SUPPORT_SCHEME);
    char *host = NULL;
    int ok = rc == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host &&
             host[0];
    curl_free(host);
    curl_url_cleanup(u);
    free(copy);
    return ok;
}

unsigned gw_webhooks_url_check(const char *url)
{
    unsigned r = 0;
    if (!url_is_valid(url))
        r |= GW_WEBHOOK_URL_INVALID;
    /* The reference's regex is case-sensitive. */
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        r |= GW_WEBHOOK_URL_NOT_HTTP;
    return r;
}

/* ---- deliveries ------------------------------------------------------- */

static void list_add(delivery_t **head, delivery_t *d)
{
    d->prev = NULL;
    d->next = *head;
    if (*head)
        (*head)->prev = d;
    *head = d;
}

static void list_del(delivery_t **head, delivery_t *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        *head = d->next;
    if (d->next)
        d->next->prev = d->prev;
}

/* Takes `d` out of curl (if still there) and frees it; the caller has
 * unlinked it. */
static void delivery_free(delivery_t *d)
{
    if (d->req)
        gw_curl_cancel(d->req);
    ov_buf_free(&d->body);
    free(d->room_id);
    free(d->event);
    free(d);
}

static void delivery_done_cb(void *data, const gw_curl_result_t *res);

/* Starts the POST of d->body to `url`, signed with `timestamp`. Returns 0,
 * or -1 if curl refused it (nothing is left in curl then). */
static int delivery_start(delivery_t *d, const char *url, int64_t timestamp)
{
    gw_webhooks_t *wh = d->wh;
    char sig[65], ts[64], sh[96];
    gw_webhooks_sign(wh->app->api_key, timestamp, d->body.data, d->body.len,
                     sig);
    snprintf(ts, sizeof(ts), "X-Timestamp: %lld", (long long)timestamp);
    snprintf(sh, sizeof(sh), "X-Signature: %s", sig);
    const char *hdrs[] = {"Content-Type: application/json", ts, sh, NULL};
    /* The answer's body is not read (max_reply 0): only its status
     * counts. */
    d->req = gw_curl_post(wh->curl, url, hdrs, d->body.data, d->body.len,
                          (long)wh->app->cfg->webhook_timeout_ms, 0,
                          delivery_done_cb, d);
    return d->req ? 0 : -1;
}

static void outbox_finish(delivery_t *d, int ok, const char *reason);
static void outbox_dropped(delivery_t *d);

/* gw_curl is done with `d`: success is a 2xx answer within the timeout. A
 * request ended by the client's close was not attempted at all. */
static void delivery_done_cb(void *data, const gw_curl_result_t *res)
{
    delivery_t *d = data;
    char reason[CURL_ERROR_SIZE + 64];
    int ok = 0;
    d->req = NULL;
    if (res->shutdown) {
        if (d->is_test) {
            list_del(&d->wh->tests, d);
            d->test_cb(d->test_data, 0, "meetd is shutting down");
            delivery_free(d);
        } else {
            outbox_dropped(d);
        }
        return;
    }
    if (!res->ok) {
        snprintf(reason, sizeof(reason), "%s", res->error);
    } else {
        ok = res->status >= 200 && res->status <= 299;
        snprintf(reason, sizeof(reason), "Request failed with status %ld",
                 res->status);
    }
    if (d->is_test) {
        list_del(&d->wh->tests, d);
        d->test_cb(d->test_data, ok, ok ? NULL : reason);
        delivery_free(d);
        return;
    }
    outbox_finish(d, ok, reason);
}

/* ---- the outbox ------------------------------------------------------- */

/* Whether events are recorded and delivered: enabled, with somewhere to
 * send them and a key to sign them with (BEHAVIOUR.md §9). */
static bool recording_on(const gw_webhooks_t *wh)
{
    return wh->enabled && wh->url && wh->url[0] && wh->app->api_key &&
           wh->app->api_key[0];
}

static bool delivering(const gw_webhooks_t *wh)
{
    return wh->configured && !wh->closing && recording_on(wh);
}

static void tick_cb(uv_timer_t *t);

void gw_webhooks_kick(gw_webhooks_t *wh)
{
    if (delivering(wh))
        uv_timer_start(&wh->tick, tick_cb, 0, TICK_MS);
}

static void done_ack_cb(int err, const ipc_ack_t *reply, void *data)
{
    delivery_t *d = data;
    gw_webhooks_t *wh = d->wh;
    wh->ipc_pending--;
    if (err == 0 && reply->err != 0)
        err = reply->err;
    if (err != 0)
        /* The entry stays pending as it was and is delivered again. */
        ov_warn("webhook seq %lld on shard %u: outcome not recorded: %s",
                (long long)d->seq, d->shard, ov_strerror(err));
    list_del(&wh->outbox, d);
    wh->noutbox--;
    delivery_free(d);
    /* The room's next event may be waiting for this one. */
    gw_webhooks_kick(wh);
}

static void outbox_finish(delivery_t *d, int ok, const char *reason)
{
    gw_webhooks_t *wh = d->wh;
    const gw_config_t *cfg = wh->app->cfg;
    ipc_outbox_done_t m;
    memset(&m, 0, sizeof(m));
    m.seq = d->seq;
    m.delivered = ok;
    if (ok) {
        wh->delivered++;
    } else {
        wh->failed_attempts++;
        m.dead = (int64_t)d->attempts + 1 >= cfg->webhook_attempts;
        /* backoff · 2^attempts, capped at a day. */
        unsigned shift = d->attempts < 30 ? d->attempts : 30;
        int64_t wait = (int64_t)cfg->webhook_backoff_ms << shift;
        if (wait > 86400000)
            wait = 86400000;
        m.next_attempt_ms = ov_time_now_ms() + wait;
        if (m.dead) {
            wh->dead_logged++;
            ov_warn("webhook dead after %u attempt(s): seq %lld event %s "
                    "room %s: %s",
                    d->attempts + 1, (long long)d->seq, d->event, d->room_id,
                    reason);
        } else if (d->attempts == 0) {
            ov_info("webhook seq %lld (%s, room %s) failed: %s; retrying in "
                    "%lld ms",
                    (long long)d->seq, d->event, d->room_id, reason,
                    (long long)wait);
        } else {
            ov_debug("webhook seq %lld attempt %u failed: %s",
                     (long long)d->seq, d->attempts + 1, reason);
        }
    }
    wh->ipc_pending++;
    int rc = gw_shard_outbox_done(wh->app->pool, d->shard, &m, done_ack_cb, d);
    if (rc != 0)
        done_ack_cb(rc, NULL, d);
}

static int room_busy(const gw_webhooks_t *wh, uint32_t shard, ov_str_t room)
{
    for (const delivery_t *d = wh->outbox; d; d = d->next)
        if (d->shard == shard && strlen(d->room_id) == room.len &&
            memcmp(d->room_id, room.ptr, room.len) == 0)
            return 1;
    return 0;
}

typedef struct {
    gw_webhooks_t *wh;
    uint32_t shard;
    unsigned limit;
} fetch_t;

static void fetch_reply_cb(int err, const ipc_outbox_fetch_reply_t *reply,
                           void *data)
{
    fetch_t *f = data;
    gw_webhooks_t *wh = f->wh;
    shard_state_t *st = &wh->shards[f->shard];
    wh->ipc_pending--;
    st->fetching = 0;
    st->reserved = 0;
    wh->reserved -= f->limit;
    if (err == 0 && reply->err != 0)
        err = reply->err;
    if (err != 0) {
        /* A shard that is down is asked again at a later tick. */
        if (err != OV_EUNAVAIL && err != OV_ESHUTDOWN)
            ov_warn("webhook outbox of shard %u: %s", f->shard,
                    ov_strerror(err));
        free(f);
        return;
    }
    st->backlog = reply->backlog;
    st->dead = reply->dead;
    /* Entries not taken now stay pending and come back at a later fetch. */
    for (uint32_t i = 0; i < reply->entries.n && delivering(wh); i++) {
        const ipc_outbox_t *e = &reply->entries.items[i];
        if (wh->noutbox >= MAX_INFLIGHT || room_busy(wh, f->shard, e->room_id))
            continue;
        delivery_t *d = ov_xcalloc(1, sizeof(*d));
        d->wh = wh;
        d->shard = f->shard;
        d->seq = e->seq;
        d->attempts = e->attempts;
        d->room_id =
            ov_xstrndup(e->room_id.ptr ? e->room_id.ptr : "", e->room_id.len);
        d->event = ov_xstrndup(e->event.ptr ? e->event.ptr : "", e->event.len);
        gw_webhooks_body(&d->body, e, wh->base_url, wh->base_len);
        if (delivery_start(d, wh->url, e->creation_date) != 0) {
            ov_error("cannot start webhook delivery of seq %lld",
                     (long long)e->seq);
            delivery_free(d);
            continue;
        }
        list_add(&wh->outbox, d);
        wh->noutbox++;
    }
    free(f);
}

static void fetch_send(gw_webhooks_t *wh, uint32_t shard, unsigned limit)
{
    ov_str_t busy[MAX_INFLIGHT];
    uint32_t nbusy = 0;
    for (const delivery_t *d = wh->outbox; d && nbusy < MAX_INFLIGHT;
         d = d->next)
        if (d->shard == shard)
            busy[nbusy++] = ov_str(d->room_id);
    ipc_outbox_fetch_t m;
    memset(&m, 0, sizeof(m));
    m.now_ms = ov_time_now_ms();
    m.limit = limit;
    m.busy.items = busy;
    m.busy.n = nbusy;
    fetch_t *f = ov_xcalloc(1, sizeof(*f));
    f->wh = wh;
    f->shard = shard;
    f->limit = limit;
    wh->shards[shard].fetching = 1;
    wh->shards[shard].reserved = limit;
    wh->reserved += limit;
    wh->ipc_pending++;
    /* The stub encodes the message now: `busy` may go out of scope. */
    int rc = gw_shard_outbox_fetch(wh->app->pool, shard, &m, fetch_reply_cb, f);
    if (rc != 0)
        fetch_reply_cb(rc, NULL, f);
}

/* Asks every idle shard for due entries, sharing what is left of the cap
 * among them so that one busy shard cannot starve the others. */
static void tick_cb(uv_timer_t *t)
{
    gw_webhooks_t *wh = t->data;
    if (!delivering(wh))
        return;
    unsigned used = wh->noutbox + wh->reserved;
    if (used >= MAX_INFLIGHT)
        return;
    unsigned free_slots = MAX_INFLIGHT - used;
    unsigned idle = 0;
    for (uint32_t s = 0; s < wh->nshards; s++)
        if (!wh->shards[s].fetching)
            idle++;
    for (uint32_t s = 0; s < wh->nshards && free_slots > 0; s++) {
        if (wh->shards[s].fetching)
            continue;
        unsigned limit = free_slots / (idle ? idle : 1);
        if (limit == 0)
            limit = 1;
        if (limit > FETCH_LIMIT)
            limit = FETCH_LIMIT;
        idle--;
        free_slots -= limit;
        fetch_send(wh, s, limit);
    }
}

/* ---- configuration ---------------------------------------------------- */

static void state_ack_cb(int err, const ipc_ack_t *reply, void *data)
{
    gw_webhooks_t *wh = data;
    wh->ipc_pending--;
    if (err == 0 && reply->err != 0)
        err = reply->err;
    if (err != 0 && err != OV_EUNAVAIL && err != OV_ESHUTDOWN)
        ov_warn("cannot tell a shard whether to record webhooks: %s",
                ov_strerror(err));
}

/* A worker that misses this (it is restarting) gets it from on_ready. */
static void send_state(gw_webhooks_t *wh, uint32_t shard)
{
    ipc_webhooks_state_t m;
    memset(&m, 0, sizeof(m));
    m.enabled = recording_on(wh);
    wh->ipc_pending++;
    int rc =
        gw_shard_webhooks_state(wh->app->pool, shard, &m, state_ack_cb, wh);
    if (rc != 0) {
        wh->ipc_pending--;
        if (rc != OV_EUNAVAIL && rc != OV_ESHUTDOWN)
            ov_warn("cannot send WEBHOOKS_STATE to shard %u: %s", shard,
                    ov_strerror(rc));
    }
}

static void broadcast_state(gw_webhooks_t *wh)
{
    for (uint32_t s = 0; s < wh->nshards; s++)
        send_state(wh, s);
}

void gw_webhooks_on_ready(uint32_t shard, void *data)
{
    gw_webhooks_t *wh = data;
    if (wh->configured && !wh->closing && shard < wh->nshards)
        send_state(wh, shard);
}

static void store_config(gw_webhooks_t *wh,
                         const ipc_webhook_config_reply_t *reply)
{
    free(wh->url);
    wh->url = ov_xstrndup(reply->url.ptr ? reply->url.ptr : "", reply->url.len);
    wh->enabled = reply->enabled;
    wh->configured = 1;
}

typedef struct {
    gw_webhooks_t *wh;
    void (*cb)(int err, void *data);
    void *data;
} config_op_t;

static void start_reply_cb(int err, const ipc_webhook_config_reply_t *reply,
                           void *data)
{
    config_op_t *op = data;
    gw_webhooks_t *wh = op->wh;
    wh->ipc_pending--;
    if (err == 0 && reply->err != 0)
        err = reply->err;
    if (err == 0) {
        store_config(wh, reply);
        ov_info("webhooks %s%s%s", wh->enabled ? "enabled" : "disabled",
                wh->url[0] ? ": " : "", wh->url);
        if (wh->enabled && !wh->url[0])
            ov_warn("webhooks are enabled without a URL: nothing is sent");
        broadcast_state(wh);
        if (!wh->closing)
            uv_timer_start(&wh->tick, tick_cb, 0, TICK_MS);
    }
    op->cb(err, op->data);
    free(op);
}

void gw_webhooks_start(gw_webhooks_t *wh, void (*cb)(int err, void *data),
                       void *data)
{
    const gw_config_t *cfg = wh->app->cfg;
    wh->nshards = gw_pool_size(wh->app->pool);
    wh->shards = ov_xcalloc(wh->nshards ? wh->nshards : 1, sizeof(*wh->shards));
    config_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->wh = wh;
    op->cb = cb;
    op->data = data;
    ipc_webhook_config_set_t m;
    memset(&m, 0, sizeof(m));
    /* BEHAVIOUR.md §1.1: enabled only with an initial API key too. */
    m.enabled = cfg->initial_webhook_enabled && cfg->initial_api_key[0];
    m.url = ov_str(cfg->initial_webhook_url);
    m.init = true;
    wh->ipc_pending++;
    int rc =
        gw_shard_webhook_config_set(wh->app->pool, 0, &m, start_reply_cb, op);
    if (rc != 0)
        start_reply_cb(rc, NULL, op);
}

static void configure_reply_cb(int err, const ipc_webhook_config_reply_t *reply,
                               void *data)
{
    config_op_t *op = data;
    gw_webhooks_t *wh = op->wh;
    wh->ipc_pending--;
    if (err == 0 && reply->err != 0)
        err = reply->err;
    if (err == 0) {
        store_config(wh, reply);
        ov_info("webhooks configured: %s%s%s",
                wh->enabled ? "enabled" : "disabled", wh->url[0] ? ", " : "",
                wh->url);
        /* Sent before the answer: a request that follows it on any shard
         * is handled after the shard has the new state. */
        broadcast_state(wh);
        gw_webhooks_kick(wh);
    }
    op->cb(err, op->data);
    free(op);
}

void gw_webhooks_configure(gw_webhooks_t *wh, bool enabled, const char *url,
                           void (*cb)(int err, void *data), void *data)
{
    if (wh->closing || !wh->configured) {
        cb(OV_EUNAVAIL, data);
        return;
    }
    config_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->wh = wh;
    op->cb = cb;
    op->data = data;
    ipc_webhook_config_set_t m;
    memset(&m, 0, sizeof(m));
    m.enabled = enabled;
    m.url = ov_str(url ? url : "");
    m.init = false;
    wh->ipc_pending++;
    int rc = gw_shard_webhook_config_set(wh->app->pool, 0, &m,
                                         configure_reply_cb, op);
    if (rc != 0)
        configure_reply_cb(rc, NULL, op);
}

bool gw_webhooks_enabled(const gw_webhooks_t *wh)
{
    return wh->enabled;
}

const char *gw_webhooks_url(const gw_webhooks_t *wh)
{
    return wh->url ? wh->url : "";
}

void gw_webhooks_stats(const gw_webhooks_t *wh, gw_webhooks_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->delivered = wh->delivered;
    out->failed_attempts = wh->failed_attempts;
    out->dead_logged = wh->dead_logged;
    out->inflight = wh->noutbox;
    for (uint32_t s = 0; s < wh->nshards; s++) {
        out->backlog += wh->shards[s].backlog;
        out->dead += wh->shards[s].dead;
    }
}

/* ---- test events ------------------------------------------------------ */

void gw_webhooks_test(gw_webhooks_t *wh, const char *url,
                      void (*cb)(void *data, int ok, const char *reason),
                      void *data)
{
    if (wh->closing || !wh->app->api_key) {
        cb(data, 0, "meetd is shutting down");
        return;
    }
    delivery_t *d = ov_xcalloc(1, sizeof(*d));
    d->wh = wh;
    d->is_test = 1;
    d->test_cb = cb;
    d->test_data = data;
    int64_t now = ov_time_now_ms();
    ov_buf_printf(&d->body,
                  "{\"event\":\"testEvent\",\"creationDate\":%lld,\"data\":"
                  "{\"message\":\"This is a test webhook event\"}}",
                  (long long)now);
    if (delivery_start(d, url, now) != 0) {
        delivery_free(d);
        cb(data, 0, "the request could not be started");
        return;
    }
    list_add(&wh->tests, d);
}

/* ---- life cycle ------------------------------------------------------- */

gw_webhooks_t *gw_webhooks_new(gw_app_t *app)
{
    gw_webhooks_t *wh = ov_xcalloc(1, sizeof(*wh));
    wh->app = app;
    wh->url = ov_xstrdup("");
    int rc = gw_curl_new(&wh->curl, app->loop);
    if (rc != 0)
        ov_fatalx("cannot create the webhooks' HTTP client: %s",
                  ov_strerror(rc));
    uv_timer_init(app->loop, &wh->tick);
    wh->tick.data = wh;

    /* An event has no request: the URLs in its data use MEET_BASE_URL, or
     * else the default local address, and the base path. */
    const gw_config_t *cfg = app->cfg;
    ov_buf_t b = OV_BUF_INIT;
    if (cfg->base_url[0])
        ov_buf_appends(&b, cfg->base_url);
    else
        ov_buf_printf(&b, "http://localhost:%lld", (long long)cfg->port);
    size_t bl = strlen(cfg->base_path);
    if (bl > 1)
        ov_buf_append(&b, cfg->base_path, bl - 1);
    wh->base_len = b.len;
    ov_buf_append(&b, "", 1); /* NUL */
    wh->base_url = b.data;
    return wh;
}

static void tick_closed_cb(uv_handle_t *h)
{
    gw_webhooks_t *wh = h->data;
    void (*cb)(void *) = wh->close_cb;
    void *data = wh->close_data;
    free(wh->shards);
    free(wh->base_url);
    free(wh->url);
    free(wh);
    if (cb)
        cb(data);
}

/* An outbox delivery ended by gw_curl_close was never attempted: no
 * outcome goes to the shard, so its entry stays pending, unchanged, and is
 * sent again after the next start. */
static void outbox_dropped(delivery_t *d)
{
    gw_webhooks_t *wh = d->wh;
    list_del(&wh->outbox, d);
    wh->noutbox--;
    ov_info("webhook seq %lld cancelled by shutdown; it stays pending",
            (long long)d->seq);
    delivery_free(d);
}

static void curl_closed_cb(void *data)
{
    gw_webhooks_t *wh = data;
    wh->curl = NULL;
}

static void close_poll_cb(uv_timer_t *t)
{
    gw_webhooks_t *wh = t->data;
    int in_curl = wh->tests != NULL;
    for (const delivery_t *d = wh->outbox; d; d = d->next)
        if (d->req)
            in_curl = 1;
    if (in_curl && uv_hrtime() < wh->close_deadline_ns)
        return;
    /* Past the grace period, or nothing left in curl: closing the client
     * ends what is still in it (delivery_done_cb sees shutdown set). */
    if (!wh->curl_closing) {
        wh->curl_closing = 1;
        gw_curl_close(wh->curl, curl_closed_cb, wh);
    }
    /* Outcomes and fetches sent to the shards are answered (or failed by
     * the pool's own timeout) before anything here is freed. */
    if (wh->ipc_pending > 0 || wh->curl)
        return;
    OV_ASSERT(!wh->outbox && !wh->tests);
    uv_timer_stop(&wh->tick);
    uv_close((uv_handle_t *)&wh->tick, tick_closed_cb);
}

void gw_webhooks_close(gw_webhooks_t *wh, void (*cb)(void *data), void *data)
{
    OV_ASSERT(!wh->closing);
    wh->closing = 1;
    wh->close_cb = cb;
    wh->close_data = data;
    wh->close_deadline_ns = uv_hrtime() + (uint64_t)CLOSE_GRACE_MS * 1000000u;
    uv_timer_start(&wh->tick, close_poll_cb, 0, CLOSE_POLL_MS);
}
