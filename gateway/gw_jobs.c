/* gw_jobs: see gw_jobs.h.
 *
 * One pass sends ROOMS_EXPIRE to every shard and repeats it for a shard as
 * long as it answers `more`, so a backlog of expired rooms is worked off in
 * batches that keep each shard's other requests flowing. A shard that is
 * down is skipped and caught up at the next pass. */
#include "gw_jobs.h"

#include <dirent.h>
#include <string.h>

#include "gw_egress.h"
#include "gw_recordings.h"
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
        /* Meetings the expiry ended: their recordings stop, and the media
         * server ends them too (LiveKit: DeleteRoom). */
        for (uint32_t i = 0; p->app->egress && i < reply->ended.n; i++) {
            char *room = ov_xstrndup(reply->ended.items[i].ptr,
                                     reply->ended.items[i].len);
            gw_egress_stop_room(p->app->egress, room);
            gw_egress_end_meeting(p->app->egress, room);
            free(room);
        }
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

/* ---- stale recordings ------------------------------------------------- */

/* Records in progress whose egress the backend no longer runs are aborted
 * (BEHAVIOUR.md §10, staleRecordingsGC). The local backend knows exactly
 * which egresses run, so no grace period is needed: after a restart every
 * recording that was in progress is aborted at once. */
#define STALE_BATCH 100
#define STALE_LIVEKIT_GRACE_MS 60000
#define LOCK_GRACE_MARGIN_MS 10000
#define MAX_RUNNING 4096

typedef struct {
    gw_app_t *app;
    uint32_t shard;
    char **running; /* owned copies: a pass may outlive the egresses */
    size_t nrunning;
} stale_pass_t;

static void stale_send(stale_pass_t *p);

static void stale_reply_cb(int err, const ipc_rec_abort_stale_reply_t *reply,
                           void *data)
{
    stale_pass_t *p = data;
    if (err != 0) {
        ov_warn("stale recordings on shard %u: %s", p->shard, ov_strerror(err));
    } else {
        for (uint32_t i = 0; i < reply->aborted.n; i++)
            ov_info("recording %.*s aborted: its egress is gone",
                    (int)reply->aborted.items[i].recording_id.len,
                    reply->aborted.items[i].recording_id.ptr);
        if (reply->more) {
            stale_send(p);
            return;
        }
    }
    for (size_t i = 0; i < p->nrunning; i++)
        free(p->running[i]);
    free(p->running);
    free(p);
}

/* How old a room's recording lock must be, with no recording in progress,
 * to be taken for the remains of a start that died (the gateway or the
 * shard killed between the lock and the egress's first event). A start in
 * flight holds it at most for the backend's calls and the start timeout;
 * locks from before this gateway started have no start in flight at all. */
static int64_t lock_grace_ms(const gw_app_t *app, int64_t now_ms)
{
    const gw_config_t *cfg = app->cfg;
    int64_t grace = cfg->recording_start_timeout_ms + LOCK_GRACE_MARGIN_MS;
    if (app->lkapi)
        grace += 2 * cfg->livekit_timeout_ms;
    int64_t lived = now_ms - app->jobs_since_ms;
    return lived < grace ? (lived > 0 ? lived : 0) : grace;
}

static void stale_send(stale_pass_t *p)
{
    ipc_rec_abort_stale_t m;
    memset(&m, 0, sizeof(m));
    m.now_ms = ov_time_now_ms();
    /* LiveKit's list is an answer from a moment ago: a recording whose
     * start event arrived since must not look stale, so only records left
     * unchanged for a while go (the reference waits minutes). The local
     * backend's list is exact. */
    m.older_than_ms = p->app->lkapi ? STALE_LIVEKIT_GRACE_MS : 0;
    m.limit = STALE_BATCH;
    m.lock_older_than_ms = lock_grace_ms(p->app, m.now_ms);
    ov_str_t *ids = ov_xcalloc(p->nrunning ? p->nrunning : 1, sizeof(ov_str_t));
    for (size_t i = 0; i < p->nrunning; i++)
        ids[i] = ov_str(p->running[i]);
    m.running.items = ids;
    m.running.n = (uint32_t)p->nrunning;
    int rc = gw_shard_rec_abort_stale(p->app->pool, p->shard, &m,
                                      stale_reply_cb, p);
    free(ids);
    if (rc != 0)
        stale_reply_cb(rc, NULL, p);
}

static void room_check(gw_app_t *app, const char *room_id,
                       const char *egress_id);

