/* gw_shard: worker supervision and the request/reply stubs; see gw_shard.h.
 *
 * Each worker slot embeds its uv_process_t and the uv_pipe_t of its IPC
 * socket. Both handles must be closed before the slot can spawn again, so
 * a restart waits for `open_handles` to reach zero. Pending requests form a
 * FIFO list per worker: a worker answers in order, so the reply matches the
 * head in the common case and lookups stay O(1). */
#include "gw_shard.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_metrics.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

/* A reply trampoline decodes a frame into the reply type of its request and
 * calls the typed callback. It returns -1 if the frame does not decode, in
 * which case it has not called the callback. */
typedef int (*tramp_fn)(void (*cb)(void), void *data, int err,
                        const ipc_frame_t *f);

typedef struct pending_s {
    struct pending_s *prev, *next;
    uint64_t req_id;
    uint32_t reply_type;
    tramp_fn tramp;
    void (*cb)(void);
    void *data;
    uint64_t deadline_ns;
    uint64_t sent_ns; /* when queued: the start of its round trip */
    gw_req_t *req;    /* the HTTP request it serves (a reference), or NULL */
} pending_t;

typedef struct {
    gw_pool_t *pool;
    uint32_t shard;
    gw_shard_state_t state;
    uv_process_t proc;
    uv_pipe_t pipe;
    int open_handles; /* proc and pipe handles not yet closed */
    int proc_live;    /* the process has not been reaped */
    int pipe_live;
    int64_t pid;
    ipc_reader_t reader;
    ov_buf_t out; /* frames queued for the next flush */
    pending_t *head, *tail;
    unsigned inflight;
    unsigned restarts;
    int last_exit;
    uint64_t spawned_ns;
    uint64_t ready_deadline_ns;
    unsigned backoff_ms;
    uv_timer_t restart_timer;
    int ever_ready;
    int sent_ready; /* the current process has sent READY */
    /* Consecutive exits with WK_EXIT_PERMANENT before READY; reset by a
     * READY. At GW_SHARD_PERMANENT_TRIES the pool stops respawning. */
    unsigned permanent_fails;
} worker_t;

struct gw_pool_s {
    gw_req_t *current; /* see gw_pool_set_current */
    uv_loop_t *loop;
    gw_pool_opts_t opts;
    worker_t *workers;
    uint64_t next_req_id;
    uv_check_t flush_check; /* flushes queued frames after each poll */
    int flush_active;
    uv_timer_t tick; /* request deadlines and READY deadlines */
    void (*start_cb)(int err, void *data);
    void *start_data;
    int stopping;
    void (*stop_cb)(void *data);
    void *stop_data;
    uv_timer_t stop_timer;
    int closing_handles; /* pool-level handles still closing */
};

/* A worker that exits with WK_EXIT_PERMANENT (3: bad arguments, or a
 * database that cannot be opened, is locked by another meetd or is corrupt)
 * before READY is retried this many times in all, after
 * GW_SHARD_PERMANENT_BACKOFF_MS, then twice that, ...; then the shard stays
 * down (reported by /health) and a pending gw_pool_start fails at once. A
 * few tries cover a lock that an exiting meetd is about to release. */
#define GW_SHARD_PERMANENT_TRIES 3
#define GW_SHARD_PERMANENT_BACKOFF_MS 200
/* The exit status of meetd-worker that means "do not respawn"
 * (WK_EXIT_PERMANENT in workers/wk_serve.h, which the gateway does not
 * include). */
#define GW_WORKER_EXIT_PERMANENT 3

typedef struct {
    uv_write_t req;
    ov_buf_t buf;
} write_req_t;

static void worker_spawn(worker_t *w);
static void worker_kill(worker_t *w, const char *why);
static void pool_maybe_finish_stop(gw_pool_t *p);

const char *gw_shard_state_name(gw_shard_state_t s)
{
    switch (s) {
    case GW_SHARD_STARTING:
        return "starting";
    case GW_SHARD_READY:
        return "ready";
    case GW_SHARD_DOWN:
        return "down";
    case GW_SHARD_STOPPING:
        return "stopping";
    case GW_SHARD_STOPPED:
        return "stopped";
    }
    return "unknown";
}

