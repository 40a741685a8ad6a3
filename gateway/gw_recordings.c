/* gw_recordings: see gw_recordings.h.
 *
 * Waiters form a list on the app. A waiter owns a timer; it leaves the list
 * when it fires or its recording turns active, and is freed in the timer's
 * close callback. */
#include "gw_recordings.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw_egress.h"
#include "gw_lkapi.h"
#include "gw_metrics.h"
#include "gw_webhooks.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

typedef struct gw_rec_waiter_s {
    struct gw_rec_waiter_s *next;
    gw_app_t *app;
    char *recording_id;
    gw_rec_event_done_cb cb;
    void *data;
    uv_timer_t timer;
} waiter_t;

typedef struct {
    gw_app_t *app;
    gw_rec_event_done_cb done;
    void *data;
} event_op_t;

static void waiter_closed_cb(uv_handle_t *h)
{
    waiter_t *w = h->data;
    free(w->recording_id);
    free(w);
}

static void waiter_unlink(waiter_t *w)
{
    waiter_t **pp = &w->app->rec_waiters;
    while (*pp && *pp != w)
        pp = &(*pp)->next;
    if (*pp)
        *pp = w->next;
}

static void waiter_timeout_cb(uv_timer_t *t)
{
    waiter_t *w = t->data;
    waiter_unlink(w);
    uv_close((uv_handle_t *)&w->timer, waiter_closed_cb);
    w->cb(w->data, OV_ERECTIMEOUT, NULL);
}

/* Wakes the waiters of a recording that is now stored as active. */
static void wake_waiters(gw_app_t *app, const ipc_rec_t *rec)
{
    waiter_t **pp = &app->rec_waiters;
    while (*pp) {
        waiter_t *w = *pp;
        if (ov_str_eq(ov_str(w->recording_id), rec->recording_id)) {
            *pp = w->next;
            uv_timer_stop(&w->timer);
            uv_close((uv_handle_t *)&w->timer, waiter_closed_cb);
            w->cb(w->data, 0, rec);
        } else {
            pp = &w->next;
        }
    }
}

static void active_check_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    if (err == 0 && ov_str_eq(reply->rec.status, OV_STR_LIT("active")))
        wake_waiters(data, &reply->rec);
}

void gw_recordings_wait_active(gw_app_t *app, const char *recording_id,
                               unsigned timeout_ms, gw_rec_event_done_cb cb,
                               void *data)
{
    waiter_t *w = ov_xcalloc(1, sizeof(*w));
    w->app = app;
    w->recording_id = ov_xstrdup(recording_id);
    w->cb = cb;
    w->data = data;
    uv_timer_init(app->loop, &w->timer);
    w->timer.data = w;
    uv_timer_start(&w->timer, waiter_timeout_cb, timeout_ms, 0);
    w->next = app->rec_waiters;
    app->rec_waiters = w;
    /* The recording may have turned active before the wait began (LiveKit's
     * webhook can beat the answer to its start call). The shard answers in
     * order, so this read sees every event stored before it, and any later
     * one wakes the waiter through event_reply_cb. */
    const char *sep = strstr(recording_id, "--");
    size_t room_len = sep ? (size_t)(sep - recording_id) : 0;
    if (room_len == 0)
        return;
    ipc_rec_get_t m = {.recording_id = ov_str(recording_id)};
    int rc = gw_shard_rec_get(app->pool,
                              ov_shard_of(recording_id, room_len,
                                          gw_pool_size(app->pool)),
                              &m, active_check_cb, app);
    (void)rc; /* no read: the events or the timeout decide */
}

/* What follows a stored event: metrics, the webhook it may have queued,
 * and the starts waiting for it. */
static void event_stored(gw_app_t *app, const ipc_rec_t *rec)
{
    gw_metrics_observe_recording(rec->status.ptr, rec->status.len);
    if (app->webhooks)
        gw_webhooks_kick(app->webhooks);
    if (ov_str_eq(rec->status, OV_STR_LIT("active")))
        wake_waiters(app, rec);
}

static void event_reply_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    event_op_t *op = data;
    if (err != 0)
        ov_warn("recording event not stored: %s", ov_strerror(err));
    else
        event_stored(op->app, &reply->rec);
    if (op->done)
        op->done(op->data, err, err == 0 ? &reply->rec : NULL);
    free(op);
}