/* The running egresses are known: each shard aborts its recordings whose
 * egress is not among them, and each egress whose meeting is over is
 * stopped. A media server that cannot be asked skips the pass, rather than
 * every recording being taken for dead. */
static void running_list_cb(void *data, int err, size_t nids,
                          const char *const *ids, const char *const *rooms)
{
    gw_app_t *app = data;
    if (err != 0) {
        ov_warn("stale recordings not checked: cannot list the egresses: %s",
                ov_strerror(err));
        return;
    }
    if (nids > MAX_RUNNING)
        nids = MAX_RUNNING;
    uint32_t n = gw_pool_size(app->pool);
    for (uint32_t s = 0; s < n; s++) {
        stale_pass_t *p = ov_xcalloc(1, sizeof(*p));
        p->app = app;
        p->shard = s;
        p->running = ov_xcalloc(nids ? nids : 1, sizeof(char *));
        for (size_t i = 0; i < nids; i++)
            p->running[i] = ov_xstrdup(ids[i]);
        p->nrunning = nids;
        stale_send(p);
    }
    for (size_t i = 0; i < nids; i++)
        room_check(app, rooms[i], ids[i]);
}

static void egress_check(gw_app_t *app)
{
    if (app->egress)
        gw_egress_list_running(app->egress, NULL, running_list_cb, app);
}

/* ---- recordings whose room or meeting is gone ------------------------ */

/* A meeting can end without meetd applying it through a path that stops
 * its recordings (expiry with force, for one), and rooms deleted by expiry
 * leave their media directories. Both are caught here, once per pass. */
typedef struct {
    gw_app_t *app;
    char *room_id;
    char *egress_id; /* NULL: checking a media directory */
} room_check_t;

static void room_check_free(room_check_t *c)
{
    free(c->room_id);
    free(c->egress_id);
    free(c);
}

static void egress_check_cb(void *data, int err, gw_egress_status_t st)
{
    room_check_t *c = data;
    if (err == 0 && c->app->egress &&
        (st == GW_EGRESS_STARTING || st == GW_EGRESS_ACTIVE)) {
        ov_info("stopping egress %s: the meeting of room %s is over",
                c->egress_id, c->room_id);
        gw_egress_stop(c->app->egress, c->room_id, c->egress_id, NULL, NULL);
    }
    room_check_free(c);
}

static void room_check_cb(int err, const ipc_room_reply_t *reply, void *data)
{
    room_check_t *c = data;
    int gone = err == OV_ENOROOM;
    if (c->egress_id && c->app->egress &&
        (gone || (err == 0 && !ov_str_eq(reply->room.status,
                                          OV_STR_LIT("active_meeting"))))) {
        gw_egress_status(c->app->egress, c->room_id, c->egress_id,
                         egress_check_cb, c);
        return;
    }
    if (!c->egress_id && gone) {
        ov_info("removing the media of deleted room %s", c->room_id);
        gw_recordings_remove_room_media(c->app, c->room_id);
    }
    room_check_free(c);
}

static void room_check(gw_app_t *app, const char *room_id,
                       const char *egress_id)
{
    room_check_t *c = ov_xcalloc(1, sizeof(*c));
    c->app = app;
    c->room_id = ov_xstrdup(room_id);
    c->egress_id = egress_id ? ov_xstrdup(egress_id) : NULL;
    ipc_room_get_t m = {.room_id = ov_str(room_id)};
    int rc = gw_shard_room_get(app->pool,
                               ov_shard_of(room_id, strlen(room_id),
                                           gw_pool_size(app->pool)),
                               &m, room_check_cb, c);
    if (rc != 0)
        room_check_cb(rc, NULL, c);
}

static void media_check(gw_app_t *app)
{
    if (!app->egress)
        return;
    DIR *d = opendir(gw_egress_dir(app->egress));
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            room_check(app, e->d_name, NULL);
    closedir(d);
}

static void gc_timer_cb(uv_timer_t *t)
{
    gw_app_t *app = t->data;
    /* A pass still running (a large backlog) is not doubled. */
    if (app->gc_running > 0)
        return;
    egress_check(app);
    media_check(app);
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
    app->jobs_since_ms = ov_time_now_ms();
    uv_timer_init(app->loop, &app->gc_timer);
    app->gc_timer.data = app;
    uv_timer_start(&app->gc_timer, gc_timer_cb, 0, every);
}

void gw_jobs_stop(gw_app_t *app, void (*cb)(uv_handle_t *))
{
    uv_timer_stop(&app->gc_timer);
    uv_close((uv_handle_t *)&app->gc_timer, cb);
}