/* ---- pending list ----------------------------------------------------- */

static void pending_unlink(worker_t *w, pending_t *pd)
{
    if (pd->prev)
        pd->prev->next = pd->next;
    else
        w->head = pd->next;
    if (pd->next)
        pd->next->prev = pd->prev;
    else
        w->tail = pd->prev;
    w->inflight--;
}

static pending_t *pending_find(worker_t *w, uint64_t req_id)
{
    for (pending_t *pd = w->head; pd; pd = pd->next)
        if (pd->req_id == req_id)
            return pd;
    return NULL;
}

/* Calls the reply trampoline of `pd` with its HTTP request current, so that
 * requests the callback sends serve the same HTTP request, then drops the
 * pending's reference to it. Returns the trampoline's result. */
static int run_tramp(gw_pool_t *p, pending_t *pd, int err, const ipc_frame_t *f)
{
    gw_req_t *prev = p->current;
    p->current = pd->req;
    int rc = pd->tramp(pd->cb, pd->data, err, f);
    p->current = prev;
    return rc;
}

static void pending_release(pending_t *pd)
{
    if (pd->req)
        gw_req_unref(pd->req);
    free(pd);
}

/* Answers every pending request of `w` with `err`. Callbacks may issue new
 * requests; those fail synchronously because the worker is not ready. */
static void pending_fail_all(worker_t *w, int err)
{
    while (w->head) {
        pending_t *pd = w->head;
        pending_unlink(w, pd);
        run_tramp(w->pool, pd, err, NULL);
        pending_release(pd);
    }
}

/* ---- writing ---------------------------------------------------------- */

static void write_done_cb(uv_write_t *req, int status)
{
    write_req_t *wr = (write_req_t *)req;
    worker_t *w = req->data;
    if (status < 0 && status != UV_ECANCELED && w->state == GW_SHARD_READY)
        worker_kill(w, "write to worker failed");
    ov_buf_free(&wr->buf);
    free(wr);
}

static void flush_worker(worker_t *w)
{
    if (w->out.len == 0)
        return;
    if (!w->pipe_live) {
        ov_buf_reset(&w->out);
        return;
    }
    write_req_t *wr = ov_xcalloc(1, sizeof(*wr));
    wr->buf = w->out; /* hand the buffer over to the write */
    memset(&w->out, 0, sizeof(w->out));
    wr->req.data = w;
    uv_buf_t b = uv_buf_init(wr->buf.data, (unsigned)wr->buf.len);
    int rc = uv_write(&wr->req, (uv_stream_t *)&w->pipe, &b, 1, write_done_cb);
    if (rc < 0) {
        ov_buf_free(&wr->buf);
        free(wr);
        worker_kill(w, "write to worker failed");
    }
}

static void flush_check_cb(uv_check_t *h)
{
    gw_pool_t *p = h->data;
    for (uint32_t i = 0; i < p->opts.nshards; i++)
        flush_worker(&p->workers[i]);
    uv_check_stop(&p->flush_check);
    p->flush_active = 0;
}

static void schedule_flush(gw_pool_t *p)
{
    if (!p->flush_active) {
        uv_check_start(&p->flush_check, flush_check_cb);
        p->flush_active = 1;
    }
}

