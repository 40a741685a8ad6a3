/* gw_jobs: see gw_jobs.h.
 *
 * One pass sends ROOMS_EXPIRE to every shard and repeats it for a shard as
 * long as it answers `more`, so a backlog of expired rooms is worked off in
 * batches that keep each shard's other requests flowing. A shard that is
 * down is skipped and caught up at the next pass. */
#include "gw_jobs.h"

#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

#define EXPIRE_BATCH 100

typedef struct {
    gw_app_t *app;
    uint32_t shard;
    unsigned processed;
} expire_pass_t;

static void expire_send(expire_pass_t *p);

static void expire_reply_cb(int err, const ipc_rooms_expire_reply_t *reply,
                            void *data)
{
    expire_pass_t *p = data;
    if (err != 0) {
        ov_warn("room expiry on shard %u failed: %s", p->shard,
                ov_strerror(err));
    } else {
        p->processed += reply->processed;
        if (reply->more) {
            expire_send(p);
            return;
        }
    }
    if (p->processed > 0)
        ov_info("room expiry: shard %u processed %u room(s)", p->shard,
                p->processed);
    p->app->gc_running--;
    free(p);
}

static void expire_send(expire_pass_t *p)
{
    ipc_rooms_expire_t m = {.now_ms = ov_time_now_ms(), .limit = EXPIRE_BATCH};
    int rc = gw_shard_rooms_expire(p->app->pool, p->shard, &m,
                                   expire_reply_cb, p);
    if (rc != 0)
        expire_reply_cb(rc, NULL, p);
}

static void gc_timer_cb(uv_timer_t *t)
{
    gw_app_t *app = t->data;
    /* A pass still running (a large backlog) is not doubled. */
    if (app->gc_running > 0)
        return;
    uint32_t n = gw_pool_size(app->pool);
    app->gc_running = n;
    for (uint32_t s = 0; s < n; s++) {
        expire_pass_t *p = ov_xcalloc(1, sizeof(*p));
        p->app = app;
        p->shard = s;
        expire_send(p);
    }
}

void gw_jobs_start(gw_app_t *app)
{
    uint64_t every = (uint64_t)app->cfg->gc_interval_ms;
    uv_timer_init(app->loop, &app->gc_timer);
    app->gc_timer.data = app;
    uv_timer_start(&app->gc_timer, gc_timer_cb, 0, every);
}

void gw_jobs_stop(gw_app_t *app, void (*cb)(uv_handle_t *))
{
    uv_timer_stop(&app->gc_timer);
    uv_close((uv_handle_t *)&app->gc_timer, cb);
}
