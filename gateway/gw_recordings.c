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

static void event_reply_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    event_op_t *op = data;
    if (err == 0) {
        gw_metrics_observe_recording(reply->rec.status.ptr,
                                     reply->rec.status.len);
        if (op->app->webhooks)
            gw_webhooks_kick(op->app->webhooks); /* it may have made an event */
    }
    if (err != 0) {
        ov_warn("recording event not stored: %s", ov_strerror(err));
    } else if (ov_str_eq(reply->rec.status, OV_STR_LIT("active"))) {
        wake_waiters(op->app, &reply->rec);
    }
    if (op->done)
        op->done(op->data, err, err == 0 ? &reply->rec : NULL);
    free(op);
}

void gw_recordings_event(gw_app_t *app, uint32_t kind, const ipc_rec_t *rec,
                         gw_rec_event_done_cb done, void *data)
{
    event_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->app = app;
    op->done = done;
    op->data = data;
    ipc_rec_event_t m;
    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.rec = *rec;
    uint32_t shard = ov_shard_of(rec->room_id.ptr, rec->room_id.len,
                                 gw_pool_size(app->pool));
    int rc = gw_shard_rec_event(app->pool, shard, &m, event_reply_cb, op);
    if (rc != 0)
        event_reply_cb(rc, NULL, op);
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
    if (app->egress) {
        gw_egress_close(app->egress, cb, data);
        app->egress = NULL;
    } else if (cb) {
        cb(data);
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