/* Queues a request frame built by `encode` and registers its reply. */
static int send_request(gw_pool_t *p, uint32_t shard, uint32_t reply_type,
                        tramp_fn tramp, void (*cb)(void), void *data,
                        void (*encode)(ov_buf_t *, uint64_t, const void *),
                        const void *msg)
{
    if (p->stopping)
        return OV_ESHUTDOWN;
    if (shard >= p->opts.nshards)
        return OV_EINTERNAL;
    worker_t *w = &p->workers[shard];
    if (w->state != GW_SHARD_READY)
        return OV_EUNAVAIL;
    pending_t *pd = ov_xcalloc(1, sizeof(*pd));
    pd->req_id = ++p->next_req_id;
    pd->reply_type = reply_type;
    pd->tramp = tramp;
    pd->cb = cb;
    pd->data = data;
    pd->sent_ns = ov_time_mono_ns();
    pd->deadline_ns = pd->sent_ns + (uint64_t)p->opts.ipc_timeout_ms * 1000000u;
    pd->prev = w->tail;
    if (w->tail)
        w->tail->next = pd;
    else
        w->head = pd;
    w->tail = pd;
    w->inflight++;
    gw_req_t *req = p->current;
    if (req) {
        /* The request log shows the one shard a request reached, or none
         * when it fanned out. */
        if (req->shard == -1)
            req->shard = (int)shard;
        else if (req->shard != (int)shard)
            req->shard = -2;
        gw_req_ref(req);
        pd->req = req;
        ipc_trace_set(req->req_id);
    }
    encode(&w->out, pd->req_id, msg);
    ipc_trace_set(NULL);
    schedule_flush(p);
    return 0;
}

void gw_pool_set_current(gw_pool_t *p, gw_req_t *req)
{
    p->current = req;
}

/* ---- reading ---------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = ov_xmalloc(65536);
    buf->len = 65536;
}

static void handle_ready(worker_t *w, const ipc_frame_t *f)
{
    ipc_ready_t m;
    if (w->state != GW_SHARD_STARTING || ipc_ready_decode(f, &m) != 0 ||
        m.proto_version != IPC_PROTO_VERSION || m.shard != w->shard) {
        worker_kill(w, "invalid READY");
        return;
    }
    w->state = GW_SHARD_READY;
    w->ever_ready = 1;
    w->sent_ready = 1;
    w->permanent_fails = 0;
    ov_info("shard %u ready (pid %lld)", w->shard, (long long)w->pid);
    gw_pool_t *p = w->pool;
    if (p->opts.on_ready)
        p->opts.on_ready(w->shard, p->opts.on_ready_data);
    if (p->start_cb) {
        for (uint32_t i = 0; i < p->opts.nshards; i++)
            if (!p->workers[i].ever_ready)
                return;
        void (*cb)(int, void *) = p->start_cb;
        p->start_cb = NULL;
        cb(0, p->start_data);
    }
}

/* Returns -1 on a protocol violation. */
static int handle_frame(worker_t *w, const ipc_frame_t *f)
{
    if (f->type == IPC_MSG_READY) {
        handle_ready(w, f);
        return 0;
    }
    if (w->state != GW_SHARD_READY && w->state != GW_SHARD_STOPPING)
        return -1;
    pending_t *pd = pending_find(w, f->req_id);
    if (!pd || pd->reply_type != f->type)
        return -1;
    pending_unlink(w, pd);
    /* Measured before the callback, which may do work of its own. */
    gw_metrics_observe_shard_rtt(w->shard, ov_time_mono_ns() - pd->sent_ns);
    int rc = run_tramp(w->pool, pd, 0, f);
    if (rc != 0) {
        /* Undecodable reply: answer the caller, then drop the worker. */
        run_tramp(w->pool, pd, OV_EUNAVAIL, NULL);
    }
    pending_release(pd);
    return rc;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    worker_t *w = s->data;
    if (nread < 0) {
        free(buf->base);
        if (w->state != GW_SHARD_STOPPING)
            worker_kill(w, nread == UV_EOF ? "worker closed its channel"
                                           : "read from worker failed");
        else
            pending_fail_all(w, OV_ESHUTDOWN);
        return;
    }
    ipc_reader_feed(&w->reader, buf->base, (size_t)nread);
    free(buf->base);
    for (;;) {
        ipc_frame_t f;
        int rc = ipc_reader_next(&w->reader, &f);
        if (rc == 0)
            return;
        if (rc < 0) {
            worker_kill(w, "malformed frame from worker");
            return;
        }
        rc = handle_frame(w, &f);
        ipc_frame_free(&f);
        if (rc != 0) {
            worker_kill(w, "protocol violation by worker");
            return;
        }
        if (!w->pipe_live || (w->state != GW_SHARD_READY &&
                              w->state != GW_SHARD_STOPPING))
            return;
    }
}