/* ---- events nobody could send again ------------------------------------
 *
 * LiveKit sends a webhook again when meetd answers 503, but the events of
 * the local backend and of a start's timeout have no sender to retry them:
 * while their shard's worker restarts (or its disk is full) they wait in
 * a queue per shard and are sent again, in order, with a growing delay.
 * An event queued for a shard makes every later event of that shard queue
 * behind it, so that a recording's events are stored in the order they
 * happened. */

#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000
#define RETRY_ATTEMPTS 60   /* about 4 minutes at most */
#define RETRY_QUEUE_MAX 4096 /* events waiting for one shard */

typedef struct queued_s {
    struct queued_s *next;
    uint32_t kind;
    ipc_rec_t rec; /* every string an owned, NUL-terminated copy */
    unsigned attempts;
} queued_t;

struct gw_rec_queue_s {
    gw_app_t *app;
    uint32_t shard;
    queued_t *head, *tail;
    size_t n;
    unsigned delay_ms;
    int sending; /* the head is in flight */
    uv_timer_t timer;
};

/* Deep copies of a record: `dst` gets owned, NUL-terminated strings. */
#define REC_COPY_STR(f)                                                        \
    dst->f = ov_str(ov_xstrndup(src->f.ptr ? src->f.ptr : "", src->f.len));
#define REC_FREE_STR(f) free((char *)r->f.ptr);
#define REC_NONE(f)
#define REC_COPY_F64 REC_NONE
#define REC_COPY_I64 REC_NONE
#define REC_COPY_I32 REC_NONE
#define REC_FREE_F64 REC_NONE
#define REC_FREE_I64 REC_NONE
#define REC_FREE_I32 REC_NONE
#define REC_COPY(T, f) REC_COPY_##T(f)
#define REC_FREE(T, f) REC_FREE_##T(f)

static void rec_copy(ipc_rec_t *dst, const ipc_rec_t *src)
{
    *dst = *src;
    IPC_REC_FIELDS(REC_COPY)
}

static void rec_free(ipc_rec_t *r)
{
    IPC_REC_FIELDS(REC_FREE)
}

static queued_t *queued_new(uint32_t kind, const ipc_rec_t *rec)
{
    queued_t *q = ov_xcalloc(1, sizeof(*q));
    q->kind = kind;
    rec_copy(&q->rec, rec);
    return q;
}

static void queued_free(queued_t *q)
{
    rec_free(&q->rec);
    free(q);
}

static int retryable(int err)
{
    return err == OV_EUNAVAIL || err == OV_ETIMEDOUT || err == OV_ESTORAGE;
}

static void queue_send(struct gw_rec_queue_s *qs);

static void queue_timer_cb(uv_timer_t *t)
{
    queue_send(t->data);
}

static void queue_later(struct gw_rec_queue_s *qs)
{
    uv_timer_start(&qs->timer, queue_timer_cb, qs->delay_ms, 0);
    qs->delay_ms = qs->delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS
                                                   : qs->delay_ms * 2;
}

static void queue_pop(struct gw_rec_queue_s *qs)
{
    queued_t *q = qs->head;
    qs->head = q->next;
    if (!qs->head)
        qs->tail = NULL;
    qs->n--;
    queued_free(q);
}

static void queue_reply_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    struct gw_rec_queue_s *qs = data;
    queued_t *q = qs->head;
    qs->sending = 0;
    if (err == 0) {
        event_stored(qs->app, &reply->rec);
        queue_pop(qs);
        qs->delay_ms = RETRY_FIRST_MS;
    } else if (!retryable(err) || ++q->attempts >= RETRY_ATTEMPTS) {
        ov_warn("recording event for %.*s not stored after %u attempt(s): %s",
                (int)q->rec.recording_id.len, q->rec.recording_id.ptr,
                q->attempts + 1, ov_strerror(err));
        queue_pop(qs);
    } else {
        queue_later(qs);
        return;
    }
    if (qs->head)
        queue_send(qs);
}

static void queue_send(struct gw_rec_queue_s *qs)
{
    if (qs->sending || !qs->head || !qs->app->pool)
        return;
    ipc_rec_event_t m;
    memset(&m, 0, sizeof(m));
    m.kind = qs->head->kind;
    m.rec = qs->head->rec;
    qs->sending = 1;
    int rc = gw_shard_rec_event(qs->app->pool, qs->shard, &m, queue_reply_cb,
                                qs);
    if (rc != 0)
        queue_reply_cb(rc, NULL, qs);
}