/* ---- process lifecycle ------------------------------------------------ */

static void handle_closed_cb(uv_handle_t *h)
{
    worker_t *w = h->data;
    w->open_handles--;
    if (w->open_handles == 0 && w->pool->stopping)
        pool_maybe_finish_stop(w->pool);
}

static void close_pipe(worker_t *w)
{
    if (w->pipe_live) {
        w->pipe_live = 0;
        uv_read_stop((uv_stream_t *)&w->pipe);
        uv_close((uv_handle_t *)&w->pipe, handle_closed_cb);
    }
}

/* Kills the worker: its pending requests fail now; the exit callback
 * schedules the restart. */
static void worker_kill(worker_t *w, const char *why)
{
    if (w->state == GW_SHARD_DOWN || w->state == GW_SHARD_STOPPED)
        return;
    ov_warn("shard %u: %s; killing worker pid %lld", w->shard, why,
            (long long)w->pid);
    if (w->state != GW_SHARD_STOPPING)
        w->state = GW_SHARD_DOWN;
    close_pipe(w);
    ov_buf_reset(&w->out);
    if (w->proc_live)
        uv_process_kill(&w->proc, SIGKILL);
    pending_fail_all(w, w->pool->stopping ? OV_ESHUTDOWN : OV_EUNAVAIL);
}

static void restart_timer_cb(uv_timer_t *t)
{
    worker_t *w = t->data;
    if (w->pool->stopping)
        return;
    if (w->open_handles > 0) {
        /* Handles of the previous process are still closing. */
        uv_timer_start(&w->restart_timer, restart_timer_cb, 5, 0);
        return;
    }
    w->restarts++;
    worker_spawn(w);
}

static void exit_cb(uv_process_t *proc, int64_t status, int term_signal)
{
    worker_t *w = proc->data;
    gw_pool_t *p = w->pool;
    w->proc_live = 0;
    w->last_exit = term_signal ? -term_signal : (int)status;
    if (p->stopping) {
        if (status != 0 || term_signal)
            ov_warn("shard %u exited during shutdown (status %lld, signal %d)",
                    w->shard, (long long)status, term_signal);
    } else if (term_signal) {
        ov_error("shard %u worker pid %lld killed by signal %d", w->shard,
                 (long long)w->pid, term_signal);
    } else {
        ov_error("shard %u worker pid %lld exited with status %lld", w->shard,
                 (long long)w->pid, (long long)status);
    }
    close_pipe(w);
    pending_fail_all(w, p->stopping ? OV_ESHUTDOWN : OV_EUNAVAIL);
    w->pid = 0;
    uv_close((uv_handle_t *)&w->proc, handle_closed_cb);
    if (p->stopping) {
        w->state = GW_SHARD_STOPPED;
        return;
    }
    /* The channel's EOF may have marked the worker down already, so the
     * state cannot tell whether this process ever sent READY. */
    int never_ready = !w->sent_ready;
    w->state = GW_SHARD_DOWN;
    /* Exit status 3 before READY means the worker cannot open its shard
     * (corrupt or locked database, bad arguments): retry a few times with
     * growing back-off, then give up instead of looping. */
    if (!term_signal && status == GW_WORKER_EXIT_PERMANENT && never_ready) {
        w->permanent_fails++;
        if (w->permanent_fails >= GW_SHARD_PERMANENT_TRIES) {
            ov_error("shard %u: worker failed to start %u times in a row "
                     "(exit status 3: its database cannot be opened, see "
                     "above); giving up, the shard stays down until meetd "
                     "is restarted",
                     w->shard, w->permanent_fails);
            if (p->start_cb && !w->ever_ready) {
                void (*cb)(int, void *) = p->start_cb;
                p->start_cb = NULL;
                cb(OV_EUNAVAIL, p->start_data);
            }
            return;
        }
        unsigned delay = GW_SHARD_PERMANENT_BACKOFF_MS
                         << (w->permanent_fails - 1);
        ov_warn("shard %u: worker cannot start (exit status 3); retry %u of "
                "%u in %u ms",
                w->shard, w->permanent_fails, GW_SHARD_PERMANENT_TRIES - 1,
                delay);
        uv_timer_start(&w->restart_timer, restart_timer_cb, delay, 0);
        return;
    }
    w->permanent_fails = 0;
    /* Back off when the worker dies young. */
    uint64_t lived_ms = (ov_time_mono_ns() - w->spawned_ns) / 1000000u;
    if (lived_ms > 10000)
        w->backoff_ms = 0;
    unsigned delay = w->backoff_ms;
    w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : 50;
    if (w->backoff_ms > 5000)
        w->backoff_ms = 5000;
    uv_timer_start(&w->restart_timer, restart_timer_cb, delay, 0);
}