static struct gw_rec_queue_s *queue_of(gw_app_t *app, uint32_t shard)
{
    if (!app->rec_queues) {
        OV_ASSERT(!app->rec_queues_closed);
        uint32_t n = gw_pool_size(app->pool);
        app->rec_queues = ov_xcalloc(n, sizeof(*app->rec_queues));
        app->rec_queues_open = n;
        for (uint32_t i = 0; i < n; i++) {
            struct gw_rec_queue_s *qs = &app->rec_queues[i];
            qs->app = app;
            qs->shard = i;
            qs->delay_ms = RETRY_FIRST_MS;
            uv_timer_init(app->loop, &qs->timer);
            qs->timer.data = qs;
        }
    }
    return &app->rec_queues[shard];
}

static void enqueue(gw_app_t *app, uint32_t shard, uint32_t kind,
                    const ipc_rec_t *rec)
{
    struct gw_rec_queue_s *qs =
        app->rec_queues_closed ? NULL : queue_of(app, shard);
    if (!qs || qs->n >= RETRY_QUEUE_MAX) {
        ov_warn("recording event for %.*s dropped: shard %u is unavailable",
                (int)rec->recording_id.len, rec->recording_id.ptr, shard);
        return;
    }
    queued_t *q = queued_new(kind, rec);
    if (qs->tail)
        qs->tail->next = q;
    else
        qs->head = q;
    qs->tail = q;
    qs->n++;
    if (!qs->sending && !uv_is_active((uv_handle_t *)&qs->timer))
        queue_later(qs);
}

/* A first attempt, sent straight away; it carries a copy of the event in
 * case it has to join its shard's queue after a failure that may pass. */
typedef struct {
    gw_app_t *app;
    uint32_t shard, kind;
    ipc_rec_t rec; /* owned copy */
} direct_op_t;

static void direct_reply_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    direct_op_t *d = data;
    if (err == 0)
        event_stored(d->app, &reply->rec);
    else if (retryable(err))
        enqueue(d->app, d->shard, d->kind, &d->rec);
    else
        ov_warn("recording event not stored: %s", ov_strerror(err));
    rec_free(&d->rec);
    free(d);
}

static void queue_closed_cb(uv_handle_t *h)
{
    gw_app_t *app = ((struct gw_rec_queue_s *)h->data)->app;
    if (--app->rec_queues_open == 0) {
        free(app->rec_queues);
        app->rec_queues = NULL;
    }
}

/* Frees the queues once nothing can add to them (the backend has closed). */
static void queues_close(gw_app_t *app)
{
    app->rec_queues_closed = 1;
    if (!app->rec_queues)
        return;
    size_t dropped = 0;
    for (uint32_t i = 0; i < gw_pool_size(app->pool); i++) {
        struct gw_rec_queue_s *qs = &app->rec_queues[i];
        dropped += qs->n;
        while (qs->head)
            queue_pop(qs);
        uv_timer_stop(&qs->timer);
        uv_close((uv_handle_t *)&qs->timer, queue_closed_cb);
    }
    if (dropped > 0)
        ov_warn("%zu recording event(s) not stored: shutting down", dropped);
}

void gw_recordings_event(gw_app_t *app, uint32_t kind, const ipc_rec_t *rec,
                         gw_rec_event_done_cb done, void *data)
{
    ipc_rec_event_t m;
    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.rec = *rec;
    uint32_t shard = ov_shard_of(rec->room_id.ptr, rec->room_id.len,
                                 gw_pool_size(app->pool));
    if (done) {
        /* The sender hears of a failure and sends again itself. */
        event_op_t *op = ov_xcalloc(1, sizeof(*op));
        op->app = app;
        op->done = done;
        op->data = data;
        int rc = gw_shard_rec_event(app->pool, shard, &m, event_reply_cb, op);
        if (rc != 0)
            event_reply_cb(rc, NULL, op);
        return;
    }
    if (!app->rec_queues_closed && queue_of(app, shard)->head) {
        enqueue(app, shard, kind, rec);
        return;
    }
    direct_op_t *d = ov_xcalloc(1, sizeof(*d));
    d->app = app;
    d->shard = shard;
    d->kind = kind;
    rec_copy(&d->rec, rec);
    int rc = gw_shard_rec_event(app->pool, shard, &m, direct_reply_cb, d);
    if (rc != 0)
        direct_reply_cb(rc, NULL, d);
}