static void worker_spawn(worker_t *w)
{
    gw_pool_t *p = w->pool;
    char shard[16], nshards[16];
    snprintf(shard, sizeof(shard), "%u", w->shard);
    snprintf(nshards, sizeof(nshards), "%u", p->opts.nshards);
    char *args[16];
    int n = 0;
    args[n++] = (char *)p->opts.worker_bin;
    args[n++] = "--shard";
    args[n++] = shard;
    args[n++] = "--nshards";
    args[n++] = nshards;
    args[n++] = "--data-dir";
    args[n++] = (char *)p->opts.data_dir;
    args[n++] = "--sandbox";
    args[n++] = (char *)p->opts.sandbox;
    args[n++] = "--log-level";
    args[n++] = (char *)p->opts.log_level;
    if (w->shard == 0)
        args[n++] = "--system";
    args[n] = NULL;

    uv_os_sock_t fds[2];
    int rc = uv_socketpair(SOCK_STREAM, 0, fds, 0, 0);
    if (rc < 0) {
        ov_error("shard %u: uv_socketpair() failed: %s", w->shard,
                 uv_strerror(rc));
        goto retry;
    }
    uv_stdio_container_t stdio[4];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_IGNORE;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    stdio[3].flags = UV_INHERIT_FD;
    stdio[3].data.fd = fds[1];
    uv_process_options_t o;
    memset(&o, 0, sizeof(o));
    o.file = p->opts.worker_bin;
    o.args = args;
    o.exit_cb = exit_cb;
    o.stdio = stdio;
    o.stdio_count = 4;
    w->proc.data = w;
    rc = uv_spawn(p->loop, &w->proc, &o);
    close(fds[1]);
    if (rc < 0) {
        /* uv_spawn leaves a handle that still has to be closed. */
        ov_error("shard %u: uv_spawn(%s) failed: %s", w->shard,
                 p->opts.worker_bin, uv_strerror(rc));
        close(fds[0]);
        w->open_handles++;
        uv_close((uv_handle_t *)&w->proc, handle_closed_cb);
        goto retry;
    }
    w->open_handles++;
    w->proc_live = 1;
    w->pid = w->proc.pid;
    uv_pipe_init(p->loop, &w->pipe, 0);
    w->pipe.data = w;
    w->open_handles++;
    w->pipe_live = 1;
    rc = uv_pipe_open(&w->pipe, fds[0]);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&w->pipe, alloc_cb, read_cb);
    ipc_reader_free(&w->reader);
    ipc_reader_init(&w->reader);
    w->state = GW_SHARD_STARTING;
    w->sent_ready = 0;
    w->spawned_ns = ov_time_mono_ns();
    w->ready_deadline_ns =
        w->spawned_ns + (uint64_t)p->opts.ready_timeout_ms * 1000000u;
    if (rc < 0)
        worker_kill(w, "cannot read the worker channel");
    return;
retry:
    w->state = GW_SHARD_DOWN;
    uv_timer_start(&w->restart_timer, restart_timer_cb, 1000, 0);
}