/* The local backend's events take the same path as LiveKit's webhooks. */
static void backend_event_cb(void *data, uint32_t kind, const ipc_rec_t *rec)
{
    gw_recordings_event(data, kind, rec, NULL, NULL);
}

static int init_livekit(gw_app_t *app)
{
    const gw_config_t *cfg = app->cfg;
    const char *url =
        cfg->livekit_url_private[0] ? cfg->livekit_url_private : cfg->livekit_url;
    int rc = gw_lkapi_new(&app->lkapi, app->loop, url, cfg->livekit_api_key,
                          cfg->livekit_api_secret, (long)cfg->livekit_timeout_ms);
    if (rc != 0) {
        ov_error("LiveKit URL %s is not usable", url);
        return rc;
    }
    ov_buf_t dir = OV_BUF_INIT;
    if (cfg->egress_dir[0])
        ov_buf_appends(&dir, cfg->egress_dir);
    else
        ov_buf_printf(&dir, "%s/egress", cfg->data_dir);
    rc = gw_egress_livekit_new(&app->egress, app->loop, app->lkapi, dir.data,
                               cfg->s3_subbucket, backend_event_cb, app);
    ov_buf_free(&dir);
    if (rc != 0) {
        gw_lkapi_close(app->lkapi, NULL, NULL);
        app->lkapi = NULL;
    }
    return rc;
}

int gw_recordings_init(gw_app_t *app)
{
    const gw_config_t *cfg = app->cfg;
    if (strcmp(cfg->recording_backend, "livekit") == 0)
        return init_livekit(app);
    ov_buf_t dir = OV_BUF_INIT;
    ov_buf_printf(&dir, "%s/recordings", cfg->data_dir);
    int rc = gw_egress_local_new(&app->egress, app->loop, dir.data,
                                 cfg->ffmpeg, backend_event_cb, app);
    ov_buf_free(&dir);
    return rc;
}

typedef struct {
    gw_app_t *app;
    void (*cb)(void *);
    void *data;
} closing_t;

/* The backend's last events have been sent: the queues can go. */
static void backend_closed_cb(void *data)
{
    closing_t *c = data;
    void (*cb)(void *) = c->cb;
    void *cb_data = c->data;
    queues_close(c->app);
    free(c);
    if (cb)
        cb(cb_data);
}

void gw_recordings_close(gw_app_t *app, void (*cb)(void *), void *data)
{
    /* Pending starts fail now; their timers close with them. */
    while (app->rec_waiters) {
        waiter_t *w = app->rec_waiters;
        app->rec_waiters = w->next;
        uv_timer_stop(&w->timer);
        uv_close((uv_handle_t *)&w->timer, waiter_closed_cb);
        w->cb(w->data, OV_ESHUTDOWN, NULL);
    }
    closing_t *c = ov_xcalloc(1, sizeof(*c));
    c->app = app;
    c->cb = cb;
    c->data = data;
    if (app->egress) {
        gw_egress_close(app->egress, backend_closed_cb, c);
        app->egress = NULL;
    } else {
        backend_closed_cb(c);
    }
    /* After the backend's close has begun: the calls it still waits for
     * fail now, and then it finishes. */
    if (app->lkapi) {
        gw_lkapi_close(app->lkapi, NULL, NULL);
        app->lkapi = NULL;
    }
}

void gw_recordings_remove_room_media(gw_app_t *app, const char *room_id)
{
    if (!app->egress || !room_id[0] || strchr(room_id, '/') ||
        strcmp(room_id, ".") == 0 || strcmp(room_id, "..") == 0)
        return;
    ov_buf_t dir = OV_BUF_INIT;
    ov_buf_printf(&dir, "%s/%s", gw_egress_dir(app->egress), room_id);
    DIR *d = opendir(dir.data);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            ov_buf_t f = OV_BUF_INIT;
            ov_buf_printf(&f, "%s/%s", dir.data, e->d_name);
            if (unlink(f.data) != 0 && errno != ENOENT)
                ov_warn("unlink(%s) failed: %s", f.data, strerror(errno));
            ov_buf_free(&f);
        }
        closedir(d);
        if (rmdir(dir.data) != 0 && errno != ENOENT)
            ov_warn("rmdir(%s) failed: %s", dir.data, strerror(errno));
    }
    ov_buf_free(&dir);
}