/* Enforces request deadlines and READY deadlines. */
static void tick_cb(uv_timer_t *t)
{
    gw_pool_t *p = t->data;
    uint64_t now = ov_time_mono_ns();
    for (uint32_t i = 0; i < p->opts.nshards; i++) {
        worker_t *w = &p->workers[i];
        if (w->state == GW_SHARD_STARTING && now > w->ready_deadline_ns) {
            worker_kill(w, "no READY in time");
            if (p->start_cb && !w->ever_ready) {
                void (*cb)(int, void *) = p->start_cb;
                p->start_cb = NULL;
                cb(OV_EUNAVAIL, p->start_data);
            }
        } else if (w->state == GW_SHARD_READY && w->head &&
                   now > w->head->deadline_ns) {
            /* Fail the overdue requests with a timeout first, so that they
             * are not reported as a crash. */
            while (w->head && now > w->head->deadline_ns) {
                pending_t *pd = w->head;
                pending_unlink(w, pd);
                run_tramp(p, pd, OV_ETIMEDOUT, NULL);
                pending_release(pd);
            }
            worker_kill(w, "worker did not answer in time");
        }
    }
}

/* ---- pool ------------------------------------------------------------- */

int gw_pool_new(gw_pool_t **out, uv_loop_t *loop, const gw_pool_opts_t *opts)
{
    gw_pool_t *p = ov_xcalloc(1, sizeof(*p));
    p->loop = loop;
    p->opts = *opts;
    if (p->opts.ready_timeout_ms == 0)
        p->opts.ready_timeout_ms = 10000;
    p->workers = ov_xcalloc(opts->nshards, sizeof(worker_t));
    for (uint32_t i = 0; i < opts->nshards; i++) {
        worker_t *w = &p->workers[i];
        w->pool = p;
        w->shard = i;
        w->state = GW_SHARD_DOWN;
        ipc_reader_init(&w->reader);
        uv_timer_init(loop, &w->restart_timer);
        w->restart_timer.data = w;
    }
    uv_check_init(loop, &p->flush_check);
    p->flush_check.data = p;
    uv_timer_init(loop, &p->tick);
    p->tick.data = p;
    uv_timer_init(loop, &p->stop_timer);
    p->stop_timer.data = p;
    *out = p;
    return 0;
}

int gw_pool_start(gw_pool_t *p, void (*cb)(int err, void *data), void *data)
{
    p->start_cb = cb;
    p->start_data = data;
    unsigned tick = p->opts.ipc_timeout_ms / 4;
    if (tick < 10)
        tick = 10;
    if (tick > 100)
        tick = 100;
    uv_timer_start(&p->tick, tick_cb, tick, tick);
    for (uint32_t i = 0; i < p->opts.nshards; i++)
        worker_spawn(&p->workers[i]);
    return 0;
}

uint32_t gw_pool_size(const gw_pool_t *p)
{
    return p->opts.nshards;
}

void gw_pool_shard_info(const gw_pool_t *p, uint32_t shard,
                        gw_shard_info_t *out)
{
    const worker_t *w = &p->workers[shard];
    out->state = w->state;
    out->pid = w->pid;
    out->restarts = w->restarts;
    out->inflight = w->inflight;
    out->last_exit = w->last_exit;
}

static void pool_handle_closed_cb(uv_handle_t *h)
{
    gw_pool_t *p = h->data;
    if (--p->closing_handles == 0) {
        void (*cb)(void *) = p->stop_cb;
        void *data = p->stop_data;
        for (uint32_t i = 0; i < p->opts.nshards; i++) {
            ipc_reader_free(&p->workers[i].reader);
            ov_buf_free(&p->workers[i].out);
        }
        free(p->workers);
        free(p);
        if (cb)
            cb(data);
    }
}

/* Once every worker is gone and its handles closed, closes the pool's own
 * handles; the last close frees the pool. */
static void pool_maybe_finish_stop(gw_pool_t *p)
{
    if (p->closing_handles > 0)
        return;
    for (uint32_t i = 0; i < p->opts.nshards; i++) {
        worker_t *w = &p->workers[i];
        if (w->proc_live || w->open_handles > 0)
            return;
    }
    uv_handle_t *hs[16];
    int n = 0;
    hs[n++] = (uv_handle_t *)&p->flush_check;
    hs[n++] = (uv_handle_t *)&p->tick;
    hs[n++] = (uv_handle_t *)&p->stop_timer;
    p->closing_handles = n + (int)p->opts.nshards;
    for (int i = 0; i < n; i++) {
        hs[i]->data = p;
        uv_close(hs[i], pool_handle_closed_cb);
    }
    for (uint32_t i = 0; i < p->opts.nshards; i++) {
        p->workers[i].restart_timer.data = p;
        uv_close((uv_handle_t *)&p->workers[i].restart_timer,
                 pool_handle_closed_cb);
    }
}

static void stop_timer_cb(uv_timer_t *t)
{
    gw_pool_t *p = t->data;
    for (uint32_t i = 0; i < p->opts.nshards; i++) {
        worker_t *w = &p->workers[i];
        if (w->proc_live) {
            ov_warn("shard %u did not exit in time; killing it", w->shard);
            uv_process_kill(&w->proc, SIGKILL);
        }
    }
}

void gw_pool_stop(gw_pool_t *p, unsigned timeout_ms, void (*cb)(void *data),
                  void *data)
{
    p->stopping = 1;
    p->stop_cb = cb;
    p->stop_data = data;
    uv_timer_stop(&p->tick);
    for (uint32_t i = 0; i < p->opts.nshards; i++) {
        worker_t *w = &p->workers[i];
        uv_timer_stop(&w->restart_timer);
        if (w->proc_live && w->pipe_live) {
            ipc_shutdown_t m;
            memset(&m, 0, sizeof(m));
            ipc_shutdown_encode(&w->out, 0, &m);
            flush_worker(w);
            w->state = GW_SHARD_STOPPING;
        } else if (w->proc_live) {
            uv_process_kill(&w->proc, SIGKILL);
            w->state = GW_SHARD_STOPPING;
        } else {
            w->state = GW_SHARD_STOPPED;
        }
    }
    uv_timer_start(&p->stop_timer, stop_timer_cb, timeout_ms, 0);
    pool_maybe_finish_stop(p);
}

/* ---- generated stubs -------------------------------------------------- */

#define GW__TRAMP_IMPL(REP, rep)                                               \
    static int tramp_##rep(void (*cb)(void), void *data, int err,              \
                           const ipc_frame_t *f)                               \
    {                                                                          \
        gw_##rep##_cb fn = (gw_##rep##_cb)cb;                                  \
        if (!f) {                                                              \
            fn(err, NULL, data);                                               \
            return 0;                                                          \
        }                                                                      \
        ipc_##rep##_t r;                                                       \
        if (ipc_##rep##_decode(f, &r) != 0)                                    \
            return -1;                                                         \
        if (!ov_err_known(r.err))                                              \
            r.err = OV_EINTERNAL;                                              \
        fn(r.err, r.err == 0 ? &r : NULL, data);                               \
        return 0;                                                              \
    }
IPC_REPLY_MAP(GW__TRAMP_IMPL)
#undef GW__TRAMP_IMPL

#define GW__STUB_IMPL(REQ, req, REP, rep)                                      \
    static void encode_##req(ov_buf_t *out, uint64_t id, const void *m)        \
    {                                                                          \
        ipc_##req##_encode(out, id, m);                                        \
    }                                                                          \
    int gw_shard_##req(gw_pool_t *p, uint32_t shard,                           \
                       const ipc_##req##_t *msg, gw_##rep##_cb cb,             \
                       void *data)                                             \
    {                                                                          \
        return send_request(p, shard, IPC_MSG_##REP, tramp_##rep,              \
                            (void (*)(void))cb, data, encode_##req, msg);      \
    }
IPC_RPC_MAP(GW__STUB_IMPL)
#undef GW__STUB_IMPL
